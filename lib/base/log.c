/* Logging to stderr with sd-daemon priority prefixes; see log.h. */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_progname = "triage";
static enum log_level log_max = LOG_LVL_INFO;
static unsigned log_trace_mask;
static int log_journal;		/* stderr is the journal: no name, no time */

static struct {
	char mailbox[64];
	int64_t uid;
	int64_t ticket;
} ctx = { "", -1, -1 };

void
log_init(const char *progname, enum log_level max_level)
{
	log_progname = progname;
	log_max = max_level;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
}

void
log_set_trace(unsigned mask)
{
	log_trace_mask = mask;
	if (mask != 0)
		log_max = LOG_LVL_DEBUG;
}

int
log_level_parse(const char *s, enum log_level *level_r)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "err", LOG_LVL_ERR },       { "warn", LOG_LVL_WARN },
		{ "notice", LOG_LVL_NOTICE }, { "info", LOG_LVL_INFO },
		{ "debug", LOG_LVL_DEBUG },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*level_r = names[i].level;
			return 0;
		}
	}
	return -1;
}

void
log_ctx_mailbox(const char *mailbox)
{
	snprintf(ctx.mailbox, sizeof(ctx.mailbox), "%s",
	    mailbox != NULL ? mailbox : "");
}

void
log_ctx_uid(int64_t uid)
{
	ctx.uid = uid;
}

void
log_ctx_ticket(int64_t ticket)
{
	ctx.ticket = ticket;
}

void
log_ctx_clear(void)
{
	ctx.mailbox[0] = '\0';
	ctx.uid = -1;
	ctx.ticket = -1;
}

/* Writes one line; control characters in the message become '?'. */
static void
log_vwrite(enum log_level level, const char *errstr, const char *fmt,
    va_list ap)
{
	char msg[2048], prefix[160] = "";
	size_t off = 0;
	int saved = errno;

	if (level > log_max)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *p = msg; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 && *p != '\t')
			*p = '?';
	}
	if (ctx.mailbox[0] != '\0')
		off += snprintf(prefix + off, sizeof(prefix) - off,
		    "mailbox=%s ", ctx.mailbox);
	if (ctx.uid >= 0 && off < sizeof(prefix))
		off += snprintf(prefix + off, sizeof(prefix) - off,
		    "uid=%lld ", (long long)ctx.uid);
	if (ctx.ticket >= 0 && off < sizeof(prefix))
		snprintf(prefix + off, sizeof(prefix) - off, "ticket=%lld ",
		    (long long)ctx.ticket);

	if (log_journal)
		fprintf(stderr, "<%d>%s%s%s%s\n", (int)level, prefix, msg,
		    errstr ? ": " : "", errstr ? errstr : "");
	else
		fprintf(stderr, "<%d>%s: %s%s%s%s\n", (int)level,
		    log_progname, prefix, msg, errstr ? ": " : "",
		    errstr ? errstr : "");
	errno = saved;
}

#define LOG_BODY(level, errstr)                                  \
	do {                                                     \
		va_list ap;                                      \
		va_start(ap, fmt);                               \
		log_vwrite((level), (errstr), fmt, ap);          \
		va_end(ap);                                      \
	} while (0)

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);

	LOG_BODY(LOG_LVL_WARN, e);
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
log_trace(unsigned cat, const char *fmt, ...)
{
	if ((log_trace_mask & cat) == 0)
		return;
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
