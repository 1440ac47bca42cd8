/*
 * itest-mailcmd-bench DB N: what applying mail commands costs the
 * committer.  N customer mails open N tickets; then N team replies
 * without commands, then N with "#claim" and "#route support", each to
 * its own ticket.  Every message goes through store_ingest_msg and
 * mailcmd_apply, 100 per transaction as the daemon batches an IMAP
 * fetch; parsing (mime_parse) is done beforehand and not timed.
 * Prints messages per second for each phase.  Used by bench/mailcmd.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "mailcmd.h"
#include "mime.h"
#include "store.h"
#include "xalloc.h"

#define BATCH 100

static struct conf_mailbox mailbox = { .name = "sales",
	.address = "sales@example.com",
	.queue = "sales" };
static struct conf_route routes[] = {
	{ .name = "sales", .to = "sales-team@example.com" },
	{ .name = "support", .to = "support@example.com" },
};
static struct conf_member team[] = {
	{ .name = "alice", .address = "alice@example.com", .role = "bdr" },
};
static struct conf conf = { .mailboxes = &mailbox,
	.n_mailboxes = 1,
	.routes = routes,
	.n_routes = 2,
	.team = team,
	.n_team = 1,
	.smtp_from = "Triage <triage@example.com>" };

static int
team_fn(void *arg, const char *addr)
{
	(void)arg;
	return strcmp(addr, "alice@example.com") == 0;
}

static const char quote[] =
    "> Hello,\n>\n> how much would 40 seats of the enterprise edition cost\n"
    "> per year?  We also need SAML and an audit log.\n>\n> Pat\n";

/* Message i of a phase: 0 customer, 1 plain team reply, 2 command. */
static char *
make(int phase, size_t i)
{
	char *raw;

	if (phase == 0)
		xasprintf(&raw,
		    "From: Pat <pat%zu@buyer.example>\n"
		    "To: sales@example.com\nSubject: Pricing %zu\n"
		    "Date: Mon, 09 Nov 2026 09:12:00 +0000\n"
		    "Message-ID: <c%zu@buyer.example>\n\n%s",
		    i, i, i, quote + 2);
	else
		xasprintf(&raw,
		    "From: Alice <alice@example.com>\n"
		    "To: sales@example.com\nSubject: Re: Pricing %zu\n"
		    "Date: Mon, 09 Nov 2026 09:40:00 +0000\n"
		    "Message-ID: <p%d.%zu@example.com>\n"
		    "In-Reply-To: <c%zu@buyer.example>\n\n%s"
		    "Looking at it.\n\nOn Mon, Pat wrote:\n%s",
		    i, phase, i, i,
		    phase == 2 ? "#claim\n#route support\n\n" : "", quote);
	return raw;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
phase_run(struct store *st, int phase, size_t n, const char *what)
{
	struct error err = { 0 };
	struct mime_limits lim;
	struct msg **m = xcalloc(n, sizeof(*m));
	char **raw = xcalloc(n, sizeof(*raw));
	size_t applied = 0;
	double t0, t1;
	int r = 0;

	mime_limits_default(&lim);
	for (size_t i = 0; i < n; i++) {
		raw[i] = make(phase, i);
		mime_parse(raw[i], strlen(raw[i]), &lim, 0, &m[i], &err);
	}
	t0 = now_s();
	for (size_t i = 0; i < n && r == 0; i++) {
		struct store_ingest_in in = { .mailbox = "sales",
			.mailbox_address = "sales@example.com",
			.queue = "sales",
			.raw = raw[i],
			.raw_len = strlen(raw[i]),
			.msg = m[i],
			.actor = { "triaged", STORE_SRC_DAEMON } };
		struct store_ingest_result ing;
		struct mailcmd_result res;

		if (i % BATCH == 0)
			r = store_begin(st, &err);
		if (r == 0)
			r = store_ingest_msg(st, &in, &ing, &err);
		if (r == 0)
			r = mailcmd_apply(st, &conf, m[i], NULL, &ing, 0, &res,
			    &err);
		if (r == 0 && res.outcome == MAILCMD_APPLIED)
			applied++;
		if (r == 0 && (i % BATCH == BATCH - 1 || i == n - 1))
			r = store_commit(st, &err);
	}
	t1 = now_s();
	if (r < 0)
		fprintf(stderr, "itest-mailcmd-bench: %s\n", err.msg);
	else
		printf("%-28s %6zu messages  %8.0f msg/s  (%zu applied)\n",
		    what, n, (double)n / (t1 - t0), applied);
	for (size_t i = 0; i < n; i++) {
		msg_free(&m[i]);
		free(raw[i]);
	}
	free(m);
	free(raw);
	return r;
}

int
main(int argc, char **argv)
{
	struct error err = { 0 };
	struct store *st = NULL;
	size_t n;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: itest-mailcmd-bench DB N\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	unlink(argv[1]);
	if (store_open(argv[1], &st, &err) < 0) {
		fprintf(stderr, "itest-mailcmd-bench: %s\n", err.msg);
		return 1;
	}
	store_set_team(st, team_fn, NULL);
	mime_init();
	r = phase_run(st, 0, n, "customer mail (new tickets)");
	if (r == 0)
		r = phase_run(st, 1, n, "team replies, no commands");
	if (r == 0)
		r = phase_run(st, 2, n, "team replies, claim+route");
	mime_shutdown();
	store_close(&st);
	return r < 0;
}
