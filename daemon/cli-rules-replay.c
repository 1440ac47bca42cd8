/*
 * triage rules replay [--since 30d] [--rules DIR] [--baseline DIR] [--json]
 *                     [--jobs N] [--db FILE]
 *
 * A dry run before a rule change goes live: classify the stored mail of
 * every ticket opened in the window with the rules in force (the
 * baseline: the configured rules directory) and with the candidate set,
 * and list each ticket whose queue, priority, tags or ignore verdict
 * would change, with the rules responsible.  Nothing is written.
 *
 * Each message is parsed and classified by the ingest pipeline
 * (lib/work/ingest.h) exactly as the daemon and `triage ingest` did when
 * they stored it, only nothing is stored, on every core (--jobs: how
 * many threads parse; the verdicts are the same with one).  A ticket's verdict is folded
 * from its messages the way ingestion folds it: queue, priority and
 * ignore reason from the message that opened it, tags from every
 * message.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
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

/* The two rule sets, and a pipeline over each. */
struct sets {
	struct rules *base, *cand;		  /* owned */
	struct ingest *base_ingest, *cand_ingest; /* owned */
	struct progress *progress;		  /* owned; NULL: none */
	struct json_object *json;		  /* --json: the changes */
};

/* "+x" for each of b not in a, then "-x" for each of a not in b. */
static void
diff_add(const struct strset *a, const struct strset *b, struct strset *out)
{
	char buf[1024];

	for (size_t i = 0; i < b->n; i++) {
		snprintf(buf, sizeof(buf), "+%s", b->v[i]);
		if (!strset_has(a, b->v[i]))
			strset_add(out, buf);
	}
	for (size_t i = 0; i < a->n; i++) {
		snprintf(buf, sizeof(buf), "-%s", a->v[i]);
		if (!strset_has(b, a->v[i]))
			strset_add(out, buf);
	}
}

/* The rules behind a change: fired or not, or "~" rewritten. */
static void
because(const struct fold *a, const struct fold *b, const struct sets *sets,
    struct strset *out)
{
	char name[256], buf[1024];

	diff_add(&a->rules, &b->rules, out);
	/* fired with both, but written differently in the candidate */
	for (size_t i = 0; i < b->rules.n; i++) {
		snprintf(buf, sizeof(buf), "~%s", b->rules.v[i]);
		if (strset_has(&a->rules, b->rules.v[i]) &&
		    !rules_same_rule(sets->base, sets->cand,
			entry_name(b->rules.v[i], name, sizeof(name))))
			strset_add(out, buf);
	}
}

static struct json_object *
jchange(int changed, const char *from, const char *to)
{
	struct json_object *o;

	if (!changed)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "from", cli_jstr(from));
	json_object_object_add(o, "to", cli_jstr(to));
	return o;
}

static struct json_object *
jlist(const struct strset *s)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->n; i++)
		json_object_array_add(a, cli_jstr(s->v[i]));
	return a;
}

static void
print_list(const char *label, const struct strset *s)
{
	printf("  %s", label);
	for (size_t i = 0; i < s->n; i++)
		printf(" %s", s->v[i]);
	putchar('\n');
}

/*
 * Print what changes for one ticket (or, with sets->json, add it there:
 * {"ticket", "state", "subject", "queue": {"from", "to"} | null,
 * "priority": ..., "ignore": ..., "tags": ["+a", "-b"], "because":
 * ["+rule (file:line)", "~..."]}); returns 1 when anything changes.
 */
static int
report(const struct store_ticket *t, const struct fold *a, const struct fold *b,
    const struct sets *sets, struct totals *tot)
{
	int dq = !same_str(a->queue, b->queue), dp = a->prio != b->prio;
	int dt = !same_set(&a->tags, &b->tags);
	int di = !same_str(a->ignore, b->ignore);
	struct strset tags = { 0 }, why = { 0 };
	struct json_object *o;

	if (!dq && !dp && !dt && !di)
		return 0;
	diff_add(&a->tags, &b->tags, &tags);
	because(a, b, sets, &why);
	if (sets->json != NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "ticket",
		    json_object_new_int64(t->id));
		json_object_object_add(o, "state",
		    cli_jstr(store_state_name(t->state)));
		json_object_object_add(o, "subject", cli_jstr(t->subject));
		json_object_object_add(o, "queue",
		    jchange(dq, a->queue, b->queue));
		json_object_object_add(o, "priority",
		    jchange(dp,
			a->prio == PRIO_UNSET ? NULL : prio_str(a->prio),
			b->prio == PRIO_UNSET ? NULL : prio_str(b->prio)));
		json_object_object_add(o, "ignore",
		    jchange(di, a->ignore, b->ignore));
		json_object_object_add(o, "tags", jlist(&tags));
		json_object_object_add(o, "because", jlist(&why));
		json_object_array_add(sets->json, o);
	} else {
		progress_clear(sets->progress); /* stdout: the same tty? */
		printf("#%lld [%s] \"%s\"\n", (long long)t->id,
		    store_state_name(t->state), t->subject);
		if (dq)
			printf("  queue:    %s -> %s\n",
			    a->queue != NULL ? a->queue : "(default)",
			    b->queue != NULL ? b->queue : "(default)");
		if (dp)
			printf("  priority: %s -> %s\n", prio_str(a->prio),
			    prio_str(b->prio));
		if (dt)
			print_list("tags:    ", &tags);
		if (di)
			printf("  ignore:   %s -> %s\n",
			    a->ignore ? a->ignore : "-",
			    b->ignore ? b->ignore : "-");
		print_list("because: ", &why);
	}
	strset_clear(&tags);
	strset_clear(&why);
	tot->changed++;
	tot->queue += (size_t)dq;
	tot->prio += (size_t)dp;
	tot->tags += (size_t)dt;
	tot->ignore += (size_t)di;
	return 1;
}

/*
 * A batch of tickets replayed together: their messages' ids, in ticket
 * order, are parsed on every core at once (ingest_replay), then folded
 * ticket by ticket, in order.
 */
#define BATCH_MESSAGES 256

struct batch {
	const struct store_ticket *t; /* foreign: the batch's tickets */
	size_t n_t;
	size_t *first; /* owned: ticket k's messages are m[first[k]] ... */
	size_t *n_m;   /* owned: ... n_m[k] of them; SIZE_MAX: not listed */
	struct error *list_err;	 /* owned: why not, per ticket */
	struct ingest_replay *m; /* owned */
	size_t n;
};

/*
 * Fold ticket k of the batch: each message was prepared once with the
 * baseline (as it was stored) and classified again with the candidate.
 * Returns -1 with err set when one of them could not be read.
 */
static int
fold_ticket(const struct batch *b, size_t k, const struct sets *sets,
    struct totals *tot, struct error *err)
{
	struct fold fa = { .prio = PRIO_UNSET }, fb = { .prio = PRIO_UNSET };
	int r = 0;

	if (b->n_m[k] == SIZE_MAX) {
		*err = b->list_err[k];
		return -1;
	}
	for (size_t i = b->first[k]; i < b->first[k] + b->n_m[k]; i++) {
		const struct ingest_replay *m = &b->m[i];

		if (m->r < 0) {
			*err = m->err;
			r = -1;
			break;
		}
		if (ingest_msg_parsed(m->im) == NULL) {
			tot->failed++;
			continue;
		}
		fold_add(&fa, ingest_msg_verdict(m->im));
		fold_add(&fb, m->cand);
	}
	if (r == 0)
		(void)report(&b->t[k], &fa, &fb, sets, tot);
	fold_clear(&fa);
	fold_clear(&fb);
	return r;
}

/* Replay tickets t[0 .. n-1], BATCH_MESSAGES messages at a time. */
static void
replay_tickets(struct store *st, const struct store_ticket *t, size_t n,
    struct sets *sets, unsigned jobs, struct totals *tot)
{
	struct batch b = { 0 };
	struct error err = { 0 };
	int64_t *ids;
	size_t n_ids, done = 0;

	b.first = xcalloc(n + 1, sizeof(*b.first));
	b.n_m = xcalloc(n + 1, sizeof(*b.n_m));
	b.list_err = xcalloc(n + 1, sizeof(*b.list_err));
	while (done < n) {
		b.t = t + done;
		b.n_t = 0;
		b.n = 0;
		while (done + b.n_t < n && b.n < BATCH_MESSAGES) {
			size_t k = b.n_t++;

			ids = NULL;
			n_ids = 0;
			b.first[k] = b.n;
			if (store_messages_for_ticket(st, b.t[k].id, &ids,
				&n_ids, &b.list_err[k]) < 0) {
				b.n_m[k] = SIZE_MAX;
				continue;
			}
			b.m = xreallocarray(b.m, b.n + n_ids + 1, sizeof(*b.m));
			for (size_t i = 0; i < n_ids; i++) {
				memset(&b.m[b.n], 0, sizeof(b.m[b.n]));
				b.m[b.n++].message_id = ids[i];
			}
			b.n_m[k] = n_ids;
			free(ids);
		}
		ingest_replay(sets->base_ingest, sets->cand_ingest, st, b.m,
		    b.n, jobs);
		for (size_t k = 0; k < b.n_t; k++) {
			tot->tickets++;
			if (fold_ticket(&b, k, sets, tot, &err) < 0) {
				progress_clear(sets->progress);
				fprintf(stderr,
				    "triage: ticket %lld: %s, skipping\n",
				    (long long)b.t[k].id, err.msg);
			}
			progress_set(sets->progress, done + k + 1);
		}
		ingest_replay_clear(b.m, b.n);
		done += b.n_t;
	}
	free(b.m);
	free(b.first);
	free(b.n_m);
	free(b.list_err);
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

/* {"candidate", "baseline", "since", "tickets", "changed", "failed",
    "changes": [...]}; takes sets->json. */
static void
print_json(struct sets *sets, const struct totals *tot, const char *cand,
    const char *base, const char *since)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "candidate", cli_jstr(cand));
	json_object_object_add(o, "baseline", cli_jstr(base));
	json_object_object_add(o, "since", cli_jstr(since));
	json_object_object_add(o, "tickets",
	    json_object_new_int64((int64_t)tot->tickets));
	json_object_object_add(o, "changed",
	    json_object_new_int64((int64_t)tot->changed));
	json_object_object_add(o, "failed",
	    json_object_new_int64((int64_t)tot->failed));
	json_object_object_add(o, "changes", sets->json);
	sets->json = NULL;
	cli_print_json(o);
}

int
cli_rules_replay(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "rules", required_argument, NULL, 'r' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "jobs", required_argument, NULL, 'J' },
		CLI_STORE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *since_s = "30d", *cand_dir = NULL, *base_dir = NULL;
	struct cli_store_opts so = { 0 };
	struct cli_ctx cx = { 0 };
	struct store_ticket *v = NULL;
	struct sets sets = { 0 };
	struct error err = { 0 };
	struct totals tot = { 0 };
	int64_t secs;
	size_t n = 0;
	int ch, json = 0, rc = CLI_USAGE;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned jobs = cores > 0 ? (unsigned)cores : 1;
	char *end;

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
		case 'j':
			json = 1;
			break;
		case 'J':
			jobs = (unsigned)strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || jobs == 0)
				return cli_usage(cli_find("rules"));
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
	if (json)
		sets.json = json_object_new_array();
	else
		printf("replay: %s against %s, tickets opened in the last "
		       "%s\n",
		    cand_dir, base_dir, since_s);
	fflush(stdout);
	sets.progress = progress_new(stderr, "replay", n, 0);
	replay_tickets(cx.st, v, n, &sets, jobs, &tot);
	progress_end(&sets.progress);
	if (json) {
		print_json(&sets, &tot, cand_dir, base_dir, since_s);
		rc = CLI_OK;
		goto out;
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
	json_object_put(sets.json);
	rules_free(&sets.base);
	rules_free(&sets.cand);
	cli_store_close(&cx);
	return rc;
}
