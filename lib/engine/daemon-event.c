/*
 * What the daemon's threads report: log lines (to opts.log, one at a
 * time) and state changes (to the main loop's wake descriptor).  Called
 * by the workers and the committer alike; calls nothing of theirs.
 */
#include "daemon-private.h"

#include <stdarg.h>
#include <unistd.h>

static void daemon_vlog(struct daemon *d, enum log_level level,
    const struct log_where *where, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void
daemon_vlog(struct daemon *d, enum log_level level,
    const struct log_where *where, const char *fmt, va_list ap)
{
	if (d->opts.log.fn == NULL)
		return;
	pthread_mutex_lock(&d->log_lock);
	log_sink_vsay(&d->opts.log, level, where, fmt, ap);
	pthread_mutex_unlock(&d->log_lock);
}

void
daemon_log(struct daemon *d, enum log_level level, const char *mailbox,
    const char *fmt, ...)
{
	struct log_where where = { .mailbox = mailbox };
	va_list ap;

	va_start(ap, fmt);
	daemon_vlog(d, level, &where, fmt, ap);
	va_end(ap);
}

void
daemon_log_where(struct daemon *d, enum log_level level,
    const struct log_where *where, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	daemon_vlog(d, level, where, fmt, ap);
	va_end(ap);
}

void
daemon_wake(struct daemon *d)
{
	uint64_t one = 1;

	/* Only fails when the counter would overflow: it is woken then. */
	if (write(d->wake_fd, &one, sizeof(one)) < 0)
		return;
}
