/*
 * The in-memory half of `triage report` on N tickets (default 1,000,000):
 * what the report code does once the store has handed over each ticket's
 * timestamps.  Synthetic tickets over 90 days of 2026 with business hours
 * in Europe/Berlin: per ticket the local day, business time to claim,
 * route and acknowledge, the counts and per-BDR rows; then
 * report_finish (sorting every sample) and every renderer.  Prints
 * seconds per phase.  Run by bench/report.sh.
 *
 *   itest-report-bench [N]
 */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "itest-common.h"
#include "report.h"
#include "sla.h"
#include "xalloc.h"

static uint64_t
lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 33;
}

int
main(int argc, char **argv)
{
	static const char *const mailboxes[] = { "sales", "community" };
	static const char *const queues[] = { "sales", "support", "community" };
	static const char *const bdrs[] = { "alice", "bob", "carol", "dave" };
	static const char *const tags[] = { "pricing", "ee-lead",
		"competitor:github", "support", "event" };
	const int64_t from = 1767225600; /* 2026-01-01T00:00:00Z */
	const int64_t span = 90 * 86400;
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct sla_hours *h = NULL;
	struct error err = { 0 };
	struct report r;
	uint64_t seed = 1;
	double t0, t1, t2, t3;
	int64_t per_day[91] = { 0 }, first_day;
	char day[16];

	t0 = itest_now();
	if (sla_hours_parse("Mon-Fri 09:00-18:00 Europe/Berlin", &h, &err) <
	    0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	t1 = itest_now();
	printf("parse business hours (tabulate 60 years): %.3f s\n", t1 - t0);
	report_init(&r, from, from + span);
	r.hours = xstrdup(sla_hours_spec(h));
	first_day = sla_local_day(h, from);
	for (long i = 0; i < n; i++) {
		int64_t created = from + (int64_t)(lcg(&seed) % span);
		int64_t claimed = created + (int64_t)(lcg(&seed) % 200000);
		int64_t routed = claimed + (int64_t)(lcg(&seed) % 100000);
		int64_t acked = routed + (int64_t)(lcg(&seed) % 300000);
		struct report_bdr *b = report_bdr(&r, bdrs[i % 4]);
		int64_t d = sla_local_day(h, created) - first_day;

		/* The store will GROUP BY; here an array does the same. */
		if (d >= 0 && d < 91)
			per_day[d]++;
		report_counts_add(&r.by_mailbox, mailboxes[i % 2], 1);
		report_counts_add(&r.by_queue, queues[i % 3], 1);
		report_counts_add(&r.by_tag, tags[i % 5], 1);
		report_durations_add(&r.times[REPORT_TO_CLAIM],
		    claimed - created,
		    sla_business_seconds(h, created, claimed));
		report_durations_add(&r.times[REPORT_TO_ROUTE],
		    routed - created, sla_business_seconds(h, created, routed));
		report_durations_add(&r.times[REPORT_TO_ACK], acked - routed,
		    sla_business_seconds(h, routed, acked));
		report_durations_add(&b->to_claim, claimed - created,
		    sla_business_seconds(h, created, claimed));
		b->claimed++;
		r.tickets++;
	}
	for (int d = 0; d < 91; d++) {
		snprintf(day, sizeof(day), "day%02d", d);
		report_counts_add(&r.by_day, day, per_day[d]);
	}
	r.funnel.received = r.tickets;
	t2 = itest_now();
	printf("%ld tickets: day, 4 business-time spans, counts: %.3f s\n", n,
	    t2 - t1);
	report_finish(&r);
	t3 = itest_now();
	printf("report_finish (select over %zu samples x 2, 5 sets): %.3f s\n",
	    r.times[0].n, t3 - t2);
	for (int f = REPORT_TEXT; f <= REPORT_HTML; f++) {
		struct buf out;
		double a = itest_now();

		buf_init(&out, 64u * 1024 * 1024);
		if (report_render(&r, (enum report_format)f, &out, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		printf("render %-4s %7zu bytes: %.4f s\n",
		    f == REPORT_TEXT ? "text" :
		    f == REPORT_JSON ? "json" :
		    f == REPORT_CSV  ? "csv" :
				       "html",
		    out.len, itest_now() - a);
		buf_free(&out);
	}
	printf("total: %.3f s\n", itest_now() - t0);
	report_clear(&r);
	sla_hours_free(&h);
	return 0;
}
