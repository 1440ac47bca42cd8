/*
 * Helpers shared by forward.c (builders), forward-summary.c and
 * forward-answer.c, defined in forward-util.c; not part of the forward
 * API.  The mail itself is written by lib/mail/compose.c.
 */
#ifndef TRIAGE_FORWARD_PRIVATE_H
#define TRIAGE_FORWARD_PRIVATE_H

#include "forward.h"

/* One built mail at most (256 MB). */
#define FORWARD_MAIL_MAX ((size_t)256 * 1024 * 1024)

/* No CR or LF: safe as a header value we write.  NULL is safe. */
int forward_header_safe(const char *s);
/* A copy of customer-controlled one-line text, controls made spaces. */
char *forward_one_line(const char *s);
/* RFC 5322 date in UTC, locale-independent. */
void forward_format_date(int64_t when, char *buf, size_t size);
/* "2026-11-09 10:00Z", for the summary. */
void forward_format_day_time(int64_t when, char *buf, size_t size);
/* s unless NULL or "", else dflt. */
const char *forward_str_or(const char *s, const char *dflt);
/* One past the last message forwarded now (see forward_ticket.n_new). */
size_t forward_new_end(const struct forward_ticket *t);
/* Is messages[i] attached (attach style) by this forward? */
int forward_attached(const struct forward_ticket *t, size_t i);
/* Envelope: our address, copies of the recipients. */
void forward_set_envelope(struct forward_mail *mail,
    const struct forward_sender *s, char **rcpt, size_t n);

struct compose;
/* X-Triage-Token for our mail `message_id` built at `now`; none without
 * a key (forward_sender.key). */
void forward_token_header(struct compose *c, const struct forward_sender *s,
    const char *message_id, int64_t now);

/* The plain-text summary of a forward (owned by the caller). */
char *forward_summary(const struct forward_ticket *t);

#endif
