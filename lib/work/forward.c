/*
 * Forward formats: what goes in a forward.  See forward.h for the
 * formats; lib/mail/compose.c writes the attach style's message (and
 * keeps attached messages byte-identical), a redirect is our resent
 * block in front of the stored bytes.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "compose.h"
#include "forward-private.h"
#include "msgid.h"
#include "xalloc.h"

static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

int
forward_sender_parse(const char *from, struct forward_sender *s_r,
    struct error *err)
{
	char **addrs = NULL;
	const char *at;
	size_t n;
	int r = -1;

	n = compose_addrs(from, &addrs);
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
	compose_addrs_free(addrs, n);
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
	compose_addrs_free(m->rcpt, m->n_rcpt);
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

/* A boundary that no attached message contains. */
static void
pick_boundary(const struct forward_ticket *t, int64_t event, char *buf,
    size_t size)
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
	*n_r = compose_addrs(r->to, rcpt_r);
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

/* The subject with the [#ID] token in front, once: helpdesks thread on it. */
static char *
attach_subject(const struct forward_ticket *t)
{
	char *subj = forward_one_line(t->subject), *token, *r;

	xasprintf(&token, "[#%lld]", (long long)t->id);
	if (strstr(subj, token) != NULL) {
		free(token);
		return subj;
	}
	xasprintf(&r, "%s%s%s", token, *subj != '\0' ? " " : "", subj);
	free(token);
	free(subj);
	return r;
}

/* Attached message i (0-based): message-<i+1>.eml, "<i+1>: from: subj". */
static void
attach_message(struct compose *c, const struct forward_message *m, size_t index)
{
	char name[48], *desc, *subj; /* "message-" SIZE_MAX ".eml" */

	snprintf(name, sizeof(name), "message-%zu.eml", index);
	subj = forward_one_line(m->subject);
	xasprintf(&desc, "%zu: %s: %s", index, forward_str_or(m->from, "?"),
	    subj);
	compose_attach_message(c, m->raw, m->raw_len, name, desc);
	free(desc);
	free(subj);
}

static int
build_attach(const struct forward_ticket *t, const struct forward_route *r,
    const struct forward_sender *s, int64_t event, int64_t now,
    struct forward_mail *mail, struct error *err)
{
	struct compose *c;
	char date[64], boundary[96], *subj, *summary, ticket[32];
	const char *reply_to;
	size_t i;
	int rc;

	c = compose_new();
	compose_header(c, "From", s->from);
	compose_header(c, "To", r->to);
	reply_to = reply_to_for(t, r);
	if (reply_to != NULL && *reply_to != '\0' &&
	    forward_header_safe(reply_to))
		compose_header(c, "Reply-To", reply_to);
	subj = attach_subject(t);
	compose_subject(c, subj);
	free(subj);
	forward_format_date(now, date, sizeof(date));
	compose_header(c, "Date", date);
	mail->message_id = msgid_make(s->key, s->domain, t->id, event, "");
	compose_message_id(c, mail->message_id);
	snprintf(ticket, sizeof(ticket), "%lld", (long long)t->id);
	compose_header(c, "X-Triage-Ticket", ticket);
	forward_token_header(c, s, mail->message_id, now);
	compose_header(c, "X-Loop", s->address);

	pick_boundary(t, event, boundary, sizeof(boundary));
	compose_mixed(c, boundary);
	summary = forward_summary(t);
	compose_text(c, summary);
	free(summary);
	for (i = t->first_new; i < forward_new_end(t); i++) {
		if (forward_attached(t, i))
			attach_message(c, &t->messages[i], i + 1);
	}
	rc = compose_write(c, FORWARD_MAIL_MAX, &mail->data, &mail->len, err);
	compose_free(&c);
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
	char date[64], index[32], *token;
	struct buf b;

	forward_format_date(now, date, sizeof(date));
	snprintf(index, sizeof(index), "%zu", i + 1);
	mail->message_id = msgid_make(s->key, s->domain, t->id, event, index);
	buf_init(&b, FORWARD_MAIL_MAX);
	/* RFC 5322 3.6.6: a resent block goes on top, fields together */
	buf_printf(&b, "Resent-From: %s%s", s->from, eol);
	buf_printf(&b, "Resent-To: %s%s", r->to, eol);
	buf_printf(&b, "Resent-Date: %s%s", date, eol);
	buf_printf(&b, "Resent-Message-ID: <%s>%s", mail->message_id, eol);
	buf_printf(&b, "X-Triage-Ticket: %lld%s", (long long)t->id, eol);
	buf_printf(&b, "X-Loop: %s%s", s->address, eol);
	if (s->key != NULL) {
		token = msgid_token(s->key, mail->message_id, now);
		buf_printf(&b, "X-Triage-Token: %s%s", token, eol);
		free(token);
	}
	if (buf_add(&b, m->raw, m->raw_len) < 0) {
		buf_free(&b);
		return error_set(err, ERR_MSG,
		    "message %zu of ticket %lld is over the %zu-byte cap",
		    i + 1, (long long)t->id, FORWARD_MAIL_MAX);
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

int
forward_build(const struct forward_ticket *t, const struct forward_route *r,
    const struct forward_sender *s, int64_t event_id, int64_t now,
    struct forward_mails *out_r, struct error *err)
{
	struct forward_mails out = { NULL, 0 };
	char **rcpt = NULL;
	size_t n_rcpt = 0, i;
	int rc;

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
			rc = build_redirect_one(t, r, s, event_id, now, i,
			    &out.v[out.n - 1], err);
		else
			rc = build_attach(t, r, s, event_id, now,
			    &out.v[out.n - 1], err);
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
	compose_addrs_free(rcpt, n_rcpt);
	return rc;
}
