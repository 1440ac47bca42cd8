/*
 * The outbox table (store-outbox.c): the one writer of new rows
 * (store_outbox_add: a forward from store_route() and from ingest when a
 * message joins a routed ticket, an answer from mail commands, a
 * reminder from the SLA clock), and for the sender the rows due now and
 * the record of each attempt.
 *
 * A row's life:
 *   pending --all mails accepted--> sent      ("forwarded"/"answered" event)
 *   pending --5xx, or given up----> failed    ("forward-failed" event)
 *   pending --loop protection-----> skipped   ("forward-skipped" event)
 *   pending --4xx, no connection--> pending   (attempts + 1, next_attempt
 *                                              later, last_error kept)
 *   failed --store_outbox_requeue--> pending
 *
 * Each function runs in its own transaction (or savepoint when one is
 * open) and returns 0, or -1 with err set (ERR_TEMP: database busy).
 */
#ifndef TRIAGE_STORE_OUTBOX_H
#define TRIAGE_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct store;

/* One outbox row.  Strings owned (free with store_outbox_free). */
struct store_outbox {
	int64_t id;	      /* also the event id of the row's Message-IDs */
	int64_t ticket_id;    /* 0: a report, about no one ticket */
	int64_t message_row;  /* messages.id: a follow-up's message, an
				answer's command mail; 0: none */
	int64_t upto_message; /* a whole-thread forward: the thread's last
				 messages.id when queued; 0: unpinned */
	char *kind;	      /* "forward" "answer" ... */
	char *route;	      /* forward: the route's name; else NULL */
	char *rcpt;	      /* answer, reminder, report: the
				 recipients ("a@x, b@y") */
	char *note;	      /* forward: the routing note; answer: the
				body; reminder, report: subject line,
				blank line, body (a report's text part) */
	char *html;	      /* report: its HTML part; else NULL */
	char *state;	      /* "pending" "sent" "failed" "skipped" */
	int attempts;	      /* failed attempts so far */
	int parts_sent;	      /* mails of the row the server accepted */
	int64_t created;
	int64_t next_attempt;
	int64_t sent_at;  /* 0 until sent */
	char *last_error; /* the last failure's text, or NULL */
	/*
	 * What loop protection needs of message_row, as ingest recorded it
	 * (messages.flags, from_addr, x_loop): 0 / NULL without one.
	 */
	unsigned msg_flags; /* MSG_* */
	char *msg_from;	    /* the sender's address */
	char *msg_x_loop;   /* its X-Loop header values, one a line */
};

/*
 * Pending rows whose next_attempt has come (by the store's clock) and
 * that no other sender's send lease holds, oldest id first, at most
 * `limit` (0: 100).  *rows_r is owned by the caller
 * (store_outbox_free); may be empty.
 */
int store_outbox_due(struct store *st, size_t limit,
    struct store_outbox **rows_r, size_t *n_r, struct error *err);

/*
 * The sender's claim, for several senders on one outbox (several
 * triaged on one PostgreSQL database, ../shared/SCALE.md): the oldest
 * due row, given a send lease (outbox.locked_by = store_owner_id(st),
 * locked_until = the database's clock + lease_ms) in one short
 * transaction committed before anything is sent.  A row another
 * sender's live lease holds is not due, and two senders claiming at
 * once take different rows (PostgreSQL: FOR UPDATE SKIP LOCKED).  The
 * lease must outlive the worst-case send of one mail of the row: each
 * mail accepted renews it (store_outbox_progress).
 *
 * Every settle below (progress, retry, defer, fail, skip) is fenced on
 * the lease: when another sender took the row over after ours expired
 * it changes nothing and fails with ERR_REFUSED (the mail must not be
 * counted as sent by us).  A row never claimed (a test, an older
 * triaged's) may be settled by anyone.  Settling gives the lease back.
 *
 * Returns 1 with *row_r filled (store_outbox_clear), 0 when nothing is
 * due, -1 with err.
 */
int store_outbox_claim(struct store *st, int lease_ms,
    struct store_outbox *row_r, struct error *err);

/*
 * Give back every send lease but ours (locked_by kept: their holders
 * stay fenced off), for a sender that knows it is the only one on its
 * database: triaged on SQLite, under its lock, where any other holder
 * is a triaged that died (SIGKILL) with rows in hand.  0 or -1 with err.
 */
int store_outbox_release_others(struct store *st, struct error *err);

/*
 * Waking the senders.  Each transaction that queues rows (store_outbox_
 * add, store_outbox_requeue) notifies once, just before its COMMIT, on
 * PostgreSQL (pg_notify; never one per row).  store_outbox_listen: this
 * connection receives them from now on; 1, or 0 on SQLite, which has
 * none (the sender's timer is the only wake-up there, and in-process
 * wake-ups), or -1 with err.  store_outbox_wait: wait up to timeout_ms
 * for one on a listening connection: the number received (0: none came
 * in time), or -1 with err (ERR_TEMP: the connection is gone).
 */
int store_outbox_listen(struct store *st, struct error *err);
int store_outbox_wait(struct store *st, int timeout_ms, struct error *err);

/*
 * Rows for `triage outbox`: state `state` ("pending" "sent" "failed"
 * "skipped"; "all": every row; NULL: pending and failed), newest first, at most
 * `limit` (0: no limit).
 */
int store_outbox_list(struct store *st, const char *state, size_t limit,
    struct store_outbox **rows_r, size_t *n_r, struct error *err);

/* One row; ERR_NOTFOUND when there is none. */
int store_outbox_get(struct store *st, int64_t id, struct store_outbox *row_r,
    struct error *err);

/*
 * Record that the server accepted the row's mails up to `parts_sent`;
 * `done` marks the row sent (sent_at now) and adds a "forwarded" (or
 * "answered") event naming `detail` (the Message-ID; may be NULL).
 * Commits at once: this is the moment a mail counts as delivered.
 */
int store_outbox_progress(struct store *st, int64_t id, int parts_sent,
    int done, const char *detail, struct error *err);

/* A temporary failure: attempts + 1, next attempt at `next_attempt`. */
int store_outbox_retry(struct store *st, int64_t id, int64_t next_attempt,
    const char *error, struct error *err);
/*
 * Wait without counting an attempt (a cap says not yet): only
 * next_attempt and last_error change.
 */
int store_outbox_defer(struct store *st, int64_t id, int64_t next_attempt,
    const char *why, struct error *err);

/* A permanent failure: state failed and a "forward-failed" event. */
int store_outbox_fail(struct store *st, int64_t id, const char *error,
    struct error *err);

/* Never to be sent (loop protection): a "forward-skipped" event. */
int store_outbox_skip(struct store *st, int64_t id, const char *why,
    struct error *err);

/*
 * `triage outbox retry ID`: a failed or pending row is due now again
 * with its attempts reset, and a "forward-retry" event by `actor`.  A
 * sent or skipped row is refused (ERR_REFUSED: a sent mail is never sent
 * twice); no such row is ERR_NOTFOUND.
 */
int store_outbox_requeue(struct store *st, int64_t id, const char *actor,
    struct error *err);

/* Forwards of `ticket_id` accepted by the server at or after `since`. */
int store_outbox_sent_since(struct store *st, int64_t ticket_id, int64_t since,
    int64_t *n_r, struct error *err);

/* Rows in `state` ("pending" "failed" ...), for `triage status`. */
int store_outbox_count(struct store *st, const char *state, int64_t *n_r,
    struct error *err);

/*
 * The earliest next_attempt of a pending row, or 0 when none is pending:
 * how long the sender may sleep.
 */
int store_outbox_next(struct store *st, int64_t *at_r, struct error *err);

/*
 * The weekly report mail (store-weekly.c).  weekly_reports keeps one row
 * per week, keyed by the instant its report fell due, so a restart never
 * queues a week twice.
 *
 * store_weekly_last: the newest week's due instant, 0 when none.
 */
int store_weekly_last(struct store *st, int64_t *due_r, struct error *err);
/*
 * Record week `due` and queue its report to `rcpt` (kind "report":
 * `note` is the subject line, a blank line and the text part, `html` the
 * HTML part) in one transaction; `rcpt` NULL records the week without
 * mail (the first week a database sees).  *outbox_id_r: the new row, 0
 * when none was queued: no rcpt, or the week was recorded already (by
 * another triaged or an earlier turn).
 */
int store_weekly_add(struct store *st, int64_t due, const char *rcpt,
    const char *note, const char *html, int64_t *outbox_id_r,
    struct error *err);
/* Queue a report mail now (`triage report --mail`), about no week. */
int store_weekly_queue(struct store *st, const char *rcpt, const char *note,
    const char *html, int64_t *outbox_id_r, struct error *err);

/* Free rows from store_outbox_due / _list; accepts NULL; sets *rows NULL. */
void store_outbox_free(struct store_outbox **rows, size_t n);
/* Free the strings of one row (store_outbox_get). */
void store_outbox_clear(struct store_outbox *row);

#endif
