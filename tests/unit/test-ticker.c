/* ticker: turns, wake-ups and stopping, with a job that sleeps an hour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sys/socket.h>

#include "net.h"
#include "ticker.h"
#include "test-common.h"

struct job {
	int turns; /* written by the ticker's thread */
	int saw_stop;
	int64_t sleep_s;
};

static int64_t
job_turn(struct ticker *t, void *arg)
{
	struct job *j = arg;

	__atomic_add_fetch(&j->turns, 1, __ATOMIC_SEQ_CST);
	if (ticker_stopping(t))
		j->saw_stop = 1;
	return j->sleep_s;
}

static void
test_wake_runs_a_turn(void **state)
{
	struct job j = { 0, 0, 3600 };
	struct ticker *t = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(ticker_start(job_turn, &j, &t, &err), 0);
	assert_int_equal(test_wait_count(&j.turns, 1),
	    1); /* the first turn at once */
	usleep(100000);
	assert_int_equal(test_count(&j.turns), 1); /* then it sleeps */
	ticker_wake(t);
	assert_int_equal(test_wait_count(&j.turns, 2),
	    2); /* woken: one more turn */
	ticker_wake(t);
	assert_int_equal(test_wait_count(&j.turns, 3), 3);
	ticker_free(&t, 0);
	assert_null(t);
	ticker_free(&t, 0); /* NULL is fine */
	ticker_wake(NULL);
}

static void
test_free_ends_a_long_sleep(void **state)
{
	struct job j = { 0, 0, 3600 };
	struct ticker *t = NULL;
	struct error err = { 0 };
	double t0;

	(void)state;
	assert_int_equal(ticker_start(job_turn, &j, &t, &err), 0);
	assert_int_equal(test_wait_count(&j.turns, 1), 1);
	t0 = test_now_s();
	ticker_free(&t, 0);
	assert_true(test_now_s() - t0 < 2.0);	   /* not an hour */
	assert_int_equal(test_count(&j.turns), 1); /* and no turn after stop */
	assert_int_equal(j.saw_stop, 0);
}

static void
test_busy_job_sees_stop(void **state)
{
	struct job j = { 0, 0, 0 }; /* never sleeps */
	struct ticker *t = NULL;
	struct error err = { 0 };

	(void)state;
	assert_int_equal(ticker_start(job_turn, &j, &t, &err), 0);
	assert_true(test_wait_count(&j.turns, 50) >= 50);
	ticker_free(&t, 0); /* must still return */
	assert_null(t);
}

/* A turn blocked reading a socket nobody writes to, published. */
struct blocked {
	int fd[2];
	int reads; /* read()'s result, written by the ticker's thread */
};

static int64_t
blocked_turn(struct ticker *t, void *arg)
{
	struct blocked *b = arg;
	char c;

	net_cut_set(ticker_cut(t), b->fd[0]);
	b->reads = (int)read(b->fd[0], &c, 1);
	net_cut_set(ticker_cut(t), -1);
	return 3600;
}

/* A turn blocked on the network is cut after the grace, not waited for. */
static void
test_free_within_cuts_a_blocked_turn(void **state)
{
	struct blocked b = { .reads = -2 };
	struct ticker *t = NULL;
	struct error err = { 0 };
	double t0, took;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b.fd), 0);
	assert_int_equal(ticker_start(blocked_turn, &b, &t, &err), 0);
	usleep(100000); /* the turn is in read() */
	t0 = test_now_s();
	ticker_free(&t, 300);
	took = test_now_s() - t0;
	assert_null(t);
	assert_true(took >= 0.29 && took < 2.0); /* the grace, then the cut */
	assert_int_equal(b.reads, 0);		 /* read() saw the shutdown */
	close(b.fd[0]);
	close(b.fd[1]);
}

/* A socket published after a cut is cut as it is published. */
static void
test_cut_after_fire(void **state)
{
	struct net_cut cut;
	int fd[2];

	(void)state;
	net_cut_init(&cut);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
	net_cut_fire(&cut);
	net_cut_set(&cut, fd[1]);
	assert_int_equal(send(fd[1], "x", 1, MSG_NOSIGNAL), -1);
	net_cut_set(&cut, -1);
	net_cut_destroy(&cut);
	close(fd[0]);
	close(fd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_runs_a_turn),
		cmocka_unit_test(test_free_ends_a_long_sleep),
		cmocka_unit_test(test_busy_job_sees_stop),
		cmocka_unit_test(test_free_within_cuts_a_blocked_turn),
		cmocka_unit_test(test_cut_after_fire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
