/*
 * Rule files: parse, check and compile a directory of *.rules files into
 * one immutable rule set, and classify messages with it.
 *
 * A struct rules is an object (opaque, immutable once loaded): the daemon
 * builds a new one on SIGHUP and swaps it in only when rules_load()
 * succeeded, otherwise it keeps the old one and logs the problems.  Any
 * number of threads may classify with one rule set at once.
 *
 * The language is described in man/triage-rules.5.  PCRE2 gives every
 * pattern its meaning; a vectorscan (Hyperscan) database scans each text
 * once for all patterns and PCRE2 runs only where it flagged a possible
 * match, which gives the same verdicts, only faster.
 */
#ifndef TRIAGE_RULES_H
#define TRIAGE_RULES_H

#include <stddef.h>

#include "error.h"
#include "mime.h"
#include "verdict.h"

struct rules;

/* One problem found while loading: "FILE:LINE:COL: message". */
struct rules_problem {
	char *file; /* owned, the path as read */
	int line;   /* 1-based */
	int col;    /* 1-based byte column */
	char *msg;  /* owned */
};

struct rules_problems {
	struct rules_problem *v; /* owned, in file, then line order */
	size_t n;
};

/*
 * Names the checker accepts for `queue` and `route`.  A NULL callback
 * accepts any name (no config given).  With a config, has_queue is
 * conf_has_queue() and has_route tests conf_route() != NULL.
 */
struct rules_names {
	int (*has_queue)(void *arg, const char *name);
	int (*has_route)(void *arg, const char *name);
	/* A known name close to an unknown one ("did you mean"); may be
	 * NULL, and may return NULL. */
	const char *(*closest)(void *arg, int queue, const char *name);
	void *arg;
};

struct conf;

/*
 * Names from a loaded config: its mailboxes' queues and route names are
 * queues (conf_has_queue()), its route names are routes.  `c` must
 * outlive every use of *names.
 */
void rules_names_from_conf(struct rules_names *names, const struct conf *c);

struct rules_options {
	const struct rules_names *names; /* NULL: accept any name */
	int no_prefilter; /* 1: PCRE2 only (tests compare both paths) */
};

/*
 * What the rules see besides the message itself.  Conditions that need
 * more (account, tier) add a field here and a row to the target table.
 */
struct rules_ctx {
	const char *mailbox; /* mailbox the message arrived in, or NULL */
	const char *account; /* the sender's key account name, or NULL */
	const char *tier;    /* its tier ("strategic" "key" "standard") */
};

/*
 * Load every *.rules file in `dir`, in file-name (byte) order.  Returns 0
 * and sets *rules_r (free with rules_free) when the set checks clean.  On
 * any problem returns -1, leaves *rules_r alone and appends every problem
 * found to *probs (free with rules_problems_clear); an unreadable
 * directory is a problem too.  `opts` may be NULL.
 */
int rules_load(const char *dir, const struct rules_options *opts,
    struct rules **rules_r, struct rules_problems *probs);

/*
 * The same for one in-memory rule file called `name` (tests, tools).
 */
int rules_load_buffer(const char *name, const char *text,
    const struct rules_options *opts, struct rules **rules_r,
    struct rules_problems *probs);

/* Free every problem and empty the list. */
void rules_problems_clear(struct rules_problems *probs);
/*
 * A set starts with one reference.  rules_ref() adds one (thread-safe)
 * and returns rs; rules_free() drops one, frees the set with the last,
 * and sets *rsp to NULL; it accepts NULL.  A daemon swapping sets on
 * SIGHUP takes a reference per classification under its lock, so a set
 * still in use by a worker outlives the swap.
 */
struct rules *rules_ref(struct rules *rs);
void rules_free(struct rules **rsp);

/* Number of rules, and of patterns the prefilter could not take. */
size_t rules_count(const struct rules *rs);
/* Name of rule i (0 <= i < rules_count()), owned by the rule set. */
const char *rules_name(const struct rules *rs, size_t i);
/*
 * Is rule `name` written the same in both sets (same conditions and
 * actions, wherever it sits)?  0 when it differs or either set lacks it.
 */
int rules_same_rule(const struct rules *a, const struct rules *b,
    const char *name);
size_t rules_unfiltered(const struct rules *rs);

/*
 * Classify `m` (arrived in ctx->mailbox; ctx may be NULL) and add the
 * result to *v, which the caller initialised with verdict_init().  Never
 * fails on any message: a pattern that hits a PCRE2 limit makes its
 * condition false and is recorded as a hit with limit_hit = 1.
 */
void rules_classify(const struct rules *rs, const struct msg *m,
    const struct rules_ctx *ctx, struct verdict *v);

/* A rule that did not fire although all but one of its conditions held. */
struct rules_near {
	char *rule;    /* owned */
	char *file;    /* owned, base name */
	int line;      /* the rule's line */
	int cond_line; /* the condition that did not hold */
	char *cond;    /* owned, that condition as written */
};

struct rules_nears {
	struct rules_near *v; /* owned */
	size_t n;
};

/*
 * rules_classify(), and also list in *nears the rules of which exactly
 * one condition did not hold while some non-negated one did (the
 * explainer's "came close").  Rules
 * after a `stop` are not evaluated and never listed.
 */
void rules_explain(const struct rules *rs, const struct msg *m,
    const struct rules_ctx *ctx, struct verdict *v, struct rules_nears *nears);
void rules_nears_clear(struct rules_nears *nears);

#endif
