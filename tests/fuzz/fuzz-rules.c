/*
 * The rule language (lib/rules/rules-parse.c and the compiler behind
 * it).  The input is a rule file, optionally followed by a line "%%"
 * and a message to classify (a fixed one otherwise).  Every problem has
 * a position; a set that loads classifies the message the same with the
 * vectorscan prefilter as with PCRE2 alone (rules.h).
 */
#include "fuzz.h"
#include "mime.h"
#include "rules.h"

#define SEPARATOR "\n%%\n"

static const char default_msg[] =
    "From: Carol Customer <carol@customer.example>\r\n"
    "To: sales@example.com\r\n"
    "Subject: Re: [#42] Pricing for 50 seats, urgent\r\n"
    "Message-ID: <q1@customer.example>\r\n"
    "List-Id: <users.lists.example>\r\n"
    "X-Priority: 1\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Hello, what does the enterprise plan cost? Our budget is $20k and we\r\n"
    "need SSO before Q3.  The import fails with error 502.\r\n"
    "-- \r\nCarol, CTO\r\n";

static void
check_problems(const struct rules_problems *probs)
{
	FUZZ_CHECK(probs->n > 0);
	for (size_t i = 0; i < probs->n; i++) {
		FUZZ_CHECK(probs->v[i].file != NULL && probs->v[i].msg != NULL);
		FUZZ_CHECK(probs->v[i].line >= 1 && probs->v[i].col >= 1);
	}
}

static int
same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static void
check_same(const struct verdict *a, const struct verdict *b)
{
	FUZZ_CHECK(same_str(a->queue, b->queue));
	FUZZ_CHECK(a->priority == b->priority);
	FUZZ_CHECK(same_str(a->route, b->route));
	FUZZ_CHECK(same_str(a->ignore, b->ignore));
	FUZZ_CHECK(memcmp(a->scores, b->scores, sizeof(a->scores)) == 0);
	FUZZ_CHECK(a->n_tags == b->n_tags);
	for (size_t i = 0; i < a->n_tags; i++)
		FUZZ_CHECK(strcmp(a->tags[i], b->tags[i]) == 0);
	FUZZ_CHECK(a->n_hits == b->n_hits);
	for (size_t i = 0; i < a->n_hits; i++)
		FUZZ_CHECK(strcmp(a->hits[i].rule, b->hits[i].rule) == 0);
}

static void
classify(const char *text, const struct msg *m)
{
	struct rules_options plain = { .no_prefilter = 1 };
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL, *rs_plain = NULL;
	struct rules_ctx ctx = { "sales", "Customer", "key" };
	struct rules_nears nears = { 0 };
	struct verdict v, v_plain;

	if (rules_load_buffer("fuzz.rules", text, NULL, &rs, &probs) < 0) {
		check_problems(&probs);
		rules_problems_clear(&probs);
		return;
	}
	FUZZ_CHECK(rules_load_buffer("fuzz.rules", text, &plain, &rs_plain,
		       &probs) == 0);
	for (size_t i = 0; i < rules_count(rs); i++)
		FUZZ_CHECK(rules_same_rule(rs, rs_plain, rules_name(rs, i)));
	verdict_init(&v);
	verdict_init(&v_plain);
	rules_explain(rs, m, &ctx, &v, &nears);
	rules_classify(rs_plain, m, &ctx, &v_plain);
	check_same(&v, &v_plain);
	verdict_clear(&v);
	verdict_clear(&v_plain);
	rules_nears_clear(&nears);
	rules_free(&rs);
	rules_free(&rs_plain);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size);
	char *sep = strstr(text, SEPARATOR);
	const char *raw = default_msg;
	size_t raw_len = sizeof(default_msg) - 1;
	struct mime_limits lim;
	struct error err;
	struct msg *m = NULL;

	mime_init();
	if (sep != NULL) {
		*sep = '\0';
		raw = sep + strlen(SEPARATOR);
		raw_len = size - (size_t)(raw - text);
	}
	mime_limits_default(&lim);
	if (mime_parse(raw, raw_len, &lim, 1700000000, &m, &err) < 0)
		abort();
	classify(text, m);
	msg_free(&m);
	free(text);
	return 0;
}
