/*
 * Forward formats: the bytes of the mail triage sends (written by
 * lib/mail/compose.c).
 *
 * Pure builders: a plain description of a ticket and its thread goes in
 * (filled by the store / daemon; every pointer in it is foreign and only
 * read), finished messages and their SMTP envelope come out.  Nothing
 * here talks to the network or the database, so the outbox can store the
 * result and send it later, byte for byte.
 *
 * Two styles (DESIGN.md "Forwarding"):
 *   attach    one multipart/mixed message: a text/plain summary, then
 *             every forwarded thread message as message/rfc822 with its
 *             original bytes (7bit/8bit/binary, never re-encoded).
 *   redirect  each customer message re-sent as it is, with Resent-From,
 *             Resent-To, Resent-Date, Resent-Message-ID, X-Triage-Ticket
 *             and X-Loop prepended; every original byte follows unchanged.
 *
 * Output uses CRLF line ends (the SMTP wire form); a stored message with
 * bare LF line ends is attached with CRLF, as SMTP would send it anyway.
 *
 * Message-IDs are deterministic (lib/mail/msgid.c), so a duplicate send
 * can be recognised; with a key (forward_sender.key) each ends in the
 * database's part and a MAC, and the mail carries X-Triage-Token:
 *   attach    <triage.T<ticket>.E<event>[.<part>.<mac>]@<our domain>>
 *   redirect  <triage.T<ticket>.E<event>.<n>[...]@<our domain>>
 *             (Resent-Message-ID; n = the message's 1-based position)
 *   answers   <triage.T<ticket>.E<event>.<kind>[...]@<our domain>>
 */
#ifndef TRIAGE_FORWARD_H
#define TRIAGE_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "error.h"
#include "mime.h"
#include "verdict.h"

enum forward_dir {
	FORWARD_IN,	  /* from a customer (or anyone outside the team) */
	FORWARD_OUT,	  /* a team reply to the customer */
	FORWARD_INTERNAL, /* team-only mail (a command, a note) */
};

/* "in" "out" "internal" (the store's messages.direction); -1 if unknown. */
int forward_dir_parse(const char *s, enum forward_dir *dir_r);

/* One message of the thread, oldest first.  All pointers foreign. */
struct forward_message {
	const char *raw; /* the stored bytes, exactly as ingested */
	size_t raw_len;
	enum forward_dir dir;
	int team;		 /* written by a team member */
	const char *from;	 /* "Name <addr>" or "addr", for the summary */
	int64_t date;		 /* seconds since the epoch, UTC */
	const char *subject;	 /* decoded */
	const char *message_id;	 /* without <>; NULL or "" when unknown */
	const char *in_reply_to; /* without <>; NULL or "" */
	/*
	 * Team messages whose text carried #command lines: has_commands is
	 * set and text holds the new text with the command lines already
	 * removed (lib/mail/command.c strips them).  Such a message is never
	 * attached or re-sent: its stripped text goes into the summary
	 * instead, so no command line and no quoted copy of it ever leaves.
	 */
	int has_commands;
	const char *text; /* NULL when has_commands is 0 */
};

/* A BDR note on the ticket. */
struct forward_note {
	const char *author;
	int64_t at;
	const char *text;
};

/* A link from this ticket to another one ("related", "merged" ...). */
struct forward_link {
	const char *kind;
	int64_t ticket_id;
	const char *subject; /* NULL when unknown */
};

struct forward_ticket {
	int64_t id;
	const char *subject;
	const char *customer;	   /* "Name <addr>" or "addr" */
	const char *customer_addr; /* bare address: default Reply-To */
	const char *account;	   /* key account name, NULL when none */
	const char *tier;	   /* its tier, NULL when none */
	const char *state;
	const char *queue;
	const char *priority;
	const char *owner; /* NULL when unclaimed */
	const char *const *tags;
	size_t n_tags;
	int scores[DIM_COUNT];
	const struct verdict_hit *hits; /* the rule hits that classified it */
	size_t n_hits;
	const struct forward_note *notes;
	size_t n_notes;
	const struct forward_link *links;
	size_t n_links;
	const struct forward_message *messages; /* the whole thread */
	size_t n_messages;
	/*
	 * messages[first_new ..] are the ones to forward now: 0 when the
	 * ticket is routed, the index of the new message for a follow-up.
	 * n_new > 0 forwards only that many of them (a follow-up: its own
	 * message; later ones have follow-ups of their own); 0: all the
	 * rest.  The summary always describes the whole thread.
	 */
	size_t first_new;
	size_t n_new;
	const char *ticket_url; /* the ticket_url template, or NULL */
};

/* Where the forward goes (a route of triage.conf).  Pointers foreign. */
struct forward_route {
	const char *name; /* "sales", "support" ... */
	const char *to;	  /* one address or a comma-separated list */
	enum conf_route_style style;
	/* attach only: NULL = the customer's address, "" = no Reply-To */
	const char *reply_to;
};

struct msgid_key;

/* Who triage is, parsed once from smtp.from. */
struct forward_sender {
	char *from;    /* owned: the From header, "Triage <t@x.com>" */
	char *address; /* owned: t@x.com, lowercased: envelope + X-Loop */
	char *domain;  /* owned: x.com, right side of our Message-IDs */
	/* foreign (the store's): signs our Message-IDs and X-Triage-Token
	 * (lib/mail/msgid.h); NULL: unsigned ids and no token */
	const struct msgid_key *key;
	const char *ticket_url; /* foreign: conf's ticket_url, or NULL */
};

/* One finished mail and its envelope.  Everything owned. */
struct forward_mail {
	char *mail_from; /* envelope sender, without <> */
	char **rcpt;	 /* envelope recipients, without <> */
	size_t n_rcpt;
	char *message_id; /* the id we gave it (Message-ID or
			     Resent-Message-ID), without <> */
	char *data;	  /* the message, CRLF line ends, NUL-terminated */
	size_t len;
};

struct forward_mails {
	struct forward_mail *v; /* owned */
	size_t n;
};

/*
 * Parse smtp.from ("Triage <triage@example.com>" or a bare address) into
 * *s_r (free with forward_sender_clear).  Returns -1 with ERR_CONF when
 * there is no usable address in it.
 */
int forward_sender_parse(const char *from, struct forward_sender *s_r,
    struct error *err);
void forward_sender_clear(struct forward_sender *s);

/*
 * Build the forward of ticket `t` to route `r` for event `event_id` (the
 * routing or follow-up event that asked for it), dated `now`.  On success
 * returns 0 and fills *out_r (free with forward_mails_clear): one mail for
 * attach, one per customer message in messages[first_new ..] for redirect
 * (possibly none).  Returns -1 with ERR_USAGE for a bad description
 * (CR or LF in a header value, no recipient, first_new past the end) and
 * ERR_MSG when nothing is left to forward in attach style.
 */
int forward_build(const struct forward_ticket *t, const struct forward_route *r,
    const struct forward_sender *s, int64_t event_id, int64_t now,
    struct forward_mails *out_r, struct error *err);

void forward_mails_clear(struct forward_mails *m);

void forward_mail_clear(struct forward_mail *m);

/*
 * Mail the daemon writes itself: command answers, reminders, digests.
 * It carries Auto-Submitted: auto-replied, X-Auto-Response-Suppress: All
 * (RFC 3834), X-Loop, X-Triage-Ticket when there is a ticket, and for an
 * answer In-Reply-To / References to the message answered.
 */
struct forward_answer {
	const char *kind;    /* "answer", "reminder", "digest", "report": in the
				    Message-ID; [a-z-] only */
	const char *to;	     /* recipient, "Name <addr>" or "addr" */
	const char *subject; /* of the message answered (gets "Re: "),
				    or the subject itself when no in_reply_to */
	const char *in_reply_to; /* message-id answered, without <>; or NULL */
	const char *const *references; /* its References, without <> */
	size_t n_references;
	const char *text;  /* body, UTF-8 */
	int64_t ticket_id; /* 0: about no ticket */
	int64_t event_id;  /* makes the Message-ID unique */
	const char *html;  /* NULL, or an HTML form of text: the body is
			      then multipart/alternative (the report) */
};

/*
 * Build one answer into *mail_r (free with forward_mail_clear).  Returns
 * -1 with ERR_USAGE for a bad description (no recipient address, CR/LF in
 * a header value, unknown kind characters).
 */
int forward_answer_build(const struct forward_answer *a,
    const struct forward_sender *s, int64_t now, struct forward_mail *mail_r,
    struct error *err);

/*
 * Loop protection.  forward_allowed: may this inbound message be
 * forwarded?  No when it carries our X-Loop (MSG_OWN_LOOP, or an X-Loop
 * header naming `our_address`), is auto-submitted, is a bounce, or comes
 * from `our_address`.  forward_answer_allowed: may we answer its sender?
 * The same, and also not mailing-list mail nor mail without a sender
 * address (RFC 3834 section 2).  Both return 1 (yes) or 0 (no) and, when
 * `why_r` is not NULL, set it to a static reason on no.
 */
int forward_allowed(const struct msg *m, const char *our_address,
    const char **why_r);
/*
 * What forward_allowed reads of a message, as ingest recorded it on the
 * message row, for the outbox sender (which never parses a stored
 * message again).  Pointers foreign; NULL reads as "".
 */
struct forward_facts {
	unsigned flags;	    /* MSG_* */
	const char *from;   /* the sender's address */
	const char *x_loop; /* the X-Loop header values, one a line */
};
/* forward_allowed on the recorded facts: the same answer and reason. */
int forward_facts_allowed(const struct forward_facts *f,
    const char *our_address, const char **why_r);
int forward_answer_allowed(const struct msg *m, const char *our_address,
    const char **why_r);

#endif
