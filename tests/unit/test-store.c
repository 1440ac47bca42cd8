/*
 * The ticket store: threading, exactly-once ingest, the workflow's
 * transitions, migrations, queue order, reprocessing.  Messages are
 * built by hand (struct msg is a plain record), so these tests do not
 * depend on the parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "command.h"
#include "store-private.h"
#include "test-common.h"
#include "xalloc.h"

/* ---- fixtures ---- */

static char dbdir[128];
static int64_t fake_now = 1762682400; /* 2025-11-09T10:00:00Z */

/* Team: anyone @example.com (our company). */
static struct store *
open_fresh(const char *name)
{
	struct store *st = test_store_fresh(dbdir, name);

	store_set_clock(st, test_clock, &fake_now);
	store_set_team(st, test_team_example, NULL);
	return st;
}

static void
split_addrs(struct msg_addrs *a, const char *list)
{
	char *copy, *tok, *save = NULL;

	a->v = NULL;
	a->n = 0;
	if (list == NULL)
		return;
	copy = xstrdup(list);
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save)) {
		a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
		a->v[a->n].name = xstrdup("");
		a->v[a->n].addr = xstrdup(tok);
		a->n++;
	}
	free(copy);
}

/* A message as the parser would hand it over. */
struct tmsg {
	const char *mailbox;
	const char *mid;
	const char *irt;  /* NULL: none */
	const char *refs; /* space-separated, NULL: none */
	const char *from;
	const char *to; /* space-separated */
	const char *subject;
};

static struct msg *
mk(const struct tmsg *t)
{
	struct msg *m = xcalloc(1, sizeof(*m));
	struct msg_addrs refs;

	m->message_id = xstrdup(t->mid);
	m->in_reply_to = xstrdup(t->irt != NULL ? t->irt : "");
	split_addrs(&refs, t->refs);
	m->references = xcalloc(refs.n + 1, sizeof(char *));
	for (size_t i = 0; i < refs.n; i++) {
		m->references[i] = refs.v[i].addr;
		free(refs.v[i].name);
	}
	m->n_references = refs.n;
	free(refs.v);
	m->date = fake_now;
	m->subject = xstrdup(t->subject);
	m->from.name = xstrdup("");
	m->from.addr = xstrdup(t->from);
	m->from_domain = xstrdup(strchr(t->from, '@') + 1);
	split_addrs(&m->to, t->to);
	m->text = xstrdup("hello, how much is the enterprise edition?");
	m->forwarded = xstrdup("");
	m->html = xstrdup("");
	return m;
}

static void
free_addrs(struct msg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].addr);
	}
	free(a->v);
}

static void
mfree(struct msg **mp)
{
	struct msg *m = *mp;

	for (size_t i = 0; i < m->n_references; i++)
		free(m->references[i]);
	free(m->references);
	free(m->message_id);
	free(m->in_reply_to);
	free(m->subject);
	free(m->from.name);
	free(m->from.addr);
	free(m->from_domain);
	free_addrs(&m->to);
	free(m->text);
	free(m->forwarded);
	free(m->html);
	free(m);
	*mp = NULL;
}

static int
ingest_t(struct store *st, const struct tmsg *t, int64_t uid,
    const struct verdict *v, struct store_ingest_result *res)
{
	struct error err = { 0 };
	struct store_ingest_in in = { 0 };
	struct msg *m = mk(t);
	char raw[512];
	int r;

	snprintf(raw, sizeof(raw),
	    "Message-ID: <%s>\r\nSubject: %s\r\n\r\n"
	    "hi\r\n",
	    t->mid, t->subject);
	in.mailbox = t->mailbox != NULL ? t->mailbox : "sales";
	in.queue = in.mailbox;
	in.uidvalidity = 7;
	in.uid = uid;
	in.raw = raw;
	in.raw_len = strlen(raw);
	in.msg = m;
	in.verdict = v;
	in.actor = (struct store_actor){ "triaged", STORE_SRC_DAEMON };
	r = store_ingest(st, &in, res, &err);
	if (r < 0)
		print_error("ingest %s: %s\n", t->mid, err.msg);
	mfree(&m);
	return r;
}

static int64_t
count(struct store *st, const char *what)
{
	struct error err = { 0 };
	int64_t n = -1;

	assert_int_equal(store_count(st, what, &n, &err), 0);
	return n;
}

/* ---- threading ---- */

/*
 * Each row is ingested in order; `same_as` names the row whose ticket it
 * must join (-1: a new ticket).  `related` names the row whose ticket a
 * new ticket must be linked to.
 */
static const struct {
	struct tmsg m;
	int same_as;
	int related;
} thread_cases[] = {
	/* 0-2: a plain reply chain; subjects change and do not matter. */
	{ { NULL, "a1@x", NULL, NULL, "pat@buyer.test", "sales@example.com",
	      "Pricing for 50 seats" },
	    -1, -1 },
	{ { NULL, "a2@x", "a1@x", "a1@x", "alice@example.com", "pat@buyer.test",
	      "AW: Re: Pricing for 50 seats" },
	    0, -1 },
	{ { NULL, "a3@x", "a2@x", "a1@x a2@x", "pat@buyer.test",
	      "sales@example.com", "回复: totally rewritten" },
	    0, -1 },
	/* 3-5: a reply before its parent; the parent joins it later. */
	{ { NULL, "b2@x", "b1@x", "b1@x", "kim@corp.test", "sales@example.com",
	      "Re: SSO question" },
	    -1, -1 },
	{ { NULL, "b1@x", NULL, NULL, "kim@corp.test", "sales@example.com",
	      "SSO question" },
	    3, -1 },
	{ { NULL, "b3@x", "b1@x", "b1@x", "kim@corp.test", "sales@example.com",
	      "SV: SSO question" },
	    3, -1 },
	/* 6-7: siblings whose common parent never arrives. */
	{ { NULL, "c2@x", "c1@x", "c0@x c1@x", "lee@org.test",
	      "sales@example.com", "Re: trial" },
	    -1, -1 },
	{ { NULL, "c3@x", "c0@x", "c0@x", "lee@org.test", "sales@example.com",
	      "Antw: trial" },
	    6, -1 },
	/* 8: a stranger quoting ticket 1's token gets a new, related one. */
	{ { NULL, "d1@x", NULL, NULL, "eve@evil.test", "sales@example.com",
	      "Re: [#1] let me see" },
	    -1, 0 },
	/* 9: the customer of ticket 1, new mail with the token: joins. */
	{ { NULL, "d2@x", NULL, NULL, "pat@buyer.test", "sales@example.com",
	      "Fwd: [#1] one more thing" },
	    0, -1 },
	/* 10: a team member with the token: joins. */
	{ { NULL, "d3@x", NULL, NULL, "bob@example.com", "pat@buyer.test",
	      "[#1] follow-up" },
	    0, -1 },
	/* 11: the same subject without headers or token: a new ticket. */
	{ { NULL, "e1@x", NULL, NULL, "pat@buyer.test", "sales@example.com",
	      "Pricing for 50 seats" },
	    -1, -1 },
	/* 12: a token naming no ticket: a new ticket, nothing related. */
	{ { NULL, "e2@x", NULL, NULL, "eve@evil.test", "sales@example.com",
	      "[#9999] hello" },
	    -1, -1 },
	/* 13-14: one message Cc'd to two shared mailboxes: one ticket. */
	{ { "sales", "f1@x", NULL, NULL, "max@co.test",
	      "sales@example.com community@example.com", "Hi both" },
	    -1, -1 },
	{ { "community", "f1@x", NULL, NULL, "max@co.test",
	      "sales@example.com community@example.com", "Hi both" },
	    13, -1 },
	/* 15: the stranger has his own ticket now, yet is still no
	   participant of ticket 1: related again, never joined. */
	{ { NULL, "g1@x", NULL, NULL, "eve@evil.test", "sales@example.com",
	      "[#1] again" },
	    -1, 0 },
	/* 16-19: more prefixes and rewrites, the headers decide. */
	{ { NULL, "a4@x", "a3@x", "a1@x a3@x", "bob@example.com",
	      "pat@buyer.test", "WG: AW: Pricing" },
	    0, -1 },
	{ { NULL, "a5@x", "a4@x", "a1@x a4@x", "pat@buyer.test",
	      "sales@example.com", "VS: quote" },
	    0, -1 },
	{ { NULL, "a6@x", NULL, "a1@x", "pat@buyer.test", "sales@example.com",
	      "RV: Fwd: something else entirely" },
	    0, -1 },
	{ { NULL, "a7@x", "a6@x", NULL, "lee@org.test", "pat@buyer.test",
	      "Fwd: Pricing for 50 seats" },
	    0, -1 },
	/* 20-21: a token too long to be a ticket number is no token, even
	   when its value (leading zeros) or clamp would name one. */
	{ { NULL, "h1@x", NULL, NULL, "bob@example.com", "pat@buyer.test",
	      "[#0000000000000000000000001] hello" },
	    -1, -1 },
	{ { NULL, "h2@x", NULL, NULL, "bob@example.com", "pat@buyer.test",
	      "[#99999999999999999999] hello" },
	    -1, -1 },
};

static void
test_threading(void **state)
{
	struct store *st = open_fresh("thread");
	size_t n = sizeof(thread_cases) / sizeof(thread_cases[0]);
	int64_t ticket[64];
	struct error err = { 0 };
	struct store_detail *d = NULL;

	for (size_t i = 0; i < n; i++) {
		struct store_ingest_result res = { 0 };

		assert_int_equal(
		    ingest_t(st, &thread_cases[i].m, 0, NULL, &res), 0);
		ticket[i] = res.ticket_id;
		if (thread_cases[i].same_as < 0) {
			if (!res.new_ticket)
				fail_msg("case %zu: joined #%lld, expected a "
					 "new ticket",
				    i, (long long)res.ticket_id);
		} else if (res.ticket_id != ticket[thread_cases[i].same_as]) {
			fail_msg("case %zu: ticket #%lld, expected #%lld", i,
			    (long long)res.ticket_id,
			    (long long)ticket[thread_cases[i].same_as]);
		}
		assert_int_equal(res.related_to,
		    thread_cases[i].related < 0 ?
			0 :
			ticket[thread_cases[i].related]);
	}
	/* The copy in two mailboxes is shown under both, once. */
	assert_int_equal(store_show(st, ticket[13], &d, &err), 0);
	assert_int_equal(d->t.n_mailboxes, 2);
	assert_string_equal(d->t.mailboxes[0], "community");
	assert_string_equal(d->t.mailboxes[1], "sales");
	assert_int_equal(d->n_messages, 1);
	store_detail_free(&d);
	/* Directions and the customer of ticket 1. */
	assert_int_equal(store_show(st, ticket[0], &d, &err), 0);
	assert_string_equal(d->t.customer, "pat@buyer.test");
	assert_int_equal(d->n_messages, 9);
	assert_string_equal(d->messages[0].direction, "in");
	assert_string_equal(d->messages[1].direction, "out");
	store_detail_free(&d);
	store_close(&st);
}

/* ---- exactly once ---- */

static void
test_idempotent(void **state)
{
	struct store *st = open_fresh("dedup");
	struct tmsg m = { NULL, "z1@x", NULL, NULL, "pat@buyer.test",
		"sales@example.com", "hello" };
	struct store_ingest_result res = { 0 };
	struct error err = { 0 };
	int64_t t, v, u;

	assert_int_equal(ingest_t(st, &m, 10, NULL, &res), 0);
	assert_false(res.duplicate);
	t = res.ticket_id;
	/* The same mailbox + UIDVALIDITY + UID, even with another id. */
	m.mid = "z-other@x";
	assert_int_equal(ingest_t(st, &m, 10, NULL, &res), 0);
	assert_true(res.duplicate);
	assert_int_equal(res.ticket_id, t);
	/* The same Message-ID in the same mailbox, from a pipe (no UID). */
	m.mid = "z1@x";
	assert_int_equal(ingest_t(st, &m, 0, NULL, &res), 0);
	assert_true(res.duplicate);
	assert_int_equal(count(st, "messages"), 1);
	assert_int_equal(count(st, "tickets"), 1);
	/* The checkpoint went with the message; it never moves back. */
	assert_int_equal(store_mailbox_get(st, "sales", &v, &u, &err), 0);
	assert_int_equal(v, 7);
	assert_int_equal(u, 10);
	assert_int_equal(store_mailbox_checkpoint(st, "sales", 7, 3, &err), 0);
	assert_int_equal(store_mailbox_get(st, "sales", &v, &u, &err), 0);
	assert_int_equal(u, 10);
	/* A new UIDVALIDITY starts over. */
	assert_int_equal(store_mailbox_checkpoint(st, "sales", 8, 2, &err), 0);
	assert_int_equal(store_mailbox_get(st, "sales", &v, &u, &err), 0);
	assert_int_equal(v, 8);
	assert_int_equal(u, 2);
	store_close(&st);
}

/* A batch rolled back leaves nothing; one committed keeps everything. */
static void
test_batch(void **state)
{
	struct store *st = open_fresh("batch");
	struct tmsg m = { NULL, "y1@x", NULL, NULL, "pat@buyer.test",
		"sales@example.com", "hello" };
	struct store_ingest_result res = { 0 };
	struct store_actor mail = { "alice", STORE_SRC_MAIL };
	struct error err = { 0 };
	struct store_detail *d = NULL;
	int64_t v, u;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(ingest_t(st, &m, 5, NULL, &res), 0);
	store_rollback(st);
	assert_int_equal(count(st, "messages"), 0);
	assert_int_equal(count(st, "tickets"), 0);

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(ingest_t(st, &m, 5, NULL, &res), 0);
	/* A mail command applied with its message, in the same batch. */
	assert_int_equal(store_claim(st, res.ticket_id, &mail, 0, &err), 0);
	/* A refused command inside the batch does not spoil it. */
	assert_int_equal(store_ack(st, res.ticket_id, &mail, &err), -1);
	assert_int_equal(err.code, ERR_REFUSED);
	assert_int_equal(store_mailbox_checkpoint(st, "sales", 7, 5, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_mailbox_get(st, "sales", &v, &u, &err), 0);
	assert_int_equal(u, 5);
	assert_int_equal(store_show(st, res.ticket_id, &d, &err), 0);
	assert_int_equal(d->t.state, STATE_CLAIMED);
	assert_string_equal(d->t.owner, "alice");
	assert_string_equal(d->events[d->n_events - 1].source, "mail");
	assert_int_equal(d->events[d->n_events - 1].at, fake_now);
	store_detail_free(&d);
	store_close(&st);
}

/* ---- workflow ---- */

enum op {
	OP_CLAIM,
	OP_STEAL,
	OP_ROUTE,
	OP_ACK,
	OP_CLOSE,
	OP_DISQ,
	OP_REOPEN,
	OP_QUALIFY
};

static const char *const op_names[] = { "claim", "steal", "route", "ack",
	"close", "disqualify", "reopen", "qualify" };

static int
do_op(struct store *st, int64_t id, enum op op, const char *who,
    struct error *err)
{
	struct store_actor a = { who, STORE_SRC_CLI };
	enum dim dims[] = { DIM_BUDGET, DIM_NEED };

	switch (op) {
	case OP_CLAIM:
		return store_claim(st, id, &a, 0, err);
	case OP_STEAL:
		return store_claim(st, id, &a, 1, err);
	case OP_ROUTE:
		return store_route(st, id, "sales", NULL, &a, err);
	case OP_ACK:
		return store_ack(st, id, &a, err);
	case OP_CLOSE:
		return store_close_ticket(st, id, &a, err);
	case OP_DISQ:
		return store_disqualify(st, id, "student project", &a, err);
	case OP_REOPEN:
		return store_reopen(st, id, &a, err);
	case OP_QUALIFY:
		return store_qualify(st, id, dims, 2, &a, err);
	}
	return -1;
}

/* How to bring a fresh ticket into each state (by alice). */
static const int to_state[][4] = {
	[STATE_NEW] = { -1 },
	[STATE_CLAIMED] = { OP_CLAIM, -1 },
	[STATE_ROUTED] = { OP_CLAIM, OP_ROUTE, -1 },
	[STATE_ACKNOWLEDGED] = { OP_CLAIM, OP_ROUTE, OP_ACK, -1 },
	[STATE_CLOSED] = { OP_CLOSE, -1 },
	[STATE_IGNORED] = { -1 },
};

/*
 * Every operation by bob from every state (6 x 8, all of them): allowed
 * (and the state it leads to) or refused (and a part of the reason).
 */
static const struct {
	enum store_state from;
	enum op op;
	int ok;
	enum store_state to;
	const char *why; /* part of the refusal */
} transitions[] = {
	{ STATE_NEW, OP_CLAIM, 1, STATE_CLAIMED, NULL },
	{ STATE_NEW, OP_STEAL, 1, STATE_CLAIMED, NULL },
	{ STATE_NEW, OP_ROUTE, 1, STATE_ROUTED, NULL }, /* claims first */
	{ STATE_NEW, OP_ACK, 0, 0, "only a routed ticket" },
	{ STATE_NEW, OP_CLOSE, 1, STATE_CLOSED, NULL },
	{ STATE_NEW, OP_DISQ, 1, STATE_CLOSED, NULL },
	{ STATE_NEW, OP_REOPEN, 0, 0, "not closed" },
	{ STATE_NEW, OP_QUALIFY, 1, STATE_CLAIMED, NULL },
	{ STATE_CLAIMED, OP_CLAIM, 0, 0, "claimed by alice" },
	{ STATE_CLAIMED, OP_STEAL, 1, STATE_CLAIMED, NULL },
	{ STATE_CLAIMED, OP_ROUTE, 1, STATE_ROUTED, NULL },
	{ STATE_CLAIMED, OP_ACK, 0, 0, "only a routed ticket" },
	{ STATE_CLAIMED, OP_CLOSE, 1, STATE_CLOSED, NULL },
	{ STATE_CLAIMED, OP_DISQ, 1, STATE_CLOSED, NULL },
	{ STATE_CLAIMED, OP_REOPEN, 0, 0, "not closed" },
	{ STATE_CLAIMED, OP_QUALIFY, 1, STATE_CLAIMED, NULL },
	{ STATE_ROUTED, OP_CLAIM, 0, 0, "cannot be claimed" },
	{ STATE_ROUTED, OP_STEAL, 0, 0, "cannot be claimed" },
	{ STATE_ROUTED, OP_ROUTE, 0, 0, "routed again" },
	{ STATE_ROUTED, OP_ACK, 1, STATE_ACKNOWLEDGED, NULL },
	{ STATE_ROUTED, OP_CLOSE, 1, STATE_CLOSED, NULL },
	{ STATE_ROUTED, OP_REOPEN, 0, 0, "not closed" },
	{ STATE_ROUTED, OP_DISQ, 1, STATE_CLOSED, NULL },
	{ STATE_ROUTED, OP_QUALIFY, 1, STATE_ROUTED, NULL },
	{ STATE_ACKNOWLEDGED, OP_CLAIM, 0, 0, "cannot be claimed" },
	{ STATE_ACKNOWLEDGED, OP_STEAL, 0, 0, "cannot be claimed" },
	{ STATE_ACKNOWLEDGED, OP_QUALIFY, 1, STATE_ACKNOWLEDGED, NULL },
	{ STATE_ACKNOWLEDGED, OP_ROUTE, 0, 0, "routed again" },
	{ STATE_ACKNOWLEDGED, OP_ACK, 0, 0, "already acknowledged" },
	{ STATE_ACKNOWLEDGED, OP_CLOSE, 1, STATE_CLOSED, NULL },
	{ STATE_ACKNOWLEDGED, OP_DISQ, 1, STATE_CLOSED, NULL },
	{ STATE_ACKNOWLEDGED, OP_REOPEN, 0, 0, "not closed" },
	{ STATE_CLOSED, OP_CLAIM, 0, 0, "reopen it before" },
	{ STATE_CLOSED, OP_STEAL, 0, 0, "reopen it before" },
	{ STATE_CLOSED, OP_ROUTE, 0, 0, "reopen it before" },
	{ STATE_CLOSED, OP_ACK, 0, 0, "only a routed ticket" },
	{ STATE_CLOSED, OP_CLOSE, 0, 0, "already closed" },
	{ STATE_CLOSED, OP_DISQ, 0, 0, "already closed" },
	{ STATE_CLOSED, OP_QUALIFY, 0, 0, "reopen it before" },
	{ STATE_CLOSED, OP_REOPEN, 1, STATE_NEW, NULL },
	{ STATE_IGNORED, OP_CLAIM, 0, 0, "ignored by a rule (auto-reply)" },
	{ STATE_IGNORED, OP_ROUTE, 0, 0, "ignored by a rule" },
	{ STATE_IGNORED, OP_ACK, 0, 0, "only a routed ticket" },
	{ STATE_IGNORED, OP_CLOSE, 0, 0, "ignored by a rule" },
	{ STATE_IGNORED, OP_STEAL, 0, 0, "ignored by a rule" },
	{ STATE_IGNORED, OP_DISQ, 0, 0, "ignored by a rule" },
	{ STATE_IGNORED, OP_QUALIFY, 0, 0, "ignored by a rule" },
	{ STATE_IGNORED, OP_REOPEN, 1, STATE_NEW, NULL },
};

/* The ticket is `who`'s, by a claim event the step implied. */
static void
assert_implied_claim(const struct store_detail *d, const char *who,
    const char *step)
{
	char want[64];
	size_t n = 0;

	snprintf(want, sizeof(want), "implied by %s", step);
	assert_non_null(d->t.owner);
	assert_string_equal(d->t.owner, who);
	for (size_t i = 0; i < d->n_events; i++) {
		if (strcmp(d->events[i].kind, "claim") == 0 &&
		    strcmp(d->events[i].actor, who) == 0 &&
		    strcmp(d->events[i].detail, want) == 0)
			n++;
	}
	if (n != 1)
		fail_msg("%s of a new ticket: %zu claims '%s' by %s", step, n,
		    want, who);
}

static void
test_transitions(void **state)
{
	struct store *st = open_fresh("flow");
	size_t n = sizeof(transitions) / sizeof(transitions[0]);
	struct error err = { 0 };
	struct verdict ign;

	verdict_init(&ign);
	ign.ignore = xstrdup("auto-reply");
	for (size_t i = 0; i < n; i++) {
		struct store_ingest_result res = { 0 };
		struct store_detail *d = NULL;
		char mid[32];
		struct tmsg m = { NULL, mid, NULL, NULL, "pat@buyer.test",
			"sales@example.com", "flow" };
		int r, events;

		snprintf(mid, sizeof(mid), "flow%zu@x", i);
		assert_int_equal(
		    ingest_t(st, &m, 0,
			transitions[i].from == STATE_IGNORED ? &ign : NULL,
			&res),
		    0);
		for (const int *k = to_state[transitions[i].from]; *k >= 0;
		     k++) {
			assert_int_equal(do_op(st, res.ticket_id, (enum op) * k,
					     "alice", &err),
			    0);
		}
		assert_int_equal(store_show(st, res.ticket_id, &d, &err), 0);
		assert_int_equal(d->t.state, transitions[i].from);
		events = (int)d->n_events;
		store_detail_free(&d);

		error_clear(&err);
		r = do_op(st, res.ticket_id, transitions[i].op, "bob", &err);
		assert_int_equal(store_show(st, res.ticket_id, &d, &err), 0);
		if (transitions[i].ok) {
			if (r != 0)
				fail_msg("%s from %s refused: %s",
				    op_names[transitions[i].op],
				    store_state_name(transitions[i].from),
				    err.msg);
			assert_int_equal(d->t.state, transitions[i].to);
			/* Every change writes at least one event by bob. */
			assert_true((int)d->n_events > events);
			assert_string_equal(d->events[d->n_events - 1].actor,
			    "bob");
			/* a new ticket routed, qualified or closed: bob's */
			if (transitions[i].from == STATE_NEW &&
			    transitions[i].op != OP_CLAIM &&
			    transitions[i].op != OP_STEAL)
				assert_implied_claim(d, "bob",
				    op_names[transitions[i].op]);
		} else {
			if (r == 0)
				fail_msg("%s from %s was allowed",
				    op_names[transitions[i].op],
				    store_state_name(transitions[i].from));
			assert_int_equal(err.code, ERR_REFUSED);
			if (strstr(err.msg, transitions[i].why) == NULL)
				fail_msg("%s from %s: '%s' lacks '%s'",
				    op_names[transitions[i].op],
				    store_state_name(transitions[i].from),
				    err.msg, transitions[i].why);
			assert_int_equal(d->t.state, transitions[i].from);
			assert_int_equal((int)d->n_events, events);
		}
		store_detail_free(&d);
	}
	/* Unknown tickets are not found. */
	assert_int_equal(do_op(st, 424242, OP_CLAIM, "bob", &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	verdict_clear(&ign);
	store_close(&st);
}

/*
 * A reply naming our forward's Message-ID joins its ticket only when the
 * id is signed with this database's key: an unsigned one (this database
 * never sent any), one from another database or with a changed MAC
 * opens a ticket of its own.
 */
static void
test_our_ids(void **state)
{
	static const struct msgid_key other = { "0123456789ab", { 7 } };
	struct store *st = open_fresh("our-ids");
	struct tmsg m = { NULL, "q1@buyer.test", NULL, NULL, "pat@buyer.test",
		"sales@example.com", "question" };
	struct store_ingest_result res = { 0 };
	char *ids[4], mid[32], *mac_end;
	int64_t t;
	struct {
		size_t id;
		int joins;
	} cases[] = { { 0, 1 }, { 1, 0 }, { 2, 0 }, { 3, 0 } };

	(void)state;
	store_set_own_domain(st, "example.com");
	assert_int_equal(ingest_t(st, &m, 0, NULL, &res), 0);
	t = res.ticket_id;
	assert_non_null(store_msgid_key(st));
	ids[0] = msgid_make(store_msgid_key(st), "example.com", t, 1, "");
	ids[1] = msgid_make(NULL, "example.com", t, 1, "");
	ids[2] = msgid_make(&other, "example.com", t, 1, "");
	ids[3] = xstrdup(ids[0]);
	mac_end = ids[3] + strcspn(ids[3], "@") - 1; /* the MAC's last digit */
	*mac_end = *mac_end == '0' ? '1' : '0';
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tmsg r = { NULL, mid, ids[cases[i].id], NULL,
			"helpdesk@vendor.test", "sales@example.com", "Re: x" };

		snprintf(mid, sizeof(mid), "r%zu@vendor.test", i);
		assert_int_equal(ingest_t(st, &r, 0, NULL, &res), 0);
		if ((res.ticket_id == t) != cases[i].joins)
			fail_msg("%s: joined %d, want %d", ids[cases[i].id],
			    res.ticket_id == t, cases[i].joins);
	}
	for (size_t i = 0; i < 4; i++)
		free(ids[i]);
	store_close(&st);
}

static void
test_marks_and_outbox(void **state)
{
	struct store *st = open_fresh("marks");
	struct tmsg m = { NULL, "m1@x", NULL, NULL, "pat@buyer.test",
		"sales@example.com", "marks" };
	struct tmsg reply = { NULL, "m2@x", "m1@x", "m1@x", "pat@buyer.test",
		"sales@example.com", "Re: marks" };
	struct store_actor a = { "alice", STORE_SRC_CLI };
	struct store_ingest_result res = { 0 };
	struct error err = { 0 };
	struct store_detail *d = NULL;
	enum dim dims[] = { DIM_BUDGET, DIM_AUTHORITY };
	int64_t id;

	assert_int_equal(ingest_t(st, &m, 0, NULL, &res), 0);
	id = res.ticket_id;
	assert_int_equal(store_tag(st, id, "EE-Lead", &a, &err), 0);
	/* Already so: no change and no event, but not refused either. */
	assert_int_equal(store_tag(st, id, "ee-lead", &a, &err), 0);
	/* what "#tag" refuses by mail, the store refuses from anyone */
	assert_int_equal(store_tag(st, id, "%n%s", &a, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_string_equal(err.msg, COMMAND_TAG_ERROR);
	assert_int_equal(store_set_priority(st, id, PRIO_HIGH, &a, &err), 0);
	assert_int_equal(store_set_priority(st, id, PRIO_HIGH, &a, &err), 0);
	assert_int_equal(store_note(st, id, "called them", &a, &err), 0);
	assert_int_equal(store_story(st, id, &a, &err), 0);
	assert_int_equal(store_story(st, id, &a, &err), -1);
	assert_int_equal(store_qualify(st, id, dims, 2, &a, &err), 0);
	/* qualifying the new ticket claimed it for alice */
	assert_int_equal(store_claim(st, id, &a, 0, &err), -1);
	assert_non_null(strstr(err.msg, "already claimed by you"));
	assert_int_equal(store_route(st, id, "sales", "hot lead", &a, &err), 0);
	assert_int_equal(count(st, "outbox"), 1);
	/* A later customer message on a routed ticket is forwarded too. */
	assert_int_equal(ingest_t(st, &reply, 0, NULL, &res), 0);
	assert_int_equal(res.ticket_id, id);
	assert_int_equal(count(st, "outbox"), 2);
	/* Its copy from the other shared mailbox is not forwarded again. */
	reply.mailbox = "community";
	assert_int_equal(ingest_t(st, &reply, 0, NULL, &res), 0);
	assert_int_equal(res.ticket_id, id);
	assert_false(res.duplicate);
	assert_int_equal(count(st, "outbox"), 2);
	reply.mailbox = NULL;
	assert_int_equal(store_show(st, id, &d, &err), 0);
	assert_string_equal(d->t.tags[0], "ee-lead");
	assert_int_equal(d->t.priority, PRIO_HIGH);
	assert_int_equal(d->t.story, 1);
	assert_int_equal(d->t.qualified, 1);
	assert_int_equal(d->t.scores[DIM_BUDGET], 1);
	assert_int_equal(d->t.scores[DIM_AUTHORITY], 1);
	assert_string_equal(d->t.route, "sales");
	store_detail_free(&d);
	/* A customer writing to a closed ticket reopens it. */
	assert_int_equal(store_close_ticket(st, id, &a, &err), 0);
	reply.mid = "m3@x";
	assert_int_equal(ingest_t(st, &reply, 0, NULL, &res), 0);
	assert_int_equal(store_show(st, id, &d, &err), 0);
	assert_int_equal(d->t.state, STATE_NEW);
	assert_null(d->t.owner);
	store_detail_free(&d);
	/* The event log is append-only. */
	assert_int_equal(store_exec(st, "DELETE FROM events", &err), -1);
	assert_non_null(strstr(err.msg, "append-only"));
	store_close(&st);
}

/* ---- classification, ignored, failed, reprocess ---- */

static void
test_verdict_and_reprocess(void **state)
{
	struct store *st = open_fresh("verdict");
	struct tmsg m = { NULL, "v1@x", NULL, NULL, "pat@buyer.test",
		"sales@example.com", "pricing" };
	struct tmsg ooo = { NULL, "v2@x", NULL, NULL, "pat@buyer.test",
		"sales@example.com", "Out of office" };
	struct store_actor a = { "alice", STORE_SRC_CLI };
	struct store_ingest_result res = { 0 };
	struct store_ingest_in in = { 0 };
	struct error err = { 0 };
	struct store_detail *d = NULL;
	struct verdict v, ign;
	int64_t *ids = NULL;
	size_t n = 0;
	struct msg *pm;

	verdict_init(&v);
	v.queue = xstrdup("enterprise");
	v.priority = PRIO_URGENT;
	v.scores[DIM_NEED] = 2;
	verdict_add_tag(&v, "Pricing");
	verdict_add_hit(&v, "pricing-question", "10-sales.rules", 3, "subject",
	    "pricing", 0);
	v.route = xstrdup("sales");
	assert_int_equal(ingest_t(st, &m, 0, &v, &res), 0);
	assert_int_equal(store_show(st, res.ticket_id, &d, &err), 0);
	assert_string_equal(d->t.queue, "enterprise");
	assert_int_equal(d->t.priority, PRIO_URGENT);
	assert_int_equal(d->t.scores[DIM_NEED], 2);
	assert_string_equal(d->t.tags[0], "pricing");
	assert_int_equal(d->n_hits, 1);
	assert_string_equal(d->hits[0].rule, "pricing-question");
	assert_int_equal(d->hits[0].line, 3);
	/* An auto-route by rule routes the new ticket and queues it. */
	assert_int_equal(d->t.state, STATE_ROUTED);
	assert_string_equal(d->events[d->n_events - 1].source, "rule");
	store_detail_free(&d);
	assert_int_equal(count(st, "outbox"), 1);
	/* A copy from another mailbox adds no scores, hits or forwards. */
	m.mailbox = "community";
	assert_int_equal(ingest_t(st, &m, 0, &v, &res), 0);
	assert_int_equal(store_show(st, res.ticket_id, &d, &err), 0);
	assert_int_equal(d->t.scores[DIM_NEED], 2);
	assert_int_equal(d->n_hits, 1);
	assert_string_equal(d->events[d->n_events - 1].kind, "copy");
	assert_int_equal(d->t.n_mailboxes, 2);
	store_detail_free(&d);
	assert_int_equal(count(st, "outbox"), 1);

	verdict_init(&ign);
	ign.ignore = xstrdup("auto-reply");
	assert_int_equal(ingest_t(st, &ooo, 0, &ign, &res), 0);
	assert_true(res.ignored);
	assert_int_equal(store_show(st, res.ticket_id, &d, &err), 0);
	assert_int_equal(d->t.state, STATE_IGNORED);
	assert_string_equal(d->t.ignore_reason, "auto-reply");
	assert_string_equal(d->messages[0].status, "ignored");
	store_detail_free(&d);

	/* A message the parser gave up on is kept, raw, with its error. */
	in.mailbox = "sales";
	in.queue = "sales";
	in.raw = "\x01\x02 garbage";
	in.raw_len = 10;
	in.parse_error = "no header block";
	in.actor = a;
	assert_int_equal(store_ingest(st, &in, &res, &err), 0);
	assert_int_equal(res.ticket_id, 0);
	assert_int_equal(store_ingest(st, &in, &res, &err), 0);
	assert_true(res.duplicate);
	assert_int_equal(store_messages_failed(st, &ids, &n, &err), 0);
	assert_int_equal(n, 1);
	/* Parsed again after a parser fix, it is threaded at last. */
	pm = mk(&(struct tmsg){ NULL, "v3@x", NULL, NULL, "kim@corp.test",
	    "sales@example.com", "now readable" });
	assert_int_equal(
	    store_reprocess_msg(st, ids[0], pm, NULL, NULL, &a, &err), 0);
	mfree(&pm);
	free(ids);
	ids = NULL;
	assert_int_equal(store_messages_failed(st, &ids, &n, &err), 0);
	assert_int_equal(n, 0);
	free(ids);
	assert_int_equal(count(st, "tickets"), 3);
	verdict_clear(&v);
	verdict_clear(&ign);
	store_close(&st);
}

/* ---- queue, search ---- */

static void
test_queue_order(void **state)
{
	struct store *st = open_fresh("queue");
	static const struct {
		const char *mid;
		enum priority p;
		int64_t at;
	} rows[] = {
		{ "q1@x", PRIO_NORMAL, 100 },
		{ "q2@x", PRIO_HIGH, 300 },
		{ "q3@x", PRIO_NORMAL, 50 },
		{ "q4@x", PRIO_URGENT, 400 },
		{ "q5@x", PRIO_HIGH, 200 },
	};
	static const char *const expect[] = { "q4@x", "q5@x", "q2@x", "q3@x",
		"q1@x" };
	struct store_filter f = { NULL, NULL, -1, 0 };
	struct store_ticket *v = NULL;
	struct error err = { 0 };
	size_t n = 0;
	int64_t saved = fake_now;

	for (size_t i = 0; i < 5; i++) {
		struct store_ingest_result res = { 0 };
		struct verdict vd;
		struct tmsg m = { NULL, rows[i].mid, NULL, NULL,
			"pat@buyer.test", "sales@example.com", rows[i].mid };

		verdict_init(&vd);
		vd.priority = rows[i].p;
		fake_now = rows[i].at;
		assert_int_equal(ingest_t(st, &m, 0, &vd, &res), 0);
	}
	fake_now = saved;
	assert_int_equal(store_queue(st, &f, &v, &n, &err), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i].subject, expect[i]);
	store_tickets_free(&v, n);
	f.limit = 2;
	f.state = STATE_NEW;
	assert_int_equal(store_queue(st, &f, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	store_tickets_free(&v, n);
	f.queue = "nope";
	assert_int_equal(store_queue(st, &f, &v, &n, &err), 0);
	assert_int_equal(n, 0);
	store_tickets_free(&v, n);
	/* Search: words, addresses; no FTS syntax errors from user text. */
	assert_int_equal(
	    store_search(st, "enterprise \"edition", 0, &v, &n, &err), 0);
	assert_int_equal(n, 5);
	store_tickets_free(&v, n);
	assert_int_equal(store_search(st, "q3@x", 0, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	store_tickets_free(&v, n);
	store_close(&st);
}

/* ---- full-text index ---- */

static size_t
found(struct store *st, const char *query)
{
	struct store_ticket *v = NULL;
	struct error err = { 0 };
	size_t n = 0;

	assert_int_equal(store_search(st, query, 0, &v, &n, &err), 0);
	store_tickets_free(&v, n);
	return n;
}

/* FTS5's own check of the index against the messages table. */
static void
assert_fts_sound(struct store *st)
{
	struct error err = { 0 };

	/* FTS5's own check; PostgreSQL's index is a generated column */
	if (test_on_pg())
		return;
	if (store_exec(st,
		"INSERT INTO messages_fts (messages_fts, rank)"
		" VALUES ('integrity-check', 1)",
		&err) < 0)
		fail_msg("full-text index: %s", err.msg);
}

/*
 * Rows are indexed once per transaction, just before COMMIT: what a
 * batch stored is searchable after it, what a savepoint or the whole
 * transaction rolled back is not, and reprocessing a row stored in the
 * same transaction leaves the index sound.
 */
static void
test_fts_per_transaction(void **state)
{
	struct tmsg a = { NULL, "fts-a@x", NULL, NULL, "pat@buyer.test",
		"sales@example.com", "alpha pricing" };
	struct tmsg b = a, c = a, d = a, e = a, f = a;
	struct store_ingest_result res = { 0 }, res_e = { 0 };
	const struct store_actor who = { "test", STORE_SRC_CLI };
	struct error err = { 0 };
	struct store *st = open_fresh("fts");
	struct msg *m;

	(void)state;

	b.mid = "fts-b@x", b.subject = "bravo pricing";
	c.mid = "fts-c@x", c.subject = "charlie dropped";
	d.mid = "fts-d@x", d.subject = "delta rolledback";
	e.mid = "fts-e@x", e.subject = "echo before";
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(ingest_t(st, &a, 1, NULL, &res), 0);
	assert_int_equal(store_unit_begin(st, &err), 0);
	assert_int_equal(ingest_t(st, &c, 2, NULL, &res), 0);
	assert_int_equal(store_unit_end(st, 0, &err), 0);
	assert_int_equal(ingest_t(st, &b, 3, NULL, &res), 0);
	/* stored in this transaction, then reprocessed in it */
	assert_int_equal(ingest_t(st, &e, 4, NULL, &res_e), 0);
	e.subject = "echo after";
	m = mk(&e);
	assert_int_equal(store_reprocess_msg(st, res_e.message_id, m, NULL,
			     NULL, &who, &err),
	    0);
	mfree(&m);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(found(st, "pricing"), 2);
	assert_int_equal(found(st, "charlie"), 0);
	assert_int_equal(found(st, "after"), 1);
	assert_int_equal(found(st, "before"), 0);
	assert_fts_sound(st);

	/* A flush inside a savepoint that is rolled back is undone too. */
	f.mid = "fts-f@x", f.subject = "foxtrot pending";
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(ingest_t(st, &f, 6, NULL, &res), 0);
	assert_int_equal(store_unit_begin(st, &err), 0);
	e.subject = "echo rolled";
	m = mk(&e);
	assert_int_equal(store_reprocess_msg(st, res_e.message_id, m, NULL,
			     NULL, &who, &err),
	    0); /* flushes foxtrot, then undone */
	mfree(&m);
	assert_int_equal(store_unit_end(st, 0, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(found(st, "foxtrot"), 1);
	assert_int_equal(found(st, "rolled"), 0);
	assert_fts_sound(st);

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(ingest_t(st, &d, 5, NULL, &res), 0);
	store_rollback(st);
	assert_int_equal(found(st, "rolledback"), 0);
	/* the next row takes the rolled-back one's number */
	d.subject = "delta kept";
	assert_int_equal(ingest_t(st, &d, 5, NULL, &res), 0);
	assert_int_equal(found(st, "kept"), 1);
	assert_fts_sound(st);
	store_close(&st);
}

/* ---- migrations ---- */

static void
test_migrations(void **state)
{
	struct tmsg m = { NULL, "old@x", NULL, NULL, "pat@buyer.test",
		"sales@example.com", "written by schema one" };
	struct store_ingest_result res = { 0 };
	struct store_ticket *v = NULL;
	struct error err = { 0 };
	struct store *st = NULL;
	char path[256];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/migrate.db", dbdir);
	unlink(path);
	/* A database as the first schema version left it, with a ticket. */
	assert_int_equal(store_open_raw(path, &st, &err), 0);
	assert_int_equal(store_migrate(st, 1, &err), 0);
	assert_int_equal(store_schema_version(st), 1);
	assert_int_equal(ingest_t(st, &m, 1, NULL, &res), 0);
	store_close(&st);
	/* Opening upgrades it in place; old mail is searchable. */
	assert_int_equal(store_open(path, &st, &err), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	assert_int_equal(count(st, "tickets"), 1);
	assert_int_equal(store_search(st, "schema", 0, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	store_tickets_free(&v, n);
	/* A newer database is refused with both versions named. */
	assert_int_equal(store_exec(st, "PRAGMA user_version = 99", &err), 0);
	store_close(&st);
	assert_int_equal(store_open(path, &st, &err), -1);
	assert_null(st);
	assert_non_null(strstr(err.msg, "version 99 is newer"));
	snprintf(path, sizeof(path), "(%d)", STORE_SCHEMA_VERSION);
	assert_non_null(strstr(err.msg, path));
}

static int
setup(void **state)
{
	if (test_tmpdir(dbdir, sizeof(dbdir), "store") != 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	return test_rmtree(dbdir) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threading),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_marks_and_outbox),
		cmocka_unit_test(test_our_ids),
		cmocka_unit_test(test_verdict_and_reprocess),
		cmocka_unit_test(test_queue_order),
		cmocka_unit_test(test_fts_per_transaction),
		cmocka_unit_test(test_migrations),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
