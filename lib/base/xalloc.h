/*
 * Allocation wrappers that abort on out-of-memory (OpenSMTPD util.c), and
 * a bounded growable buffer (curl dynbuf): appending past the cap fails
 * instead of growing, so hostile input can never grow memory unbounded.
 */
#ifndef TRIAGE_XALLOC_H
#define TRIAGE_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

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

/* A growable byte buffer with a hard cap; always NUL-terminated. */
struct buf {
	char *data;	/* owned */
	size_t len;
	size_t alloc;
	size_t cap;	/* maximum len; appends beyond it fail */
};

void buf_init(struct buf *b, size_t cap);
/* Returns 0, or -1 when the cap would be exceeded (nothing appended). */
int buf_add(struct buf *b, const void *data, size_t len);
int buf_addstr(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Empty the buffer but keep its memory. */
void buf_reset(struct buf *b);
/* Hand the data to the caller (who frees it); the buffer is emptied. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
