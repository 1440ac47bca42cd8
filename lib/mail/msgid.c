/*
 * triage's own Message-IDs: made by the forwards and answers we send,
 * read back when a reply names one.  See msgid.h.
 */
#include "msgid.h"

#include <string.h>
#include <strings.h>

#include "xalloc.h"

char *
msgid_make(const char *domain, int64_t ticket, int64_t event,
    const char *suffix)
{
	char *id;

	xasprintf(&id, "triage.T%lld.E%lld%s%s@%s", (long long)ticket,
	    (long long)event, suffix[0] != '\0' ? "." : "", suffix, domain);
	return id;
}

int
msgid_ticket(const char *message_id, const char *our_domain, int64_t *ticket_r)
{
	const char *p = message_id, *at;
	long long ticket = 0, event = 0;
	size_t dlen;
	int digits;

	if (p == NULL || our_domain == NULL || *our_domain == '\0')
		return 0;
	if (*p == '<')
		p++;
	if (strncmp(p, "triage.T", 8) != 0)
		return 0;
	p += 8;
	for (digits = 0; *p >= '0' && *p <= '9' && digits < 18; digits++)
		ticket = ticket * 10 + (*p++ - '0');
	if (digits == 0 || ticket == 0 || strncmp(p, ".E", 2) != 0)
		return 0;
	for (p += 2, digits = 0; *p >= '0' && *p <= '9' && digits < 18;
	     digits++)
		event = event * 10 + (*p++ - '0');
	if (digits == 0 || (*p != '@' && *p != '.'))
		return 0;
	at = strchr(p, '@');
	if (at == NULL)
		return 0;
	dlen = strlen(our_domain);
	if (strncasecmp(at + 1, our_domain, dlen) != 0 ||
	    (at[1 + dlen] != '\0' && strcmp(at + 1 + dlen, ">") != 0))
		return 0;
	*ticket_r = (int64_t)ticket;
	return 1;
}
