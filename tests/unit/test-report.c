/*
 * The report: nearest-rank percentiles against hand-computed answers,
 * report_finish on the fixture report (tests/fixtures/report/
 * fixture-report.h, whose comment shows the arithmetic), and each
 * renderer read back: text width, JSON figures, CSV quoting, the HTML
 * charts' data.
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
#include <json-c/json.h>

#include "../fixtures/report/fixture-report.h"
#include "buf.h"
#include "report-private.h"
#include "sla.h"
#include "test-common.h"
#include "xalloc.h"

#define OUT_CAP (4u * 1024 * 1024)

static void
test_percentile(void **state)
{
	static const int64_t one_to_ten[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	static const int64_t one_to_seven[] = { 1, 2, 3, 4, 5, 6, 7 };
	static const int64_t two[] = { 10, 20 };
	static const int64_t single[] = { 42 };
	static const int64_t ties[] = { 5, 5, 5, 9 };
	static const struct {
		const int64_t *v;
		size_t n;
		int pct;
		int64_t want;
	} cases[] = {
		{ NULL, 0, 50, 0 },
		{ single, 1, 50, 42 },
		{ single, 1, 90, 42 },
		/* rank ceil(0.5 * 10) = 5, ceil(0.9 * 10) = 9 */
		{ one_to_ten, 10, 50, 5 },
		{ one_to_ten, 10, 90, 9 },
		{ one_to_ten, 10, 91, 10 },
		{ one_to_ten, 10, 100, 10 },
		{ one_to_ten, 10, 1, 1 },
		/* rank ceil(3.5) = 4, ceil(6.3) = 7 */
		{ one_to_seven, 7, 50, 4 },
		{ one_to_seven, 7, 90, 7 },
		/* the lower middle for an even count */
		{ two, 2, 50, 10 },
		{ two, 2, 90, 20 },
		{ ties, 4, 50, 5 },
		{ ties, 4, 75, 5 },
		{ ties, 4, 76, 9 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got =
		    report_percentile(cases[i].v, cases[i].n, cases[i].pct);

		if (got != cases[i].want)
			fail_msg("case %zu: got %lld want %lld", i,
			    (long long)got, (long long)cases[i].want);
	}
}

static int
i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * report_finish selects instead of sorting: it must agree with sorting
 * and report_percentile on every size, with duplicates and runs.
 */
static void
test_selection_matches_sort(void **state)
{
	uint64_t x = 7;

	for (size_t n = 1; n <= 300; n++) {
		struct report r;
		int64_t *sorted = xcalloc(n, sizeof(*sorted));
		int64_t range = n % 3 == 0 ? 4 : 100000; /* many ties */

		report_init(&r, 0, 1);
		for (size_t i = 0; i < n; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			sorted[i] = n % 5 == 0 ?
					(int64_t)i :
					(int64_t)((x >> 33) % (uint64_t)range);
			report_durations_add(&r.times[REPORT_TO_CLAIM],
			    sorted[i], sorted[i]);
		}
		qsort(sorted, n, sizeof(*sorted), i64_cmp);
		report_finish(&r);
		assert_int_equal(r.times[REPORT_TO_CLAIM].clock_stat.median,
		    report_percentile(sorted, n, 50));
		assert_int_equal(r.times[REPORT_TO_CLAIM].clock_stat.p90,
		    report_percentile(sorted, n, 90));
		report_clear(&r);
		free(sorted);
	}
}

static void
test_finish(void **state)
{
	struct report r;
	static const struct {
		enum report_time t;
		size_t n;
		int64_t med, p90, bmed, bp90;
	} times[] = {
		{ REPORT_TO_CLAIM, 10, 3000, 28800, 3000, 10800 },
		{ REPORT_TO_ROUTE, 5, 10800, 172800, 5400, 86400 },
		{ REPORT_TO_ACK, 4, 3600, 7200, 3600, 7200 },
		{ REPORT_TO_RESPONSE, 0, 0, 0, 0, 0 },
	};
	static const int64_t hist[REPORT_HIST_BUCKETS] = { 1, 1, 3, 1, 1, 1, 1,
		1, 0 };

	fixture_report(&r);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		const struct report_durations *d = &r.times[times[i].t];

		assert_int_equal(d->clock_stat.n, times[i].n);
		assert_int_equal(d->clock_stat.median, times[i].med);
		assert_int_equal(d->clock_stat.p90, times[i].p90);
		assert_int_equal(d->business_stat.median, times[i].bmed);
		assert_int_equal(d->business_stat.p90, times[i].bp90);
	}
	for (size_t i = 0; i < REPORT_HIST_BUCKETS; i++)
		assert_int_equal(r.hist[i], hist[i]);
	/* sorted: most first, ties by name; days by date; BDRs by name */
	assert_string_equal(r.by_mailbox.v[0].key, "sales");
	assert_int_equal(r.by_mailbox.v[0].n, 8);
	assert_string_equal(r.by_queue.v[1].key, "community");
	assert_string_equal(r.by_queue.v[2].key, "support");
	assert_string_equal(r.by_day.v[0].key, "2026-11-16");
	assert_string_equal(r.by_day.v[6].key, "2026-11-22");
	assert_int_equal(report_counts_get(&r.by_day, "2026-11-19"), 4);
	assert_int_equal(report_counts_get(&r.by_day, "2026-12-01"), 0);
	assert_string_equal(r.bdrs[0].name, "alice");
	assert_int_equal(r.bdrs[0].to_claim.clock_stat.median, 3000);
	assert_int_equal(r.bdrs[0].to_claim.clock_stat.p90, 14400);
	assert_int_equal(r.bdrs[1].to_claim.clock_stat.median, 2400);
	assert_int_equal(r.bdrs[1].to_claim.clock_stat.p90, 90000);
	assert_int_equal(r.stories.v[0].id, 17);
	assert_int_equal(r.breaches.v[0].id, 7);
	report_clear(&r);
	report_clear(&r);
}

static char *
render(enum report_format f)
{
	struct report r;
	struct buf out;
	struct error err = { 0 };

	fixture_report(&r);
	buf_init(&out, OUT_CAP);
	if (report_render(&r, f, &out, &err) < 0)
		fail_msg("render: %s", err.msg);
	report_clear(&r);
	return buf_steal(&out);
}

/* Columns a line takes on a terminal: UTF-8 sequences count once. */
static size_t
columns(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static void
test_text(void **state)
{
	char *text = render(REPORT_TEXT);
	/* Lines whose figures were worked out by hand (see the fixture). */
	static const char *const want[] = {
		"Tickets: 12",
		"  to claim               10       50m    8h 00m         50m"
		"    3h 00m",
		"  to route                5    3h 00m    2d 00h      1h 30m"
		"    1d 00h",
		"  to first response       0         -         -           -"
		"         -",
		"  alice              6      3     3     1      50m   4h 00m"
		"   3h 00m   2d 00h",
		"  bob                4      2     1     1      40m   1d 01h"
		"   2h 00m   1d 00h",
		/* conversion from the step before; the previous week */
		"  received           12                                8  "
		"+4 (+50.0%)",
		"  claimed            10  83.3% of received             6  "
		"+4 (+66.7%)",
		"  acknowledged        4  80.0% of routed               4  "
		"0 (0.0%)",
		"  qualified           4  33.3% of received             2  "
		"+2 (+100.0%)",
		"  30m-1h                              3  "
		"##############################",
		"SLA breaches: 3 (claim 2, acknowledge 1)",
		/* breaches summed up; the oldest deadlines first */
		"  sales                               2  "
		"##############################",
		"  support                             1  ###############",
		"  #7       claim       alice      2026-11-16T14:00 2h 00m  "
		"SSO and audit log?",
		"  #9       claim       -          2026-11-17T15:00 10m     "
		"Quote for 50 seats",
		"  münchen-meetup-and-a-very-l~        1  ######",
	};
	size_t lines = 0;

	for (const char *p = text; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);

		if (columns(p, len) > 80)
			fail_msg("line wider than 80: %.*s", (int)len, p);
		if (len > 0 && p[len - 1] == ' ')
			fail_msg("trailing blank: %.*s", (int)len, p);
		lines++;
		p += len + (nl != NULL);
	}
	assert_true(lines > 60);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *line;

		xasprintf(&line, "\n%s\n", want[i]);
		if (strstr(text, line) == NULL)
			fail_msg("missing line: %s", want[i]);
		free(line);
	}
	free(text);
}

/* Follow "a.b.0.c"; *found_r says whether the last member exists. */
static json_object *
path_ex(json_object *o, const char *p, int *found_r)
{
	char *copy = xstrdup(p), *save = NULL;
	int found = 1;

	for (char *k = strtok_r(copy, ".", &save); k != NULL;
	     k = strtok_r(NULL, ".", &save)) {
		if (o == NULL) {
			found = 0;
			break;
		}
		if (json_object_is_type(o, json_type_array)) {
			o = json_object_array_get_idx(o, (size_t)atoi(k));
			found = o != NULL;
		} else {
			found = json_object_object_get_ex(o, k, &o);
			if (!found)
				o = NULL;
		}
	}
	free(copy);
	*found_r = found;
	return o;
}

static json_object *
path(json_object *o, const char *p)
{
	int found;

	return path_ex(o, p, &found);
}

static void
test_json(void **state)
{
	char *text = render(REPORT_JSON);
	json_object *root = json_tokener_parse(text);
	static const struct {
		const char *path;
		int64_t want;
	} ints[] = {
		{ "tickets", 12 },
		{ "volume.mailbox.sales", 8 },
		{ "volume.day.2026-11-19", 4 },
		{ "volume.day.2026-11-18", 0 },
		{ "times.claim.n", 10 },
		{ "times.claim.median", 3000 },
		{ "times.claim.p90", 28800 },
		{ "times.claim.business_median", 3000 },
		{ "times.claim.business_p90", 10800 },
		{ "times.route.p90", 172800 },
		{ "times.acknowledge.median", 3600 },
		{ "claim_histogram.2.count", 3 },
		{ "claim_histogram.2.below", 3600 },
		{ "bdrs.0.claimed", 6 },
		{ "bdrs.0.claim.p90", 14400 },
		{ "bdrs.1.disqualified", 1 },
		{ "bdrs.1.claim.median", 2400 },
		{ "funnel.received", 12 },
		{ "funnel.qualified", 4 },
		{ "ee_leads", 3 },
		{ "competitors.github", 2 },
		{ "stories.1.id", 42 },
		{ "breaches.total", 3 },
		{ "breaches.claim", 2 },
		{ "breaches.tickets.0.late", 7200 },
	};
	static const struct {
		const char *path;
		const char *want; /* NULL: JSON null */
	} strs[] = {
		{ "period.from", "2026-11-16T00:00:00Z" },
		{ "period.to", "2026-11-23T00:00:00Z" },
		{ "period.mailbox", NULL },
		{ "bdrs.0.name", "alice" },
		{ "times.first_response.median", NULL },
		{ "stories.1.subject", FIXTURE_STORY_SUBJECT },
		{ "stories.1.account", "Acme, Inc." },
		{ "stories.1.url", "https://triage.example.com/t/42" },
		{ "stories.0.account", NULL },
		{ "breaches.tickets.1.owner", NULL },
		{ "breaches.tickets.2.clock", "acknowledge" },
		{ "claim_histogram.8.below", NULL },
	};

	assert_non_null(root);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		json_object *o = path(root, ints[i].path);

		if (o == NULL || !json_object_is_type(o, json_type_int))
			fail_msg("%s: not an integer", ints[i].path);
		assert_int_equal(json_object_get_int64(o), ints[i].want);
	}
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		int found;
		json_object *o = path_ex(root, strs[i].path, &found);

		/* a null member must exist, and reads as NULL */
		if (!found)
			fail_msg("%s missing", strs[i].path);
		if (strs[i].want == NULL) {
			assert_null(o);
			continue;
		}
		if (o == NULL)
			fail_msg("%s missing", strs[i].path);
		assert_string_equal(json_object_get_string(o), strs[i].want);
	}
	json_object_put(root);
	free(text);
}

/*
 * Split RFC 4180 text into records of fields, checking the quoting is
 * well-formed; returns the number of records, each must have 4 fields.
 */
static size_t
csv_records(const char *s, char fields[][4][256], size_t max)
{
	size_t n = 0;

	while (*s != '\0' && n < max) {
		for (int f = 0; f < 4; f++) {
			size_t len = 0;

			if (*s == '"') {
				for (s++;; s++) {
					assert_true(*s != '\0');
					if (*s == '"' && s[1] == '"')
						s++;
					else if (*s == '"')
						break;
					fields[n][f][len++] = *s;
				}
				s++;
			} else {
				while (*s != ',' && *s != '\r' && *s != '\0')
					fields[n][f][len++] = *s++;
			}
			fields[n][f][len] = '\0';
			if (f < 3) {
				assert_int_equal(*s, ',');
				s++;
			}
		}
		assert_int_equal(s[0], '\r');
		assert_int_equal(s[1], '\n');
		s += 2;
		n++;
	}
	return n;
}

static void
test_csv(void **state)
{
	static char fields[512][4][256];
	char *text = render(REPORT_CSV);
	static const char *const want[][4] = {
		{ "section", "name", "metric", "value" },
		{ "period", "from", "", "2026-11-16T00:00:00Z" },
		{ "volume_mailbox", "sales", "tickets", "8" },
		{ "volume_day", "2026-11-18", "tickets", "0" },
		{ "times", "claim", "median_seconds", "3000" },
		{ "times", "claim", "business_p90_seconds", "10800" },
		{ "times", "first_response", "median_seconds", "" },
		{ "bdr", "bob", "claim_p90_seconds", "90000" },
		{ "funnel", "disqualified", "tickets", "2" },
		{ "story", "42", "subject", FIXTURE_STORY_SUBJECT },
		{ "story", "42", "account", "Acme, Inc." },
		{ "breach", "11", "late_seconds", "3600" },
	};
	size_t n = csv_records(text, fields, 512);

	assert_true(n > 50 && n < 512);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t j;

		for (j = 0; j < n; j++) {
			if (strcmp(fields[j][0], want[i][0]) == 0 &&
			    strcmp(fields[j][1], want[i][1]) == 0 &&
			    strcmp(fields[j][2], want[i][2]) == 0)
				break;
		}
		if (j == n)
			fail_msg("no row %s,%s,%s", want[i][0], want[i][1],
			    want[i][2]);
		assert_string_equal(fields[j][3], want[i][3]);
	}
	/* the exact quoting of the awkward subject */
	assert_non_null(strstr(text, "story,42,subject,\"Acme, Inc. moved "
				     "400 \"\"repos\"\" <fast>\"\r\n"));
	free(text);
}

/*
 * CSV injection: customer text starting with = + - @ tab or CR gets a
 * leading quote and is quoted (OWASP); the report's own numbers, even
 * negative ones, stay bare numbers.
 */
static void
test_csv_formula(void **state)
{
	static const struct {
		const char *subject;
		const char *want; /* the whole row */
	} cases[] = {
		{ "=HYPERLINK(\"http://x\",\"y\")",
		    "story,17,subject,\"'=HYPERLINK(\"\"http://x\"\","
		    "\"\"y\"\")\"\r\n" },
		{ "+1+cmd|' /C calc'!A0", "story,17,subject,\"'+1+cmd|' /C "
					  "calc'!A0\"\r\n" },
		{ "-2+3", "story,17,subject,\"'-2+3\"\r\n" },
		{ "@SUM(1+1)", "story,17,subject,\"'@SUM(1+1)\"\r\n" },
		{ "\t=1", "story,17,subject,\"'\t=1\"\r\n" },
		{ "\r=1", "story,17,subject,\"'\r=1\"\r\n" },
		{ "a=1", "story,17,subject,a=1\r\n" },
		{ "'=1", "story,17,subject,'=1\r\n" },
		{ "", "story,17,subject,\r\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct report r;
		struct buf out;
		struct error err = { 0 };
		char *text;

		fixture_report(&r);
		assert_int_equal(r.stories.v[0].id, 17);
		free(r.stories.v[0].subject);
		r.stories.v[0].subject = xstrdup(cases[i].subject);
		free(r.stories.v[0].customer);
		r.stories.v[0].customer = xstrdup("-@evil.example");
		r.breaches.v[0].late = -600;
		buf_init(&out, OUT_CAP);
		if (report_render(&r, REPORT_CSV, &out, &err) < 0)
			fail_msg("render: %s", err.msg);
		text = buf_steal(&out);
		if (strstr(text, cases[i].want) == NULL)
			fail_msg("case %zu: no row %s", i, cases[i].want);
		assert_non_null(
		    strstr(text, "story,17,customer,\"'-@evil.example\"\r\n"));
		assert_non_null(strstr(text, ",late_seconds,-600\r\n"));
		free(text);
		report_clear(&r);
	}
}

/*
 * Axis ticks: the step is 1, 2 or 5 x 10^k, at most REPORT_AXIS_TICKS
 * steps reach the top, the top covers the maximum; checked against the
 * definition for every maximum up to 100000 and by hand for a few
 * ("2.5 shown as 2": a maximum of 10 had ticks 0 2.5 5 7.5 10).
 */
static void
test_axis(void **state)
{
	static const struct {
		int64_t max, step, top;
	} hand[] = {
		{ 0, 1, 1 },
		{ 1, 1, 1 },
		{ 3, 1, 3 },
		{ 6, 2, 6 },
		{ 10, 2, 10 },
		{ 11, 5, 15 },
		{ 26, 10, 30 },
		{ 999, 200, 1000 },
		{ 1001, 500, 1500 },
	};
	int64_t step, top;

	(void)state;
	for (size_t i = 0; i < sizeof(hand) / sizeof(hand[0]); i++) {
		top = report_axis(hand[i].max, &step);
		assert_int_equal(step, hand[i].step);
		assert_int_equal(top, hand[i].top);
	}
	for (int64_t max = 1; max <= 100000; max++) {
		int64_t m = step = 0, smaller;

		top = report_axis(max, &step);
		for (m = step; m % 10 == 0; m /= 10)
			;
		assert_true(m == 1 || m == 2 || m == 5);
		assert_true(top >= max && top % step == 0);
		assert_true(top / step <= REPORT_AXIS_TICKS);
		/* no smaller nice step would do */
		smaller =
		    m == 1 ? step / 2 : (m == 2 ? step / 2 : step * 2 / 5);
		if (smaller > 0)
			assert_true(
			    (max + smaller - 1) / smaller > REPORT_AXIS_TICKS);
	}
}

static void
test_change(void **state)
{
	static const struct {
		int64_t n, prev;
		const char *want;
	} cases[] = {
		{ 12, 8, "+4 (+50.0%)" },
		{ 10, 6, "+4 (+66.7%)" },
		{ 2, 3, "-1 (-33.3%)" },
		{ 4, 4, "0 (0.0%)" },
		{ 5, 0, "+5" },
		{ 0, 0, "0" },
		{ 0, 7, "-7 (-100.0%)" },
	};
	char buf[48];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		report_fmt_change(cases[i].n, cases[i].prev, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
	report_fmt_rate(833, buf, sizeof(buf));
	assert_string_equal(buf, "83.3%");
	report_fmt_rate(-1, buf, sizeof(buf));
	assert_string_equal(buf, "-");
}

/*
 * Thousands of breaches: the summary counts all of them per queue and
 * owner and names the REPORT_OLDEST_BREACHES earliest deadlines, in
 * order; the full list stays for CSV and JSON.
 */
static void
test_breach_summary(void **state)
{
	const size_t n = 3000;
	struct report r;
	int64_t *deadlines = xcalloc(n, sizeof(*deadlines));
	int64_t queue_a = 0;

	(void)state;
	report_init(&r, 0, 86400);
	srand(17);
	for (size_t i = 0; i < n; i++) {
		struct report_ticket *t = report_tickets_add(&r.breaches,
		    (int64_t)i + 1, "s", NULL, NULL, i % 3 ? "alice" : "bob");

		t->queue = xstrdup(i % 4 ? "sales" : "support");
		queue_a += i % 4 != 0;
		t->at = deadlines[i] = 1000000 + rand() % 500000;
		t->clock = xstrdup("claim");
	}
	report_finish(&r);
	assert_int_equal(r.breaches.n, n);
	assert_int_equal(report_counts_get(&r.breach_queues, "sales"), queue_a);
	assert_int_equal(report_counts_get(&r.breach_queues, "support"),
	    (int64_t)n - queue_a);
	assert_string_equal(r.breach_queues.v[0].key, "sales");
	assert_int_equal(report_counts_get(&r.breach_owners, "bob"),
	    (int64_t)(n + 2) / 3);
	assert_int_equal(r.n_oldest, REPORT_OLDEST_BREACHES);
	/* the k-th oldest is the k-th smallest deadline */
	qsort(deadlines, n, sizeof(*deadlines), i64_cmp);
	for (size_t k = 0; k < r.n_oldest; k++)
		assert_int_equal(r.breaches.v[r.oldest[k]].at, deadlines[k]);
	free(deadlines);
	report_clear(&r);
}

/* The x of every <text class="label"> of one chart, in order. */
static size_t
label_xs(const char *svg, double *xs, size_t max, size_t *widest_r)
{
	const char *p = svg;
	size_t n = 0;

	*widest_r = 0;
	while (
	    (p = strstr(p, "<text class=\"label\" x=\"")) != NULL && n < max) {
		const char *gt, *lt;

		xs[n++] =
		    strtod(p + strlen("<text class=\"label\" x=\""), NULL);
		gt = strchr(p, '>');
		lt = strchr(gt, '<');
		if ((size_t)(lt - gt - 1) > *widest_r)
			*widest_r = (size_t)(lt - gt - 1);
		p = lt;
	}
	return n;
}

/*
 * The volume chart at any length: tick labels are exact multiples of a
 * nice step, category labels never overlap (each shown one has its
 * width, 7.5 px a character, before the next) and none sticks out of
 * the 560-wide chart.
 */
static void
test_html_axis(void **state)
{
	const size_t lengths[] = { 1, 7, 31, 92, 104, 400 };
	struct error err = { 0 };

	(void)state;
	for (size_t c = 0; c < sizeof(lengths) / sizeof(lengths[0]); c++) {
		struct report r;
		struct buf out;
		char *html, *svg, *end;
		double xs[512];
		size_t n, widest;

		report_init(&r, 0, (int64_t)lengths[c] * 86400);
		r.bucket =
		    lengths[c] > 92 ? REPORT_BUCKET_WEEK : REPORT_BUCKET_DAY;
		for (size_t i = 0; i < lengths[c]; i++) {
			char key[16];

			snprintf(key, sizeof(key), "2026-%02zu-%02zu",
			    i / 28 % 12 + 1, i % 28 + 1);
			report_counts_add(&r.by_day, key,
			    (int64_t)(i * 7919 % 10));
		}
		report_finish(&r);
		buf_init(&out, OUT_CAP);
		assert_int_equal(report_render(&r, REPORT_HTML, &out, &err), 0);
		html = buf_steal(&out);
		svg = strstr(html, "<svg id=\"chart-volume\"");
		assert_non_null(svg);
		end = strstr(svg, "</svg>");
		*end = '\0';
		n = label_xs(svg, xs, 512, &widest);
		assert_true(n >= 1);
		for (size_t i = 0; i + 1 < n; i++)
			assert_true(xs[i + 1] - xs[i] >= widest * 7.5);
		assert_true(xs[0] - widest * 7.5 / 2 >= 0);
		assert_true(xs[n - 1] + widest * 7.5 / 2 <= 560);
		/* ticks: 0, step, 2 step ... each printed whole */
		{
			int64_t ticks[16];
			size_t k = 0;
			char *e;

			for (const char *p = svg;
			     k < 16 &&
			     (p = strstr(p, "<text class=\"tick\"")) != NULL;
			     p++) {
				ticks[k++] =
				    strtoll(strchr(p, '>') + 1, &e, 10);
				assert_int_equal(*e, '<');
			}
			assert_true(k >= 2 && ticks[0] == 0);
			for (size_t i = 2; i < k; i++)
				assert_int_equal(ticks[i] - ticks[i - 1],
				    ticks[1]);
		}
		free(html);
		report_clear(&r);
	}
}

static void
test_html(void **state)
{
	char *html = render(REPORT_HTML);
	/* Each chart's <svg>, and data inside it, in order. */
	static const struct {
		const char *chart;
		const char *data[8];
	} charts[] = {
		{ "chart-volume",
		    { "data-label=\"11-16\" data-value=\"1\"",
			"data-label=\"11-18\" data-value=\"0\"",
			"<title>11-19: 4 tickets</title>",
			"data-label=\"11-22\" data-value=\"2\"" } },
		{ "chart-funnel",
		    { "<title>received: 12</title>",
			"data-label=\"claimed\" data-value=\"10\"",
			"data-label=\"acknowledged\" data-value=\"4\"",
			"data-label=\"disqualified\" data-value=\"2\"" } },
		{ "chart-claim",
		    { "data-label=\"&lt;15m\" data-value=\"1\"",
			"<title>30m-1h: 3 tickets</title>",
			"data-label=\"&gt;3d\" data-value=\"0\"" } },
		{ "chart-bdr",
		    { "data-label=\"alice claimed\" "
		      "data-value=\"6\"",
			"<title>alice qualified: 3</title>",
			"data-label=\"bob routed\" data-value=\"2\"" } },
	};
	static const char *const absent[] = { "<script", "<link",
		"src=", "url(", "@import", "<fast>", "<img" };

	for (size_t i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
		char *open, *start, *end;

		xasprintf(&open, "<svg id=\"%s\"", charts[i].chart);
		start = strstr(html, open);
		if (start == NULL)
			fail_msg("no %s", open);
		end = strstr(start, "</svg>");
		assert_non_null(end);
		*end = '\0';
		for (size_t k = 0; charts[i].data[k] != NULL; k++) {
			if (strstr(start, charts[i].data[k]) == NULL)
				fail_msg("%s lacks %s", charts[i].chart,
				    charts[i].data[k]);
		}
		*end = '<';
		free(open);
	}
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		if (strstr(html, absent[i]) != NULL)
			fail_msg("page contains %s", absent[i]);
	}
	assert_non_null(strstr(html, "Acme, Inc. moved 400 &quot;repos&quot; "
				     "&lt;fast&gt;"));
	assert_non_null(strstr(html, "<a href=\"https://triage.example.com/"
				     "t/42\">#42</a>"));
	assert_non_null(strstr(html,
	    "<td>to claim</td><td class=\"n\">10"
	    "</td><td class=\"n\">50m</td><td class=\"n\">8h 00m</td>"));
	assert_non_null(strstr(html, "@media print"));
	assert_non_null(strstr(html, "<title>triage report 2026-11-16 .. "
				     "2026-11-23</title>"));
	free(html);
}

static void
test_cap_and_formats(void **state)
{
	static const struct {
		const char *name;
		enum report_format f;
	} formats[] = {
		{ "text", REPORT_TEXT },
		{ "json", REPORT_JSON },
		{ "csv", REPORT_CSV },
		{ "html", REPORT_HTML },
	};
	enum report_format f;
	struct report r;
	struct buf out;
	struct error err = { 0 };

	fixture_report(&r);
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		assert_int_equal(report_format_parse(formats[i].name, &f), 0);
		assert_int_equal(f, formats[i].f);
		/* too small a cap fails cleanly, never truncates silently */
		buf_init(&out, 200);
		assert_int_equal(report_render(&r, f, &out, &err), -1);
		assert_string_equal(err.msg, "report larger than 200 bytes");
		buf_free(&out);
	}
	assert_int_equal(report_format_parse("pdf", &f), -1);
	report_clear(&r);
}

static void
test_period(void **state)
{
	struct sla_hours *berlin = NULL;
	struct error err = { 0 };
	/* "now" is Sunday 22 November 2026, 18:00Z */
	static const struct {
		const char *since, *from, *to;
		int zoned;			 /* dates in Europe/Berlin */
		const char *want_from, *want_to; /* NULL: error */
		const char *error;
	} cases[] = {
		{ NULL, NULL, NULL, 0, "2026-11-15T18:00:00Z",
		    "2026-11-22T18:00:00Z", NULL },
		{ "24h", NULL, NULL, 0, "2026-11-21T18:00:00Z",
		    "2026-11-22T18:00:00Z", NULL },
		{ "2w", NULL, NULL, 0, "2026-11-08T18:00:00Z",
		    "2026-11-22T18:00:00Z", NULL },
		{ "90m", NULL, NULL, 0, "2026-11-22T16:30:00Z",
		    "2026-11-22T18:00:00Z", NULL },
		/* the config's duration syntax, sums included */
		{ "1h30m", NULL, NULL, 0, "2026-11-22T16:30:00Z",
		    "2026-11-22T18:00:00Z", NULL },
		{ "1d12h", NULL, NULL, 0, "2026-11-21T06:00:00Z",
		    "2026-11-22T18:00:00Z", NULL },
		/* --to's day is included */
		{ NULL, "2026-11-01", "2026-11-07", 0, "2026-11-01T00:00:00Z",
		    "2026-11-08T00:00:00Z", NULL },
		/* local days: Berlin midnight is 23:00Z the day before */
		{ NULL, "2026-11-01", "2026-11-07", 1, "2026-10-31T23:00:00Z",
		    "2026-11-07T23:00:00Z", NULL },
		/* across the October change: CEST then CET midnight */
		{ NULL, "2026-10-20", "2026-10-30", 1, "2026-10-19T22:00:00Z",
		    "2026-10-30T23:00:00Z", NULL },
		{ NULL, "2026-11-20T12:00:00Z", NULL, 0, "2026-11-20T12:00:00Z",
		    "2026-11-22T18:00:00Z", NULL },
		{ "7d", "2026-11-01", NULL, 0, NULL, NULL,
		    "--since and --from/--to exclude each other" },
		{ NULL, NULL, "2026-11-01", 0, NULL, NULL,
		    "--to needs --from" },
		{ "7x", NULL, NULL, 0, NULL, NULL,
		    "--since \"7x\": want a duration like 90m, 24h, 7d, 2w or 1h30m" },
		{ "-7d", NULL, NULL, 0, NULL, NULL,
		    "--since \"-7d\": want a duration like 90m, 24h, 7d, 2w or 1h30m" },
		{ NULL, "2026-13-01", NULL, 0, NULL, NULL,
		    "--from \"2026-13-01\": want YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ (1970 .. 9999)" },
		{ NULL, "2026-11-01", "01/11/2026", 0, NULL, NULL,
		    "--to \"01/11/2026\": want YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ (1970 .. 9999)" },
		/* the bounds: 1970 .. 9999 (the data bounds them further) */
		{ NULL, "1970-01-01", "9999-12-30", 0, "1970-01-01T00:00:00Z",
		    "9999-12-31T00:00:00Z", NULL },
		{ NULL, "1969-12-31", NULL, 0, NULL, NULL,
		    "--from \"1969-12-31\": want YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ (1970 .. 9999)" },
		{ NULL, "1969-12-31T23:59:59Z", NULL, 0, NULL, NULL,
		    "--from \"1969-12-31T23:59:59Z\": want YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ (1970 .. 9999)" },
		{ NULL, "2026-11-01", "10000-01-01", 0, NULL, NULL,
		    "--to \"10000-01-01\": want YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM:SSZ (1970 .. 9999)" },
		{ NULL, "2026-11-10", "2026-11-01", 0, NULL, NULL,
		    "the period is empty (it ends before it starts)" },
	};

	assert_int_equal(
	    sla_hours_parse("Mon-Fri 09:00-18:00 Europe/Berlin", &berlin, &err),
	    0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t a = -1, b = -1;
		int r = report_period(cases[i].since, cases[i].from,
		    cases[i].to, cases[i].zoned ? berlin : NULL,
		    test_ts("2026-11-22T18:00:00Z"), &a, &b, &err);

		if (cases[i].error != NULL) {
			assert_int_equal(r, -1);
			assert_string_equal(err.msg, cases[i].error);
			assert_int_equal(err.code, ERR_USAGE);
			assert_int_equal(a, -1);
			continue;
		}
		if (r < 0)
			fail_msg("case %zu: %s", i, err.msg);
		assert_int_equal(a, test_ts(cases[i].want_from));
		assert_int_equal(b, test_ts(cases[i].want_to));
	}
	sla_hours_free(&berlin);
}

static void
test_empty_report(void **state)
{
	static const enum report_format fs[] = { REPORT_TEXT, REPORT_JSON,
		REPORT_CSV, REPORT_HTML };
	struct report r;
	struct error err = { 0 };

	/* nothing happened in the period: every renderer still works */
	report_init(&r, FIXTURE_FROM, FIXTURE_TO);
	report_finish(&r);
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		struct buf out;

		buf_init(&out, OUT_CAP);
		assert_int_equal(report_render(&r, fs[i], &out, &err), 0);
		assert_true(out.len > 100);
		buf_free(&out);
	}
	report_clear(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile),
		cmocka_unit_test(test_selection_matches_sort),
		cmocka_unit_test(test_finish),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_formula),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_axis),
		cmocka_unit_test(test_change),
		cmocka_unit_test(test_breach_summary),
		cmocka_unit_test(test_html_axis),
		cmocka_unit_test(test_cap_and_formats),
		cmocka_unit_test(test_empty_report),
		cmocka_unit_test(test_period),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
