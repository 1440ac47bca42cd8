/*
 * triage's own Message-IDs and the token that signs the mail we send.
 *
 *   unsigned  triage.T<ticket>.E<event>[.<suffix>]@<domain>
 *   signed    triage.T<ticket>.E<event>[.<suffix>].<part>.<mac>@<domain>
 *
 * <part> is the database's random component (msgid_key.part, made once
 * when its schema is created or upgraded), so two databases, or one
 * reinstalled, never mint the same id for different mail.  <mac> is
 * HMAC-SHA256 under the database's secret key over everything before
 * it, truncated to MSGID_MAC_HEX hex digits: an id naming ticket 5 can
 * only come from mail we sent.  They stay deterministic (a duplicate
 * send can be recognised) and carry the ticket: a reply from the routed
 * side names our forward's id in In-Reply-To / References (none of our
 * ids is stored as a message), and ingest threads it by the ticket read
 * back out of it.
 *
 * Every mail we send also carries "X-Triage-Token: v1.<time>.<mac>",
 * the HMAC of its (Resent-)Message-ID's left side and the time it was
 * built: when it comes back into a watched mailbox (a list that copies
 * sales@, a reminder to a shared address) it is recognised as ours by
 * the key, never by a From address anyone can write.
 */
#ifndef TRIAGE_MSGID_H
#define TRIAGE_MSGID_H

#include <stdint.h>

#define MSGID_PART_LEN 12   /* hex digits of the database's component */
#define MSGID_SECRET_LEN 32 /* bytes of its HMAC key */
#define MSGID_MAC_HEX 20    /* hex digits of a MAC kept (80 bits) */

/* One database's signing identity (the store reads it; store.h). */
struct msgid_key {
	char part[MSGID_PART_LEN + 1];
	unsigned char secret[MSGID_SECRET_LEN];
};

/*
 * A new Message-ID, without <>, owned by the caller: `suffix` "" for
 * none, else appended after a dot (a redirect's position, an answer's
 * kind).  `domain` is the right side (smtp.from's domain).  `k` NULL
 * makes the unsigned form (a database too old to have a key).
 */
char *msgid_make(const struct msgid_key *k, const char *domain, int64_t ticket,
    int64_t event, const char *suffix);

/*
 * The X-Triage-Token value for mail whose (Resent-)Message-ID is
 * `message_id` (with or without <>), built at `now`; owned by the caller.
 */
char *msgid_token(const struct msgid_key *k, const char *message_id,
    int64_t now);

enum msgid_check {
	MSGID_NOT_OURS = 0, /* not the signed shape at all */
	MSGID_OK,	    /* ours, and the MAC verifies */
	MSGID_OTHER_DB,	    /* the shape, another database's part */
	MSGID_FORGED,	    /* our part, a MAC that does not verify */
	MSGID_EXPIRED,	    /* a valid token older than the limit */
};

/* "not ours" "ok" "other database" "forged" "expired". */
const char *msgid_check_name(enum msgid_check c);

/*
 * Check a signed Message-ID (with or without <>): MSGID_OK sets
 * *ticket_r to the ticket it names.
 */
enum msgid_check msgid_verify(const struct msgid_key *k, const char *message_id,
    int64_t *ticket_r);

/*
 * Check mail that claims to be ours: its (Resent-)Message-ID must verify
 * (msgid_verify) and `token` (X-Triage-Token) must be its MAC, made no
 * more than `max_age` seconds before `now` (nor a day after it).
 * MSGID_OK sets *ticket_r.
 */
enum msgid_check msgid_verify_token(const struct msgid_key *k,
    const char *message_id, const char *token, int64_t now, int64_t max_age,
    int64_t *ticket_r);

/*
 * The ticket a Message-ID we made names: "triage.T<ticket>.E<event>..."
 * at `our_domain` (case-insensitive), with or without <>, signed or not.
 * Returns 1 and sets *ticket_r, or 0 (*ticket_r untouched).  Only for
 * the unsigned ids of a database without a key: it checks no MAC.
 */
int msgid_ticket(const char *message_id, const char *our_domain,
    int64_t *ticket_r);

#endif
