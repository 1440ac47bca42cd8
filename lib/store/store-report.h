/*
 * The store's side of reports and SLA clocks (store-report.c,
 * store-sla.c).  Kept out of store.h so the report and the store can
 * change apart; SQLite stays in lib/store*.c.
 *
 * Every function returns 0 on success or -1 with `err` set (the codes of
 * store.h); out-params (*_r) are untouched on failure.
 */
#ifndef TRIAGE_STORE_REPORT_H
#define TRIAGE_STORE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "report.h"
#include "sla.h"
#include "store.h"

/*
 * Fill *r_r with the figures of tickets created in [from, to) (in
 * mailbox `mailbox` only, unless NULL; tickets ignored by a rule never
 * count), with business durations in `hours` (NULL: clock time).  *r_r
 * must be empty (report_init or report_clear); it gets from, to,
 * mailbox, hours and generated (the store's clock).  Call
 * report_finish() on it before rendering.
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
int store_report_fill(struct store *st, int64_t from, int64_t to,
    const char *mailbox, const struct sla_hours *hours, struct report *r_r,
    struct error *err);

/* ---- SLA clocks (store-sla.c) ---- */

/* An open ticket an SLA clock may run on; strings owned. */
struct store_sla_ticket {
	int64_t id;
	struct sla_ticket sla;	/* state (NEW or ROUTED), since, and the
				   last reminder: pass to sla_evaluate */
	char *subject;
	char *queue;
	char *owner;		/* the claiming BDR, or NULL */
	char *route;		/* the route name when routed, or NULL */
	char *customer;		/* or NULL */
	char *mailbox;		/* a mailbox of it (first by name) */
};

/*
 * The tickets in state new or routed with an id past `after`, by id, at
 * most `limit` (0: all) of them, with what sla_evaluate needs: `since`
 * is when the state began (new: creation or the last reopen; routed:
 * the last route), and the last reminder recorded (reminded_clock
 * SLA_CLOCK_NONE when there is none).  Page through them (after = the
 * last id seen) to keep memory flat however many are open.  *v_r is
 * owned by the caller (store_sla_tickets_free); it may be empty.
 */
#define STORE_SLA_PAGE 500	/* a good `limit` */
int store_sla_due(struct store *st, int64_t after, size_t limit,
    struct store_sla_ticket **v_r, size_t *n_r, struct error *err);
void store_sla_tickets_free(struct store_sla_ticket **vp, size_t n);

/*
 * Record one reminder for ticket `id`'s clock `clock` that started at
 * `since` and breached at `deadline`: an "sla-breach" event (actor
 * "triaged", source daemon, at the store's clock; detail as
 * store_sla_detail_format) and a pending outbox row of kind "reminder"
 * to `to` with `text` as its note, in one transaction (a savepoint
 * inside an open one).  By convention `text` is the subject line, a
 * blank line and the body (report_reminder_render's two parts), from
 * which the outbox sender builds the mail (forward_answer_build).
 *
 * Exactly once: when this clock was already reminded, or the ticket is
 * no longer in the clock's state since `since` (claimed, acknowledged or
 * closed meanwhile), nothing is written and *sent_r is 0; otherwise
 * *sent_r is 1.  ERR_NOTFOUND when there is no such ticket.
 */
int store_sla_remind(struct store *st, int64_t id, enum sla_clock clock,
    int64_t since, int64_t deadline, const char *to, const char *text,
    int *sent_r, struct error *err);

/*
 * The manager's daily digest at `now` (report.h): every open ticket
 * through sla_evaluate(p) (breached: late = now - deadline; at risk:
 * at = deadline; owner: the BDR, else the route), the open "new"
 * tickets per queue, and yesterday's figures: the funnel of the tickets
 * created on the local day before `now` (p->hours' zone, UTC without)
 * and the reminders sent that day.  *d_r must be empty
 * (report_digest_init); on failure it is left alone.
 */
int store_sla_digest(struct store *st, const struct sla_policy *p,
    int64_t now, struct report_digest *d_r, struct error *err);

/*
 * An sla-breach event's detail, readable in `triage show` and parsed
 * back by the store: "claim since 2026-11-09T10:00:00Z due
 * 2026-11-09T14:00:00Z to alice@example.com".  _parse returns 0 and
 * sets the clock, since, deadline and a pointer to the recipient inside
 * `detail` (may be NULL for none), or -1 when it is not one.
 */
void store_sla_detail_format(enum sla_clock clock, int64_t since,
    int64_t deadline, const char *to, char *buf, size_t size);
int store_sla_detail_parse(const char *detail, enum sla_clock *clock_r,
    int64_t *since_r, int64_t *deadline_r, const char **to_r);

/* ---- the daemon's SLA wiring (store-digest.c) ---- */

/*
 * The digest table: one row per local day (sla_local_day) a digest was
 * made for, with its recipient and text (subject line, blank line,
 * body), pending until the SMTP server took it.
 *
 * store_digest_last: the newest row's day and when it was made (both 0
 * when there is none).  store_digest_add: add the row for `day` unless
 * there is one (*added_r 0 then: never two digests for a day).
 * store_digest_pending: the newest pending row into *row_r (free with
 * store_digest_row_clear), *found_r 0 when none.  store_digest_done:
 * `error` NULL marks the row sent; else counts a failed attempt.
 */
struct store_digest_row {
	int64_t day;
	char *rcpt;		/* owned */
	char *text;		/* owned */
	int attempts;
};

int store_digest_last(struct store *st, int64_t *day_r, int64_t *created_r,
    struct error *err);
int store_digest_add(struct store *st, int64_t day, const char *rcpt,
    const char *text, int *added_r, struct error *err);
int store_digest_pending(struct store *st, struct store_digest_row *row_r,
    int *found_r, struct error *err);
void store_digest_row_clear(struct store_digest_row *row);
int store_digest_done(struct store *st, int64_t day, const char *error,
    struct error *err);

#endif
