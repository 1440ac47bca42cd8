/*
 * The message model on GMime 3.  GMime parses the MIME tree and decodes
 * headers, words and transfer encodings; this file walks the tree once
 * with bounds on depth, part count and text, converts text to UTF-8
 * (mime-text.c) and fills struct msg.  Every string that leaves this file
 * went through mime_text_clean(), so it is valid UTF-8 without NULs.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "html.h"
#include "mime-private.h"
#include "mime.h"
#include "xalloc.h"

#define MIME_MAX_PROBLEMS	64
#define MIME_MAX_HEADERS	1000
#define MIME_MAX_ADDRS		1000
#define MIME_MAX_REFS		256
#define MIME_READ_CHUNK		65536

/* Everything one parse needs; lives on mime_parse's stack. */
struct mime_ctx {
	struct msg *m;				/* foreign: being filled */
	const struct mime_limits *lim;		/* foreign */
	GMimeParserOptions *opts;		/* owned */
	struct buf text;			/* the author's text */
	struct buf fwd;				/* text of forwarded messages */
	struct buf html;			/* first top-level text/html */
	size_t problems_alloc;
	size_t problems_dropped;
	size_t attachments_alloc;
	unsigned parts;
	int depth_cut, parts_cut, text_cut;
	int html_seen;
};

static int mime_initialized;

void
mime_limits_default(struct mime_limits *lim)
{
	lim->max_size = 50 * 1024 * 1024;
	lim->max_depth = 32;
	lim->max_parts = 1000;
	lim->max_text = 1024 * 1024;
	lim->own_address = NULL;
}

void
mime_init(void)
{
	if (mime_initialized)
		return;
	g_mime_init();
	mime_initialized = 1;
}

void
mime_shutdown(void)
{
	if (!mime_initialized)
		return;
	g_mime_shutdown();
	mime_initialized = 0;
}

/* A UTF-8-clean copy of s (NULL reads as ""). */
static char *
clean_dup(const char *s)
{
	struct buf b;

	buf_init(&b, SIZE_MAX / 2);
	if (s != NULL)
		mime_text_clean(&b, s, strlen(s), 0);
	return buf_steal(&b);
}

/* Lowercase ASCII letters in place; UTF-8 bytes are left as they are. */
static char *
ascii_lower(char *s)
{
	for (char *p = s; *p != '\0'; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	}
	return s;
}

static void problem(struct mime_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Record a parse problem as "kind: detail".  Identical problems are kept
 * once and at most MIME_MAX_PROBLEMS are listed, so hostile input cannot
 * grow the list.
 */
static void
problem(struct mime_ctx *c, const char *fmt, ...)
{
	struct msg *m = c->m;
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < m->n_problems; i++) {
		if (strcmp(m->problems[i], tmp) == 0)
			return;
	}
	if (m->n_problems >= MIME_MAX_PROBLEMS &&
	    strncmp(tmp, "problems:", 9) != 0) {
		c->problems_dropped++;
		return;
	}
	if (m->n_problems == c->problems_alloc) {
		c->problems_alloc = c->problems_alloc ? c->problems_alloc * 2 : 8;
		m->problems = xreallocarray(m->problems, c->problems_alloc,
		    sizeof(*m->problems));
	}
	m->problems[m->n_problems++] = clean_dup(tmp);
}

static const char *
warning_name(GMimeParserWarning code)
{
	switch (code) {
	case GMIME_WARN_DUPLICATED_HEADER:
		return "duplicated header";
	case GMIME_WARN_DUPLICATED_PARAMETER:
		return "duplicated parameter";
	case GMIME_WARN_UNENCODED_8BIT_HEADER:
		return "unencoded 8-bit header";
	case GMIME_WARN_INVALID_CONTENT_TYPE:
		return "invalid content type";
	case GMIME_WARN_INVALID_RFC2047_HEADER_VALUE:
		return "invalid RFC 2047 header value";
	case GMIME_WARN_MALFORMED_MULTIPART:
		return "malformed multipart";
	case GMIME_WARN_TRUNCATED_MESSAGE:
		return "truncated message";
	case GMIME_WARN_MALFORMED_MESSAGE:
		return "malformed message";
	case GMIME_CRIT_INVALID_HEADER_NAME:
		return "invalid header name";
	case GMIME_CRIT_CONFLICTING_HEADER:
		return "conflicting header";
	case GMIME_CRIT_CONFLICTING_PARAMETER:
		return "conflicting parameter";
	case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
		return "multipart without boundary";
	case GMIME_WARN_INVALID_PARAMETER:
		return "invalid parameter";
	case GMIME_WARN_INVALID_ADDRESS_LIST:
		return "invalid address list";
	case GMIME_CRIT_NESTING_OVERFLOW:
		return "nesting overflow";
	case GMIME_WARN_PART_WITHOUT_CONTENT:
		return "part without content";
	case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
		return "part without headers or content";
	}
	return "unknown problem";
}

static void
parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
    gpointer data)
{
	struct mime_ctx *c = data;

	if (item != NULL && *item != '\0')
		problem(c, "mime: %s: %.60s", warning_name(code), item);
	else
		problem(c, "mime: %s", warning_name(code));
}

/* ---- headers -------------------------------------------------------- */

static void
copy_headers(struct mime_ctx *c, GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	struct msg *m = c->m;
	int n = list != NULL ? g_mime_header_list_get_count(list) : 0;

	if (n > MIME_MAX_HEADERS) {
		problem(c, "bounds: %d headers, first %d kept", n,
		    MIME_MAX_HEADERS);
		n = MIME_MAX_HEADERS;
	}
	if (n <= 0)
		return;
	m->headers = xcalloc((size_t)n, sizeof(*m->headers));
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);

		m->headers[m->n_headers].name =
		    clean_dup(g_mime_header_get_name(h));
		m->headers[m->n_headers].value =
		    clean_dup(g_mime_header_get_value(h));
		m->n_headers++;
	}
}

const char *
msg_header(const struct msg *m, const char *name)
{
	for (size_t i = 0; i < m->n_headers; i++) {
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	}
	return NULL;
}

static void
copy_references(struct mime_ctx *c, GMimeObject *obj)
{
	const char *v = g_mime_object_get_header(obj, "References");
	GMimeReferences *refs;
	struct msg *m = c->m;
	int n, first;

	if (v == NULL)
		return;
	refs = g_mime_references_parse(c->opts, v);
	if (refs == NULL)
		return;
	n = g_mime_references_length(refs);
	/* Keep the root and the most recent ids: threading needs those. */
	first = 0;
	if (n > MIME_MAX_REFS) {
		problem(c, "bounds: %d References, root and last %d kept", n,
		    MIME_MAX_REFS - 1);
		first = n - (MIME_MAX_REFS - 1);
	}
	m->references = xcalloc((size_t)(n - first + 1), sizeof(char *));
	for (int i = 0; i < n; i++) {
		if (i > 0 && i < first)
			continue;
		m->references[m->n_references++] =
		    clean_dup(g_mime_references_get_message_id(refs, i));
	}
	g_mime_references_free(refs);
}

static void
copy_ids(struct mime_ctx *c, GMimeMessage *gm)
{
	struct msg *m = c->m;
	const char *v;
	char *id;

	v = g_mime_message_get_message_id(gm);
	if (v != NULL && *v != '\0')
		m->message_id = clean_dup(v);
	else if (g_mime_object_get_header(GMIME_OBJECT(gm), "Message-ID"))
		problem(c, "message-id: unparsable Message-ID");
	v = g_mime_object_get_header(GMIME_OBJECT(gm), "In-Reply-To");
	if (v != NULL) {
		id = g_mime_utils_decode_message_id(v);
		if (id != NULL)
			m->in_reply_to = clean_dup(id);
		g_free(id);
	}
	copy_references(c, GMIME_OBJECT(gm));
}

static void
copy_date(struct mime_ctx *c, GMimeMessage *gm, time_t received)
{
	GDateTime *dt = g_mime_message_get_date(gm);
	const char *v = g_mime_object_get_header(GMIME_OBJECT(gm), "Date");

	if (dt != NULL) {
		c->m->date = g_date_time_to_unix(dt);
		return;
	}
	c->m->date = received;
	c->m->flags |= MSG_DATE_RECEIVED;
	if (v == NULL)
		problem(c, "date: no Date header, time of receipt used");
	else
		problem(c, "date: unparsable Date \"%.60s\", time of receipt "
		    "used", v);
}

/* ---- addresses ------------------------------------------------------ */

static void
addr_add(struct mime_ctx *c, struct msg_addrs *out, size_t *alloc,
    InternetAddress *ia, int depth)
{
	InternetAddressList *members;

	if (INTERNET_ADDRESS_IS_GROUP(ia)) {
		/* Groups do not nest; a parser that says so is confused. */
		if (depth > 0)
			return;
		members = internet_address_group_get_members(
		    INTERNET_ADDRESS_GROUP(ia));
		for (int i = 0; members != NULL &&
		    i < internet_address_list_length(members); i++)
			addr_add(c, out, alloc,
			    internet_address_list_get_address(members, i),
			    depth + 1);
		return;
	}
	if (!INTERNET_ADDRESS_IS_MAILBOX(ia) || out->n >= MIME_MAX_ADDRS)
		return;
	if (out->n == *alloc) {
		*alloc = *alloc ? *alloc * 2 : 4;
		out->v = xreallocarray(out->v, *alloc, sizeof(*out->v));
	}
	out->v[out->n].name = clean_dup(internet_address_get_name(ia));
	out->v[out->n].addr = ascii_lower(clean_dup(
	    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))));
	out->n++;
}

static void
copy_addrs(struct mime_ctx *c, InternetAddressList *list,
    struct msg_addrs *out)
{
	size_t alloc = 0;
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++)
		addr_add(c, out, &alloc,
		    internet_address_list_get_address(list, i), 0);
}

static void
copy_from(struct mime_ctx *c, GMimeMessage *gm)
{
	struct msg *m = c->m;
	struct msg_addrs from = { NULL, 0 };
	const char *at;

	copy_addrs(c, g_mime_message_get_from(gm), &from);
	if (from.n == 0) {
		if (g_mime_object_get_header(GMIME_OBJECT(gm), "From"))
			problem(c, "address: unparsable From");
		else
			problem(c, "address: no From header");
		return;
	}
	m->from = from.v[0];
	for (size_t i = 1; i < from.n; i++) {
		free(from.v[i].name);
		free(from.v[i].addr);
	}
	free(from.v);
	at = strrchr(m->from.addr, '@');
	m->from_domain = xstrdup(at != NULL ? at + 1 : "");
}

/* ---- parts ---------------------------------------------------------- */

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
		problem(c, "encoding: read error in part content");
	/* GMime 3.2 leaves -1 after padding, else the count of pending
	 * characters: 1-3 means the last quantum was cut off. */
	if (enc == GMIME_CONTENT_ENCODING_BASE64 && state.state > 0 &&
	    (state.state & 0xff) != 0)
		problem(c, "encoding: truncated base64, %d trailing "
		    "character(s) dropped", state.state & 0xff);
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
		problem(c, "encoding: read error in part content");
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
part_read(struct mime_ctx *c, GMimePart *part, struct buf *keep,
    size_t *size_r)
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
		"calendar", "vcard", "x-vcard", "directory",
		"rfc822-headers", "csv", "x-patch-attachment",
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
is_html(GMimeObject *obj)
{
	return g_mime_content_type_is_type(
	    g_mime_object_get_content_type(obj), "text", "html");
}

/* Bytes in `charset` to clean UTF-8 in out, noting what was guessed. */
static void
to_utf8(struct mime_ctx *c, const char *s, size_t n, const char *charset,
    struct buf *out)
{
	struct mime_text_info info;

	mime_text_to_utf8(s, n, charset, out, &info);
	if (info.unknown)
		problem(c, "charset: unknown charset \"%.40s\", read as %s",
		    charset, info.used);
	else if (info.wrong)
		problem(c, "charset: text declared \"%.40s\" is UTF-8",
		    charset);
	else if (info.guessed && charset != NULL)
		problem(c, "charset: text declared \"%.40s\" is not, read "
		    "as %s", charset, info.used);
	else if (info.guessed)
		problem(c, "charset: undeclared 8-bit text read as %s",
		    info.used);
	if (info.replaced > 0)
		problem(c, "charset: NUL or invalid bytes replaced by "
		    "U+FFFD");
}

/* Append a part's text to dst with a blank line between parts. */
static void
text_append(struct mime_ctx *c, struct buf *dst, const char *s, size_t n)
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
		problem(c, "bounds: text cut at %zu bytes", dst->cap);
	}
}

static void
take_text(struct mime_ctx *c, GMimeObject *obj, int fwd, int want_text)
{
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
		problem(c, "bounds: text part cut at %zu bytes",
		    c->lim->max_text);
	}
	charset = g_mime_object_get_content_type_parameter(obj, "charset");
	to_utf8(c, raw.data != NULL ? raw.data : "", raw.len, charset, &utf);
	if (keep_html) {
		c->html_seen = 1;
		mime_text_add_cut(&c->html, utf.data != NULL ? utf.data : "",
		    utf.len);
	}
	if (want_text && html) {
		html_to_text(utf.data != NULL ? utf.data : "", utf.len, &tmp);
		text_append(c, fwd ? &c->fwd : &c->text,
		    tmp.data != NULL ? tmp.data : "", tmp.len);
	} else if (want_text) {
		text_append(c, fwd ? &c->fwd : &c->text,
		    utf.data != NULL ? utf.data : "", utf.len);
	}
	buf_free(&raw);
	buf_free(&utf);
	buf_free(&tmp);
}

static void
attachment_add(struct mime_ctx *c, GMimeObject *obj, const char *filename,
    size_t size)
{
	struct msg *m = c->m;
	struct msg_attachment *a;
	char *type;

	if (m->n_attachments == c->attachments_alloc) {
		c->attachments_alloc = c->attachments_alloc ?
		    c->attachments_alloc * 2 : 4;
		m->attachments = xreallocarray(m->attachments,
		    c->attachments_alloc, sizeof(*m->attachments));
	}
	a = &m->attachments[m->n_attachments++];
	a->filename = clean_dup(filename);
	type = g_mime_content_type_get_mime_type(
	    g_mime_object_get_content_type(obj));
	a->content_type = ascii_lower(clean_dup(type));
	g_free(type);
	a->size = size;
}

static void
take_attachment(struct mime_ctx *c, GMimeObject *obj, int fwd)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	size_t size;

	if (!fwd && (g_mime_content_type_is_type(ct, "message",
	    "delivery-status") || g_mime_content_type_is_type(ct, "message",
	    "global-delivery-status")))
		c->m->flags |= MSG_BOUNCE;
	part_read(c, GMIME_PART(obj), NULL, &size);
	attachment_add(c, obj, g_mime_part_get_filename(GMIME_PART(obj)),
	    size);
}

/* The size of an attached message as it would be written out. */
static void
take_message_attachment(struct mime_ctx *c, GMimeObject *obj,
    GMimeMessage *inner)
{
	const char *name;
	GMimeStream *null;

	name = g_mime_object_get_content_disposition_parameter(obj,
	    "filename");
	if (name == NULL)
		name = g_mime_object_get_content_type_parameter(obj, "name");
	null = g_mime_stream_null_new();
	if (inner != NULL)
		g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, null);
	attachment_add(c, obj, name, GMIME_STREAM_NULL(null)->written);
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

static void walk(struct mime_ctx *c, GMimeObject *obj, unsigned depth,
    int fwd, int want_text);

static void
walk_multipart(struct mime_ctx *c, GMimeObject *obj, unsigned depth,
    int fwd, int want_text)
{
	GMimeMultipart *mp = GMIME_MULTIPART(obj);
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	int n = g_mime_multipart_get_count(mp), pick = -1;
	const char *report;

	if (g_mime_content_type_is_type(ct, "multipart", "alternative"))
		pick = alternative_pick(mp);
	if (g_mime_content_type_is_type(ct, "multipart", "report") && !fwd) {
		report = g_mime_content_type_get_parameter(ct, "report-type");
		if (report != NULL &&
		    g_ascii_strcasecmp(report, "delivery-status") == 0)
			c->m->flags |= MSG_BOUNCE;
	}
	for (int i = 0; i < n && !c->parts_cut; i++)
		walk(c, g_mime_multipart_get_part(mp, i), depth + 1, fwd,
		    want_text && (pick < 0 || pick == i));
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
			problem(c, "bounds: MIME nesting deeper than %u, "
			    "skipped", c->lim->max_depth);
		c->depth_cut = 1;
		c->m->flags |= MSG_TRUNCATED;
		return;
	}
	if (++c->parts > c->lim->max_parts) {
		if (!c->parts_cut)
			problem(c, "bounds: more than %u MIME parts, rest "
			    "skipped", c->lim->max_parts);
		c->parts_cut = 1;
		c->m->flags |= MSG_TRUNCATED;
		return;
	}
	if (GMIME_IS_MESSAGE_PART(obj)) {
		inner = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(obj));
		if (!fwd)
			take_message_attachment(c, obj, inner);
		if (inner != NULL)
			walk(c, g_mime_message_get_mime_part(inner),
			    depth + 1, 1, want_text);
	} else if (GMIME_IS_MULTIPART(obj)) {
		walk_multipart(c, obj, depth, fwd, want_text);
	} else if (is_text_part(obj)) {
		take_text(c, obj, fwd, want_text);
	} else if (GMIME_IS_PART(obj)) {
		take_attachment(c, obj, fwd);
	}
}

/* ---- kind flags ----------------------------------------------------- */

static int
prefix_match(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (strncasecmp(s, list[i], strlen(list[i])) == 0)
			return 1;
	}
	return 0;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const auto_headers[] = {
	"X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Autogenerated",
	"X-AutoReply-From", "X-Mail-Autoreply", "X-Auto-Reply",
	"X-Vacation", "X-FC-MachineGenerated",
};

/* Subjects out-of-office replies start with, in the usual languages. */
static const char *const ooo_subjects[] = {
	"Out of Office", "Out of the Office", "Automatic reply",
	"Auto reply", "Auto-reply", "Autoreply", "Auto:", "AutoReply",
	"Abwesenheitsnotiz", "Automatische Antwort", "R\xc3\xa9ponse "
	"automatique", "Respuesta autom\xc3\xa1tica", "Risposta automatica",
	"Automatisch antwoord", "Autosvar", "Automaattinen vastaus",
	"Odpowied\xc5\xba automatyczna", "Resposta autom\xc3\xa1tica",
};

static const char *const bounce_subjects[] = {
	"Undeliverable:", "Undelivered Mail Returned", "Delivery Status "
	"Notification (Failure)", "Mail delivery failed", "Returned mail:",
	"Delivery Failure", "Mail System Error - Returned Mail",
	"failure notice",
};

static void
flags_from_header(struct mime_ctx *c, const char *name, const char *v)
{
	struct msg *m = c->m;
	const char *own = c->lim->own_address;

	if (strcasecmp(name, "Auto-Submitted") == 0) {
		if (strncasecmp(v, "no", 2) != 0)
			m->flags |= MSG_AUTO_SUBMITTED;
	} else if (strcasecmp(name, "Precedence") == 0 ||
	    strcasecmp(name, "X-Precedence") == 0) {
		if (strcasestr(v, "bulk") || strcasestr(v, "junk"))
			m->flags |= MSG_AUTO_SUBMITTED;
		if (strcasestr(v, "list"))
			m->flags |= MSG_AUTO_SUBMITTED | MSG_LIST;
	} else if (strcasecmp(name, "List-Id") == 0 ||
	    strcasecmp(name, "List-Unsubscribe") == 0) {
		m->flags |= MSG_LIST;
	} else if (strcasecmp(name, "X-Failed-Recipients") == 0) {
		m->flags |= MSG_BOUNCE;
	} else if (strcasecmp(name, "X-Loop") == 0) {
		if (own != NULL && *own != '\0' && strcasestr(v, own))
			m->flags |= MSG_OWN_LOOP;
	} else {
		for (size_t i = 0; i < NELEM(auto_headers); i++) {
			if (strcasecmp(name, auto_headers[i]) == 0 &&
			    strncasecmp(v, "no", 2) != 0)
				m->flags |= MSG_AUTO_SUBMITTED;
		}
	}
}

static void
kind_flags(struct mime_ctx *c)
{
	struct msg *m = c->m;
	const char *at;

	for (size_t i = 0; i < m->n_headers; i++)
		flags_from_header(c, m->headers[i].name, m->headers[i].value);
	if (prefix_match(m->subject, ooo_subjects, NELEM(ooo_subjects)))
		m->flags |= MSG_AUTO_SUBMITTED;
	if (prefix_match(m->subject, bounce_subjects, NELEM(bounce_subjects)))
		m->flags |= MSG_BOUNCE;
	at = strchr(m->from.addr, '@');
	if (at != NULL && (size_t)(at - m->from.addr) == 13 &&
	    strncmp(m->from.addr, "mailer-daemon", 13) == 0)
		m->flags |= MSG_BOUNCE;
	if (m->flags & MSG_BOUNCE)
		m->flags |= MSG_AUTO_SUBMITTED;
}

/* ---- the whole message ---------------------------------------------- */

/*
 * Skip what real files carry before the header block: a UTF-8 BOM,
 * blank or whitespace-only lines, an mbox "From " envelope line.
 */
static size_t
skip_preamble(struct mime_ctx *c, const char *p, size_t n)
{
	size_t off = 0, eol;
	int blank = 0;

	if (n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		problem(c, "preamble: UTF-8 byte order mark skipped");
		off = 3;
	}
	for (;;) {
		const char *nl = memchr(p + off, '\n', n - off);

		eol = nl != NULL ? (size_t)(nl - p) : n;
		if (n - off >= 5 && memcmp(p + off, "From ", 5) == 0 &&
		    off + 5 < eol) {
			off = eol < n ? eol + 1 : n;
			continue;
		}
		size_t i = off;
		while (i < eol && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
			i++;
		if (i < eol || eol == n)
			break;
		blank = 1;
		off = eol + 1;
	}
	if (blank)
		problem(c, "preamble: blank lines before the header skipped");
	return off;
}

/* A header block starts with "Name:", Name being printable ASCII. */
static int
looks_like_header(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)p[i] > 32 && (unsigned char)p[i] < 127 &&
	    p[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == ':';
}

static void
not_mail(struct mime_ctx *c, const char *p, size_t n, time_t received)
{
	struct buf utf;

	c->m->flags |= MSG_NOT_MAIL;
	problem(c, "not-mail: no header block at the start");
	c->m->date = received;
	c->m->flags |= MSG_DATE_RECEIVED;
	if (n > c->lim->max_text) {
		n = c->lim->max_text;
		c->m->flags |= MSG_TRUNCATED;
		problem(c, "bounds: text cut at %zu bytes", n);
	}
	buf_init(&utf, SIZE_MAX / 2);
	to_utf8(c, p, n, NULL, &utf);
	text_append(c, &c->text, utf.data != NULL ? utf.data : "", utf.len);
	buf_free(&utf);
}

static int
parse_gmime(struct mime_ctx *c, const char *p, size_t n, time_t received)
{
	GByteArray *array;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *gm;
	struct msg *m = c->m;

	/*
	 * Let GMime read the caller's bytes in place: the stream does not
	 * own the array, and parts keep substreams of it, so content is
	 * never copied.  The bytes outlive every GMime object made here.
	 */
	array = g_byte_array_new_take((guint8 *)(uintptr_t)p, n);
	stream = g_mime_stream_mem_new_with_byte_array(array);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	gm = g_mime_parser_construct_message(parser, c->opts);
	if (gm == NULL)
		goto out;
	copy_headers(c, GMIME_OBJECT(gm));
	copy_ids(c, gm);
	copy_date(c, gm, received);
	m->subject = clean_dup(g_mime_message_get_subject(gm));
	copy_from(c, gm);
	copy_addrs(c, g_mime_message_get_sender(gm), &m->sender);
	copy_addrs(c, g_mime_message_get_reply_to(gm), &m->reply_to);
	copy_addrs(c, g_mime_message_get_to(gm), &m->to);
	copy_addrs(c, g_mime_message_get_cc(gm), &m->cc);
	walk(c, g_mime_message_get_mime_part(gm), 0, 0, 1);
	g_object_unref(gm);
out:
	g_object_unref(parser);
	g_object_unref(stream);
	g_byte_array_free(array, FALSE);
	return gm != NULL ? 0 : -1;
}

static void
synthetic_id(struct msg *m, const char *raw, size_t len)
{
	gchar *hex;

	hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
	    (const guchar *)raw, len);
	free(m->message_id);
	xasprintf(&m->message_id, "%.32s@synthetic.triage.invalid", hex);
	g_free(hex);
	m->flags |= MSG_SYNTHETIC_ID;
}

/* Every string field is "" rather than NULL from here on. */
static void
fill_empty(struct msg *m)
{
	char **fields[] = { &m->message_id, &m->in_reply_to, &m->subject,
	    &m->from.name, &m->from.addr, &m->from_domain, &m->text,
	    &m->forwarded, &m->html };

	for (size_t i = 0; i < NELEM(fields); i++) {
		if (*fields[i] == NULL)
			*fields[i] = xstrdup("");
	}
	if (m->references == NULL)
		m->references = xcalloc(1, sizeof(char *));
}

int
mime_parse(const char *raw, size_t len, const struct mime_limits *lim,
    time_t received, struct msg **msg_r, struct error *err)
{
	/* Undeclared 8-bit header text: UTF-8 if valid, else windows-1252. */
	static const char *fallbacks[] = { "UTF-8", "windows-1252", NULL };
	struct mime_limits deflim;
	struct mime_ctx c;
	size_t n = len, off;
	int r;

	if (raw == NULL)
		return error_set(err, ERR_USAGE, "mime_parse: no input");
	if (lim == NULL) {
		mime_limits_default(&deflim);
		lim = &deflim;
	}
	mime_init();
	memset(&c, 0, sizeof(c));
	c.m = xcalloc(1, sizeof(*c.m));
	c.lim = lim;
	c.m->raw_size = len;
	buf_init(&c.text, lim->max_text);
	buf_init(&c.fwd, lim->max_text);
	buf_init(&c.html, lim->max_text);
	c.opts = g_mime_parser_options_new();
	g_mime_parser_options_set_warning_callback(c.opts, parser_warning, &c);
	g_mime_parser_options_set_fallback_charsets(c.opts, fallbacks);
	if (n > lim->max_size) {
		n = lim->max_size;
		c.m->flags |= MSG_TRUNCATED;
		problem(&c, "bounds: message is %zu bytes, first %zu parsed",
		    len, n);
	}
	off = skip_preamble(&c, raw, n);
	r = -1;
	if (looks_like_header(raw + off, n - off))
		r = parse_gmime(&c, raw + off, n - off, received);
	if (r < 0)
		not_mail(&c, raw + off, n - off, received);
	if (c.m->message_id == NULL)
		synthetic_id(c.m, raw, len);
	fill_empty(c.m);
	kind_flags(&c);
	if (c.problems_dropped > 0)
		problem(&c, "problems: %zu more not listed",
		    c.problems_dropped);
	c.m->text = buf_steal(&c.text);
	c.m->forwarded = buf_steal(&c.fwd);
	c.m->html = buf_steal(&c.html);
	g_mime_parser_options_free(c.opts);
	*msg_r = c.m;
	return 0;
}

static void
addrs_free(struct msg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].addr);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

void
msg_free(struct msg **mp)
{
	struct msg *m = mp != NULL ? *mp : NULL;

	if (m == NULL)
		return;
	free(m->message_id);
	free(m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++)
		free(m->references[i]);
	free(m->references);
	free(m->subject);
	free(m->from.name);
	free(m->from.addr);
	free(m->from_domain);
	addrs_free(&m->sender);
	addrs_free(&m->reply_to);
	addrs_free(&m->to);
	addrs_free(&m->cc);
	for (size_t i = 0; i < m->n_headers; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->text);
	free(m->forwarded);
	free(m->html);
	for (size_t i = 0; i < m->n_attachments; i++) {
		free(m->attachments[i].filename);
		free(m->attachments[i].content_type);
	}
	free(m->attachments);
	for (size_t i = 0; i < m->n_problems; i++)
		free(m->problems[i]);
	free(m->problems);
	free(m);
	*mp = NULL;
}
