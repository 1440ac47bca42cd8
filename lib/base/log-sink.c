/* One sink for the lines of library threads; see log-sink.h. */
#include "log-sink.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

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
		(void)snprintf(buf + n, len - n, "ticket=%" PRId64 " ",
		    w->ticket);
}

void
log_sink_stderr(void *arg, enum log_level level, const struct log_where *where,
    const char *msg)
{
	char pre[256];

	(void)arg;
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
