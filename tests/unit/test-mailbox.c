/*
 * Mailbox state: the human line and the STATUS line for each state, the
 * accounting counts, and the status file written and read back.
 */
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

#include "mailbox.h"
#include "test-common.h"

#define T0 1794981600 /* 2026-11-18T06:00:00Z */

struct fmt_case {
	enum mailbox_state state;
	int connected;
	int64_t until;
	unsigned failures;
	const char *error;
	const char *expect;
	const char *expect_line;
};

static const struct fmt_case fmt_cases[] = {
	{ MBOX_IDLING, 1, 0, 0, "",
	    "sales: idling; last poll 06:00:00: 3 past checkpoint: 2 stored "
	    "(1 with parse problems), 0 ignored, 0 failed, 1 too large, 0 "
	    "already stored, 0 gone",
	    "sales: idling" },
	{ MBOX_BACKOFF, 0, T0 + 90, 3,
	    "imap h:993 (u): LOGIN refused: "
	    "\"[AUTHENTICATIONFAILED]\tbad\"",
	    "sales: backing off until 06:01:30 after 3 failures: imap h:993 "
	    "(u): LOGIN refused: \"[AUTHENTICATIONFAILED] bad\"",
	    "sales: backoff until 06:01:30 (imap h:993 (u): LOGIN refused: "
	    "\"[AUTHENTICATIONFAILED] bad\")" },
	{ MBOX_WAITING, 1, T0 + 60, 0, "",
	    "sales: waiting, next poll 06:01:00; last poll 06:00:00: 3 past "
	    "checkpoint: 2 stored (1 with parse problems), 0 ignored, 0 "
	    "failed, 1 too large, 0 already stored, 0 gone",
	    "sales: waiting" },
	{ MBOX_SYNCING, 1, 0, 0, "",
	    "sales: syncing (connected); last poll 06:00:00: 3 past "
	    "checkpoint: 2 stored (1 with parse problems), 0 ignored, 0 "
	    "failed, 1 too large, 0 already stored, 0 gone",
	    "sales: syncing" },
	{ MBOX_STANDBY, 0, 0, 0, "",
	    "sales: standby (another triaged holds its lease); last poll "
	    "06:00:00: 3 past checkpoint: 2 stored (1 with parse problems), "
	    "0 ignored, 0 failed, 1 too large, 0 already stored, 0 gone",
	    "sales: standby" },
};

static void
make_status(const struct fmt_case *c, struct mailbox_status *s)
{
	struct mailbox_counts counts = { .pending = 3,
		.stored = 2,
		.problems = 1,
		.too_big = 1 };

	mailbox_status_init(s, "sales");
	mailbox_status_synced(s, &counts, T0);
	if (c->state == MBOX_BACKOFF) {
		for (unsigned i = 0; i < c->failures; i++)
			mailbox_status_fail(s, c->error, T0 + 1, c->until);
	}
	s->state = c->state;
	s->connected = c->connected;
	s->until = c->until;
}

static void
test_format(void **state)
{
	char buf[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(fmt_cases) / sizeof(*fmt_cases); i++) {
		const struct fmt_case *c = &fmt_cases[i];
		struct mailbox_status s;

		make_status(c, &s);
		mailbox_status_format(&s, buf, sizeof(buf));
		assert_string_equal(buf, c->expect);
		mailbox_status_line(&s, 1, buf, sizeof(buf));
		assert_string_equal(buf, c->expect_line);
	}
}

static void
test_line_several_and_truncated(void **state)
{
	struct mailbox_status v[2];
	char buf[1024], small[12];

	(void)state;
	mailbox_status_init(&v[0], "sales");
	mailbox_status_init(&v[1], "community");
	v[0].state = MBOX_IDLING;
	mailbox_status_line(v, 2, buf, sizeof(buf));
	assert_string_equal(buf, "sales: idling; community: starting");
	mailbox_status_line(v, 2, small, sizeof(small));
	assert_string_equal(small, "sales: idli");
}

static void
test_success_clears_error(void **state)
{
	struct mailbox_counts c = { .pending = 5, .stored = 5 };
	struct mailbox_status s;

	(void)state;
	mailbox_status_init(&s, "sales");
	mailbox_status_fail(&s, "down", T0, T0 + 2);
	mailbox_status_fail(&s, "down", T0, T0 + 4);
	assert_int_equal(s.failures, 2);
	mailbox_status_synced(&s, &c, T0 + 5);
	mailbox_status_synced(&s, &c, T0 + 6);
	assert_int_equal(s.failures, 0);
	assert_string_equal(s.last_error, "");
	assert_int_equal(s.total.stored, 10);
	assert_int_equal(s.last.stored, 5);
}

static void
test_file_roundtrip(void **state)
{
	char dir[128], *path, *db;
	struct mailbox_status in[3], *out = NULL;
	size_t n = 0;
	pid_t pid = 0;
	int64_t updated = 0;
	struct error err = { 0 };
	int r;

	(void)state;
	assert_int_equal(test_tmpdir(dir, sizeof(dir), "mailbox"), 0);
	assert_true(asprintf(&db, "%s/triage.db", dir) > 0);
	path = mailbox_status_path(db);
	for (size_t i = 0; i < 3; i++)
		make_status(&fmt_cases[i], &in[i]);
	in[1].uidvalidity = 4000000000u;
	in[1].last_uid = 77;
	in[1].acted_uid = 70;
	r = mailbox_status_read(path, &pid, &updated, &out, &n, &err);
	assert_int_equal(r, -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	r = mailbox_status_write(path, 4242, T0 + 7, in, 3, &err);
	assert_int_equal(r, 0);
	r = mailbox_status_read(path, &pid, &updated, &out, &n, &err);
	assert_int_equal(r, 0);
	assert_int_equal(pid, 4242);
	assert_int_equal(updated, T0 + 7);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < 3; i++) {
		char a[1024], b[1024];

		mailbox_status_format(&in[i], a, sizeof(a));
		mailbox_status_format(&out[i], b, sizeof(b));
		assert_string_equal(a, b);
		assert_memory_equal(&in[i].total, &out[i].total,
		    sizeof(in[i].total));
		assert_int_equal(in[i].uidvalidity, out[i].uidvalidity);
		assert_int_equal(in[i].last_uid, out[i].last_uid);
		assert_int_equal(in[i].acted_uid, out[i].acted_uid);
	}
	free(out);
	unlink(path);
	free(path);
	free(db);
	rmdir(dir);
}

/* The text a shared database's instance row holds is the file's. */
static void
test_text_is_the_file(void **state)
{
	char dir[128], *path, *db, *text, file[8192];
	struct mailbox_status in[2];
	struct error err = { 0 };
	size_t len;
	FILE *f;

	(void)state;
	assert_int_equal(test_tmpdir(dir, sizeof(dir), "mailbox"), 0);
	assert_true(asprintf(&db, "%s/triage.db", dir) > 0);
	path = mailbox_status_path(db);
	make_status(&fmt_cases[1], &in[0]);
	make_status(&fmt_cases[4], &in[1]);
	assert_int_equal(mailbox_status_write(path, 4242, T0, in, 2, &err), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	len = fread(file, 1, sizeof(file) - 1, f);
	file[len] = '\0';
	fclose(f);
	text = mailbox_status_text(4242, T0, in, 2);
	assert_string_equal(text, file);
	assert_non_null(strstr(text, "\tstandby\t"));
	free(text);
	unlink(path);
	free(path);
	free(db);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_line_several_and_truncated),
		cmocka_unit_test(test_success_clears_error),
		cmocka_unit_test(test_file_roundtrip),
		cmocka_unit_test(test_text_is_the_file),
	};

	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
