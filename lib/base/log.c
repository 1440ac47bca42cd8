/* Logging to stderr with sd-daemon priority prefixes; see log.h. */
#include "log-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *log_progname = "triage";
static enum log_level log_max = LOG_LVL_INFO;
static int log_pinned;	/* -v or -q: the config's log_level is ignored */
static int log_journal; /* stderr is the journal: no name, no time */

/* $JOURNAL_STREAM is "DEV:INODE" of the journal's stream (systemd.exec). */
static int
stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (v == NULL || sscanf(v, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *progname, enum log_level max_level)
{
	log_progname = progname;
	log_max = max_level;
	log_journal = stderr_is_journal();
}

void
log_set_level(enum log_level max_level)
{
	if (!log_pinned)
		log_max = max_level;
}

void
log_pin_level(enum log_level max_level)
{
	log_max = max_level;
	log_pinned = 1;
}

static const struct {
	const char *name;
	enum log_level level;
} level_names[] = {
	{ "error", LOG_LVL_ERR },
	{ "warning", LOG_LVL_WARN },
	{ "info", LOG_LVL_INFO },
	{ "debug", LOG_LVL_DEBUG },
};

int
log_level_parse(const char *name, enum log_level *level_r)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (strcmp(name, level_names[i].name) == 0) {
			*level_r = level_names[i].level;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]);
	     i++) {
		if (level_names[i].level == level)
			return level_names[i].name;
	}
	return level < LOG_LVL_INFO ? "warning" : "info"; /* notice */
}

int
log_wanted(enum log_level level)
{
	return level <= log_max;
}

int
log_to_journal(void)
{
	return log_journal;
}

const char *
log_name(void)
{
	return log_progname;
}

/* Writes one line; control characters in the message become '?'. */
static void log_vwrite(enum log_level level, const char *errstr,
    const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

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
