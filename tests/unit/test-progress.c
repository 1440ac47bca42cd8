/*
 * Progress (progress.h) on a real pseudo-terminal, and nothing at all on
 * a file: what the terminal receives, byte for byte where it matters.
 */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "progress.h"

struct tty {
	int master;
	FILE *slave;
};

static void
tty_open(struct tty *t)
{
	struct termios raw;
	int m, s;

	assert_int_equal(openpty(&m, &s, NULL, NULL, NULL), 0);
	/* no \n -> \r\n: compare what the program wrote */
	assert_int_equal(tcgetattr(s, &raw), 0);
	cfmakeraw(&raw);
	assert_int_equal(tcsetattr(s, TCSANOW, &raw), 0);
	assert_int_equal(fcntl(m, F_SETFL, O_NONBLOCK), 0);
	t->master = m;
	t->slave = fdopen(s, "w");
	assert_non_null(t->slave);
}

/* Everything written so far (a string the caller frees). */
static char *
tty_read(struct tty *t)
{
	char *out = calloc(1, 65536);
	size_t n = 0;
	ssize_t r;

	assert_non_null(out);
	fflush(t->slave);
	while (n < 65535 && (r = read(t->master, out + n, 65535 - n)) > 0)
		n += (size_t)r;
	return out;
}

static void
tty_close(struct tty *t)
{
	fclose(t->slave);
	close(t->master);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void
test_not_a_terminal(void **state)
{
	FILE *f = tmpfile();
	struct progress *p;
	long end;

	(void)state;
	assert_non_null(f);
	p = progress_new(f, "replay", 10, 0);
	assert_null(p);
	progress_set(p, 5);
	progress_clear(p);
	progress_end(&p);
	fflush(f);
	end = ftell(f);
	assert_int_equal(end, 0);
	fclose(f);
}

static void
test_redrawn(void **state)
{
	struct progress *p;
	struct tty t;
	char *out;

	(void)state;
	tty_open(&t);
	p = progress_new(t.slave, "replay", 48000, 0);
	assert_non_null(p);
	out = tty_read(&t);
	assert_string_equal(out, "\rreplay: 0 of 48,000 (0%)\033[K");
	free(out);
	/* at most ten draws a second: the next one is held back */
	progress_set(p, 100);
	progress_set(p, 200);
	sleep_ms(120);
	progress_set(p, 12000);
	out = tty_read(&t);
	assert_string_equal(out, "\rreplay: 12,000 of 48,000 (25%)\033[K");
	free(out);
	/* cleared for other output, then drawn again at once */
	progress_clear(p);
	progress_set(p, 1234567);
	out = tty_read(&t);
	assert_string_equal(out, "\r\033[K\rreplay: 1,234,567 of 48,000 "
				 "(2572%)\033[K");
	free(out);
	progress_set(p, 48000);
	progress_end(&p);
	assert_null(p);
	out = tty_read(&t);
	assert_string_equal(out,
	    "\rreplay: 48,000 of 48,000 (100%)\033[K, done.\n");
	free(out);
	tty_close(&t);
}

/* Lines, for the daemon: nothing for work shorter than the period. */
static void
test_lines_quick(void **state)
{
	struct progress *p;
	struct tty t;
	char *out;

	(void)state;
	tty_open(&t);
	p = progress_new(t.slave, "sales", 48000, PROGRESS_LINES);
	assert_non_null(p);
	progress_set(p, 12000);
	progress_end(&p);
	out = tty_read(&t);
	assert_string_equal(out, "");
	free(out);
	tty_close(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_a_terminal),
		cmocka_unit_test(test_redrawn),
		cmocka_unit_test(test_lines_quick),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
