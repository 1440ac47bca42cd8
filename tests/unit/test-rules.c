/*
 * Rules: the checker's problems (exact FILE:LINE:COL), and the matcher's
 * semantics: any/not, captures, scores, last queue wins, stop, ignore,
 * multi-valued targets, limits on a catastrophic pattern.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "rules-testmsg.h"
#include "rules.h"
#include "test-common.h"
#include "xalloc.h"

/* ---- checker ---- */

static int
has_name(const char *const *names, const char *name)
{
	for (; *names != NULL; names++) {
		if (strcmp(*names, name) == 0)
			return 1;
	}
	return 0;
}

static int
test_has_queue(void *arg, const char *name)
{
	static const char *const queues[] = { "sales", "support", "community",
		NULL };

	(void)arg;
	return has_name(queues, name);
}

static int
test_has_route(void *arg, const char *name)
{
	static const char *const routes[] = { "sales", "support", NULL };

	(void)arg;
	return has_name(routes, name);
}

static const struct rules_names test_names = { .has_queue = test_has_queue,
	.has_route = test_has_route };

/* All problems, one "FILE:LINE:COL: message" line each. */
static char *
problems_text(const struct rules_problems *probs)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	for (size_t i = 0; i < probs->n; i++)
		buf_printf(&b, "%s:%d:%d: %s\n", probs->v[i].file,
		    probs->v[i].line, probs->v[i].col, probs->v[i].msg);
	return b.data != NULL ? buf_steal(&b) : xstrdup("");
}

static const struct {
	const char *rules;
	const char *problems;
} check_cases[] = {
	/* clean */
	{ "rule a\n  subject /x/\n  tag t\n", "" },
	{ "# comment\n\nrule a \"desc\"\n\t# inner comment\n"
	  "\tsubject /x/i\n\tqueue sales\n",
	    "" },
	/* unknown keyword, indented and in column 1 */
	{ "rule a\n  subjct /x/\n  tag t\n",
	    "t.rules:2:3: unknown keyword 'subjct'\n" },
	{ "rule a\n  subject /x/\n  tag t\nrul b\n",
	    "t.rules:4:1: unknown keyword 'rul' (expected 'rule NAME', "
	    "conditions and actions indented)\n" },
	/* bad regex: PCRE2's message, offset in the pattern, column of it */
	{ "rule a\n  body /ab(c/\n  tag t\n",
	    "t.rules:2:13: bad regex: missing closing parenthesis at offset 4 "
	    "in pattern\n" },
	{ "rule a\n  body /a\\/b*+?/\n  tag t\n",
	    "t.rules:2:15: bad regex: quantifier does not follow a repeatable "
	    "item at offset 5 in pattern\n" },
	{ "rule a\n  body /abc\n  tag t\n",
	    "t.rules:2:8: unterminated regex (a '/' inside the pattern is "
	    "written '\\/')\n" },
	{ "rule a\n  body /abc/q\n  tag t\n",
	    "t.rules:2:13: unknown regex flag 'q' (flags are i m s x u)\n" },
	/* unknown queue and route, checked against the names */
	{ "rule a\n  body /x/\n  queue nowhere\n",
	    "t.rules:3:9: unknown queue 'nowhere'\n" },
	{ "rule a\n  body /x/\n  route community\n",
	    "t.rules:3:9: unknown route 'community'\n" },
	/* unknown BANT dimension, bad score */
	{ "rule a\n  body /x/\n  score bugdet +1\n",
	    "t.rules:3:9: unknown BANT dimension 'bugdet' (budget authority "
	    "need timeline fit)\n" },
	{ "rule a\n  body /x/\n  score need lots\n",
	    "t.rules:3:14: expected a score from -100 to +100\n" },
	/* duplicate rule name in one file */
	{ "rule a\n  body /x/\n  tag t\nrule a\n  body /y/\n  tag u\n",
	    "t.rules:4:6: duplicate rule name 'a' (first defined at "
	    "t.rules:1)\n" },
	/* no condition, no action */
	{ "rule a\n  tag t\n", "t.rules:1:1: rule 'a' has no condition\n" },
	{ "rule a\n  body /x/\n", "t.rules:1:1: rule 'a' has no action\n" },
	/* $2 where the pattern has one group; $1 with no group at all */
	{ "rule a\n  body /(x)y/\n  tag c:$2\n",
	    "t.rules:3:9: tag uses $2 but the pattern on line 2 has 1 group\n" },
	{ "rule a\n  body /xy/\n  tag c:$1\n",
	    "t.rules:3:9: tag uses $1 but no condition of rule 'a' has a "
	    "capturing group\n" },
	/* any ... end structure */
	{ "rule a\n  any\n    body /x/\n  tag t\n",
	    "t.rules:4:3: action 'tag' inside 'any' (missing 'end'?)\n"
	    "t.rules:2:3: 'any' without 'end'\n" },
	{ "rule a\n  body /x/\n  end\n  tag t\n",
	    "t.rules:3:3: 'end' without 'any'\n" },
	{ "rule a\n  any\n  end\n  body /x/\n  tag t\n",
	    "t.rules:2:3: empty 'any' group\n" },
	/* outside a rule; bad priority; every problem, not just the first */
	{ "  body /x/\n", "t.rules:1:3: 'body' outside a rule (a rule starts "
			  "with 'rule NAME' in column 1)\n" },
	{ "rule a\n  body /x/\n  priority hi\n  frm /y/\n  tag t\n",
	    "t.rules:3:12: unknown priority 'hi' (low normal high urgent)\n"
	    "t.rules:4:3: unknown keyword 'frm'\n" },
	{ "rule a\n  header /x/\n  tag t\n",
	    "t.rules:2:10: expected header name\n" },
	/* key accounts: account and tier are conditions like mailbox */
	{ "rule a\n  account /^acme\\b/i\n  not tier /^standard$/\n"
	  "  priority urgent\n",
	    "" },
	{ "rule a\n  tier strategic\n  tag t\n",
	    "t.rules:2:8: expected /pattern/ after 'tier'\n" },
	{ "rule a\n  acount /x/\n  tag t\n",
	    "t.rules:2:3: unknown keyword 'acount'\n" },
};

static void
test_check(void **state)
{
	struct rules_options opts = { &test_names, 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]);
	     i++) {
		struct rules_problems probs = { 0 };
		struct rules *rs = NULL;
		char *got;
		int r;

		r = rules_load_buffer("t.rules", check_cases[i].rules, &opts,
		    &rs, &probs);
		got = problems_text(&probs);
		if (strcmp(got, check_cases[i].problems) != 0)
			print_error("case %zu:\n%s\ngot:\n%s\nwant:\n%s\n", i,
			    check_cases[i].rules, got, check_cases[i].problems);
		assert_string_equal(got, check_cases[i].problems);
		assert_int_equal(r, *check_cases[i].problems == '\0' ? 0 : -1);
		assert_true(r == 0 ? rs != NULL : rs == NULL);
		free(got);
		rules_problems_clear(&probs);
		rules_free(&rs);
	}
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Files in name order, only *.rules, duplicates across files. */
static void
test_check_dir(void **state)
{
	char dir[128], path[4200];
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL;
	char *got, *want;

	(void)state;
	assert_int_equal(test_tmpdir(dir, sizeof(dir), "rules"), 0);
	write_file(dir, "20-b.rules", "rule dup\n  body /x/\n  tag b\n");
	write_file(dir, "10-a.rules", "rule dup\n  body /y/\n  tag a\n");
	write_file(dir, "30-c.rules~", "garbage\n");
	write_file(dir, "notes.txt", "garbage\n");
	assert_int_equal(rules_load(dir, NULL, &rs, &probs), -1);
	got = problems_text(&probs);
	xasprintf(&want,
	    "%s/20-b.rules:1:6: duplicate rule name 'dup' "
	    "(first defined at 10-a.rules:1)\n",
	    dir);
	assert_string_equal(got, want);
	free(got);
	free(want);
	rules_problems_clear(&probs);

	/* Clean: 10-a runs before 20-b, so b's tag comes second. */
	write_file(dir, "20-b.rules", "rule other\n  body /x/\n  tag b\n");
	assert_int_equal(rules_load(dir, NULL, &rs, &probs), 0);
	assert_int_equal(rules_count(rs), 2);
	{
		/* A broken new set leaves the caller's set alone (reload). */
		struct rules *keep = rs, *ref;

		write_file(dir, "30-c.rules",
		    "rule broken\n  body /(/\n"
		    "  tag x\n");
		assert_int_equal(rules_load(dir, NULL, &keep, &probs), -1);
		assert_ptr_equal(keep, rs);
		assert_int_equal(probs.n, 1);
		rules_problems_clear(&probs);
		snprintf(path, sizeof(path), "%s/30-c.rules", dir);
		unlink(path);
		/* A reference outlives the owner's rules_free(). */
		ref = rules_ref(rs);
		keep = rs;
		rules_free(&keep);
		assert_null(keep);
		assert_int_equal(rules_count(ref), 2);
		rs = ref;
	}
	{
		struct msg *m = tm_new("a@b.example", "s", "x y");
		struct verdict v;

		verdict_init(&v);
		rules_classify(rs, m, NULL, &v);
		assert_int_equal(v.n_tags, 2);
		assert_string_equal(v.tags[0], "a");
		assert_string_equal(v.tags[1], "b");
		assert_string_equal(v.hits[0].file, "10-a.rules");
		verdict_clear(&v);
		tm_free(&m);
	}
	rules_free(&rs);
	test_rmtree(dir);
	assert_int_equal(rules_load(dir, NULL, &rs, &probs), -1);
	assert_int_equal(probs.n, 1);
	rules_problems_clear(&probs);
}

/* ---- matcher ---- */

static struct rules *
load(const char *text, int no_prefilter)
{
	struct rules_options opts = { NULL, no_prefilter };
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL;

	if (rules_load_buffer("m.rules", text, &opts, &rs, &probs) < 0) {
		char *got = problems_text(&probs);

		print_error("%s", got);
		free(got);
		fail();
	}
	return rs;
}

static char *
tags_text(const struct verdict *v)
{
	struct buf b;

	buf_init(&b, 4096);
	for (size_t i = 0; i < v->n_tags; i++)
		buf_printf(&b, "%s%s", i > 0 ? " " : "", v->tags[i]);
	return b.data != NULL ? buf_steal(&b) : xstrdup("");
}

static char *
hits_text(const struct verdict *v)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	for (size_t i = 0; i < v->n_hits; i++)
		buf_printf(&b, "%s%s@%d %s=%s%s", i > 0 ? "; " : "",
		    v->hits[i].rule, v->hits[i].line, v->hits[i].target,
		    v->hits[i].match, v->hits[i].limit_hit ? " LIMIT" : "");
	return b.data != NULL ? buf_steal(&b) : xstrdup("");
}

static const char semantics_rules[] =
    "rule pricing\n"
    "  subject /\\b(price|quote)\\b/i\n"
    "  queue sales\n"
    "  score need +2\n"
    "  score budget +1\n"
    "  tag pricing\n"
    "rule budget\n"
    "  body /\\bbudget of \\$?(\\d+)k\\b/i\n"
    "  score budget +3\n"
    "  tag budget:$1\n"
    "rule ee\n"
    "  any\n"
    "    body /\\b(SAML|LDAP)\\b/i\n"
    "    subject /enterprise/i\n"
    "  end\n"
    "  not from /@example\\.com$/\n"
    "  tag ee-lead\n"
    "  priority high\n"
    "rule competitor\n"
    "  body /\\b(GitHub|Bit Bucket)\\b/i\n"
    "  tag competitor:$1\n"
    "rule support\n"
    "  body /\\b(error|stack trace)\\b/i\n"
    "  queue support\n"
    "rule auto\n"
    "  header Auto-Submitted /^auto-(replied|generated)/i\n"
    "  ignore \"auto-reply\"\n"
    "  stop\n"
    "rule after-stop\n"
    "  body /^y$/\n"
    "  tag seen-everything\n"
    "rule list-to\n"
    "  to /^list@/\n"
    "  tag to-list\n"
    "rule many-received\n"
    "  header Received /by mx2/\n"
    "  tag via-mx2\n"
    "rule pdf\n"
    "  attachment /\\.pdf$/i\n"
    "  tag has-pdf\n"
    "rule in-sales\n"
    "  mailbox /^sales$/\n"
    "  tag arrived-sales\n"
    "rule cap-any\n"
    "  any\n"
    "    cc /^(\\w+)@/\n"
    "    header X-Kind /^(\\w+)-(\\w+)$/\n"
    "  end\n"
    "  tag via:$1\n";

struct sem_case {
	const char *from, *subject, *body;
	const char *to;	    /* comma-separated, or NULL */
	const char *header; /* "Name: value" lines joined by \n, or NULL */
	const char *attachment;
	const char *mailbox;
	/* expected */
	const char *queue; /* NULL: none */
	const char *prio;  /* NULL: unset */
	const char *tags;
	int scores[DIM_COUNT];
	const char *ignore;
	const char *hits;
};

static void
apply_case_extras(struct msg *m, const struct sem_case *c)
{
	if (c->to != NULL)
		tm_parse_addrs(&m->to, c->to);
	if (c->header != NULL) {
		char *copy = xstrdup(c->header), *save = NULL, *line;

		for (line = strtok_r(copy, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			char *colon = strchr(line, ':');

			*colon = '\0';
			tm_header_add(m, line, colon + 2);
		}
		free(copy);
	}
	if (c->attachment != NULL)
		tm_attach(m, c->attachment);
}

#define S0 \
	{ \
		0 \
	}

static const struct sem_case cases[] = {
	/* nothing fires */
	{ "a@buyer.example", "hello", "nothing here", NULL, NULL, NULL, NULL,
	    NULL, NULL, "", S0, NULL, "" },
	/* scores add up; capture tag, lowercased; hits carry the match */
	{ "a@buyer.example", "Price for seats", "We have a Budget of 40k.",
	    NULL, NULL, NULL, NULL, "sales", NULL, "pricing budget:40",
	    { 4, 0, 2, 0, 0 }, NULL,
	    "pricing@1 subject=Price; budget@7 body=Budget of 40k" },
	/* any: either branch; not from holds and records an empty match */
	{ "a@buyer.example", "Enterprise plan", "text", NULL, NULL, NULL, NULL,
	    NULL, "high", "ee-lead", S0, NULL,
	    "ee@11 subject=Enterprise; ee@11 not from=" },
	{ "a@buyer.example", "hi", "we need saml", NULL, NULL, NULL, NULL, NULL,
	    "high", "ee-lead", S0, NULL, "ee@11 body=saml; ee@11 not from=" },
	/* not: the negated condition fails, the rule does not fire */
	{ "me@example.com", "Enterprise plan", "text", NULL, NULL, NULL, NULL,
	    NULL, NULL, "", S0, NULL, "" },
	/* capture with a blank inside becomes '-' */
	{ "a@buyer.example", "hi", "we moved from Bit Bucket", NULL, NULL, NULL,
	    NULL, NULL, NULL, "competitor:bit-bucket", S0, NULL,
	    "competitor@19 body=Bit Bucket" },
	/* last queue wins: pricing sets sales, support sets support */
	{ "a@buyer.example", "quote please", "we get an error", NULL, NULL,
	    NULL, NULL, "support", NULL, "pricing", { 1, 0, 2, 0, 0 }, NULL,
	    "pricing@1 subject=quote; support@22 body=error" },
	/* ignore + stop: later rules do not run */
	{ "a@buyer.example", "Out of office", "x", NULL,
	    "Auto-Submitted: auto-replied", NULL, NULL, NULL, NULL, "", S0,
	    "auto-reply", "auto@25 header Auto-Submitted=auto-replied" },
	/* without stop's rule, after-stop sees everything */
	{ "a@buyer.example", "x", "y", NULL, NULL, NULL, NULL, NULL, NULL,
	    "seen-everything", S0, NULL, "after-stop@29 body=y" },
	/* multi-valued: any To, any of repeated headers, any attachment */
	{ "a@buyer.example", "x", "", "one@x.example, list@y.example", NULL,
	    NULL, NULL, NULL, NULL, "to-list", S0, NULL,
	    "list-to@32 to=list@" },
	{ "a@buyer.example", "x", "", NULL,
	    "Received: by mx1\nReceived: by mx2", NULL, NULL, NULL, NULL,
	    "via-mx2", S0, NULL, "many-received@35 header Received=by mx2" },
	{ "a@buyer.example", "x", "", NULL, NULL, "Quote.PDF", NULL, NULL, NULL,
	    "has-pdf", S0, NULL, "pdf@38 attachment=.PDF" },
	/* mailbox comes from the context */
	{ "a@buyer.example", "x", "", NULL, NULL, NULL, "sales", NULL, NULL,
	    "arrived-sales", S0, NULL, "in-sales@41 mailbox=sales" },
	/* $1 comes from the branch of any that held */
	{ "a@buyer.example", "x", "", NULL, "X-Kind: Partner-Deal", NULL, NULL,
	    NULL, NULL, "via:partner", S0, NULL,
	    "cap-any@44 header X-Kind=Partner-Deal" },
	/* a $N tag: one tag per distinct match, the hit is the first */
	{ "a@buyer.example", "hi", "GitHub, then Bit Bucket, then github", NULL,
	    NULL, NULL, NULL, NULL, NULL,
	    "competitor:github competitor:bit-bucket", S0, NULL,
	    "competitor@19 body=GitHub" },
	/* ... at most RULES_TAG_EACH (8) of them; the score once */
	{ "a@buyer.example", "hi",
	    "budget of 1k, budget of 2k, budget of "
	    "3k, budget of 4k, budget of 5k, budget of 6k, budget of 7k, "
	    "budget of 8k, budget of 9k",
	    NULL, NULL, NULL, NULL, NULL, NULL,
	    "budget:1 budget:2 budget:3 budget:4 budget:5 budget:6 budget:7 "
	    "budget:8",
	    { 3, 0, 0, 0, 0 }, NULL, "budget@7 body=budget of 1k" },
	/* ... over every value of a multi-valued target */
	{ "a@buyer.example", "x", "", NULL,
	    "X-Kind: Partner-Deal\nX-Kind: Reseller-Deal\nX-Kind: partner-x",
	    NULL, NULL, NULL, NULL, "via:partner via:reseller", S0, NULL,
	    "cap-any@44 header X-Kind=Partner-Deal" },
};

static void
check_verdict(size_t i, const struct sem_case *c, const struct verdict *v)
{
	char *tags = tags_text(v), *hits = hits_text(v);

	if (strcmp(tags, c->tags) != 0 || strcmp(hits, c->hits) != 0)
		print_error("case %zu: tags '%s' hits '%s'\n", i, tags, hits);
	assert_string_equal(tags, c->tags);
	assert_string_equal(hits, c->hits);
	if (c->queue == NULL)
		assert_null(v->queue);
	else
		assert_string_equal(v->queue, c->queue);
	if (c->prio == NULL)
		assert_int_equal(v->priority, PRIO_UNSET);
	else
		assert_string_equal(priority_name(v->priority), c->prio);
	for (int d = 0; d < DIM_COUNT; d++)
		assert_int_equal(v->scores[d], c->scores[d]);
	if (c->ignore == NULL)
		assert_null(v->ignore);
	else
		assert_string_equal(v->ignore, c->ignore);
	free(tags);
	free(hits);
}

static void
test_semantics(void **state)
{
	(void)state;
	/* Both paths must give the same verdicts. */
	for (int pf = 0; pf < 2; pf++) {
		struct rules *rs = load(semantics_rules, pf);

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const struct sem_case *c = &cases[i];
			struct rules_ctx ctx = { .mailbox = c->mailbox };
			struct msg *m = tm_new(c->from, c->subject, c->body);
			struct verdict v;

			apply_case_extras(m, c);
			verdict_init(&v);
			rules_classify(rs, m, &ctx, &v);
			check_verdict(i, c, &v);
			verdict_clear(&v);
			tm_free(&m);
		}
		rules_free(&rs);
	}
}

/*
 * account and tier come from the context (the sender's key account, which
 * the daemon looks up in accounts.csv); no account: neither matches, so
 * `not tier /./` holds.
 */
static void
test_account_tier(void **state)
{
	static const char text[] = "rule key-account\n"
				   "  tier /^(strategic|key)$/\n"
				   "  tag key-account\n"
				   "rule acme\n"
				   "  account /^acme\\b/i\n"
				   "  tag acct:acme\n"
				   "rule no-account\n"
				   "  not tier /./\n"
				   "  tag no-account\n";
	static const struct {
		const char *account, *tier;
		const char *tags;
	} tcases[] = {
		{ NULL, NULL, "no-account" },
		{ "Acme, Inc.", "strategic", "key-account acct:acme" },
		{ "Initech", "key", "key-account" },
		{ "Acme Europe", "standard", "acct:acme" },
		{ "Acmeville", "standard", "" },
	};
	(void)state;
	for (int pf = 0; pf < 2; pf++) {
		struct rules *rs = load(text, pf);

		for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]);
		     i++) {
			struct rules_ctx ctx = { .mailbox = "sales",
				.account = tcases[i].account,
				.tier = tcases[i].tier };
			struct msg *m = tm_new("pat@acme.com", "x", "y");
			struct verdict v;
			char *tags;

			verdict_init(&v);
			rules_classify(rs, m, &ctx, &v);
			tags = tags_text(&v);
			if (strcmp(tags, tcases[i].tags) != 0)
				print_error("case %zu: tags '%s'\n", i, tags);
			assert_string_equal(tags, tcases[i].tags);
			free(tags);
			verdict_clear(&v);
			tm_free(&m);
		}
		rules_free(&rs);
	}
}

/* A catastrophic pattern on a hostile input ends as a limit hit, fast. */
/* The flag target: one value per flag the MIME parser set. */
static const char flag_rules[] =
    "rule bounce\n  flag /^bounce$/\n  tag f-bounce\n"
    "rule list\n  flag /^list$/\n  tag f-list\n"
    "rule any-auto\n  flag /^auto/\n  tag f-auto\n"
    "rule not-flagged\n  not flag /./\n  tag f-none\n";

static void
test_flag(void **state)
{
	static const struct {
		unsigned flags;
		const char *tags;
	} flag_cases[] = {
		{ 0, "f-none" },
		{ MSG_BOUNCE, "f-bounce" },
		{ MSG_LIST | MSG_AUTO_SUBMITTED, "f-list f-auto" },
		{ MSG_AUTO_SUBMITTED | MSG_BOUNCE | MSG_LIST,
		    "f-bounce f-list f-auto" },
		/* flags the rules have no word for are no value */
		{ MSG_SYNTHETIC_ID | MSG_DATE_RECEIVED, "f-none" },
	};

	(void)state;
	for (int pf = 0; pf < 2; pf++) {
		struct rules *rs = load(flag_rules, pf);

		for (size_t i = 0;
		     i < sizeof(flag_cases) / sizeof(flag_cases[0]); i++) {
			struct msg *m = tm_new("a@b.example", "s", "t");
			struct verdict v;
			char *tags;

			m->flags = flag_cases[i].flags;
			verdict_init(&v);
			rules_classify(rs, m, NULL, &v);
			tags = tags_text(&v);
			assert_string_equal(tags, flag_cases[i].tags);
			free(tags);
			verdict_clear(&v);
			tm_free(&m);
		}
		rules_free(&rs);
	}
}

static void
test_limit(void **state)
{
	static const char text[] =
	    "rule evil\n  body /(a+)+$/\n  tag evil\n"
	    "rule evil-not\n  not body /(a+)+$/\n  tag not-evil\n"
	    "rule fine\n  body /b$/\n  tag fine\n";
	struct timespec t0, t1;
	char *body = xmalloc(100002);
	struct msg *m;
	struct verdict v;
	double secs;

	(void)state;
	memset(body, 'a', 100000);
	body[100000] = 'b';
	body[100001] = '\0';
	m = tm_new("x@y.example", "s", body);
	for (int pf = 0; pf < 2; pf++) {
		struct rules *rs = load(text, pf);
		char *hits;

		verdict_init(&v);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rules_classify(rs, m, NULL, &v);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) +
		       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		hits = hits_text(&v);
		/* Both patterns end at the limit (no literal for the
		   prefilter to rule them out), and neither rule fires: an
		   undecided condition is false, negated or not. */
		assert_string_equal(hits,
		    "evil@1 body= LIMIT; "
		    "evil-not@4 not body= LIMIT; fine@7 body=b");
		assert_int_equal(v.n_tags, 1);
		assert_string_equal(v.tags[0], "fine");
		assert_true(secs < 0.5);
		free(hits);
		verdict_clear(&v);
		rules_free(&rs);
	}
	tm_free(&m);
	free(body);
}

/* The explainer: rules where all but one condition held. */
static void
test_explain(void **state)
{
	static const char text[] =
	    "rule two\n  subject /price/\n  body /seats/\n  tag two\n"
	    "rule one\n  subject /nomatch/\n  tag one\n"
	    "rule three\n  subject /price/\n  body /x/\n  body /y/\n"
	    "  tag three\n";
	struct rules *rs = load(text, 0);
	struct msg *m = tm_new("x@y.example", "price", "x here");
	struct rules_nears nears = { 0 };
	struct verdict v;

	(void)state;
	verdict_init(&v);
	rules_explain(rs, m, NULL, &v, &nears);
	assert_int_equal(v.n_tags, 0);
	assert_int_equal(nears.n, 2);
	assert_string_equal(nears.v[0].rule, "two");
	assert_int_equal(nears.v[0].cond_line, 3);
	assert_string_equal(nears.v[0].cond, "body /seats/");
	assert_string_equal(nears.v[1].rule, "three");
	assert_int_equal(nears.v[1].cond_line, 11);
	rules_nears_clear(&nears);
	verdict_clear(&v);
	tm_free(&m);
	rules_free(&rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_check_dir),
		cmocka_unit_test(test_semantics),
		cmocka_unit_test(test_flag),
		cmocka_unit_test(test_account_tier),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_explain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
