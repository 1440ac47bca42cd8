/*
 * The committer: the one thread that writes the database.  Workers queue
 * jobs; each batch becomes one transaction holding its messages and the
 * mailbox's new checkpoint, so a crash anywhere loses nothing and stores
 * nothing twice (the store skips what it already has).
 *
 * On a shared database (PostgreSQL, several triaged) the transaction
 * also checks, before it moves the checkpoint, that we still hold the
 * mailbox's lease at the batch's epoch (the row stays locked against a
 * takeover until the commit): a stale owner commits nothing, and since
 * post-actions follow only a commit, flags and moves nothing.  It
 * records the flag/move progress the worker had when it handed the batch
 * on.  A failed job whose error is temporary (a lost connection, a
 * failover) has the committer open a fresh connection before the next.
 */
#include "daemon-private.h"

#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "mime.h"
#include "store-lease.h"

void
daemon_queue_put(struct daemon *d, struct daemon_queue *q,
    struct daemon_job *job)
{
	pthread_mutex_lock(&d->lock);
	job->done = 0;
	job->next = NULL;
	if (q->tail != NULL)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

struct daemon_job *
daemon_queue_take(struct daemon *d, struct daemon_queue *q)
{
	struct daemon_job *job;

	pthread_mutex_lock(&d->lock);
	while (q->head == NULL && !q->quit)
		pthread_cond_wait(&d->cond, &d->lock);
	job = q->head;
	if (job != NULL) {
		q->head = job->next;
		if (q->head == NULL)
			q->tail = NULL;
	}
	pthread_mutex_unlock(&d->lock);
	return job;
}

void
daemon_queue_quit(struct daemon *d, struct daemon_queue *q)
{
	pthread_mutex_lock(&d->lock);
	q->quit = 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

void
daemon_commit_submit(struct daemon *d, struct daemon_job *job)
{
	daemon_queue_put(d, &d->commit_q, job);
}

void
daemon_commit_wait(struct daemon *d, struct daemon_job *job)
{
	pthread_mutex_lock(&d->lock);
	while (!job->done)
		pthread_cond_wait(&d->cond, &d->lock);
	pthread_mutex_unlock(&d->lock);
}

void
daemon_job_free(struct daemon_job **jobp)
{
	struct daemon_job *job = *jobp;

	if (job == NULL)
		return;
	for (size_t i = 0; i < job->n; i++) {
		struct daemon_entry *e = &job->v[i];

		free(e->raw);
		ingest_msg_free(&e->im);
	}
	free(job->v);
	free(job);
	*jobp = NULL;
}

static void
count_result(struct daemon_job *job, const struct daemon_entry *e,
    const struct store_ingest_result *res)
{
	struct mailbox_counts *c = &job->counts;
	const struct msg *m = ingest_msg_parsed(e->im);

	if (res->duplicate) {
		c->duplicate++;
		return;
	}
	c->stored++;
	if (e->too_big)
		c->too_big++;
	else if (m == NULL)
		c->failed++;
	else if (m->n_problems > 0)
		c->problems++;
	if (res->ignored)
		c->ignored++;
}

/* What the pipeline did with one entry that is worth a line. */
static void
log_result(struct daemon *d, const struct daemon_job *job,
    const struct daemon_entry *e, const struct ingest_result *res)
{
	const char *mb = job->w->mb->name;
	const struct mailcmd_result *mres = &res->commands;
	const struct msg *m = ingest_msg_parsed(e->im);
	struct log_where where = { .mailbox = mb,
		.ticket = mres->ticket_id,
		.message_id = m != NULL ? m->message_id : NULL };

	if (res->stored_raw)
		daemon_log(d, LOG_LVL_WARN, mb,
		    "uid=%u: storing the parsed "
		    "message failed (%s); storing it raw",
		    e->uid, ingest_msg_error(e->im));
	if (mres->outcome != MAILCMD_NONE)
		daemon_log_where(d, LOG_LVL_INFO, &where,
		    "uid=%u: mail "
		    "commands %s (%zu command%s, %zu error%s)",
		    e->uid, mailcmd_outcome_name(mres->outcome),
		    mres->n_commands, mres->n_commands == 1 ? "" : "s",
		    mres->n_errors, mres->n_errors == 1 ? "" : "s");
}

/*
 * Store one entry and apply its mail commands (ingest_commit), in the
 * batch's transaction.  A message whose parsed form the store refuses is
 * stored raw with that error instead: one bad message never stops the
 * mailbox.
 */
static int
commit_entry(struct daemon *d, struct daemon_job *job, struct daemon_entry *e,
    struct error *err)
{
	const struct conf_mailbox *mb = job->w->mb;
	struct ingest_result res;
	struct ingest_origin o = {
		.mailbox = mb->name,
		.address = mb->address,
		.queue = mb->queue,
		.uidvalidity = job->uidvalidity,
		.uid = e->uid,
		.actor = { "triaged", STORE_SRC_DAEMON },
		.raw_on_failure = 1,
	};
	int r;

	r = ingest_commit(d->opts.ingest, d->st, &o, e->im, &res, err);
	if (r < 0)
		return r;
	count_result(job, e, &res.stored);
	log_result(d, job, e, &res);
	return 0;
}

/*
 * Shared: do we still hold the batch's lease?  Then it stays ours until
 * the commit.  If not, the batch is not stored and the worker stops.
 */
static int
fence(struct daemon *d, struct daemon_job *job, struct error *err)
{
	struct daemon_worker *w = job->w;
	char *holder;
	int r;

	r = store_lease_check(d->st, w->lease, d->owner, job->epoch, err);
	if (r != 0)
		return r < 0 ? -1 : 0;
	/* still in the transaction: who took it (then rolled back) */
	holder = daemon_lease_holder(d->st, w->lease);
	daemon_lease_lost(w, job->epoch, holder);
	error_set(err, ERR_REFUSED,
	    "lease on %s lost to %s: UIDs up to %u not stored here",
	    w->mb->name, holder != NULL ? holder : "nobody (expired)",
	    job->last_uid);
	free(holder);
	return -1;
}

static int
commit_batch(struct daemon *d, struct daemon_job *job, struct error *err)
{
	int r;

	memset(&job->counts, 0, sizeof(job->counts));
	r = store_begin(d->st, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < job->n; i++) {
		r = commit_entry(d, job, &job->v[i], err);
		if (r < 0)
			goto fail;
	}
	if (d->opts.shared) {
		r = fence(d, job, err);
		if (r < 0)
			goto fail;
	}
	r = store_mailbox_checkpoint(d->st, job->w->mb->name, job->uidvalidity,
	    job->last_uid, err);
	if (r < 0)
		goto fail;
	if (d->opts.shared && job->acted_uidvalidity != 0) {
		r = store_mailbox_acted(d->st, job->w->mb->name,
		    job->acted_uidvalidity, job->acted_uid, err);
		if (r < 0)
			goto fail;
	}
	r = store_commit(d->st, err);
	if (r < 0)
		goto fail;
	return 0;
fail:
	store_rollback(d->st);
	memset(&job->counts, 0, sizeof(job->counts));
	return -1;
}

/*
 * Shared: a connection that failed is replaced before the next job (a
 * failover: libpq finds the new primary of a multi-host target).  Until
 * it can be, every job fails as temporary: the workers back off.
 */
static int
reopen(struct daemon *d, struct error *err)
{
	if (d->opts.reopen(d->opts.reopen_arg, &d->st, err) < 0) {
		err->code = ERR_TEMP;
		return -1;
	}
	d->store_broken = 0;
	daemon_log(d, LOG_LVL_NOTICE, NULL,
	    "database: connected again; retrying what failed");
	return 0;
}

/* Shared: a temporary failure may be a lost connection: reopen. */
static void
note_temp(struct daemon *d, const struct daemon_job *job)
{
	if (job->failed && d->opts.shared && job->err.code == ERR_TEMP)
		d->store_broken = 1;
}

static void
run_job(struct daemon *d, struct daemon_job *job)
{
	int r, earlier_failed;

	error_clear(&job->err);
	if (d->store_broken && reopen(d, &job->err) < 0) {
		pthread_mutex_lock(&d->lock);
		if (job->kind == JOB_BATCH)
			job->w->commit_failed = 1;
		pthread_mutex_unlock(&d->lock);
		job->failed = 1;
		return;
	}
	if (job->kind == JOB_CHECKPOINT) {
		r = store_mailbox_get(d->st, job->w->mb->name,
		    &job->cp_uidvalidity, &job->cp_last_uid, &job->err);
		if (r == 0 && d->opts.shared)
			r = store_mailbox_acted_get(d->st, job->w->mb->name,
			    &job->cp_acted_uidvalidity, &job->cp_acted_uid,
			    &job->err);
		job->failed = r < 0;
		note_temp(d, job);
		return;
	}
	if (job->kind == JOB_ACTED) {
		r = store_mailbox_acted(d->st, job->w->mb->name,
		    job->acted_uidvalidity, job->acted_uid, &job->err);
		job->failed = r < 0;
		note_temp(d, job);
		return;
	}
	/*
	 * A batch must not commit a checkpoint past an earlier one that
	 * failed: its messages would be skipped for good.
	 */
	pthread_mutex_lock(&d->lock);
	earlier_failed = job->w->commit_failed;
	pthread_mutex_unlock(&d->lock);
	if (earlier_failed)
		r = error_set(&job->err, ERR_TEMP,
		    "not stored: an earlier "
		    "batch failed");
	else
		r = commit_batch(d, job, &job->err);
	if (r < 0) {
		pthread_mutex_lock(&d->lock);
		job->w->commit_failed = 1;
		pthread_mutex_unlock(&d->lock);
	}
	job->failed = r < 0;
	if (!earlier_failed)
		note_temp(d, job);
}

void *
daemon_commit_main(void *arg)
{
	struct daemon *d = arg;
	struct daemon_job *job;

	while ((job = daemon_queue_take(d, &d->commit_q)) != NULL) {
		run_job(d, job);
		pthread_mutex_lock(&d->lock);
		job->done = 1;
		pthread_cond_broadcast(&d->cond);
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}
