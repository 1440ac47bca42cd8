/*
 * A BDR's day through the real ingest pipeline (ingest_store: store,
 * mail commands, desk_after_ingest) on a temporary SQLite store with a
 * controlled clock: waiting on the customer and its end, merging by
 * mail, giving a ticket back, away by auto-reply, and fair
 * auto-assignment.  Each case checks the rows that matter: state and
 * owner, the events, the outbox.
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

#include "accounts.h"
#include "command.h"
#include "conf.h"
#include "db.h"
#include "desk.h"
#include "ingest.h"
#include "mime.h"
#include "report-fill.h"
#include "report.h"
#include "store.h"
#include "test-common.h"
#include "xalloc.h"

static char dbdir[128];
static int64_t fake_now = 1793610000; /* 2026-11-09T10:20:00Z */

static struct conf_mailbox mailboxes[] = {
	{ .name = "sales", .address = "sales@example.com", .queue = "sales" },
};
static struct conf_member team[] = {
	{ .name = "alice", .address = "alice@example.com", .role = "bdr" },
	{ .name = "bob", .address = "bob@example.com", .role = "bdr" },
	{ .name = "carol", .address = "carol@example.com", .role = "bdr" },
	{ .name = "maria", .address = "maria@example.com", .role = "manager" },
};
static char *assign_queues[] = { "sales" };
static char *assign_members[] = { "alice", "bob", "carol" };
static struct conf conf = {
	.mailboxes = mailboxes,
	.n_mailboxes = 1,
	.team = team,
	.n_team = 4,
	.smtp_from = "Triage <triage@example.com>",
};

static struct ingest *ctx;

static struct store *
open_fresh(const char *name)
{
	struct store *st = test_store_fresh(dbdir, name);

	store_set_clock(st, test_clock, &fake_now);
	ingest_store_setup(st, &conf, NULL);
	return st;
}

/* Store one message the way triaged does; returns its ticket. */
static int64_t
deliver(struct store *st, const char *fmt, ...)
{
	struct ingest_origin o = { .mailbox = "sales",
		.address = "sales@example.com",
		.queue = "sales",
		.actor = { "triaged", STORE_SRC_DAEMON } };
	struct ingest_result res;
	struct ingest_msg *im = NULL;
	struct error err = { 0 };
	char *raw = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	assert_true(n > 0);
	ingest_prepare(ctx, raw, (size_t)n, "sales", &im);
	if (ingest_store(ctx, st, &o, im, &res, &err) < 0)
		fail_msg("ingest_store: %s", err.msg);
	ingest_msg_free(&im);
	return res.stored.ticket_id;
}

static int64_t
customer(struct store *st, const char *from, int k, const char *reply_to)
{
	return deliver(st,
	    "From: %s\r\nTo: sales@example.com\r\nSubject: Question %d\r\n"
	    "Date: Mon, 09 Nov 2026 09:12:00 +0000\r\n"
	    "Message-ID: <q%d@buyer.example>\r\n%s%s%s"
	    "Content-Type: text/plain\r\n\r\nHow much for %d seats?\r\n",
	    from, k, k, reply_to != NULL ? "In-Reply-To: <" : "",
	    reply_to != NULL ? reply_to : "", reply_to != NULL ? ">\r\n" : "",
	    k);
}

/* A team member's reply to message <re>, its new text `body`. */
static int64_t
member(struct store *st, const char *from, int k, const char *re,
    const char *body)
{
	return deliver(st,
	    "From: %s\r\nTo: sales@example.com\r\nSubject: Re: Question\r\n"
	    "Date: Mon, 09 Nov 2026 10:00:00 +0000\r\n"
	    "Message-ID: <m%d@example.com>\r\nIn-Reply-To: <%s>\r\n"
	    "Content-Type: text/plain\r\n\r\n%s\r\n",
	    from, k, re, body);
}

static struct store_detail *
show(struct store *st, int64_t id)
{
	struct store_detail *d = NULL;
	struct error err = { 0 };

	if (store_show(st, id, &d, &err) < 0)
		fail_msg("show #%lld: %s", (long long)id, err.msg);
	return d;
}

static size_t
count_events(const struct store_detail *d, const char *kind)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_events; i++)
		n += strcmp(d->events[i].kind, kind) == 0;
	return n;
}

/* The outbox rows of `kind` to `rcpt` (read with SQL, as people do). */
static int
outbox_rows(const char *name, const char *kind, const char *rcpt)
{
	char path[256];
	struct db *db = NULL;
	struct db_stmt *s = NULL;
	int n = -1;

	snprintf(path, sizeof(path), "%s/%s.db", dbdir, name);
	assert_int_equal(
	    db_open(test_on_pg() ? getenv("TRIAGE_PG_TARGET") : path,
		test_on_pg() ? 0 : DB_OPEN_READONLY, NULL, &db),
	    DB_OK);
	assert_int_equal(db_prepare(db,
			     "SELECT count(*) FROM outbox WHERE kind = ?1"
			     " AND rcpt = ?2",
			     0, &s),
	    DB_OK);
	db_bind_text(s, 1, kind, -1);
	db_bind_text(s, 2, rcpt, -1);
	if (db_step(s) == DB_ROW)
		n = db_col_int(s, 0);
	db_finalize(s);
	db_close(db);
	return n;
}

static void
test_wait_customer_reply(void **state)
{
	struct store *st = open_fresh("wait");
	struct store_detail *d;
	int64_t id;

	(void)state;
	id = customer(st, "pat@buyer.example", 1, NULL);
	/* "#wait" by mail on a new ticket claims it for the sender */
	assert_int_equal(
	    member(st, "alice@example.com", 1, "q1@buyer.example", "#wait"),
	    id);
	d = show(st, id);
	assert_int_equal(d->t.state, STATE_WAITING);
	assert_string_equal(d->t.owner, "alice");
	assert_int_equal(d->wait_since, fake_now);
	store_detail_free(&d);
	/* the customer answers two hours later: alice has it again */
	fake_now += 7200;
	assert_int_equal(customer(st, "pat@buyer.example", 2, "m1@example.com"),
	    id);
	d = show(st, id);
	assert_int_equal(d->t.state, STATE_CLAIMED);
	assert_string_equal(d->t.owner, "alice");
	assert_int_equal(d->waited, 7200); /* the pause, measured */
	assert_int_equal(count_events(d, "resume"), 1);
	store_detail_free(&d);
	assert_int_equal(outbox_rows("wait", "reminder", "alice@example.com"),
	    1);
	/* the report counts the wait apart: one ticket, two hours */
	{
		struct report r;
		struct error err = { 0 };

		assert_int_equal(report_fill(st, fake_now - 86400, fake_now + 1,
				     NULL, NULL, &r, &err),
		    0);
		report_finish(&r);
		assert_int_equal(r.times[REPORT_WAITING].n, 1);
		assert_int_equal(r.times[REPORT_WAITING].clock_stat.median,
		    7200);
		report_clear(&r);
	}
	store_close(&st);
}

static void
test_wait_until(void **state)
{
	struct store *st = open_fresh("until");
	struct store_actor alice = { "alice", STORE_SRC_CLI };
	struct store_detail *d;
	struct error err = { 0 };
	size_t n = 9;
	int64_t id;

	(void)state;
	id = customer(st, "pat@buyer.example", 1, NULL);
	assert_int_equal(store_claim(st, id, &alice, 0, &err), 0);
	assert_int_equal(store_wait(st, id, fake_now + 3600, &alice, &err), 0);
	/* not yet */
	fake_now += 3599;
	assert_int_equal(desk_wait_due(st, &conf, &n, &err), 0);
	assert_int_equal(n, 0);
	fake_now += 1;
	assert_int_equal(desk_wait_due(st, &conf, &n, &err), 0);
	assert_int_equal(n, 1);
	d = show(st, id);
	assert_int_equal(d->t.state, STATE_CLAIMED);
	assert_int_equal(d->waited, 3600);
	store_detail_free(&d);
	/* a wait that is over is not ended twice */
	assert_int_equal(desk_wait_due(st, &conf, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(outbox_rows("until", "reminder", "alice@example.com"),
	    1);
	store_close(&st);
}

static void
test_merge_by_mail(void **state)
{
	struct store *st = open_fresh("merge");
	struct store_actor alice = { "alice", STORE_SRC_CLI };
	struct store_detail *d;
	struct error err = { 0 };
	int64_t a, b, c;
	size_t events_b;

	(void)state;
	a = customer(st, "pat@buyer.example", 1, NULL);
	b = customer(st, "pat@buyer.example", 2, NULL); /* threading missed */
	c = customer(st, "kim@other.example", 3, NULL);
	assert_true(a != b && b != c);
	assert_int_equal(store_tag(st, b, "pricing", &alice, &err), 0);
	d = show(st, b);
	events_b = d->n_events;
	store_detail_free(&d);
	/* alice, replying on #b: "#merge <a>" */
	{
		char body[32];

		snprintf(body, sizeof(body), "#merge %lld", (long long)a);
		member(st, "alice@example.com", 1, "q2@buyer.example", body);
		/* across customers: refused by mail, nothing moves */
		member(st, "alice@example.com", 2, "q3@buyer.example", body);
	}
	d = show(st, b);
	assert_int_equal(d->t.state, STATE_MERGED);
	assert_int_equal(d->merged_into, a);
	assert_int_equal(d->n_messages, 0);
	store_detail_free(&d);
	d = show(st, a);
	/* both customer mails and alice's command mail */
	assert_int_equal(d->n_messages, 3);
	assert_int_equal(d->t.n_tags, 1);
	assert_string_equal(d->t.tags[0], "pricing");
	/* every event of #b shows on #a, plus the merge's own two */
	assert_true(d->n_events >= events_b + 2);
	assert_int_equal(count_events(d, "merge"), 1);
	assert_int_equal(count_events(d, "merged"), 1);
	store_detail_free(&d);
	d = show(st, c);
	assert_int_equal(d->t.state, STATE_NEW);
	assert_int_equal(count_events(d, "command-failed"), 1);
	store_detail_free(&d);
	/* a later reply to #b's message follows the thread into #a */
	assert_int_equal(
	    customer(st, "pat@buyer.example", 4, "q2@buyer.example"), a);
	/* on the CLI, --force merges across customers */
	assert_int_equal(store_merge(st, c, a, 0, &alice, &err), -1);
	assert_int_equal(err.code, ERR_REFUSED);
	assert_int_equal(store_merge(st, c, a, 1, &alice, &err), 0);
	assert_int_equal(store_merge(st, b, a, 1, &alice, &err), -1);
	/* the stub takes no changes: it points at the ticket that does */
	assert_int_equal(store_tag(st, b, "late", &alice, &err), -1);
	assert_non_null(strstr(err.msg, "merged into another"));
	assert_int_equal(store_reopen(st, b, &alice, &err), -1);
	store_close(&st);
}

static void
test_unclaim(void **state)
{
	struct store *st = open_fresh("unclaim");
	struct store_detail *d;
	int64_t id;

	(void)state;
	id = customer(st, "pat@buyer.example", 1, NULL);
	member(st, "bob@example.com", 1, "q1@buyer.example", "#claim");
	fake_now += 60;
	member(st, "bob@example.com", 2, "q1@buyer.example", "#unclaim");
	d = show(st, id);
	assert_int_equal(d->t.state, STATE_NEW);
	assert_null(d->t.owner);
	assert_int_equal(count_events(d, "unclaim"), 1);
	store_detail_free(&d);
	/* nothing to give back now: refused, the state stays */
	member(st, "bob@example.com", 3, "q1@buyer.example", "#unclaim");
	d = show(st, id);
	assert_int_equal(d->t.state, STATE_NEW);
	assert_int_equal(count_events(d, "command-failed"), 1);
	store_detail_free(&d);
	store_close(&st);
}

/* How many of the open tickets each assign member holds. */
static void
owners(struct store *st, int64_t n_r[3])
{
	struct error err = { 0 };

	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    store_open_count(st, assign_members[i], &n_r[i], &err), 0);
}

static void
assign_on(enum conf_assign_mode mode)
{
	conf.assign.queues = assign_queues;
	conf.assign.n_queues = 1;
	conf.assign.members = assign_members;
	conf.assign.n_members = 3;
	conf.assign.mode = mode;
}

static void
assign_off(void)
{
	memset(&conf.assign, 0, sizeof(conf.assign));
}

static void
test_away_auto_reply(void **state)
{
	struct store *st = open_fresh("away");
	struct store_detail *d;
	struct error err = { 0 };
	int64_t id, n[3];

	(void)state;
	assign_on(CONF_ASSIGN_ROUND_ROBIN);
	/* carol's out-of-office, from her own address */
	deliver(st, "From: carol@example.com\r\nTo: sales@example.com\r\n"
		    "Subject: Out of office: Question 7\r\n"
		    "Auto-Submitted: auto-replied\r\n"
		    "Message-ID: <ooo1@example.com>\r\n"
		    "Content-Type: text/plain\r\n\r\nBack on Monday.\r\n");
	assert_int_equal(store_is_away(st, "carol", &err), 1);
	for (int k = 1; k <= 4; k++) {
		id = customer(st, "pat@buyer.example", 10 + k, NULL);
		d = show(st, id);
		assert_int_equal(d->t.state, STATE_CLAIMED);
		assert_string_not_equal(d->t.owner, "carol");
		assert_int_equal(count_events(d, "assign"), 1);
		store_detail_free(&d);
	}
	owners(st, n);
	assert_int_equal(n[0], 2);
	assert_int_equal(n[1], 2);
	assert_int_equal(n[2], 0);
	/* her next own mail is an act: she is back */
	member(st, "carol@example.com", 9, "q11@buyer.example", "Thanks!");
	assert_int_equal(store_is_away(st, "carol", &err), 0);
	assign_off();
	store_close(&st);
}

static void
test_round_robin_even(void **state)
{
	struct store *st = open_fresh("rr");
	struct store_actor maria = { "maria", STORE_SRC_CLI };
	struct error err = { 0 };
	int64_t n[3];

	(void)state;
	assign_on(CONF_ASSIGN_ROUND_ROBIN);
	assert_int_equal(store_away(st, "bob", 0, 0, "holiday", &maria, &err),
	    0);
	for (int k = 0; k < 100; k++) {
		char from[64];

		snprintf(from, sizeof(from), "p%d@buyer%d.example", k, k);
		customer(st, from, 100 + k, NULL);
	}
	owners(st, n);
	assert_int_equal(n[1], 0);
	assert_true(n[0] + n[2] == 100);
	assert_true(llabs(n[0] - n[2]) <= 1);
	assign_off();
	store_close(&st);
}

static void
test_least_open(void **state)
{
	struct store *st = open_fresh("least");
	struct store_actor a = { "alice", STORE_SRC_CLI },
			   b = { "bob", STORE_SRC_CLI };
	struct store_detail *d;
	struct error err = { 0 };
	int64_t id;

	(void)state;
	for (int k = 0; k < 5; k++) {
		id = customer(st, "pat@buyer.example", 200 + k, NULL);
		/* alice holds 3, bob 2; carol none but she is away */
		assert_int_equal(store_claim(st, id, k < 3 ? &a : &b, 0, &err),
		    0);
	}
	assert_int_equal(
	    store_away(st, "carol", fake_now + 86400, 0, "", &a, &err), 0);
	assign_on(CONF_ASSIGN_LEAST_OPEN);
	id = customer(st, "kim@other.example", 300, NULL);
	d = show(st, id);
	assert_string_equal(d->t.owner, "bob");
	store_detail_free(&d);
	/* carol's away ends at its time: the least loaded, she gets it */
	fake_now += 86400;
	id = customer(st, "kim@other.example", 301, NULL);
	d = show(st, id);
	assert_string_equal(d->t.owner, "carol");
	store_detail_free(&d);
	assign_off();
	store_close(&st);
}

/*
 * A key account's owner gets every ticket of their account, whatever
 * round-robin's turn; the rest go round among all members as before.
 */
static void
test_key_account_owner(void **state)
{
	static const char csv[] = "domain,account,tier,owner\n"
				  "bigco.example,BigCo,key,carol\n";
	struct accounts *accts = NULL;
	struct accounts_errors aerrs = { NULL, 0 };
	struct store *st = open_fresh("keyacct");
	struct store_detail *d;
	int64_t id, n[3];

	(void)state;
	assert_int_equal(
	    accounts_parse("accounts.csv", csv, strlen(csv), &accts, &aerrs),
	    0);
	ingest_store_setup(st, &conf, accts);
	assign_on(CONF_ASSIGN_ROUND_ROBIN);
	for (int k = 0; k < 4; k++) {
		char from[64];

		snprintf(from, sizeof(from), "buyer%d@bigco.example", k);
		id = customer(st, from, 400 + k, NULL);
		d = show(st, id);
		assert_non_null(d->t.owner);
		assert_string_equal(d->t.owner, "carol");
		store_detail_free(&d);
		id = customer(st, "kim@other.example", 500 + k, NULL);
		d = show(st, id);
		assert_non_null(d->t.owner); /* round-robin's pick */
		store_detail_free(&d);
	}
	owners(st, n);
	assert_int_equal(n[0] + n[1] + n[2], 8);
	assert_true(n[2] >= 4);
	assert_true(n[0] >= 1 && n[1] >= 1); /* the others still go round */
	assign_off();
	ingest_store_setup(st, &conf, NULL);
	store_close(&st);
	accounts_free(&accts);
}

/* Reminders for someone away go to a manager who is not. */
static void
test_stand_in(void **state)
{
	struct store *st = open_fresh("standin");
	struct store_actor maria = { "maria", STORE_SRC_CLI };
	struct error err = { 0 };
	const char *to = NULL;
	int was = 0;

	(void)state;
	assert_int_equal(desk_stand_in(st, &conf, "alice", &to, &err), 0);
	assert_string_equal(to, "alice@example.com");
	assert_int_equal(store_away(st, "alice", 0, 0, "", &maria, &err), 0);
	assert_int_equal(desk_stand_in(st, &conf, "alice", &to, &err), 0);
	assert_string_equal(to, "maria@example.com");
	assert_int_equal(store_away(st, "maria", 0, 0, "", &maria, &err), 0);
	assert_int_equal(desk_stand_in(st, &conf, "alice", &to, &err), 0);
	assert_null(to);
	assert_int_equal(store_back(st, "alice", 0, &maria, &was, &err), 0);
	assert_int_equal(was, 1);
	assert_int_equal(desk_stand_in(st, &conf, "alice", &to, &err), 0);
	assert_string_equal(to, "alice@example.com");
	/* nobody on the team: the caller decides */
	assert_int_equal(desk_stand_in(st, &conf, "zed", &to, &err), 0);
	assert_null(to);
	store_close(&st);
}

static void
test_command_words(void **state)
{
	static const struct {
		const char *text;
		int ok;
		enum command_kind kind;
		const char *arg;
	} cases[] = {
		{ "#wait", 1, CMD_WAIT, NULL },
		{ "#wait 3d", 1, CMD_WAIT, "3d" },
		{ "#wait 2026-12-24T09:00", 1, CMD_WAIT, "2026-12-24T09:00" },
		{ "#wait soon", 0, CMD_WAIT, NULL },
		{ "#merge 123", 1, CMD_MERGE, "123" },
		{ "#merge #123", 1, CMD_MERGE, "123" },
		{ "#merge", 0, CMD_MERGE, NULL },
		{ "#merge abc", 0, CMD_MERGE, NULL },
		{ "#unclaim", 1, CMD_UNCLAIM, NULL },
		{ "#unclaim now", 0, CMD_UNCLAIM, NULL },
		{ "#away 2026-12-24", 1, CMD_AWAY, "2026-12-24" },
		{ "#back", 1, CMD_BACK, NULL },
	};
	int64_t at = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct command_list *l = command_list_new();

		command_parse_text(l, cases[i].text);
		assert_int_equal(l->n, cases[i].ok ? 1 : 0);
		assert_int_equal(l->n_errors, cases[i].ok ? 0 : 1);
		if (cases[i].ok) {
			assert_int_equal(l->v[0].kind, cases[i].kind);
			if (cases[i].arg == NULL)
				assert_null(l->v[0].arg);
			else
				assert_string_equal(l->v[0].arg, cases[i].arg);
		}
		command_list_free(&l);
	}
	assert_int_equal(command_until("2026-12-24", 0, &at), 0);
	assert_int_equal(at, test_ts("2026-12-24T00:00:00Z"));
	assert_int_equal(command_until("4h", 100, &at), 0);
	assert_int_equal(at, 100 + 4 * 3600);
	assert_int_equal(command_until("2026-13-40", 0, &at), -1);
}

static int
setup(void **state)
{
	(void)state;
	mime_init();
	if (test_tmpdir(dbdir, sizeof(dbdir), "desk") < 0)
		return -1;
	ctx = ingest_new(&conf, NULL, NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	ingest_free(&ctx);
	return test_rmtree(dbdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_words),
		cmocka_unit_test(test_wait_customer_reply),
		cmocka_unit_test(test_wait_until),
		cmocka_unit_test(test_merge_by_mail),
		cmocka_unit_test(test_unclaim),
		cmocka_unit_test(test_away_auto_reply),
		cmocka_unit_test(test_round_robin_even),
		cmocka_unit_test(test_least_open),
		cmocka_unit_test(test_key_account_owner),
		cmocka_unit_test(test_stand_in),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
