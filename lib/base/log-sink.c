/* One sink for the lines of library threads; see log-sink.h. */
#include "log-sink.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "log-private.h"

#define LINE_MAX_LEN 2048

void
log_sink_vsay(const struct log_sink *s, enum log_level level,
    const struct log_where *where, const char *fmt, va_list ap)
{
	char msg[LINE_MAX_LEN];

	if (s == NULL || s->fn == NULL)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	s->fn(s->arg, level, where, msg);
}

void
log_sink_say(const struct log_sink *s, enum log_level level,
    const struct log_where *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_sink_vsay(s, level, where, fmt, ap);
	va_end(ap);
}

/* "outbox: mailbox=sales ticket=7 " from what is set. */
static void
prefix(const struct log_where *w, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	if (w == NULL)
		return;
	if (w->component != NULL && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%s: ", w->component);
	if (w->mailbox != NULL && n < len)
		n += (size_t)snprintf(buf + n, len - n, "mailbox=%s ",
		    w->mailbox);
	if (w->ticket > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, "ticket=%" PRId64 " ",
		    w->ticket);
	if (w->message_id != NULL && n < len)
		(void)snprintf(buf + n, len - n, "message-id=<%s> ",
		    w->message_id);
}

/* One field "NAME=value", control characters made '?'; 1 (or 0: none). */
static size_t
field(char *dst, const char *name, const char *value)
{
	size_t k = strlen(name), v;

	if (value == NULL || *value == '\0' || k + 2 > LOG_JOURNAL_FIELD_LEN)
		return 0;
	/* cut at the field's bound, as snprintf would (gcc -O2 warns of
	 * the intended truncation, so by hand) */
	v = strnlen(value, LOG_JOURNAL_FIELD_LEN - k - 2);
	memcpy(dst, name, k);
	dst[k] = '=';
	memcpy(dst + k + 1, value, v);
	dst[k + 1 + v] = '\0';
	for (char *p = dst; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t')
			*p = '?';
	}
	return 1;
}

size_t
log_sink_journal_fields(enum log_level level, const struct log_where *where,
    const char *msg, struct log_journal_fields *f)
{
	char pre[256], line[LOG_JOURNAL_FIELD_LEN], num[32];
	size_t n = 0;

	prefix(where, pre, sizeof(pre));
	(void)snprintf(line, sizeof(line), "%s%s", pre, msg);
	n += field(f->v[n], "MESSAGE", line);
	(void)snprintf(num, sizeof(num), "%d", (int)level);
	n += field(f->v[n], "PRIORITY", num);
	n += field(f->v[n], "SYSLOG_IDENTIFIER", log_name());
	if (where == NULL)
		return n;
	n += field(f->v[n], "TRIAGE_COMPONENT", where->component);
	n += field(f->v[n], "MAILBOX", where->mailbox);
	if (where->ticket > 0) {
		(void)snprintf(num, sizeof(num), "%" PRId64, where->ticket);
		n += field(f->v[n], "TICKET", num);
	}
	n += field(f->v[n], "MESSAGE_ID", where->message_id);
	return n;
}

/* 0 when the journal took the line. */
static int
journal_send(enum log_level level, const struct log_where *where,
    const char *msg)
{
	struct log_journal_fields f;
	struct iovec iov[LOG_JOURNAL_FIELDS];
	size_t n;

	n = log_sink_journal_fields(level, where, msg, &f);
	for (size_t i = 0; i < n; i++)
		iov[i] = (struct iovec){ f.v[i], strlen(f.v[i]) };
	return sd_journal_sendv(iov, (int)n) < 0 ? -1 : 0;
}

void
log_sink_stderr(void *arg, enum log_level level, const struct log_where *where,
    const char *msg)
{
	char pre[256];

	(void)arg;
	if (!log_wanted(level))
		return;
	if (log_to_journal() && journal_send(level, where, msg) == 0)
		return;
	prefix(where, pre, sizeof(pre));
	switch (level) {
	case LOG_LVL_ERR:
		log_errx("%s%s", pre, msg);
		break;
	case LOG_LVL_WARN:
		log_warnx("%s%s", pre, msg);
		break;
	case LOG_LVL_NOTICE:
		log_notice("%s%s", pre, msg);
		break;
	case LOG_LVL_INFO:
		log_info("%s%s", pre, msg);
		break;
	default:
		log_debug("%s%s", pre, msg);
		break;
	}
}

void
log_sink_plain(void *arg, enum log_level level, const struct log_where *where,
    const char *msg)
{
	(void)arg;
	(void)level;
	(void)where;
	fprintf(stderr, "%s\n", msg);
}
