/*
 * triage rules replay [--since 30d] [--rules DIR] [--baseline DIR]
 *                     [--db FILE]
 *
 * A dry run before a rule change goes live: classify the stored mail of
 * every ticket opened in the window with the rules in force (the
 * baseline: the configured rules directory) and with the candidate set,
 * and list each ticket whose queue, priority, tags or ignore verdict
 * would change, with the rules responsible.  Nothing is written.
 *
 * Each message is parsed and classified by the ingest pipeline
 * (lib/work/ingest.h) exactly as the daemon and `triage ingest` did when
 * they stored it, only nothing is stored.  A ticket's verdict is folded
 * from its messages the way ingestion folds it: queue, priority and
 * ignore reason from the message that opened it, tags from every
 * message.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "conf.h"
#include "error.h"
#include "ingest.h"
#include "mime.h"
#include "rules.h"
#include "store.h"
#include "verdict.h"
#include "xalloc.h"

#define RULES_DEFAULT_DIR TRIAGE_SYSCONFDIR "/triage/rules.d"

/* A list of distinct strings (tags, "rule (file:line)"). */
struct strset {
	char **v;
	size_t n;
};

static int
strset_has(const struct strset *s, const char *x)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->v[i], x) == 0)
			return 1;
	}
	return 0;
}

static void
strset_add(struct strset *s, const char *x)
{
	if (strset_has(s, x))
		return;
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = xstrdup(x);
}

static void
strset_clear(struct strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* One rule set's verdict on a whole ticket. */
struct fold {
	char *queue; /* owned, or NULL */
	enum priority prio;
	char *ignore; /* owned, or NULL */
	struct strset tags;
	struct strset rules; /* "rule (file:line)" that fired */
	int opened;
};

static void
fold_add(struct fold *f, const struct verdict *v)
{
	char *r;

	if (!f->opened) {
		f->queue = xstrdup_or_null(v->queue);
		f->prio = v->priority;
		f->ignore = xstrdup_or_null(v->ignore);
		f->opened = 1;
	}
	for (size_t i = 0; i < v->n_tags; i++)
		strset_add(&f->tags, v->tags[i]);
	for (size_t i = 0; i < v->n_hits; i++) {
		if (v->hits[i].limit_hit)
			continue;
		xasprintf(&r, "%s (%s:%d)", v->hits[i].rule, v->hits[i].file,
		    v->hits[i].line);
		strset_add(&f->rules, r);
		free(r);
	}
}

static void
fold_clear(struct fold *f)
{
	free(f->queue);
	free(f->ignore);
	strset_clear(&f->tags);
	strset_clear(&f->rules);
	memset(f, 0, sizeof(*f));
	f->prio = PRIO_UNSET;
}

static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
same_set(const struct strset *a, const struct strset *b)
{
	for (size_t i = 0; i < a->n; i++) {
		if (!strset_has(b, a->v[i]))
			return 0;
	}
	return a->n == b->n;
}

struct totals {
	size_t tickets, changed, queue, prio, tags, ignore, failed;
};

static const char *
prio_str(enum priority p)
{
	return p == PRIO_UNSET ? "(unset)" : priority_name(p);
}

/* The rule's name in a "name (file:line)" entry, into buf. */
static const char *
entry_name(const char *entry, char *buf, size_t size)
{
	size_t n = strcspn(entry, " ");

	snprintf(buf, size, "%.*s", (int)n, entry);
	return buf;
}

/* Print what changes for one ticket; returns 1 when anything does. */
static int
report(const struct store_ticket *t, const struct fold *a, const struct fold *b,
    const struct rules *base, const struct rules *cand, struct totals *tot)
{
	char name[256];
	int dq = !same_str(a->queue, b->queue), dp = a->prio != b->prio;
	int dt = !same_set(&a->tags, &b->tags);
	int di = !same_str(a->ignore, b->ignore);

	if (!dq && !dp && !dt && !di)
		return 0;
	printf("#%lld [%s] \"%s\"\n", (long long)t->id,
	    store_state_name(t->state), t->subject);
	if (dq)
		printf("  queue:    %s -> %s\n",
		    a->queue != NULL ? a->queue : "(default)",
		    b->queue != NULL ? b->queue : "(default)");
	if (dp)
		printf("  priority: %s -> %s\n", prio_str(a->prio),
		    prio_str(b->prio));
	if (dt) {
		printf("  tags:    ");
		for (size_t i = 0; i < b->tags.n; i++) {
			if (!strset_has(&a->tags, b->tags.v[i]))
				printf(" +%s", b->tags.v[i]);
		}
		for (size_t i = 0; i < a->tags.n; i++) {
			if (!strset_has(&b->tags, a->tags.v[i]))
				printf(" -%s", a->tags.v[i]);
		}
		putchar('\n');
	}
	if (di)
		printf("  ignore:   %s -> %s\n", a->ignore ? a->ignore : "-",
		    b->ignore ? b->ignore : "-");
	printf("  because: ");
	for (size_t i = 0; i < b->rules.n; i++) {
		if (!strset_has(&a->rules, b->rules.v[i]))
			printf(" +%s", b->rules.v[i]);
	}
	for (size_t i = 0; i < a->rules.n; i++) {
		if (!strset_has(&b->rules, a->rules.v[i]))
			printf(" -%s", a->rules.v[i]);
	}
	/* fired with both, but written differently in the candidate */
	for (size_t i = 0; i < b->rules.n; i++) {
		if (strset_has(&a->rules, b->rules.v[i]) &&
		    !rules_same_rule(base, cand,
			entry_name(b->rules.v[i], name, sizeof(name))))
			printf(" ~%s", b->rules.v[i]);
	}
	printf("\n");
	tot->changed++;
	tot->queue += (size_t)dq;
	tot->prio += (size_t)dp;
	tot->tags += (size_t)dt;
	tot->ignore += (size_t)di;
	return 1;
}

/* The two rule sets, and a pipeline over each. */
struct sets {
	struct rules *base, *cand;		  /* owned */
	struct ingest *base_ingest, *cand_ingest; /* owned */
};

/*
 * Classify every message of ticket t with both sets: each message is
 * prepared once by the pipeline with the baseline (as it was stored) and
 * classified again with the candidate.
 */
static int
replay_ticket(struct store *st, const struct store_ticket *t,
    const struct sets *sets, struct totals *tot, struct error *err)
{
	struct fold a = { .prio = PRIO_UNSET }, b = { .prio = PRIO_UNSET };
	int64_t *ids = NULL;
	size_t n = 0;
	int r;

	r = store_messages_for_ticket(st, t->id, &ids, &n, err);
	if (r < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct ingest_msg *im = NULL;
		struct verdict vb;

		r = ingest_load(sets->base_ingest, st, ids[i], &im, err);
		if (r < 0)
			break;
		if (ingest_msg_parsed(im) == NULL) {
			tot->failed++;
			ingest_msg_free(&im);
			continue;
		}
		verdict_init(&vb);
		ingest_classify(sets->cand_ingest, im, &vb);
		fold_add(&a, ingest_msg_verdict(im));
		fold_add(&b, &vb);
		verdict_clear(&vb);
		ingest_msg_free(&im);
	}
	free(ids);
	if (r == 0)
		(void)report(t, &a, &b, sets->base, sets->cand, tot);
	fold_clear(&a);
	fold_clear(&b);
	return r;
}

static int
by_id(const void *x, const void *y)
{
	const struct store_ticket *a = x, *b = y;

	return a->id < b->id ? -1 : a->id > b->id;
}

/* Every ticket, whatever its state, opened at or after `since`. */
static int
tickets_since(struct store *st, int64_t since, struct store_ticket **v_r,
    size_t *n_r, struct error *err)
{
	static const char *const states[] = { "new", "claimed", "routed",
		"acknowledged", "closed", "ignored" };
	struct store_ticket *all = NULL, *v;
	size_t n_all = 0, n;
	enum store_state s;

	for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
		struct store_filter f = { NULL, NULL, -1, 0 };

		if (store_state_parse(states[k], &s) < 0)
			continue;
		f.state = (int)s;
		if (store_queue(st, &f, &v, &n, err) < 0) {
			store_tickets_free(&all, n_all);
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			if (v[i].created < since)
				continue;
			all = xreallocarray(all, n_all + 1, sizeof(*all));
			all[n_all++] = v[i];
			memset(&v[i], 0, sizeof(v[i]));
		}
		store_tickets_free(&v, n);
	}
	if (n_all > 0)
		qsort(all, n_all, sizeof(*all), by_id);
	*v_r = all;
	*n_r = n_all;
	return 0;
}

static int
load_set(const char *dir, const struct conf *conf, struct rules **rs_r)
{
	struct rules_problems probs = { 0 };
	int r;

	r = cli_rules_load(dir, conf, rs_r, &probs);
	for (size_t i = 0; i < probs.n; i++)
		fprintf(stderr, "%s:%d:%d: %s\n", probs.v[i].file,
		    probs.v[i].line, probs.v[i].col, probs.v[i].msg);
	if (r < 0)
		fprintf(stderr, "%s: does not check; nothing replayed\n", dir);
	rules_problems_clear(&probs);
	return r;
}

int
cli_rules_replay(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "rules", required_argument, NULL, 'r' },
		{ "baseline", required_argument, NULL, 'b' },
		CLI_STORE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *since_s = "30d", *cand_dir = NULL, *base_dir = NULL;
	struct cli_store_opts so = { NULL, NULL, 0 };
	struct cli_ctx cx = { 0 };
	struct store_ticket *v = NULL;
	struct sets sets = { NULL, NULL, NULL, NULL };
	struct error err = { 0 };
	struct totals tot = { 0 };
	int64_t secs;
	size_t n = 0;
	int ch, rc = CLI_USAGE;

	/* 0, not 1: glibc then forgets triage.c's "+" (stop at the first
	   operand), so options may follow FILE.eml. */
	optind = 0;
	for (ch = getopt_long(argc, argv, "s:r:b:D:A:", longopts, NULL);
	     ch != -1;
	     ch = getopt_long(argc, argv, "s:r:b:D:A:", longopts, NULL)) {
		if (cli_store_opt(ch, optarg, &so))
			continue;
		switch (ch) {
		case 's':
			since_s = optarg;
			break;
		case 'r':
			cand_dir = optarg;
			break;
		case 'b':
			base_dir = optarg;
			break;
		default:
			return cli_usage(cli_find("rules"));
		}
	}
	if (optind != argc || conf_duration(since_s, &secs) < 0)
		return cli_usage(cli_find("rules"));
	rc = cli_store_open(cli, &so, &cx);
	if (rc != CLI_OK)
		return rc;
	rc = CLI_USAGE;
	if (base_dir == NULL)
		base_dir = cx.conf != NULL && cx.conf->rules != NULL ?
			       cx.conf->rules :
			       RULES_DEFAULT_DIR;
	if (cand_dir == NULL)
		cand_dir = base_dir;
	if (load_set(base_dir, cx.conf, &sets.base) < 0 ||
	    load_set(cand_dir, cx.conf, &sets.cand) < 0)
		goto out;
	sets.base_ingest = ingest_new(cx.conf, sets.base, cx.accounts);
	sets.cand_ingest = ingest_new(cx.conf, sets.cand, cx.accounts);
	if (tickets_since(cx.st, store_now(cx.st) - secs, &v, &n, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	mime_init();
	printf("replay: %s against %s, tickets opened in the last %s\n",
	    cand_dir, base_dir, since_s);
	for (size_t i = 0; i < n; i++) {
		tot.tickets++;
		if (replay_ticket(cx.st, &v[i], &sets, &tot, &err) < 0) {
			fprintf(stderr, "triage: ticket %lld: %s, skipping\n",
			    (long long)v[i].id, err.msg);
		}
	}
	printf("%zu ticket%s replayed, %zu would change (queue %zu, priority "
	       "%zu, tags %zu, ignore %zu)",
	    tot.tickets, tot.tickets == 1 ? "" : "s", tot.changed, tot.queue,
	    tot.prio, tot.tags, tot.ignore);
	if (tot.failed > 0)
		printf("; %zu message%s did not parse", tot.failed,
		    tot.failed == 1 ? "" : "s");
	printf("\n");
	rc = CLI_OK;
out:
	store_tickets_free(&v, n);
	ingest_free(&sets.base_ingest);
	ingest_free(&sets.cand_ingest);
	rules_free(&sets.base);
	rules_free(&sets.cand);
	cli_store_close(&cx);
	return rc;
}
