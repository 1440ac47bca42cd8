/*
 * triage's own Message-IDs: "triage.T<ticket>.E<event>[.<suffix>]@<domain>".
 *
 * They are deterministic, so a duplicate send can be recognised, and they
 * carry the ticket: a reply from the routed side names our forward's id
 * in In-Reply-To / References (none of our ids is stored as a message),
 * and ingest threads it by the ticket read back out of it.
 */
#ifndef TRIAGE_MSGID_H
#define TRIAGE_MSGID_H

#include <stdint.h>

/*
 * A new Message-ID, without <>, owned by the caller: `suffix` "" for
 * none, else appended after a dot (a redirect's position, an answer's
 * kind).  `domain` is the right side (smtp.from's domain).
 */
char *msgid_make(const char *domain, int64_t ticket, int64_t event,
    const char *suffix);

/*
 * The ticket a Message-ID we made names: "triage.T<ticket>.E<event>..."
 * at `our_domain` (case-insensitive), with or without <>.  Returns 1 and
 * sets *ticket_r, or 0 (*ticket_r untouched).
 */
int msgid_ticket(const char *message_id, const char *our_domain,
    int64_t *ticket_r);

#endif
