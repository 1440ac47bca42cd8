/*
 * The committer: the one thread that writes the database.  Workers queue
 * jobs; each batch becomes one transaction holding its messages and the
 * mailbox's new checkpoint, so a crash anywhere loses nothing and stores
 * nothing twice (the store skips what it already has).
 */
#include "daemon-private.h"

#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "command.h"
#include "mailcmd.h"
#include "xalloc.h"

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
		msg_free(&e->msg);
		free(e->error);
		verdict_clear(&e->verdict);
		command_list_free(&e->cmds);
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

	if (res->duplicate) {
		c->duplicate++;
		return;
	}
	c->stored++;
	if (e->too_big)
		c->too_big++;
	else if (e->msg == NULL)
		c->failed++;
	else if (e->msg->n_problems > 0)
		c->problems++;
	if (res->ignored)
		c->ignored++;
}

/*
 * Mail commands (#claim, #route ...) in a stored message, applied in the
 * same transaction: a message and what it commands commit together.
 */
static int
apply_commands(struct daemon *d, struct daemon_job *job,
    const struct daemon_entry *e, const struct store_ingest_result *res,
    struct error *err)
{
	struct mailcmd_result mres = { 0 };
	int r;

	if (e->msg == NULL || res->duplicate)
		return 0;
	r = mailcmd_apply(d->st, d->conf, e->msg, e->cmds, res, 0, &mres,
	    err);
	if (r < 0)
		return r;
	if (mres.outcome != MAILCMD_NONE)
		daemon_log(d, LOG_LVL_INFO, job->w->mb->name, "uid=%u "
		    "ticket=%lld: mail commands %s (%zu command%s, %zu "
		    "error%s)", e->uid, (long long)mres.ticket_id,
		    mailcmd_outcome_name(mres.outcome), mres.n_commands,
		    mres.n_commands == 1 ? "" : "s", mres.n_errors,
		    mres.n_errors == 1 ? "" : "s");
	return 0;
}

/*
 * Store one entry.  If storing it parsed fails for a reason of its own
 * (not the database as a whole), store it raw with that error instead:
 * one bad message never stops the mailbox.
 */
static int
commit_entry(struct daemon *d, struct daemon_job *job,
    struct daemon_entry *e, struct error *err)
{
	const struct conf_mailbox *mb = job->w->mb;
	struct store_ingest_result res = { 0 };
	struct store_ingest_in in = {
		.mailbox = mb->name,
		.mailbox_address = mb->address,
		.queue = mb->queue != NULL ? mb->queue : mb->name,
		.uidvalidity = job->uidvalidity,
		.uid = e->uid,
		.raw = e->raw,
		.raw_len = e->raw_len,
		.msg = e->msg,
		.parse_error = e->error,
		.verdict = e->msg != NULL ? &e->verdict : NULL,
		.actor = { "triaged", STORE_SRC_DAEMON },
	};
	int r;

	r = store_ingest_msg(d->st, &in, &res, err);
	if (r < 0 && err->code != ERR_TEMP && e->msg != NULL) {
		daemon_log(d, LOG_LVL_WARN, mb->name, "uid=%u: storing the "
		    "parsed message failed (%s); storing it raw", e->uid,
		    err->msg);
		e->error = xstrdup(err->msg);
		msg_free(&e->msg);
		in.msg = NULL;
		in.parse_error = e->error;
		in.verdict = NULL;
		error_clear(err);
		r = store_ingest_msg(d->st, &in, &res, err);
	}
	if (r < 0)
		return r;
	count_result(job, e, &res);
	return apply_commands(d, job, e, &res, err);
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
	r = store_mailbox_checkpoint(d->st, job->w->mb->name,
	    job->uidvalidity, job->last_uid, err);
	if (r < 0)
		goto fail;
	r = store_commit(d->st, err);
	if (r < 0)
		goto fail;
	return 0;
fail:
	store_rollback(d->st);
	memset(&job->counts, 0, sizeof(job->counts));
	return -1;
}

static void
run_job(struct daemon *d, struct daemon_job *job)
{
	int r, earlier_failed;

	error_clear(&job->err);
	if (job->kind == JOB_CHECKPOINT) {
		r = store_mailbox_get(d->st, job->w->mb->name,
		    &job->cp_uidvalidity, &job->cp_last_uid, &job->err);
		job->failed = r < 0;
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
		r = error_set(&job->err, ERR_TEMP, "not stored: an earlier "
		    "batch failed");
	else
		r = commit_batch(d, job, &job->err);
	if (r < 0) {
		pthread_mutex_lock(&d->lock);
		job->w->commit_failed = 1;
		pthread_mutex_unlock(&d->lock);
	}
	job->failed = r < 0;
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
