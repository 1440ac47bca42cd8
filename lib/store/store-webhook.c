/*
 * The webhooks table, for the sender and `triage webhooks`; see
 * store-webhook.h.  Its rows are inserted by store_add_event (store.c).
 */
#include "store-private.h"
#include "store-webhook.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define DUE_DEFAULT 100
#define SELECT_ROWS \
	"SELECT w.id, w.event_id, w.ticket_id, w.url, w.kind, w.state," \
	" w.attempts, coalesce(w.http_status, 0), w.created," \
	" w.next_attempt, coalesce(w.lease_until, 0)," \
	" coalesce(w.delivered_at, 0), w.last_error, e.at, e.actor," \
	" e.source, e.detail FROM webhooks w JOIN events e ON e.id = w.event_id"
/* Due: waiting and its time has come, or leased by a sender now gone. */
#define DUE \
	"((w.state = 'pending' AND w.next_attempt <= ?1)" \
	" OR (w.state = 'sending' AND w.lease_until <= ?1))"

static void
read_row(struct db_stmt *s, struct store_webhook *w)
{
	w->id = db_col_int64(s, 0);
	w->event_id = db_col_int64(s, 1);
	w->ticket_id = db_col_int64(s, 2);
	w->url = store_col_text(s, 3);
	w->kind = store_col_text(s, 4);
	w->state = store_col_text(s, 5);
	w->attempts = db_col_int(s, 6);
	w->http_status = db_col_int(s, 7);
	w->created = db_col_int64(s, 8);
	w->next_attempt = db_col_int64(s, 9);
	w->lease_until = db_col_int64(s, 10);
	w->delivered_at = db_col_int64(s, 11);
	w->last_error = store_col_text(s, 12);
	w->event_at = db_col_int64(s, 13);
	w->actor = store_col_text(s, 14);
	w->source = store_col_text(s, 15);
	w->detail = store_col_text(s, 16);
}

static void
read_any(struct db_stmt *s, void *row)
{
	read_row(s, row);
}

static int
collect(struct store *st, struct db_stmt *s, struct store_webhook **rows_r,
    size_t *n_r, struct error *err)
{
	void *v;

	if (store_collect(st, s, sizeof(**rows_r), read_any, &v, n_r,
		"webhooks", err) < 0) {
		*rows_r = v;
		store_webhook_free(rows_r, *n_r);
		return -1;
	}
	*rows_r = v;
	return 0;
}

int
store_webhook_due(struct store *st, size_t limit, struct store_webhook **rows_r,
    size_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    SELECT_ROWS " WHERE " DUE " ORDER BY w.id LIMIT ?2", err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, store_now(st));
	db_bind_int64(s, 2, limit != 0 ? (int64_t)limit : DUE_DEFAULT);
	r = collect(st, s, rows_r, n_r, err);
	store_release(st, &s);
	return r;
}

int
store_webhook_list(struct store *st, const char *state, size_t limit,
    struct store_webhook **rows_r, size_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    SELECT_ROWS
	    " WHERE (?1 IS NULL AND w.state <> 'delivered') OR ?1 = 'all'"
	    " OR w.state = ?1 ORDER BY w.id DESC LIMIT ?2",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, state);
	db_bind_int64(s, 2, limit != 0 ? (int64_t)limit : STORE_NO_LIMIT);
	r = collect(st, s, rows_r, n_r, err);
	store_release(st, &s);
	return r;
}

/*
 * One UPDATE of row `id` with ?1 = id, ?2 = now, ?3 = a number, ?4 = a
 * number, ?5 = a text, committed on its own.  ERR_NOTFOUND when it
 * touched no row.
 */
static int
update_row(struct store *st, int64_t id, const char *sql, int64_t a, int64_t b,
    const char *text, struct error *err)
{
	struct db_stmt *s = NULL;
	int r, ok = 0;

	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = store_prepare(st, &s, sql, err);
	if (r < 0)
		goto out;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, store_now(st));
	db_bind_int64(s, 3, a);
	db_bind_int64(s, 4, b);
	store_bind_text(s, 5, text);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "webhook update");
	else if (db_changes(st->db) == 0)
		r = error_set(err, ERR_NOTFOUND,
		    "webhook row %" PRId64 " is not in a state for that", id);
	ok = r == 0;
out:
	store_release(st, &s);
	if (store_tx_leave(st, ok, err) < 0)
		r = -1;
	return r;
}

int
store_webhook_lease(struct store *st, int64_t id, int64_t until,
    struct error *err)
{
	return update_row(st, id,
	    "UPDATE webhooks AS w SET state = 'sending', lease_until = ?3"
	    " WHERE w.id = ?1 AND ((w.state = 'pending' AND"
	    " w.next_attempt <= ?2) OR (w.state = 'sending' AND"
	    " w.lease_until <= ?2))",
	    until, 0, NULL, err);
}

int
store_webhook_delivered(struct store *st, int64_t id, int status,
    struct error *err)
{
	return update_row(st, id,
	    "UPDATE webhooks SET state = 'delivered', delivered_at = ?2,"
	    " http_status = ?3, attempts = attempts + 1, last_error = NULL,"
	    " lease_until = NULL WHERE id = ?1 AND state = 'sending'",
	    status, 0, NULL, err);
}

int
store_webhook_retry(struct store *st, int64_t id, int64_t next_attempt,
    int status, const char *error, struct error *err)
{
	return update_row(st, id,
	    "UPDATE webhooks SET state = 'pending', next_attempt = ?4,"
	    " http_status = nullif(?3, 0), attempts = attempts + 1,"
	    " last_error = ?5, lease_until = NULL"
	    " WHERE id = ?1 AND state = 'sending'",
	    status, next_attempt, error, err);
}

int
store_webhook_fail(struct store *st, int64_t id, int status, const char *error,
    struct error *err)
{
	return update_row(st, id,
	    "UPDATE webhooks SET state = 'failed', http_status = nullif(?3, 0),"
	    " attempts = attempts + 1, last_error = ?5, lease_until = NULL"
	    " WHERE id = ?1 AND state = 'sending'",
	    status, 0, error, err);
}

int
store_webhook_requeue(struct store *st, int64_t id, struct error *err)
{
	struct store_webhook *v = NULL;
	struct db_stmt *s = NULL;
	size_t n = 0;
	int r;

	r = store_prepare(st, &s, SELECT_ROWS " WHERE w.id = ?1", err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	r = collect(st, s, &v, &n, err);
	store_release(st, &s);
	if (r < 0)
		return -1;
	if (n == 0)
		r = error_set(err, ERR_NOTFOUND, "no webhook row %" PRId64, id);
	else if (strcmp(v[0].state, "failed") != 0 &&
		 strcmp(v[0].state, "pending") != 0)
		r = error_set(err, ERR_REFUSED,
		    "webhook row %" PRId64 " is %s: %s", id, v[0].state,
		    strcmp(v[0].state, "delivered") == 0 ?
			"it is never sent again" :
			"a sender has it now");
	store_webhook_free(&v, n);
	if (r < 0)
		return -1;
	return update_row(st, id,
	    "UPDATE webhooks SET state = 'pending', attempts = 0,"
	    " next_attempt = ?2, created = ?2"
	    " WHERE id = ?1 AND state IN ('pending', 'failed')",
	    0, 0, NULL, err);
}

static int
one_number(struct store *st, const char *sql, const char *text, int64_t *n_r,
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
		r = store_sqlerr(st, err, "webhooks count");
	store_release(st, &s);
	return r;
}

int
store_webhook_count(struct store *st, const char *state, int64_t *n_r,
    struct error *err)
{
	if (st->version < 13) {
		*n_r = 0;
		return 0;
	}
	return one_number(st, "SELECT count(*) FROM webhooks WHERE state = ?1",
	    state, n_r, err);
}

int
store_webhook_next(struct store *st, int64_t *at_r, struct error *err)
{
	return one_number(st,
	    "SELECT coalesce(min(CASE state WHEN 'pending' THEN next_attempt"
	    " ELSE lease_until END), 0) FROM webhooks"
	    " WHERE state IN ('pending', 'sending')",
	    NULL, at_r, err);
}

void
store_webhook_free(struct store_webhook **rows, size_t n)
{
	if (*rows == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		struct store_webhook *w = &(*rows)[i];

		free(w->url);
		free(w->kind);
		free(w->state);
		free(w->last_error);
		free(w->actor);
		free(w->source);
		free(w->detail);
	}
	free(*rows);
	*rows = NULL;
}
