/*
 * `triage config show` (conf_show, conf_print): defaults filled in,
 * durations and sizes in the config's own syntax, secrets masked, and
 * what it prints loads back to the same configuration.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf.h"
#include "test-common.h"
#include "xalloc.h"

static char dir[PATH_MAX];

#define MAILBOX \
	"mailboxes = ( { name = \"sales\"; address = \"sales@example.com\";" \
	" imap = { host = \"imap.example.com\"; user = \"u\";" \
	" password_command = \"echo hunter2\"; }; } );\n"

/* Write `text` to dir/name; returns the path (owned by the caller). */
static char *
write_conf(const char *name, const char *text)
{
	char *path;
	FILE *fp;

	xasprintf(&path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	return path;
}

static struct conf *
load(const char *path)
{
	struct conf_errors errs = { 0 };
	struct conf *c = NULL;

	if (conf_load_flags(path, CONF_LOAD_NO_SECRETS, &c, &errs) < 0)
		fail_msg("%s: %s", path, errs.n > 0 ? errs.v[0] : "?");
	return c;
}

/* conf_print's text without its first line (a comment naming the file). */
static char *
printed(const struct conf *c)
{
	char *text = NULL, *nl, *out;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);

	assert_non_null(fp);
	conf_print(c, fp);
	assert_int_equal(fclose(fp), 0);
	assert_memory_equal(text, "# triage.conf: ", 15);
	nl = strchr(text, '\n');
	assert_non_null(nl);
	out = xstrdup(nl + 1);
	free(text);
	return out;
}

struct show_case {
	const char *config; /* after MAILBOX */
	const char *want;   /* a line of the output, indentation included */
};

static const struct show_case cases[] = {
	/* defaults, filled in */
	{ "", "poll_interval = \"1m\";\n" },
	{ "", "max_message_size = \"50M\";\n" },
	{ "", "    folder = \"INBOX\";\n" },
	{ "", "    port = 993;\n" },
	{ "", "  after = \"flag\";\n" },
	{ "", "  digest_at = \"08:00\";\n" },
	{ "", "  check_interval = \"1m\";\n" },
	{ "", "    tls = \"implicit\";\n" },
	/* durations and sizes as the config writes them */
	{ "poll_interval = 5400;\n", "poll_interval = \"1h30m\";\n" },
	{ "poll_interval = \"90\";\n", "poll_interval = \"1m30s\";\n" },
	{ "sla = { claim = \"1d2h\"; };\n", "  claim = \"1d2h\";\n" },
	{ "sla = { claim = \"14d\"; };\n", "  claim = \"2w\";\n" },
	{ "max_message_size = 1536;\n", "max_message_size = \"1536\";\n" },
	{ "max_message_size = \"2048K\";\n", "max_message_size = \"2M\";\n" },
	/* a secret in a command is masked */
	{ "", "    password_command = \"(hidden)\";\n" },
	/* unix_user defaults to the name */
	{ "team = ( { name = \"al\"; address = \"al@example.com\";"
	  " role = \"bdr\"; } );\n",
	    "    unix_user = \"al\";\n" },
	{ "team = ( { name = \"al\"; address = \"al@example.com\";"
	  " role = \"bdr\"; unix_user = \"asmith\"; } );\n",
	    "    unix_user = \"asmith\";\n" },
};

static void
test_lines(void **state)
{
	size_t failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text, *path, *out;
		struct conf *c;

		xasprintf(&text, "%s%s", MAILBOX, cases[i].config);
		path = write_conf("show.conf", text);
		c = load(path);
		out = printed(c);
		if (strstr(out, cases[i].want) == NULL) {
			print_error("config %s\nwant the line %sin:\n%s\n",
			    cases[i].config, cases[i].want, out);
			failed++;
		}
		if (strstr(out, "hunter2") != NULL) {
			print_error("the secret is shown:\n%s\n", out);
			failed++;
		}
		free(out);
		conf_free(&c);
		free(path);
		free(text);
	}
	assert_int_equal(failed, 0);
}

/* The shipped example, printed, loads back and prints the same. */
static void
test_round_trip(void **state)
{
	const char *src = getenv("TRIAGE_SOURCE_DIR");
	char *example, *first, *again, *path;
	struct conf *c, *d;

	(void)state;
	assert_non_null(src);
	xasprintf(&example, "%s/triage.conf.example", src);
	c = load(example);
	first = printed(c);
	path = write_conf("again.conf", first);
	d = load(path);
	again = printed(d);
	assert_string_equal(first, again);
	assert_non_null(strstr(first, "team = (\n  {\n"));
	assert_non_null(strstr(first, "  },\n  {\n"));
	free(again);
	free(first);
	free(path);
	free(example);
	conf_free(&d);
	conf_free(&c);
}

/* assign is shown, and what is shown loads back the same. */
static void
test_assign_round_trip(void **state)
{
	char *path, *first, *again;
	struct conf *c, *d;

	(void)state;
	path = write_conf("assign.conf",
	    MAILBOX "team = ( { name = \"alice\"; address = \"a@example.com\";"
		    " role = \"bdr\"; }, { name = \"bob\";"
		    " address = \"b@example.com\"; role = \"bdr\"; } );\n"
		    "assign = { queues = (\"sales\"); mode = \"least-open\";"
		    " members = (\"alice\", \"bob\"); };\n");
	c = load(path);
	first = printed(c);
	assert_non_null(strstr(first, "assign = {\n"));
	assert_non_null(strstr(first, "members = \"alice, bob\""));
	assert_non_null(strstr(first, "mode = \"least-open\""));
	free(path);
	path = write_conf("assign-again.conf", first);
	d = load(path);
	assert_int_equal(d->assign.n_members, 2);
	assert_string_equal(d->assign.members[1], "bob");
	assert_int_equal(d->assign.mode, CONF_ASSIGN_LEAST_OPEN);
	again = printed(d);
	assert_string_equal(first, again);
	free(again);
	free(first);
	free(path);
	conf_free(&d);
	conf_free(&c);
}

static int
setup(void **state)
{
	char tmpl[128];

	(void)state;
	if (test_tmpdir(tmpl, sizeof(tmpl), "conf-show") != 0 ||
	    realpath(tmpl, dir) == NULL)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return test_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_assign_round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
