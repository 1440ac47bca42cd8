/*
 * The message model (lib/mail/mime*.c): any bytes parse into a record
 * whose every string is there, NUL-terminated and valid UTF-8 (mime.h),
 * within the limits asked for.  Then what ingest reads from the record:
 * the commands of the mail (reply new text, plus-address tags) and
 * whether its sender may give them.
 */
#include "auth.h"
#include "command.h"
#include "fuzz.h"
#include "mime.h"

static void
check_str(const char *s)
{
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(fuzz_utf8_valid(s));
}

static void
check_addrs(const struct msg_addrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		check_str(a->v[i].name);
		check_str(a->v[i].addr);
	}
}

static void
check_msg(const struct msg *m, const struct mime_limits *lim, size_t size)
{
	check_str(m->message_id);
	check_str(m->in_reply_to);
	for (size_t i = 0; i < m->n_references; i++)
		check_str(m->references[i]);
	check_str(m->subject);
	check_str(m->from.name);
	check_str(m->from.addr);
	check_str(m->from_domain);
	check_addrs(&m->sender);
	check_addrs(&m->reply_to);
	check_addrs(&m->to);
	check_addrs(&m->cc);
	for (size_t i = 0; i < m->n_headers; i++) {
		check_str(m->headers[i].name);
		check_str(m->headers[i].value);
	}
	check_str(m->text);
	check_str(m->forwarded);
	check_str(m->html);
	FUZZ_CHECK(strlen(m->text) <= lim->max_text);
	FUZZ_CHECK(strlen(m->forwarded) <= lim->max_text);
	for (size_t i = 0; i < m->n_attachments; i++) {
		check_str(m->attachments[i].filename);
		check_str(m->attachments[i].content_type);
	}
	for (size_t i = 0; i < m->n_problems; i++)
		check_str(m->problems[i]);
	FUZZ_CHECK(m->raw_size == size);
	(void)msg_header(m, "Subject");
}

static void
check_commands(const struct msg *m)
{
	static const char *const team[] = { "alice@example.com" };
	static const char *const shared[] = { "sales@example.com" };
	struct command_list *list = command_list_new();
	struct auth_decision d;
	struct error err;

	FUZZ_CHECK(command_parse_msg(list, m, shared, 1, &err) == 0);
	command_list_free(&list);
	(void)auth_check(m, team, 1, "mx.example.com", &d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim;
	struct error err;
	struct msg *m = NULL;

	mime_init();
	mime_limits_default(&lim);
	/* small caps, so the fuzzer reaches them */
	lim.max_size = 32768;
	lim.max_depth = 8;
	lim.max_parts = 64;
	lim.max_text = 4096;
	lim.own_address = "triage@example.com";
	if (mime_parse((const char *)data, size, &lim, 1700000000, &m, &err) <
	    0)
		abort(); /* only NULL input may fail */
	check_msg(m, &lim, size);
	check_commands(m);
	msg_free(&m);
	return 0;
}
