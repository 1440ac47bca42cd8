/*
 * Freeing a condition, for rules-parse.c (a condition it drops) and
 * rules.c (a whole set): below both, so they do not call each other.
 */
#include <stdlib.h>

#include "rules-private.h"

void
rules_cond_clear(struct rules_cond *c)
{
	for (size_t i = 0; i < c->n_kids; i++)
		rules_cond_clear(&c->kids[i]);
	free(c->kids);
	free(c->text);
	free(c->arg);
	free(c->label);
	free(c->pattern);
	pcre2_code_free(c->re);
}
