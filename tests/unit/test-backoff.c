/*
 * Backoff: the wait sequence for pinned random values (the bounds of the
 * jitter window), the cap, reset, and the window for real randomness.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "backoff.h"

#define MAX_STEPS 8

struct seq_case {
	const char *what;
	int64_t base_ms, cap_ms;
	uint64_t rand;		   /* what the random source returns */
	int64_t expect[MAX_STEPS]; /* waits after 1, 2, ... failures */
	size_t n;
};

static const struct seq_case seq_cases[] = {
	{ "bottom of the window: half of each doubling, capped", 1000, 8000, 0,
	    { 500, 1000, 2000, 4000, 4000, 4000 }, 6 },
	{ "a pick inside the window", 1000, 8000, 500,
	    { 1000, 1500, 2500, 4500, 4500 }, 5 },
	{ "a cap that is no power of two of the base", 1000, 5000, 0,
	    { 500, 1000, 2000, 2500, 2500 }, 5 },
	{ "top of the window for the first wait", 2000, 60000, 1000,
	    { 2000, 3000, 5000, 9000 }, 4 },
	{ "never a zero wait", 1, 1, 0, { 1, 1, 1 }, 3 },
	{ "base above cap: the base is the cap", 5000, 100, 0, { 2500, 2500 },
	    2 },
};

static uint64_t
fixed_rand(void *arg)
{
	return *(const uint64_t *)arg;
}

static void
test_sequences(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(seq_cases) / sizeof(*seq_cases); i++) {
		const struct seq_case *c = &seq_cases[i];
		uint64_t r = c->rand;
		struct backoff b;

		backoff_init(&b, c->base_ms, c->cap_ms, fixed_rand, &r);
		for (size_t k = 0; k < c->n; k++) {
			int64_t got = backoff_next(&b);

			if (got != c->expect[k])
				fail_msg("%s: step %zu: got %lld, want %lld",
				    c->what, k + 1, (long long)got,
				    (long long)c->expect[k]);
		}
	}
}

static void
test_reset(void **state)
{
	uint64_t r = 0;
	struct backoff b;

	(void)state;
	backoff_init(&b, 1000, 60000, fixed_rand, &r);
	for (int i = 0; i < 10; i++)
		(void)backoff_next(&b);
	assert_int_equal(backoff_next(&b), 30000);
	backoff_reset(&b);
	assert_int_equal(backoff_next(&b), 500);
	assert_int_equal(backoff_next(&b), 1000);
}

/* Many failures, real randomness: always inside [d/2, d], d capped. */
static void
test_window_random(void **state)
{
	struct backoff b;

	(void)state;
	backoff_init(&b, 1000, 300000, NULL, NULL);
	for (int i = 0; i < 200; i++) {
		int64_t d = 1000, got;

		for (int k = 0; k < i && d < 300000; k++)
			d *= 2;
		if (d > 300000)
			d = 300000;
		got = backoff_next(&b);
		if (got < d / 2 || got > d)
			fail_msg("failure %d: %lld outside [%lld, %lld]", i + 1,
			    (long long)got, (long long)(d / 2), (long long)d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_window_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
