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
#include <hs/hs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "rules-private.h"
#include "xalloc.h"

#define WIDTH_INF RULES_WIDTH_INF

struct rules_prefilter {
	hs_database_t *db[RT_COUNT]; /* owned; NULL: no filtered leaf */
	hs_scratch_t *scratch;	     /* owned: prototype, cloned per scan */
	const char **headers;	     /* foreign: names header leaves test */
	size_t n_headers;
	size_t *lit_leaf;	/* owned: literal id -> leaf id */
	size_t *lit_len;	/* owned: its length */
	size_t *lit_pre;	/* owned: how far into a match */
	unsigned char *lit_ctx; /* owned: RULES_LIT_* */
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

/* Literal k of the prefilter belongs to leaf lit_leaf[k]. */
static void
lits_record(struct rules_prefilter *pf, const struct rules_lits *l, size_t leaf,
    int utf)
{
	size_t n = pf->n_lits + l->n;

	pf->lit_leaf = xreallocarray(pf->lit_leaf, n, sizeof(*pf->lit_leaf));
	pf->lit_len = xreallocarray(pf->lit_len, n, sizeof(*pf->lit_len));
	pf->lit_pre = xreallocarray(pf->lit_pre, n, sizeof(*pf->lit_pre));
	pf->lit_ctx = xreallocarray(pf->lit_ctx, n, sizeof(*pf->lit_ctx));
	for (size_t i = 0; i < l->n; i++) {
		pf->lit_leaf[pf->n_lits] = leaf;
		pf->lit_len[pf->n_lits] = l->len[i];
		pf->lit_ctx[pf->n_lits] = l->ctx[i] | (utf ? RULES_LIT_UTF : 0);
		pf->lit_pre[pf->n_lits++] = l->pre[i];
	}
}

/* The literal database of one target's leaves; NULL if none filter. */
static hs_database_t *
build_one(struct rules_prefilter *pf, struct rules_cond **v, size_t n,
    size_t *taken_r)
{
	struct rules_lits all = { 0 }, l = { 0 };
	unsigned *ids = NULL, *flags = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_database_t *db = NULL;
	size_t taken = 0, first = pf->n_lits;

	for (size_t i = 0; i < n; i++) {
		size_t before = all.n;

		if (rules_literals(v[i], &l) < 0)
			continue;
		lits_record(pf, &l, v[i]->id, (v[i]->flags & RF_U) != 0);
		rules_lits_take(&all, &l, 0);
		ids = xreallocarray(ids, all.n, sizeof(*ids));
		flags = xreallocarray(flags, all.n, sizeof(*flags));
		for (size_t k = before; k < all.n; k++) {
			ids[k] = (unsigned)(first + k);
			flags[k] = (v[i]->flags & RF_I) ? HS_FLAG_CASELESS : 0;
		}
		v[taken++] = v[i];
	}
	if (taken > 0 && hs_compile_lit_multi((const char *const *)all.v, flags,
			     ids, all.len, (unsigned)all.n, HS_MODE_BLOCK, NULL,
			     &db, &cerr) != HS_SUCCESS) {
		hs_free_compile_error(cerr);
		db = NULL;
	}
	if (db == NULL)
		pf->n_lits = first; /* forget this target's literals */
	*taken_r = db != NULL ? taken : 0;
	rules_lits_clear(&all);
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
	free(pf->lit_ctx);
	free(pf);
	*pfp = NULL;
}

/* A byte that may end a \s: an ASCII blank, or any byte of UTF-8. */
static int
maybe_space(unsigned char c)
{
	return c >= 0x80 || c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * Can an occurrence of a literal (context ctx, n bytes) at [o, o + n) of
 * text (len bytes) be one a match contains?  0: certainly not.
 */
static int
lit_fits(unsigned ctx, size_t n, const char *text, size_t len, size_t o)
{
	const unsigned char *t = (const unsigned char *)text;

	if ((ctx & RULES_LIT_WORD_BEFORE) && o > 0 &&
	    rules_ascii_word(t[o - 1]))
		return 0;
	if ((ctx & RULES_LIT_SPACE_BEFORE) &&
	    (o == 0 || !maybe_space(t[o - 1])))
		return 0;
	if ((ctx & RULES_LIT_WORD_AFTER) && o + n < len &&
	    rules_ascii_word(t[o + n]))
		return 0;
	if ((ctx & RULES_LIT_SPACE_AFTER) &&
	    (o + n >= len || !maybe_space(t[o + n])))
		return 0;
	return 1;
}

struct scan_state {
	const struct rules_prefilter *pf;
	struct rules_scan *sc;
	size_t cap;	 /* of sc->win and sc->occ_leaf */
	int one_value;	 /* the target has a single value */
	const char *val; /* the value scanned */
	size_t len;
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
		sc->occ_leaf =
		    xreallocarray(sc->occ_leaf, st->cap, sizeof(*sc->occ_leaf));
	}
	sc->win[sc->n_occ].lo = a;
	sc->win[sc->n_occ].hi = b;
	sc->occ_leaf[sc->n_occ++] = leaf;
}

/*
 * The earliest start of a match whose literal starts at o, at most pre
 * characters into it (RULES_LIT_SPACE_RUN: pre before the blanks that
 * end at o; every byte of a Unicode space is >= 0x80): under u, where a character takes 1 to 4 bytes,
 * pre lead bytes back (a match holds valid UTF-8 only, so any stray byte
 * only moves the bound further back).
 */
static size_t
start_bound(const char *val, size_t o, size_t pre, unsigned ctx)
{
	size_t p = o;
	int utf = (ctx & RULES_LIT_UTF) != 0;

	/* \s+ before it: the blanks first, however many */
	if (ctx & RULES_LIT_SPACE_RUN) {
		while (o > 0 && maybe_space((unsigned char)val[o - 1]))
			o--;
		p = o;
	}
	if (pre == WIDTH_INF || pre >= o)
		return 0;
	if (!utf)
		return o - pre;
	while (pre > 0 && p > 0) {
		p--;
		if (((unsigned char)val[p] & 0xc0) != 0x80)
			pre--;
	}
	return p;
}

/*
 * Literal id at `to`: its leaf may match.  A match of the leaf contains
 * one of its literals, starting at o, at most lit_pre characters into
 * the match: so the match starts in [a, o] (start_bound).  Over all occurrences
 * (reported in any order) that gives the window PCRE2 must try, and,
 * when every lit_pre is bounded, one small window per occurrence.
 */
static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
    unsigned int flags, void *arg)
{
	struct scan_state *st = arg;
	struct rules_scan *sc = st->sc;
	size_t leaf = st->pf->lit_leaf[id], o, a;
	size_t n = st->pf->lit_len[id];
	unsigned ctx = st->pf->lit_ctx[id];

	(void)from, (void)flags;
	o = (size_t)to - n;
	/* beside a byte the pattern cannot have there: no match's */
	if ((ctx & RULES_LIT_AROUND) != 0 &&
	    !lit_fits(ctx, n, st->val, st->len, o))
		return 0;
	sc->seen[leaf] = 1;
	if (!st->one_value)
		return 0;
	/* unbounded: the match may start anywhere up to o */
	a = start_bound(st->val, o, st->pf->lit_pre[id], ctx);
	if (a < sc->lo[leaf])
		sc->lo[leaf] = a;
	if (sc->hi[leaf] == SIZE_MAX || o > sc->hi[leaf])
		sc->hi[leaf] = o;
	if (!sc->loose[leaf])
		occ_add(st, leaf, a, o);
	return 0;
}

static int
win_cmp(const void *a, const void *b)
{
	const struct rules_window *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * Sort windows by start.  vectorscan reports occurrences by end, so
 * they come nearly sorted (starts differ by the literals' bounds):
 * insertion sort, unless that moves windows too far.
 */
static void
win_sort(struct rules_window *w, size_t n)
{
	struct rules_window t;
	size_t moves = 0, k;

	for (size_t i = 1; i < n; i++) {
		t = w[i];
		for (k = i; k > 0 && w[k - 1].lo > t.lo; k--)
			w[k] = w[k - 1];
		w[k] = t;
		moves += i - k;
		if (moves > 8 * n) {
			qsort(w, n, sizeof(*w), win_cmp);
			return;
		}
	}
}

/*
 * Group the occurrences by leaf, sort each leaf's windows and merge the
 * ones that overlap or touch (an occurrence of a literal an unbounded
 * distance into the match gives [0, o], which swallows every window
 * before it).  A leaf with more than RULES_WIN_EACH windows, unless they
 * are on average RULES_WIN_SPAN bytes apart or more, or one that lost an
 * occurrence past RULES_WIN_ALL, keeps only its hull.
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
		win_sort(w, sc->n_win[i]);
		n = 1;
		for (k = 1; k < sc->n_win[i]; k++) {
			if (w[k].lo <= w[n - 1].hi + 1) {
				if (w[k].hi > w[n - 1].hi)
					w[n - 1].hi = w[k].hi;
			} else {
				w[n++] = w[k];
			}
		}
		/* each window costs a PCRE2 call: worth it while they are
		   few, or far apart (a common short word) */
		sc->n_win[i] =
		    n <= RULES_WIN_EACH ||
			    n <= (w[n - 1].hi - w[0].lo) / RULES_WIN_SPAN ?
			n :
			0;
	}
}

int
rules_prefilter_scan(const struct rules *rs, const struct msg *m,
    const struct rules_ctx *ctx, struct rules_scan *sc)
{
	const struct rules_prefilter *pf = rs->pf;
	struct scan_state st = { .pf = pf, .sc = sc };
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
			st.val = val;
			st.len = strlen(val);
			if (hs_scan(pf->db[t], val, (unsigned)st.len, 0,
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
