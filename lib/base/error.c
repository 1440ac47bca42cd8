/* The caller-owned error struct; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * vsnprintf() into the buffer it reads from is undefined behaviour, so
 * every message is built in a scratch buffer first: a caller may pass
 * err->msg (or a part of it) as an argument.
 */
int
error_set(struct error *err, enum err_code code, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err->code = code;
	memcpy(err->msg, msg, sizeof(err->msg));
	return -1;
}

/* Append s to the len bytes of buf (size bytes), cut to fit; new length. */
static size_t
append(char *buf, size_t size, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (n > size - 1 - len)
		n = size - 1 - len;
	memcpy(buf + len, s, n);
	buf[len + n] = '\0';
	return len + n;
}

int
error_prefix(struct error *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;
	size_t len;
	int n;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		msg[0] = '\0';
		n = 0;
	}
	len = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	len = append(msg, sizeof(msg), len, ": ");
	append(msg, sizeof(msg), len, err->msg);
	memcpy(err->msg, msg, sizeof(err->msg));
	return -1;
}

void
error_clear(struct error *err)
{
	err->code = ERR_NONE;
	err->msg[0] = '\0';
}
