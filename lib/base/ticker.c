/* A job run again and again on its own thread; see ticker.h. */
#include "ticker.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"
#include "xalloc.h"

struct ticker {
	ticker_fn *fn;
	void *arg; /* foreign */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC: immune to clock steps */
	int woken;	     /* under lock */
	int stop;	     /* under lock; also read atomically */
	int ended;	     /* under lock: the thread is past its last turn */
	struct net_cut cut;  /* what the job is blocked on */
};

/* Sleep `seconds` unless woken or stopped first. */
static void
ticker_sleep(struct ticker *t, int64_t seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)seconds;
	pthread_mutex_lock(&t->lock);
	while (!t->woken && !t->stop) {
		if (pthread_cond_timedwait(&t->cond, &t->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	t->woken = 0;
	pthread_mutex_unlock(&t->lock);
}

static void *
ticker_main(void *arg)
{
	struct ticker *t = arg;
	int64_t wait;

	while (!ticker_stopping(t)) {
		wait = t->fn(t, t->arg);
		if (wait > 0)
			ticker_sleep(t, wait);
	}
	pthread_mutex_lock(&t->lock);
	t->ended = 1;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int
ticker_start(ticker_fn *fn, void *arg, struct ticker **t_r, struct error *err)
{
	struct ticker *t = xcalloc(1, sizeof(*t));
	pthread_condattr_t ca;
	int e;

	t->fn = fn;
	t->arg = arg;
	net_cut_init(&t->cut);
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	e = pthread_create(&t->thread, NULL, ticker_main, t);
	if (e != 0) {
		pthread_cond_destroy(&t->cond);
		pthread_mutex_destroy(&t->lock);
		net_cut_destroy(&t->cut);
		free(t);
		return error_set(err, ERR_INTERNAL, "thread: %s", strerror(e));
	}
	*t_r = t;
	return 0;
}

void
ticker_wake(struct ticker *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->woken = 1;
	pthread_cond_broadcast(&t->cond); /* ticker_free waits too */
	pthread_mutex_unlock(&t->lock);
}

int
ticker_stopping(const struct ticker *t)
{
	return __atomic_load_n(&t->stop, __ATOMIC_RELAXED);
}

const int *
ticker_stop_flag(const struct ticker *t)
{
	return &t->stop;
}

struct net_cut *
ticker_cut(struct ticker *t)
{
	return &t->cut;
}

void
ticker_free(struct ticker **tp, int grace_ms)
{
	struct ticker *t = *tp;
	struct timespec ts;
	int ended;

	if (t == NULL)
		return;
	if (grace_ms <= 0)
		grace_ms = TICKER_STOP_GRACE_MS;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += grace_ms / 1000;
	ts.tv_nsec += (long)(grace_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&t->lock);
	__atomic_store_n(&t->stop, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&t->cond);
	while (!t->ended) {
		if (pthread_cond_timedwait(&t->cond, &t->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	ended = t->ended;
	pthread_mutex_unlock(&t->lock);
	if (!ended)
		net_cut_fire(&t->cut);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	net_cut_destroy(&t->cut);
	free(t);
	*tp = NULL;
}
