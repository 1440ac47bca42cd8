/*
 * The manager's report as a mail: the same finished report `triage
 * report` renders (report-fill.h, report.h), written as a
 * multipart/alternative mail's text and HTML parts, and the weekly mail
 * of report.weekly_to: due each week on report.day at report.at in the
 * report's zone, for the week that ended then, queued in the outbox
 * once per week (store-outbox.h, weekly_reports) and sent by the outbox
 * sender.
 */
#ifndef TRIAGE_REPORT_MAIL_H
#define TRIAGE_REPORT_MAIL_H

#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "report.h"
#include "sla.h"

struct accounts;
struct progress;
struct store;

/*
 * The zones a report of `c` uses: *hours_r the business hours
 * (sla.hours; NULL: clock time) and *zone_r the zone of local days and
 * times (timezone, else the hours' zone, else the system's).  Both owned
 * (sla_hours_free).  Returns 0, or -1 with err and nothing set.
 */
int report_mail_zones(const struct conf *c, struct sla_hours **hours_r,
    struct sla_hours **zone_r, struct error *err);

/*
 * A finished report of [from, to) (report_fill_in, the previous period,
 * accounts from `a` (may be NULL), links from `ticket_url` (may be NULL),
 * report_finish), ready to render.  *rep must be empty (report_init);
 * `zone` must outlive it.  Returns 0, or -1 with err.
 */
int report_mail_fill(struct store *st, int64_t from, int64_t to,
    const char *mailbox, const struct sla_hours *hours,
    const struct sla_hours *zone, const struct accounts *a,
    const char *ticket_url, struct progress *progress, struct report *rep,
    struct error *err);

/*
 * The mail of a finished report: *note_r its subject line ("TITLE
 * 2026-11-30 to 2026-12-07: 387 tickets", local dates), a blank line and
 * the text part (report_render's text), *html_r the HTML part (its
 * self-contained page).  Both owned.  Returns 0, or -1 with err.
 */
int report_mail_render(const struct report *rep, const char *title,
    char **note_r, char **html_r, struct error *err);

/*
 * When the weekly report falls due: the latest instant <= t at which the
 * local clock in `zone` (UTC for NULL) reads `at` seconds past midnight
 * on weekday `day` (0 Sunday .. 6 Saturday).  report_mail_next: the
 * next such instant after `due`, a week later.
 */
int64_t report_mail_due(const struct sla_hours *zone, int day, int at,
    int64_t t);
int64_t report_mail_next(const struct sla_hours *zone, int at, int64_t due);

/* What one weekly turn did. */
struct report_weekly {
	int64_t due;	   /* the week looked at (report_mail_due(now)) */
	int64_t outbox_id; /* its report's outbox row; 0: none queued */
	int first;	   /* 1: the database's first week, recorded only */
	int64_t next;	   /* when the next week falls due */
};

/*
 * One weekly turn at the store's clock: when the week due now is not
 * recorded yet, queue the report of the week before it ([previous due,
 * due)) to c->report.weekly_to and record the week, in one transaction;
 * the first week a database sees is only recorded (mail starts with the
 * next one).  So a restart never mails a week twice, and a daemon that
 * was down when the week fell due mails it when it comes back that week.
 * Nothing without weekly_to.  Returns 0, or -1 with err: ERR_CONF when
 * weekly_to names a mailbox triage reads, else the store's.
 */
int report_mail_weekly(struct store *st, const struct conf *c,
    const struct accounts *a, const struct sla_hours *hours,
    const struct sla_hours *zone, struct report_weekly *res_r,
    struct error *err);

#endif
