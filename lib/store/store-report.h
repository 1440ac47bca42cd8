/*
 * The store's side of reports and SLA clocks (store-report.c,
 * store-sla.c): plain rows, nothing computed.  lib/work/report-fill.c
 * turns the rows into a struct report and the digest; lib/work/sla.c
 * decides on the clocks.  Kept out of store.h so the report and the
 * store can change apart; SQLite stays in lib/store/.
 *
 * Every function returns 0 on success or -1 with `err` set (the codes of
 * store.h); out-params (*_r) are untouched on failure.
 */
#ifndef TRIAGE_STORE_REPORT_H
#define TRIAGE_STORE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

/* An instant that did not happen (a NULL column). */
#define STORE_NO_TIME INT64_MIN

/*
 * The SLA clock of a reminder, stored in events.sla_clock as "claim" or
 * "acknowledge".  The claim clock runs while a ticket is new, the
 * acknowledge clock while it is routed.
 */
enum store_sla_clock {
	STORE_SLA_NONE = 0,
	STORE_SLA_CLAIM,
	STORE_SLA_ACK,
};

/* ---- a report's rows (store-report.c) ---- */

/*
 * When the first ticket was created (STORE_NO_TIME: there is none), to
 * bound a report's period by the data.
 */
int store_report_first(struct store *st, int64_t *first_r, struct error *err);

/*
 * One report's reads: the tickets created in [from, to) (in mailbox
 * `mailbox` only, unless NULL; tickets ignored by a rule never count),
 * and the events of that period on the tickets of the mailbox.  Every
 * list is read in one read transaction (unless the caller has one open
 * already), so all of them see the same database.  *q_r is the
 * caller's: close it with store_report_close (accepts NULL).
 * ERR_USAGE when the period is empty.
 */
struct store_report;

int store_report_open(struct store *st, int64_t from, int64_t to,
    const char *mailbox, struct store_report **q_r, struct error *err);
void store_report_close(struct store_report **qp);

/*
 * Each _next function steps through one list: 1 with the next row in
 * *row_r, 0 at its end, -1 with err set.  Read a list to its end before
 * starting another (starting another abandons it; a list read to its
 * end starts over).  Strings point into the store and are valid until
 * the next call on q.
 */

/* A ticket created in the period. */
struct store_report_ticket {
	int64_t created;
	int64_t claimed_at;  /* first claim; STORE_NO_TIME: never */
	int64_t routed_at;   /* last route; STORE_NO_TIME: never */
	int64_t acked_at;    /* STORE_NO_TIME: never */
	int64_t response_at; /* first message out to the customer;
				   STORE_NO_TIME: none */
	const char *queue;
	int qualified;		  /* the mark now: 1, -1, or 0 for none */
	const char *claimed_by;	  /* who claimed first, or NULL */
	const char *routed_by;	  /* who made the last route by hand, or
				   NULL (rules are nobody) */
	const char *qualified_by; /* who set the mark, or NULL */
};

int store_report_ticket_next(struct store_report *q,
    struct store_report_ticket *row_r, struct error *err);

/*
 * The seconds each of the period's tickets that waited on the customer
 * spent waiting (a wait still running counts up to now).  Returns 1
 * with *secs_r, 0 when done, -1 with err set.
 */
int store_report_wait_next(struct store_report *q, int64_t *secs_r,
    struct error *err);

/*
 * The period's tickets counted per mailbox (a ticket in two counts in
 * both) or per tag.
 */
enum store_report_count {
	STORE_COUNT_MAILBOX,
	STORE_COUNT_TAG,
};

struct store_report_count_row {
	const char *key; /* the mailbox or the tag */
	int64_t n;
};

int store_report_count_next(struct store_report *q, enum store_report_count by,
    struct store_report_count_row *row_r, struct error *err);

/*
 * A "story" or "sla-breach" event that happened in the period, on any
 * ticket of the mailbox, by event id.  Breaches whose clock is unknown
 * (an old detail the migration could not read) are left out.
 */
enum store_report_event {
	STORE_EVENT_STORY,
	STORE_EVENT_BREACH,
};

struct store_report_event_row {
	int64_t ticket_id;
	int64_t at;
	const char *actor;
	const char *subject;  /* the ticket's */
	const char *customer; /* or NULL */
	/* breaches only: */
	enum store_sla_clock clock;
	int64_t since, deadline;
	const char *rcpt;  /* whom the reminder went to, or NULL */
	const char *queue; /* the ticket's queue */
	int64_t met;	   /* the first later event that ends the
				   clock (claim or route for the claim
				   clock, ack or reopen for the
				   acknowledge clock, close for both);
				   STORE_NO_TIME: none yet */
};

int store_report_event_next(struct store_report *q,
    enum store_report_event kind, struct store_report_event_row *row_r,
    struct error *err);

/* ---- SLA clocks (store-sla.c) ---- */

/* An open ticket an SLA clock may run on; strings owned. */
struct store_sla_ticket {
	int64_t id;
	enum store_state state; /* STATE_NEW or STATE_ROUTED */
	int64_t since;		/* when the state began: new: creation or
				   the last reopen; routed: the last route */
	enum store_sla_clock reminded_clock; /* the last reminder's clock;
						   STORE_SLA_NONE: none */
	int64_t reminded_since;		     /* and that clock's start */
	char *subject;
	char *queue;
	char *owner;	/* the claiming BDR, or NULL */
	char *route;	/* the route name when routed, or NULL */
	char *customer; /* or NULL */
	char *mailbox;	/* a mailbox of it (first by name) */
};

/*
 * The tickets in state new or routed with an id past `after`, by id, at
 * most `limit` (0: all) of them, with when their state began and the
 * last reminder recorded (the ticket's newest sla-breach event).  Page
 * through them (after = the last id seen) to keep memory flat however
 * many are open.  *v_r is owned by the caller (store_sla_tickets_free);
 * it may be empty.
 */
#define STORE_SLA_PAGE 500 /* a good `limit` */
int store_sla_due(struct store *st, int64_t after, size_t limit,
    struct store_sla_ticket **v_r, size_t *n_r, struct error *err);
void store_sla_tickets_free(struct store_sla_ticket **vp, size_t n);

/*
 * Record one reminder for ticket `id`'s clock `clock` that started at
 * `since` and breached at `deadline`: an "sla-breach" event (actor
 * "triaged", source daemon, at the store's clock) with the clock, since,
 * deadline and recipient in its columns and, for people, the detail
 * "claim since 2026-11-09T10:00:00Z due 2026-11-09T14:00:00Z to
 * alice@example.com"; and a pending outbox row of kind "reminder" to
 * `to` with `text` as its note, in one transaction (a savepoint inside
 * an open one).  By convention `text` is the subject line, a blank line
 * and the body (report_reminder_render's two parts), from which the
 * outbox sender builds the mail (forward_answer_build).
 *
 * Exactly once: when this clock was already reminded, or the ticket is
 * no longer in the clock's state since `since` (claimed, acknowledged or
 * closed meanwhile), nothing is written and *sent_r is 0; otherwise
 * *sent_r is 1.  ERR_NOTFOUND when there is no such ticket.
 */
int store_sla_remind(struct store *st, int64_t id, enum store_sla_clock clock,
    int64_t since, int64_t deadline, const char *to, const char *text,
    int *sent_r, struct error *err);

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
	char *rcpt; /* owned */
	char *text; /* owned */
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
