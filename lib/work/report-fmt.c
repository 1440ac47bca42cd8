/*
 * What the report's renderers share (report-text.c, -json.c, -csv.c,
 * -html.c, -digest.c, -remind.c): the time and duration formats, the
 * histogram's buckets, the names of the durations and funnel stages,
 * and the output sink of report-private.h.  Kept apart from report.c,
 * which dispatches to the renderers, so no two files call each other.
 */
#include "buf.h"
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report-private.h"
#include "sla.h"

static const int64_t hist_upper[REPORT_HIST_BUCKETS] = { 15 * 60, 30 * 60, 3600,
	2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 3 * 86400, INT64_MAX };
static const char *const hist_labels[REPORT_HIST_BUCKETS] = { "<15m", "15-30m",
	"30m-1h", "1-2h", "2-4h", "4-8h", "8-24h", "1-3d", ">3d" };
static const char *const time_names[REPORT_TIME_COUNT] = { "claim", "route",
	"acknowledge", "first_response", "waiting" };
static const char *const time_titles[REPORT_TIME_COUNT] = { "to claim",
	"to route", "to acknowledge", "to first response",
	"waiting on the customer" };

int64_t
report_hist_upper(size_t i)
{
	return i < REPORT_HIST_BUCKETS ? hist_upper[i] : INT64_MAX;
}

const char *
report_hist_label(size_t i)
{
	return i < REPORT_HIST_BUCKETS ? hist_labels[i] : "?";
}

const char *
report_time_name(enum report_time t)
{
	return t < REPORT_TIME_COUNT ? time_names[t] : "?";
}

const char *
report_time_title(enum report_time t)
{
	return t < REPORT_TIME_COUNT ? time_titles[t] : "?";
}

void
report_fmt_time(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
report_fmt_duration(int64_t secs, char *buf, size_t size)
{
	if (secs < 0)
		secs = 0;
	if (secs < 60)
		snprintf(buf, size, "%llds", (long long)secs);
	else if (secs < 3600)
		snprintf(buf, size, "%lldm", (long long)(secs / 60));
	else if (secs < 86400)
		snprintf(buf, size, "%lldh %02lldm", (long long)(secs / 3600),
		    (long long)(secs % 3600 / 60));
	else
		snprintf(buf, size, "%lldd %02lldh", (long long)(secs / 86400),
		    (long long)(secs % 86400 / 3600));
}

void
report_out_add(struct report_out *o, const char *s, size_t len)
{
	if (o->failed)
		return;
	if (buf_add(o->b, s, len) < 0)
		o->failed = 1;
}

void
report_out_str(struct report_out *o, const char *s)
{
	report_out_add(o, s, strlen(s));
}

void
report_out_printf(struct report_out *o, const char *fmt, ...)
{
	char small[512], *big = NULL;
	va_list ap;
	int n;

	if (o->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->failed = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		report_out_add(o, small, (size_t)n);
		return;
	}
	va_start(ap, fmt);
	n = vasprintf(&big, fmt, ap);
	va_end(ap);
	if (n < 0)
		o->failed = 1;
	else
		report_out_add(o, big, (size_t)n);
	free(big);
}

int
report_out_done(struct report_out *o, struct error *err)
{
	if (o->failed)
		return error_set(err, ERR_TEMP, "report larger than %zu bytes",
		    o->b->cap);
	return 0;
}

int64_t
report_counts_max(const struct report_counts *c)
{
	int64_t max = 0;

	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].n > max)
			max = c->v[i].n;
	}
	return max;
}

/* part / whole in tenths of a percent (rounded); -1 when whole <= 0. */
static int
report_rate(int64_t part, int64_t whole)
{
	if (whole <= 0 || part < 0)
		return -1;
	if (part > whole)
		part = whole; /* cannot happen with one period's counts */
	/* part <= whole, so part * 1000 overflows only past 9.2e15 */
	if (whole > INT64_MAX / 1000)
		return (int)(part / (whole / 1000));
	return (int)((part * 1000 + whole / 2) / whole);
}

void
report_fmt_local(const struct report *r, int64_t t, char *buf, size_t size)
{
	if (r->zone == NULL)
		report_fmt_time(t, buf, size);
	else
		sla_local_format(r->zone, t, buf, size);
}

const char *
report_zone_name(const struct report *r)
{
	return r->zone != NULL ? sla_hours_spec(r->zone) : "UTC";
}

const char *
report_bucket_name(enum report_bucket b)
{
	switch (b) {
	case REPORT_BUCKET_DAY:
		break;
	case REPORT_BUCKET_WEEK:
		return "week";
	case REPORT_BUCKET_MONTH:
		return "month";
	}
	return "day";
}

void
report_funnel_stages(const struct report_funnel *f,
    struct report_stage v[REPORT_FUNNEL_STAGES])
{
	const struct report_stage stages[REPORT_FUNNEL_STAGES] = {
		{ "received", f->received, NULL, -1 },
		{ "claimed", f->claimed, "received",
		    report_rate(f->claimed, f->received) },
		{ "routed", f->routed, "claimed",
		    report_rate(f->routed, f->claimed) },
		{ "acknowledged", f->acknowledged, "routed",
		    report_rate(f->acknowledged, f->routed) },
		{ "qualified", f->qualified, "received",
		    report_rate(f->qualified, f->received) },
		{ "disqualified", f->disqualified, "received",
		    report_rate(f->disqualified, f->received) },
	};

	memcpy(v, stages, sizeof(stages));
}

void
report_fmt_rate(int rate, char *buf, size_t size)
{
	if (rate < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%d.%d%%", rate / 10, rate % 10);
}

void
report_fmt_change(int64_t n, int64_t prev, char *buf, size_t size)
{
	int64_t d = n - prev;
	int len;

	len = snprintf(buf, size, "%s%lld", d > 0 ? "+" : "", (long long)d);
	if (prev <= 0 || len < 0 || (size_t)len >= size)
		return;
	/* tenths of a percent of prev, rounded half away from zero */
	{
		long long t =
		    (long long)((d * 1000 + (d < 0 ? -prev : prev) / 2) / prev);

		snprintf(buf + len, size - (size_t)len, " (%s%lld.%lld%%)",
		    t > 0 ? "+" : (t < 0 ? "-" : ""), (t < 0 ? -t : t) / 10,
		    (t < 0 ? -t : t) % 10);
	}
}

int64_t
report_axis(int64_t max, int64_t *step_r)
{
	int64_t step = 1;

	if (max < 1)
		max = 1;
	for (;;) {
		static const int mult[] = { 1, 2, 5 };

		for (size_t i = 0; i < 3; i++) {
			int64_t s = step * mult[i];

			if (s >=
			    (max + REPORT_AXIS_TICKS - 1) / REPORT_AXIS_TICKS) {
				*step_r = s;
				return (max + s - 1) / s * s;
			}
		}
		if (step > INT64_MAX / 50) {
			*step_r = max;
			return max;
		}
		step *= 10;
	}
}

/*
 * Append `s` as a column of `width` characters: control characters
 * become spaces, UTF-8 sequences count as one column each, a longer
 * string is cut with '~', a shorter one padded (unless pad is 0).
 */
void
report_out_column(struct report_out *o, const char *s, int width, int pad)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "-");
	int used = 0;

	while (*p != '\0' && used < width) {
		size_t len = 1;

		if (*p >= 0xc0) {
			while ((p[len] & 0xc0) == 0x80 && len < 4)
				len++;
		} else if (*p >= 0x80) {
			p++; /* a stray continuation byte */
			continue;
		}
		if (used == width - 1 && p[len] != '\0') {
			report_out_str(o, "~");
			used++;
			break;
		}
		if (*p < 0x20 || *p == 0x7f)
			report_out_str(o, " ");
		else
			report_out_add(o, (const char *)p, len);
		p += len;
		used++;
	}
	while (pad && used++ < width)
		report_out_str(o, " ");
}
