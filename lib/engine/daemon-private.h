/*
 * Internals shared by daemon.c (lifecycle, status), daemon-worker.c (one
 * mailbox's IMAP session and sync), daemon-commit.c (the committer
 * thread and its queue) and daemon-event.c (log lines and wake-ups,
 * which every thread sends: it calls none of the others, so no two
 * files call each other).  See daemon.h for the design.
 */
#ifndef TRIAGE_DAEMON_PRIVATE_H
#define TRIAGE_DAEMON_PRIVATE_H

#include <pthread.h>
#include <stdint.h>

#include "backoff.h"
#include "daemon.h"
#include "store-lease.h"

struct imap;
struct ingest_msg;
struct ticker;

/*
 * One message of a batch: fetched by the worker (raw), then prepared on
 * the prep thread (im, which takes the bytes over), then committed.
 */
struct daemon_entry {
	uint32_t uid;
	uint32_t size; /* as the server reported it */
	char *raw;     /* owned until prepared: the bytes */
	size_t raw_len;
	struct ingest_msg *im; /* owned: prepared, or NULL not yet */
	int too_big;	       /* im is a stand-in, not fetched */
};

enum daemon_job_kind {
	JOB_BATCH,	/* store entries, move the checkpoint */
	JOB_CHECKPOINT, /* read the mailbox's checkpoint */
	JOB_ACTED,	/* shared: record the flag/move progress */
};

/*
 * A unit of work for the committer.  The worker owns it; while queued
 * the committer may fill the result fields, then sets done (under
 * d->lock) and broadcasts d->cond.
 */
struct daemon_job {
	enum daemon_job_kind kind;
	struct daemon_worker *w; /* foreign */
	uint32_t uidvalidity;	 /* BATCH: checkpoint to record */
	uint32_t last_uid;
	int64_t epoch; /* BATCH, shared: the lease it is fenced on */
	/* BATCH, ACTED, shared: post-actions done (0/0: nothing to say) */
	uint32_t acted_uidvalidity;
	uint32_t acted_uid;
	struct daemon_entry *v; /* owned */
	size_t n, cap;
	size_t bytes; /* raw bytes held */
	/* results */
	int done;
	int failed;
	struct error err;
	struct mailbox_counts counts; /* BATCH: what storing found */
	int64_t cp_uidvalidity;	      /* CHECKPOINT: what is stored */
	int64_t cp_last_uid;
	int64_t cp_acted_uidvalidity; /* CHECKPOINT, shared: progress */
	int64_t cp_acted_uid;
	struct daemon_job *next; /* queue link (prep, then commit) */
	/* preparing, under d->pool_lock (daemon-prep.c) */
	size_t prep_next;	      /* the next entry to claim */
	size_t prep_done;	      /* entries prepared */
	struct daemon_job *open_next; /* in d->pool_open */
};

/* A FIFO of jobs between threads, under d->lock. */
struct daemon_queue {
	struct daemon_job *head, *tail;
	int quit; /* the taker ends once it is empty */
};

/* Batches of one mailbox in flight: one parsing, one storing. */
#define DAEMON_INFLIGHT 2

struct daemon_worker {
	struct daemon *d;	       /* foreign */
	const struct conf_mailbox *mb; /* foreign, in d->conf */
	size_t index;		       /* into d->status */
	pthread_t thread;
	int started;
	struct imap *imap; /* owned */
	int sock;	   /* under d->lock: for shutdown() */
	struct backoff backoff;
	uint32_t acted_uid; /* post-actions done up to here */
	uint32_t acted_uidvalidity;
	int action_refused;	 /* this poll: the server refused one */
	char action_error[1024]; /* and what it said */
	/*
	 * Batches handed on, oldest first: each is parsed on the worker's
	 * prep thread, then stored by the committer, while the worker
	 * fetches the next.  Owned; their post-actions follow in order.
	 */
	struct daemon_job *inflight[DAEMON_INFLIGHT];
	size_t n_inflight;
	pthread_t prep; /* parses and classifies batches */
	int prep_started;
	struct daemon_queue prep_q; /* what the prep thread takes */
	int commit_failed;	    /* under d->lock: later batches of
					   this drain are not stored */
	struct mailbox_counts poll; /* this poll so far */
	int failed;		    /* the last attempt failed */
	/* shared (daemon-lease.c) */
	char lease[STORE_LEASE_NAME_MAX]; /* its name */
	int lease_fd;	      /* eventfd: the lease changed, or stop */
	uint32_t acted_saved; /* acted_uid the database has */
	/* under d->lock */
	int64_t epoch;	 /* of the lease we hold; 0: not held */
	int64_t renewed; /* monotonic ms of the last renewal */
	int give_back;	 /* surplus: stop at a batch boundary */
	int lease_idle;	 /* the worker fetches nothing now */
};

struct daemon {
	const struct conf *conf; /* foreign */
	struct store *st;	 /* foreign; the committer's alone */
	struct daemon_opts opts;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;  /* a job is done, or queued */
	pthread_mutex_t log_lock;
	struct mailbox_status *status; /* owned, one per mailbox */
	struct daemon_worker *workers; /* owned */
	size_t n;
	size_t running; /* workers not yet stopped */
	int stopping;
	int stop_fd;		      /* eventfd, readable once stopping */
	int wake_fd;		      /* eventfd, to the main loop */
	struct daemon_queue commit_q; /* what the committer takes */
	int committer_started;
	pthread_t committer;
	/* the parse helpers (daemon-prep.c) */
	pthread_mutex_t pool_lock;    /* the four below, jobs' prep_* */
	pthread_cond_t pool_cond;     /* a batch opened, or one prepared */
	struct daemon_job *pool_open; /* batches with entries unclaimed */
	int pool_quit;
	pthread_t *helpers; /* owned */
	size_t n_helpers;
	/* shared: the lease keeper (daemon-lease.c) */
	char *owner;		 /* owned: our owner id */
	struct store *keeper_st; /* owned: the keeper's connection */
	struct ticker *keeper;	 /* owned */
	int keeper_turns;	 /* under lock: turns done */
	int keeper_failing;	 /* keeper: its last statement failed */
	int64_t started;	 /* s since 1970, for the instance row */
	int store_broken;	 /* committer: reopen before the next job */
};

/* ---- daemon-event.c: what every thread reports ---- */

/* Log to opts.log, one line at a time: `mailbox` may be NULL. */
void daemon_log(struct daemon *d, enum log_level level, const char *mailbox,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same about a ticket or a message (the journal's TICKET=...). */
void daemon_log_where(struct daemon *d, enum log_level level,
    const struct log_where *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Tell the main loop something changed. */
void daemon_wake(struct daemon *d);

/* ---- daemon-commit.c ---- */

/* Append a job (its done flag cleared) and wake the taker. */
void daemon_queue_put(struct daemon *d, struct daemon_queue *q,
    struct daemon_job *job);
/* The next job, waiting for one; NULL once quit is asked and q empty. */
struct daemon_job *daemon_queue_take(struct daemon *d, struct daemon_queue *q);
/* Ask the taker to end once q is empty. */
void daemon_queue_quit(struct daemon *d, struct daemon_queue *q);

/* The committer thread's body; arg is the struct daemon. */
void *daemon_commit_main(void *arg);
/* Queue a job (the caller keeps ownership) and wake the committer. */
void daemon_commit_submit(struct daemon *d, struct daemon_job *job);
/* Wait until the committer is done with `job`. */
void daemon_commit_wait(struct daemon *d, struct daemon_job *job);

/* Free a job and every entry it holds; accepts NULL. */
void daemon_job_free(struct daemon_job **jobp);

/* ---- daemon-prep.c ---- */

/*
 * Start the parse helpers: one per online CPU beyond the first (fewer
 * if threads are refused; none leaves each prep thread alone).
 */
void daemon_pool_start(struct daemon *d);
/* Once no batch is being prepared: end and join the helpers. */
void daemon_pool_stop(struct daemon *d);

/* Start w's prep thread (without one, batches are prepared on w). */
void daemon_prep_start(struct daemon_worker *w);
/*
 * Hand a batch on: prepared (by the prep thread and the helpers), then
 * queued for the committer, in the order handed on.
 */
void daemon_prep_submit(struct daemon_worker *w, struct daemon_job *job);
/* Nothing may be in flight: every batch handed on is done. */
void daemon_prep_stop(struct daemon_worker *w);

/* ---- daemon-lease.c: shared database, the mailbox leases ---- */

/*
 * Start the keeper (opts.shared only): its first turn beats, takes this
 * instance's share of the leases and wakes the workers it gave one.
 * 0, or -1 with err (no thread).
 */
int daemon_lease_start(struct daemon *d, struct error *err);
/*
 * After every worker stopped: end the keeper, give back every lease at
 * once and remove our instance row.  Accepts a daemon never started.
 */
void daemon_lease_stop(struct daemon *d);
/* The worker may fetch: its lease is held and not to be given back. */
int daemon_lease_ok(struct daemon_worker *w);
/* Who holds lease `name` now (owned), or NULL: free or unknown. */
char *daemon_lease_holder(struct store *st, const char *name);
/* The lease of job's batch was lost: say to whom, stop the worker. */
void daemon_lease_lost(struct daemon_worker *w, int64_t epoch,
    const char *holder);
/*
 * The worker is about to fetch: 1 (and no longer idle) when its lease
 * is held and not to be given back, else 0.
 */
int daemon_lease_busy(struct daemon_worker *w);
/* The worker fetches nothing now: the keeper may give its lease back. */
void daemon_lease_idle(struct daemon_worker *w);
/* Wake w (stop or a lease change): write its lease_fd. */
void daemon_lease_wake(struct daemon_worker *w);

/* ---- daemon-worker.c ---- */

/* A worker thread's body; arg is its struct daemon_worker. */
void *daemon_worker_main(void *arg);

#endif
