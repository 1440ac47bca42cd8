/*
 * The manager's report: a plain record of figures for one period, and
 * renderers for it (text for a terminal, JSON and CSV for scripts and
 * spreadsheets, one self-contained HTML page with inline SVG charts).
 *
 * report_fill (report-fill.h) fills a struct report from the store's
 * rows, the SLA code supplies business-time durations, and report_finish()
 * sorts the lists and computes the medians, 90th percentiles and the
 * time-to-claim histogram.  Renderers only read.
 *
 * Percentiles use the nearest-rank method: the p-th percentile of n
 * sorted samples is the sample at rank ceil(p * n / 100) (1-based), so
 * it is always an observed duration; the median is p = 50 (the lower
 * middle sample when n is even).
 */
#ifndef TRIAGE_REPORT_H
#define TRIAGE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

/* name -> count, e.g. tickets per mailbox. */
struct report_count {
	char *key; /* owned */
	int64_t n;
};

struct report_counts {
	struct report_count *v; /* owned */
	size_t n;
};

/* Median and 90th percentile of a set of durations, in seconds. */
struct report_stat {
	size_t n; /* samples; median/p90 are 0 when n is 0 */
	int64_t median;
	int64_t p90;
};

/*
 * Durations of one kind (time to claim, ...), each in clock and in
 * business time.  The samples are kept for the histogram and percentiles.
 */
struct report_durations {
	/* 32 bits: a million tickets' samples, half the memory (a
	   duration is cut at 68 years) */
	int32_t *clock;	   /* owned, n samples, seconds */
	int32_t *business; /* owned, n samples, seconds */
	size_t n, alloc;
	struct report_stat clock_stat; /* by report_finish */
	struct report_stat business_stat;
};

enum report_time {
	REPORT_TO_CLAIM = 0, /* created -> first claim */
	REPORT_TO_ROUTE,     /* created -> first route */
	REPORT_TO_ACK,	     /* routed -> acknowledged */
	REPORT_TO_RESPONSE,  /* created -> first reply to the customer */
	REPORT_WAITING,	     /* time waiting on the customer (all waits
				of a ticket that waited; no SLA runs) */
	REPORT_TIME_COUNT,
};

struct report_bdr {
	char *name; /* owned */
	int64_t claimed, routed, qualified, disqualified;
	struct report_durations to_claim; /* tickets this BDR claimed */
	struct report_durations to_route; /* tickets this BDR routed */
};

/* A ticket named in the report: a story candidate or a breach. */
struct report_ticket {
	int64_t id;
	char *subject;	/* owned, may be NULL */
	char *customer; /* owned, address; may be NULL */
	char *account;	/* owned, key account name; may be NULL */
	char *owner;	/* owned, BDR or route; may be NULL */
	char *clock;	/* breaches: "claim" / "acknowledge" */
	char *queue;	/* owned, breaches: the ticket's queue; may be
				   NULL */
	int64_t at;	/* stories: marked; breaches: deadline */
	int64_t late;	/* breaches: seconds past the deadline at
				   the end of the period (or when met) */
};

struct report_tickets {
	struct report_ticket *v; /* owned */
	size_t n;
};

struct report_funnel {
	int64_t received, claimed, routed, acknowledged;
	int64_t qualified, disqualified;
};

/*
 * The volume chart's rows: one per local day for periods of up to
 * REPORT_DAYS_MAX days, one per week (Monday to Sunday) up to
 * REPORT_WEEKS_MAX weeks, else one per calendar month.  Keys:
 * "YYYY-MM-DD" (a day, or a week's Monday) and "YYYY-MM".
 */
enum report_bucket {
	REPORT_BUCKET_DAY,
	REPORT_BUCKET_WEEK,
	REPORT_BUCKET_MONTH,
};

#define REPORT_DAYS_MAX 92
#define REPORT_WEEKS_MAX 104

/* The bucket for a period of `days` local days (the rule above). */
enum report_bucket report_bucket_for(int64_t days);

/* The breaches a summary names one by one: the oldest deadlines. */
#define REPORT_OLDEST_BREACHES 20

/* Time-to-claim histogram buckets: upper bounds in seconds. */
#define REPORT_HIST_BUCKETS 9

struct report {
	int64_t from, to;  /* the period [from, to), Unix seconds */
	int64_t generated; /* when the report was made */
	char *mailbox;	   /* owned; NULL: every mailbox */
	char *hours;	   /* owned business-hours spec; NULL: none */
	/* The zone of local days and of the times text and HTML show
	   (sla_zone); foreign, set by report_fill_in; NULL: UTC. */
	const struct sla_hours *zone;
	char *ticket_url; /* owned; the ticket_url template (a link is
				   conf_ticket_url); NULL: ids only */

	int64_t tickets; /* tickets created in the period */
	struct report_counts by_mailbox, by_queue, by_tag;
	enum report_bucket bucket;   /* by_day's rows */
	struct report_counts by_day; /* local days, weeks or months
					   (bucket), every one of the
					   period, zeros too */
	struct report_durations times[REPORT_TIME_COUNT];
	struct report_bdr *bdrs; /* owned */
	size_t n_bdrs;
	struct report_funnel funnel;
	/* The previous period of equal length, [prev_from, from). */
	int has_prev;
	int64_t prev_from;
	struct report_funnel prev;
	int64_t ee_leads;		  /* tickets tagged ee-lead */
	struct report_counts competitors; /* competitor:NAME tags */
	struct report_tickets stories;
	struct report_tickets breaches;
	int64_t breaches_claim, breaches_ack;
	/* By report_finish: breaches per queue and per owner (most
	   first), and the REPORT_OLDEST_BREACHES earliest deadlines as
	   indexes into breaches.v, earliest first. */
	struct report_counts breach_queues, breach_owners;
	size_t oldest[REPORT_OLDEST_BREACHES];
	size_t n_oldest;

	int64_t hist[REPORT_HIST_BUCKETS]; /* by report_finish */
};

/* An empty report for [from, to). */
void report_init(struct report *r, int64_t from, int64_t to);
/* Free everything the report owns; it can be initialised again. */
void report_clear(struct report *r);

/* Add n to the count for key (created at the end if new). */
void report_counts_add(struct report_counts *c, const char *key, int64_t n);
/* The count for key, 0 if absent. */
int64_t report_counts_get(const struct report_counts *c, const char *key);
void report_durations_add(struct report_durations *d, int64_t clock_secs,
    int64_t business_secs);
/* The row of BDR `name`, added (zeroed) if new; lives as long as r. */
struct report_bdr *report_bdr(struct report *r, const char *name);
/* Append a ticket; every string is copied (NULL allowed). */
struct report_ticket *report_tickets_add(struct report_tickets *t, int64_t id,
    const char *subject, const char *customer, const char *account,
    const char *owner);

/*
 * Sort the count lists (most first, then by name; days by date; BDRs by
 * name), compute every report_stat and the histogram.  Call once, after
 * filling and before rendering.
 */
void report_finish(struct report *r);

/*
 * The nearest-rank pct-th percentile (1..100) of n sorted samples;
 * 0 when n is 0.
 */
int64_t report_percentile(const int64_t *sorted, size_t n, int pct);

struct sla_hours;

/*
 * The period for `triage report`: --since SPAN ("90m", "24h", "7d",
 * "2w"): [now - SPAN, now); or --from DATE [--to DATE], where DATE is
 * "YYYY-MM-DD", a local day in the hours' zone (UTC for h NULL; --to's
 * day is included), or an instant "YYYY-MM-DDTHH:MM:SSZ"; --to defaults
 * to now.  Nothing given: the last 7 days.  Returns 0 and sets
 * [*from_r, *to_r), or -1 with an ERR_USAGE message in *err (both
 * --since and --from, --to alone, a bad span or date, an empty period).
 */
int report_period(const char *since, const char *from, const char *to,
    const struct sla_hours *h, int64_t now, int64_t *from_r, int64_t *to_r,
    struct error *err);

enum report_format {
	REPORT_TEXT,
	REPORT_JSON,
	REPORT_CSV,
	REPORT_HTML,
};

/* "text" "json" "csv" "html"; -1 if unknown. */
int report_format_parse(const char *s, enum report_format *f_r);

/*
 * Render a finished report, appending to `out` (its cap bounds the
 * output).  Returns 0, or -1 with *err set when the output would pass
 * the cap.
 */
int report_render(const struct report *r, enum report_format f, struct buf *out,
    struct error *err);

/*
 * The manager's daily digest, mailed to sla.digest_to at sla.digest_at:
 * what is breached and at risk now, what waits unclaimed per queue, and
 * yesterday's figures.  The daemon fills it (sla_evaluate over the open
 * tickets, counts from the store) and mails what report_digest_render
 * writes.
 */
struct report_digest {
	int64_t at;		  /* when made */
	int64_t yesterday_day;	  /* local day number (sla_local_day) */
	int64_t day_from, day_to; /* its bounds, for the store's
					   queries (sla_day_start) */
	char *hours;		  /* owned business-hours spec; NULL: none */
	char *ticket_url; /* owned ticket_url template; NULL: no links */
	struct report_tickets breached; /* clock, at = deadline, late */
	struct report_tickets at_risk;	/* clock, at = deadline */
	struct report_counts unclaimed; /* open "new" tickets per queue */
	struct report_funnel yesterday; /* received, claimed, routed,
					   acknowledged, (dis)qualified */
	int64_t yesterday_breaches;
};

void report_digest_init(struct report_digest *d, int64_t at);
void report_digest_clear(struct report_digest *d);
/*
 * Sort the lists (breached: latest first; at risk: nearest deadline
 * first; queues: most first) and append the mail's subject line to
 * *subject and its plain-text body (lines of at most 78 columns; each
 * ticket with its whole subject, wrapped, and its link when ticket_url
 * is set) to
 * *body.  Returns 0, or -1 with *err set when a buffer's cap is passed.
 */
int report_digest_render(struct report_digest *d, struct buf *subject,
    struct buf *body, struct error *err);

/*
 * One SLA reminder mail, to the ticket's owner (the claiming BDR, the
 * route's address, or whoever the daemon chooses for a new ticket).
 * Every pointer is foreign; NULL strings are left out.
 */
struct report_reminder {
	int64_t ticket_id;
	const char *subject; /* the ticket's */
	const char *customer;
	const char *account; /* key account name */
	const char *owner;   /* BDR name, or the route's name */
	int clock;	     /* enum sla_clock: SLA_CLOCK_CLAIM / _ACK */
	int64_t since, deadline, now;
	const char *ticket_url; /* the ticket_url template, or NULL */
};

/*
 * Append the reminder's subject line (one line: control characters in
 * the ticket's subject become spaces, at most 200 bytes of it) to
 * *subject and its plain-text body (lines of at most 78 columns) to
 * *body.  Returns 0, or -1 with *err set when a buffer's cap is passed.
 */
int report_reminder_render(const struct report_reminder *rm,
    struct buf *subject, struct buf *body, struct error *err);

#endif
