/*
 * What one look of triaged's SLA thread costs on N open tickets
 * (default 20,000): N customer mails ingested (a third from key
 * accounts) into a fresh database at DB, then, at a controlled clock,
 * sla_run_remind when nothing is due (the steady state: one scan), when
 * every ticket has breached (N reminders recorded), once more (nothing
 * new), and the digest (report_digest_fill + render).  Prints seconds per
 * phase.  Run by bench/sla.sh.
 *
 *   itest-sla-bench DB [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "buf.h"
#include "conf.h"
#include "mime.h"
#include "report-fill.h"
#include "report.h"
#include "sla-run.h"
#include "store-report.h"
#include "store.h"
#include "xalloc.h"

#define T0 1794650400 /* 2026-11-14T10:00:00Z */

static int64_t clock_now = T0;

static int64_t
clock_fn(void *arg)
{
	(void)arg;
	return clock_now;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const struct error *err)
{
	fprintf(stderr, "itest-sla-bench: %s: %s\n", what, err->msg);
	exit(1);
}

static void
ingest(struct store *st, long n)
{
	static const char *const domains[] = { "acme.com", "initech.io",
		"buyer.example" };
	struct store_ingest_result res;
	struct mime_limits lim;
	struct error err = { 0 };

	mime_limits_default(&lim);
	if (store_begin(st, &err) < 0)
		die("begin", &err);
	for (long i = 0; i < n; i++) {
		struct store_ingest_in in = { 0 };
		struct msg *m = NULL;
		char *raw;

		xasprintf(&raw,
		    "From: c%ld@%s\r\nTo: sales@example.com\r\n"
		    "Subject: question %ld\r\nMessage-ID: <%ld@bench>\r\n\r\n"
		    "How much for %ld seats?\r\n",
		    i, domains[i % 3], i, i, i);
		if (mime_parse(raw, strlen(raw), &lim, T0, &m, &err) < 0)
			die("parse", &err);
		in.mailbox = "sales";
		in.mailbox_address = "sales@example.com";
		in.queue = "sales";
		in.raw = raw;
		in.raw_len = strlen(raw);
		in.msg = m;
		in.actor = (struct store_actor){ "bench", STORE_SRC_DAEMON };
		if (store_ingest_msg(st, &in, &res, &err) < 0)
			die("ingest", &err);
		msg_free(&m);
		free(raw);
	}
	if (store_commit(st, &err) < 0)
		die("commit", &err);
}

static void
look(struct store *st, const struct conf *c, const struct accounts *a,
    const struct sla_conf *sc, const char *name)
{
	struct sla_run_opts o = { 0 };
	struct sla_tick res = { 0 };
	struct error err = { 0 };
	double t = now_s();

	if (sla_run_remind(st, c, a, sc, &o, &res, &err) < 0)
		die(name, &err);
	printf("%-28s %8.3f s  (%zu watched, %zu reminded)\n", name,
	    now_s() - t, res.watched, res.reminded);
}

int
main(int argc, char **argv)
{
	static const char csv[] = "domain,account,tier,owner\n"
				  "acme.com,Acme,strategic,bob\n"
				  "initech.io,Initech,key,\n";
	struct conf_mailbox mb = { .name = (char *)"sales",
		.address = (char *)"sales@example.com",
		.queue = (char *)"sales" };
	struct accounts_errors errs = { 0 };
	struct accounts *a = NULL;
	struct report_digest d;
	struct buf subj, body;
	struct sla_conf sc;
	struct store *st = NULL;
	struct error err = { 0 };
	struct conf c;
	long n = argc > 2 ? atol(argv[2]) : 20000;
	double t;

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: itest-sla-bench DB [N]\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.path = (char *)"bench.conf";
	c.mailboxes = &mb;
	c.n_mailboxes = 1;
	c.sla.claim = 4 * 3600;
	c.sla.acknowledge = 86400;
	if (accounts_parse("accounts.csv", csv, strlen(csv), &a, &errs) < 0 ||
	    sla_run_conf(&c, &sc, &err) < 0)
		return 1;
	mime_init();
	remove(argv[1]);
	if (store_open(argv[1], &st, &err) < 0)
		die("open", &err);
	store_set_clock(st, clock_fn, NULL);
	store_set_accounts(st, a);
	t = now_s();
	ingest(st, n);
	printf("%-28s %8.3f s  (%ld tickets)\n", "ingest", now_s() - t, n);
	clock_now = T0 + 60;
	look(st, &c, a, &sc, "look, nothing due");
	clock_now = T0 + 5 * 3600;
	look(st, &c, a, &sc, "look, all breached");
	clock_now += 60;
	look(st, &c, a, &sc, "look, all reminded");
	t = now_s();
	report_digest_init(&d, clock_now);
	buf_init(&subj, 1 << 20);
	buf_init(&body, 64 << 20);
	if (report_digest_fill(st, &sc.policy, clock_now, &d, &err) < 0 ||
	    report_digest_render(&d, &subj, &body, &err) < 0)
		die("digest", &err);
	printf("%-28s %8.3f s  (%zu bytes)\n", "digest (fill + render)",
	    now_s() - t, body.len);
	buf_free(&subj);
	buf_free(&body);
	report_digest_clear(&d);
	store_close(&st);
	sla_run_conf_clear(&sc);
	accounts_free(&a);
	mime_shutdown();
	return 0;
}
