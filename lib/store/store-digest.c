/*
 * The store's side of the SLA wiring (lib/work/sla-run.c): the daily digest's
 * table.  (Reminder rows are outbox rows, sent by the outbox.)
 *
 * A digest is about no one ticket, so it cannot be an outbox row
 * (outbox.ticket_id is NOT NULL).  sla_digests keeps one row per local
 * day instead: written (with the mail's text) before the mail is sent,
 * marked sent after the server took it.  A restart finds the day's row
 * and never makes a second digest for that day; a row still pending is
 * sent again.
 */
#include "store-private.h"

#include <stdlib.h>
#include <string.h>

#include "store-report.h"
#include "xalloc.h"

int
store_digest_last(struct store *st, int64_t *day_r, int64_t *created_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT day, created FROM sla_digests"
	    " ORDER BY day DESC LIMIT 1",
	    err);
	if (r < 0)
		return -1;
	r = db_step(s);
	if (r == DB_ROW) {
		*day_r = db_col_int64(s, 0);
		*created_r = db_col_int64(s, 1);
		r = 0;
	} else if (r == DB_DONE) {
		*day_r = 0;
		*created_r = 0;
		r = 0;
	} else {
		r = store_sqlerr(st, err, "last digest");
	}
	store_release(st, &s);
	return r;
}

int
store_digest_add(struct store *st, int64_t day, const char *rcpt,
    const char *text, int *added_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "INSERT INTO sla_digests (day, created, rcpt, text)"
	    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, day);
	db_bind_int64(s, 2, store_now(st));
	store_bind_text(s, 3, rcpt);
	store_bind_text(s, 4, text);
	if (db_step(s) != DB_DONE) {
		r = store_sqlerr(st, err, "add digest");
	} else {
		*added_r = db_changes(st->db) > 0;
		r = 0;
	}
	store_release(st, &s);
	return r;
}

int
store_digest_pending(struct store *st, struct store_digest_row *row_r,
    int *found_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT day, rcpt, text, attempts"
	    " FROM sla_digests WHERE state = 'pending'"
	    " ORDER BY day DESC LIMIT 1",
	    err);
	if (r < 0)
		return -1;
	r = db_step(s);
	if (r == DB_ROW) {
		row_r->day = db_col_int64(s, 0);
		row_r->rcpt = store_col_text(s, 1);
		row_r->text = store_col_text(s, 2);
		row_r->attempts = db_col_int(s, 3);
		*found_r = 1;
		r = 0;
	} else if (r == DB_DONE) {
		*found_r = 0;
		r = 0;
	} else {
		r = store_sqlerr(st, err, "pending digest");
	}
	store_release(st, &s);
	return r;
}

void
store_digest_row_clear(struct store_digest_row *row)
{
	free(row->rcpt);
	free(row->text);
	memset(row, 0, sizeof(*row));
}

int
store_digest_done(struct store *st, int64_t day, const char *error,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	if (error == NULL)
		r = store_prepare(st, &s,
		    "UPDATE sla_digests SET state ="
		    " 'sent', sent_at = ?2, last_error = NULL WHERE day = ?1",
		    err);
	else
		r = store_prepare(st, &s,
		    "UPDATE sla_digests SET attempts ="
		    " attempts + 1, last_error = ?3 WHERE day = ?1",
		    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, day);
	db_bind_int64(s, 2, store_now(st));
	store_bind_text(s, 3, error);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "record digest");
	store_release(st, &s);
	return r;
}
