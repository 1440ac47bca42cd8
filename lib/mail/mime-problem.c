/*
 * The problem list of one parse (struct msg's problems), which mime.c
 * and mime-part.c both add to: below both, so they do not call each
 * other.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mime-private.h"
#include "mime.h"
#include "xalloc.h"

#define MIME_MAX_PROBLEMS 64

/*
 * Record a parse problem as "kind: detail".  Identical problems are kept
 * once and at most MIME_MAX_PROBLEMS are listed, so hostile input cannot
 * grow the list.
 */
void
mime_problem(struct mime_ctx *c, const char *fmt, ...)
{
	struct msg *m = c->m;
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < m->n_problems; i++) {
		if (strcmp(m->problems[i], tmp) == 0)
			return;
	}
	if (m->n_problems >= MIME_MAX_PROBLEMS &&
	    strncmp(tmp, "problems:", 9) != 0) {
		c->problems_dropped++;
		return;
	}
	if (m->n_problems == c->problems_alloc) {
		c->problems_alloc =
		    c->problems_alloc ? 2 * c->problems_alloc : 8;
		m->problems = xreallocarray(m->problems, c->problems_alloc,
		    sizeof(*m->problems));
	}
	m->problems[m->n_problems++] = mime_text_dup(tmp);
}
