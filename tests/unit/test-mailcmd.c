/*
 * Mail commands applied through a real temporary SQLite store, with
 * messages parsed by mime_parse: a customer mail opens ticket #1, then
 * a command mail is stored and applied in one transaction, as the
 * daemon's committer does it.  Each case checks what matters: the
 * ticket's state, owner and route, the events (source "mail"), and the
 * answer rows queued in the outbox.
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
#include <sqlite3.h>

#include "buf.h"
#include "conf.h"
#include "forward.h"
#include "ingest.h"
#include "mailcmd.h"
#include "mime.h"
#include "store.h"
#include "test-common.h"
#include "xalloc.h"

static char dbdir[128];
static int64_t fake_now = 1793610000; /* 2026-11-09T10:20:00Z */
/* The rules' verdict for the next ingest(); NULL: none. */
static const struct verdict *next_verdict;

static struct conf_mailbox mailboxes[] = {
	{ .name = "sales", .address = "sales@example.com", .queue = "sales" },
	{ .name = "community",
	    .address = "community@example.com",
	    .queue = "community" },
};
static struct conf_route routes[] = {
	{ .name = "sales", .to = "sales-team@example.com" },
	{ .name = "support", .to = "support@example.com" },
};
static struct conf_member team[] = {
	{ .name = "alice", .address = "alice@example.com", .role = "bdr" },
	{ .name = "bob", .address = "bob@example.com", .role = "bdr" },
	{ .name = "sam",
	    .address = "sam@example.com",
	    .role = "support",
	    .route = "support" },
};
static struct conf conf = {
	.mailboxes = mailboxes,
	.n_mailboxes = 2,
	.routes = routes,
	.n_routes = 2,
	.team = team,
	.n_team = 3,
	.smtp_from = "Triage <triage@example.com>",
};

/*
 * Store one message in `mailbox` and apply its commands, in one
 * transaction, like commit_entry().
 */
static char *
ingest(struct store *st, const char *mailbox, const char *raw, int cap,
    struct store_ingest_result *ing, struct mailcmd_result *res)
{
	const struct conf_mailbox *mb = conf_mailbox(&conf, mailbox);
	struct error err = { 0 };
	struct msg *m = test_msg_parse(raw, strlen(raw), NULL, fake_now);
	struct store_ingest_in in = { .mailbox = mb->name,
		.mailbox_address = mb->address,
		.queue = mb->queue,
		.raw = raw,
		.raw_len = strlen(raw),
		.msg = m,
		.verdict = next_verdict,
		.actor = { "triaged", STORE_SRC_DAEMON } };
	char *sender;

	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_ingest_msg(st, &in, ing, &err), 0);
	if (mailcmd_apply(st, &conf, m, NULL, ing, cap, res, &err) < 0)
		fail_msg("mailcmd_apply: %s", err.msg);
	assert_int_equal(store_commit(st, &err), 0);
	sender = xstrdup(m->from.addr);
	msg_free(&m);
	return sender;
}

static struct store *
open_fresh(const char *name, char *path, size_t pathlen)
{
	struct error err = { 0 };
	struct store *st = NULL;
	struct store_ingest_result ing;
	struct mailcmd_result res;
	size_t len;
	char *raw;

	snprintf(path, pathlen, "%s/%s.db", dbdir, name);
	unlink(path);
	if (store_open(path, &st, &err) < 0)
		fail_msg("store_open: %s", err.msg);
	store_set_clock(st, test_clock, &fake_now);
	/* as the daemon does: the team and the routes are our side */
	ingest_store_setup(st, &conf, NULL);
	/* Ticket #1: the customer's question.  It commands nothing. */
	raw = test_fixture("mailcmd", "customer.eml", &len);
	free(ingest(st, "sales", raw, 0, &ing, &res));
	assert_int_equal(ing.ticket_id, 1);
	assert_int_equal(res.outcome, MAILCMD_NONE);
	free(raw);
	return st;
}

/* The answer texts queued for `rcpt`, newest last, "\f"-separated. */
static char *
answers(const char *path, const char *rcpt, int *n_r)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	struct buf b;

	buf_init(&b, 1024 * 1024);
	*n_r = 0;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
		"SELECT note, message_id,"
		" state FROM outbox WHERE kind = 'answer' AND rcpt = ?"
		" ORDER BY id",
		-1, &s, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(s, 1, rcpt, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		/* Every answer says which stored message it answers. */
		assert_true(sqlite3_column_int64(s, 1) > 0);
		assert_string_equal(sqlite3_column_text(s, 2), "pending");
		buf_printf(&b, "%s\f", sqlite3_column_text(s, 0));
		(*n_r)++;
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return b.data != NULL ? buf_steal(&b) : xstrdup("");
}

/* How many events of `kind` ticket `id` has, and the last one. */
static size_t
events_of(struct store *st, int64_t id, const char *kind,
    struct store_event_rec *last, struct store_detail **dp)
{
	struct error err = { 0 };
	size_t n = 0;

	assert_int_equal(store_show(st, id, dp, &err), 0);
	for (size_t i = 0; i < (*dp)->n_events; i++) {
		if (strcmp((*dp)->events[i].kind, kind) == 0) {
			*last = (*dp)->events[i];
			n++;
		}
	}
	return n;
}

/* ---- the table ---- */

enum setup {
	NONE,
	CLAIMED_BY_BOB,
	ROUTED_BY_BOB,
	TRUST
};

struct tcase {
	const char *name;
	enum setup setup;
	const char *from;
	const char *to;
	const char *subject;
	int reply;	     /* In-Reply-To the customer's mail */
	const char *headers; /* extra header lines, "\n"-terminated */
	const char *body;
	/* expected */
	enum mailcmd_outcome outcome;
	const char *state; /* of ticket #1 afterwards */
	const char *owner; /* NULL: none */
	const char *route;
	int n_answers;	    /* to the sender */
	const char *answer; /* substring of the answer, or NULL */
	const char *event;  /* an event kind ticket #1 must carry */
	const char *event_actor;
	const char *event_detail; /* substring of that event's detail */
};

static const struct tcase cases[] = {
	{ "claim and route, in order", NONE, "Alice <alice@example.com>",
	    "sales@example.com", "Re: Pricing", 1, "",
	    "#claim\n#route support\n\nTaking it.\n", MAILCMD_APPLIED, "routed",
	    "alice", "support", 1,
	    "Applied to ticket #1 (Re: Pricing):\n\n  - #claim\n"
	    "  - #route support\n",
	    "route", "alice", "support" },
	{ "route in one step: a new ticket is claimed, then routed", NONE,
	    "alice@example.com", "sales@example.com", "Re: Pricing", 1, "",
	    "#route support\n", MAILCMD_APPLIED, "routed", "alice", "support",
	    1, "  - #route support\n", "claim", "alice", "implied by route" },
	{ "qualify a new ticket: the claim is implied", NONE,
	    "alice@example.com", "sales@example.com", "Re: Pricing", 1, "",
	    "#qualify budget\n", MAILCMD_APPLIED, "claimed", "alice", NULL, 1,
	    "  - #qualify budget\n", "claim", "alice", "implied by qualify" },
	{ "close a new ticket: claimed by the closer first", NONE,
	    "bob@example.com", "sales@example.com", "Re: Pricing", 1, "",
	    "#close\n", MAILCMD_APPLIED, "closed", "bob", NULL, 1, "  - #close",
	    "claim", "bob", "implied by close" },
	{ "support may not claim: its role says what it may", NONE,
	    "sam@example.com", "sales@example.com", "Re: Pricing", 1, "",
	    "#claim\n#note seen\n", MAILCMD_FAILED, "new", NULL, NULL, 1,
	    "line 1: \"#claim\": your role (support) may not #claim: it may "
	    "give #ack and #note",
	    "command-failed", "sam", "your role (support)" },
	{ "support's note on its ticket", ROUTED_BY_BOB, "sam@example.com",
	    "sales@example.com", "Re: [#1] Pricing", 0, "",
	    "#note calling Pat\n", MAILCMD_APPLIED, "acknowledged", "bob",
	    "support", 1, "  - #note calling Pat", "note", "sam",
	    "calling Pat" },
	{ "unknown route: the claim before it is rolled back", NONE,
	    "alice@example.com", "sales@example.com", "Re: Pricing", 1, "",
	    "#claim\n#tag ee-lead\n#route nowhere\n", MAILCMD_FAILED, "new",
	    NULL, NULL, 1,
	    "line 3: \"#route nowhere\": unknown route 'nowhere' (routes: "
	    "sales support)",
	    "command-failed", "alice", "nowhere" },
	{ "route owner without a key account: refused, says why", NONE,
	    "alice@example.com", "sales@example.com", "Re: Pricing", 1, "",
	    "#claim\n#route owner\n", MAILCMD_FAILED, "new", NULL, NULL, 1,
	    "line 2: \"#route owner\": ticket #1 has no key account",
	    "command-failed", "alice", "#route owner" },
	/* issue 16: a command that may be quoted refuses the mail, and
	 * the answer says why */
	{ "a command below the quote: refused, says why", NONE,
	    "alice@example.com", "sales@example.com", "Re: Pricing", 1, "",
	    "#claim\n\nOn Mon, 3 Feb 2025, Pat <pat@buyer.example> wrote:\n"
	    "> Hello\n\n#close\n",
	    MAILCMD_FAILED, "new", NULL, NULL, 1,
	    "line 2: \"#close\": below quoted text, so it may be quoted",
	    "command-failed", "alice", "#close" },
	{ "an indented command: refused, says why", NONE, "alice@example.com",
	    "sales@example.com", "Re: Pricing", 1, "", "#claim\n\n    #close\n",
	    MAILCMD_FAILED, "new", NULL, NULL, 1,
	    "line 3: \"#close\": indented, so it may be quoted text",
	    "command-failed", "alice", "#close" },
	{ "a bad line: none applies", NONE, "alice@example.com",
	    "sales@example.com", "Re: Pricing", 1, "",
	    "#claim\n#priority soon\n", MAILCMD_FAILED, "new", NULL, NULL, 1,
	    "line 2: \"#priority soon\": #priority needs", "command-failed",
	    "alice", "; commands: #claim, #priority soon" },
	{ "already claimed by bob", CLAIMED_BY_BOB, "alice@example.com",
	    "sales@example.com", "Re: Pricing", 1, "", "#claim\n",
	    MAILCMD_FAILED, "claimed", "bob", NULL, 1,
	    "line 1: \"#claim\": ticket #1 is claimed by bob\n",
	    "command-failed", "alice", "claimed by bob" },
	{ "the owner routes his claimed ticket", CLAIMED_BY_BOB,
	    "bob@example.com", "sales@example.com", "Re: Pricing", 1, "",
	    "#route sales\n#note wants 40 seats\n", MAILCMD_APPLIED, "routed",
	    "bob", "sales", 1, "  - #note wants 40 seats", "note", "bob",
	    "wants 40 seats" },
	{ "support acknowledges the forward it got", ROUTED_BY_BOB,
	    "Sam <sam@example.com>", "sales@example.com",
	    "Re: [#1] Pricing for 40 seats", 0,
	    "In-Reply-To: <triage.T1.E1@example.com>\n",
	    "#ack\nWe have it, calling Pat today.\n", MAILCMD_APPLIED,
	    "acknowledged", "bob", "support", 1, "  - #ack", "ack", "sam",
	    "support" },
	{ "an outsider's bad line", NONE, "mallory@evil.test",
	    "sales@example.com", "Re: Pricing", 1, "", "#priority soon\n",
	    MAILCMD_REFUSED, "new", NULL, NULL, 0, NULL, "command-refused",
	    "triaged", "; commands: #priority soon" },
	{ "an outsider", NONE, "Mallory <mallory@evil.test>",
	    "sales@example.com", "Re: Pricing", 1, "", "#claim\n",
	    MAILCMD_REFUSED, "new", NULL, NULL, 0, NULL, "command-refused",
	    "triaged", "mallory@evil.test" },
	{ "a display-name spoof", NONE,
	    "\"alice@example.com\" <mallory@evil.test>", "sales@example.com",
	    "Re: Pricing", 1, "", "#claim\n#route sales\n", MAILCMD_REFUSED,
	    "new", NULL, NULL, 0, NULL, "command-refused", "triaged",
	    "#claim, #route sales" },
	{ "an outsider's plus-address tag", NONE, "pat@buyer.example",
	    "sales+claim@example.com", "Re: Pricing", 1, "", "Me?\n",
	    MAILCMD_REFUSED, "new", NULL, NULL, 0, NULL, "command-refused",
	    "triaged", "sales+claim@example.com" },
	{ "trust required, no Authentication-Results", TRUST,
	    "alice@example.com", "sales@example.com", "Re: Pricing", 1, "",
	    "#claim\n", MAILCMD_REFUSED, "new", NULL, NULL, 0, NULL,
	    "command-refused", "triaged", "alice@example.com" },
	{ "trust required, a header from another host", TRUST,
	    "alice@example.com", "sales@example.com", "Re: Pricing", 1,
	    "Authentication-Results: evil.test; dkim=pass "
	    "header.d=example.com\n",
	    "#claim\n", MAILCMD_REFUSED, "new", NULL, NULL, 0, NULL,
	    "command-refused", "triaged", "#claim" },
	{ "trust required, forged below the trusted host's fail", TRUST,
	    "alice@example.com", "sales@example.com", "Re: Pricing", 1,
	    "Authentication-Results: mx.example.com; dkim=fail "
	    "header.d=example.com; spf=fail smtp.mailfrom=evil.test\n"
	    "Authentication-Results: mx.example.com; dkim=pass "
	    "header.d=example.com\n",
	    "#claim\n", MAILCMD_REFUSED, "new", NULL, NULL, 0, NULL,
	    "command-refused", "triaged", "#claim" },
	{ "trust required and given", TRUST, "alice@example.com",
	    "sales@example.com", "Re: Pricing", 1,
	    "Authentication-Results: mx.example.com; dkim=pass "
	    "header.d=example.com\n",
	    "#claim\n", MAILCMD_APPLIED, "claimed", "alice", NULL, 1, "Applied",
	    "claim", "alice", NULL },
	{ "an auto-reply from the team: robots do not command", NONE,
	    "alice@example.com", "sales@example.com", "Re: Pricing", 1,
	    "Auto-Submitted: auto-replied\n", "#claim\n", MAILCMD_IGNORED,
	    "new", NULL, NULL, 0, NULL, "command-ignored", "triaged",
	    "auto-submitted" },
	{ "our own mail coming back", NONE, "alice@example.com",
	    "sales@example.com", "Re: Pricing", 1,
	    "X-Loop: triage@example.com\n", "#claim\n", MAILCMD_IGNORED, "new",
	    NULL, NULL, 0, NULL, "command-ignored", "triaged", "X-Loop" },
	{ "plus-address tags", NONE, "alice@example.com",
	    "sales+claim+priority-high@example.com", "Re: Pricing", 1, "",
	    "On it.\n#tag ee-lead\n", MAILCMD_APPLIED, "claimed", "alice", NULL,
	    1, "  - #claim\n  - #priority high\n  - #tag ee-lead\n", "priority",
	    "alice", "high" },
	{ "a bad plus-address tag", NONE, "alice@example.com",
	    "sales+priority-soon@example.com", "Re: Pricing", 1, "", "x\n",
	    MAILCMD_FAILED, "new", NULL, NULL, 1,
	    "address sales+priority-soon@example.com:", "command-failed",
	    "alice", "priority" },
	{ "a subject token names the ticket", NONE, "alice@example.com",
	    "sales@example.com", "[#1] Pricing", 0, "", "#claim\n",
	    MAILCMD_APPLIED, "claimed", "alice", NULL, 1,
	    "Applied to ticket #1", "claim", "alice", NULL },
	{ "mailing-list mail from the team: applied, never answered", NONE,
	    "alice@example.com", "sales@example.com", "Re: Pricing", 1,
	    "List-Id: <bdr.lists.example.com>\n", "#claim\n", MAILCMD_APPLIED,
	    "claimed", "alice", NULL, 0, NULL, "answer-suppressed", "triaged",
	    "mailing-list" },
	{ "support's plain reply acknowledges its ticket", ROUTED_BY_BOB,
	    "Sam <sam@example.com>", "pat@buyer.example",
	    "Re: [#1] Pricing for 40 seats", 0,
	    "In-Reply-To: <triage.T1.E1@example.com>\n",
	    "Hi Pat, calling you today.\n", MAILCMD_NONE, "acknowledged", "bob",
	    "support", 0, NULL, "ack", "sam", "support" },
	{ "the route's own address (no team member) acknowledges too",
	    ROUTED_BY_BOB, "Helpdesk <SUPPORT@example.com>",
	    "sales@example.com", "Re: [#1] Pricing", 0,
	    "In-Reply-To: <triage.T1.E1@example.com>\n",
	    "Ticket HD-77 opened for you.\n", MAILCMD_NONE, "acknowledged",
	    "bob", "support", 0, NULL, "ack", "support@example.com",
	    "support" },
	{ "another route's address acknowledges nothing", ROUTED_BY_BOB,
	    "sales-team@example.com", "sales@example.com", "Re: [#1] Pricing",
	    0, "In-Reply-To: <triage.T1.E1@example.com>\n", "Not ours.\n",
	    MAILCMD_NONE, "routed", "bob", "support", 0, NULL, "message",
	    "triaged", "sales-team@example.com (internal)" },
	{ "an auto-reply from support acknowledges nothing", ROUTED_BY_BOB,
	    "sam@example.com", "sales@example.com", "Re: [#1] Pricing", 0,
	    "In-Reply-To: <triage.T1.E1@example.com>\n"
	    "Auto-Submitted: auto-replied\n",
	    "I am away.\n", MAILCMD_NONE, "routed", "bob", "support", 0, NULL,
	    "message", "triaged", "sam@example.com" },
	{ "hashtags that are not commands", NONE, "alice@example.com",
	    "sales@example.com", "Re: Pricing", 1, "",
	    "We are #1 in #general.\n#claimed already?\n", MAILCMD_NONE, "new",
	    NULL, NULL, 0, NULL, "message", "triaged", "alice@example.com" },
};

/* Events a mail that applied nothing may leave: about it, not changes. */
static int
is_note_kind(const char *kind)
{
	return strcmp(kind, "command-failed") == 0 ||
	       strcmp(kind, "command-refused") == 0 ||
	       strcmp(kind, "command-ignored") == 0 ||
	       strcmp(kind, "answer-suppressed") == 0;
}

static void
check_ticket(const struct tcase *tc, struct store *st)
{
	struct error err = { 0 };
	struct store_detail *d = NULL;
	struct store_event_rec ev;

	assert_int_equal(store_show(st, 1, &d, &err), 0);
	assert_string_equal(store_state_name(d->t.state), tc->state);
	if (tc->owner == NULL)
		assert_null(d->t.owner);
	else
		assert_string_equal(d->t.owner, tc->owner);
	if (tc->route == NULL)
		assert_null(d->t.route);
	else
		assert_string_equal(d->t.route, tc->route);
	/* A mail that applies nothing leaves no change behind. */
	for (size_t i = 0; tc->outcome != MAILCMD_APPLIED && i < d->n_events;
	     i++) {
		/* ... but a reply from the routed side acknowledges */
		if (strcmp(d->events[i].source, "mail") == 0 &&
		    !is_note_kind(d->events[i].kind) &&
		    !(strcmp(d->events[i].kind, "ack") == 0 &&
			strcmp(tc->state, "acknowledged") == 0))
			fail_msg("%s: a '%s' event", tc->name,
			    d->events[i].kind);
	}
	if (tc->outcome != MAILCMD_APPLIED)
		assert_int_equal(d->t.n_tags, 0);
	store_detail_free(&d);
	if (events_of(st, 1, tc->event, &ev, &d) == 0)
		fail_msg("%s: no '%s' event", tc->name, tc->event);
	assert_string_equal(ev.actor, tc->event_actor);
	if (tc->outcome != MAILCMD_NONE)
		assert_string_equal(ev.source, "mail");
	if (tc->event_detail != NULL &&
	    strstr(ev.detail, tc->event_detail) == NULL)
		fail_msg("%s: event detail \"%s\" lacks \"%s\"", tc->name,
		    ev.detail, tc->event_detail);
	store_detail_free(&d);
}

static void
check_case(const struct tcase *tc)
{
	struct error err = { 0 };
	struct store_ingest_result ing;
	struct mailcmd_result res;
	struct store_actor bob = { "bob", STORE_SRC_CLI };
	struct store *st;
	char path[256], *raw, *ans, *sender;
	int n;

	conf.trust_authentication_results =
	    tc->setup == TRUST ? "mx.example.com" : NULL;
	st = open_fresh("case", path, sizeof(path));
	if (tc->setup == CLAIMED_BY_BOB || tc->setup == ROUTED_BY_BOB)
		assert_int_equal(store_claim(st, 1, &bob, 0, &err), 0);
	if (tc->setup == ROUTED_BY_BOB)
		assert_int_equal(
		    store_route(st, 1, "support", NULL, &bob, &err), 0);
	xasprintf(&raw,
	    "%sFrom: %s\nTo: %s\nSubject: %s\n"
	    "Date: Mon, 09 Nov 2026 10:15:00 +0000\n"
	    "Message-ID: <cmd@example.com>\n%s"
	    "Content-Type: text/plain; charset=utf-8\n\n%s",
	    tc->headers, tc->from, tc->to, tc->subject,
	    tc->reply ? "In-Reply-To: <c1@buyer.example>\n"
			"References: <c1@buyer.example>\n" :
			"",
	    tc->body);
	sender = ingest(st, "sales", raw, 0, &ing, &res);
	free(raw);
	if (res.outcome != tc->outcome)
		fail_msg("%s: outcome %s, expected %s", tc->name,
		    mailcmd_outcome_name(res.outcome),
		    mailcmd_outcome_name(tc->outcome));
	assert_int_equal(ing.ticket_id, 1);
	check_ticket(tc, st);
	store_close(&st);
	ans = answers(path, sender, &n);
	if (n != tc->n_answers)
		fail_msg("%s: %d answers, expected %d", tc->name, n,
		    tc->n_answers);
	if (tc->answer != NULL && strstr(ans, tc->answer) == NULL)
		fail_msg("%s: answer \"%s\" lacks \"%s\"", tc->name, ans,
		    tc->answer);
	assert_null(strstr(ans, "--steal"));
	free(ans);
	free(sender);
}

/* Whole messages as mail clients write them (tests/fixtures/mailcmd). */
static void
test_fixtures(void **state)
{
	static const struct {
		const char *file;
		enum mailcmd_outcome outcome;
		const char *state;
		size_t n_commands;
	} fx[] = {
		{ "reply-claim-route.eml", MAILCMD_APPLIED, "routed", 2 },
		{ "quoted-commands.eml", MAILCMD_NONE, "new", 0 },
		{ "outlook-original.eml", MAILCMD_NONE, "new", 0 },
	};
	struct error err = { 0 };
	struct store_ingest_result ing;
	struct mailcmd_result res;
	struct store_detail *d = NULL;
	char path[256], *raw;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(fx) / sizeof(fx[0]); i++) {
		struct store *st = open_fresh("fixture", path, sizeof(path));

		raw = test_fixture("mailcmd", fx[i].file, &len);
		free(ingest(st, "sales", raw, 0, &ing, &res));
		free(raw);
		if (res.outcome != fx[i].outcome)
			fail_msg("%s: outcome %s", fx[i].file,
			    mailcmd_outcome_name(res.outcome));
		assert_int_equal(res.n_commands, fx[i].n_commands);
		assert_int_equal(store_show(st, 1, &d, &err), 0);
		assert_string_equal(store_state_name(d->t.state), fx[i].state);
		store_detail_free(&d);
		store_close(&st);
	}
}

static char *
command_mail(const char *mid, const char *to, const char *subject,
    const char *irt, const char *body)
{
	char *raw;

	xasprintf(&raw,
	    "From: Alice <alice@example.com>\nTo: %s\n"
	    "Subject: %s\nDate: Mon, 09 Nov 2026 10:15:00 +0000\n"
	    "Message-ID: <%s>\n%s%s%s\n%s",
	    to, subject, mid, irt != NULL ? "In-Reply-To: <" : "",
	    irt != NULL ? irt : "", irt != NULL ? ">\n" : "", body);
	return raw;
}

/*
 * A command mail that names no ticket opened one: it is answered with
 * the error, and closed unless a customer is on it.
 */
static void
test_no_ticket(void **state)
{
	static const struct {
		const char *to;
		const char *subject;
		const char *answer;
		const char *state; /* of the ticket it opened */
	} nt[] = {
		{ "sales@example.com", "Hello", "this mail names no ticket",
		    "closed" },
		{ "sales+claim@example.com", "Hello", "names no ticket",
		    "closed" },
		{ "sales@example.com", "[#999] Hello",
		    "there is no ticket #999", "closed" },
		{ "pat@buyer.example, sales+claim@example.com", "Offer",
		    "names no ticket", "new" },
	};
	struct error err = { 0 };
	struct store_ingest_result ing;
	struct mailcmd_result res;
	struct store_detail *d = NULL;
	char path[256], *raw, *ans;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(nt) / sizeof(nt[0]); i++) {
		struct store *st = open_fresh("noticket", path, sizeof(path));

		raw = command_mail("n1@example.com", nt[i].to, nt[i].subject,
		    NULL, "#claim\n");
		free(ingest(st, "sales", raw, 0, &ing, &res));
		free(raw);
		assert_int_equal(res.outcome, MAILCMD_FAILED);
		assert_int_equal(ing.ticket_id, 2);
		assert_int_equal(res.ticket_id, 0);
		assert_int_equal(store_show(st, 2, &d, &err), 0);
		assert_string_equal(store_state_name(d->t.state), nt[i].state);
		assert_null(d->t.owner);
		store_detail_free(&d);
		assert_int_equal(store_show(st, 1, &d, &err), 0);
		assert_string_equal(store_state_name(d->t.state), "new");
		store_detail_free(&d);
		store_close(&st);
		ans = answers(path, "alice@example.com", &n);
		assert_int_equal(n, 1);
		if (strstr(ans, nt[i].answer) == NULL)
			fail_msg("%s: answer \"%s\"", nt[i].subject, ans);
		free(ans);
	}
}

/* Answers to one sender stop at the cap; the commands still apply. */
static void
test_cap(void **state)
{
	static const char *const bodies[] = { "#claim\n", "#tag a\n",
		"#tag b\n", "#tag c\n" };
	struct store_ingest_result ing;
	struct mailcmd_result res;
	struct store_event_rec ev;
	struct store_detail *d = NULL;
	char path[256], mid[64], *raw, *ans;
	struct store *st = open_fresh("cap", path, sizeof(path));
	int n;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		snprintf(mid, sizeof(mid), "cap%zu@example.com", i);
		raw = command_mail(mid, "sales@example.com", "Re: Pricing",
		    "c1@buyer.example", bodies[i]);
		free(ingest(st, "sales", raw, 2, &ing, &res));
		free(raw);
		assert_int_equal(res.outcome, MAILCMD_APPLIED);
		assert_true((res.answer_id != 0) == (i < 2));
	}
	assert_int_equal(events_of(st, 1, "answer-suppressed", &ev, &d), 2);
	assert_non_null(strstr(ev.detail, "daily cap"));
	assert_int_equal(d->t.n_tags, 3);
	store_detail_free(&d);
	/* A day later the sender is answered again. */
	fake_now += 86400;
	raw = command_mail("cap9@example.com", "sales@example.com",
	    "Re: Pricing", "c1@buyer.example", "#tag d\n");
	free(ingest(st, "sales", raw, 2, &ing, &res));
	free(raw);
	fake_now -= 86400;
	assert_true(res.answer_id != 0);
	store_close(&st);
	ans = answers(path, "alice@example.com", &n);
	assert_int_equal(n, 3);
	free(ans);
}

/*
 * The same mail stored twice (again in one mailbox, or copied to a
 * second shared mailbox) commands once.
 */
static void
test_once(void **state)
{
	struct store_ingest_result ing;
	struct mailcmd_result res;
	struct store_detail *d = NULL;
	struct store_event_rec ev;
	char path[256], *raw, *ans;
	struct store *st = open_fresh("once", path, sizeof(path));
	int n;

	(void)state;
	raw = command_mail("o1@example.com",
	    "sales@example.com, community@example.com", "Re: Pricing",
	    "c1@buyer.example", "#claim\n#tag twice\n");
	free(ingest(st, "sales", raw, 0, &ing, &res));
	assert_int_equal(res.outcome, MAILCMD_APPLIED);
	free(ingest(st, "sales", raw, 0, &ing, &res));
	assert_true(ing.duplicate);
	assert_int_equal(res.outcome, MAILCMD_NONE);
	free(ingest(st, "community", raw, 0, &ing, &res));
	assert_false(ing.duplicate);
	assert_int_equal(ing.ticket_id, 1);
	assert_int_equal(res.outcome, MAILCMD_NONE);
	free(raw);
	assert_int_equal(events_of(st, 1, "claim", &ev, &d), 1);
	store_detail_free(&d);
	assert_int_equal(events_of(st, 1, "command-failed", &ev, &d), 0);
	store_detail_free(&d);
	store_close(&st);
	ans = answers(path, "alice@example.com", &n);
	assert_int_equal(n, 1);
	free(ans);
}

/* tickets.first_response_at of ticket #1; -1 when NULL. */
static int64_t
first_response(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t v = -2;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT coalesce(first_response_at, -1)"
			     " FROM tickets WHERE id = 1",
			     -1, &s, NULL),
	    SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/*
 * A team member's answer to the customer, copied to the shared mailbox,
 * is stored as outbound correspondence (the first response); a command
 * mail to the shared mailbox alone, even plus-addressed, is internal.
 */
static void
test_direction(void **state)
{
	static const struct {
		const char *to;
		const char *dir;
		const char *customer;
	} dc[] = {
		{ "pat@buyer.example, sales+claim@example.com", "out",
		    "pat@buyer.example" },
		{ "sales+claim@example.com", "internal", "pat@buyer.example" },
		{ "sales@example.com, bob@example.com", "internal",
		    "pat@buyer.example" },
	};
	struct error err = { 0 };
	struct store_ingest_result ing;
	struct mailcmd_result res;
	struct store_detail *d = NULL;
	char path[256], *raw;

	(void)state;
	for (size_t i = 0; i < sizeof(dc) / sizeof(dc[0]); i++) {
		struct store *st = open_fresh("direction", path, sizeof(path));

		raw = command_mail("d1@example.com", dc[i].to, "Re: Pricing",
		    "c1@buyer.example", "Hi Pat, 40 seats are ...\n#claim\n");
		free(ingest(st, "sales", raw, 0, &ing, &res));
		free(raw);
		assert_int_equal(res.outcome, MAILCMD_APPLIED);
		assert_int_equal(store_show(st, 1, &d, &err), 0);
		assert_int_equal(d->n_messages, 2);
		assert_string_equal(d->messages[1].direction, dc[i].dir);
		assert_string_equal(d->t.customer, dc[i].customer);
		assert_string_equal(d->t.owner, "alice");
		store_detail_free(&d);
		store_close(&st);
		/* Only an outbound message is a first response. */
		assert_int_equal(first_response(path) == fake_now,
		    strcmp(dc[i].dir, "out") == 0);
		assert_int_equal(first_response(path) == -1,
		    strcmp(dc[i].dir, "out") != 0);
	}
}

/*
 * The queued confirmation, built as the outbox sender will build it: an
 * RFC 3834 auto-reply threaded to the command mail.  Delivered back to
 * the shared mailbox (a reply-all), it commands nothing and is never
 * answered.
 */
static void
test_answer_mail(void **state)
{
	static const struct {
		const char *header;
		const char *value;
	} want[] = {
		{ "Auto-Submitted", "auto-replied" },
		{ "X-Auto-Response-Suppress", "All" },
		{ "X-Loop", "triage@example.com" },
		{ "X-Triage-Ticket", "1" },
		{ "To", "alice@example.com" },
		{ "Subject", "Re: Pricing for 40 seats" },
		{ "In-Reply-To", "<a1@example.com>" },
		{ "References", "<c1@buyer.example> <a1@example.com>" },
	};
	struct error err = { 0 };
	struct store_ingest_result ing;
	struct mailcmd_result res;
	struct forward_sender snd = { 0 };
	struct forward_mail mail = { 0 };
	char path[256], *raw, *ans;
	struct store *st = open_fresh("answer", path, sizeof(path));
	struct msg *m;
	size_t len;
	int n;

	(void)state;
	raw = test_fixture("mailcmd", "reply-claim-route.eml", &len);
	free(ingest(st, "sales", raw, 0, &ing, &res));
	free(raw);
	assert_int_equal(res.outcome, MAILCMD_APPLIED);
	assert_true(res.answer_id > 0);
	assert_int_equal(forward_sender_parse(conf.smtp_from, &snd, &err), 0);
	if (mailcmd_answer_build(st, res.answer_id, &snd, fake_now, &mail,
		&err) < 0)
		fail_msg("mailcmd_answer_build: %s", err.msg);
	assert_string_equal(mail.mail_from, "triage@example.com");
	assert_int_equal(mail.n_rcpt, 1);
	assert_string_equal(mail.rcpt[0], "alice@example.com");
	m = test_msg_parse(mail.data, mail.len, NULL, fake_now);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *v = msg_header(m, want[i].header);

		if (v == NULL || strstr(v, want[i].value) == NULL)
			fail_msg("%s: \"%s\"", want[i].header,
			    v != NULL ? v : "(none)");
	}
	assert_true(m->flags & MSG_AUTO_SUBMITTED);
	assert_non_null(strstr(m->text, "  - #route support"));
	msg_free(&m);
	/* Wrong row: not an answer (the route's forward is row 1). */
	assert_int_equal(
	    mailcmd_answer_build(st, 1, &snd, fake_now, &mail, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	/* Our answer comes back to the shared mailbox. */
	raw = xstrndup(mail.data, mail.len);
	free(ingest(st, "sales", raw, 0, &ing, &res));
	free(raw);
	assert_int_equal(ing.ticket_id, 1);
	assert_int_equal(res.outcome, MAILCMD_NONE);
	store_close(&st);
	ans = answers(path, "alice@example.com", &n);
	assert_int_equal(n, 1);
	free(ans);
	forward_mail_clear(&mail);
	forward_sender_clear(&snd);
}

/*
 * A team member's command mail that rules ignore (a list footer, a bulk
 * header) still commands its ticket; one that names no ticket leaves
 * its ignored ticket as it is and never fails the batch.
 */
static void
test_ignored_by_rule(void **state)
{
	struct error err = { 0 };
	struct store_ingest_result ing;
	struct mailcmd_result res;
	struct store_detail *d = NULL;
	struct verdict v;
	char path[256], *raw;
	struct store *st = open_fresh("ignored", path, sizeof(path));

	(void)state;
	verdict_init(&v);
	v.ignore = xstrdup("bulk mail");
	next_verdict = &v;
	raw = command_mail("i1@example.com", "sales@example.com", "Re: Pricing",
	    "c1@buyer.example", "#claim\n");
	free(ingest(st, "sales", raw, 0, &ing, &res));
	free(raw);
	assert_true(ing.ignored);
	assert_int_equal(res.outcome, MAILCMD_APPLIED);
	raw = command_mail("i2@example.com", "sales@example.com", "Hello", NULL,
	    "#claim\n");
	free(ingest(st, "sales", raw, 0, &ing, &res));
	free(raw);
	next_verdict = NULL;
	assert_int_equal(res.outcome, MAILCMD_FAILED);
	assert_int_equal(store_show(st, ing.ticket_id, &d, &err), 0);
	assert_string_equal(store_state_name(d->t.state), "ignored");
	store_detail_free(&d);
	assert_int_equal(store_show(st, 1, &d, &err), 0);
	assert_string_equal(d->t.owner, "alice");
	store_detail_free(&d);
	verdict_clear(&v);
	store_close(&st);
}

/* The one-shot form `triage ingest` uses: its own transaction. */
static void
test_ingest_one_shot(void **state)
{
	const struct conf *confs[] = { &conf, NULL };
	struct error err = { 0 };
	struct ingest_result ing;
	struct store_detail *d = NULL;
	char path[256], *raw;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct store *st = open_fresh("oneshot", path, sizeof(path));
		struct ingest_origin o = { .mailbox = "sales",
			.address = "sales@example.com",
			.queue = "sales",
			.actor = { "mta", STORE_SRC_CLI } };
		struct ingest *ctx = ingest_new(confs[i], NULL, NULL);
		struct ingest_msg *im = NULL;

		raw = command_mail("p1@example.com", "sales@example.com",
		    "Re: Pricing", "c1@buyer.example", "#claim\n");
		ingest_prepare(ctx, raw, strlen(raw), "sales", &im);
		if (ingest_store(ctx, st, &o, im, &ing, &err) < 0)
			fail_msg("ingest_store: %s", err.msg);
		assert_int_equal(ing.stored.ticket_id, 1);
		assert_int_equal(store_show(st, 1, &d, &err), 0);
		if (confs[i] != NULL)
			assert_string_equal(d->t.owner, "alice");
		else
			assert_null(d->t.owner);
		store_detail_free(&d);
		/* Committed: a second connection sees it. */
		store_close(&st);
		assert_int_equal(store_open(path, &st, &err), 0);
		assert_int_equal(store_show(st, 1, &d, &err), 0);
		assert_int_equal(d->n_messages, 2);
		store_detail_free(&d);
		store_close(&st);
		ingest_msg_free(&im); /* and raw with it */
		ingest_free(&ctx);
	}
}

static void
test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_no_ticket),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_direction),
		cmocka_unit_test(test_answer_mail),
		cmocka_unit_test(test_ignored_by_rule),
		cmocka_unit_test(test_ingest_one_shot),
	};
	int r;

	if (test_tmpdir(dbdir, sizeof(dbdir), "mailcmd") != 0)
		return 1;
	mime_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	mime_shutdown();
	if (test_rmtree(dbdir) != 0)
		r = 1;
	return r;
}
