/*
 * A plain-text reply (lib/mail/reply-plain.c) and the command lines of
 * its new text (lib/mail/command.c): the new text is tidy as reply.h
 * says, every command formats back to a "#word" line, and once
 * command_strip() has run no command line is left.
 */
#include "command.h"
#include "fuzz.h"
#include "reply.h"

static void
check_new_text(const char *t)
{
	size_t n = strlen(t);

	FUZZ_CHECK(n == 0 || (t[0] != '\n' && t[n - 1] != '\n'));
	FUZZ_CHECK(strstr(t, "\n\n\n") == NULL);
}

static void
check_commands(const char *text)
{
	struct command_list *list = command_list_new();
	char *errors;

	command_parse_text(list, text);
	for (size_t i = 0; i < list->n; i++) {
		char *f = command_format(&list->v[i]);

		FUZZ_CHECK(f[0] == '#');
		FUZZ_CHECK(list->v[i].line >= 1 && list->v[i].source != NULL);
		free(f);
	}
	errors = command_format_errors(list);
	FUZZ_CHECK((errors[0] == '\0') == (list->n_errors == 0));
	free(errors);
	command_list_free(&list);
}

static void
check_strip(const char *text)
{
	struct command_list *list = command_list_new();
	char *stripped = command_strip(text);

	command_parse_text(list, stripped);
	FUZZ_CHECK(list->n == 0 && list->n_errors == 0);
	command_list_free(&list);
	free(stripped);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = reply_new_text_plain((const char *)data, size);
	char *raw;

	/* callers pass C strings: a NUL inside is kept, and cuts the tidy
	   text short for a C reader */
	if (memchr(data, '\0', size) == NULL)
		check_new_text(text);
	check_commands(text);
	free(text);
	raw = fuzz_strdup(data, size);
	check_strip(raw);
	free(raw);
	return 0;
}
