/* The classification verdict record; see verdict.h. */
#include "verdict.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char *const priority_names[] = { "low", "normal", "high",
	"urgent" };
static const char *const dim_names[DIM_COUNT] = { "budget", "authority", "need",
	"timeline", "fit" };

void
verdict_init(struct verdict *v)
{
	memset(v, 0, sizeof(*v));
	v->priority = PRIO_UNSET;
}

void
verdict_clear(struct verdict *v)
{
	for (size_t i = 0; i < v->n_tags; i++)
		free(v->tags[i]);
	for (size_t i = 0; i < v->n_hits; i++) {
		free(v->hits[i].rule);
		free(v->hits[i].file);
		free(v->hits[i].target);
		free(v->hits[i].match);
	}
	for (size_t i = 0; i < v->n_rule_scores; i++)
		free(v->rule_scores[i].rule);
	free(v->rule_scores);
	free(v->tags);
	free(v->hits);
	free(v->queue);
	free(v->route);
	free(v->ignore);
	verdict_init(v);
}

void
verdict_add_tag(struct verdict *v, const char *tag)
{
	char *t = xstrdup(tag);

	for (char *p = t; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; i < v->n_tags; i++) {
		if (strcmp(v->tags[i], t) == 0) {
			free(t);
			return;
		}
	}
	v->tags = xreallocarray(v->tags, v->n_tags + 1, sizeof(*v->tags));
	v->tags[v->n_tags++] = t;
}

void
verdict_add_hit(struct verdict *v, const char *rule, const char *file, int line,
    const char *target, const char *match, int limit_hit)
{
	struct verdict_hit *h;

	v->hits = xreallocarray(v->hits, v->n_hits + 1, sizeof(*v->hits));
	h = &v->hits[v->n_hits++];
	h->rule = xstrdup(rule);
	h->file = xstrdup(file);
	h->line = line;
	h->target = xstrdup(target);
	h->match = xstrdup(match != NULL ? match : "");
	h->limit_hit = limit_hit;
}

void
verdict_add_score(struct verdict *v, const char *rule, enum dim d, int n)
{
	struct verdict_score *sc;

	if (d < 0 || d >= DIM_COUNT)
		return;
	v->scores[d] += n;
	v->rule_scores = xreallocarray(v->rule_scores, v->n_rule_scores + 1,
	    sizeof(*v->rule_scores));
	sc = &v->rule_scores[v->n_rule_scores++];
	sc->rule = xstrdup(rule);
	sc->dim = d;
	sc->n = n;
}

const char *
priority_name(enum priority p)
{
	if (p < PRIO_LOW || p > PRIO_URGENT)
		return "normal";
	return priority_names[p];
}

int
priority_parse(const char *s, enum priority *p_r)
{
	for (int i = PRIO_LOW; i <= PRIO_URGENT; i++) {
		if (strcmp(s, priority_names[i]) == 0) {
			*p_r = (enum priority)i;
			return 0;
		}
	}
	return -1;
}

const char *
dim_name(enum dim d)
{
	return d >= 0 && d < DIM_COUNT ? dim_names[d] : "?";
}

int
dim_parse(const char *s, enum dim *d_r)
{
	for (int i = 0; i < DIM_COUNT; i++) {
		if (strcmp(s, dim_names[i]) == 0) {
			*d_r = (enum dim)i;
			return 0;
		}
	}
	return -1;
}
