/*
 * The outbox sender: passes over the due rows of the outbox table, one
 * SMTP session per pass reused across rows.  The engine's background
 * ticker (lib/engine/engine-jobs.c) runs them in triaged, on a SQLite
 * connection of its own, so sending never holds up the committer.
 *
 * One pass (outbox_run_pass): claim up to `batch` due rows, oldest
 * first, one at a time (store_outbox_claim: a send lease, so that
 * several triaged on one database send each row once); for each,
 * decide, build, send, record (each record fenced on the lease: a row
 * taken over by another sender is logged "not recorded", counted lost):
 *   forward, unknown route            failed
 *   follow-up that loop protection    skipped (never sent): carries our
 *     refuses                         X-Loop, auto-submitted, a bounce,
 *                                     from our own address, or from the
 *                                     route's own address (the routed
 *                                     side answering)
 *   ticket forwarded `forwards_per_   deferred (waits, no attempt counted)
 *     hour` times in the last hour
 *   answer                            built by o->build_answer (NULL:
 *                                     deferred until a triaged that can)
 *   reminder                          forward_answer_build from the row
 *                                     (rcpt, note: subject, blank, body)
 *   any other kind                    deferred (a newer triaged's)
 *   then outbox_send: each accepted mail is committed at once
 *   (store_outbox_progress), a 4xx or no connection retries after
 *   outbox_backoff(), a 5xx fails the row with the server's text.
 * When the server cannot be reached every row of the pass is retried
 * with that error, without a connection attempt per row.
 *
 * The library does not log: each verdict is one line to opts.log.
 */
#ifndef TRIAGE_OUTBOX_RUN_H
#define TRIAGE_OUTBOX_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "log-sink.h"

struct accounts;
struct forward_mail;
struct forward_sender;
struct net_cut;
struct store;

/* Forwards of one ticket in any hour; more wait (DESIGN.md caps). */
#define OUTBOX_FORWARDS_PER_HOUR 20

/* Build answer row `outbox_id` (mailcmd_answer_build's shape). */
typedef int outbox_answer_fn(struct store *st, int64_t outbox_id,
    const struct forward_sender *s, int64_t now, struct forward_mail *mail_r,
    struct error *err);

struct outbox_run_opts {
	int timeout_s;	       /* each SMTP operation; 0: 60 */
	size_t batch;	       /* rows per pass; 0: 50 */
	int interval_s;	       /* look for due rows this often; 0: 5 */
	int forwards_per_hour; /* per ticket; 0: OUTBOX_FORWARDS_PER_HOUR */
	int backoff_first_s;   /* first retry after; doubles like
				  outbox_backoff(); 0: OUTBOX_BACKOFF_FIRST */
	int lease_s;	       /* a claimed row's send lease; 0: timeout_s *
			OUTBOX_LEASE_STEPS */
	outbox_answer_fn *build_answer; /* NULL: answer rows wait */
	struct net_cut *cut;		/* a ticker's: SMTP publishes its socket
				  there, to be cut on stop; NULL: none */
	const int *stop;		/* a ticker's stop flag: the pass ends
				  after the row in hand; NULL: none */
	/* One line per verdict, component "outbox"; fn may be NULL. */
	struct log_sink log;
};

/*
 * SMTP steps one mail of a row may take, each up to timeout_s: connect,
 * greeting, EHLO, STARTTLS, EHLO, AUTH, MAIL, a few RCPT, DATA, the
 * data, QUIT.  The send lease of a claimed row (store_outbox_claim) is
 * that many timeouts, so it outlives the worst-case send of a mail.
 */
#define OUTBOX_LEASE_STEPS 16

/* What one pass did with its rows. */
struct outbox_pass {
	size_t rows; /* due rows claimed */
	size_t sent, retried, failed, skipped, deferred;
	size_t lost; /* rows whose send lease another sender took over:
			their outcome not recorded by us */
};

/*
 * One pass over the due rows of `st` with the config `c` (smtp block,
 * smtp.from, routes) and `accounts` (may be NULL).  Returns 0 and fills
 * *res_r (may be NULL) whatever the mail verdicts were; -1 with err only
 * when the database could not record one (ERR_TEMP: busy) -- then the
 * pass stops at once, since a mail accepted but not recorded must not be
 * sent again by this pass (README "Forwarding": the 250-to-commit window).
 */
int outbox_run_pass(struct store *st, const struct conf *c,
    const struct accounts *accounts, const struct outbox_run_opts *o,
    struct outbox_pass *res_r, struct error *err);

/*
 * Passes until nothing due is left that this run can send (triaged
 * --once).  Same returns as outbox_run_pass; *res_r sums the passes.
 */
int outbox_run_drain(struct store *st, const struct conf *c,
    const struct accounts *accounts, const struct outbox_run_opts *o,
    struct outbox_pass *res_r, struct error *err);

/*
 * Seconds until a pass is worth running again after one that did `res`
 * on `st`: 0 when it took a full batch, else until the earliest pending
 * row is due, at most interval_s (0: 5).
 */
int64_t outbox_run_wait(struct store *st, const struct outbox_run_opts *o,
    const struct outbox_pass *res);

#endif
