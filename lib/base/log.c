/* Logging to stderr with sd-daemon priority prefixes; see log.h. */
#include "log-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_progname = "triage";
static enum log_level log_max = LOG_LVL_INFO;
static int log_journal; /* stderr is the journal: no name, no time */

void
log_init(const char *progname, enum log_level max_level)
{
	log_progname = progname;
	log_max = max_level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

/* Writes one line; control characters in the message become '?'. */
static void
log_vwrite(enum log_level level, const char *errstr, const char *fmt,
    va_list ap)
{
	char msg[2048];
	int saved = errno;

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *p = msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t')
			*p = '?';
	}
	if (log_journal)
		fprintf(stderr, "<%d>%s%s%s\n", (int)level, msg,
		    errstr ? ": " : "", errstr ? errstr : "");
	else
		fprintf(stderr, "<%d>%s: %s%s%s\n", (int)level, log_progname,
		    msg, errstr ? ": " : "", errstr ? errstr : "");
	errno = saved;
}

#define LOG_BODY(level, errstr) \
	do { \
		va_list ap; \
		va_start(ap, fmt); \
		log_vwrite((level), (errstr), fmt, ap); \
		va_end(ap); \
	} while (0)

void
log_errx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERR, NULL);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_WARN, NULL);
}

void
log_notice(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_NOTICE, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_INFO, NULL);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_DEBUG, NULL);
}

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(LOG_LVL_ERR, e);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_LVL_ERR, NULL);
	exit(1);
}
