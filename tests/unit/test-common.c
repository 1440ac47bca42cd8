/*
 * What the unit tests share; see test-common.h.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "conf.h"
#include "db.h"
#include "mime.h"
#include "store-private.h"
#include "store.h"
#include "test-common.h"
#include "xalloc.h"

char *
test_slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, TEST_SLURP_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) < 0) {
			fclose(f);
			buf_free(&b);
			errno = EFBIG;
			return NULL;
		}
	}
	fclose(f);
	*len_r = b.len;
	return buf_steal(&b);
}

char *
test_read(const char *path, size_t *len_r)
{
	char *s = test_slurp(path, len_r);

	if (s == NULL)
		fail_msg("cannot open %s", path);
	return s;
}

char *
test_fixture(const char *dir, const char *name, size_t *len_r)
{
	const char *root = getenv("TRIAGE_FIXTURES");
	char *path, *s;

	if (root == NULL)
		root = "tests/fixtures";
	xasprintf(&path, "%s/%s/%s", root, dir, name);
	s = test_read(path, len_r);
	free(path);
	return s;
}

int64_t
test_clock(void *arg)
{
	return *(const int64_t *)arg;
}

int
test_team_conf(void *arg, const char *addr)
{
	return conf_member_by_address(arg, addr) != NULL;
}

int
test_team_example(void *arg, const char *addr)
{
	const char *at = strrchr(addr, '@');

	(void)arg;
	return at != NULL && strcmp(at, "@example.com") == 0;
}

struct msg *
test_msg_parse(const char *raw, size_t len, const struct mime_limits *lim,
    int64_t at)
{
	struct mime_limits defaults;
	struct msg *m = NULL;
	struct error err = { 0 };

	if (lim == NULL) {
		mime_limits_default(&defaults);
		lim = &defaults;
	}
	if (mime_parse(raw, len, lim, at, &m, &err) < 0)
		fail_msg("mime_parse: %s", err.msg);
	return m;
}

void
test_msg_ingest(struct store *st, const char *raw, size_t len,
    const struct mime_limits *lim, int64_t at, const struct verdict *v,
    struct store_ingest_result *res_r)
{
	struct store_ingest_in in = { 0 };
	struct msg *m = test_msg_parse(raw, len, lim, at);
	struct error err = { 0 };

	in.mailbox = "sales";
	in.mailbox_address = "sales@example.com";
	in.queue = "sales";
	in.raw = raw;
	in.raw_len = len;
	in.msg = m;
	in.verdict = v;
	in.actor = (struct store_actor){ "triaged", STORE_SRC_DAEMON };
	if (store_ingest(st, &in, res_r, &err) < 0)
		fail_msg("store_ingest: %s", err.msg);
	msg_free(&m);
}

int64_t
test_ts(const char *s)
{
	struct tm tm = { 0 };
	char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

	assert_non_null(end);
	assert_int_equal(*end, '\0');
	return (int64_t)timegm(&tm);
}

static int
rmtree_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

int
test_rmtree(const char *dir)
{
	return nftw(dir, rmtree_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
test_tmpdir(char *dir, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	n = snprintf(dir, size, "%s/test-%s.XXXXXX", tmp, name);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(dir) != NULL ? 0 : -1;
}

double
test_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
test_count(const int *counter)
{
	return __atomic_load_n(counter, __ATOMIC_SEQ_CST);
}

int
test_wait_count(const int *counter, int n)
{
	for (int i = 0; i < 500 && test_count(counter) < n; i++)
		usleep(10000);
	return test_count(counter);
}

int
test_on_pg(void)
{
	const char *t = getenv("TRIAGE_PG_TARGET");

	return t != NULL && *t != '\0';
}

/* Drop everything in the PostgreSQL database the tests run on. */
static void
empty_pg(const char *target)
{
	struct db *db = NULL;

	if (db_open(target, 0, NULL, &db) != DB_OK)
		fail_msg("%s: %s", target, db ? db_errmsg(db) : "no handle");
	if (db_exec(db,
		"SET client_min_messages = warning;"
		"DROP SCHEMA public CASCADE; CREATE SCHEMA public;") != DB_OK)
		fail_msg("%s: %s", target, db_errmsg(db));
	db_close(db);
}

struct store *
test_store_fresh(const char *dir, const char *name)
{
	struct error err = { 0 };
	struct store *st = NULL;
	char path[512];

	if (test_on_pg()) {
		empty_pg(getenv("TRIAGE_PG_TARGET"));
		snprintf(path, sizeof(path), "%s", getenv("TRIAGE_PG_TARGET"));
	} else {
		snprintf(path, sizeof(path), "%s/%s.db", dir, name);
		unlink(path);
	}
	if (store_open(path, &st, &err) < 0)
		fail_msg("store_open %s: %s", path, err.msg);
	return st;
}

unsigned
test_dice(uint64_t *seed, unsigned n)
{
	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(*seed >> 33) % n;
}

void
test_sql(struct store *st, const char *fmt, ...)
{
	struct error err = { 0 };
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_in_range(n, 0, sizeof(buf) - 1);
	if (store_exec(st, buf, &err) < 0)
		fail_msg("%s: %s", buf, err.msg);
}
