/*
 * The SLA wiring at a controlled clock (store_set_clock), on a real store
 * in a temporary directory:
 *   - key accounts at ingest: account, tier and starting priority, a
 *     rule's priority winning, subdomains and look-alike domains;
 *   - reminders: a ticket's life walked as a table of steps (time moves,
 *     a claim, a route, a reopen), each with how many reminders the tick
 *     records and to whom; the reminder row the outbox sends;
 *   - the digest: due at digest_at, one row per day whatever the number
 *     of ticks or restarts, an SMTP failure kept on the row;
 *   - two instances on one database: only the sla lease's holder runs.
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

#include "accounts.h"
#include "conf.h"
#include "mime.h"
#include "sla-run.h"
#include "store-lease.h"
#include "store-outbox.h"
#include "store-report.h"
#include "store.h"
#include "test-common.h"
#include "xalloc.h"

#define NOW 1794650400 /* 2026-11-14T10:00:00Z */
#define H 3600

static int64_t now = NOW;
static char dir[128];

static const char accounts_csv[] =
    "domain,account,tier,owner\n"
    "acme.com,\"Acme, Inc.\",strategic,bob\n"
    "eu.acme.com,Acme Europe,standard,\n"
    "initech.io,Initech,key,kim@initech-owner.example\n";

static struct conf_mailbox mailboxes[1] = { { .name = (char *)"sales",
    .address = (char *)"sales@example.com",
    .queue = (char *)"sales" } };
static struct conf_route routes[1] = { { .name = (char *)"support",
    .to = (char *)"support@example.com" } };
static struct conf_member team[2] = {
	{ .name = (char *)"alice", .address = (char *)"alice@example.com" },
	{ .name = (char *)"bob", .address = (char *)"bob@example.com" },
};

static void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->path = (char *)"test.conf";
	c->mailboxes = mailboxes;
	c->n_mailboxes = 1;
	c->routes = routes;
	c->n_routes = 1;
	c->team = team;
	c->n_team = 2;
	c->smtp.host = (char *)"127.0.0.1";
	c->smtp.port = 1; /* nothing listens: connection refused */
	c->smtp.tls = CONF_TLS_NONE;
	c->smtp_from = (char *)"Triage <triage@example.com>";
	c->sla.claim = 4 * H;
	c->sla.acknowledge = 24 * H;
}

static struct store *
open_store(const char *name, const struct conf *c, const struct accounts *a)
{
	struct store *st = NULL;
	struct error err = { 0 };
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(store_open(path, &st, &err), 0);
	store_set_clock(st, test_clock, &now);
	store_set_team(st, test_team_conf, (void *)c);
	store_set_accounts(st, a);
	return st;
}

static struct accounts *
load_accounts(void)
{
	struct accounts_errors errs = { 0 };
	struct accounts *a = NULL;

	assert_int_equal(accounts_parse("accounts.csv", accounts_csv,
			     strlen(accounts_csv), &a, &errs),
	    0);
	return a;
}

/* Ingest a mail from `from` with a verdict priority; returns the ticket. */
static int64_t
ingest(struct store *st, const char *from, enum priority prio)
{
	struct store_ingest_result res;
	struct verdict v;
	char *raw;

	xasprintf(&raw,
	    "From: %s\r\nTo: sales@example.com\r\nSubject: seats"
	    "\r\nMessage-ID: <%lld.%s>\r\n\r\nbody\r\n",
	    from, (long long)now, from);
	verdict_init(&v);
	v.priority = prio;
	test_msg_ingest(st, raw, strlen(raw), NULL, now, &v, &res);
	verdict_clear(&v);
	free(raw);
	return res.ticket_id;
}

static void
test_account_at_ingest(void **state)
{
	static const struct {
		const char *from;
		enum priority rule; /* the verdict's */
		const char *account, *tier, *priority;
	} cases[] = {
		{ "pat@acme.com", PRIO_UNSET, "Acme, Inc.", "strategic",
		    "urgent" },
		{ "Pat <pat@Mail.EU.Acme.com>", PRIO_UNSET, "Acme Europe",
		    "standard", "normal" },
		{ "lee@initech.io", PRIO_UNSET, "Initech", "key", "high" },
		/* the tier is a floor: a rule raises it, never lowers it */
		{ "sam@initech.io", PRIO_LOW, "Initech", "key", "high" },
		{ "kim@initech.io", PRIO_URGENT, "Initech", "key", "urgent" },
		/* a strategic account asking about SSO stays urgent */
		{ "sso@acme.com", PRIO_HIGH, "Acme, Inc.", "strategic",
		    "urgent" },
		{ "zoe@notacme.com", PRIO_UNSET, NULL, NULL, "normal" },
		{ "ann@acme.com.evil.example", PRIO_HIGH, NULL, NULL, "high" },
	};
	struct accounts *a = load_accounts();
	struct conf c;
	struct store *st;

	(void)state;
	conf_init(&c);
	st = open_store("ingest.db", &c, a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store_detail *d = NULL;
		struct error err = { 0 };
		int64_t id = ingest(st, cases[i].from, cases[i].rule);

		assert_int_equal(store_show(st, id, &d, &err), 0);
		if (cases[i].account == NULL) {
			assert_null(d->t.account);
			assert_null(d->t.tier);
		} else {
			assert_string_equal(d->t.account, cases[i].account);
			assert_string_equal(d->t.tier, cases[i].tier);
		}
		assert_string_equal(priority_name(d->t.priority),
		    cases[i].priority);
		store_detail_free(&d);
	}
	store_close(&st);
	accounts_free(&a);
}

enum step_do {
	DO_NOTHING,
	DO_CLAIM,
	DO_ROUTE,
	DO_CLOSE,
	DO_REOPEN
};

/* A ticket's life: at `at` (seconds after creation) do `what`, tick. */
static const struct {
	int64_t at;
	enum step_do what;
	size_t reminded;
	const char *to; /* the newest reminder's recipient */
	int64_t next;	/* next_check - creation; -1: SLA_NEVER */
} life[] = {
	/* new: the claim clock of 4h; at risk from 3h */
	{ 0, DO_NOTHING, 0, NULL, 3 * H },
	{ 3 * H + 59 * 60, DO_NOTHING, 0, NULL, 4 * H },
	/* breached: one reminder, to the key account's owner bob */
	{ 4 * H, DO_NOTHING, 1, "bob@example.com", -1 },
	{ 4 * H + 1, DO_NOTHING, 0, "bob@example.com", -1 },
	{ 9 * H, DO_NOTHING, 0, "bob@example.com", -1 },
	/* claimed and routed at 9h: the acknowledge clock of 1d runs */
	{ 9 * H, DO_CLAIM, 0, "bob@example.com", -1 },
	{ 9 * H, DO_ROUTE, 0, "bob@example.com", 27 * H },
	{ 33 * H - 1, DO_NOTHING, 0, "bob@example.com", 33 * H },
	/* breached: to the BDR who claimed it */
	{ 33 * H, DO_NOTHING, 1, "alice@example.com", -1 },
	{ 40 * H, DO_NOTHING, 0, "alice@example.com", -1 },
	/* closed and reopened: a fresh claim clock, one more reminder */
	{ 40 * H, DO_CLOSE, 0, "alice@example.com", -1 },
	{ 41 * H, DO_REOPEN, 0, "alice@example.com", 44 * H },
	{ 45 * H, DO_NOTHING, 1, "bob@example.com", -1 },
	{ 46 * H, DO_NOTHING, 0, "bob@example.com", -1 },
};

static void
act(struct store *st, int64_t id, enum step_do what)
{
	const struct store_actor alice = { "alice", STORE_SRC_CLI };
	struct error err = { 0 };
	int r = 0;

	switch (what) {
	case DO_NOTHING:
		break;
	case DO_CLAIM:
		r = store_claim(st, id, &alice, 0, &err);
		break;
	case DO_ROUTE:
		r = store_route(st, id, "support", NULL, &alice, &err);
		break;
	case DO_CLOSE:
		r = store_close_ticket(st, id, &alice, &err);
		break;
	case DO_REOPEN:
		r = store_reopen(st, id, &alice, &err);
		break;
	}
	if (r < 0)
		fail_msg("step: %s", err.msg);
}

static char *
newest_reminder_rcpt(struct store *st, int64_t *row_r)
{
	struct store_outbox rm = { 0 };
	struct error err = { 0 };
	char *rcpt = NULL;

	for (int64_t id = 200; id > 0 && rcpt == NULL; id--) {
		if (store_outbox_get(st, id, &rm, &err) < 0)
			continue;
		if (strcmp(rm.kind, "reminder") == 0) {
			rcpt = xstrdup(rm.rcpt);
			*row_r = id;
		}
		store_outbox_clear(&rm);
	}
	return rcpt;
}

static void
test_reminders(void **state)
{
	struct accounts *a = load_accounts();
	struct sla_run_opts o = { 0 };
	struct sla_conf sc;
	struct conf c;
	struct store *st;
	struct error err = { 0 };
	int64_t id, row = 0;

	(void)state;
	conf_init(&c);
	now = NOW;
	st = open_store("remind.db", &c, a);
	assert_int_equal(sla_run_conf(&c, &sc, &err), 0);
	id = ingest(st, "pat@acme.com", PRIO_UNSET);
	for (size_t i = 0; i < sizeof(life) / sizeof(life[0]); i++) {
		struct sla_tick res = { 0 };
		char *rcpt;

		now = NOW + life[i].at;
		act(st, id, life[i].what);
		assert_int_equal(sla_run_remind(st, &c, a, &sc, &o, &res, &err),
		    0);
		if (res.reminded != life[i].reminded)
			print_error("step %zu: %zu reminded\n", i,
			    res.reminded);
		assert_int_equal(res.reminded, life[i].reminded);
		assert_int_equal(res.next_check,
		    life[i].next < 0 ? SLA_NEVER : NOW + life[i].next);
		rcpt = newest_reminder_rcpt(st, &row);
		if (life[i].to == NULL)
			assert_null(rcpt);
		else
			assert_string_equal(rcpt, life[i].to);
		free(rcpt);
	}
	sla_run_conf_clear(&sc);
	store_close(&st);
	accounts_free(&a);
}

/*
 * A reminder row as the outbox sender reads it: never to the shared
 * mailbox triage reads (it would come back), to the configured address
 * when nobody else is known; its note the subject line, a blank line and
 * the body.
 */
static void
test_reminder_row(void **state)
{
	struct store_outbox rm = { 0 };
	struct sla_run_opts o = { 0 };
	struct sla_tick res = { 0 };
	struct sla_conf sc;
	struct conf c;
	struct store *st;
	struct error err = { 0 };
	int64_t id, row = 0;
	char *rcpt, *blank;

	(void)state;
	conf_init(&c);
	now = NOW;
	st = open_store("row.db", &c, NULL);
	assert_int_equal(sla_run_conf(&c, &sc, &err), 0);
	id = ingest(st, "zoe@other.example", PRIO_UNSET);
	now += 5 * H;
	/* nobody but the shared mailbox: no reminder at all */
	assert_int_equal(sla_run_remind(st, &c, NULL, &sc, &o, &res, &err), 0);
	assert_int_equal(res.reminded, 0);
	assert_int_equal(res.no_recipient, 1);
	assert_null(newest_reminder_rcpt(st, &row));
	/* a digest_to that is a mailbox we read (plus-addressed) neither */
	c.sla.digest_to = (char *)"Sales <Sales+sla@example.com>";
	memset(&res, 0, sizeof(res));
	assert_int_equal(sla_run_remind(st, &c, NULL, &sc, &o, &res, &err), 0);
	assert_int_equal(res.reminded, 0);
	c.sla.digest_to = (char *)"bdr-managers@example.com";
	memset(&res, 0, sizeof(res));
	assert_int_equal(sla_run_remind(st, &c, NULL, &sc, &o, &res, &err), 0);
	assert_int_equal(res.reminded, 1);
	rcpt = newest_reminder_rcpt(st, &row);
	assert_string_equal(rcpt, "bdr-managers@example.com");
	assert_int_equal(store_outbox_get(st, row, &rm, &err), 0);
	assert_string_equal(rm.kind, "reminder");
	assert_int_equal(rm.ticket_id, id);
	blank = strstr(rm.note, "\n\n");
	assert_non_null(blank);
	/* one subject line, then a body that names the ticket */
	assert_true(memchr(rm.note, '\n', (size_t)(blank - rm.note)) == NULL);
	assert_true(strlen(blank + 2) > 0);
	/* no such row */
	store_outbox_clear(&rm);
	assert_int_equal(store_outbox_get(st, row + 100, &rm, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	free(rcpt);
	sla_run_conf_clear(&sc);
	store_close(&st);
}

static int64_t
digest_rows(struct store *st, int64_t *attempts_r)
{
	struct store_digest_row row = { 0 };
	struct error err = { 0 };
	int64_t day = 0, created = 0;
	int found = 0;

	assert_int_equal(store_digest_last(st, &day, &created, &err), 0);
	assert_int_equal(store_digest_pending(st, &row, &found, &err), 0);
	*attempts_r = found ? row.attempts : -1;
	store_digest_row_clear(&row);
	return day;
}

static void
test_digest(void **state)
{
	static const struct {
		int64_t at;	 /* seconds after NOW (10:00 UTC) */
		int64_t started; /* the daemon's start, after NOW */
		int made;
		int64_t day;	  /* newest row's day - today; -1 none */
		int64_t attempts; /* pending row's; -1: none */
	} steps[] = {
		{ 0, 0, 0, -1, -1 },
		{ 21 * H + 59 * 60, 0, 0, -1, -1 },
		/* 08:00 next day: made, the send refused, kept pending */
		{ 22 * H, 0, 1, 1, 1 },
		{ 22 * H + 60, 0, 0, 1, 2 },
		/* a restart that day makes no second digest */
		{ 23 * H, 23 * H, 0, 1, 3 },
		/* down until 09:00 the day after: one catch-up digest */
		{ 47 * H, 47 * H, 1, 2, 1 },
		{ 47 * H + 60, 47 * H, 0, 2, 2 },
	};
	struct sla_run_opts o = { .smtp_timeout_s = 2 };
	struct sla_conf sc;
	struct conf c;
	struct store *st;
	struct error err = { 0 };
	int64_t today = NOW / 86400;

	(void)state;
	conf_init(&c);
	c.sla.digest_to = (char *)"managers@example.com";
	c.sla.digest_at = (char *)"08:00";
	c.has_smtp = 1;
	now = NOW;
	st = open_store("digest.db", &c, NULL);
	assert_int_equal(sla_run_conf(&c, &sc, &err), 0);
	(void)ingest(st, "zoe@other.example", PRIO_UNSET);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct sla_tick res = { .next_check = SLA_NEVER };
		int64_t attempts, day;

		now = NOW + steps[i].at;
		assert_int_equal(sla_run_digest(st, &c, &sc,
				     NOW + steps[i].started, &o, &res, &err),
		    0);
		day = digest_rows(st, &attempts);
		if (res.digest_made != steps[i].made)
			print_error("step %zu: made %d\n", i, res.digest_made);
		assert_int_equal(res.digest_made, steps[i].made);
		assert_int_equal(res.digest_sent, 0);
		assert_int_equal(day,
		    steps[i].day < 0 ? 0 : today + steps[i].day);
		assert_int_equal(attempts, steps[i].attempts);
		assert_true(res.next_check > now);
	}
	sla_run_conf_clear(&sc);
	store_close(&st);
}

/*
 * Two triaged on one database (two stores, two owner ids): only the
 * holder of the sla lease runs the pass, turn after turn, and the one
 * reminder due is written once; when it resigns (a clean stop) the
 * other leads at its next turn.
 */
static void
test_one_leader(void **state)
{
	struct sla_run_opts o = { 0 };
	struct sla_lead lead[2] = { SLA_LEAD_INIT, SLA_LEAD_INIT };
	struct sla_conf sc;
	struct conf c;
	struct store *st[2];
	struct error err = { 0 };
	int runs[2] = { 0, 0 };
	size_t reminded = 0;

	(void)state;
	conf_init(&c);
	c.sla.digest_to = (char *)"bdr-managers@example.com";
	now = NOW;
	st[0] = open_store("lead.db", &c, NULL);
	st[1] = open_store("lead.db", &c, NULL);
	store_set_owner_id(st[0], "host-a:1:1");
	store_set_owner_id(st[1], "host-b:2:2");
	assert_int_equal(sla_run_conf(&c, &sc, &err), 0);
	(void)ingest(st[0], "zoe@other.example", PRIO_UNSET);
	now += 5 * H;
	for (int turn = 0; turn < 3; turn++) {
		for (int i = 0; i < 2; i++) {
			struct sla_tick res = { 0 };

			if (sla_run_lead(st[i], &o, &lead[i]) != 1)
				continue;
			runs[i]++;
			assert_int_equal(sla_run_remind(st[i], &c, NULL, &sc,
					     &o, &res, &err),
			    0);
			reminded += res.reminded;
		}
	}
	assert_int_equal(runs[0], 3);
	assert_int_equal(runs[1], 0);
	assert_int_equal(lead[1].held, 0);
	assert_int_equal(reminded, 1);
	sla_run_resign(st[0], &o, &lead[0]);
	assert_int_equal(sla_run_lead(st[1], &o, &lead[1]), 1);
	assert_int_equal(sla_run_lead(st[0], &o, &lead[0]), 0);
	assert_true(lead[1].epoch > 0);
	/* a sole instance (SQLite, under triaged's lock) restarted after
	   a SIGKILL of the holder leads at once */
	store_set_owner_id(st[0], "host-a:9:9");
	lead[0] = (struct sla_lead)SLA_LEAD_INIT;
	lead[0].sole = 1;
	assert_int_equal(sla_run_lead(st[0], &o, &lead[0]), 1);
	sla_run_conf_clear(&sc);
	store_close(&st[0]);
	store_close(&st[1]);
}

static int
setup(void **state)
{
	(void)state;
	mime_init();
	return test_tmpdir(dir, sizeof(dir), "sla-run");
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
		cmocka_unit_test(test_account_at_ingest),
		cmocka_unit_test(test_reminders),
		cmocka_unit_test(test_reminder_row),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_one_leader),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
