/*
 * The report's rows (store-report.c) against the plain SQL they stand
 * for: a seeded random history of tickets in several mailboxes, with
 * tags, ignored tickets, stories, breaches with and without a clock,
 * events of tickets gone and of no ticket, is read through the store's
 * lists for many periods and mailboxes (and in both orders: tickets
 * first, and counts before the tickets), and every row must equal the
 * row of the joins written out below: the tickets of the period with an
 * EXISTS for the mailbox, the counts by GROUP BY over the joins, the
 * events joined to their tickets with a correlated subquery for the
 * event that met a breach, by event id; the waits of the period's
 * tickets that waited.  Once on a history written at the current
 * schema, once on one written at schema 15 and migrated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store-private.h"
#include "store-report.h"
#include "test-common.h"

#define PERIOD_WHERE \
	" t.created >= ?1 AND t.created < ?2" \
	" AND t.state NOT IN ('ignored', 'merged')" \
	" AND (?3 IS NULL OR EXISTS (SELECT 1 FROM ticket_mailboxes x" \
	"  WHERE x.ticket_id = t.id AND x.mailbox = ?3))"

static const char ref_tickets[] =
    "SELECT t.created, t.claimed_at, t.routed_at, t.acked_at, t.queue,"
    " t.qualified, t.claimed_by, t.routed_by, t.qualified_by,"
    " t.first_response_at FROM tickets t WHERE" PERIOD_WHERE;

/* ?4: now, where a wait still running ends */
static const char ref_waits[] =
    "SELECT t.waited + CASE WHEN t.state = 'waiting'"
    " THEN max(?4 - t.wait_since, 0) ELSE 0 END FROM tickets t WHERE" PERIOD_WHERE
    " AND (t.waited > 0 OR t.state = 'waiting')";

static const char ref_mailboxes[] =
    "SELECT b.mailbox, count(*) FROM tickets t"
    " JOIN ticket_mailboxes b ON b.ticket_id = t.id"
    " WHERE" PERIOD_WHERE " GROUP BY b.mailbox";

static const char ref_tags[] = "SELECT g.tag, count(*) FROM tickets t"
			       " JOIN tags g ON g.ticket_id = t.id"
			       " WHERE" PERIOD_WHERE " GROUP BY g.tag";

static const char ref_events[] =
    "SELECT e.ticket_id, e.at, e.actor, t.subject, t.customer,"
    " e.sla_clock, e.sla_since, e.sla_deadline, e.sla_rcpt,"
    " (SELECT min(y.at) FROM events y WHERE y.ticket_id = e.ticket_id"
    "  AND y.id > e.id AND y.kind IN ('claim', 'route', 'ack', 'reopen',"
    "  'close')), t.queue"
    " FROM events e JOIN tickets t ON t.id = e.ticket_id"
    " WHERE e.kind = ?4 AND e.at >= ?1 AND e.at < ?2"
    " AND (?4 <> 'sla-breach' OR e.sla_clock IS NOT NULL)"
    " AND (?3 IS NULL OR EXISTS (SELECT 1 FROM ticket_mailboxes x"
    "  WHERE x.ticket_id = t.id AND x.mailbox = ?3))"
    " ORDER BY e.id";

#define T0 1780000000LL /* the history's start */
#define DAY 86400LL

static char dbdir[128];
static uint64_t seed = 12345;

static unsigned
dice(unsigned n)
{
	return test_dice(&seed, n);
}

/* A time or NULL, as SQL. */
static const char *
maybe(char *buf, size_t size, int64_t t, unsigned null_in)
{
	if (dice(null_in) == 0)
		return "NULL";
	snprintf(buf, size, "%lld", (long long)t);
	return buf;
}

static void
one_ticket(struct store *st, int id)
{
	static const char *const states[] = { "new", "claimed", "routed",
		"acknowledged", "closed", "ignored", "waiting", "merged" };
	static const char *const boxes[] = { "a", "b", "c" };
	static const char *const tags[] = { "pricing", "ee-lead",
		"competitor:x", "competitor:y" };
	static const char *const kinds[] = { "message", "claim", "route", "ack",
		"reopen", "close", "note", "story", "sla-breach",
		"sla-breach" };
	int64_t created = T0 + (int64_t)dice(40 * 24) * 3600;
	char c[32], r[32], a[32], f[32];
	int box = (int)dice(3);

	test_sql(st,
	    "INSERT INTO tickets (id, subject, state, queue, customer,"
	    " qualified, created, updated, claimed_at, routed_at, acked_at,"
	    " first_response_at, waited, wait_since) VALUES (%d,"
	    " 'subject %d', '%s', '%s', %s, %d, %lld, %lld, %s, %s, %s, %s,"
	    " %u, %lld)",
	    id, id, states[dice(8)], dice(2) ? "sales" : "support",
	    dice(4) ? "'who@example.com'" : "NULL", (int)dice(3) - 1,
	    (long long)created, (long long)created,
	    maybe(c, sizeof(c), created + dice(5000), 3),
	    maybe(r, sizeof(r), created + dice(9000), 3),
	    maybe(a, sizeof(a), created + dice(20000), 2),
	    maybe(f, sizeof(f), created + dice(7000), 2),
	    dice(3) == 0 ? dice(90000) : 0, (long long)created + dice(9000));
	test_sql(st, "INSERT INTO ticket_mailboxes VALUES (%d, '%s')", id,
	    boxes[box]);
	if (dice(4) == 0)
		test_sql(st, "INSERT INTO ticket_mailboxes VALUES (%d, '%s')",
		    id, boxes[(box + 1) % 3]);
	for (unsigned i = dice(3); i > 0; i--)
		test_sql(st, "INSERT OR IGNORE INTO tags VALUES (%d, '%s')", id,
		    tags[dice(4)]);
	for (unsigned i = dice(7); i > 0; i--) {
		const char *kind = kinds[dice(10)];
		int64_t at = created + (int64_t)dice(10 * 24) * 3600;
		int clock = strcmp(kind, "sla-breach") == 0 && dice(5) > 0;

		test_sql(st,
		    "INSERT INTO events (ticket_id, at, actor, source, kind,"
		    " sla_clock, sla_since, sla_deadline, sla_rcpt) VALUES"
		    " (%d, %lld, 'bdr%u', 'cli', '%s', %s, %s, %s, %s)",
		    id, (long long)at, dice(3), kind,
		    clock ? (dice(2) ? "'claim'" : "'acknowledge'") : "NULL",
		    clock ? "1" : "NULL", clock ? "2" : "NULL",
		    clock && dice(2) ? "'to@example.com'" : "NULL");
	}
}

/*
 * A history of n tickets; some events of a ticket that is gone.  Written
 * at schema `version`, then migrated to the current one: before 16, when
 * each breach was met is filled by the migration; from 16 on, by the
 * trigger as each event is written.
 */
static struct store *
history(int n, int version)
{
	struct error err = { 0 };
	struct store *st = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/rows-%d.db", dbdir, version);
	assert_int_equal(store_open_raw(path, &st, &err), 0);
	assert_int_equal(store_migrate(st, version, &err), 0);
	test_sql(st, "INSERT INTO mailboxes (name, address, queue) VALUES"
		     " ('a', 'a@example.com', 'sales'),"
		     " ('b', 'b@example.com', 'sales'),"
		     " ('c', 'c@example.com', 'support')");
	test_sql(st, "PRAGMA foreign_keys = OFF"); /* not in a transaction */
	test_sql(st, "BEGIN");
	for (int id = 1; id <= n; id++)
		one_ticket(st, id);
	test_sql(st,
	    "INSERT INTO events (ticket_id, at, actor, source, kind,"
	    " sla_clock, sla_since, sla_deadline) VALUES"
	    " (%d, %lld, 'x', 'cli', 'story', NULL, NULL, NULL),"
	    " (NULL, %lld, 'x', 'cli', 'story', NULL, NULL, NULL),"
	    " (%d, %lld, 'x', 'daemon', 'sla-breach', 'claim', 1, 2)",
	    n + 7, (long long)(T0 + DAY), (long long)(T0 + DAY), n + 7,
	    (long long)(T0 + 2 * DAY));
	test_sql(st, "COMMIT");
	test_sql(st, "PRAGMA foreign_keys = ON");
	assert_int_equal(store_migrate(st, STORE_SCHEMA_VERSION, &err), 0);
	return st;
}

static void
assert_same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static int64_t
ref_time(struct db_stmt *s, int i)
{
	if (db_col_is_null(s, i))
		return STORE_NO_TIME;
	return db_col_int64(s, i);
}

static const char *
ref_str(struct db_stmt *s, int i)
{
	return db_col_text(s, i);
}

static struct db_stmt *
ref_open(struct store *st, const char *sql, int64_t from, int64_t to,
    const char *mailbox, const char *kind)
{
	struct db_stmt *s = NULL;

	assert_int_equal(db_prepare(st->db, sql, 0, &s), DB_OK);
	db_bind_int64(s, 1, from);
	db_bind_int64(s, 2, to);
	store_bind_text(s, 3, mailbox);
	if (kind != NULL)
		store_bind_text(s, 4, kind);
	return s;
}

/* The ticket list of q against ref_tickets; returns the rows seen. */
static int
check_tickets(struct store *st, struct store_report *q, int64_t from,
    int64_t to, const char *mailbox)
{
	struct db_stmt *s = ref_open(st, ref_tickets, from, to, mailbox, NULL);
	struct store_report_ticket t;
	struct error err = { 0 };
	int n = 0;

	while (db_step(s) == DB_ROW) {
		assert_int_equal(store_report_ticket_next(q, &t, &err), 1);
		assert_int_equal(t.created, db_col_int64(s, 0));
		assert_int_equal(t.claimed_at, ref_time(s, 1));
		assert_int_equal(t.routed_at, ref_time(s, 2));
		assert_int_equal(t.acked_at, ref_time(s, 3));
		assert_same_str(t.queue, ref_str(s, 4));
		assert_int_equal(t.qualified, db_col_int(s, 5));
		assert_same_str(t.claimed_by, ref_str(s, 6));
		assert_same_str(t.routed_by, ref_str(s, 7));
		assert_same_str(t.qualified_by, ref_str(s, 8));
		assert_int_equal(t.response_at, ref_time(s, 9));
		n++;
	}
	assert_int_equal(store_report_ticket_next(q, &t, &err), 0);
	db_finalize(s);
	return n;
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The wait list of q against ref_waits, in any order (the samples of a
 * median); returns the rows seen.
 */
static int
check_waits(struct store *st, struct store_report *q, int64_t from, int64_t to,
    const char *mailbox)
{
	struct db_stmt *s = ref_open(st, ref_waits, from, to, mailbox, NULL);
	int64_t want[1000], got[1000], secs = 0;
	struct error err = { 0 };
	size_t n = 0, m = 0;
	int rc;

	db_bind_int64(s, 4, store_now(st));
	while (db_step(s) == DB_ROW) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		want[n++] = db_col_int64(s, 0);
	}
	db_finalize(s);
	while ((rc = store_report_wait_next(q, &secs, &err)) == 1) {
		assert_true(m < n);
		got[m++] = secs;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(m, n);
	qsort(want, n, sizeof(*want), cmp64);
	qsort(got, m, sizeof(*got), cmp64);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
	return (int)n;
}

static void
check_counts(struct store *st, struct store_report *q, int64_t from, int64_t to,
    const char *mailbox, enum store_report_count by)
{
	struct db_stmt *s =
	    ref_open(st, by == STORE_COUNT_TAG ? ref_tags : ref_mailboxes, from,
		to, mailbox, NULL);
	struct store_report_count_row c;
	struct error err = { 0 };

	while (db_step(s) == DB_ROW) {
		assert_int_equal(store_report_count_next(q, by, &c, &err), 1);
		assert_string_equal(c.key, ref_str(s, 0));
		assert_int_equal(c.n, db_col_int64(s, 1));
	}
	assert_int_equal(store_report_count_next(q, by, &c, &err), 0);
	db_finalize(s);
}

/* The event list of q against ref_events; returns the rows seen. */
static int
check_events(struct store *st, struct store_report *q, int64_t from, int64_t to,
    const char *mailbox, enum store_report_event kind)
{
	int breach = kind == STORE_EVENT_BREACH;
	struct db_stmt *s = ref_open(st, ref_events, from, to, mailbox,
	    breach ? "sla-breach" : "story");
	struct store_report_event_row e;
	struct error err = { 0 };
	int n = 0;

	while (db_step(s) == DB_ROW) {
		assert_int_equal(store_report_event_next(q, kind, &e, &err), 1);
		assert_int_equal(e.ticket_id, db_col_int64(s, 0));
		assert_int_equal(e.at, db_col_int64(s, 1));
		assert_same_str(e.actor, ref_str(s, 2));
		assert_same_str(e.subject, ref_str(s, 3));
		assert_same_str(e.customer, ref_str(s, 4));
		assert_same_str(e.queue, ref_str(s, 10));
		if (breach) {
			assert_int_equal(e.clock,
			    store_sla_clock_parse(ref_str(s, 5)));
			assert_int_equal(e.since, ref_time(s, 6));
			assert_int_equal(e.deadline, ref_time(s, 7));
			assert_same_str(e.rcpt, ref_str(s, 8));
			assert_int_equal(e.met, ref_time(s, 9));
		}
		n++;
	}
	assert_int_equal(store_report_event_next(q, kind, &e, &err), 0);
	db_finalize(s);
	return n;
}

static void
rows_match_sql(int version)
{
	static const char *const mailboxes[] = { NULL, "a", "b", "c", "none" };
	struct store *st = history(600, version);
	int tickets = 0, breaches = 0, stories = 0, waits = 0;

	for (int i = 0; i < 40; i++) {
		int64_t from =
		    T0 - DAY + (int64_t)dice(45) * DAY + (int64_t)dice(86400);
		int64_t to = from + 1 + (int64_t)dice(50) * DAY;
		const char *mailbox = mailboxes[i % 5];
		struct store_report *q = NULL;
		struct error err = { 0 };

		assert_int_equal(
		    store_report_open(st, from, to, mailbox, &q, &err), 0);
		if (i % 2 == 0)
			tickets += check_tickets(st, q, from, to, mailbox);
		check_counts(st, q, from, to, mailbox, STORE_COUNT_MAILBOX);
		check_counts(st, q, from, to, mailbox, STORE_COUNT_TAG);
		waits += check_waits(st, q, from, to, mailbox);
		stories +=
		    check_events(st, q, from, to, mailbox, STORE_EVENT_STORY);
		breaches +=
		    check_events(st, q, from, to, mailbox, STORE_EVENT_BREACH);
		/* a list read to its end starts over */
		tickets += check_tickets(st, q, from, to, mailbox);
		check_counts(st, q, from, to, mailbox, STORE_COUNT_TAG);
		store_report_close(&q);
	}
	/* the history gave every list something to compare */
	assert_true(tickets > 1000);
	assert_true(breaches > 100);
	assert_true(stories > 50);
	assert_true(waits > 100);
	store_close(&st);
}

/* Breaches met as the events came (the trigger of schema 16). */
static void
test_rows_match_sql(void **state)
{
	(void)state;
	rows_match_sql(STORE_SCHEMA_VERSION);
}

/* Breaches of a database written before 16 (its migration's fill). */
static void
test_rows_match_sql_migrated(void **state)
{
	(void)state;
	rows_match_sql(15);
}

static int
setup(void **state)
{
	(void)state;
	return test_tmpdir(dbdir, sizeof(dbdir), "store-report-rows");
}

static int
teardown(void **state)
{
	(void)state;
	return test_rmtree(dbdir) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_match_sql),
		cmocka_unit_test(test_rows_match_sql_migrated),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
