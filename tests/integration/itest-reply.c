/*
 * itest-reply [--html|--eml] FILE: print the new text of a reply body,
 * as reply_new_text_plain() (or reply_new_text_html() with --html) reads
 * it; with --eml, of a whole message parsed by mime_parse() and read by
 * reply_new_text().
 *
 * itest-reply --commands [--html|--eml] FILE: the commands that would
 * apply, one per line in canonical form, then "error: ..." lines for the
 * refused ones (command_parse_zone(), or command_parse_msg() with --eml).
 *
 * itest-reply --commands-each FILE...: the same for many files in one
 * process (the corpus has hundreds), each after a line "== FILE"; *.html
 * is read as HTML, *.eml as a whole message, the rest as plain text.
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

#include "command.h"
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

/* Print the commands of one file, as --commands says (after mime_init). */
static int
commands(const char *mode, const char *data, size_t len)
{
	struct command_list *l = command_list_new();
	struct error err = { 0 };
	char *zone = NULL, *below = NULL, *errors;
	int r = 0;

	if (strcmp(mode, "--eml") == 0) {
		struct mime_limits lim;
		struct msg *m = NULL;

		mime_limits_default(&lim);
		r = mime_parse(data, len, &lim, time(NULL), &m, &err);
		if (r == 0)
			r = command_parse_msg(l, m, NULL, 0, &err);
		msg_free(&m);
	} else if (strcmp(mode, "--html") == 0) {
		r = reply_zone_html(data, len, &zone, &below, &err);
	} else {
		reply_zone_plain(data, len, &zone, &below);
	}
	if (r < 0) {
		fprintf(stderr, "%s\n", err.msg);
		command_list_free(&l);
		return 1;
	}
	command_parse_zone(l, zone, below);
	for (size_t i = 0; i < l->n; i++) {
		char *c = command_format(&l->v[i]);

		puts(c);
		free(c);
	}
	errors = command_format_errors(l);
	for (char *p = errors, *nl; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		printf("error: %.*s\n", (int)(nl - p), p);
	}
	free(errors);
	free(zone);
	free(below);
	command_list_free(&l);
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
	if (argc >= 2 && strcmp(argv[1], "--commands-each") == 0) {
		mime_init();
		for (int i = 2; i < argc; i++) {
			size_t n = strlen(argv[i]);
			const char *mode =
			    n > 5 && strcmp(argv[i] + n - 5, ".html") == 0 ?
				"--html" :
			    n > 4 && strcmp(argv[i] + n - 4, ".eml") == 0 ?
				"--eml" :
				"";

			data = test_slurp(argv[i], &len);
			if (data == NULL) {
				perror(argv[i]);
				return 1;
			}
			printf("== %s\n", argv[i]);
			if (commands(mode, data, len) != 0)
				printf("error: unreadable\n");
			free(data);
		}
		mime_shutdown();
		return 0;
	}
	if (argc >= 3 && argc <= 4 && strcmp(argv[1], "--commands") == 0) {
		int r;

		data = test_slurp(argv[argc - 1], &len);
		if (data == NULL) {
			perror(argv[argc - 1]);
			return 1;
		}
		mime_init();
		r = commands(argc == 4 ? argv[2] : "", data, len);
		mime_shutdown();
		free(data);
		return r;
	}
	if (argc != 2 && !html && !eml) {
		fprintf(stderr,
		    "usage: itest-reply [--html|--eml] FILE\n"
		    "       itest-reply --commands [--html|--eml] FILE\n"
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
