/*
 * What the sender wrote now, in a parsed message; see reply.h.  Reads
 * both bodies, with reply-plain.c and reply-html.c (which itself ends in
 * the plain reading), and keeps the shorter reading.
 */
#include "reply.h"

#include <stdlib.h>
#include <string.h>

#include "mime.h"

int
reply_new_text(const struct msg *m, char **text_r, struct error *err)
{
	char *plain, *html = NULL;
	int r;

	if (m == NULL)
		return error_set(err, ERR_USAGE, "reply_new_text: no message");
	plain = reply_new_text_plain(m->text,
	    m->text != NULL ? strlen(m->text) : 0);
	if (m->html != NULL && m->html[0] != '\0') {
		struct error herr = { 0 };

		r = reply_new_text_html(m->html, strlen(m->html), &html, &herr);
		if (r < 0)
			html = NULL;
	}
	/* an HTML-only mail may come without any text reading */
	if (html != NULL && (m->text == NULL || m->text[0] == '\0' ||
				strlen(html) < strlen(plain))) {
		free(plain);
		plain = html;
	} else {
		free(html);
	}
	*text_r = plain;
	return 0;
}
