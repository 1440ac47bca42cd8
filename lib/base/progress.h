/*
 * Progress of long work, on a terminal only: "replay: 1,200 of 4,800"
 * redrawn in place (the CLI), or a line now and then ("sales: 12,000 of
 * 48,000") where several threads and a log share the terminal (the
 * daemon's drain).  When the stream is not a terminal (a pipe, the
 * journal) progress_new returns NULL and every call is a no-op, so the
 * callers need no test of their own.
 */
#ifndef TRIAGE_PROGRESS_H
#define TRIAGE_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct progress;

/* One line each PROGRESS_LINE_SECONDS, only once the work has lasted
 * that long: for a log, not a redrawn line. */
#define PROGRESS_LINES 0x1
#define PROGRESS_LINE_SECONDS 5

/*
 * Report on `fp` (foreign) the work `what` (copied) of `total` steps (0:
 * unknown).  Without PROGRESS_LINES the line is drawn at once and
 * redrawn at most ten times a second.  Returns NULL when fp is not a
 * terminal.
 */
struct progress *progress_new(FILE *fp, const char *what, uint64_t total,
    unsigned flags);
/* `done` steps are done now; NULL is fine. */
void progress_set(struct progress *p, uint64_t done);
/*
 * Erase a redrawn line before printing something else on the terminal;
 * the next progress_set draws it again at once.  NULL is fine.
 */
void progress_clear(struct progress *p);
/*
 * The end: the line is drawn a last time with ", done." (a line of the
 * PROGRESS_LINES kind only if one was printed before), then freed and
 * *pp set to NULL; NULL is fine.
 */
void progress_end(struct progress **pp);

#endif
