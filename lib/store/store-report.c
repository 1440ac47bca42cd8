/*
 * The report's figures from the database: a few indexed queries over the
 * tickets created in the period (tickets_created), and the period's
 * story and sla-breach events (events_kind_at).  Durations, days and
 * per-BDR rows are computed here in C from one pass over the tickets;
 * see store-report.h for what each figure counts.
 */
#include "store-private.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store-report.h"
#include "xalloc.h"

/*
 * The period's tickets.  ?1 from, ?2 to, ?3 mailbox or NULL.  The
 * actors and the first response are columns kept by triggers (schema
 * version 3), so this reads one row per ticket.
 */
#define PERIOD_WHERE \
	" t.created >= ?1 AND t.created < ?2 AND t.state <> 'ignored'" \
	" AND (?3 IS NULL OR EXISTS (SELECT 1 FROM ticket_mailboxes x" \
	"  WHERE x.ticket_id = t.id AND x.mailbox = ?3))"

static const char sql_tickets[] =
    "SELECT t.created, t.claimed_at, t.routed_at, t.acked_at, t.queue,"
    " t.qualified, t.claimed_by, t.routed_by, t.qualified_by,"
    " t.first_response_at"
    " FROM tickets t WHERE" PERIOD_WHERE;

static const char sql_mailboxes[] =
    "SELECT b.mailbox, count(*) FROM tickets t"
    " JOIN ticket_mailboxes b ON b.ticket_id = t.id"
    " WHERE" PERIOD_WHERE " GROUP BY b.mailbox";

static const char sql_tags[] =
    "SELECT g.tag, count(*) FROM tickets t"
    " JOIN tags g ON g.ticket_id = t.id"
    " WHERE" PERIOD_WHERE " GROUP BY g.tag";

/*
 * The period's events of one kind (?4) on the mailbox's tickets.  For a
 * breach, the first later event that ends its clock: a claim or a
 * (rule's) route ends the claim clock, an ack or a reopen the
 * acknowledge clock, a close either; no other one can follow while the
 * clock runs.
 */
static const char sql_events[] =
    "SELECT e.ticket_id, e.at, e.actor, e.detail, t.subject, t.customer,"
    " (SELECT min(y.at) FROM events y WHERE y.ticket_id = e.ticket_id"
    "  AND y.id > e.id AND y.kind IN ('claim', 'route', 'ack', 'reopen',"
    "  'close'))"
    " FROM events e JOIN tickets t ON t.id = e.ticket_id"
    " WHERE e.kind = ?4 AND e.at >= ?1 AND e.at < ?2"
    " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM ticket_mailboxes x"
    "  WHERE x.ticket_id = t.id AND x.mailbox = ?3))"
    " ORDER BY e.id";

static int
period_prepare(struct store *st, sqlite3_stmt **s_r, const char *sql,
    int64_t from, int64_t to, const char *mailbox, struct error *err)
{
	int r;

	r = store_prepare(st, s_r, sql, err);
	if (r < 0)
		return -1;
	sqlite3_bind_int64(*s_r, 1, from);
	sqlite3_bind_int64(*s_r, 2, to);
	store_bind_text(*s_r, 3, mailbox);
	return 0;
}

/* Step to the next row: 1 a row, 0 done, -1 failed (err set). */
static int
step(struct store *st, sqlite3_stmt *s, struct error *err)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return store_sqlerr(st, err, "report");
}

static const char *
col_str(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Per-day counts, every local day of the period, zeros too. */
struct days {
	int64_t first;
	int64_t *n;	/* owned */
	size_t count;
};

static void
days_init(struct days *d, const struct sla_hours *h, int64_t from,
    int64_t to)
{
	d->first = sla_local_day(h, from);
	d->count = (size_t)(sla_local_day(h, to - 1) - d->first + 1);
	d->n = xcalloc(d->count, sizeof(*d->n));
}

static void
days_flush(struct days *d, struct report *r)
{
	char key[16];

	for (size_t i = 0; i < d->count; i++) {
		time_t t = (time_t)((d->first + (int64_t)i) * 86400);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(key, sizeof(key), "%Y-%m-%d", &tm);
		report_counts_add(&r->by_day, key, d->n[i]);
	}
	free(d->n);
	d->n = NULL;
}

/* A duration from `a` to `b` when both happened in that order. */
static int
span(sqlite3_stmt *s, int ia, int ib, int64_t *a_r, int64_t *b_r)
{
	if (sqlite3_column_type(s, ia) == SQLITE_NULL ||
	    sqlite3_column_type(s, ib) == SQLITE_NULL)
		return 0;
	*a_r = sqlite3_column_int64(s, ia);
	*b_r = sqlite3_column_int64(s, ib);
	return *b_r >= *a_r;
}

static void
add_span(struct report_durations *d, const struct sla_hours *h, int64_t a,
    int64_t b)
{
	report_durations_add(d, b - a, sla_business_seconds(h, a, b));
}

/* Column indexes of sql_tickets. */
enum {
	TC_CREATED, TC_CLAIMED, TC_ROUTED, TC_ACKED, TC_QUEUE, TC_QUALIFIED,
	TC_CLAIMER, TC_ROUTER, TC_QUALIFIER, TC_RESPONSE,
};

static void
ticket_row(struct report *r, sqlite3_stmt *s, const struct sla_hours *h,
    struct days *days)
{
	int64_t a, b, day;
	int qualified = sqlite3_column_int(s, TC_QUALIFIED);
	const char *who;

	r->tickets++;
	r->funnel.received++;
	a = sqlite3_column_int64(s, TC_CREATED);
	day = sla_local_day(h, a) - days->first;
	if (day >= 0 && (size_t)day < days->count)
		days->n[day]++;
	report_counts_add(&r->by_queue, col_str(s, TC_QUEUE), 1);
	if (span(s, TC_CREATED, TC_CLAIMED, &a, &b)) {
		r->funnel.claimed++;
		add_span(&r->times[REPORT_TO_CLAIM], h, a, b);
		who = col_str(s, TC_CLAIMER);
		if (who != NULL) {
			struct report_bdr *bdr = report_bdr(r, who);

			bdr->claimed++;
			add_span(&bdr->to_claim, h, a, b);
		}
	}
	if (span(s, TC_CREATED, TC_ROUTED, &a, &b)) {
		r->funnel.routed++;
		add_span(&r->times[REPORT_TO_ROUTE], h, a, b);
		who = col_str(s, TC_ROUTER);
		if (who != NULL) {
			struct report_bdr *bdr = report_bdr(r, who);

			bdr->routed++;
			add_span(&bdr->to_route, h, a, b);
		}
	}
	if (span(s, TC_ROUTED, TC_ACKED, &a, &b)) {
		r->funnel.acknowledged++;
		add_span(&r->times[REPORT_TO_ACK], h, a, b);
	}
	if (span(s, TC_CREATED, TC_RESPONSE, &a, &b))
		add_span(&r->times[REPORT_TO_RESPONSE], h, a, b);
	if (qualified == 0)
		return;
	if (qualified > 0)
		r->funnel.qualified++;
	else
		r->funnel.disqualified++;
	who = col_str(s, TC_QUALIFIER);
	if (who == NULL)
		return;
	if (qualified > 0)
		report_bdr(r, who)->qualified++;
	else
		report_bdr(r, who)->disqualified++;
}

static int
fill_tickets(struct store *st, struct report *r, const char *mailbox,
    const struct sla_hours *h, struct error *err)
{
	sqlite3_stmt *s = NULL;
	struct days days;
	int rc;

	days_init(&days, h, r->from, r->to);
	rc = period_prepare(st, &s, sql_tickets, r->from, r->to, mailbox,
	    err);
	while (rc == 0) {
		rc = step(st, s, err);
		if (rc <= 0)
			break;
		ticket_row(r, s, h, &days);
		rc = 0;
	}
	store_release(st, &s);
	days_flush(&days, r);
	return rc;
}

static int
fill_counts(struct store *st, struct report *r, const char *sql,
    const char *mailbox, int tags, struct error *err)
{
	static const char competitor[] = "competitor:";
	sqlite3_stmt *s = NULL;
	int rc;

	rc = period_prepare(st, &s, sql, r->from, r->to, mailbox, err);
	while (rc == 0) {
		const char *key;
		int64_t n;

		rc = step(st, s, err);
		if (rc <= 0)
			break;
		rc = 0;
		key = col_str(s, 0);
		n = sqlite3_column_int64(s, 1);
		if (!tags) {
			report_counts_add(&r->by_mailbox, key, n);
			continue;
		}
		report_counts_add(&r->by_tag, key, n);
		if (strcmp(key, "ee-lead") == 0)
			r->ee_leads += n;
		if (strncmp(key, competitor, sizeof(competitor) - 1) == 0 &&
		    key[sizeof(competitor) - 1] != '\0')
			report_counts_add(&r->competitors,
			    key + sizeof(competitor) - 1, n);
	}
	store_release(st, &s);
	return rc;
}

/* Column indexes of sql_events. */
enum {
	EC_TICKET, EC_AT, EC_ACTOR, EC_DETAIL, EC_SUBJECT, EC_CUSTOMER,
	EC_MET,
};

static void
breach_row(struct report *r, sqlite3_stmt *s)
{
	struct report_ticket *k;
	enum sla_clock clock;
	int64_t since, deadline, end = r->to;
	const char *to;
	int rc;

	/* A detail we cannot read is not a breach we can show. */
	rc = store_sla_detail_parse(col_str(s, EC_DETAIL), &clock, &since,
	    &deadline, &to);
	if (rc < 0)
		return;
	k = report_tickets_add(&r->breaches, sqlite3_column_int64(s,
	    EC_TICKET), col_str(s, EC_SUBJECT), col_str(s, EC_CUSTOMER),
	    NULL, to);
	k->clock = xstrdup(sla_clock_name(clock));
	k->at = deadline;
	if (r->generated < end)
		end = r->generated;
	if (sqlite3_column_type(s, EC_MET) != SQLITE_NULL &&
	    sqlite3_column_int64(s, EC_MET) < end)
		end = sqlite3_column_int64(s, EC_MET);
	k->late = end > deadline ? end - deadline : 0;
	if (clock == SLA_CLOCK_CLAIM)
		r->breaches_claim++;
	else
		r->breaches_ack++;
}

static int
fill_events(struct store *st, struct report *r, const char *mailbox,
    const char *kind, struct error *err)
{
	sqlite3_stmt *s = NULL;
	int rc, breach = strcmp(kind, "sla-breach") == 0;

	rc = period_prepare(st, &s, sql_events, r->from, r->to, mailbox, err);
	if (rc == 0)
		store_bind_text(s, 4, kind);
	while (rc == 0) {
		struct report_ticket *k;

		rc = step(st, s, err);
		if (rc <= 0)
			break;
		rc = 0;
		if (breach) {
			breach_row(r, s);
			continue;
		}
		k = report_tickets_add(&r->stories, sqlite3_column_int64(s,
		    EC_TICKET), col_str(s, EC_SUBJECT), col_str(s,
		    EC_CUSTOMER), NULL, col_str(s, EC_ACTOR));
		k->at = sqlite3_column_int64(s, EC_AT);
	}
	store_release(st, &s);
	return rc;
}

int
store_report_fill(struct store *st, int64_t from, int64_t to,
    const char *mailbox, const struct sla_hours *hours, struct report *r_r,
    struct error *err)
{
	struct report r;
	int rc, own_tx;

	if (to <= from)
		return error_set(err, ERR_USAGE, "report: empty period");
	report_init(&r, from, to);
	r.generated = store_now(st);
	r.mailbox = xstrdup_or_null(mailbox);
	r.hours = hours != NULL ? xstrdup(sla_hours_spec(hours)) : NULL;
	/*
	 * One read transaction, so every figure sees the same database
	 * (unless the caller has one open already).
	 */
	own_tx = st->depth == 0;
	rc = own_tx ? store_exec(st, "BEGIN", err) : 0;
	if (rc < 0)
		goto out;
	rc = fill_tickets(st, &r, mailbox, hours, err);
	if (rc == 0)
		rc = fill_counts(st, &r, sql_mailboxes, mailbox, 0, err);
	if (rc == 0)
		rc = fill_counts(st, &r, sql_tags, mailbox, 1, err);
	if (rc == 0)
		rc = fill_events(st, &r, mailbox, "story", err);
	if (rc == 0)
		rc = fill_events(st, &r, mailbox, "sla-breach", err);
	if (own_tx)
		sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
out:
	if (rc < 0) {
		report_clear(&r);
		return -1;
	}
	*r_r = r;
	return 0;
}
