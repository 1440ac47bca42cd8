/*
 * Several senders on one outbox (store-outbox.h): the send lease a
 * claim takes, the fence on every settle, and the one notification per
 * transaction that queues rows.  Two stores on one database play two
 * triaged (store_set_owner_id).  On SQLite by default; with
 * TRIAGE_PG_TARGET set (tests/integration/test-outbox-pg.sh) on
 * PostgreSQL, where the notifications are checked too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "store-outbox.h"
#include "store-lease.h"
#include "store.h"
#include "test-common.h"

#define LONG_LEASE_MS 600000

static char dir[128];

/* Two stores on one fresh database: a and b, two senders. */
static void
open_pair(const char *name, struct store **a_r, struct store **b_r)
{
	struct error err = { 0 };
	char path[512];

	*a_r = test_store_fresh(dir, name);
	if (test_on_pg())
		snprintf(path, sizeof(path), "%s", getenv("TRIAGE_PG_TARGET"));
	else
		snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	if (store_open(path, b_r, &err) < 0)
		fail_msg("store_open %s: %s", path, err.msg);
	store_set_owner_id(*a_r, "host-a:1:1");
	store_set_owner_id(*b_r, "host-b:2:2");
}

static int64_t
queue(struct store *st)
{
	struct error err = { 0 };
	int64_t id = 0;

	if (store_weekly_queue(st, "boss@example.com", "Week\n\nText", NULL,
		&id, &err) < 0)
		fail_msg("queue: %s", err.msg);
	assert_true(id > 0);
	return id;
}

/* Claim: the row's id, or 0 when none is due for `st`. */
static int64_t
claim(struct store *st, int lease_ms)
{
	struct store_outbox row = { 0 };
	struct error err = { 0 };
	int64_t id;
	int r;

	r = store_outbox_claim(st, lease_ms, &row, &err);
	if (r < 0)
		fail_msg("claim: %s", err.msg);
	id = r == 1 ? row.id : 0;
	store_outbox_clear(&row);
	return id;
}

static void
expect_state(struct store *st, int64_t id, const char *state, int attempts)
{
	struct store_outbox o = { 0 };
	struct error err = { 0 };

	assert_int_equal(store_outbox_get(st, id, &o, &err), 0);
	assert_string_equal(o.state, state);
	assert_int_equal(o.attempts, attempts);
	store_outbox_clear(&o);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Two senders take different rows; a held row is due for no one else. */
static void
test_claims_share(void **state)
{
	struct store *a, *b;
	struct error err = { 0 };
	int64_t r1, r2;

	(void)state;
	open_pair("share", &a, &b);
	r1 = queue(a);
	r2 = queue(a);
	assert_int_equal(claim(a, LONG_LEASE_MS), r1);
	assert_int_equal(claim(b, LONG_LEASE_MS), r2);
	/* each sender's own row is its own again; a third gets none */
	assert_int_equal(claim(a, LONG_LEASE_MS), r1);
	assert_int_equal(claim(b, LONG_LEASE_MS), r2);
	store_set_owner_id(b, "host-c:3:3");
	assert_int_equal(claim(b, LONG_LEASE_MS), 0);
	store_set_owner_id(b, "host-b:2:2");
	/* settled: the lease given back, the row never due again */
	assert_int_equal(store_outbox_progress(a, r1, 1, 1, NULL, &err), 0);
	expect_state(b, r1, "sent", 0);
	/* a retry gives the lease back: due again for anyone, later */
	assert_int_equal(store_outbox_retry(b, r2, 0, "451 busy", &err), 0);
	assert_int_equal(claim(a, LONG_LEASE_MS), r2);
	store_close(&a);
	store_close(&b);
}

/*
 * A stale sender: its lease ran out and another took the row over.
 * None of its settles changes the row (ERR_REFUSED), before or after
 * the new holder settles; the holder's do.
 */
static void
test_stale_sender(void **state)
{
	struct store *a, *b;
	struct error err = { 0 };
	int64_t id;

	(void)state;
	open_pair("stale", &a, &b);
	id = queue(a);
	assert_int_equal(claim(a, 1), id);
	sleep_ms(30);
	assert_int_equal(claim(b, LONG_LEASE_MS), id);
	assert_int_equal(store_outbox_progress(a, id, 1, 0, NULL, &err), -1);
	assert_int_equal(err.code, ERR_REFUSED);
	assert_non_null(strstr(err.msg, "host-b:2:2"));
	assert_int_equal(store_outbox_progress(a, id, 1, 1, NULL, &err), -1);
	assert_int_equal(err.code, ERR_REFUSED);
	assert_int_equal(store_outbox_fail(a, id, "550", &err), -1);
	assert_int_equal(store_outbox_skip(a, id, "loop", &err), -1);
	assert_int_equal(store_outbox_defer(a, id, 0, "cap", &err), -1);
	expect_state(a, id, "pending", 0);
	assert_int_equal(store_outbox_retry(b, id, 0, "451 busy", &err), 0);
	expect_state(a, id, "pending", 1);
	/* the holder gave it back; still not the stale sender's to settle */
	assert_int_equal(store_outbox_progress(a, id, 1, 1, NULL, &err), -1);
	assert_int_equal(err.code, ERR_REFUSED);
	assert_int_equal(claim(b, LONG_LEASE_MS), id);
	assert_int_equal(store_outbox_progress(b, id, 1, 1, NULL, &err), 0);
	expect_state(a, id, "sent", 1);
	store_close(&a);
	store_close(&b);
}

/*
 * A sole sender (triaged on SQLite after a SIGKILL) gives back the dead
 * one's leases at once; the dead one stays fenced off.
 */
static void
test_release_others(void **state)
{
	struct store *a, *b;
	struct error err = { 0 };
	int64_t id;

	(void)state;
	open_pair("others", &a, &b);
	id = queue(a);
	assert_int_equal(claim(a, LONG_LEASE_MS), id);
	assert_int_equal(claim(b, LONG_LEASE_MS), 0);
	assert_int_equal(store_outbox_release_others(b, &err), 0);
	assert_int_equal(claim(b, LONG_LEASE_MS), id);
	assert_int_equal(store_outbox_retry(a, id, 0, "451", &err), -1);
	assert_int_equal(err.code, ERR_REFUSED);
	assert_int_equal(store_outbox_progress(b, id, 1, 1, NULL, &err), 0);
	store_close(&a);
	store_close(&b);
}

/* Every notification that arrives within `ms` of quiet. */
static int
notifications(struct store *st, int first_ms)
{
	struct error err = { 0 };
	int n, total = 0, ms = first_ms;

	while ((n = store_outbox_wait(st, ms, &err)) > 0) {
		total += n;
		ms = 300;
	}
	if (n < 0)
		fail_msg("wait: %s", err.msg);
	return total;
}

/*
 * One notification per transaction that queues rows, however many, and
 * only once it commits; none for one rolled back; one for a requeue.
 * (PostgreSQL folds identical notifications of one transaction, so a
 * listener cannot count the statements: store_tx_leave sends one.)
 * SQLite has none to listen to.
 */
static void
test_notify_once(void **state)
{
	struct store *a, *l;
	struct error err = { 0 };
	int64_t id;

	(void)state;
	open_pair("notify", &a, &l);
	if (!test_on_pg()) {
		assert_int_equal(store_outbox_listen(l, &err), 0);
		store_close(&a);
		store_close(&l);
		return;
	}
	assert_int_equal(store_outbox_listen(l, &err), 1);
	assert_int_equal(notifications(l, 100), 0);
	assert_int_equal(store_begin(a, &err), 0);
	id = queue(a);
	for (int i = 0; i < 4; i++)
		queue(a);
	assert_int_equal(notifications(l, 300), 0); /* not before COMMIT */
	assert_int_equal(store_commit(a, &err), 0);
	assert_int_equal(notifications(l, 3000), 1);
	assert_int_equal(store_begin(a, &err), 0);
	queue(a);
	store_rollback(a);
	assert_int_equal(notifications(l, 300), 0);
	queue(a); /* a transaction of its own */
	assert_int_equal(notifications(l, 3000), 1);
	assert_int_equal(store_outbox_requeue(a, id, "alice", &err), 0);
	assert_int_equal(notifications(l, 3000), 1);
	store_close(&a);
	store_close(&l);
}

static int
setup(void **state)
{
	(void)state;
	return test_tmpdir(dir, sizeof(dir), "outbox-lease");
}

static int
teardown(void **state)
{
	(void)state;
	return test_rmtree(dir) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claims_share),
		cmocka_unit_test(test_stale_sender),
		cmocka_unit_test(test_release_others),
		cmocka_unit_test(test_notify_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
