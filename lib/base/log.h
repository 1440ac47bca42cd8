/*
 * Logging, modelled on OpenSMTPD's log.h.
 *
 * Lines go to stderr with an sd-daemon "<N>" priority prefix, which the
 * journal turns into the entry's priority.  Library code does not log:
 * the programs log once, where they decide what to do.  Never pass
 * secrets to these functions.
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

/* Program name shown when not under the journal; verbosity threshold. */
void log_init(const char *progname, enum log_level max_level);

/*
 * The program's own lines; library threads log through a log_sink
 * (log-sink.h).  fatal appends ": strerror(errno)"; fatalx does not.
 */
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

#endif
