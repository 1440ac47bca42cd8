/*
 * Helper for the store's integration tests and benchmark: drives the
 * real store with generated messages (struct msg built by hand, so the
 * figures exclude parsing).
 *
 *   itest-store seed DB N             N new tickets in one transaction
 *   itest-store ingest DB N BACK      the daemon's loop: resume from the
 *                                     checkpoint minus BACK (as if the
 *                                     IMAP flag was lost), batches of 7
 *   itest-store check DB N            every message once, threads right,
 *                                     integrity_check clean
 *   itest-store bench-ingest DB N     messages/s into the store
 *   itest-store bench-fill DB N       N tickets, fast, for queue timing
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "itest-common.h"
#include "store-private.h"
#include "xalloc.h"

#define BATCH 7
#define MAILBOX "crash"

static const char body[] =
    "Hello,\n\nwe are evaluating your product for a team of about fifty "
    "developers and would like to know how much the enterprise edition "
    "costs per seat per year. We need SAML single sign-on, an audit log "
    "and high availability; our current setup is a self-hosted GitLab "
    "with Jenkins. Could you also tell us whether there is a discount "
    "for a three-year commitment, and how support works (response "
    "times, channels)? Our budget for this is approved for Q1, and the "
    "decision is mine together with our CTO.\n\nBest regards,\nPat\n";

struct gen {
	struct msg m;
	struct msg_addr to[2];
	char *refs[3];
	char mid[64], irt[64], root[64], subject[96], from[64];
	char raw[4096];
	size_t raw_len;
};

/* Message i: every third starts a thread, the others reply in it. */
static void
gen_msg(struct gen *g, int i, const char *tag)
{
	int root = i - ((i - 1) % 3);

	memset(g, 0, sizeof(*g));
	snprintf(g->mid, sizeof(g->mid), "%s-%d@test.example", tag, i);
	snprintf(g->root, sizeof(g->root), "%s-%d@test.example", tag, root);
	snprintf(g->from, sizeof(g->from), "customer%d@buyer%d.test", root,
	    root % 97);
	snprintf(g->subject, sizeof(g->subject), "%sPricing for %d seats",
	    i == root ? "" : "Re: ", root);
	g->m.message_id = g->mid;
	g->m.in_reply_to = g->irt;
	if (i != root) {
		snprintf(g->irt, sizeof(g->irt), "%s-%d@test.example", tag,
		    i - 1);
		g->refs[0] = g->root;
		g->refs[1] = g->irt;
		g->m.references = g->refs;
		g->m.n_references = i - 1 == root ? 1 : 2;
	}
	g->m.date = 1762682400 + i;
	g->m.subject = g->subject;
	g->m.from.name = "Pat Buyer";
	g->m.from.addr = g->from;
	g->m.from_domain = strchr(g->from, '@') + 1;
	g->to[0].name = "";
	g->to[0].addr = "sales@example.com";
	g->m.to.v = g->to;
	g->m.to.n = 1;
	g->m.text = (char *)body;
	g->m.forwarded = "";
	g->m.html = "";
	/* A typical message: a few Received lines, text and HTML parts. */
	g->raw_len = (size_t)snprintf(g->raw, sizeof(g->raw),
	    "Received: from mx.buyer.test (mx.buyer.test [192.0.2.1])\r\n"
	    "\tby mx.example.com with ESMTPS id 4Q2k; Sun, 9 Nov 2025\r\n"
	    "Received: from [10.0.0.5] by mx.buyer.test; Sun, 9 Nov 2025\r\n"
	    "From: Pat Buyer <%s>\r\nTo: sales@example.com\r\n"
	    "Subject: %s\r\nMessage-ID: <%s>\r\nDate: Sun, 9 Nov 2025 "
	    "10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: "
	    "multipart/alternative; boundary=b1\r\n\r\n--b1\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n--b1\r\n"
	    "Content-Type: text/html; charset=utf-8\r\n\r\n<html><body>"
	    "<p>%s</p></body></html>\r\n--b1--\r\n",
	    g->from, g->subject, g->mid, body, body);
}

static void
fill_in(struct store_ingest_in *in, struct gen *g, int64_t uid)
{
	memset(in, 0, sizeof(*in));
	in->mailbox = MAILBOX;
	in->mailbox_address = "sales@example.com";
	in->queue = "sales";
	in->uidvalidity = 1;
	in->uid = uid;
	in->raw = g->raw;
	in->raw_len = g->raw_len;
	in->msg = &g->m;
	in->actor = (struct store_actor){ "triaged", STORE_SRC_DAEMON };
}

static int
die(const struct error *err)
{
	fprintf(stderr, "itest-store: %s\n", err->msg);
	return err->code == ERR_TEMP ? 75 : 1;
}

static int
seed(struct store *st, int n)
{
	struct error err = { 0 };
	struct store_ingest_in in;
	struct store_ingest_result res;
	struct gen g;

	if (store_begin(st, &err) < 0)
		return die(&err);
	for (int i = 1; i <= n; i++) {
		gen_msg(&g, 3 * i - 2, "seed");
		fill_in(&in, &g, 0);
		if (store_ingest_msg(st, &in, &res, &err) < 0)
			return die(&err);
	}
	if (store_commit(st, &err) < 0)
		return die(&err);
	return 0;
}

static int
ingest(struct store *st, int n, int back)
{
	struct error err = { 0 };
	struct store_ingest_in in;
	struct store_ingest_result res;
	int64_t v, last;
	struct gen g;
	int i;

	if (store_mailbox_get(st, MAILBOX, &v, &last, &err) < 0)
		return die(&err);
	i = (int)last - back + 1;
	if (i < 1)
		i = 1;
	while (i <= n) {
		int end = i + BATCH - 1 > n ? n : i + BATCH - 1;

		if (store_begin(st, &err) < 0)
			return die(&err);
		for (; i <= end; i++) {
			gen_msg(&g, i, "crash");
			fill_in(&in, &g, i);
			if (store_ingest_msg(st, &in, &res, &err) < 0)
				return die(&err);
		}
		if (store_mailbox_checkpoint(st, MAILBOX, 1, end, &err) < 0 ||
		    store_commit(st, &err) < 0)
			return die(&err);
	}
	return 0;
}

static int
check(struct store *st, int n)
{
	struct error err = { 0 };
	int64_t msgs, tickets, v, last;
	int bad = 0;

	if (store_check(st, &err) < 0 ||
	    store_count(st, "messages", &msgs, &err) < 0 ||
	    store_count(st, "tickets", &tickets, &err) < 0 ||
	    store_mailbox_get(st, MAILBOX, &v, &last, &err) < 0)
		return die(&err);
	printf("messages %" PRId64 " tickets %" PRId64 " last_uid %" PRId64
	       " integrity ok\n",
	    msgs, tickets, last);
	if (msgs != n) {
		fprintf(stderr, "expected %d messages\n", n);
		bad = 1;
	}
	if (tickets != (n + 2) / 3) {
		fprintf(stderr, "expected %d tickets\n", (n + 2) / 3);
		bad = 1;
	}
	if (last != n) {
		fprintf(stderr, "expected last_uid %d\n", n);
		bad = 1;
	}
	return bad;
}

/* CPU seconds (user + system) this process has used. */
static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Daemon-shaped: one transaction per batch of 100, like an IMAP fetch. */
static int
bench_ingest(struct store *st, int n)
{
	struct error err = { 0 };
	struct store_ingest_in in;
	struct store_ingest_result res;
	struct gen *g = xcalloc((size_t)n, sizeof(*g));
	double t0, t1, c0, c1;
	size_t bytes = 0;

	for (int i = 1; i <= n; i++)
		gen_msg(&g[i - 1], i, "bench");
	t0 = itest_now();
	c0 = cpu_s();
	for (int i = 1; i <= n; i += 100) {
		if (store_begin(st, &err) < 0)
			return die(&err);
		for (int k = i; k < i + 100 && k <= n; k++) {
			fill_in(&in, &g[k - 1], k);
			bytes += g[k - 1].raw_len;
			if (store_ingest_msg(st, &in, &res, &err) < 0)
				return die(&err);
		}
		if (store_mailbox_checkpoint(st, MAILBOX, 1,
			i + 99 > n ? n : i + 99, &err) < 0 ||
		    store_commit(st, &err) < 0)
			return die(&err);
	}
	t1 = itest_now();
	c1 = cpu_s();
	/* CPU time is the one-core figure when the machine is shared. */
	printf("ingest: %d messages (%zu bytes raw each, 66%% replies): "
	       "wall %.2f s = %.0f messages/s; cpu %.2f s = %.0f messages/s "
	       "per core\n",
	    n, bytes / (size_t)n, t1 - t0, n / (t1 - t0), c1 - c0,
	    n / (c1 - c0));
	free(g);
	return 0;
}

/*
 * N tickets straight into the tables (a recursive CTE): 1 in 50 open,
 * spread over queues, owners and priorities, like a year of mail.
 */
static int
bench_fill(struct store *st, int n)
{
	struct error err = { 0 };
	char sql[2048];

	snprintf(sql, sizeof(sql),
	    "BEGIN;"
	    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c"
	    "  WHERE i < %d)"
	    " INSERT INTO tickets (subject, state, queue, priority, owner,"
	    "  customer, created, updated)"
	    " SELECT 'Pricing question number ' || i,"
	    "  CASE WHEN i %% 50 = 0 THEN 'new' WHEN i %% 50 = 1 THEN"
	    "  'claimed' WHEN i %% 50 = 2 THEN 'routed' WHEN i %% 97 = 3"
	    "  THEN 'ignored' ELSE 'closed' END,"
	    "  CASE i %% 3 WHEN 0 THEN 'sales' WHEN 1 THEN 'community'"
	    "  ELSE 'support' END, i %% 4,"
	    "  CASE WHEN i %% 50 IN (1, 2) THEN 'bdr' || (i %% 7) END,"
	    "  'customer' || i || '@buyer.test', 1700000000 + i,"
	    "  1700000000 + i FROM c;"
	    "INSERT OR IGNORE INTO mailboxes (name) VALUES ('sales');"
	    "INSERT INTO ticket_mailboxes SELECT id, 'sales' FROM tickets;"
	    "INSERT INTO tags SELECT id, 'pricing' FROM tickets"
	    "  WHERE id %% 5 = 0;"
	    "COMMIT; ANALYZE;",
	    n);
	if (store_exec(st, sql, &err) < 0)
		return die(&err);
	return 0;
}

int
main(int argc, char **argv)
{
	struct error err = { 0 };
	struct store *st = NULL;
	int n, r;

	if (argc < 4) {
		fprintf(stderr, "usage: itest-store seed|ingest|check|"
				"bench-ingest|bench-fill DB N [BACK]\n");
		return 2;
	}
	n = atoi(argv[3]);
	if (store_open(argv[2], &st, &err) < 0)
		return die(&err);
	if (strcmp(argv[1], "seed") == 0)
		r = seed(st, n);
	else if (strcmp(argv[1], "ingest") == 0)
		r = ingest(st, n, argc > 4 ? atoi(argv[4]) : 0);
	else if (strcmp(argv[1], "check") == 0)
		r = check(st, n);
	else if (strcmp(argv[1], "bench-ingest") == 0)
		r = bench_ingest(st, n);
	else if (strcmp(argv[1], "bench-fill") == 0)
		r = bench_fill(st, n);
	else
		r = 2;
	store_close(&st);
	return r;
}
