/*
 * Composing outgoing mail with GMime.  See compose.h.
 *
 * Byte identity of attached messages: a message is attached as a
 * GMimePart of type message/rfc822 whose content is a data wrapper over
 * its bytes with an identity encoding (7bit/8bit/binary, the same on
 * wrapper and part), so GMime copies it instead of parsing and
 * re-serialising it.  The only change is CRLF line ends (SMTP's own).
 */
#include "compose.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "xalloc.h"

#define LINE_MAX_RFC 998 /* RFC 5322 2.1.1 */

struct compose {
	GMimeMessage *msg;     /* owned */
	GMimeMultipart *mixed; /* owned; mixed or alternative; NULL: a
				  single-part body */
	GMimeObject *body;     /* owned; the single part, or NULL */
};

static void
gmime_init(void)
{
	g_mime_init();
}

static void
gmime_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	/* g_mime_init is reference counted: one reference for the process,
	   taken once even when the outbox runs in its own thread */
	pthread_once(&once, gmime_init);
}

struct compose *
compose_new(void)
{
	struct compose *c = xcalloc(1, sizeof(*c));

	gmime_once();
	c->msg = g_mime_message_new(FALSE);
	return c;
}

void
compose_free(struct compose **cp)
{
	struct compose *c = *cp;

	if (c == NULL)
		return;
	if (c->body != NULL)
		g_object_unref(c->body);
	if (c->mixed != NULL)
		g_object_unref(c->mixed);
	g_object_unref(c->msg);
	free(c);
	*cp = NULL;
}

void
compose_header(struct compose *c, const char *name, const char *value)
{
	g_mime_object_set_header(GMIME_OBJECT(c->msg), name, value, "utf-8");
}

void
compose_subject(struct compose *c, const char *subject)
{
	g_mime_message_set_subject(c->msg, subject, "utf-8");
}

void
compose_message_id(struct compose *c, const char *id)
{
	g_mime_message_set_message_id(c->msg, id);
}

void
compose_mixed(struct compose *c, const char *boundary)
{
	if (c->mixed == NULL)
		c->mixed = g_mime_multipart_new_with_subtype("mixed");
	g_mime_multipart_set_boundary(c->mixed, boundary);
}

void
compose_alternative(struct compose *c)
{
	if (c->mixed == NULL)
		c->mixed = g_mime_multipart_new_with_subtype("alternative");
}

/* 7bit, 8bit or binary: the identity encoding that fits the bytes. */
static GMimeContentEncoding
identity_encoding(const char *p, size_t len)
{
	GMimeContentEncoding enc = GMIME_CONTENT_ENCODING_7BIT;
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\0')
			return GMIME_CONTENT_ENCODING_BINARY;
		if (ch >= 0x80)
			enc = GMIME_CONTENT_ENCODING_8BIT;
		col = ch == '\n' ? 0 : col + 1;
		if (col > LINE_MAX_RFC + 1)
			return GMIME_CONTENT_ENCODING_BINARY;
	}
	return enc;
}

static GMimeDataWrapper *
wrap_bytes(const char *p, size_t len, GMimeContentEncoding enc)
{
	GMimeStream *s;
	GMimeDataWrapper *w;

	s = g_mime_stream_mem_new_with_buffer(p, len);
	w = g_mime_data_wrapper_new_with_stream(s, enc);
	g_object_unref(s);
	return w;
}

/* The body's next part: added to the multipart, or the body itself. */
static void
add_part(struct compose *c, GMimeObject *part)
{
	if (c->mixed != NULL) {
		g_mime_multipart_add(c->mixed, part);
		g_object_unref(part);
		return;
	}
	if (c->body != NULL)
		g_object_unref(c->body);
	c->body = part;
}

/* A text/SUBTYPE; charset=utf-8 part, 7bit or quoted-printable. */
static void
add_text(struct compose *c, const char *subtype, const char *text)
{
	GMimeTextPart *tp;
	GMimeDataWrapper *w;
	size_t len = strlen(text);
	GMimeContentEncoding enc;

	tp = g_mime_text_part_new_with_subtype(subtype);
	g_mime_text_part_set_charset(tp, "utf-8");
	w = wrap_bytes(text, len, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(tp), w);
	g_object_unref(w);
	/* plain ASCII stays readable as is; anything else as QP */
	enc = identity_encoding(text, len) == GMIME_CONTENT_ENCODING_7BIT ?
		  GMIME_CONTENT_ENCODING_7BIT :
		  GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	g_mime_part_set_content_encoding(GMIME_PART(tp), enc);
	add_part(c, GMIME_OBJECT(tp));
}

void
compose_text(struct compose *c, const char *text)
{
	add_text(c, "plain", text);
}

void
compose_html(struct compose *c, const char *html)
{
	add_text(c, "html", html);
}

void
compose_attach_message(struct compose *c, const char *raw, size_t len,
    const char *filename, const char *description)
{
	GMimePart *p;
	GMimeDataWrapper *w;
	GMimeContentEncoding enc;

	enc = identity_encoding(raw, len);
	if (enc == GMIME_CONTENT_ENCODING_BINARY) {
		/*
		 * message/rfc822 may only be 7bit, 8bit or binary (RFC 2046
		 * 5.2.1), and binary needs BINARYMIME, which SMTP servers
		 * rarely offer: they refuse a NUL or a line over 998 octets.
		 * Such a message goes as a base64 .eml file instead, still
		 * byte-identical once decoded.
		 */
		p = g_mime_part_new_with_type("application", "octet-stream");
		w = wrap_bytes(raw, len, GMIME_CONTENT_ENCODING_DEFAULT);
		enc = GMIME_CONTENT_ENCODING_BASE64;
	} else {
		p = g_mime_part_new_with_type("message", "rfc822");
		w = wrap_bytes(raw, len, enc);
	}
	g_mime_part_set_content(p, w);
	g_object_unref(w);
	g_mime_part_set_content_encoding(p, enc);
	g_mime_object_set_disposition(GMIME_OBJECT(p), "attachment");
	g_mime_object_set_content_disposition_parameter(GMIME_OBJECT(p),
	    "filename", filename);
	g_mime_part_set_content_description(p, description);
	add_part(c, GMIME_OBJECT(p));
}

int
compose_write(struct compose *c, size_t max, char **data_r, size_t *len_r,
    struct error *err)
{
	GMimeFormatOptions *fo;
	GMimeStream *out;
	GByteArray *ba;
	int r = -1;

	if (c->mixed != NULL)
		g_mime_message_set_mime_part(c->msg, GMIME_OBJECT(c->mixed));
	else if (c->body != NULL)
		g_mime_message_set_mime_part(c->msg, c->body);
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	out = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(c->msg), fo, out) < 0) {
		error_set(err, ERR_INTERNAL, "GMime could not write the mail");
		goto out;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	if (ba->len > max) {
		error_set(err, ERR_MSG,
		    "mail of %u bytes is over the %zu-byte cap", ba->len, max);
		goto out;
	}
	*data_r = xmalloc(ba->len + 1);
	memcpy(*data_r, ba->data, ba->len);
	(*data_r)[ba->len] = '\0';
	*len_r = ba->len;
	r = 0;
out:
	g_object_unref(out);
	g_mime_format_options_free(fo);
	return r;
}

/* Append the address of mailbox `ia` to v[n]. */
static char **
add_mailbox(char **v, size_t *n, InternetAddress *ia)
{
	v = xreallocarray(v, *n + 1, sizeof(*v));
	v[(*n)++] = xstrdup(
	    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
	return v;
}

size_t
compose_addrs(const char *list, char ***addrs_r)
{
	InternetAddressList *l;
	char **v = NULL;
	size_t n = 0;
	int i, len;

	gmime_once();
	*addrs_r = NULL;
	if (list == NULL)
		return 0;
	l = internet_address_list_parse(NULL, list);
	if (l == NULL)
		return 0;
	len = internet_address_list_length(l);
	for (i = 0; i < len; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		InternetAddressList *members;
		int j, mlen;

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			v = add_mailbox(v, &n, ia);
			continue;
		}
		members = internet_address_group_get_members(
		    INTERNET_ADDRESS_GROUP(ia));
		mlen =
		    members != NULL ? internet_address_list_length(members) : 0;
		for (j = 0; j < mlen; j++) {
			InternetAddress *m;

			m = internet_address_list_get_address(members, j);
			if (INTERNET_ADDRESS_IS_MAILBOX(m))
				v = add_mailbox(v, &n, m);
		}
	}
	g_object_unref(l);
	*addrs_r = v;
	return n;
}

void
compose_addrs_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
