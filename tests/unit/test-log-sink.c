/*
 * The log sink's journal fields (what `journalctl MAILBOX=sales` and
 * `TICKET=7` filter on) and log_level's names.  Sending them is
 * sd_journal_sendv's: with no journald here, that is not tested.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "log-sink.h"
#include "log.h"

/* The fields, joined with '|'. */
static void
assert_fields(enum log_level level, const struct log_where *where,
    const char *msg, const char *want)
{
	struct log_journal_fields f;
	char got[4096] = "";
	size_t n;

	n = log_sink_journal_fields(level, where, msg, &f);
	assert_true(n <= LOG_JOURNAL_FIELDS);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(got, "|");
		strcat(got, f.v[i]);
	}
	assert_string_equal(got, want);
}

static void
test_fields(void **state)
{
	struct log_where all = { .component = "outbox",
		.mailbox = "sales",
		.ticket = 42,
		.message_id = "abc@example.com" };
	struct log_where mb = { .mailbox = "sales" };

	(void)state;
	log_init("triaged", LOG_LVL_INFO);
	assert_fields(LOG_LVL_WARN, &all, "sent",
	    "MESSAGE=outbox: mailbox=sales ticket=42 "
	    "message-id=<abc@example.com> sent|PRIORITY=4|"
	    "SYSLOG_IDENTIFIER=triaged|TRIAGE_COMPONENT=outbox|"
	    "MAILBOX=sales|TICKET=42|MESSAGE_ID=abc@example.com");
	/* unset parts: no field, not an empty one */
	assert_fields(LOG_LVL_DEBUG, &mb, "poll: 0",
	    "MESSAGE=mailbox=sales poll: 0|PRIORITY=7|"
	    "SYSLOG_IDENTIFIER=triaged|MAILBOX=sales");
	assert_fields(LOG_LVL_ERR, NULL, "x.conf: not starting",
	    "MESSAGE=x.conf: not starting|PRIORITY=3|"
	    "SYSLOG_IDENTIFIER=triaged");
}

/* A newline in a message or a Message-ID never starts a new field. */
static void
test_control_characters(void **state)
{
	struct log_where w = { .message_id = "a\nPRIORITY=0" };

	(void)state;
	log_init("triaged", LOG_LVL_INFO);
	assert_fields(LOG_LVL_INFO, &w, "line\rtwo",
	    "MESSAGE=message-id=<a?PRIORITY=0> line?two|PRIORITY=6|"
	    "SYSLOG_IDENTIFIER=triaged|MESSAGE_ID=a?PRIORITY=0");
}

static void
test_level_names(void **state)
{
	static const struct {
		const char *name;
		int ok;
		enum log_level level;
	} cases[] = {
		{ "error", 1, LOG_LVL_ERR },
		{ "warning", 1, LOG_LVL_WARN },
		{ "info", 1, LOG_LVL_INFO },
		{ "debug", 1, LOG_LVL_DEBUG },
		{ "", 0, 0 },
		{ "Info", 0, 0 },
		{ "warn", 0, 0 },
		{ "notice", 0, 0 },
	};
	enum log_level level;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		level = LOG_LVL_NOTICE;
		assert_int_equal(log_level_parse(cases[i].name, &level),
		    cases[i].ok ? 0 : -1);
		assert_int_equal(level,
		    cases[i].ok ? cases[i].level : LOG_LVL_NOTICE);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_level_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
