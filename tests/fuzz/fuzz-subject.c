/*
 * The ticket-number parsers (lib/mail/command.c, msgid.c): the "[#ID]"
 * token of a subject, a bare ticket id, our Message-IDs, and tag names.
 * Whatever they accept is what the grammar says, checked against
 * strtoll() and a plain re-reading.
 */
#include <ctype.h>

#include "command.h"
#include "fuzz.h"
#include "msgid.h"

/* A ticket id as command.h defines one, read the slow, obvious way. */
static int
is_ticket(const char *s, size_t len, int64_t *id_r)
{
	char digits[COMMAND_TICKET_DIGITS + 1];

	if (len == 0 || len > COMMAND_TICKET_DIGITS)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	memcpy(digits, s, len);
	digits[len] = '\0';
	*id_r = strtoll(digits, NULL, 10);
	return *id_r > 0;
}

static void
check_subject(const char *subject)
{
	const char *p = subject;
	int64_t id = 0, want = 0;
	int found = 0;

	while (!found && (p = strstr(p, "[#")) != NULL) {
		const char *end = strchr(p + 2, ']');

		p += 2;
		found = end != NULL && is_ticket(p, (size_t)(end - p), &want);
	}
	FUZZ_CHECK(command_subject_ticket(subject, &id) == found);
	FUZZ_CHECK(!found || id == want);
}

static void
check_msgid(const char *s)
{
	static const struct msgid_key key = { .part = "0123456789ab",
		.secret = { 1, 2, 3 } };
	int64_t ticket = 0, signed_ticket = 0;
	char *made;

	/* any input: verification says one of its answers, no more */
	if (msgid_verify(&key, s, &signed_ticket) == MSGID_OK)
		FUZZ_CHECK(signed_ticket > 0);
	if (msgid_ticket(s, "example.com", &ticket) != 1)
		return;
	FUZZ_CHECK(ticket > 0);
	/* and what we make reads back, unsigned and signed */
	made = msgid_make(NULL, "example.com", ticket, 1, "x");
	FUZZ_CHECK(msgid_ticket(made, "EXAMPLE.com", &ticket) == 1);
	free(made);
	made = msgid_make(&key, "example.com", ticket, 1, "x");
	FUZZ_CHECK(msgid_verify(&key, made, &signed_ticket) == MSGID_OK);
	FUZZ_CHECK(signed_ticket == ticket);
	free(made);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strdup(data, size);
	int64_t id = 0, want = 0;
	struct error err;

	FUZZ_CHECK((command_ticket_id((const char *)data, size, &id) == 0) ==
		   is_ticket((const char *)data, size, &want));
	FUZZ_CHECK(id == want || id == 0);
	check_subject(s);
	check_msgid(s);
	if (command_tag_check(s, &err) == 0)
		FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= 64);
	free(s);
	return 0;
}
