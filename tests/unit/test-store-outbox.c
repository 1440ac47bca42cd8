/*
 * The outbox table's life (store-outbox.c) and the sender's decisions that
 * need no server (outbox-run.c): a real store in a temporary directory,
 * a table of steps walked in order, each with the state it must leave;
 * then one pass with the SMTP port closed: a capped row waits without an
 * attempt, a follow-up carrying our X-Loop or from the route's address is
 * skipped, an ordinary row and an SLA reminder record the refused
 * connection and wait, an unknown kind waits for a triaged that knows it;
 * the loop-protection facts a follow-up row reads, as ingest recorded
 * them and as the schema 8 upgrade fills them for older rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "forward.h"
#include "mime.h"
#include "outbox-run.h"
#include "store-outbox.h"
#include "store-private.h" /* store_exec: a row as an old triage left it */
#include "test-common.h"
#include "xalloc.h"

#define NOW 1794650400

static int64_t now = NOW;
static char dir[128];

static const struct store_actor rule = { "rules", STORE_SRC_RULE };

/* Ingest one message; returns its messages.id, sets *ticket_r. */
static int64_t
ingest(struct store *st, const char *raw, int64_t *ticket_r)
{
	struct store_ingest_result res;

	test_msg_ingest(st, raw, strlen(raw), NULL, NOW, NULL, &res);
	*ticket_r = res.ticket_id;
	return res.message_id;
}

static char *
mail(const char *from, const char *mid, const char *irt, const char *extra)
{
	char *s;

	xasprintf(&s,
	    "From: %s\r\nTo: sales@example.com\r\nSubject: seats\r\n"
	    "Message-ID: <%s>\r\n%s%s%s%s\r\nbody\r\n",
	    from, mid, irt != NULL ? "In-Reply-To: <" : "",
	    irt != NULL ? irt : "", irt != NULL ? ">\r\n" : "", extra);
	return s;
}

static struct store *
open_store(const char *name)
{
	struct store *st = NULL;
	struct error err = { 0 };
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(store_open(path, &st, &err), 0);
	store_set_clock(st, test_clock, &now);
	return st;
}

static void
expect_row(struct store *st, int64_t id, const char *state, int attempts,
    int parts, const char *error_part)
{
	struct store_outbox o = { 0 };
	struct error err = { 0 };

	assert_int_equal(store_outbox_get(st, id, &o, &err), 0);
	assert_string_equal(o.state, state);
	assert_int_equal(o.attempts, attempts);
	assert_int_equal(o.parts_sent, parts);
	if (error_part != NULL) {
		assert_non_null(o.last_error);
		assert_non_null(strstr(o.last_error, error_part));
	}
	store_outbox_clear(&o);
}

static size_t
due(struct store *st)
{
	struct store_outbox *v = NULL;
	struct error err = { 0 };
	size_t n = 0;

	assert_int_equal(store_outbox_due(st, 0, &v, &n, &err), 0);
	store_outbox_free(&v, n);
	return n;
}

static int64_t
events(struct store *st, int64_t ticket, const char *kind)
{
	struct store_detail *d = NULL;
	struct error err = { 0 };
	int64_t n = 0;

	assert_int_equal(store_show(st, ticket, &d, &err), 0);
	for (size_t i = 0; i < d->n_events; i++)
		n += strcmp(d->events[i].kind, kind) == 0;
	store_detail_free(&d);
	return n;
}

enum op {
	PROGRESS,
	DONE,
	RETRY,
	DEFER,
	FAIL,
	SKIP,
	REQUEUE,
	TICK
};

static void
test_row_life(void **state)
{
	static const struct {
		enum op op;
		int arg;
		int rc; /* 0, or the error code */
		const char *state;
		int attempts, parts;
		size_t due; /* due rows after the step */
	} steps[] = {
		{ PROGRESS, 1, 0, "pending", 0, 1, 1 },
		{ RETRY, 60, 0, "pending", 1, 1, 0 },
		{ TICK, 59, 0, "pending", 1, 1, 0 },
		{ TICK, 1, 0, "pending", 1, 1, 1 },
		{ DEFER, 300, 0, "pending", 1, 1, 0 },
		{ TICK, 300, 0, "pending", 1, 1, 1 },
		{ FAIL, 0, 0, "failed", 2, 1, 0 },
		{ FAIL, 0, ERR_NOTFOUND, "failed", 2, 1, 0 },
		{ REQUEUE, 0, 0, "pending", 0, 1, 1 },
		{ DONE, 2, 0, "sent", 0, 2, 0 },
		{ REQUEUE, 0, ERR_REFUSED, "sent", 0, 2, 0 },
		{ RETRY, 60, ERR_NOTFOUND, "sent", 0, 2, 0 },
		{ SKIP, 0, ERR_NOTFOUND, "sent", 0, 2, 0 },
	};
	struct store *st = open_store("life.db");
	struct error err = { 0 };
	char *raw =
	    mail("Pat <pat@buyer.example>", "a1@buyer.example", NULL, "");
	int64_t ticket, id = 1, n = 0;
	int r = 0;

	(void)state;
	now = NOW;
	ingest(st, raw, &ticket);
	assert_int_equal(store_route(st, ticket, "sales", NULL, &rule, &err),
	    0);
	assert_int_equal(due(st), 1);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		error_clear(&err);
		switch (steps[i].op) {
		case PROGRESS:
		case DONE:
			r = store_outbox_progress(st, id, steps[i].arg,
			    steps[i].op == DONE, "triage.T1.E1@example.com",
			    &err);
			break;
		case RETRY:
			r = store_outbox_retry(st, id, now + steps[i].arg,
			    "451 4.3.0 busy", &err);
			break;
		case DEFER:
			r = store_outbox_defer(st, id, now + steps[i].arg,
			    "waiting: cap", &err);
			break;
		case FAIL:
			r = store_outbox_fail(st, id, "550 5.1.1 no such user",
			    &err);
			break;
		case SKIP:
			r = store_outbox_skip(st, id, "loop", &err);
			break;
		case REQUEUE:
			r = store_outbox_requeue(st, id, "alice", &err);
			break;
		case TICK:
			now += steps[i].arg;
			r = 0;
			break;
		}
		if (steps[i].rc == 0 && r != 0)
			fail_msg("step %zu: %s", i, err.msg);
		assert_int_equal(r, steps[i].rc == 0 ? 0 : -1);
		if (steps[i].rc != 0)
			assert_int_equal(err.code, steps[i].rc);
		expect_row(st, id, steps[i].state, steps[i].attempts,
		    steps[i].parts, NULL);
		if (due(st) != steps[i].due)
			fail_msg("step %zu: %zu due, want %zu", i, due(st),
			    steps[i].due);
	}
	expect_row(st, id, "sent", 0, 2, NULL);
	assert_int_equal(events(st, ticket, "forward-failed"), 1);
	assert_int_equal(events(st, ticket, "forward-retry"), 1);
	assert_int_equal(events(st, ticket, "forwarded"), 1);
	assert_int_equal(
	    store_outbox_sent_since(st, ticket, now - 3600, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_outbox_sent_since(st, ticket, now + 1, &n, &err),
	    0);
	assert_int_equal(n, 0);
	free(raw);
	store_close(&st);
}

/* One pass with nothing listening: what is decided before connecting. */
static void
test_pass_without_server(void **state)
{
	struct conf_route routes[1] = { { .name = (char *)"support",
	    .to = (char *)"support@example.com",
	    .style = CONF_ROUTE_REDIRECT } };
	struct conf c;
	struct outbox_run_opts o = { .forwards_per_hour = 1, .timeout_s = 5 };
	struct outbox_pass res = { 0 };
	struct store *st = open_store("pass.db");
	struct error err = { 0 };
	char *m1 =
	    mail("Pat <pat@buyer.example>", "p1@buyer.example", NULL, "");
	char *m2 = mail("Pat <pat@buyer.example>", "p2@buyer.example",
	    "p1@buyer.example", "X-Loop: triage@example.com\r\n");
	char *m3 = mail("Support <support@example.com>", "p3@example.com",
	    "p1@buyer.example", "");
	char *m4 =
	    mail("Kim <kim@buyer.example>", "k1@buyer.example", NULL, "");
	int64_t t1, t2;

	(void)state;
	now = NOW;
	memset(&c, 0, sizeof(c));
	c.path = (char *)"test.conf";
	c.smtp.host = (char *)"127.0.0.1";
	c.smtp.port = 1; /* nothing listens: connection refused */
	c.smtp.tls = CONF_TLS_NONE;
	c.has_smtp = 1;
	c.smtp_from = (char *)"Triage <triage@example.com>";
	c.routes = routes;
	c.n_routes = 1;
	ingest(st, m1, &t1);
	assert_int_equal(store_route(st, t1, "support", NULL, &rule, &err), 0);
	/* the routing row of t1 was sent an hour ago minus a second */
	assert_int_equal(store_outbox_progress(st, 1, 1, 1, NULL, &err), 0);
	now += 3599;
	ingest(st, m2, &t2); /* X-Loop follow-up: row 2 */
	assert_int_equal(t2, t1);
	ingest(st, m3, &t2); /* support answering: row 3 */
	ingest(st, m4, &t2); /* another ticket, routed: row 4 */
	assert_int_equal(store_route(st, t2, "support", NULL, &rule, &err), 0);
	/* row 5: a follow-up the cap holds back, as the routing sent */
	assert_int_equal(
	    store_exec(st,
		"INSERT INTO outbox (ticket_id,"
		" message_id, kind, route, created) VALUES (1, 1, 'forward',"
		" 'support', 0)",
		&err),
	    0);
	/* row 6: an SLA reminder, built from the row alone; row 7: a kind
	   this triaged does not know */
	assert_int_equal(
	    store_exec(st,
		"INSERT INTO outbox (ticket_id,"
		" kind, rcpt, note, created) VALUES (1, 'reminder',"
		" 'alice@example.com', 'Ticket #1 breached its claim SLA' || "
		"char(10)"
		" || char(10) || 'Claim it.', 1794650400);"
		" INSERT INTO outbox (ticket_id, kind, rcpt, created) VALUES"
		" (1, 'fax', 'x', 1794650400)",
		&err),
	    0);
	assert_int_equal(outbox_run_pass(st, &c, NULL, &o, &res, &err), 0);
	assert_int_equal(res.rows, 6);
	assert_int_equal(res.skipped, 2);
	assert_int_equal(res.deferred, 2);
	assert_int_equal(res.retried, 2);
	expect_row(st, 6, "pending", 1, 0, "127.0.0.1");
	expect_row(st, 7, "pending", 0, 0, "cannot send this kind");
	expect_row(st, 2, "skipped", 0, 0, "carries our X-Loop");
	expect_row(st, 3, "skipped", 0, 0, "route's own address");
	expect_row(st, 4, "pending", 1, 0, "127.0.0.1");
	expect_row(st, 5, "pending", 0, 0, "cap 1");
	assert_int_equal(events(st, t1, "forward-skipped"), 2);
	/* five minutes on, the capped row and the refused ones are due */
	now += 300;
	assert_int_equal(due(st), 3);
	free(m1);
	free(m2);
	free(m3);
	free(m4);
	store_close(&st);
}

/* The follow-up row a message carrying `extra` headers leaves. */
static void
expect_facts(struct store *st, int64_t id, unsigned flags, const char *from,
    const char *x_loop, const char *why)
{
	struct store_outbox o = { 0 };
	struct error err = { 0 };
	const char *reason = NULL;
	struct forward_facts f;

	assert_int_equal(store_outbox_get(st, id, &o, &err), 0);
	assert_int_not_equal(o.message_row, 0);
	assert_int_equal(o.msg_flags & flags, flags);
	assert_string_equal(o.msg_from, from);
	assert_string_equal(o.msg_x_loop, x_loop);
	f = (struct forward_facts){ o.msg_flags, o.msg_from, o.msg_x_loop };
	assert_int_equal(
	    forward_facts_allowed(&f, "triage@example.com", &reason),
	    why == NULL);
	if (why != NULL)
		assert_string_equal(reason, why);
	store_outbox_clear(&o);
}

/*
 * Ingest records what loop protection reads (flags, sender, X-Loop), so
 * the sender reads the row; a row stored before schema 8 gets its X-Loop
 * from its stored header lines when the database is upgraded, and any
 * row when its header lines change.
 */
static void
test_recorded_facts(void **state)
{
	static const struct {
		const char *extra;
		unsigned flags;
		const char *x_loop;
		const char *why; /* NULL: forwarded */
	} cases[] = {
		{ "", 0, "", NULL },
		{ "X-Loop: helpdesk@example.net\r\n"
		  "X-Loop: Triage@Example.com\r\n",
		    0, "helpdesk@example.net\nTriage@Example.com",
		    "carries our X-Loop" },
		{ "X-Loop: helpdesk@example.net\r\n", 0, "helpdesk@example.net",
		    NULL },
		{ "Auto-Submitted: auto-replied\r\n", MSG_AUTO_SUBMITTED, "",
		    "auto-submitted" },
		{ "X-Failed-Recipients: x@y\r\n", MSG_BOUNCE, "",
		    "auto-submitted" }, /* a bounce is auto-submitted too */
	};
	struct error err = { 0 };
	struct store *st;
	char path[256], mid[64], *raw;
	int64_t ticket, t;

	(void)state;
	for (int old = 0; old < 2; old++) {
		now = NOW;
		snprintf(path, sizeof(path), "%s/facts%d.db", dir, old);
		/* old: as triage with schema 7 stored them, then upgraded */
		assert_int_equal(store_open_raw(path, &st, &err), 0);
		assert_int_equal(
		    store_migrate(st, old ? 7 : STORE_SCHEMA_VERSION, &err), 0);
		store_set_clock(st, test_clock, &now);
		raw = mail("Pat <pat@buyer.example>", "f0@buyer.example", NULL,
		    "");
		ingest(st, raw, &ticket);
		free(raw);
		assert_int_equal(
		    store_route(st, ticket, "sales", NULL, &rule, &err), 0);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			snprintf(mid, sizeof(mid), "f%zu@buyer.example", i + 1);
			raw = mail("Pat <pat@buyer.example>", mid,
			    "f0@buyer.example", cases[i].extra);
			ingest(st, raw, &t);
			free(raw);
			assert_int_equal(t, ticket);
		}
		if (old) {
			store_close(&st);
			st = open_store("facts1.db");
			assert_int_equal(store_schema_version(st),
			    STORE_SCHEMA_VERSION);
		}
		/* row 1 is the routing; rows 2.. the follow-ups in order */
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			expect_facts(st, (int64_t)i + 2, cases[i].flags,
			    "pat@buyer.example", cases[i].x_loop, cases[i].why);
		/* new header lines (a reprocess) make x_loop anew */
		assert_int_equal(
		    store_exec(st,
			"UPDATE messages SET headers ="
			" 'From: pat@buyer.example' || char(10) || 'X-Loop: "
			"triage@example.com' || char(10) WHERE id = 2",
			&err),
		    0);
		expect_facts(st, 2, 0, "pat@buyer.example",
		    "triage@example.com", "carries our X-Loop");
		store_close(&st);
	}
}

static int
setup(void **state)
{
	(void)state;
	mime_init();
	return test_tmpdir(dir, sizeof(dir), "store-outbox");
}

static int
teardown(void **state)
{
	(void)state;
	mime_shutdown();
	return test_rmtree(dir) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_life),
		cmocka_unit_test(test_pass_without_server),
		cmocka_unit_test(test_recorded_facts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
