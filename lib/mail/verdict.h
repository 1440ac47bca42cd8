/*
 * A classification verdict: what the rules decided about one message and
 * why.  A plain record shared by the rules engine (which fills it), the
 * store (which persists it with the ticket) and the CLI (which shows it).
 */
#ifndef TRIAGE_VERDICT_H
#define TRIAGE_VERDICT_H

#include <stddef.h>

enum priority {
	PRIO_UNSET = -1,
	PRIO_LOW = 0,
	PRIO_NORMAL,
	PRIO_HIGH,
	PRIO_URGENT,
};

/* The BANT dimensions plus fit, in the order scores[] holds them. */
enum dim {
	DIM_BUDGET = 0,
	DIM_AUTHORITY,
	DIM_NEED,
	DIM_TIMELINE,
	DIM_FIT,
	DIM_COUNT,
};

struct verdict_hit {
	char *rule;    /* owned */
	char *file;    /* owned, base name of the rule file */
	int line;      /* line of the rule's name line */
	char *target;  /* "subject", "body", "header X-Foo", ... */
	char *match;   /* matched text, UTF-8, bounded; "" for `not` */
	int limit_hit; /* 1: PCRE2 match/depth limit ended the match */
};

/* One rule's score action: what a signal is worth, counted once. */
struct verdict_score {
	char *rule; /* owned: the rule's name */
	enum dim dim;
	int n;
};

struct verdict {
	char *queue;		/* NULL: the mailbox's default queue */
	enum priority priority; /* PRIO_UNSET: normal (or account tier's) */
	char **tags;		/* owned, lowercased, unique, in order added */
	size_t n_tags;
	int scores[DIM_COUNT];
	char *route;  /* auto-route, or NULL */
	char *ignore; /* ignore reason, or NULL */
	struct verdict_hit *hits;
	size_t n_hits;
	/* scores[] rule by rule: a ticket counts each rule's once */
	struct verdict_score *rule_scores;
	size_t n_rule_scores;
};

/* An empty verdict: no queue, PRIO_UNSET, no tags, zero scores. */
void verdict_init(struct verdict *v);
/* Free everything the verdict owns and re-initialise it. */
void verdict_clear(struct verdict *v);
/* Add a tag (copied, lowercased) unless already present. */
void verdict_add_tag(struct verdict *v, const char *tag);
/* Append a hit; every string is copied. */
void verdict_add_hit(struct verdict *v, const char *rule, const char *file,
    int line, const char *target, const char *match, int limit_hit);

/* Add `n` to dimension `d` for `rule` (copied): scores[] and rule_scores. */
void verdict_add_score(struct verdict *v, const char *rule, enum dim d, int n);

/* "low" "normal" "high" "urgent"; priority_parse returns -1 if unknown. */
const char *priority_name(enum priority p);
int priority_parse(const char *s, enum priority *p_r);
/* "budget" "authority" "need" "timeline" "fit"; -1 if unknown. */
const char *dim_name(enum dim d);
int dim_parse(const char *s, enum dim *d_r);

#endif
