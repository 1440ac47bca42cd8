/*
 * Progress on a terminal; see progress.h.  One fprintf per draw, so
 * lines from several threads do not mix within a line.
 */
#include "progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

#define REDRAW_MS 100

struct progress {
	FILE *fp; /* foreign */
	char *what;
	uint64_t total, done;
	unsigned flags;
	int64_t start_ms, last_ms; /* last_ms: the last draw, 0: none */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 48000 as "48,000". */
static void
thousands(uint64_t v, char *buf, size_t len)
{
	char digits[24];
	size_t n, o = 0;

	snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	n = strlen(digits);
	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}

static void
draw(struct progress *p, const char *end)
{
	char done[32], total[32];

	thousands(p->done, done, sizeof(done));
	thousands(p->total, total, sizeof(total));
	if (p->flags & PROGRESS_LINES)
		fprintf(p->fp, "%s: %s of %s%s\n", p->what, done, total, end);
	else if (p->total > 0)
		fprintf(p->fp, "\r%s: %s of %s (%llu%%)\033[K%s", p->what, done,
		    total, (unsigned long long)(p->done * 100 / p->total), end);
	else
		fprintf(p->fp, "\r%s: %s\033[K%s", p->what, done, end);
	fflush(p->fp);
	p->last_ms = now_ms();
}

struct progress *
progress_new(FILE *fp, const char *what, uint64_t total, unsigned flags)
{
	struct progress *p;

	if (!isatty(fileno(fp)))
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->fp = fp;
	p->what = xstrdup(what);
	p->total = total;
	p->flags = flags;
	p->start_ms = now_ms();
	if (!(flags & PROGRESS_LINES))
		draw(p, "");
	return p;
}

void
progress_set(struct progress *p, uint64_t done)
{
	int64_t now;

	if (p == NULL)
		return;
	p->done = done;
	now = now_ms();
	if (p->flags & PROGRESS_LINES) {
		if (now - (p->last_ms > 0 ? p->last_ms : p->start_ms) >=
		    PROGRESS_LINE_SECONDS * 1000)
			draw(p, "");
	} else if (now - p->last_ms >= REDRAW_MS) {
		draw(p, "");
	}
}

void
progress_clear(struct progress *p)
{
	if (p == NULL || (p->flags & PROGRESS_LINES) || p->last_ms == 0)
		return;
	fputs("\r\033[K", p->fp);
	fflush(p->fp);
	p->last_ms = 0;
}

void
progress_end(struct progress **pp)
{
	struct progress *p = *pp;

	if (p == NULL)
		return;
	if (!(p->flags & PROGRESS_LINES))
		draw(p, ", done.\n");
	else if (p->last_ms > 0)
		draw(p, ", done.");
	free(p->what);
	free(p);
	*pp = NULL;
}
