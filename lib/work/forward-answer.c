/*
 * The daemon's own mail (command answers, reminders, digests) and the
 * loop-protection predicates.  See forward.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "compose.h"
#include "forward-private.h"
#include "msgid.h"
#include "xalloc.h"

static int
kind_ok(const char *kind)
{
	if (kind == NULL || *kind == '\0')
		return 0;
	for (; *kind != '\0'; kind++) {
		if (!islower((unsigned char)*kind) && *kind != '-')
			return 0;
	}
	return 1;
}

static void
set_threading(struct compose *c, const struct forward_answer *a)
{
	struct buf refs;
	size_t i;

	if (a->in_reply_to == NULL || *a->in_reply_to == '\0')
		return;
	buf_init(&refs, 16 * 1024);
	for (i = 0; i < a->n_references; i++) {
		if (forward_header_safe(a->references[i]))
			buf_printf(&refs, "<%s> ", a->references[i]);
	}
	buf_printf(&refs, "<%s>", a->in_reply_to);
	compose_header(c, "References", refs.data);
	buf_reset(&refs);
	buf_printf(&refs, "<%s>", a->in_reply_to);
	compose_header(c, "In-Reply-To", refs.data);
	buf_free(&refs);
}

static char *
answer_subject(const struct forward_answer *a)
{
	char *subj = forward_one_line(a->subject), *r;

	if (a->in_reply_to == NULL || *a->in_reply_to == '\0' ||
	    strncasecmp(subj, "re:", 3) == 0)
		return subj;
	xasprintf(&r, "Re: %s", subj);
	free(subj);
	return r;
}

int
forward_answer_build(const struct forward_answer *a,
    const struct forward_sender *s, int64_t now, struct forward_mail *mail_r,
    struct error *err)
{
	struct forward_mail mail;
	struct compose *c = NULL;
	char date[64], *subj, **rcpt = NULL, ticket[32];
	size_t n_rcpt = 0;
	int rc = -1;

	memset(&mail, 0, sizeof(mail));
	if (!kind_ok(a->kind) || !forward_header_safe(a->to) ||
	    !forward_header_safe(a->in_reply_to)) {
		error_set(err, ERR_USAGE,
		    "answer: bad kind or line break in a header value");
		goto out;
	}
	n_rcpt = compose_addrs(a->to, &rcpt);
	if (n_rcpt == 0) {
		error_set(err, ERR_USAGE, "answer: no address in \"%s\"",
		    forward_str_or(a->to, ""));
		goto out;
	}
	forward_set_envelope(&mail, s, rcpt, n_rcpt);
	c = compose_new();
	compose_header(c, "From", s->from);
	compose_header(c, "To", a->to);
	subj = answer_subject(a);
	compose_subject(c, subj);
	free(subj);
	forward_format_date(now, date, sizeof(date));
	compose_header(c, "Date", date);
	mail.message_id =
	    msgid_make(s->key, s->domain, a->ticket_id, a->event_id, a->kind);
	compose_message_id(c, mail.message_id);
	forward_token_header(c, s, mail.message_id, now);
	set_threading(c, a);
	/* RFC 3834 5.2; the Microsoft header quiets Exchange robots too */
	compose_header(c, "Auto-Submitted", "auto-replied");
	compose_header(c, "X-Auto-Response-Suppress", "All");
	compose_header(c, "X-Loop", s->address);
	if (a->ticket_id > 0) {
		snprintf(ticket, sizeof(ticket), "%lld",
		    (long long)a->ticket_id);
		compose_header(c, "X-Triage-Ticket", ticket);
	}
	if (a->html != NULL)
		compose_alternative(c);
	compose_text(c, forward_str_or(a->text, ""));
	if (a->html != NULL)
		compose_html(c, a->html);
	rc = compose_write(c, FORWARD_MAIL_MAX, &mail.data, &mail.len, err);
	if (rc < 0)
		goto out;
	*mail_r = mail;
	memset(&mail, 0, sizeof(mail));
out:
	compose_free(&c);
	forward_mail_clear(&mail);
	compose_addrs_free(rcpt, n_rcpt);
	return rc;
}

/* ---- loop protection ---- */

/* Does any X-Loop header name `addr`? */
static int
has_our_x_loop(const struct msg *m, const char *addr)
{
	size_t i;

	if (addr == NULL || *addr == '\0')
		return 0;
	for (i = 0; i < m->n_headers; i++) {
		if (strcasecmp(m->headers[i].name, "X-Loop") == 0 &&
		    strcasestr(m->headers[i].value, addr) != NULL)
			return 1;
	}
	return 0;
}

static int
deny(const char **why_r, const char *why)
{
	if (why_r != NULL)
		*why_r = why;
	return 0;
}

/* The verdict of forward_allowed, from what it reads of a message. */
static int
loop_verdict(unsigned flags, int our_x_loop, const char *from,
    const char *our_address, const char **why_r)
{
	if ((flags & MSG_OWN_LOOP) || our_x_loop)
		return deny(why_r, "carries our X-Loop");
	if (flags & MSG_AUTO_SUBMITTED)
		return deny(why_r, "auto-submitted");
	if (flags & MSG_BOUNCE)
		return deny(why_r, "a bounce");
	if (our_address != NULL && from != NULL &&
	    strcasecmp(from, our_address) == 0)
		return deny(why_r, "from our own address");
	return 1;
}

int
forward_allowed(const struct msg *m, const char *our_address,
    const char **why_r)
{
	return loop_verdict(m->flags, has_our_x_loop(m, our_address),
	    m->from.addr, our_address, why_r);
}

int
forward_facts_allowed(const struct forward_facts *f, const char *our_address,
    const char **why_r)
{
	int ours = our_address != NULL && *our_address != '\0' &&
		   f->x_loop != NULL &&
		   strcasestr(f->x_loop, our_address) != NULL;

	return loop_verdict(f->flags, ours, f->from, our_address, why_r);
}

int
forward_answer_allowed(const struct msg *m, const char *our_address,
    const char **why_r)
{
	if (!forward_allowed(m, our_address, why_r))
		return 0;
	if (m->flags & MSG_LIST)
		return deny(why_r, "mailing-list mail");
	if (m->from.addr == NULL || strchr(m->from.addr, '@') == NULL)
		return deny(why_r, "no sender address");
	return 1;
}
