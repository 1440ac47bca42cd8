/*
 * The report as CSV (RFC 4180) for spreadsheets: one long table
 * "section,name,metric,value", so every figure is one row a pivot table
 * can use.  Fields holding a comma, quote, CR or LF are quoted with ""
 * doubled; lines end in CRLF as the RFC says.
 *
 * Text cells carry what customers wrote (subjects, addresses, names), and
 * a spreadsheet runs a cell starting with = + - @ tab or CR as a formula
 * ("CSV injection").  Such a cell gets a leading single quote and is
 * quoted, as OWASP recommends; the numbers the report writes itself go
 * out as they are, so -600 stays a number.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"

#include "report-private.h"
#include "xalloc.h"

/* A text cell a spreadsheet would take for a formula (OWASP's list). */
static int
formula_like(const char *s)
{
	return s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
}

/* A text cell: quoted when needed, neutralised when formula-like. */
static void
field(struct report_out *o, const char *s)
{
	int formula;

	if (s == NULL)
		return;
	formula = formula_like(s);
	if (!formula && strpbrk(s, ",\"\r\n") == NULL) {
		report_out_str(o, s);
		return;
	}
	report_out_str(o, formula ? "\"'" : "\"");
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			report_out_str(o, "\"\"");
		else
			report_out_add(o, p, 1);
	}
	report_out_str(o, "\"");
}

/* "section,name,metric," : the three text cells every row starts with. */
static void
row_key(struct report_out *o, const char *section, const char *name,
    const char *metric)
{
	field(o, section);
	report_out_str(o, ",");
	field(o, name);
	report_out_str(o, ",");
	field(o, metric);
	report_out_str(o, ",");
}

/* A row whose value is text (NULL: empty). */
static void
row(struct report_out *o, const char *section, const char *name,
    const char *metric, const char *value)
{
	row_key(o, section, name, metric);
	field(o, value);
	report_out_str(o, "\r\n");
}

/* A row whose value is a number: written bare, never neutralised. */
static void
row_n(struct report_out *o, const char *section, const char *name,
    const char *metric, int64_t n)
{
	row_key(o, section, name, metric);
	report_out_printf(o, "%lld\r\n", (long long)n);
}

static void
counts(struct report_out *o, const char *section, const struct report_counts *c)
{
	for (size_t i = 0; i < c->n; i++)
		row_n(o, section, c->v[i].key, "tickets", c->v[i].n);
}

/* Durations as seconds; an empty metric leaves the value empty. */
static void
durations(struct report_out *o, const char *section, const char *name,
    const char *prefix, const struct report_durations *d)
{
	const struct {
		const char *metric;
		const struct report_stat *s;
		int p90;
	} m[] = {
		{ "median_seconds", &d->clock_stat, 0 },
		{ "p90_seconds", &d->clock_stat, 1 },
		{ "business_median_seconds", &d->business_stat, 0 },
		{ "business_p90_seconds", &d->business_stat, 1 },
	};
	char metric[64];

	snprintf(metric, sizeof(metric), "%scount", prefix);
	row_n(o, section, name, metric, (int64_t)d->n);
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		snprintf(metric, sizeof(metric), "%s%s", prefix, m[i].metric);
		if (m[i].s->n == 0)
			row(o, section, name, metric, NULL);
		else
			row_n(o, section, name, metric,
			    m[i].p90 ? m[i].s->p90 : m[i].s->median);
	}
}

static void
tickets(struct report_out *o, const struct report *r, const char *section,
    const struct report_tickets *t, int breach)
{
	char id[32], v[64];

	for (size_t i = 0; i < t->n; i++) {
		const struct report_ticket *k = &t->v[i];

		snprintf(id, sizeof(id), "%lld", (long long)k->id);
		row(o, section, id, "subject", k->subject);
		row(o, section, id, "customer", k->customer);
		row(o, section, id, "account", k->account);
		row(o, section, id, "owner", k->owner);
		if (r->ticket_url != NULL) {
			char *url = conf_ticket_url(r->ticket_url, k->id);

			row(o, section, id, "url", url);
			free(url);
		}
		if (!breach)
			continue;
		row(o, section, id, "clock", k->clock);
		row(o, section, id, "queue", k->queue);
		report_fmt_time(k->at, v, sizeof(v));
		row(o, section, id, "deadline", v);
		row_n(o, section, id, "late_seconds", k->late);
	}
}

int
report_render_csv(const struct report *r, struct buf *out, struct error *err)
{
	struct report_out o = { .b = out };
	struct report_stage stages[REPORT_FUNNEL_STAGES];
	char v[64];

	report_funnel_stages(&r->funnel, stages);
	row(&o, "section", "name", "metric", "value");
	report_fmt_time(r->from, v, sizeof(v));
	row(&o, "period", "from", "", v);
	report_fmt_time(r->to, v, sizeof(v));
	row(&o, "period", "to", "", v);
	row(&o, "period", "mailbox", "", r->mailbox);
	row(&o, "period", "business_hours", "", r->hours);
	row_n(&o, "volume", "total", "tickets", r->tickets);
	counts(&o, "volume_mailbox", &r->by_mailbox);
	counts(&o, "volume_queue", &r->by_queue);
	counts(&o, "volume_tag", &r->by_tag);
	snprintf(v, sizeof(v), "volume_%s", report_bucket_name(r->bucket));
	counts(&o, v, &r->by_day);
	for (int i = 0; i < REPORT_TIME_COUNT; i++)
		durations(&o, "times", report_time_name((enum report_time)i),
		    "", &r->times[i]);
	for (size_t i = 0; i < REPORT_HIST_BUCKETS; i++)
		row_n(&o, "claim_histogram", report_hist_label(i), "tickets",
		    r->hist[i]);
	for (size_t i = 0; i < r->n_bdrs; i++) {
		const struct report_bdr *b = &r->bdrs[i];

		row_n(&o, "bdr", b->name, "claimed", b->claimed);
		row_n(&o, "bdr", b->name, "routed", b->routed);
		row_n(&o, "bdr", b->name, "qualified", b->qualified);
		row_n(&o, "bdr", b->name, "disqualified", b->disqualified);
		durations(&o, "bdr", b->name, "claim_", &b->to_claim);
		durations(&o, "bdr", b->name, "route_", &b->to_route);
	}
	for (size_t i = 0; i < REPORT_FUNNEL_STAGES; i++) {
		row_n(&o, "funnel", stages[i].name, "tickets", stages[i].n);
		if (stages[i].rate >= 0)
			row_n(&o, "funnel", stages[i].name,
			    "conversion_permille", stages[i].rate);
	}
	if (r->has_prev) {
		report_funnel_stages(&r->prev, stages);
		report_fmt_time(r->prev_from, v, sizeof(v));
		row(&o, "previous", "from", "", v);
		report_fmt_time(r->from, v, sizeof(v));
		row(&o, "previous", "to", "", v);
		for (size_t i = 0; i < REPORT_FUNNEL_STAGES; i++) {
			row_n(&o, "previous_funnel", stages[i].name, "tickets",
			    stages[i].n);
			if (stages[i].rate >= 0)
				row_n(&o, "previous_funnel", stages[i].name,
				    "conversion_permille", stages[i].rate);
		}
	}
	row_n(&o, "ee_leads", "total", "tickets", r->ee_leads);
	counts(&o, "competitor", &r->competitors);
	tickets(&o, r, "story", &r->stories, 0);
	row_n(&o, "breaches", "total", "tickets", (int64_t)r->breaches.n);
	row_n(&o, "breaches", "claim", "tickets", r->breaches_claim);
	row_n(&o, "breaches", "acknowledge", "tickets", r->breaches_ack);
	counts(&o, "breaches_queue", &r->breach_queues);
	counts(&o, "breaches_owner", &r->breach_owners);
	tickets(&o, r, "breach", &r->breaches, 1);
	return report_out_done(&o, err);
}
