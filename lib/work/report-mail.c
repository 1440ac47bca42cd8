/*
 * The report as a mail, and the weekly mail's turn.  See report-mail.h.
 * The figures and both parts come from the report's own builders and
 * renderers; this file only decides when, for which week, and how the
 * two renderings travel together.
 */
#include "report-mail.h"

#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "buf.h"
#include "report-fill.h"
#include "report-private.h"
#include "store-outbox.h"
#include "store.h"
#include "xalloc.h"

/* A week's report is lists of names and figures: far below this. */
#define PART_MAX (16u << 20)
#define WEEK_DAYS 7

int
report_mail_zones(const struct conf *c, struct sla_hours **hours_r,
    struct sla_hours **zone_r, struct error *err)
{
	struct sla_hours *hours = NULL, *zone = NULL;
	const char *name;

	if (c->sla.hours != NULL &&
	    sla_hours_parse(c->sla.hours, &hours, err) < 0)
		return -1;
	/* timezone, else the business hours' zone, else the system's */
	name = c->timezone != NULL ? c->timezone :
	       hours != NULL	   ? sla_hours_zone(hours) :
				     NULL;
	if (sla_zone(name, &zone, err) < 0) {
		sla_hours_free(&hours);
		return -1;
	}
	*hours_r = hours;
	*zone_r = zone;
	return 0;
}

static void
set_accounts(struct report_tickets *t, const struct accounts *a)
{
	for (size_t i = 0; i < t->n && a != NULL; i++) {
		const struct account *acc;

		if (t->v[i].customer == NULL)
			continue;
		acc = accounts_lookup_address(a, t->v[i].customer);
		if (acc != NULL)
			t->v[i].account = xstrdup(acc->name);
	}
}

int
report_mail_fill(struct store *st, int64_t from, int64_t to,
    const char *mailbox, const struct sla_hours *hours,
    const struct sla_hours *zone, const struct accounts *a,
    const char *ticket_url, struct progress *progress, struct report *rep,
    struct error *err)
{
	int r;

	r = report_fill_in(st, from, to, mailbox, hours, zone, progress, rep,
	    err);
	if (r == 0)
		r = report_fill_prev(st, rep, err);
	if (r < 0)
		return -1;
	rep->ticket_url = xstrdup_or_null(ticket_url);
	set_accounts(&rep->stories, a);
	set_accounts(&rep->breaches, a);
	report_finish(rep);
	return 0;
}

int
report_mail_render(const struct report *rep, const char *title, char **note_r,
    char **html_r, struct error *err)
{
	char from[64], to[64];
	struct buf note, html;
	int r;

	buf_init(&note, PART_MAX);
	buf_init(&html, PART_MAX);
	/* local dates of the period's ends: "2026-11-30 07:00 CET" */
	report_fmt_local(rep, rep->from, from, sizeof(from));
	report_fmt_local(rep, rep->to, to, sizeof(to));
	from[strcspn(from, " T")] = '\0';
	to[strcspn(to, " T")] = '\0';
	r = buf_printf(&note, "%s %s to %s: %lld ticket%s\n\n", title, from, to,
	    (long long)rep->tickets, rep->tickets == 1 ? "" : "s");
	if (r < 0)
		r = error_set(err, ERR_INTERNAL, "report mail: subject");
	if (r == 0)
		r = report_render(rep, REPORT_TEXT, &note, err);
	if (r == 0)
		r = report_render(rep, REPORT_HTML, &html, err);
	if (r < 0) {
		buf_free(&note);
		buf_free(&html);
		return -1;
	}
	*note_r = xstrdup(note.data);
	*html_r = xstrdup(html.data);
	buf_free(&note);
	buf_free(&html);
	return 0;
}

/* The weekday (0 Sunday) of a local day number: 1970-01-01 a Thursday. */
static int
weekday(int64_t day)
{
	return (int)(((day + 4) % 7 + 7) % 7);
}

/* The instant local day `day` reads `at`. */
static int64_t
due_on(const struct sla_hours *zone, int64_t day, int at)
{
	return sla_digest_next(zone, at, sla_day_start(zone, day) - 1);
}

int64_t
report_mail_due(const struct sla_hours *zone, int day, int at, int64_t t)
{
	int64_t today = sla_local_day(zone, t);
	int64_t d = today - (weekday(today) - day + WEEK_DAYS) % WEEK_DAYS;
	int64_t due = due_on(zone, d, at);

	return due <= t ? due : due_on(zone, d - WEEK_DAYS, at);
}

int64_t
report_mail_next(const struct sla_hours *zone, int at, int64_t due)
{
	return due_on(zone, sla_local_day(zone, due) + WEEK_DAYS, at);
}

/* Render the report of [from, to) into *note_r and *html_r. */
static int
make_week(struct store *st, const struct conf *c, const struct accounts *a,
    const struct sla_hours *hours, const struct sla_hours *zone, int64_t from,
    int64_t to, char **note_r, char **html_r, struct error *err)
{
	struct report rep;
	int r;

	report_init(&rep, 0, 0);
	r = report_mail_fill(st, from, to, NULL, hours, zone, a, c->ticket_url,
	    NULL, &rep, err);
	if (r == 0)
		r = report_mail_render(&rep, "triage weekly report", note_r,
		    html_r, err);
	report_clear(&rep);
	return r;
}

int
report_mail_weekly(struct store *st, const struct conf *c,
    const struct accounts *a, const struct sla_hours *hours,
    const struct sla_hours *zone, struct report_weekly *res_r,
    struct error *err)
{
	const struct conf_report *cr = &c->report;
	const struct conf_mailbox *mb;
	struct report_weekly res = { 0 };
	char *note = NULL, *html = NULL;
	int64_t last = 0, now = store_now(st);
	int at, r;

	memset(res_r, 0, sizeof(*res_r));
	if (cr->weekly_to == NULL)
		return 0;
	mb = conf_reads(c, cr->weekly_to);
	if (mb != NULL)
		return error_set(err, ERR_CONF,
		    "report.weekly_to \"%s\" names mailbox '%s', which "
		    "triage reads",
		    cr->weekly_to, mb->name);
	if (sla_parse_hhmm(cr->at, &at) < 0)
		return error_set(err, ERR_CONF, "report.at \"%s\"", cr->at);
	res.due = report_mail_due(zone, cr->day, at, now);
	res.next = report_mail_next(zone, at, res.due);
	r = store_weekly_last(st, &last, err);
	if (r < 0 || last >= res.due)
		goto out;
	res.first = last == 0;
	if (!res.first)
		r = make_week(st, c, a, hours, zone,
		    report_mail_due(zone, cr->day, at, res.due - 1), res.due,
		    &note, &html, err);
	if (r == 0)
		r = store_weekly_add(st, res.due,
		    res.first ? NULL : cr->weekly_to, note, html,
		    &res.outbox_id, err);
out:
	free(note);
	free(html);
	if (r == 0)
		*res_r = res;
	return r;
}
