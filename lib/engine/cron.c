/* The daemon's periodic jobs on one thread; see cron.h. */
#include "cron.h"

#include <assert.h>
#include <stdlib.h>
#include <time.h>

#include "xalloc.h"

struct cron_job {
	cron_fn *fn;
	void *arg;   /* foreign */
	int64_t due; /* monotonic seconds; 0: at the first turn */
	int asked;   /* cron_wake(): atomic */
};

struct cron {
	struct cron_job jobs[CRON_JOBS_MAX];
	size_t n;
	struct ticker *ticker; /* owned; runs cron_turn() */
};

static int64_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Run what is due; sleep until the next job is. */
static int64_t
cron_turn(struct ticker *t, void *arg)
{
	struct cron *c = arg;
	int64_t next = INT64_MAX, now = mono_s(), wait;

	for (size_t i = 0; i < c->n && !ticker_stopping(t); i++) {
		struct cron_job *j = &c->jobs[i];

		if (__atomic_exchange_n(&j->asked, 0, __ATOMIC_ACQ_REL) ||
		    now >= j->due) {
			wait = j->fn(t, j->arg);
			now = mono_s();
			j->due = now + (wait > 0 ? wait : 0);
		}
		if (j->due < next)
			next = j->due;
	}
	return next > now ? next - now : 0;
}

struct cron *
cron_new(void)
{
	return xcalloc(1, sizeof(struct cron));
}

int
cron_add(struct cron *c, cron_fn *fn, void *arg)
{
	assert(c->n < CRON_JOBS_MAX && c->ticker == NULL);
	c->jobs[c->n].fn = fn;
	c->jobs[c->n].arg = arg;
	return (int)c->n++;
}

int
cron_start(struct cron *c, struct error *err)
{
	return ticker_start(cron_turn, c, &c->ticker, err);
}

void
cron_wake(struct cron *c, int job)
{
	if (c == NULL || job < 0 || (size_t)job >= c->n)
		return;
	__atomic_store_n(&c->jobs[job].asked, 1, __ATOMIC_RELEASE);
	ticker_wake(c->ticker);
}

void
cron_free(struct cron **cp)
{
	struct cron *c = *cp;

	if (c == NULL)
		return;
	ticker_free(&c->ticker, 0);
	free(c);
	*cp = NULL;
}
