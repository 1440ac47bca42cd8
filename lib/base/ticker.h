/*
 * A background thread that runs one job again and again: it calls the
 * job, sleeps as long as the job asks, and wakes early when
 * ticker_wake() is called or the ticker is being freed.  The daemon's
 * periodic jobs (the outbox sender and the SLA clocks) share one: see
 * lib/engine/cron.h.
 */
#ifndef TRIAGE_TICKER_H
#define TRIAGE_TICKER_H

#include <stdint.h>

#include "error.h"

struct ticker;

/*
 * One turn of the job, on the ticker's thread.  Returns the seconds to
 * sleep before the next turn (<= 0: at once).  A long turn should check
 * ticker_stopping() between its steps.
 */
typedef int64_t ticker_fn(struct ticker *t, void *arg);

/*
 * Start the thread; its first turn runs at once.  Returns 0 and sets
 * *t_r, or -1 with err set when no thread could be made.
 */
int ticker_start(ticker_fn *fn, void *arg, struct ticker **t_r,
    struct error *err);
/* End the current sleep now (a no-op on NULL). */
void ticker_wake(struct ticker *t);
/* Nonzero once ticker_free() has begun; safe from any thread. */
int ticker_stopping(const struct ticker *t);
/* The flag ticker_stopping() reads, for code that polls it atomically. */
const int *ticker_stop_flag(const struct ticker *t);
/*
 * The connection the job is blocked on, for ticker_free to cut: the job
 * publishes its socket there (net.h) while a call may block.
 */
struct net_cut *ticker_cut(struct ticker *t);
/* grace_ms 0 in ticker_free: "exit within a few seconds". */
#define TICKER_STOP_GRACE_MS 3000
/*
 * Stop, wait for the turn in hand to end, free; accepts NULL.  When the
 * turn has not ended within grace_ms (0: TICKER_STOP_GRACE_MS), the
 * connection published in ticker_cut() is shut down first, so a call
 * blocked on it fails at once.
 */
void ticker_free(struct ticker **tp, int grace_ms);

#endif
