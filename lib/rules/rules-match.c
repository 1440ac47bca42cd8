/*
 * Classifying one message with a rule set: the evaluation of conditions
 * (PCRE2, behind the prefilter) over the values of their targets
 * (rules-targets.c), and the actions that fill the verdict.  Nothing
 * here writes to the rule set, so any number of threads may classify
 * with one set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "log.h"
#include "rules-private.h"
#include "xalloc.h"

#define RULES_LEN_CACHE 4 /* values whose length a message remembers */

/* ---- evaluation ---- */

struct pending {
	const struct rules_cond *c; /* foreign */
	char *match;		    /* owned */
};

struct eval {
	const struct rules *rs;
	const struct msg *m;
	const struct rules_ctx *ctx;
	struct verdict *v;
	pcre2_match_data *md;	       /* owned */
	const struct rules_scan *sc;   /* the prefilter's, or NULL */
	pcre2_match_context *mctx;     /* owned: the set's, plus a limit */
	const struct rules_rule *rule; /* being evaluated */
	int quiet;		       /* explain: past what classify sees */
	struct pending *pend;	       /* hits of the rule, if it fires */
	size_t n_pend;
	/* $N of the rule, owned: one set per distinct match */
	char *caps[RULES_TAG_EACH][RULES_MAX_GROUPS + 1];
	size_t n_caps;
	/* lengths of the values matched last (a body is measured once) */
	const char *len_of[RULES_LEN_CACHE];
	size_t len[RULES_LEN_CACHE];
	size_t len_next;
};

/* strlen(val), remembered: hundreds of conditions read one body. */
static size_t
value_len(struct eval *e, const char *val)
{
	size_t k = e->len_next % RULES_LEN_CACHE;

	for (size_t i = 0; i < RULES_LEN_CACHE; i++) {
		if (e->len_of[i] == val)
			return e->len[i];
	}
	e->len_of[k] = val;
	e->len[k] = strlen(val);
	e->len_next++;
	return e->len[k];
}

/* Copy at most `max` bytes of s, cut at a UTF-8 character boundary. */
static char *
bounded_copy(const char *s, size_t len, size_t max)
{
	if (len > max) {
		len = max;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	return xstrndup(s, len);
}

static void
caps_clear(struct eval *e)
{
	for (size_t k = 0; k < e->n_caps; k++) {
		for (size_t i = 0; i <= RULES_MAX_GROUPS; i++)
			xfree(&e->caps[k][i]);
	}
	e->n_caps = 0;
}

static int
caps_same(char *const *a, char *const *b)
{
	for (size_t i = 1; i <= RULES_MAX_GROUPS; i++) {
		if ((a[i] == NULL) != (b[i] == NULL))
			return 0;
		if (a[i] != NULL && strcasecmp(a[i], b[i]) != 0)
			return 0;
	}
	return 1;
}

/* Add the groups of the match in e->md as a set, unless already there. */
static void
caps_add(struct eval *e, const char *val, unsigned groups)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
	char **set;

	if (e->n_caps == RULES_TAG_EACH)
		return;
	set = e->caps[e->n_caps];
	for (unsigned i = 1; i <= groups && i <= RULES_MAX_GROUPS; i++) {
		if (ov[2 * i] == PCRE2_UNSET)
			continue;
		set[i] = bounded_copy(val + ov[2 * i],
		    ov[2 * i + 1] - ov[2 * i], RULES_TAG_MAX);
	}
	for (size_t k = 0; k < e->n_caps; k++) {
		if (caps_same(e->caps[k], set)) {
			for (size_t i = 0; i <= RULES_MAX_GROUPS; i++)
				xfree(&set[i]);
			return;
		}
	}
	e->n_caps++;
}

/*
 * A $N tag takes one tag per distinct match (competitor:github and
 * competitor:circleci from one body): after the first match at `end` of
 * value `val`, the later matches in it and in the target's later values,
 * up to RULES_TAG_EACH distinct sets and RULES_TAG_SCAN matches.  Every
 * later match lies within the prefilter's window (each contains one of
 * the literals), so the offset limit stays as it is; a limit hit only
 * ends the collecting.
 */
static void
caps_more(struct eval *e, const struct rules_cond *c, const char *val,
    size_t end, size_t pos)
{
	const struct rules_target_def *t = &rules_targets[c->target];
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(e->md);
	size_t len = value_len(e, val), start = end, scanned = 0;
	int rc;

	while (val != NULL && scanned < RULES_TAG_SCAN &&
	       e->n_caps < RULES_TAG_EACH) {
		while (
		    start < len && ((unsigned char)val[start] & 0xc0) == 0x80)
			start++;
		rc = start > len ? PCRE2_ERROR_NOMATCH :
				   pcre2_match(c->re, (PCRE2_SPTR)val, len,
				       start, 0, e->md, e->mctx);
		scanned++;
		if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
			return;
		if (rc == PCRE2_ERROR_NOMATCH) {
			val = t->next(e->m, e->ctx, c->arg, &pos);
			len = val != NULL ? value_len(e, val) : 0;
			start = 0;
			continue;
		}
		caps_add(e, val, c->groups);
		/* an empty match: move on a character */
		start = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
	}
}

/*
 * Match c against one value from `start`, trying only starts up to
 * `limit` (PCRE2_UNSET: any).  Returns pcre2_match()'s code.
 */
static int
value_match(struct eval *e, const struct rules_cond *c, const char *val,
    size_t len, size_t start, size_t limit)
{
	if (start > len || (limit != PCRE2_UNSET && limit > len)) {
		start = 0; /* a bug elsewhere; be exact */
		limit = PCRE2_UNSET;
	}
	while (start > 0 && ((unsigned char)val[start] & 0xc0) == 0x80)
		start--; /* a UTF-8 character boundary */
	(void)pcre2_set_offset_limit(e->mctx, limit);
	return pcre2_match(c->re, (PCRE2_SPTR)val, len, start, 0, e->md,
	    e->mctx);
}

/*
 * The leftmost match in a single value, trying only the prefilter's
 * windows, in ascending order: no match starts outside them, so the
 * first window with a match holds the leftmost one.
 */
static int
windows_match(struct eval *e, const struct rules_cond *c, const char *val,
    size_t len)
{
	const struct rules_scan *sc = e->sc;
	const struct rules_window *w = sc->win + sc->first[c->id];
	int rc = PCRE2_ERROR_NOMATCH;

	for (size_t k = 0; k < sc->n_win[c->id]; k++) {
		rc = value_match(e, c, val, len, w[k].lo, w[k].hi);
		if (rc != PCRE2_ERROR_NOMATCH)
			break;
	}
	/* more matches (caps_more) lie anywhere in the hull */
	(void)pcre2_set_offset_limit(e->mctx,
	    sc->hi[c->id] <= len ? sc->hi[c->id] : PCRE2_UNSET);
	return rc;
}

/*
 * Match one pattern against every value of its target.  Returns 1 and
 * sets *match_r on the first value that matches, 0 when none does, -1
 * when a PCRE2 limit (or any other match error) ended the match.
 */
static int
leaf_match(struct eval *e, const struct rules_cond *c, char **match_r)
{
	const struct rules_target_def *t = &rules_targets[c->target];
	const struct rules_scan *sc = c->prefiltered ? e->sc : NULL;
	PCRE2_SIZE *ov;
	const char *val;
	size_t pos = 0, start = 0, limit = PCRE2_UNSET, len;
	int rc;

	if (sc != NULL && !sc->seen[c->id])
		return 0;
	/*
	 * Every match contains one of the pattern's literals and so starts
	 * in [lo, hi] (rules-prefilter.c): PCRE2 tries only those starts,
	 * and still finds the leftmost match.  Lookbehinds and \b still see
	 * the text before the start offset.
	 */
	if (sc != NULL && sc->hi[c->id] != SIZE_MAX) {
		start = sc->lo[c->id];
		limit = sc->hi[c->id];
	}
	for (val = t->next(e->m, e->ctx, c->arg, &pos); val != NULL;
	     val = t->next(e->m, e->ctx, c->arg, &pos)) {
		len = value_len(e, val);
		if (sc != NULL && sc->n_win[c->id] > 0)
			rc = windows_match(e, c, val, len);
		else
			rc = value_match(e, c, val, len, start, limit);
		if (rc == PCRE2_ERROR_NOMATCH)
			continue;
		if (rc < 0)
			return -1;
		ov = pcre2_get_ovector_pointer(e->md);
		*match_r =
		    bounded_copy(val + ov[0], ov[1] - ov[0], RULES_MATCH_MAX);
		/* $N: the groups of the last positive match that has any. */
		if (c->groups > 0 && !c->negate) {
			size_t end = ov[1] > ov[0] ? ov[1] : ov[1] + 1;

			caps_clear(e);
			caps_add(e, val, c->groups);
			if (e->rule->tag_caps)
				caps_more(e, c, val, end, pos);
		}
		return 1;
	}
	return 0;
}

static void
pending_add(struct eval *e, const struct rules_cond *c, char *match)
{
	e->pend = xreallocarray(e->pend, e->n_pend + 1, sizeof(*e->pend));
	e->pend[e->n_pend].c = c;
	e->pend[e->n_pend++].match = match;
}

static void
pending_clear(struct eval *e)
{
	for (size_t i = 0; i < e->n_pend; i++)
		free(e->pend[i].match);
	e->n_pend = 0;
}

/*
 * Does the condition hold?  A condition whose match hit a limit does not
 * hold, negated or not: a rule never fires on what it could not decide.
 */
static int
cond_holds(struct eval *e, const struct rules_cond *c)
{
	const struct rules_rule *r = e->rule;
	char *match = NULL;
	int rc;

	if (c->kind == COND_ANY) {
		for (size_t i = 0; i < c->n_kids; i++) {
			if (cond_holds(e, &c->kids[i]))
				return 1;
		}
		return 0;
	}
	rc = leaf_match(e, c, &match);
	if (rc < 0) {
		if (!e->quiet)
			verdict_add_hit(e->v, r->name, r->file, r->line,
			    c->label, "", 1);
		return 0;
	}
	if (rc == c->negate) {
		free(match);
		return 0;
	}
	pending_add(e, c, match != NULL ? match : xstrdup(""));
	return 1;
}

/*
 * The tag with $N of capture set k substituted, blanks made '-',
 * bounded; NULL if empty.
 */
static char *
tag_expand(const struct eval *e, const char *tmpl, size_t k)
{
	struct buf b;
	const char *cap;

	buf_init(&b, RULES_TAG_MAX);
	for (const char *s = tmpl; *s != '\0'; s++) {
		if (s[0] == '$' && s[1] >= '1' && s[1] <= '9') {
			cap = k < e->n_caps ? e->caps[k][s[1] - '0'] : NULL;
			for (; cap != NULL && *cap != '\0'; cap++) {
				char ch = *cap == ' ' || *cap == '\t' ||
						  *cap == '\n' || *cap == '\r' ?
					      '-' :
					      *cap;

				(void)buf_add(&b, &ch, 1);
			}
			s++;
			continue;
		}
		(void)buf_add(&b, s, 1);
	}
	if (b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Apply a fired rule's actions; returns 1 when it says `stop`. */
static int
rule_apply(struct eval *e, const struct rules_rule *r)
{
	struct verdict *v = e->v;
	int stop = 0;
	char *tag, *cut;

	for (size_t i = 0; i < e->n_pend; i++)
		verdict_add_hit(v, r->name, r->file, r->line,
		    e->pend[i].c->label, e->pend[i].match, 0);
	for (size_t i = 0; i < r->n_acts; i++) {
		const struct rules_action *a = &r->acts[i];

		switch (a->kind) {
		case ACT_QUEUE:
			free(v->queue);
			v->queue = xstrdup(a->arg);
			break;
		case ACT_PRIORITY:
			v->priority = a->prio;
			break;
		case ACT_TAG:
			/* one tag per capture set; the same tag once */
			for (size_t k = 0;
			     k == 0 ||
			     (k < e->n_caps && strchr(a->arg, '$') != NULL);
			     k++) {
				tag = tag_expand(e, a->arg, k);
				if (tag != NULL) {
					cut = bounded_copy(tag, strlen(tag),
					    RULES_TAG_MAX);
					verdict_add_tag(v, cut);
					free(cut);
				}
				free(tag);
			}
			break;
		case ACT_SCORE:
			verdict_add_score(v, r->name, a->dim, a->n);
			break;
		case ACT_ROUTE:
			free(v->route);
			v->route = xstrdup(a->arg);
			break;
		case ACT_IGNORE:
			free(v->ignore);
			v->ignore = xstrdup(a->arg);
			break;
		case ACT_STOP:
			stop = 1;
			break;
		}
	}
	return stop;
}

static void
near_add(struct rules_nears *nears, const struct rules_rule *r,
    const struct rules_cond *c)
{
	struct rules_near *n;

	nears->v = xreallocarray(nears->v, nears->n + 1, sizeof(*nears->v));
	n = &nears->v[nears->n++];
	n->rule = xstrdup(r->name);
	n->file = xstrdup(r->file);
	n->line = r->line;
	n->cond_line = c->line;
	n->cond = xstrdup(c->text);
}

/*
 * Evaluate one rule.  Classify stops at the first condition that fails;
 * explain (nears != NULL) goes on, quietly, to count the failures.  A
 * rule is "close" when one condition failed and some positive one held
 * (a rule whose only match failed and whose `not` held is not close).
 * Returns 1 when the rule fired and said `stop`.
 */
static int
rule_eval(struct eval *e, const struct rules_rule *r, struct rules_nears *nears)
{
	const struct rules_cond *failed = NULL;
	size_t n_failed = 0, n_pos_held = 0;
	int stop = 0;

	e->rule = r;
	e->quiet = 0;
	for (size_t i = 0; i < r->n_conds; i++) {
		if (cond_holds(e, &r->conds[i])) {
			n_pos_held += !r->conds[i].negate;
			continue;
		}
		n_failed++;
		failed = &r->conds[i];
		if (nears == NULL)
			break;
		e->quiet = 1;
	}
	if (n_failed == 0)
		stop = rule_apply(e, r);
	else if (nears != NULL && n_failed == 1 && n_pos_held > 0)
		near_add(nears, r, failed);
	pending_clear(e);
	caps_clear(e);
	return stop;
}

static void
run(const struct rules *rs, const struct msg *m, const struct rules_ctx *ctx,
    struct verdict *v, struct rules_nears *nears)
{
	struct eval e = { 0 };
	struct rules_scan sc = { 0 };

	e.rs = rs;
	e.m = m;
	e.ctx = ctx;
	e.v = v;
	e.md = pcre2_match_data_create(rs->max_groups + 1, NULL);
	e.mctx = pcre2_match_context_copy(rs->mctx);
	if (e.md == NULL || e.mctx == NULL)
		fatalx("out of memory");
	if (rs->pf != NULL && rules_prefilter_scan(rs, m, ctx, &sc) == 0)
		e.sc = &sc;
	for (size_t i = 0; i < rs->n; i++) {
		if (rule_eval(&e, &rs->v[i], nears))
			break;
	}
	free(e.pend);
	rules_prefilter_scan_clear(&sc);
	pcre2_match_data_free(e.md);
	pcre2_match_context_free(e.mctx);
}

void
rules_classify(const struct rules *rs, const struct msg *m,
    const struct rules_ctx *ctx, struct verdict *v)
{
	run(rs, m, ctx, v, NULL);
}

void
rules_explain(const struct rules *rs, const struct msg *m,
    const struct rules_ctx *ctx, struct verdict *v, struct rules_nears *nears)
{
	run(rs, m, ctx, v, nears);
}

void
rules_nears_clear(struct rules_nears *nears)
{
	for (size_t i = 0; i < nears->n; i++) {
		free(nears->v[i].rule);
		free(nears->v[i].file);
		free(nears->v[i].cond);
	}
	free(nears->v);
	nears->v = NULL;
	nears->n = 0;
}
