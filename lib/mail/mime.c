/*
 * The message model on GMime 3.  GMime parses the MIME tree, address
 * lists and transfer encodings; mime-header.c decodes the encoded words
 * in headers; this file fills struct msg from the headers, sets the kind
 * flags and enforces the input bounds, and mime-part.c walks the body; mime-problem.c keeps the problem list.
 * Every string that leaves these files went through mime_text_clean(),
 * so it is valid UTF-8 without NULs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "buf.h"
#include "html.h"
#include "mime-private.h"
#include "mime.h"
#include "xalloc.h"

#define MIME_MAX_HEADERS 1000
#define MIME_MAX_ADDRS 1000
#define MIME_MAX_REFS 256

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
	html_init();
	mime_initialized = 1;
}

void
mime_shutdown(void)
{
	if (!mime_initialized)
		return;
	g_mime_shutdown();
	html_shutdown();
	mime_initialized = 0;
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
		mime_problem(c, "mime: %s: %.60s", warning_name(code), item);
	else
		mime_problem(c, "mime: %s", warning_name(code));
}

/* ---- headers -------------------------------------------------------- */

static void
copy_headers(struct mime_ctx *c, GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	struct msg *m = c->m;
	int n = list != NULL ? g_mime_header_list_get_count(list) : 0;

	if (n > MIME_MAX_HEADERS) {
		mime_problem(c, "bounds: %d headers, first %d kept", n,
		    MIME_MAX_HEADERS);
		n = MIME_MAX_HEADERS;
	}
	if (n <= 0)
		return;
	m->headers = xcalloc((size_t)n, sizeof(*m->headers));
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);

		m->headers[m->n_headers].name =
		    mime_text_dup(g_mime_header_get_name(h));
		m->headers[m->n_headers].value =
		    mime_header_text(g_mime_header_get_raw_value(h));
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
		mime_problem(c,
		    "bounds: %d References, root and last %d "
		    "kept",
		    n, MIME_MAX_REFS - 1);
		first = n - (MIME_MAX_REFS - 1);
	}
	m->references = xcalloc((size_t)(n - first + 1), sizeof(char *));
	for (int i = 0; i < n; i++) {
		if (i > 0 && i < first)
			continue;
		m->references[m->n_references++] =
		    mime_text_dup(g_mime_references_get_message_id(refs, i));
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
		m->message_id = mime_text_dup(v);
	else if (g_mime_object_get_header(GMIME_OBJECT(gm), "Message-ID"))
		mime_problem(c, "message-id: unparsable Message-ID");
	v = g_mime_object_get_header(GMIME_OBJECT(gm), "In-Reply-To");
	if (v != NULL) {
		id = g_mime_utils_decode_message_id(v);
		if (id != NULL)
			m->in_reply_to = mime_text_dup(id);
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
		mime_problem(c, "date: no Date header, time of receipt used");
	else
		mime_problem(c,
		    "date: unparsable Date \"%.60s\", time of "
		    "receipt used",
		    v);
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
				i < internet_address_list_length(members);
		     i++)
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
	out->v[out->n].name = mime_text_dup(internet_address_get_name(ia));
	out->v[out->n].addr = mime_text_lower(mime_text_dup(
	    internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia))));
	out->n++;
}

/*
 * Every address in the headers called `name`, parsed by GMime after
 * mime-header.c decoded their encoded words (GMime's own decoder loses
 * text after base64 padding).
 */
static void
copy_addrs(struct mime_ctx *c, GMimeObject *obj, const char *name,
    struct msg_addrs *out)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int n = list != NULL ? g_mime_header_list_get_count(list) : 0;
	size_t alloc = 0;

	for (int i = 0; i < n && i < MIME_MAX_HEADERS; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		InternetAddressList *addrs;
		char *words;

		if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0)
			continue;
		words = mime_header_words(g_mime_header_get_raw_value(h));
		addrs = internet_address_list_parse(c->opts, words);
		for (int k = 0;
		     addrs != NULL && k < internet_address_list_length(addrs);
		     k++)
			addr_add(c, out, &alloc,
			    internet_address_list_get_address(addrs, k), 0);
		if (addrs != NULL)
			g_object_unref(addrs);
		free(words);
	}
}

static void
copy_from(struct mime_ctx *c, GMimeMessage *gm)
{
	struct msg *m = c->m;
	struct msg_addrs from = { NULL, 0 };
	const char *at;

	copy_addrs(c, GMIME_OBJECT(gm), "From", &from);
	if (from.n == 0) {
		if (g_mime_object_get_header(GMIME_OBJECT(gm), "From"))
			mime_problem(c, "address: unparsable From");
		else
			mime_problem(c, "address: no From header");
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

/*
 * The top-level Content-Type for the rules, which GMime keeps out of the
 * header list: "type/subtype; name=value..." without the boundary.
 */
static void
copy_content_type(struct mime_ctx *c, GMimeObject *top)
{
	GMimeContentType *ct =
	    top != NULL ? g_mime_object_get_content_type(top) : NULL;
	GMimeParamList *params;
	struct buf b;

	if (ct == NULL)
		return;
	buf_init(&b, 4096);
	buf_printf(&b, "%s/%s", g_mime_content_type_get_media_type(ct),
	    g_mime_content_type_get_media_subtype(ct));
	params = g_mime_content_type_get_parameters(ct);
	for (int i = 0; params != NULL && i < g_mime_param_list_length(params);
	     i++) {
		GMimeParam *p = g_mime_param_list_get_parameter_at(params, i);
		const char *name = g_mime_param_get_name(p);

		if (g_ascii_strcasecmp(name, "boundary") != 0)
			buf_printf(&b, "; %s=%s", name,
			    g_mime_param_get_value(p));
	}
	c->m->content_type = mime_text_lower(mime_text_dup(b.data));
	buf_free(&b);
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
	"X-Autoreply",
	"X-Autorespond",
	"X-Autoresponse",
	"X-Autogenerated",
	"X-AutoReply-From",
	"X-Mail-Autoreply",
	"X-Auto-Reply",
	"X-Vacation",
	"X-FC-MachineGenerated",
};

/* Subjects out-of-office replies start with, in the usual languages. */
static const char *const ooo_subjects[] = {
	"Out of Office",
	"Out of the Office",
	"Automatic reply",
	"Auto reply",
	"Auto-reply",
	"Autoreply",
	"Auto:",
	"AutoReply",
	"Abwesenheitsnotiz",
	"Automatische Antwort",
	"R\xc3\xa9ponse automatique",
	"Respuesta autom\xc3\xa1tica",
	"Risposta automatica",
	"Automatisch antwoord",
	"Autosvar",
	"Automaattinen vastaus",
	"Odpowied\xc5\xba automatyczna",
	"Resposta autom\xc3\xa1tica",
};

static const char *const bounce_subjects[] = {
	"Undeliverable:",
	"Undelivered Mail Returned",
	"Delivery Status Notification (Failure)",
	"Mail delivery failed",
	"Returned mail:",
	"Delivery Failure",
	"Mail System Error - Returned Mail",
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
	size_t local;

	for (size_t i = 0; i < m->n_headers; i++)
		flags_from_header(c, m->headers[i].name, m->headers[i].value);
	if (prefix_match(m->subject, ooo_subjects, NELEM(ooo_subjects)))
		m->flags |= MSG_AUTO_SUBMITTED;
	if (prefix_match(m->subject, bounce_subjects, NELEM(bounce_subjects)))
		m->flags |= MSG_BOUNCE;
	/* MAILER-DAEMON, with or without a domain. */
	at = strchr(m->from.addr, '@');
	local = at != NULL ? (size_t)(at - m->from.addr) : strlen(m->from.addr);
	if (local == 13 && strncmp(m->from.addr, "mailer-daemon", 13) == 0)
		m->flags |= MSG_BOUNCE;
	if (m->flags & (MSG_BOUNCE | MSG_RECEIPT))
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
		mime_problem(c, "preamble: UTF-8 byte order mark skipped");
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
		mime_problem(c, "preamble: blank lines before the header "
				"skipped");
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

/*
 * GMime builds the whole tree before we walk it, at about 1 KB per part
 * and 600 bytes per header: a 7 MB message of empty parts costs it over
 * 1 GB.  So count the lines that can become parts (boundary lines) or
 * headers first, and give GMime only the bytes before the line past a
 * generous multiple of max_parts.  Returns how many bytes to parse.
 */
static size_t
bound_input(struct mime_ctx *c, const char *p, size_t n)
{
	const size_t max_bound = 2 * (size_t)c->lim->max_parts + 16;
	const size_t max_head = 64 * (size_t)c->lim->max_parts + 1024;
	size_t off = 0, bounds = 0, heads = 0;
	const char *what;

	while (off < n) {
		const char *nl = memchr(p + off, '\n', n - off);
		size_t eol = nl != NULL ? (size_t)(nl - p) : n;

		if (eol - off >= 2 && p[off] == '-' && p[off + 1] == '-') {
			what = "MIME boundary";
			if (++bounds > max_bound)
				goto cut;
		} else if (memchr(p + off, ':',
			       eol - off < 80 ? eol - off : 80) != NULL &&
			   looks_like_header(p + off, eol - off)) {
			what = "header";
			if (++heads > max_head)
				goto cut;
		}
		off = eol + 1;
	}
	return n;
cut:
	c->m->flags |= MSG_TRUNCATED;
	mime_problem(c,
	    "bounds: more than %zu %s lines, first %zu bytes "
	    "parsed",
	    bounds > max_bound ? max_bound : max_head, what, off);
	return off;
}

static void
not_mail(struct mime_ctx *c, const char *p, size_t n, time_t received)
{
	struct buf utf;

	c->m->flags |= MSG_NOT_MAIL;
	mime_problem(c, "not-mail: no header block at the start");
	c->m->date = received;
	c->m->flags |= MSG_DATE_RECEIVED;
	if (n > c->lim->max_text) {
		n = c->lim->max_text;
		c->m->flags |= MSG_TRUNCATED;
		mime_problem(c, "bounds: text cut at %zu bytes", n);
	}
	buf_init(&utf, SIZE_MAX / 2);
	mime_part_to_utf8(c, p, n, NULL, &utf);
	mime_part_append(c, &c->text, utf.data != NULL ? utf.data : "",
	    utf.len);
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
	m->subject = xstrdup_or_null(msg_header(m, "Subject"));
	copy_from(c, gm);
	copy_addrs(c, GMIME_OBJECT(gm), "Sender", &m->sender);
	copy_addrs(c, GMIME_OBJECT(gm), "Reply-To", &m->reply_to);
	copy_addrs(c, GMIME_OBJECT(gm), "To", &m->to);
	copy_addrs(c, GMIME_OBJECT(gm), "Cc", &m->cc);
	copy_content_type(c, g_mime_message_get_mime_part(gm));
	mime_part_walk(c, g_mime_message_get_mime_part(gm));
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
		&m->content_type, &m->from.name, &m->from.addr, &m->from_domain,
		&m->text, &m->forwarded, &m->html };

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
		mime_problem(&c,
		    "bounds: message is %zu bytes, first %zu "
		    "parsed",
		    len, n);
	}
	off = skip_preamble(&c, raw, n);
	r = -1;
	if (looks_like_header(raw + off, n - off))
		r = parse_gmime(&c, raw + off,
		    bound_input(&c, raw + off, n - off), received);
	if (r < 0)
		not_mail(&c, raw + off, n - off, received);
	if (c.m->message_id == NULL)
		synthetic_id(c.m, raw, len);
	c.m->text = buf_steal(&c.text);
	c.m->forwarded = buf_steal(&c.fwd);
	c.m->html = buf_steal(&c.html);
	fill_empty(c.m);
	kind_flags(&c);
	if (c.problems_dropped > 0)
		mime_problem(&c, "problems: %zu more not listed",
		    c.problems_dropped);
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
	free(m->content_type);
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
