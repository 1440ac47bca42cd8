/*
 * The default rule set (rules/) against the labelled set
 * (tests/fixtures/rules/labelled/, each .eml parsed by mime_parse() as the
 * daemon parses mail): every message gets the expected
 * queue, ignore reason, priority and key tags, the rules listed fire and
 * the rules marked '!' do not.  Every default rule must be shown firing
 * by one message and not firing by another.  Both matching paths (the
 * prefilter and PCRE2 alone) are run and must agree.
 *
 * The voices set (tests/fixtures/rules/voices/, written by
 * make-voices.py in many languages and client styles, not from the
 * rules' phrases) is scored per class instead: where each message should
 * go (a queue, an ignore reason, or nowhere) and its key tags, with
 * precision and recall printed; any class under 95% fails, and so does
 * any difference between the two matching paths.
 * The blind set (tests/fixtures/rules/blind/, make-blind.py) is scored
 * the same way: a later batch written and labelled before the rules were
 * tuned for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mime.h"
#include "rules.h"
#include "test-common.h"
#include "xalloc.h"

struct expect {
	char *file, *mailbox, *queue, *ignore, *prio, *tags, *rules;
};

static char *
path_join(const char *env, const char *dflt, const char *rel)
{
	const char *base = getenv(env);
	char *p;

	xasprintf(&p, "%s/%s", base != NULL ? base : dflt, rel);
	return p;
}

/* The message model's own parse: the rules see what the daemon sees. */
static struct msg *
load_eml(const char *path)
{
	struct msg *m;
	size_t n;
	char *raw = test_read(path, &n);

	assert_true(n > 0);
	m = test_msg_parse(raw, n, NULL, 0);
	free(raw);
	return m;
}

static struct rules *
load_default(int no_prefilter)
{
	struct rules_options opts = { NULL, no_prefilter };
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL;
	char *dir = path_join("TRIAGE_SOURCE_DIR", ".", "rules");

	if (rules_load(dir, &opts, &rs, &probs) < 0) {
		for (size_t i = 0; i < probs.n; i++)
			print_error("%s:%d:%d: %s\n", probs.v[i].file,
			    probs.v[i].line, probs.v[i].col, probs.v[i].msg);
		fail();
	}
	free(dir);
	return rs;
}

static int
has_tag(const struct verdict *v, const char *t)
{
	for (size_t i = 0; i < v->n_tags; i++) {
		if (strcmp(v->tags[i], t) == 0)
			return 1;
	}
	return 0;
}

static int
rule_fired(const struct verdict *v, const char *rule)
{
	for (size_t i = 0; i < v->n_hits; i++) {
		if (strcmp(v->hits[i].rule, rule) == 0 && !v->hits[i].limit_hit)
			return 1;
	}
	return 0;
}

static char *
verdict_text(const struct verdict *v)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_printf(&b, "queue=%s prio=%s ignore=%s route=%s tags=",
	    v->queue != NULL ? v->queue : "-",
	    v->priority == PRIO_UNSET ? "-" : priority_name(v->priority),
	    v->ignore != NULL ? v->ignore : "-",
	    v->route != NULL ? v->route : "-");
	for (size_t i = 0; i < v->n_tags; i++)
		buf_printf(&b, "%s,", v->tags[i]);
	buf_printf(&b, " scores=");
	for (int d = 0; d < DIM_COUNT; d++)
		buf_printf(&b, "%d,", v->scores[d]);
	for (size_t i = 0; i < v->n_hits; i++)
		buf_printf(&b, "\n  %s %s:%d %s [%s]%s", v->hits[i].rule,
		    v->hits[i].file, v->hits[i].line, v->hits[i].target,
		    v->hits[i].match, v->hits[i].limit_hit ? " LIMIT" : "");
	return buf_steal(&b);
}

static size_t
read_expect(struct expect **ex_r)
{
	char *path = path_join("TRIAGE_FIXTURES", "tests/fixtures",
	    "rules/labelled/expected.tsv");
	FILE *fp = fopen(path, "r");
	struct expect *ex = NULL;
	char line[4096];
	size_t n = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *f[7], *save = NULL, *s = line;
		size_t k = 0;

		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(s, "\t", &save); t != NULL && k < 7;
		     t = strtok_r(NULL, "\t", &save))
			f[k++] = t;
		assert_int_equal(k, 7);
		ex = xreallocarray(ex, n + 1, sizeof(*ex));
		ex[n].file = xstrdup(f[0]);
		ex[n].mailbox = xstrdup(f[1]);
		ex[n].queue = xstrdup(f[2]);
		ex[n].ignore = xstrdup(f[3]);
		ex[n].prio = xstrdup(f[4]);
		ex[n].tags = xstrdup(f[5]);
		ex[n].rules = xstrdup(f[6]);
		n++;
	}
	fclose(fp);
	free(path);
	*ex_r = ex;
	return n;
}

static void
expect_free(struct expect *ex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(ex[i].file);
		free(ex[i].mailbox);
		free(ex[i].queue);
		free(ex[i].ignore);
		free(ex[i].prio);
		free(ex[i].tags);
		free(ex[i].rules);
	}
	free(ex);
}

/* Check one message; returns the number of mismatches (all printed). */
static int
check_one(const struct expect *e, const struct verdict *v, char ***fired,
    size_t *n_fired, char ***unfired, size_t *n_unfired)
{
	const char *q = v->queue != NULL ? v->queue : "-";
	const char *ig = v->ignore != NULL ? v->ignore : "-";
	const char *pr =
	    v->priority == PRIO_UNSET ? "-" : priority_name(v->priority);
	char *copy, *save = NULL;
	int bad = 0;

	if (strcmp(q, e->queue) != 0 || strcmp(ig, e->ignore) != 0 ||
	    strcmp(pr, e->prio) != 0)
		bad++;
	for (int pass = 0; pass < 2; pass++) {
		copy = xstrdup(pass == 0 ? e->tags : e->rules);
		for (char *t = strtok_r(copy, " ", &save); t != NULL;
		     t = strtok_r(NULL, " ", &save)) {
			int neg = t[0] == '!';
			const char *name = t + neg;
			int got;

			if (strcmp(t, "-") == 0)
				continue;
			got =
			    pass == 0 ? has_tag(v, name) : rule_fired(v, name);
			if (got == neg) {
				print_error("  %s: %s '%s'\n", e->file,
				    neg ? "unexpected" : "missing", name);
				bad++;
			}
			if (pass == 1) {
				char ***list = neg ? unfired : fired;
				size_t *nl = neg ? n_unfired : n_fired;

				*list = xreallocarray(*list, *nl + 1,
				    sizeof(**list));
				(*list)[(*nl)++] = xstrdup(name);
			}
		}
		free(copy);
	}
	if (bad > 0) {
		char *vt = verdict_text(v);

		print_error("%s: want queue=%s ignore=%s prio=%s tags=%s\n"
			    "  got %s\n",
		    e->file, e->queue, e->ignore, e->prio, e->tags, vt);
		free(vt);
	}
	return bad;
}

static int
listed(char **list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], name) == 0)
			return 1;
	}
	return 0;
}

/*
 * Classify one labelled message into *v (the caller clears it) with the
 * prefilter, and again with PCRE2 alone: the two must agree.  Returns 1
 * (and says why) when they do not, else 0.
 */
static int
classify_file(struct rules *rs, struct rules *rs_pcre, const char *dir,
    const struct expect *e, struct verdict *v)
{
	struct rules_ctx ctx = { .mailbox = e->mailbox };
	struct verdict vp;
	struct msg *m;
	char *path, *a, *b;
	int bad = 0;

	xasprintf(&path, "%s/%s", dir, e->file);
	m = load_eml(path);
	verdict_init(v);
	verdict_init(&vp);
	rules_classify(rs, m, &ctx, v);
	rules_classify(rs_pcre, m, &ctx, &vp);
	a = verdict_text(v);
	b = verdict_text(&vp);
	if (strcmp(a, b) != 0) {
		print_error("%s: prefilter and PCRE2 differ:\n%s\n%s\n",
		    e->file, a, b);
		bad = 1;
	}
	free(a);
	free(b);
	verdict_clear(&vp);
	msg_free(&m);
	free(path);
	return bad;
}

static void
test_labelled(void **state)
{
	struct rules *rs = load_default(0), *rs_pcre = load_default(1);
	struct expect *ex;
	size_t n = read_expect(&ex), n_fired = 0, n_unfired = 0;
	char **fired = NULL, **unfired = NULL;
	char *dir =
	    path_join("TRIAGE_FIXTURES", "tests/fixtures", "rules/labelled");
	int bad = 0;

	(void)state;
	assert_true(n >= 60);
	for (size_t i = 0; i < n; i++) {
		struct verdict v;

		bad += classify_file(rs, rs_pcre, dir, &ex[i], &v);
		bad += check_one(&ex[i], &v, &fired, &n_fired, &unfired,
		    &n_unfired);
		verdict_clear(&v);
	}
	print_message("labelled set: %zu messages, %d mismatches\n", n, bad);
	assert_int_equal(bad, 0);
	/* Every rule earns its place: one message shows it firing, one
	   shows it not firing. */
	for (size_t i = 0; i < rules_count(rs); i++) {
		const char *name = rules_name(rs, i);

		if (!listed(fired, n_fired, name)) {
			print_error("rule %s: no message fires it\n", name);
			bad++;
		}
		if (!listed(unfired, n_unfired, name)) {
			print_error("rule %s: no message shows it not "
				    "firing\n",
			    name);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
	for (size_t i = 0; i < n_fired; i++)
		free(fired[i]);
	for (size_t i = 0; i < n_unfired; i++)
		free(unfired[i]);
	free(fired);
	free(unfired);
	free(dir);
	expect_free(ex, n);
	rules_free(&rs);
	rules_free(&rs_pcre);
}

/* The tags scored on the voices set; others (BANT, competitors) not. */
static const char *const key_tags[] = { "pricing", "licensing", "renewal",
	"demo", "ee-lead", "large-team", "events", "contributing", "swag",
	"sponsorship", "security" };

#define N_KEY_TAGS (sizeof(key_tags) / sizeof(key_tags[0]))
#define MAX_CLASSES 64
#define MIN_SCORE 0.95

/* Per-class counts: true positives, false positives, false negatives. */
struct score {
	char name[48];
	unsigned tp, fp, fn;
};

static struct score *
score_of(struct score *sc, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(sc[i].name, name) == 0)
			return &sc[i];
	}
	assert_true(*n < MAX_CLASSES);
	memset(&sc[*n], 0, sizeof(sc[*n]));
	snprintf(sc[*n].name, sizeof(sc[*n].name), "%s", name);
	return &sc[(*n)++];
}

static void
score_add(struct score *sc, size_t *n, const char *want, const char *got)
{
	if (want != NULL && got != NULL && strcmp(want, got) == 0) {
		score_of(sc, n, want)->tp++;
		return;
	}
	if (want != NULL)
		score_of(sc, n, want)->fn++;
	if (got != NULL)
		score_of(sc, n, got)->fp++;
}

static int
listed_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n) {
		if ((p == list || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/* Where the message went: its ignore reason, else its queue, else "-". */
static const char *
outcome(const struct verdict *v)
{
	if (v->ignore != NULL)
		return v->ignore;
	return v->queue != NULL ? v->queue : "-";
}

static void
score_one(struct score *sc, size_t *n, const struct expect *e,
    const struct verdict *v)
{
	char cls[64];
	const char *got = outcome(v);

	snprintf(cls, sizeof(cls), "to:%s", e->queue);
	if (strcmp(e->queue, got) != 0) {
		char gcls[64];

		snprintf(gcls, sizeof(gcls), "to:%s", got);
		score_add(sc, n, cls, gcls);
		print_error("%s: want %s, got %s\n", e->file, e->queue, got);
	} else {
		score_add(sc, n, cls, cls);
	}
	for (size_t t = 0; t < N_KEY_TAGS; t++) {
		int want = listed_word(e->tags, key_tags[t]);
		int have = has_tag(v, key_tags[t]);

		if (want || have)
			score_add(sc, n, want ? key_tags[t] : NULL,
			    have ? key_tags[t] : NULL);
		if (want != have)
			print_error("%s: tag %s %s\n", e->file, key_tags[t],
			    want ? "missing" : "unexpected");
	}
}

static size_t
read_voices(const char *set, struct expect **ex_r)
{
	char *path, *rel;
	FILE *fp;
	struct expect *ex = NULL;
	char line[1024];
	size_t n = 0;

	xasprintf(&rel, "rules/%s/expected.tsv", set);
	path = path_join("TRIAGE_FIXTURES", "tests/fixtures", rel);
	free(rel);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *f[4], *save = NULL;
		size_t k = 0;

		if (line[0] == '#')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok_r(line, "\t", &save); t != NULL && k < 4;
		     t = strtok_r(NULL, "\t", &save))
			f[k++] = t;
		assert_int_equal(k, 4);
		ex = xreallocarray(ex, n + 1, sizeof(*ex));
		memset(&ex[n], 0, sizeof(ex[n]));
		ex[n].file = xstrdup(f[0]);
		ex[n].mailbox = xstrdup(f[1]);
		ex[n].queue = xstrdup(f[2]);
		ex[n].tags = xstrdup(f[3]);
		n++;
	}
	fclose(fp);
	free(path);
	*ex_r = ex;
	return n;
}

/* Scores one per-class set (rules/<set>/) of at least min_n messages. */
static void
score_set(const char *set, size_t min_n)
{
	struct rules *rs = load_default(0), *rs_pcre = load_default(1);
	struct expect *ex;
	size_t n = read_voices(set, &ex), n_sc = 0;
	struct score sc[MAX_CLASSES];
	char *rel, *dir;
	int bad = 0;

	xasprintf(&rel, "rules/%s", set);
	dir = path_join("TRIAGE_FIXTURES", "tests/fixtures", rel);
	free(rel);
	assert_true(n >= min_n);
	for (size_t i = 0; i < n; i++) {
		struct verdict v;

		bad += classify_file(rs, rs_pcre, dir, &ex[i], &v);
		score_one(sc, &n_sc, &ex[i], &v);
		verdict_clear(&v);
	}
	print_message("%s set: %zu messages\n%-22s %5s %5s %5s %9s "
		      "%7s\n",
	    set, n, "class", "tp", "fp", "fn", "precision", "recall");
	for (size_t i = 0; i < n_sc; i++) {
		double p = sc[i].tp + sc[i].fp > 0 ?
			       (double)sc[i].tp / (sc[i].tp + sc[i].fp) :
			       1.0;
		double r = sc[i].tp + sc[i].fn > 0 ?
			       (double)sc[i].tp / (sc[i].tp + sc[i].fn) :
			       1.0;

		print_message("%-22s %5u %5u %5u %8.1f%% %6.1f%%%s\n",
		    sc[i].name, sc[i].tp, sc[i].fp, sc[i].fn, 100 * p, 100 * r,
		    p < MIN_SCORE || r < MIN_SCORE ? "  LOW" : "");
		if (p < MIN_SCORE || r < MIN_SCORE)
			bad++;
	}
	free(dir);
	expect_free(ex, n);
	rules_free(&rs);
	rules_free(&rs_pcre);
	assert_int_equal(bad, 0);
}

static void
test_voices(void **state)
{
	(void)state;
	score_set("voices", 200);
}

/* Written and labelled before the rules were tuned for it (make-blind.py). */
static void
test_blind(void **state)
{
	(void)state;
	score_set("blind", 60);
}

/* GMime cannot start again once shut down: once for the group. */
static int
group_setup(void **state)
{
	(void)state;
	mime_init();
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	mime_shutdown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labelled),
		cmocka_unit_test(test_voices),
		cmocka_unit_test(test_blind),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
