/*
 * Shared by the report renderers (report-*.c), not part of the API: an
 * output sink whose failure is sticky, so a renderer writes straight
 * through and checks once at the end whether the cap was passed.  The
 * sink and the helpers below live in report-fmt.c.
 */
#ifndef TRIAGE_REPORT_PRIVATE_H
#define TRIAGE_REPORT_PRIVATE_H

#include "report.h"

struct report_out {
	struct buf *b;		/* foreign */
	int failed;		/* 1: the cap was passed, nothing more added */
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
void report_out_column(struct report_out *o, const char *s, int width,
    int pad);

void report_counts_clear(struct report_counts *c);
void report_tickets_clear(struct report_tickets *t);

/* The largest count in a list (0 when empty), for scaling bars. */
int64_t report_counts_max(const struct report_counts *c);

/* A funnel stage as every renderer names it: "received", "claimed" ... */
struct report_stage {
	const char *name;	/* static */
	int64_t n;
};

#define REPORT_FUNNEL_STAGES 6

/* The stages of `f` into v[], in funnel order. */
void report_funnel_stages(
    const struct report_funnel *f, struct report_stage v[REPORT_FUNNEL_STAGES]);

#endif
