/* Per-mailbox state, its one-line forms and the status file; mailbox.h. */
#include "mailbox.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xalloc.h"

#define STATUS_MAGIC "triaged-status 1"
#define STATUS_MAX_MAILBOXES 1024
#define STATUS_LINE_MAX 2048

static const char *const state_names[MBOX_STATE_COUNT] = {
	[MBOX_STARTING] = "starting",
	[MBOX_CONNECTING] = "connecting",
	[MBOX_SYNCING] = "syncing",
	[MBOX_IDLING] = "idling",
	[MBOX_WAITING] = "waiting",
	[MBOX_BACKOFF] = "backoff",
	[MBOX_STOPPED] = "stopped",
	[MBOX_STANDBY] = "standby",
};

const char *
mailbox_state_name(enum mailbox_state s)
{
	if ((unsigned)s >= MBOX_STATE_COUNT)
		return "?";
	return state_names[s];
}

static int
mailbox_state_parse(const char *s, enum mailbox_state *state_r)
{
	for (int i = 0; i < MBOX_STATE_COUNT; i++) {
		if (strcmp(state_names[i], s) == 0) {
			*state_r = (enum mailbox_state)i;
			return 0;
		}
	}
	return -1;
}

/* Copy into a fixed field; tabs and line breaks become spaces. */
static void
copy_field(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = src[i] == '\t' || src[i] == '\n' || src[i] == '\r' ?
			     ' ' :
			     src[i];
	dst[i] = '\0';
}

void
mailbox_status_init(struct mailbox_status *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	copy_field(s->name, sizeof(s->name), name);
	s->state = MBOX_STARTING;
}

void
mailbox_counts_add(struct mailbox_counts *sum, const struct mailbox_counts *c)
{
	sum->pending += c->pending;
	sum->stored += c->stored;
	sum->problems += c->problems;
	sum->failed += c->failed;
	sum->ignored += c->ignored;
	sum->duplicate += c->duplicate;
	sum->too_big += c->too_big;
	sum->gone += c->gone;
}

void
mailbox_status_fail(struct mailbox_status *s, const char *error, int64_t now,
    int64_t until)
{
	s->state = MBOX_BACKOFF;
	s->connected = 0;
	s->until = until;
	s->failures++;
	s->last_error_at = now;
	copy_field(s->last_error, sizeof(s->last_error), error);
}

void
mailbox_status_synced(struct mailbox_status *s, const struct mailbox_counts *c,
    int64_t now)
{
	s->failures = 0;
	s->last_error[0] = '\0';
	s->last_error_at = 0;
	s->last_sync = now;
	s->last = *c;
	mailbox_counts_add(&s->total, c);
}

static void
clock_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || localtime_r(&tt, &tm) == NULL) {
		snprintf(buf, len, "never");
		return;
	}
	strftime(buf, len, "%H:%M:%S", &tm);
}

void
mailbox_counts_format(const struct mailbox_counts *c, char *buf, size_t len)
{
	snprintf(buf, len,
	    "%" PRIu64 " past checkpoint: %" PRIu64 " stored (%" PRIu64
	    " with parse problems), %" PRIu64 " ignored, %" PRIu64
	    " failed, %" PRIu64 " too large, %" PRIu64
	    " already stored, %" PRIu64 " gone",
	    c->pending, c->stored, c->problems, c->ignored, c->failed,
	    c->too_big, c->duplicate, c->gone);
}

int
mailbox_status_format(const struct mailbox_status *s, char *buf, size_t len)
{
	char when[32], sync[32], counts[256];

	clock_time(s->until, when, sizeof(when));
	clock_time(s->last_sync, sync, sizeof(sync));
	mailbox_counts_format(&s->last, counts, sizeof(counts));
	switch (s->state) {
	case MBOX_BACKOFF:
		return snprintf(buf, len,
		    "%s: backing off until %s after %u "
		    "failure%s: %s",
		    s->name, when, s->failures, s->failures == 1 ? "" : "s",
		    s->last_error);
	case MBOX_WAITING:
		return snprintf(buf, len,
		    "%s: waiting, next poll %s; last "
		    "poll %s: %s",
		    s->name, when, sync, counts);
	case MBOX_STANDBY:
		return snprintf(buf, len,
		    "%s: standby (another triaged holds its lease); last "
		    "poll %s: %s",
		    s->name, sync, counts);
	case MBOX_STOPPED:
		/* --once: its last attempt failed, say why */
		if (s->last_error[0] != '\0')
			return snprintf(buf, len,
			    "%s: stopped after %u "
			    "failure%s: %s",
			    s->name, s->failures, s->failures == 1 ? "" : "s",
			    s->last_error);
		break;
	default:
		break;
	}
	return snprintf(buf, len, "%s: %s%s; last poll %s: %s", s->name,
	    mailbox_state_name(s->state),
	    s->state == MBOX_IDLING || !s->connected ? "" : " (connected)",
	    sync, counts);
}

void
mailbox_status_line(const struct mailbox_status *v, size_t n, char *buf,
    size_t len)
{
	size_t off = 0;
	char when[32];
	int w;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++) {
		const struct mailbox_status *s = &v[i];

		if (s->state == MBOX_BACKOFF) {
			clock_time(s->until, when, sizeof(when));
			w = snprintf(buf + off, len - off,
			    "%s%s: backoff "
			    "until %s (%.80s)",
			    i > 0 ? "; " : "", s->name, when, s->last_error);
		} else {
			w = snprintf(buf + off, len - off, "%s%s: %s",
			    i > 0 ? "; " : "", s->name,
			    mailbox_state_name(s->state));
		}
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

char *
mailbox_status_path(const char *database)
{
	const char *slash = strrchr(database, '/');
	char *path;

	if (slash == NULL)
		return xstrdup("triaged.status");
	xasprintf(&path, "%.*s/triaged.status", (int)(slash - database),
	    database);
	return path;
}

static void
counts_print(FILE *f, const struct mailbox_counts *c)
{
	fprintf(f,
	    "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
	    "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64,
	    c->pending, c->stored, c->problems, c->failed, c->ignored,
	    c->duplicate, c->too_big, c->gone);
}

static void
status_print(FILE *f, const struct mailbox_status *s)
{
	fprintf(f,
	    "%s\t%s\t%d\t%d\t%" PRId64 "\t%u\t%" PRId64 "\t%" PRId64
	    "\t%" PRIu32 "\t%" PRIu32 "\t%" PRIu32,
	    s->name, mailbox_state_name(s->state), s->connected, s->idle,
	    s->until, s->failures, s->last_error_at, s->last_sync,
	    s->uidvalidity, s->last_uid, s->acted_uid);
	counts_print(f, &s->last);
	counts_print(f, &s->total);
	fprintf(f, "\t%s\n", s->last_error);
}

/* The status file's text: the magic line, then one line a mailbox. */
static void
status_dump(FILE *f, pid_t pid, int64_t now, const struct mailbox_status *v,
    size_t n)
{
	fprintf(f, "%s\t%ld\t%" PRId64 "\n", STATUS_MAGIC, (long)pid, now);
	for (size_t i = 0; i < n; i++)
		status_print(f, &v[i]);
}

char *
mailbox_status_text(pid_t pid, int64_t now, const struct mailbox_status *v,
    size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		fatal("open_memstream");
	status_dump(f, pid, now, v, n);
	if (fclose(f) != 0)
		fatal("open_memstream");
	return text;
}

int
mailbox_status_write(const char *path, pid_t pid, int64_t now,
    const struct mailbox_status *v, size_t n, struct error *err)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int fd, r = -1;

	xasprintf(&tmp, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || fchmod(fd, 0640) < 0) {
		error_set(err, ERR_TEMP, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		error_set(err, ERR_TEMP, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	status_dump(f, pid, now, v, n);
	if (fclose(f) != 0) {
		f = NULL;
		error_set(err, ERR_TEMP, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) < 0) {
		error_set(err, ERR_TEMP, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (r < 0)
		(void)unlink(tmp);
	free(tmp);
	return r;
}

/* Split a line at tabs in place; the last field keeps the rest. */
static size_t
split_tabs(char *line, char **f, size_t max)
{
	size_t n = 0;

	while (n + 1 < max) {
		char *tab = strchr(line, '\t');

		f[n++] = line;
		if (tab == NULL)
			return n;
		*tab = '\0';
		line = tab + 1;
	}
	f[n++] = line;
	return n;
}

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' ? -1 : 0;
}

static int
parse_counts(char **f, struct mailbox_counts *c)
{
	uint64_t *fields[] = { &c->pending, &c->stored, &c->problems,
		&c->failed, &c->ignored, &c->duplicate, &c->too_big, &c->gone };

	for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
		if (parse_u64(f[i], fields[i]) < 0)
			return -1;
	}
	return 0;
}

#define STATUS_FIELDS 28 /* 11 scalars, 2 x 8 counts, the error */

static int
parse_status(char *line, struct mailbox_status *s)
{
	char *f[STATUS_FIELDS];
	uint64_t u[9];

	if (split_tabs(line, f, STATUS_FIELDS) != STATUS_FIELDS)
		return -1;
	mailbox_status_init(s, f[0]);
	if (mailbox_state_parse(f[1], &s->state) < 0)
		return -1;
	for (int i = 0; i < 9; i++) {
		if (parse_u64(f[2 + i], &u[i]) < 0)
			return -1;
	}
	s->connected = (int)u[0];
	s->idle = (int)u[1];
	s->until = (int64_t)u[2];
	s->failures = (unsigned)u[3];
	s->last_error_at = (int64_t)u[4];
	s->last_sync = (int64_t)u[5];
	s->uidvalidity = (uint32_t)u[6];
	s->last_uid = (uint32_t)u[7];
	s->acted_uid = (uint32_t)u[8];
	if (parse_counts(f + 11, &s->last) < 0 ||
	    parse_counts(f + 19, &s->total) < 0)
		return -1;
	copy_field(s->last_error, sizeof(s->last_error), f[27]);
	return 0;
}

int
mailbox_status_read(const char *path, pid_t *pid_r, int64_t *updated_r,
    struct mailbox_status **v_r, size_t *n_r, struct error *err)
{
	struct mailbox_status *v = NULL;
	char line[STATUS_LINE_MAX], *f[3];
	size_t n = 0;
	uint64_t pid, updated;
	FILE *fp;
	int r = -1;

	fp = fopen(path, "r");
	if (fp == NULL)
		return error_set(err,
		    errno == ENOENT ? ERR_NOTFOUND : ERR_INTERNAL, "%s: %s",
		    path, strerror(errno));
	if (fgets(line, sizeof(line), fp) == NULL)
		goto bad;
	line[strcspn(line, "\n")] = '\0';
	if (split_tabs(line, f, 3) != 3 || strcmp(f[0], STATUS_MAGIC) != 0 ||
	    parse_u64(f[1], &pid) < 0 || parse_u64(f[2], &updated) < 0)
		goto bad;
	v = xcalloc(STATUS_MAX_MAILBOXES, sizeof(*v));
	while (n < STATUS_MAX_MAILBOXES && fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (parse_status(line, &v[n]) < 0)
			goto bad;
		n++;
	}
	*pid_r = (pid_t)pid;
	*updated_r = (int64_t)updated;
	*v_r = v;
	*n_r = n;
	v = NULL;
	r = 0;
	goto out;
bad:
	error_set(err, ERR_INTERNAL, "%s: not a triaged status file", path);
out:
	free(v);
	fclose(fp);
	return r;
}
