/*
 * html_text_may_hold(): what the scan answers on its own, and that it
 * never answers "no" where libxml2's text of the same HTML, as
 * reply_new_text_html reads it for mail commands, holds the character:
 * over crafted cases and every HTML part of the fixtures.
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

/* Where '#' is markup, not text: the scan says no. */
static void
test_markup_only(void **state)
{
	static const char *const cases[] = {
		"<p>hello</p>",
		"<p style=\"color:#ff0000\">red</p>",
		"<font color=#1F497D>unquoted</font>",
		"<a href='https://example.com/#top'>link</a>",
		"<p title=\"a>#b\">a quoted '>'</p>",
		"<style>#x { color: #fff }</style><p>hi</p>",
		"<STYLE type=text/css>p{color:#000}</STYLE>hi",
		"<script>var a = \"#claim\";</script>hi",
		"<!-- #claim -->hi",
		"<!DOCTYPE html><html><body>&nbsp;&#160;&amp;&lt;x</body>",
		"a &lt; b",
		"",
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases); i++) {
		if (may_hash(cases[i]))
			fail_msg("said yes for %s", cases[i]);
		assert_sound(cases[i], strlen(cases[i]), cases[i]);
	}
}

/* Where '#' is (or may be) text: the scan says yes. */
static void
test_text(void **state)
{
	static const char *const cases[] = {
		"<p>#claim</p>",
		"<div>hi</div>\n#route support",
		"&#35;claim",
		"&#x23;claim",
		"&#35claim",
		"&num;claim",		/* HTML5 knows it */
		"&unknown;",		/* unknown here, maybe not elsewhere */
		"<title>#x</title>",
		"<textarea><b #x></textarea>",
		"a < b #x",
		"<p class=\"x>#claim",	/* quote never closed */
		"<!-- never closed #claim",
		"<![CDATA[#claim]]>",
		"<plaintext><b>x</b>",
		"<style>p{}",		/* safe, but the scan cannot tell */
	};

	(void)state;
	for (size_t i = 0; i < NELEM(cases) - 1; i++) {
		if (!may_hash(cases[i]))
			fail_msg("said no for %s", cases[i]);
		assert_sound(cases[i], strlen(cases[i]), cases[i]);
	}
	/* unterminated style: no text, and the scan may say either */
	assert_sound(cases[NELEM(cases) - 1], strlen(cases[NELEM(cases) - 1]),
	    "unterminated style");
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

static char *
slurp(const char *path, size_t *len_r)
{
	struct buf b;
	char chunk[65536];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		fail_msg("cannot open %s", path);
	buf_init(&b, 64 * 1024 * 1024);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(f);
	*len_r = b.len;
	return buf_steal(&b);
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
			raw = slurp(path, &len);
			assert_int_equal(mime_parse(raw, len, &lim, 1700000000,
			    &m, &err), 0);
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
		cmocka_unit_test(test_fixtures_sound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
