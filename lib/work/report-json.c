/*
 * The report as JSON (json-c), for scripts.  Durations are integer
 * seconds; a figure with no samples is null.  Keys may be added, never
 * renamed.
 */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"

#include "report-private.h"
#include "xalloc.h"

static json_object *
str_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
time_or_null(int64_t t)
{
	char buf[32];

	if (t == 0)
		return NULL;
	report_fmt_time(t, buf, sizeof(buf));
	return json_object_new_string(buf);
}

static json_object *
counts_obj(const struct report_counts *c)
{
	json_object *o = json_object_new_object();

	/* json-c keeps insertion order, so the sort order survives. */
	for (size_t i = 0; i < c->n; i++)
		json_object_object_add(o, c->v[i].key,
		    json_object_new_int64(c->v[i].n));
	return o;
}

static json_object *
stat_val(const struct report_stat *s, int64_t v)
{
	return s->n > 0 ? json_object_new_int64(v) : NULL;
}

static json_object *
durations_obj(const struct report_durations *d)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "n", json_object_new_int64((int64_t)d->n));
	json_object_object_add(o, "median",
	    stat_val(&d->clock_stat, d->clock_stat.median));
	json_object_object_add(o, "p90",
	    stat_val(&d->clock_stat, d->clock_stat.p90));
	json_object_object_add(o, "business_median",
	    stat_val(&d->business_stat, d->business_stat.median));
	json_object_object_add(o, "business_p90",
	    stat_val(&d->business_stat, d->business_stat.p90));
	return o;
}

static json_object *
bdrs_arr(const struct report *r)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < r->n_bdrs; i++) {
		const struct report_bdr *b = &r->bdrs[i];
		json_object *o = json_object_new_object();

		json_object_object_add(o, "name",
		    json_object_new_string(b->name));
		json_object_object_add(o, "claimed",
		    json_object_new_int64(b->claimed));
		json_object_object_add(o, "routed",
		    json_object_new_int64(b->routed));
		json_object_object_add(o, "qualified",
		    json_object_new_int64(b->qualified));
		json_object_object_add(o, "disqualified",
		    json_object_new_int64(b->disqualified));
		json_object_object_add(o, "claim", durations_obj(&b->to_claim));
		json_object_object_add(o, "route", durations_obj(&b->to_route));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *
ticket_obj(const struct report *r, const struct report_ticket *t, int breach)
{
	json_object *o = json_object_new_object();
	char *url = NULL;

	json_object_object_add(o, "id", json_object_new_int64(t->id));
	json_object_object_add(o, "subject", str_or_null(t->subject));
	json_object_object_add(o, "customer", str_or_null(t->customer));
	json_object_object_add(o, "account", str_or_null(t->account));
	json_object_object_add(o, "owner", str_or_null(t->owner));
	url = conf_ticket_url(r->ticket_url, t->id);
	json_object_object_add(o, "url", str_or_null(url));
	free(url);
	if (breach) {
		json_object_object_add(o, "clock", str_or_null(t->clock));
		json_object_object_add(o, "queue", str_or_null(t->queue));
		json_object_object_add(o, "deadline", time_or_null(t->at));
		json_object_object_add(o, "late",
		    json_object_new_int64(t->late));
	} else {
		json_object_object_add(o, "marked", time_or_null(t->at));
	}
	return o;
}

static json_object *
tickets_arr(const struct report *r, const struct report_tickets *t, int breach)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < t->n; i++)
		json_object_array_add(a, ticket_obj(r, &t->v[i], breach));
	return a;
}

static json_object *
funnel_obj(const struct report_funnel *f)
{
	json_object *o = json_object_new_object();
	struct report_stage s[REPORT_FUNNEL_STAGES];

	report_funnel_stages(f, s);
	for (size_t i = 0; i < REPORT_FUNNEL_STAGES; i++)
		json_object_object_add(o, s[i].name,
		    json_object_new_int64(s[i].n));
	return o;
}

/* Each stage's conversion from the step before, a percentage; null
   where there is no step before or it is 0. */
static json_object *
conversion_obj(const struct report_funnel *f)
{
	json_object *o = json_object_new_object();
	struct report_stage s[REPORT_FUNNEL_STAGES];

	report_funnel_stages(f, s);
	for (size_t i = 1; i < REPORT_FUNNEL_STAGES; i++)
		json_object_object_add(o, s[i].name,
		    s[i].rate >= 0 ?
			json_object_new_double((double)s[i].rate / 10) :
			NULL);
	return o;
}

static json_object *
previous_obj(const struct report *r)
{
	json_object *o;

	if (!r->has_prev)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "from", time_or_null(r->prev_from));
	json_object_object_add(o, "to", time_or_null(r->from));
	json_object_object_add(o, "funnel", funnel_obj(&r->prev));
	json_object_object_add(o, "funnel_conversion",
	    conversion_obj(&r->prev));
	return o;
}

static json_object *
hist_arr(const struct report *r)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < REPORT_HIST_BUCKETS; i++) {
		json_object *o = json_object_new_object();
		int64_t up = report_hist_upper(i);

		json_object_object_add(o, "label",
		    json_object_new_string(report_hist_label(i)));
		json_object_object_add(o, "below",
		    up != INT64_MAX ? json_object_new_int64(up) : NULL);
		json_object_object_add(o, "count",
		    json_object_new_int64(r->hist[i]));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *
report_obj(const struct report *r)
{
	json_object *o = json_object_new_object();
	json_object *period = json_object_new_object();
	json_object *volume = json_object_new_object();
	json_object *times = json_object_new_object();
	json_object *breaches = json_object_new_object();

	json_object_object_add(period, "from", time_or_null(r->from));
	json_object_object_add(period, "to", time_or_null(r->to));
	json_object_object_add(period, "mailbox", str_or_null(r->mailbox));
	json_object_object_add(period, "business_hours", str_or_null(r->hours));
	json_object_object_add(o, "period", period);
	json_object_object_add(o, "generated", time_or_null(r->generated));
	json_object_object_add(o, "tickets", json_object_new_int64(r->tickets));
	json_object_object_add(volume, "mailbox", counts_obj(&r->by_mailbox));
	json_object_object_add(volume, "queue", counts_obj(&r->by_queue));
	json_object_object_add(volume, "tag", counts_obj(&r->by_tag));
	/* "time": per day, week or month ("bucket"); "day" as before when
	   the buckets are days */
	json_object_object_add(volume, "bucket",
	    json_object_new_string(report_bucket_name(r->bucket)));
	json_object_object_add(volume, "time", counts_obj(&r->by_day));
	if (r->bucket == REPORT_BUCKET_DAY)
		json_object_object_add(volume, "day", counts_obj(&r->by_day));
	json_object_object_add(o, "volume", volume);
	for (int i = 0; i < REPORT_TIME_COUNT; i++)
		json_object_object_add(times,
		    report_time_name((enum report_time)i),
		    durations_obj(&r->times[i]));
	json_object_object_add(o, "times", times);
	json_object_object_add(o, "claim_histogram", hist_arr(r));
	json_object_object_add(o, "bdrs", bdrs_arr(r));
	json_object_object_add(o, "funnel", funnel_obj(&r->funnel));
	json_object_object_add(o, "funnel_conversion",
	    conversion_obj(&r->funnel));
	json_object_object_add(o, "previous", previous_obj(r));
	json_object_object_add(o, "ee_leads",
	    json_object_new_int64(r->ee_leads));
	json_object_object_add(o, "competitors", counts_obj(&r->competitors));
	json_object_object_add(o, "stories", tickets_arr(r, &r->stories, 0));
	json_object_object_add(breaches, "total",
	    json_object_new_int64((int64_t)r->breaches.n));
	json_object_object_add(breaches, "claim",
	    json_object_new_int64(r->breaches_claim));
	json_object_object_add(breaches, "acknowledge",
	    json_object_new_int64(r->breaches_ack));
	json_object_object_add(breaches, "per_queue",
	    counts_obj(&r->breach_queues));
	json_object_object_add(breaches, "per_owner",
	    counts_obj(&r->breach_owners));
	json_object_object_add(breaches, "tickets",
	    tickets_arr(r, &r->breaches, 1));
	json_object_object_add(o, "breaches", breaches);
	return o;
}

int
report_render_json(const struct report *r, struct buf *out, struct error *err)
{
	struct report_out o = { .b = out };
	json_object *root = report_obj(r);

	report_out_str(&o,
	    json_object_to_json_string_ext(root,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	report_out_str(&o, "\n");
	json_object_put(root);
	return report_out_done(&o, err);
}
