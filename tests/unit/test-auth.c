/*
 * Who may command: team membership by addr-spec only, and the trusted
 * host's Authentication-Results.  Every case that must be refused is
 * one an attacker can produce by writing headers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "conf.h"
#include "mime.h"

#define MAX_HEADERS 8

struct auth_case {
	const char *name;
	const char *from_name;		  /* display name */
	const char *from_addr;		  /* addr-spec as mime_parse gives it */
	const char *headers[MAX_HEADERS]; /* "Name: value", top first */
	const char *trusted;		  /* NULL: not required */
	int allowed;
	const char *reason; /* substring of the reason */
};

static const char *const team[] = {
	"alice@example.com",
	"Maria@Example.com",
};

static const struct auth_case cases[] = {
	{ "team member, no trust required", "Alice", "alice@example.com",
	    { "From: Alice <alice@example.com>" }, NULL, 1,
	    "team member alice@example.com" },
	{ "case-insensitive address", "", "maria@example.com",
	    { "From: MARIA@EXAMPLE.COM" }, NULL, 1, "Maria@Example.com" },
	{ "non-team sender", "Mallory", "mallory@evil.test",
	    { "From: Mallory <mallory@evil.test>" }, NULL, 0,
	    "sender mallory@evil.test is not in team" },
	{ "team address in the display name only", "alice@example.com",
	    "mallory@evil.test",
	    { "From: \"alice@example.com\" <mallory@evil.test>" }, NULL, 0,
	    "not in team" },
	{ "team domain look-alike", "", "alice@example.com.evil.test",
	    { "From: alice@example.com.evil.test" }, NULL, 0, "not in team" },
	{ "two From headers", "", "alice@example.com",
	    { "From: alice@example.com", "From: mallory@evil.test" }, NULL, 0,
	    "2 From headers" },
	{ "two addresses in From", "", "alice@example.com",
	    { "From: alice@example.com, mallory@evil.test" }, NULL, 0,
	    "more than one address" },
	{ "quoted @ in display name is one address", "a@b", "alice@example.com",
	    { "From: \"a@b (x)\" <alice@example.com>" }, NULL, 1,
	    "team member" },
	{ "no address", "", "", { "From: undisclosed" }, NULL, 0,
	    "no address" },

	/* trust_authentication_results = "mx.example.com" */
	{ "dkim pass aligned", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=pass "
	      "header.d=example.com header.s=sel",
		"From: alice@example.com" },
	    "mx.example.com", 1, "dkim=pass example.com by mx.example.com" },
	{ "dkim pass from a subdomain signer", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=pass (2048-bit "
	      "key; unprotected) header.d=mail.example.com" },
	    "mx.example.com", 1, "dkim=pass" },
	{ "dkim pass via header.i", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=pass "
	      "header.i=@example.com" },
	    "mx.example.com", 1, "dkim=pass" },
	{ "spf pass aligned", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; spf=pass "
	      "smtp.mailfrom=alice@example.com" },
	    "mx.example.com", 1, "spf=pass" },
	{ "dmarc pass", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=fail; spf=fail; "
	      "dmarc=pass header.from=example.com" },
	    "mx.example.com", 1, "dmarc=pass" },
	{ "authserv-id case and version", "", "alice@example.com",
	    { "Authentication-Results: MX.Example.COM 1; DKIM = Pass "
	      "header.d=\"example.com\"" },
	    "mx.example.com", 1, "dkim=pass" },
	{ "missing Authentication-Results", "", "alice@example.com",
	    { "From: alice@example.com" }, "mx.example.com", 0,
	    "no Authentication-Results header from mx.example.com" },
	{ "forged header from an untrusted host", "", "alice@example.com",
	    { "Authentication-Results: mx.evil.test; dkim=pass "
	      "header.d=example.com; dmarc=pass" },
	    "mx.example.com", 0,
	    "no Authentication-Results header from mx.example.com" },
	{ "host name as a prefix is not the host", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com.evil.test; dkim=pass "
	      "header.d=example.com" },
	    "mx.example.com", 0, "no Authentication-Results header" },
	{ "forged trusted-host header below the real one", "",
	    "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=none; spf=softfail "
	      "smtp.mailfrom=evil.test; dmarc=fail header.from=example.com",
		"Received: from evil.test by mx.example.com",
		"Authentication-Results: mx.example.com; dkim=pass "
		"header.d=example.com; dmarc=pass" },
	    "mx.example.com", 0,
	    "dkim=none spf=softfail(evil.test) dmarc=fail(example.com)" },
	{ "other hosts' headers above are skipped", "", "alice@example.com",
	    { "Authentication-Results: lmtp.internal; none",
		"Authentication-Results: mx.example.com; dkim=pass "
		"header.d=example.com",
		"Authentication-Results: mx.example.com; dkim=fail" },
	    "mx.example.com", 1, "dkim=pass" },
	{ "dkim pass for another domain", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=pass "
	      "header.d=evil.test" },
	    "mx.example.com", 0, "dkim=pass(evil.test)" },
	{ "dkim pass for a bare TLD", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=pass header.d=com" },
	    "mx.example.com", 0, "no aligned" },
	{ "dkim pass for a look-alike suffix", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=pass "
	      "header.d=badexample.com" },
	    "mx.example.com", 0, "no aligned" },
	{ "dkim pass without a domain", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=pass" },
	    "mx.example.com", 0, "no aligned" },
	{ "spf pass for another domain", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; spf=pass "
	      "smtp.mailfrom=bounce@evil.test" },
	    "mx.example.com", 0, "no aligned" },
	{ "dmarc pass for another From", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dmarc=pass "
	      "header.from=evil.test" },
	    "mx.example.com", 0, "no aligned" },
	{ "pass hidden in a comment", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=fail (dkim=pass "
	      "header.d=example.com) header.d=example.com" },
	    "mx.example.com", 0, "dkim=fail(example.com)" },
	{ "pass hidden in a quoted string", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; dkim=fail "
	      "reason=\"x; dkim=pass header.d=example.com\"" },
	    "mx.example.com", 0, "no aligned" },
	{ "none", "", "alice@example.com",
	    { "Authentication-Results: mx.example.com; none" },
	    "mx.example.com", 0, "(none)" },
	{ "non-team sender with a real pass", "", "mallory@evil.test",
	    { "Authentication-Results: mx.example.com; dkim=pass "
	      "header.d=evil.test" },
	    "mx.example.com", 0, "not in team" },
	{ "empty trusted host means not required", "", "alice@example.com",
	    { "From: alice@example.com" }, "", 1, "team member" },
};

static void
build(const struct auth_case *c, struct msg *m, struct msg_header *h,
    char (*names)[64], char (*values)[512])
{
	memset(m, 0, sizeof(*m));
	m->from.name = (char *)c->from_name;
	m->from.addr = (char *)c->from_addr;
	m->headers = h;
	for (size_t i = 0; i < MAX_HEADERS && c->headers[i] != NULL; i++) {
		const char *colon = strchr(c->headers[i], ':');

		snprintf(names[i], 64, "%.*s", (int)(colon - c->headers[i]),
		    c->headers[i]);
		snprintf(values[i], 512, "%s", colon + 2);
		h[i].name = names[i];
		h[i].value = values[i];
		m->n_headers++;
	}
}

static void
test_cases(void **state)
{
	struct msg_header h[MAX_HEADERS];
	char names[MAX_HEADERS][64], values[MAX_HEADERS][512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct auth_decision d;
		struct msg m;
		int r;

		build(&cases[i], &m, h, names, values);
		r = auth_check(&m, team, 2, cases[i].trusted, &d);
		if (r != cases[i].allowed || d.allowed != cases[i].allowed ||
		    strstr(d.reason, cases[i].reason) == NULL)
			fail_msg("%s: got %d \"%s\"", cases[i].name, r,
			    d.reason);
		if (r == 1)
			assert_non_null(d.member);
		else
			assert_null(d.member);
	}
}

/*
 * The same decisions on whole messages parsed by mime_parse, with
 * trust_authentication_results = "mx.example.com".  Each carries
 * "#claim" and "#route support" in its new text.
 */
static const struct {
	const char *file;
	int allowed;
	const char *reason;
} eml_cases[] = {
	{ "auth-01-team-pass.eml", 1, "dmarc=pass example.com by mx" },
	{ "auth-02-non-team.eml", 0,
	    "sender mallory@evil.test is not in team" },
	{ "auth-03-display-name-spoof.eml", 0,
	    "sender mallory@evil.test is not in team" },
	{ "auth-04-forged-untrusted-host.eml", 0,
	    "no Authentication-Results header from mx.example.com" },
	{ "auth-05-missing.eml", 0,
	    "no Authentication-Results header from mx.example.com" },
	{ "auth-06-forged-below-real.eml", 0, "dkim=none spf=fail(evil.test)" },
	{ "auth-07-encoded-display-name.eml", 0,
	    "sender mallory@evil.test is not in team" },
};

static void
test_eml(void **state)
{
	const char *dir = getenv("TRIAGE_FIXTURES");
	struct mime_limits lim;

	(void)state;
	assert_non_null(dir);
	mime_init();
	mime_limits_default(&lim);
	for (size_t i = 0; i < sizeof(eml_cases) / sizeof(eml_cases[0]); i++) {
		struct auth_decision d;
		struct error err = { 0 };
		struct msg *m = NULL;
		char path[1024], raw[8192];
		size_t len;
		FILE *f;

		snprintf(path, sizeof(path), "%s/reply/%s", dir,
		    eml_cases[i].file);
		f = fopen(path, "rb");
		if (f == NULL)
			fail_msg("%s: cannot read", path);
		len = fread(raw, 1, sizeof(raw), f);
		fclose(f);
		assert_int_equal(mime_parse(raw, len, &lim, 0, &m, &err), 0);
		auth_check(m, team, 2, "mx.example.com", &d);
		if (d.allowed != eml_cases[i].allowed ||
		    strstr(d.reason, eml_cases[i].reason) == NULL)
			fail_msg("%s: got %d \"%s\"", eml_cases[i].file,
			    d.allowed, d.reason);
		msg_free(&m);
	}
	mime_shutdown();
}

static void
test_conf(void **state)
{
	struct conf_member members[1] = { { .address =
						(char *)"alice@example.com" } };
	struct conf c;
	struct msg m;
	struct auth_decision d;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&m, 0, sizeof(m));
	c.team = members;
	c.n_team = 1;
	m.from.name = (char *)"";
	m.from.addr = (char *)"alice@example.com";
	assert_int_equal(auth_check_conf(&m, &c, &d), 1);
	assert_ptr_equal(d.member, members[0].address);
	c.trust_authentication_results = (char *)"mx.example.com";
	assert_int_equal(auth_check_conf(&m, &c, &d), 0);
	assert_int_equal(auth_check(NULL, team, 2, NULL, &d), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_eml),
		cmocka_unit_test(test_conf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
