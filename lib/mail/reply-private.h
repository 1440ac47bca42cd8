/*
 * Shared by the reply-*.c family only: what an HTML element's attributes
 * and inline style do to the visibility of its text (reply-hidden.c).
 *
 * Hidden HTML is never text: a command a reader cannot see must not act.
 * The state is inherited down the tree the way CSS inherits it: an
 * element either removes its whole subtree (display:none, opacity:0 ...),
 * or changes what its children inherit (visibility, font size, text and
 * background colour), which a child may set back.
 */
#ifndef TRIAGE_REPLY_PRIVATE_H
#define TRIAGE_REPLY_PRIVATE_H

#include <stdint.h>

/* A colour as 0xRRGGBB, or one of these. */
#define HTML_COLOR_TRANSPARENT 0x1000000u

struct html_vis {
	uint32_t color; /* text colour */
	uint32_t bg;	/* the nearest background set, white at the root */
	unsigned char hidden; /* visibility:hidden (a child may undo it) */
	unsigned char tiny;   /* font too small to read */
};

/* The state at the document's root: black on white, shown. */
struct html_vis html_vis_root(void);

/* Apply the color= and bgcolor= attributes (either may be NULL). */
void html_vis_attrs(struct html_vis *v, const char *color, const char *bg);

/*
 * Apply an inline style attribute's declarations to *v.  Returns 1 when
 * the element and all it holds cannot be seen at all (display:none,
 * opacity:0, mso-hide:all, zero height with overflow hidden, moved far
 * off the page), else 0.
 */
int html_vis_style(struct html_vis *v, const char *style);

/* Can a reader see text in state v? */
int html_vis_shows(const struct html_vis *v);

#endif
