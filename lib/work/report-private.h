/*
 * Shared by the report renderers (report-*.c), not part of the API: an
 * output sink whose failure is sticky, so a renderer writes straight
 * through and checks once at the end whether the cap was passed.  The
 * sink and the helpers below live in report-fmt.c.
 */
#ifndef TRIAGE_REPORT_PRIVATE_H
#define TRIAGE_REPORT_PRIVATE_H

#include "buf.h"
#include "report.h"

struct report_out {
	struct buf *b; /* foreign */
	int failed;    /* 1: the cap was passed, nothing more added */
};

void report_out_add(struct report_out *o, const char *s, size_t len);
void report_out_str(struct report_out *o, const char *s);
void report_out_printf(struct report_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* 0, or -1 with *err set when the output passed the buffer's cap. */
int report_out_done(struct report_out *o, struct error *err);

/*
 * Append `s` as a terminal column of `width` characters: control
 * characters become spaces, a UTF-8 sequence counts as one column, a
 * longer string is cut with '~', a shorter one padded unless pad is 0.
 * NULL shows as "-".
 */
void report_out_column(struct report_out *o, const char *s, int width, int pad);

void report_counts_clear(struct report_counts *c);
void report_tickets_clear(struct report_tickets *t);

/* The largest count in a list (0 when empty), for scaling bars. */
int64_t report_counts_max(const struct report_counts *c);

/* A funnel stage as every renderer names it: "received", "claimed" ... */
struct report_stage {
	const char *name; /* static */
	int64_t n;
	const char *base; /* the stage its conversion is from, or NULL */
	int rate;	  /* n / base's n in tenths of a percent; -1 when
			     there is no base or it is 0 */
};

#define REPORT_FUNNEL_STAGES 6

/*
 * The stages of `f` into v[], in funnel order, each with its conversion
 * from the step before: claimed of received, routed of claimed,
 * acknowledged of routed; qualified and disqualified of received.
 */
void report_funnel_stages(const struct report_funnel *f,
    struct report_stage v[REPORT_FUNNEL_STAGES]);

/* The renderers report_render() dispatches to (report-{text,json,csv,html}.c). */
int report_render_text(const struct report *r, struct buf *out,
    struct error *err);
int report_render_json(const struct report *r, struct buf *out,
    struct error *err);
int report_render_csv(const struct report *r, struct buf *out,
    struct error *err);
int report_render_html(const struct report *r, struct buf *out,
    struct error *err);

/* Histogram bucket i: upper bound (INT64_MAX for the last) and label. */
int64_t report_hist_upper(size_t i);
const char *report_hist_label(size_t i);
/* "claim" "route" "acknowledge" "first_response"; a title for people. */
const char *report_time_name(enum report_time t);
const char *report_time_title(enum report_time t);
/* "day" "week" "month". */
const char *report_bucket_name(enum report_bucket b);
/* A rate as "45.5%", or "-" for -1, into buf (at least 8 bytes). */
void report_fmt_rate(int rate, char *buf, size_t size);
/* A change from prev to n as "+12", "-3", "0" and, when prev > 0,
   " (+25.0%)", into buf (at least 40 bytes). */
void report_fmt_change(int64_t n, int64_t prev, char *buf, size_t size);

/*
 * A value axis for integer counts up to `max`: the tick step, the
 * smallest of 1, 2, 5 x 10^k that needs at most REPORT_AXIS_TICKS
 * steps; returns the axis top (a multiple of the step, >= max, >= 1).
 */
#define REPORT_AXIS_TICKS 5
int64_t report_axis(int64_t max, int64_t *step_r);

/*
 * `t` for people, in the report's zone: "2026-11-09 11:00 CET", or
 * without a zone report_fmt_time's "2026-11-09T10:00:00Z" (at least 40
 * bytes).  The zone's name for a heading: "Europe/Berlin" or "UTC".
 */
void report_fmt_local(const struct report *r, int64_t t, char *buf,
    size_t size);
const char *report_zone_name(const struct report *r);
/* "2026-11-09T10:00:00Z" into buf (at least 21 bytes). */
void report_fmt_time(int64_t t, char *buf, size_t size);
/* A short human duration: "45s" "12m" "3h 05m" "2d 04h". */
void report_fmt_duration(int64_t secs, char *buf, size_t size);

#endif
