/*
 * The threads of the current configuration: one worker per mailbox and
 * the committer (daemon.h), and the cron of outbox and SLA jobs.  Started
 * by engine_start() and again after each reload; stopped before either
 * swaps or frees what they read.
 */
#include "engine-private.h"

#include <stdlib.h>

#include "accounts.h"
#include "conf.h"
#include "daemon.h"
#include "ingest.h"
#include "store-lease.h"
#include "store.h"

/* SQLite page cache of the writer: ingest's index lookups stay in it,
 * the pages of bodies just written need not (peak RSS < 48 MB). */
#define DB_CACHE_KIB (8 * 1024)

int
engine_store_open(struct engine *e, struct error *err)
{
	int r;

	r = store_open_pw(e->conf->database, e->conf->db_password_file, &e->st,
	    err);
	if (r == 0 && !e->shared)
		r = store_set_cache_size(e->st, DB_CACHE_KIB, err);
	/* a batch cut off mid-way frees the ingest lock within a lease */
	if (r == 0 && e->shared)
		r = store_set_idle_limit(e->st, e->conf->lease_seconds * 1000,
		    err);
	if (r < 0)
		store_close(&e->st);
	return r;
}

/*
 * daemon_opts.reopen: close e->st and open it again as engine_open did
 * (on the committer's thread, which owns it while the daemon runs).
 */
static int
reopen_store(void *arg, struct store **st_r, struct error *err)
{
	struct engine *e = arg;

	store_close(&e->st);
	*st_r = NULL;
	if (engine_store_open(e, err) < 0)
		return -1;
	store_set_owner_id(e->st, e->owner);
	ingest_store_setup(e->st, e->conf, e->accounts);
	*st_r = e->st;
	return 0;
}

static int
start_mailboxes(struct engine *e)
{
	struct mailbox_status *prev = NULL;
	struct daemon_opts opts = { 0 };
	struct error err = { 0 };
	pid_t pid;
	int64_t updated;
	size_t n_prev = 0;
	int r;

	/* How far post-actions got last time (crash repair; shared: the
	 * database says, daemon.h). */
	if (!e->shared)
		(void)mailbox_status_read(e->status_path, &pid, &updated, &prev,
		    &n_prev, &err);
	opts.shared = e->shared;
	opts.lease_ms = e->conf->lease_seconds * 1000;
	opts.owner = e->owner;
	opts.reopen = reopen_store;
	opts.reopen_arg = e;
	opts.once = e->opts.once;
	opts.no_idle = e->opts.no_idle;
	opts.batch_count = e->opts.batch;
	opts.idle_renew_s = e->opts.idle_renew_s;
	opts.previous = prev;
	opts.n_previous = n_prev;
	opts.log = e->opts.log;
	/* no worker runs now: a pipeline over the config and rules in force */
	ingest_free(&e->ingest);
	e->ingest = ingest_new(e->conf, e->rules, e->accounts);
	opts.ingest = e->ingest;
	r = daemon_start(e->conf, e->st, &opts, &e->d, &err);
	free(prev);
	if (r < 0)
		log_sink_say(&e->opts.log, LOG_LVL_ERR, NULL, "%s", err.msg);
	return r;
}

/* The outbox and SLA jobs (not with --once: engine_finish runs them). */
static int
start_jobs(struct engine *e)
{
	struct error err = { 0 };

	if (!e->conf->has_smtp)
		log_sink_say(&e->opts.log, LOG_LVL_NOTICE, NULL,
		    "no smtp block "
		    "in %s: forwards and answers wait in the outbox",
		    e->opts.conf_path);
	if (e->opts.once)
		return 0;
	if (engine_jobs_start(e->conf, e->accounts, &e->opts.log, &e->jobs,
		&err) < 0) {
		log_sink_say(&e->opts.log, LOG_LVL_ERR, NULL, "%s", err.msg);
		return -1;
	}
	return 0;
}

int
engine_run_start(struct engine *e)
{
	if (start_mailboxes(e) < 0 || start_jobs(e) < 0)
		return -1;
	return 0;
}

void
engine_run_stop(struct engine *e)
{
	engine_jobs_free(&e->jobs);
	daemon_free(&e->d, ENGINE_STOP_GRACE_MS);
	ingest_free(&e->ingest);
}
