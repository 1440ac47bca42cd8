/*
 * The outbox sender's pieces: what a send attempt means for an outbox
 * row, how long a row waits after a temporary failure, how the mails of
 * one row are built from what the store holds (outbox-build.c), and the
 * send loop of one row that records each accepted mail at once
 * (outbox.c).  The daemon's tick takes due rows from the store and
 * records the verdicts (README "Forwarding": exactly once).
 *
 * One row can be several mails (redirect: one per customer message).
 * The row keeps how many were accepted, so a retry after a failure or a
 * crash resumes after the last accepted one instead of sending it again.
 */
#ifndef TRIAGE_OUTBOX_H
#define TRIAGE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "forward.h"

struct accounts;
struct smtp;
struct store;

/* First retry after a minute, doubling, at most every six hours. */
#define OUTBOX_BACKOFF_FIRST 60
#define OUTBOX_BACKOFF_MAX (6 * 3600)
/* A row still failing temporarily after this long is given up. */
#define OUTBOX_GIVE_UP (3 * 86400)

enum outbox_verdict {
	OUTBOX_SENT,   /* mark sent now, in its own transaction */
	OUTBOX_RETRY,  /* attempts + 1, next attempt after outbox_backoff() */
	OUTBOX_FAILED, /* mark failed with the error; never sent again */
};

/* Seconds to wait after the `attempts`-th failed attempt (attempts >= 1). */
int64_t outbox_backoff(int attempts);

/*
 * What a failed attempt means for its row: ERR_REFUSED (the server said
 * 5xx) fails it; anything else (4xx, connection, TLS, configuration) is
 * retried until the row is older than OUTBOX_GIVE_UP (`age` seconds since
 * it was queued), then it fails.
 */
enum outbox_verdict outbox_judge(const struct error *err, int64_t age);

/*
 * Called right after the server accepted mails->v[part], before anything
 * else: record it (the row's count of accepted mails, and the row as sent
 * after the last one) in its own committed transaction.  Returns 0, or
 * -1 with err set when it could not be recorded.
 */
typedef int outbox_sent_fn(void *arg, size_t part, struct error *err);

/*
 * Send mails->v[from ..] of one row over an open session, calling `sent`
 * after each 250.  Returns OUTBOX_SENT when every one was accepted.  On a
 * send failure returns outbox_judge(err, age) with err set (the server's
 * text for a 4xx/5xx); the caller records it, and a broken session
 * (smtp_alive() 0) must be reopened before the next row.  When `sent`
 * fails the mail was delivered but not recorded: returns OUTBOX_RETRY
 * with sent's error, and the caller must stop sending (a retry would
 * deliver that mail again).
 */
enum outbox_verdict outbox_send(struct smtp *smtp,
    const struct forward_mails *mails, size_t from, int64_t age,
    outbox_sent_fn *sent, void *arg, struct error *err);

/*
 * Build the mails of one forward row: ticket `ticket_id` to `route`, the
 * whole thread when `message_row` is 0 (the routing), else the thread from
 * stored message `message_row` on (a follow-up).  `accounts` (may be
 * NULL) names the customer's key account and tier in the summary.
 * `upto_message` > 0 leaves out messages stored after it (a row pinned
 * to the thread as it was when queued).  `event_id` (the outbox
 * row id) makes the Message-IDs.  Team messages are passed through
 * command_strip(): one that carried command lines is summarised without
 * them, never attached.  Returns 0 and fills *out_r (free with
 * forward_mails_clear), or -1: ERR_NOTFOUND when the ticket or message
 * is gone, the store's and forward_build's codes otherwise.
 */
int outbox_build_forward(struct store *st, const struct accounts *accounts,
    int64_t ticket_id, int64_t message_row, int64_t upto_message,
    const struct conf_route *route, const struct forward_sender *s,
    int64_t event_id, int64_t now, struct forward_mails *out_r,
    struct error *err);

#endif
