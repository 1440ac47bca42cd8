/*
 * Migrations under concurrency: several processes opening one new
 * database, or an old one after an upgrade, at the same instant.  Every
 * one must open it (a temporary failure, then a retry, is allowed: an
 * MTA retries `triage ingest` after exit 75), and the schema must be the
 * one a single process builds: the same sqlite_schema rows and
 * user_version.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store-private.h"
#include "test-common.h"
#include "xalloc.h"

#define N_PROCS 8
#define N_ROUNDS 20
#define N_TRIES 5 /* opens per process, counting the retries */
#define SCHEMA_MAX (256 * 1024)

static char dbdir[128];

/* The schema of the database at `path` as text, into buf. */
static void
schema_of(const char *path, char *buf, size_t size)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	size_t len = 0;
	int n;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
			     "SELECT type, name, tbl_name, sql FROM"
			     " sqlite_schema ORDER BY type, name",
			     -1, &s, NULL),
	    SQLITE_OK);
	buf[0] = '\0';
	while (sqlite3_step(s) == SQLITE_ROW) {
		n = snprintf(buf + len, size - len, "%s|%s|%s|%s\n",
		    sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
		    sqlite3_column_text(s, 2), sqlite3_column_text(s, 3));
		assert_true(n > 0 && (size_t)n < size - len);
		len += (size_t)n;
	}
	sqlite3_finalize(s);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = snprintf(buf + len, size - len, "user_version %d\n",
	    sqlite3_column_int(s, 0));
	assert_true(n > 0 && (size_t)n < size - len);
	sqlite3_finalize(s);
	sqlite3_close(db);
}

static void
remove_db(const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm",
		"-journal" };
	char p[300];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		unlink(p);
	}
}

/* A database at schema `version` (0: no file at all). */
static void
make_db(const char *path, int version)
{
	struct error err = { 0 };
	struct store *st = NULL;

	remove_db(path);
	if (version == 0)
		return;
	assert_int_equal(store_open_raw(path, &st, &err), 0);
	assert_int_equal(store_migrate(st, version, &err), 0);
	assert_int_equal(store_schema_version(st), version);
	store_close(&st);
}

/*
 * One opener: wait for the gate to open (EOF on `gate`), then open the
 * store, retrying temporary failures.  Exits 0 opened, 75 still
 * temporarily failing, 1 failed.
 */
static void
opener(const char *path, int gate)
{
	struct error err = { 0 };
	struct store *st = NULL;
	char c;

	while (read(gate, &c, 1) < 0 && errno == EINTR)
		;
	for (int i = 0; i < N_TRIES; i++) {
		if (store_open(path, &st, &err) == 0) {
			store_close(&st);
			_exit(0);
		}
		if (err.code != ERR_TEMP)
			break;
		fprintf(stderr, "opener %d: retrying: %s\n", (int)getpid(),
		    err.msg);
	}
	fprintf(stderr, "opener %d: %s\n", (int)getpid(), err.msg);
	_exit(err.code == ERR_TEMP ? 75 : 1);
}

/* N_PROCS openers of `path` released at once; how many failed. */
static int
race(const char *path)
{
	pid_t pids[N_PROCS];
	int gate[2], status, failed = 0;

	assert_int_equal(pipe(gate), 0);
	for (int i = 0; i < N_PROCS; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(gate[1]);
			opener(path, gate[0]);
		}
	}
	close(gate[0]);
	close(gate[1]); /* all go */
	for (int i = 0; i < N_PROCS; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	return failed;
}

/*
 * Round r starts from schema from(r): the same database a single store_open()
 * builds must come out, every round.
 */
static void
run_rounds(const char *name, int (*from)(int round))
{
	char path[256], ref_path[256];
	char *ref = xmalloc(SCHEMA_MAX), *got = xmalloc(SCHEMA_MAX);
	struct error err = { 0 };
	struct store *st = NULL;

	snprintf(ref_path, sizeof(ref_path), "%s/ref.db", dbdir);
	remove_db(ref_path);
	assert_int_equal(store_open(ref_path, &st, &err), 0);
	store_close(&st);
	schema_of(ref_path, ref, SCHEMA_MAX);

	snprintf(path, sizeof(path), "%s/%s.db", dbdir, name);
	for (int r = 0; r < N_ROUNDS; r++) {
		make_db(path, from(r));
		if (race(path) != 0)
			fail_msg("round %d from schema %d: an opener failed", r,
			    from(r));
		schema_of(path, got, SCHEMA_MAX);
		if (strcmp(ref, got) != 0) {
			fprintf(stderr, "expected:\n%s\ngot:\n%s\n", ref, got);
			fail_msg("round %d from schema %d: schema differs", r,
			    from(r));
		}
	}
	free(ref);
	free(got);
}

static int
from_nothing(int round)
{
	(void)round;
	return 0;
}

/* Each older schema in turn: 1, 2, ... STORE_SCHEMA_VERSION - 1. */
static int
from_older(int round)
{
	return 1 + round % (STORE_SCHEMA_VERSION - 1);
}

static void
test_fresh(void **state)
{
	(void)state;
	run_rounds("fresh", from_nothing);
}

static void
test_upgrade(void **state)
{
	(void)state;
	run_rounds("upgrade", from_older);
}

/*
 * store_migrate() to an older schema than the database has does nothing:
 * the version never goes down.
 */
static void
test_never_down(void **state)
{
	struct error err = { 0 };
	struct store *st = NULL;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/down.db", dbdir);
	make_db(path, STORE_SCHEMA_VERSION);
	assert_int_equal(store_open_raw(path, &st, &err), 0);
	assert_int_equal(store_migrate(st, 1, &err), 0);
	assert_int_equal(store_schema_version(st), STORE_SCHEMA_VERSION);
	store_close(&st);
}

static int
setup(void **state)
{
	(void)state;
	if (test_tmpdir(dbdir, sizeof(dbdir), "store-migrate") != 0)
		return -1;
	return 0;
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
		cmocka_unit_test(test_fresh),
		cmocka_unit_test(test_upgrade),
		cmocka_unit_test(test_never_down),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
