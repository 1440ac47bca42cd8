/*
 * Internals shared by mime.c (the GMime walk) and mime-text.c (bytes to
 * clean UTF-8).  Not for other modules.
 */
#ifndef TRIAGE_MIME_PRIVATE_H
#define TRIAGE_MIME_PRIVATE_H

#include <stddef.h>

#include "xalloc.h"

/* How mime_text_to_utf8 read the bytes, for the problem list. */
struct mime_text_info {
	const char *declared;	/* foreign: charset as declared, or NULL */
	const char *used;	/* static: charset the bytes were read as */
	int unknown;		/* the declared charset is unknown to iconv */
	int wrong;		/* declared charset failed, text was UTF-8 */
	int guessed;		/* undeclared/unknown/wrong: `used` guessed */
	size_t replaced;	/* bytes replaced by U+FFFD */
};

/*
 * Append `n` bytes of text in `charset` (NULL: undeclared) to out as
 * UTF-8 with LF line ends and no NULs.  Undeclared or wrong charsets are
 * tried as UTF-8, then windows-1252; bytes that fit nothing become
 * U+FFFD.  Fills *info_r.  Never fails; out's cap cuts the text at a
 * character boundary.
 */
void mime_text_to_utf8(const char *s, size_t n, const char *charset,
    struct buf *out, struct mime_text_info *info_r);

/*
 * Append s to out as valid UTF-8: invalid bytes and NULs become U+FFFD;
 * with `text`, CRLF and lone CR become LF.  Returns the number of bytes
 * replaced, or -1 when out's cap was reached (what fitted is kept).
 */
long mime_text_clean(struct buf *out, const char *s, size_t n, int text);

/*
 * Append s to b; when it does not fit, append the longest prefix that
 * does, cut before a UTF-8 continuation byte, and return -1.
 */
int mime_text_add_cut(struct buf *b, const char *s, size_t n);

#endif
