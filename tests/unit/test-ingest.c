/*
 * The ingest pipeline (lib/work/ingest.h) against real temporary SQLite
 * stores: the daemon's way (ingest_commit inside a batch transaction,
 * with a UID) and `triage ingest`'s (ingest_store, a transaction of its
 * own) store the same tickets, tags, hits and scores; reprocessing keeps
 * tickets, tags and hits; ingest_load classifies stored mail as it was
 * classified when stored; a stand-in is stored raw; without a config
 * nothing is commanded.
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
#include "ingest.h"
#include "mime.h"
#include "rules.h"
#include "store.h"
#include "verdict.h"
#include "xalloc.h"
#include "test-common.h"

static char dbdir[128];
static int64_t fake_now = 1793610000; /* 2026-11-09T10:20:00Z */

static struct conf_mailbox mailboxes[] = {
	{ .name = "sales", .address = "sales@example.com", .queue = "sales" },
	{ .name = "community",
	    .address = "community@example.com",
	    .queue = "community" },
};
static struct conf_member team[] = {
	{ .name = "alice", .address = "alice@example.com", .role = "bdr" },
};
static struct conf conf = {
	.mailboxes = mailboxes,
	.n_mailboxes = 2,
	.team = team,
	.n_team = 1,
	.smtp_from = "Triage <triage@example.com>",
};

static const char rules_text[] = "rule pricing-question\n"
				 "  subject /\\bpric(e|ing)\\b/i\n"
				 "  tag pricing\n"
				 "  score need +2\n"
				 "rule seats\n"
				 "  body /\\bseats\\b/\n"
				 "  tag seats\n"
				 "  priority high\n";

/* Mail in the order it arrives: mailbox, bytes. */
static const struct {
	const char *mailbox;
	const char *raw;
} mail[] = {
	{ "sales",
	    "From: Pat <pat@buyer.test>\r\nTo: sales@example.com\r\n"
	    "Subject: Pricing for 50 seats\r\nMessage-ID: <q1@buyer.test>\r\n"
	    "Date: Mon, 9 Nov 2026 10:00:00 +0000\r\n\r\n"
	    "How much for 50 seats?\r\n" },
	/* a team reply: joins, adds no tags or hits */
	{ "sales",
	    "From: Alice <alice@example.com>\r\nTo: pat@buyer.test\r\n"
	    "Subject: Re: Pricing for 50 seats\r\n"
	    "Message-ID: <a1@example.com>\r\nIn-Reply-To: <q1@buyer.test>\r\n"
	    "Date: Mon, 9 Nov 2026 11:00:00 +0000\r\n\r\n"
	    "The price for 50 seats is on its way.\r\n" },
	/* the customer again: adds its verdict */
	{ "sales",
	    "From: Pat <pat@buyer.test>\r\nTo: sales@example.com\r\n"
	    "Subject: Re: Pricing for 50 seats\r\n"
	    "Message-ID: <q2@buyer.test>\r\nIn-Reply-To: <a1@example.com>\r\n"
	    "Date: Mon, 9 Nov 2026 12:00:00 +0000\r\n\r\n"
	    "And the price for 80 seats?\r\n" },
	/* the first one's copy in another mailbox: classified once only */
	{ "community", "From: Pat <pat@buyer.test>\r\nTo: sales@example.com\r\n"
		       "Subject: Pricing for 50 seats\r\n"
		       "Message-ID: <q1@buyer.test>\r\n"
		       "Date: Mon, 9 Nov 2026 10:00:00 +0000\r\n\r\n"
		       "How much for 50 seats?\r\n" },
	/* unrelated: no rule fires */
	{ "sales", "From: Kim <kim@corp.test>\r\nTo: sales@example.com\r\n"
		   "Subject: Hello\r\nMessage-ID: <k1@corp.test>\r\n"
		   "Date: Mon, 9 Nov 2026 13:00:00 +0000\r\n\r\n"
		   "Just saying hello.\r\n" },
};
#define N_MAIL (sizeof(mail) / sizeof(mail[0]))

static struct rules *
load_rules(void)
{
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL;

	if (rules_load_buffer("10-t.rules", rules_text, NULL, &rs, &probs) < 0)
		fail_msg("rules: %s", probs.n > 0 ? probs.v[0].msg : "?");
	return rs;
}

static struct store *
open_fresh(const char *name, char *path, size_t pathlen)
{
	struct error err = { 0 };
	struct store *st = NULL;

	snprintf(path, pathlen, "%s/%s.db", dbdir, name);
	unlink(path);
	if (store_open(path, &st, &err) < 0)
		fail_msg("store_open: %s", err.msg);
	store_set_clock(st, test_clock, &fake_now);
	ingest_store_setup(st, &conf, NULL);
	return st;
}

static struct ingest_msg *
prepare(const struct ingest *ctx, size_t i)
{
	struct ingest_msg *im = NULL;

	ingest_prepare(ctx, xstrdup(mail[i].raw), strlen(mail[i].raw),
	    mail[i].mailbox, &im);
	assert_non_null(ingest_msg_parsed(im));
	return im;
}

static void
origin(size_t i, int daemon, struct ingest_origin *o)
{
	const struct conf_mailbox *mb = conf_mailbox(&conf, mail[i].mailbox);

	*o = (struct ingest_origin){
		.mailbox = mb->name,
		.address = mb->address,
		.queue = mb->queue,
		.uidvalidity = daemon ? 7 : 0,
		.uid = daemon ? (int64_t)i + 1 : 0,
		.actor = { daemon ? "triaged" : "alice",
		    daemon ? STORE_SRC_DAEMON : STORE_SRC_CLI },
		.raw_on_failure = daemon,
	};
}

/* As the daemon's committer: in the batch's transaction, with a UID. */
static void
store_daemon(const struct ingest *ctx, struct store *st)
{
	struct ingest_result res;
	struct ingest_origin o;
	struct error err = { 0 };

	assert_int_equal(store_begin(st, &err), 0);
	for (size_t i = 0; i < N_MAIL; i++) {
		struct ingest_msg *im = prepare(ctx, i);

		origin(i, 1, &o);
		if (ingest_commit(ctx, st, &o, im, &res, &err) < 0)
			fail_msg("ingest_commit: %s", err.msg);
		assert_false(res.stored.duplicate);
		ingest_msg_free(&im);
	}
	assert_int_equal(store_commit(st, &err), 0);
}

/* As `triage ingest`: each message in a transaction of its own. */
static void
store_cli(const struct ingest *ctx, struct store *st)
{
	struct ingest_result res;
	struct ingest_origin o;
	struct error err = { 0 };

	for (size_t i = 0; i < N_MAIL; i++) {
		struct ingest_msg *im = prepare(ctx, i);

		origin(i, 0, &o);
		if (ingest_store(ctx, st, &o, im, &res, &err) < 0)
			fail_msg("ingest_store: %s", err.msg);
		assert_false(res.stored.duplicate);
		ingest_msg_free(&im);
	}
}

static void
dump_query(sqlite3 *db, const char *sql, int64_t id, struct buf *b)
{
	sqlite3_stmt *s = NULL;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	sqlite3_bind_int64(s, 1, id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(s); c++)
			buf_printf(b, "%s|",
			    sqlite3_column_text(s, c) != NULL ?
				(const char *)sqlite3_column_text(s, c) :
				"-");
		buf_addstr(b, ";");
	}
	sqlite3_finalize(s);
}

/*
 * Each message as its ticket sees it: the ticket's messages, state,
 * queue, priority, tags, (scores,) and the message's own hits.
 */
static char *
snapshot(const char *path, int scores)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	struct buf b;

	buf_init(&b, 1024 * 1024);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db,
		"SELECT id, ticket_id,"
		" message_id, mailbox, direction, status FROM messages ORDER BY"
		" message_id, mailbox",
		-1, &s, NULL),
	    SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		int64_t row = sqlite3_column_int64(s, 0);
		int64_t tid = sqlite3_column_int64(s, 1);

		buf_printf(&b, "\n%s %s %s %s: ", sqlite3_column_text(s, 2),
		    sqlite3_column_text(s, 3), sqlite3_column_text(s, 4),
		    sqlite3_column_text(s, 5));
		dump_query(db,
		    "SELECT message_id FROM messages WHERE"
		    " ticket_id = ? ORDER BY message_id",
		    tid, &b);
		dump_query(db,
		    "SELECT state, queue, priority FROM tickets"
		    " WHERE id = ?",
		    tid, &b);
		dump_query(db,
		    "SELECT tag FROM tags WHERE ticket_id = ?"
		    " ORDER BY tag",
		    tid, &b);
		if (scores)
			dump_query(db,
			    "SELECT score_need FROM tickets"
			    " WHERE id = ?",
			    tid, &b);
		dump_query(db,
		    "SELECT rule, file, line, target, match FROM"
		    " hits WHERE message_id = ? ORDER BY rule",
		    row, &b);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return buf_steal(&b);
}

static void
test_daemon_and_cli_agree(void **state)
{
	struct rules *rs = load_rules();
	struct ingest *ctx = ingest_new(&conf, rs, NULL);
	char pa[256], pb[256];
	struct store *a = open_fresh("daemon", pa, sizeof(pa));
	struct store *b = open_fresh("cli", pb, sizeof(pb));
	char *sa, *sb;

	store_daemon(ctx, a);
	store_cli(ctx, b);
	sa = snapshot(pa, 1);
	sb = snapshot(pb, 1);
	assert_string_equal(sa, sb);
	/*
	 * What the rules decided is there, each signal once: both customer
	 * mails ask about pricing, the ticket's need is +2, not +4.
	 */
	assert_non_null(strstr(sa, "new|sales|2|;pricing|;seats|;2|;"));
	free(sa);
	free(sb);
	store_close(&a);
	store_close(&b);
	ingest_free(&ctx);
	rules_free(&rs);
}

static void
test_reprocess_keeps(void **state)
{
	struct rules *rs = load_rules();
	struct ingest *ctx = ingest_new(&conf, rs, NULL);
	struct store_actor who = { "alice", STORE_SRC_CLI };
	struct error err = { 0 };
	char path[256];
	struct store *st = open_fresh("reprocess", path, sizeof(path));
	char *before, *after;
	int parsed;

	store_daemon(ctx, st);
	before = snapshot(path, 1); /* scores too: never counted again */
	for (int64_t row = 1; row <= (int64_t)N_MAIL; row++) {
		parsed = 0;
		if (ingest_reprocess(ctx, st, row, &who, &parsed, &err) < 0)
			fail_msg("ingest_reprocess %lld: %s", (long long)row,
			    err.msg);
		assert_true(parsed);
	}
	after = snapshot(path, 1);
	assert_string_equal(before, after);
	assert_int_equal(ingest_reprocess(ctx, st, 99, &who, &parsed, &err),
	    -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	free(before);
	free(after);
	store_close(&st);
	ingest_free(&ctx);
	rules_free(&rs);
}

/* Replay's view: stored mail loaded and classified again, as stored. */
static void
test_load_classifies_as_stored(void **state)
{
	static const char other[] = "rule hello\n  body /hello/\n  tag hi\n";
	struct rules_problems probs = { 0 };
	struct rules *rs = load_rules(), *rs2 = NULL;
	struct ingest *ctx = ingest_new(&conf, rs, NULL), *ctx2;
	struct ingest_msg *im = NULL;
	struct error err = { 0 };
	struct verdict v;
	char path[256];
	struct store *st = open_fresh("load", path, sizeof(path));
	const struct verdict *got;

	store_daemon(ctx, st);
	/* row 1: the customer's first mail, both rules */
	assert_int_equal(ingest_load(ctx, st, 1, &im, &err), 0);
	got = ingest_msg_verdict(im);
	assert_int_equal(got->n_hits, 2);
	assert_string_equal(got->hits[0].rule, "pricing-question");
	assert_string_equal(got->hits[1].rule, "seats");
	assert_int_equal(got->priority, PRIO_HIGH);
	assert_null(ingest_msg_error(im));
	/* a second rule set classifies the same parse */
	assert_int_equal(
	    rules_load_buffer("t.rules", other, NULL, &rs2, &probs), 0);
	ctx2 = ingest_new(&conf, rs2, NULL);
	verdict_init(&v);
	ingest_classify(ctx2, im, &v);
	assert_int_equal(v.n_hits, 0);
	ingest_msg_free(&im);
	assert_int_equal(ingest_load(ctx, st, 5, &im, &err), 0);
	ingest_classify(ctx2, im, &v);
	assert_int_equal(v.n_tags, 1);
	assert_string_equal(v.tags[0], "hi");
	assert_int_equal(ingest_msg_verdict(im)->n_hits, 0);
	verdict_clear(&v);
	ingest_msg_free(&im);
	assert_int_equal(ingest_load(ctx, st, 99, &im, &err), -1);
	assert_null(im);
	store_close(&st);
	ingest_free(&ctx);
	ingest_free(&ctx2);
	rules_free(&rs);
	rules_free(&rs2);
}

/* The daemon's stand-in for a message too large: stored raw, no ticket. */
static void
test_unparsed(void **state)
{
	struct ingest *ctx = ingest_new(&conf, NULL, NULL);
	struct ingest_msg *im = NULL;
	struct ingest_result res;
	struct ingest_origin o;
	struct error err = { 0 };
	char path[256];
	struct store *st = open_fresh("unparsed", path, sizeof(path));

	ingest_prepare_unparsed(xstrdup("X-Triage-Not-Fetched: too large\r\n"
					"\r\n"),
	    strlen("X-Triage-Not-Fetched: too large\r\n\r\n"),
	    "message too large to fetch", &im);
	assert_null(ingest_msg_parsed(im));
	assert_string_equal(ingest_msg_error(im), "message too large to fetch");
	origin(0, 1, &o);
	assert_int_equal(ingest_store(ctx, st, &o, im, &res, &err), 0);
	assert_int_equal(res.stored.ticket_id, 0);
	assert_true(res.stored.message_id > 0);
	assert_false(res.stored_raw);
	assert_int_equal(res.commands.outcome, MAILCMD_NONE);
	ingest_msg_free(&im);
	ingest_msg_free(&im); /* NULL is fine */
	store_close(&st);
	ingest_free(&ctx);
	ingest_free(&ctx);
}

/*
 * `triage reprocess --failed` on stand-ins for mail too large: each
 * stays a failed record with its reason; none becomes a blank ticket.
 */
static void
reprocess_keeps_stand_ins(struct ingest *ctx, struct store *st, size_t n_want)
{
	const struct store_actor who = { "alice", STORE_SRC_CLI };
	struct error err = { 0 };
	int64_t *ids = NULL, *again = NULL, n_tickets = -1;
	size_t n = 0, n2 = 0;
	char *raw = NULL, *mailbox = NULL;
	size_t len = 0;

	assert_int_equal(store_messages_failed(st, &ids, &n, &err), 0);
	assert_int_equal(n, n_want);
	for (size_t i = 0; i < n; i++) {
		int parsed = -1;

		assert_int_equal(
		    ingest_reprocess(ctx, st, ids[i], &who, &parsed, &err), 0);
		assert_int_equal(parsed, 0);
		assert_int_equal(
		    store_message_raw(st, ids[i], &raw, &len, &mailbox, &err),
		    0);
		assert_non_null(strstr(raw, "X-Triage-Not-Fetched: too large"));
		free(raw);
		free(mailbox);
	}
	assert_int_equal(store_messages_failed(st, &again, &n2, &err), 0);
	assert_int_equal(n2, n);
	assert_int_equal(store_count(st, "tickets", &n_tickets, &err), 0);
	assert_int_equal(n_tickets, 0);
	free(ids);
	free(again);
}

/*
 * triage ingest's stand-in for a message over max_message_size: failed,
 * no ticket, the reason names both sizes; the same head and size again
 * is already stored, another size is another message.
 */
static void
test_too_large(void **state)
{
	static const struct {
		size_t size;
		int duplicate;
	} cases[] = {
		{ 70000, 0 },
		{ 70000, 1 },
		{ 70001, 0 },
	};
	struct ingest *ctx = ingest_new(&conf, NULL, NULL);
	const char head[] = "From: big@b.test\r\nSubject: huge\r\n\r\nxxxx";
	char path[256], want[128];
	struct store *st = open_fresh("too-large", path, sizeof(path));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ingest_msg *im = NULL;
		struct ingest_result res;
		struct ingest_origin o;
		struct error err = { 0 };

		ingest_prepare_too_large(ctx, head, sizeof(head) - 1,
		    cases[i].size, "sales", &im);
		assert_null(ingest_msg_parsed(im));
		snprintf(want, sizeof(want),
		    "message too large to ingest: %zu bytes, "
		    "max_message_size is %zu",
		    cases[i].size, ingest_max_size(ctx));
		assert_string_equal(ingest_msg_error(im), want);
		origin(0, 0, &o);
		assert_int_equal(ingest_store(ctx, st, &o, im, &res, &err), 0);
		assert_int_equal(res.stored.ticket_id, 0);
		assert_int_equal(res.stored.duplicate, cases[i].duplicate);
		ingest_msg_free(&im);
	}
	reprocess_keeps_stand_ins(ctx, st, 2);
	store_close(&st);
	ingest_free(&ctx);
}

/* A database without a config (--db): no team, no commands, defaults. */
static void
test_no_config(void **state)
{
	static const char cmd[] =
	    "From: Alice <alice@example.com>\r\nTo: sales@example.com\r\n"
	    "Subject: Re: Pricing\r\nMessage-ID: <c1@example.com>\r\n"
	    "In-Reply-To: <q1@buyer.test>\r\n\r\n#claim\r\n";
	struct ingest *ctx = ingest_new(NULL, NULL, NULL);
	struct ingest_msg *im = NULL;
	struct ingest_result res;
	struct ingest_origin o = { .mailbox = "sales",
		.actor = { "alice", STORE_SRC_CLI } };
	struct mime_limits lim;
	struct error err = { 0 };
	char path[256];
	struct store *st = open_fresh("noconf", path, sizeof(path));

	mime_limits_default(&lim);
	assert_int_equal(ingest_max_size(ctx), lim.max_size);
	ingest_prepare(ctx, xstrdup(cmd), strlen(cmd), "sales", &im);
	assert_int_equal(ingest_msg_verdict(im)->n_hits, 0);
	assert_int_equal(ingest_store(ctx, st, &o, im, &res, &err), 0);
	assert_true(res.stored.new_ticket);
	assert_int_equal(res.commands.outcome, MAILCMD_NONE);
	ingest_msg_free(&im);
	/* the same again: a duplicate, nothing changes */
	ingest_prepare(ctx, xstrdup(cmd), strlen(cmd), "sales", &im);
	assert_int_equal(ingest_store(ctx, st, &o, im, &res, &err), 0);
	assert_true(res.stored.duplicate);
	ingest_msg_free(&im);
	store_close(&st);
	ingest_free(&ctx);
}

static int
setup(void **state)
{
	if (test_tmpdir(dbdir, sizeof(dbdir), "ingest") != 0)
		return -1;
	mime_init();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	mime_shutdown();
	return test_rmtree(dbdir) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon_and_cli_agree),
		cmocka_unit_test(test_reprocess_keeps),
		cmocka_unit_test(test_load_classifies_as_stored),
		cmocka_unit_test(test_unparsed),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_no_config),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
