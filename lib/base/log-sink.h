/*
 * Where library threads send their log lines: one sink, one signature,
 * with the line's context (component, mailbox, ticket) passed beside the
 * message, as Dovecot's event log prefix travels with the event.  The
 * library formats the message; the program decides where it goes
 * (log_sink_stderr() is the one adapter triaged uses).
 */
#ifndef TRIAGE_LOG_SINK_H
#define TRIAGE_LOG_SINK_H

#include <stdarg.h>
#include <stdint.h>

#include "log.h"

/* What a line is about; every field may be NULL (or 0: no ticket). */
struct log_where {
	const char *component; /* "outbox", "sla"; NULL: the engine */
	const char *mailbox;   /* a configured mailbox's name */
	int64_t ticket;	       /* a ticket id; 0: none */
};

/*
 * Take one line.  Called from any thread; the caller serializes the
 * calls it makes itself, so a sink that writes one line at a time with
 * one call (stderr) needs no lock.  `where` may be NULL.
 */
typedef void log_sink_fn(void *arg, enum log_level level,
    const struct log_where *where, const char *msg);

struct log_sink {
	log_sink_fn *fn; /* NULL: lines are dropped */
	void *arg;	 /* foreign */
};

/* Format and hand one line to `s` (a no-op on NULL s or s->fn). */
void log_sink_say(const struct log_sink *s, enum log_level level,
    const struct log_where *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void log_sink_vsay(const struct log_sink *s, enum log_level level,
    const struct log_where *where, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/*
 * The adapter to log.h: "component: mailbox=NAME ticket=N message" (each
 * part only when set), at the line's priority (err and warn as warnings).
 * Its arg is unused.
 */
void log_sink_stderr(void *arg, enum log_level level,
    const struct log_where *where, const char *msg);

#endif
