/*
 * The weekly report mail: when a week falls due (in UTC and in Berlin,
 * across the spring DST change), the weekly turn at a controlled store
 * clock (the first week only recorded, each later week queued once, a
 * restart queuing nothing, a daemon down on the day catching up later
 * that week), and the mail the outbox builds from the queued row:
 * multipart/alternative with the text part first and a self-contained
 * HTML part that loads nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "forward.h"
#include "mime.h"
#include "report-mail.h"
#include "sla.h"
#include "store-outbox.h"
#include "store-private.h"
#include "store.h"
#include "test-common.h"
#include "xalloc.h"

static char dir[200];
static int64_t now;

static void
test_due(void **state)
{
	static const struct {
		const char *zone;
		int day; /* 0 Sunday */
		const char *at, *t, *due, *next;
	} cases[] = {
		/* Monday 7 December 2026, a minute before and at 07:00 */
		{ "UTC", 1, "07:00", "2026-12-07T06:59:59Z",
		    "2026-11-30T07:00:00Z", "2026-12-07T07:00:00Z" },
		{ "UTC", 1, "07:00", "2026-12-07T07:00:00Z",
		    "2026-12-07T07:00:00Z", "2026-12-14T07:00:00Z" },
		/* Wednesday and Sunday of the same week */
		{ "UTC", 1, "07:00", "2026-12-09T12:00:00Z",
		    "2026-12-07T07:00:00Z", "2026-12-14T07:00:00Z" },
		{ "UTC", 1, "07:00", "2026-12-13T23:59:59Z",
		    "2026-12-07T07:00:00Z", "2026-12-14T07:00:00Z" },
		/* Friday 17:30 on a Thursday: last week's Friday */
		{ "UTC", 5, "17:30", "2026-12-10T18:00:00Z",
		    "2026-12-04T17:30:00Z", "2026-12-11T17:30:00Z" },
		/* 07:00 in Berlin (CET) is 06:00 UTC */
		{ "Europe/Berlin", 1, "07:00", "2026-12-07T06:30:00Z",
		    "2026-12-07T06:00:00Z", "2026-12-14T06:00:00Z" },
		/* Sunday 29 March 2026 turns CEST at 02:00: 07:00 is
		   05:00 UTC that day, 06:00 the Sunday before */
		{ "Europe/Berlin", 0, "07:00", "2026-03-29T04:59:59Z",
		    "2026-03-22T06:00:00Z", "2026-03-29T05:00:00Z" },
		{ "Europe/Berlin", 0, "07:00", "2026-03-30T00:00:00Z",
		    "2026-03-29T05:00:00Z", "2026-04-05T05:00:00Z" },
	};
	struct sla_hours *zone = NULL;
	struct error err = { 0 };
	int at;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t due;

		assert_int_equal(sla_zone(cases[i].zone, &zone, &err), 0);
		assert_int_equal(sla_parse_hhmm(cases[i].at, &at), 0);
		due = report_mail_due(zone, cases[i].day, at,
		    test_ts(cases[i].t));
		if (due != test_ts(cases[i].due))
			fail_msg("case %zu: due %lld, want %s", i,
			    (long long)due, cases[i].due);
		assert_int_equal(report_mail_next(zone, at, due),
		    test_ts(cases[i].next));
		sla_hours_free(&zone);
	}
}

/* A conf with one mailbox (sales@example.com) and a weekly report. */
static void
make_conf(struct conf *c, struct conf_mailbox *mb)
{
	memset(c, 0, sizeof(*c));
	memset(mb, 0, sizeof(*mb));
	mb->name = "sales";
	mb->address = "sales@example.com";
	mb->queue = "sales";
	c->mailboxes = mb;
	c->n_mailboxes = 1;
	c->timezone = "UTC";
	c->ticket_url = "https://crm.example.com/t/{id}";
	c->report.weekly_to = "boss@example.com, ceo@example.com";
	c->report.day = 1;
	c->report.at = "07:00";
}

static struct store *
open_store(void)
{
	struct error err = { 0 };
	struct store *st = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/weekly.db", dir);
	assert_int_equal(store_open(path, &st, &err), 0);
	store_set_clock(st, test_clock, &now);
	return st;
}

static void
ingest(struct store *st, int n, const char *date)
{
	struct store_ingest_result res;
	char raw[512];

	snprintf(raw, sizeof(raw),
	    "From: Pat <pat%d@buyer.example>\r\nTo: sales@example.com\r\n"
	    "Subject: Quote %d\r\nMessage-ID: <q%d@buyer.example>\r\n"
	    "Date: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\nHello\r\n",
	    n, n, n);
	memset(&res, 0, sizeof(res));
	test_msg_ingest(st, raw, strlen(raw), NULL, test_ts(date), NULL, &res);
}

static void
assert_prefix(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("\"%.80s\" does not start \"%s\"", s, prefix);
}

/* One weekly turn at `at`; returns the queued outbox row (0: none). */
static int64_t
turn(struct store *st, const struct conf *c, const struct sla_hours *zone,
    const char *at, int first)
{
	struct report_weekly res;
	struct error err = { 0 };

	now = test_ts(at);
	if (report_mail_weekly(st, c, NULL, NULL, zone, &res, &err) < 0)
		fail_msg("%s: %s", at, err.msg);
	assert_int_equal(res.first, first);
	return res.outbox_id;
}

/* Nothing an HTML mail client would fetch, run or leave the page for. */
static void
assert_self_contained(const char *html)
{
	static const char *const bad[] = { "<script", "<img", "<link",
		"<iframe", "<object", "<embed", "src=", "url(", "@import",
		"<base", "refresh" };
	const char *p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (strstr(html, bad[i]) != NULL)
			fail_msg("the HTML part holds %s", bad[i]);
	/* the one kind of URL: links to tickets, never loaded */
	for (p = html; (p = strstr(p, "://")) != NULL; p++)
		if (strncmp(p - 5, "https://crm.example.com/t/", 26) != 0 &&
		    strncmp(p - 11, "xmlns=\"http://www.w3.org/", 25) != 0)
			fail_msg("a URL in the HTML part: %.60s", p - 8);
}

/* The mail the outbox sender builds of report row `id`, checked. */
static void
check_mail(struct store *st, int64_t id)
{
	struct store_outbox row = { 0 };
	struct forward_sender s = { 0 };
	struct forward_answer a = { 0 };
	struct forward_mail m = { 0 };
	struct error err = { 0 };
	const char *nl, *plain, *html;
	char *subject;
	struct msg *msg;

	assert_int_equal(store_outbox_get(st, id, &row, &err), 0);
	assert_string_equal(row.kind, "report");
	assert_int_equal(row.ticket_id, 0);
	assert_string_equal(row.rcpt, "boss@example.com, ceo@example.com");
	assert_non_null(row.html);
	nl = strstr(row.note, "\n\n");
	assert_non_null(nl);
	subject = xstrndup(row.note, (size_t)(nl - row.note));
	assert_int_equal(
	    forward_sender_parse("Triage <triage@example.com>", &s, &err), 0);
	a.kind = row.kind;
	a.to = row.rcpt;
	a.subject = subject;
	a.text = nl + 2;
	a.html = row.html;
	a.event_id = row.id;
	assert_int_equal(forward_answer_build(&a, &s, now, &m, &err), 0);
	assert_int_equal(m.n_rcpt, 2);
	plain = strstr(m.data, "Content-Type: text/plain");
	html = strstr(m.data, "Content-Type: text/html");
	assert_non_null(strstr(m.data, "Content-Type: multipart/alternative"));
	assert_true(plain != NULL && html != NULL && plain < html);
	msg = test_msg_parse(m.data, m.len, NULL, now);
	assert_string_equal(msg->content_type, "multipart/alternative");
	assert_string_equal(msg->subject, subject);
	assert_string_equal(msg_header(msg, "Auto-Submitted"), "auto-replied");
	/* the parts decode to what was queued: the report's two renderings */
	assert_string_equal(msg->html, row.html);
	assert_non_null(strstr(msg->text, "Tickets"));
	assert_non_null(strstr(msg->html, "<svg id=\"chart-volume\""));
	assert_self_contained(msg->html);
	msg_free(&msg);
	free(subject);
	forward_mail_clear(&m);
	forward_sender_clear(&s);
	store_outbox_clear(&row);
}

static void
test_weekly(void **state)
{
	struct conf c;
	struct conf_mailbox mb;
	struct sla_hours *hours = NULL, *zone = NULL;
	struct store_outbox row = { 0 };
	struct error err = { 0 };
	struct store *st;
	int64_t id, id2;

	(void)state;
	make_conf(&c, &mb);
	assert_int_equal(report_mail_zones(&c, &hours, &zone, &err), 0);
	assert_null(hours);
	st = open_store();
	now = test_ts("2026-11-25T10:00:00Z");
	ingest(st, 1, "2026-11-25T10:00:00Z"); /* the week before */
	now = test_ts("2026-12-01T10:00:00Z");
	ingest(st, 2, "2026-12-01T10:00:00Z");
	ingest(st, 3, "2026-12-02T10:00:00Z");
	ingest(st, 4, "2026-12-07T06:59:00Z");

	/* the first week seen (due Mon 30 Nov) is only recorded */
	assert_int_equal(turn(st, &c, zone, "2026-12-03T10:00:00Z", 1), 0);
	assert_int_equal(turn(st, &c, zone, "2026-12-07T06:59:59Z", 0), 0);
	/* Monday 7 December 07:00: the week of 30 November, once */
	id = turn(st, &c, zone, "2026-12-07T07:00:00Z", 0);
	assert_true(id > 0);
	assert_int_equal(store_outbox_get(st, id, &row, &err), 0);
	assert_string_equal(row.state, "pending");
	assert_prefix(row.note,
	    "triage weekly report 2026-11-30 to 2026-12-07: "
	    "3 tickets\n\n");
	store_outbox_clear(&row);
	check_mail(st, id);
	assert_int_equal(turn(st, &c, zone, "2026-12-07T07:01:00Z", 0), 0);

	/* a restart that week: nothing more */
	store_close(&st);
	st = open_store();
	assert_int_equal(turn(st, &c, zone, "2026-12-09T09:00:00Z", 0), 0);

	/* down on Monday 14 December, back on Wednesday: sent then */
	id2 = turn(st, &c, zone, "2026-12-16T12:00:00Z", 0);
	assert_true(id2 > id);
	assert_int_equal(store_outbox_get(st, id2, &row, &err), 0);
	assert_prefix(row.note,
	    "triage weekly report 2026-12-07 to 2026-12-14: "
	    "0 tickets\n\n");
	store_outbox_clear(&row);
	assert_int_equal(turn(st, &c, zone, "2026-12-20T12:00:00Z", 0), 0);

	/* a weekly_to that is a mailbox triage reads: refused */
	c.report.weekly_to = "boss@example.com, Sales+weekly@example.com";
	now = test_ts("2026-12-21T08:00:00Z");
	{
		struct report_weekly res;

		assert_int_equal(
		    report_mail_weekly(st, &c, NULL, NULL, zone, &res, &err),
		    -1);
		assert_int_equal(err.code, ERR_CONF);
		assert_non_null(strstr(err.msg, "mailbox 'sales'"));
	}
	store_close(&st);
	sla_hours_free(&zone);
}

/*
 * Schema 12 rebuilds the outbox: every row and column of 11 survives, a
 * ticketless row is a report and a report has no ticket.
 */
static void
test_migrate(void **state)
{
	struct store_outbox row = { 0 };
	struct error err = { 0 };
	struct store *st = NULL;
	char path[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/v11.db", dir);
	assert_int_equal(store_open_raw(path, &st, &err), 0);
	assert_int_equal(store_migrate(st, 11, &err), 0);
	now = test_ts("2026-12-01T10:00:00Z");
	store_set_clock(st, test_clock, &now);
	ingest(st, 1, "2026-12-01T10:00:00Z");
	assert_int_equal(store_exec(st,
			     "INSERT INTO outbox (id, ticket_id, message_id,"
			     " kind, route, rcpt, note, created, state,"
			     " attempts, next_attempt, last_error, sent_at,"
			     " parts_sent, upto_message) VALUES (7, 1, 1,"
			     " 'forward', 'sales', NULL, 'n', 100, 'failed',"
			     " 3, 200, '550 no', NULL, 1, 1)",
			     &err),
	    0);
	assert_int_equal(store_migrate(st, STORE_SCHEMA_VERSION, &err), 0);
	assert_int_equal(store_outbox_get(st, 7, &row, &err), 0);
	assert_int_equal(row.ticket_id, 1);
	assert_int_equal(row.message_row, 1);
	assert_string_equal(row.kind, "forward");
	assert_string_equal(row.route, "sales");
	assert_string_equal(row.note, "n");
	assert_string_equal(row.state, "failed");
	assert_int_equal(row.attempts, 3);
	assert_int_equal(row.next_attempt, 200);
	assert_string_equal(row.last_error, "550 no");
	assert_int_equal(row.parts_sent, 1);
	assert_int_equal(row.upto_message, 1);
	assert_null(row.html);
	store_outbox_clear(&row);
	/* a forward needs its ticket, a report has none */
	assert_int_equal(store_exec(st,
			     "INSERT INTO outbox (kind, route, created)"
			     " VALUES ('forward', 'sales', 1)",
			     &err),
	    -1);
	error_clear(&err);
	assert_int_equal(store_exec(st,
			     "INSERT INTO outbox (ticket_id, kind, created)"
			     " VALUES (1, 'report', 1)",
			     &err),
	    -1);
	error_clear(&err);
	store_close(&st);
}

static int
setup(void **state)
{
	(void)state;
	return test_tmpdir(dir, sizeof(dir), "report-mail");
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
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_weekly),
		cmocka_unit_test(test_migrate),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
