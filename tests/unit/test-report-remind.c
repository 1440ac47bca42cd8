/*
 * The SLA reminder mail: subject and body for each clock, and the
 * customer's subject kept on one line whatever it holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "report.h"
#include "sla.h"
#include "xalloc.h"

#define T0 ((int64_t)1794218400) /* 2026-11-09T10:00:00Z */

static const struct {
	struct report_reminder rm;
	const char *subject;  /* expected, exactly */
	const char *lines[4]; /* expected among the body's lines */
} cases[] = {
	{ { 12, "Pricing for 50 seats", "pat@acme.example", "Acme, Inc.", NULL,
	      SLA_CLOCK_CLAIM, T0, T0 + 4 * 3600, T0 + 5 * 3600, NULL },
	    "[#12] Not claimed in time: Pricing for 50 seats",
	    { "Ticket #12 is waiting to be claimed and its time is up.",
		"  Account:        Acme, Inc.",
		"  Due:            2026-11-09T14:00:00Z (1h 00m ago)",
		"Claim it with `triage claim 12`, or reply to its thread with "
		"#claim." } },
	{ { 7, "Re: SSO\r\nBcc: victim@example.org", NULL, NULL, "sales",
	      SLA_CLOCK_ACK, T0, T0 + 86400, T0 + 86400 + 90,
	      "https://triage.example.com/t/{id}?view=sla" },
	    "[#7] Not acknowledged in time: Re: SSO  Bcc: victim@example.org",
	    { "  Routed to:      sales",
		"  Routed at:      2026-11-09T10:00:00Z",
		"  Link:           https://triage.example.com/t/7?view=sla",
		"Acknowledge it with `triage ack 7`, or reply to the forward "
		"with #ack." } },
	{ { 3, "", NULL, NULL, NULL, SLA_CLOCK_CLAIM, T0, T0, T0, NULL },
	    "[#3] Not claimed in time: (no subject)",
	    { "  Due:            2026-11-09T10:00:00Z (0s ago)", NULL } },
};

static void
test_reminders(void **state)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error err = { 0 };
		struct buf subj, body;
		char *all;

		buf_init(&subj, 4096);
		buf_init(&body, 4096);
		assert_int_equal(
		    report_reminder_render(&cases[i].rm, &subj, &body, &err),
		    0);
		assert_string_equal(subj.data, cases[i].subject);
		xasprintf(&all, "\n%s", body.data);
		for (size_t l = 0; l < 4 && cases[i].lines[l] != NULL; l++) {
			char *line;

			xasprintf(&line, "\n%s\n", cases[i].lines[l]);
			if (strstr(all, line) == NULL)
				fail_msg("case %zu: no line '%s' in:\n%s", i,
				    cases[i].lines[l], body.data);
			free(line);
		}
		free(all);
		/* one line, and every body line fits 78 columns */
		assert_null(strpbrk(subj.data, "\r\n"));
		for (const char *p = body.data; *p != '\0';) {
			const char *nl = strchr(p, '\n');

			assert_non_null(nl);
			assert_true(nl - p <= 78);
			p = nl + 1;
		}
		buf_free(&subj);
		buf_free(&body);
	}
}

/* A long subject is cut at 200 bytes, never inside a UTF-8 sequence. */
static void
test_long_subject(void **state)
{
	struct report_reminder rm = { 1, NULL, NULL, NULL, NULL,
		SLA_CLOCK_CLAIM, T0, T0, T0, NULL };
	struct error err = { 0 };
	struct buf subj, body;
	char s[400];
	const char *colon;

	for (size_t i = 0; i + 2 < sizeof(s); i += 2)
		memcpy(s + i, "\xc3\xa9", 2); /* é */
	s[sizeof(s) - 2] = '\0';
	rm.subject = s;
	buf_init(&subj, 4096);
	buf_init(&body, 4096);
	assert_int_equal(report_reminder_render(&rm, &subj, &body, &err), 0);
	colon = strstr(subj.data, ": ") + 2;
	assert_true(strlen(colon) <= 200 && strlen(colon) >= 196);
	assert_int_equal(strlen(colon) % 2, 0);
	/* a buffer too small for the body: an error, not a cut mail */
	buf_free(&body);
	buf_init(&body, 64);
	assert_int_equal(report_reminder_render(&rm, &subj, &body, &err), -1);
	buf_free(&subj);
	buf_free(&body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reminders),
		cmocka_unit_test(test_long_subject),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
