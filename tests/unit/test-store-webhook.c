/*
 * The webhooks table (store-webhook.c, and the queueing in
 * store_add_event): a real store in a temporary directory.  An event is
 * queued for each hook that wants its kind, in the event's transaction
 * (a rolled-back change queues nothing); a leased row is not due until
 * its lease is over (a sender that died mid-POST), then due once more;
 * a delivered row is never due nor queued again; a failed one can be.
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
#include "store-webhook.h"
#include "store.h"
#include "test-common.h"

#define NOW 1794650400

static int64_t now = NOW;
static char dir[128];

static const char *const want_story[] = { "story", "qualify" };
static const char *const want_all[] = { "*" };
static const char *const want_close[] = { "close" };

static size_t
due(struct store *st)
{
	struct store_webhook *v = NULL;
	struct error err = { 0 };
	size_t n = 0;

	assert_int_equal(store_webhook_due(st, 0, &v, &n, &err), 0);
	store_webhook_free(&v, n);
	return n;
}

static int64_t
count(struct store *st, const char *state)
{
	struct error err = { 0 };
	int64_t n = -1;

	assert_int_equal(store_webhook_count(st, state, &n, &err), 0);
	return n;
}

static void
test_life(void **state)
{
	struct conf_webhook hooks[3] = {
		{ .url = "https://a.example/h",
		    .events = (char **)want_story,
		    .n_events = 2 },
		{ .url = "https://b.example/h",
		    .events = (char **)want_all,
		    .n_events = 1 },
		{ .url = "https://c.example/h",
		    .events = (char **)want_close,
		    .n_events = 1 },
	};
	struct conf c = { .webhooks = hooks, .n_webhooks = 3 };
	const struct store_actor alice = { "alice", STORE_SRC_CLI };
	const char raw[] =
	    "From: pat@buyer.example\r\nTo: sales@example.com\r\n"
	    "Subject: seats\r\nMessage-ID: <m1@buyer.example>"
	    "\r\n\r\nbody\r\n";
	struct store_ingest_result res;
	struct store_webhook *v = NULL;
	struct store *st = NULL;
	struct error err = { 0 };
	char path[256];
	size_t n = 0;
	int64_t id;

	(void)state;
	assert_int_equal(test_tmpdir(dir, sizeof(dir), "store-webhook"), 0);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	assert_int_equal(store_open(path, &st, &err), 0);
	store_set_clock(st, test_clock, &now);
	store_set_webhooks(st, &c);
	test_msg_ingest(st, raw, strlen(raw), NULL, NOW, NULL, &res);
	/* "create" and "classify" events: only the "*" hook wants them */
	assert_int_equal(count(st, "pending"),
	    (int64_t)due(st)); /* all of them due now */
	{
		int64_t before = count(st, "pending");

		assert_true(before >= 1);
		assert_int_equal(store_story(st, res.ticket_id, &alice, &err),
		    0);
		/* story: hooks a and b, not c */
		assert_int_equal(count(st, "pending"), before + 2);
	}
	/* a rolled-back change queues nothing */
	{
		int64_t before = count(st, "pending");

		assert_int_equal(store_begin(st, &err), 0);
		assert_int_equal(
		    store_close_ticket(st, res.ticket_id, &alice, &err), 0);
		store_rollback(st);
		assert_int_equal(count(st, "pending"), before);
	}

	/* the story row of hook a: lease, "crash", due after the lease */
	assert_int_equal(store_webhook_list(st, "pending", 0, &v, &n, &err), 0);
	id = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].url, "https://a.example/h") == 0) {
			assert_string_equal(v[i].kind, "story");
			assert_string_equal(v[i].actor, "alice");
			assert_string_equal(v[i].source, "cli");
			id = v[i].id;
		}
	}
	store_webhook_free(&v, n);
	assert_true(id > 0);
	size_t before = due(st);
	assert_int_equal(store_webhook_lease(st, id, NOW + 10, &err), 0);
	assert_int_equal(due(st), before - 1);
	/* a second lease of a leased row is refused */
	assert_int_equal(store_webhook_lease(st, id, NOW + 10, &err), -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	now = NOW + 10; /* the lease is over: a sender died mid-POST */
	assert_int_equal(due(st), before);
	assert_int_equal(store_webhook_lease(st, id, now + 10, &err), 0);
	assert_int_equal(
	    store_webhook_retry(st, id, now + 60, 503, "HTTP 503", &err), 0);
	assert_int_equal(due(st), before - 1); /* waits a minute */
	now += 60;
	assert_int_equal(store_webhook_lease(st, id, now + 10, &err), 0);
	assert_int_equal(store_webhook_delivered(st, id, 200, &err), 0);
	now += 3600;
	assert_int_equal(due(st), before - 1); /* never again */
	assert_int_equal(store_webhook_requeue(st, id, &err), -1);
	assert_int_equal(err.code, ERR_REFUSED);
	assert_int_equal(count(st, "delivered"), 1);

	/* failed, then queued again by hand */
	id = 0;
	assert_int_equal(store_webhook_due(st, 1, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	id = v[0].id;
	store_webhook_free(&v, n);
	assert_int_equal(store_webhook_lease(st, id, now + 10, &err), 0);
	assert_int_equal(store_webhook_fail(st, id, 400, "HTTP 400", &err), 0);
	assert_int_equal(count(st, "failed"), 1);
	assert_int_equal(store_webhook_requeue(st, id, &err), 0);
	assert_int_equal(count(st, "failed"), 0);

	store_close(&st);
	test_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_life),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
