/*
 * itest-reply [--html|--eml] FILE: print the new text of a reply body,
 * as reply_new_text_plain() (or reply_new_text_html() with --html) reads
 * it; with --eml, of a whole message parsed by mime_parse() and read by
 * reply_new_text().
 *
 * itest-reply --bench PASSES FILE...: run reply_new_text_plain() (or
 * _html() for *.html) over the files PASSES times in-process and print
 * MB/s, for bench/reply.sh.  Used by test-reply-corpus.sh to score the
 * extractor on the shared corpus's labelled replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"
#include "itest-common.h"
#include "mime.h"
#include "reply.h"
#include "test-common.h"
#include "xalloc.h"

/* Time the extractor on each file; print one line per file. */
static int
bench(int passes, int n, char **paths)
{
	for (int i = 0; i < n; i++) {
		size_t len, hl = strlen(paths[i]);
		int html = hl > 5 && strcmp(paths[i] + hl - 5, ".html") == 0;
		char *data = test_slurp(paths[i], &len), *text;
		struct error err = { 0 };
		double t0, secs;

		if (data == NULL) {
			perror(paths[i]);
			return 1;
		}
		t0 = itest_now();
		for (int p = 0; p < passes; p++) {
			if (html) {
				if (reply_new_text_html(data, len, &text,
					&err) < 0)
					text = NULL;
			} else {
				text = reply_new_text_plain(data, len);
			}
			free(text);
		}
		secs = itest_now() - t0;
		printf("%-40s %9zu bytes  %8.3f ms/pass  %8.1f MB/s\n",
		    strrchr(paths[i], '/') != NULL ?
			strrchr(paths[i], '/') + 1 :
			paths[i],
		    len, secs * 1000 / passes,
		    (double)len * passes / secs / 1e6);
		free(data);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct error err = { 0 };
	int html = argc == 3 && strcmp(argv[1], "--html") == 0;
	int eml = argc == 3 && strcmp(argv[1], "--eml") == 0;
	char *data, *text = NULL;
	size_t len;

	if (argc >= 4 && strcmp(argv[1], "--bench") == 0)
		return bench(atoi(argv[2]), argc - 3, argv + 3);
	if (argc != 2 && !html && !eml) {
		fprintf(stderr, "usage: itest-reply [--html|--eml] FILE\n"
				"       itest-reply --bench PASSES FILE...\n");
		return 2;
	}
	data = test_slurp(argv[argc - 1], &len);
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
