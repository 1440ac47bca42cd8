/*
 * itest-outbox-wake: triaged's background jobs (lib/engine/engine-jobs.c)
 * on DATABASE, and a row queued by another connection a moment after
 * their first outbox pass: how soon is it sent?  On PostgreSQL the
 * jobs' listener hears the transaction's pg_notify and wakes the
 * sender at once; without it the timer would send it only at the next
 * pass, min(poll_interval, 5) seconds after the first.  For
 * test-outbox-pg.sh.
 *
 *   itest-outbox-wake -c CONF -d DATABASE
 *
 * Prints "sent after N ms" and exits 0, or exits 1 when the row was not
 * sent within 10 s.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "engine-private.h"
#include "itest-common.h"
#include "store-outbox.h"
#include "store.h"

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* 1 when row `id` is sent, 0 not yet, -1 on a database failure. */
static int
is_sent(struct store *st, int64_t id)
{
	struct store_outbox row = { 0 };
	struct error err = { 0 };
	int r;

	if (store_outbox_get(st, id, &row, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	r = strcmp(row.state, "sent") == 0;
	store_outbox_clear(&row);
	return r;
}

int
main(int argc, char **argv)
{
	const char *conf_path = NULL, *db = NULL;
	struct conf_errors errs = { 0 };
	struct log_sink quiet = { NULL, NULL };
	struct engine_jobs *j = NULL;
	struct error err = { 0 };
	struct conf *c = NULL;
	struct store *st = NULL;
	char *conf_db;
	int64_t id = 0;
	double t0;
	int ch, r = 0, rc = 1;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "c:d:")) != -1) {
		if (ch == 'c')
			conf_path = optarg;
		else if (ch == 'd')
			db = optarg;
		else
			goto usage;
	}
	if (conf_path == NULL || db == NULL)
		goto usage;
	if (conf_load(conf_path, &c, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		conf_errors_clear(&errs);
		return 1;
	}
	conf_db = c->database;
	c->database = (char *)db;
	if (store_open(db, &st, &err) < 0 ||
	    engine_jobs_start(c, NULL, &quiet, &j, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	sleep_ms(1500); /* the first pass is over; the timer runs */
	if (store_weekly_queue(st, "boss@example.com", "Wake\n\nQueued late.",
		NULL, &id, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	t0 = itest_now();
	while (itest_now() - t0 < 10 && (r = is_sent(st, id)) == 0)
		sleep_ms(20);
	if (r == 1) {
		printf("sent after %.0f ms\n", (itest_now() - t0) * 1000);
		rc = 0;
	}
out:
	engine_jobs_free(&j);
	store_close(&st);
	if (c != NULL)
		c->database = conf_db;
	conf_free(&c);
	return rc;
usage:
	fprintf(stderr, "usage: itest-outbox-wake -c CONF -d DATABASE\n");
	return 2;
}
