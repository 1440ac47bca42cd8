/*
 * Internals shared by the engine's files: engine.c (open, start, finish,
 * free), engine-reload.c (SIGHUP), engine-status.c (STATUS= and the
 * status file), engine-run.c (the threads of one configuration),
 * engine-check.c (triaged --check), engine-load.c (config, rules,
 * accounts), engine-jobs.c (the outbox
 * and SLA jobs on the cron) and engine-lock.c (one triaged per
 * database).  Each calls only files listed after it.
 */
#ifndef TRIAGE_ENGINE_PRIVATE_H
#define TRIAGE_ENGINE_PRIVATE_H

#include "engine.h"

struct accounts;
struct conf;
struct daemon;
struct engine_jobs;
struct ingest;
struct rules;
struct store;

#define ENGINE_STOP_GRACE_MS 3000 /* then blocked connections are cut */

struct engine {
	struct engine_opts opts;   /* conf_path foreign */
	struct conf *conf;	   /* owned */
	struct rules *rules;	   /* owned; immutable, shared by workers */
	struct accounts *accounts; /* owned: accounts.csv, or NULL */
	int lock_fd;		   /* owned: flock on <database>.lock; -1 */
	char *owner;		   /* owned, shared: our lease owner id */
	int shared;		   /* a database several triaged share
					   (PostgreSQL): leases, no flock, no
					   status file (daemon.h) */
	struct store *st;	   /* owned; the committer's while d runs */
	char *status_path;	   /* owned */
	int status_failing;	   /* the status file's last write failed */
	int mime_up;		   /* mime_init() was called */
	struct ingest *ingest;	   /* owned: the pipeline over conf, rules
					   and accounts; made with d */
	struct daemon *d;	   /* owned: the mailbox workers */
	struct engine_jobs *jobs;  /* owned: outbox and SLA; NULL with
					   --once or when stopped */
};

/* ---- engine-run.c: the threads of the current configuration ---- */

/*
 * Open e->st on the configured database as the committer uses it (the
 * page cache on SQLite; on a shared database, the idle-in-transaction
 * limit of one lease).  Returns 0, or -1 with err, e->st NULL.
 */
int engine_store_open(struct engine *e, struct error *err);

/*
 * Start the mailbox workers and (without --once) the cron of outbox and
 * SLA jobs.  Returns 0, or -1 (logged; what started is left for
 * engine_run_stop).
 */
int engine_run_start(struct engine *e);
/* Stop the cron, then the workers (each finishes its batch). */
void engine_run_stop(struct engine *e);

/* ---- engine-load.c: build a configuration, logging every problem ---- */

/* The config at o->conf_path, or NULL with every error logged. */
struct conf *engine_load_conf(const struct engine_opts *o);
/* The rule set c names, or NULL with every problem logged. */
struct rules *engine_load_rules(const struct engine_opts *o,
    const struct conf *c);
/*
 * c's accounts.csv into *a_r (NULL when none is set); -1 when it is
 * broken (every problem logged), *a_r then NULL.
 */
int engine_load_accounts(const struct engine_opts *o, const struct conf *c,
    struct accounts **a_r);

/* ---- engine-jobs.c: the outbox and SLA jobs ---- */

/*
 * Start the cron with the outbox job (when c has an smtp block) and the
 * SLA job, on a database connection of their own.  c, a (may be NULL)
 * and log->arg are foreign and must outlive engine_jobs_free().  Returns
 * 0 and sets *j_r, or -1 with err (the sla block is bad: ERR_CONF; no
 * thread: ERR_INTERNAL).
 */
int engine_jobs_start(const struct conf *c, const struct accounts *a,
    const struct log_sink *log, struct engine_jobs **j_r, struct error *err);
/* Run the outbox job now (rows were queued); NULL ok. */
void engine_jobs_wake_outbox(struct engine_jobs *j);
/* The cron's one stop path (cron_free); accepts NULL, sets *jp NULL. */
void engine_jobs_free(struct engine_jobs **jp);
/*
 * --once: one SLA look (reminders, no digest), then, with an smtp
 * block, the outbox drained, on `st`.  Returns 0, or -1 (logged).
 */
int engine_jobs_once(struct store *st, const struct conf *c,
    const struct accounts *a, const struct log_sink *log);

/* ---- engine-lock.c: one triaged per database ---- */

/*
 * (SQLite; on a shared database leases do this, daemon.h.)
 * Take the exclusive lock on "<database>.lock" (created if missing) and
 * write our pid into it.  Returns 0 and sets *fd_r (the lock lives as
 * long as the descriptor); or -1 with err: ERR_REFUSED when another
 * process holds it (the message names its pid when the file has one),
 * ERR_INTERNAL when the file cannot be opened or locked.
 */
int engine_lock_take(const char *database, int *fd_r, struct error *err);
/* Release the lock taken by engine_lock_take; *fdp -1 is fine, set -1. */
void engine_lock_release(int *fdp);

#endif
