/*
 * The address readers of lib/mail: who may command (auth.c: the From
 * header's addresses, Authentication-Results) and the plus-address
 * tags of To and Cc (command.c).  The input is a From addr-spec on the
 * first line, then header lines "Name: value"; To and Cc values are
 * also the message's recipient addresses.
 */
#include <strings.h>

#include "auth.h"
#include "command.h"
#include "fuzz.h"
#include "mime.h"

static const char *const team[] = { "alice@example.com", "bob@example.com" };
static const char *const shared[] = { "sales@example.com",
	"com+munity@example.com" };
#define TRUSTED "mx.example.com"

/* Split text into lines: the From address, then the headers. */
static void
read_msg(char *text, struct msg *m, struct msg_addrs *rcpt)
{
	char *line = text, *nl;

	nl = strchr(line, '\n');
	if (nl != NULL)
		*nl = '\0';
	m->from.addr = line;
	while (nl != NULL) {
		struct msg_header *h = &m->headers[m->n_headers];
		char *colon;

		line = nl + 1;
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		h->name = line;
		h->value = colon + 1;
		m->n_headers++;
		if (strcasecmp(h->name, "To") == 0 ||
		    strcasecmp(h->name, "Cc") == 0)
			rcpt->v[rcpt->n++].addr = h->value;
	}
}

static int
is_team(const char *addr)
{
	for (size_t i = 0; i < sizeof(team) / sizeof(team[0]); i++) {
		if (strcasecmp(addr, team[i]) == 0)
			return 1;
	}
	return 0;
}

static void
check_auth(const struct msg *m, const char *trusted)
{
	struct auth_decision d;
	int allowed = auth_check(m, team, 2, trusted, &d);

	FUZZ_CHECK(allowed == d.allowed);
	FUZZ_CHECK(memchr(d.reason, '\0', sizeof(d.reason)) != NULL);
	FUZZ_CHECK(!allowed || (d.member != NULL && is_team(m->from.addr)));
}

/* An address that commands is a shared one with tags after its local part. */
static int
is_tagged_shared(const char *addr)
{
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		const char *at = strrchr(shared[i], '@');
		size_t local = (size_t)(at - shared[i]), n = strlen(addr);

		if (strncasecmp(addr, shared[i], local) == 0 &&
		    addr[local] == '+' && n > strlen(at) &&
		    strcasecmp(addr + n - strlen(at), at) == 0)
			return 1;
	}
	return 0;
}

static void
check_tags(const struct msg_addrs *rcpt)
{
	struct command_list *list = command_list_new();

	command_parse_addresses(list, shared, 2, rcpt, NULL);
	for (size_t i = 0; i < list->n; i++) {
		FUZZ_CHECK(list->v[i].line == 0);
		FUZZ_CHECK(is_tagged_shared(list->v[i].source));
	}
	for (size_t i = 0; i < list->n_errors; i++)
		FUZZ_CHECK(is_tagged_shared(list->errors[i].source));
	command_list_free(&list);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size);
	struct msg m = { 0 };
	struct msg_addrs rcpt = { 0 };

	/* at most one header or address per byte */
	m.headers = calloc(size + 1, sizeof(*m.headers));
	rcpt.v = calloc(size + 1, sizeof(*rcpt.v));
	FUZZ_CHECK(m.headers != NULL && rcpt.v != NULL);
	read_msg(text, &m, &rcpt);
	check_auth(&m, NULL);
	check_auth(&m, TRUSTED);
	check_tags(&rcpt);
	free(rcpt.v);
	free(m.headers);
	free(text);
	return 0;
}
