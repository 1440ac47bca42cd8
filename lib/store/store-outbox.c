/*
 * The outbox table: the one writer of new rows, and for the sender the
 * due rows and one committed record per attempt.  See store-outbox.h for
 * the life of a row.
 */
#include "store-private.h"
#include "store-outbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int
store_outbox_add(struct store *st, const struct store_outbox_new *o,
    int64_t *id_r, struct error *err)
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

int
store_outbox_due(struct store *st, size_t limit, struct store_outbox **rows_r,
    size_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    SELECT_ROWS
	    " WHERE o.state = 'pending' AND o.next_attempt <= ? ORDER BY o.id"
	    " LIMIT ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, store_now(st));
	db_bind_int64(s, 2, limit != 0 ? (int64_t)limit : DUE_DEFAULT);
	r = collect(st, s, rows_r, n_r, err);
	store_release(st, &s);
	return r;
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
 * Run one UPDATE ... RETURNING ticket_id of row `id` with ?1 = id,
 * ?2 = now, ?3 = `text`, ?4 = `value` (each statement uses those it
 * needs; binding an unused one is a no-op), then add event `kind` (NULL: none) with `detail`; all one
 * unit of work.  ERR_NOTFOUND when the update touched no row.
 */
static int
update_row(struct store *st, int64_t id, const char *sql, const char *text,
    int64_t value, const char *kind, const char *detail,
    const struct store_actor *a, struct error *err)
{
	struct db_stmt *s = NULL;
	int64_t ticket = 0;
	int r, rc, ok = 0;

	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = store_prepare(st, &s, sql, err);
	if (r < 0)
		goto out;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, store_now(st));
	store_bind_text(s, 3, text);
	db_bind_int64(s, 4, value);
	rc = db_step(s);
	if (rc != DB_ROW) {
		if (rc == DB_DONE)
			r = error_set(err, ERR_NOTFOUND,
			    "outbox row %" PRId64 " is not in a state for that",
			    id);
		else
			r = store_sqlerr(st, err, "outbox update");
		goto out;
	}
	ticket = db_col_int64(s, 0);
	store_release(st, &s);
	/* a report is about no ticket: its row is its whole record */
	if (kind != NULL && ticket > 0)
		r = store_add_event(st, ticket, a, kind, detail, err);
	ok = r == 0;
out:
	store_release(st, &s);
	if (store_tx_leave(st, ok, err) < 0)
		r = -1;
	return r;
}

int
store_outbox_progress(struct store *st, int64_t id, int parts_sent, int done,
    const char *detail, struct error *err)
{
	struct store_outbox row = { 0 };
	char ev[600];
	int r;

	if (!done)
		return update_row(st, id,
		    "UPDATE outbox SET parts_sent = ?4"
		    " WHERE id = ?1 AND state = 'pending' AND ?3 IS NULL"
		    " RETURNING ticket_id",
		    NULL, parts_sent, NULL, NULL, &daemon_actor, err);
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
	r = update_row(st, id,
	    "UPDATE outbox SET parts_sent = ?4,"
	    " state = 'sent', sent_at = ?2, last_error = ?3"
	    " WHERE id = ?1 AND state = 'pending' RETURNING ticket_id",
	    NULL, parts_sent,
	    strcmp(row.kind, "forward") == 0  ? "forwarded" :
	    strcmp(row.kind, "reminder") == 0 ? "reminded" :
						"answered",
	    ev, &daemon_actor, err);
	store_outbox_clear(&row);
	return r;
}

int
store_outbox_retry(struct store *st, int64_t id, int64_t next_attempt,
    const char *error, struct error *err)
{
	return update_row(st, id,
	    "UPDATE outbox SET attempts = attempts + 1,"
	    " next_attempt = ?4, last_error = ?3"
	    " WHERE id = ?1 AND state = 'pending' RETURNING ticket_id",
	    error, next_attempt, NULL, NULL, &daemon_actor, err);
}

int
store_outbox_defer(struct store *st, int64_t id, int64_t next_attempt,
    const char *why, struct error *err)
{
	return update_row(st, id,
	    "UPDATE outbox SET next_attempt = ?4,"
	    " last_error = ?3 WHERE id = ?1 AND state = 'pending'"
	    " RETURNING ticket_id",
	    why, next_attempt, NULL, NULL, &daemon_actor, err);
}

int
store_outbox_fail(struct store *st, int64_t id, const char *error,
    struct error *err)
{
	char ev[700];

	snprintf(ev, sizeof(ev), "outbox row %" PRId64 ": %s", id, error);
	return update_row(st, id,
	    "UPDATE outbox SET attempts = attempts + 1,"
	    " state = 'failed', last_error = ?3"
	    " WHERE id = ?1 AND state = 'pending' RETURNING ticket_id",
	    error, 0, "forward-failed", ev, &daemon_actor, err);
}

int
store_outbox_skip(struct store *st, int64_t id, const char *why,
    struct error *err)
{
	char ev[700];

	snprintf(ev, sizeof(ev), "outbox row %" PRId64 ": %s", id, why);
	return update_row(st, id,
	    "UPDATE outbox SET state = 'skipped',"
	    " last_error = ?3 WHERE id = ?1 AND state = 'pending'"
	    " RETURNING ticket_id",
	    why, 0, "forward-skipped", ev, &daemon_actor, err);
}

int
store_outbox_requeue(struct store *st, int64_t id, const char *actor,
    struct error *err)
{
	const struct store_actor a = { actor, STORE_SRC_CLI };
	struct store_outbox row = { 0 };
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
	return update_row(st, id,
	    "UPDATE outbox SET state = 'pending',"
	    " attempts = 0, next_attempt = ?2, created = ?2"
	    " WHERE id = ?1 AND state IN ('pending', 'failed')"
	    " RETURNING ticket_id",
	    NULL, 0, "forward-retry", ev, &a, err);
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
