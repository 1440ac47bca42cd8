/*
 * Messages for the rules tests, built by hand (tm_new and friends) so a
 * test controls every field; .eml fixtures go through mime_parse().
 * Everything is owned by the struct msg and freed by tm_free().
 */
#ifndef TRIAGE_RULES_TESTMSG_H
#define TRIAGE_RULES_TESTMSG_H

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "xalloc.h"

static inline void
tm_addrs_add(struct msg_addrs *a, const char *name, const char *addr)
{
	char *lc = xstrdup(addr);

	for (char *p = lc; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	a->v = xreallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->v[a->n].name = xstrdup(name);
	a->v[a->n++].addr = lc;
}

static inline void
tm_header_add(struct msg *m, const char *name, const char *value)
{
	m->headers =
	    xreallocarray(m->headers, m->n_headers + 1, sizeof(*m->headers));
	m->headers[m->n_headers].name = xstrdup(name);
	m->headers[m->n_headers++].value = xstrdup(value);
}

static inline void
tm_attach(struct msg *m, const char *filename)
{
	m->attachments = xreallocarray(m->attachments, m->n_attachments + 1,
	    sizeof(*m->attachments));
	m->attachments[m->n_attachments].filename = xstrdup(filename);
	m->attachments[m->n_attachments].content_type =
	    xstrdup("application/octet-stream");
	m->attachments[m->n_attachments++].size = 0;
}

static inline void
tm_set(char **field, const char *s)
{
	free(*field);
	*field = xstrdup(s);
}

static inline void
tm_set_from(struct msg *m, const char *name, const char *addr)
{
	const char *at;

	tm_set(&m->from.name, name);
	tm_set(&m->from.addr, addr);
	for (char *p = m->from.addr; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	at = strchr(m->from.addr, '@');
	tm_set(&m->from_domain, at != NULL ? at + 1 : "");
}

static inline struct msg *
tm_new(const char *from, const char *subject, const char *text)
{
	struct msg *m = xcalloc(1, sizeof(*m));

	m->message_id = xstrdup("test@example");
	m->in_reply_to = xstrdup("");
	m->subject = xstrdup(subject);
	m->from.name = xstrdup("");
	m->from.addr = xstrdup("");
	m->from_domain = xstrdup("");
	tm_set_from(m, "", from);
	m->text = xstrdup(text);
	m->forwarded = xstrdup("");
	m->html = xstrdup("");
	return m;
}

static inline void
tm_addrs_free(struct msg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		free(a->v[i].addr);
	}
	free(a->v);
}

static inline void
tm_free(struct msg **mp)
{
	struct msg *m = *mp;

	if (m == NULL)
		return;
	free(m->message_id);
	free(m->in_reply_to);
	free(m->subject);
	free(m->from.name);
	free(m->from.addr);
	free(m->from_domain);
	tm_addrs_free(&m->to);
	tm_addrs_free(&m->cc);
	for (size_t i = 0; i < m->n_headers; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	for (size_t i = 0; i < m->n_attachments; i++) {
		free(m->attachments[i].filename);
		free(m->attachments[i].content_type);
	}
	free(m->attachments);
	free(m->text);
	free(m->forwarded);
	free(m->html);
	free(m);
	*mp = NULL;
}

/* "Name <addr>" or "addr" -> name, addr (both trimmed). */
static inline void
tm_parse_addr(const char *s, char **name_r, char **addr_r)
{
	const char *lt = strchr(s, '<'), *gt;
	const char *b, *e;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL) {
		b = s;
		e = lt;
		while (b < e && (*b == ' ' || *b == '"'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '"'))
			e--;
		*name_r = xstrndup(b, (size_t)(e - b));
		*addr_r = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		return;
	}
	while (*s == ' ')
		s++;
	e = s + strlen(s);
	while (e > s && e[-1] == ' ')
		e--;
	*name_r = xstrdup("");
	*addr_r = xstrndup(s, (size_t)(e - s));
}

static inline void
tm_parse_addrs(struct msg_addrs *a, const char *value)
{
	char *copy = xstrdup(value), *save = NULL, *tok, *name, *addr;

	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		tm_parse_addr(tok, &name, &addr);
		if (*addr != '\0')
			tm_addrs_add(a, name, addr);
		free(name);
		free(addr);
	}
	free(copy);
}

#endif
