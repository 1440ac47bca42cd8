/*
 * Bytes in a declared (or undeclared, or wrongly declared) charset to
 * clean UTF-8.  iconv does the conversion; this file decides which
 * charset to believe and makes sure nothing invalid gets out.
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#include "mime-private.h"

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* Names mail uses that iconv lacks, or that mean a superset in practice. */
static const struct {
	const char *name;
	const char *iconv; /* NULL: undeclared; "UTF-8": no conversion */
} charset_aliases[] = {
	{ "", NULL },
	{ "8bit", NULL },
	{ "default", NULL },
	{ "none", NULL },
	{ "unknown", NULL },
	{ "unknown-8bit", NULL },
	{ "x-unknown", NULL },
	{ "x-user-defined", NULL },
	{ "us-ascii", "UTF-8" },
	{ "ascii", "UTF-8" },
	{ "ansi_x3.4-1968", "UTF-8" },
	{ "utf-8", "UTF-8" },
	{ "utf8", "UTF-8" },
	{ "unicode-1-1-utf-8", "UTF-8" },
	{ "x-unicode20utf8", "UTF-8" },
	/* WHATWG Encoding: Latin-1 labels mean windows-1252. */
	{ "iso-8859-1", "WINDOWS-1252" },
	{ "iso8859-1", "WINDOWS-1252" },
	{ "iso_8859-1", "WINDOWS-1252" },
	{ "latin1", "WINDOWS-1252" },
	{ "l1", "WINDOWS-1252" },
	{ "cp819", "WINDOWS-1252" },
	{ "iso-8859-9", "WINDOWS-1254" },
	{ "gb2312", "GB18030" },
	{ "gbk", "GB18030" },
	{ "x-gbk", "GB18030" },
	{ "euc-cn", "GB18030" },
	{ "csgb2312", "GB18030" },
	{ "gb_2312-80", "GB18030" },
	{ "ks_c_5601-1987", "CP949" },
	{ "ks_c_5601", "CP949" },
	{ "euc-kr", "CP949" },
	{ "shift_jis", "CP932" },
	{ "shift-jis", "CP932" },
	{ "sjis", "CP932" },
	{ "x-sjis", "CP932" },
	{ "ms_kanji", "CP932" },
	{ "windows-31j", "CP932" },
	/*
	 * ISO-2022-JP as mail clients read it: with the NEC and IBM
	 * extensions (circled digits, ㈱), which glibc's ISO-2022-JP lacks;
	 * convert() reads it through CP932.
	 */
	{ "iso-2022-jp", "CP50221" },
	{ "iso2022jp", "CP50221" },
	{ "csiso2022jp", "CP50221" },
	{ "iso-2022-jp-ms", "CP50221" },
	{ "cp50220", "CP50221" },
	{ "cp50221", "CP50221" },
	{ "cp50222", "CP50221" },
	{ "big5", "BIG5-HKSCS" },
	{ "x-mac-roman", "MACINTOSH" },
};

int
mime_text_add_cut(struct buf *b, const char *s, size_t n)
{
	size_t room;

	if (buf_add(b, s, n) == 0)
		return 0;
	room = b->cap > b->len ? b->cap - b->len : 0;
	if (room > n)
		room = n;
	while (room > 0 && ((unsigned char)s[room] & 0xc0) == 0x80)
		room--;
	if (room > 0)
		buf_add(b, s, room);
	return -1;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * Bytes from s that are plain ASCII and neither NUL nor (with `cr`) CR,
 * checked eight at a time: mail text is mostly ASCII, and this loop is
 * where text extraction spends its time.
 */
static size_t
ascii_run(const unsigned char *s, size_t n, int cr)
{
	size_t i = 0;

	while (i + 8 <= n) {
		uint64_t v, bad;

		memcpy(&v, s + i, 8);
		bad = (v & HIGHS) | ((v - ONES) & ~v & HIGHS);
		if (cr)
			bad |= ((v ^ (ONES * '\r')) - ONES) &
			       ~(v ^ (ONES * '\r')) & HIGHS;
		if (bad != 0)
			break;
		i += 8;
	}
	return i;
}

/* Length of the valid UTF-8 sequence at s (lead byte >= 0x80), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* Second byte ranges exclude overlongs, surrogates, > U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return len;
}

/*
 * Append str to out as valid UTF-8: invalid bytes and NULs become U+FFFD;
 * with `text`, CRLF and lone CR become LF.  Returns the number of bytes
 * replaced, or -1 when out's cap was reached (what fitted is kept).
 */
static long
mime_text_clean(struct buf *out, const char *str, size_t n, int text)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, start = 0, len;
	long replaced = 0;

	while (i < n) {
		unsigned char c;

		i += ascii_run(s + i, n - i, text);
		if (i >= n)
			break;
		c = s[i];
		if (c != 0 && c < 0x80 && !(text && c == '\r')) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			len = utf8_seq(s + i, n - i);
			if (len > 0) {
				i += len;
				continue;
			}
		}
		if (mime_text_add_cut(out, str + start, i - start) < 0)
			return -1;
		if (c == '\r') {
			/* CRLF: drop the CR; a lone CR ends a line. */
			if (i + 1 >= n || s[i + 1] != '\n') {
				if (buf_add(out, "\n", 1) < 0)
					return -1;
			}
		} else {
			if (buf_add(out, REPLACEMENT, 3) < 0)
				return -1;
			replaced++;
		}
		i++;
		start = i;
	}
	if (mime_text_add_cut(out, str + start, i - start) < 0)
		return -1;
	return replaced;
}

/* Count valid multi-byte sequences and invalid bytes (NULs are neither). */
static void
utf8_scan(const unsigned char *s, size_t n, size_t *multi_r, size_t *bad_r)
{
	size_t multi = 0, bad = 0, len;

	for (size_t i = 0; i < n;) {
		i += ascii_run(s + i, n - i, 0);
		if (i >= n)
			break;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		len = utf8_seq(s + i, n - i);
		if (len == 0) {
			bad++;
			i++;
		} else {
			multi++;
			i += len;
		}
	}
	*multi_r = multi;
	*bad_r = bad;
}

/* JIS X 0208 row and cell (0x21-0x7e each) as a Shift_JIS pair. */
static void
jis_to_sjis(unsigned char c1, unsigned char c2, struct buf *out)
{
	unsigned char b[2];

	b[0] = (unsigned char)(((c1 - 0x21) >> 1) + 0x81);
	if (b[0] > 0x9f)
		b[0] += 0x40;
	if (c1 & 1)
		b[1] = (unsigned char)(c2 + (c2 >= 0x60 ? 0x20 : 0x1f));
	else
		b[1] = (unsigned char)(c2 + 0x7e);
	buf_add(out, b, 2);
}

/*
 * ISO-2022-JP the way Microsoft's CP50220/CP50221 read it, rewritten as
 * CP932 bytes: JIS X 0208 (with NEC row 13 and the IBM extension rows,
 * which CP932 maps at the same codes), JIS-Roman as ASCII, half-width
 * katakana by ESC ( I or SO/SI.  JIS X 0212 has no CP932 code: '?'.
 */
static void
iso2022jp_to_cp932(const unsigned char *s, size_t n, struct buf *out)
{
	enum {
		ASCII,
		KANJI,
		KANA,
		X0212
	} mode = ASCII;
	int shifted = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i], k;

		if (c == 0x1b && i + 2 < n && s[i + 1] == '(') {
			mode = s[i + 2] == 'I' ? KANA : ASCII;
			i += 2;
		} else if (c == 0x1b && i + 2 < n && s[i + 1] == '$' &&
			   (s[i + 2] == 'B' || s[i + 2] == '@')) {
			mode = KANJI;
			i += 2;
		} else if (c == 0x1b && i + 3 < n && s[i + 1] == '$' &&
			   s[i + 2] == '(') {
			mode = s[i + 3] == 'D' ? X0212 : KANJI;
			i += 3;
		} else if (c == 0x0e || c == 0x0f) {
			shifted = c == 0x0e;
		} else if (c < 0x21 || c > 0x7e) {
			buf_add(out, &c, 1);
		} else if (shifted || mode == KANA) {
			k = (unsigned char)(c <= 0x5f ? c + 0x80 : '?');
			buf_add(out, &k, 1);
		} else if (mode == ASCII) {
			buf_add(out, &c, 1);
		} else if (i + 1 < n && s[i + 1] >= 0x21 && s[i + 1] <= 0x7e) {
			if (mode == KANJI)
				jis_to_sjis(c, s[i + 1], out);
			else
				buf_add(out, "?", 1);
			i++;
		} else {
			buf_add(out, "?", 1);
		}
	}
}

/*
 * Convert with iconv into tmp; bytes the charset cannot read become
 * U+FFFD.  Returns the number replaced, or -1 when iconv does not know
 * the charset.
 */
static long
convert(const char *s, size_t n, const char *charset, struct buf *tmp)
{
	char chunk[8192], *in = (char *)(uintptr_t)s, *o;
	size_t inleft = n, oleft, r;
	long bad = 0;
	struct buf sjis = { 0 };
	iconv_t cd;

	if (strcmp(charset, "CP50221") == 0) {
		buf_init(&sjis, n + 16);
		iso2022jp_to_cp932((const unsigned char *)s, n, &sjis);
		if (sjis.data != NULL)
			in = sjis.data;
		inleft = sjis.len;
		charset = "CP932";
	}
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1) {
		buf_free(&sjis);
		return -1;
	}
	while (inleft > 0) {
		o = chunk;
		oleft = sizeof(chunk);
		r = iconv(cd, &in, &inleft, &o, &oleft);
		if (mime_text_add_cut(tmp, chunk, (size_t)(o - chunk)) < 0)
			break;
		if (r != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ, or EINVAL: a sequence cut off at the end. */
		if (buf_add(tmp, REPLACEMENT, 3) < 0)
			break;
		bad++;
		in++;
		inleft--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	o = chunk;
	oleft = sizeof(chunk);
	iconv(cd, NULL, NULL, &o, &oleft);
	mime_text_add_cut(tmp, chunk, (size_t)(o - chunk));
	iconv_close(cd);
	buf_free(&sjis);
	return bad;
}

/* The iconv name for a declared charset, or NULL when it says nothing. */
static const char *
charset_lookup(const char *declared, char *norm, size_t normsize)
{
	size_t i = 0;

	/* Trim blanks and stray quotes some clients leave in. */
	while (*declared == ' ' || *declared == '"' || *declared == '\'')
		declared++;
	while (declared[i] != '\0' && declared[i] != '"' &&
	       declared[i] != '\'' && declared[i] != ' ' &&
	       declared[i] != ';' && i + 1 < normsize) {
		norm[i] = declared[i];
		i++;
	}
	norm[i] = '\0';
	for (size_t k = 0;
	     k < sizeof(charset_aliases) / sizeof(charset_aliases[0]); k++) {
		if (strcasecmp(norm, charset_aliases[k].name) == 0)
			return charset_aliases[k].iconv;
	}
	return norm;
}

/* No (usable) charset: UTF-8 if it is, else windows-1252. */
static void
guess(const char *s, size_t n, int said_utf8, struct buf *out,
    struct mime_text_info *info)
{
	struct buf tmp;
	size_t multi, bad;
	long r;

	utf8_scan((const unsigned char *)s, n, &multi, &bad);
	if (bad == 0 || (said_utf8 && multi >= bad)) {
		r = mime_text_clean(out, s, n, 1);
		info->used = "UTF-8";
		info->replaced = r > 0 ? (size_t)r : 0;
		return;
	}
	buf_init(&tmp, n * 3 + 16);
	r = convert(s, n, "WINDOWS-1252", &tmp);
	info->used = "windows-1252";
	info->guessed = 1;
	info->replaced = r > 0 ? (size_t)r : 0;
	mime_text_clean(out, tmp.data != NULL ? tmp.data : "", tmp.len, 1);
	buf_free(&tmp);
}

void
mime_text_to_utf8(const char *s, size_t n, const char *charset, struct buf *out,
    struct mime_text_info *info_r)
{
	struct mime_text_info info = { charset, NULL, 0, 0, 0, 0 };
	char norm[64];
	const char *cs = NULL;
	struct buf tmp;
	size_t multi, bad;
	long r;

	if (charset != NULL)
		cs = charset_lookup(charset, norm, sizeof(norm));
	if (cs == NULL || strcmp(cs, "UTF-8") == 0) {
		guess(s, n, cs != NULL, out, &info);
		goto out;
	}
	/*
	 * Text that is valid UTF-8 with at least one multi-byte sequence is
	 * UTF-8 whatever the label says: legacy text almost never is by
	 * accident, while "iso-8859-1" on UTF-8 text is common.
	 */
	utf8_scan((const unsigned char *)s, n, &multi, &bad);
	if (multi > 0 && bad == 0 && strncasecmp(cs, "UTF-", 4) != 0 &&
	    strncasecmp(cs, "UCS", 3) != 0) {
		info.wrong = 1;
		info.used = "UTF-8";
		mime_text_clean(out, s, n, 1);
		goto out;
	}
	buf_init(&tmp, n * 4 + 16);
	r = convert(s, n, cs, &tmp);
	if (r < 0) {
		info.unknown = 1;
		guess(s, n, 0, out, &info);
		info.guessed = 1;
		buf_free(&tmp);
		goto out;
	}
	info.used = "declared";
	if (r > 0 && bad == 0 && strncasecmp(cs, "UTF-", 4) != 0) {
		/* Plain ASCII the declared charset cannot read. */
		info.wrong = 1;
		info.used = "UTF-8";
		mime_text_clean(out, s, n, 1);
		buf_free(&tmp);
		goto out;
	}
	info.replaced = r > 0 ? (size_t)r : 0;
	mime_text_clean(out, tmp.data != NULL ? tmp.data : "", tmp.len, 1);
	buf_free(&tmp);
out:
	*info_r = info;
}

char *
mime_text_dup(const char *s)
{
	struct buf b;

	char *p, *start, *end;

	buf_init(&b, SIZE_MAX / 2);
	if (s != NULL)
		mime_text_clean(&b, s, strlen(s), 0);
	p = buf_steal(&b);
	/* One line: an encoded "=0A" must not break a subject in two. */
	for (end = p; *end != '\0'; end++) {
		if ((unsigned char)*end < 0x20 || *end == 0x7f)
			*end = ' ';
	}
	while (end > p && end[-1] == ' ')
		*--end = '\0';
	for (start = p; *start == ' '; start++)
		;
	memmove(p, start, (size_t)(end - start) + 1);
	return p;
}

char *
mime_text_lower(char *s)
{
	for (char *p = s; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return s;
}

/* Quote depth of a format=flowed line; *body_r skips quotes and stuffing. */
static unsigned
flowed_depth(const char *line, size_t len, size_t *body_r)
{
	size_t i = 0;

	while (i < len && line[i] == '>')
		i++;
	if (i < len && line[i] == ' ')
		*body_r = i + 1;
	else
		*body_r = i;
	return (unsigned)i;
}

void
mime_text_unflow(struct buf *text, int delsp)
{
	const char *p = text->data, *end = p + text->len;
	unsigned depth = 0;
	int open = 0;
	struct buf out;

	if (p == NULL)
		return;
	buf_init(&out, text->cap);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		size_t body;
		unsigned d = flowed_depth(p, len, &body);
		int flowed =
		    len > body && p[len - 1] == ' ' &&
		    !(len - body == 3 && memcmp(p + body, "-- ", 3) == 0);

		if (open && d != depth) {
			/* A quote level change ends a paragraph (RFC 3676). */
			buf_add(&out, "\n", 1);
			open = 0;
		}
		if (!open) {
			for (unsigned k = 0; k < d; k++)
				buf_add(&out, ">", 1);
			if (d > 0)
				buf_add(&out, " ", 1);
		}
		buf_add(&out, p + body, len - body - (flowed && delsp));
		if (!flowed && nl != NULL)
			buf_add(&out, "\n", 1);
		open = flowed;
		depth = d;
		p = nl != NULL ? nl + 1 : end;
	}
	buf_free(text);
	*text = out;
}
