/*
 * The MIME tree walk: which parts are the author's text, which are
 * forwarded, which are attachments; each part's content streamed through
 * its transfer decoding with bounded memory, text converted to UTF-8
 * (mime-text.c) and HTML rendered (html.c).  Bounds on depth, parts and
 * text are enforced here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "buf.h"
#include "html.h"
#include "mime-private.h"
#include "mime.h"
#include "xalloc.h"

#define MIME_READ_CHUNK 65536

/* Count n decoded bytes and keep them if asked; -1 once keep is full. */
static int
part_sink(struct buf *keep, const char *data, size_t n, size_t *size)
{
	*size += n;
	if (keep == NULL)
		return 0;
	return mime_text_add_cut(keep, data, n);
}

/*
 * Base64 and quoted-printable, decoded step by step with our own
 * GMimeEncoding state, so a base64 body that ends mid-quantum (a
 * truncated message) can be told from a complete one.
 */
static int
part_decode_steps(struct mime_ctx *c, GMimeStream *src,
    GMimeContentEncoding enc, struct buf *keep, size_t *size)
{
	char in[MIME_READ_CHUNK], out[MIME_READ_CHUNK + 64];
	GMimeEncoding state;
	ssize_t n;
	size_t len;

	g_mime_encoding_init_decode(&state, enc);
	for (;;) {
		n = g_mime_stream_read(src, in, sizeof(in));
		if (n <= 0)
			break;
		len = g_mime_encoding_step(&state, in, (size_t)n, out);
		if (part_sink(keep, out, len, size) < 0)
			return 1;
	}
	if (n < 0)
		mime_problem(c, "encoding: read error in part content");
	/* GMime 3.2 leaves -1 after padding, else the count of pending
	 * characters: 1-3 means the last quantum was cut off. */
	if (enc == GMIME_CONTENT_ENCODING_BASE64 && state.state > 0 &&
	    (state.state & 0xff) != 0)
		mime_problem(c,
		    "encoding: truncated base64, %d trailing "
		    "character(s) dropped",
		    state.state & 0xff);
	return 0;
}

/* Anything else (7bit, 8bit, binary, uuencode) through a filter stream. */
static int
part_decode_filter(struct mime_ctx *c, GMimeStream *src,
    GMimeContentEncoding enc, struct buf *keep, size_t *size)
{
	char chunk[MIME_READ_CHUNK];
	GMimeStream *fs = g_mime_stream_filter_new(src);
	GMimeFilter *filter;
	ssize_t n;
	int cut = 0;

	if (enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		filter = g_mime_filter_basic_new(enc, FALSE);
		g_mime_stream_filter_add(GMIME_STREAM_FILTER(fs), filter);
		g_object_unref(filter);
	}
	for (;;) {
		n = g_mime_stream_read(fs, chunk, sizeof(chunk));
		if (n <= 0)
			break;
		if (part_sink(keep, chunk, (size_t)n, size) < 0) {
			cut = 1;
			break;
		}
	}
	if (n < 0)
		mime_problem(c, "encoding: read error in part content");
	g_object_unref(fs);
	return cut;
}

/*
 * Stream a part's decoded content: into `keep` up to its cap (then stop
 * reading), or, with keep NULL, only count the bytes.  The content is
 * never held in memory as a whole.  Returns 1 when keep was filled
 * before the end, 0 otherwise.
 */
static int
part_read(struct mime_ctx *c, GMimePart *part, struct buf *keep, size_t *size_r)
{
	GMimeDataWrapper *content = g_mime_part_get_content(part);
	GMimeContentEncoding enc;
	GMimeStream *src;

	*size_r = 0;
	if (content == NULL)
		return 0;
	src = g_mime_data_wrapper_get_stream(content);
	if (src == NULL)
		return 0;
	enc = g_mime_data_wrapper_get_encoding(content);
	g_mime_stream_reset(src);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
	    enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
		return part_decode_steps(c, src, enc, keep, size_r);
	return part_decode_filter(c, src, enc, keep, size_r);
}

static int
is_text_part(GMimeObject *obj)
{
	static const char *const not_text[] = {
		"calendar",
		"vcard",
		"x-vcard",
		"directory",
		"rfc822-headers",
		"csv",
		"x-patch-attachment",
	};
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *disp, *sub;

	if (!GMIME_IS_PART(obj) || ct == NULL ||
	    g_ascii_strcasecmp(g_mime_content_type_get_media_type(ct),
		"text") != 0)
		return 0;
	disp = g_mime_object_get_disposition(obj);
	if (disp != NULL && g_ascii_strcasecmp(disp, "attachment") == 0)
		return 0;
	sub = g_mime_content_type_get_media_subtype(ct);
	if (sub == NULL || g_ascii_strcasecmp(sub, "plain") == 0 ||
	    g_ascii_strcasecmp(sub, "html") == 0)
		return 1;
	if (g_mime_part_get_filename(GMIME_PART(obj)) != NULL)
		return 0;
	for (size_t i = 0; i < sizeof(not_text) / sizeof(not_text[0]); i++) {
		if (g_ascii_strcasecmp(sub, not_text[i]) == 0)
			return 0;
	}
	return 1;
}

static int
param_is(GMimeObject *obj, const char *name, const char *value)
{
	const char *v = g_mime_object_get_content_type_parameter(obj, name);

	return v != NULL && g_ascii_strcasecmp(v, value) == 0;
}

static int
is_flowed(GMimeObject *obj)
{
	return param_is(obj, "format", "flowed");
}

static int
is_html(GMimeObject *obj)
{
	return g_mime_content_type_is_type(g_mime_object_get_content_type(obj),
	    "text", "html");
}

/* Bytes in `charset` to clean UTF-8 in out, noting what was guessed. */
void
mime_part_to_utf8(struct mime_ctx *c, const char *s, size_t n,
    const char *charset, struct buf *out)
{
	struct mime_text_info info;

	mime_text_to_utf8(s, n, charset, out, &info);
	if (info.unknown)
		mime_problem(c,
		    "charset: unknown charset \"%.40s\", read "
		    "as %s",
		    charset, info.used);
	else if (info.wrong)
		mime_problem(c, "charset: text declared \"%.40s\" is UTF-8",
		    charset);
	else if (info.guessed && charset != NULL)
		mime_problem(c,
		    "charset: text declared \"%.40s\" is not, read "
		    "as %s",
		    charset, info.used);
	else if (info.guessed)
		mime_problem(c, "charset: undeclared 8-bit text read as %s",
		    info.used);
	if (info.replaced > 0)
		mime_problem(c, "charset: NUL or invalid bytes replaced by "
				"U+FFFD");
}

/* Append a part's text to dst with a blank line between parts. */
void
mime_part_append(struct mime_ctx *c, struct buf *dst, const char *s, size_t n)
{
	int r = 0;

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	if (n == 0)
		return;
	if (dst->len > 0)
		r = mime_text_add_cut(dst, "\n\n", 2);
	if (r == 0)
		r = mime_text_add_cut(dst, s, n);
	if (r < 0 && !c->text_cut) {
		c->text_cut = 1;
		c->m->flags |= MSG_TRUNCATED;
		mime_problem(c, "bounds: text cut at %zu bytes", dst->cap);
	}
}

/*
 * HTML with no charset parameter: the charset its <meta> names, found
 * the way the WHATWG prescan does, in the first 4 KB.  NULL when none.
 */
static const char *
html_meta_charset(const char *s, size_t n, char *out, size_t size)
{
	size_t i, k = 0;

	if (n > 4096)
		n = 4096;
	for (i = 0; i + 7 < n; i++) {
		if (strncasecmp(s + i, "charset", 7) == 0)
			break;
	}
	if (i + 7 >= n)
		return NULL;
	for (i += 7; i < n && (s[i] == ' ' || s[i] == '=' || s[i] == '"' ||
				  s[i] == '\'');
	     i++)
		;
	while (i < n && k + 1 < size &&
	       (g_ascii_isalnum(s[i]) || s[i] == '-' || s[i] == '_' ||
		   s[i] == '.' || s[i] == ':'))
		out[k++] = s[i++];
	out[k] = '\0';
	return k > 0 ? out : NULL;
}

static void attachment_add(struct mime_ctx *c, const char *filename,
    const char *type, size_t size);

/* "begin 644 name": the file name, or NULL when the line is not one. */
static const char *
uu_begin(const char *line, size_t len, size_t *name_len_r)
{
	size_t i = 6, digits = 0;

	if (len < 6 || memcmp(line, "begin ", 6) != 0)
		return NULL;
	while (i < len && line[i] >= '0' && line[i] <= '7') {
		i++;
		digits++;
	}
	if (digits < 3 || digits > 4 || i >= len || line[i] != ' ')
		return NULL;
	*name_len_r = len - i - 1;
	return *name_len_r > 0 ? line + i + 1 : NULL;
}

/*
 * A uuencoded file from the "begin" line at p: returns the end of its
 * "end" line and its decoded size, or NULL when the block never ends.
 * The size comes from each line's length character.
 */
static const char *
uu_block(const char *p, const char *end, size_t *size_r)
{
	size_t size = 0;

	p = memchr(p, '\n', (size_t)(end - p));
	while (p != NULL && ++p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		if (len >= 3 && memcmp(p, "end", 3) == 0 &&
		    (len == 3 || p[3] == ' ' || p[3] == '\r')) {
			*size_r = size;
			return nl != NULL ? nl + 1 : end;
		}
		if (len > 0)
			size += (size_t)((p[0] - 0x20) & 0x3f);
		p = nl;
	}
	return NULL;
}

/*
 * Inline uuencoded files in plain text (Lotus Notes and older clients
 * send them so) leave the text and become attachments.
 */
static void
strip_uuencode(struct mime_ctx *c, struct buf *text)
{
	const char *p = text->data, *end = p + text->len, *name, *after;
	size_t name_len, size;
	struct buf out;
	char *fname;

	if (p == NULL || (strncmp(p, "begin ", 6) != 0 &&
			     memmem(p, text->len, "\nbegin ", 7) == NULL))
		return;
	buf_init(&out, SIZE_MAX / 2);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl != NULL ? nl + 1 : end;

		name =
		    uu_begin(p, (size_t)(next - p) - (nl != NULL), &name_len);
		after = name != NULL ? uu_block(p, end, &size) : NULL;
		if (after != NULL) {
			fname = xstrndup(name, name_len);
			attachment_add(c, fname, "application/octet-stream",
			    size);
			free(fname);
			p = after;
			continue;
		}
		buf_add(&out, p, (size_t)(next - p));
		p = next;
	}
	buf_free(text);
	*text = out;
}

static void
take_text(struct mime_ctx *c, GMimeObject *obj, int fwd, int want_text)
{
	char meta[64];
	const char *charset;
	struct buf raw, utf, tmp;
	int html = is_html(obj), keep_html = html && !fwd && !c->html_seen;
	size_t size;

	if (!want_text && !keep_html)
		return;
	buf_init(&raw, c->lim->max_text);
	buf_init(&utf, SIZE_MAX / 2);
	buf_init(&tmp, c->lim->max_text);
	if (part_read(c, GMIME_PART(obj), &raw, &size) != 0) {
		c->m->flags |= MSG_TRUNCATED;
		mime_problem(c, "bounds: text part cut at %zu bytes",
		    c->lim->max_text);
	}
	charset = g_mime_object_get_content_type_parameter(obj, "charset");
	if (charset == NULL && html && raw.data != NULL)
		charset =
		    html_meta_charset(raw.data, raw.len, meta, sizeof(meta));
	mime_part_to_utf8(c, raw.data != NULL ? raw.data : "", raw.len, charset,
	    &utf);
	if (keep_html) {
		c->html_seen = 1;
		mime_text_add_cut(&c->html, utf.data != NULL ? utf.data : "",
		    utf.len);
	}
	if (want_text && html) {
		html_to_text(utf.data != NULL ? utf.data : "", utf.len, &tmp);
		mime_part_append(c, fwd ? &c->fwd : &c->text,
		    tmp.data != NULL ? tmp.data : "", tmp.len);
	} else if (want_text) {
		strip_uuencode(c, &utf);
		if (is_flowed(obj))
			mime_text_unflow(&utf, param_is(obj, "delsp", "yes"));
		mime_part_append(c, fwd ? &c->fwd : &c->text,
		    utf.data != NULL ? utf.data : "", utf.len);
	}
	buf_free(&raw);
	buf_free(&utf);
	buf_free(&tmp);
}

static void
attachment_add(struct mime_ctx *c, const char *filename, const char *type,
    size_t size)
{
	struct msg *m = c->m;
	struct msg_attachment *a;

	if (m->n_attachments == c->attachments_alloc) {
		c->attachments_alloc =
		    c->attachments_alloc ? c->attachments_alloc * 2 : 4;
		m->attachments = xreallocarray(m->attachments,
		    c->attachments_alloc, sizeof(*m->attachments));
	}
	a = &m->attachments[m->n_attachments++];
	a->filename = mime_text_dup(filename);
	a->content_type = mime_text_lower(mime_text_dup(type));
	a->size = size;
}

static void
attachment_add_obj(struct mime_ctx *c, GMimeObject *obj, const char *filename,
    size_t size)
{
	char *type = g_mime_content_type_get_mime_type(
	    g_mime_object_get_content_type(obj));

	attachment_add(c, filename, type, size);
	g_free(type);
}

static void
take_attachment(struct mime_ctx *c, GMimeObject *obj, int fwd)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	size_t size;

	if (!fwd &&
	    (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
		g_mime_content_type_is_type(ct, "message",
		    "global-delivery-status")))
		c->m->flags |= MSG_BOUNCE;
	if (!fwd && (g_mime_content_type_is_type(ct, "message",
			 "disposition-notification") ||
			g_mime_content_type_is_type(ct, "message",
			    "global-disposition-notification")))
		c->m->flags |= MSG_RECEIPT;
	part_read(c, GMIME_PART(obj), NULL, &size);
	attachment_add_obj(c, obj, g_mime_part_get_filename(GMIME_PART(obj)),
	    size);
}

/* The size of an attached message as it would be written out. */
static void
take_message_attachment(struct mime_ctx *c, GMimeObject *obj,
    GMimeMessage *inner)
{
	const char *name;
	GMimeStream *null;

	name = g_mime_object_get_content_disposition_parameter(obj, "filename");
	if (name == NULL)
		name = g_mime_object_get_content_type_parameter(obj, "name");
	null = g_mime_stream_null_new();
	if (inner != NULL)
		g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, null);
	attachment_add_obj(c, obj, name, GMIME_STREAM_NULL(null)->written);
	g_object_unref(null);
}

/*
 * Which child of a multipart/alternative carries the text: the plain
 * part, else the HTML part, else a nested multipart (related), else the
 * last one.
 */
static int
alternative_pick(GMimeMultipart *mp)
{
	int n = g_mime_multipart_get_count(mp), html = -1, nested = -1;

	for (int i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);

		if (is_text_part(child) && !is_html(child))
			return i;
		if (is_text_part(child) && html < 0)
			html = i;
		if (GMIME_IS_MULTIPART(child) && nested < 0)
			nested = i;
	}
	if (html >= 0)
		return html;
	return nested >= 0 ? nested : n - 1;
}

/* The HTML child of a multipart/alternative, or -1. */
static int
alternative_html(GMimeMultipart *mp)
{
	int n = g_mime_multipart_get_count(mp);

	for (int i = 0; i < n; i++) {
		GMimeObject *child = g_mime_multipart_get_part(mp, i);

		if (is_text_part(child) && is_html(child))
			return i;
	}
	return -1;
}

static void walk(struct mime_ctx *c, GMimeObject *obj, unsigned depth, int fwd,
    int want_text);

static void
take_prologue(struct mime_ctx *c, GMimeMultipart *mp)
{
	const char *prologue = g_mime_multipart_get_prologue(mp);
	struct buf utf;
	size_t n;

	if (prologue == NULL)
		return;
	n = strlen(prologue);
	if (n > c->lim->max_text)
		n = c->lim->max_text;
	buf_init(&utf, SIZE_MAX / 2);
	mime_part_to_utf8(c, prologue, n, NULL, &utf);
	mime_part_append(c, &c->text, utf.data != NULL ? utf.data : "",
	    utf.len);
	buf_free(&utf);
}

static void
walk_multipart(struct mime_ctx *c, GMimeObject *obj, unsigned depth, int fwd,
    int want_text)
{
	GMimeMultipart *mp = GMIME_MULTIPART(obj);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	int n = g_mime_multipart_get_count(mp), pick = -1, alt;
	const char *report;
	size_t before;

	if (g_mime_content_type_is_type(ct, "multipart", "alternative"))
		pick = alternative_pick(mp);
	if (g_mime_content_type_is_type(ct, "multipart", "report") && !fwd) {
		report = g_mime_content_type_get_parameter(ct, "report-type");
		if (report != NULL &&
		    g_ascii_strcasecmp(report, "delivery-status") == 0)
			c->m->flags |= MSG_BOUNCE;
		if (report != NULL &&
		    g_ascii_strcasecmp(report, "disposition-notification") == 0)
			c->m->flags |= MSG_RECEIPT;
		/* Some MTAs put the human-readable part in the prologue. */
		if (want_text)
			take_prologue(c, mp);
	}
	before = fwd ? c->fwd.len : c->text.len;
	for (int i = 0; i < n && !c->parts_cut; i++)
		walk(c, g_mime_multipart_get_part(mp, i), depth + 1, fwd,
		    want_text && (pick < 0 || pick == i));
	/* An empty plain alternative (mass mailers): use the HTML one. */
	if (pick >= 0 && want_text && !c->parts_cut &&
	    before == (fwd ? c->fwd.len : c->text.len)) {
		alt = alternative_html(mp);
		if (alt >= 0 && alt != pick)
			take_text(c, g_mime_multipart_get_part(mp, alt), fwd,
			    1);
	}
}

static void
walk(struct mime_ctx *c, GMimeObject *obj, unsigned depth, int fwd,
    int want_text)
{
	GMimeMessage *inner;

	if (obj == NULL)
		return;
	if (depth > c->lim->max_depth) {
		if (!c->depth_cut)
			mime_problem(c,
			    "bounds: MIME nesting deeper than %u, "
			    "skipped",
			    c->lim->max_depth);
		c->depth_cut = 1;
		c->m->flags |= MSG_TRUNCATED;
		return;
	}
	if (++c->parts > c->lim->max_parts) {
		if (!c->parts_cut)
			mime_problem(c,
			    "bounds: more than %u MIME parts, rest "
			    "skipped",
			    c->lim->max_parts);
		c->parts_cut = 1;
		c->m->flags |= MSG_TRUNCATED;
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		inner =
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
		if (!fwd)
			take_message_attachment(c, obj, inner);
		if (inner != NULL)
			walk(c, g_mime_message_get_mime_part(inner), depth + 1,
			    1, want_text);
	} else if (GMIME_IS_MULTIPART(obj)) {
		walk_multipart(c, obj, depth, fwd, want_text);
	} else if (is_text_part(obj)) {
		take_text(c, obj, fwd, want_text);
	} else if (GMIME_IS_PART(obj)) {
		take_attachment(c, obj, fwd);
	}
}

void
mime_part_walk(struct mime_ctx *c, GMimeObject *obj)
{
	walk(c, obj, 0, 0, 1);
}
