/*
 * An HTML reply (lib/mail/reply-html.c, html.c) and the command lines
 * of its new text (command.c).  command_parse_msg() skips the HTML
 * reading when html_text_may_hold() sees no '#' in the text: then no
 * command (nor command error) may come out of that reading either.
 */
#include "buf.h"
#include "command.h"
#include "fuzz.h"
#include "html.h"
#include "mime.h"
#include "reply.h"

static size_t
count_commands(const char *text)
{
	struct command_list *list = command_list_new();
	size_t n;

	command_parse_text(list, text);
	n = list->n + list->n_errors;
	command_list_free(&list);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *html = (const char *)data;
	struct error err;
	struct buf b;
	char *text;

	mime_init(); /* html_init() among the rest */
	buf_init(&b, 4096);
	(void)html_to_text(html, size, &b);
	FUZZ_CHECK(b.len <= 4096);
	buf_free(&b);
	if (reply_new_text_html(html, size, &text, &err) < 0)
		return 0;
	if (!html_text_may_hold(html, size, '#'))
		FUZZ_CHECK(count_commands(text) == 0);
	free(text);
	return 0;
}
