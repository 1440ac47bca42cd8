/*
 * Logging, modelled on OpenSMTPD's log.h.
 *
 * Lines go to stderr with an sd-daemon "<N>" priority prefix, which the
 * journal turns into the entry's priority.  Library code does not log:
 * the programs log once, where they decide what to do.  Every line can
 * carry a context (mailbox, uid, ticket) set with log_ctx_*().
 * Never pass secrets to these functions.
 */
#ifndef TRIAGE_LOG_H
#define TRIAGE_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Debug categories, enabled as a bitmask with log_set_trace(). */
#define TRACE_IMAP  0x01
#define TRACE_SMTP  0x02
#define TRACE_STORE 0x04
#define TRACE_RULES 0x08
#define TRACE_MIME  0x10

/* Program name shown when not under the journal; verbosity threshold. */
void log_init(const char *progname, enum log_level max_level);
void log_set_trace(unsigned mask);
/* Parse "err|warn|notice|info|debug"; returns -1 when unknown. */
int log_level_parse(const char *s, enum log_level *level_r);

/*
 * Context for the following lines: each setter copies its argument;
 * NULL, 0 or -1 clears that field.  log_ctx_clear() clears all.
 */
void log_ctx_mailbox(const char *mailbox);
void log_ctx_uid(int64_t uid);
void log_ctx_ticket(int64_t ticket);
void log_ctx_clear(void);

/* log_warn and fatal append ": strerror(errno)"; the x variants don't. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_trace(unsigned cat, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void fatal(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
