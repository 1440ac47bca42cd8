/*
 * A search's tickets (store-query.c) against the plain SQL it stands
 * for: every ticket with a matching message, sorted by updated then id,
 * newest first, cut at the limit.  The store walks the newest tickets
 * when a word is common and sorts every match otherwise; the history
 * below makes both happen, and the walk give up (a common word only in
 * old tickets), for many limits: the tickets must be the same, in the
 * same order, whichever way.
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
#include "test-common.h"

/* What the search meant before the walk: sort every match. */
static const char ref_search[] =
    "SELECT id FROM tickets WHERE id IN (SELECT m.ticket_id"
    " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
    " WHERE messages_fts MATCH ?1 AND m.ticket_id IS NOT NULL)"
    " ORDER BY updated DESC, id DESC LIMIT ?2";

#define TICKETS 1500

static char dbdir[128];
static uint64_t seed = 4242;

static unsigned
dice(unsigned n)
{
	return test_dice(&seed, n);
}

/*
 * TICKETS tickets, `updated` often shared (ties go by id), one to three
 * messages each, one in twenty of no ticket.  Words: "every" in each
 * message, "half" in about half, "oldonly" in the messages of the
 * tickets updated longest ago (two in five) and of the newest one,
 * "rare" in a few.
 */
static struct store *
history(void)
{
	const long long t0 = 1780000000LL, old = t0 + TICKETS * 2 / 15 * 60;
	struct error err = { 0 };
	struct store *st = NULL;
	char path[256], ticket[16];
	int mid = 0;

	snprintf(path, sizeof(path), "%s/search.db", dbdir);
	assert_int_equal(store_open(path, &st, &err), 0);
	test_sql(st, "INSERT INTO mailboxes (name, address, queue) VALUES"
		     " ('a', 'a@example.com', 'sales')");
	test_sql(st, "BEGIN");
	for (int id = 1; id <= TICKETS; id++) {
		/* ticket 1 the newest, the others at random before it */
		long long updated =
		    t0 + (id == 1 ? TICKETS / 3 : dice(TICKETS / 3)) * 60;

		test_sql(st,
		    "INSERT INTO tickets (id, subject, queue, created,"
		    " updated) VALUES (%d, 'subject %d', 'sales', %lld, %lld)",
		    id, id, updated - 3600, updated);
		for (unsigned i = 1 + dice(3); i > 0; i--) {
			snprintf(ticket, sizeof(ticket), "%d", id);
			test_sql(st,
			    "INSERT INTO messages (ticket_id, mailbox,"
			    " message_id, received, text, raw) VALUES"
			    " (%s, 'a', 'm%d@x', 0, 'every %s %s %s', '')",
			    dice(20) == 0 ? "NULL" : ticket, ++mid,
			    dice(2) ? "half" : "",
			    updated < old || id == 1 ? "oldonly" : "",
			    dice(300) == 0 ? "rare" : "");
		}
	}
	test_sql(st,
	    "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')");
	test_sql(st, "COMMIT");
	return st;
}

/* How many messages hold `word`. */
static int64_t
matches(struct store *st, const char *word)
{
	struct db_stmt *s = NULL;
	int64_t n;

	assert_int_equal(db_prepare(st->db,
			     "SELECT count(*) FROM messages_fts"
			     " WHERE messages_fts MATCH ?1",
			     0, &s),
	    DB_OK);
	db_bind_text(s, 1, word, -1);
	assert_int_equal(db_step(s), DB_ROW);
	n = db_col_int64(s, 0);
	db_finalize(s);
	return n;
}

/* store_search's tickets for `word` against ref_search's; how many. */
static size_t
check(struct store *st, const char *word, size_t limit)
{
	struct store_ticket *v = NULL;
	struct error err = { 0 };
	struct db_stmt *s = NULL;
	size_t n = 0, i = 0;

	assert_int_equal(store_search(st, word, limit, &v, &n, &err), 0);
	assert_int_equal(db_prepare(st->db, ref_search, 0, &s), DB_OK);
	db_bind_text(s, 1, word, -1);
	db_bind_int64(s, 2, limit > 0 ? (int64_t)limit : -1);
	while (db_step(s) == DB_ROW) {
		assert_true(i < n);
		assert_int_equal(v[i].id, db_col_int64(s, 0));
		i++;
	}
	assert_int_equal(i, n);
	db_finalize(s);
	store_tickets_free(&v, n);
	return n;
}

static void
test_search_same_as_sort(void **state)
{
	static const char *const words[] = { "every", "half", "oldonly", "rare",
		"absent", "every half" };
	static const size_t limits[] = { 1, 2, 3, 5, 7, 10, 50, 0 };
	struct store *st = history();

	(void)state;
	/*
	 * The walk is tried from SEARCH_COMMON(limit) = 400 * limit
	 * matches: "every" for limits up to 7, "half" up to 3, "oldonly"
	 * up to 2.  For 2, the newest SEARCH_WALK(2) = 200 tickets hold
	 * one ticket of it, too few: the sort must answer.
	 */
	assert_true(matches(st, "every") >= 2800);
	assert_true(matches(st, "half") >= 1200);
	assert_true(matches(st, "oldonly") >= 800);
	assert_true(matches(st, "rare") > 0);
	for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		for (size_t l = 0; l < sizeof(limits) / sizeof(limits[0]);
		     l++) {
			size_t n = check(st, words[w], limits[l]);

			if (w < 3 && limits[l] > 0)
				assert_int_equal(n, limits[l]);
		}
	}
	store_close(&st);
}

static int
setup(void **state)
{
	(void)state;
	return test_tmpdir(dbdir, sizeof(dbdir), "store-search");
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
		cmocka_unit_test(test_search_same_as_sort),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
