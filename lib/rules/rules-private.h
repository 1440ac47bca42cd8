/*
 * The inside of a rule set, shared by rules.c (loads and frees it),
 * rules-parse.c (builds it), rules-match.c (classifies with it),
 * rules-prefilter.c (the vectorscan database in front of PCRE2) and the
 * small files below them: rules-targets.c, rules-problem.c, rules-cond.c
 * and rules-literals.c.  Nothing outside lib/rules*.c includes this.
 */
#ifndef TRIAGE_RULES_PRIVATE_H
#define TRIAGE_RULES_PRIVATE_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rules.h"
#include "verdict.h"

/* Bounds: a hostile pattern or message ends as a recorded limit hit. */
#define RULES_MATCH_LIMIT 1000000	 /* PCRE2 match() calls per value */
#define RULES_DEPTH_LIMIT 10000		 /* backtracking depth (interpreter) */
#define RULES_HEAP_LIMIT 20000		 /* KiB of backtracking heap */
#define RULES_MATCH_MAX 200		 /* bytes of matched text in a hit */
#define RULES_TAG_MAX 64		 /* bytes of a tag after substitution */
#define RULES_MAX_GROUPS 9		 /* $1 ... $9 */
#define RULES_TAG_EACH 8		 /* distinct captures a $N tag takes */
#define RULES_TAG_SCAN 256		 /* matches looked at for them */
#define RULES_MAX_DEPTH 8		 /* nesting of any ... end */
#define RULES_FILE_MAX (4 * 1024 * 1024) /* bytes per rule file */

/* The condition targets: one row each in rules_targets[] (rules-targets.c). */
enum rules_target {
	RT_FROM,
	RT_FROM_NAME,
	RT_TO,
	RT_CC,
	RT_SUBJECT,
	RT_BODY,
	RT_FORWARDED,
	RT_ATTACHMENT,
	RT_MAILBOX,
	RT_ACCOUNT,
	RT_TIER,
	RT_HEADER,
	RT_FLAG,
	RT_CONTENT_TYPE,
	RT_COUNT,
};

/*
 * How to get a target's values: next() returns the value at or after
 * *pos, advancing *pos past it, or NULL when there are no more.  `arg`
 * is the header name for `header NAME`.
 */
struct rules_target_def {
	const char *name;
	int takes_arg;
	int multi; /* may have several values (To, headers ...) */
	const char *(*next)(const struct msg *m, const struct rules_ctx *ctx,
	    const char *arg, size_t *pos);
};

extern const struct rules_target_def rules_targets[RT_COUNT];

enum cond_kind {
	COND_MATCH,
	COND_ANY
};

struct rules_cond {
	enum cond_kind kind;
	int negate;
	int line;
	int col;
	char *text; /* owned: the condition as written */
	/* COND_MATCH */
	enum rules_target target;
	char *arg;	  /* owned: header name, or NULL */
	char *label;	  /* owned: "subject", "header X", "not from" */
	char *pattern;	  /* owned: pattern as PCRE2 sees it */
	unsigned flags;	  /* RF_* */
	pcre2_code *re;	  /* owned */
	unsigned groups;  /* capturing groups */
	int can_be_empty; /* may match an empty string */
	size_t id;	  /* index in rules.leaves */
	int prefiltered;  /* 1: the prefilter database holds it */
	/* COND_ANY */
	struct rules_cond *kids; /* owned */
	size_t n_kids;
};

#define RF_I 0x01
#define RF_M 0x02
#define RF_S 0x04
#define RF_X 0x08
#define RF_U 0x10

enum action_kind {
	ACT_QUEUE,
	ACT_PRIORITY,
	ACT_TAG,
	ACT_SCORE,
	ACT_ROUTE,
	ACT_IGNORE,
	ACT_STOP,
};

struct rules_action {
	enum action_kind kind;
	char *arg; /* owned: queue, tag template, route, reason */
	enum priority prio;
	enum dim dim;
	int n;
	int line;
};

struct rules_rule {
	char *name; /* owned */
	char *desc; /* owned, or NULL */
	char *file; /* owned: base name of the file */
	int line;
	struct rules_cond *conds; /* owned; all must hold */
	size_t n_conds;
	struct rules_action *acts; /* owned, in the order written */
	size_t n_acts;
	int tag_caps; /* a tag uses $N: capture every match */
};

/* The parser's state over one file (rules-parse.c). */
struct rules_parser {
	const char *path; /* for problems */
	const char *base; /* for hits */
	struct rules_problems *probs;
	const struct rules_names *names;
	struct rules *rs;
	struct rules_rule *rule;		  /* being read, or NULL */
	struct rules_cond *open[RULES_MAX_DEPTH]; /* open any groups */
	int open_line[RULES_MAX_DEPTH];
	int depth;
	size_t rule_probs; /* problems before the current rule */
	int lineno;
	const char *line;
};

/*
 * Parse one file's text into p->rs, appending every problem to p->probs
 * (p->path, p->base, p->probs, p->names and p->rs set by the caller).
 */
void rules_parse_text(struct rules_parser *p, const char *text);

/* rules-problem.c: append "FILE:LINE:COL: message" to probs. */
void rules_problem_add(struct rules_problems *probs, const char *file, int line,
    int col, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* rules-cond.c: free what a condition owns (its group's conditions too). */
void rules_cond_clear(struct rules_cond *c);

/*
 * A set of literals (raw bytes, not pattern syntax), owned, each with a
 * bound on how far into a match it can start (pre, in characters: bytes
 * without u; RULES_WIDTH_INF: no bound).
 */
struct rules_lits {
	char **v;
	size_t *len;
	size_t *pre;
	unsigned char *ctx; /* RULES_LIT_*: what the pattern puts around it */
	size_t n;
};

/*
 * The pattern item right before (after) a literal is \b (kept only when
 * the literal starts (ends) with an ASCII letter, digit or _), or \s at
 * least once.  An occurrence whose neighbouring byte cannot be that is
 * no match's literal: an ASCII word character beside it is no word
 * boundary, and no ASCII byte but a blank is \s (under u a Unicode space
 * ends in a byte >= 0x80).
 */
#define RULES_LIT_WORD_BEFORE 0x01
#define RULES_LIT_SPACE_BEFORE 0x02
#define RULES_LIT_WORD_AFTER 0x04
#define RULES_LIT_SPACE_AFTER 0x08
#define RULES_LIT_AROUND 0x0f
#define RULES_LIT_UTF 0x10 /* the pattern's characters are UTF-8 (u) */
/* pre counts from the start of the blanks before it (\s+ there) */
#define RULES_LIT_SPACE_RUN 0x20

#define RULES_WIDTH_INF SIZE_MAX

/*
 * The literals of condition c into *out (empty on entry), or -1 when it
 * has no usable set (out left empty): every literal at least 3 bytes (2
 * for a capitalised one when case matters).  Under u+i, where a letter
 * also matches case partners outside ASCII and vectorscan folds ASCII
 * only, each literal comes in every spelling of those partners (k: the
 * Kelvin sign, s: the long s, é: É); letters whose partners are not
 * known end a literal.
 */
int rules_literals(const struct rules_cond *c, struct rules_lits *out);
/* Move every literal of `from` into `to`, `shift` further into a match. */
void rules_lits_take(struct rules_lits *to, struct rules_lits *from,
    size_t shift);
void rules_lits_clear(struct rules_lits *l);
/* A word character in every mode (ASCII, and u's Unicode classes). */
static inline int
rules_ascii_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

struct rules_prefilter;

struct rules {
	atomic_int refs;      /* rules_ref / rules_free */
	struct rules_rule *v; /* owned */
	size_t n;
	struct rules_cond **leaves; /* foreign: every COND_MATCH */
	size_t n_leaves;
	pcre2_match_context *mctx; /* owned: the limits */
	unsigned max_groups;
	struct rules_prefilter *pf; /* owned, or NULL: PCRE2 only */
	size_t n_unfiltered;
};

/*
 * Build the prefilter for rs->leaves (sets each leaf's `prefiltered`).
 * Patterns vectorscan cannot take stay unfiltered and always run PCRE2.
 * Never fails: at worst nothing is prefiltered and rs->pf stays NULL.
 */
void rules_prefilter_build(struct rules *rs);
void rules_prefilter_free(struct rules_prefilter **pfp);

#define RULES_WIN_EACH 64   /* windows a leaf may have ... */
#define RULES_WIN_SPAN 16   /* ... or more, this far apart on average */
#define RULES_WIN_ALL 16384 /* ... and all leaves together */

/* Offsets at which a match may start: [lo, hi]. */
struct rules_window {
	size_t lo, hi;
};

/*
 * What one prefilter scan found, per leaf id.  seen[id]: some literal of
 * the leaf occurred, so its pattern may match.  For a target with one
 * value, any match starts in [lo[id], hi[id]] (SIZE_MAX: no bound) and,
 * when n_win[id] > 0, in one of the disjoint windows
 * win[first[id]] ... win[first[id] + n_win[id] - 1], in ascending order:
 * one short window per occurrence of a literal that lies a bounded
 * distance into every match (one from 0 for a literal that does not),
 * instead of one window over all of them.
 */
struct rules_scan {
	unsigned char *seen;	  /* owned */
	size_t *lo, *hi;	  /* owned */
	size_t *first, *n_win;	  /* owned */
	struct rules_window *win; /* owned */
	size_t n_occ;		  /* windows before merging */
	size_t *occ_leaf;	  /* owned: leaf of win[k] before */
	unsigned char *loose;	  /* owned: an occurrence not kept */
};

/*
 * Scan every value of every target once and fill sc (allocated here for
 * rs->n_leaves; free with rules_prefilter_scan_clear).  Returns -1 if
 * scanning failed (then every leaf must be treated as possibly matching,
 * from offset 0).
 */
int rules_prefilter_scan(const struct rules *rs, const struct msg *m,
    const struct rules_ctx *ctx, struct rules_scan *sc);
void rules_prefilter_scan_clear(struct rules_scan *sc);

#endif
