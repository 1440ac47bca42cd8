/*
 * The daily digest mail: a subject line and a plain-text body that reads
 * well in any mail client (lines of at most 78 columns, RFC 5322's
 * recommendation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"

#include "report-private.h"

void
report_digest_init(struct report_digest *d, int64_t at)
{
	memset(d, 0, sizeof(*d));
	d->at = at;
}

void
report_digest_clear(struct report_digest *d)
{
	free(d->hours);
	free(d->ticket_url);
	report_tickets_clear(&d->breached);
	report_tickets_clear(&d->at_risk);
	report_counts_clear(&d->unclaimed);
	report_digest_init(d, 0);
}

/* Breached: the longest overdue first; ties by id. */
static int
late_cmp(const void *a, const void *b)
{
	const struct report_ticket *x = a, *y = b;

	if (x->late != y->late)
		return x->late > y->late ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

/* At risk: the nearest deadline first; ties by id. */
static int
deadline_cmp(const void *a, const void *b)
{
	const struct report_ticket *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static int
count_cmp(const void *a, const void *b)
{
	const struct report_count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

static int64_t
unclaimed_total(const struct report_digest *d)
{
	int64_t n = 0;

	for (size_t i = 0; i < d->unclaimed.n; i++)
		n += d->unclaimed.v[i].n;
	return n;
}

/*
 * `s` from column `indent` on, broken at blanks into lines of at most
 * DIGEST_WIDTH columns (a longer word is cut); control characters are
 * blanks.  UTF-8 sequences count as one column.
 */
#define DIGEST_WIDTH 78
static void
wrapped(struct report_out *o, int indent, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int room = DIGEST_WIDTH - indent;

	while (*p != '\0') {
		const unsigned char *end = p, *brk = NULL;
		int cols = 0;

		while (*p == ' ' || (*p < 0x20 && *p != '\0') || *p == 0x7f)
			p++; /* no blank starts a line */
		if (*p == '\0')
			break;
		for (end = p; *end != '\0' && cols < room; cols++) {
			if (*end <= ' ' || *end == 0x7f)
				brk = end;
			end++;
			while ((*end & 0xc0) == 0x80)
				end++;
		}
		if (*end != '\0' && *end > ' ' && brk != NULL)
			end = brk; /* break at the last blank */
		while (end > p && (end[-1] <= ' ' || end[-1] == 0x7f))
			end--;
		report_out_printf(o, "%*s", indent, "");
		for (const unsigned char *q = p; q < end; q++)
			report_out_add(o,
			    *q < 0x20 || *q == 0x7f ? " " : (const char *)q, 1);
		report_out_str(o, "\n");
		p = end;
	}
}

/*
 * One ticket: "  #123    claim       alice      late 2h 00m", then its
 * whole subject and, with ticket_url, its link, indented.
 */
static void
ticket_line(struct report_out *o, const struct report_digest *d,
    const struct report_ticket *t, const char *when)
{
	report_out_printf(o, "  #%-7lld %-11s ", (long long)t->id,
	    t->clock != NULL ? t->clock : "-");
	report_out_column(o, t->owner, 10, 1);
	report_out_printf(o, " %s\n", when);
	wrapped(o, 4, t->subject != NULL ? t->subject : "(no subject)");
	if (d->ticket_url != NULL) {
		char *url = conf_ticket_url(d->ticket_url, t->id);

		report_out_printf(o, "    %s\n", url);
		free(url);
	}
}

static void
tickets(struct report_out *o, const struct report_digest *d, const char *title,
    const struct report_tickets *t, int breached)
{
	char when[64], dur[32], at[32];

	report_out_printf(o, "\n%s: %zu\n", title, t->n);
	for (size_t i = 0; i < t->n; i++) {
		if (breached) {
			report_fmt_duration(t->v[i].late, dur, sizeof(dur));
			snprintf(when, sizeof(when), "late %s", dur);
		} else {
			report_fmt_time(t->v[i].at, at, sizeof(at));
			/* "2026-11-23T11:00:00Z" as "due 11-23 11:00Z" */
			snprintf(when, sizeof(when), "due %.5s %.5sZ", at + 5,
			    at + 11);
		}
		ticket_line(o, d, &t->v[i], when);
	}
}

int
report_digest_render(struct report_digest *d, struct buf *subject,
    struct buf *body, struct error *err)
{
	struct report_out s = { .b = subject }, o = { .b = body };
	struct report_stage y[REPORT_FUNNEL_STAGES];
	char at[32], day[32];

	if (d->breached.n > 1)
		qsort(d->breached.v, d->breached.n, sizeof(*d->breached.v),
		    late_cmp);
	if (d->at_risk.n > 1)
		qsort(d->at_risk.v, d->at_risk.n, sizeof(*d->at_risk.v),
		    deadline_cmp);
	if (d->unclaimed.n > 1)
		qsort(d->unclaimed.v, d->unclaimed.n, sizeof(*d->unclaimed.v),
		    count_cmp);
	report_funnel_stages(&d->yesterday, y);
	report_fmt_time(d->at, at, sizeof(at));
	/* a local day number prints as its date through UTC midnight */
	report_fmt_time(d->yesterday_day * 86400, day, sizeof(day));
	report_out_printf(&s,
	    "triage digest %.10s: %zu breached, %zu at "
	    "risk, %lld unclaimed",
	    at, d->breached.n, d->at_risk.n, (long long)unclaimed_total(d));
	report_out_printf(&o, "SLA digest, %s\n", at);
	report_out_str(&o, "Business hours: ");
	report_out_column(&o, d->hours != NULL ? d->hours : "none (clock time)",
	    60, 0);
	report_out_str(&o, "\n");
	tickets(&o, d, "Breached", &d->breached, 1);
	tickets(&o, d, "At risk", &d->at_risk, 0);
	report_out_printf(&o, "\nUnclaimed: %lld\n",
	    (long long)unclaimed_total(d));
	for (size_t i = 0; i < d->unclaimed.n; i++) {
		report_out_str(&o, "  ");
		report_out_column(&o, d->unclaimed.v[i].key, 30, 1);
		report_out_printf(&o, " %8lld\n",
		    (long long)d->unclaimed.v[i].n);
	}
	report_out_printf(&o, "\nYesterday (%.10s)\n", day);
	for (size_t i = 0; i < REPORT_FUNNEL_STAGES; i++)
		report_out_printf(&o, "  %-30s %8lld\n", y[i].name,
		    (long long)y[i].n);
	report_out_printf(&o, "  %-30s %8lld\n", "SLA breaches",
	    (long long)d->yesterday_breaches);
	report_out_str(&o, "\n-- \ntriaged; `triage report --since 7d` for "
			   "the week.\n");
	if (report_out_done(&s, err) < 0)
		return -1;
	return report_out_done(&o, err);
}
