/*
 * Small helpers of the forward family (forward-private.h): header-safe
 * and one-line text, dates, which messages a forward attaches, the
 * envelope.  Nothing here writes a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compose.h"
#include "forward-private.h"
#include "msgid.h"
#include "xalloc.h"

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
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
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

void
forward_token_header(struct compose *c, const struct forward_sender *s,
    const char *message_id, int64_t now)
{
	char *token;

	if (s->key == NULL)
		return;
	token = msgid_token(s->key, message_id, now);
	compose_header(c, "X-Triage-Token", token);
	free(token);
}
