/*
 * The problem list of a rule set being loaded, which rules.c (files and
 * directories) and rules-parse.c (the text) both add to: below both, so
 * they do not call each other.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "rules-private.h"
#include "xalloc.h"

void
rules_problem_add(struct rules_problems *probs, const char *file, int line,
    int col, const char *fmt, ...)
{
	struct rules_problem *pb;
	va_list ap;
	char *msg;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		fatalx("out of memory");
	probs->v = xreallocarray(probs->v, probs->n + 1, sizeof(*probs->v));
	pb = &probs->v[probs->n++];
	pb->file = xstrdup(file);
	pb->line = line;
	pb->col = col;
	pb->msg = msg;
}

void
rules_problems_clear(struct rules_problems *probs)
{
	for (size_t i = 0; i < probs->n; i++) {
		free(probs->v[i].file);
		free(probs->v[i].msg);
	}
	free(probs->v);
	probs->v = NULL;
	probs->n = 0;
}
