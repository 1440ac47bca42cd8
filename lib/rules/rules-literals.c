/*
 * Required literals: for a pattern, a set of literals one of which every
 * match must contain, each with a bound on how far into the match it can
 * start.  A reading of PCRE2 syntax that understands groups,
 * alternatives, classes, quantifiers and lookarounds and gives up on
 * anything else (the pattern then always runs PCRE2).  Used by the
 * prefilter (rules-prefilter.c).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules-private.h"
#include "xalloc.h"

#define LIT_MIN 3      /* shortest literal worth a caseless scan */
#define LIT_MIN_CASE 2 /* ... a case-sensitive capital one ("PO") */
#define LIT_BOUNDED 16 /* score of a set PCRE2 can try in windows */
#define LIT_MAX_SET 64 /* literals one pattern may need */

#define WIDTH_INF RULES_WIDTH_INF

static size_t
wadd(size_t a, size_t b)
{
	return a == WIDTH_INF || b == WIDTH_INF || a > WIDTH_INF - b ?
		   WIDTH_INF :
		   a + b;
}

static size_t
wmul(size_t a, size_t n)
{
	if (a == 0 || n == 0)
		return 0;
	return a == WIDTH_INF || n == WIDTH_INF || a > WIDTH_INF / n ?
		   WIDTH_INF :
		   a * n;
}

void
rules_lits_clear(struct rules_lits *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->len);
	free(l->pre);
	free(l->ctx);
	memset(l, 0, sizeof(*l));
}

/* ctx keeps a word boundary only beside a literal's word character. */
static void
lits_add(struct rules_lits *l, const char *s, size_t n, size_t pre,
    unsigned ctx)
{
	if (n == 0 || !rules_ascii_word((unsigned char)s[0]))
		ctx &= ~(unsigned)RULES_LIT_WORD_BEFORE;
	if (n == 0 || !rules_ascii_word((unsigned char)s[n - 1]))
		ctx &= ~(unsigned)RULES_LIT_WORD_AFTER;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->len = xreallocarray(l->len, l->n + 1, sizeof(*l->len));
	l->pre = xreallocarray(l->pre, l->n + 1, sizeof(*l->pre));
	l->ctx = xreallocarray(l->ctx, l->n + 1, sizeof(*l->ctx));
	l->v[l->n] = xstrndup(s, n);
	l->pre[l->n] = pre;
	l->ctx[l->n] = (unsigned char)ctx;
	l->len[l->n++] = n;
}

void
rules_lits_take(struct rules_lits *to, struct rules_lits *from, size_t shift)
{
	for (size_t i = 0; i < from->n; i++)
		lits_add(to, from->v[i], from->len[i],
		    wadd(from->pre[i], shift), from->ctx[i]);
	rules_lits_clear(from);
}

static size_t
lits_min(const struct rules_lits *l)
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

/* PCRE2 refuses a {} count above this ("number too big"). */
#define QUANT_MAX 65535

/*
 * The count of a {} quantifier: the digits at s (len bytes), at most
 * QUANT_MAX, checked before each digit is added.  Returns how many
 * digits it read (0: none) and sets *n_r, or -1 when the count is too
 * big.
 */
static int
quant_count(const char *s, size_t len, size_t *n_r)
{
	size_t i, n = 0;

	for (i = 0; i < len && isdigit((unsigned char)s[i]); i++) {
		if (n > (QUANT_MAX - (size_t)(s[i] - '0')) / 10)
			return -1;
		n = n * 10 + (size_t)(s[i] - '0');
	}
	*n_r = n;
	return (int)i;
}

/*
 * A quantifier at s: its length (with a lazy or possessive suffix) and
 * the least count it allows in *min_r; 0 when there is none, -1 when it
 * looks odd.
 */
static int
quant(const char *s, size_t len, size_t *qlen_r, unsigned *min_r)
{
	size_t i = 0, n;
	unsigned min = 1;
	int r;

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
		r = quant_count(s + 1, len - 1, &n);
		if (r < 0)
			return -1;
		min = (unsigned)n;
		i = 1 + (size_t)r;
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
    unsigned before, struct rules_lits *out);

/*
 * Under u+i a letter matches its case partners, some of which are not
 * ASCII (k: the Kelvin sign; s: the long s; é: É), and vectorscan folds
 * ASCII only: a literal spells out the others.
 */
static int
folds_wide(unsigned flags)
{
	return (flags & (RF_U | RF_I)) == (RF_U | RF_I);
}

/*
 * The spellings one character (or class) of a pattern may take in the
 * text, as far as vectorscan's caseless scan does not cover them.
 */
#define SPELL_MAX 8

struct spell {
	char v[SPELL_MAX][4];
	size_t len[SPELL_MAX];
	size_t n;
};

static int
spell_add(struct spell *sp, const char *c, size_t n)
{
	if (sp->n == SPELL_MAX || n > sizeof(sp->v[0]))
		return -1;
	memcpy(sp->v[sp->n], c, n);
	sp->len[sp->n++] = n;
	return 0;
}

/*
 * Is the UTF-8 character c (n bytes) one of no case: punctuation (the
 * quote of "don’t"), CJK, kana, Hangul?  Only those ranges are sure.
 */
static int
caseless_wide(const unsigned char *c, size_t n)
{
	uint32_t cp;

	if (n != 3 || (c[0] & 0xf0) != 0xe0)
		return 0;
	cp = (uint32_t)(c[0] & 0x0f) << 12 | (uint32_t)(c[1] & 0x3f) << 6 |
	     (uint32_t)(c[2] & 0x3f);
	return (cp >= 0x2010 && cp <= 0x205e) ||
	       (cp >= 0x3000 && cp <= 0x9fff) || (cp >= 0xac00 && cp <= 0xd7a3);
}

/*
 * A Latin-1 letter whose only case partner is the one 0x20 away (U+00C0
 * to U+00FE but for the signs, Å and å (the Angstrom sign) and ß (ẞ)).
 */
static int
latin1_pair(const unsigned char *c, size_t n)
{
	unsigned lo;

	if (n != 2 || c[0] != 0xc3)
		return 0;
	lo = c[1] & ~0x20u;
	return lo >= 0x80 && lo <= 0x9e && lo != 0x97 && lo != 0x85 &&
	       lo != 0x9f;
}

/*
 * Add the spellings of character c (n bytes, one UTF-8 character under
 * u, else bytes taken together); -1 when it has a case partner this
 * does not know (the pattern then has no literal through it).
 */
static int
spell_char(struct spell *sp, const char *c, size_t n, unsigned flags)
{
	static const char kelvin[] = "\xe2\x84\xaa", long_s[] = "\xc5\xbf";
	const unsigned char *u = (const unsigned char *)c;
	char partner[2];

	if (spell_add(sp, c, n) < 0)
		return -1;
	if (!folds_wide(flags))
		return 0;
	if (n == 1 && (c[0] == 'k' || c[0] == 'K'))
		return spell_add(sp, kelvin, 3);
	if (n == 1 && (c[0] == 's' || c[0] == 'S'))
		return spell_add(sp, long_s, 2);
	if (n == 1 || caseless_wide(u, n))
		return 0;
	if (!latin1_pair(u, n))
		return -1;
	partner[0] = c[0];
	partner[1] = (char)(u[1] ^ 0x20);
	return spell_add(sp, partner, 2);
}

/* Bytes of the character at s under `flags` (1 outside u). */
static size_t
char_len(const char *s, size_t len, unsigned flags)
{
	size_t n = 1;

	while (
	    (flags & RF_U) && n < len && ((unsigned char)s[n] & 0xc0) == 0x80)
		n++;
	return n;
}

/*
 * The spellings of the class at s ([...], n bytes): only a short list of
 * plain characters ("[’']", "[uû]"), no ranges, escapes or negation.
 */
static int
spell_class(struct spell *sp, const char *s, size_t n, unsigned flags)
{
	size_t i = 1, cl;

	sp->n = 0;
	if (n < 3 || s[1] == '^')
		return -1;
	while (i < n - 1) {
		if (strchr("\\[]-", s[i]) != NULL)
			return -1;
		cl = char_len(s + i, n - 1 - i, flags);
		if (spell_char(sp, s + i, cl, flags) < 0)
			return -1;
		i += cl;
	}
	return 0;
}

/*
 * Every spelling of `run` followed by one of `sp`; -1 (run unchanged)
 * when that would make more than LIT_MAX_SET.
 */
static int
run_extend(struct rules_lits *run, const struct spell *sp)
{
	struct rules_lits next = { 0 };
	char *w;

	if (run->n * sp->n > LIT_MAX_SET)
		return -1;
	for (size_t i = 0; i < run->n; i++) {
		for (size_t k = 0; k < sp->n; k++) {
			w = xmalloc(run->len[i] + sp->len[k] + 1);
			memcpy(w, run->v[i], run->len[i]);
			memcpy(w + run->len[i], sp->v[k], sp->len[k]);
			lits_add(&next, w, run->len[i] + sp->len[k], 0, 0);
			free(w);
		}
	}
	rules_lits_clear(run);
	*run = next;
	return 0;
}

/* (?= (?! (?<= (?<! at s */
static int
is_lookaround(const char *s)
{
	return s[1] == '?' &&
	       (s[2] == '=' || s[2] == '!' ||
		   (s[2] == '<' && (s[3] == '=' || s[3] == '!')));
}
static size_t alts_width(const char *s, size_t len, unsigned flags);

/*
 * The most characters a sequence of items can match (WIDTH_INF:
 * unbounded or not understood): bytes without u; under u the scan counts
 * them back over the text (a character takes 1 to 4 bytes, and under
 * u+i a letter may match a longer one: k, the Kelvin sign).
 */
static size_t
seq_width(const char *s, size_t len, unsigned flags)
{
	size_t i = 0, w = 0, n, ql, one = 1, item;
	unsigned min;

	while (i < len) {
		if (s[i] == '(') {
			n = group_len(s + i, len - i);
			if (n == 0)
				return WIDTH_INF;
			if (s[i + 1] == '?' &&
			    (s[i + 2] == '=' || s[i + 2] == '!' ||
				(s[i + 2] == '<' &&
				    (s[i + 3] == '=' || s[i + 3] == '!'))))
				item = 0;
			else if (s[i + 1] == '?' &&
				 (s[i + 2] == ':' || s[i + 2] == '>'))
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
				return WIDTH_INF; /* \1, \x{}, \p{} ... */
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
				const char *c;

				if (comma != NULL && end != NULL &&
				    comma + 1 == end)
					return WIDTH_INF; /* {m,} */
				c = comma != NULL ? comma + 1 : s + i + n + 1;
				if (end == NULL ||
				    quant_count(c, (size_t)(end - c), &max) <=
					0)
					return WIDTH_INF;
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

/*
 * How well a set filters: 0 if any literal is common; else its shortest
 * literal, first among sets whose every literal lies a bounded distance
 * into a match and is long enough for the prefilter.  An occurrence of such a literal costs PCRE2 a short
 * window ("per" in "developers": one start to try); one of a literal
 * after \s+ costs it every start before the occurrence.
 */
static size_t
lits_score(const struct rules_lits *l)
{
	size_t bounded = LIT_BOUNDED;

	for (size_t i = 0; i < l->n; i++) {
		if (is_stopword(l->v[i], l->len[i]))
			return 0;
		if (l->pre[i] == WIDTH_INF)
			bounded = 0;
	}
	return lits_min(l) >= LIT_MIN ? lits_min(l) + bounded : lits_min(l);
}

/* Keep `cand` as the best so far if it beats *best. */
static void
offer(struct rules_lits *best, struct rules_lits *cand)
{
	if (cand->n > 0 && cand->n <= LIT_MAX_SET &&
	    (best->n == 0 || lits_score(cand) > lits_score(best))) {
		rules_lits_clear(best);
		*best = *cand;
		memset(cand, 0, sizeof(*cand));
	} else {
		rules_lits_clear(cand);
	}
}

/*
 * RULES_LIT_*_AFTER for a run ended by the item at s (an escape): \b,
 * or \s at least once.
 */
static unsigned
after_ctx(const char *s, size_t len)
{
	size_t ql;
	unsigned min;

	if (len < 2 || quant(s + 2, len - 2, &ql, &min) < 0)
		return 0;
	if (s[1] == 'b' && ql == 0)
		return RULES_LIT_WORD_AFTER;
	return s[1] == 's' && min >= 1 ? RULES_LIT_SPACE_AFTER : 0;
}

/*
 * Move the literals of `from`, found at s[at] (pre: how far into that),
 * into `to`, further into a match by the width of s[0 .. at).  When that
 * is unbounded only through a \s+ (or \s*) at s[sp_at .. sp_end) right
 * before s[at], a literal at s[at] itself takes the width before the
 * \s+ and RULES_LIT_SPACE_RUN: the scan steps back over the blanks
 * first.
 */
static void
space_take(struct rules_lits *to, struct rules_lits *from, const char *s,
    size_t at, size_t sp_at, size_t sp_end, unsigned flags)
{
	size_t w = seq_width(s, at, flags), w_sp;

	if (w != WIDTH_INF || sp_end != at ||
	    (w_sp = seq_width(s, sp_at, flags)) == WIDTH_INF) {
		rules_lits_take(to, from, w);
		return;
	}
	for (size_t i = 0; i < from->n; i++) {
		int here =
		    from->pre[i] == 0 && !(from->ctx[i] & RULES_LIT_SPACE_RUN);

		lits_add(to, from->v[i], from->len[i], here ? w_sp : WIDTH_INF,
		    from->ctx[i] | (here ? RULES_LIT_SPACE_RUN : 0));
	}
	rules_lits_clear(from);
}

/*
 * The best literal set of one alternative (a sequence of items): the
 * longest run of literal characters that must occur, or the literals of
 * a group that must match.  `before`: RULES_LIT_*_BEFORE of what comes
 * before the sequence.  Returns -1 when there is none.
 */
static int
extract_seq(const char *s, size_t len, unsigned flags, unsigned before,
    struct rules_lits *out)
{
	struct rules_lits best = { 0 }, cand = { 0 }, sub = { 0 }, run = { 0 };
	struct spell sp;
	size_t i = 0, n, ql, off, run_at, sp_at = SIZE_MAX, sp_end = SIZE_MAX;
	unsigned min, after;
	int r = -1;

	/* `before` follows the items: what the next one finds before it */
	while (i < len) {
		const char *p = s + i;

		if (p[0] == '(') {
			n = group_len(p, len - i);
			if (n == 0 || quant(p + n, len - i - n, &ql, &min) < 0)
				goto out;
			if (is_lookaround(p)) {
				i += n + ql; /* consumes nothing */
				continue;
			}
			if (p[1] == '?' && (p[2] == ':' || p[2] == '>'))
				off = 3;
			else if (p[1] != '?' && p[1] != '*')
				off = 1;
			else
				goto out; /* options, names, conditions */
			/* repeated, it follows itself, not `before` */
			if (min >= 1 &&
			    extract_alts(s + i + off, n - off - 1, flags,
				ql == 0 ? before : 0, &sub) == 0) {
				space_take(&cand, &sub, s, i, sp_at, sp_end,
				    flags);
				offer(&best, &cand);
			}
			i += n + ql;
			before = 0;
			continue;
		}
		if (p[0] == '[') {
			n = class_len(p, len - i);
			if (n == 0 || quant(p + n, len - i - n, &ql, &min) < 0)
				goto out;
			if (ql > 0 || spell_class(&sp, p, n, flags) < 0) {
				i += n + ql;
				before = 0;
				continue;
			} /* else a run starts with it */
		} else if (p[0] == '\\' && i + 1 < len &&
			   (isalnum((unsigned char)p[1]) || p[1] == '\\')) {
			/* rare and not worth following */
			if (strchr("QExpPgkNoc\\", p[1]) != NULL)
				goto out;
			n = 2;
			if (quant(s + i + n, len - i - n, &ql, &min) < 0)
				goto out;
			before =
			    p[1] == 'b' && ql == 0  ? RULES_LIT_WORD_BEFORE :
			    p[1] == 's' && min >= 1 ? RULES_LIT_SPACE_BEFORE :
						      0;
			if (p[1] == 's' &&
			    seq_width(p, n + ql, flags) == WIDTH_INF) {
				sp_at = i; /* \s+ or \s*: see space_pre */
				sp_end = i + n + ql;
			}
			i += n + ql;
			continue;
		} else if (strchr(".^$", s[i]) != NULL) {
			if (quant(s + i + 1, len - i - 1, &ql, &min) < 0)
				goto out;
			i += 1 + ql;
			before = 0;
			continue;
		} else if (strchr("|)*+?{}]", s[i]) != NULL) {
			goto out;
		}
		/* a run of literal characters, in each of its spellings */
		rules_lits_clear(&run);
		lits_add(&run, "", 0, 0, 0);
		run_at = i;
		after = 0;
		while (i < len) {
			const char *c = s + i;
			size_t cl;

			sp.n = 0;
			if (c[0] == '[') {
				cl = class_len(c, len - i);
				if (cl == 0 ||
				    spell_class(&sp, c, cl, flags) < 0)
					break;
			} else {
				if (c[0] == '\\') {
					if (i + 1 < len &&
					    (c[1] == 'b' || c[1] == 's'))
						after =
						    after_ctx(s + i, len - i);
					if (i + 1 >= len || c[1] == '\\' ||
					    isalnum((unsigned char)c[1]))
						break;
					c++;
				} else if (strchr(".^$|()[]{}*+?", c[0]) !=
					   NULL) {
					break;
				}
				/* a UTF-8 character is one unit */
				n = char_len(c, len - (size_t)(c - s),
				    flags | RF_U);
				cl = (size_t)(c - (s + i)) + n;
				if (spell_char(&sp, c, n, flags) < 0)
					break;
			}
			if (quant(s + i + cl, len - i - cl, &ql, &min) < 0)
				goto out;
			if (min == 0) {
				i += cl + ql;
				break; /* optional: the run ends before it */
			}
			if (run_extend(&run, &sp) < 0)
				break;
			i += cl + ql;
			if (ql > 0)
				break; /* repeated: the run ends after it */
		}
		if (i == run_at) {
			/* a character with case partners not spelled out */
			n = char_len(s + i + (s[i] == '\\'), len - i, RF_U);
			n += s[i] == '\\';
			if (quant(s + i + n, len - i - n, &ql, &min) < 0)
				goto out;
			i += n + ql;
			before = 0;
			continue;
		}
		if (run.n > 0 && run.len[0] > 0) {
			for (size_t k = 0; k < run.n; k++)
				lits_add(&sub, run.v[k], run.len[k], 0,
				    before | after);
			space_take(&cand, &sub, s, run_at, sp_at, sp_end,
			    flags);
			offer(&best, &cand);
		}
		before = 0;
	}
	if (best.n == 0)
		goto out;
	rules_lits_take(out, &best, 0);
	r = 0;
out:
	rules_lits_clear(&best);
	rules_lits_clear(&cand);
	rules_lits_clear(&sub);
	rules_lits_clear(&run);
	return r;
}

/* Every alternative of s must give a literal set; their union. */
static int
extract_alts(const char *s, size_t len, unsigned flags, unsigned before,
    struct rules_lits *out)
{
	struct rules_lits all = { 0 };
	size_t i, start = 0, n;

	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '|') {
			if (extract_seq(s + start, i - start, flags, before,
				&all) < 0) {
				rules_lits_clear(&all);
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
		rules_lits_clear(&all);
		return -1;
	}
	rules_lits_take(out, &all, 0);
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

/* Contract in rules-private.h. */
int
rules_literals(const struct rules_cond *c, struct rules_lits *out)
{
	int caseless = (c->flags & RF_I) != 0;

	if (c->flags & RF_X)
		return -1;
	if (extract_alts(c->pattern, strlen(c->pattern), c->flags, 0, out) < 0)
		return -1;
	if (out->n == 0)
		goto bad;
	for (size_t i = 0; i < out->n; i++) {
		if (out->len[i] < LIT_MIN &&
		    (caseless || out->len[i] < LIT_MIN_CASE ||
			!all_upper(out->v[i])))
			goto bad; /* "PO" and "VP" may stay, "at" not */
	}
	return 0;
bad:
	rules_lits_clear(out);
	return -1;
}
