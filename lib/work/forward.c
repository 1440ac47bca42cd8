/*
 * Forward formats, built with GMime.  See forward.h for the formats;
 * the notes here say why the code is shaped as it is.
 *
 * Byte identity of attached messages: a thread message is attached as a
 * GMimePart of type message/rfc822 whose content is a data wrapper over
 * the stored bytes with an identity encoding (7bit/8bit/binary, the same
 * on wrapper and part), so GMime copies it instead of parsing and
 * re-serialising it.  The only change is CRLF line ends (SMTP's own).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "forward-private.h"
#include "msgid.h"
#include "xalloc.h"

#define MAIL_MAX ((size_t)256 * 1024 * 1024) /* one built mail */
#define LINE_MAX_RFC 998		     /* RFC 5322 2.1.1 */

static void
gmime_init(void)
{
	g_mime_init();
}

void
forward_gmime_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	/* g_mime_init is reference counted: one reference for the process,
	   taken once even when the outbox runs in its own thread */
	pthread_once(&once, gmime_init);
}

/* A header value we write must not end the header early. */
int
forward_header_safe(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

/* Customer-controlled one-line text (subjects): controls become spaces. */
char *
forward_one_line(const char *s)
{
	char *r, *p;

	r = xstrdup(s != NULL ? s : "");
	for (p = r; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	return r;
}

/* RFC 5322 date in UTC, independent of the locale. */
void
forward_format_date(int64_t when, char *buf, size_t size)
{
	static const char *const days[] = {
	    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void
forward_format_day_time(int64_t when, char *buf, size_t size)
{
	time_t t = (time_t)when;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min);
}

/*
 * Every mailbox address in a header-style list, groups flattened.
 * Returns the number found (0 when none or unparsable).
 */
size_t
forward_parse_addrs(const char *list, char ***addrs_r)
{
	InternetAddressList *l;
	char **v = NULL;
	size_t n = 0;
	int i, len;

	forward_gmime_once();
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
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = xstrdup(internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia)));
			continue;
		}
		members = internet_address_group_get_members(
		    INTERNET_ADDRESS_GROUP(ia));
		mlen =
		    members != NULL ? internet_address_list_length(members) : 0;
		for (j = 0; j < mlen; j++) {
			InternetAddress *m;

			m = internet_address_list_get_address(members, j);
			if (!INTERNET_ADDRESS_IS_MAILBOX(m))
				continue;
			v = xreallocarray(v, n + 1, sizeof(*v));
			v[n++] = xstrdup(internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(m)));
		}
	}
	g_object_unref(l);
	*addrs_r = v;
	return n;
}

void
forward_free_addrs(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

int
forward_sender_parse(
    const char *from, struct forward_sender *s_r, struct error *err)
{
	char **addrs = NULL;
	const char *at;
	size_t n;
	int r = -1;

	n = forward_parse_addrs(from, &addrs);
	if (n != 1 || !forward_header_safe(from)) {
		error_set(err, ERR_CONF,
		    "smtp.from \"%s\": want exactly one address",
		    from != NULL ? from : "");
		goto out;
	}
	at = strrchr(addrs[0], '@');
	if (at == NULL || at == addrs[0] || at[1] == '\0') {
		error_set(err, ERR_CONF,
		    "smtp.from \"%s\": address \"%s\" has no domain", from,
		    addrs[0]);
		goto out;
	}
	s_r->from = xstrdup(from);
	s_r->address = xstrdup(addrs[0]);
	lowercase(s_r->address);
	s_r->domain = xstrdup(strrchr(s_r->address, '@') + 1);
	r = 0;
out:
	forward_free_addrs(addrs, n);
	return r;
}

void
forward_sender_clear(struct forward_sender *s)
{
	if (s == NULL)
		return;
	xfree(&s->from);
	xfree(&s->address);
	xfree(&s->domain);
}

void
forward_mail_clear(struct forward_mail *m)
{
	if (m == NULL)
		return;
	free(m->mail_from);
	forward_free_addrs(m->rcpt, m->n_rcpt);
	free(m->message_id);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

void
forward_mails_clear(struct forward_mails *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		forward_mail_clear(&m->v[i]);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

const char *
forward_str_or(const char *s, const char *dflt)
{
	return s != NULL && *s != '\0' ? s : dflt;
}

size_t
forward_new_end(const struct forward_ticket *t)
{
	if (t->n_new == 0 || t->n_new > t->n_messages - t->first_new)
		return t->n_messages;
	return t->first_new + t->n_new;
}

int
forward_attached(const struct forward_ticket *t, size_t i)
{
	return i >= t->first_new && i < forward_new_end(t) &&
	    !t->messages[i].has_commands;
}

/* ---- building with GMime ---- */

/* 7bit, 8bit or binary: the identity encoding that fits the bytes. */
static GMimeContentEncoding
identity_encoding(const char *p, size_t len)
{
	GMimeContentEncoding enc = GMIME_CONTENT_ENCODING_7BIT;
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\0')
			return GMIME_CONTENT_ENCODING_BINARY;
		if (c >= 0x80)
			enc = GMIME_CONTENT_ENCODING_8BIT;
		col = c == '\n' ? 0 : col + 1;
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

GMimeObject *
forward_text_part(const char *text)
{
	GMimeTextPart *tp;
	GMimeDataWrapper *w;
	size_t len = strlen(text);
	GMimeContentEncoding enc;

	tp = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_charset(tp, "utf-8");
	w = wrap_bytes(text, len, GMIME_CONTENT_ENCODING_DEFAULT);
	g_mime_part_set_content(GMIME_PART(tp), w);
	g_object_unref(w);
	/* plain ASCII stays readable as is; anything else as QP */
	enc = identity_encoding(text, len) == GMIME_CONTENT_ENCODING_7BIT
		  ? GMIME_CONTENT_ENCODING_7BIT
		  : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	g_mime_part_set_content_encoding(GMIME_PART(tp), enc);
	return GMIME_OBJECT(tp);
}

static GMimeObject *
rfc822_part(const struct forward_message *m, size_t index)
{
	GMimePart *p;
	GMimeDataWrapper *w;
	GMimeContentEncoding enc;
	char name[48], *desc, *subj;	/* "message-" SIZE_MAX ".eml" */

	enc = identity_encoding(m->raw, m->raw_len);
	if (enc == GMIME_CONTENT_ENCODING_BINARY) {
		/*
		 * message/rfc822 may only be 7bit, 8bit or binary (RFC 2046
		 * 5.2.1), and binary needs BINARYMIME, which SMTP servers
		 * rarely offer: they refuse a NUL or a line over 998 octets.
		 * Such a message goes as a base64 .eml file instead, still
		 * byte-identical once decoded.
		 */
		p = g_mime_part_new_with_type("application", "octet-stream");
		w = wrap_bytes(m->raw, m->raw_len,
		    GMIME_CONTENT_ENCODING_DEFAULT);
		enc = GMIME_CONTENT_ENCODING_BASE64;
	} else {
		p = g_mime_part_new_with_type("message", "rfc822");
		w = wrap_bytes(m->raw, m->raw_len, enc);
	}
	g_mime_part_set_content(p, w);
	g_object_unref(w);
	g_mime_part_set_content_encoding(p, enc);
	g_mime_object_set_disposition(GMIME_OBJECT(p), "attachment");
	snprintf(name, sizeof(name), "message-%zu.eml", index);
	g_mime_object_set_content_disposition_parameter(
	    GMIME_OBJECT(p), "filename", name);
	subj = forward_one_line(m->subject);
	xasprintf(
	    &desc, "%zu: %s: %s", index, forward_str_or(m->from, "?"), subj);
	g_mime_part_set_content_description(p, desc);
	free(desc);
	free(subj);
	return GMIME_OBJECT(p);
}

/* A boundary that no attached message contains. */
static void
pick_boundary(
    const struct forward_ticket *t, int64_t event, char *buf, size_t size)
{
	unsigned n;
	size_t i;
	int clash;

	for (n = 0;; n++) {
		snprintf(buf, size, "=-triage-T%lld-E%lld-%u", (long long)t->id,
		    (long long)event, n);
		clash = 0;
		for (i = t->first_new; i < forward_new_end(t) && !clash; i++) {
			clash =
			    memmem(t->messages[i].raw, t->messages[i].raw_len,
				buf, strlen(buf)) != NULL;
		}
		if (!clash)
			return;
	}
}

void
forward_set_header(GMimeMessage *msg, const char *name, const char *value)
{
	g_mime_object_set_header(GMIME_OBJECT(msg), name, value, "utf-8");
}

int
forward_write_message(
    GMimeMessage *msg, struct forward_mail *mail, struct error *err)
{
	GMimeFormatOptions *fo;
	GMimeStream *out;
	GByteArray *ba;
	int r = -1;

	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	out = g_mime_stream_mem_new();
	if (g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, out) < 0) {
		error_set(err, ERR_INTERNAL, "GMime could not write the mail");
		goto out;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(out));
	if (ba->len > MAIL_MAX) {
		error_set(err, ERR_MSG,
		    "mail of %u bytes is over the %zu-byte cap", ba->len,
		    MAIL_MAX);
		goto out;
	}
	mail->data = xmalloc(ba->len + 1);
	memcpy(mail->data, ba->data, ba->len);
	mail->data[ba->len] = '\0';
	mail->len = ba->len;
	r = 0;
out:
	g_object_unref(out);
	g_mime_format_options_free(fo);
	return r;
}

static int
check_route(const struct forward_route *r, const struct forward_sender *s,
    char ***rcpt_r, size_t *n_r, struct error *err)
{
	if (!forward_header_safe(r->to) || !forward_header_safe(r->reply_to) ||
	    !forward_header_safe(s->from)) {
		return error_set(err, ERR_USAGE,
		    "route %s: line break in an address",
		    forward_str_or(r->name, "?"));
	}
	*n_r = forward_parse_addrs(r->to, rcpt_r);
	if (*n_r == 0) {
		return error_set(err, ERR_USAGE,
		    "route %s: no address in \"%s\"",
		    forward_str_or(r->name, "?"), forward_str_or(r->to, ""));
	}
	return 0;
}

static const char *
reply_to_for(const struct forward_ticket *t, const struct forward_route *r)
{
	if (r->reply_to != NULL)
		return r->reply_to;
	return t->customer_addr;
}

static int
build_attach(const struct forward_ticket *t, const struct forward_route *r,
    const struct forward_sender *s, int64_t event, int64_t now,
    struct forward_mail *mail, struct error *err)
{
	GMimeMessage *msg;
	GMimeMultipart *mp;
	GMimeObject *part;
	char date[64], boundary[96], *subj, *summary, *ticket;
	const char *reply_to;
	size_t i;
	int rc;

	msg = g_mime_message_new(FALSE);
	forward_set_header(msg, "From", s->from);
	forward_set_header(msg, "To", r->to);
	reply_to = reply_to_for(t, r);
	if (reply_to != NULL && *reply_to != '\0' &&
	    forward_header_safe(reply_to))
		forward_set_header(msg, "Reply-To", reply_to);
	subj = forward_one_line(t->subject);
	xasprintf(&ticket, "[#%lld]", (long long)t->id);
	if (strstr(subj, ticket) == NULL) {
		/* the token in front, once: helpdesks thread on it */
		free(ticket);
		xasprintf(&ticket, "[#%lld]%s%s", (long long)t->id,
		    *subj != '\0' ? " " : "", subj);
	} else {
		free(ticket);
		ticket = xstrdup(subj);
	}
	g_mime_message_set_subject(msg, ticket, "utf-8");
	free(ticket);
	free(subj);
	forward_format_date(now, date, sizeof(date));
	forward_set_header(msg, "Date", date);
	mail->message_id = msgid_make(s->domain, t->id, event, "");
	g_mime_message_set_message_id(msg, mail->message_id);
	xasprintf(&ticket, "%lld", (long long)t->id);
	forward_set_header(msg, "X-Triage-Ticket", ticket);
	free(ticket);
	forward_set_header(msg, "X-Loop", s->address);

	mp = g_mime_multipart_new_with_subtype("mixed");
	pick_boundary(t, event, boundary, sizeof(boundary));
	g_mime_multipart_set_boundary(mp, boundary);
	summary = forward_summary(t);
	part = forward_text_part(summary);
	free(summary);
	g_mime_multipart_add(mp, part);
	g_object_unref(part);
	for (i = t->first_new; i < forward_new_end(t); i++) {
		if (!forward_attached(t, i))
			continue;
		part = rfc822_part(&t->messages[i], i + 1);
		g_mime_multipart_add(mp, part);
		g_object_unref(part);
	}
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mp));
	g_object_unref(mp);
	rc = forward_write_message(msg, mail, err);
	g_object_unref(msg);
	return rc;
}

/* "\r\n" when the stored message uses CRLF line ends, else "\n". */
static const char *
line_end_of(const char *raw, size_t len)
{
	const char *nl = memchr(raw, '\n', len);

	return nl != NULL && nl > raw && nl[-1] == '\r' ? "\r\n" : "\n";
}

static int
build_redirect_one(const struct forward_ticket *t,
    const struct forward_route *r, const struct forward_sender *s,
    int64_t event, int64_t now, size_t i, struct forward_mail *mail,
    struct error *err)
{
	const struct forward_message *m = &t->messages[i];
	const char *eol = line_end_of(m->raw, m->raw_len);
	char date[64], index[32];
	struct buf b;

	forward_format_date(now, date, sizeof(date));
	snprintf(index, sizeof(index), "%zu", i + 1);
	mail->message_id = msgid_make(s->domain, t->id, event, index);
	buf_init(&b, MAIL_MAX);
	/* RFC 5322 3.6.6: a resent block goes on top, fields together */
	buf_printf(&b, "Resent-From: %s%s", s->from, eol);
	buf_printf(&b, "Resent-To: %s%s", r->to, eol);
	buf_printf(&b, "Resent-Date: %s%s", date, eol);
	buf_printf(&b, "Resent-Message-ID: <%s>%s", mail->message_id, eol);
	buf_printf(&b, "X-Triage-Ticket: %lld%s", (long long)t->id, eol);
	buf_printf(&b, "X-Loop: %s%s", s->address, eol);
	if (buf_add(&b, m->raw, m->raw_len) < 0) {
		buf_free(&b);
		return error_set(err, ERR_MSG,
		    "message %zu of ticket %lld is over the %zu-byte cap",
		    i + 1, (long long)t->id, MAIL_MAX);
	}
	mail->len = b.len;
	mail->data = buf_steal(&b);
	return 0;
}

static int
redirected(const struct forward_message *m)
{
	return m->dir == FORWARD_IN && !m->team && !m->has_commands;
}

void
forward_set_envelope(struct forward_mail *mail, const struct forward_sender *s,
    char **rcpt, size_t n)
{
	size_t i;

	mail->mail_from = xstrdup(s->address);
	mail->rcpt = xreallocarray(NULL, n, sizeof(*mail->rcpt));
	for (i = 0; i < n; i++)
		mail->rcpt[i] = xstrdup(rcpt[i]);
	mail->n_rcpt = n;
}

int
forward_build(const struct forward_ticket *t, const struct forward_route *r,
    const struct forward_sender *s, int64_t event_id, int64_t now,
    struct forward_mails *out_r, struct error *err)
{
	struct forward_mails out = {NULL, 0};
	char **rcpt = NULL;
	size_t n_rcpt = 0, i;
	int rc;

	forward_gmime_once();
	if (t->first_new > t->n_messages) {
		rc = error_set(err, ERR_USAGE,
		    "ticket %lld: first_new %zu past %zu messages",
		    (long long)t->id, t->first_new, t->n_messages);
		goto out;
	}
	rc = check_route(r, s, &rcpt, &n_rcpt, err);
	if (rc < 0)
		goto out;
	for (i = t->first_new; i <= forward_new_end(t); i++) {
		if (r->style == CONF_ROUTE_REDIRECT &&
		    (i == forward_new_end(t) || !redirected(&t->messages[i])))
			continue;
		/* attach: one mail for the whole range, built on the first turn
		 */
		out.v = xreallocarray(out.v, out.n + 1, sizeof(*out.v));
		memset(&out.v[out.n], 0, sizeof(*out.v));
		forward_set_envelope(&out.v[out.n], s, rcpt, n_rcpt);
		out.n++;
		if (r->style == CONF_ROUTE_REDIRECT)
			rc = build_redirect_one(
			    t, r, s, event_id, now, i, &out.v[out.n - 1], err);
		else
			rc = build_attach(
			    t, r, s, event_id, now, &out.v[out.n - 1], err);
		if (rc < 0)
			goto out;
		if (r->style != CONF_ROUTE_REDIRECT)
			break;
	}
	*out_r = out;
	out.v = NULL;
	out.n = 0;
	rc = 0;
out:
	forward_mails_clear(&out);
	forward_free_addrs(rcpt, n_rcpt);
	return rc;
}
