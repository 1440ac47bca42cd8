/*
 * Modified UTF-7 mailbox names (RFC 3501 5.1.3): known pairs both ways
 * (the RFC's own example among them), every code point class round
 * trip, and what each direction must refuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imap.h"

struct pair {
	const char *utf8, *mutf7;
};

static const struct pair pairs[] = {
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "Entr\xc3\xa9"
	  "e",
	    "Entr&AOk-e" },
	/* RFC 3501 5.1.3's example */
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
	  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	    "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },
	{ "A&B", "A&-B" },
	{ "&", "&-" },
	{ "\xe2\x82\xac", "&IKw-" },	    /* U+20AC */
	{ "\xf0\x9f\x98\x80", "&2D3eAA-" }, /* U+1F600: a surrogate pair */
	{ "\xc3\x84rger \xc3\x96", "&AMQ-rger &ANY-" }, /* two runs */
	{ "\x01", "&AAE-" }, /* a control character */
	{ "Entr\xc3\xa9"
	  "e/R\xc3\xa9ponses & Co",
	    "Entr&AOk-e/R&AOk-ponses &- Co" },
	/* a run long enough to need more output than input */
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac"
	  "\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	    "&ZeVnLIqeZeVnLIqeZeVnLIqe-" },
};

static void
test_pairs(void **state)
{
	struct error err = { 0 };
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		assert_int_equal(imap_utf7_encode(pairs[i].utf8, &out, &err),
		    0);
		assert_string_equal(out, pairs[i].mutf7);
		free(out);
		assert_int_equal(imap_utf7_decode(pairs[i].mutf7, &out, &err),
		    0);
		assert_string_equal(out, pairs[i].utf8);
		free(out);
	}
}

/* One code point as UTF-8 into buf (NUL-terminated). */
static void
utf8_of(uint32_t cp, char *buf)
{
	size_t o = 0;

	if (cp < 0x80) {
		buf[o++] = (char)cp;
	} else if (cp < 0x800) {
		buf[o++] = (char)(0xc0 | cp >> 6);
		buf[o++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		buf[o++] = (char)(0xe0 | cp >> 12);
		buf[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
		buf[o++] = (char)(0x80 | (cp & 0x3f));
	} else {
		buf[o++] = (char)(0xf0 | cp >> 18);
		buf[o++] = (char)(0x80 | (cp >> 12 & 0x3f));
		buf[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
		buf[o++] = (char)(0x80 | (cp & 0x3f));
	}
	buf[o] = '\0';
}

/*
 * Every code point (but NUL and the surrogates), alone and between two
 * others, survives encode then decode, and the encoding is pure
 * printable ASCII.
 */
static void
test_round_trip_all(void **state)
{
	struct error err = { 0 };
	char one[8], name[32], *wire, *back;

	(void)state;
	for (uint32_t cp = 1; cp <= 0x10ffff; cp += cp < 0x800 ? 1 : 7) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		utf8_of(cp, one);
		snprintf(name, sizeof(name), "a%s%s&", one, one);
		assert_int_equal(imap_utf7_encode(name, &wire, &err), 0);
		for (const char *p = wire; *p != '\0'; p++)
			assert_true(*p >= 0x20 && *p <= 0x7e);
		assert_int_equal(imap_utf7_decode(wire, &back, &err), 0);
		assert_string_equal(back, name);
		free(wire);
		free(back);
	}
}

static void
test_encode_refuses(void **state)
{
	static const char *bad[] = {
		"\xc3",		    /* cut short */
		"a\x80z",	    /* a lone continuation byte */
		"\xc0\xaf",	    /* overlong "/" */
		"\xed\xa0\x80",	    /* a surrogate, U+D800 */
		"\xf4\x90\x80\x80", /* past U+10FFFF */
		"\xff",
	};
	struct error err = { 0 };
	char *out = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(imap_utf7_encode(bad[i], &out, &err), -1);
		assert_int_equal(err.code, ERR_CONF);
		assert_non_null(strstr(err.msg, "not valid UTF-8"));
		assert_null(out);
	}
}

static void
test_decode_refuses(void **state)
{
	static const char *bad[] = {
		"&",	  /* unterminated */
		"&AOk",	  /* unterminated run */
		"&AO!-",  /* not base64 */
		"&AOk/-", /* "/" is "," here */
		"&AE-",	  /* not a whole UTF-16 unit */
		"&AOl-",  /* non-zero bits left over */
		"&AGE-",  /* "a" must be itself */
		"&2D0-",  /* a lone high surrogate */
		"&3gA-",  /* a lone low surrogate */
		"Entr\xc3\xa9"
		"e",	/* raw 8-bit */
		"a\tb", /* a control character as itself */
	};
	struct error err = { 0 };
	char *out = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(imap_utf7_decode(bad[i], &out, &err), -1);
		assert_int_equal(err.code, ERR_BOX);
		assert_null(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_round_trip_all),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_decode_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
