/*
 * What the unit tests share, as Dovecot's src/lib-test/test-common.h:
 * reading fixtures, a clock and a team the store can be given, storing
 * a message, times written as text, and a scratch directory.  Built once and linked into
 * every tests/unit/test-*.c program and the itest-*.c helpers
 * (tests/CMakeLists.txt).  The test_read() family fails the running
 * cmocka test; test_slurp() does not need cmocka.
 */
#ifndef TRIAGE_TEST_COMMON_H
#define TRIAGE_TEST_COMMON_H

#include <stddef.h>
#include <stdint.h>

struct mime_limits;
struct msg;
struct store;
struct store_ingest_result;
struct verdict;

/* The largest file test_slurp() reads. */
#define TEST_SLURP_MAX ((size_t)64 * 1024 * 1024)

/*
 * The whole file at `path` (at most TEST_SLURP_MAX bytes) as a malloc'd
 * string, NUL terminated, and its length in *len_r.  Returns NULL with
 * errno set (EFBIG when the file is larger) when it cannot be read;
 * *len_r is untouched then.
 */
char *test_slurp(const char *path, size_t *len_r);

/* test_slurp(), or fail the test with "cannot open PATH". */
char *test_read(const char *path, size_t *len_r);

/*
 * test_read() of fixture `name` in tests/fixtures/`dir`: the folder is
 * $TRIAGE_FIXTURES, or tests/fixtures under the current directory.
 */
char *test_fixture(const char *dir, const char *name, size_t *len_r);

/* A store clock (store_set_clock): returns *(int64_t *)arg. */
int64_t test_clock(void *arg);

/*
 * A store team predicate (store_set_team): arg is a struct conf, and the
 * team is its members (conf_member_by_address).
 */
int test_team_conf(void *arg, const char *addr);

/* A store team predicate: every address at @example.com; arg unused. */
int test_team_example(void *arg, const char *addr);

/*
 * The record of `raw` (len bytes) received at `at`, parsed with `lim`
 * (NULL: the defaults); the caller frees it with msg_free().  Fails the
 * test when mime_parse() does.
 */
struct msg *test_msg_parse(const char *raw, size_t len,
    const struct mime_limits *lim, int64_t at);

/*
 * test_msg_parse() `raw` and store it the way triaged does, in mailbox
 * "sales" (sales@example.com, queue "sales") with verdict `v` (NULL:
 * none).  Fills *res_r; fails the test when parsing or storing fails.
 */
void test_msg_ingest(struct store *st, const char *raw, size_t len,
    const struct mime_limits *lim, int64_t at, const struct verdict *v,
    struct store_ingest_result *res_r);

/*
 * "YYYY-MM-DDTHH:MM:SSZ" to Unix seconds, without touching TZ; fails
 * the test on anything else.
 */
int64_t test_ts(const char *s);

/*
 * Remove `dir` and everything under it, as a teardown does with a
 * mkdtemp() directory.  Returns 0, or -1 with errno set.
 */
int test_rmtree(const char *dir);

/*
 * Make a fresh directory ${TMPDIR:-/tmp}/test-NAME.XXXXXX and put its
 * path in dir (size bytes).  Returns 0, or -1 with errno set
 * (ENAMETOOLONG when the path does not fit).
 */
int test_tmpdir(char *dir, size_t size, const char *name);
/*
 * A fresh, empty store for a test: the SQLite file dir/name.db (removed
 * first), or, when TRIAGE_PG_TARGET names a PostgreSQL database
 * (tests/integration/test-store-pg.sh), that database emptied.  Fails
 * the test on error.
 */
struct store *test_store_fresh(const char *dir, const char *name);
/* Is this run on PostgreSQL (TRIAGE_PG_TARGET set)? */
int test_on_pg(void);

/* Seconds on CLOCK_MONOTONIC, for timing what a thread does. */
double test_now_s(void);

/* The counter another thread increments, read atomically. */
int test_count(const int *counter);

/*
 * Wait up to 5 s for the counter another thread increments (atomically)
 * to reach n; returns the count last seen.
 */
int test_wait_count(const int *counter, int n);

/*
 * A number in [0, n) from the generator state *seed (an LCG: the same
 * seed, the same history, run after run).
 */
unsigned test_dice(uint64_t *seed, unsigned n);

/* Run the SQL printf() makes of fmt (at most 1 KB) or fail the test. */
void test_sql(struct store *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
