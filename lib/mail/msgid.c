/*
 * triage's own Message-IDs: made by the forwards and answers we send,
 * read back when a reply names one.  See msgid.h.
 */
#include "msgid.h"

#include <string.h>
#include <strings.h>

#include "command.h"
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

/* The digits that start p, counting at most one past a ticket number's. */
static size_t
digits_at(const char *p)
{
	size_t n = 0;

	while (n <= COMMAND_TICKET_DIGITS && p[n] >= '0' && p[n] <= '9')
		n++;
	return n;
}

int
msgid_ticket(const char *message_id, const char *our_domain, int64_t *ticket_r)
{
	const char *p = message_id, *at;
	int64_t ticket;
	size_t dlen, digits;

	if (p == NULL || our_domain == NULL || *our_domain == '\0')
		return 0;
	if (*p == '<')
		p++;
	if (strncmp(p, "triage.T", 8) != 0)
		return 0;
	p += 8;
	digits = digits_at(p);
	if (command_ticket_id(p, digits, &ticket) < 0 ||
	    strncmp(p + digits, ".E", 2) != 0)
		return 0;
	/* the event number is only checked for shape */
	p += digits + 2;
	digits = digits_at(p);
	if (digits == 0 || digits > COMMAND_TICKET_DIGITS)
		return 0;
	p += digits;
	if (*p != '@' && *p != '.')
		return 0;
	at = strchr(p, '@');
	if (at == NULL)
		return 0;
	dlen = strlen(our_domain);
	if (strncasecmp(at + 1, our_domain, dlen) != 0 ||
	    (at[1 + dlen] != '\0' && strcmp(at + 1 + dlen, ">") != 0))
		return 0;
	*ticket_r = ticket;
	return 1;
}
