/*
 * mime_parse() and html_to_text() over the fixtures in tests/fixtures/mime
 * and over messages built here (the big ones are generated at run time).
 * Every record is checked for the invariants of mime.h: no NULL strings,
 * valid UTF-8 everywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "buf.h"
#include "html.h"
#include "mime.h"
#include "test-common.h"
#include "xalloc.h"

#define RECEIVED ((time_t)1700000000)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
assert_utf8(const char *s)
{
	assert_non_null(s);
	if (!g_utf8_validate(s, -1, NULL))
		fail_msg("invalid UTF-8: %s", s);
}

/* Single-line fields: valid UTF-8 and no control characters. */
static void
assert_line(const char *s)
{
	assert_utf8(s);
	for (const char *p = s; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			fail_msg("control character in \"%s\"", s);
	}
}

static void
assert_addrs_valid(const struct msg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		assert_line(a->v[i].name);
		assert_line(a->v[i].addr);
	}
}

/* The record invariants of mime.h, for any input. */
static void
assert_record_valid(const struct msg *m)
{
	assert_line(m->message_id);
	assert_true(m->message_id[0] != '\0');
	assert_line(m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++)
		assert_line(m->references[i]);
	assert_line(m->subject);
	assert_line(m->from.name);
	assert_line(m->from.addr);
	assert_line(m->from_domain);
	assert_addrs_valid(&m->sender);
	assert_addrs_valid(&m->reply_to);
	assert_addrs_valid(&m->to);
	assert_addrs_valid(&m->cc);
	for (size_t i = 0; i < m->n_headers; i++) {
		assert_line(m->headers[i].name);
		assert_line(m->headers[i].value);
	}
	assert_utf8(m->text);
	assert_utf8(m->forwarded);
	assert_utf8(m->html);
	for (size_t i = 0; i < m->n_attachments; i++) {
		assert_line(m->attachments[i].filename);
		assert_line(m->attachments[i].content_type);
	}
	for (size_t i = 0; i < m->n_problems; i++)
		assert_line(m->problems[i]);
}

static struct msg *
parse_lim(const char *raw, size_t len, const struct mime_limits *lim)
{
	struct error err = { 0 };
	struct msg *m = NULL;

	assert_int_equal(mime_parse(raw, len, lim, RECEIVED, &m, &err), 0);
	assert_non_null(m);
	assert_int_equal(m->raw_size, len);
	assert_record_valid(m);
	return m;
}

static struct msg *
parse_mem(const char *raw, size_t len)
{
	return parse_lim(raw, len, NULL);
}

static struct msg *
parse_file(const char *name)
{
	size_t len;
	char *raw = test_fixture("mime", name, &len);
	struct msg *m = parse_mem(raw, len);

	free(raw);
	return m;
}

static int
has_problem(const struct msg *m, const char *needle)
{
	for (size_t i = 0; i < m->n_problems; i++) {
		if (strstr(m->problems[i], needle) != NULL)
			return 1;
	}
	return 0;
}

static void
test_charsets(void **state)
{
	static const struct {
		const char *file;
		const char *text;
		const char *problem; /* NULL: none at all */
	} cases[] = {
		{ "charset-iso-8859-1.eml", "Grüße aus Köln, café", NULL },
		{ "charset-iso-8859-2.eml", "Zażółć gęślą jaźń", NULL },
		{ "charset-iso-8859-5.eml", "Привет, мир", NULL },
		{ "charset-iso-8859-7.eml", "Καλημέρα κόσμε", NULL },
		{ "charset-iso-8859-15.eml", "Prix: 10 € œuvre", NULL },
		{ "charset-windows-1250.eml", "Příliš žluťoučký kůň", NULL },
		{ "charset-windows-1251.eml", "Здравствуйте, коллеги", NULL },
		{ "charset-windows-1252.eml", "“Smart quotes” – and € sign",
		    NULL },
		{ "charset-shift_jis.eml", "こんにちは、世界", NULL },
		{ "charset-gb2312.eml", "你好，世界", NULL },
		{ "charset-gbk.eml", "欢迎光临，镕", NULL },
		{ "charset-koi8-r.eml", "Добрый день", NULL },
		{ "charset-utf-16.eml", "Hello wörld", NULL },
		{ "charset-utf-16le.eml", "Ünïcödé", NULL },
		{ "charset-big5.eml", "繁體中文", NULL },
		{ "charset-ks_c_5601-1987.eml", "안녕하세요", NULL },
		{ "charset-iso-2022-jp.eml", "日本語のメール", NULL },
		/* NEC row 13 and the IBM extension rows, as CP50221 reads
		   them (glibc's ISO-2022-JP has them not) */
		{ "charset-iso-2022-jp-nec.eml",
		    "お見積りの件：①②③ ㈱アクメ №１ ⅰⅱ 髙﨑", NULL },
		{ "charset-undeclared-8bit.eml", "Déjà vu café",
		    "undeclared 8-bit text read as windows-1252" },
		{ "charset-ascii-is-utf8.eml", "naïve résumé", NULL },
		{ "charset-latin1-is-utf8.eml", "Grüße",
		    "declared \"iso-8859-1\" is UTF-8" },
		{ "charset-utf8-is-1252.eml", "café crème",
		    "read as windows-1252" },
		{ "charset-unknown.eml", "plain ümlaut", "x-klingon" },
		/* HTML without a charset parameter: its <meta> decides. */
		{ "html-meta-charset.eml", "Цена лицензии?", NULL },
		{ "nul-bytes.eml",
		    "before\xef\xbf\xbd"
		    "after",
		    "replaced by U+FFFD" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg *m = parse_file(cases[i].file);

		if (strcmp(m->text, cases[i].text) != 0)
			fail_msg("%s: text \"%s\", want \"%s\"", cases[i].file,
			    m->text, cases[i].text);
		if (cases[i].problem == NULL && m->n_problems != 0)
			fail_msg("%s: unexpected problem %s", cases[i].file,
			    m->problems[0]);
		if (cases[i].problem != NULL &&
		    !has_problem(m, cases[i].problem))
			fail_msg("%s: no problem \"%s\"", cases[i].file,
			    cases[i].problem);
		msg_free(&m);
		assert_null(m);
	}
}

static struct msg *
parse_with_header(const char *name, const char *value)
{
	char *raw;
	struct msg *m;

	xasprintf(&raw,
	    "From: a@example.com\nMessage-ID: <h@example.com>\n"
	    "Date: Mon, 9 Nov 2026 10:00:00 +0000\n%s: %s\n\nbody\n",
	    name, value);
	m = parse_mem(raw, strlen(raw));
	free(raw);
	return m;
}

static void
test_subjects(void **state)
{
	static const struct {
		const char *raw;
		const char *want;
	} cases[] = {
		{ "plain ascii", "plain ascii" },
		{ "=?UTF-8?B?SGVsbG8gd8O2cmxk?=", "Hello wörld" },
		{ "=?iso-8859-1?q?Gr=FC=DFe?= aus =?iso-8859-1?q?K=F6ln?=",
		    "Grüße aus Köln" },
		/* Adjacent encoded words join without the space between. */
		{ "=?utf-8?q?ab?= =?utf-8?q?cd?=", "abcd" },
		/* A UTF-8 character split across two encoded words. */
		{ "=?utf-8?b?w6nD?= =?utf-8?b?qQ==?=", "éé" },
		{ "=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "é" },
		/* Sloppy: a space inside an encoded word (Outlook, mobile). */
		{ "=?utf-8?q?hello world?=", "hello world" },
		/* Sloppy: an encoded word glued to a word. */
		{ "Re:=?utf-8?q?=C3=A9t=C3=A9?=", "Re:été" },
		/* Sloppy: lowercase encoding, charset with language. */
		{ "=?UTF-8*en?q?caf=C3=A9?=", "café" },
		{ "=?gb2312?B?xOO6ww==?=", "你好" },
		{ "=?koi8-r?b?8NLJ18XU?=", "Привет" },
		{ "=?windows-1252?q?=93Quote=94?=", "“Quote”" },
		{ "=?shift_jis?B?g2WDWINn?=", "テスト" },
		{ "=?iso-2022-jp?B?GyRCJUYlOSVIGyhC?=", "テスト" },
		/* Raw 8-bit UTF-8 and raw 8-bit Latin-1 in the header. */
		{ "Gr\xc3\xbc\xc3\x9f"
		  "e",
		    "Grüße" },
		{ "Gr\xfc\xdf"
		  "e",
		    "Grüße" },
		/* An encoded newline does not break the line. */
		{ "=?iso-2022-jp?b?GyRCJUYlOSVIGyhCCg=?=", "テスト" },
		{ "=?utf-8?q?a=0D=0Ab=09c?=", "a b c" },
		/* An unknown charset must not produce invalid UTF-8. */
		{ "=?x-unknown?q?abc=FF?=", NULL },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg *m = parse_with_header("Subject", cases[i].raw);

		if (cases[i].want != NULL &&
		    strcmp(m->subject, cases[i].want) != 0)
			fail_msg("subject %zu: \"%s\", want \"%s\"", i,
			    m->subject, cases[i].want);
		assert_string_equal(msg_header(m, "SUBJECT"), m->subject);
		msg_free(&m);
	}
}

/*
 * Encoded words the way mime-header.c decodes them, one case per shape:
 * GMime 3.2.13 stops at the '=' padding of a base64 word followed by
 * another of the same charset (jstedfast/gmime issue 133).
 */
static void
test_encoded_words(void **state)
{
	static const struct {
		const char *raw;
		const char *want;
	} cases[] = {
		/* B words, the first padded: nothing after it may be lost. */
		{ "=?UTF-8?B?UHJlaXNhbmZyYWdlIGbDvHI=?= "
		  "=?UTF-8?B?IDUwMCBMaXplbnplbg==?=",
		    "Preisanfrage für 500 Lizenzen" },
		{ "=?utf-8?b?YWI=?= =?utf-8?b?Y2Q=?= tail", "abcd tail" },
		/* Folded over lines, as long subjects are. */
		{ "=?UTF-8?B?UHJlaXNhbmZyYWdlIGbDvHI=?=\r\n "
		  "=?UTF-8?B?IDUwMCBMaXplbnplbg==?=",
		    "Preisanfrage für 500 Lizenzen" },
		/* Q words, adjacent and with text between. */
		{ "=?UTF-8?Q?Pr=C3=A9?= =?UTF-8?Q?sident?= et "
		  "=?UTF-8?Q?tarifs_2027?=",
		    "Président et tarifs 2027" },
		/* A B word then a Q word of one charset. */
		{ "=?UTF-8?B?R3LDvA==?= =?UTF-8?Q?=C3=9Fe?=", "Grüße" },
		/* Adjacent words in different charsets. */
		{ "=?ISO-8859-1?Q?Gr=FC=DF?= =?UTF-8?B?IGF1cyBLw7Zsbg==?=",
		    "Grüß aus Köln" },
		{ "=?ISO-2022-JP?B?GyRCOCtAUTlnJG8kOxsoQg==?= "
		  "=?UTF-8?B?IOKAkyDku7fmoLw=?=",
		    "見積合わせ – 价格" },
		/* A multi-byte character split across two words. */
		{ "=?UTF-8?B?5pc=?= =?UTF-8?B?peacrOiqng==?=", "日本語" },
		{ "=?UTF-8?Q?=E6=97?= =?UTF-8?Q?=A5=E6=9C=AC?=", "日本" },
		/* Padded chunks inside one word (concatenating encoders). */
		{ "=?UTF-8?B?YWI=Y2Q=?=", "abcd" },
		/* Words glued without a blank (some webmailers). */
		{ "=?UTF-8?B?44GC?==?UTF-8?B?44GE?=", "あい" },
		/* ISO-2022-JP with NEC extensions: ① ② and ㈱. */
		{ "=?ISO-2022-JP?B?GyRCLSEtIhsoQg==?= "
		  "=?ISO-2022-JP?B?GyRCLWobKEI=?=",
		    "①②㈱" },
		/* Malformed words stay as written; nothing else is lost. */
		{ "=?UTF-8?B?!!!?= and more", "=?UTF-8?B?!!!?= and more" },
		{ "=?UTF-8?Q?bad=ZZ?= x", "=?UTF-8?Q?bad=ZZ?= x" },
		{ "=?UTF-8?X?abc?= x", "=?UTF-8?X?abc?= x" },
		{ "=??Q?abc?= x", "=??Q?abc?= x" },
		{ "=?UTF-8?Q?unterminated x", "=?UTF-8?Q?unterminated x" },
		{ "=?UTF-8?B?YWI=?= =?UTF-8?B?!!!?= =?UTF-8?B?Y2Q=?=",
		    "ab =?UTF-8?B?!!!?= cd" },
		/* An equals sign that starts no word. */
		{ "1+1=2 =? what", "1+1=2 =? what" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg *m = parse_with_header("Subject", cases[i].raw);

		if (strcmp(m->subject, cases[i].want) != 0)
			fail_msg("subject %zu: \"%s\", want \"%s\"", i,
			    m->subject, cases[i].want);
		msg_free(&m);
	}
}

/* Display names: the same words in phrases and quoted strings. */
static void
test_encoded_names(void **state)
{
	static const struct {
		const char *value;
		size_t idx;
		const char *name;
		const char *addr;
	} cases[] = {
		{ "=?UTF-8?B?SsO8cmdlbg==?= =?UTF-8?B?IE3DvGxsZXI=?= "
		  "<j@x.example>",
		    0, "Jürgen Müller", "j@x.example" },
		/* Inside a quoted display name (Outlook, Apple Mail). */
		{ "\"=?UTF-8?B?SsO8cmdlbg==?= =?UTF-8?B?IE3DvGxsZXI=?=\" "
		  "<j@x.example>",
		    0, "Jürgen Müller", "j@x.example" },
		{ "\"=?ISO-8859-1?Q?Fran=E7ois?= Dupr\xc3\xa9\" <f@x.example>",
		    0, "François Dupré", "f@x.example" },
		/* A decoded comma must not split the address list. */
		{ "=?UTF-8?Q?M=C3=BCller=2C_Anna?= <a@x.example>, "
		  "=?UTF-8?B?w4lsaXNl?= =?UTF-8?B?IEJsYW5j?= <e@x.example>",
		    1, "Élise Blanc", "e@x.example" },
		{ "=?UTF-8?Q?M=C3=BCller=2C_Anna?= <a@x.example>, "
		  "=?UTF-8?B?w4lsaXNl?= =?UTF-8?B?IEJsYW5j?= <e@x.example>",
		    0, "Müller, Anna", "a@x.example" },
		{ "=?ISO-2022-JP?B?GyRCLWobKEI=?= =?UTF-8?B?44Ki44Kv44Oh?= "
		  "<info@x.example>",
		    0, "㈱アクメ", "info@x.example" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg *m = parse_with_header("To", cases[i].value);

		assert_true(m->to.n > cases[i].idx);
		if (strcmp(m->to.v[cases[i].idx].name, cases[i].name) != 0)
			fail_msg("name %zu: \"%s\", want \"%s\"", i,
			    m->to.v[cases[i].idx].name, cases[i].name);
		assert_string_equal(m->to.v[cases[i].idx].addr, cases[i].addr);
		msg_free(&m);
	}
}

static const struct msg_addrs *
addr_field(const struct msg *m, const char *field)
{
	if (strcmp(field, "to") == 0)
		return &m->to;
	if (strcmp(field, "cc") == 0)
		return &m->cc;
	if (strcmp(field, "reply-to") == 0)
		return &m->reply_to;
	return &m->sender;
}

static void
test_addresses(void **state)
{
	static const struct {
		const char *header;
		const char *value;
		size_t count;
		size_t idx;
		const char *name;
		const char *addr;
	} cases[] = {
		{ "To", "Pat <Pat@Buyer.EXAMPLE>", 1, 0, "Pat",
		    "pat@buyer.example" },
		{ "To", "=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <j@x.example>", 1, 0,
		    "Jörg Müller", "j@x.example" },
		{ "Cc", "\"Doe, John\" <john@doe.example>, jane@doe.example", 2,
		    1, "", "jane@doe.example" },
		{ "Cc", "\"Doe, John\" <john@doe.example>, jane@doe.example", 2,
		    0, "Doe, John", "john@doe.example" },
		/* Group syntax: members flattened, empty groups vanish. */
		{ "To", "Team: a@x.example, B@Y.example;, c@z.example", 3, 1,
		    "", "b@y.example" },
		{ "To", "undisclosed-recipients:;", 0, 0, NULL, NULL },
		{ "Reply-To", "Sales Desk <desk@example.com>", 1, 0,
		    "Sales Desk", "desk@example.com" },
		{ "Sender", "owner-list@lists.example", 1, 0, "",
		    "owner-list@lists.example" },
		/* Garbage is tolerated. */
		{ "To", "<<<>>> ,,, @@@", 0, 0, NULL, NULL },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg *m =
		    parse_with_header(cases[i].header, cases[i].value);
		const struct msg_addrs *a =
		    addr_field(m, cases[i].header[0] == 'T' ? "to" :
				  cases[i].header[0] == 'C' ? "cc" :
				  cases[i].header[0] == 'R' ? "reply-to" :
							      "sender");

		if (cases[i].addr != NULL) {
			assert_int_equal(a->n, cases[i].count);
			assert_string_equal(a->v[cases[i].idx].name,
			    cases[i].name);
			assert_string_equal(a->v[cases[i].idx].addr,
			    cases[i].addr);
		}
		msg_free(&m);
	}
}

static void
test_from(void **state)
{
	static const struct {
		const char *value;
		const char *name;
		const char *addr;
		const char *domain;
	} cases[] = {
		{ "Pat Buyer <Pat.Buyer@Buyer.Example>", "Pat Buyer",
		    "pat.buyer@buyer.example", "buyer.example" },
		{ "=?iso-8859-1?q?Ren=E9e?= <r@x.example>", "Renée",
		    "r@x.example", "x.example" },
		{ "plain@host.example (Comment Name)", "Comment Name",
		    "plain@host.example", "host.example" },
		{ "not an address at all", NULL, NULL, NULL },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		char *raw;
		struct msg *m;

		xasprintf(&raw, "From: %s\nSubject: x\n\nbody\n",
		    cases[i].value);
		m = parse_mem(raw, strlen(raw));
		if (cases[i].addr != NULL) {
			assert_string_equal(m->from.name, cases[i].name);
			assert_string_equal(m->from.addr, cases[i].addr);
			assert_string_equal(m->from_domain, cases[i].domain);
		}
		msg_free(&m);
		free(raw);
	}
}

static void
test_html(void **state)
{
	static const struct {
		const char *html;
		const char *text;
	} cases[] = {
		{ "<p>one</p><p>two</p>", "one\n\ntwo" },
		{ "a<br>b<br/>c", "a\nb\nc" },
		{ "<div>a</div><div>b</div>", "a\nb" },
		{ "x &amp; y &lt;z&gt; &eacute;&#233;&#x20ac;",
		    "x & y <z> éé€" },
		{ "a&nbsp;&nbsp;b   c\n\td", "a b c d" },
		{ "<script>var x = '<p>no</p>';</script>yes", "yes" },
		{ "<style>p { color: red }</style><p>yes</p>", "yes" },
		{ "<head><title>t</title></head><body>b</body>", "b" },
		{ "<a href=\"https://x.example/p\">prices</a>",
		    "prices <https://x.example/p>" },
		{ "<a href=\"https://x.example\">https://x.example</a>",
		    "https://x.example" },
		{ "<a href=\"mailto:a@x.example\">a@x.example</a>",
		    "a@x.example" },
		{ "<a href=\"#top\">top</a>", "top" },
		{ "<ul><li>a</li><li>b</li></ul>", "- a\n- b" },
		{ "<blockquote>q1<br>q2</blockquote>after",
		    "> q1\n> q2\n\nafter" },
		{ "<blockquote>a<blockquote>b<p>c</p></blockquote>d"
		  "</blockquote>",
		    "> a\n>\n>> b\n>>\n>> c\n>>\n> d" },
		{ "<pre>  keep\n    this</pre>", "  keep\n    this" },
		{ "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr>"
		  "</table>",
		    "a b\nc" },
		{ "<img src=x alt=\"logo\"> text", "[logo] text" },
		{ "<p>unclosed <b>bold <i>both", "unclosed bold both" },
		{ "", "" },
		/* Invalid character references are dropped, text goes on. */
		{ "<p>a</p>&bogus; &#0;&#xD800;&#x110000;b", "a\n\n&bogus; b" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct buf b;

		buf_init(&b, 4096);
		assert_int_equal(
		    html_to_text(cases[i].html, strlen(cases[i].html), &b), 0);
		if (strcmp(b.data != NULL ? b.data : "", cases[i].text) != 0)
			fail_msg("html %zu: \"%s\", want \"%s\"", i,
			    b.data != NULL ? b.data : "", cases[i].text);
		buf_free(&b);
	}
}

/* Deep nesting costs no stack, and the cap cuts at a char boundary. */
static void
test_html_bounds(void **state)
{
	struct buf html, out;

	buf_init(&html, 8 * 1024 * 1024);
	for (int i = 0; i < 200000; i++)
		assert_int_equal(buf_addstr(&html, "<div>"), 0);
	assert_int_equal(buf_addstr(&html, "deep"), 0);
	buf_init(&out, 4096);
	assert_int_equal(html_to_text(html.data, html.len, &out), 0);
	assert_string_equal(out.data, "deep");
	buf_free(&out);
	buf_reset(&html);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_addstr(&html, "<p>\xc3\xa9t\xc3\xa9</p>"),
		    0);
	buf_init(&out, 101);
	assert_int_equal(html_to_text(html.data, html.len, &out), -1);
	assert_true(out.len <= 101);
	assert_true(g_utf8_validate(out.data, -1, NULL));
	buf_free(&out);
	buf_free(&html);
}

static void
test_clients(void **state)
{
	static const struct {
		const char *file;
		const char *from;
		const char *subject;
		const char *text_starts;
		const char *html_has; /* NULL: no HTML part */
		size_t n_attachments;
		size_t n_references;
	} cases[] = {
		{ "apple-mail.eml", "adam@tictail.com",
		    "Re: Pricing for 40 seats",
		    "We would like a quote for 40 seats, ideally before the "
		    "end of the quarter.\n\n> On 22 Aug",
		    "blockquote", 0, 1 },
		{ "outlook.eml", "joerg.mueller@corp.example",
		    "AW: Lizenzübersicht für 2027",
		    "Hallo,\n\nwir benötigen ein Angebot für 120 Lizenzen – "
		    "bitte",
		    "WordSection1", 1, 0 },
		{ "gmail.eml", "pat.buyer@gmail.com", "Re: [#12] SSO question",
		    "Does the enterprise edition support SAML SSO?\n\nOn Wed",
		    "gmail_quote", 0, 2 },
		{ "thunderbird.eml", "renee@example.org",
		    "Invoice for € 1200 licence",
		    "Hi,\n\nplease find the purchase order attached.\n\n-- \n"
		    "Renée",
		    NULL, 2, 0 },
		{ "html-only.eml", "news@vendor.example", "HTML only",
		    "Café & Crème\n\nFirst paragraph with bold and a pricing "
		    "page <https://vendor.example/pricing>.\n\nLine one\n"
		    "Line two\n\n- alpha\n- beta\n\n> quoted text\n\n"
		    "<not a tag> été “quoted”",
		    "<h1>Café", 0, 0 },
		/* A blank plain alternative falls back to the HTML one. */
		{ "alternative-empty-plain.eml", "offers@vendor.example",
		    "empty plain alternative", "Only the HTML part has text.",
		    "<b>HTML</b>", 0, 0 },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg *m = parse_file(cases[i].file);

		assert_string_equal(m->from.addr, cases[i].from);
		assert_string_equal(m->subject, cases[i].subject);
		if (strncmp(m->text, cases[i].text_starts,
			strlen(cases[i].text_starts)) != 0)
			fail_msg("%s: text \"%s\"", cases[i].file, m->text);
		if (cases[i].html_has == NULL)
			assert_string_equal(m->html, "");
		else
			assert_non_null(strstr(m->html, cases[i].html_has));
		/* The HTML twin of a plain part never doubles the text. */
		assert_null(strstr(m->text, "<div"));
		assert_int_equal(m->n_attachments, cases[i].n_attachments);
		assert_int_equal(m->n_references, cases[i].n_references);
		assert_int_equal(m->flags & (MSG_AUTO_SUBMITTED | MSG_LIST |
						MSG_BOUNCE | MSG_TRUNCATED |
						MSG_SYNTHETIC_ID),
		    0);
		assert_string_equal(m->forwarded, "");
		msg_free(&m);
	}
}

static void
test_threading(void **state)
{
	struct msg *m = parse_file("gmail.eml");

	assert_string_equal(m->message_id, "CAFx2Ljp8Yy=abc@mail.gmail.com");
	assert_string_equal(m->in_reply_to, "ticket-12@example.com");
	assert_string_equal(m->references[0], "root@example.com");
	assert_string_equal(m->references[1], "ticket-12@example.com");
	/* Wed, 11 Nov 2026 14:03:27 -0800 */
	assert_int_equal(m->date, 1794434607);
	msg_free(&m);
}

static void
test_attachments(void **state)
{
	static const struct {
		const char *file;
		size_t idx;
		const char *filename;
		const char *type;
		size_t size;
	} cases[] = {
		/* RFC 2231 continuations with charset. */
		{ "thunderbird.eml", 0, "Bestellung München.pdf",
		    "application/pdf", 48 },
		/* RFC 2231 single parameter, percent-encoded euro sign. */
		{ "thunderbird.eml", 1, "€ rates.csv", "text/csv", 20 },
		/* Encoded words in a quoted filename (Outlook). */
		{ "outlook.eml", 0, "Lizenzübersicht.pdf", "application/pdf",
		    12 },
		{ "eol-lf.eml", 0, "data.bin", "application/octet-stream", 10 },
		{ "eol-crlf.eml", 0, "data.bin", "application/octet-stream",
		    10 },
		{ "forward-nested.eml", 0, "original.eml", "message/rfc822",
		    0 },
		{ "bounce.eml", 0, "", "message/delivery-status", 0 },
		/* Inline uuencode in plain text (Lotus Notes). */
		{ "uuencode-inline.eml", 0, "hello.txt",
		    "application/octet-stream", 12 },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg *m = parse_file(cases[i].file);
		const struct msg_attachment *a;

		assert_true(cases[i].idx < m->n_attachments);
		a = &m->attachments[cases[i].idx];
		assert_string_equal(a->filename, cases[i].filename);
		assert_string_equal(a->content_type, cases[i].type);
		if (cases[i].size != 0)
			assert_int_equal(a->size, cases[i].size);
		else
			assert_true(a->size > 0);
		msg_free(&m);
	}
}

static void
test_uuencode_text(void **state)
{
	struct msg *m = parse_file("uuencode-inline.eml");

	assert_string_equal(m->text, "See the attached file.\n\n\nRegards");
	assert_int_equal(m->n_attachments, 1);
	msg_free(&m);
}

static void
test_format_flowed(void **state)
{
	static const struct {
		const char *file;
		const char *text;
	} cases[] = {
		{ "format-flowed.eml",
		    "How much would 40 seats of the "
		    "enterprise edition cost us per year? We need SSO and audit "
		    "logs.\n\n> On Monday you wrote that the price depends on "
		    "the number of seats.\n>> Earlier quote here.\nFrom the "
		    "team.\n-- \nFlow" },
		{ "format-flowed-delsp.eml",
		    "Donaudampfschifffahrtsgesellschaft"
		    " ist ein langes Wort." },
		/* Not flowed: trailing spaces are just trailing spaces. */
		{ "thunderbird.eml", "Hi,\n\nplease find the purchase order "
				     "attached.\n\n-- \nRenée" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg *m = parse_file(cases[i].file);

		assert_string_equal(m->text, cases[i].text);
		msg_free(&m);
	}
}

static void
test_forward(void **state)
{
	struct msg *m = parse_file("forward-nested.eml");

	assert_string_equal(m->text, "Please handle this one.");
	assert_string_equal(m->forwarded, "How much are 40 seats?");
	assert_string_equal(m->from.addr, "alice@example.com");
	/* The forwarded message's HTML is not the author's HTML. */
	assert_string_equal(m->html, "");
	msg_free(&m);
}

static void
test_identity_fallbacks(void **state)
{
	struct msg *m = parse_file("no-id-no-date.eml"), *m2;
	size_t len;
	char *raw;

	assert_true(m->flags & MSG_SYNTHETIC_ID);
	assert_true(m->flags & MSG_DATE_RECEIVED);
	assert_int_equal(m->date, RECEIVED);
	assert_true(has_problem(m, "no Date header"));
	/* Stable: the same bytes give the same id, other bytes another. */
	m2 = parse_file("no-id-no-date.eml");
	assert_string_equal(m->message_id, m2->message_id);
	msg_free(&m2);
	raw = test_fixture("mime", "no-id-no-date.eml", &len);
	raw[len - 2] = 'X';
	m2 = parse_mem(raw, len);
	assert_string_not_equal(m->message_id, m2->message_id);
	msg_free(&m2);
	free(raw);
	msg_free(&m);

	m = parse_file("bad-date.eml");
	assert_false(m->flags & MSG_SYNTHETIC_ID);
	assert_true(m->flags & MSG_DATE_RECEIVED);
	assert_int_equal(m->date, RECEIVED);
	assert_true(has_problem(m, "unparsable Date"));
	msg_free(&m);
}

static void
test_flags(void **state)
{
	static const struct {
		const char *file; /* or NULL: header below */
		const char *header;
		unsigned want;
	} cases[] = {
		{ "bounce.eml", NULL, MSG_BOUNCE | MSG_AUTO_SUBMITTED },
		{ "list-mail.eml", NULL, MSG_LIST | MSG_AUTO_SUBMITTED },
		{ "out-of-office.eml", NULL, MSG_AUTO_SUBMITTED },
		{ "own-loop.eml", NULL, MSG_OWN_LOOP },
		{ "gmail.eml", NULL, 0 },
		{ NULL, "Auto-Submitted: auto-replied", MSG_AUTO_SUBMITTED },
		{ NULL, "Auto-Submitted: auto-generated", MSG_AUTO_SUBMITTED },
		{ NULL, "Auto-Submitted: no", 0 },
		{ NULL, "X-Autoreply: yes", MSG_AUTO_SUBMITTED },
		{ NULL, "X-Autorespond: vacation", MSG_AUTO_SUBMITTED },
		{ NULL, "Precedence: bulk", MSG_AUTO_SUBMITTED },
		{ NULL, "Precedence: junk", MSG_AUTO_SUBMITTED },
		{ NULL, "Precedence: list", MSG_AUTO_SUBMITTED | MSG_LIST },
		{ NULL, "List-Id: <dev.lists.example>", MSG_LIST },
		{ NULL, "List-Unsubscribe: <mailto:x@y.example>", MSG_LIST },
		{ NULL, "X-Loop: someone-else@example.org", 0 },
		{ NULL, "X-Loop: Triage@Example.com", MSG_OWN_LOOP },
		{ NULL, "Subject: Out of Office: back Monday",
		    MSG_AUTO_SUBMITTED },
		{ NULL, "Subject: Abwesenheitsnotiz: Urlaub",
		    MSG_AUTO_SUBMITTED },
		{ NULL, "Subject: Undeliverable: your mail",
		    MSG_BOUNCE | MSG_AUTO_SUBMITTED },
		{ NULL, "Subject: Office hours question", 0 },
		{ NULL, "Sender: MAILER-DAEMON", 0 },
		{ NULL, "From: MAILER-DAEMON (Mail Delivery System)",
		    MSG_BOUNCE | MSG_AUTO_SUBMITTED },
		{ NULL, "From: Mailer-Daemon@mx.example.org",
		    MSG_BOUNCE | MSG_AUTO_SUBMITTED },
		{ NULL, "Reply-To: <mailer-daemon@x.example>", 0 },
	};
	const unsigned kinds =
	    MSG_AUTO_SUBMITTED | MSG_LIST | MSG_BOUNCE | MSG_OWN_LOOP;
	struct mime_limits lim;

	mime_limits_default(&lim);
	lim.own_address = "triage@example.com";
	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg *m;
		char *raw;
		size_t len;

		if (cases[i].file != NULL) {
			raw = test_fixture("mime", cases[i].file, &len);
		} else {
			/* A case that is a From line replaces ours. */
			xasprintf(&raw,
			    "%sMessage-ID: <f@example.com>\n%s\n"
			    "\nbody\n",
			    strncmp(cases[i].header, "From:", 5) ?
				"From: a@example.com\n" :
				"",
			    cases[i].header);
			len = strlen(raw);
		}
		m = parse_lim(raw, len, &lim);
		if ((m->flags & kinds) != cases[i].want)
			fail_msg("flags case %zu: %#x, want %#x", i,
			    m->flags & kinds, cases[i].want);
		msg_free(&m);
		free(raw);
	}
}

static void
test_preamble(void **state)
{
	static const struct {
		const char *file;
		const char *subject;
		const char *problem; /* NULL: none */
	} cases[] = {
		{ "mbox-from-line.eml", "mbox envelope", NULL },
		{ "bom-blank-lines.eml", "BOM and blank lines",
		    "byte order mark" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct msg *m = parse_file(cases[i].file);

		assert_string_equal(m->subject, cases[i].subject);
		assert_false(m->flags & MSG_NOT_MAIL);
		assert_string_equal(m->from.addr, "pat@buyer.example");
		if (cases[i].problem == NULL)
			assert_int_equal(m->n_problems, 0);
		else
			assert_true(has_problem(m, cases[i].problem));
		msg_free(&m);
	}
}

static void
test_not_mail(void **state)
{
	static const char garbage[] = "\x00\x01\x02\xff\xfe PNG\x89\r\n\x1a"
				      "\x00\x00\x00\rIHDR";
	struct msg *m = parse_file("not-mail.eml");

	assert_true(m->flags & MSG_NOT_MAIL);
	assert_true(m->flags & MSG_SYNTHETIC_ID);
	assert_true(m->flags & MSG_DATE_RECEIVED);
	assert_non_null(strstr(m->text, "just a note someone saved"));
	assert_true(has_problem(m, "not-mail"));
	msg_free(&m);

	m = parse_mem("", 0);
	assert_true(m->flags & MSG_NOT_MAIL);
	assert_string_equal(m->text, "");
	msg_free(&m);

	m = parse_mem(garbage, sizeof(garbage) - 1);
	assert_true(m->flags & MSG_NOT_MAIL);
	msg_free(&m);
}

static void
test_truncated_base64(void **state)
{
	struct msg *m = parse_file("truncated-base64.eml");

	assert_true(has_problem(m, "truncated base64"));
	assert_non_null(strstr(m->text, "this message was cut off in the "
					"middle of a quantu"));
	msg_free(&m);
}

static void
test_line_endings(void **state)
{
	struct msg *lf = parse_file("eol-lf.eml");
	struct msg *crlf = parse_file("eol-crlf.eml");

	assert_string_equal(lf->text, "first line\nsecond line €");
	assert_string_equal(crlf->text, lf->text);
	assert_string_equal(crlf->subject, lf->subject);
	assert_int_equal(crlf->n_headers, lf->n_headers);
	assert_null(strchr(crlf->text, '\r'));
	msg_free(&lf);
	msg_free(&crlf);
}

/* A message of `mb` MB: a short text and one base64 attachment. */
static char *
big_message(size_t mb, size_t *len_r, size_t *decoded_r)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				  "rstuvwxyz0123456789+/";
	struct buf b;
	size_t lines = mb * 1024 * 1024 / 77;
	char line[78];

	buf_init(&b, (mb + 1) * 1024 * 1024);
	buf_addstr(&b,
	    "From: big@example.com\nSubject: big\nMessage-ID: "
	    "<big@example.com>\nContent-Type: multipart/mixed; boundary=B\n"
	    "\n--B\nContent-Type: text/plain\n\nsee attached\n--B\n"
	    "Content-Type: application/octet-stream; name=big.bin\n"
	    "Content-Transfer-Encoding: base64\n\n");
	for (size_t i = 0; i < 76; i++)
		line[i] = b64[i % 64];
	line[76] = '\n';
	for (size_t i = 0; i < lines; i++)
		buf_add(&b, line, 77);
	buf_addstr(&b, "--B--\n");
	*decoded_r = lines * 76 / 4 * 3;
	*len_r = b.len;
	return buf_steal(&b);
}

static void
test_big_message(void **state)
{
	struct mime_limits lim;
	size_t len, decoded;
	char *raw = big_message(49, &len, &decoded);
	struct msg *m = parse_mem(raw, len);

	/* Just under the 50 MB default: parsed whole, size exact. */
	assert_true(len > 48 * 1024 * 1024 && len < 50 * 1024 * 1024);
	assert_false(m->flags & MSG_TRUNCATED);
	assert_string_equal(m->text, "see attached");
	assert_int_equal(m->n_attachments, 1);
	assert_string_equal(m->attachments[0].filename, "big.bin");
	assert_int_equal(m->attachments[0].size, decoded);
	msg_free(&m);
	free(raw);

	/* Just over it: a record, flagged, raw size still the whole. */
	raw = big_message(51, &len, &decoded);
	m = parse_mem(raw, len);
	assert_true(m->flags & MSG_TRUNCATED);
	assert_true(has_problem(m, "first 52428800 parsed"));
	assert_string_equal(m->text, "see attached");
	assert_true(m->attachments[0].size < decoded);
	msg_free(&m);

	/* The bound is configurable. */
	mime_limits_default(&lim);
	lim.max_size = 64 * 1024 * 1024;
	m = parse_lim(raw, len, &lim);
	assert_false(m->flags & MSG_TRUNCATED);
	assert_int_equal(m->attachments[0].size, decoded);
	msg_free(&m);
	free(raw);
}

static char *
many_parts(unsigned n, size_t *len_r)
{
	struct buf b;

	buf_init(&b, SIZE_MAX / 2);
	buf_addstr(&b, "From: parts@example.com\nSubject: parts\n"
		       "Content-Type: multipart/mixed; boundary=P\n\n");
	for (unsigned i = 0; i < n; i++)
		buf_printf(&b,
		    "--P\nContent-Type: application/x-part; "
		    "name=p%u.bin\n\npart %u\n",
		    i, i);
	buf_addstr(&b, "--P--\n");
	*len_r = b.len;
	return buf_steal(&b);
}

static void
test_many_parts(void **state)
{
	struct mime_limits lim;
	size_t len;
	char *raw = many_parts(10000, &len);
	struct msg *m = parse_mem(raw, len);

	assert_true(m->flags & MSG_TRUNCATED);
	assert_true(has_problem(m, "more than 1000 MIME parts"));
	/* The multipart itself is part 1. */
	assert_int_equal(m->n_attachments, 999);
	assert_string_equal(m->attachments[998].filename, "p998.bin");
	msg_free(&m);

	mime_limits_default(&lim);
	lim.max_parts = 20000;
	m = parse_lim(raw, len, &lim);
	assert_false(m->flags & MSG_TRUNCATED);
	assert_int_equal(m->n_attachments, 10000);
	assert_int_equal(m->attachments[9999].size, strlen("part 9999"));
	msg_free(&m);
	free(raw);
}

/*
 * Part and header bombs: GMime would build every part and header before
 * the walk; the input is cut first, so memory stays bounded.
 */
static void
test_bombs(void **state)
{
	static const struct {
		const char *line;
		const char *problem;
	} cases[] = {
		{ "--P\n\nx\n", "MIME boundary lines" },
		{ "X-H: v\n", "header lines" },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct buf b;
		struct msg *m;

		buf_init(&b, SIZE_MAX / 2);
		buf_addstr(&b, "From: bomb@example.com\nContent-Type: "
			       "multipart/mixed; boundary=P\n");
		for (int k = 0; k < 300000; k++)
			buf_addstr(&b, cases[i].line);
		buf_addstr(&b, "\n--P--\n");
		m = parse_mem(b.data, b.len);
		assert_true(m->flags & MSG_TRUNCATED);
		if (!has_problem(m, cases[i].problem))
			fail_msg("bomb %zu: no problem \"%s\"", i,
			    cases[i].problem);
		assert_string_equal(m->from.addr, "bomb@example.com");
		msg_free(&m);
		buf_free(&b);
	}
}

static void
test_deep_nesting(void **state)
{
	static const struct {
		int rfc822; /* nested message/rfc822, else multipart */
		unsigned levels;
	} cases[] = {
		{ 0, 300 },
		{ 1, 3000 },
	};

	for (size_t i = 0; i < NELEM(cases); i++) {
		struct buf b;
		struct msg *m;

		buf_init(&b, SIZE_MAX / 2);
		buf_addstr(&b, "From: deep@example.com\nSubject: deep\n");
		for (unsigned k = 0; k < cases[i].levels; k++) {
			if (cases[i].rfc822)
				buf_printf(&b,
				    "Content-Type: message/rfc822"
				    "\n\nSubject: level %u\n",
				    k);
			else
				buf_printf(&b,
				    "Content-Type: multipart/mixed;"
				    " boundary=L%u\n\n--L%u\n",
				    k, k);
		}
		buf_addstr(&b, "Content-Type: text/plain\n\ninnermost\n");
		m = parse_mem(b.data, b.len);
		assert_true(m->flags & MSG_TRUNCATED);
		assert_true(has_problem(m, "nesting"));
		assert_null(strstr(m->text, "innermost"));
		assert_null(strstr(m->forwarded, "innermost"));
		msg_free(&m);
		buf_free(&b);
	}
}

static void
test_max_text(void **state)
{
	struct mime_limits lim;
	struct buf b;
	struct msg *m;

	buf_init(&b, SIZE_MAX / 2);
	buf_addstr(&b, "From: long@example.com\nContent-Type: text/plain; "
		       "charset=utf-8\n\n");
	for (int i = 0; i < 5000; i++)
		buf_addstr(&b, "\xe2\x82\xac\xc3\xa9 ");
	mime_limits_default(&lim);
	lim.max_text = 1001;
	m = parse_lim(b.data, b.len, &lim);
	assert_true(m->flags & MSG_TRUNCATED);
	assert_true(strlen(m->text) <= 1001);
	assert_true(strlen(m->text) > 900);
	assert_true(has_problem(m, "bounds: text"));
	msg_free(&m);
	buf_free(&b);
}

/* Every prefix-cut of every fixture still yields a valid record. */
static void
test_truncated_inputs(void **state)
{
	static const char *files[] = {
		"apple-mail.eml",
		"outlook.eml",
		"gmail.eml",
		"thunderbird.eml",
		"html-only.eml",
		"forward-nested.eml",
		"bounce.eml",
		"charset-utf-16.eml",
		"charset-iso-2022-jp.eml",
		"eol-crlf.eml",
		"bom-blank-lines.eml",
	};

	for (size_t i = 0; i < NELEM(files); i++) {
		size_t len;
		char *raw = test_fixture("mime", files[i], &len);

		for (size_t cut = 0; cut < len; cut += 7) {
			/* A copy, so ASan sees reads past the cut. */
			char *part = xmalloc(cut + 1);
			struct msg *m;

			memcpy(part, raw, cut);
			m = parse_mem(part, cut);
			msg_free(&m);
			free(part);
		}
		free(raw);
	}
}

/*
 * Deterministic mutations of the fixtures (flipped bytes, cut runs,
 * inserted MIME and HTML tokens): every result is still a valid record.
 */
static void
test_mutations(void **state)
{
	static const char *files[] = {
		"apple-mail.eml",
		"outlook.eml",
		"thunderbird.eml",
		"html-only.eml",
		"forward-nested.eml",
		"bounce.eml",
		"uuencode-inline.eml",
		"format-flowed.eml",
	};
	static const char *tokens[] = {
		"--",
		"\n",
		"\r\n",
		"=?utf-8?b?",
		"?=",
		"\xff",
		"<",
		"&#",
		"Content-Type: multipart/mixed; boundary=x\n\n--x\n",
		"Content-Transfer-Encoding: base64\n",
		"begin 644 a\n",
		"\nend\n",
		"message/rfc822\n\n",
		"<blockquote>",
		">> ",
		"filename*0*=",
		"charset=",
		" \n",
	};
	uint32_t seed = 12345;

	for (int it = 0; it < 3000; it++) {
		size_t len, pos;
		char *raw =
		    test_fixture("mime", files[it % NELEM(files)], &len);
		struct buf b;
		struct msg *m;

		buf_init(&b, SIZE_MAX / 2);
		buf_add(&b, raw, len);
		for (int k = 0; k < 4; k++) {
			const char *t;

			seed = seed * 1103515245 + 12345;
			pos = b.len > 0 ? (seed >> 8) % b.len : 0;
			t = tokens[(seed >> 4) % NELEM(tokens)];
			if (seed & 1) {
				b.data[pos] = (char)(seed >> 16);
				continue;
			}
			/* Insert t at pos: append, then rotate into place. */
			buf_addstr(&b, t);
			memmove(b.data + pos + strlen(t), b.data + pos,
			    b.len - strlen(t) - pos);
			memcpy(b.data + pos, t, strlen(t));
		}
		m = parse_mem(b.data, b.len);
		msg_free(&m);
		buf_free(&b);
		free(raw);
	}
}

static void
test_misuse(void **state)
{
	struct error err = { 0 };
	struct msg *m = NULL;

	assert_int_equal(mime_parse(NULL, 0, NULL, RECEIVED, &m, &err), -1);
	assert_int_equal(err.code, ERR_USAGE);
	assert_null(m);
	msg_free(&m);
	msg_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_subjects),
		cmocka_unit_test(test_encoded_words),
		cmocka_unit_test(test_encoded_names),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_from),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_html_bounds),
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_threading),
		cmocka_unit_test(test_attachments),
		cmocka_unit_test(test_uuencode_text),
		cmocka_unit_test(test_format_flowed),
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_identity_fallbacks),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_preamble),
		cmocka_unit_test(test_not_mail),
		cmocka_unit_test(test_truncated_base64),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_big_message),
		cmocka_unit_test(test_many_parts),
		cmocka_unit_test(test_bombs),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_max_text),
		cmocka_unit_test(test_truncated_inputs),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_misuse),
	};
	int r;

	mime_init();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	mime_shutdown();
	return r;
}
