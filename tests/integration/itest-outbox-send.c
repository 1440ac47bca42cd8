/*
 * itest-outbox-send: one sender of the outbox, as triaged's outbox job
 * runs it (lib/work/outbox-run.c), for test-outbox-pg.sh, which starts
 * several at once on one database.
 *
 *   itest-outbox-send -c CONF -d DATABASE -o OWNER
 *
 * CONF gives the smtp block and smtp.from; DATABASE (a PostgreSQL
 * conninfo or an SQLite path) the outbox; OWNER the send leases' owner
 * id (store_set_owner_id).  Drains the outbox: passes until a pass
 * claims nothing, then prints "sent N lost L retried R failed F" and
 * exits 0, or 1 when the database failed.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "conf.h"
#include "outbox-run.h"
#include "store-lease.h"
#include "store.h"

int
main(int argc, char **argv)
{
	const char *conf_path = NULL, *db = NULL, *owner = NULL;
	struct outbox_run_opts o = { .timeout_s = 10, .batch = 10 };
	struct conf_errors errs = { 0 };
	struct outbox_pass res = { 0 };
	struct error err = { 0 };
	struct conf *c = NULL;
	struct store *st = NULL;
	int ch, rc = 1;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "c:d:o:")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'o':
			owner = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (conf_path == NULL || db == NULL || owner == NULL)
		goto usage;
	if (conf_load(conf_path, &c, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		conf_errors_clear(&errs);
		return 1;
	}
	if (store_open(db, &st, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	store_set_owner_id(st, owner);
	if (outbox_run_drain(st, c, NULL, &o, &res, &err) < 0) {
		fprintf(stderr, "database: %s\n", err.msg);
		goto out;
	}
	printf("sent %zu lost %zu retried %zu failed %zu\n", res.sent, res.lost,
	    res.retried, res.failed);
	rc = 0;
out:
	store_close(&st);
	conf_free(&c);
	return rc;
usage:
	fprintf(stderr, "usage: itest-outbox-send -c CONF -d DATABASE"
			" -o OWNER\n");
	return 2;
}
