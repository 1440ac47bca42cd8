/*
 * HTML to readable text, with libxml2's HTML parser (never regex tag
 * stripping): block elements become line breaks, entities are decoded,
 * script/style/head are dropped, link targets are kept as "text <url>",
 * and blockquotes are prefixed with "> " so quoted HTML replies look like
 * quoted text replies.
 *
 * Also the one home of libxml2: readers that need the document's
 * structure walk it with html_walk_*() instead of parsing it themselves.
 */
#ifndef TRIAGE_HTML_H
#define TRIAGE_HTML_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/*
 * Append the text of `len` bytes of UTF-8 HTML to `out` (whose cap
 * bounds the result).  The parser runs in SAX mode, so no tree is built
 * and arbitrarily deep nesting costs no stack.  Returns 0, or -1 when
 * out's cap was reached: what fitted is kept, cut at a character
 * boundary.  Never fails otherwise; broken HTML yields what the parser
 * recovers.
 */
int html_to_text(const char *html, size_t len, struct buf *out);

/*
 * libxml2's process-wide set-up (xmlInitParser), which is not safe to
 * run from two threads at once: call it before threads parse HTML
 * (mime_init does).  html_shutdown undoes it once they have all ended.
 */
void html_init(void);
void html_shutdown(void);

/*
 * A walk over the parsed tree of an HTML document, for readers that
 * decide per element what to keep (reply-html.c drops quoted history by
 * its container).  An iterator, so the caller's loop reads top to
 * bottom; the walk follows next/parent pointers, so deep nesting costs
 * no stack:
 *
 *	r = html_walk_begin(html, len, &w, err);
 *	while (html_walk_next(w, &node))
 *		... html_walk_skip(w) on an element not to enter ...
 *	html_walk_end(&w);
 */
/*
 * Whether a text node (or the content of script or style) of `len`
 * bytes of HTML holds the character `c`, read by libxml2's tokenizer
 * with the options html_walk_begin() uses, so the answer is exact for
 * the walk's text; no tree is built and the parse stops at the first c.
 * For readers that look for one character first (mail commands start
 * with '#').  Attribute values do not count, though html_to_text() shows
 * link targets and alt text.  1 also when the HTML is too big to parse.
 */
int html_text_may_hold(const char *html, size_t len, char c);

struct html_walk;

enum html_step {
	HTML_ENTER, /* an element opens; its children come next */
	HTML_TEXT,  /* text (or CDATA), entities decoded */
	HTML_LEAVE, /* the innermost open element closes */
};

struct html_node {
	enum html_step step;
	const char *name; /* foreign: ENTER, LEAVE: the element's */
	const char *text; /* foreign: TEXT: the text */
};

/*
 * Parse `len` bytes of UTF-8 HTML into a tree (libxml2 recovers what it
 * can from broken HTML) and start a walk at its first node.  Returns 0
 * and a walk in *walk_r, to be ended with html_walk_end(); -1 with an
 * ERR_MSG error when the input is too large or cannot be parsed at all.
 */
int html_walk_begin(const char *html, size_t len, struct html_walk **walk_r,
    struct error *err);

/*
 * The next step in document order into *node_r, whose strings stay
 * valid until html_walk_end().  Returns 1, or 0 when the document is done
 * (then *node_r is untouched).
 */
int html_walk_next(struct html_walk *walk, struct html_node *node_r);

/*
 * Right after an HTML_ENTER: pass over that element's children; no
 * HTML_LEAVE comes for it.
 */
void html_walk_skip(struct html_walk *walk);

/*
 * The value of attribute `name` of the element just entered, as a
 * malloc'd string the caller frees; NULL when it has none.
 */
char *html_walk_attr(const struct html_walk *walk, const char *name);

/* Free the tree and the walk; accepts NULL, sets *walk to NULL. */
void html_walk_end(struct html_walk **walk);

#endif
