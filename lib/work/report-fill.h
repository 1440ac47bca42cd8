/*
 * The report's and the digest's figures from the store's rows
 * (store-report.h): by-day buckets, business-hour durations (sla.h),
 * per-BDR rows, breaches and how late they are.  The store only reads;
 * everything is computed here.
 */
#ifndef TRIAGE_REPORT_FILL_H
#define TRIAGE_REPORT_FILL_H

#include <stdint.h>

#include "error.h"
#include "report.h"
#include "sla.h"

struct store;

/*
 * Fill *r_r with the figures of tickets created in [from, to) (in
 * mailbox `mailbox` only, unless NULL; tickets ignored by a rule never
 * count), with business durations in `hours` (NULL: clock time).  *r_r
 * must be empty (report_init or report_clear); it gets from, to,
 * mailbox, hours and generated (the store's clock).  The period is
 * bounded by the data first: it ends at the end of the store clock's
 * local day at the latest and starts on the local day of the first
 * ticket at the earliest (a period holding neither keeps its start and
 * at most REPORT_DAYS_MAX days), so `--from 1970-01-01 --to
 * 9999-12-31` is the span of the data, bucketed (report.h).  Call
 * report_finish() on it before rendering.  Returns 0, or -1 with *err
 * set (ERR_USAGE: an empty period; else the store's) and *r_r left
 * alone.
 *
 * What is counted, so the figures can be checked by hand:
 *   tickets, funnel    tickets created in the period; claimed / routed /
 *                      acknowledged: ever were; (dis)qualified: the mark
 *                      they carry now
 *   volume             per mailbox (a ticket in two counts in both), per
 *                      queue, per tag, per local day of `hours`' zone
 *   to claim           created -> first claim
 *   to route           created -> last route
 *   to acknowledge     last route -> acknowledgement
 *   to first response  created -> first message to the customer ("out")
 *   per BDR            claimed: tickets whose first claim was theirs
 *                      (with its time); routed: tickets whose last route
 *                      they made by hand (rules are not BDRs);
 *                      (dis)qualified: tickets whose current mark they
 *                      set
 *   ee leads, competitors  tags "ee-lead" and "competitor:NAME"
 *   stories, breaches  "story" and "sla-breach" events that happened in
 *                      the period (on any ticket of the mailbox);
 *                      a breach is late until it was met (claim, route,
 *                      ack, close, reopen) or the period ended
 * The account of a ticket is not known here: the caller may set it from
 * the customer (accounts_lookup_address).
 */
struct progress;

int report_fill(struct store *st, int64_t from, int64_t to, const char *mailbox,
    const struct sla_hours *hours, struct report *r_r, struct error *err);

/*
 * report_fill with local days (volume, the bounds of the data) in
 * `zone` (sla_zone) instead of the hours' zone, and r_r->zone set to it
 * for the times text and HTML show.  `zone` must outlive the report.
 * `progress` (foreign, NULL for none) counts the tickets read.
 */
int report_fill_in(struct store *st, int64_t from, int64_t to,
    const char *mailbox, const struct sla_hours *hours,
    const struct sla_hours *zone, struct progress *progress, struct report *r_r,
    struct error *err);

/*
 * The previous period of equal length, [from - (to - from), from), of a
 * filled report: its funnel into r->prev (has_prev, prev_from set).
 * Returns 0, or -1 with *err set and r unchanged.
 */
int report_fill_prev(struct store *st, struct report *r, struct error *err);

/*
 * The manager's daily digest at `now` (report.h): every open ticket
 * through sla_evaluate(p) (breached: late = now - deadline; at risk:
 * at = deadline; owner: the BDR, else the route), the open "new"
 * tickets per queue, and yesterday's figures: the funnel of the tickets
 * created on the local day before `now` (p->hours' zone, UTC without)
 * and the reminders sent that day.  *d_r must be empty
 * (report_digest_init); on failure it is left alone.
 */
int report_digest_fill(struct store *st, const struct sla_policy *p,
    int64_t now, struct report_digest *d_r, struct error *err);

#endif
