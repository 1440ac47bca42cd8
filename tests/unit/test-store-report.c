/*
 * The report's figures and the SLA reminders, through the store, with a
 * controlled clock.
 *
 * test_figures builds a small history with the store's own API (mail
 * in, replies out, claims, routes, acks, marks, tags, stories,
 * reminders) and checks every figure of report_fill against the
 * answers worked out by hand in the comments.  test_remind_once runs the
 * daemon's SLA tick (store_sla_due, sla_evaluate, store_sla_remind) every
 * 15 minutes over a day and a half and checks each clock reminds exactly
 * once, when it breaches.  test_digest checks the daily digest's lists
 * and yesterday's figures from the store.  test_detail and test_backfill
 * check that schema 8 reads the reminders written before it into the
 * events' columns, with the same figures.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "report-fill.h"
#include "sla-store.h"
#include "store-private.h"
#include "store-report.h"
#include "test-common.h"
#include "xalloc.h"

#include "../fixtures/report/history.h"

static char dbdir[128];

static struct store *
open_fresh(const char *name)
{
	struct store *st = test_store_fresh(dbdir, name);

	store_set_clock(st, test_clock, &fake_now);
	store_set_team(st, test_team_example, NULL);
	return st;
}

static const struct report_count *
find_count(const struct report_counts *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].key, key) == 0)
			return &c->v[i];
	}
	fail_msg("no count '%s'", key);
	return NULL;
}

static const struct report_bdr *
find_bdr(const struct report *r, const char *name)
{
	for (size_t i = 0; i < r->n_bdrs; i++) {
		if (strcmp(r->bdrs[i].name, name) == 0)
			return &r->bdrs[i];
	}
	fail_msg("no BDR '%s'", name);
	return NULL;
}

static const struct report_ticket *
find_ticket(const struct report_tickets *t, int fixture)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].id == ids[fixture])
			return &t->v[i];
	}
	fail_msg("no ticket t%d", fixture);
	return NULL;
}

/* A figure and its hand-worked value. */
struct figure {
	const char *what;
	int64_t got, want;
};

static void
check_figures(const struct figure *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i].got != f[i].want)
			fail_msg("%s: got %lld, want %lld", f[i].what,
			    (long long)f[i].got, (long long)f[i].want);
	}
}

#define FIG(what, want) \
	{ \
#what, (int64_t)(what), (int64_t)(want) \
	}

static void
test_figures(void **state)
{
	struct store *st = open_fresh("figures");
	struct sla_hours *h = NULL;
	struct error err = { 0 };
	struct report r;
	const struct report_durations *claim, *route, *ack, *resp;
	const struct report_bdr *alice, *bob;
	const struct report_ticket *b4, *b3, *s3, *s7;

	assert_int_equal(sla_hours_parse("Mon-Fri 09:00-18:00 UTC", &h, &err),
	    0);
	assert_int_equal(run(st, history, sizeof(history) / sizeof(history[0])),
	    0);
	fake_now = H(80);
	report_init(&r, 0, 0);
	assert_int_equal(report_fill(st, H(0), H(72), NULL, h, &r, &err), 0);
	report_finish(&r);
	claim = &r.times[REPORT_TO_CLAIM];
	route = &r.times[REPORT_TO_ROUTE];
	ack = &r.times[REPORT_TO_ACK];
	resp = &r.times[REPORT_TO_RESPONSE];
	alice = find_bdr(&r, "alice");
	bob = find_bdr(&r, "bob");
	b4 = find_ticket(&r.breaches, 4);
	b3 = find_ticket(&r.breaches, 3);
	s3 = find_ticket(&r.stories, 3);
	s7 = find_ticket(&r.stories, 7);
	{
		const struct figure f[] = {
			/* t1-t5; t6 ignored, t7 before the period */
			FIG(r.tickets, 5),
			FIG(r.generated, H(80)),
			FIG(r.by_mailbox.n, 2),
			FIG(find_count(&r.by_mailbox, "sales")->n, 4),
			FIG(find_count(&r.by_mailbox, "community")->n, 1),
			FIG(find_count(&r.by_queue, "sales")->n, 4),
			FIG(find_count(&r.by_queue, "community")->n, 1),
			FIG(r.by_day.n, 3),
			FIG(find_count(&r.by_day, "2026-11-09")->n, 3),
			FIG(find_count(&r.by_day, "2026-11-10")->n, 2),
			FIG(find_count(&r.by_day, "2026-11-11")->n, 0),
			FIG(find_count(&r.by_tag, "competitor:github")->n, 2),
			FIG(find_count(&r.by_tag, "competitor:gitlab")->n, 1),
			FIG(find_count(&r.by_tag, "ee-lead")->n, 1),
			FIG(r.ee_leads, 1),
			FIG(r.competitors.n, 2),
			FIG(find_count(&r.competitors, "github")->n, 2),
			FIG(find_count(&r.competitors, "gitlab")->n, 1),
			/*
			 * To claim: t1 30m, t2 2h, t3 17h, t4 25h; in
			 * business time 30m, 2h, 2h (Mon 17-18, Tue 9-10),
			 * 10h (Tue 9-18, Wed 9-10).  Nearest rank of 4:
			 * median the 2nd, p90 the 4th.
			 */
			FIG(claim->n, 4),
			FIG(claim->clock_stat.median, 2 * 3600),
			FIG(claim->clock_stat.p90, 25 * 3600),
			FIG(claim->business_stat.median, 2 * 3600),
			FIG(claim->business_stat.p90, 10 * 3600),
			/* To route: t1 1h30, t3 19h (business 1h + 3h). */
			FIG(route->n, 2),
			FIG(route->clock_stat.median, 90 * 60),
			FIG(route->clock_stat.p90, 19 * 3600),
			FIG(route->business_stat.median, 90 * 60),
			FIG(route->business_stat.p90, 4 * 3600),
			/* To acknowledge: t1 11:30 -> 13:30. */
			FIG(ack->n, 1),
			FIG(ack->clock_stat.median, 2 * 3600),
			FIG(ack->clock_stat.p90, 2 * 3600),
			/* First response: t1 45m, t2 1h. */
			FIG(resp->n, 2),
			FIG(resp->clock_stat.median, 45 * 60),
			FIG(resp->clock_stat.p90, 3600),
			FIG(resp->business_stat.p90, 3600),
			/* Histogram of 30m, 2h, 17h, 25h. */
			FIG(r.hist[0], 0),
			FIG(r.hist[2], 1),
			FIG(r.hist[4], 1),
			FIG(r.hist[6], 1),
			FIG(r.hist[7], 1),
			/* Per BDR; sam (ack) and the rules are not BDRs. */
			FIG(r.n_bdrs, 2),
			FIG(alice->claimed, 2),
			FIG(alice->routed, 2),
			FIG(alice->qualified, 1),
			FIG(alice->disqualified, 0),
			FIG(alice->to_claim.clock_stat.median, 30 * 60),
			FIG(alice->to_claim.clock_stat.p90, 17 * 3600),
			FIG(alice->to_route.clock_stat.p90, 19 * 3600),
			FIG(bob->claimed, 2),
			FIG(bob->routed, 0),
			FIG(bob->qualified, 0),
			FIG(bob->disqualified, 1),
			FIG(bob->to_claim.clock_stat.median, 2 * 3600),
			FIG(bob->to_claim.business_stat.p90, 10 * 3600),
			/* Funnel. */
			FIG(r.funnel.received, 5),
			FIG(r.funnel.claimed, 4),
			FIG(r.funnel.routed, 2),
			FIG(r.funnel.acknowledged, 1),
			FIG(r.funnel.qualified, 1),
			FIG(r.funnel.disqualified, 1),
			/* Stories marked in the period, t7 too. */
			FIG(r.stories.n, 2),
			FIG(s3->at, H(36)),
			FIG(s7->at, H(58)),
			/*
			 * Breaches: t4's claim clock due Tue 13:00, met
			 * Wed 10:00 (21h late); t3's acknowledge clock due
			 * Wed 12:00, still running at the period's end
			 * (Thu 00:00: 12h late).
			 */
			FIG(r.breaches.n, 2),
			FIG(r.breaches_claim, 1),
			FIG(r.breaches_ack, 1),
			FIG(b4->at, H(37)),
			FIG(b4->late, 21 * 3600),
			FIG(b3->at, H(60)),
			FIG(b3->late, 12 * 3600),
		};

		check_figures(f, sizeof(f) / sizeof(f[0]));
	}
	assert_string_equal(s3->owner, "alice");
	assert_string_equal(s3->subject, "ticket 3");
	assert_string_equal(s3->customer, "kim@globex.example");
	assert_string_equal(s7->owner, "bob");
	assert_string_equal(b4->clock, "claim");
	assert_string_equal(b4->owner, "community@example.com");
	assert_string_equal(b3->clock, "acknowledge");
	assert_string_equal(r.hours, "Mon-Fri 09:00-18:00 UTC");
	report_clear(&r);

	/* One mailbox: community holds t4 only, with its breach. */
	assert_int_equal(
	    report_fill(st, H(0), H(72), "community", NULL, &r, &err), 0);
	report_finish(&r);
	{
		const struct figure f[] = {
			FIG(r.tickets, 1),
			FIG(find_count(&r.by_day, "2026-11-10")->n, 1),
			FIG(r.times[REPORT_TO_CLAIM].clock_stat.median,
			    25 * 3600),
			/* no hours: business time is clock time */
			FIG(r.times[REPORT_TO_CLAIM].business_stat.median,
			    25 * 3600),
			FIG(r.breaches.n, 1),
			FIG(r.stories.n, 0),
			FIG(r.n_bdrs, 1),
		};

		check_figures(f, sizeof(f) / sizeof(f[0]));
	}
	assert_string_equal(r.mailbox, "community");
	assert_null(r.hours);
	report_clear(&r);

	/* Tuesday alone: t4 and t5; t1's ack (Monday) is outside. */
	assert_int_equal(report_fill(st, H(24), H(48), NULL, h, &r, &err), 0);
	assert_int_equal(r.tickets, 2);
	assert_int_equal(r.by_day.n, 1);
	assert_int_equal(r.stories.n, 1);
	assert_int_equal(r.breaches.n, 1);
	report_clear(&r);

	/* An empty period is a usage error and leaves r alone. */
	r.tickets = 42;
	assert_int_equal(report_fill(st, H(5), H(5), NULL, h, &r, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_int_equal(r.tickets, 42);
	sla_hours_free(&h);
	store_close(&st);
}

/*
 * A reminder as triage wrote it before schema 8: an sla-breach event
 * with the detail alone (and an outbox row the report does not read).
 */
static void
legacy_remind(struct store *st, const struct step *step)
{
	char since[32], due[32], detail[256];
	time_t t;
	struct tm tm;
	struct db_stmt *s = NULL;

	t = (time_t)step->since;
	strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	t = (time_t)step->due;
	strftime(due, sizeof(due), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	snprintf(detail, sizeof(detail), "%s since %s due %s to %s",
	    step->clock == STORE_SLA_ACK ? "acknowledge" : "claim", since, due,
	    step->arg);
	assert_int_equal(
	    db_prepare(st->db,
		"INSERT INTO events"
		" (ticket_id, at, actor, source, kind, detail) VALUES (?, ?,"
		" 'triaged', 'daemon', 'sla-breach', ?)",
		0, &s),
	    DB_OK);
	db_bind_int64(s, 1, ids[step->t]);
	db_bind_int64(s, 2, step->at);
	db_bind_text(s, 3, detail, -1);
	assert_int_equal(db_step(s), DB_DONE);
	db_finalize(s);
}

/*
 * A database written before schema 3 (no actor or first-response
 * columns) and 8 (reminders with their detail only): opening it fills
 * them from the events and messages, and the report comes out the
 * same.
 */
static void
test_backfill(void **state)
{
	struct error err = { 0 };
	struct store *st = NULL;
	struct report r;
	char path[256];

	snprintf(path, sizeof(path), "%s/backfill.db", dbdir);
	unlink(path);
	assert_int_equal(store_open_raw(path, &st, &err), 0);
	assert_int_equal(store_migrate(st, 2, &err), 0);
	store_set_clock(st, test_clock, &fake_now);
	store_set_team(st, test_team_example, NULL);
	for (size_t i = 0; i < sizeof(history) / sizeof(history[0]); i++) {
		if (history[i].op == OP_REMIND)
			legacy_remind(st, &history[i]);
		else
			assert_int_equal(run(st, &history[i], 1), 0);
	}
	store_close(&st);
	assert_int_equal(store_open(path, &st, &err), 0);
	store_set_clock(st, test_clock, &fake_now);
	fake_now = H(80);
	report_init(&r, 0, 0);
	assert_int_equal(report_fill(st, H(0), H(72), NULL, NULL, &r, &err), 0);
	report_finish(&r);
	{
		const struct report_bdr *alice = find_bdr(&r, "alice");
		const struct report_bdr *bob = find_bdr(&r, "bob");
		const struct figure f[] = {
			FIG(r.n_bdrs, 2),
			FIG(alice->claimed, 2),
			FIG(alice->routed, 2),
			FIG(alice->qualified, 1),
			FIG(bob->claimed, 2),
			FIG(bob->disqualified, 1),
			FIG(r.times[REPORT_TO_RESPONSE].n, 2),
			FIG(r.times[REPORT_TO_RESPONSE].clock_stat.median,
			    45 * 60),
			FIG(r.breaches.n, 2),
			FIG(r.breaches_claim, 1),
			FIG(r.breaches_ack, 1),
			FIG(find_ticket(&r.breaches, 4)->at, H(37)),
			FIG(find_ticket(&r.breaches, 4)->late, 21 * 3600),
			FIG(find_ticket(&r.breaches, 3)->at, H(60)),
			FIG(find_ticket(&r.breaches, 3)->late, 12 * 3600),
		};

		check_figures(f, sizeof(f) / sizeof(f[0]));
	}
	assert_string_equal(find_ticket(&r.breaches, 4)->owner,
	    "community@example.com");
	assert_string_equal(find_ticket(&r.breaches, 3)->clock, "acknowledge");
	report_clear(&r);
	store_close(&st);
}

/*
 * Schema 8 reads the sla-breach details written before it into the
 * event's columns: the ones a reminder wrote; junk stays no breach.
 */
static void
test_detail(void **state)
{
	static const struct {
		const char *detail;
		int ok;
		enum store_sla_clock clock;
		int64_t since, due;
		const char *to;
	} cases[] = {
		{ "claim since 2026-11-09T10:00:00Z due 2026-11-09T14:00:00Z"
		  " to alice@example.com",
		    1, STORE_SLA_CLAIM, H(10), H(14), "alice@example.com" },
		{ "acknowledge since 2026-11-09T10:00:00Z due"
		  " 2026-11-10T10:00:00Z to Support <s@example.com>",
		    1, STORE_SLA_ACK, H(10), H(34), "Support <s@example.com>" },
		{ "claim since 2026-11-09T10:00:00Z due 2026-11-09T14:00:00Z",
		    1, STORE_SLA_CLAIM, H(10), H(14), NULL },
		{ "claim since 2026-11-09 due 2026-11-09T14:00:00Z", 0,
		    STORE_SLA_NONE, 0, 0, NULL },
		{ "route since 2026-11-09T10:00:00Z due 2026-11-09T14:00:00Z",
		    0, STORE_SLA_NONE, 0, 0, NULL },
		{ "claim since 2026-11-09T10:00:00Z due 2026-11-09T14:00:00Z"
		  "x",
		    0, STORE_SLA_NONE, 0, 0, NULL },
		{ "", 0, STORE_SLA_NONE, 0, 0, NULL },
	};
	struct error err = { 0 };
	struct store *st = NULL;
	struct db_stmt *s = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/detail.db", dbdir);
	unlink(path);
	assert_int_equal(store_open_raw(path, &st, &err), 0);
	assert_int_equal(store_migrate(st, 7, &err), 0);
	assert_int_equal(db_exec(st->db,
			     "INSERT INTO tickets (id, queue,"
			     " created, updated) VALUES (1, 'sales', 0, 0)"),
	    DB_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    db_prepare(st->db,
			"INSERT INTO events"
			" (ticket_id, at, actor, source, kind, detail) VALUES (1,"
			" 0, 'triaged', 'daemon', 'sla-breach', ?)",
			0, &s),
		    DB_OK);
		db_bind_text(s, 1, cases[i].detail, -1);
		assert_int_equal(db_step(s), DB_DONE);
		db_finalize(s);
	}
	assert_int_equal(store_migrate(st, STORE_SCHEMA_VERSION, &err), 0);
	assert_int_equal(
	    db_prepare(st->db,
		"SELECT sla_clock,"
		" sla_since, sla_deadline, sla_rcpt FROM events ORDER BY id",
		0, &s),
	    DB_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *to;

		assert_int_equal(db_step(s), DB_ROW);
		if (!cases[i].ok) {
			if (!db_col_is_null(s, 0))
				fail_msg("case %zu accepted", i);
			continue;
		}
		if (store_sla_clock_parse(db_col_text(s, 0)) !=
			cases[i].clock ||
		    db_col_int64(s, 1) != cases[i].since ||
		    db_col_int64(s, 2) != cases[i].due)
			fail_msg("case %zu misread", i);
		to = db_col_text(s, 3);
		if (cases[i].to == NULL)
			assert_null(to);
		else
			assert_string_equal(to, cases[i].to);
	}
	assert_int_equal(db_step(s), DB_DONE);
	db_finalize(s);
	store_close(&st);
}

/* Rows of one kind of event / outbox row, straight from the database. */
static int64_t
count_sql(struct store *st, const char *sql)
{
	struct db_stmt *s = NULL;
	int64_t n;

	assert_int_equal(db_prepare(st->db, sql, 0, &s), DB_OK);
	assert_int_equal(db_step(s), DB_ROW);
	n = db_col_int64(s, 0);
	db_finalize(s);
	return n;
}

/* One SLA tick, as the daemon runs it: returns reminders written. */
static int
sla_tick(struct store *st, const struct sla_policy *p, int64_t now,
    int64_t *sent_ids)
{
	struct store_sla_ticket *v = NULL;
	struct error err = { 0 };
	size_t n = 0;
	int sent_total = 0;

	fake_now = now;
	assert_int_equal(store_sla_due(st, 0, 0, &v, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		struct sla_result res;
		int sent = -1;

		struct sla_ticket t;

		sla_store_ticket(&v[i], &t);
		sla_evaluate(p, &t, now, &res);
		if (!res.remind)
			continue;
		assert_int_equal(store_sla_remind(st, v[i].id,
				     sla_store_clock(res.clock), v[i].since,
				     res.deadline, "bdrs@example.com",
				     "overdue", &sent, &err),
		    0);
		assert_int_equal(sent, 1);
		/* A second daemon (or a retry) racing it writes nothing. */
		assert_int_equal(store_sla_remind(st, v[i].id,
				     sla_store_clock(res.clock), v[i].since,
				     res.deadline, "bdrs@example.com",
				     "overdue", &sent, &err),
		    0);
		assert_int_equal(sent, 0);
		sent_ids[sent_total++] = v[i].id;
	}
	store_sla_tickets_free(&v, n);
	return sent_total;
}

static void
test_remind_once(void **state)
{
	static const struct step life[] = {
		{ H(0), OP_MAIL, 1, "pat@acme.example", "sales", NOCLK },
		{ H(0), OP_MAIL, 2, "lee@initech.example", "sales", NOCLK },
		{ H(2), OP_CLAIM, 2, "alice", NULL, NOCLK },
		{ H(3), OP_ROUTE, 2, "alice", "sales", NOCLK },
		{ H(6), OP_CLOSE, 1, "bob", NULL, NOCLK },
		{ H(8), OP_REOPEN, 1, "bob", NULL, NOCLK },
	};
	/* When each reminder is due: the first tick at or past it. */
	static const struct {
		int64_t at;
		int t;
	} want[] = {
		{ H(4), 1 },  /* t1 claim clock from H(0), 4h */
		{ H(12), 1 }, /* t1 reopened H(8): a new clock */
		{ H(27), 2 }, /* t2 routed H(3), 1d to acknowledge */
	};
	const struct sla_policy p = { 4 * 3600, 86400, 0, NULL };
	struct store *st = open_fresh("remind");
	struct store_sla_ticket *v = NULL;
	struct error err = { 0 };
	size_t next_step = 0, n_want = 0, n = 0;
	int64_t sent_ids[8];
	int sent;

	for (int64_t now = H(0); now <= H(36); now += 15 * 60) {
		int k;

		while (next_step < sizeof(life) / sizeof(life[0]) &&
		       life[next_step].at <= now) {
			assert_int_equal(run(st, &life[next_step], 1), 0);
			next_step++;
		}
		k = sla_tick(st, &p, now, sent_ids);
		for (int i = 0; i < k; i++) {
			if (n_want >= sizeof(want) / sizeof(want[0]) ||
			    want[n_want].at != now ||
			    ids[want[n_want].t] != sent_ids[i])
				fail_msg("unexpected reminder for ticket %lld "
					 "at H(%lld)",
				    (long long)sent_ids[i],
				    (long long)((now - T0) / 3600));
			n_want++;
		}
	}
	assert_int_equal(n_want, 3);
	assert_int_equal(count_sql(st, "SELECT count(*) FROM events"
				       " WHERE kind = 'sla-breach'"),
	    3);
	assert_int_equal(
	    count_sql(st,
		"SELECT count(*) FROM outbox"
		" WHERE kind = 'reminder' AND rcpt = 'bdrs@example.com'"
		" AND note = 'overdue' AND state = 'pending'"),
	    3);
	/* The columns, and the detail `triage show` prints. */
	assert_int_equal(
	    count_sql(st,
		"SELECT count(*) FROM events"
		" WHERE kind = 'sla-breach' AND sla_clock = 'claim'"
		" AND sla_since = 1794182400 AND sla_deadline = 1794196800"
		" AND sla_rcpt = 'bdrs@example.com' AND detail = 'claim since"
		" 2026-11-09T00:00:00Z due 2026-11-09T04:00:00Z to"
		" bdrs@example.com'"),
	    1);

	/* The due list says what the last reminder was. */
	fake_now = H(36);
	/* paged one at a time: the same two, in order, then none */
	for (int64_t after = 0, k = 0; k < 3; k++) {
		assert_int_equal(store_sla_due(st, after, 1, &v, &n, &err), 0);
		assert_int_equal(n, k < 2 ? 1 : 0);
		if (n > 0) {
			assert_int_equal(v[0].id, ids[k + 1]);
			after = v[0].id;
		}
		store_sla_tickets_free(&v, n);
	}
	assert_int_equal(store_sla_due(st, 0, 0, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].id, ids[1]);
	assert_int_equal(v[0].state, STATE_NEW);
	assert_int_equal(v[0].since, H(8));
	assert_int_equal(v[0].reminded_clock, STORE_SLA_CLAIM);
	assert_int_equal(v[0].reminded_since, H(8));
	assert_null(v[0].owner);
	assert_string_equal(v[0].mailbox, "sales");
	assert_int_equal(v[1].state, STATE_ROUTED);
	assert_int_equal(v[1].since, H(3));
	assert_int_equal(v[1].reminded_clock, STORE_SLA_ACK);
	assert_string_equal(v[1].owner, "alice");
	assert_string_equal(v[1].route, "sales");
	store_sla_tickets_free(&v, n);

	/* A stale clock (t1 before its reopen) and a stopped one: no-ops. */
	assert_int_equal(store_sla_remind(st, ids[1], STORE_SLA_CLAIM, H(0),
			     H(4), "x@example.com", "late", &sent, &err),
	    0);
	assert_int_equal(sent, 0);
	assert_int_equal(store_sla_remind(st, ids[2], STORE_SLA_CLAIM, H(0),
			     H(4), "x@example.com", "late", &sent, &err),
	    0);
	assert_int_equal(sent, 0);
	assert_int_equal(store_sla_remind(st, 999, STORE_SLA_CLAIM, H(0), H(4),
			     "x@example.com", "late", &sent, &err),
	    -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	assert_int_equal(count_sql(st, "SELECT count(*) FROM outbox"
				       " WHERE kind = 'reminder'"),
	    3);

	/*
	 * Inside the caller's transaction the reminder is part of it: rolled
	 * back, neither row stays, and the clock can still remind.
	 */
	{
		static const struct step t3 = { H(36), OP_MAIL, 3,
			"kim@globex.example", "sales", STORE_SLA_NONE, 0, 0 };

		assert_int_equal(run(st, &t3, 1), 0);
	}
	fake_now = H(41);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_sla_remind(st, ids[3], STORE_SLA_CLAIM, H(36),
			     H(40), "x@example.com", "late", &sent, &err),
	    0);
	assert_int_equal(sent, 1);
	store_rollback(st);
	assert_int_equal(count_sql(st, "SELECT count(*) FROM events"
				       " WHERE kind = 'sla-breach'"),
	    3);
	assert_int_equal(count_sql(st, "SELECT count(*) FROM outbox"
				       " WHERE kind = 'reminder'"),
	    3);
	assert_int_equal(store_sla_remind(st, ids[3], STORE_SLA_CLAIM, H(36),
			     H(40), "x@example.com", "late", &sent, &err),
	    0);
	assert_int_equal(sent, 1);
	assert_int_equal(count_sql(st, "SELECT count(*) FROM outbox"
				       " WHERE kind = 'reminder'"),
	    4);
	store_close(&st);
}

/*
 * The digest on Wednesday 08:00 (H(56)) of the history so far, clock
 * time, claim 4h, acknowledge 1d:
 *   t7 new since Sun 10:00, due Sun 14:00: breached, 66h late
 *   t4 new since Tue 09:00, due Tue 13:00: breached, 19h late
 *   t5 new since Tue 11:00, due Tue 15:00: breached, 17h late
 *   t3 routed Tue 12:00, due Wed 12:00, at risk from Wed 06:00
 *   unclaimed: sales t7 t5, community t4
 *   yesterday (Tuesday): t4 and t5 received, nothing else done to
 *   them yet; one reminder (t4's)
 */
static void
test_digest(void **state)
{
	const struct sla_policy p = { 4 * 3600, 86400, 0, NULL };
	struct store *st = open_fresh("digest");
	struct report_digest d;
	struct error err = { 0 };
	size_t k = 0;

	while (
	    k < sizeof(history) / sizeof(history[0]) && history[k].at <= H(56))
		k++;
	assert_int_equal(run(st, history, k), 0);
	fake_now = H(56);
	report_digest_init(&d, 0);
	assert_int_equal(report_digest_fill(st, &p, H(56), &d, &err), 0);
	{
		const struct figure f[] = {
			FIG(d.at, H(56)),
			FIG(d.day_from, H(24)),
			FIG(d.day_to, H(48)),
			FIG(d.breached.n, 3),
			FIG(find_ticket(&d.breached, 7)->late, 66 * 3600),
			FIG(find_ticket(&d.breached, 4)->late, 19 * 3600),
			FIG(find_ticket(&d.breached, 5)->late, 17 * 3600),
			FIG(d.at_risk.n, 1),
			FIG(find_ticket(&d.at_risk, 3)->at, H(60)),
			FIG(find_count(&d.unclaimed, "sales")->n, 2),
			FIG(find_count(&d.unclaimed, "community")->n, 1),
			FIG(d.yesterday.received, 2),
			FIG(d.yesterday.claimed, 0),
			FIG(d.yesterday_breaches, 1),
		};

		check_figures(f, sizeof(f) / sizeof(f[0]));
	}
	assert_string_equal(find_ticket(&d.at_risk, 3)->owner, "alice");
	assert_string_equal(find_ticket(&d.at_risk, 3)->clock, "acknowledge");
	assert_string_equal(find_ticket(&d.breached, 4)->clock, "claim");
	report_digest_clear(&d);
	store_close(&st);
}

/* Calendar months from the month of `a` to that of `b`, both counted. */
static int64_t
months_between(int64_t a, int64_t b)
{
	time_t ta = (time_t)a, tb = (time_t)b;
	struct tm x, y;

	gmtime_r(&ta, &x);
	gmtime_r(&tb, &y);
	return (int64_t)(y.tm_year - x.tm_year) * 12 + (y.tm_mon - x.tm_mon) +
	       1;
}

static int64_t
by_day_sum(const struct report *r)
{
	int64_t n = 0;

	for (size_t i = 0; i < r->by_day.n; i++)
		n += r->by_day.v[i].n;
	return n;
}

/*
 * Issue 16 defect 10: `report --from 1970-01-01 --to 9999-12-31` made a
 * row per day (2.9 million, minutes of work).  The period is bounded by
 * the data (the first ticket's day .. the end of today) and its rows
 * are days, weeks or months by its length.  The history's tickets are
 * created from T0 (Monday 2026-11-09) over three days; "today" moves.
 */
static void
test_range(void **state)
{
	const int64_t all_from = 0, all_to = 253402300800; /* 10000-01-01 */
	const struct {
		int64_t now;
		enum report_bucket bucket;
	} cases[] = {
		{ H(80), REPORT_BUCKET_DAY },
		{ T0 + 300 * 86400LL, REPORT_BUCKET_WEEK },
		{ T0 + 3 * 365 * 86400LL, REPORT_BUCKET_MONTH },
	};
	static const char *const first_key[] = { "2026-11-08", "2026-11-02",
		"2026-11" }; /* the first ticket's day, its week's Monday */
	struct store *st = open_fresh("range");
	struct report r;
	struct error err = { 0 };
	int64_t first = INT64_MAX;

	(void)state;
	for (size_t i = 0; i < sizeof(history) / sizeof(history[0]); i++) {
		if (history[i].op == OP_MAIL && history[i].at < first)
			first = history[i].at;
	}
	first = first / 86400 * 86400;
	assert_int_equal(run(st, history, sizeof(history) / sizeof(history[0])),
	    0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t end = (cases[i].now / 86400 + 1) * 86400, days, rows;

		fake_now = cases[i].now;
		report_init(&r, 0, 0);
		assert_int_equal(
		    report_fill(st, all_from, all_to, NULL, NULL, &r, &err), 0);
		report_finish(&r);
		assert_int_equal(r.from, first);
		assert_int_equal(r.to, end);
		days = (end - first) / 86400;
		assert_int_equal(r.bucket, report_bucket_for(days));
		assert_int_equal(r.bucket, cases[i].bucket);
		/* weeks from Monday: day d is in week (d + 3) / 7 */
		if (r.bucket == REPORT_BUCKET_DAY)
			rows = days;
		else if (r.bucket == REPORT_BUCKET_WEEK)
			rows = (end / 86400 - 1 + 3) / 7 -
			       (first / 86400 + 3) / 7 + 1;
		else
			rows = months_between(first, end - 1);
		assert_int_equal(r.by_day.n, rows);
		assert_int_equal(by_day_sum(&r), r.tickets);
		assert_string_equal(r.by_day.v[0].key, first_key[r.bucket]);
		report_clear(&r);
	}
	store_close(&st);

	/* No ticket at all: today alone, one row. */
	st = open_fresh("range-empty");
	fake_now = T0 + 12345;
	report_init(&r, 0, 0);
	assert_int_equal(
	    report_fill(st, all_from, all_to, NULL, NULL, &r, &err), 0);
	assert_int_equal(r.from, T0);
	assert_int_equal(r.to, T0 + 86400);
	assert_int_equal(r.by_day.n, 1);
	report_clear(&r);
	store_close(&st);
}

/*
 * Times and local days in the configured zone: a zone by name, shown
 * with its abbreviation; the volume's days are the zone's (a ticket at
 * 23:30Z on Sunday 8 November is Monday in Berlin); an unknown zone is
 * a config error.
 */
static void
test_zone(void **state)
{
	struct sla_hours *berlin = NULL, *bad = NULL;
	struct store *st = open_fresh("zone");
	struct report u, b;
	struct error err = { 0 };
	char buf[64];

	(void)state;
	assert_int_equal(sla_zone("Europe/Berlin", &berlin, &err), 0);
	assert_string_equal(sla_hours_spec(berlin), "Europe/Berlin");
	sla_local_format(berlin, T0 + 10 * 3600, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-09 11:00 CET");
	sla_local_format(berlin, 1782900000, buf, sizeof(buf)); /* July */
	assert_string_equal(buf, "2026-07-01 12:00 CEST");
	assert_int_equal(sla_zone("Europe/Nowhere", &bad, &err), -1);
	assert_int_equal(err.code, ERR_CONF);
	assert_null(bad);

	assert_int_equal(run(st, history, sizeof(history) / sizeof(history[0])),
	    0);
	fake_now = H(60); /* 2026-11-11T12:00Z: the period ends today */
	report_init(&u, 0, 0);
	report_init(&b, 0, 0);
	assert_int_equal(
	    report_fill_in(st, H(-24), H(72), NULL, NULL, NULL, NULL, &u, &err),
	    0);
	assert_int_equal(report_fill_in(st, H(-24), H(72), NULL, NULL, berlin,
			     NULL, &b, &err),
	    0);
	assert_ptr_equal(b.zone, berlin);
	assert_null(u.zone);
	/* H(-14) is 2026-11-08T10:00Z: Sunday both in UTC and in Berlin */
	assert_int_equal(report_counts_get(&u.by_day, "2026-11-08"),
	    report_counts_get(&b.by_day, "2026-11-08"));
	/* today ends at midnight in Berlin, an hour before UTC's */
	assert_int_equal(b.to, u.to - 3600);
	report_clear(&u);
	report_clear(&b);
	sla_hours_free(&berlin);
	store_close(&st);
}

/* The bucket rule's edges. */
static void
test_bucket_rule(void **state)
{
	(void)state;
	assert_int_equal(report_bucket_for(1), REPORT_BUCKET_DAY);
	assert_int_equal(report_bucket_for(REPORT_DAYS_MAX), REPORT_BUCKET_DAY);
	assert_int_equal(report_bucket_for(REPORT_DAYS_MAX + 1),
	    REPORT_BUCKET_WEEK);
	assert_int_equal(report_bucket_for(REPORT_WEEKS_MAX * 7),
	    REPORT_BUCKET_WEEK);
	assert_int_equal(report_bucket_for(REPORT_WEEKS_MAX * 7 + 1),
	    REPORT_BUCKET_MONTH);
}

/*
 * The previous period of equal length: its funnel is what a report of
 * that period counts.
 */
static void
test_prev(void **state)
{
	struct store *st = open_fresh("prev");
	struct report r, p;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(run(st, history, sizeof(history) / sizeof(history[0])),
	    0);
	fake_now = H(80);
	report_init(&r, 0, 0);
	report_init(&p, 0, 0);
	assert_int_equal(report_fill(st, H(24), H(48), NULL, NULL, &r, &err),
	    0);
	assert_int_equal(report_fill_prev(st, &r, &err), 0);
	assert_int_equal(report_fill(st, H(0), H(24), NULL, NULL, &p, &err), 0);
	assert_true(r.has_prev);
	assert_int_equal(r.prev_from, H(0));
	assert_true(p.funnel.received > 0);
	assert_memory_equal(&r.prev, &p.funnel, sizeof(r.prev));
	report_clear(&r);
	report_clear(&p);
	store_close(&st);
}

static int
setup(void **state)
{
	if (test_tmpdir(dbdir, sizeof(dbdir), "store-report") != 0)
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
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_backfill),
		cmocka_unit_test(test_detail),
		cmocka_unit_test(test_remind_once),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_bucket_rule),
		cmocka_unit_test(test_zone),
		cmocka_unit_test(test_prev),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
