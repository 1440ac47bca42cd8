/*
 * What the harnesses share: the libFuzzer entry point they each define,
 * and a NUL-terminated copy of the input for parsers that take C
 * strings.  Each harness is one fuzz-NAME.c; it builds twice, with
 * libFuzzer (clang) and with replay.c (any compiler), see README.md.
 */
#ifndef TRIAGE_FUZZ_H
#define TRIAGE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle that holds in every build (assert() goes with NDEBUG). */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			    __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* The input as a C string (cut at its first NUL, as a C caller would). */
static inline char *
fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Is s (NUL-terminated) valid UTF-8?  The oracle for "clean UTF-8 out". */
static inline int
fuzz_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t n = *p < 0x80	       ? 0 :
			   (*p & 0xe0) == 0xc0 ? 1 :
			   (*p & 0xf0) == 0xe0 ? 2 :
			   (*p & 0xf8) == 0xf0 ? 3 :
						 4;

		if (n == 4 || (n == 1 && *p < 0xc2) || (n == 3 && *p > 0xf4))
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		}
		p += n + 1;
	}
	return 1;
}

#endif
