/*
 * Mailbox names on the wire: modified UTF-7 (RFC 3501 section 5.1.3).
 * Printable US-ASCII stands for itself, except "&", which is "&-"; any
 * other run of characters is its UTF-16 in base64 with "," for "/", no
 * padding, between "&" and "-".  libetpan has no encoder of its own.
 */
#include "imap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
printable(unsigned c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* The next code point of UTF-8 s (at *i), or -1: invalid, overlong, a
 * surrogate or past U+10FFFF. */
static int32_t
utf8_next(const unsigned char *s, size_t *i)
{
	unsigned c = s[*i], n, k;
	uint32_t cp, min;

	if (c < 0x80) {
		(*i)++;
		return (int32_t)c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1; /* also stops at the NUL */
		cp = cp << 6 | (s[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n + 1;
	return (int32_t)cp;
}

/* Append the bits of one UTF-16 unit to a base64 run. */
static void
put_unit(char *out, size_t *o, uint32_t *bits, unsigned *nbits, uint32_t u)
{
	*bits = (*bits << 16 | u) & 0xffffffu;
	*nbits += 16;
	while (*nbits >= 6) {
		*nbits -= 6;
		out[(*o)++] = b64[(*bits >> *nbits) & 0x3f];
	}
}

int
imap_utf7_encode(const char *utf8, char **out_r, struct error *err)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t len = strlen(utf8), i = 0, o = 0;
	uint32_t bits = 0;
	unsigned nbits = 0;
	int in_run = 0;
	char *out;

	/* Worst case: each input byte alone in its own "&AAE-". */
	out = xmalloc(len * 5 + 1);
	while (s[i] != '\0') {
		int32_t cp = utf8_next(s, &i);

		if (cp < 0) {
			free(out);
			return error_set(err, ERR_CONF,
			    "mailbox name \"%s\" is not valid UTF-8", utf8);
		}
		if (printable((unsigned)cp)) {
			if (in_run) {
				if (nbits > 0)
					out[o++] =
					    b64[(bits << (6 - nbits)) & 0x3f];
				out[o++] = '-';
				in_run = 0, bits = 0, nbits = 0;
			}
			out[o++] = (char)cp;
			if (cp == '&')
				out[o++] = '-';
			continue;
		}
		if (!in_run) {
			out[o++] = '&';
			in_run = 1;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put_unit(out, &o, &bits, &nbits,
			    0xd800 | ((uint32_t)cp >> 10));
			put_unit(out, &o, &bits, &nbits,
			    0xdc00 | ((uint32_t)cp & 0x3ff));
		} else {
			put_unit(out, &o, &bits, &nbits, (uint32_t)cp);
		}
	}
	if (in_run) {
		if (nbits > 0)
			out[o++] = b64[(bits << (6 - nbits)) & 0x3f];
		out[o++] = '-';
	}
	out[o] = '\0';
	*out_r = out;
	return 0;
}

static int
b64_value(unsigned char c)
{
	const char *p = c != '\0' ? strchr(b64, c) : NULL;

	return p != NULL ? (int)(p - b64) : -1;
}

static void
put_utf8(char *out, size_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		out[(*o)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*o)++] = (char)(0xc0 | cp >> 6);
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*o)++] = (char)(0xe0 | cp >> 12);
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*o)++] = (char)(0xf0 | cp >> 18);
		out[(*o)++] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*o)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/*
 * One "&...-" run starting after the "&" at s[*i]: its UTF-16 as UTF-8.
 * -1 when it is not modified base64 of whole UTF-16 units, pairs its
 * surrogates wrongly, leaves non-zero bits or encodes what needs none.
 */
static int
decode_run(const unsigned char *s, size_t *i, char *out, size_t *o)
{
	uint32_t bits = 0, hi = 0;
	unsigned nbits = 0;
	int v, units = 0;

	for (; s[*i] != '-'; (*i)++) {
		v = b64_value(s[*i]);
		if (v < 0)
			return -1;
		bits = (bits << 6 | (uint32_t)v) & 0xffffffu;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		uint32_t u = bits >> nbits & 0xffff;

		units++;
		if (hi != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				return -1;
			put_utf8(out, o,
			    0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00));
			hi = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			hi = u;
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return -1;
		} else if (printable(u)) {
			return -1; /* must have been itself */
		} else {
			put_utf8(out, o, u);
		}
	}
	if (hi != 0 || units == 0 || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0)
		return -1;
	(*i)++; /* the "-" */
	return 0;
}

int
imap_utf7_decode(const char *mutf7, char **out_r, struct error *err)
{
	const unsigned char *s = (const unsigned char *)mutf7;
	size_t len = strlen(mutf7), i = 0, o = 0;
	char *out;

	/* At most 3 bytes of UTF-8 per 16 bits, i.e. per 2 2/3 characters
	 * of base64: under 2 bytes per input character. */
	out = xmalloc(len * 2 + 1);
	while (s[i] != '\0') {
		if (s[i] == '&' && s[i + 1] == '-') {
			out[o++] = '&';
			i += 2;
		} else if (s[i] == '&') {
			i++;
			if (decode_run(s, &i, out, &o) < 0)
				goto bad;
		} else if (printable(s[i])) {
			out[o++] = (char)s[i++];
		} else {
			goto bad;
		}
	}
	out[o] = '\0';
	*out_r = out;
	return 0;
bad:
	free(out);
	return error_set(err, ERR_BOX,
	    "mailbox name \"%.200s\" is not valid modified UTF-7", mutf7);
}
