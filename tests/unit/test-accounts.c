/* accounts.csv parsing and domain lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accounts.h"

static struct accounts *
load_fixture(void)
{
	struct accounts_errors errs = { 0 };
	struct accounts *a = NULL;
	char *path;
	const char *dir = getenv("TRIAGE_FIXTURES");

	assert_non_null(dir);
	assert_true(asprintf(&path, "%s/report/accounts.csv", dir) > 0);
	if (accounts_load(path, &a, &errs) < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		fail();
	}
	accounts_errors_clear(&errs);
	free(path);
	return a;
}

static void
test_fixture_rows(void **state)
{
	struct accounts *a = load_fixture();
	static const struct {
		const char *domain, *name, *owner;
		enum account_tier tier;
		int line;
	} want[] = {
		/* sorted by domain */
		{ "acme.com", "Acme, Inc.", "alice", TIER_STRATEGIC, 3 },
		{ "buyer.example", "Buyer Example", "bob", TIER_KEY, 4 },
		{ "eu.acme.com", "Acme Europe", NULL, TIER_STANDARD, 7 },
		{ "initech.io", "Initech", "maria@example.com", TIER_KEY, 9 },
	};

	assert_int_equal(accounts_count(a), 4);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct account *acc = accounts_get(a, i);

		assert_string_equal(acc->domain, want[i].domain);
		assert_string_equal(acc->name, want[i].name);
		if (want[i].owner == NULL)
			assert_null(acc->owner);
		else
			assert_string_equal(acc->owner, want[i].owner);
		assert_int_equal(acc->tier, want[i].tier);
		assert_int_equal(acc->line, want[i].line);
	}
	accounts_free(&a);
	assert_null(a);
	accounts_free(&a);
}

static void
test_lookup(void **state)
{
	struct accounts *a = load_fixture();
	static const struct {
		const char *query;
		const char *want; /* account domain, NULL: no match */
	} cases[] = {
		{ "acme.com", "acme.com" },
		{ "ACME.COM", "acme.com" },
		{ "mail.sub.acme.com", "acme.com" },
		{ "eu.acme.com", "eu.acme.com" },
		{ "mx.eu.acme.com", "eu.acme.com" },
		{ "us.acme.com", "acme.com" },
		{ "notacme.com", NULL },
		{ "acme.com.evil.org", NULL },
		{ "xacme.com", NULL },
		{ "com", NULL },
		{ "", NULL },
		{ "buyer.example", "buyer.example" },
		{ "initech.io", "initech.io" },
		{ "sub.initech.io", "initech.io" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct account *acc = accounts_lookup(a, cases[i].query);

		if (cases[i].want == NULL) {
			if (acc != NULL)
				fail_msg("%s matched %s", cases[i].query,
				    acc->domain);
		} else {
			if (acc == NULL)
				fail_msg("%s: no match", cases[i].query);
			assert_string_equal(acc->domain, cases[i].want);
		}
	}
	assert_string_equal(
	    accounts_lookup_address(a, "Pat@Mail.Acme.com")->name,
	    "Acme, Inc.");
	assert_null(accounts_lookup_address(a, "pat@notacme.com"));
	assert_null(accounts_lookup_address(a, "no-at-sign"));
	assert_null(accounts_lookup(NULL, "acme.com"));
	accounts_free(&a);
}

static void
test_parse_ok(void **state)
{
	static const struct {
		const char *text;
		size_t n;
		const char *first_name;
	} cases[] = {
		/* CRLF line ends and a final line without a break */
		{ "domain,account,tier,owner\r\na.com,A,key,x\r\nb.com,B,"
		  "standard,y",
		    2, "A" },
		/* quoted header, blanks around fields, extra column */
		{ "\"Domain\", Account ,TIER,owner,x\n a.com , \"A \"\"q\"\"\""
		  " ,Strategic,,1\n",
		    1, "A \"q\"" },
		/* only comments and a header: no accounts is fine */
		{ "# nothing yet\ndomain,account,tier,owner\n\n#x\n", 0, NULL },
		/* a quoted comma and a quoted line break */
		{ "domain,account,tier,owner\na.com,\"A,\nB\",key,o\n", 1,
		    "A,\nB" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct accounts_errors errs = { 0 };
		struct accounts *a = NULL;
		int r;

		r = accounts_parse("t.csv", cases[i].text,
		    strlen(cases[i].text), &a, &errs);
		if (r < 0)
			fail_msg("case %zu: %s", i, errs.v[0]);
		assert_int_equal(accounts_count(a), cases[i].n);
		if (cases[i].first_name != NULL)
			assert_string_equal(accounts_get(a, 0)->name,
			    cases[i].first_name);
		accounts_free(&a);
	}
}

static void
test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		const char *errors; /* every error, joined by '|' */
	} cases[] = {
		{ "domain,account,owner\na.com,A,o\n",
		    "t.csv:1: missing column \"tier\" in the header" },
		{ "domain,account,tier,owner,domain\n",
		    "t.csv:1: duplicate column \"domain\"" },
		{ "domain,account,tier,owner\na.com,A,key\n",
		    "t.csv:2: 3 fields, the header has 4" },
		{ "domain,account,tier,owner\n,A,key,o\n",
		    "t.csv:2: empty domain" },
		{ "domain,account,tier,owner\n\"\",A,key,o\n",
		    "t.csv:2: empty domain" },
		{ "domain,account,tier,owner\na b.com,A,key,o\n",
		    "t.csv:2: bad domain \"a b.com\"" },
		{ "domain,account,tier,owner\na.com,A,gold,o\n",
		    "t.csv:2: bad tier \"gold\" (strategic, key or standard)" },
		{ "domain,account,tier,owner\na.com,,key,o\n",
		    "t.csv:2: empty account name" },
		{ "domain,account,tier,owner\n# c\na.com,A,key,o\n\n"
		  "A.COM,B,key,o\n",
		    "t.csv:5: duplicate domain a.com (first on line 3)" },
		{ "domain,account,tier,owner\na.com,\"A\nB,key,o\n",
		    "t.csv:2: unterminated quoted field" },
		{ "domain,account,tier,owner\na.com,\"A\"x,key,o\n"
		  "b.com,B,bad,o\n",
		    "t.csv:2: text after a closing quote|"
		    "t.csv:3: bad tier \"bad\" (strategic, key or standard)" },
		{ "domain,account,tier,owner\na.com,A\"x,key,o\n",
		    "t.csv:2: quote inside an unquoted field" },
		{ "# only a comment\n",
		    "t.csv: no header row (domain,account,tier,owner)" },
		/* errors on a later line count lines inside quotes */
		{ "domain,account,tier,owner\na.com,\"x\ny\",key,o\n"
		  "b.com,B,key\n",
		    "t.csv:4: 3 fields, the header has 4" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct accounts_errors errs = { 0 };
		struct accounts *a = NULL;
		char joined[1024] = "";
		int r;

		r = accounts_parse("t.csv", cases[i].text,
		    strlen(cases[i].text), &a, &errs);
		assert_int_equal(r, -1);
		assert_null(a);
		for (size_t j = 0; j < errs.n; j++) {
			if (j > 0)
				strcat(joined, "|");
			strcat(joined, errs.v[j]);
		}
		if (strcmp(joined, cases[i].errors) != 0)
			fail_msg("case %zu: got '%s' want '%s'", i, joined,
			    cases[i].errors);
		accounts_errors_clear(&errs);
	}
}

static void
test_load_missing_file(void **state)
{
	struct accounts_errors errs = { 0 };
	struct accounts *a = NULL;

	assert_int_equal(accounts_load("/nonexistent/accounts.csv", &a, &errs),
	    -1);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.v[0], "/nonexistent/accounts.csv: "
				       "No such file or directory");
	accounts_errors_clear(&errs);
}

static void
test_tiers(void **state)
{
	static const struct {
		const char *name;
		enum account_tier tier;
		enum priority prio;
	} cases[] = {
		{ "strategic", TIER_STRATEGIC, PRIO_URGENT },
		{ "key", TIER_KEY, PRIO_HIGH },
		{ "standard", TIER_STANDARD, PRIO_NORMAL },
	};
	enum account_tier t;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(account_tier_parse(cases[i].name, &t), 0);
		assert_int_equal(t, cases[i].tier);
		assert_string_equal(account_tier_name(t), cases[i].name);
		assert_int_equal(account_tier_priority(t), cases[i].prio);
	}
	assert_int_equal(account_tier_parse("gold", &t), -1);
	assert_int_equal(account_tier_parse("", &t), -1);
}

/* The tier is a floor: a rule may raise the start, never lower it. */
static void
test_start_priority(void **state)
{
	static const enum account_tier strategic = TIER_STRATEGIC,
				       key = TIER_KEY, standard = TIER_STANDARD;
	static const struct {
		const enum account_tier *tier;
		enum priority rule, want;
	} cases[] = {
		{ &strategic, PRIO_HIGH, PRIO_URGENT }, /* SSO rule: high */
		{ &strategic, PRIO_LOW, PRIO_URGENT },
		{ &strategic, PRIO_UNSET, PRIO_URGENT },
		{ &key, PRIO_URGENT, PRIO_URGENT },
		{ &key, PRIO_NORMAL, PRIO_HIGH },
		{ &key, PRIO_UNSET, PRIO_HIGH },
		{ &standard, PRIO_LOW, PRIO_NORMAL },
		{ &standard, PRIO_HIGH, PRIO_HIGH },
		{ NULL, PRIO_LOW, PRIO_LOW },
		{ NULL, PRIO_UNSET, PRIO_NORMAL },
		{ NULL, PRIO_URGENT, PRIO_URGENT },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (account_start_priority(cases[i].tier, cases[i].rule) !=
		    cases[i].want)
			fail_msg("case %zu: got %s, want %s", i,
			    priority_name(account_start_priority(cases[i].tier,
				cases[i].rule)),
			    priority_name(cases[i].want));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_rows),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_tiers),
		cmocka_unit_test(test_start_priority),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
