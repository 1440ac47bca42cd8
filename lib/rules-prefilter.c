/*
 * The multi-pattern prefilter.  For each pattern it works out a set of
 * literals one of which every match must contain ("pric" for
 * \b(pric(e|ing))\b, {"quote", "invoice"} for (quote|invoice)); all the
 * literals of one condition target go into one vectorscan literal
 * database (hs_compile_lit_multi), scanned once per value.  A condition
 * none of whose literals occurs cannot match and costs nothing; one
 * whose literal occurs is asked of PCRE2, which stays the meaning of
 * every rule.  Each occurrence also bounds where a match containing it
 * may start; when that bound is finite for every literal of a condition,
 * PCRE2 tries those short windows, one per occurrence, and not the whole
 * stretch from the first to the last (a common word such as "users"
 * occurs all over a text).
 *
 * Literals, not vectorscan's regex engines: vectorscan 5.4.9 misses
 * matches of ordinary patterns such as " (?:\w+\s+)?Director" once they
 * lie past the first 64 bytes (found by tests/unit/test-rules-equiv.c),
 * while exact literal search is its simplest, best-trodden path, and
 * compiles 500 rules in a fraction of a second.
 *
 * A pattern with no such literal set (".", "\d+", a short word, (?i)
 * options, x) is left unfiltered and always runs PCRE2.
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

#define LIT_MIN		3	/* shortest literal worth a caseless scan */
#define LIT_MIN_CASE	2	/* ... a case-sensitive capital one ("PO") */
#define LIT_MAX_SET	64	/* literals one pattern may need */

struct rules_prefilter {
	hs_database_t *db[RT_COUNT];	/* owned; NULL: no filtered leaf */
	hs_scratch_t *scratch;		/* owned: prototype, cloned per scan */
	const char **headers;		/* foreign: names header leaves test */
	size_t n_headers;
	size_t *lit_leaf;		/* owned: literal id -> leaf id */
	size_t *lit_len;		/* owned: its length */
	size_t *lit_pre;		/* owned: how far into a match */
	size_t n_lits;
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

/* ---- required literals ---- */

/*
 * A set of literals (raw bytes, not pattern syntax), owned, each with a
 * bound on how far into a match it can start (pre; SIZE_MAX: no bound).
 */
struct lits {
	char **v;
	size_t *len;
	size_t *pre;
	size_t n;
};

#define WIDTH_INF SIZE_MAX

static size_t
wadd(size_t a, size_t b)
{
	return a == WIDTH_INF || b == WIDTH_INF || a > WIDTH_INF - b ?
	    WIDTH_INF : a + b;
}

static size_t
wmul(size_t a, size_t n)
{
	if (a == 0 || n == 0)
		return 0;
	return a == WIDTH_INF || n == WIDTH_INF || a > WIDTH_INF / n ?
	    WIDTH_INF : a * n;
}

static void
lits_clear(struct lits *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->len);
	free(l->pre);
	memset(l, 0, sizeof(*l));
}

static void
lits_add(struct lits *l, const char *s, size_t n, size_t pre)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->len = xreallocarray(l->len, l->n + 1, sizeof(*l->len));
	l->pre = xreallocarray(l->pre, l->n + 1, sizeof(*l->pre));
	l->v[l->n] = xstrndup(s, n);
	l->pre[l->n] = pre;
	l->len[l->n++] = n;
}

/* Move every literal of `from` into `to`, `shift` further into a match. */
static void
lits_take(struct lits *to, struct lits *from, size_t shift)
{
	for (size_t i = 0; i < from->n; i++)
		lits_add(to, from->v[i], from->len[i],
		    wadd(from->pre[i], shift));
	lits_clear(from);
}

static size_t
lits_min(const struct lits *l)
{
	size_t m = SIZE_MAX;

	for (size_t i = 0; i < l->n; i++) {
		if (l->len[i] < m)
			m = l->len[i];
	}
	return l->n == 0 ? 0 : m;
}

/* Length of the group at s[0] == '(' through its ')', or 0. */
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

/* Length of the character class at s[0] == '[', or 0. */
static size_t
class_len(const char *s, size_t len)
{
	size_t i = 1;

	if (i < len && s[i] == '^')
		i++;
	if (i < len && s[i] == ']')
		i++;
	for (; i < len; i++) {
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == '[' && i + 1 < len && s[i + 1] == ':') {
			const char *e = strstr(s + i + 2, ":]");

			if (e == NULL || (size_t)(e - s) >= len)
				return 0;
			i = (size_t)(e - s) + 1;
		} else if (s[i] == ']') {
			return i + 1;
		}
	}
	return 0;
}

/*
 * A quantifier at s: its length (with a lazy or possessive suffix) and
 * the least count it allows in *min_r; 0 when there is none, -1 when it
 * looks odd.
 */
static int
quant(const char *s, size_t len, size_t *qlen_r, unsigned *min_r)
{
	size_t i = 0;
	unsigned min = 1;

	*qlen_r = 0;
	*min_r = 1;
	if (len == 0)
		return 0;
	if (s[0] == '?' || s[0] == '*') {
		min = 0;
		i = 1;
	} else if (s[0] == '+') {
		i = 1;
	} else if (s[0] == '{') {
		if (len < 2 || !isdigit((unsigned char)s[1]))
			return -1;
		min = 0;
		for (i = 1; i < len && isdigit((unsigned char)s[i]); i++)
			min = min * 10 + (unsigned)(s[i] - '0');
		while (i < len && s[i] != '}')
			i++;
		if (i == len)
			return -1;
		i++;
	} else {
		return 0;
	}
	if (i < len && (s[i] == '?' || s[i] == '+'))
		i++;
	*qlen_r = i;
	*min_r = min;
	return 0;
}

static int extract_alts(const char *s, size_t len, unsigned flags,
    struct lits *out);

/* (?= (?! (?<= (?<! at s */
static int
is_lookaround(const char *s)
{
	return s[1] == '?' && (s[2] == '=' || s[2] == '!' ||
	    (s[2] == '<' && (s[3] == '=' || s[3] == '!')));
}
static size_t alts_width(const char *s, size_t len, unsigned flags);

/*
 * The most bytes a sequence of items can match (WIDTH_INF: unbounded or
 * not understood).  Under u a character may take 4 bytes, and under u+i
 * a letter may match a longer one (k, the Kelvin sign), so every
 * character counts 4.
 */
static size_t
seq_width(const char *s, size_t len, unsigned flags)
{
	size_t i = 0, w = 0, n, ql, one = (flags & RF_U) ? 4 : 1, item;
	unsigned min;

	while (i < len) {
		if (s[i] == '(') {
			n = group_len(s + i, len - i);
			if (n == 0)
				return WIDTH_INF;
			if (s[i + 1] == '?' && (s[i + 2] == '=' ||
			    s[i + 2] == '!' || (s[i + 2] == '<' &&
			    (s[i + 3] == '=' || s[i + 3] == '!'))))
				item = 0;
			else if (s[i + 1] == '?' && (s[i + 2] == ':' ||
			    s[i + 2] == '>'))
				item = alts_width(s + i + 3, n - 4, flags);
			else if (s[i + 1] != '?' && s[i + 1] != '*')
				item = alts_width(s + i + 1, n - 2, flags);
			else
				return WIDTH_INF;
		} else if (s[i] == '[') {
			n = class_len(s + i, len - i);
			if (n == 0)
				return WIDTH_INF;
			item = one;
		} else if (s[i] == '\\' && i + 1 < len) {
			n = 2;
			if (strchr("bBAzZGK", s[i + 1]) != NULL)
				item = 0;
			else if (strchr("dDwWsShHvVtnrfe", s[i + 1]) != NULL ||
			    !isalnum((unsigned char)s[i + 1]))
				item = one;
			else
				return WIDTH_INF;	/* \1, \x{}, \p{} ... */
		} else if (s[i] == '^' || s[i] == '$') {
			n = 1;
			item = 0;
		} else {
			n = 1;
			item = one;
		}
		if (quant(s + i + n, len - i - n, &ql, &min) < 0)
			return WIDTH_INF;
		if (ql > 0) {
			char q = s[i + n];
			size_t max = 1;

			if (q == '*' || q == '+')
				return WIDTH_INF;
			if (q == '{') {
				const char *comma = memchr(s + i + n, ',', ql);
				const char *end = memchr(s + i + n, '}', ql);

				if (comma != NULL && end != NULL &&
				    comma + 1 == end)
					return WIDTH_INF;	/* {m,} */
				max = strtoul(comma != NULL ? comma + 1 :
				    s + i + n + 1, NULL, 10);
			}
			item = wmul(item, max);
		}
		w = wadd(w, item);
		if (w == WIDTH_INF)
			return w;
		i += n + ql;
	}
	return w;
}

/* The widest alternative. */
static size_t
alts_width(const char *s, size_t len, unsigned flags)
{
	size_t i, start = 0, n, w = 0, a;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '|') {
			a = seq_width(s + start, i - start, flags);
			if (a == WIDTH_INF)
				return a;
			w = a > w ? a : w;
			start = i + 1;
			continue;
		}
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == '[') {
			n = class_len(s + i, len - i);
			if (n == 0)
				return WIDTH_INF;
			i += n - 1;
		} else if (s[i] == '(') {
			n = group_len(s + i, len - i);
			if (n == 0)
				return WIDTH_INF;
			i += n - 1;
		}
	}
	return w;
}

/* Words too common to filter anything: a literal set chooses others. */
static int
is_stopword(const char *s, size_t len)
{
	static const char *const stop[] = { "the", "this", "that", "with",
		"from", "your", "you", "have", "next", "what", "when", "will",
		"there", "their", "about", "would", "could", "should", "which",
		"they", "them", "then", "than", "some", "more", "also", "into",
		"just", "like", "been", "were", "here", "only", "other",
		"after", "before", "please", "thanks", "and", "are", "for",
		"not", "can", "get", "got", "all", "any", "was", "our", "has",
		"had", "but", NULL };

	for (size_t i = 0; stop[i] != NULL; i++) {
		if (strlen(stop[i]) == len && strncasecmp(stop[i], s, len) == 0)
			return 1;
	}
	return 0;
}

/* How well a set filters: its shortest literal, 0 if any is common. */
static size_t
lits_score(const struct lits *l)
{
	for (size_t i = 0; i < l->n; i++) {
		if (is_stopword(l->v[i], l->len[i]))
			return 0;
	}
	return lits_min(l);
}

/* Keep `cand` as the best so far if it beats *best. */
static void
offer(struct lits *best, struct lits *cand)
{
	if (cand->n > 0 && cand->n <= LIT_MAX_SET &&
	    (best->n == 0 || lits_score(cand) > lits_score(best))) {
		lits_clear(best);
		*best = *cand;
		memset(cand, 0, sizeof(*cand));
	} else {
		lits_clear(cand);
	}
}

/*
 * The best literal set of one alternative (a sequence of items): the
 * longest run of literal characters that must occur, or the literals of
 * a group that must match.  Returns -1 when there is none.
 */
static int
extract_seq(const char *s, size_t len, unsigned flags, struct lits *out)
{
	struct lits best = { 0 }, cand = { 0 }, sub = { 0 };
	struct buf run;
	size_t i = 0, n, ql, off, run_at;
	unsigned min;
	int r = -1;

	buf_init(&run, len + 1);
	while (i < len) {
		const char *p = s + i;

		if (p[0] == '(') {
			n = group_len(p, len - i);
			if (n == 0 || quant(p + n, len - i - n, &ql, &min) < 0)
				goto out;
			if (is_lookaround(p)) {
				i += n + ql;	/* consumes nothing */
				continue;
			}
			if (p[1] == '?' && (p[2] == ':' || p[2] == '>'))
				off = 3;
			else if (p[1] != '?' && p[1] != '*')
				off = 1;
			else
				goto out;	/* options, names, conditions */
			if (min >= 1 &&
			    extract_alts(s + i + off, n - off - 1, flags,
			    &sub) == 0) {
				lits_take(&cand, &sub,
				    seq_width(s, i, flags));
				offer(&best, &cand);
			}
			i += n + ql;
			continue;
		}
		if (p[0] == '[') {
			n = class_len(p, len - i);
			if (n == 0 || quant(p + n, len - i - n, &ql, &min) < 0)
				goto out;
			i += n + ql;
			continue;
		}
		if (p[0] == '\\' && i + 1 < len &&
		    (isalnum((unsigned char)p[1]) || p[1] == '\\')) {
			/* rare and not worth following */
			if (strchr("QExpPgkNoc\\", p[1]) != NULL)
				goto out;
			n = 2;
			if (quant(s + i + n, len - i - n, &ql, &min) < 0)
				goto out;
			i += n + ql;
			continue;
		}
		if (strchr(".^$", s[i]) != NULL) {
			if (quant(s + i + 1, len - i - 1, &ql, &min) < 0)
				goto out;
			i += 1 + ql;
			continue;
		}
		if (strchr("|)*+?{}]", s[i]) != NULL)
			goto out;
		/* a run of literal characters */
		buf_reset(&run);
		run_at = i;
		while (i < len) {
			const char *c = s + i;
			size_t cl = 1;

			if (c[0] == '\\') {
				if (i + 1 >= len || c[1] == '\\' ||
				    isalnum((unsigned char)c[1]))
					break;
				c++;
				cl = 2;
			} else if (strchr(".^$|()[]{}*+?", c[0]) != NULL) {
				break;
			}
			/* a UTF-8 character is one unit for a quantifier */
			while (i + cl < len &&
			    ((unsigned char)s[i + cl] & 0xc0) == 0x80)
				cl++;
			if (quant(s + i + cl, len - i - cl, &ql, &min) < 0)
				goto out;
			if (min == 0) {
				i += cl + ql;
				break;	/* optional: the run ends before it */
			}
			(void)buf_add(&run, c, c == s + i ? cl : cl - 1);
			i += cl + ql;
			if (ql > 0)
				break;	/* repeated: the run ends after it */
		}
		if (run.len > 0) {
			lits_add(&cand, run.data, run.len,
			    seq_width(s, run_at, flags));
			offer(&best, &cand);
		}
	}
	if (best.n == 0)
		goto out;
	lits_take(out, &best, 0);
	r = 0;
out:
	lits_clear(&best);
	lits_clear(&cand);
	lits_clear(&sub);
	buf_free(&run);
	return r;
}

/* Every alternative of s must give a literal set; their union. */
static int
extract_alts(const char *s, size_t len, unsigned flags, struct lits *out)
{
	struct lits all = { 0 };
	size_t i, start = 0, n;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '|') {
			if (extract_seq(s + start, i - start, flags,
			    &all) < 0) {
				lits_clear(&all);
				return -1;
			}
			start = i + 1;
			continue;
		}
		if (s[i] == '\\') {
			i++;
		} else if (s[i] == '[') {
			n = class_len(s + i, len - i);
			if (n == 0)
				break;
			i += n - 1;
		} else if (s[i] == '(') {
			n = group_len(s + i, len - i);
			if (n == 0)
				break;
			i += n - 1;
		}
	}
	if (i <= len) {
		lits_clear(&all);
		return -1;
	}
	lits_take(out, &all, 0);
	return 0;
}

static int
all_upper(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!isupper((unsigned char)*s))
			return 0;
	}
	return 1;
}

/*
 * The literals of condition c, or -1 when it has no usable set: every
 * literal at least LIT_MIN bytes (LIT_MIN_CASE when case matters), and
 * under u+i none with a letter whose case partners leave ASCII (non-ASCII
 * bytes; k and s, which match the Kelvin sign and long s): vectorscan
 * folds ASCII only.
 */
static int
required_literals(const struct rules_cond *c, struct lits *out)
{
	int caseless = (c->flags & RF_I) != 0;

	if (c->flags & RF_X)
		return -1;
	if (extract_alts(c->pattern, strlen(c->pattern), c->flags, out) < 0)
		return -1;
	if (out->n == 0)
		goto bad;
	for (size_t i = 0; i < out->n; i++) {
		if (out->len[i] < LIT_MIN && (caseless ||
		    out->len[i] < LIT_MIN_CASE || !all_upper(out->v[i])))
			goto bad;	/* "PO" and "VP" may stay, "at" not */
		for (size_t k = 0; caseless && (c->flags & RF_U) &&
		    k < out->len[i]; k++) {
			if ((unsigned char)out->v[i][k] >= 0x80 ||
			    strchr("kKsS", out->v[i][k]) != NULL)
				goto bad;
		}
	}
	return 0;
bad:
	lits_clear(out);
	return -1;
}

/* Literal k of the prefilter belongs to leaf lit_leaf[k]. */
static void
lits_record(struct rules_prefilter *pf, const struct lits *l, size_t leaf)
{
	size_t n = pf->n_lits + l->n;

	pf->lit_leaf = xreallocarray(pf->lit_leaf, n, sizeof(*pf->lit_leaf));
	pf->lit_len = xreallocarray(pf->lit_len, n, sizeof(*pf->lit_len));
	pf->lit_pre = xreallocarray(pf->lit_pre, n, sizeof(*pf->lit_pre));
	for (size_t i = 0; i < l->n; i++) {
		pf->lit_leaf[pf->n_lits] = leaf;
		pf->lit_len[pf->n_lits] = l->len[i];
		pf->lit_pre[pf->n_lits++] = l->pre[i];
	}
}

/* The literal database of one target's leaves; NULL if none filter. */
static hs_database_t *
build_one(struct rules_prefilter *pf, struct rules_cond **v, size_t n,
    size_t *taken_r)
{
	struct lits all = { 0 }, l = { 0 };
	unsigned *ids = NULL, *flags = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_database_t *db = NULL;
	size_t taken = 0, first = pf->n_lits;

	for (size_t i = 0; i < n; i++) {
		size_t before = all.n;

		if (required_literals(v[i], &l) < 0)
			continue;
		lits_record(pf, &l, v[i]->id);
		lits_take(&all, &l, 0);
		ids = xreallocarray(ids, all.n, sizeof(*ids));
		flags = xreallocarray(flags, all.n, sizeof(*flags));
		for (size_t k = before; k < all.n; k++) {
			ids[k] = (unsigned)(first + k);
			flags[k] = (v[i]->flags & RF_I) ? HS_FLAG_CASELESS : 0;
		}
		v[taken++] = v[i];
	}
	if (taken > 0 && hs_compile_lit_multi((const char *const *)all.v,
	    flags, ids, all.len, (unsigned)all.n, HS_MODE_BLOCK, NULL, &db,
	    &cerr) != HS_SUCCESS) {
		hs_free_compile_error(cerr);
		db = NULL;
	}
	if (db == NULL)
		pf->n_lits = first;	/* forget this target's literals */
	*taken_r = db != NULL ? taken : 0;
	lits_clear(&all);
	free(ids);
	free(flags);
	return db;
}

void
rules_prefilter_build(struct rules *rs)
{
	struct rules_prefilter *pf = xcalloc(1, sizeof(*pf));
	struct rules_cond **v = xcalloc(rs->n_leaves + 1, sizeof(*v));
	size_t n, taken;
	int any = 0;

	for (int t = 0; t < RT_COUNT; t++) {
		n = 0;
		for (size_t i = 0; i < rs->n_leaves; i++) {
			if (rs->leaves[i]->target == (enum rules_target)t)
				v[n++] = rs->leaves[i];
		}
		if (n == 0)
			continue;
		pf->db[t] = build_one(pf, v, n, &taken);
		if (pf->db[t] == NULL)
			continue;
		if (hs_alloc_scratch(pf->db[t], &pf->scratch) != HS_SUCCESS) {
			hs_free_database(pf->db[t]);
			pf->db[t] = NULL;
			continue;
		}
		for (size_t i = 0; i < taken; i++)
			v[i]->prefiltered = 1;
		rs->n_unfiltered -= taken;
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
	free(pf->lit_leaf);
	free(pf->lit_len);
	free(pf->lit_pre);
	free(pf);
	*pfp = NULL;
}

struct scan_state {
	const struct rules_prefilter *pf;
	struct rules_scan *sc;
	size_t cap;		/* of sc->win and sc->occ_leaf */
	int one_value;		/* the target has a single value */
};

/* Remember [a, b] as a window of leaf; past RULES_WIN_ALL, the hulls. */
static void
occ_add(struct scan_state *st, size_t leaf, size_t a, size_t b)
{
	struct rules_scan *sc = st->sc;

	if (sc->n_occ == RULES_WIN_ALL) {
		sc->loose[leaf] = 1;
		return;
	}
	if (sc->n_occ == st->cap) {
		st->cap = st->cap == 0 ? 64 : st->cap * 2;
		sc->win = xreallocarray(sc->win, st->cap, sizeof(*sc->win));
		sc->occ_leaf = xreallocarray(sc->occ_leaf, st->cap,
		    sizeof(*sc->occ_leaf));
	}
	sc->win[sc->n_occ].lo = a;
	sc->win[sc->n_occ].hi = b;
	sc->occ_leaf[sc->n_occ++] = leaf;
}

/*
 * Literal id at `to`: its leaf may match.  A match of the leaf contains
 * one of its literals, starting at o, at most lit_pre bytes into the
 * match: so the match starts in [o - lit_pre, o].  Over all occurrences
 * (reported in any order) that gives the window PCRE2 must try, and,
 * when every lit_pre is bounded, one small window per occurrence.
 */
static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	struct scan_state *st = arg;
	struct rules_scan *sc = st->sc;
	size_t leaf = st->pf->lit_leaf[id], o, pre = st->pf->lit_pre[id];

	(void)from, (void)flags;
	sc->seen[leaf] = 1;
	if (!st->one_value)
		return 0;
	o = (size_t)to - st->pf->lit_len[id];
	if (pre == WIDTH_INF || pre > o)
		sc->lo[leaf] = 0;
	else if (o - pre < sc->lo[leaf])
		sc->lo[leaf] = o - pre;
	if (sc->hi[leaf] == SIZE_MAX || o > sc->hi[leaf])
		sc->hi[leaf] = o;
	if (pre == WIDTH_INF)
		sc->loose[leaf] = 1;
	else if (!sc->loose[leaf])
		occ_add(st, leaf, pre > o ? 0 : o - pre, o);
	return 0;
}

static int
win_cmp(const void *a, const void *b)
{
	const struct rules_window *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * Group the occurrences by leaf, sort each leaf's windows and merge the
 * ones that overlap or touch.  A leaf with an unbounded occurrence, or
 * with more than RULES_WIN_EACH windows, keeps only its hull.
 */
static void
windows_build(struct rules_scan *sc, size_t n_leaves)
{
	struct rules_window *by_leaf;
	size_t k, at = 0, n;

	for (k = 0; k < sc->n_occ; k++)
		sc->n_win[sc->occ_leaf[k]]++;
	for (size_t i = 0; i < n_leaves; i++) {
		sc->first[i] = at;
		at += sc->n_win[i];
		sc->n_win[i] = 0;
	}
	by_leaf = xreallocarray(NULL, sc->n_occ + 1, sizeof(*by_leaf));
	for (k = 0; k < sc->n_occ; k++) {
		size_t leaf = sc->occ_leaf[k];

		by_leaf[sc->first[leaf] + sc->n_win[leaf]++] = sc->win[k];
	}
	free(sc->win);
	sc->win = by_leaf;
	for (size_t i = 0; i < n_leaves; i++) {
		struct rules_window *w = sc->win + sc->first[i];

		if (sc->loose[i] || sc->n_win[i] == 0) {
			sc->n_win[i] = 0;
			continue;
		}
		qsort(w, sc->n_win[i], sizeof(*w), win_cmp);
		n = 1;
		for (k = 1; k < sc->n_win[i]; k++) {
			if (w[k].lo <= w[n - 1].hi + 1) {
				if (w[k].hi > w[n - 1].hi)
					w[n - 1].hi = w[k].hi;
			} else {
				w[n++] = w[k];
			}
		}
		sc->n_win[i] = n <= RULES_WIN_EACH ? n : 0;
	}
}

int
rules_prefilter_scan(const struct rules *rs, const struct msg *m,
    const struct rules_ctx *ctx, struct rules_scan *sc)
{
	const struct rules_prefilter *pf = rs->pf;
	struct scan_state st = { pf, sc, 0, 0 };
	hs_scratch_t *scratch = NULL;
	const char *val;
	size_t pos, n = rs->n_leaves;
	int r = -1;

	memset(sc, 0, sizeof(*sc));
	sc->seen = xcalloc(n + 1, 1);
	sc->loose = xcalloc(n + 1, 1);
	sc->lo = xreallocarray(NULL, n + 1, sizeof(*sc->lo));
	sc->hi = xreallocarray(NULL, n + 1, sizeof(*sc->hi));
	sc->first = xcalloc(n + 1, sizeof(*sc->first));
	sc->n_win = xcalloc(n + 1, sizeof(*sc->n_win));
	for (size_t i = 0; i < n; i++) {
		sc->lo[i] = SIZE_MAX;
		sc->hi[i] = SIZE_MAX;
	}
	/* The prototype is shared; each scan gets its own copy. */
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
	windows_build(sc, n);
	r = 0;
out:
	hs_free_scratch(scratch);
	return r;
}

void
rules_prefilter_scan_clear(struct rules_scan *sc)
{
	free(sc->seen);
	free(sc->lo);
	free(sc->hi);
	free(sc->first);
	free(sc->n_win);
	free(sc->win);
	free(sc->occ_leaf);
	free(sc->loose);
	memset(sc, 0, sizeof(*sc));
}
