/*
 * The store's side of the SLA clocks: which open tickets a clock runs
 * on, and the reminder written exactly once (event + outbox row in one
 * transaction).  The decision itself is lib/work/sla.c's sla_evaluate;
 * the last reminder is read back from the ticket's newest sla-breach
 * event's columns, so the audit log is the only record and cannot
 * disagree with it.
 */
#include "store-private.h"
#include "store-outbox.h"

#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "store-report.h"
#include "xalloc.h"

#define SLA_COLUMNS \
	"SELECT t.id, t.state, t.created, t.routed_at, t.subject, t.queue," \
	" t.owner, t.route, t.customer," \
	" (SELECT min(b.mailbox) FROM ticket_mailboxes b" \
	"  WHERE b.ticket_id = t.id)," \
	" (SELECT max(e.at) FROM events e WHERE e.ticket_id = t.id" \
	"  AND e.kind IN ('reopen', 'unclaim'))," \
	" r.sla_clock, r.sla_since" \
	" FROM tickets t LEFT JOIN events r ON r.id = (SELECT e.id" \
	"  FROM events e WHERE e.ticket_id = t.id AND e.kind = 'sla-breach'" \
	"  ORDER BY e.id DESC LIMIT 1)"

enum {
	SC_ID,
	SC_STATE,
	SC_CREATED,
	SC_ROUTED,
	SC_SUBJECT,
	SC_QUEUE,
	SC_OWNER,
	SC_ROUTE,
	SC_CUSTOMER,
	SC_MAILBOX,
	SC_REOPENED,
	SC_REMINDED_CLOCK,
	SC_REMINDED_SINCE,
};

/* events.sla_clock's words, by enum store_sla_clock. */
static const char *const clock_names[] = { NULL, "claim", "acknowledge" };

/* "claim" "acknowledge"; NULL for STORE_SLA_NONE. */
static const char *
store_sla_clock_name(enum store_sla_clock c)
{
	return c == STORE_SLA_CLAIM || c == STORE_SLA_ACK ? clock_names[c] :
							    NULL;
}

enum store_sla_clock
store_sla_clock_parse(const char *s)
{
	if (s == NULL)
		return STORE_SLA_NONE;
	if (strcmp(s, clock_names[STORE_SLA_CLAIM]) == 0)
		return STORE_SLA_CLAIM;
	if (strcmp(s, clock_names[STORE_SLA_ACK]) == 0)
		return STORE_SLA_ACK;
	return STORE_SLA_NONE;
}

/* One row of SLA_COLUMNS into *t (strings owned by *t). */
static void
sla_row(struct db_stmt *s, struct store_sla_ticket *t)
{
	const char *state = db_col_text(s, SC_STATE);

	memset(t, 0, sizeof(*t));
	t->id = db_col_int64(s, SC_ID);
	t->subject = store_col_text(s, SC_SUBJECT);
	t->queue = store_col_text(s, SC_QUEUE);
	t->owner = store_col_text(s, SC_OWNER);
	t->route = store_col_text(s, SC_ROUTE);
	t->customer = store_col_text(s, SC_CUSTOMER);
	t->mailbox = store_col_text(s, SC_MAILBOX);
	t->since = db_col_int64(s, SC_CREATED);
	if (state == NULL || store_state_parse(state, &t->state) < 0)
		t->state = STATE_CLOSED;
	if (t->state == STATE_ROUTED) {
		if (!db_col_is_null(s, SC_ROUTED))
			t->since = db_col_int64(s, SC_ROUTED);
	} else if (t->state == STATE_NEW) {
		if (db_col_int64(s, SC_REOPENED) > t->since)
			t->since = db_col_int64(s, SC_REOPENED);
	}
	/* No reminder yet, or one whose clock is unknown: none recorded. */
	t->reminded_clock =
	    store_sla_clock_parse(db_col_text(s, SC_REMINDED_CLOCK));
	if (t->reminded_clock != STORE_SLA_NONE)
		t->reminded_since = db_col_int64(s, SC_REMINDED_SINCE);
}

static void
sla_ticket_clear(struct store_sla_ticket *t)
{
	free(t->subject);
	free(t->queue);
	free(t->owner);
	free(t->route);
	free(t->customer);
	free(t->mailbox);
}

void
store_sla_tickets_free(struct store_sla_ticket **vp, size_t n)
{
	struct store_sla_ticket *v = *vp;

	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		sla_ticket_clear(&v[i]);
	free(v);
	*vp = NULL;
}

void
store_set_accounts(struct store *st, const struct accounts *a)
{
	st->accounts = a;
}

int
store_sla_due(struct store *st, int64_t after, size_t limit,
    struct store_sla_ticket **v_r, size_t *n_r, struct error *err)
{
	struct store_sla_ticket *v = NULL;
	struct db_stmt *s = NULL;
	size_t n = 0, alloc = 0;
	int r, rc;

	r = store_prepare(st, &s,
	    SLA_COLUMNS " WHERE t.state IN ('new', 'routed') AND t.id > ?"
			" ORDER BY t.id LIMIT ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, after);
	db_bind_int64(s, 2,
	    limit > 0 && limit <= INT64_MAX ? (int64_t)limit : STORE_NO_LIMIT);
	for (;;) {
		rc = db_step(s);
		if (rc != DB_ROW)
			break;
		if (n == alloc) {
			alloc = alloc != 0 ? alloc * 2 : 16;
			v = xreallocarray(v, alloc, sizeof(*v));
		}
		sla_row(s, &v[n++]);
	}
	store_release(st, &s);
	if (rc != DB_DONE) {
		store_sla_tickets_free(&v, n);
		return store_sqlerr(st, err, "sla tickets");
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

/* The ticket as store_sla_due would list it; ERR_NOTFOUND if none. */
static int
sla_load(struct store *st, int64_t id, struct store_sla_ticket *t,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r, rc;

	r = store_prepare(st, &s, SLA_COLUMNS " WHERE t.id = ?", err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	rc = db_step(s);
	if (rc == DB_ROW)
		sla_row(s, t);
	else if (rc == DB_DONE)
		r = error_set(err, ERR_NOTFOUND, "no ticket #%" PRId64, id);
	else
		r = store_sqlerr(st, err, "sla ticket");
	store_release(st, &s);
	return r;
}

/* The sla-breach event: typed columns, and the detail for people. */
static int
breach_event(struct store *st, int64_t id, enum store_sla_clock clock,
    int64_t since, int64_t deadline, const char *to, struct error *err)
{
	struct db_stmt *s = NULL;
	char since_s[32], due_s[32], detail[1024];
	int r;

	/* the words STORE_SLA_DETAIL gives, made here for both backends */
	store_format_time(since, "", since_s, sizeof(since_s));
	store_format_time(deadline, "", due_s, sizeof(due_s));
	snprintf(detail, sizeof(detail), "%s since %s due %s%s%.900s",
	    store_sla_clock_name(clock), since_s, due_s,
	    to != NULL ? " to " : "", to != NULL ? to : "");
	r = store_prepare(st, &s,
	    "INSERT INTO events (ticket_id, at, actor,"
	    " source, kind, detail, sla_clock, sla_since, sla_deadline,"
	    " sla_rcpt) VALUES (?1, ?2, 'triaged', 'daemon', 'sla-breach',"
	    " ?7, ?3, ?4, ?5, ?6)",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 7, detail);
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, store_now(st));
	store_bind_text(s, 3, store_sla_clock_name(clock));
	db_bind_int64(s, 4, since);
	db_bind_int64(s, 5, deadline);
	store_bind_text(s, 6, to);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "sla-breach event");
	store_release(st, &s);
	return r;
}

/*
 * On PostgreSQL, lock ticket `id`'s row until the transaction ends
 * (SQLite's one writer does it there).
 */
static int
lock_ticket(struct store *st, int64_t id, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	if (db_backend(st->db) != DB_PG)
		return 0;
	r = store_prepare(st, &s,
	    "SELECT id FROM tickets WHERE id = ?1 FOR UPDATE", err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	r = store_step_row(st, s, "sla ticket lock", err);
	store_release(st, &s);
	if (r == 0)
		return error_set(err, ERR_NOTFOUND, "no ticket #%" PRId64, id);
	return r < 0 ? -1 : 0;
}

/* Inside the unit of work: check the clock, then write both rows. */
static int
remind_step(struct store *st, int64_t id, enum store_sla_clock clock,
    int64_t since, int64_t deadline, const char *to, const char *text,
    int *sent_r, struct error *err)
{
	struct store_sla_ticket t;
	enum store_sla_clock running;
	int r;

	/* two SLA passes at once (a leader whose lease ran out, and the
	   next): the second waits here and then sees the reminder */
	r = lock_ticket(st, id, err);
	if (r == 0)
		r = sla_load(st, id, &t, err);
	if (r < 0)
		return -1;
	running = t.state == STATE_NEW	  ? STORE_SLA_CLAIM :
		  t.state == STATE_ROUTED ? STORE_SLA_ACK :
					    STORE_SLA_NONE;
	*sent_r = 0;
	/* Stopped or re-armed meanwhile, or reminded already: nothing. */
	if (running != clock || t.since != since ||
	    (t.reminded_clock == clock && t.reminded_since == since))
		goto out;
	r = breach_event(st, id, clock, since, deadline, to, err);
	if (r == 0)
		r = store_outbox_add(st,
		    &(struct store_outbox_new){ .ticket_id = id,
			.kind = "reminder",
			.rcpt = to,
			.note = text },
		    NULL, err);
	if (r == 0)
		*sent_r = 1;
out:
	sla_ticket_clear(&t);
	return r;
}

int
store_sla_remind(struct store *st, int64_t id, enum store_sla_clock clock,
    int64_t since, int64_t deadline, const char *to, const char *text,
    int *sent_r, struct error *err)
{
	int r, sent = 0;

	if (clock != STORE_SLA_CLAIM && clock != STORE_SLA_ACK)
		return error_set(err, ERR_USAGE, "remind: no clock");
	if (to == NULL || *to == '\0' || text == NULL)
		return error_set(err, ERR_USAGE,
		    "remind: no recipient or no text");
	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = remind_step(st, id, clock, since, deadline, to, text, &sent, err);
	if (store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	if (r == 0)
		*sent_r = sent;
	return r;
}
