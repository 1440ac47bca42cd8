/*
 * Reprocessing: a stored message parsed and classified again (`triage
 * reprocess`).  Its row is updated in place and its hits replaced; a
 * message that had failed to parse is threaded now, as ingest would have
 * (store-ingest.c), and a ticket's first message may move its queue and
 * priority.  The new verdict counts where ingest would have counted it
 * (store_verdict_counts), so a message reprocessed carries the tags and
 * hits it would carry had it been stored now.  Every outcome is an event
 * on the ticket.
 */
#include "store-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"

static int
update_parsed(struct store *st, int64_t row, const struct msg *m,
    const char *direction, const char *status, const char *why,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	/* The update trigger takes the old row out of the index. */
	r = store_fts_flush(st, err);
	if (r < 0)
		return -1;
	/* The stored Message-ID stays: it is the dedup key. */
	r = store_prepare(st, &s,
	    "UPDATE messages SET"
	    " in_reply_to = ?2, refs = ?3, date = ?4, subject = ?5,"
	    " from_name = ?6, from_addr = ?7, from_domain = ?8,"
	    " to_addrs = ?9, cc_addrs = ?10, reply_to = ?11, headers = ?12,"
	    " text = ?13, forwarded = ?14, attachments = ?15, flags = ?16,"
	    " problems = ?17, direction = ?18, status = ?19, error = ?20"
	    " WHERE id = ?1",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, row);
	store_bind_parsed(s, m, direction);
	store_bind_text(s, 19, status);
	store_bind_text(s, 20, why);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "reprocess message");
	store_release(st, &s);
	return r;
}

struct stored {
	int64_t ticket_id;
	char *message_id;
	char *mailbox;
	char *queue;
	char *tier; /* the ticket's key account tier, or NULL */
	int first;  /* the ticket's first message */
	int copy;   /* the same Message-ID was stored before, elsewhere */
};

static int
load_stored(struct store *st, int64_t row, struct stored *sm, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT m.ticket_id, m.message_id,"
	    " m.mailbox, coalesce(b.queue, m.mailbox), m.id = (SELECT min(id)"
	    " FROM messages WHERE ticket_id = m.ticket_id),"
	    " EXISTS (SELECT 1 FROM messages c WHERE c.message_id ="
	    " m.message_id AND c.id < m.id), t.tier"
	    " FROM messages m JOIN mailboxes b ON b.name = m.mailbox"
	    " LEFT JOIN tickets t ON t.id = m.ticket_id"
	    " WHERE m.id = ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, row);
	if (db_step(s) == DB_ROW) {
		sm->ticket_id = db_col_int64(s, 0);
		sm->message_id = store_col_text(s, 1);
		sm->mailbox = store_col_text(s, 2);
		sm->queue = store_col_text(s, 3);
		sm->first = db_col_int(s, 4);
		sm->copy = db_col_int(s, 5);
		sm->tier = store_col_text(s, 6);
	} else {
		r = error_set(err, ERR_NOTFOUND, "no message %" PRId64, row);
	}
	store_release(st, &s);
	return r;
}

/* A new ticket's priority: the rules', never below its account tier's. */
static int
opening_priority(const struct stored *sm, const struct verdict *v)
{
	enum account_tier tier;
	int known;

	known = sm->tier != NULL && account_tier_parse(sm->tier, &tier) == 0;
	return (int)account_start_priority(known ? &tier : NULL, v->priority);
}

/* Queue and priority of a ticket whose first message was reclassified. */
static int
reclassify_ticket(struct store *st, int64_t id, const struct stored *sm,
    const struct verdict *v, const struct store_actor *a, struct error *err)
{
	struct db_stmt *s = NULL;
	const char *queue = v->queue != NULL ? v->queue : sm->queue;
	int prio = opening_priority(sm, v);
	char detail[256];
	char *oldq = NULL;
	int oldp = 0, r;

	r = store_prepare(st, &s,
	    "SELECT queue, priority FROM tickets"
	    " WHERE id = ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	if (db_step(s) == DB_ROW) {
		oldq = store_col_text(s, 0);
		oldp = db_col_int(s, 1);
	}
	store_release(st, &s);
	if (oldq == NULL || (strcmp(oldq, queue) == 0 && oldp == prio)) {
		free(oldq);
		return 0;
	}
	snprintf(detail, sizeof(detail), "queue %s -> %s, priority %s -> %s",
	    oldq, queue, priority_name((enum priority)oldp),
	    priority_name((enum priority)prio));
	free(oldq);
	r = store_prepare(st, &s,
	    "UPDATE tickets SET queue = ?, priority = ?"
	    " WHERE id = ?",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, queue);
	db_bind_int(s, 2, prio);
	db_bind_int64(s, 3, id);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "reclassify");
	store_release(st, &s);
	if (r == 0)
		r = store_add_event(st, id, a, "reprocess", detail, err);
	return r;
}

static int
delete_hits(struct store *st, int64_t row, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, "DELETE FROM hits WHERE message_id = ?", err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, row);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "hits");
	store_release(st, &s);
	return r;
}

static int
reprocess_in_tx(struct store *st, int64_t row, const struct msg *msg,
    const char *parse_error, const struct verdict *v,
    const struct store_actor *a, struct stored *sm, struct error *err)
{
	struct store_ingest_result res = { 0 };
	const char *direction = "in", *status = "ok", *why = NULL;
	struct placing p;
	char detail[256];
	int64_t own = 0;
	int r;

	r = load_stored(st, row, sm, err);
	if (r < 0)
		return -1;
	if (msg == NULL) {
		snprintf(detail, sizeof(detail),
		    "message %" PRId64 " still fails: %s", row,
		    parse_error != NULL ? parse_error : "unparsed");
		return store_add_event(st, sm->ticket_id, a, "reprocess",
		    detail, err);
	}
	/* Our own mail stays what ingest made it: ignored, on its ticket. */
	r = store_own_check(st, msg, &own, detail, sizeof(detail), err);
	if (r != 0)
		return r < 0 ? -1 :
			       store_add_event(st, sm->ticket_id, a,
				   "reprocess", detail, err);
	if (v != NULL && v->ignore != NULL) {
		status = "ignored";
		why = v->ignore;
	}
	r = store_direction(st, msg, &direction, err);
	if (r == 0)
		r = update_parsed(st, row, msg, direction, status, why, err);
	if (r == 0)
		r = delete_hits(st, row, err);
	if (r < 0)
		return -1;
	if (sm->ticket_id == 0) {
		/* It had failed: thread it now, as ingest would have. */
		p = (struct placing){ .row = row,
			.msg = msg,
			.message_id = sm->message_id,
			.mailbox = sm->mailbox,
			.queue = sm->queue,
			.verdict = v,
			.actor = a,
			.direction = direction,
			.ignored = why != NULL };
		r = store_place(st, &p, &res, err);
		if (r < 0)
			return -1;
		snprintf(detail, sizeof(detail),
		    "message %" PRId64 " parsed now", row);
		return store_add_event(st, res.ticket_id, a, "reprocess",
		    detail, err);
	}
	if (v != NULL && sm->first)
		r = reclassify_ticket(st, sm->ticket_id, sm, v, a, err);
	if (r == 0 &&
	    store_verdict_counts(why != NULL, sm->copy, sm->first, direction))
		r = store_apply_verdict(st, sm->ticket_id, row, v, 0, err);
	if (r == 0) {
		snprintf(detail, sizeof(detail),
		    "message %" PRId64 " parsed and classified again", row);
		r = store_add_event(st, sm->ticket_id, a, "reprocess", detail,
		    err);
	}
	return r;
}

int
store_reprocess_msg(struct store *st, int64_t message_id, const struct msg *msg,
    const char *parse_error, const struct verdict *verdict,
    const struct store_actor *actor, struct error *err)
{
	struct stored sm = { 0 };
	int r;

	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = reprocess_in_tx(st, message_id, msg, parse_error, verdict, actor,
	    &sm, err);
	if (store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	free(sm.message_id);
	free(sm.mailbox);
	free(sm.queue);
	free(sm.tier);
	return r;
}
