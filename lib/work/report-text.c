/*
 * The report as plain text for a terminal: every line at most 80
 * columns, user strings (subjects, names) cut to their column and
 * stripped of control characters.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"

#include "report-private.h"

#define BAR_WIDTH 30

static void
bar(struct report_out *o, int64_t n, int64_t max)
{
	int64_t w = max > 0 ? (n * BAR_WIDTH + max - 1) / max : 0;

	if (w > 0)
		report_out_str(o, "  ");
	for (int64_t i = 0; i < w; i++)
		report_out_str(o, "#");
}

static void
heading(struct report_out *o, const char *title)
{
	report_out_printf(o, "\n%s\n", title);
}

static void
counts(struct report_out *o, const char *title, const struct report_counts *c)
{
	int64_t max = report_counts_max(c);

	heading(o, title);
	if (c->n == 0)
		report_out_str(o, "  (none)\n");
	for (size_t i = 0; i < c->n; i++) {
		report_out_str(o, "  ");
		report_out_column(o, c->v[i].key, 28, 1);
		report_out_printf(o, " %8lld", (long long)c->v[i].n);
		bar(o, c->v[i].n, max);
		report_out_str(o, "\n");
	}
}

static const char *
dur(const struct report_stat *s, int64_t v, char *buf, size_t size)
{
	if (s->n == 0)
		return "-";
	report_fmt_duration(v, buf, size);
	return buf;
}

static void
times(struct report_out *o, const struct report *r)
{
	char a[32], b[32], c[32], d[32];

	/* "bh": the same durations counted in business hours only. */
	report_out_printf(o, "\n%-20s %6s %9s %9s   %9s %9s\n",
	    "Response times", "count", "median", "p90", "bh median", "bh p90");
	for (int i = 0; i < REPORT_TIME_COUNT; i++) {
		const struct report_durations *t = &r->times[i];

		report_out_printf(o, "  %-18s %6zu %9s %9s   %9s %9s\n",
		    report_time_title((enum report_time)i), t->n,
		    dur(&t->clock_stat, t->clock_stat.median, a, sizeof(a)),
		    dur(&t->clock_stat, t->clock_stat.p90, b, sizeof(b)),
		    dur(&t->business_stat, t->business_stat.median, c,
			sizeof(c)),
		    dur(&t->business_stat, t->business_stat.p90, d, sizeof(d)));
	}
}

static void
bdrs(struct report_out *o, const struct report *r)
{
	char a[32], b[32], c[32], d[32];

	report_out_printf(o, "\n%-14s %7s %6s %5s %5s %8s %8s %8s %8s\n",
	    "Per BDR", "claimed", "routed", "qual", "disq", "claim", "claim",
	    "route", "route");
	report_out_printf(o, "%-14s %7s %6s %5s %5s %8s %8s %8s %8s\n", "", "",
	    "", "", "", "median", "p90", "median", "p90");
	if (r->n_bdrs == 0)
		report_out_str(o, "  (none)\n");
	for (size_t i = 0; i < r->n_bdrs; i++) {
		const struct report_bdr *x = &r->bdrs[i];
		const struct report_stat *cl = &x->to_claim.clock_stat;
		const struct report_stat *ro = &x->to_route.clock_stat;

		report_out_str(o, "  ");
		report_out_column(o, x->name, 12, 1);
		report_out_printf(o,
		    " %7lld %6lld %5lld %5lld %8s %8s %8s %8s\n",
		    (long long)x->claimed, (long long)x->routed,
		    (long long)x->qualified, (long long)x->disqualified,
		    dur(cl, cl->median, a, sizeof(a)),
		    dur(cl, cl->p90, b, sizeof(b)),
		    dur(ro, ro->median, c, sizeof(c)),
		    dur(ro, ro->p90, d, sizeof(d)));
	}
}

/*
 * Each stage with its conversion from the step before and, when the
 * previous period was read, that period's figure and the change.
 */
static void
funnel(struct report_out *o, const struct report *r)
{
	struct report_stage rows[REPORT_FUNNEL_STAGES];
	struct report_stage prev[REPORT_FUNNEL_STAGES];
	char rate[16], change[48], conv[40];

	report_funnel_stages(&r->funnel, rows);
	report_funnel_stages(&r->prev, prev);
	report_out_printf(o, "\n%-14s %8s  %-22s", "Funnel", "tickets",
	    "conversion");
	if (r->has_prev)
		report_out_printf(o, " %8s  %s", "previous", "change");
	report_out_str(o, "\n");
	for (size_t i = 0; i < REPORT_FUNNEL_STAGES; i++) {
		report_fmt_rate(rows[i].rate, rate, sizeof(rate));
		snprintf(conv, sizeof(conv), "%s of %s", rate,
		    rows[i].base != NULL ? rows[i].base : "");
		report_out_printf(o, "  %-12s %8lld", rows[i].name,
		    (long long)rows[i].n);
		if (rows[i].base != NULL || r->has_prev)
			report_out_printf(o, "  %-22s",
			    rows[i].base != NULL ? conv : "");
		if (r->has_prev) {
			report_fmt_change(rows[i].n, prev[i].n, change,
			    sizeof(change));
			report_out_printf(o, " %8lld  %s", (long long)prev[i].n,
			    change);
		}
		report_out_str(o, "\n");
	}
	report_out_printf(o, "  %-12s %8lld\n", "EE leads",
	    (long long)r->ee_leads);
}

static void
histogram(struct report_out *o, const struct report *r)
{
	int64_t max = 0;

	heading(o, "Time to claim (clock time)");
	for (size_t i = 0; i < REPORT_HIST_BUCKETS; i++) {
		if (r->hist[i] > max)
			max = r->hist[i];
	}
	for (size_t i = 0; i < REPORT_HIST_BUCKETS; i++) {
		report_out_printf(o, "  %-28s %8lld", report_hist_label(i),
		    (long long)r->hist[i]);
		bar(o, r->hist[i], max);
		report_out_str(o, "\n");
	}
}

static void
stories(struct report_out *o, const struct report *r)
{
	heading(o, "Customer-story candidates");
	if (r->stories.n == 0)
		report_out_str(o, "  (none)\n");
	for (size_t i = 0; i < r->stories.n; i++) {
		const struct report_ticket *t = &r->stories.v[i];

		report_out_printf(o, "  #%-7lld ", (long long)t->id);
		report_out_column(o,
		    t->account != NULL ? t->account : t->customer, 24, 1);
		report_out_str(o, " ");
		report_out_column(o, t->subject, 44, 0);
		report_out_str(o, "\n");
	}
}

/*
 * A summary, however many there are: counts per queue and per owner and
 * the oldest deadlines; the full list is in the CSV and JSON output.
 */
static void
breaches(struct report_out *o, const struct report *r)
{
	char late[32], at[48];

	report_out_printf(o,
	    "\nSLA breaches: %lld (claim %lld, "
	    "acknowledge %lld)\n",
	    (long long)r->breaches.n, (long long)r->breaches_claim,
	    (long long)r->breaches_ack);
	if (r->breaches.n == 0)
		return;
	counts(o, "Breaches per queue", &r->breach_queues);
	counts(o, "Breaches per owner", &r->breach_owners);
	report_out_printf(o,
	    "\nOldest breaches (%zu of %zu; every one: "
	    "--format csv or json)\n  %-8s %-11s %-10s %-16s %-7s %s\n",
	    r->n_oldest, r->breaches.n, "ticket", "clock", "owner", "deadline",
	    "late", "subject");
	for (size_t i = 0; i < r->n_oldest; i++) {
		const struct report_ticket *t = &r->breaches.v[r->oldest[i]];

		report_fmt_duration(t->late, late, sizeof(late));
		report_fmt_local(r, t->at, at, sizeof(at));
		report_out_printf(o, "  #%-7lld %-11s ", (long long)t->id,
		    t->clock != NULL ? t->clock : "-");
		report_out_column(o, t->owner, 10, 1);
		report_out_printf(o, " %.16s %-7s ", at, late);
		report_out_column(o, t->subject, 22, 0);
		report_out_str(o, "\n");
	}
}

int
report_render_text(const struct report *r, struct buf *out, struct error *err)
{
	struct report_out o = { .b = out };
	char from[48], to[48], title[32];

	report_fmt_local(r, r->from, from, sizeof(from));
	report_fmt_local(r, r->to, to, sizeof(to));
	report_out_printf(&o, "triage report %s .. %s\n", from, to);
	report_out_str(&o, "Times in: ");
	report_out_column(&o, report_zone_name(r), 40, 0);
	report_out_str(&o, "\n");
	report_out_str(&o, "Mailbox: ");
	report_out_column(&o, r->mailbox != NULL ? r->mailbox : "all", 40, 0);
	report_out_str(&o, "\nBusiness hours: ");
	report_out_column(&o,
	    r->hours != NULL ? r->hours : "none (clock time only)", 50, 0);
	report_out_printf(&o, "\nTickets: %lld\n", (long long)r->tickets);
	counts(&o, "Volume by mailbox", &r->by_mailbox);
	counts(&o, "Volume by queue", &r->by_queue);
	counts(&o, "Volume by tag", &r->by_tag);
	snprintf(title, sizeof(title), "Volume by %s",
	    report_bucket_name(r->bucket));
	counts(&o, title, &r->by_day);
	times(&o, r);
	histogram(&o, r);
	bdrs(&o, r);
	funnel(&o, r);
	counts(&o, "Competitor mentions", &r->competitors);
	stories(&o, r);
	breaches(&o, r);
	return report_out_done(&o, err);
}
