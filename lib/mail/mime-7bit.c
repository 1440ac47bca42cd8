/*
 * An 8-bit message made 7-bit for an SMTP server that offers neither
 * 8BITMIME nor SMTPUTF8 (smtp.h's to_7bit hook): every leaf part whose
 * content is 8-bit gets quoted-printable or base64 (GMime picks the
 * shorter under the 7-bit constraint), every header holding raw 8-bit
 * is written again as RFC 2047 encoded words.  The decoded content is
 * unchanged, byte for byte.
 */
#include "mime.h"

#include <gmime/gmime.h>
#include <string.h>

#include "xalloc.h"

/* Any byte past US-ASCII in s? */
static int
text_8bit(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s > 0x7f)
			return 1;
	return 0;
}

/* Headers with raw 8-bit (UTF-8, or a legacy charset GMime decoded)
 * again from their decoded value: GMime encodes what needs it. */
static void
encode_headers(GMimeObject *obj)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = g_mime_header_list_get_count(hl);

	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		char *value;

		if (!text_8bit(g_mime_header_get_raw_value(h)))
			continue;
		value = g_strdup(g_mime_header_get_value(h));
		g_mime_header_set_value(h, NULL, value, "utf-8");
		g_free(value);
	}
}

static void
encode_part(GMimeObject *parent, GMimeObject *part, gpointer arg)
{
	(void)parent;
	(void)arg;
	encode_headers(part);
	if (GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *inner =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));

		if (inner != NULL) {
			encode_headers(GMIME_OBJECT(inner));
			g_mime_message_foreach(inner, encode_part, NULL);
		}
	}
}

int
mime_to_7bit(const char *data, size_t len, char **out_r, size_t *len_r)
{
	GMimeFormatOptions *fo;
	GMimeStream *in, *out;
	GMimeParser *parser;
	GMimeMessage *msg;
	GByteArray *ba;
	int r = -1;

	in = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(in);
	g_object_unref(in);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (msg == NULL)
		return -1;
	encode_headers(GMIME_OBJECT(msg));
	g_mime_message_foreach(msg, encode_part, NULL);
	g_mime_object_encode(GMIME_OBJECT(msg), GMIME_ENCODING_CONSTRAINT_7BIT);
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	out = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, out) >= 0) {
		ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
		*out_r = xmalloc(ba->len + 1);
		memcpy(*out_r, ba->data, ba->len);
		(*out_r)[ba->len] = '\0';
		*len_r = ba->len;
		r = 0;
	}
	g_object_unref(out);
	g_mime_format_options_free(fo);
	g_object_unref(msg);
	return r;
}
