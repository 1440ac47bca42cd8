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
 * event that met a breach, by event id.
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
	" t.created >= ?1 AND t.created < ?2 AND t.state <> 'ignored'" \
	" AND (?3 IS NULL OR EXISTS (SELECT 1 FROM ticket_mailboxes x" \
	"  WHERE x.ticket_id = t.id AND x.mailbox = ?3))"

static const char ref_tickets[] =
    "SELECT t.created, t.claimed_at, t.routed_at, t.acked_at, t.queue,"
    " t.qualified, t.claimed_by, t.routed_by, t.qualified_by,"
    " t.first_response_at FROM tickets t WHERE" PERIOD_WHERE;

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
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(seed >> 33) % n;
}

static void
exec(struct store *st, const char *sql, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, sql);
	vsnprintf(buf, sizeof(buf), sql, ap);
	va_end(ap);
	assert_int_equal(db_exec(st->db, buf), DB_OK);
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
		"acknowledged", "closed", "ignored" };
	static const char *const boxes[] = { "a", "b", "c" };
	static const char *const tags[] = { "pricing", "ee-lead",
		"competitor:x", "competitor:y" };
	static const char *const kinds[] = { "message", "claim", "route", "ack",
		"reopen", "close", "note", "story", "sla-breach",
		"sla-breach" };
	int64_t created = T0 + (int64_t)dice(40 * 24) * 3600;
	char c[32], r[32], a[32], f[32];
	int box = (int)dice(3);

	exec(st,
	    "INSERT INTO tickets (id, subject, state, queue, customer,"
	    " qualified, created, updated, claimed_at, routed_at, acked_at,"
	    " first_response_at) VALUES (%d, 'subject %d', '%s', '%s',"
	    " %s, %d, %lld, %lld, %s, %s, %s, %s)",
	    id, id, states[dice(6)], dice(2) ? "sales" : "support",
	    dice(4) ? "'who@example.com'" : "NULL", (int)dice(3) - 1,
	    (long long)created, (long long)created,
	    maybe(c, sizeof(c), created + dice(5000), 3),
	    maybe(r, sizeof(r), created + dice(9000), 3),
	    maybe(a, sizeof(a), created + dice(20000), 2),
	    maybe(f, sizeof(f), created + dice(7000), 2));
	exec(st, "INSERT INTO ticket_mailboxes VALUES (%d, '%s')", id,
	    boxes[box]);
	if (dice(4) == 0)
		exec(st, "INSERT INTO ticket_mailboxes VALUES (%d, '%s')", id,
		    boxes[(box + 1) % 3]);
	for (unsigned i = dice(3); i > 0; i--)
		exec(st, "INSERT OR IGNORE INTO tags VALUES (%d, '%s')", id,
		    tags[dice(4)]);
	for (unsigned i = dice(7); i > 0; i--) {
		const char *kind = kinds[dice(10)];
		int64_t at = created + (int64_t)dice(10 * 24) * 3600;
		int clock = strcmp(kind, "sla-breach") == 0 && dice(5) > 0;

		exec(st,
		    "INSERT INTO events (ticket_id, at, actor, source, kind,"
		    " sla_clock, sla_since, sla_deadline, sla_rcpt) VALUES"
		    " (%d, %lld, 'bdr%u', 'cli', '%s', %s, %s, %s, %s)",
		    id, (long long)at, dice(3), kind,
		    clock ? (dice(2) ? "'claim'" : "'acknowledge'") : "NULL",
		    clock ? "1" : "NULL", clock ? "2" : "NULL",
		    clock && dice(2) ? "'to@example.com'" : "NULL");
	}
}

/* A history of n tickets; some events of a ticket that is gone. */
static struct store *
history(int n)
{
	struct error err = { 0 };
	struct store *st = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/rows.db", dbdir);
	assert_int_equal(store_open(path, &st, &err), 0);
	exec(st, "INSERT INTO mailboxes (name, address, queue) VALUES"
		 " ('a', 'a@example.com', 'sales'),"
		 " ('b', 'b@example.com', 'sales'),"
		 " ('c', 'c@example.com', 'support')");
	exec(st, "PRAGMA foreign_keys = OFF"); /* not in a transaction */
	exec(st, "BEGIN");
	for (int id = 1; id <= n; id++)
		one_ticket(st, id);
	exec(st,
	    "INSERT INTO events (ticket_id, at, actor, source, kind,"
	    " sla_clock, sla_since, sla_deadline) VALUES"
	    " (%d, %lld, 'x', 'cli', 'story', NULL, NULL, NULL),"
	    " (NULL, %lld, 'x', 'cli', 'story', NULL, NULL, NULL),"
	    " (%d, %lld, 'x', 'daemon', 'sla-breach', 'claim', 1, 2)",
	    n + 7, (long long)(T0 + DAY), (long long)(T0 + DAY), n + 7,
	    (long long)(T0 + 2 * DAY));
	exec(st, "COMMIT");
	exec(st, "PRAGMA foreign_keys = ON");
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
test_rows_match_sql(void **state)
{
	static const char *const mailboxes[] = { NULL, "a", "b", "c", "none" };
	struct store *st = history(600);
	int tickets = 0, breaches = 0, stories = 0;

	(void)state;
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
	store_close(&st);
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
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
