/*
 * The daemon's lifecycle: start the committer and one worker per
 * mailbox, report state changes to the main loop, stop and join.
 * See daemon.h for the design, daemon-worker.c / daemon-commit.c for
 * the two kinds of thread and daemon-event.c for what they report.
 */
#include "daemon-private.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

#define DEFAULT_TIMEOUT_S 60
#define DEFAULT_BATCH_COUNT 100
/* Three batches of a mailbox are in memory at once, raw and parsed:
 * their bytes are most of the daemon's peak RSS. */
#define DEFAULT_BATCH_BYTES (2 * 1024 * 1024)
#define DEFAULT_BACKOFF_BASE_MS 1000
#define DEFAULT_BACKOFF_CAP_MS (5 * 60 * 1000)
#define DEFAULT_IDLE_RENEW_S (25 * 60) /* RFC 2177: before 29 minutes */

static void
opts_defaults(struct daemon_opts *o)
{
	if (o->timeout_s <= 0)
		o->timeout_s = DEFAULT_TIMEOUT_S;
	if (o->batch_count == 0)
		o->batch_count = DEFAULT_BATCH_COUNT;
	if (o->batch_bytes == 0)
		o->batch_bytes = DEFAULT_BATCH_BYTES;
	if (o->backoff_base_ms <= 0)
		o->backoff_base_ms = DEFAULT_BACKOFF_BASE_MS;
	if (o->backoff_cap_ms <= 0)
		o->backoff_cap_ms = DEFAULT_BACKOFF_CAP_MS;
	if (o->idle_renew_s <= 0)
		o->idle_renew_s = DEFAULT_IDLE_RENEW_S;
}

/* Carry over how far the post-actions got in the previous run. */
static void
seed_from_previous(struct daemon *d, struct daemon_worker *w)
{
	for (size_t i = 0; i < d->opts.n_previous; i++) {
		const struct mailbox_status *p = &d->opts.previous[i];

		if (strcmp(p->name, w->mb->name) != 0)
			continue;
		w->acted_uid = p->acted_uid;
		w->acted_uidvalidity = p->uidvalidity;
	}
	/* The caller's array is not ours to keep. */
}

static struct daemon *
daemon_new(const struct conf *conf, struct store *st,
    const struct daemon_opts *opts)
{
	struct daemon *d = xcalloc(1, sizeof(*d));

	d->conf = conf;
	d->st = st;
	d->opts = *opts;
	opts_defaults(&d->opts);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	pthread_mutex_init(&d->log_lock, NULL);
	pthread_mutex_init(&d->pool_lock, NULL);
	pthread_cond_init(&d->pool_cond, NULL);
	d->stop_fd = -1;
	d->wake_fd = -1;
	d->n = conf->n_mailboxes;
	d->status = xcalloc(d->n, sizeof(*d->status));
	d->workers = xcalloc(d->n, sizeof(*d->workers));
	for (size_t i = 0; i < d->n; i++) {
		struct daemon_worker *w = &d->workers[i];

		mailbox_status_init(&d->status[i], conf->mailboxes[i].name);
		w->d = d;
		w->mb = &conf->mailboxes[i];
		w->index = i;
		w->sock = -1;
		w->lease_fd = -1;
		backoff_init(&w->backoff, d->opts.backoff_base_ms,
		    d->opts.backoff_cap_ms, NULL, NULL);
		seed_from_previous(d, w);
		d->status[i].acted_uid = w->acted_uid;
	}
	d->opts.previous = NULL;
	d->opts.n_previous = 0;
	return d;
}

int
daemon_start(const struct conf *conf, struct store *st,
    const struct daemon_opts *opts, struct daemon **d_r, struct error *err)
{
	struct daemon *d = daemon_new(conf, st, opts);
	int r;

	/*
	 * The threads hand buffers on (fetched by a worker, parsed by the
	 * prep threads, freed after the committer): with glibc's arena per
	 * thread each arena keeps its own high-water mark.  Two is enough
	 * for this few threads and keeps the peak RSS down.
	 */
	(void)mallopt(M_ARENA_MAX, 2);
	d->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->stop_fd < 0 || d->wake_fd < 0) {
		error_set(err, ERR_INTERNAL, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (daemon_lease_start(d, err) < 0)
		goto fail;
	r = pthread_create(&d->committer, NULL, daemon_commit_main, d);
	if (r != 0) {
		error_set(err, ERR_INTERNAL, "committer thread: %s",
		    strerror(r));
		goto fail;
	}
	d->committer_started = 1;
	daemon_pool_start(d);
	for (size_t i = 0; i < d->n; i++) {
		struct daemon_worker *w = &d->workers[i];

		pthread_mutex_lock(&d->lock);
		d->running++;
		pthread_mutex_unlock(&d->lock);
		r = pthread_create(&w->thread, NULL, daemon_worker_main, w);
		if (r != 0) {
			pthread_mutex_lock(&d->lock);
			d->running--;
			pthread_mutex_unlock(&d->lock);
			error_set(err, ERR_INTERNAL, "worker thread for %s: %s",
			    w->mb->name, strerror(r));
			goto fail;
		}
		w->started = 1;
	}
	*d_r = d;
	return 0;
fail:
	daemon_free(&d, 0);
	return -1;
}

int
daemon_wake_fd(const struct daemon *d)
{
	return d->wake_fd;
}

void
daemon_ack(struct daemon *d)
{
	uint64_t v;

	/* EAGAIN: nothing to take, someone else took it. */
	if (read(d->wake_fd, &v, sizeof(v)) < 0)
		return;
}

int
daemon_done(struct daemon *d)
{
	int done;

	pthread_mutex_lock(&d->lock);
	done = d->running == 0;
	pthread_mutex_unlock(&d->lock);
	return done;
}

size_t
daemon_failed(struct daemon *d)
{
	size_t n = 0;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->n; i++)
		n += d->workers[i].failed != 0;
	pthread_mutex_unlock(&d->lock);
	return n;
}

void
daemon_status(struct daemon *d, struct mailbox_status **v_r, size_t *n_r)
{
	struct mailbox_status *v = xcalloc(d->n, sizeof(*v));

	pthread_mutex_lock(&d->lock);
	memcpy(v, d->status, d->n * sizeof(*v));
	pthread_mutex_unlock(&d->lock);
	*v_r = v;
	*n_r = d->n;
}

/*
 * Ask every worker to finish the batch in hand (commit it, apply its
 * post-action), log out and stop.  Returns at once; daemon_free waits.
 */
static void
daemon_stop(struct daemon *d)
{
	uint64_t one = 1;

	pthread_mutex_lock(&d->lock);
	d->stopping = 1;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	/* shared: workers wait on their lease_fd */
	for (size_t i = 0; i < d->n; i++)
		daemon_lease_wake(&d->workers[i]);
	/* a full counter (EAGAIN) is a wake-up already */
	if (d->stop_fd >= 0 && write(d->stop_fd, &one, sizeof(one)) < 0)
		return;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait for the workers to stop on their own; after grace_ms, cut the
 * connections of those still blocked in a network call (their next read
 * fails at once) so shutdown stays within a few seconds.
 */
static void
wait_workers(struct daemon *d, int grace_ms)
{
	int64_t deadline = now_ms() + grace_ms;
	struct pollfd pfd = { .fd = d->wake_fd, .events = POLLIN };

	while (!daemon_done(d) && now_ms() < deadline) {
		(void)poll(&pfd, 1, 50);
		daemon_ack(d);
	}
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->n; i++) {
		if (d->workers[i].sock >= 0)
			(void)shutdown(d->workers[i].sock, SHUT_RDWR);
	}
	pthread_mutex_unlock(&d->lock);
}

void
daemon_free(struct daemon **dp, int grace_ms)
{
	struct daemon *d = *dp;

	if (d == NULL)
		return;
	daemon_stop(d);
	if (d->wake_fd >= 0)
		wait_workers(d, grace_ms);
	for (size_t i = 0; i < d->n; i++) {
		if (d->workers[i].started)
			pthread_join(d->workers[i].thread, NULL);
	}
	daemon_pool_stop(d);
	if (d->committer_started) {
		daemon_queue_quit(d, &d->commit_q);
		pthread_join(d->committer, NULL);
	}
	/* every worker stopped: our leases go back at once */
	daemon_lease_stop(d);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	if (d->wake_fd >= 0)
		close(d->wake_fd);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->log_lock);
	pthread_mutex_destroy(&d->pool_lock);
	pthread_cond_destroy(&d->pool_cond);
	free(d->status);
	free(d->workers);
	free(d);
	*dp = NULL;
}
