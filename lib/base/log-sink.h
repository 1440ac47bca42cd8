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
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/* What a line is about; every field may be NULL (or 0: no ticket). */
struct log_where {
	const char *component;	/* "outbox", "sla"; NULL: the engine */
	const char *mailbox;	/* a configured mailbox's name */
	int64_t ticket;		/* a ticket id; 0: none */
	const char *message_id; /* the message's Message-ID, without <> */
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
 * part only when set), at the line's priority, below log.h's threshold.
 * Under the journal (log.h) the line goes through sd_journal_sendv with
 * the fields of log_sink_journal_fields, so that `journalctl MAILBOX=sales`
 * or `TICKET=7` finds it; to stderr if sending fails (none listening is
 * not a failure to libsystemd: the line is dropped).  Its arg
 * is unused.
 */
void log_sink_stderr(void *arg, enum log_level level,
    const struct log_where *where, const char *msg);

/*
 * The line alone, to stderr, whatever its level: for triaged --check,
 * whose "FILE:LINE: message" lines read as a compiler's.  Its arg is
 * unused.
 */
void log_sink_plain(void *arg, enum log_level level,
    const struct log_where *where, const char *msg);

/*
 * The journal fields of one line: MESSAGE= (as the stderr line, without
 * the priority), PRIORITY=, SYSLOG_IDENTIFIER=, and TRIAGE_COMPONENT=,
 * MAILBOX=, TICKET=, MESSAGE_ID= where set.  Control characters become
 * '?'.  Returns the number of fields written to f->v.
 */
#define LOG_JOURNAL_FIELDS 7
#define LOG_JOURNAL_FIELD_LEN 2400
struct log_journal_fields {
	char v[LOG_JOURNAL_FIELDS][LOG_JOURNAL_FIELD_LEN];
};
size_t log_sink_journal_fields(enum log_level level,
    const struct log_where *where, const char *msg,
    struct log_journal_fields *f);

#endif
