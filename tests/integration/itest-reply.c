/*
 * itest-reply [--html|--eml] FILE: print the new text of a reply body,
 * as reply_new_text_plain() (or reply_new_text_html() with --html) reads
 * it; with --eml, of a whole message parsed by mime_parse() and read by
 * reply_new_text().  Used by test-reply-corpus.sh to score the extractor on the
 * shared corpus's labelled replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "mime.h"
#include "reply.h"
#include "xalloc.h"

static char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_init(&b, 64u << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&b, chunk, n) < 0)
			break;
	}
	fclose(f);
	*len_r = b.len;
	return buf_steal(&b);
}

int
main(int argc, char **argv)
{
	struct error err = {0};
	int html = argc == 3 && strcmp(argv[1], "--html") == 0;
	int eml = argc == 3 && strcmp(argv[1], "--eml") == 0;
	char *data, *text = NULL;
	size_t len;

	if (argc != 2 && !html && !eml) {
		fprintf(stderr, "usage: itest-reply [--html|--eml] FILE\n");
		return 2;
	}
	data = slurp(argv[argc - 1], &len);
	if (data == NULL) {
		perror(argv[argc - 1]);
		return 1;
	}
	if (eml) {
		struct mime_limits lim;
		struct msg *m = NULL;

		mime_init();
		mime_limits_default(&lim);
		if (mime_parse(data, len, &lim, time(NULL), &m, &err) < 0 ||
		    reply_new_text(m, &text, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			msg_free(&m);
			free(data);
			return 1;
		}
		msg_free(&m);
		mime_shutdown();
	} else if (html) {
		if (reply_new_text_html(data, len, &text, &err) < 0) {
			fprintf(stderr, "%s\n", err.msg);
			free(data);
			return 1;
		}
	} else {
		text = reply_new_text_plain(data, len);
	}
	fputs(text, stdout);
	putchar('\n');
	free(text);
	free(data);
	return 0;
}
