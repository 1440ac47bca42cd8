/*
 * Helpers shared by forward.c (builders), forward-summary.c and
 * forward-answer.c; not part of the forward API.
 */
#ifndef TRIAGE_FORWARD_PRIVATE_H
#define TRIAGE_FORWARD_PRIVATE_H

#include <gmime/gmime.h>

#include "forward.h"

/* g_mime_init once for the process (GMime counts references). */
void forward_gmime_once(void);
/* No CR or LF: safe as a header value we write.  NULL is safe. */
int forward_header_safe(const char *s);
/* A copy of customer-controlled one-line text, controls made spaces. */
char *forward_one_line(const char *s);
/* RFC 5322 date in UTC, locale-independent. */
void forward_format_date(int64_t when, char *buf, size_t size);
/* "2026-11-09 10:00Z", for the summary. */
void forward_format_day_time(int64_t when, char *buf, size_t size);
/* Every mailbox address of a header-style list (owned); the count. */
size_t forward_parse_addrs(const char *list, char ***addrs_r);
void forward_free_addrs(char **v, size_t n);
/* s unless NULL or "", else dflt. */
const char *forward_str_or(const char *s, const char *dflt);
/* Is messages[i] attached (attach style) by this forward? */
/* One past the last message forwarded now (see forward_ticket.n_new). */
size_t forward_new_end(const struct forward_ticket *t);
int forward_attached(const struct forward_ticket *t, size_t i);
/* A text/plain; charset=utf-8 part (7bit or quoted-printable). */
GMimeObject *forward_text_part(const char *text);
void forward_set_header(GMimeMessage *msg, const char *name, const char *value);
/* Serialise with CRLF line ends into mail->data / mail->len. */
int forward_write_message(
    GMimeMessage *msg, struct forward_mail *mail, struct error *err);
/* Envelope: our address, copies of the recipients. */
void forward_set_envelope(struct forward_mail *mail,
    const struct forward_sender *s, char **rcpt, size_t n);

#endif
