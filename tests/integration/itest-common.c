/*
 * Helpers shared by the itest-*.c programs; see itest-common.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest-common.h"
#include "test-common.h"

char *
itest_slurp_or_die(const char *path, size_t *len_r)
{
	char *s = test_slurp(path, len_r);

	if (s == NULL) {
		perror(path);
		exit(2);
	}
	return s;
}

char *
itest_read_secret(const char *path)
{
	size_t len;
	char *s = itest_slurp_or_die(path, &len);

	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

double
itest_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
