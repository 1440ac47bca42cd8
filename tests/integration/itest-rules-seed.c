/*
 * itest-rules-seed DB RULES_DIR MAILBOX FILE.eml...: store each message
 * as the daemon would (mime_parse, rules_classify, store_ingest), so
 * `triage rules replay` has tickets to replay.  Exit 0 when all went in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "itest-common.h"
#include "mime.h"
#include "rules.h"
#include "store.h"
#include "test-common.h"
#include "xalloc.h"

int
main(int argc, char **argv)
{
	struct rules_problems probs = { 0 };
	struct rules *rs = NULL;
	struct store *st = NULL;
	struct error err = { 0 };
	struct mime_limits lim;
	int bad = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: itest-rules-seed DB RULES MAILBOX "
				"FILE...\n");
		return 2;
	}
	mime_init();
	mime_limits_default(&lim);
	if (rules_load(argv[2], NULL, &rs, &probs) < 0 ||
	    store_open(argv[1], &st, &err) < 0) {
		fprintf(stderr, "setup failed: %s\n", err.msg);
		return 1;
	}
	for (int i = 4; i < argc; i++) {
		struct store_ingest_in in = { 0 };
		struct store_ingest_result res;
		struct verdict v;
		struct msg *m = NULL;
		size_t len = 0;
		char *raw = test_slurp(argv[i], &len);

		if (raw == NULL ||
		    mime_parse(raw, len, &lim, time(NULL), &m, &err) < 0) {
			fprintf(stderr, "%s: cannot read or parse\n", argv[i]);
			bad++;
			free(raw);
			continue;
		}
		verdict_init(&v);
		rules_classify(rs, m, &(struct rules_ctx){ .mailbox = argv[3] },
		    &v);
		in.mailbox = argv[3];
		in.queue = argv[3];
		in.raw = raw;
		in.raw_len = len;
		in.msg = m;
		in.verdict = &v;
		in.actor.name = "itest";
		in.actor.source = STORE_SRC_CLI;
		if (store_ingest(st, &in, &res, &err) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], err.msg);
			bad++;
		}
		verdict_clear(&v);
		msg_free(&m);
		free(raw);
	}
	store_close(&st);
	rules_free(&rs);
	mime_shutdown();
	return bad > 0;
}
