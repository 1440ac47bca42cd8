/*
 * html_text_may_hold(): what it answers on its own, and that it never
 * answers "no" where libxml2's text of the same HTML, as
 * reply_new_text_html reads it for mail commands, holds the character:
 * over crafted cases, seeded mutations and every HTML part of the
 * fixtures.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "html.h"
#include "mime.h"
#include "reply.h"
#include "test-common.h"
#include "xalloc.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int
may_hash(const char *html)
{
	return html_text_may_hold(html, strlen(html), '#');
}

/* Does the text of `html`, as reply_new_text_html reads it, hold c? */
static int
text_holds(const char *html, size_t len, char c)
{
	char *reply = NULL;
	struct error err = { 0 };
	int found;

	assert_int_equal(reply_new_text_html(html, len, &reply, &err), 0);
	found = strchr(reply, c) != NULL;
	free(reply);
	return found;
}

static void
assert_sound(const char *html, size_t len, const char *what)
{
	if (text_holds(html, len, '#') && !html_text_may_hold(html, len, '#'))
		fail_msg("%s: the text holds '#' but the scan said no", what);
}

/* Where '#' is markup, not text: the answer is no. */
static void
test_markup_only(void **state)
{
	static const char *const cases[] = {
		"<p>hello</p>",
		"<p style=\"color:#ff0000\">red</p>",
		"<font color=#1F497D>unquoted</font>",
		"<a href='https://example.com/#top'>link</a>",
		"<p title=\"a>#b\">quoted</p>",
		"<!-- #claim -->hi",
		"<html><body>&nbsp;&#160;&amp;&lt;x</body>",
		"a &lt; b",
		"<title>Re: offer</title><p>hi</p>",
		"",
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		if (may_hash(cases[i]))
			fail_msg("said yes for %s", cases[i]);
		assert_sound(cases[i], strlen(cases[i]), cases[i]);
	}
}

/*
 * Where '#' is text, or script or style content: the answer is yes.
 * Then the inputs where a hand-written scan once went wrong (found by
 * mutating the fixtures): whatever libxml2 makes of them, the answer
 * agrees with reply-html's text.
 */
static void
test_text(void **state)
{
	static const char *const yes[] = {
		"<p>#claim</p>",
		"<div>hi</div>\n#route support",
		"&#35;claim",
		"&#x23;claim",
		"&#0035;claim",
		"a < b #x",
		"<script>var a = \"#claim\";</script>hi",
		"<style>#x { color: #fff }</style><p>hi</p>",
		"<div><script></div>#close</script>",
		"<!-- a --!>#cmd -->",
	};
	static const char *const tricky[] = {
		"</#cmd>",
		"</ #cmd>",
		"<!foo #cmd>",
		"<?#cmd>",
		"<? #cmd>",
		"<!DOCTYPE html PUBLIC \"><script\">#close",
		"<script-x>#cmd",
		"<style:x>#cmd",
		"<script/>#cmd",
		"<a =\">#cmd\">",
		"<a b==\">#cmd\">",
		"<a\"=\">#cmd\">",
		"<a b= c=\"x>#cmd\">",
		"</p a=\">#cmd\">",
		"<!-->#cmd-->",
		"<!--->#cmd-->",
		"<body><style></body>#close",
		"<textarea><b #x></textarea>",
		"<p class=\"x>#claim",
		"<!-- never closed #claim",
		"<![CDATA[#claim]]>",
		"<plaintext><b>x</b>",
		"<b\x01 #cmd>",
		"<v e=\"><!--\">#-->",
		"3<!DOCTYPE></b#>",
		"&num;claim",
		"&unknown;#",
	};

	(void)state;
	for (size_t i = 0; i < NELEM(yes); i++) {
		if (!may_hash(yes[i]))
			fail_msg("said no for %s", yes[i]);
	}
	for (size_t i = 0; i < NELEM(tricky); i++)
		assert_sound(tricky[i], strlen(tricky[i]), tricky[i]);
}

/*
 * Mutations of the fixtures' HTML with the tokens where parsers part
 * ways, from a fixed seed: wherever libxml2's text (as reply-html reads
 * it) holds a '#', the scan must say so.
 */
static const char *const tokens[] = {
	"<",
	">",
	"</",
	"<!--",
	"-->",
	"--!>",
	"<!-->",
	"<!--->",
	"<!",
	"<?",
	"\"",
	"'",
	"=",
	"&",
	"&#",
	"&#35;",
	"&num;",
	"#",
	"#close\n",
	"<script>",
	"</script>",
	"<script/>",
	"<style>",
	"</style>",
	"<title>",
	"</title>",
	"<textarea>",
	"<xmp>",
	"<![CDATA[",
	"]]>",
	"<p>",
	"</p>",
	"<div class=\"gmail_quote\">",
	"</div>",
	"<br>",
	"<blockquote>",
	"</blockquote>",
	"<a href=\"",
	"\">",
	"<a b=",
	"<!DOCTYPE html>",
	"<noscript>",
	"<template>",
	"<pre>",
	"<x-y>",
	"</ x>",
	"</#",
	"\n",
	" ",
	"/",
	"\x01",
};

static char *
mutate(const char *seed, unsigned *rng)
{
	size_t n = strlen(seed), cap = n + 64 * 16 + 1;
	char *o = xmalloc(cap);
	int k;

	memcpy(o, seed, n + 1);
	*rng = *rng * 1103515245u + 12345u;
	k = 1 + (int)(*rng >> 16) % 6;
	for (int i = 0; i < k; i++) {
		const char *t;
		size_t pos, tl;

		*rng = *rng * 1103515245u + 12345u;
		pos = n > 0 ? (*rng >> 8) % (n + 1) : 0;
		*rng = *rng * 1103515245u + 12345u;
		t = tokens[(*rng >> 16) % NELEM(tokens)];
		tl = strlen(t);
		memmove(o + pos + tl, o + pos, n - pos + 1);
		memcpy(o + pos, t, tl);
		n += tl;
	}
	return o;
}

static void
test_mutations_sound(void **state)
{
	static const char *const seeds[] = {
		"<html><head><style>p{margin:0}</style></head><body><div>Thanks,"
		" we will look.<br>Bob</div><div class=\"gmail_quote\">On Mon"
		" Pat wrote:<blockquote>Hello</blockquote></div></body></html>",
		"<p>Done.</p><p>Regards</p>",
		"<div dir=\"ltr\">ok<div><br></div></div>",
	};
	unsigned rng = 7;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		char *h = mutate(seeds[i % NELEM(seeds)], &rng);

		assert_sound(h, strlen(h), h);
		free(h);
	}
}

/* Any other character works the same way. */
static void
test_other_char(void **state)
{
	(void)state;
	assert_true(html_text_may_hold("<p>50%</p>", 10, '%'));
	assert_false(html_text_may_hold("<p width=50%>x</p>", 18, '%'));
	assert_true(html_text_may_hold("&#37;", 5, '%'));
	assert_false(html_text_may_hold("&#35;", 5, '%'));
}

/* Every HTML part of every fixture message: the scan is sound. */
static void
test_fixtures_sound(void **state)
{
	static const char *const dirs[] = { "mime", "reply", "mailcmd" };
	const char *root = getenv("TRIAGE_FIXTURES");
	struct mime_limits lim;
	size_t checked = 0;

	(void)state;
	if (root == NULL)
		root = "tests/fixtures";
	mime_init();
	mime_limits_default(&lim);
	for (size_t i = 0; i < NELEM(dirs); i++) {
		char *dir;
		DIR *d;
		struct dirent *de;

		xasprintf(&dir, "%s/%s", root, dirs[i]);
		d = opendir(dir);
		if (d == NULL)
			fail_msg("cannot open %s", dir);
		while ((de = readdir(d)) != NULL) {
			struct error err = { 0 };
			struct msg *m = NULL;
			char *path, *raw;
			size_t len;

			if (strstr(de->d_name, ".eml") == NULL)
				continue;
			xasprintf(&path, "%s/%s", dir, de->d_name);
			raw = test_read(path, &len);
			assert_int_equal(
			    mime_parse(raw, len, &lim, 1700000000, &m, &err),
			    0);
			if (m->html != NULL && m->html[0] != '\0') {
				assert_sound(m->html, strlen(m->html), path);
				checked++;
			}
			msg_free(&m);
			free(raw);
			free(path);
		}
		closedir(d);
		free(dir);
	}
	assert_true(checked >= 10);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markup_only),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_other_char),
		cmocka_unit_test(test_mutations_sound),
		cmocka_unit_test(test_fixtures_sound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
