/*
 * The message model: raw RFC 5322 bytes in, one clean, bounded, UTF-8
 * record out.  GMime does all MIME and header decoding; this module only
 * decides what the rest of triage sees.
 *
 * struct msg is a plain record (like isync's message struct): every
 * string is owned by the record, NUL-terminated, valid UTF-8, and never
 * NULL unless documented.  Free it with msg_free().
 */
#ifndef TRIAGE_MIME_H
#define TRIAGE_MIME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

struct msg_addr {
	char *name; /* decoded display name, "" when none */
	char *addr; /* lowercased addr-spec, "" when unparsable */
};

struct msg_addrs {
	struct msg_addr *v; /* owned array */
	size_t n;
};

struct msg_header {
	char *name;  /* as in the message, e.g. "Auto-Submitted" */
	char *value; /* unfolded, RFC 2047 decoded, UTF-8 */
};

struct msg_attachment {
	char *filename;	    /* decoded (RFC 2231 / encoded words); "" if none */
	char *content_type; /* lowercased "type/subtype" */
	size_t size;	    /* decoded size in bytes */
};

/* Mail kind and parse-state flags (msg.flags). */
#define MSG_AUTO_SUBMITTED 0x0001 /* auto-reply, OOO, bulk, junk */
#define MSG_LIST 0x0002	    /* List-Id / List-Unsubscribe / Precedence: list */
#define MSG_BOUNCE 0x0004   /* delivery-status report, MAILER-DAEMON */
#define MSG_OWN_LOOP 0x0008 /* X-Loop carries our own address */
#define MSG_SYNTHETIC_ID 0x0010	 /* Message-ID derived from the raw bytes */
#define MSG_DATE_RECEIVED 0x0020 /* Date missing/unparsable: receipt time */
#define MSG_TRUNCATED 0x0040	 /* a bound was hit; see problems */
#define MSG_NOT_MAIL 0x0080	 /* no usable header block at all */
#define MSG_RECEIPT 0x0100	 /* read receipt (disposition-notification) */

struct msg {
	char *message_id;  /* without <>; synthetic when MSG_SYNTHETIC_ID */
	char *in_reply_to; /* without <>; "" when none */
	char **references; /* owned array of ids without <>, oldest first */
	size_t n_references;
	int64_t date;  /* seconds since the epoch, UTC */
	char *subject; /* decoded; "" when none */
	/* top-level Content-Type, lowercased "type/subtype" and its
	   parameters but the boundary ("; report-type=..."); "" when none */
	char *content_type;

	struct msg_addr from; /* first From address; "" fields when none */
	char *from_domain;    /* domain part of from.addr, lowercased */
	struct msg_addrs sender;
	struct msg_addrs reply_to;
	struct msg_addrs to;
	struct msg_addrs cc;

	struct msg_header *headers; /* every top-level header, in order */
	size_t n_headers;

	char *text;	 /* the author's own text: every text part
				   outside forwarded messages, HTML as text */
	char *forwarded; /* text of nested message/rfc822 parts */
	char *html;	 /* first text/html part as-is (UTF-8), "" if none;
				   kept for reply quote detection */

	struct msg_attachment *attachments;
	size_t n_attachments;

	unsigned flags;	 /* MSG_* */
	char **problems; /* parse problems, human-readable, owned */
	size_t n_problems;
	size_t raw_size; /* length of the raw input */
};

struct mime_limits {
	size_t max_size;    /* raw bytes parsed at most (default 50 MB) */
	unsigned max_depth; /* MIME nesting (default 32) */
	unsigned max_parts; /* MIME parts walked (default 1000) */
	size_t max_text;    /* bytes of text / forwarded kept (default 1 MB) */
	const char *own_address; /* our X-Loop address, or NULL */
};

/* Fill *lim with the defaults above. */
void mime_limits_default(struct mime_limits *lim);

/* Call once per process before mime_parse (g_mime_init). Idempotent. */
void mime_init(void);
void mime_shutdown(void);

/*
 * Parse raw bytes.  Always produces a record for any input (problems are
 * listed in it, never fatal); returns 0 and sets *msg_r (caller frees with
 * msg_free).  Returns -1 with err set only for misuse (NULL input).
 * `received` is used when Date is missing or unparsable.
 */
int mime_parse(const char *raw, size_t len, const struct mime_limits *lim,
    time_t received, struct msg **msg_r, struct error *err);

/* Value of the first header called `name` (case-insensitive), or NULL. */
const char *msg_header(const struct msg *m, const char *name);

/* Frees the record and sets *mp to NULL; accepts NULL. */
void msg_free(struct msg **mp);

/*
 * The message data[len] made 7-bit, for an SMTP server without 8BITMIME
 * or SMTPUTF8 (smtp_opts.to_7bit): 8-bit parts re-encoded as
 * quoted-printable or base64, 8-bit headers as RFC 2047 encoded words;
 * the decoded content is the same bytes.  CRLF line ends.  Sets *out_r
 * (free it) and *len_r; -1 when GMime cannot read or write it.
 * Needs mime_init().
 */
int mime_to_7bit(const char *data, size_t len, char **out_r, size_t *len_r);

#endif
