/*
 * The outbox table: the one writer of new rows, and for the sender the
 * due rows and one committed record per attempt.  See store-outbox.h for
 * the life of a row.
 */
#include "store-private.h"
#include "store-outbox.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store-lease.h"
#include "xalloc.h"

#define DUE_DEFAULT 100
#define SELECT_ROWS \
	"SELECT o.id, o.ticket_id, coalesce(o.message_id, 0), o.kind," \
	" o.route, o.rcpt, o.state, o.attempts, o.parts_sent, o.created," \
	" o.next_attempt, coalesce(o.sent_at, 0), o.last_error, o.note," \
	" coalesce(o.upto_message, 0), coalesce(m.flags, 0), m.from_addr," \
	" m.x_loop, o.html FROM outbox o" \
	" LEFT JOIN messages m ON m.id = o.message_id"

static const struct store_actor daemon_actor = { "triaged", STORE_SRC_DAEMON };

static void
read_row(struct db_stmt *s, struct store_outbox *o)
{
	o->id = db_col_int64(s, 0);
	o->ticket_id = db_col_int64(s, 1);
	o->message_row = db_col_int64(s, 2);
	o->kind = store_col_text(s, 3);
	o->route = store_col_text(s, 4);
	o->rcpt = store_col_text(s, 5);
	o->state = store_col_text(s, 6);
	o->attempts = db_col_int(s, 7);
	o->parts_sent = db_col_int(s, 8);
	o->created = db_col_int64(s, 9);
	o->next_attempt = db_col_int64(s, 10);
	o->sent_at = db_col_int64(s, 11);
	o->last_error = store_col_text(s, 12);
	o->note = store_col_text(s, 13);
	o->upto_message = db_col_int64(s, 14);
	o->msg_flags = (unsigned)db_col_int(s, 15);
	o->msg_from = store_col_text(s, 16);
	o->msg_x_loop = store_col_text(s, 17);
	o->html = store_col_text(s, 18);
}

static int
insert_row(struct store *st, const struct store_outbox_new *o, int64_t *id_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	/* A forward of the whole thread is pinned to the thread as it is
	   now (schema 6); an older schema (a test of its upgrade) has no
	   pin column. */
	r = store_prepare(st, &s,
	    st->version >= 12 ?
		"INSERT INTO outbox (ticket_id, message_id, kind, route, rcpt,"
		" note, created, next_attempt, upto_message, html)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7,"
		" CASE WHEN ?3 = 'forward' AND ?2 IS NULL THEN"
		" (SELECT max(id) FROM messages WHERE ticket_id = ?1) END, ?8)" :
	    st->version >= 6 ?
		"INSERT INTO outbox (ticket_id, message_id, kind, route, rcpt,"
		" note, created, next_attempt, upto_message)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7,"
		" CASE WHEN ?3 = 'forward' AND ?2 IS NULL THEN"
		" (SELECT max(id) FROM messages WHERE ticket_id = ?1) END)" :
		"INSERT INTO outbox (ticket_id, message_id, kind, route, rcpt,"
		" note, created, next_attempt)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
	    err);
	if (r < 0)
		return -1;
	if (o->ticket_id > 0)
		db_bind_int64(s, 1, o->ticket_id);
	if (o->message_row > 0)
		db_bind_int64(s, 2, o->message_row);
	store_bind_text(s, 3, o->kind);
	store_bind_text(s, 4, o->route);
	store_bind_text(s, 5, o->rcpt);
	store_bind_text(s, 6, o->note);
	db_bind_int64(s, 7, store_now(st));
	if (st->version >= 12)
		store_bind_text(s, 8, o->html);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "outbox");
	else if (id_r != NULL)
		*id_r = db_last_insert_id(st->db);
	store_release(st, &s);
	return r;
}

/*
 * The one writer of new rows.  It marks the transaction, so that its
 * COMMIT wakes the senders once (store_tx_leave); outside one it is a
 * transaction of its own, so that no row goes unannounced.
 */
int
store_outbox_add(struct store *st, const struct store_outbox_new *o,
    int64_t *id_r, struct error *err)
{
	int r, own = st->depth == 0;

	if (own && store_tx_enter(st, err) < 0)
		return -1;
	r = insert_row(st, o, id_r, err);
	if (r == 0)
		st->outbox_queued = 1;
	if (own && store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	return r;
}

/* Step a prepared select to the end, collecting rows. */
static void
read_any(struct db_stmt *s, void *row)
{
	read_row(s, row);
}

static int
collect(struct store *st, struct db_stmt *s, struct store_outbox **rows_r,
    size_t *n_r, struct error *err)
{
	void *v;

	if (store_collect(st, s, sizeof(**rows_r), read_any, &v, n_r, "outbox",
		err) < 0) {
		*rows_r = v;
		store_outbox_free(rows_r, *n_r);
		return -1;
	}
	*rows_r = v;
	return 0;
}

/*
 * Due: pending, its next attempt come (?1, the store's clock), and no
 * other sender's send lease live on it (?2: the database's clock in ms,
 * ?3: our owner id).
 */
#define DUE_WHERE \
	" WHERE o.state = 'pending' AND o.next_attempt <= ?1" \
	" AND (o.locked_until <= ?2 OR o.locked_by = ?3)"

int
store_outbox_due(struct store *st, size_t limit, struct store_outbox **rows_r,
    size_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int64_t now_ms;
	int r;

	if (store_db_now_ms(st, &now_ms, err) < 0)
		return -1;
	r = store_prepare(st, &s,
	    SELECT_ROWS DUE_WHERE " ORDER BY o.id LIMIT ?4", err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, store_now(st));
	db_bind_int64(s, 2, now_ms);
	store_bind_text(s, 3, store_owner_id(st));
	db_bind_int64(s, 4, limit != 0 ? (int64_t)limit : DUE_DEFAULT);
	r = collect(st, s, rows_r, n_r, err);
	store_release(st, &s);
	return r;
}

/*
 * In one short transaction: the oldest due row, locked against the
 * other senders' claims (PostgreSQL: FOR UPDATE SKIP LOCKED, so that
 * they take the next row instead of waiting; SQLite: its one writer),
 * its send lease set to us until the database's clock says now +
 * lease_ms.  *id_r 0: none due.
 */
static int
claim_id(struct store *st, int lease_ms, int64_t *id_r, struct error *err)
{
#define CLAIM_SQL "SELECT o.id FROM outbox o" DUE_WHERE " ORDER BY o.id LIMIT 1"
	static const char sql[] = CLAIM_SQL,
			  sql_pg[] = CLAIM_SQL " FOR UPDATE SKIP LOCKED";
#undef CLAIM_SQL
	struct db_stmt *s = NULL;
	int64_t now_ms;
	int r;

	*id_r = 0;
	/* nothing due (the usual answer): no write lock taken, on SQLite
	   none waited for behind the committer's batch */
	r = store_db_now_ms(st, &now_ms, err);
	if (r == 0)
		r = store_prepare(st, &s, sql, err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, store_now(st));
	db_bind_int64(s, 2, now_ms);
	store_bind_text(s, 3, store_owner_id(st));
	r = store_step_row(st, s, "outbox claim", err);
	store_release(st, &s);
	if (r <= 0)
		return r;
	if (store_tx_enter(st, err) < 0)
		return -1;
	r = store_db_now_ms(st, &now_ms, err);
	if (r == 0)
		r = store_prepare(st, &s,
		    db_backend(st->db) == DB_PG ? sql_pg : sql, err);
	if (r < 0)
		goto out;
	db_bind_int64(s, 1, store_now(st));
	db_bind_int64(s, 2, now_ms);
	store_bind_text(s, 3, store_owner_id(st));
	r = store_step_row(st, s, "outbox claim", err);
	if (r > 0)
		*id_r = db_col_int64(s, 0);
	store_release(st, &s);
	if (r <= 0)
		goto out;
	r = store_prepare(st, &s,
	    "UPDATE outbox SET locked_by = ?2, locked_until = ?3 WHERE id = ?1",
	    err);
	if (r < 0)
		goto out;
	db_bind_int64(s, 1, *id_r);
	store_bind_text(s, 2, store_owner_id(st));
	db_bind_int64(s, 3, now_ms + lease_ms);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "outbox claim");
	store_release(st, &s);
out:
	if (store_tx_leave(st, r >= 0, err) < 0)
		r = -1;
	if (r < 0)
		*id_r = 0;
	return r < 0 ? -1 : 0;
}

int
store_outbox_claim(struct store *st, int lease_ms, struct store_outbox *row_r,
    struct error *err)
{
	int64_t id;

	if (claim_id(st, lease_ms, &id, err) < 0)
		return -1;
	if (id == 0)
		return 0;
	st->outbox_lease_ms = lease_ms;
	return store_outbox_get(st, id, row_r, err) < 0 ? -1 : 1;
}

int
store_outbox_list(struct store *st, const char *state, size_t limit,
    struct store_outbox **rows_r, size_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    SELECT_ROWS
	    " WHERE (?1 IS NULL AND o.state IN ('pending', 'failed'))"
	    " OR ?1 = 'all' OR o.state = ?1 ORDER BY o.id DESC LIMIT ?2",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, state);
	db_bind_int64(s, 2, limit != 0 ? (int64_t)limit : STORE_NO_LIMIT);
	r = collect(st, s, rows_r, n_r, err);
	store_release(st, &s);
	return r;
}

int
store_outbox_get(struct store *st, int64_t id, struct store_outbox *row_r,
    struct error *err)
{
	struct store_outbox *v = NULL;
	struct db_stmt *s = NULL;
	size_t n = 0;
	int r;

	r = store_prepare(st, &s, SELECT_ROWS " WHERE o.id = ?", err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	r = collect(st, s, &v, &n, err);
	store_release(st, &s);
	if (r < 0)
		return -1;
	if (n == 0)
		return error_set(err, ERR_NOTFOUND, "no outbox row %" PRId64,
		    id);
	*row_r = v[0];
	free(v);
	return 0;
}

/*
 * A sender's settle is fenced on the row's send lease: it changes the
 * row only while the row's locked_by is us (or nobody: a row never
 * claimed), so a sender whose lease expired and was taken over by
 * another records nothing.  Giving the lease back sets locked_until 0
 * and keeps locked_by, so that such a stale sender still fails the
 * fence after the new holder is done with the row.
 */
#define FENCE " AND (locked_by IS NULL OR locked_by = ?5)"

/*
 * One UPDATE ... RETURNING ticket_id of a row, with ?1 = the row's id,
 * ?2 = now, ?3 = `text`, ?4 = `value`; a fenced one also ?5 = our owner
 * id and, when `extend`, ?6 = the database's clock + the claim's lease.
 */
struct change {
	const char *sql;
	const char *text;
	int64_t value;
	const char *event;  /* added to the ticket; NULL: none */
	const char *detail; /* the event's */
	int fenced;	    /* a sender's settle (FENCE) */
	int extend;	    /* binds ?6 */
};

/* Why a change touched no row: ERR_REFUSED for a lost send lease. */
static int
no_row(struct store *st, int64_t id, const struct change *ch, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	if (ch->fenced && store_prepare(st, &s,
			      "SELECT locked_by FROM outbox WHERE id = ?1"
			      " AND state = 'pending' AND locked_by <> ?2",
			      err) == 0) {
		db_bind_int64(s, 1, id);
		store_bind_text(s, 2, store_owner_id(st));
		r = store_step_row(st, s, "outbox lease", err);
		if (r > 0)
			r = error_set(err, ERR_REFUSED,
			    "outbox row %" PRId64 ": its send lease was taken"
			    " over by %s",
			    id, db_col_text(s, 0));
		store_release(st, &s);
		if (r != 0)
			return -1;
	}
	return error_set(err, ERR_NOTFOUND,
	    "outbox row %" PRId64 " is not in a state for that", id);
}

/* Run change `ch` on row `id` and add its event, all one unit of work. */
static int
update_row(struct store *st, int64_t id, const struct change *ch,
    const struct store_actor *a, struct error *err)
{
	struct db_stmt *s = NULL;
	int64_t ticket = 0, now_ms = 0;
	int r, rc, ok = 0;

	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	if (ch->extend)
		r = store_db_now_ms(st, &now_ms, err);
	if (r == 0)
		r = store_prepare(st, &s, ch->sql, err);
	if (r < 0)
		goto out;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, store_now(st));
	store_bind_text(s, 3, ch->text);
	db_bind_int64(s, 4, ch->value);
	if (ch->fenced)
		store_bind_text(s, 5, store_owner_id(st));
	if (ch->extend)
		db_bind_int64(s, 6, now_ms + st->outbox_lease_ms);
	rc = db_step(s);
	if (rc != DB_ROW) {
		store_release(st, &s);
		if (rc == DB_DONE)
			r = no_row(st, id, ch, err);
		else
			r = store_sqlerr(st, err, "outbox update");
		goto out;
	}
	ticket = db_col_int64(s, 0);
	store_release(st, &s);
	/* a report is about no ticket: its row is its whole record */
	if (ch->event != NULL && ticket > 0)
		r = store_add_event(st, ticket, a, ch->event, ch->detail, err);
	ok = r == 0;
out:
	store_release(st, &s);
	if (store_tx_leave(st, ok, err) < 0)
		r = -1;
	return r;
}

/* A sender's settle of row `id` (fenced), as the daemon. */
static int
settle(struct store *st, int64_t id, const char *sql, const char *text,
    int64_t value, const char *event, const char *detail, struct error *err)
{
	const struct change ch = { sql, text, value, event, detail, 1, 0 };

	return update_row(st, id, &ch, &daemon_actor, err);
}

int
store_outbox_progress(struct store *st, int64_t id, int parts_sent, int done,
    const char *detail, struct error *err)
{
	/* a mail accepted renews the lease for the next one */
	static const struct change part = {
		"UPDATE outbox SET parts_sent = ?4,"
		" locked_until = ?6"
		" WHERE id = ?1 AND state = 'pending'"
		" AND ?3 IS NULL" FENCE " RETURNING ticket_id",
		NULL, 0, NULL, NULL, 1, 1
	};
	struct change ch = part;
	struct store_outbox row = { 0 };
	char ev[600];
	int r;

	if (!done) {
		ch.value = parts_sent;
		ch.extend = st->outbox_lease_ms > 0;
		if (!ch.extend)
			ch.sql = "UPDATE outbox SET parts_sent = ?4"
				 " WHERE id = ?1 AND state = 'pending'"
				 " AND ?3 IS NULL" FENCE " RETURNING ticket_id";
		return update_row(st, id, &ch, &daemon_actor, err);
	}
	r = store_outbox_get(st, id, &row, err);
	if (r < 0)
		return -1;
	if (strcmp(row.kind, "forward") == 0)
		snprintf(ev, sizeof(ev),
		    "%s: outbox row %" PRId64 ", %d mail%s"
		    "%s%s",
		    row.route != NULL ? row.route : "?", id, parts_sent,
		    parts_sent == 1 ? "" : "s", detail != NULL ? ", " : "",
		    detail != NULL ? detail : "");
	else
		snprintf(ev, sizeof(ev), "%s to %s: outbox row %" PRId64 "%s%s",
		    row.kind, row.rcpt != NULL ? row.rcpt : "?", id,
		    detail != NULL ? ", " : "", detail != NULL ? detail : "");
	r = settle(st, id,
	    "UPDATE outbox SET parts_sent = ?4, locked_until = 0,"
	    " state = 'sent', sent_at = ?2, last_error = ?3"
	    " WHERE id = ?1 AND state = 'pending'" FENCE " RETURNING ticket_id",
	    NULL, parts_sent,
	    strcmp(row.kind, "forward") == 0  ? "forwarded" :
	    strcmp(row.kind, "reminder") == 0 ? "reminded" :
						"answered",
	    ev, err);
	store_outbox_clear(&row);
	return r;
}

int
store_outbox_retry(struct store *st, int64_t id, int64_t next_attempt,
    const char *error, struct error *err)
{
	return settle(st, id,
	    "UPDATE outbox SET attempts = attempts + 1, locked_until = 0,"
	    " next_attempt = ?4, last_error = ?3"
	    " WHERE id = ?1 AND state = 'pending'" FENCE " RETURNING ticket_id",
	    error, next_attempt, NULL, NULL, err);
}

int
store_outbox_defer(struct store *st, int64_t id, int64_t next_attempt,
    const char *why, struct error *err)
{
	return settle(st, id,
	    "UPDATE outbox SET next_attempt = ?4, locked_until = 0,"
	    " last_error = ?3 WHERE id = ?1 AND state = 'pending'" FENCE
	    " RETURNING ticket_id",
	    why, next_attempt, NULL, NULL, err);
}

int
store_outbox_fail(struct store *st, int64_t id, const char *error,
    struct error *err)
{
	char ev[700];

	snprintf(ev, sizeof(ev), "outbox row %" PRId64 ": %s", id, error);
	return settle(st, id,
	    "UPDATE outbox SET attempts = attempts + 1, locked_until = 0,"
	    " state = 'failed', last_error = ?3"
	    " WHERE id = ?1 AND state = 'pending'" FENCE " RETURNING ticket_id",
	    error, 0, "forward-failed", ev, err);
}

int
store_outbox_skip(struct store *st, int64_t id, const char *why,
    struct error *err)
{
	char ev[700];

	snprintf(ev, sizeof(ev), "outbox row %" PRId64 ": %s", id, why);
	return settle(st, id,
	    "UPDATE outbox SET state = 'skipped', locked_until = 0,"
	    " last_error = ?3 WHERE id = ?1 AND state = 'pending'" FENCE
	    " RETURNING ticket_id",
	    why, 0, "forward-skipped", ev, err);
}

int
store_outbox_requeue(struct store *st, int64_t id, const char *actor,
    struct error *err)
{
	const struct store_actor a = { actor, STORE_SRC_CLI };
	struct store_outbox row = { 0 };
	struct change ch = { 0 };
	char ev[64];
	int r;

	r = store_outbox_get(st, id, &row, err);
	if (r < 0)
		return -1;
	if (strcmp(row.state, "pending") != 0 &&
	    strcmp(row.state, "failed") != 0) {
		r = error_set(err, ERR_REFUSED,
		    "outbox row %" PRId64 " is %s:"
		    " it is never sent again",
		    id, row.state);
		store_outbox_clear(&row);
		return r;
	}
	store_outbox_clear(&row);
	snprintf(ev, sizeof(ev), "outbox row %" PRId64, id);
	/*
	 * Not fenced: a person's word.  A row a sender holds keeps its
	 * lease (the sender may be inside the SMTP exchange); the senders
	 * are woken, as for a new row.
	 */
	ch.sql = "UPDATE outbox SET state = 'pending',"
		 " attempts = 0, next_attempt = ?2, created = ?2"
		 " WHERE id = ?1 AND state IN ('pending', 'failed')"
		 " RETURNING ticket_id";
	ch.event = "forward-retry";
	ch.detail = ev;
	st->outbox_queued = 1; /* the COMMIT notifies */
	return update_row(st, id, &ch, &a, err);
}

/* One integer from a query with an optional text parameter. */
static int
count_query(struct store *st, const char *sql, const char *text, int64_t *n_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, sql, err);
	if (r < 0)
		return -1;
	if (text != NULL)
		store_bind_text(s, 1, text);
	if (db_step(s) == DB_ROW)
		*n_r = db_col_int64(s, 0);
	else
		r = store_sqlerr(st, err, "outbox count");
	store_release(st, &s);
	return r;
}

int
store_outbox_sent_since(struct store *st, int64_t ticket_id, int64_t since,
    int64_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT count(*) FROM outbox"
	    " WHERE ticket_id = ? AND kind = 'forward' AND state = 'sent'"
	    " AND sent_at >= ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, ticket_id);
	db_bind_int64(s, 2, since);
	if (db_step(s) == DB_ROW)
		*n_r = db_col_int64(s, 0);
	else
		r = store_sqlerr(st, err, "outbox count");
	store_release(st, &s);
	return r;
}

int
store_outbox_count(struct store *st, const char *state, int64_t *n_r,
    struct error *err)
{
	return count_query(st, "SELECT count(*) FROM outbox WHERE state = ?",
	    state, n_r, err);
}

int
store_outbox_next(struct store *st, int64_t *at_r, struct error *err)
{
	return count_query(st,
	    "SELECT coalesce(min(next_attempt), 0)"
	    " FROM outbox WHERE state = 'pending'",
	    NULL, at_r, err);
}

int
store_outbox_release_others(struct store *st, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "UPDATE outbox SET locked_until = 0 WHERE state = 'pending'"
	    " AND locked_until > 0 AND locked_by <> ?1",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, store_owner_id(st));
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "outbox leases");
	store_release(st, &s);
	return r;
}

int
store_outbox_listen(struct store *st, struct error *err)
{
	if (db_backend(st->db) != DB_PG)
		return 0;
	if (db_listen(st->db, STORE_OUTBOX_CHANNEL) != DB_OK)
		return store_sqlerr(st, err, "listen");
	return 1;
}

int
store_outbox_wait(struct store *st, int timeout_ms, struct error *err)
{
	struct pollfd pfd = { .fd = db_wait_fd(st->db), .events = POLLIN };
	int n;

	if (pfd.fd < 0)
		return error_set(err, ERR_TEMP, "no connection to wait on");
	/* notifications read with an earlier answer wait in libpq */
	n = db_notified(st->db);
	if (n == 0 && poll(&pfd, 1, timeout_ms) < 0 && errno != EINTR)
		return error_set(err, ERR_TEMP, "poll: %s", strerror(errno));
	if (n == 0)
		n = db_notified(st->db);
	if (n < 0)
		return store_sqlerr(st, err, "notifications");
	return n;
}

void
store_outbox_clear(struct store_outbox *o)
{
	free(o->kind);
	free(o->route);
	free(o->rcpt);
	free(o->state);
	free(o->last_error);
	free(o->note);
	free(o->msg_from);
	free(o->msg_x_loop);
	free(o->html);
	memset(o, 0, sizeof(*o));
}

void
store_outbox_free(struct store_outbox **rows, size_t n)
{
	if (*rows == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_outbox_clear(&(*rows)[i]);
	free(*rows);
	*rows = NULL;
}
