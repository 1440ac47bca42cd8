/*
 * Merging a ticket into another: the duplicate threading missed (a reply
 * without reply headers under a translated subject).  Its messages,
 * tags, hits, participants, mailboxes and awaited references move to
 * the target; its events stay where they were written (the log is
 * append-only) and show with the target's (store-query.c reads both);
 * it becomes a 'merged' stub whose merged_into names the target, and
 * mail threading into it later joins the target (store_follow_merge).
 */
#include "store-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Each moves one kind of row from ticket ?1 to ticket ?2. */
static const char *const moves[] = {
	"UPDATE messages SET ticket_id = ?2 WHERE ticket_id = ?1",
	"UPDATE hits SET ticket_id = ?2 WHERE ticket_id = ?1",
	"INSERT INTO tags (ticket_id, tag)"
	" SELECT ?2, tag FROM tags WHERE ticket_id = ?1"
	" ON CONFLICT DO NOTHING",
	"DELETE FROM tags WHERE ticket_id = ?1",
	"INSERT INTO participants (ticket_id, address)"
	" SELECT ?2, address FROM participants WHERE ticket_id = ?1"
	" ON CONFLICT DO NOTHING",
	"INSERT INTO ticket_mailboxes (ticket_id, mailbox)"
	" SELECT ?2, mailbox FROM ticket_mailboxes WHERE ticket_id = ?1"
	" ON CONFLICT DO NOTHING",
	"INSERT INTO awaited (message_id, ticket_id)"
	" SELECT message_id, ?2 FROM awaited WHERE ticket_id = ?1"
	" ON CONFLICT DO NOTHING",
	"DELETE FROM awaited WHERE ticket_id = ?1",
	"INSERT INTO score_signals (ticket_id, rule, dim)"
	" SELECT ?2, rule, dim FROM score_signals WHERE ticket_id = ?1"
	" ON CONFLICT DO NOTHING",
	/* the scores of both; the stub keeps its own for the record */
	"UPDATE tickets SET"
	" score_budget = score_budget + (SELECT score_budget FROM tickets"
	"  WHERE id = ?1),"
	" score_authority = score_authority + (SELECT score_authority"
	"  FROM tickets WHERE id = ?1),"
	" score_need = score_need + (SELECT score_need FROM tickets"
	"  WHERE id = ?1),"
	" score_timeline = score_timeline + (SELECT score_timeline"
	"  FROM tickets WHERE id = ?1),"
	" score_fit = score_fit + (SELECT score_fit FROM tickets"
	"  WHERE id = ?1),"
	" created = (SELECT CASE WHEN o.created < tickets.created"
	"  THEN o.created ELSE tickets.created END FROM tickets o"
	"  WHERE o.id = ?1),"
	" customer = coalesce(customer, (SELECT customer FROM tickets"
	"  WHERE id = ?1)),"
	" updated = ?3 WHERE id = ?2",
	"UPDATE tickets SET state = 'merged', merged_into = ?2,"
	" wait_since = NULL, wait_until = NULL, closed_at = ?3,"
	" updated = ?3 WHERE id = ?1",
};

struct side {
	char state[32];
	char customer[256];
	int64_t merged_into;
	int64_t n_messages;
};

static int
load_side(struct store *st, int64_t id, struct side *sd, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT state, coalesce(customer, ''), coalesce(merged_into, 0),"
	    " (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id)"
	    " FROM tickets t WHERE id = ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	r = store_step_row(st, s, "ticket", err);
	if (r == 0)
		r = error_set(err, ERR_NOTFOUND, "no ticket #%" PRId64, id);
	if (r > 0) {
		snprintf(sd->state, sizeof(sd->state), "%s", db_col_text(s, 0));
		snprintf(sd->customer, sizeof(sd->customer), "%s",
		    db_col_text(s, 1));
		sd->merged_into = db_col_int64(s, 2);
		sd->n_messages = db_col_int64(s, 3);
		r = 0;
	}
	store_release(st, &s);
	return r;
}

static int
check_merge(int64_t id, int64_t into, const struct side *from,
    const struct side *to, int force, struct error *err)
{
	if (from->merged_into != 0)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is already merged into #%" PRId64, id,
		    from->merged_into);
	if (to->merged_into != 0)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is merged into #%" PRId64
		    ": merge into that one",
		    into, to->merged_into);
	if (strcmp(to->state, "closed") == 0 ||
	    strcmp(to->state, "ignored") == 0)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is %s: reopen it before you merge "
		    "into it",
		    into, to->state);
	if (!force && *from->customer != '\0' && *to->customer != '\0' &&
	    strcmp(from->customer, to->customer) != 0)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is %s's and #%" PRId64
		    " is %s's: not merged across customers (--force merges "
		    "anyway)",
		    id, from->customer, into, to->customer);
	return 0;
}

static int
merge_rows(struct store *st, int64_t id, int64_t into, struct error *err)
{
	struct db_stmt *s = NULL;
	int r = 0;

	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]) && r == 0;
	     i++) {
		r = store_prepare(st, &s, moves[i], err);
		if (r < 0)
			break;
		db_bind_int64(s, 1, id);
		db_bind_int64(s, 2, into);
		db_bind_int64(s, 3, store_now(st));
		if (db_step(s) != DB_DONE)
			r = store_sqlerr(st, err, "merge");
		store_release(st, &s);
	}
	return r;
}

static int
merge_in_tx(struct store *st, int64_t id, int64_t into, int force,
    const struct store_actor *a, struct error *err)
{
	struct side from, to;
	char detail[128];
	int r;

	r = load_side(st, id, &from, err);
	if (r == 0)
		r = load_side(st, into, &to, err);
	if (r == 0)
		r = check_merge(id, into, &from, &to, force, err);
	if (r == 0)
		r = merge_rows(st, id, into, err);
	if (r < 0)
		return -1;
	snprintf(detail, sizeof(detail), "into #%" PRId64 " (%s)", into,
	    from.state);
	r = store_add_event(st, id, a, "merge", detail, err);
	snprintf(detail, sizeof(detail),
	    "#%" PRId64 " merged in: %" PRId64 " message%s", id,
	    from.n_messages, from.n_messages == 1 ? "" : "s");
	if (r == 0)
		r = store_add_event(st, into, a, "merged", detail, err);
	return r;
}

int
store_merge(struct store *st, int64_t id, int64_t into, int force,
    const struct store_actor *a, struct error *err)
{
	int r;

	if (a == NULL || a->name == NULL || *a->name == '\0')
		return error_set(err, ERR_USAGE, "no actor: who is acting?");
	if (id == into)
		return error_set(err, ERR_USAGE,
		    "ticket #%" PRId64 " cannot be merged into itself", id);
	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = merge_in_tx(st, id, into, force, a, err);
	if (store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	return r;
}

int
store_follow_merge(struct store *st, int64_t *id, struct error *err)
{
	struct db_stmt *s = NULL;
	int64_t next;
	int r = 0;

	if (st->version < 15)
		return 0; /* tests run older schemas: no merges there */
	/* a chain is at most as long as there are tickets; stop on a loop */
	for (int hops = 0; hops < 64 && r == 0; hops++) {
		r = store_prepare(st, &s,
		    "SELECT coalesce(merged_into, 0) FROM tickets WHERE id = ?",
		    err);
		if (r < 0)
			break;
		db_bind_int64(s, 1, *id);
		r = store_step_row(st, s, "merged ticket", err);
		next = r > 0 ? db_col_int64(s, 0) : 0;
		store_release(st, &s);
		if (r < 0)
			break;
		r = 0;
		if (next == 0)
			break;
		*id = next;
	}
	return r;
}
