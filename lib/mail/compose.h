/*
 * Composing the mail triage sends (forwards, answers, reminders, the
 * weekly report): header fields, a text/plain body, a multipart/mixed
 * one with a text/plain part and attached messages, or a
 * multipart/alternative one with a text and an HTML part, serialised with CRLF line ends, the SMTP
 * wire form.  The GMime side of lib/work/forward*.c: they decide what
 * goes in a mail, this file how it is written.
 *
 *	c = compose_new();
 *	compose_header(c, "From", ...);	 ... in the order they appear
 *	compose_mixed(c, boundary);	 optional: a multipart/mixed body
 *	compose_alternative(c);		 or a multipart/alternative one
 *	compose_text(c, summary);	 the text/plain body or first part
 *	compose_attach_message(c, ...);	 multipart only
 *	compose_write(c, cap, &data, &len, &err);
 *	compose_free(&c);
 */
#ifndef TRIAGE_COMPOSE_H
#define TRIAGE_COMPOSE_H

#include <stddef.h>

#include "error.h"

struct compose;

/* A new empty message (owned: compose_free).  Never fails. */
struct compose *compose_new(void);
/* Accepts NULL; sets *c NULL. */
void compose_free(struct compose **c);

/*
 * Set header `name` to `value` (UTF-8, encoded as RFC 2047 where it must
 * be), after the ones set before.  The caller has checked that `value`
 * holds no CR or LF.
 */
void compose_header(struct compose *c, const char *name, const char *value);
/* The Subject, UTF-8 (encoded where it must be). */
void compose_subject(struct compose *c, const char *subject);
/* The Message-ID, without <>. */
void compose_message_id(struct compose *c, const char *id);

/*
 * Make the body multipart/mixed with `boundary` (the caller picks one no
 * attached message contains).  Without it the body is the one text part.
 */
void compose_mixed(struct compose *c, const char *boundary);
/*
 * Make the body multipart/alternative (GMime picks the boundary): the
 * parts that follow are one content in several forms, plainest first
 * (RFC 2046 5.1.4), as compose_text then compose_html.
 */
void compose_alternative(struct compose *c);
/*
 * A text/plain; charset=utf-8 part: the body, or the next part of a
 * multipart body.  7bit when `text` is plain ASCII with short lines,
 * else quoted-printable.  `text` is copied.
 */
void compose_text(struct compose *c, const char *text);
/* The same as a text/html; charset=utf-8 part. */
void compose_html(struct compose *c, const char *html);
/*
 * Attach `raw` (copied) as the next part of a multipart body, with
 * Content-Disposition: attachment; filename=`filename` and
 * Content-Description `description` (UTF-8).  It goes as message/rfc822
 * with its bytes unchanged (7bit or 8bit), or, when it holds a NUL or a
 * line over 998 octets (SMTP servers refuse those), as base64
 * application/octet-stream, byte-identical once decoded.
 */
void compose_attach_message(struct compose *c, const char *raw, size_t len,
    const char *filename, const char *description);

/*
 * Serialise the message with CRLF line ends into *data_r (owned,
 * NUL-terminated) and *len_r.  Returns 0, or -1 with ERR_MSG when it is
 * over `max` bytes, ERR_INTERNAL when GMime cannot write it.
 */
int compose_write(struct compose *c, size_t max, char **data_r, size_t *len_r,
    struct error *err);

/*
 * Every mailbox address of a header-style list ("A <a@x>, b@y", groups
 * flattened) into *addrs_r (owned: compose_addrs_free); the count, 0
 * when there is none or `list` is unparsable or NULL.
 */
size_t compose_addrs(const char *list, char ***addrs_r);
/* Free the addresses of compose_addrs; accepts NULL. */
void compose_addrs_free(char **v, size_t n);

#endif
