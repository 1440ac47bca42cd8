/*
 * Preparing batches: parse, classify and find the mail commands of each
 * fetched message (ingest_prepare) between the worker that fetched it
 * and the committer that stores it.
 *
 * Each mailbox has a prep thread that takes its batches in order, so
 * they reach the committer in the order fetched.  Parsing and
 * classifying cost several times what storing does, so one busy mailbox
 * would keep one core busy and leave the other idle: the daemon's
 * helpers take messages of the batch a prep thread is working on, one
 * message at a time, and the prep thread hands the batch on once every
 * message of it is prepared.  Nothing more is in memory than before:
 * the helpers work on batches already fetched, never on one of their
 * own.
 *
 * Storing is one thread, the committer, which every batch waits for: it
 * keeps a core of its own, so the helpers are one per CPU beyond the
 * second.  On two cores a helper took CPU time from the committer to
 * give it to parsing, which is ahead anyway (bench/drain-compare.sh,
 * 3,000 messages, same run: 684 msg/s with one helper, 729 without).
 */
#include "daemon-private.h"

#include <assert.h>
#include <stdlib.h>
#include <unistd.h>

#include "ingest.h"
#include "xalloc.h"

/* Helpers at most, whatever the machine: a batch is ~100 messages. */
#define POOL_MAX 16

/* The pipeline's first half for entry i of job, on whichever thread. */
static void
prepare_entry(struct daemon_job *job, size_t i)
{
	struct daemon_worker *w = job->w;
	struct daemon_entry *e = &job->v[i];

	assert(w->d->opts.ingest != NULL); /* daemon.h: required */
	if (e->im != NULL)
		return; /* a stand-in, prepared on the worker */
	ingest_prepare(w->d->opts.ingest, e->raw, e->raw_len, w->mb->name,
	    &e->im);
	e->raw = NULL; /* e->im has it */
}

/* ---- the pool's list of batches with messages left to claim ---------- */

static void
open_add(struct daemon *d, struct daemon_job *job)
{
	struct daemon_job **p = &d->pool_open;

	while (*p != NULL)
		p = &(*p)->open_next;
	job->open_next = NULL;
	*p = job;
}

static void
open_remove(struct daemon *d, struct daemon_job *job)
{
	struct daemon_job **p = &d->pool_open;

	while (*p != NULL && *p != job)
		p = &(*p)->open_next;
	if (*p != NULL)
		*p = job->open_next;
	job->open_next = NULL;
}

/* Under pool_lock: claim the next message of `job`; 0 when none is left. */
static int
claim(struct daemon *d, struct daemon_job *job, size_t *i_r)
{
	if (job->prep_next == job->n) {
		open_remove(d, job);
		return 0;
	}
	*i_r = job->prep_next++;
	if (job->prep_next == job->n)
		open_remove(d, job);
	return 1;
}

/* Under pool_lock: entry done; the last one wakes the batch's owner. */
static void
claimed_done(struct daemon *d, struct daemon_job *job)
{
	job->prep_done++;
	if (job->prep_done == job->n)
		pthread_cond_broadcast(&d->pool_cond);
}

/*
 * Prepare every message of `job`: the calling thread claims them one by
 * one beside the helpers, then waits for those the helpers took.
 */
static void
prepare_job(struct daemon *d, struct daemon_job *job)
{
	size_t i;

	pthread_mutex_lock(&d->pool_lock);
	job->prep_next = job->prep_done = 0;
	if (job->n > 1 && d->n_helpers > 0) {
		open_add(d, job);
		pthread_cond_broadcast(&d->pool_cond);
	}
	while (claim(d, job, &i)) {
		pthread_mutex_unlock(&d->pool_lock);
		prepare_entry(job, i);
		pthread_mutex_lock(&d->pool_lock);
		claimed_done(d, job);
	}
	while (job->prep_done < job->n)
		pthread_cond_wait(&d->pool_cond, &d->pool_lock);
	pthread_mutex_unlock(&d->pool_lock);
}

/* A helper: messages of whichever batch is open, oldest batch first. */
static void *
helper_main(void *arg)
{
	struct daemon *d = arg;
	struct daemon_job *job;
	size_t i;

	pthread_mutex_lock(&d->pool_lock);
	for (;;) {
		while (d->pool_open == NULL && !d->pool_quit)
			pthread_cond_wait(&d->pool_cond, &d->pool_lock);
		if (d->pool_open == NULL)
			break;
		job = d->pool_open;
		if (!claim(d, job, &i))
			continue;
		pthread_mutex_unlock(&d->pool_lock);
		prepare_entry(job, i);
		pthread_mutex_lock(&d->pool_lock);
		claimed_done(d, job);
	}
	pthread_mutex_unlock(&d->pool_lock);
	return NULL;
}

static size_t
helpers_wanted(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus <= 2)
		return 0;
	return cpus - 2 < POOL_MAX ? (size_t)cpus - 2 : POOL_MAX;
}

void
daemon_pool_start(struct daemon *d)
{
	size_t want = helpers_wanted();

	d->helpers = xcalloc(want != 0 ? want : 1, sizeof(*d->helpers));
	while (d->n_helpers < want && pthread_create(&d->helpers[d->n_helpers],
					  NULL, helper_main, d) == 0)
		d->n_helpers++;
	if (d->n_helpers < want)
		daemon_log(d, LOG_LVL_WARN, NULL,
		    "%zu of %zu parse helper "
		    "threads started",
		    d->n_helpers, want);
}

void
daemon_pool_stop(struct daemon *d)
{
	pthread_mutex_lock(&d->pool_lock);
	d->pool_quit = 1;
	pthread_cond_broadcast(&d->pool_cond);
	pthread_mutex_unlock(&d->pool_lock);
	for (size_t i = 0; i < d->n_helpers; i++)
		pthread_join(d->helpers[i], NULL);
	d->n_helpers = 0;
	free(d->helpers);
	d->helpers = NULL;
}

/* ---- a mailbox's prep thread ----------------------------------------- */

/*
 * Each mailbox's batches are prepared in the order handed on, then
 * queued for the committer: the worker fetches batch N+2 while N+1 is
 * prepared and N stored.
 */
static void *
prep_main(void *arg)
{
	struct daemon_worker *w = arg;
	struct daemon_job *job;

	while ((job = daemon_queue_take(w->d, &w->prep_q)) != NULL) {
		prepare_job(w->d, job);
		daemon_commit_submit(w->d, job);
	}
	return NULL;
}

void
daemon_prep_submit(struct daemon_worker *w, struct daemon_job *job)
{
	if (!w->prep_started) {
		prepare_job(w->d, job);
		daemon_commit_submit(w->d, job);
		return;
	}
	daemon_queue_put(w->d, &w->prep_q, job);
}

void
daemon_prep_start(struct daemon_worker *w)
{
	w->prep_q.quit = 0;
	w->prep_started = pthread_create(&w->prep, NULL, prep_main, w) == 0;
	if (!w->prep_started)
		daemon_log(w->d, LOG_LVL_WARN, w->mb->name,
		    "no prep thread: "
		    "parsing on the mailbox's own thread");
}

void
daemon_prep_stop(struct daemon_worker *w)
{
	if (!w->prep_started)
		return;
	daemon_queue_quit(w->d, &w->prep_q);
	pthread_join(w->prep, NULL);
	w->prep_started = 0;
}
