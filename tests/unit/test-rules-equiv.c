/*
 * PCRE2 is the meaning of every rule; the prefilter only makes it fast.
 * Run the default rules and a generated rule set that uses every
 * feature the prefilter rewrites (word boundaries, \s+ sequences,
 * lookarounds, back-references, flags, captures, header and address
 * targets) over thousands of generated messages, through both paths, and
 * require identical verdicts and hits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "buf.h"
#include "rules-testmsg.h"
#include "rules.h"
#include "xalloc.h"

#define N_MESSAGES 3000
#define N_RULES 300

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const words[] = { "price", "pricing", "quote", "demo", "mug",
	"is", "a", "an", "the", "we", "need", "looking", "for", "broken",
	"work", "working", "error", "errors", "500", "502", "returns", "got",
	"seats", "users", "licence", "license", "SSO", "SAML", "LDAP", "HA",
	"cluster", "sponsor", "meetup", "stickers", "budget", "PO", "CTO",
	"Director", "Head", "of", "ASAP", "Q3", "this", "quarter", "GitHub",
	"Jenkins", "upgrade", "failed", "contribute", "merge", "request",
	"exception", "Traceback", "vulnerability", "XSS", "unsubscribe",
	"browser", "auto", "größe", "café", "Straße", "日本", "ÉCOLE", "école",
	"kelvin", "abab", "ab", "xyz", "xyzzy", "foo", "bar", "foobar",
	"barfoo", "1,200", "350", "developers", "out", "office", "Re:", "Fwd:",
	/* u+i: the Kelvin sign (U+212A), the long s, Latin-1 capitals */
	"Kelvin", "ſeats", "CAFÉ", "Café", "don’t", "don't", "stuck", "STUCK",
	"ſtuck", "Größe", "日本語",
	/* literals inside words, beside _ and digits: \b and \s decide */
	"bone", "blog", "xusers", "users_", "_demo", "demo2", "per-user" };

#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *
word(void)
{
	return words[rnd(NWORDS)];
}

static const char *const seps[] = { " ", " ", " ", " ", "  ", "\n", "\n\n",
	"\t", " \n  ", ", ", ". ", "-", "", "_", "7",
	/* Unicode spaces: \s under u only (a byte >= 0x80 before a literal) */
	"\xc2\xa0", "\xe2\x80\x83" };

#define NSEPS (sizeof(seps) / sizeof(seps[0]))

/* One condition line for a generated rule ($N tags: capture_rules). */
static void
gen_cond(struct buf *b, int *groups_r)
{
	const char *w1 = word(), *w2 = word(), *w3 = word();

	*groups_r = 0;
	switch (rnd(28)) {
	case 0:
		buf_printf(b, "body /\\b(?:%s|%s|%s)\\b/i\n", w1, w2, w3);
		break;
	case 1:
		buf_printf(b, "body /(%s)\\s+(%s)/i\n", w1, w2);
		*groups_r = 2;
		break;
	case 2:
		buf_printf(b, "subject /^(?:re|fwd):\\s*%s/i\n", w1);
		break;
	case 3:
		buf_printf(b, "body /%s\\s+%s\\s+%s/\n", w1, w2, w3);
		break;
	case 4:
		buf_printf(b, "body /^\\s*%s/m\n", w1);
		break;
	case 5:
		buf_printf(b, "body /%s$/\n", w1);
		break;
	case 6:
		buf_printf(b, "body /%s(?=\\s+%s)/i\n", w1, w2);
		break;
	case 7:
		buf_printf(b, "body /(?<=%s\\s)%s/\n", w1, w2);
		break;
	case 8:
		buf_printf(b, "body /\\b(\\w+)\\s+\\1\\b/\n");
		*groups_r = 1;
		break;
	case 9:
		buf_printf(b, "body /%s.{0,20}%s/s\n", w1, w2);
		break;
	case 10:
		buf_printf(b, "header X-Test /%s/i\n", w1);
		break;
	case 11:
		buf_printf(b, "to /@(%s)\\.example$/\n",
		    rnd(2) ? "acme" : "buyer");
		*groups_r = 1;
		break;
	case 12:
		buf_printf(b, "attachment /\\.(pdf|docx?)$/i\n");
		*groups_r = 1;
		break;
	case 13:
		buf_printf(b, "body / %s \\s+ %s /x\n", w1, w2);
		break;
	case 14:
		buf_printf(b, "body /\\b%s\\w*/iu\n", w1);
		break;
	case 15:
		buf_printf(b, "body /(?:%s|%s)\\s*(?:%s|\\d+)\\b/i\n", w1, w2,
		    w3);
		break;
	case 16:
		buf_printf(b, "cc /^%s/\n", rnd(2) ? "cto" : "team");
		break;
	/* bounded repeats: one PCRE2 window per occurrence of a literal */
	case 17:
		buf_printf(b, "body /\\b(?:%s|\\d{1,4})\\s{1,3}%s\\b/i\n", w1,
		    w2);
		break;
	case 18:
		buf_printf(b, "body /%s.{0,12}(?:%s|%s)/s\n", w1, w2, w3);
		break;
	case 19:
		buf_printf(b, "body /(?<=\\s)%s[ \\t]{1,2}%s/\n", w1, w2);
		break;
	/* u+i: literals spelled with k, s and é's case partners */
	case 21:
		buf_printf(b, "body /\\b(?:%s|%s|%s)\\b/iu\n", w1, w2, w3);
		break;
	case 22:
		buf_printf(b,
		    "body /\\b%s\\s+(?:k[eé]lvin|caf[eé]|do(?:es)?n[’']?t|"
		    "st[uü]ck)\\b/iu\n",
		    w1);
		break;
	case 23:
		buf_printf(b,
		    "body /(?:%s|日本)\\s{1,3}(?:seats|gr[öo]ße)/iu\n", w1);
		break;
	/* \b and \s beside a literal, repeated groups, Unicode spaces */
	case 24:
		buf_printf(b, "body /\\b(?:%s\\s+)+%s\\b/i\n", w1, w2);
		break;
	case 25:
		buf_printf(b, "body /%s\\s%s\\s+%s/u\n", w1, w2, w3);
		break;
	case 26:
		buf_printf(b, "body /(?:\\d|_)%s\\b|%s\\s/i\n", w1, w2);
		break;
	/* u: a literal characters, not bytes, after wide ones */
	case 27:
		buf_printf(b, "body /(?:日本語|é)\\s{1,3}%s/iu\n", w1);
		break;
	default:
		buf_printf(b, "subject /\\b(%s)\\b/i\n", w1);
		*groups_r = 1;
		break;
	}
}

static char *
gen_rules(void)
{
	static const char *const queues[] = { "sales", "support", "community" };
	struct buf b;
	int groups;

	buf_init(&b, 1 << 22);
	for (int i = 0; i < N_RULES; i++) {
		int n = 1 + (int)rnd(3);

		buf_printf(&b, "rule gen-%d\n", i);
		for (int k = 0; k < n; k++) {
			if (rnd(6) == 0) {
				buf_printf(&b, "  any\n    ");
				gen_cond(&b, &groups);
				buf_printf(&b, "    ");
				gen_cond(&b, &groups);
				buf_printf(&b, "  end\n");
				continue;
			}
			buf_printf(&b, "  %s",
			    k > 0 && rnd(5) == 0 ? "not " : "");
			gen_cond(&b, &groups);
		}
		buf_printf(&b, "  tag g%d\n", i % 40);
		if (rnd(3) == 0)
			buf_printf(&b, "  queue %s\n", queues[rnd(3)]);
		if (rnd(4) == 0)
			buf_printf(&b, "  score need +%u\n", rnd(3) + 1);
		if (rnd(10) == 0)
			buf_printf(&b, "  priority high\n");
		if (rnd(40) == 0)
			buf_printf(&b, "  ignore \"gen\"\n");
		if (rnd(60) == 0)
			buf_printf(&b, "  stop\n");
	}
	return buf_steal(&b);
}

/* $N tags: a separate, hand-checked set, so captures are exercised. */
static const char capture_rules[] =
    "rule cap-two\n  body /(\\w+)\\s+(seats|users|developers)/i\n"
    "  tag n:$1-$2\n"
    "rule cap-forge\n  any\n    body /\\b(GitHub|Jenkins)\\b/i\n"
    "    subject /\\b(quote|price)\\b/i\n  end\n  tag c:$1\n"
    "rule cap-to\n  to /@(acme|buyer)\\.example$/\n  tag to:$1\n"
    "rule cap-att\n  attachment /\\.(pdf|docx?)$/i\n  tag att:$1\n"
    "rule cap-utf\n  body /\\b(gr\\w+e|caf\\w)\\b/iu\n  tag u:$1\n"
    "rule cap-near\n"
    "  body /\\b(\\d{1,4}|a|the)\\s{1,3}(seats|users|mug)\\b/i\n"
    "  tag near:$1-$2\n";

static void
gen_text(struct buf *b, size_t words_n)
{
	for (size_t i = 0; i < words_n; i++) {
		(void)buf_addstr(b, word());
		(void)buf_addstr(b, seps[rnd(NSEPS)]);
		if (rnd(40) == 0)
			(void)buf_addstr(b, "\n    at com.acme.Main.run(Main."
					    "java:42)\n");
	}
}

static struct msg *
gen_message(void)
{
	struct buf body, subj;
	struct msg *m;
	char addr[64];

	buf_init(&body, 1 << 20);
	buf_init(&subj, 4096);
	/* one in ten long: past RULES_WIN_EACH windows of common words */
	gen_text(&body, rnd(10) == 0 ? 2000 + rnd(2000) : 20 + rnd(400));
	if (rnd(3) == 0)
		(void)buf_addstr(&subj, rnd(2) ? "Re: " : "Fwd: ");
	gen_text(&subj, 1 + rnd(6));
	snprintf(addr, sizeof(addr), "%s@%s.example", rnd(2) ? "pat" : "cto",
	    rnd(2) ? "buyer" : "acme");
	m = tm_new(addr, subj.data, body.data);
	if (rnd(2))
		tm_set(&m->from.name, word());
	for (unsigned i = rnd(3); i > 0; i--) {
		snprintf(addr, sizeof(addr), "%s@%s.example",
		    rnd(2) ? "team" : "list", rnd(2) ? "acme" : "buyer");
		tm_addrs_add(rnd(2) ? &m->to : &m->cc, "", addr);
	}
	for (unsigned i = rnd(4); i > 0; i--) {
		struct buf hv;

		buf_init(&hv, 4096);
		gen_text(&hv, 1 + rnd(5));
		tm_header_add(m,
		    rnd(3) ? "X-Test" :
		    rnd(2) ? "List-Id" :
			     "Auto-Submitted",
		    hv.data);
		buf_free(&hv);
	}
	if (rnd(5) == 0)
		tm_attach(m, rnd(2) ? "Quote.PDF" : "notes.docx");
	buf_free(&body);
	buf_free(&subj);
	return m;
}

static char *
verdict_text(const struct verdict *v)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	buf_printf(&b, "queue=%s prio=%d ignore=%s tags=",
	    v->queue != NULL ? v->queue : "-", (int)v->priority,
	    v->ignore != NULL ? v->ignore : "-");
	for (size_t i = 0; i < v->n_tags; i++)
		buf_printf(&b, "%s,", v->tags[i]);
	for (int d = 0; d < DIM_COUNT; d++)
		buf_printf(&b, " %d", v->scores[d]);
	for (size_t i = 0; i < v->n_hits; i++)
		buf_printf(&b, "\n  %s:%d %s [%s]%s", v->hits[i].rule,
		    v->hits[i].line, v->hits[i].target, v->hits[i].match,
		    v->hits[i].limit_hit ? " LIMIT" : "");
	return buf_steal(&b);
}

static struct rules *
load_text(const char *text, int no_prefilter)
{
	struct rules_options opts = { NULL, no_prefilter };
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL;

	if (rules_load_buffer("gen.rules", text, &opts, &rs, &probs) < 0) {
		for (size_t i = 0; i < probs.n && i < 20; i++)
			print_error("%s:%d:%d: %s\n", probs.v[i].file,
			    probs.v[i].line, probs.v[i].col, probs.v[i].msg);
		fail();
	}
	return rs;
}

static struct rules *
load_dir(int no_prefilter)
{
	struct rules_options opts = { NULL, no_prefilter };
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL;
	const char *src = getenv("TRIAGE_SOURCE_DIR");
	char *dir;

	xasprintf(&dir, "%s/rules", src != NULL ? src : ".");
	assert_int_equal(rules_load(dir, &opts, &rs, &probs), 0);
	free(dir);
	return rs;
}

static int
has_hit(const struct verdict *v, const struct verdict_hit *h)
{
	for (size_t i = 0; i < v->n_hits; i++) {
		if (strcmp(v->hits[i].rule, h->rule) == 0 &&
		    strcmp(v->hits[i].target, h->target) == 0 &&
		    strcmp(v->hits[i].match, h->match) == 0)
			return 1;
	}
	return 0;
}

/* The hits only one path has: which rule, which target, what text. */
static void
print_diff(size_t i, const struct verdict *a, const struct verdict *b)
{
	fprintf(stderr, "message %zu differs\n", i);
	for (size_t k = 0; k < a->n_hits; k++) {
		if (!has_hit(b, &a->hits[k]))
			fprintf(stderr, "  prefilter only: %s:%d %s [%s]\n",
			    a->hits[k].rule, a->hits[k].line, a->hits[k].target,
			    a->hits[k].match);
	}
	for (size_t k = 0; k < b->n_hits; k++) {
		if (!has_hit(a, &b->hits[k]))
			fprintf(stderr, "  PCRE2 only: %s:%d %s [%s]\n",
			    b->hits[k].rule, b->hits[k].line, b->hits[k].target,
			    b->hits[k].match);
	}
}

/* Both paths over the same messages; returns the number of differences. */
static int
compare(struct rules *fast, struct rules *exact, struct msg **msgs, size_t n,
    size_t *hits_r)
{
	int diff = 0;

	for (size_t i = 0; i < n; i++) {
		struct rules_ctx ctx = {
			.mailbox = rnd(2) ? "sales" : "community",
		};
		struct verdict a, b;
		char *ta, *tb;

		verdict_init(&a);
		verdict_init(&b);
		rules_classify(fast, msgs[i], &ctx, &a);
		rules_classify(exact, msgs[i], &ctx, &b);
		*hits_r += a.n_hits;
		ta = verdict_text(&a);
		tb = verdict_text(&b);
		if (strcmp(ta, tb) != 0 && diff++ < 5)
			print_diff(i, &a, &b);
		free(ta);
		free(tb);
		verdict_clear(&a);
		verdict_clear(&b);
	}
	return diff;
}

static void
test_equivalence(void **state)
{
	struct msg **msgs = xcalloc(N_MESSAGES, sizeof(*msgs));
	char *text = gen_rules();
	struct rules *sets[3][2];
	size_t hits = 0;
	int diff = 0;

	(void)state;
	for (size_t i = 0; i < N_MESSAGES; i++)
		msgs[i] = gen_message();
	for (int p = 0; p < 2; p++) {
		sets[0][p] = load_dir(p);
		sets[1][p] = load_text(text, p);
		sets[2][p] = load_text(capture_rules, p);
	}
	/* The prefilter must take most patterns, or this proves little. */
	print_message("generated set: %zu patterns left to PCRE2 alone\n",
	    rules_unfiltered(sets[1][0]));
	assert_true(rules_unfiltered(sets[1][0]) < N_RULES);
	for (int s = 0; s < 3; s++)
		diff +=
		    compare(sets[s][0], sets[s][1], msgs, N_MESSAGES, &hits);
	print_message("%d messages x 3 rule sets: %zu hits, %d differences\n",
	    N_MESSAGES, hits, diff);
	assert_int_equal(diff, 0);
	/* ... and the sets must fire, or equal verdicts are empty ones. */
	assert_true(hits > N_MESSAGES);
	for (int s = 0; s < 3; s++) {
		rules_free(&sets[s][0]);
		rules_free(&sets[s][1]);
	}
	for (size_t i = 0; i < N_MESSAGES; i++)
		tm_free(&msgs[i]);
	free(msgs);
	free(text);
}

/*
 * Under u+i a literal's k, s and Latin-1 letters have case partners
 * vectorscan does not fold: the prefilter takes such patterns by
 * spelling them out, and must still find each partner.
 */
static const char wide_rules[] =
    "rule k\n  body /\\bkelvin\\b/iu\n  tag k\n"
    "rule s\n  body /\\b\\d+\\s{1,3}seats\\b/iu\n  tag s\n"
    "rule e\n  body /\\bcaf[eé]\\b/iu\n  tag e\n"
    "rule q\n  body /\\bdon[’']t\\s+work/iu\n  tag q\n"
    /* the literal 6 characters, 13 bytes, after the match's start */
    "rule w\n  body /(?:日本語|é)\\s{1,3}seats/iu\n  tag w\n";

static void
test_wide_letters(void **state)
{
	static const char *const texts[] = { "the KELVIN scale", "for 20 ſEATS",
		"le CAFÉ", "it DON’T WORK", "café", "kelvin 3 seats",
		"説明 日本語\xc2\xa0\xc2\xa0SEATS" };
	static const size_t want[] = { 1, 1, 1, 1, 1, 2, 1 };
	struct rules *fast = load_text(wide_rules, 0);
	struct rules *exact = load_text(wide_rules, 1);

	(void)state;
	assert_int_equal(rules_unfiltered(fast), 0);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct msg *m = tm_new("pat@buyer.example", "hi", texts[i]);
		struct verdict a, b;

		verdict_init(&a);
		verdict_init(&b);
		rules_classify(fast, m, NULL, &a);
		rules_classify(exact, m, NULL, &b);
		assert_int_equal(a.n_tags, want[i]);
		assert_int_equal(b.n_tags, want[i]);
		verdict_clear(&a);
		verdict_clear(&b);
		tm_free(&m);
	}
	rules_free(&fast);
	rules_free(&exact);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wide_letters),
		cmocka_unit_test(test_equivalence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
