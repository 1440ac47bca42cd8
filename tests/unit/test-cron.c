/*
 * cron: two jobs on one thread, each on its own period; a wake runs only
 * the job asked for; one stop path ends a long sleep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cron.h"
#include "test-common.h"

struct job {
	int runs; /* written by the cron's thread */
	int64_t period_s;
};

static int64_t
job_run(struct ticker *t, void *arg)
{
	struct job *j = arg;

	(void)t;
	__atomic_add_fetch(&j->runs, 1, __ATOMIC_SEQ_CST);
	return j->period_s;
}

static void
test_each_job_its_period(void **state)
{
	struct job fast = { 0, 1 }, slow = { 0, 3600 };
	struct cron *c = cron_new();
	struct error err = { 0 };

	(void)state;
	assert_int_equal(cron_add(c, job_run, &fast), 0);
	assert_int_equal(cron_add(c, job_run, &slow), 1);
	assert_int_equal(cron_start(c, &err), 0);
	assert_int_equal(test_wait_count(&slow.runs, 1),
	    1); /* both at the start */
	assert_true(
	    test_wait_count(&fast.runs, 3) >= 3);    /* about once a second */
	assert_int_equal(test_count(&slow.runs), 1); /* not yet due again */
	cron_free(&c);
	assert_null(c);
	cron_free(&c); /* NULL is fine */
}

static void
test_wake_runs_only_that_job(void **state)
{
	struct job a = { 0, 3600 }, b = { 0, 3600 };
	struct cron *c = cron_new();
	struct error err = { 0 };
	double t0;

	(void)state;
	(void)cron_add(c, job_run, &a);
	(void)cron_add(c, job_run, &b);
	assert_int_equal(cron_start(c, &err), 0);
	assert_int_equal(test_wait_count(&b.runs, 1), 1);
	cron_wake(c, 1);
	assert_int_equal(test_wait_count(&b.runs, 2), 2);
	assert_int_equal(test_count(&a.runs), 1);
	cron_wake(c, 7); /* no such job */
	cron_wake(NULL, 0);
	t0 = test_now_s();
	cron_free(&c);
	assert_true(test_now_s() - t0 < 2.0); /* not an hour */
	assert_int_equal(test_count(&a.runs), 1);
	assert_int_equal(test_count(&b.runs), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_job_its_period),
		cmocka_unit_test(test_wake_runs_only_that_job),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
