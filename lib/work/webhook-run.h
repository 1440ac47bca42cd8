/*
 * The webhook sender: passes over the due rows of the webhooks table.
 * The engine's cron thread (lib/engine/engine-jobs.c) runs them in
 * triaged, on its own SQLite connection, woken after every commit.
 *
 * One row: lease it (committed: state 'sending' until the POST's
 * timeout and a margin), build the payload from the ticket as it is
 * now (webhook.h), sign it, POST it, then record the answer in its own
 * transaction: 2xx delivered, 4xx failed, 5xx or no answer retried
 * after webhook_backoff().  When a receiver does not answer, its other
 * rows in the pass wait too, without a connection attempt each.
 *
 * At most one delivery per event once a receiver answered 2xx: the row
 * is marked delivered right after.  A crash (or a database that stays
 * busy) between the 2xx and that commit leaves the row leased; when the
 * lease is over the row is sent once more, with the same
 * Idempotency-Key, so the receiver can drop the copy.
 *
 * The library does not log: one line per verdict goes to opts.log.
 */
#ifndef TRIAGE_WEBHOOK_RUN_H
#define TRIAGE_WEBHOOK_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "log-sink.h"

struct store;

/* A lease lasts the POST's timeout and this much more. */
#define WEBHOOK_LEASE_MARGIN_S 5

struct webhook_run_opts {
	size_t batch;	 /* rows per pass; 0: 20 */
	int interval_s;	 /* look for due rows this often; 0: 5 */
	const int *stop; /* a ticker's stop flag: ends the POST in hand and
			    the pass; NULL: none */
	/* One line per verdict, component "webhook"; fn may be NULL. */
	struct log_sink log;
};

struct webhook_pass {
	size_t rows; /* due rows taken */
	size_t delivered, retried, failed;
};

/*
 * One pass over the due rows of `st` with the hooks of `c`.  Returns 0
 * and fills *res_r (may be NULL) whatever the receivers said; -1 with
 * err when the database could not record a verdict (the pass stops).
 */
int webhook_run_pass(struct store *st, const struct conf *c,
    const struct webhook_run_opts *o, struct webhook_pass *res_r,
    struct error *err);

/* Passes until nothing due is left (triaged --once); sums into *res_r. */
int webhook_run_drain(struct store *st, const struct conf *c,
    const struct webhook_run_opts *o, struct webhook_pass *res_r,
    struct error *err);

/*
 * Seconds until a pass is worth running again after `res` on `st`: 0
 * after a full batch, else until the next row falls due, at most
 * interval_s.
 */
int64_t webhook_run_wait(struct store *st, const struct webhook_run_opts *o,
    const struct webhook_pass *res);

#endif
