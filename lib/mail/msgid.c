/*
 * triage's own Message-IDs: made by the forwards and answers we send,
 * read back when a reply names one.  See msgid.h.
 */
#include "msgid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>

#include "command.h"
#include "xalloc.h"

/* How far a token's time may run ahead of ours (clock skew). */
#define TOKEN_SKEW_S 86400

static const char *const check_names[] = { "not ours", "ok", "other database",
	"forged", "expired" };

const char *
msgid_check_name(enum msgid_check c)
{
	if (c < MSGID_NOT_OURS || c > MSGID_EXPIRED)
		return "not ours";
	return check_names[c];
}

/* HMAC-SHA256 of `text` under k's secret, as MSGID_MAC_HEX hex digits. */
static void
mac_hex(const struct msgid_key *k, const char *text, size_t len,
    char out[MSGID_MAC_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char digest[32];

	if (gnutls_hmac_fast(GNUTLS_MAC_SHA256, k->secret, sizeof(k->secret),
		text, len, digest) < 0)
		abort(); /* SHA-256 HMAC is always there: a broken GnuTLS */
	for (size_t i = 0; i < MSGID_MAC_HEX / 2; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0x0f];
	}
	out[MSGID_MAC_HEX] = '\0';
}

/* Equal without an early exit: a MAC is never guessed byte by byte. */
static int
same_mac(const char *a, const char *b)
{
	unsigned char d = 0;

	for (size_t i = 0; i < MSGID_MAC_HEX; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

char *
msgid_make(const struct msgid_key *k, const char *domain, int64_t ticket,
    int64_t event, const char *suffix)
{
	char mac[MSGID_MAC_HEX + 1], *signed_part, *id;

	if (k == NULL) {
		xasprintf(&id, "triage.T%lld.E%lld%s%s@%s", (long long)ticket,
		    (long long)event, suffix[0] != '\0' ? "." : "", suffix,
		    domain);
		return id;
	}
	xasprintf(&signed_part, "triage.T%lld.E%lld%s%s.%s", (long long)ticket,
	    (long long)event, suffix[0] != '\0' ? "." : "", suffix, k->part);
	mac_hex(k, signed_part, strlen(signed_part), mac);
	xasprintf(&id, "%s.%s@%s", signed_part, mac, domain);
	free(signed_part);
	return id;
}

/* The left side of an id, without <>: its start and length. */
static const char *
local_part(const char *id, size_t *len_r)
{
	const char *at;

	if (*id == '<')
		id++;
	at = strrchr(id, '@');
	*len_r = at != NULL ? (size_t)(at - id) : strcspn(id, ">");
	return id;
}

static int
all_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') ||
			(p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	}
	return 1;
}

static int ticket_of(const char *p, size_t len, int64_t *ticket_r);

enum msgid_check
msgid_verify(const struct msgid_key *k, const char *message_id,
    int64_t *ticket_r)
{
	char mac[MSGID_MAC_HEX + 1];
	const char *p, *m, *part;
	size_t len, signed_len;
	int64_t ticket;

	if (k == NULL || message_id == NULL)
		return MSGID_NOT_OURS;
	p = local_part(message_id, &len);
	/* ... "." part "." mac */
	if (len < MSGID_PART_LEN + MSGID_MAC_HEX + 2)
		return MSGID_NOT_OURS;
	m = p + len - MSGID_MAC_HEX;
	part = m - 1 - MSGID_PART_LEN;
	signed_len = (size_t)(m - 1 - p);
	if (m[-1] != '.' || part[-1] != '.' || !all_hex(m, MSGID_MAC_HEX) ||
	    !all_hex(part, MSGID_PART_LEN) ||
	    !ticket_of(p, (size_t)(part - 1 - p), &ticket))
		return MSGID_NOT_OURS;
	if (memcmp(part, k->part, MSGID_PART_LEN) != 0)
		return MSGID_OTHER_DB;
	mac_hex(k, p, signed_len, mac);
	if (!same_mac(mac, m))
		return MSGID_FORGED;
	*ticket_r = ticket;
	return MSGID_OK;
}

char *
msgid_token(const struct msgid_key *k, const char *message_id, int64_t now)
{
	char mac[MSGID_MAC_HEX + 1], *text, *token;
	const char *p;
	size_t len;

	p = local_part(message_id, &len);
	xasprintf(&text, "%.*s|%lld", (int)len, p, (long long)now);
	mac_hex(k, text, strlen(text), mac);
	xasprintf(&token, "v1.%lld.%s", (long long)now, mac);
	free(text);
	return token;
}

enum msgid_check
msgid_verify_token(const struct msgid_key *k, const char *message_id,
    const char *token, int64_t now, int64_t max_age, int64_t *ticket_r)
{
	char mac[MSGID_MAC_HEX + 1], *text, *end;
	enum msgid_check c;
	const char *p;
	int64_t ticket = 0;
	long long when;
	size_t len;

	c = msgid_verify(k, message_id, &ticket);
	if (c != MSGID_OK)
		return c;
	if (token == NULL || strncmp(token, "v1.", 3) != 0 || token[3] < '0' ||
	    token[3] > '9')
		return MSGID_FORGED;
	errno = 0;
	when = strtoll(token + 3, &end, 10);
	if (errno != 0 || *end != '.' || strlen(end + 1) != MSGID_MAC_HEX)
		return MSGID_FORGED;
	p = local_part(message_id, &len);
	xasprintf(&text, "%.*s|%lld", (int)len, p, when);
	mac_hex(k, text, strlen(text), mac);
	free(text);
	if (!same_mac(mac, end + 1))
		return MSGID_FORGED;
	if (when < now - max_age || when > now + TOKEN_SKEW_S)
		return MSGID_EXPIRED;
	*ticket_r = ticket;
	return MSGID_OK;
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

/* "triage.T<ticket>.E<event>[.<suffix>]", exactly `len` bytes. */
static int
ticket_of(const char *p, size_t len, int64_t *ticket_r)
{
	const char *end = p + len;
	size_t digits;

	if (len < 8 || strncmp(p, "triage.T", 8) != 0)
		return 0;
	p += 8;
	digits = digits_at(p);
	if (p + digits > end || command_ticket_id(p, digits, ticket_r) < 0 ||
	    end - (p + digits) < 3 || strncmp(p + digits, ".E", 2) != 0)
		return 0;
	p += digits + 2;
	digits = digits_at(p);
	if (digits == 0 || digits > COMMAND_TICKET_DIGITS || p + digits > end)
		return 0;
	return p + digits == end || p[digits] == '.';
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
