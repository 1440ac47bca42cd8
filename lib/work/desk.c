/*
 * A BDR's day: ending waits, noticing who is away, and fair
 * auto-assignment.  See desk.h.
 */
#include "desk.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "mime.h"
#include "roles.h"
#include "verdict.h"
#include "xalloc.h"

const struct store_actor desk_daemon = { "triaged", STORE_SRC_DAEMON };

/* Round-robin keeps one cursor for the one assign block. */
#define ASSIGN_CURSOR "assign"

int
desk_stand_in(struct store *st, const struct conf *c, const char *name,
    const char **to_r, struct error *err)
{
	const struct conf_member *m = conf_member_by_name(c, name);
	int r;

	*to_r = NULL;
	if (m == NULL)
		return 0;
	r = store_is_away(st, m->name, err);
	if (r <= 0) {
		*to_r = m->address;
		return r;
	}
	for (size_t i = 0; i < c->n_team && *to_r == NULL; i++) {
		if (strcmp(c->team[i].role, "manager") != 0 ||
		    strcmp(c->team[i].name, name) == 0)
			continue;
		r = store_is_away(st, c->team[i].name, err);
		if (r < 0)
			return -1;
		if (r == 0)
			*to_r = c->team[i].address;
	}
	return 0;
}

/* "Subject\n\nbody" telling the owner their ticket is theirs again. */
static void
resume_text(const struct conf *c, int64_t id, const char *why, struct buf *b)
{
	char *url = conf_ticket_url(c->ticket_url, id);

	buf_printf(b,
	    "[#%" PRId64 "] is back with you: %s\n\n"
	    "Ticket #%" PRId64 " was waiting on the customer; %s.\n"
	    "It is claimed by you again.\n",
	    id, why, id, why);
	if (url != NULL)
		buf_printf(b, "\n%s\n", url);
	free(url);
}

/* waiting -> claimed, and a mail to the owner (when they have one). */
static int
resume(struct store *st, const struct conf *c, int64_t id, const char *owner,
    const char *why, struct error *err)
{
	const char *to = NULL;
	struct buf text;
	int r;

	if (desk_stand_in(st, c, owner, &to, err) < 0)
		return -1;
	buf_init(&text, 8192);
	resume_text(c, id, why, &text);
	r = store_wait_end(st, id, why, to, to != NULL ? text.data : NULL,
	    &desk_daemon, err);
	buf_free(&text);
	return r;
}

/* A customer's message on a waiting ticket ends the wait. */
static int
customer_wrote(struct store *st, const struct conf *c, const struct msg *m,
    const struct store_ingest_result *ing, struct error *err)
{
	struct store_brief b;
	char why[384];

	if (ing->new_ticket || ing->ignored || roles_is_team(c, m->from.addr))
		return 0;
	if (store_ticket_brief(st, ing->ticket_id, &b, err) < 0)
		return -1;
	if (b.state != STATE_WAITING)
		return 0;
	snprintf(why, sizeof(why), "the customer wrote (%.300s)", m->from.addr);
	return resume(st, c, ing->ticket_id, b.owner, why, err);
}

/*
 * An auto-reply from a member's own address (RFC 3834 Auto-Submitted,
 * or what the rules ignore as "auto-reply": out-of-office subjects in
 * their languages) marks them away; any other mail of theirs ends such
 * an away.  A #away they wrote themselves stays until #back or its end.
 */
static int
member_wrote(struct store *st, const struct conf *c, const struct msg *m,
    const struct verdict *v, struct error *err)
{
	const struct conf_member *mem = conf_member_by_address(c, m->from.addr);
	int is_auto, was = 0, r;
	char why[320];

	if (mem == NULL)
		return 0;
	is_auto = (v != NULL && v->ignore != NULL &&
		      strcmp(v->ignore, "auto-reply") == 0) ||
		  ((m->flags & MSG_AUTO_SUBMITTED) &&
		      !(m->flags & (MSG_LIST | MSG_BOUNCE | MSG_OWN_LOOP)));
	if (!is_auto)
		return store_back(st, mem->name, 1, &desk_daemon, &was, err);
	r = store_is_away(st, mem->name, err);
	if (r != 0)
		return r < 0 ? -1 :
			       0; /* away already: the first reason stays */
	snprintf(why, sizeof(why), "auto-reply: %.280s", m->subject);
	return store_away(st, mem->name, 0, 1, why, &desk_daemon, err);
}

static int
in_list(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0)
			return 1;
	}
	return 0;
}

/* The key account's owner, when they are a member who may be assigned. */
static int
account_owner(struct store *st, const struct conf *c, int64_t id,
    const char **who_r, struct error *err)
{
	const struct conf_member *m;
	struct error e = { 0 };
	char *addr = NULL;

	if (store_owner_address(st, id, c, &addr, &e) < 0) {
		if (e.code == ERR_REFUSED || e.code == ERR_NOTFOUND)
			return 0; /* no key account, or no owner to mail */
		*err = e;
		return -1;
	}
	m = conf_member_by_address(c, addr);
	free(addr);
	if (m != NULL &&
	    (strcmp(m->role, "bdr") == 0 || strcmp(m->role, "manager") == 0))
		*who_r = m->name;
	return 0;
}

/* The present member after the cursor, in members order. */
static int
pick_round_robin(struct store *st, const struct conf_assign *as,
    const char **who_r, struct error *err)
{
	char last[256];
	size_t start = 0;
	int r;

	if (store_assign_last(st, ASSIGN_CURSOR, last, sizeof(last), err) < 0)
		return -1;
	for (size_t i = 0; i < as->n_members; i++) {
		if (strcmp(as->members[i], last) == 0)
			start = i + 1;
	}
	for (size_t k = 0; k < as->n_members && *who_r == NULL; k++) {
		const char *m = as->members[(start + k) % as->n_members];

		r = store_is_away(st, m, err);
		if (r < 0)
			return -1;
		if (r == 0)
			*who_r = m;
	}
	return 0;
}

/* The present member holding the fewest open tickets (first on a tie). */
static int
pick_least_open(struct store *st, const struct conf_assign *as,
    const char **who_r, struct error *err)
{
	int64_t best_n = 0, n;
	int r;

	for (size_t i = 0; i < as->n_members; i++) {
		r = store_is_away(st, as->members[i], err);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		if (store_open_count(st, as->members[i], &n, err) < 0)
			return -1;
		if (*who_r == NULL || n < best_n) {
			*who_r = as->members[i];
			best_n = n;
		}
	}
	return 0;
}

/*
 * The member a new ticket `id` in `queue` goes to under c->assign, in
 * *who_r, or NULL (not an assign queue, or everyone away); *why_r says
 * why.  A key account's owner in the team gets their account's tickets.
 */
static int
assign_pick(struct store *st, const struct conf *c, int64_t id,
    const char *queue, const char **who_r, const char **why_r,
    struct error *err)
{
	const struct conf_assign *as = &c->assign;

	*who_r = NULL;
	if (as->n_queues == 0 || !in_list(as->queues, as->n_queues, queue))
		return 0;
	*why_r = "key account owner";
	if (account_owner(st, c, id, who_r, err) < 0 || *who_r != NULL)
		return *who_r != NULL ? 0 : -1;
	if (as->mode == CONF_ASSIGN_LEAST_OPEN) {
		*why_r = "least-open";
		return pick_least_open(st, as, who_r, err);
	}
	*why_r = "round-robin";
	return pick_round_robin(st, as, who_r, err);
}

static int
assign_new(struct store *st, const struct conf *c,
    const struct store_ingest_result *ing, struct error *err)
{
	struct store_brief b;
	const char *who = NULL, *why = NULL;
	char detail[512];

	if (!ing->new_ticket || ing->ignored || c->assign.n_queues == 0)
		return 0;
	if (store_ticket_brief(st, ing->ticket_id, &b, err) < 0)
		return -1;
	/* a rule routed it, a command took it, or it is our own side's */
	if (b.state != STATE_NEW || !b.has_customer)
		return 0;
	if (assign_pick(st, c, ing->ticket_id, b.queue, &who, &why, err) < 0)
		return -1;
	if (who == NULL)
		return 0; /* not an assign queue, or everyone is away */
	snprintf(detail, sizeof(detail), "to %s (%s, queue %s)", who, why,
	    b.queue);
	return store_assign(st, ing->ticket_id, who,
	    strcmp(why, "round-robin") == 0 ? ASSIGN_CURSOR : NULL, detail,
	    &desk_daemon, err);
}

int
desk_after_ingest(struct store *st, const struct conf *c, const struct msg *m,
    const struct verdict *v, const struct store_ingest_result *ing,
    struct error *err)
{
	int r;

	if (c == NULL || m == NULL || ing->duplicate || ing->own ||
	    ing->ticket_id == 0 || store_schema_version(st) < 15)
		return 0;
	r = member_wrote(st, c, m, v, err);
	if (r == 0)
		r = customer_wrote(st, c, m, ing, err);
	if (r == 0)
		r = assign_new(st, c, ing, err);
	return r;
}

int
desk_wait_due(struct store *st, const struct conf *c, size_t *n_r,
    struct error *err)
{
	struct store_brief b;
	int64_t *ids = NULL;
	size_t n = 0, done = 0;
	int r;

	r = store_waiting_due(st, 100, &ids, &n, err);
	for (size_t i = 0; i < n && r == 0; i++) {
		r = store_ticket_brief(st, ids[i], &b, err);
		if (r == 0 && b.state == STATE_WAITING)
			r = resume(st, c, ids[i], b.owner,
			    "the time it waited for is over", err);
		done += r == 0;
	}
	free(ids);
	if (r == 0)
		*n_r = done;
	return r;
}
