/*
 * Threading: which existing ticket a new message joins, and what the
 * thread keeps so later messages find it.  store_place (store-ingest.c)
 * tries, in order:
 *   1. the same Message-ID already stored in another mailbox (a message
 *      Cc'd to two shared addresses is one ticket shown under both; the
 *      copy is not classified, forwarded or counted again);
 *   2. a stored message named by In-Reply-To, then References newest
 *      first (or our own forward's Message-ID, which carries the ticket);
 *   3. a stored reply that named this message before it arrived (the
 *      "awaited" table): a parent arriving after its reply joins it, and
 *      so does a sibling naming the same missing parent;
 *   4. a [#ID] subject token, only when the sender is on the team or
 *      already a participant of that ticket; otherwise the new ticket is
 *      linked to it as related;
 *   5. else a new ticket (store-ingest.c).
 * Once placed, the message joins its ticket (event, reopen, forward),
 * its addresses become participants and the references it names that
 * are not stored yet are awaited.
 */
#include "store-private.h"
#include "store-outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "msgid.h"

/* The ticket of a stored message with this Message-ID, or 0. */
int
store_ticket_of_msgid(struct store *st, const char *mid, int64_t *ticket_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	*ticket_r = 0;
	if (mid == NULL || *mid == '\0')
		return 0;
	r = store_prepare(st, &s,
	    "SELECT ticket_id FROM messages"
	    " WHERE message_id = ? AND ticket_id IS NOT NULL LIMIT 1",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, mid);
	r = store_step_row(st, s, "thread by Message-ID", err);
	if (r > 0)
		*ticket_r = db_col_int64(s, 0);
	store_release(st, &s);
	return r < 0 ? -1 : 0;
}

static int
awaited_ticket(struct store *st, const char *mid, int64_t *ticket_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	*ticket_r = 0;
	r = store_prepare(st, &s,
	    "SELECT ticket_id FROM awaited"
	    " WHERE message_id = ? ORDER BY ticket_id LIMIT 1",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, mid);
	r = store_step_row(st, s, "awaited parent", err);
	if (r > 0)
		*ticket_r = db_col_int64(s, 0);
	store_release(st, &s);
	return r < 0 ? -1 : 0;
}

int
store_ticket_exists(struct store *st, int64_t id, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, "SELECT 1 FROM tickets WHERE id = ?", err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	r = store_step_row(st, s, "ticket", err);
	store_release(st, &s);
	return r;
}

static int
is_participant(struct store *st, int64_t id, const char *addr,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT 1 FROM participants"
	    " WHERE ticket_id = ? AND address = ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	store_bind_text(s, 2, addr);
	r = store_step_row(st, s, "participant", err);
	store_release(st, &s);
	return r;
}

/*
 * A reply from the routed side names our forward's Message-ID, which is
 * never stored: the ticket is in the id itself.  A signed id counts only
 * when its MAC verifies under this database's key (msgid_verify); the
 * unsigned form counts only where mail went out with it before the
 * upgrade to schema 11 (st->legacy_ids).
 */
static int
our_id_ticket(struct store *st, const char *mid, int64_t *t_r)
{
	enum msgid_check c =
	    msgid_verify(st->has_key ? &st->key : NULL, mid, t_r);

	if (c != MSGID_NOT_OURS)
		return c == MSGID_OK;
	if (st->has_key && !st->legacy_ids)
		return 0; /* we never sent an unsigned id: a forgery */
	return msgid_ticket(mid, st->own_domain, t_r);
}

static int
ticket_of_our_id(struct store *st, const struct msg *m, int64_t *ticket_r,
    struct error *err)
{
	int64_t t = 0;
	int r;

	*ticket_r = 0;
	if (st->own_domain == NULL && !st->has_key)
		return 0;
	for (size_t i = 0; i <= m->n_references; i++) {
		const char *mid = i == 0 ? m->in_reply_to :
					   m->references[m->n_references - i];

		if (mid == NULL || !our_id_ticket(st, mid, &t))
			continue;
		r = store_ticket_exists(st, t, err);
		if (r < 0)
			return -1;
		if (r == 1) {
			*ticket_r = t;
			return 0;
		}
	}
	return 0;
}

/*
 * Which ticket the message belongs to by its headers (steps 2-3), or 0.
 */
int
store_thread_by_headers(struct store *st, const struct placing *p,
    int64_t *ticket_r, struct error *err)
{
	const struct msg *m = p->msg;
	int r;

	r = store_ticket_of_msgid(st, m->in_reply_to, ticket_r, err);
	if (r < 0 || *ticket_r != 0)
		return r;
	for (size_t i = m->n_references; i > 0; i--) {
		r = store_ticket_of_msgid(st, m->references[i - 1], ticket_r,
		    err);
		if (r < 0 || *ticket_r != 0)
			return r;
	}
	r = ticket_of_our_id(st, m, ticket_r, err);
	if (r < 0 || *ticket_r != 0)
		return r;
	r = awaited_ticket(st, p->message_id, ticket_r, err);
	if (r < 0 || *ticket_r != 0)
		return r;
	/* A sibling stored earlier waits for the same missing parent. */
	r = awaited_ticket(st, m->in_reply_to, ticket_r, err);
	for (size_t i = m->n_references; r == 0 && *ticket_r == 0 && i > 0; i--)
		r = awaited_ticket(st, m->references[i - 1], ticket_r, err);
	return r;
}

/* Step 4: a subject token honoured only for the team or a participant. */
int
store_thread_by_token(struct store *st, const struct placing *p,
    int64_t *ticket_r, int64_t *related_r, struct error *err)
{
	int64_t tok = 0;
	int r;

	/* the token mail commands read (command.h), so the two agree */
	if (!command_subject_ticket(p->msg->subject, &tok))
		return 0;
	r = store_ticket_exists(st, tok, err);
	if (r <= 0)
		return r;
	if (store_is_team(st, p->msg->from.addr)) {
		*ticket_r = tok;
		return 0;
	}
	r = is_participant(st, tok, p->msg->from.addr, err);
	if (r < 0)
		return -1;
	if (r == 1)
		*ticket_r = tok;
	else
		*related_r = tok;
	return 0;
}

int
store_add_participants(struct store *st, int64_t id, const struct msg *m,
    struct error *err)
{
	const struct msg_addrs *lists[] = { &m->to, &m->cc };
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "INSERT INTO participants (ticket_id, address)"
	    " VALUES (?, ?) ON CONFLICT DO NOTHING",
	    err);
	if (r < 0)
		return -1;
	if (*m->from.addr != '\0') {
		db_bind_int64(s, 1, id);
		store_bind_text(s, 2, m->from.addr);
		if (db_step_nowait(s) != DB_DONE)
			r = store_sqlerr(st, err, "participant");
		db_reset(s);
	}
	for (size_t l = 0; l < 2 && r == 0; l++) {
		for (size_t i = 0; i < lists[l]->n && r == 0; i++) {
			if (*lists[l]->v[i].addr == '\0')
				continue;
			db_bind_int64(s, 1, id);
			store_bind_text(s, 2, lists[l]->v[i].addr);
			if (db_step_nowait(s) != DB_DONE)
				r = store_sqlerr(st, err, "participant");
			db_reset(s);
		}
	}
	store_release(st, &s);
	return r;
}

/* Queue a forward of this message when it joins a routed ticket. */
static int
forward_later(struct store *st, int64_t id, int64_t row, struct error *err)
{
	struct db_stmt *s = NULL;
	char *route = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT route FROM tickets WHERE id = ? AND state IN"
	    " ('routed', 'acknowledged') AND route IS NOT NULL",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	r = store_step_row(st, s, "ticket route", err);
	if (r > 0)
		route = store_col_text(s, 0);
	store_release(st, &s);
	if (r > 0)
		r = store_outbox_add(st,
		    &(struct store_outbox_new){ .ticket_id = id,
			.kind = "forward",
			.message_row = row,
			.route = route },
		    NULL, err);
	free(route);
	return r < 0 ? -1 : 0;
}

int
store_join_ticket(struct store *st, const struct placing *p, int64_t id,
    struct error *err)
{
	struct db_stmt *s = NULL;
	char detail[512];
	int r, reopen = 0, inbound = strcmp(p->direction, "in") == 0;

	if (p->copy) {
		/* Already threaded, classified and forwarded once. */
		snprintf(detail, sizeof(detail), "%s also arrived in %s",
		    p->message_id, p->mailbox);
		return store_add_event(st, id, p->actor, "copy", detail, err);
	}
	snprintf(detail, sizeof(detail), "%s from %s (%s) in %s%s%s",
	    p->message_id, p->msg->from.addr, p->direction, p->mailbox,
	    p->ignored ? ", ignored: " : "",
	    p->ignored ? p->verdict->ignore : "");
	r = store_add_event(st, id, p->actor, "message", detail, err);
	if (r < 0 || p->ignored)
		return r;
	r = store_prepare(st, &s,
	    "SELECT state = 'closed' FROM tickets"
	    " WHERE id = ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	r = store_step_row(st, s, "ticket state", err);
	if (r > 0)
		reopen = inbound && db_col_int(s, 0);
	store_release(st, &s);
	if (r < 0)
		return -1;
	/* A customer writing again to a closed ticket opens it again. */
	r = store_prepare(st, &s,
	    "UPDATE tickets SET updated = ?1,"
	    " customer = coalesce(customer, ?2),"
	    " state = CASE WHEN ?3 <> 0 THEN 'new' ELSE state END,"
	    " owner = CASE WHEN ?3 <> 0 THEN NULL ELSE owner END,"
	    " route = CASE WHEN ?3 <> 0 THEN NULL ELSE route END,"
	    " closed_at = CASE WHEN ?3 <> 0 THEN NULL ELSE closed_at END"
	    " WHERE id = ?4",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, store_now(st));
	store_bind_text(s, 2, inbound ? p->msg->from.addr : NULL);
	db_bind_int(s, 3, reopen);
	db_bind_int64(s, 4, id);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "join ticket");
	store_release(st, &s);
	if (r == 0 && reopen)
		r = store_add_event(st, id, p->actor, "reopen",
		    "the customer wrote again", err);
	if (r < 0)
		return -1;
	if (inbound)
		r = forward_later(st, id, p->row, err);
	return r;
}

/* Remember references we do not have yet, so a late parent finds us. */
int
store_await_missing(struct store *st, const struct placing *p, int64_t id,
    struct error *err)
{
	const struct msg *m = p->msg;
	struct db_stmt *s = NULL;
	int64_t t;
	int r = 0;

	for (size_t i = 0; i <= m->n_references && r == 0; i++) {
		const char *mid =
		    i < m->n_references ? m->references[i] : m->in_reply_to;

		if (*mid == '\0')
			continue;
		r = store_ticket_of_msgid(st, mid, &t, err);
		if (r < 0 || t != 0)
			continue;
		r = store_prepare(st, &s,
		    "INSERT INTO awaited (message_id, ticket_id)"
		    " VALUES (?, ?) ON CONFLICT DO NOTHING",
		    err);
		if (r < 0)
			break;
		store_bind_text(s, 1, mid);
		db_bind_int64(s, 2, id);
		if (db_step(s) != DB_DONE)
			r = store_sqlerr(st, err, "awaited");
		store_release(st, &s);
	}
	return r;
}
