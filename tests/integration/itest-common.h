/*
 * What the itest-*.c helper programs share; built once and linked into
 * each of them (tests/CMakeLists.txt).
 */
#ifndef TRIAGE_ITEST_COMMON_H
#define TRIAGE_ITEST_COMMON_H

#include <stddef.h>

/*
 * test_slurp() (tests/unit/test-common.h, which every helper may use),
 * or print why and exit(2).
 */
char *itest_slurp_or_die(const char *path, size_t *len_r);

/*
 * The first line of the file at `path` (a password or a token) without
 * its line end, malloc'd; prints why and exits 2 when it cannot be read.
 */
char *itest_read_secret(const char *path);

/* Seconds on the monotonic clock, for timing. */
double itest_now(void);

#endif
