/*
 * Exponential backoff with jitter and a cap, for reconnecting to a server
 * that dropped us or refused us.  A plain record: the clock stays with
 * the caller, and the random source is injected so tests can pin it.
 *
 * The n-th consecutive failure waits d = min(cap, base * 2^(n-1)), then
 * "equal jitter": a uniform pick in [d/2, d].  Waits grow by at least
 * half each step, never exceed the cap, and many mailboxes failing at
 * once (a server restart) do not come back in lockstep.
 */
#ifndef TRIAGE_BACKOFF_H
#define TRIAGE_BACKOFF_H

#include <stdint.h>

/* A random 64-bit value; arg is backoff.rand_arg. */
typedef uint64_t backoff_rand_fn(void *arg);

struct backoff {
	int64_t base_ms;       /* first wait (before jitter) */
	int64_t cap_ms;	       /* no wait is longer */
	unsigned failures;     /* consecutive failures so far */
	backoff_rand_fn *rand; /* NULL: getrandom(), or a xorshift */
	void *rand_arg;
};

/* Set the bounds and forget any failures; rand NULL uses the default. */
void backoff_init(struct backoff *b, int64_t base_ms, int64_t cap_ms,
    backoff_rand_fn *rand, void *rand_arg);

/*
 * Count one more failure and return how long to wait before the next
 * attempt, in milliseconds (always in [1, cap_ms]).
 */
int64_t backoff_next(struct backoff *b);

/* A success: the next failure starts again at base_ms. */
void backoff_reset(struct backoff *b);

#endif
