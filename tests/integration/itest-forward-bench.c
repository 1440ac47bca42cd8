/*
 * itest-forward-bench: how fast forward_build turns a thread into mail.
 *
 *   itest-forward-bench ROUNDS FILE...
 *
 * The FILEs (real mail, e.g. from the corpus) form one thread of
 * customer messages.  Builds it ROUNDS times as attach and as redirect
 * and prints, per style, milliseconds per build and MB/s of input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "itest-common.h"
#include "xalloc.h"

static void
bench(const struct forward_ticket *t, enum conf_route_style style,
    const struct forward_sender *s, int rounds, size_t in_bytes)
{
	struct forward_route r = { "support", "support@example.com", style,
		NULL };
	struct forward_mails out;
	struct error err;
	size_t out_bytes = 0, i;
	double t0, dt;
	int k;

	t0 = itest_now();
	for (k = 0; k < rounds; k++) {
		if (forward_build(t, &r, s, k + 1, 1794650400, &out, &err) <
		    0) {
			fprintf(stderr, "build: %s\n", err.msg);
			exit(1);
		}
		for (i = 0; i < out.n; i++)
			out_bytes += out.v[i].len;
		forward_mails_clear(&out);
	}
	dt = itest_now() - t0;
	printf("%-8s %3zu messages %8.1f KB in: %7.3f ms/build, %7.1f MB/s, "
	       "%zu KB out/build\n",
	    style == CONF_ROUTE_ATTACH ? "attach" : "redirect", t->n_messages,
	    (double)in_bytes / 1024, dt * 1000 / rounds,
	    (double)in_bytes * rounds / dt / 1e6,
	    out_bytes / (size_t)rounds / 1024);
}

int
main(int argc, char **argv)
{
	struct forward_sender s;
	struct forward_ticket t = { 0 };
	struct forward_message *m;
	struct error err;
	size_t in_bytes = 0, i, n;
	int rounds;

	if (argc < 3) {
		fprintf(stderr, "usage: itest-forward-bench ROUNDS FILE...\n");
		return 2;
	}
	rounds = atoi(argv[1]);
	n = (size_t)(argc - 2);
	m = xcalloc(n, sizeof(*m));
	for (i = 0; i < n; i++) {
		m[i].raw = itest_slurp_or_die(argv[i + 2], &m[i].raw_len);
		m[i].dir = FORWARD_IN;
		m[i].from = "customer@example.net";
		m[i].subject = "benchmark";
		m[i].date = 1794650400;
		in_bytes += m[i].raw_len;
	}
	t.id = 1;
	t.subject = "benchmark";
	t.customer = t.customer_addr = "customer@example.net";
	t.messages = m;
	t.n_messages = n;
	if (forward_sender_parse("Triage <triage@example.com>", &s, &err) < 0)
		return 1;
	bench(&t, CONF_ROUTE_ATTACH, &s, rounds, in_bytes);
	bench(&t, CONF_ROUTE_REDIRECT, &s, rounds, in_bytes);
	forward_sender_clear(&s);
	for (i = 0; i < n; i++)
		free((char *)m[i].raw);
	free(m);
	return 0;
}
