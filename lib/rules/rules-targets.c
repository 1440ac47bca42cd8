/*
 * The condition targets: for each name a rule may test ("from",
 * "subject", "header X" ...), how to get the message's values.  Read by
 * rules-parse.c (names), rules-match.c and rules-prefilter.c (values):
 * below all three, so matching and prefiltering do not call each other.
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "rules-private.h"

static const char *
one(const char *s, size_t *pos)
{
	if (*pos > 0 || s == NULL)
		return NULL;
	(*pos)++;
	return s;
}

static const char *
addr_next(const struct msg_addrs *a, size_t *pos)
{
	if (*pos >= a->n)
		return NULL;
	return a->v[(*pos)++].addr;
}

static const char *
t_from(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)ctx, (void)arg;
	return one(m->from.addr, pos);
}

static const char *
t_from_name(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)ctx, (void)arg;
	return one(m->from.name, pos);
}

static const char *
t_to(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)ctx, (void)arg;
	return addr_next(&m->to, pos);
}

static const char *
t_cc(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)ctx, (void)arg;
	return addr_next(&m->cc, pos);
}

static const char *
t_subject(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)ctx, (void)arg;
	return one(m->subject, pos);
}

static const char *
t_body(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)ctx, (void)arg;
	return one(m->text, pos);
}

static const char *
t_forwarded(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)ctx, (void)arg;
	return one(m->forwarded, pos);
}

static const char *
t_attachment(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)ctx, (void)arg;
	if (*pos >= m->n_attachments)
		return NULL;
	return m->attachments[(*pos)++].filename;
}

static const char *
t_mailbox(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)m, (void)arg;
	return one(ctx != NULL ? ctx->mailbox : NULL, pos);
}

static const char *
t_account(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)m, (void)arg;
	return one(ctx != NULL ? ctx->account : NULL, pos);
}

static const char *
t_tier(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)m, (void)arg;
	return one(ctx != NULL ? ctx->tier : NULL, pos);
}

static const char *
t_header(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)ctx;
	for (; *pos < m->n_headers; (*pos)++) {
		if (arg == NULL || strcasecmp(m->headers[*pos].name, arg) == 0)
			return m->headers[(*pos)++].value;
	}
	return NULL;
}

/* The top-level Content-Type, which the header list does not carry. */
static const char *
t_content_type(const struct msg *m, const struct rules_ctx *ctx,
    const char *arg, size_t *pos)
{
	(void)ctx, (void)arg;
	return one(m->content_type, pos);
}

/*
 * What the MIME parser concluded about the message (lib/mail/mime.h), as
 * words: a delivery report is known by its top-level Content-Type, which
 * GMime keeps out of the header list, so `header Content-Type` cannot
 * see it.
 */
static const struct {
	unsigned bit;
	const char *name;
} msg_flags[] = {
	{ MSG_AUTO_SUBMITTED, "auto-submitted" },
	{ MSG_LIST, "list" },
	{ MSG_BOUNCE, "bounce" },
	{ MSG_RECEIPT, "receipt" },
	{ MSG_OWN_LOOP, "own-loop" },
	{ MSG_TRUNCATED, "truncated" },
};

static const char *
t_flag(const struct msg *m, const struct rules_ctx *ctx, const char *arg,
    size_t *pos)
{
	(void)ctx, (void)arg;
	for (; *pos < sizeof(msg_flags) / sizeof(msg_flags[0]); (*pos)++) {
		if (m->flags & msg_flags[*pos].bit)
			return msg_flags[(*pos)++].name;
	}
	return NULL;
}

const struct rules_target_def rules_targets[RT_COUNT] = {
	[RT_FROM] = { "from", 0, 0, t_from },
	[RT_FROM_NAME] = { "from-name", 0, 0, t_from_name },
	[RT_TO] = { "to", 0, 1, t_to },
	[RT_CC] = { "cc", 0, 1, t_cc },
	[RT_SUBJECT] = { "subject", 0, 0, t_subject },
	[RT_BODY] = { "body", 0, 0, t_body },
	[RT_FORWARDED] = { "forwarded", 0, 0, t_forwarded },
	[RT_ATTACHMENT] = { "attachment", 0, 1, t_attachment },
	[RT_MAILBOX] = { "mailbox", 0, 0, t_mailbox },
	[RT_ACCOUNT] = { "account", 0, 0, t_account },
	[RT_TIER] = { "tier", 0, 0, t_tier },
	[RT_HEADER] = { "header", 1, 1, t_header },
	[RT_FLAG] = { "flag", 0, 1, t_flag },
	[RT_CONTENT_TYPE] = { "content-type", 0, 0, t_content_type },
};
