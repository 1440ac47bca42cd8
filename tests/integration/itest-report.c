/*
 * Render the hand-computed fixture report (tests/fixtures/report/
 * fixture-report.h) in one format, to stdout or a file: for
 * test-report-html.sh, and for a person who wants to look at it.
 *
 *   itest-report text|json|csv|html [OUT]
 */
#include <stdio.h>
#include <stdlib.h>

#include "../fixtures/report/fixture-report.h"
#include "buf.h"

int
main(int argc, char **argv)
{
	struct report r;
	struct buf out;
	struct error err = { 0 };
	enum report_format f;
	FILE *fp = stdout;
	int status = 1;

	if (argc < 2 || argc > 3 || report_format_parse(argv[1], &f) < 0) {
		fprintf(stderr, "usage: itest-report text|json|csv|html "
				"[OUT]\n");
		return 2;
	}
	fixture_report(&r);
	buf_init(&out, 16u * 1024 * 1024);
	if (report_render(&r, f, &out, &err) < 0) {
		fprintf(stderr, "itest-report: %s\n", err.msg);
		goto out;
	}
	if (argc == 3) {
		fp = fopen(argv[2], "we");
		if (fp == NULL) {
			perror(argv[2]);
			goto out;
		}
	}
	if (fwrite(out.data, 1, out.len, fp) != out.len)
		goto out;
	status = 0;
out:
	if (fp != NULL && fp != stdout && fclose(fp) != 0)
		status = 1;
	buf_free(&out);
	report_clear(&r);
	return status;
}
