/*
 * The levels log-sink.c's stderr adapter writes at, shared by the log
 * family (log.c, log-sink.c) only: everything else logs through a
 * log_sink or, in the program, log_notice and fatal.
 */
#ifndef TRIAGE_LOG_PRIVATE_H
#define TRIAGE_LOG_PRIVATE_H

#include "log.h"

void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
