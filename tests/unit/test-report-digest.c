/*
 * The daily digest, filled the way the daemon will fill it: sla_evaluate
 * over the open tickets at a controlled "now" (Monday 23 November 2026,
 * 08:00 in Berlin, the digest time), business hours Mon-Fri 09:00-18:00.
 * The expected contents were worked out by hand in the table comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "buf.h"
#include "report.h"
#include "sla.h"
#include "test-common.h"
#include "xalloc.h"

#define H 3600

static const struct {
	int64_t id;
	enum sla_state state;
	const char *since;
	const char *queue;
	const char *owner;
	const char *subject;
} tickets[] = {
	/* Fri 10:00 CET: 8h used Friday > 4h: breached since Fri 14:00 */
	{ 101, SLA_STATE_NEW, "2026-11-20T09:00:00Z", "sales", NULL,
	    "Quote for 50 seats" },
	/* Fri 16:00: 2h used, at risk only from 3h (Mon 10:00) */
	{ 102, SLA_STATE_NEW, "2026-11-20T15:00:00Z", "sales", NULL,
	    "Pricing?" },
	/* Fri 17:30: 30 minutes used */
	{ 103, SLA_STATE_NEW, "2026-11-20T16:30:00Z", "community", NULL,
	    "Meetup in Munich" },
	/* routed Thu 09:00: 18h of 24h used = 75%: at risk, due Mon 15:00 */
	{ 104, SLA_STATE_ROUTED, "2026-11-19T08:00:00Z", NULL, "sales",
	    "Renewal for Initech, 400 seats, needs SSO and audit logs now, "
	    "before the budget freeze in December" },
	/* claimed: no clock */
	{ 105, SLA_STATE_CLAIMED, "2026-11-02T08:00:00Z", NULL, "alice",
	    "Old" },
	/* routed Tue 09:00: 24h reached Thu 15:00 CET, breached */
	{ 106, SLA_STATE_ROUTED, "2026-11-17T08:00:00Z", NULL, "support",
	    "Crash on start" },
};

static void
test_digest(void **state)
{
	struct sla_hours *h = NULL;
	struct error err = { 0 };
	struct report_digest d;
	struct buf subject, body;
	int64_t now = test_ts("2026-11-23T07:00:00Z");
	static const char *const lines[] = {
		"SLA digest, 2026-11-23T07:00:00Z",
		"Breached: 2",
		/* 2026-11-19T14:00Z .. 2026-11-23T07:00Z = 3d 17h */
		"  #106     acknowledge support    late 3d 17h",
		"    Crash on start",
		"    https://crm.example.com/t/106",
		/* 2026-11-20T13:00Z .. 2026-11-23T07:00Z = 2d 18h */
		"  #101     claim       -          late 2d 18h",
		"    Quote for 50 seats",
		"    https://crm.example.com/t/101",
		"At risk: 1",
		/* the whole subject, wrapped at a blank within 78 columns */
		"  #104     acknowledge sales      due 11-23 14:00Z",
		"    Renewal for Initech, 400 seats, needs SSO and audit logs "
		"now, before the",
		"    budget freeze in December",
		"    https://crm.example.com/t/104",
		"Unclaimed: 3",
		"  sales                                 2",
		"  community                             1",
		"Yesterday (2026-11-22)",
		"  received                              7",
		"  SLA breaches                          1",
	};
	struct sla_policy p = { .claim = 4 * H, .acknowledge = 24 * H };

	assert_int_equal(
	    sla_hours_parse("Mon-Fri 09:00-18:00 Europe/Berlin", &h, &err), 0);
	p.hours = h;
	report_digest_init(&d, now);
	d.hours = xstrdup(sla_hours_spec(h));
	d.ticket_url = xstrdup("https://crm.example.com/t/{id}");
	/* yesterday is Sunday 22 November in Berlin: from 23:00Z on 21st */
	d.yesterday_day = sla_local_day(h, now) - 1;
	d.day_to = sla_day_start(h, sla_local_day(h, now));
	d.day_from = sla_day_start(h, sla_local_day(h, now) - 1);
	assert_int_equal(d.day_from, test_ts("2026-11-21T23:00:00Z"));
	assert_int_equal(d.day_to, test_ts("2026-11-22T23:00:00Z"));
	for (size_t i = 0; i < sizeof(tickets) / sizeof(tickets[0]); i++) {
		struct sla_ticket t = { .state = tickets[i].state,
			.since = test_ts(tickets[i].since) };
		struct sla_result r;
		struct report_ticket *k = NULL;

		sla_evaluate(&p, &t, now, &r);
		if (tickets[i].state == SLA_STATE_NEW)
			report_counts_add(&d.unclaimed, tickets[i].queue, 1);
		if (r.status == SLA_BREACHED)
			k = report_tickets_add(&d.breached, tickets[i].id,
			    tickets[i].subject, NULL, NULL, tickets[i].owner);
		else if (r.status == SLA_AT_RISK)
			k = report_tickets_add(&d.at_risk, tickets[i].id,
			    tickets[i].subject, NULL, NULL, tickets[i].owner);
		if (k == NULL)
			continue;
		k->clock = xstrdup(sla_clock_name(r.clock));
		k->at = r.deadline;
		k->late = now - r.deadline;
	}
	d.yesterday.received = 7;
	d.yesterday.claimed = 5;
	d.yesterday_breaches = 1;
	buf_init(&subject, 200);
	buf_init(&body, 64 * 1024);
	assert_int_equal(report_digest_render(&d, &subject, &body, &err), 0);
	assert_string_equal(subject.data, "triage digest 2026-11-23: "
					  "2 breached, 1 at risk, 3 unclaimed");
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *want;

		xasprintf(&want, "%s\n", lines[i]);
		if (strstr(body.data, want) == NULL)
			fail_msg("missing line '%s' in:\n%s", lines[i],
			    body.data);
		free(want);
	}
	/* nothing not due is listed */
	assert_null(strstr(body.data, "#102"));
	assert_null(strstr(body.data, "#103"));
	assert_null(strstr(body.data, "#105"));
	for (const char *l = body.data; *l != '\0';) {
		const char *nl = strchr(l, '\n');
		size_t cols = 0;

		assert_non_null(nl);
		for (const char *c = l; c < nl; c++)
			cols += ((unsigned char)*c & 0xc0) != 0x80;
		if (cols > 78)
			fail_msg("line over 78: %.*s", (int)(nl - l), l);
		l = nl + 1;
	}
	buf_free(&subject);
	buf_free(&body);
	report_digest_clear(&d);
	sla_hours_free(&h);
}

static void
test_digest_empty(void **state)
{
	struct report_digest d;
	struct buf subject, body;
	struct error err = { 0 };

	report_digest_init(&d, test_ts("2026-11-23T07:00:00Z"));
	buf_init(&subject, 200);
	buf_init(&body, 64 * 1024);
	assert_int_equal(report_digest_render(&d, &subject, &body, &err), 0);
	assert_string_equal(subject.data, "triage digest 2026-11-23: "
					  "0 breached, 0 at risk, 0 unclaimed");
	assert_non_null(strstr(body.data, "\nBreached: 0\n"));
	buf_free(&subject);
	buf_free(&body);
	report_digest_clear(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_digest_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
