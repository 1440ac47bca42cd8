/*
 * SLA clocks with a controlled clock: business hours across weekends and
 * both 2026 European DST changes (Sun 29 March and Sun 25 October, 01:00
 * UTC), deadlines, a breach reminded exactly once, re-armed on reopen.
 *
 * Instants are written as UTC ("2026-03-27T16:00:00Z"); the comment next
 * to each gives the Berlin wall time the expected figure was worked out
 * from (CET = UTC+1, CEST = UTC+2).
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

#include "sla.h"
#include "test-common.h"

#define H 3600
#define BERLIN "Mon-Fri 09:00-18:00 Europe/Berlin"

static struct sla_hours *
hours(const char *spec)
{
	struct sla_hours *h = NULL;
	struct error err = { 0 };

	if (sla_hours_parse(spec, &h, &err) < 0)
		fail_msg("%s: %s", spec, err.msg);
	return h;
}

static void
test_parse(void **state)
{
	static const struct {
		const char *spec;
		const char *error; /* NULL: parses */
	} cases[] = {
		{ BERLIN, NULL },
		{ "Mon-Fri 09:00-18:00", NULL },
		{ "fri-mon 00:00-24:00 UTC", NULL },
		{ "Mon,Wed,Fri-Sat 08:30-12:00 America/New_York", NULL },
		{ "Mon-Fri", "business hours \"Mon-Fri\": want \"DAYS "
			     "HH:MM-HH:MM [ZONE]\", e.g. \"Mon-Fri 09:00-18:00 "
			     "Europe/Berlin\"" },
		{ "Mon-Fri 09:00-18:00 Europe/Berlin x",
		    "business hours "
		    "\"Mon-Fri 09:00-18:00 Europe/Berlin x\": want \"DAYS "
		    "HH:MM-HH:MM [ZONE]\", e.g. \"Mon-Fri 09:00-18:00 "
		    "Europe/Berlin\"" },
		{ "Mox-Fri 09:00-18:00 UTC",
		    "business hours: unknown day in "
		    "\"Mox-Fri\" (Mon Tue Wed Thu Fri Sat Sun)" },
		{ "Mon-Fri 9:00-18:00 UTC",
		    "business hours: bad window "
		    "\"9:00-18:00\" (want HH:MM-HH:MM)" },
		{ "Mon-Fri 09:00-25:00 UTC",
		    "business hours: bad time \"25:00\"" },
		{ "Mon-Fri 09:60-18:00 UTC",
		    "business hours: bad time \"09:60\"" },
		{ "Mon-Fri 18:00-09:00 UTC",
		    "business hours: closing time "
		    "09:00 is not after opening time 18:00" },
		{ "Mon-Fri 09:00-18:00 Europe/Berln",
		    "business hours: "
		    "unknown time zone \"Europe/Berln\" (an IANA name like "
		    "Europe/Berlin)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sla_hours *h = NULL;
		struct error err = { 0 };
		int r = sla_hours_parse(cases[i].spec, &h, &err);

		if (cases[i].error == NULL) {
			if (r < 0)
				fail_msg("%s: %s", cases[i].spec, err.msg);
			assert_string_equal(sla_hours_spec(h), cases[i].spec);
		} else {
			assert_int_equal(r, -1);
			assert_null(h);
			assert_string_equal(err.msg, cases[i].error);
			assert_int_equal(err.code, ERR_CONF);
		}
		sla_hours_free(&h);
		assert_null(h);
	}
}

static const struct {
	const char *spec; /* NULL: clock time */
	const char *from, *to;
	int64_t want;
} between_cases[] = {
	/* Fri 17:00 CET .. Mon 10:00 CET: 1h Friday + 1h Monday */
	{ BERLIN, "2026-11-20T16:00:00Z", "2026-11-23T09:00:00Z", 2 * H },
	/* Tue 08:00 .. 12:00 CET: opens at 09:00 */
	{ BERLIN, "2026-11-17T07:00:00Z", "2026-11-17T11:00:00Z", 3 * H },
	/* a whole Saturday and Sunday */
	{ BERLIN, "2026-11-20T23:00:00Z", "2026-11-22T23:00:00Z", 0 },
	/* a whole week Mon 00:00 .. Mon 00:00 CET */
	{ BERLIN, "2026-11-15T23:00:00Z", "2026-11-22T23:00:00Z", 45 * H },
	/* spring: Fri 17:00 CET .. Mon 10:00 CEST (08:00Z) */
	{ BERLIN, "2026-03-27T16:00:00Z", "2026-03-30T08:00:00Z", 2 * H },
	/* the DST week, Mon 00:00 CET .. Mon 00:00 CEST: still 5 x 9h */
	{ BERLIN, "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z", 45 * H },
	/* Mon 09:00 CEST is 07:00Z; 07:30Z is half an hour in */
	{ BERLIN, "2026-03-30T06:00:00Z", "2026-03-30T07:30:00Z", H / 2 },
	/* autumn: Fri 17:00 CEST .. Mon 10:00 CET (09:00Z) */
	{ BERLIN, "2026-10-23T15:00:00Z", "2026-10-26T09:00:00Z", 2 * H },
	/* Mon 09:00 CET after the change is 08:00Z */
	{ BERLIN, "2026-10-26T07:00:00Z", "2026-10-26T08:30:00Z", H / 2 },
	/* the change inside the window: Sunday 29 March has 23 hours */
	{ "Sun 00:00-24:00 Europe/Berlin", "2026-03-28T12:00:00Z",
	    "2026-03-30T12:00:00Z", 23 * H },
	/* ... and Sunday 25 October 25 hours */
	{ "Sun 00:00-24:00 Europe/Berlin", "2026-10-24T12:00:00Z",
	    "2026-10-26T12:00:00Z", 25 * H },
	/* Sun-Thu week (Fri/Sat weekend) in UTC */
	{ "Sun-Thu 08:00-16:00", "2026-11-19T15:00:00Z", "2026-11-22T09:00:00Z",
	    2 * H },
	/* empty and reversed spans */
	{ BERLIN, "2026-11-17T11:00:00Z", "2026-11-17T11:00:00Z", 0 },
	{ BERLIN, "2026-11-17T11:00:00Z", "2026-11-17T10:00:00Z", 0 },
	/* no business hours: clock time */
	{ NULL, "2026-11-20T16:00:00Z", "2026-11-23T09:00:00Z", 65 * H },
};

static void
test_business_seconds(void **state)
{
	for (size_t i = 0; i < sizeof(between_cases) / sizeof(between_cases[0]);
	     i++) {
		struct sla_hours *h = between_cases[i].spec != NULL ?
					  hours(between_cases[i].spec) :
					  NULL;
		int64_t got =
		    sla_business_seconds(h, test_ts(between_cases[i].from),
			test_ts(between_cases[i].to));

		if (got != between_cases[i].want)
			fail_msg("case %zu: %s .. %s: got %lld want %lld", i,
			    between_cases[i].from, between_cases[i].to,
			    (long long)got, (long long)between_cases[i].want);
		sla_hours_free(&h);
	}
}

static void
test_deadline(void **state)
{
	static const struct {
		const char *spec;
		const char *from;
		int64_t secs;
		const char *want;
	} cases[] = {
		/* Fri 17:00 CET + 4h: 1h Friday, 3h Monday -> Mon 12:00 */
		{ BERLIN, "2026-11-20T16:00:00Z", 4 * H,
		    "2026-11-23T11:00:00Z" },
		/* across spring: Mon 12:00 CEST */
		{ BERLIN, "2026-03-27T16:00:00Z", 4 * H,
		    "2026-03-30T10:00:00Z" },
		/* from a weekend across autumn: Mon 10:00 CET */
		{ BERLIN, "2026-10-24T10:00:00Z", H, "2026-10-26T09:00:00Z" },
		/* 9h from Wed 10:00: 8h Wednesday, 1h Thursday */
		{ BERLIN, "2026-11-18T09:00:00Z", 9 * H,
		    "2026-11-19T09:00:00Z" },
		/* exactly a working day: closing time, not next morning */
		{ BERLIN, "2026-11-18T08:00:00Z", 9 * H,
		    "2026-11-18T17:00:00Z" },
		/*
		 * sla.acknowledge = 1d of business time: 1h Fri, 9h Mon,
		 * 9h Tue, 5h Wed -> Wed 14:00 CET
		 */
		{ BERLIN, "2026-11-20T16:00:00Z", 24 * H,
		    "2026-11-25T13:00:00Z" },
		{ BERLIN, "2026-11-18T09:00:00Z", 0, "2026-11-18T09:00:00Z" },
		{ NULL, "2026-11-20T16:00:00Z", 4 * H, "2026-11-20T20:00:00Z" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sla_hours *h =
		    cases[i].spec != NULL ? hours(cases[i].spec) : NULL;
		int64_t from = test_ts(cases[i].from);
		int64_t got = sla_business_deadline(h, from, cases[i].secs);

		if (got != test_ts(cases[i].want))
			fail_msg("case %zu: got %lld want %s", i,
			    (long long)got, cases[i].want);
		/* the deadline is where the counted time reaches secs */
		assert_int_equal(sla_business_seconds(h, from, got),
		    cases[i].secs);
		sla_hours_free(&h);
	}
}

/* A small deterministic generator, so failures reproduce. */
static uint64_t
lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 33;
}

/*
 * Against a brute-force oracle: minute by minute, is the desk open?  The
 * windows, the DST changes and the instants all fall on whole minutes,
 * so the oracle is exact.  Spans of up to 4 days, around both 2026 DST
 * changes and in 2071, past the precomputed table.
 */
static void
test_against_brute_force(void **state)
{
	struct sla_hours *h = hours("Mon-Fri 08:30-17:15 Europe/Berlin");
	const int64_t bases[] = { test_ts("2026-03-26T00:00:00Z"),
		test_ts("2026-10-22T00:00:00Z"),
		test_ts("2071-03-26T00:00:00Z") };
	uint64_t seed = 42;

	for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
		for (int i = 0; i < 12; i++) {
			int64_t from =
			    bases[b] + 60 * (int64_t)(lcg(&seed) % (4 * 1440));
			int64_t to =
			    from + 60 * (int64_t)(lcg(&seed) % (4 * 1440));
			int64_t want = 0, got, dl;

			for (int64_t m = from; m < to; m += 60)
				want += 60 * sla_hours_open(h, m);
			got = sla_business_seconds(h, from, to);
			if (got != want)
				fail_msg("%lld..%lld: got %lld want %lld",
				    (long long)from, (long long)to,
				    (long long)got, (long long)want);
			if (want == 0)
				continue;
			/* the deadline is the first instant reaching it */
			dl = sla_business_deadline(h, from, want);
			assert_int_equal(sla_business_seconds(h, from, dl),
			    want);
			assert_true(
			    sla_business_seconds(h, from, dl - 1) < want);
		}
	}
	sla_hours_free(&h);
}

static void
test_open_and_days(void **state)
{
	struct sla_hours *h = hours(BERLIN);
	static const struct {
		const char *t;
		int open;
	} cases[] = {
		{ "2026-11-23T07:59:59Z", 0 }, /* Mon 08:59:59 CET */
		{ "2026-11-23T08:00:00Z", 1 }, /* Mon 09:00 */
		{ "2026-11-23T16:59:59Z", 1 },
		{ "2026-11-23T17:00:00Z", 0 }, /* Mon 18:00 */
		{ "2026-11-21T10:00:00Z", 0 }, /* Saturday */
		{ "2026-03-30T07:00:00Z", 1 }, /* Mon 09:00 CEST */
		{ "2026-03-30T06:59:59Z", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(sla_hours_open(h, test_ts(cases[i].t)),
		    cases[i].open);
	assert_int_equal(sla_hours_open(NULL, 0), 1);
	/* the local day of Sun 29 March 12:00 CEST began 23:00Z before */
	assert_int_equal(
	    sla_day_start(h, sla_local_day(h, test_ts("2026-03-29T10:00:00Z"))),
	    test_ts("2026-03-28T23:00:00Z"));
	/* 00:30 CET on 1 Dec is still 30 Nov in UTC, not in Berlin */
	assert_int_equal(sla_local_day(h, test_ts("2026-11-30T23:30:00Z")),
	    sla_local_day(NULL, test_ts("2026-12-01T12:00:00Z")));
	sla_hours_free(&h);
}

static void
test_digest_next(void **state)
{
	struct sla_hours *h = hours(BERLIN);
	static const struct {
		const char *after, *want;
	} cases[] = {
		/* 08:00 Berlin is 07:00Z in winter */
		{ "2026-11-22T06:59:59Z", "2026-11-22T07:00:00Z" },
		{ "2026-11-22T07:00:00Z", "2026-11-23T07:00:00Z" },
		/* the morning after the spring change is 06:00Z */
		{ "2026-03-28T07:00:00Z", "2026-03-29T06:00:00Z" },
		/* digests run every day, weekends too */
		{ "2026-11-21T08:00:00Z", "2026-11-22T07:00:00Z" },
	};
	int at;

	assert_int_equal(sla_parse_hhmm("08:00", &at), 0);
	assert_int_equal(at, 8 * H);
	assert_int_equal(sla_parse_hhmm("8:00", &at), -1);
	assert_int_equal(sla_parse_hhmm("24:01", &at), -1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(
		    sla_digest_next(h, 8 * H, test_ts(cases[i].after)),
		    test_ts(cases[i].want));
	assert_int_equal(
	    sla_digest_next(NULL, 8 * H, test_ts("2026-11-22T08:00:00Z")),
	    test_ts("2026-11-23T08:00:00Z"));
	sla_hours_free(&h);
}

/*
 * A fake daemon tick: evaluate, and when a reminder is due "send" it by
 * recording which clock it was for, as the daemon records an event.
 */
static int
tick(const struct sla_policy *p, struct sla_ticket *t, int64_t now,
    struct sla_result *r)
{
	sla_evaluate(p, t, now, r);
	if (r->remind) {
		t->reminded_clock = r->clock;
		t->reminded_since = t->since;
	}
	return r->remind;
}

static void
test_breach_once_and_rearm(void **state)
{
	struct sla_policy p = { .claim = 4 * H, .acknowledge = 24 * H };
	int64_t t0 = test_ts("2026-11-20T10:00:00Z");
	struct sla_ticket t = { .state = SLA_STATE_NEW, .since = t0 };
	struct sla_result r;
	static const struct {
		int64_t at; /* seconds after the clock started */
		enum sla_status status;
		int remind;
	} walk[] = {
		{ 0, SLA_OK, 0 },
		{ 3 * H - 1, SLA_OK, 0 },
		{ 3 * H, SLA_AT_RISK, 0 }, /* 75% of 4h */
		{ 4 * H - 1, SLA_AT_RISK, 0 },
		{ 4 * H, SLA_BREACHED, 1 }, /* exactly at the boundary */
		{ 4 * H, SLA_BREACHED, 0 }, /* the same tick again */
		{ 4 * H + 1, SLA_BREACHED, 0 },
		{ 40 * H, SLA_BREACHED, 0 },
	};
	int sent = 0;

	for (size_t i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		sent += tick(&p, &t, t0 + walk[i].at, &r);
		assert_int_equal(r.clock, SLA_CLOCK_CLAIM);
		assert_int_equal(r.status, walk[i].status);
		assert_int_equal(r.remind, walk[i].remind);
		assert_int_equal(r.deadline, t0 + 4 * H);
	}
	/* every second of the first six hours: still one reminder */
	t.reminded_clock = SLA_CLOCK_NONE;
	sent = 0;
	for (int64_t s = 0; s < 6 * H; s++)
		sent += tick(&p, &t, t0 + s, &r);
	assert_int_equal(sent, 1);

	/* claimed: no clock runs, nothing pending */
	t.state = SLA_STATE_CLAIMED;
	t.since = t0 + 5 * H;
	tick(&p, &t, t0 + 50 * H, &r);
	assert_int_equal(r.clock, SLA_CLOCK_NONE);
	assert_int_equal(r.remind, 0);
	assert_true(r.next_check == SLA_NEVER);

	/* reopened: a fresh claim clock, which reminds once more */
	t.state = SLA_STATE_NEW;
	t.since = t0 + 60 * H;
	assert_int_equal(tick(&p, &t, t.since + 4 * H - 1, &r), 0);
	assert_int_equal(r.next_check, t.since + 4 * H);
	assert_int_equal(tick(&p, &t, t.since + 4 * H, &r), 1);
	assert_int_equal(tick(&p, &t, t.since + 5 * H, &r), 0);

	/* routed at the same instant: the acknowledge clock is its own */
	t.state = SLA_STATE_ROUTED;
	assert_int_equal(tick(&p, &t, t.since + 24 * H - 1, &r), 0);
	assert_int_equal(r.clock, SLA_CLOCK_ACK);
	assert_int_equal(tick(&p, &t, t.since + 24 * H, &r), 1);
	assert_int_equal(tick(&p, &t, t.since + 25 * H, &r), 0);

	/* acknowledged: done */
	t.state = SLA_STATE_ACKED;
	assert_int_equal(tick(&p, &t, t.since + 99 * H, &r), 0);
	assert_int_equal(r.status, SLA_OK);
}

static void
test_business_clock(void **state)
{
	struct sla_hours *h = hours(BERLIN);
	struct sla_policy p = { .claim = 4 * H, .hours = h };
	/* arrives Fri 17:00 CET: deadline Mon 12:00, at risk Mon 11:00 */
	struct sla_ticket t = { .state = SLA_STATE_NEW,
		.since = test_ts("2026-11-20T16:00:00Z") };
	static const struct {
		const char *now;
		enum sla_status status;
		int64_t elapsed;
		int remind;
	} walk[] = {
		{ "2026-11-21T12:00:00Z", SLA_OK, H, 0 }, /* Saturday */
		{ "2026-11-23T09:59:59Z", SLA_OK, 3 * H - 1, 0 },
		{ "2026-11-23T10:00:00Z", SLA_AT_RISK, 3 * H, 0 },
		{ "2026-11-23T10:59:59Z", SLA_AT_RISK, 4 * H - 1, 0 },
		{ "2026-11-23T11:00:00Z", SLA_BREACHED, 4 * H, 1 },
		{ "2026-11-23T11:00:01Z", SLA_BREACHED, 4 * H + 1, 0 },
	};
	struct sla_result r;

	for (size_t i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		tick(&p, &t, test_ts(walk[i].now), &r);
		assert_int_equal(r.status, walk[i].status);
		assert_int_equal(r.elapsed, walk[i].elapsed);
		assert_int_equal(r.remind, walk[i].remind);
		assert_int_equal(r.deadline, test_ts("2026-11-23T11:00:00Z"));
		assert_int_equal(r.at_risk_at, test_ts("2026-11-23T10:00:00Z"));
	}
	sla_hours_free(&h);
}

static void
test_names(void **state)
{
	enum sla_state s;

	assert_string_equal(sla_clock_name(SLA_CLOCK_ACK), "acknowledge");
	assert_string_equal(sla_status_name(SLA_AT_RISK), "at-risk");
	assert_int_equal(sla_state_parse("ignored", &s), 0);
	assert_int_equal(s, SLA_STATE_CLOSED);
	assert_int_equal(sla_state_parse("routed", &s), 0);
	assert_int_equal(s, SLA_STATE_ROUTED);
	assert_int_equal(sla_state_parse("bogus", &s), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_business_seconds),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_against_brute_force),
		cmocka_unit_test(test_open_and_days),
		cmocka_unit_test(test_digest_next),
		cmocka_unit_test(test_breach_once_and_rearm),
		cmocka_unit_test(test_business_clock),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
