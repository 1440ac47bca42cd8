/*
 * Our own mail: the check that recognises mail we sent when it arrives in a
 * watched mailbox -- a forward copied back by a list, a reminder or an
 * answer sent to a shared address.  Recognition is by the HMAC token
 * (lib/mail/msgid.h), never by a From address anyone can write; ingest
 * stores such mail as ignored "own mail" on its ticket (store-ingest.c).
 */
#include "store-private.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/*
 * How long our mail is recognised by its token: copies come back within
 * minutes; a token older than this is as good as none.
 */
#define OWN_MAIL_MAX_AGE_S (30 * 86400)

static const char *
header(const struct msg *m, const char *name)
{
	for (size_t i = 0; i < m->n_headers; i++) {
		if (strcasecmp(m->headers[i].name, name) == 0)
			return m->headers[i].value;
	}
	return NULL;
}

/* The Resent-Message-ID of a redirect, without <> and blanks. */
static void
resent_id(const struct msg *m, char *out, size_t len)
{
	const char *v = header(m, "Resent-Message-ID");
	size_t n;

	out[0] = '\0';
	if (v == NULL)
		return;
	v += strspn(v, " \t<");
	n = strcspn(v, "> \t\r\n");
	if (n < len)
		snprintf(out, len, "%.*s", (int)n, v);
}

int
store_own_check(struct store *st, const struct msg *m, int64_t *ticket_r,
    char *why, size_t why_len, struct error *err)
{
	const char *token = header(m, "X-Triage-Token");
	const char *ids[2];
	char resent[512];
	enum msgid_check c = MSGID_NOT_OURS;
	int64_t ticket = 0;
	int r;

	if (!st->has_key || token == NULL)
		return 0;
	token += strspn(token, " \t");
	resent_id(m, resent, sizeof(resent));
	ids[0] = m->message_id;
	ids[1] = resent;
	for (size_t i = 0; i < 2 && c != MSGID_OK; i++)
		c = msgid_verify_token(&st->key, ids[i], token, store_now(st),
		    OWN_MAIL_MAX_AGE_S, &ticket);
	if (c != MSGID_OK)
		return 0;
	r = ticket > 0 ? store_ticket_exists(st, ticket, err) : 0;
	if (r < 0)
		return -1;
	*ticket_r = r == 1 ? ticket : 0;
	snprintf(why, why_len, "own mail (sent for ticket #%" PRId64 ")",
	    ticket);
	return 1;
}
