/* Exponential backoff with equal jitter and a cap; see backoff.h. */
#include "backoff.h"

#include <stddef.h>
#include <sys/random.h>
#include <time.h>

static backoff_rand_fn backoff_random;

void
backoff_init(struct backoff *b, int64_t base_ms, int64_t cap_ms,
    backoff_rand_fn *rand, void *rand_arg)
{
	b->base_ms = base_ms > 0 ? base_ms : 1;
	b->cap_ms = cap_ms >= b->base_ms ? cap_ms : b->base_ms;
	b->failures = 0;
	b->rand = rand != NULL ? rand : backoff_random;
	b->rand_arg = rand_arg;
}

int64_t
backoff_next(struct backoff *b)
{
	int64_t d = b->base_ms, half;
	unsigned i;

	/* Doubling stops at the cap, so d never overflows. */
	for (i = 0; i < b->failures && d < b->cap_ms; i++)
		d *= 2;
	if (d > b->cap_ms)
		d = b->cap_ms;
	if (b->failures < 64)
		b->failures++;
	half = d / 2;
	d = half + (int64_t)(b->rand(b->rand_arg) % (uint64_t)(d - half + 1));
	return d > 0 ? d : 1;
}

void
backoff_reset(struct backoff *b)
{
	b->failures = 0;
}

/* The default random source: getrandom, falling back to a xorshift. */
static uint64_t
backoff_random(void *arg)
{
	static _Thread_local uint64_t state;
	uint64_t v;

	(void)arg;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* No entropy yet (early boot): xorshift seeded from the clock. */
	if (state == 0)
		state = (uint64_t)time(NULL) | 1;
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}
