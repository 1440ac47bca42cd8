/*
 * Helpers shared by the itest-*.c programs; see itest-common.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest-common.h"
#include "xalloc.h"

char *
itest_slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, (size_t)64 * 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) < 0) {
			fclose(f);
			buf_free(&b);
			errno = EFBIG;
			return NULL;
		}
	}
	fclose(f);
	*len_r = b.len;
	return buf_steal(&b);
}

char *
itest_slurp_or_die(const char *path, size_t *len_r)
{
	char *s = itest_slurp(path, len_r);

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
