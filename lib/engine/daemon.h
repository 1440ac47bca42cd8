/*
 * The daemon's engine: one worker thread per configured mailbox, one
 * committer thread that owns the database connection.
 *
 * Why threads: libetpan's IMAP calls block (each bounded by a timeout),
 * so a mailbox whose server hangs must not hold up the others; and the
 * work of a drain -- fetch (the server), parse and classify (a worker's
 * prep thread: ingest_prepare), store (the committer: ingest_commit) --
 * overlaps on two cores instead of running one step after the other.  SQLite writes are serialized through the one
 * connection the committer owns: a worker hands it a batch of parsed,
 * classified messages, and the committer stores them and the mailbox's
 * checkpoint in one transaction.  Meanwhile the worker fetches and
 * parses the next batch; once the batch it handed over has committed,
 * it applies the post-action (flag or move) to that batch's UIDs.  At
 * most three batches per mailbox exist at once (two handed on, one being
 * fetched), each bounded in count and bytes, so memory does not grow
 * with the size of a mailbox.
 *
 * Each worker: connect (TLS verified), log in, SELECT, compare
 * UIDVALIDITY with the checkpoint, drain everything past the checkpoint,
 * then wait for mail (IMAP IDLE where offered, else poll_interval) and
 * drain again.  Any failure -- refused login, dropped connection, a
 * database that cannot commit -- backs that mailbox off exponentially
 * with jitter and retries; other mailboxes go on.
 *
 * The library does not log: every line goes to opts.log, with the
 * mailbox as its context, from whichever thread, one call at a time.
 */
#ifndef TRIAGE_DAEMON_H
#define TRIAGE_DAEMON_H

#include <stddef.h>

#include "conf.h"
#include "error.h"
#include "log-sink.h"
#include "mailbox.h"
#include "store.h"

struct ingest;

struct daemon;

struct daemon_opts {
	int once;	      /* each mailbox polls once, then stops */
	int timeout_s;	      /* every network operation; 0: 60 */
	size_t batch_count;   /* messages per batch; 0: 100 */
	size_t batch_bytes;   /* bytes per batch; 0: 4 MB */
	long backoff_base_ms; /* 0: 1000 */
	long backoff_cap_ms;  /* 0: 300000 (5 minutes) */
	int idle_renew_s;     /* re-issue IDLE after; 0: 25 minutes */
	int no_idle;	      /* 1: poll even where IDLE is offered */
	/*
	 * Post-actions known to be done up to this UID, per mailbox (from
	 * the previous run's status file), so a crash between commit and
	 * post-action is repaired on the next start.  NULL: none known.
	 */
	const struct mailbox_status *previous;
	size_t n_previous;
	/*
	 * The pipeline every fetched message goes through (ingest.h):
	 * prepared on the mailbox's prep thread, committed by the
	 * committer.  Foreign, required; it must stay valid until
	 * daemon_free().
	 */
	const struct ingest *ingest;
	/*
	 * Where log lines go, each with its mailbox (NULL: the daemon as a
	 * whole).  Called from any thread, never concurrently.
	 */
	struct log_sink log;
	/*
	 * A database several triaged share (PostgreSQL): a worker fetches
	 * only while this instance holds its mailbox's lease (daemon-lease.c
	 * keeps them, lease_ms long, on a connection of its own), every
	 * batch commits fenced on the lease's epoch, flag/move progress and
	 * the status live in the database (`previous` is not used), and
	 * the committer reopens its store after a lost connection
	 * (`reopen`).  0: one triaged per database, as on SQLite.
	 */
	int shared;
	int lease_ms;	   /* 0: 15 s */
	const char *owner; /* foreign: our owner id (store_owner_id) */
	/*
	 * Replace *stp (the committer's store, closed) by a fresh
	 * connection set up as the first was; 0 or -1 with err.  Called on
	 * the committer thread.  Required when shared.
	 */
	int (*reopen)(void *arg, struct store **stp, struct error *err);
	void *reopen_arg;
};

/*
 * Start a worker for each mailbox of `conf` and the committer.  conf is
 * foreign and must stay valid until daemon_free(); `st` is used only by
 * the committer thread from now until daemon_free() returns.  Returns 0
 * and sets *d_r, or -1 with err (threads or descriptors unavailable).
 */
int daemon_start(const struct conf *conf, struct store *st,
    const struct daemon_opts *opts, struct daemon **d_r, struct error *err);

/*
 * A descriptor that polls readable whenever a mailbox's state changed
 * (for STATUS and the status file) or every worker has stopped.  Call
 * daemon_ack() after it fired.
 */
int daemon_wake_fd(const struct daemon *d);
void daemon_ack(struct daemon *d);

/* 1 when every worker has stopped (--once finished, or after stop). */
int daemon_done(struct daemon *d);

/* Number of mailboxes whose last attempt failed. */
size_t daemon_failed(struct daemon *d);

/*
 * A copy of every mailbox's state, in config order (free() *v_r).
 */
void daemon_status(struct daemon *d, struct mailbox_status **v_r, size_t *n_r);

/*
 * Stop (if not yet), wait for the workers -- a worker still blocked on
 * the network after grace_ms has its connection shut down -- and the
 * committer, and free everything.  Accepts NULL; sets *dp to NULL.
 */
void daemon_free(struct daemon **dp, int grace_ms);

#endif
