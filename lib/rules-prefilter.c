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
#include <ctype.h>
#include <limits.h>
#include <hs/hs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "rules-private.h"
#include "xalloc.h"

#define RULES_LOOSEN_DEPTH 64	/* group nesting loosen() follows */

struct rules_prefilter {
	hs_database_t *db[RT_COUNT];	/* owned; NULL: no filtered leaf */
	hs_scratch_t *scratch;		/* owned: prototype, cloned per scan */
	const char **headers;		/* foreign: names header leaves test */
	size_t n_headers;
};

/* Only headers some condition names can matter; the rest are skipped. */
static int
header_wanted(const struct rules_prefilter *pf, const char *name)
{
	for (size_t i = 0; i < pf->n_headers; i++) {
		if (strcasecmp(pf->headers[i], name) == 0)
			return 1;
	}
	return 0;
}

static void
headers_collect(struct rules_prefilter *pf, const struct rules *rs)
{
	pf->headers = xcalloc(rs->n_leaves + 1, sizeof(*pf->headers));
	for (size_t i = 0; i < rs->n_leaves; i++) {
		const struct rules_cond *c = rs->leaves[i];

		if (c->target == RT_HEADER && c->prefiltered &&
		    !header_wanted(pf, c->arg))
			pf->headers[pf->n_headers++] = c->arg;
	}
}

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
				/* too deep to follow: as written */
				strcpy(out, pat);
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
 * Factoring: an unbounded whitespace run (\s+, \s*) after a short word
 * makes vectorscan track every occurrence of that word ("is\s+broken"
 * scans an 8 KB body 8x slower than "broken").  A match of a sequence
 * contains a match of each tail of it, so an alternative split by such
 * runs may lose its head, for the prefilter only: still a superset of
 * what PCRE2 matches.
 */
#define FACTOR_MIN 4	/* shorter literals filter too little */

/* Length of the group starting at s[0] == '(' (through ')'), or 0. */
static size_t
group_len(const char *s, size_t len)
{
	int depth = 0, in_class = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\') {
			i++;
			continue;
		}
		if (in_class) {
			in_class = s[i] != ']';
			continue;
		}
		if (s[i] == '[') {
			in_class = 1;
			if (i + 1 < len && s[i + 1] == '^')
				i++;
			if (i + 1 < len && s[i + 1] == ']')
				i++;
		} else if (s[i] == '(') {
			depth++;
		} else if (s[i] == ')' && --depth == 0) {
			return i + 1;
		}
	}
	return 0;
}

/* Is s (len bytes) one whole group: "(...)" or "(?:...)"? Sets *inner. */
static int
whole_group(const char *s, size_t len, size_t *inner_off)
{
	if (len < 2 || s[0] != '(' || group_len(s, len) != len)
		return 0;
	if (s[1] == '?' && len > 3 && s[2] == ':')
		*inner_off = 3;
	else if (s[1] != '?' && s[1] != '*')
		*inner_off = 1;
	else
		return 0;
	return 1;
}

/* The literal prefix of a segment, in pattern syntax; 0 if none. */
static size_t
literal_prefix(const char *s, size_t len, size_t *last_r)
{
	size_t i = 0, last = 0;

	while (i < len) {
		if (s[i] == '\\') {
			if (i + 1 >= len ||
			    isalnum((unsigned char)s[i + 1]))
				break;
			last = i;
			i += 2;
			continue;
		}
		if (strchr(".^$|?*+()[]{}#", s[i]) != NULL)
			break;
		last = i;
		i++;
		/* a UTF-8 character is one unit for a quantifier */
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
	}
	*last_r = last;
	return i;
}

/* Is there a \s+ or \s* at s? Returns its length with lazy/possessive. */
static size_t
ws_run(const char *s, size_t len)
{
	size_t n;

	if (len < 3 || s[0] != '\\' || s[1] != 's' ||
	    (s[2] != '+' && s[2] != '*'))
		return 0;
	n = 3;
	if (n < len && (s[n] == '?' || s[n] == '+'))
		n++;
	return n;
}

/* Words too common to filter anything: never chosen as a factor. */
static int
is_stopword(const char *s, size_t len)
{
	static const char *const stop[] = { "the", "this", "that", "with",
		"from", "your", "have", "next", "what", "when", "will", "there",
		"their", "about", "would", "could", "should", "which", "they",
		"them", "then", "than", "some", "more", "also", "into", "just",
		"like", "been", "were", "here", "only", "other", "after",
		"before", "please", "thanks", NULL };

	for (size_t i = 0; stop[i] != NULL; i++) {
		if (strlen(stop[i]) == len && strncasecmp(stop[i], s, len) == 0)
			return 1;
	}
	return 0;
}

/*
 * How good a factor the segment s (len bytes) is, and how much of it to
 * keep (*keep_r): a literal prefix scores its length; a whole group of
 * literal alternatives, "(?:quarter|month)", scores its shortest one.
 */
static size_t
factor_score(const char *s, size_t len, size_t *keep_r)
{
	size_t lp, last, off, g, start, min = SIZE_MAX;

	if (len > 0 && s[0] == '(') {
		g = group_len(s, len);
		if (g == 0 || !whole_group(s, g, &off))
			return 0;
		if (g < len && strchr("?*+{", s[g]) != NULL)
			return 0;
		for (start = off; start < g - 1; start += lp + 1) {
			lp = literal_prefix(s + start, g - 1 - start, &last);
			if (start + lp < g - 1 && s[start + lp] != '|')
				return 0;
			if (lp == 0 || is_stopword(s + start, lp))
				return 0;
			if (lp < min)
				min = lp;
		}
		*keep_r = g;
		return min == SIZE_MAX ? 0 : min;
	}
	lp = literal_prefix(s, len, &last);
	/* a quantifier after the prefix takes its last unit */
	if (lp < len && strchr("?*+{", s[lp]) != NULL)
		lp = last;
	*keep_r = lp;
	return is_stopword(s, lp) ? 0 : lp;
}

/*
 * Append one alternative without its weak head: the short or common
 * words before the first good literal ("is\s+broken" -> "broken",
 * "we\s+need" -> "need").  The rest stays as written, so it filters as
 * sharply as before; only what vectorscan would track at every "is" and
 * "we" goes.
 */
static void
factor_alt(struct buf *out, const char *a, size_t len)
{
	size_t i = 0, seg = 0, n, g, keep;
	int in_class = 0;

	for (;;) {
		n = i < len ? ws_run(a + i, len - i) : 0;
		if (i == len || (n > 0 && !in_class)) {
			if (factor_score(a + seg, i - seg, &keep) >=
			    FACTOR_MIN)
				break;
			if (i == len) {
				seg = 0;	/* nothing good: as written */
				break;
			}
			i += n;
			seg = i;
			continue;
		}
		if (a[i] == '\\') {
			i += i + 1 < len ? 2 : 1;
		} else if (in_class) {
			in_class = a[i++] != ']';
		} else if (a[i] == '[') {
			in_class = 1;
			i++;
			if (i < len && a[i] == '^')
				i++;
			if (i < len && a[i] == ']')
				i++;
		} else if (a[i] == '(') {
			g = group_len(a + i, len - i);
			i += g > 0 ? g : len - i;
		} else {
			i++;
		}
	}
	(void)buf_add(out, a + seg, len - seg);
}

static void factor_into(struct buf *out, const char *s, size_t len);

/* An alternative: recurse into a whole group, else factor it. */
static void
factor_one(struct buf *out, const char *a, size_t len)
{
	size_t off, head = 0, tail = 0;

	/* \b(...)\b: the group inside the word boundaries */
	if (len > 4 && a[0] == '\\' && a[1] == 'b')
		head = 2;
	if (len > head + 2 && a[len - 2] == '\\' && a[len - 1] == 'b' &&
	    (len < 3 || a[len - 3] != '\\'))
		tail = 2;
	if ((head > 0 || tail > 0) &&
	    whole_group(a + head, len - head - tail, &off)) {
		(void)buf_add(out, a, head + off);
		factor_into(out, a + head + off, len - head - tail - off - 1);
		(void)buf_add(out, a + len - tail - 1, tail + 1);
		return;
	}
	if (whole_group(a, len, &off)) {
		(void)buf_add(out, a, off);
		factor_into(out, a + off, len - off - 1);
		(void)buf_add(out, ")", 1);
		return;
	}
	factor_alt(out, a, len);
}

/* Split at top-level '|' and factor each alternative. */
static void
factor_into(struct buf *out, const char *s, size_t len)
{
	size_t i = 0, start = 0, g;
	int in_class = 0;

	for (; i <= len; i++) {
		if (i == len || (s[i] == '|' && !in_class)) {
			factor_one(out, s + start, i - start);
			if (i < len)
				(void)buf_add(out, "|", 1);
			start = i + 1;
			continue;
		}
		if (s[i] == '\\') {
			i++;
		} else if (in_class) {
			in_class = s[i] != ']';
		} else if (s[i] == '[') {
			in_class = 1;
			if (i + 1 < len && s[i + 1] == '^')
				i++;
			if (i + 1 < len && s[i + 1] == ']')
				i++;
		} else if (s[i] == '(') {
			g = group_len(s + i, len - i);
			if (g == 0)
				break;
			i += g - 1;
		}
	}
}

/*
 * Does the pattern have an alternative whose literal start is shorter
 * than LOOSEN_MIN?  Without \b such a word ("demo", "mug") turns up
 * inside other words, and every false alarm costs a PCRE2 pass over the
 * whole text: those patterns keep their \b.
 */
#define LOOSEN_MIN 6

static int
has_short_alt(const char *s, size_t len)
{
	size_t i = 0, start = 0, g, off, lp, last;
	int in_class = 0;

	if (whole_group(s, len, &off))
		return has_short_alt(s + off, len - off - 1);
	for (; i <= len; i++) {
		if (i == len || (s[i] == '|' && !in_class)) {
			const char *a = s + start;
			size_t n = i - start;

			if (whole_group(a, n, &off)) {
				if (has_short_alt(a + off, n - off - 1))
					return 1;
			} else {
				lp = literal_prefix(a, n, &last);
				if (lp < n && strchr("?*+{", a[lp]) != NULL)
					lp = last;
				if (lp < LOOSEN_MIN)
					return 1;
			}
			start = i + 1;
			continue;
		}
		if (s[i] == '\\') {
			i++;
		} else if (in_class) {
			in_class = s[i] != ']';
		} else if (s[i] == '[') {
			in_class = 1;
		} else if (s[i] == '(') {
			g = group_len(s + i, len - i);
			if (g == 0)
				return 1;
			i += g - 1;
		}
	}
	return 0;
}

/* The factored pattern, or a copy of `pat` when anything looks odd. */
static char *
factor(const char *pat, unsigned flags)
{
	struct buf b;

	/* x: blanks and comments; \Q: quoting; (?i) and friends: options
	   a factor cut out of its context would lose. */
	if ((flags & RF_X) || strstr(pat, "\\Q") != NULL)
		return xstrdup(pat);
	for (const char *q = strstr(pat, "(?"); q != NULL;
	    q = strstr(q + 2, "(?")) {
		if (strchr(":=!<>", q[2]) == NULL || (q[2] == '<' &&
		    q[3] != '=' && q[3] != '!'))
			return xstrdup(pat);
	}
	buf_init(&b, strlen(pat) + 1);
	factor_into(&b, pat, strlen(pat));
	if (b.data == NULL) {
		buf_free(&b);
		return xstrdup(pat);
	}
	return buf_steal(&b);
}

/*
 * A bound on the byte length of any PCRE2 match of c, or 0 when there is
 * none to trust: vectorscan's own parse of the pattern as written must
 * accept it exactly (no lookarounds, back-references ...), and the
 * prefilter form must report its matches in order, so that its one
 * report per scan is its first match.  Caseless UTF-8 may pair characters
 * of different byte lengths (k and the Kelvin sign): 4x covers it.
 */
static unsigned
hint_width(const struct rules_cond *c, const char *hs_pattern)
{
	unsigned exact = hs_flags(c->flags) &
	    ~(unsigned)(HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH);
	hs_compile_error_t *cerr = NULL;
	hs_expr_info_t *info = NULL;
	unsigned w;
	int ordered;

	if (c->flags & RF_X)
		return 0;
	if (hs_expression_info(hs_pattern, hs_flags(c->flags), &info,
	    &cerr) != HS_SUCCESS) {
		hs_free_compile_error(cerr);
		return 0;
	}
	ordered = !info->unordered_matches;
	free(info);
	if (!ordered)
		return 0;
	if (hs_expression_info(c->pattern, exact, &info, &cerr) !=
	    HS_SUCCESS) {
		hs_free_compile_error(cerr);
		return 0;
	}
	w = info->max_width;
	free(info);
	if (w == UINT_MAX || w > UINT_MAX / 4)
		return 0;
	return (c->flags & RF_U) ? w * 4 : w;
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
		char *loose0 = loosen(v[i]->pattern), *loose;

		if (has_short_alt(loose0, strlen(loose0)))
			loose = factor(v[i]->pattern, v[i]->flags);
		else
			loose = factor(loose0, v[i]->flags);
		free(loose0);

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
	for (size_t i = 0; i < *n; i++) {
		if (db != NULL)
			v[i]->hint_width = hint_width(v[i], owned[i]);
		free(owned[i]);
	}
	free(owned);
	free(exprs);
	free(flags);
	free(ids);
	return db;
}

/*
 * Patterns the prefilter leaves to PCRE2 alone: a counted repeat of a
 * group, "(?:[A-Z]\w+\s+){0,3}".  vectorscan 5.4.9 misses matches of
 * some such patterns once they lie past the first 64 bytes of the text
 * (found by tests/unit/test-rules-equiv.c; see BUGS in triage-rules(5)).
 */
static int
risky(const char *pat)
{
	return strstr(pat, "){") != NULL || strstr(pat, ")*?") != NULL ||
	    strstr(pat, ")+?") != NULL;
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
			    !c->can_be_empty && !risky(c->pattern))
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
	headers_collect(pf, rs);
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
	free(pf->headers);
	free(pf);
	*pfp = NULL;
}

struct scan_state {
	unsigned char *seen;
	size_t *ends;
	int one_value;		/* the target has a single value */
};

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	struct scan_state *st = arg;

	(void)from, (void)flags;
	st->seen[id] = 1;
	if (st->one_value && to < st->ends[id])
		st->ends[id] = (size_t)to;
	return 0;
}

int
rules_prefilter_scan(const struct rules *rs, const struct msg *m,
    const struct rules_ctx *ctx, unsigned char *seen, size_t *ends)
{
	const struct rules_prefilter *pf = rs->pf;
	struct scan_state st = { seen, ends, 0 };
	hs_scratch_t *scratch = NULL;
	const char *val;
	size_t pos;
	int r = -1;

	/* The prototype is shared; each scan gets its own copy. */
	for (size_t i = 0; i < rs->n_leaves; i++)
		ends[i] = SIZE_MAX;
	if (hs_clone_scratch(pf->scratch, &scratch) != HS_SUCCESS)
		return -1;
	for (int t = 0; t < RT_COUNT; t++) {
		if (pf->db[t] == NULL)
			continue;
		/* arg NULL: for `header`, every header some condition
		   names; PCRE2 then reads only the one each names. */
		st.one_value = !rules_targets[t].multi;
		pos = 0;
		for (val = rules_targets[t].next(m, ctx, NULL, &pos);
		    val != NULL;
		    val = rules_targets[t].next(m, ctx, NULL, &pos)) {
			if (t == RT_HEADER &&
			    !header_wanted(pf, m->headers[pos - 1].name))
				continue;
			if (hs_scan(pf->db[t], val, (unsigned)strlen(val), 0,
			    scratch, on_match, &st) != HS_SUCCESS)
				goto out;
		}
	}
	r = 0;
out:
	hs_free_scratch(scratch);
	return r;
}
