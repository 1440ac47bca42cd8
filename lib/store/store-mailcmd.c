/*
 * What applying mail commands needs from the store (lib/work/mailcmd.c): a
 * unit of work spanning several workflow calls, so the commands of one
 * mail apply all or none, and answer rows in the outbox with the count
 * that caps answers per sender and day.
 */
#include "store-private.h"
#include "store-outbox.h"

#include <stdlib.h>
#include <string.h>

int
store_unit_begin(struct store *st, struct error *err)
{
	return store_tx_enter(st, err);
}

int
store_unit_end(struct store *st, int ok, struct error *err)
{
	if (st->depth == 0)
		return error_set(err, ERR_USAGE, "no unit of work open");
	return store_tx_leave(st, ok, err);
}

int
store_queue_answer(struct store *st, int64_t ticket_id, int64_t message_row,
    const char *rcpt, const char *text, int64_t *id_r, struct error *err)
{
	if (ticket_id <= 0 || rcpt == NULL || *rcpt == '\0' || text == NULL)
		return error_set(err, ERR_USAGE,
		    "answer: a ticket, a "
		    "recipient and a text are required");
	return store_outbox_add(st,
	    &(struct store_outbox_new){ .ticket_id = ticket_id,
		.kind = "answer",
		.message_row = message_row,
		.rcpt = rcpt,
		.note = text },
	    id_r, err);
}

int
store_answers_since(struct store *st, const char *rcpt, int64_t since,
    int64_t *n_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT count(*) FROM outbox"
	    " WHERE kind = 'answer' AND rcpt = ? AND created >= ?",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, rcpt);
	db_bind_int64(s, 2, since);
	if (db_step(s) != DB_ROW)
		r = store_sqlerr(st, err, "count answers");
	else
		*n_r = db_col_int64(s, 0);
	store_release(st, &s);
	return r;
}

int
store_message_copies(struct store *st, int64_t message_row, int64_t *n_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT count(*) FROM messages o"
	    " JOIN messages m ON m.message_id = o.message_id"
	    " WHERE m.id = ?1 AND o.id < ?1",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, message_row);
	if (db_step(s) != DB_ROW)
		r = store_sqlerr(st, err, "count copies");
	else
		*n_r = db_col_int64(s, 0);
	store_release(st, &s);
	return r;
}

int
store_answer_get(struct store *st, int64_t outbox_id, struct store_answer *a_r,
    struct error *err)
{
	struct store_answer a = { 0 };
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT o.id, o.ticket_id, o.rcpt, o.note,"
	    " m.message_id, m.refs, coalesce(m.subject, t.subject)"
	    " FROM outbox o JOIN tickets t ON t.id = o.ticket_id"
	    " LEFT JOIN messages m ON m.id = o.message_id"
	    " WHERE o.id = ? AND o.kind = 'answer'",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, outbox_id);
	if (db_step(s) != DB_ROW) {
		r = error_set(err, ERR_NOTFOUND, "no answer in outbox row %lld",
		    (long long)outbox_id);
	} else {
		a.id = db_col_int64(s, 0);
		a.ticket_id = db_col_int64(s, 1);
		a.rcpt = store_col_text(s, 2);
		a.text = store_col_text(s, 3);
		a.in_reply_to = store_col_text(s, 4);
		a.refs = store_col_text(s, 5);
		a.subject = store_col_text(s, 6);
		*a_r = a;
	}
	store_release(st, &s);
	return r;
}

void
store_answer_clear(struct store_answer *a)
{
	free(a->rcpt);
	free(a->text);
	free(a->in_reply_to);
	free(a->refs);
	free(a->subject);
	memset(a, 0, sizeof(*a));
}
