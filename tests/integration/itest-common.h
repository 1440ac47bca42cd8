/*
 * What the itest-*.c helper programs share; built once and linked into
 * each of them (tests/CMakeLists.txt).
 */
#ifndef TRIAGE_ITEST_COMMON_H
#define TRIAGE_ITEST_COMMON_H

#include <stddef.h>

/*
 * The whole file at `path` (at most 64 MiB) as a malloc'd string, NUL
 * terminated, and its length in *len_r.  Returns NULL with errno set
 * (EFBIG when the file is larger) when it cannot be read.
 */
char *itest_slurp(const char *path, size_t *len_r);

/* itest_slurp(), or print why and exit(2). */
char *itest_slurp_or_die(const char *path, size_t *len_r);

/* Seconds on the monotonic clock, for timing. */
double itest_now(void);

#endif
