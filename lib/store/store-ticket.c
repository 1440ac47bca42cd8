/*
 * The ticket workflow, exactly as DESIGN.md's state diagram:
 *
 *   new --claim--> claimed --route--> routed --ack--> acknowledged
 *   (a person's route, qualify, disqualify or close of a new ticket
 *   claims it first: claim_implied)
 *   new/claimed/routed/acknowledged --close, disqualify--> closed
 *   closed/ignored --reopen--> new
 *
 * Qualified/disqualified, story, priority, tags and notes are marks, not
 * states.  Every check and change happens inside one write transaction
 * (BEGIN IMMEDIATE), so two claims at once serialise: the second sees
 * the first's owner and is refused.
 */
#include "store-private.h"
#include "buf.h"
#include "command.h"
#include "store-outbox.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct tstate {
	enum store_state state;
	char owner[256]; /* "" when none */
	char route[256];
	char ignore[256];
	int qualified;
	int story;
	int priority;
};

#define LOAD_SQL \
	"SELECT state, coalesce(owner, ''), coalesce(route, '')," \
	" coalesce(ignore_reason, ''), qualified, story, priority" \
	" FROM tickets WHERE id = ?1"

/*
 * The ticket a workflow change starts from, read inside its unit of
 * work.  On SQLite the unit holds the write lock already; on PostgreSQL
 * the row is locked (FOR UPDATE), so of two hosts claiming one ticket
 * the second waits and then reads the first's claim: one winner.
 */
static int
ticket_load(struct store *st, int64_t id, struct tstate *ts, struct error *err)
{
	static const char sql[] = LOAD_SQL, sql_pg[] = LOAD_SQL " FOR UPDATE";
	struct db_stmt *s = NULL;
	const char *state;
	int r;

	r = store_prepare(st, &s, db_backend(st->db) == DB_PG ? sql_pg : sql,
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	if (db_step(s) != DB_ROW) {
		r = error_set(err, ERR_NOTFOUND, "no ticket #%" PRId64, id);
		goto out;
	}
	state = db_col_text(s, 0);
	if (store_state_parse(state, &ts->state) < 0) {
		r = error_set(err, ERR_INTERNAL,
		    "ticket #%" PRId64 ": unknown state '%s'", id, state);
		goto out;
	}
	snprintf(ts->owner, sizeof(ts->owner), "%s", db_col_text(s, 1));
	snprintf(ts->route, sizeof(ts->route), "%s", db_col_text(s, 2));
	snprintf(ts->ignore, sizeof(ts->ignore), "%s", db_col_text(s, 3));
	ts->qualified = db_col_int(s, 4);
	ts->story = db_col_int(s, 5);
	ts->priority = db_col_int(s, 6);
out:
	store_release(st, &s);
	return r;
}

/*
 * Run an UPDATE on ticket `id`.  Parameters: ?1 now, ?2 id, ?3 and ?4
 * the text arguments (NULL binds NULL), ?5 an integer argument.
 */
static int
ticket_update(struct store *st, const char *sql, int64_t id, const char *a3,
    const char *a4, int64_t a5, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, sql, err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, store_now(st));
	db_bind_int64(s, 2, id);
	store_bind_text(s, 3, a3);
	store_bind_text(s, 4, a4);
	db_bind_int64(s, 5, a5);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "update ticket");
	store_release(st, &s);
	return r;
}

/* Why a ticket in state ts cannot take `what`; always returns -1. */
static int
refuse_state(const struct tstate *ts, int64_t id, const char *what,
    struct error *err)
{
	switch (ts->state) {
	case STATE_CLOSED:
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is closed: reopen it before you %s it",
		    id, what);
	case STATE_IGNORED:
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64
		    " was ignored by a rule (%s): reopen it before you %s it",
		    id, ts->ignore, what);
	case STATE_MERGED:
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " was merged into another (triage "
		    "show %" PRId64 " names it): %s that one",
		    id, id, what);
	case STATE_ROUTED:
	case STATE_ACKNOWLEDGED:
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is %s to %s: it cannot be %s", id,
		    store_state_name(ts->state), ts->route,
		    strcmp(what, "claim") == 0 ? "claimed" : "routed again");
	default:
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is %s: cannot %s it", id,
		    store_state_name(ts->state), what);
	}
}

static int
is_open(enum store_state s)
{
	return s != STATE_CLOSED && s != STATE_IGNORED && s != STATE_MERGED;
}

/* The body of one workflow step, run inside its own unit of work. */
typedef int step_fn(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err);
static step_fn event_step;

static int
run_step(struct store *st, int64_t id, const struct store_actor *a, step_fn *fn,
    const void *arg, struct error *err)
{
	struct tstate ts;
	int r;

	if (a == NULL || a->name == NULL || *a->name == '\0')
		return error_set(err, ERR_USAGE, "no actor: who is acting?");
	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = ticket_load(st, id, &ts, err);
	/* a merged stub only keeps its record: the thread lives on */
	if (r == 0 && ts.state == STATE_MERGED && fn != event_step)
		r = refuse_state(&ts, id, "change", err);
	if (r == 0)
		r = fn(st, id, &ts, a, arg, err);
	if (store_tx_leave(st, r == 0, err) < 0)
		r = -1;
	return r;
}

struct claim_arg {
	int steal;
};

/* The ticket is a->name's now; the first claim's time is kept. */
static int
set_claimed(struct store *st, int64_t id, const struct store_actor *a,
    struct error *err)
{
	return ticket_update(st,
	    "UPDATE tickets SET state = 'claimed',"
	    " owner = ?3, claimed_at = coalesce(claimed_at, ?1),"
	    " updated = ?1 WHERE id = ?2",
	    id, a->name, NULL, 0, err);
}

static int
claim_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	const struct claim_arg *c = arg;
	char detail[300] = "";
	int r;

	if (ts->state == STATE_CLAIMED && strcmp(ts->owner, a->name) == 0)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is already claimed by you", id);
	if (ts->state == STATE_CLAIMED && !c->steal)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64
		    " is claimed by %s (--steal takes it over)",
		    id, ts->owner);
	if (ts->state != STATE_NEW && ts->state != STATE_CLAIMED)
		return refuse_state(ts, id, "claim", err);
	r = set_claimed(st, id, a, err);
	if (r < 0)
		return -1;
	if (ts->state == STATE_CLAIMED) {
		snprintf(detail, sizeof(detail), "taken over from %s",
		    ts->owner);
		return store_add_event(st, id, a, "steal", detail, err);
	}
	return store_add_event(st, id, a, "claim", "", err);
}

int
store_claim(struct store *st, int64_t id, const struct store_actor *a,
    int steal, struct error *err)
{
	struct claim_arg c = { steal };

	return run_step(st, id, a, claim_step, &c, err);
}

/*
 * A person who routes, qualifies, disqualifies or closes a new ticket
 * takes it: the claim is implied, and recorded as its own event before
 * the step's, so the funnel and the clocks see who had it.  Rules and
 * the daemon claim nothing.
 */
static int
claim_implied(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const char *by, struct error *err)
{
	char detail[64];
	int r;

	if (ts->state != STATE_NEW || a->source == STORE_SRC_RULE ||
	    a->source == STORE_SRC_DAEMON)
		return 0;
	r = set_claimed(st, id, a, err);
	if (r < 0)
		return -1;
	snprintf(detail, sizeof(detail), "implied by %s", by);
	return store_add_event(st, id, a, "claim", detail, err);
}

struct route_arg {
	const char *route;
	const char *note;
};

static int
route_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	const struct route_arg *ra = arg;
	char detail[600];
	int r;

	if (ts->state != STATE_CLAIMED && ts->state != STATE_NEW)
		return refuse_state(ts, id, "route", err);
	r = claim_implied(st, id, ts, a, "route", err);
	if (r < 0)
		return -1;
	r = ticket_update(st,
	    "UPDATE tickets SET state = 'routed',"
	    " route = ?3, routed_at = ?1, updated = ?1 WHERE id = ?2",
	    id, ra->route, NULL, 0, err);
	if (r < 0)
		return -1;
	r = store_outbox_add(st,
	    &(struct store_outbox_new){ .ticket_id = id,
		.kind = "forward",
		.route = ra->route,
		.note = ra->note },
	    NULL, err);
	if (r < 0)
		return -1;
	snprintf(detail, sizeof(detail), "%s%s%s", ra->route,
	    ra->note != NULL ? ": " : "", ra->note != NULL ? ra->note : "");
	return store_add_event(st, id, a, "route", detail, err);
}

int
store_route(struct store *st, int64_t id, const char *route, const char *note,
    const struct store_actor *a, struct error *err)
{
	struct route_arg ra = { route, note };

	if (route == NULL || *route == '\0')
		return error_set(err, ERR_USAGE, "route: no route given");
	return run_step(st, id, a, route_step, &ra, err);
}

static int
ack_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	int r;

	if (ts->state == STATE_ACKNOWLEDGED)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is already acknowledged", id);
	if (ts->state != STATE_ROUTED)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64
		    " is %s: only a routed ticket can be acknowledged",
		    id, store_state_name(ts->state));
	r = ticket_update(st,
	    "UPDATE tickets SET state = 'acknowledged',"
	    " acked_at = ?1, updated = ?1 WHERE id = ?2",
	    id, NULL, NULL, 0, err);
	if (r < 0)
		return -1;
	return store_add_event(st, id, a, "ack", ts->route, err);
}

int
store_ack(struct store *st, int64_t id, const struct store_actor *a,
    struct error *err)
{
	return run_step(st, id, a, ack_step, NULL, err);
}

struct qualify_arg {
	const enum dim *dims;
	size_t n;
};

static int
qualify_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	static const char *const sql[DIM_COUNT] = {
		"UPDATE tickets SET score_budget = score_budget + 1"
		" WHERE id = ?2",
		"UPDATE tickets SET score_authority = score_authority + 1"
		" WHERE id = ?2",
		"UPDATE tickets SET score_need = score_need + 1"
		" WHERE id = ?2",
		"UPDATE tickets SET score_timeline = score_timeline + 1"
		" WHERE id = ?2",
		"UPDATE tickets SET score_fit = score_fit + 1 WHERE id = ?2",
	};
	const struct qualify_arg *q = arg;
	struct buf d;
	int r;

	if (!is_open(ts->state))
		return refuse_state(ts, id, "qualify", err);
	r = claim_implied(st, id, ts, a, "qualify", err);
	if (r == 0)
		r = ticket_update(st,
		    "UPDATE tickets SET qualified = 1,"
		    " qualify_reason = NULL, updated = ?1 WHERE id = ?2",
		    id, NULL, NULL, 0, err);
	buf_init(&d, 256);
	for (size_t i = 0; i < q->n && r == 0; i++) {
		if (q->dims[i] < 0 || q->dims[i] >= DIM_COUNT) {
			r = error_set(err, ERR_USAGE, "unknown dimension");
			break;
		}
		r = ticket_update(st, sql[q->dims[i]], id, NULL, NULL, 0, err);
		buf_printf(&d, "%s%s", i > 0 ? " " : "", dim_name(q->dims[i]));
	}
	if (r == 0)
		r = store_add_event(st, id, a, "qualify",
		    d.data != NULL ? d.data : "", err);
	buf_free(&d);
	return r;
}

int
store_qualify(struct store *st, int64_t id, const enum dim *dims, size_t n_dims,
    const struct store_actor *a, struct error *err)
{
	struct qualify_arg q = { dims, n_dims };

	return run_step(st, id, a, qualify_step, &q, err);
}

static int
close_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	const char *reason = arg;
	int r;

	if (ts->state == STATE_CLOSED)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is already closed", id);
	if (!is_open(ts->state))
		return refuse_state(ts, id,
		    reason != NULL ? "disqualify" : "close", err);
	r = claim_implied(st, id, ts, a,
	    reason != NULL ? "disqualify" : "close", err);
	if (r < 0)
		return -1;
	if (reason != NULL) {
		r = ticket_update(st,
		    "UPDATE tickets SET qualified = -1,"
		    " qualify_reason = ?3 WHERE id = ?2",
		    id, reason, NULL, 0, err);
		if (r == 0)
			r = store_add_event(st, id, a, "disqualify", reason,
			    err);
		if (r < 0)
			return -1;
	}
	r = ticket_update(st,
	    "UPDATE tickets SET state = 'closed',"
	    " closed_at = ?1, updated = ?1 WHERE id = ?2",
	    id, NULL, NULL, 0, err);
	if (r < 0)
		return -1;
	return store_add_event(st, id, a, "close", store_state_name(ts->state),
	    err);
}

int
store_disqualify(struct store *st, int64_t id, const char *reason,
    const struct store_actor *a, struct error *err)
{
	if (reason == NULL || *reason == '\0')
		return error_set(err, ERR_USAGE, "disqualify needs a reason");
	return run_step(st, id, a, close_step, reason, err);
}

int
store_close_ticket(struct store *st, int64_t id, const struct store_actor *a,
    struct error *err)
{
	return run_step(st, id, a, close_step, NULL, err);
}

static int
reopen_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	int r;

	if (is_open(ts->state))
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is %s, not closed: nothing to reopen",
		    id, store_state_name(ts->state));
	r = ticket_update(st,
	    "UPDATE tickets SET state = 'new', owner = NULL,"
	    " route = NULL, closed_at = NULL, updated = ?1 WHERE id = ?2",
	    id, NULL, NULL, 0, err);
	if (r < 0)
		return -1;
	return store_add_event(st, id, a, "reopen", store_state_name(ts->state),
	    err);
}

int
store_reopen(struct store *st, int64_t id, const struct store_actor *a,
    struct error *err)
{
	return run_step(st, id, a, reopen_step, NULL, err);
}

static int
priority_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	enum priority p = *(const enum priority *)arg;
	char detail[64];
	int r;

	/*
	 * Already so (often because a rule set it): nothing to change and
	 * no event, but no refusal either, or a BDR's "#priority high"
	 * would undo the other commands of the same mail.
	 */
	if (ts->priority == (int)p)
		return 0;
	r = ticket_update(st,
	    "UPDATE tickets SET priority = ?5,"
	    " updated = ?1 WHERE id = ?2",
	    id, NULL, NULL, p, err);
	if (r < 0)
		return -1;
	snprintf(detail, sizeof(detail), "%s -> %s",
	    priority_name((enum priority)ts->priority), priority_name(p));
	return store_add_event(st, id, a, "priority", detail, err);
}

int
store_set_priority(struct store *st, int64_t id, enum priority p,
    const struct store_actor *a, struct error *err)
{
	if (p < PRIO_LOW || p > PRIO_URGENT)
		return error_set(err, ERR_USAGE, "unknown priority");
	return run_step(st, id, a, priority_step, &p, err);
}

static int
tag_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	const char *tag = arg;
	int r, added = 0;

	r = store_add_tag_row(st, id, tag, &added, err);
	if (r < 0)
		return -1;
	if (!added)
		return 0; /* a set: tagging twice is no change, no event */
	r = ticket_update(st, "UPDATE tickets SET updated = ?1 WHERE id = ?2",
	    id, NULL, NULL, 0, err);
	if (r < 0)
		return -1;
	return store_add_event(st, id, a, "tag", tag, err);
}

int
store_tag(struct store *st, int64_t id, const char *tag,
    const struct store_actor *a, struct error *err)
{
	char *t;
	int r;

	/* the #tag rule, whether the tag came by mail or from the CLI */
	r = command_tag_check(tag, err);
	if (r < 0)
		return -1;
	t = xstrdup(tag);
	for (char *p = t; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	r = run_step(st, id, a, tag_step, t, err);
	free(t);
	return r;
}

static int
note_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	int r;

	r = ticket_update(st, "UPDATE tickets SET updated = ?1 WHERE id = ?2",
	    id, NULL, NULL, 0, err);
	if (r < 0)
		return -1;
	return store_add_event(st, id, a, "note", arg, err);
}

int
store_note(struct store *st, int64_t id, const char *text,
    const struct store_actor *a, struct error *err)
{
	if (text == NULL || *text == '\0')
		return error_set(err, ERR_USAGE, "an empty note");
	return run_step(st, id, a, note_step, text, err);
}

static int
story_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	int r;

	if (ts->story)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is already a story candidate", id);
	r = ticket_update(st,
	    "UPDATE tickets SET story = 1, updated = ?1"
	    " WHERE id = ?2",
	    id, NULL, NULL, 0, err);
	if (r < 0)
		return -1;
	return store_add_event(st, id, a, "story", "", err);
}

int
store_story(struct store *st, int64_t id, const struct store_actor *a,
    struct error *err)
{
	return run_step(st, id, a, story_step, NULL, err);
}

struct event_arg {
	const char *kind;
	const char *detail;
};

static int
event_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	const struct event_arg *e = arg;

	return store_add_event(st, id, a, e->kind, e->detail, err);
}

int
store_event(struct store *st, int64_t id, const struct store_actor *a,
    const char *kind, const char *detail, struct error *err)
{
	struct event_arg e = { kind, detail };

	if (kind == NULL || *kind == '\0')
		return error_set(err, ERR_USAGE, "an event needs a kind");
	return run_step(st, id, a, event_step, &e, err);
}

static int
unclaim_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	char detail[300];
	int r;

	(void)arg;
	if (ts->state != STATE_CLAIMED && ts->state != STATE_WAITING)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is %s: only a claimed ticket can be "
		    "given back",
		    id, store_state_name(ts->state));
	/* the claim clock runs again from now (store-sla.c reads the event) */
	r = ticket_update(st,
	    "UPDATE tickets SET state = 'new', owner = NULL,"
	    " claimed_at = NULL, waited = waited + CASE WHEN wait_since"
	    " IS NULL OR ?1 < wait_since THEN 0 ELSE ?1 - wait_since END,"
	    " wait_since = NULL, wait_until = NULL, updated = ?1"
	    " WHERE id = ?2",
	    id, NULL, NULL, 0, err);
	if (r < 0)
		return -1;
	snprintf(detail, sizeof(detail), "from %s", ts->owner);
	return store_add_event(st, id, a, "unclaim", detail, err);
}

int
store_unclaim(struct store *st, int64_t id, const struct store_actor *a,
    struct error *err)
{
	return run_step(st, id, a, unclaim_step, NULL, err);
}

static int
wait_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	int64_t until = *(const int64_t *)arg;
	char detail[64] = "";
	int r;

	if (ts->state == STATE_WAITING)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is already waiting on the customer",
		    id);
	if (ts->state != STATE_CLAIMED && ts->state != STATE_NEW)
		return refuse_state(ts, id, "wait on", err);
	r = claim_implied(st, id, ts, a, "wait", err);
	if (r == 0)
		r = ticket_update(st,
		    "UPDATE tickets SET state = 'waiting', wait_since = ?1,"
		    " wait_until = nullif(?5, 0), updated = ?1 WHERE id = ?2",
		    id, NULL, NULL, until, err);
	if (r < 0)
		return -1;
	if (until > 0)
		store_format_time(until, "until ", detail, sizeof(detail));
	return store_add_event(st, id, a, "wait", detail, err);
}

int
store_wait(struct store *st, int64_t id, int64_t until,
    const struct store_actor *a, struct error *err)
{
	if (until < 0)
		return error_set(err, ERR_USAGE, "wait: a time before 1970");
	return run_step(st, id, a, wait_step, &until, err);
}

struct resume_arg {
	const char *why;
	const char *rcpt; /* the owner's address, or NULL: tell nobody */
	const char *text;
};

static int
resume_step(struct store *st, int64_t id, const struct tstate *ts,
    const struct store_actor *a, const void *arg, struct error *err)
{
	const struct resume_arg *ra = arg;
	int r;

	if (ts->state != STATE_WAITING)
		return error_set(err, ERR_REFUSED,
		    "ticket #%" PRId64 " is %s, not waiting", id,
		    store_state_name(ts->state));
	r = ticket_update(st,
	    "UPDATE tickets SET state = 'claimed',"
	    " waited = waited + CASE WHEN ?1 < coalesce(wait_since, ?1)"
	    " THEN 0 ELSE ?1 - coalesce(wait_since, ?1) END,"
	    " wait_since = NULL, wait_until = NULL, updated = ?1"
	    " WHERE id = ?2",
	    id, NULL, NULL, 0, err);
	if (r == 0 && ra->rcpt != NULL)
		r = store_outbox_add(st,
		    &(struct store_outbox_new){ .ticket_id = id,
			.kind = "reminder",
			.rcpt = ra->rcpt,
			.note = ra->text },
		    NULL, err);
	if (r < 0)
		return -1;
	return store_add_event(st, id, a, "resume", ra->why, err);
}

int
store_wait_end(struct store *st, int64_t id, const char *why, const char *rcpt,
    const char *text, const struct store_actor *a, struct error *err)
{
	struct resume_arg ra = { why, rcpt, text };

	if (rcpt != NULL && text == NULL)
		return error_set(err, ERR_USAGE,
		    "resume: a recipient, no text");
	return run_step(st, id, a, resume_step, &ra, err);
}

int
store_waiting_due(struct store *st, size_t limit, int64_t **ids_r, size_t *n_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int64_t *ids = NULL;
	size_t n = 0;
	int r, rc;

	r = store_prepare(st, &s,
	    "SELECT id FROM tickets WHERE state = 'waiting'"
	    " AND wait_until <= ?1 ORDER BY wait_until, id LIMIT ?2",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, store_now(st));
	db_bind_int64(s, 2, limit > 0 ? (int64_t)limit : 100);
	for (rc = db_step(s); rc == DB_ROW; rc = db_step(s)) {
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = db_col_int64(s, 0);
	}
	if (rc != DB_DONE) {
		r = store_sqlerr(st, err, "waiting tickets");
		free(ids);
	} else {
		*ids_r = ids;
		*n_r = n;
	}
	store_release(st, &s);
	return r;
}

int
store_ticket_brief(struct store *st, int64_t id, struct store_brief *b_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	struct store_brief b = { 0 };
	int r;

	r = store_prepare(st, &s,
	    "SELECT state, coalesce(owner, ''), queue,"
	    " coalesce(wait_since, 0), customer IS NOT NULL"
	    " FROM tickets WHERE id = ?",
	    err);
	if (r < 0)
		return -1;
	db_bind_int64(s, 1, id);
	r = store_step_row(st, s, "ticket", err);
	if (r == 0)
		r = error_set(err, ERR_NOTFOUND, "no ticket #%" PRId64, id);
	if (r > 0 && store_state_parse(db_col_text(s, 0), &b.state) < 0)
		r = error_set(err, ERR_INTERNAL,
		    "ticket #%" PRId64 ": unknown state", id);
	if (r > 0) {
		snprintf(b.owner, sizeof(b.owner), "%s", db_col_text(s, 1));
		snprintf(b.queue, sizeof(b.queue), "%s", db_col_text(s, 2));
		b.wait_since = db_col_int64(s, 3);
		b.has_customer = db_col_int(s, 4);
		*b_r = b;
		r = 0;
	}
	store_release(st, &s);
	return r;
}
