/*
 * A report's rows from the database, read from indexes in one pass each
 * (schema 14): the tickets created in the period from tickets_created;
 * the counts per mailbox and per tag from ticket_mailboxes_mailbox and
 * tags_tag in key order, each ticket looked up in a bitmap of the
 * period's tickets instead of joining a million rows; the period's
 * story and sla-breach events from events_kind_at, their tickets
 * looked up in ticket order, and when each breach was met from sla_met
 * (schema 16) in event order.  Nothing
 * is computed here: lib/work/report-fill.c makes the figures; see
 * store-report.h for what each row holds.
 */
#include "store-private.h"

#include <stdlib.h>
#include <string.h>

#include "store-report.h"
#include "xalloc.h"

/*
 * The period's tickets, ?1 from, ?2 to.  The actors and the first
 * response are columns kept by triggers (schema version 3), so this
 * reads one index entry per ticket; the mailbox is the bitmap's.
 */
static const char sql_tickets[] =
    "SELECT t.created, t.claimed_at, t.routed_at, t.acked_at, t.queue,"
    " t.qualified, t.claimed_by, t.routed_by, t.qualified_by,"
    " t.first_response_at, t.id"
    " FROM tickets t WHERE t.created >= ?1 AND t.created < ?2"
    " AND t.state NOT IN ('ignored', 'merged')";

/*
 * Time waited on the customer by the period's tickets that waited
 * (schema 15), a wait still running counted up to ?3, now.
 */
static const char sql_waits[] =
    "SELECT t.waited + CASE WHEN t.state = 'waiting'"
    " THEN CASE WHEN ?3 - t.wait_since < 0 THEN 0"
    "  ELSE ?3 - t.wait_since END ELSE 0 END, t.id"
    " FROM tickets t WHERE t.created >= ?1 AND t.created < ?2"
    " AND t.state NOT IN ('ignored', 'merged')"
    " AND (t.waited > 0 OR t.state = 'waiting')";

/* The tickets of mailbox ?1. */
static const char sql_in_mailbox[] =
    "SELECT ticket_id FROM ticket_mailboxes WHERE mailbox = ?1";

/* Every (key, ticket) pair in key order, for the counts. */
static const char sql_mailboxes[] =
    "SELECT mailbox, ticket_id FROM ticket_mailboxes ORDER BY mailbox";
static const char sql_tags[] = "SELECT tag, ticket_id FROM tags ORDER BY tag";

/*
 * The period's events of one kind (?3).  A breach without a clock
 * (schema 8 could not read its old detail) is no breach we can show.
 */
static const char sql_events[] =
    "SELECT id, ticket_id, at, actor, sla_clock, sla_since, sla_deadline,"
    " sla_rcpt FROM events WHERE kind = ?3 AND at >= ?1 AND at < ?2"
    " AND ticket_id IS NOT NULL"
    " AND (?3 <> 'sla-breach' OR sla_clock IS NOT NULL)";

/*
 * When the breaches of events ?1 to ?2 were met (schema 16, kept by a
 * trigger), by event id.
 */
static const char sql_met[] = "SELECT event_id, at FROM sla_met"
			      " WHERE event_id BETWEEN ?1 AND ?2";

/* Event's ticket ?1. */
static const char sql_event_ticket[] =
    "SELECT subject, customer, queue FROM tickets WHERE id = ?1";

/* At most 2 GiB mapped (SQLite's own cap on 64-bit Linux). */
static const char sql_map[] = "PRAGMA mmap_size = 2147418112";

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

/* A set of ticket ids (rowids, so positive), one bit each. */
struct idset {
	uint64_t *w; /* owned */
	size_t n;    /* words */
};

/*
 * The strings of an event list, copied into blocks freed together (a
 * year's breaches are 100,000s of rows of five strings each).
 */
#define ARENA_BLOCK (64 * 1024)

struct arena {
	char **blocks; /* owned, each owned */
	size_t n;
	size_t used; /* in the last block */
	size_t size; /* of the last block */
};

/* A copy of column i of s in a, or NULL for NULL. */
static char *
arena_col(struct arena *a, struct db_stmt *s, int i)
{
	const char *v = db_col_text(s, i);
	size_t len;
	char *p;

	if (v == NULL)
		return NULL;
	len = (size_t)db_col_bytes(s, i) + 1;
	if (a->n == 0 || a->size - a->used < len) {
		a->size = len > ARENA_BLOCK ? len : ARENA_BLOCK;
		a->blocks =
		    xreallocarray(a->blocks, a->n + 1, sizeof(*a->blocks));
		a->blocks[a->n++] = xmalloc(a->size);
		a->used = 0;
	}
	p = a->blocks[a->n - 1] + a->used;
	memcpy(p, v, len);
	a->used += len;
	return p;
}

static void
arena_clear(struct arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->blocks[i]);
	free(a->blocks);
	memset(a, 0, sizeof(*a));
}

/* A count list's row, or an event list's; an event's strings are in the
 * list's arena. */
struct count {
	char *key;
	int64_t n;
};

struct event {
	int64_t id, ticket_id, at, since, deadline, met;
	enum store_sla_clock clock;
	char *actor, *rcpt, *subject, *customer, *queue;
};

struct store_report {
	struct store *st; /* foreign */
	int64_t from, to;
	char *mailbox;	     /* owned; NULL: every mailbox */
	struct idset in_box; /* the mailbox's tickets, when one is given */
	struct idset period; /* the period's tickets (of the mailbox) */
	int period_ok;	     /* 1: `period` is complete */
	int own_tx;	     /* 1: we opened the read transaction */
	enum list list;
	struct db_stmt *s;    /* the ticket list's statement, or NULL */
	struct count *counts; /* a count list, read from `next` on */
	struct event *events; /* an event list, read from `next` on */
	struct arena strings; /* the event list's */
	size_t n, next;
};

static void
idset_add(struct idset *set, int64_t id)
{
	size_t w = (size_t)id / 64;

	if (id < 0)
		return;
	if (w >= set->n) {
		size_t n = set->n > 0 ? set->n : 1024;

		while (n <= w)
			n *= 2;
		set->w = xreallocarray(set->w, n, sizeof(*set->w));
		memset(set->w + set->n, 0, (n - set->n) * sizeof(*set->w));
		set->n = n;
	}
	set->w[w] |= (uint64_t)1 << (id % 64);
}

static int
idset_has(const struct idset *set, int64_t id)
{
	size_t w = (size_t)id / 64;

	return id >= 0 && w < set->n && (set->w[w] >> (id % 64) & 1);
}

static void
idset_clear(struct idset *set)
{
	if (set->n > 0)
		memset(set->w, 0, set->n * sizeof(*set->w));
}

/* Is ticket `id` one of the mailbox's (any, without a mailbox)? */
static int
in_mailbox(const struct store_report *q, int64_t id)
{
	return q->mailbox == NULL || idset_has(&q->in_box, id);
}

static const char *
col_str(struct db_stmt *s, int i)
{
	return db_col_text(s, i);
}

static int64_t
col_time(struct db_stmt *s, int i)
{
	if (db_col_is_null(s, i))
		return STORE_NO_TIME;
	return db_col_int64(s, i);
}

int
store_report_first(struct store *st, int64_t *first_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	/* min() over the tickets_created index: one step, not a scan */
	r = store_prepare(st, &s, "SELECT min(created) FROM tickets", err);
	if (r < 0)
		return -1;
	r = db_step(s);
	if (r == DB_ROW) {
		*first_r = col_time(s, 0);
		r = 0;
	} else {
		r = store_sqlerr(st, err, "first ticket");
	}
	store_release(st, &s);
	return r;
}

/* The mailbox's tickets into q->in_box. */
static int
load_mailbox(struct store_report *q, struct error *err)
{
	struct db_stmt *s = NULL;
	int rc;

	if (store_prepare(q->st, &s, sql_in_mailbox, err) < 0)
		return -1;
	store_bind_text(s, 1, q->mailbox);
	while ((rc = db_step(s)) == DB_ROW)
		idset_add(&q->in_box, db_col_int64(s, 0));
	if (rc != DB_DONE)
		store_sqlerr(q->st, err, "report mailbox");
	store_release(q->st, &s);
	return rc == DB_DONE ? 0 : -1;
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
	/*
	 * Pages read through a memory map, not a pread each into the page
	 * cache: a year's report reads most of a million tickets' indexes
	 * (from the next read transaction on; undone at close, so that a
	 * long-lived process maps nothing between reports).
	 */
	if (q->own_tx && db_backend(st->db) == DB_SQLITE &&
	    store_exec(st, sql_map, err) < 0) {
		q->own_tx = 0;
		store_report_close(&q);
		return -1;
	}
	if (q->own_tx && db_begin(st->db, DB_TX_READ) != DB_OK) {
		store_sqlerr(st, err, "exec");
		q->own_tx = 0;
		store_report_close(&q);
		return -1;
	}
	if (q->mailbox != NULL && load_mailbox(q, err) < 0) {
		store_report_close(&q);
		return -1;
	}
	*q_r = q;
	return 0;
}

/* Give back the list in hand, if any. */
static void
list_end(struct store_report *q)
{
	store_release(q->st, &q->s);
	for (size_t i = 0; q->counts != NULL && i < q->n; i++)
		free(q->counts[i].key);
	arena_clear(&q->strings);
	free(q->counts);
	free(q->events);
	q->counts = NULL;
	q->events = NULL;
	q->n = q->next = 0;
	q->list = LIST_NONE;
}

void
store_report_close(struct store_report **qp)
{
	struct store_report *q = *qp;

	if (q == NULL)
		return;
	list_end(q);
	if (q->own_tx) {
		db_commit(q->st->db);
		if (db_backend(q->st->db) == DB_SQLITE)
			db_exec(q->st->db, "PRAGMA mmap_size = 0");
	}
	free(q->in_box.w);
	free(q->period.w);
	free(q->mailbox);
	free(q);
	*qp = NULL;
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
	TC_ID,
};

/*
 * Step the ticket list (starting it unless it is the one in hand): 1 a
 * row of the mailbox in q->s, 0 done, -1 failed (err set).  A list read
 * to its end leaves q->period complete.
 */
static int
tickets_step(struct store_report *q, struct error *err)
{
	int rc;

	if (q->list != LIST_TICKETS) {
		list_end(q);
		idset_clear(&q->period);
		q->period_ok = 0;
		if (store_prepare(q->st, &q->s, sql_tickets, err) < 0)
			return -1;
		q->list = LIST_TICKETS;
		db_bind_int64(q->s, 1, q->from);
		db_bind_int64(q->s, 2, q->to);
	}
	while ((rc = db_step(q->s)) == DB_ROW) {
		int64_t id = db_col_int64(q->s, TC_ID);

		if (!in_mailbox(q, id))
			continue;
		idset_add(&q->period, id);
		return 1;
	}
	if (rc != DB_DONE)
		store_sqlerr(q->st, err, "report");
	list_end(q);
	q->period_ok = rc == DB_DONE;
	return rc == DB_DONE ? 0 : -1;
}

/* q->period complete, reading the ticket list through if need be. */
static int
period_load(struct store_report *q, struct error *err)
{
	int rc;

	if (q->period_ok)
		return 0;
	while ((rc = tickets_step(q, err)) > 0)
		;
	return rc;
}

int
store_report_ticket_next(struct store_report *q,
    struct store_report_ticket *row_r, struct error *err)
{
	struct db_stmt *s;
	int rc;

	rc = tickets_step(q, err);
	if (rc <= 0)
		return rc;
	s = q->s;
	row_r->created = db_col_int64(s, TC_CREATED);
	row_r->claimed_at = col_time(s, TC_CLAIMED);
	row_r->routed_at = col_time(s, TC_ROUTED);
	row_r->acked_at = col_time(s, TC_ACKED);
	row_r->response_at = col_time(s, TC_RESPONSE);
	row_r->queue = col_str(s, TC_QUEUE);
	row_r->qualified = db_col_int(s, TC_QUALIFIED);
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

	if (store_schema_version(q->st) < 15)
		return 0; /* nobody could wait before */
	if (q->list != LIST_WAITS) {
		list_end(q);
		if (store_prepare(q->st, &q->s, sql_waits, err) < 0)
			return -1;
		q->list = LIST_WAITS;
		db_bind_int64(q->s, 1, q->from);
		db_bind_int64(q->s, 2, q->to);
		db_bind_int64(q->s, 3, store_now(q->st));
	}
	while ((rc = db_step(q->s)) == DB_ROW) {
		if (!in_mailbox(q, db_col_int64(q->s, 1)))
			continue;
		*secs_r = db_col_int64(q->s, 0);
		return 1;
	}
	if (rc != DB_DONE)
		store_sqlerr(q->st, err, "report");
	list_end(q);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * The counts of `sql`'s keys over the period's tickets into q->counts,
 * in key order (the rows come in it), keys without one left out.
 */
static int
counts_load(struct store_report *q, const char *sql, struct error *err)
{
	struct db_stmt *s = NULL;
	size_t alloc = 0;
	int rc;

	if (store_prepare(q->st, &s, sql, err) < 0)
		return -1;
	while ((rc = db_step(s)) == DB_ROW) {
		const char *key = col_str(s, 0);

		if (key == NULL || !idset_has(&q->period, db_col_int64(s, 1)))
			continue;
		if (q->n == 0 || strcmp(q->counts[q->n - 1].key, key) != 0) {
			if (q->n == alloc) {
				alloc = alloc > 0 ? alloc * 2 : 16;
				q->counts = xreallocarray(q->counts, alloc,
				    sizeof(*q->counts));
			}
			q->counts[q->n].key = xstrdup(key);
			q->counts[q->n++].n = 0;
		}
		q->counts[q->n - 1].n++;
	}
	if (rc != DB_DONE)
		store_sqlerr(q->st, err, "report counts");
	store_release(q->st, &s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_report_count_next(struct store_report *q, enum store_report_count by,
    struct store_report_count_row *row_r, struct error *err)
{
	enum list list = by == STORE_COUNT_TAG ? LIST_TAGS : LIST_MAILBOXES;

	if (q->list != list) {
		if (period_load(q, err) < 0)
			return -1;
		list_end(q);
		q->list = list;
		if (counts_load(q, list == LIST_TAGS ? sql_tags : sql_mailboxes,
			err) < 0) {
			list_end(q);
			return -1;
		}
	}
	if (q->next == q->n) {
		list_end(q);
		return 0;
	}
	row_r->key = q->counts[q->next].key;
	row_r->n = q->counts[q->next++].n;
	return 1;
}

/* Column indexes of sql_events. */
enum {
	EC_ID,
	EC_TICKET,
	EC_AT,
	EC_ACTOR,
	EC_CLOCK,
	EC_SINCE,
	EC_DEADLINE,
	EC_RCPT,
};

static int
event_by_ticket(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->ticket_id != y->ticket_id)
		return (x->ticket_id > y->ticket_id) -
		       (x->ticket_id < y->ticket_id);
	return (x->id > y->id) - (x->id < y->id);
}

static int
event_by_id(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/* The period's events of `kind` on the mailbox's tickets into q->events. */
static int
events_scan(struct store_report *q, const char *kind, struct error *err)
{
	struct db_stmt *s = NULL;
	size_t alloc = 0;
	int rc;

	if (store_prepare(q->st, &s, sql_events, err) < 0)
		return -1;
	db_bind_int64(s, 1, q->from);
	db_bind_int64(s, 2, q->to);
	store_bind_text(s, 3, kind);
	while ((rc = db_step(s)) == DB_ROW) {
		struct event *e;

		if (!in_mailbox(q, db_col_int64(s, EC_TICKET)))
			continue;
		if (q->n == alloc) {
			alloc = alloc > 0 ? alloc * 2 : 64;
			q->events =
			    xreallocarray(q->events, alloc, sizeof(*q->events));
		}
		e = &q->events[q->n++];
		memset(e, 0, sizeof(*e));
		e->id = db_col_int64(s, EC_ID);
		e->ticket_id = db_col_int64(s, EC_TICKET);
		e->at = db_col_int64(s, EC_AT);
		e->actor = arena_col(&q->strings, s, EC_ACTOR);
		e->clock = store_sla_clock_parse(col_str(s, EC_CLOCK));
		e->since = col_time(s, EC_SINCE);
		e->deadline = col_time(s, EC_DEADLINE);
		e->rcpt = arena_col(&q->strings, s, EC_RCPT);
		e->met = STORE_NO_TIME;
	}
	if (rc != DB_DONE)
		store_sqlerr(q->st, err, "report events");
	store_release(q->st, &s);
	return rc == DB_DONE ? 0 : -1;
}

/*
 * The ticket of each event looked up in ticket order (neighbouring
 * pages, whatever order the events came in); events of a ticket gone
 * are dropped.  Then by event id.
 */
static int
events_complete(struct store_report *q, struct error *err)
{
	struct db_stmt *s = NULL;
	size_t kept = 0;
	int r;

	if (q->n == 0)
		return 0;
	qsort(q->events, q->n, sizeof(*q->events), event_by_ticket);
	r = store_prepare(q->st, &s, sql_event_ticket, err);
	for (size_t i = 0; r == 0 && i < q->n; i++) {
		struct event *e = &q->events[i];

		db_reset(s);
		db_bind_int64(s, 1, e->ticket_id);
		r = store_step_row(q->st, s, "report event", err);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		r = 0;
		e->subject = arena_col(&q->strings, s, 0);
		e->customer = arena_col(&q->strings, s, 1);
		e->queue = arena_col(&q->strings, s, 2);
		q->events[kept++] = *e;
	}
	store_release(q->st, &s);
	if (r < 0)
		return -1;
	q->n = kept;
	qsort(q->events, q->n, sizeof(*q->events), event_by_id);
	return 0;
}

/*
 * When each of the breaches in q->events (by id) was met: the rows of
 * sla_met over their ids, merged in id order.
 */
static int
events_met(struct store_report *q, struct error *err)
{
	struct db_stmt *s = NULL;
	size_t i = 0;
	int rc;

	if (q->n == 0)
		return 0;
	if (store_prepare(q->st, &s, sql_met, err) < 0)
		return -1;
	db_bind_int64(s, 1, q->events[0].id);
	db_bind_int64(s, 2, q->events[q->n - 1].id);
	while ((rc = db_step(s)) == DB_ROW) {
		int64_t id = db_col_int64(s, 0);

		while (i < q->n && q->events[i].id < id)
			i++;
		if (i < q->n && q->events[i].id == id)
			q->events[i].met = db_col_int64(s, 1);
	}
	if (rc != DB_DONE)
		store_sqlerr(q->st, err, "report breaches");
	store_release(q->st, &s);
	return rc == DB_DONE ? 0 : -1;
}

int
store_report_event_next(struct store_report *q, enum store_report_event kind,
    struct store_report_event_row *row_r, struct error *err)
{
	int breach = kind == STORE_EVENT_BREACH;
	enum list list = breach ? LIST_BREACHES : LIST_STORIES;
	struct store_report_event_row row = { 0 };
	const struct event *e;

	if (q->list != list) {
		list_end(q);
		q->list = list;
		if (events_scan(q, breach ? "sla-breach" : "story", err) < 0 ||
		    events_complete(q, err) < 0 ||
		    (breach && events_met(q, err) < 0)) {
			list_end(q);
			return -1;
		}
	}
	if (q->next == q->n) {
		list_end(q);
		return 0;
	}
	e = &q->events[q->next++];
	row.ticket_id = e->ticket_id;
	row.at = e->at;
	row.actor = e->actor;
	row.subject = e->subject;
	row.customer = e->customer;
	row.clock = e->clock;
	row.since = e->since;
	row.deadline = e->deadline;
	row.rcpt = e->rcpt;
	row.met = e->met;
	row.queue = e->queue;
	*row_r = row;
	return 1;
}
