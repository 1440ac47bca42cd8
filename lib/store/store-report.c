/*
 * A report's rows from the database: a few indexed queries over the
 * tickets created in the period (tickets_created), and the period's
 * story and sla-breach events (events_kind_at), read in one read
 * transaction.  Nothing is computed here: lib/work/report-fill.c makes
 * the figures; see store-report.h for what each row holds.
 */
#include "store-private.h"

#include <stdlib.h>
#include <string.h>

#include "store-report.h"
#include "xalloc.h"

/*
 * The period's tickets.  ?1 from, ?2 to, ?3 mailbox or NULL.  The
 * actors and the first response are columns kept by triggers (schema
 * version 3), so this reads one row per ticket.
 */
#define PERIOD_WHERE \
	" t.created >= ?1 AND t.created < ?2" \
	" AND t.state NOT IN ('ignored', 'merged')" \
	" AND (?3 IS NULL OR EXISTS (SELECT 1 FROM ticket_mailboxes x" \
	"  WHERE x.ticket_id = t.id AND x.mailbox = ?3))"

static const char sql_tickets[] =
    "SELECT t.created, t.claimed_at, t.routed_at, t.acked_at, t.queue,"
    " t.qualified, t.claimed_by, t.routed_by, t.qualified_by,"
    " t.first_response_at"
    " FROM tickets t WHERE" PERIOD_WHERE;

/* Time waited on the customer, per ticket that waited (schema 12). */
static const char sql_waits[] =
    "SELECT t.waited + CASE WHEN t.state = 'waiting'"
    " THEN max(?4 - t.wait_since, 0) ELSE 0 END"
    " FROM tickets t WHERE" PERIOD_WHERE
    " AND (t.waited > 0 OR t.state = 'waiting')";

static const char sql_mailboxes[] =
    "SELECT b.mailbox, count(*) FROM tickets t"
    " JOIN ticket_mailboxes b ON b.ticket_id = t.id"
    " WHERE" PERIOD_WHERE " GROUP BY b.mailbox";

static const char sql_tags[] = "SELECT g.tag, count(*) FROM tickets t"
			       " JOIN tags g ON g.ticket_id = t.id"
			       " WHERE" PERIOD_WHERE " GROUP BY g.tag";

/*
 * The period's events of one kind (?4) on the mailbox's tickets.  For a
 * breach, the first later event that ends its clock: a claim or a
 * (rule's) route ends the claim clock, an ack or a reopen the
 * acknowledge clock, a close either; no other one can follow while the
 * clock runs.  A breach without a clock (schema 8 could not read its
 * old detail) is no breach we can show.
 */
static const char sql_events[] =
    "SELECT e.ticket_id, e.at, e.actor, t.subject, t.customer,"
    " e.sla_clock, e.sla_since, e.sla_deadline, e.sla_rcpt,"
    " (SELECT min(y.at) FROM events y WHERE y.ticket_id = e.ticket_id"
    "  AND y.id > e.id AND y.kind IN ('claim', 'route', 'ack', 'reopen',"
    "  'close')), t.queue"
    " FROM events e JOIN tickets t ON t.id = e.ticket_id"
    " WHERE e.kind = ?4 AND e.at >= ?1 AND e.at < ?2"
    " AND (?4 <> 'sla-breach' OR e.sla_clock IS NOT NULL)"
    " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM ticket_mailboxes x"
    "  WHERE x.ticket_id = t.id AND x.mailbox = ?3))"
    " ORDER BY e.id";

/* The list a report reads now. */
enum list {
	LIST_NONE = 0,
	LIST_TICKETS,
	LIST_MAILBOXES,
	LIST_TAGS,
	LIST_STORIES,
	LIST_BREACHES,
	LIST_WAITS,
};

struct store_report {
	struct store *st; /* foreign */
	int64_t from, to;
	char *mailbox; /* owned; NULL: every mailbox */
	int own_tx;    /* 1: we opened the read transaction */
	enum list list;
	sqlite3_stmt *s; /* the list's statement, or NULL */
};

static const char *
col_str(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static int64_t
col_time(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return STORE_NO_TIME;
	return sqlite3_column_int64(s, i);
}

int
store_report_first(struct store *st, int64_t *first_r, struct error *err)
{
	sqlite3_stmt *s = NULL;
	int r;

	/* min() over the tickets_created index: one step, not a scan */
	r = store_prepare(st, &s, "SELECT min(created) FROM tickets", err);
	if (r < 0)
		return -1;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*first_r = col_time(s, 0);
		r = 0;
	} else {
		r = store_sqlerr(st, err, "first ticket");
	}
	store_release(st, &s);
	return r;
}

int
store_report_open(struct store *st, int64_t from, int64_t to,
    const char *mailbox, struct store_report **q_r, struct error *err)
{
	struct store_report *q;

	if (to <= from)
		return error_set(err, ERR_USAGE, "report: empty period");
	q = xcalloc(1, sizeof(*q));
	q->st = st;
	q->from = from;
	q->to = to;
	q->mailbox = xstrdup_or_null(mailbox);
	/*
	 * One read transaction, so every list sees the same database
	 * (unless the caller has one open already).
	 */
	q->own_tx = st->depth == 0;
	if (q->own_tx && store_exec(st, "BEGIN", err) < 0) {
		free(q->mailbox);
		free(q);
		return -1;
	}
	*q_r = q;
	return 0;
}

void
store_report_close(struct store_report **qp)
{
	struct store_report *q = *qp;

	if (q == NULL)
		return;
	store_release(q->st, &q->s);
	if (q->own_tx)
		sqlite3_exec(q->st->db, "COMMIT", NULL, NULL, NULL);
	free(q->mailbox);
	free(q);
	*qp = NULL;
}

/*
 * Step list `list` (starting it unless it is the one in hand): 1 a row
 * in q->s, 0 done (the statement given back), -1 failed (err set).
 */
static int
list_step(struct store_report *q, enum list list, struct error *err)
{
	static const char *const sql[] = { NULL, sql_tickets, sql_mailboxes,
		sql_tags, sql_events, sql_events, sql_waits };
	int rc;

	if (q->list != list) {
		store_release(q->st, &q->s);
		q->list = LIST_NONE;
		if (store_prepare(q->st, &q->s, sql[list], err) < 0)
			return -1;
		q->list = list;
		sqlite3_bind_int64(q->s, 1, q->from);
		sqlite3_bind_int64(q->s, 2, q->to);
		store_bind_text(q->s, 3, q->mailbox);
		if (list == LIST_STORIES)
			store_bind_text(q->s, 4, "story");
		else if (list == LIST_BREACHES)
			store_bind_text(q->s, 4, "sla-breach");
		else if (list == LIST_WAITS)
			sqlite3_bind_int64(q->s, 4, store_now(q->st));
	}
	rc = sqlite3_step(q->s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		store_sqlerr(q->st, err, "report");
	store_release(q->st, &q->s);
	q->list = LIST_NONE;
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Column indexes of sql_tickets. */
enum {
	TC_CREATED,
	TC_CLAIMED,
	TC_ROUTED,
	TC_ACKED,
	TC_QUEUE,
	TC_QUALIFIED,
	TC_CLAIMER,
	TC_ROUTER,
	TC_QUALIFIER,
	TC_RESPONSE,
};

int
store_report_ticket_next(struct store_report *q,
    struct store_report_ticket *row_r, struct error *err)
{
	sqlite3_stmt *s;
	int rc;

	rc = list_step(q, LIST_TICKETS, err);
	if (rc <= 0)
		return rc;
	s = q->s;
	row_r->created = sqlite3_column_int64(s, TC_CREATED);
	row_r->claimed_at = col_time(s, TC_CLAIMED);
	row_r->routed_at = col_time(s, TC_ROUTED);
	row_r->acked_at = col_time(s, TC_ACKED);
	row_r->response_at = col_time(s, TC_RESPONSE);
	row_r->queue = col_str(s, TC_QUEUE);
	row_r->qualified = sqlite3_column_int(s, TC_QUALIFIED);
	row_r->claimed_by = col_str(s, TC_CLAIMER);
	row_r->routed_by = col_str(s, TC_ROUTER);
	row_r->qualified_by = col_str(s, TC_QUALIFIER);
	return 1;
}

int
store_report_wait_next(struct store_report *q, int64_t *secs_r,
    struct error *err)
{
	int rc;

	if (store_schema_version(q->st) < 12)
		return 0; /* nobody could wait before */
	rc = list_step(q, LIST_WAITS, err);
	if (rc > 0)
		*secs_r = sqlite3_column_int64(q->s, 0);
	return rc;
}

int
store_report_count_next(struct store_report *q, enum store_report_count by,
    struct store_report_count_row *row_r, struct error *err)
{
	int rc;

	rc = list_step(q, by == STORE_COUNT_TAG ? LIST_TAGS : LIST_MAILBOXES,
	    err);
	if (rc <= 0)
		return rc;
	row_r->key = col_str(q->s, 0);
	row_r->n = sqlite3_column_int64(q->s, 1);
	return 1;
}

/* Column indexes of sql_events. */
enum {
	EC_TICKET,
	EC_AT,
	EC_ACTOR,
	EC_SUBJECT,
	EC_CUSTOMER,
	EC_CLOCK,
	EC_SINCE,
	EC_DEADLINE,
	EC_RCPT,
	EC_MET,
	EC_QUEUE,
};

int
store_report_event_next(struct store_report *q, enum store_report_event kind,
    struct store_report_event_row *row_r, struct error *err)
{
	struct store_report_event_row row = { 0 };
	sqlite3_stmt *s;
	int rc;

	rc = list_step(q,
	    kind == STORE_EVENT_BREACH ? LIST_BREACHES : LIST_STORIES, err);
	if (rc <= 0)
		return rc;
	s = q->s;
	row.ticket_id = sqlite3_column_int64(s, EC_TICKET);
	row.at = sqlite3_column_int64(s, EC_AT);
	row.actor = col_str(s, EC_ACTOR);
	row.subject = col_str(s, EC_SUBJECT);
	row.customer = col_str(s, EC_CUSTOMER);
	row.clock = store_sla_clock_parse(col_str(s, EC_CLOCK));
	row.since = col_time(s, EC_SINCE);
	row.deadline = col_time(s, EC_DEADLINE);
	row.rcpt = col_str(s, EC_RCPT);
	row.met = col_time(s, EC_MET);
	row.queue = col_str(s, EC_QUEUE);
	*row_r = row;
	return 1;
}
