/*
 * A bounded growable buffer (curl dynbuf): appending past the cap fails
 * instead of growing, so hostile input can never grow memory unbounded.
 * Out of memory below the cap aborts, as the x-allocators do.
 */
#ifndef TRIAGE_BUF_H
#define TRIAGE_BUF_H

#include <stddef.h>

/* A growable byte buffer with a hard cap; always NUL-terminated. */
struct buf {
	char *data; /* owned */
	size_t len;
	size_t alloc;
	size_t cap; /* maximum len; appends beyond it fail */
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
