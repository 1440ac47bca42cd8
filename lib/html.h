/*
 * HTML to readable text, with libxml2's HTML parser (never regex tag
 * stripping): block elements become line breaks, entities are decoded,
 * script/style/head are dropped, link targets are kept as "text <url>",
 * and blockquotes are prefixed with "> " so quoted HTML replies look like
 * quoted text replies.
 */
#ifndef TRIAGE_HTML_H
#define TRIAGE_HTML_H

#include <stddef.h>

#include "xalloc.h"

/*
 * Append the text of `len` bytes of UTF-8 HTML to `out` (whose cap
 * bounds the result).  The parser runs in SAX mode, so no tree is built
 * and arbitrarily deep nesting costs no stack.  Returns 0, or -1 when
 * out's cap was reached: what fitted is kept, cut at a character
 * boundary.  Never fails otherwise; broken HTML yields what the parser
 * recovers.
 */
int html_to_text(const char *html, size_t len, struct buf *out);

#endif
