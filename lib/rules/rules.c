/*
 * The rule set as an object: loading a directory or a buffer (the parser
 * is rules-parse.c, the problem list rules-problem.c), freeing, lookups.
 * A set that had any problem is never handed out.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "rules-private.h"
#include "xalloc.h"

/* ---- freeing ---- */

static void
rule_clear(struct rules_rule *r)
{
	for (size_t i = 0; i < r->n_conds; i++)
		rules_cond_clear(&r->conds[i]);
	for (size_t i = 0; i < r->n_acts; i++)
		free(r->acts[i].arg);
	free(r->conds);
	free(r->acts);
	free(r->name);
	free(r->desc);
	free(r->file);
}

struct rules *
rules_ref(struct rules *rs)
{
	atomic_fetch_add(&rs->refs, 1);
	return rs;
}

void
rules_free(struct rules **rsp)
{
	struct rules *rs = *rsp;

	if (rs == NULL)
		return;
	*rsp = NULL;
	if (atomic_fetch_sub(&rs->refs, 1) > 1)
		return;
	for (size_t i = 0; i < rs->n; i++)
		rule_clear(&rs->v[i]);
	free(rs->v);
	free(rs->leaves);
	pcre2_match_context_free(rs->mctx);
	rules_prefilter_free(&rs->pf);
	free(rs);
}

size_t
rules_count(const struct rules *rs)
{
	return rs->n;
}

const char *
rules_name(const struct rules *rs, size_t i)
{
	return rs->v[i].name;
}

static const struct rules_rule *
rule_find(const struct rules *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++) {
		if (strcmp(rs->v[i].name, name) == 0)
			return &rs->v[i];
	}
	return NULL;
}

static int
same_str(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static int
same_conds(const struct rules_cond *a, const struct rules_cond *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i].kind != b[i].kind || a[i].n_kids != b[i].n_kids ||
		    !same_str(a[i].text, b[i].text) ||
		    !same_conds(a[i].kids, b[i].kids, a[i].n_kids))
			return 0;
	}
	return 1;
}

int
rules_same_rule(const struct rules *a, const struct rules *b, const char *name)
{
	const struct rules_rule *ra = rule_find(a, name);
	const struct rules_rule *rb = rule_find(b, name);

	if (ra == NULL || rb == NULL || ra->n_conds != rb->n_conds ||
	    ra->n_acts != rb->n_acts ||
	    !same_conds(ra->conds, rb->conds, ra->n_conds))
		return 0;
	for (size_t i = 0; i < ra->n_acts; i++) {
		const struct rules_action *x = &ra->acts[i], *y = &rb->acts[i];

		if (x->kind != y->kind || !same_str(x->arg, y->arg) ||
		    x->prio != y->prio || x->dim != y->dim || x->n != y->n)
			return 0;
	}
	return 1;
}

size_t
rules_unfiltered(const struct rules *rs)
{
	return rs->n_unfiltered;
}

/* ---- the rule set ---- */

static struct rules *
rules_new(void)
{
	struct rules *rs = xcalloc(1, sizeof(*rs));

	atomic_init(&rs->refs, 1);
	rs->mctx = pcre2_match_context_create(NULL);
	if (rs->mctx == NULL)
		fatalx("out of memory");
	pcre2_set_match_limit(rs->mctx, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(rs->mctx, RULES_DEPTH_LIMIT);
	pcre2_set_heap_limit(rs->mctx, RULES_HEAP_LIMIT);
	return rs;
}

static void
collect_leaves(struct rules *rs, struct rules_cond *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].kind == COND_ANY) {
			collect_leaves(rs, v[i].kids, v[i].n_kids);
			continue;
		}
		v[i].id = rs->n_leaves;
		rs->leaves = xreallocarray(rs->leaves, rs->n_leaves + 1,
		    sizeof(*rs->leaves));
		rs->leaves[rs->n_leaves++] = &v[i];
	}
}

/* Finish a set that parsed clean, or throw it away. */
static int
rules_finish(struct rules *rs, const struct rules_options *opts,
    struct rules **rules_r, size_t problems_before,
    const struct rules_problems *probs)
{
	if (probs->n > problems_before) {
		rules_free(&rs);
		return -1;
	}
	for (size_t i = 0; i < rs->n; i++)
		collect_leaves(rs, rs->v[i].conds, rs->v[i].n_conds);
	rs->n_unfiltered = rs->n_leaves;
	if (opts == NULL || !opts->no_prefilter)
		rules_prefilter_build(rs);
	*rules_r = rs;
	return 0;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

int
rules_load_buffer(const char *name, const char *text,
    const struct rules_options *opts, struct rules **rules_r,
    struct rules_problems *probs)
{
	struct rules_parser p = { 0 };
	size_t before = probs->n;

	p.rs = rules_new();
	p.path = name;
	p.base = base_name(name);
	p.probs = probs;
	p.names = opts != NULL ? opts->names : NULL;
	rules_parse_text(&p, text);
	return rules_finish(p.rs, opts, rules_r, before, probs);
}

/* Read a whole file (bounded); NULL after recording a problem. */
static char *
read_file(const char *path, struct rules_problems *probs)
{
	FILE *fp;
	char *data = NULL;
	size_t n;
	long size;

	fp = fopen(path, "r");
	if (fp == NULL) {
		rules_problem_add(probs, path, 0, 0, "cannot open: %s",
		    strerror(errno));
		return NULL;
	}
	size = fseek(fp, 0, SEEK_END) < 0 ? -1 : ftell(fp);
	if (size < 0 || fseek(fp, 0, SEEK_SET) < 0) {
		rules_problem_add(probs, path, 0, 0, "cannot read: %s",
		    strerror(errno));
		goto out;
	}
	if (size > RULES_FILE_MAX) {
		rules_problem_add(probs, path, 0, 0,
		    "file larger than %d bytes", RULES_FILE_MAX);
		goto out;
	}
	data = xmalloc((size_t)size + 1);
	n = fread(data, 1, (size_t)size, fp);
	data[n] = '\0';
	if (memchr(data, '\0', n) != NULL) {
		rules_problem_add(probs, path, 0, 0,
		    "file contains a NUL byte");
		xfree(&data);
	}
out:
	fclose(fp);
	return data;
}

static int
is_rules_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 6 &&
	       strcmp(d->d_name + n - 6, ".rules") == 0;
}

/* Byte order, never the locale's: the order rules run in is fixed. */
static int
name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int
rules_load(const char *dir, const struct rules_options *opts,
    struct rules **rules_r, struct rules_problems *probs)
{
	struct rules_parser p = { 0 };
	struct dirent **ents = NULL;
	size_t before = probs->n;
	char *path, *text;
	int n;

	n = scandir(dir, &ents, is_rules_file, name_cmp);
	if (n < 0) {
		rules_problem_add(probs, dir, 0, 0,
		    "cannot read rules directory: %s", strerror(errno));
		return -1;
	}
	p.rs = rules_new();
	p.probs = probs;
	p.names = opts != NULL ? opts->names : NULL;
	for (int i = 0; i < n; i++) {
		xasprintf(&path, "%s/%s", dir, ents[i]->d_name);
		text = read_file(path, probs);
		if (text != NULL) {
			p.path = path;
			p.base = ents[i]->d_name;
			rules_parse_text(&p, text);
		}
		free(text);
		free(path);
		free(ents[i]);
	}
	free(ents);
	return rules_finish(p.rs, opts, rules_r, before, probs);
}

/* ---- names from a config ---- */

static int
conf_queue_known(void *arg, const char *name)
{
	return conf_has_queue(arg, name);
}

static int
conf_route_known(void *arg, const char *name)
{
	return conf_route(arg, name) != NULL;
}

static const char *
conf_name_closest(void *arg, int queue, const char *name)
{
	return queue ? conf_queue_closest(arg, name) :
		       conf_route_closest(arg, name);
}

void
rules_names_from_conf(struct rules_names *names, const struct conf *c)
{
	names->has_queue = conf_queue_known;
	names->has_route = conf_route_known;
	names->closest = conf_name_closest;
	names->arg = (void *)(uintptr_t)c; /* read only */
}
