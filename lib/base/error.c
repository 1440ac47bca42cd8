/* The caller-owned error struct; see error.h. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int
error_set(struct error *err, enum err_code code, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void
error_clear(struct error *err)
{
	err->code = ERR_NONE;
	err->msg[0] = '\0';
}
