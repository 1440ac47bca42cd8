/*
 * The multi-pattern prefilter: one vectorscan (Hyperscan) database per
 * condition target, compiled with HS_FLAG_PREFILTER so that it may report
 * a pattern that PCRE2 would not match, but never misses one that PCRE2
 * would.  One scan of each value flags the conditions worth asking PCRE2
 * about; a condition not flagged cannot match, so it costs nothing.
 *
 * PCRE2 stays the meaning of every rule: a pattern vectorscan cannot
 * compile (or one that can match the empty string, which a block scan
 * does not report reliably) is left unfiltered and always runs PCRE2.
 */
#include <hs/hs.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rules-private.h"
#include "xalloc.h"

#define RULES_LOOSEN_DEPTH 64	/* group nesting loosen() follows */

struct rules_prefilter {
	hs_database_t *db[RT_COUNT];	/* owned; NULL: no filtered leaf */
	hs_scratch_t *scratch;		/* owned: prototype, cloned per scan */
};

static unsigned
hs_flags(unsigned rf)
{
	unsigned f = HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH;

	if (rf & RF_I)
		f |= HS_FLAG_CASELESS;
	if (rf & RF_M)
		f |= HS_FLAG_MULTILINE;
	if (rf & RF_S)
		f |= HS_FLAG_DOTALL;
	if (rf & RF_U)
		f |= HS_FLAG_UTF8 | HS_FLAG_UCP;
	return f;
}

/*
 * The pattern as the prefilter sees it: word-boundary assertions (\b \B)
 * outside character classes and lookarounds are dropped.  Dropping a
 * zero-width assertion only widens what a pattern matches, so the
 * prefilter stays a superset of PCRE2, and vectorscan compiles the result
 * many times faster (500 word alternations: ~2 s with \b, ~0.06 s
 * without).  Inside a lookaround dropping could narrow a negative one, so
 * those are copied as written.
 */
static char *
loosen(const char *pat)
{
	char *out = xmalloc(strlen(pat) + 1), *o = out;
	unsigned char look[RULES_LOOSEN_DEPTH];
	int depth = 0, looking = 0, in_class = 0;
	const char *s = pat;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == 'Q') {
			const char *e = strstr(s, "\\E");
			size_t n = e != NULL ? (size_t)(e + 2 - s) : strlen(s);

			memcpy(o, s, n);
			o += n;
			s += n;
			continue;
		}
		if (s[0] == '\\' && s[1] != '\0') {
			if ((s[1] == 'b' || s[1] == 'B') && !in_class &&
			    looking == 0) {
				s += 2;
				continue;
			}
			*o++ = *s++;
			if (s[0] == 'c' && s[1] != '\0')
				*o++ = *s++;	/* \cX: X is literal */
			*o++ = *s++;
			continue;
		}
		if (in_class) {
			if (s[0] == '[' && s[1] == ':') {
				const char *e = strstr(s + 2, ":]");

				if (e != NULL) {
					memcpy(o, s, (size_t)(e + 2 - s));
					o += e + 2 - s;
					s = e + 2;
					continue;
				}
			}
			if (*s == ']')
				in_class = 0;
			*o++ = *s++;
			continue;
		}
		if (*s == '[') {
			in_class = 1;
			*o++ = *s++;
			if (*s == '^')
				*o++ = *s++;
			if (*s == ']')
				*o++ = *s++;	/* a literal ']' first */
			continue;
		}
		if (*s == '(') {
			int is_look = s[1] == '*' || (s[1] == '?' &&
			    (s[2] == '=' || s[2] == '!' || (s[2] == '<' &&
			    (s[3] == '=' || s[3] == '!'))));

			if (depth == RULES_LOOSEN_DEPTH) {
				strcpy(out, pat);	/* too deep: as written */
				return out;
			}
			look[depth++] = (unsigned char)is_look;
			looking += is_look;
		} else if (*s == ')' && depth > 0) {
			looking -= look[--depth];
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/*
 * Compile the database of one target from the leaves in `v`.  A pattern
 * vectorscan refuses is dropped and the rest compiled again.  Returns the
 * database (NULL when nothing could be taken); v is compacted to the
 * leaves it holds.
 */
static hs_database_t *
build_one(struct rules_cond **v, size_t *n)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;
	const char **exprs;
	unsigned *flags, *ids;
	char **owned;
	hs_error_t rc;

	exprs = xcalloc(*n + 1, sizeof(*exprs));
	owned = xcalloc(*n + 1, sizeof(*owned));
	flags = xcalloc(*n + 1, sizeof(*flags));
	ids = xcalloc(*n + 1, sizeof(*ids));
	for (size_t i = 0; i < *n; i++) {
		/* vectorscan has no flag for x, only the inline option. */
		char *loose = loosen(v[i]->pattern);

		if (v[i]->flags & RF_X)
			xasprintf(&owned[i], "(?x)%s", loose);
		else
			owned[i] = xstrdup(loose);
		free(loose);
	}
	while (*n > 0) {
		for (size_t i = 0; i < *n; i++) {
			exprs[i] = owned[i];
			flags[i] = hs_flags(v[i]->flags);
			ids[i] = (unsigned)v[i]->id;
		}
		rc = hs_compile_multi(exprs, flags, ids, (unsigned)*n,
		    HS_MODE_BLOCK, NULL, &db, &cerr);
		if (rc == HS_SUCCESS)
			break;
		db = NULL;
		if (cerr->expression < 0 || (size_t)cerr->expression >= *n) {
			/* Not one pattern's fault: filter none of them. */
			hs_free_compile_error(cerr);
			for (size_t i = 0; i < *n; i++)
				free(owned[i]);
			*n = 0;
			break;
		}
		free(owned[cerr->expression]);
		for (size_t i = (size_t)cerr->expression; i + 1 < *n; i++) {
			v[i] = v[i + 1];
			owned[i] = owned[i + 1];
		}
		(*n)--;
		hs_free_compile_error(cerr);
	}
	for (size_t i = 0; i < *n; i++)
		free(owned[i]);
	free(owned);
	free(exprs);
	free(flags);
	free(ids);
	return db;
}

void
rules_prefilter_build(struct rules *rs)
{
	struct rules_prefilter *pf = xcalloc(1, sizeof(*pf));
	struct rules_cond **v = xcalloc(rs->n_leaves + 1, sizeof(*v));
	size_t n;
	int any = 0;

	for (int t = 0; t < RT_COUNT; t++) {
		n = 0;
		for (size_t i = 0; i < rs->n_leaves; i++) {
			struct rules_cond *c = rs->leaves[i];

			if (c->target == (enum rules_target)t &&
			    !c->can_be_empty)
				v[n++] = c;
		}
		if (n == 0)
			continue;
		pf->db[t] = build_one(v, &n);
		if (pf->db[t] == NULL)
			continue;
		if (hs_alloc_scratch(pf->db[t], &pf->scratch) != HS_SUCCESS) {
			hs_free_database(pf->db[t]);
			pf->db[t] = NULL;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			v[i]->prefiltered = 1;
		rs->n_unfiltered -= n;
		any = 1;
	}
	free(v);
	if (!any) {
		rules_prefilter_free(&pf);
		return;
	}
	rs->pf = pf;
}

void
rules_prefilter_free(struct rules_prefilter **pfp)
{
	struct rules_prefilter *pf = *pfp;

	if (pf == NULL)
		return;
	for (int t = 0; t < RT_COUNT; t++)
		hs_free_database(pf->db[t]);
	hs_free_scratch(pf->scratch);
	free(pf);
	*pfp = NULL;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	unsigned char *seen = arg;

	(void)from, (void)to, (void)flags;
	seen[id] = 1;
	return 0;
}

int
rules_prefilter_scan(const struct rules *rs, const struct msg *m,
    const struct rules_ctx *ctx, unsigned char *seen)
{
	const struct rules_prefilter *pf = rs->pf;
	hs_scratch_t *scratch = NULL;
	const char *val;
	size_t pos;
	int r = -1;

	/* The prototype is shared; each scan gets its own copy. */
	if (hs_clone_scratch(pf->scratch, &scratch) != HS_SUCCESS)
		return -1;
	for (int t = 0; t < RT_COUNT; t++) {
		if (pf->db[t] == NULL)
			continue;
		/* arg NULL: for `header`, every header (names are checked
		   by PCRE2's pass, which only reads the named ones). */
		pos = 0;
		for (val = rules_targets[t].next(m, ctx, NULL, &pos);
		    val != NULL;
		    val = rules_targets[t].next(m, ctx, NULL, &pos)) {
			if (hs_scan(pf->db[t], val, (unsigned)strlen(val), 0,
			    scratch, on_match, seen) != HS_SUCCESS)
				goto out;
		}
	}
	r = 0;
out:
	hs_free_scratch(scratch);
	return r;
}
