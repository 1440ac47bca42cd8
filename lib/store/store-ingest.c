/*
 * Exactly-once ingest: a message's direction and customer, its row, its
 * ticket, and the mailbox checkpoint.
 *
 * A message already stored (same mailbox + UID, or mailbox + Message-ID;
 * unique indexes make a second copy impossible) changes nothing.  Else
 * store_place finds its ticket (store-thread.c) or creates one, inserts
 * the message row once the ticket is known, lets the message join the
 * ticket and applies the verdict (store-verdict.c).  store_ingest adds
 * the mailbox's new last_uid in the same transaction.
 */
#include "store-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "accounts.h"
#include "buf.h"
#include "xalloc.h"

#define JOIN_CAP (64u * 1024 * 1024)

/*
 * Is `addr` a shared mailbox address, also with plus-address tags
 * (sales+claim@example.com for sales@example.com)?  A command mail to
 * sales+claim@ alone is internal, not an answer to a customer.
 */
static int
is_shared_address(struct store *st, const char *addr, struct error *err)
{
	struct db_stmt *s = NULL;
	const char *at = strrchr(addr, '@');
	int r, found = 0;

	r = store_prepare(st, &s,
	    "SELECT address FROM mailboxes"
	    " WHERE address IS NOT NULL",
	    err);
	if (r < 0)
		return -1;
	while (!found && db_step(s) == DB_ROW) {
		const char *sh = db_col_text(s, 0);
		const char *sat = strrchr(sh, '@');
		size_t local;

		if (strcmp(sh, addr) == 0) {
			found = 1;
			break;
		}
		if (at == NULL || sat == NULL || strcmp(at, sat) != 0)
			continue;
		local = (size_t)(sat - sh);
		found = strncmp(addr, sh, local) == 0 && addr[local] == '+';
	}
	store_release(st, &s);
	return found;
}

/*
 * The first To/Cc address that is neither a team member's nor a shared
 * mailbox's (plus-addressed or not): someone outside.  NULL when none.
 */
static int
first_outsider(struct store *st, const struct msg *m, const char **addr_r,
    struct error *err)
{
	const struct msg_addrs *lists[] = { &m->to, &m->cc };
	int r;

	*addr_r = NULL;
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < lists[l]->n; i++) {
			const char *a = lists[l]->v[i].addr;

			if (*a == '\0' || store_is_team(st, a))
				continue;
			r = is_shared_address(st, a, err);
			if (r < 0)
				return -1;
			if (r == 0) {
				*addr_r = a;
				return 0;
			}
		}
	}
	return 0;
}

/* "in", "out" or "internal" (see README "Tickets and the CLI"). */
int
store_direction(struct store *st, const struct msg *m, const char **dir_r,
    struct error *err)
{
	const char *outsider;

	if (!store_is_team(st, m->from.addr)) {
		*dir_r = "in";
		return 0;
	}
	if (first_outsider(st, m, &outsider, err) < 0)
		return -1;
	*dir_r = outsider != NULL ? "out" : "internal";
	return 0;
}

/* The customer of a new ticket: the sender, or whom the team wrote to. */
static int
customer_of(struct store *st, const struct msg *m, const char *direction,
    const char **cust_r, struct error *err)
{
	if (strcmp(direction, "in") == 0) {
		*cust_r = *m->from.addr != '\0' ? m->from.addr : NULL;
		return 0;
	}
	return first_outsider(st, m, cust_r, err);
}

static void
join_addrs(struct buf *b, const struct msg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		if (*a->v[i].addr == '\0')
			continue;
		if (b->len > 0)
			buf_addstr(b, ", ");
		buf_addstr(b, a->v[i].addr);
	}
}

/* A stable id for a message that could not be parsed (FNV-1a of raw). */
static void
synthetic_id(const char *raw, size_t len, char *out, size_t outlen)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)raw[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(out, outlen, "unparsed-%016" PRIx64 "-%zu@triage.invalid", h,
	    len);
}

static int
ensure_mailbox(struct store *st, const struct store_ingest_in *in,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "INSERT INTO mailboxes (name, address,"
	    " queue) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE SET"
	    " address = coalesce(?2, mailboxes.address),"
	    " queue = coalesce(?3, mailboxes.queue)"
	    " WHERE mailboxes.address IS DISTINCT FROM"
	    " coalesce(?2, mailboxes.address)"
	    " OR mailboxes.queue IS DISTINCT FROM"
	    " coalesce(?3, mailboxes.queue)",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, in->mailbox);
	store_bind_text(s, 2, in->mailbox_address);
	store_bind_text(s, 3, in->queue);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "mailbox");
	store_release(st, &s);
	return r;
}

/* The stored row for this mailbox + UID or mailbox + Message-ID, or 0. */
static int
find_duplicate(struct store *st, const struct store_ingest_in *in,
    const char *message_id, int64_t *row_r, int64_t *ticket_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	*row_r = 0;
	if (in->uid > 0) {
		r = store_prepare(st, &s,
		    "SELECT id, ticket_id FROM messages"
		    " WHERE mailbox = ? AND uidvalidity = ? AND uid = ?"
		    " AND uid > 0",
		    err);
		if (r < 0)
			return -1;
		store_bind_text(s, 1, in->mailbox);
		db_bind_int64(s, 2, in->uidvalidity);
		db_bind_int64(s, 3, in->uid);
		r = store_step_row(st, s, "duplicate by UID", err);
		if (r > 0) {
			*row_r = db_col_int64(s, 0);
			*ticket_r = db_col_int64(s, 1);
		}
		store_release(st, &s);
		if (r < 0)
			return -1;
		if (*row_r != 0)
			return 0;
	}
	r = store_prepare(st, &s,
	    "SELECT id, ticket_id FROM messages"
	    " WHERE mailbox = ? AND message_id = ?",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, in->mailbox);
	store_bind_text(s, 2, message_id);
	r = store_step_row(st, s, "duplicate by Message-ID", err);
	if (r > 0) {
		*row_r = db_col_int64(s, 0);
		*ticket_r = db_col_int64(s, 1);
	}
	store_release(st, &s);
	return r < 0 ? -1 : 0;
}

/* Bind the parsed fields shared by insert and reprocess (?2 .. ?18). */
void
store_bind_parsed(struct db_stmt *s, const struct msg *m, const char *direction)
{
	struct buf b;

	buf_init(&b, JOIN_CAP);
	store_bind_text(s, 2, m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++) {
		if (i > 0)
			buf_addstr(&b, " ");
		buf_addstr(&b, m->references[i]);
	}
	db_bind_text(s, 3, b.data != NULL ? b.data : "", -1);
	buf_reset(&b);
	db_bind_int64(s, 4, m->date);
	store_bind_text(s, 5, m->subject);
	store_bind_text(s, 6, m->from.name);
	store_bind_text(s, 7, m->from.addr);
	store_bind_text(s, 8, m->from_domain);
	join_addrs(&b, &m->to);
	db_bind_text(s, 9, b.data != NULL ? b.data : "", -1);
	buf_reset(&b);
	join_addrs(&b, &m->cc);
	db_bind_text(s, 10, b.data != NULL ? b.data : "", -1);
	buf_reset(&b);
	join_addrs(&b, &m->reply_to);
	db_bind_text(s, 11, b.data != NULL ? b.data : "", -1);
	buf_reset(&b);
	for (size_t i = 0; i < m->n_headers; i++) {
		buf_printf(&b, "%s: %s\n", m->headers[i].name,
		    m->headers[i].value);
	}
	db_bind_text(s, 12, b.data != NULL ? b.data : "", -1);
	buf_reset(&b);
	store_bind_text(s, 13, m->text);
	store_bind_text(s, 14, m->forwarded);
	for (size_t i = 0; i < m->n_attachments; i++) {
		buf_printf(&b, "%s\t%s\t%zu\n", m->attachments[i].filename,
		    m->attachments[i].content_type, m->attachments[i].size);
	}
	db_bind_text(s, 15, b.data != NULL ? b.data : "", -1);
	buf_reset(&b);
	db_bind_int(s, 16, (int)m->flags);
	for (size_t i = 0; i < m->n_problems; i++)
		buf_printf(&b, "%s\n", m->problems[i]);
	db_bind_text(s, 17, b.data != NULL ? b.data : "", -1);
	store_bind_text(s, 18, direction);
	buf_free(&b);
}

/*
 * ?i: the values of the X-Loop headers, one a line ('' when none), so
 * the outbox's loop protection reads them from the row (schema 8).
 */
static void
bind_x_loop(struct db_stmt *s, int i, const struct msg *m)
{
	struct buf b;

	buf_init(&b, JOIN_CAP);
	for (size_t h = 0; m != NULL && h < m->n_headers; h++) {
		if (strcasecmp(m->headers[h].name, "X-Loop") == 0)
			buf_printf(&b, "%s%s", b.len > 0 ? "\n" : "",
			    m->headers[h].value);
	}
	db_bind_text(s, i, b.data != NULL ? b.data : "", -1);
	buf_free(&b);
}

static int
insert_message(struct store *st, const struct store_ingest_in *in,
    const char *message_id, int64_t ticket_id, const char *direction,
    const char *status, const char *error, int64_t *row_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	/* an older schema (a test of its upgrade) has no x_loop */
	r = store_prepare(st, &s,
	    st->version >= 9 ?
		"INSERT INTO messages (message_id,"
		" in_reply_to, refs, date, subject, from_name, from_addr,"
		" from_domain, to_addrs, cc_addrs, reply_to, headers, text,"
		" forwarded, attachments, flags, problems, direction, mailbox,"
		" uidvalidity, uid, received, status, error, raw, ticket_id,"
		" x_loop)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25,"
		" ?26, ?27) RETURNING id" :
		"INSERT INTO messages (message_id,"
		" in_reply_to, refs, date, subject, from_name, from_addr,"
		" from_domain, to_addrs, cc_addrs, reply_to, headers, text,"
		" forwarded, attachments, flags, problems, direction, mailbox,"
		" uidvalidity, uid, received, status, error, raw, ticket_id)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25,"
		" ?26) RETURNING id",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, message_id);
	if (in->msg != NULL) {
		store_bind_parsed(s, in->msg, direction);
	} else {
		for (int i = 2; i <= 17; i++)
			db_bind_text(s, i, "", 0);
		db_bind_int64(s, 4, store_now(st));
		db_bind_int(s, 16, 0);
		store_bind_text(s, 18, "in");
	}
	store_bind_text(s, 19, in->mailbox);
	db_bind_int64(s, 20, in->uid > 0 ? in->uidvalidity : 0);
	db_bind_int64(s, 21, in->uid > 0 ? in->uid : 0);
	db_bind_int64(s, 22, store_now(st));
	store_bind_text(s, 23, status);
	store_bind_text(s, 24, error);
	db_bind_blob_static(s, 25, in->raw, (int)in->raw_len);
	if (ticket_id > 0)
		db_bind_int64(s, 26, ticket_id);
	if (st->version >= 9)
		bind_x_loop(s, 27, in->msg);
	r = store_step_id(st, s, "insert message", row_r, err);
	if (r == 0)
		store_fts_pending(st, *row_r);
	store_release(st, &s);
	return r;
}

static int
add_mailbox(struct store *st, int64_t id, const char *mailbox,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "INSERT INTO ticket_mailboxes (ticket_id, mailbox)"
	    " VALUES (?, ?) ON CONFLICT DO NOTHING",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	store_bind_text(s, 2, mailbox);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "ticket mailbox");
	store_release(st, &s);
	return r;
}

/* Record a new ticket's key account (schema 5). */
static int
set_account(struct store *st, int64_t id, const struct account *acct,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "UPDATE tickets SET account = ?, tier = ? WHERE id = ?", err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, acct->name);
	store_bind_text(s, 2, account_tier_name(acct->tier));
	db_bind_int64(s, 3, id);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "ticket account");
	store_release(st, &s);
	return r;
}

static int
create_ticket(struct store *st, const struct placing *p, int64_t related,
    int64_t *id_r, struct error *err)
{
	const struct verdict *v = p->verdict;
	const char *customer = NULL, *queue = p->queue;
	const struct account *acct = NULL;
	enum priority prio;
	struct db_stmt *s = NULL;
	char detail[512];
	int r;

	r = customer_of(st, p->msg, p->direction, &customer, err);
	if (r < 0)
		return -1;
	if (v != NULL && v->queue != NULL)
		queue = v->queue;
	/* A key account's tier is a floor a rule's priority cannot lower. */
	if (st->accounts != NULL && customer != NULL)
		acct = accounts_lookup_address(st->accounts, customer);
	prio = account_start_priority(acct != NULL ? &acct->tier : NULL,
	    v != NULL ? v->priority : PRIO_UNSET);
	r = store_prepare(st, &s,
	    "INSERT INTO tickets (subject, state, queue,"
	    " priority, customer, ignore_reason, related_to, created, updated)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, p->msg->subject);
	store_bind_text(s, 2, p->ignored ? "ignored" : "new");
	store_bind_text(s, 3, queue);
	db_bind_int(s, 4, (int)prio);
	store_bind_text(s, 5, customer);
	store_bind_text(s, 6, p->ignored ? v->ignore : NULL);
	if (related > 0)
		db_bind_int64(s, 7, related);
	db_bind_int64(s, 8, store_now(st));
	db_bind_int64(s, 9, store_now(st));
	r = store_step_id(st, s, "insert ticket", id_r, err);
	store_release(st, &s);
	if (r < 0)
		return -1;
	if (acct != NULL && set_account(st, *id_r, acct, err) < 0)
		return -1;
	snprintf(detail, sizeof(detail), "%s from %s in %s, queue %s%s%s",
	    p->message_id, p->msg->from.addr, p->mailbox, queue,
	    p->ignored ? ", ignored: " : "", p->ignored ? v->ignore : "");
	r = store_add_event(st, *id_r, p->actor, "create", detail, err);
	if (r == 0 && related > 0) {
		snprintf(detail, sizeof(detail),
		    "subject names #%" PRId64 " but %s is not on its thread",
		    related, p->msg->from.addr);
		r = store_add_event(st, *id_r, p->actor, "related", detail,
		    err);
	}
	return r;
}

static int
set_message_ticket(struct store *st, int64_t row, int64_t id, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "UPDATE messages SET ticket_id = ?"
	    " WHERE id = ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	db_bind_int64(s, 2, row);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "message ticket");
	store_release(st, &s);
	return r;
}

/*
 * Thread a message into a ticket and apply its verdict.  A new message
 * (p->row 0) is inserted here, once its ticket is known, so its row is
 * written once: updating it later would rewrite the raw bytes too.
 */
int
store_place(struct store *st, struct placing *p,
    struct store_ingest_result *res, struct error *err)
{
	static const struct store_actor rule = { "rules", STORE_SRC_RULE };
	int64_t id = 0, related = 0;
	int r;

	/*
	 * On PostgreSQL, placements are serialised across hosts for the
	 * rest of the transaction, so a copy stored by two hosts at once
	 * (a Cc to two watched mailboxes) finds one ticket; SQLite's write
	 * lock does this already.
	 */
	r = store_ingest_lock(st, err);
	/* Step 1: a copy of a message stored from another mailbox. */
	if (r == 0)
		r = store_ticket_of_msgid(st, p->message_id, &id, err);
	p->copy = id != 0;
	if (r == 0 && id == 0)
		r = store_thread_by_headers(st, p, &id, err);
	if (r == 0 && id == 0)
		r = store_thread_by_token(st, p, &id, &related, err);
	/* a merged stub's mail goes where its thread went */
	if (r == 0 && id != 0)
		r = store_follow_merge(st, &id, err);
	if (r == 0 && id == 0) {
		r = create_ticket(st, p, related, &id, err);
		res->new_ticket = 1;
	}
	if (r < 0)
		return -1;
	if (p->row == 0) {
		r = insert_message(st, p->in, p->message_id, id, p->direction,
		    p->status, p->why, &p->row, err);
		res->message_id = p->row;
	} else {
		r = set_message_ticket(st, p->row, id, err);
	}
	if (r == 0 && !res->new_ticket)
		r = store_join_ticket(st, p, id, err);
	if (r == 0)
		r = add_mailbox(st, id, p->mailbox, err);
	if (r == 0)
		r = store_add_participants(st, id, p->msg, err);
	if (r == 0)
		r = store_await_missing(st, p, id, err);
	if (r == 0 && store_verdict_counts(p->ignored, p->copy, res->new_ticket,
			  p->direction))
		r = store_apply_verdict(st, id, p->row, p->verdict,
		    res->new_ticket, err);
	if (r == 0 && !p->ignored && res->new_ticket && p->verdict != NULL &&
	    p->verdict->route != NULL)
		r = store_route(st, id, p->verdict->route, NULL, &rule, err);
	if (r < 0)
		return -1;
	res->ticket_id = id;
	res->related_to = related;
	return 0;
}

/*
 * Mail we sent, come back: stored as ignored "own mail", internal, on
 * its ticket when that still exists -- never a ticket of its own, no
 * classification, no state change, no forward, no participants.
 */
static int
own_mail(struct store *st, const struct store_ingest_in *in, const char *mid,
    int64_t ticket, const char *why, struct store_ingest_result *res,
    struct error *err)
{
	char detail[640];
	int r;

	r = insert_message(st, in, mid, ticket, "internal", "ignored", why,
	    &res->message_id, err);
	if (r < 0 || ticket == 0)
		return r;
	r = add_mailbox(st, ticket, in->mailbox, err);
	snprintf(detail, sizeof(detail), "%s in %s", mid, in->mailbox);
	if (r == 0)
		r = store_add_event(st, ticket, &in->actor, "own-mail", detail,
		    err);
	res->ticket_id = ticket;
	return r;
}

static int
ingest_in_tx(struct store *st, const struct store_ingest_in *in,
    struct store_ingest_result *res, struct error *err)
{
	char synth[96], own_why[128];
	const char *mid, *direction = "in", *status = "ok", *why = NULL;
	int64_t dup_ticket = 0, own_ticket = 0;
	struct placing p;
	int r;

	if (in->msg != NULL && *in->msg->message_id != '\0') {
		mid = in->msg->message_id;
	} else {
		synthetic_id(in->raw, in->raw_len, synth, sizeof(synth));
		mid = synth;
	}
	r = ensure_mailbox(st, in, err);
	if (r == 0)
		r = find_duplicate(st, in, mid, &res->message_id, &dup_ticket,
		    err);
	if (r < 0)
		return -1;
	if (res->message_id != 0) {
		res->duplicate = 1;
		res->ticket_id = dup_ticket;
		return 0;
	}
	if (in->msg != NULL) {
		r = store_own_check(st, in->msg, &own_ticket, own_why,
		    sizeof(own_why), err);
		if (r < 0)
			return -1;
		res->own = res->ignored = r;
		if (r == 1)
			return own_mail(st, in, mid, own_ticket, own_why, res,
			    err);
	}
	if (in->msg == NULL) {
		status = "failed";
		why = in->parse_error != NULL ? in->parse_error : "unparsed";
	} else if (in->verdict != NULL && in->verdict->ignore != NULL) {
		status = "ignored";
		why = in->verdict->ignore;
		res->ignored = 1;
	}
	if (in->msg != NULL) {
		r = store_direction(st, in->msg, &direction, err);
		if (r < 0)
			return -1;
	}
	if (in->msg == NULL)
		return insert_message(st, in, mid, 0, direction, status, why,
		    &res->message_id, err);
	p = (struct placing){ .row = 0,
		.in = in,
		.status = status,
		.why = why,
		.msg = in->msg,
		.message_id = mid,
		.mailbox = in->mailbox,
		.queue = in->queue,
		.verdict = in->verdict,
		.actor = &in->actor,
		.direction = direction,
		.ignored = res->ignored };
	return store_place(st, &p, res, err);
}

int
store_ingest_msg(struct store *st, const struct store_ingest_in *in,
    struct store_ingest_result *res_r, struct error *err)
{
	struct store_ingest_result res = { 0 };
	int r;

	if (in->mailbox == NULL || in->queue == NULL || in->raw == NULL ||
	    in->raw_len > INT32_MAX)
		return error_set(err, ERR_USAGE,
		    "ingest: mailbox, queue and "
		    "raw bytes (< 2 GB) are required");
	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = ingest_in_tx(st, in, &res, err);
	if (store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	if (r == 0)
		*res_r = res;
	return r;
}

int
store_mailbox_checkpoint(struct store *st, const char *mailbox,
    int64_t uidvalidity, int64_t last_uid, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	/* A new UIDVALIDITY resets the checkpoint; else it only advances. */
	r = store_prepare(st, &s,
	    "INSERT INTO mailboxes (name, uidvalidity,"
	    " last_uid, updated) VALUES (?1, ?2, ?3, ?4)"
	    " ON CONFLICT (name) DO UPDATE SET updated = ?4,"
	    " last_uid = CASE WHEN mailboxes.uidvalidity = ?2"
	    "   AND mailboxes.last_uid > ?3 THEN mailboxes.last_uid ELSE ?3"
	    " END,"
	    " uidvalidity = ?2",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, mailbox);
	db_bind_int64(s, 2, uidvalidity);
	db_bind_int64(s, 3, last_uid);
	db_bind_int64(s, 4, store_now(st));
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "checkpoint");
	store_release(st, &s);
	return r;
}

int
store_mailbox_get(struct store *st, const char *mailbox, int64_t *uidvalidity_r,
    int64_t *last_uid_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int64_t v = 0, u = 0;
	int r;

	r = store_prepare(st, &s,
	    "SELECT uidvalidity, last_uid FROM mailboxes"
	    " WHERE name = ?",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, mailbox);
	r = store_step_row(st, s, "checkpoint", err);
	if (r > 0) {
		v = db_col_int64(s, 0);
		u = db_col_int64(s, 1);
	}
	store_release(st, &s);
	if (r < 0)
		return -1;
	*uidvalidity_r = v;
	*last_uid_r = u;
	return 0;
}

int
store_ingest(struct store *st, const struct store_ingest_in *in,
    struct store_ingest_result *res_r, struct error *err)
{
	struct store_ingest_result res = { 0 };
	int r;

	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = store_ingest_msg(st, in, &res, err);
	if (r == 0 && in->uid > 0)
		r = store_mailbox_checkpoint(st, in->mailbox, in->uidvalidity,
		    in->uid, err);
	if (store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	if (r == 0)
		*res_r = res;
	return r;
}
