/*
 * The weekly report mail's rows: weekly_reports (one per week, keyed by
 * the instant its report fell due) and its outbox row, written together,
 * so a restart neither loses a week nor queues it twice.  The mail
 * itself is an outbox row of kind "report" about no ticket, sent by the
 * outbox sender.  See store-outbox.h.
 */
#include "store-private.h"
#include "store-outbox.h"

int
store_weekly_last(struct store *st, int64_t *due_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT coalesce(max(due), 0)"
	    " FROM weekly_reports",
	    err);
	if (r < 0)
		return -1;
	if (db_step(s) == DB_ROW)
		*due_r = db_col_int64(s, 0);
	else
		r = store_sqlerr(st, err, "last weekly report");
	store_release(st, &s);
	return r;
}

/* Record week `due` (outbox row `outbox_id`, 0: none); *added_r. */
static int
record_week(struct store *st, int64_t due, int64_t outbox_id, int *added_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "INSERT INTO weekly_reports (due, outbox_id, created)"
	    " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, due);
	if (outbox_id > 0)
		db_bind_int64(s, 2, outbox_id);
	db_bind_int64(s, 3, store_now(st));
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "record weekly report");
	else
		*added_r = db_changes(st->db) > 0;
	store_release(st, &s);
	return r;
}

int
store_weekly_queue(struct store *st, const char *rcpt, const char *note,
    const char *html, int64_t *outbox_id_r, struct error *err)
{
	const struct store_outbox_new o = { .kind = "report",
		.rcpt = rcpt,
		.note = note,
		.html = html };

	return store_outbox_add(st, &o, outbox_id_r, err);
}

int
store_weekly_add(struct store *st, int64_t due, const char *rcpt,
    const char *note, const char *html, int64_t *outbox_id_r, struct error *err)
{
	int64_t id = 0;
	int added = 0, r;

	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	if (rcpt != NULL)
		r = store_weekly_queue(st, rcpt, note, html, &id, err);
	if (r == 0)
		r = record_week(st, due, id, &added, err);
	/* a week recorded already: the row just queued goes again */
	if (store_tx_leave(st, r == 0 && added, err) < 0 && r == 0 && added)
		r = -1;
	if (r == 0)
		*outbox_id_r = added ? id : 0;
	return r;
}
