/*
 * itest-report-db DB: write the report fixture history
 * (tests/fixtures/report/history.h) into a new database at DB through
 * the store's API, for test-report-db.sh to run `triage report` on.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store-report.h"

#include "../fixtures/report/history.h"

int
main(int argc, char **argv)
{
	struct error err = { 0 };
	struct store *st = NULL;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: itest-report-db DB\n");
		return 2;
	}
	unlink(argv[1]);
	if (store_open(argv[1], &st, &err) < 0) {
		fprintf(stderr, "itest-report-db: %s\n", err.msg);
		return 1;
	}
	store_set_clock(st, test_clock, &fake_now);
	store_set_team(st, test_team_example, NULL);
	r = run(st, history, sizeof(history) / sizeof(history[0]));
	store_close(&st);
	return r < 0 ? 1 : 0;
}
