/*
 * The engine's lifecycle: open (config, rules, accounts, the database's
 * lock, the database), start the threads, finish (--once: the SLA look
 * and the outbox drain after the mailboxes), free in reverse.  See
 * engine.h.
 */
#include "engine-private.h"

#include <stdlib.h>

#include "accounts.h"
#include "conf.h"
#include "daemon.h"
#include "ingest.h"
#include "mailbox.h"
#include "mime.h"
#include "rules.h"
#include "store-lease.h"
#include "store.h"
#include "xalloc.h"

static int
open_store(struct engine *e, struct error *err)
{
	int r = engine_store_open(e, err);

	if (r < 0)
		log_sink_say(&e->opts.log, LOG_LVL_ERR, NULL, "%s", err->msg);
	return r;
}

/*
 * Config, then rules, then accounts: a broken one is a config error,
 * reported before the database is touched.
 */
static int
load(struct engine *e, struct error *err)
{
	const char *broken = e->opts.conf_path;

	e->conf = engine_load_conf(&e->opts);
	if (e->conf == NULL)
		goto broken;
	e->rules = engine_load_rules(&e->opts, e->conf);
	if (e->rules == NULL)
		goto broken;
	if (engine_load_accounts(&e->opts, e->conf, &e->accounts) < 0) {
		broken = e->conf->accounts;
		goto broken;
	}
	log_set_level(e->conf->log_level); /* unless -v or -q said */
	return 0;
broken:
	log_sink_say(&e->opts.log, LOG_LVL_ERR, NULL, "%s: not starting",
	    broken);
	return error_set(err, ERR_CONF, "%s is broken", broken);
}

int
engine_open(const struct engine_opts *opts, struct engine **e_r,
    struct error *err)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->opts = *opts;
	e->lock_fd = -1;
	if (load(e, err) < 0)
		goto fail;
	/* Before the database is touched: one triaged per database, and
	 * one that can write it (not a lock file that cannot be made).
	 * Several share a PostgreSQL one: leases instead (daemon.h). */
	e->shared = store_target_is_server(e->conf->database);
	if (!e->shared &&
	    (store_check_writable(e->conf->database, err) < 0 ||
		engine_lock_take(e->conf->database, &e->lock_fd, err) < 0)) {
		log_sink_say(&e->opts.log, LOG_LVL_ERR, NULL, "%s", err->msg);
		goto fail;
	}
	mime_init();
	e->mime_up = 1;
	if (open_store(e, err) < 0)
		goto fail;
	ingest_store_setup(e->st, e->conf, e->accounts);
	/* shared: our lease owner id, "host:pid:start", the same across
	 * reopens; the status is in the instances table, not a file */
	if (e->shared)
		e->owner = xstrdup(store_owner_id(e->st));
	else
		e->status_path = mailbox_status_path(e->conf->database);
	*e_r = e;
	return 0;
fail:
	engine_free(&e);
	return -1;
}

int
engine_start(struct engine *e)
{
	if (engine_run_start(e) < 0)
		return -1;
	log_sink_say(&e->opts.log, LOG_LVL_NOTICE, NULL,
	    "started: %zu "
	    "mailbox%s, %zu rules, database %s",
	    e->conf->n_mailboxes, e->conf->n_mailboxes == 1 ? "" : "es",
	    rules_count(e->rules), e->conf->database);
	return 0;
}

int
engine_wake_fd(const struct engine *e)
{
	return e->d != NULL ? daemon_wake_fd(e->d) : -1;
}

int
engine_wake(struct engine *e)
{
	if (e->d == NULL)
		return 1;
	daemon_ack(e->d);
	/* A batch may have queued forwards or answers. */
	engine_jobs_wake_outbox(e->jobs);
	return daemon_done(e->d);
}

int
engine_finish(struct engine *e)
{
	int r = 0;

	if (e->opts.once && e->d != NULL && daemon_failed(e->d) > 0)
		r = -1;
	engine_run_stop(e);
	/* --once: the committer is done with the store: it is ours again
	 * (shared: NULL when the committer lost it and could not reopen) */
	if (e->opts.once &&
	    (e->st == NULL || engine_jobs_once(e->st, e->conf, e->accounts,
				  &e->opts.log) < 0))
		r = -1;
	return r;
}

void
engine_free(struct engine **ep)
{
	struct engine *e = *ep;

	if (e == NULL)
		return;
	engine_run_stop(e);
	free(e->status_path);
	free(e->owner);
	store_close(&e->st);
	if (e->mime_up)
		mime_shutdown();
	accounts_free(&e->accounts);
	rules_free(&e->rules);
	conf_free(&e->conf);
	/* Last: the next triaged may start once the database is closed. */
	engine_lock_release(&e->lock_fd);
	free(e);
	*ep = NULL;
}
