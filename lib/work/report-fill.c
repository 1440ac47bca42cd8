/*
 * The report's and the digest's figures, computed in C from the store's
 * rows: one pass over the period's tickets (durations, days, per-BDR
 * rows), the counts per mailbox and tag, the period's story and
 * sla-breach events; and for the digest, every open ticket through
 * sla_evaluate.  See report-fill.h for what each figure counts.
 */
#include "report-fill.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"
#include "sla-store.h"
#include "store-report.h"
#include "store.h"
#include "xalloc.h"

/*
 * Per-bucket counts (report.h: days, weeks or months by the period's
 * length), every bucket of the period, zeros too.  A bucket is numbered
 * from the epoch: local day d, week (d + 3) / 7 (1970-01-01 was a
 * Thursday; weeks start on Monday), month year * 12 + month.
 */
struct days {
	const struct sla_hours *zone; /* foreign: whose local days */
	enum report_bucket bucket;
	int64_t first; /* the period's first bucket number */
	int64_t *n;    /* owned */
	size_t count;
};

static int64_t
floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void
civil(int64_t day, struct tm *tm)
{
	time_t t = (time_t)(day * 86400);

	gmtime_r(&t, tm);
}

static int64_t
bucket_of(enum report_bucket b, int64_t day)
{
	struct tm tm;

	switch (b) {
	case REPORT_BUCKET_DAY:
		break;
	case REPORT_BUCKET_WEEK:
		return floor_div(day + 3, 7);
	case REPORT_BUCKET_MONTH:
		civil(day, &tm);
		return ((int64_t)tm.tm_year + 1900) * 12 + tm.tm_mon;
	}
	return day;
}

static void
bucket_key(enum report_bucket b, int64_t n, char *key, size_t size)
{
	struct tm tm;

	if (b == REPORT_BUCKET_MONTH) {
		snprintf(key, size, "%04lld-%02d", (long long)floor_div(n, 12),
		    (int)(n - floor_div(n, 12) * 12) + 1);
		return;
	}
	civil(b == REPORT_BUCKET_WEEK ? n * 7 - 3 : n, &tm);
	strftime(key, size, "%Y-%m-%d", &tm);
}

static void
days_init(struct days *d, const struct sla_hours *h, int64_t from, int64_t to)
{
	int64_t first = sla_local_day(h, from), last = sla_local_day(h, to - 1);

	d->zone = h;
	d->bucket = report_bucket_for(last - first + 1);
	d->first = bucket_of(d->bucket, first);
	d->count = (size_t)(bucket_of(d->bucket, last) - d->first + 1);
	d->n = xcalloc(d->count, sizeof(*d->n));
}

static void
days_add(struct days *d, int64_t t)
{
	int64_t i = bucket_of(d->bucket, sla_local_day(d->zone, t)) - d->first;

	if (i >= 0 && (size_t)i < d->count)
		d->n[i]++;
}

static void
days_flush(struct days *d, struct report *r)
{
	char key[32];

	r->bucket = d->bucket;
	for (size_t i = 0; i < d->count; i++) {
		bucket_key(d->bucket, d->first + (int64_t)i, key, sizeof(key));
		report_counts_add(&r->by_day, key, d->n[i]);
	}
	free(d->n);
	d->n = NULL;
}

/* A duration from `a` to `b` when both happened in that order. */
static int
span(int64_t a, int64_t b)
{
	return a != STORE_NO_TIME && b != STORE_NO_TIME && b >= a;
}

static void
add_span(struct report_durations *d, const struct sla_hours *h, int64_t a,
    int64_t b)
{
	report_durations_add(d, b - a, sla_business_seconds(h, a, b));
}

/* One ticket's steps through the funnel. */
static void
funnel_row(struct report_funnel *f, const struct store_report_ticket *t)
{
	f->received++;
	f->claimed += span(t->created, t->claimed_at);
	f->routed += span(t->created, t->routed_at);
	f->acknowledged += span(t->routed_at, t->acked_at);
	f->qualified += t->qualified > 0;
	f->disqualified += t->qualified < 0;
}

static void
ticket_row(struct report *r, const struct store_report_ticket *t,
    const struct sla_hours *h, struct days *days)
{
	r->tickets++;
	funnel_row(&r->funnel, t);
	days_add(days, t->created);
	report_counts_add(&r->by_queue, t->queue, 1);
	if (span(t->created, t->claimed_at)) {
		add_span(&r->times[REPORT_TO_CLAIM], h, t->created,
		    t->claimed_at);
		if (t->claimed_by != NULL) {
			struct report_bdr *bdr = report_bdr(r, t->claimed_by);

			bdr->claimed++;
			add_span(&bdr->to_claim, h, t->created, t->claimed_at);
		}
	}
	if (span(t->created, t->routed_at)) {
		add_span(&r->times[REPORT_TO_ROUTE], h, t->created,
		    t->routed_at);
		if (t->routed_by != NULL) {
			struct report_bdr *bdr = report_bdr(r, t->routed_by);

			bdr->routed++;
			add_span(&bdr->to_route, h, t->created, t->routed_at);
		}
	}
	if (span(t->routed_at, t->acked_at))
		add_span(&r->times[REPORT_TO_ACK], h, t->routed_at,
		    t->acked_at);
	if (span(t->created, t->response_at))
		add_span(&r->times[REPORT_TO_RESPONSE], h, t->created,
		    t->response_at);
	if (t->qualified != 0 && t->qualified_by != NULL) {
		struct report_bdr *bdr = report_bdr(r, t->qualified_by);

		if (t->qualified > 0)
			bdr->qualified++;
		else
			bdr->disqualified++;
	}
}

static int
fill_tickets(struct store_report *q, struct report *r,
    const struct sla_hours *h, const struct sla_hours *zone,
    struct progress *progress, struct error *err)
{
	struct store_report_ticket t;
	struct days days;
	uint64_t n = 0;
	int rc;

	days_init(&days, zone, r->from, r->to);
	for (;;) {
		rc = store_report_ticket_next(q, &t, err);
		if (rc <= 0)
			break;
		ticket_row(r, &t, h, &days);
		progress_set(progress, ++n);
	}
	days_flush(&days, r);
	return rc;
}

/* Waiting on the customer counts apart from the clocks it paused. */
static int
fill_waits(struct store_report *q, struct report *r, struct error *err)
{
	int64_t secs = 0;
	int rc;

	while ((rc = store_report_wait_next(q, &secs, err)) > 0)
		report_durations_add(&r->times[REPORT_WAITING], secs, secs);
	return rc;
}

static int
fill_counts(struct store_report *q, struct report *r,
    enum store_report_count by, struct error *err)
{
	static const char competitor[] = "competitor:";
	struct store_report_count_row c;
	int rc;

	for (;;) {
		rc = store_report_count_next(q, by, &c, err);
		if (rc <= 0)
			break;
		if (by == STORE_COUNT_MAILBOX) {
			report_counts_add(&r->by_mailbox, c.key, c.n);
			continue;
		}
		report_counts_add(&r->by_tag, c.key, c.n);
		if (strcmp(c.key, "ee-lead") == 0)
			r->ee_leads += c.n;
		if (strncmp(c.key, competitor, sizeof(competitor) - 1) == 0 &&
		    c.key[sizeof(competitor) - 1] != '\0')
			report_counts_add(&r->competitors,
			    c.key + sizeof(competitor) - 1, c.n);
	}
	return rc;
}

static void
breach_row(struct report *r, const struct store_report_event_row *e)
{
	enum sla_clock clock = sla_store_clock_of(e->clock);
	struct report_ticket *k;
	int64_t end = r->to;

	k = report_tickets_add(&r->breaches, e->ticket_id, e->subject,
	    e->customer, NULL, e->rcpt);
	k->clock = xstrdup(sla_clock_name(clock));
	k->queue = xstrdup_or_null(e->queue);
	k->at = e->deadline;
	if (r->generated < end)
		end = r->generated;
	if (e->met != STORE_NO_TIME && e->met < end)
		end = e->met;
	k->late = end > e->deadline ? end - e->deadline : 0;
	if (clock == SLA_CLOCK_CLAIM)
		r->breaches_claim++;
	else
		r->breaches_ack++;
}

static int
fill_events(struct store_report *q, struct report *r,
    enum store_report_event kind, struct error *err)
{
	struct store_report_event_row e;
	struct report_ticket *k;
	int rc;

	for (;;) {
		rc = store_report_event_next(q, kind, &e, err);
		if (rc <= 0)
			break;
		if (kind == STORE_EVENT_BREACH) {
			breach_row(r, &e);
			continue;
		}
		k = report_tickets_add(&r->stories, e.ticket_id, e.subject,
		    e.customer, NULL, e.actor);
		k->at = e.at;
	}
	return rc;
}

/*
 * Bound [*from, *to) by the data: nothing is created after today, so a
 * period reaching past today's end ends there; one starting before the
 * local day of the first ticket (today without one) starts on that
 * day.  A period left
 * empty by that (all of it before the first ticket or after today)
 * holds nothing: it keeps its start and at most REPORT_DAYS_MAX days.
 */
static int
clamp_period(struct store *st, const struct sla_hours *h, int64_t *from,
    int64_t *to, struct error *err)
{
	int64_t first, lo = *from, hi = *to, today, start;

	if (store_report_first(st, &first, err) < 0)
		return -1;
	today = sla_local_day(h, store_now(st));
	if (hi > sla_day_start(h, today + 1))
		hi = sla_day_start(h, today + 1);
	/* no ticket yet: the first can only come today */
	start = sla_day_start(h,
	    first != STORE_NO_TIME ? sla_local_day(h, first) : today);
	if (lo < start)
		lo = start;
	if (hi <= lo) {
		lo = *from;
		hi = *to - *from > REPORT_DAYS_MAX * 86400LL ?
			 *from + REPORT_DAYS_MAX * 86400LL :
			 *to;
	}
	*from = lo;
	*to = hi;
	return 0;
}

int
report_fill_prev(struct store *st, struct report *r, struct error *err)
{
	struct store_report *q = NULL;
	struct store_report_ticket t;
	struct report_funnel f = { 0 };
	int64_t from = r->from - (r->to - r->from);
	int rc;

	rc = store_report_open(st, from, r->from, r->mailbox, &q, err);
	while (rc >= 0 && (rc = store_report_ticket_next(q, &t, err)) > 0)
		funnel_row(&f, &t);
	store_report_close(&q);
	if (rc < 0)
		return -1;
	r->has_prev = 1;
	r->prev_from = from;
	r->prev = f;
	return 0;
}

int
report_fill(struct store *st, int64_t from, int64_t to, const char *mailbox,
    const struct sla_hours *hours, struct report *r_r, struct error *err)
{
	return report_fill_in(st, from, to, mailbox, hours, NULL, NULL, r_r,
	    err);
}

int
report_fill_in(struct store *st, int64_t from, int64_t to, const char *mailbox,
    const struct sla_hours *hours, const struct sla_hours *zone,
    struct progress *progress, struct report *r_r, struct error *err)
{
	/* local days in the zone; the hours' own without one */
	const struct sla_hours *day_zone = zone != NULL ? zone : hours;

	struct store_report *q = NULL;
	struct report r;
	int rc;

	if (to <= from)
		return error_set(err, ERR_USAGE, "report: empty period");
	if (clamp_period(st, day_zone, &from, &to, err) < 0)
		return -1;
	rc = store_report_open(st, from, to, mailbox, &q, err);
	if (rc < 0)
		return -1;
	report_init(&r, from, to);
	r.generated = store_now(st);
	r.mailbox = xstrdup_or_null(mailbox);
	r.hours = hours != NULL ? xstrdup(sla_hours_spec(hours)) : NULL;
	r.zone = zone;
	rc = fill_tickets(q, &r, hours, day_zone, progress, err);
	if (rc == 0)
		rc = fill_waits(q, &r, err);
	if (rc == 0)
		rc = fill_counts(q, &r, STORE_COUNT_MAILBOX, err);
	if (rc == 0)
		rc = fill_counts(q, &r, STORE_COUNT_TAG, err);
	if (rc == 0)
		rc = fill_events(q, &r, STORE_EVENT_STORY, err);
	if (rc == 0)
		rc = fill_events(q, &r, STORE_EVENT_BREACH, err);
	store_report_close(&q);
	if (rc < 0) {
		report_clear(&r);
		return -1;
	}
	*r_r = r;
	return 0;
}

/* One open ticket into the digest's lists. */
static void
digest_ticket(struct report_digest *d, const struct sla_policy *p,
    const struct store_sla_ticket *t, int64_t now)
{
	struct report_ticket *k;
	struct sla_ticket sla;
	struct sla_result res;
	const char *owner = t->owner != NULL ? t->owner : t->route;

	if (t->state == STATE_NEW)
		report_counts_add(&d->unclaimed, t->queue, 1);
	sla_store_ticket(t, &sla);
	sla_evaluate(p, &sla, now, &res);
	if (res.status == SLA_OK)
		return;
	k = report_tickets_add(res.status == SLA_BREACHED ? &d->breached :
							    &d->at_risk,
	    t->id, t->subject, t->customer, NULL, owner);
	k->clock = xstrdup(sla_clock_name(res.clock));
	k->at = res.deadline;
	if (res.status == SLA_BREACHED)
		k->late = now - res.deadline;
}

int
report_digest_fill(struct store *st, const struct sla_policy *p, int64_t now,
    struct report_digest *d_r, struct error *err)
{
	struct store_sla_ticket *v = NULL;
	struct report_digest d;
	struct report day;
	size_t n = 0;
	int r;

	report_digest_init(&d, now);
	report_init(&day, 0, 0);
	d.yesterday_day = sla_local_day(p->hours, now) - 1;
	d.day_from = sla_day_start(p->hours, d.yesterday_day);
	d.day_to = sla_day_start(p->hours, d.yesterday_day + 1);
	d.hours = p->hours != NULL ? xstrdup(sla_hours_spec(p->hours)) : NULL;
	r = report_fill(st, d.day_from, d.day_to, NULL, p->hours, &day, err);
	for (int64_t after = 0; r == 0;) {
		r = store_sla_due(st, after, STORE_SLA_PAGE, &v, &n, err);
		if (r < 0)
			break;
		for (size_t i = 0; i < n; i++)
			digest_ticket(&d, p, &v[i], now);
		if (n > 0)
			after = v[n - 1].id;
		store_sla_tickets_free(&v, n);
		if (n < STORE_SLA_PAGE)
			break;
	}
	if (r < 0) {
		report_digest_clear(&d);
		goto out;
	}
	d.yesterday = day.funnel;
	d.yesterday_breaches = (int64_t)day.breaches.n;
	*d_r = d;
out:
	report_clear(&day);
	store_sla_tickets_free(&v, n);
	return r;
}
