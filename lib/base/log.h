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

/*
 * Program name shown when not under the journal; verbosity threshold.
 * Standard error is the journal when $JOURNAL_STREAM names its device
 * and inode (systemd.exec(5)): lines then go through sd_journal_send
 * with their fields (log-sink.h), and carry no name or time.
 */
void log_init(const char *progname, enum log_level max_level);

/*
 * The threshold from the config (log_level): a no-op once the command
 * line pinned one (log_pin_level, for -v and -q), which wins.
 */
void log_set_level(enum log_level max_level);
void log_pin_level(enum log_level max_level);

/* "error", "warning", "info" or "debug" into *level_r; -1 if none. */
int log_level_parse(const char *name, enum log_level *level_r);
/* The name log_level_parse reads back for `level`. */
const char *log_level_name(enum log_level level);

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
