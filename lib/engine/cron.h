/*
 * One background thread for the daemon's periodic jobs (the outbox
 * sender, the SLA clocks), each run on its own period, as Redis 3.2's
 * serverCron runs its jobs with run_with_period(ms): one tick, many
 * periods, one stop path.  A job is due when its period has passed or
 * when cron_wake() asked for it; a turn runs every due job in the order
 * they were added, then sleeps until the earliest is due again.
 */
#ifndef TRIAGE_CRON_H
#define TRIAGE_CRON_H

#include <stdint.h>

#include "error.h"
#include "ticker.h"

#define CRON_JOBS_MAX 8

struct cron;

/*
 * One run of a job, on the cron's thread.  Returns the seconds until it
 * wants to run again (<= 0: at the next turn, at once).  A job that may
 * block publishes its connection in ticker_cut(t) and checks
 * ticker_stopping(t) between its steps.
 */
typedef int64_t cron_fn(struct ticker *t, void *arg);

/* A cron without jobs or thread yet; free with cron_free(). */
struct cron *cron_new(void);

/*
 * Add a job (before cron_start), due at the first turn.  `arg` is
 * foreign and must outlive cron_free().  Returns the job's number, for
 * cron_wake().  More than CRON_JOBS_MAX jobs is a bug.
 */
int cron_add(struct cron *c, cron_fn *fn, void *arg);

/*
 * Start the thread; its first turn runs every job.  Returns 0, or -1
 * with err (ERR_INTERNAL: no thread).
 */
int cron_start(struct cron *c, struct error *err);

/* Run job `job` at the next turn, now.  Safe from any thread; NULL ok. */
void cron_wake(struct cron *c, int job);

/*
 * The one stop path: stop after the job in hand, join the thread and
 * free.  A job still blocked after TICKER_STOP_GRACE_MS has the
 * connection it published in ticker_cut() shut down, so it fails at
 * once.  Accepts NULL; sets *cp to NULL.
 */
void cron_free(struct cron **cp);

#endif
