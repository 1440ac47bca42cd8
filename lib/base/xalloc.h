/*
 * Allocation wrappers that abort on out-of-memory (OpenSMTPD util.c).
 * Input-sized memory is different: it goes in a capped struct buf
 * (buf.h).
 */
#ifndef TRIAGE_XALLOC_H
#define TRIAGE_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

#include "buf.h"

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* NULL in, NULL out. */
char *xstrdup_or_null(const char *s);
char *xstrndup(const char *s, size_t n);
int xasprintf(char **ret, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* free(*p) and set *p to NULL. */
void xfree(void *pp);

#endif
