/*
 * Internals shared by mime.c (the GMime walk), mime-part.c (the body),
 * mime-problem.c (the problem list) and mime-text.c (bytes to clean
 * UTF-8).  Not for other modules.
 */
#ifndef TRIAGE_MIME_PRIVATE_H
#define TRIAGE_MIME_PRIVATE_H

#include <stddef.h>

#include <gmime/gmime.h>

#include "buf.h"
#include "mime.h"

/* Everything one parse needs; lives on mime_parse's stack. */
struct mime_ctx {
	struct msg *m;		       /* foreign: being filled */
	const struct mime_limits *lim; /* foreign */
	GMimeParserOptions *opts;      /* owned */
	struct buf text;	       /* the author's text */
	struct buf fwd;		       /* text of forwarded messages */
	struct buf html;	       /* first top-level text/html */
	size_t problems_alloc;
	size_t problems_dropped;
	size_t attachments_alloc;
	unsigned parts;		  /* MIME parts walked so far */
	int depth_cut, parts_cut; /* each bound reported once */
	int text_cut;
	int html_seen;
};

/*
 * mime-problem.c: record a parse problem as "kind: detail".  Duplicates are
 * dropped and the list is capped, so hostile input cannot grow it.
 */
void mime_problem(struct mime_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * mime-part.c: walk the body from its top MIME part, filling c->text,
 * c->fwd, c->html and the attachments, within c->lim.  Never fails.
 */
void mime_part_walk(struct mime_ctx *c, GMimeObject *obj);

/* mime-part.c: bytes in `charset` to UTF-8 in out; guesses are problems. */
void mime_part_to_utf8(struct mime_ctx *c, const char *s, size_t n,
    const char *charset, struct buf *out);

/*
 * mime-part.c: append one part's text to dst (c->text or c->fwd), a blank
 * line between parts; hitting the cap is flagged once.
 */
void mime_part_append(struct mime_ctx *c, struct buf *dst, const char *s,
    size_t n);

/* How mime_text_to_utf8 read the bytes, for the problem list. */
struct mime_text_info {
	const char *declared; /* foreign: as declared, or NULL */
	const char *used;     /* static: charset the bytes were read as */
	int unknown;	      /* iconv does not know it */
	int wrong;	      /* declared charset failed, text was UTF-8 */
	int guessed;	      /* `used` is a guess */
	size_t replaced;      /* bytes replaced by U+FFFD */
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
 * Append s to b; when it does not fit, append the longest prefix that
 * does, cut before a UTF-8 continuation byte, and return -1.
 */
int mime_text_add_cut(struct buf *b, const char *s, size_t n);

/*
 * Undo RFC 3676 format=flowed in text (clean UTF-8, LF line ends): soft
 * line breaks (a trailing space) are joined, space-stuffing removed,
 * quoted paragraphs joined per quote depth and written "> " / ">> ".
 * With delsp, the trailing space of a soft break is deleted.  text's
 * cap bounds the result.
 */
void mime_text_unflow(struct buf *text, int delsp);

/*
 * A UTF-8-clean, single-line copy of s (control characters become
 * spaces, ends trimmed); NULL reads as "".  Never returns NULL.
 */
char *mime_text_dup(const char *s);

/*
 * mime-header.c: a raw header value (folded, RFC 2047 encoded words) as
 * one line of clean UTF-8.  Each encoded word is decoded alone, adjacent
 * words of one charset are joined before conversion, the blanks between
 * encoded words dropped, and words that do not decode left as written.
 * Never returns NULL.
 */
char *mime_header_text(const char *raw);

/*
 * mime-header.c: the same decoding for a structured header GMime parses
 * next (address lists): each run of adjacent encoded words becomes one
 * UTF-8 base64 word, the rest stays as written.  Never returns NULL.
 */
char *mime_header_words(const char *raw);

/* Lowercase ASCII letters in place (UTF-8 bytes untouched); returns s. */
char *mime_text_lower(char *s);

#endif
