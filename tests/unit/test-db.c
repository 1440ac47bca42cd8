/*
 * The database driver (lib/store/db.h) on SQLite: values through bind
 * and column, statements reused after db_reset, transactions and
 * savepoints, and each failure's class as the store reads it.  A real
 * database file in a scratch directory; a second connection makes the
 * lock conflicts.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "db.h"
#include "test-common.h"

struct fixture {
	char dir[128];
	char path[160];
	struct db *db;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	assert_int_equal(test_tmpdir(fx->dir, sizeof(fx->dir), "db"), 0);
	snprintf(fx->path, sizeof(fx->path), "%s/t.db", fx->dir);
	assert_int_equal(db_open(fx->path, DB_OPEN_CREATE, NULL, &fx->db),
	    DB_OK);
	assert_int_equal(db_backend(fx->db), DB_SQLITE);
	assert_int_equal(db_exec(fx->db,
			     "CREATE TABLE t (id INTEGER PRIMARY KEY,"
			     " k TEXT UNIQUE, n INTEGER, x REAL, b BLOB,"
			     " c INTEGER CHECK (c IS NULL OR c > 0));"),
	    DB_OK);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	db_close(fx->db);
	test_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* Insert one row (k, n); returns db_step's answer. */
static int
insert(struct db *db, const char *k, int64_t n)
{
	struct db_stmt *s = NULL;
	int rc;

	assert_int_equal(
	    db_prepare(db, "INSERT INTO t (k, n) VALUES (?1, ?2)", 0, &s),
	    DB_OK);
	db_bind_text(s, 1, k, -1);
	db_bind_int64(s, 2, n);
	rc = db_step(s);
	db_finalize(s);
	return rc;
}

static int64_t
count(struct db *db)
{
	struct db_stmt *s = NULL;
	int64_t n;

	assert_int_equal(db_prepare(db, "SELECT count(*) FROM t", 0, &s),
	    DB_OK);
	assert_int_equal(db_step(s), DB_ROW);
	n = db_col_int64(s, 0);
	assert_int_equal(db_step(s), DB_DONE);
	db_finalize(s);
	return n;
}

/* Every type in and out; text and blobs are copied at bind time. */
static void
test_values(void **state)
{
	struct fixture *fx = *state;
	struct db_stmt *s = NULL;
	char text[8] = "abc";
	unsigned char blob[4] = { 0, 1, 0xfe, 0xff };

	assert_int_equal(db_prepare(fx->db,
			     "INSERT INTO t (k, n, x, b, c)"
			     " VALUES (?1, ?2, ?3, ?4, ?5)",
			     1, &s),
	    DB_OK);
	assert_int_equal(db_bind_text(s, 1, text, 2), DB_OK);
	assert_int_equal(db_bind_int64(s, 2, INT64_C(1) << 40), DB_OK);
	assert_int_equal(db_bind_double(s, 3, 2.5), DB_OK);
	assert_int_equal(db_bind_blob(s, 4, blob, sizeof(blob)), DB_OK);
	assert_int_equal(db_bind_int(s, 5, 7), DB_OK);
	memset(text, 'z', sizeof(text) - 1); /* bound copies stay */
	memset(blob, 9, sizeof(blob));
	assert_int_equal(db_step(s), DB_DONE);
	assert_int_equal(db_changes(fx->db), 1);
	assert_int_equal(db_last_insert_id(fx->db), 1);
	/* reused after a reset, which clears the bindings: all NULL */
	db_reset(s);
	assert_int_equal(db_step(s), DB_DONE);
	assert_int_equal(db_last_insert_id(fx->db), 2);
	db_reset(s);
	assert_int_equal(db_bind_text(s, 1, NULL, -1), DB_OK);
	assert_int_equal(db_bind_blob(s, 4, NULL, 0), DB_OK);
	assert_int_equal(db_bind_null(s, 5), DB_OK);
	assert_int_equal(db_step(s), DB_DONE);
	/* an uncopied blob: read while the statement runs */
	db_reset(s);
	assert_int_equal(db_bind_blob_static(s, 4, blob, sizeof(blob)), DB_OK);
	assert_int_equal(db_step(s), DB_DONE);
	db_finalize(s);

	assert_int_equal(db_prepare(fx->db,
			     "SELECT k, n, x, b, c FROM t ORDER BY id", 0, &s),
	    DB_OK);
	assert_int_equal(db_step(s), DB_ROW);
	assert_string_equal(db_col_text(s, 0), "ab");
	assert_int_equal(db_col_int64(s, 1), INT64_C(1) << 40);
	assert_true(db_col_double(s, 2) == 2.5);
	assert_int_equal(db_col_bytes(s, 3), 4);
	assert_memory_equal(db_col_blob(s, 3),
	    ((unsigned char[]){ 0, 1, 0xfe, 0xff }), 4);
	assert_int_equal(db_col_int(s, 4), 7);
	assert_false(db_col_is_null(s, 4));
	for (int row = 0; row < 3; row++) {
		assert_int_equal(db_step(s), DB_ROW);
		assert_null(db_col_text(s, 0));
		assert_true(db_col_is_null(s, 0));
		assert_int_equal(db_col_int64(s, 1), 0);
		assert_true(db_col_is_null(s, 4));
		if (row < 2) {
			assert_null(db_col_blob(s, 3));
			continue;
		}
		assert_int_equal(db_col_bytes(s, 3), 4);
		assert_memory_equal(db_col_blob(s, 3), blob, 4);
	}
	assert_int_equal(db_step(s), DB_DONE);
	db_finalize(s);
	db_finalize(NULL);
}

/* Savepoints undo their part only; a bad name never reaches SQL. */
static void
test_transactions(void **state)
{
	struct fixture *fx = *state;
	char name[65];

	memset(name, 'n', 63);
	name[63] = '\0';

	assert_int_equal(db_begin(fx->db, DB_TX_WRITE), DB_OK);
	assert_int_equal(insert(fx->db, "a", 1), DB_DONE);
	assert_int_equal(db_savepoint(fx->db, "unit"), DB_OK);
	assert_int_equal(insert(fx->db, "b", 2), DB_DONE);
	assert_int_equal(db_rollback_to(fx->db, "unit"), DB_OK);
	assert_int_equal(db_release(fx->db, "unit"), DB_OK);
	assert_int_equal(db_savepoint(fx->db, "kept_1"), DB_OK);
	assert_int_equal(insert(fx->db, "c", 3), DB_DONE);
	assert_int_equal(db_release(fx->db, "kept_1"), DB_OK);
	assert_int_equal(db_savepoint(fx->db, "x; DROP TABLE t"), DB_ERROR);
	assert_int_equal(db_savepoint(fx->db, ""), DB_ERROR);
	/* 63 characters is the longest name */
	assert_int_equal(db_savepoint(fx->db, name), DB_OK);
	assert_int_equal(db_release(fx->db, name), DB_OK);
	strcat(name, "x");
	assert_int_equal(db_savepoint(fx->db, name), DB_ERROR);
	assert_int_equal(db_commit(fx->db), DB_OK);
	assert_int_equal(count(fx->db), 2);

	assert_int_equal(db_begin(fx->db, DB_TX_READ), DB_OK);
	assert_int_equal(insert(fx->db, "d", 4), DB_DONE);
	assert_int_equal(db_rollback(fx->db), DB_OK);
	assert_int_equal(count(fx->db), 2);
}

/* Each failure's class, message and errno. */
static void
test_errors(void **state)
{
	struct fixture *fx = *state;
	struct db *other = NULL, *ro = NULL, *bad = NULL;
	struct db_stmt *s = NULL;
	char path[200];

	assert_int_equal(insert(fx->db, "a", 1), DB_DONE);
	assert_int_equal(insert(fx->db, "a", 2), DB_ERROR);
	assert_int_equal(db_errclass(fx->db), DB_ERR_UNIQUE);
	assert_int_equal(db_errno(fx->db), 0);
	assert_non_null(strstr(db_errmsg(fx->db), "UNIQUE"));
	assert_int_equal(db_exec(fx->db, "INSERT INTO t (id) VALUES (1)"),
	    DB_ERROR);
	assert_int_equal(db_errclass(fx->db), DB_ERR_UNIQUE);
	assert_int_equal(db_exec(fx->db, "INSERT INTO t (c) VALUES (-1)"),
	    DB_ERROR);
	assert_int_equal(db_errclass(fx->db), DB_ERR_CONSTRAINT);
	assert_int_equal(db_prepare(fx->db, "SELECT nope FROM t", 0, &s),
	    DB_ERROR);
	assert_int_equal(db_errclass(fx->db), DB_ERR_OTHER);
	assert_non_null(strstr(db_errmsg(fx->db), "nope"));

	/* a writer holds the lock: busy, at once with no timeout */
	assert_int_equal(db_open(fx->path, 0, NULL, &other), DB_OK);
	db_busy_timeout(other, 0);
	assert_int_equal(db_begin(fx->db, DB_TX_WRITE), DB_OK);
	assert_int_equal(db_begin(other, DB_TX_WRITE), DB_ERROR);
	assert_int_equal(db_errclass(other), DB_ERR_TEMP);
	assert_int_equal(db_errno(other), 0);
	assert_int_equal(db_rollback(fx->db), DB_OK);
	db_close(other);

	assert_int_equal(db_open(fx->path, DB_OPEN_READONLY, NULL, &ro), DB_OK);
	assert_int_equal(db_exec(ro, "DELETE FROM t"), DB_ERROR);
	assert_int_equal(db_errclass(ro), DB_ERR_READONLY);
	db_close(ro);

	/* a missing directory: a handle with the reason, and the errno */
	snprintf(path, sizeof(path), "%s/no/such.db", fx->dir);
	assert_int_equal(db_open(path, DB_OPEN_CREATE, NULL, &bad), DB_ERROR);
	assert_non_null(bad);
	assert_int_equal(db_errclass(bad), DB_ERR_CANTOPEN);
	assert_int_equal(db_errno(bad), ENOENT);
	db_close(bad);
	db_close(NULL);
}

/*
 * Without the PostgreSQL driver, a PostgreSQL target opens nothing
 * (which targets name PostgreSQL: test-db-backends).
 */
static void
test_no_pg(void **state)
{
	struct db *db = NULL;

	(void)state;
	if (db_have_pg())
		skip(); /* the PostgreSQL driver's own tests reach a server */
	assert_int_equal(db_open("postgresql:///triage", 0, NULL, &db),
	    DB_ERROR);
	assert_null(db);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transactions, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test(test_no_pg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
