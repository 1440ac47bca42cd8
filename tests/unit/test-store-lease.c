/*
 * Leases, the fenced check, flag/move progress and instances
 * (store-lease.h), on SQLite and, when TRIAGE_PG_TARGET is set
 * (tests/integration/test-store-pg.sh), on PostgreSQL.  Two instances
 * are two store handles on one database, each with its own owner id
 * (store_set_owner_id), as two triaged on two hosts would be.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store-lease.h"
#include "store-private.h"
#include "test-common.h"
#include "xalloc.h"

static char dbdir[128];

#define A "hosta:100:1765000000"
#define B "hostb:200:1765000001"
#define BOX STORE_LEASE_MAILBOX "sales"

/* Instance A on a fresh database, and instance B on the same one. */
static void
open_pair(const char *name, struct store **a_r, struct store **b_r)
{
	struct error err = { 0 };
	struct store *a = test_store_fresh(dbdir, name), *b = NULL;

	if (store_open(a->path, &b, &err) < 0)
		fail_msg("second store_open %s: %s", a->path, err.msg);
	store_set_owner_id(a, A);
	store_set_owner_id(b, B);
	*a_r = a;
	*b_r = b;
}

static void
close_pair(struct store **a, struct store **b)
{
	store_close(b);
	store_close(a);
}

/* Take `name` for st's owner id; returns 1 or 0, *holder_r owned. */
static int
take(struct store *st, const char *name, int ttl_ms, int64_t *epoch_r,
    char **holder_r)
{
	struct error err = { 0 };
	int r;

	r = store_lease_take(st, name, store_owner_id(st), ttl_ms, epoch_r,
	    holder_r, &err);
	if (r < 0)
		fail_msg("take %s: %s", name, err.msg);
	return r;
}

static int
check(struct store *st, const char *name, int64_t epoch)
{
	struct error err = { 0 };
	int r;

	r = store_lease_check(st, name, store_owner_id(st), epoch, &err);
	if (r < 0)
		fail_msg("check %s: %s", name, err.msg);
	return r;
}

static int
renew(struct store *st, const char *name, int64_t epoch, int ttl_ms)
{
	struct error err = { 0 };
	int r;

	r = store_lease_renew(st, name, store_owner_id(st), epoch, ttl_ms,
	    &err);
	if (r < 0)
		fail_msg("renew %s: %s", name, err.msg);
	return r;
}

static void
release(struct store *st, const char *name, int64_t epoch)
{
	struct error err = { 0 };

	if (store_lease_release(st, name, store_owner_id(st), epoch, &err) < 0)
		fail_msg("release %s: %s", name, err.msg);
}

/* The one lease `name` as the table has it. */
static void
read_lease(struct store *st, const char *name, struct store_lease *l)
{
	struct error err = { 0 };
	struct store_lease *v = NULL;
	size_t n = 0;

	assert_int_equal(store_leases(st, name, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].name, name);
	*l = v[0];
	l->name = l->owner = NULL;
	store_leases_free(&v, n);
}

/* A free lease is taken at epoch 1; a second owner is refused. */
static void
test_take_free_and_refused(void **state)
{
	struct store *a, *b;
	char *holder = NULL;
	int64_t ea = 0, eb = -7, ea2 = 0;

	(void)state;
	open_pair("take", &a, &b);
	assert_int_equal(take(a, BOX, 10000, &ea, NULL), 1);
	assert_int_equal(ea, 1);
	assert_int_equal(take(b, BOX, 10000, &eb, &holder), 0);
	assert_int_equal(eb, -7); /* left alone */
	assert_non_null(holder);
	assert_string_equal(holder, A);
	free(holder);
	/* taking our own again renews it and keeps the epoch */
	assert_int_equal(take(a, BOX, 10000, &ea2, NULL), 1);
	assert_int_equal(ea2, ea);
	assert_int_equal(check(a, BOX, ea), 1);
	assert_int_equal(check(b, BOX, ea), 0);
	close_pair(&a, &b);
}

/* An expired lease goes to another owner with the epoch raised. */
static void
test_expiry(void **state)
{
	struct store *a, *b;
	int64_t ea = 0, eb = 0, ea2 = 0;
	char *holder = NULL;

	(void)state;
	open_pair("expiry", &a, &b);
	assert_int_equal(take(a, BOX, 150, &ea, NULL), 1);
	assert_int_equal(check(a, BOX, ea), 1);
	usleep(300 * 1000);
	assert_int_equal(check(a, BOX, ea), 0);	       /* expired */
	assert_int_equal(renew(a, BOX, ea, 10000), 0); /* never renewed */
	assert_int_equal(take(b, BOX, 10000, &eb, NULL), 1);
	assert_int_equal(eb, ea + 1);
	/* the old owner: its epoch is stale, its take refused */
	assert_int_equal(check(a, BOX, ea), 0);
	assert_int_equal(renew(a, BOX, ea, 10000), 0);
	assert_int_equal(take(a, BOX, 10000, &ea2, &holder), 0);
	assert_string_equal(holder, B);
	free(holder);
	assert_int_equal(check(b, BOX, eb), 1);
	close_pair(&a, &b);
}

/* Renew extends only our own lease at our epoch. */
static void
test_renew(void **state)
{
	struct store *a, *b;
	struct store_lease l1, l2;
	int64_t ea = 0;

	(void)state;
	open_pair("renew", &a, &b);
	assert_int_equal(take(a, BOX, 2000, &ea, NULL), 1);
	read_lease(a, BOX, &l1);
	assert_int_equal(renew(a, BOX, ea, 60000), 1);
	read_lease(a, BOX, &l2);
	assert_true(l2.expires >= l1.expires + 50000);
	assert_int_equal(l2.epoch, ea);
	assert_int_equal(renew(a, BOX, ea + 1, 60000), 0); /* other epoch */
	assert_int_equal(renew(b, BOX, ea, 60000), 0);	   /* other owner */
	assert_int_equal(renew(a, STORE_LEASE_MAILBOX "none", 1, 60000), 0);
	close_pair(&a, &b);
}

/* Release frees at once; the next owner's take raises the epoch. */
static void
test_release(void **state)
{
	struct store *a, *b;
	struct store_lease l;
	int64_t ea = 0, eb = 0, ea2 = 0;

	(void)state;
	open_pair("release", &a, &b);
	assert_int_equal(take(a, BOX, 60000, &ea, NULL), 1);
	release(b, BOX, ea); /* not b's: nothing happens */
	read_lease(a, BOX, &l);
	assert_int_equal(check(a, BOX, ea), 1);
	release(a, BOX, ea);
	read_lease(a, BOX, &l);
	assert_int_equal(l.epoch, ea);
	assert_true(l.expires <= l.now);
	assert_int_equal(check(a, BOX, ea), 0);
	assert_int_equal(take(b, BOX, 60000, &eb, NULL), 1);
	assert_int_equal(eb, ea + 1);
	release(b, BOX, eb);
	/* the old owner comes back: a change of owner again */
	assert_int_equal(take(a, BOX, 60000, &ea2, NULL), 1);
	assert_int_equal(ea2, eb + 1);
	close_pair(&a, &b);
}

/*
 * Expiry is the database's clock, whatever the hosts' clocks say: B's
 * store clock is a day ahead, and A's lease still holds against it.
 */
static void
test_database_clock(void **state)
{
	struct error err = { 0 };
	struct store *a, *b;
	struct store_lease l;
	int64_t ea = 0, eb = 0, now = 0, later = 1765000000 + 86400;
	char *holder = NULL;

	(void)state;
	open_pair("clock", &a, &b);
	store_set_clock(b, test_clock, &later);
	store_set_clock(a, test_clock, &later);
	assert_int_equal(take(a, BOX, 30000, &ea, NULL), 1);
	assert_int_equal(take(b, BOX, 30000, &eb, &holder), 0);
	assert_string_equal(holder, A);
	free(holder);
	assert_int_equal(store_db_now_ms(b, &now, &err), 0);
	read_lease(b, BOX, &l);
	/* the expiry is 30 s past the database's now, not the stores' */
	assert_in_range(l.expires - l.now, 25000, 30000);
	assert_in_range(l.now - now, 0, 5000);
	assert_true(now / 1000 != later);
	close_pair(&a, &b);
}

struct taker {
	struct store *st;
	int64_t epoch;
	double done; /* test_now_s when the take returned */
	int r;
};

static void *
take_thread(void *arg)
{
	struct taker *t = arg;
	struct error err = { 0 };

	t->r = store_lease_take(t->st, BOX, store_owner_id(t->st), 60000,
	    &t->epoch, NULL, &err);
	t->done = test_now_s();
	return NULL;
}

/*
 * A batch that checked its lease holds off a takeover until it
 * commits, even when the lease expires meanwhile: the batch commits as
 * the owner, and the taker gets the lease after it with epoch + 1.
 * PostgreSQL's FOR SHARE does it; on SQLite the writer lock does.
 */
static void
test_check_blocks_take(void **state)
{
	struct error err = { 0 };
	struct store *a, *b;
	struct taker t = { 0 };
	pthread_t th;
	int64_t ea = 0, v = 0, acted = 0;
	double committed;

	(void)state;
	open_pair("block", &a, &b);
	assert_int_equal(take(a, BOX, 200, &ea, NULL), 1);
	assert_int_equal(store_begin(a, &err), 0);
	assert_int_equal(check(a, BOX, ea), 1);
	assert_int_equal(store_mailbox_acted(a, "sales", 7, 42, &err), 0);
	usleep(300 * 1000); /* the lease has expired: B may take it */
	t.st = b;
	assert_int_equal(pthread_create(&th, NULL, take_thread, &t), 0);
	usleep(700 * 1000);
	committed = test_now_s();
	assert_int_equal(store_commit(a, &err), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(t.r, 1);
	assert_int_equal(t.epoch, ea + 1);
	assert_true(t.done >= committed);
	assert_int_equal(store_mailbox_acted_get(b, "sales", &v, &acted, &err),
	    0);
	assert_int_equal(acted, 42);
	assert_int_equal(check(a, BOX, ea), 0);
	close_pair(&a, &b);
}

/* Progress: a new UIDVALIDITY resets, else it only advances. */
static void
test_acted(void **state)
{
	static const struct {
		int64_t uidvalidity, uid; /* recorded */
		int64_t want_v, want_uid; /* then read */
	} steps[] = {
		{ 7, 10, 7, 10 },
		{ 7, 5, 7, 10 },  /* never back */
		{ 7, 12, 7, 12 }, /* forward */
		{ 8, 3, 8, 3 },	  /* a new UIDVALIDITY */
		{ 8, 3, 8, 3 },
	};
	struct error err = { 0 };
	struct store *a, *b;
	int64_t v = -1, uid = -1;

	(void)state;
	open_pair("acted", &a, &b);
	assert_int_equal(store_mailbox_acted_get(a, "sales", &v, &uid, &err),
	    0);
	assert_int_equal(v, 0);
	assert_int_equal(uid, 0);
	assert_int_equal(store_mailbox_checkpoint(a, "sales", 7, 100, &err), 0);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		/* written by one instance, read by the other */
		assert_int_equal(store_mailbox_acted(i % 2 ? a : b, "sales",
				     steps[i].uidvalidity, steps[i].uid, &err),
		    0);
		assert_int_equal(store_mailbox_acted_get(i % 2 ? b : a, "sales",
				     &v, &uid, &err),
		    0);
		assert_int_equal(v, steps[i].want_v);
		assert_int_equal(uid, steps[i].want_uid);
	}
	assert_int_equal(store_mailbox_acted_get(a, "support", &v, &uid, &err),
	    0);
	assert_int_equal(v, 0);
	assert_int_equal(uid, 0);
	close_pair(&a, &b);
}

/* Leases listed by prefix, in name order, with the database's now. */
static void
test_list(void **state)
{
	static const char *const names[] = { STORE_LEASE_MAILBOX "support",
		STORE_LEASE_SLA, STORE_LEASE_MAILBOX "ventes/été", BOX };
	struct error err = { 0 };
	struct store *a, *b;
	struct store_lease *v = NULL;
	size_t n = 0;
	int64_t e = 0, now = 0;

	(void)state;
	open_pair("list", &a, &b);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(take(i % 2 ? a : b, names[i], 60000, &e, NULL),
		    1);
	assert_int_equal(store_db_now_ms(a, &now, &err), 0);
	assert_int_equal(store_leases(a, STORE_LEASE_MAILBOX, &v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, BOX);
	assert_string_equal(v[0].owner, A);
	assert_string_equal(v[1].name, STORE_LEASE_MAILBOX "support");
	assert_string_equal(v[1].owner, B);
	assert_string_equal(v[2].name, STORE_LEASE_MAILBOX "ventes/été");
	assert_string_equal(v[2].owner, B);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(v[i].epoch, 1);
		assert_in_range(v[i].now - now, 0, 5000);
		assert_in_range(v[i].expires - v[i].now, 50000, 60000);
	}
	store_leases_free(&v, n);
	assert_null(v);
	assert_int_equal(store_leases(a, "", &v, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[3].name, STORE_LEASE_SLA);
	store_leases_free(&v, n);
	assert_int_equal(store_leases(a, "nothing:", &v, &n, &err), 0);
	assert_int_equal(n, 0);
	store_leases_free(&v, n);
	close_pair(&a, &b);
}

/* Instances beat, are listed newest first, and leave. */
static void
test_instances(void **state)
{
	struct error err = { 0 };
	struct store *a, *b;
	struct store_instance ia = { .id = A,
		.host = "hosta",
		.pid = 100,
		.started = 1765000000,
		.status = "sales\tidle\n" },
			      ib = { .id = B,
				      .host = "hostb",
				      .pid = 200,
				      .started = 1765000001,
				      .status = "" };
	struct store_instance *v = NULL;
	size_t n = 0;
	int64_t now = 0;

	(void)state;
	open_pair("instances", &a, &b);
	assert_int_equal(store_instance_beat(a, &ia, &err), 0);
	usleep(20 * 1000);
	assert_int_equal(store_instance_beat(b, &ib, &err), 0);
	assert_int_equal(store_instances(a, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, B); /* newest heartbeat first */
	assert_string_equal(v[1].id, A);
	assert_string_equal(v[1].host, "hosta");
	assert_int_equal(v[1].pid, 100);
	assert_int_equal(v[1].started, 1765000000);
	assert_string_equal(v[1].status, "sales\tidle\n");
	assert_true(v[0].heartbeat > v[1].heartbeat);
	store_instances_free(&v, n);

	/* A beats again with a new status: still one row for it, first */
	usleep(20 * 1000);
	ia.status = "sales\tfetching\n";
	assert_int_equal(store_instance_beat(a, &ia, &err), 0);
	assert_int_equal(store_db_now_ms(b, &now, &err), 0);
	assert_int_equal(store_instances(b, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].id, A);
	assert_string_equal(v[0].status, "sales\tfetching\n");
	assert_in_range(now - v[0].heartbeat, 0, 5000);
	assert_in_range(v[0].now - now, 0, 5000);
	store_instances_free(&v, n);

	assert_int_equal(store_instance_remove(b, B, &err), 0);
	assert_int_equal(store_instances(a, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, A);
	store_instances_free(&v, n);
	close_pair(&a, &b);
}

static int
setup(void **state)
{
	(void)state;
	return test_tmpdir(dbdir, sizeof(dbdir), "store-lease") == 0 ? 0 : -1;
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
		cmocka_unit_test(test_take_free_and_refused),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_renew),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_database_clock),
		cmocka_unit_test(test_check_blocks_take),
		cmocka_unit_test(test_acted),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_instances),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
