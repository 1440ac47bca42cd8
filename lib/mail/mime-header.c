/*
 * RFC 2047 encoded words, decoded here rather than by GMime: GMime 3.2
 * joins the payloads of adjacent base64 words of one charset before
 * decoding them, and its decoder (3.2.13, Debian 12) stops at the first
 * '=' padding, so "=?UTF-8?B?SGVsbG8=?= =?UTF-8?B?IHdvcmxk?=" reads as
 * "Hello" (jstedfast/gmime issue 133).  Here each word is decoded alone,
 * then the bytes of adjacent words in one charset are joined (a
 * character split across words survives) and converted by mime-text.c,
 * which also knows the charsets iconv lacks (ISO-2022-JP with the NEC
 * extensions).  Whatever does not decode as its encoding says stays as
 * written.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "buf.h"
#include "mime-private.h"
#include "xalloc.h"

#define CHARSET_MAX 64

/* One encoded word, decoded: its charset and payload bytes. */
struct word {
	char charset[CHARSET_MAX];
	struct buf bytes; /* owned */
};

static int
b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Base64 word text; blanks skipped, a stray bit tail dropped. */
static int
decode_b(const char *s, size_t n, struct buf *out)
{
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < n; i++) {
		int v = b64_value(s[i]);
		char byte;

		if (s[i] == '=') {
			/* Padding ends a quantum: what follows starts anew. */
			acc = 0;
			bits = 0;
			continue;
		}
		if (s[i] == ' ' || s[i] == '\t')
			continue;
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			byte = (char)((acc >> bits) & 0xff);
			if (buf_add(out, &byte, 1) < 0)
				return -1;
		}
	}
	return 0;
}

static int
hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Q word text: '_' is a space, "=XX" a byte; a broken escape fails. */
static int
decode_q(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char byte = s[i] == '_' ? ' ' : s[i];

		if (s[i] == '=') {
			int hi = i + 2 < n ? hex_value(s[i + 1]) : -1;
			int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;

			if (lo < 0)
				return -1;
			byte = (char)(hi << 4 | lo);
			i += 2;
		}
		if (buf_add(out, &byte, 1) < 0)
			return -1;
	}
	return 0;
}

/*
 * An encoded word "=?charset[*lang]?B|Q?text?=" at p (before end):
 * decoded into *w, returning its length, or 0 when p starts none or it
 * does not decode.  Text runs to the next '?', blanks included (sloppy
 * mobile clients write Q words with spaces in them).
 */
static size_t
word_parse(const char *p, const char *end, struct word *w)
{
	const char *cs = p + 2, *q, *text, *stop;
	size_t cs_len;
	char enc;
	int r;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	q = memchr(cs, '?', (size_t)(end - cs));
	if (q == NULL || q == cs || q + 3 >= end || q[2] != '?')
		return 0;
	cs_len = strcspn(cs, "*? \t\r\n");
	if (cs_len == 0 || cs_len >= CHARSET_MAX || cs + cs_len > q)
		return 0;
	enc = q[1];
	text = q + 3;
	stop = memchr(text, '?', (size_t)(end - text));
	if (stop == NULL || stop + 1 >= end || stop[1] != '=')
		return 0;
	if (memchr(text, '\n', (size_t)(stop - text)) != NULL)
		return 0;
	buf_reset(&w->bytes);
	if (enc == 'B' || enc == 'b')
		r = decode_b(text, (size_t)(stop - text), &w->bytes);
	else if (enc == 'Q' || enc == 'q')
		r = decode_q(text, (size_t)(stop - text), &w->bytes);
	else
		return 0;
	if (r < 0)
		return 0;
	memcpy(w->charset, cs, cs_len);
	w->charset[cs_len] = '\0';
	return (size_t)(stop + 2 - p);
}

/* How a decoded header leaves: as text, or as words GMime can parse. */
enum header_out {
	OUT_TEXT,
	OUT_WORDS
};

struct decoder {
	enum header_out how;
	struct buf out; /* the result */
	struct buf lit; /* raw text between words, pending */
	struct buf run; /* bytes of adjacent words in one charset */
	char run_charset[CHARSET_MAX];
	struct buf gap; /* blanks after a word: dropped before a word */
};

static void
to_utf8(const char *s, size_t n, const char *charset, struct buf *out)
{
	struct mime_text_info info;

	mime_text_to_utf8(s, n, charset, out, &info);
}

static void
flush_lit(struct decoder *d)
{
	if (d->lit.len == 0)
		return;
	if (d->how == OUT_TEXT)
		to_utf8(d->lit.data, d->lit.len, NULL, &d->out);
	else
		buf_add(&d->out, d->lit.data, d->lit.len);
	buf_reset(&d->lit);
}

/* The run so far, in UTF-8; for GMime as one UTF-8 base64 word. */
static void
flush_run(struct decoder *d)
{
	struct buf utf;
	gchar *b64;

	if (d->run_charset[0] == '\0')
		return;
	if (d->how == OUT_TEXT) {
		to_utf8(d->run.data, d->run.len, d->run_charset, &d->out);
	} else {
		buf_init(&utf, SIZE_MAX / 2);
		to_utf8(d->run.data, d->run.len, d->run_charset, &utf);
		b64 = g_base64_encode((const guchar *)utf.data, utf.len);
		buf_printf(&d->out, "=?UTF-8?B?%s?=", b64);
		g_free(b64);
		buf_free(&utf);
	}
	buf_reset(&d->run);
	d->run_charset[0] = '\0';
}

static void
add_word(struct decoder *d, const struct word *w)
{
	/* Blanks between two encoded words are not text (RFC 2047 6.2). */
	buf_reset(&d->gap);
	if (d->run_charset[0] != '\0' &&
	    strcasecmp(d->run_charset, w->charset) != 0)
		flush_run(d);
	flush_lit(d);
	if (d->run_charset[0] == '\0')
		memcpy(d->run_charset, w->charset, sizeof(d->run_charset));
	buf_add(&d->run, w->bytes.data, w->bytes.len);
}

static void
add_text(struct decoder *d, char ch)
{
	/* Folding: the line break goes, the blank after it stays. */
	if (ch == '\r' || ch == '\n')
		return;
	if (d->run_charset[0] != '\0' && (ch == ' ' || ch == '\t')) {
		buf_add(&d->gap, &ch, 1);
		return;
	}
	flush_run(d);
	buf_add(&d->lit, d->gap.data, d->gap.len);
	buf_reset(&d->gap);
	buf_add(&d->lit, &ch, 1);
}

static char *
decode(const char *raw, enum header_out how)
{
	struct decoder d = { .how = how };
	struct word w;
	const char *p = raw != NULL ? raw : "", *end = p + strlen(p);
	size_t len;
	char *s;

	buf_init(&d.out, SIZE_MAX / 2);
	buf_init(&d.lit, SIZE_MAX / 2);
	buf_init(&d.run, SIZE_MAX / 2);
	buf_init(&d.gap, SIZE_MAX / 2);
	buf_init(&w.bytes, SIZE_MAX / 2);
	while (p < end) {
		len = *p == '=' ? word_parse(p, end, &w) : 0;
		if (len > 0) {
			add_word(&d, &w);
			p += len;
		} else {
			add_text(&d, *p++);
		}
	}
	flush_run(&d);
	buf_add(&d.lit, d.gap.data, d.gap.len);
	flush_lit(&d);
	s = how == OUT_TEXT ? mime_text_dup(d.out.data) : buf_steal(&d.out);
	buf_free(&d.out);
	buf_free(&d.lit);
	buf_free(&d.run);
	buf_free(&d.gap);
	buf_free(&w.bytes);
	return s;
}

char *
mime_header_text(const char *raw)
{
	return decode(raw, OUT_TEXT);
}

char *
mime_header_words(const char *raw)
{
	return decode(raw, OUT_WORDS);
}
