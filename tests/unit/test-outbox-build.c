/*
 * Building a forward from a real store: a thread ingested with mime_parse into
 * SQLite, routed, then built as attach / redirect / follow-up.  Attached bytes
 * must equal the stored bytes; a team message's command lines must not
 * leave.  Fixtures: tests/fixtures/forward/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "accounts.h"
#include "mime.h"
#include "outbox.h"
#include "store.h"
#include "test-common.h"
#include "xalloc.h"

#define NOW 1794650400
#define ACCOUNTS_CSV \
	"domain,account,tier,owner\nbuyer.example,Buyer Corp,key,alice\n"

/* ---- a real store ---- */

struct fixture {
	char dir[128];
	char db[256];
	struct store *st;
	struct forward_sender sender;
	struct accounts *accounts;
	int64_t ticket;
	int64_t rows[4]; /* messages.id of the four fixtures */
	char *raws[4];
	size_t lens[4];
};

static const char *const files[] = { "customer-1.eml", "team-reply.eml",
	"customer-2-8bit.eml", "team-command.eml" };

static int
is_team(void *arg, const char *address)
{
	(void)arg;
	return strcmp(address, "alice@example.com") == 0;
}

static int64_t now = NOW; /* the store's clock */

static int
setup(void **state)
{
	struct store_actor cli = { "alice", STORE_SRC_CLI };
	static const char acct_csv[] = ACCOUNTS_CSV;
	struct accounts_errors aerrs = { NULL, 0 };
	struct mime_limits lim;
	struct fixture *fx;
	struct error err;
	size_t i;

	assert_non_null(getenv("TRIAGE_FIXTURES"));
	mime_init();
	mime_limits_default(&lim);
	lim.own_address = "triage@example.com";
	fx = xcalloc(1, sizeof(*fx));
	assert_int_equal(test_tmpdir(fx->dir, sizeof(fx->dir), "outbox"), 0);
	snprintf(fx->db, sizeof(fx->db), "%s/triage.db", fx->dir);
	assert_int_equal(store_open(fx->db, &fx->st, &err), 0);
	store_set_clock(fx->st, test_clock, &now);
	store_set_team(fx->st, is_team, NULL);
	assert_int_equal(forward_sender_parse("Triage <triage@example.com>",
			     &fx->sender, &err),
	    0);
	assert_int_equal(accounts_parse("accounts.csv", acct_csv,
			     strlen(acct_csv), &fx->accounts, &aerrs),
	    0);
	for (i = 0; i < 4; i++) {
		struct store_ingest_result res;

		fx->raws[i] = test_fixture("forward", files[i], &fx->lens[i]);
		test_msg_ingest(fx->st, fx->raws[i], fx->lens[i], &lim, NOW,
		    NULL, &res);
		if (i == 0)
			fx->ticket = res.ticket_id;
		else
			assert_int_equal(res.ticket_id, fx->ticket);
		fx->rows[i] = res.message_id;
	}
	assert_int_equal(store_claim(fx->st, fx->ticket, &cli, 0, &err), 0);
	assert_int_equal(
	    store_note(fx->st, fx->ticket, "budget confirmed", &cli, &err), 0);
	assert_int_equal(
	    store_route(fx->st, fx->ticket, "sales", NULL, &cli, &err), 0);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	store_close(&fx->st);
	for (i = 0; i < 4; i++)
		free(fx->raws[i]);
	test_rmtree(fx->dir);
	forward_sender_clear(&fx->sender);
	accounts_free(&fx->accounts);
	free(fx);
	mime_shutdown();
	return 0;
}

/* Does `hay` hold `needle` with every bare LF as CRLF? */
static int
holds_crlf(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	char *want = xmalloc(nlen * 2 + 1);
	size_t i, n = 0;
	int r;

	for (i = 0; i < nlen; i++) {
		if (needle[i] == '\n' && (i == 0 || needle[i - 1] != '\r'))
			want[n++] = '\r';
		want[n++] = needle[i];
	}
	r = memmem(hay, hlen, want, n) != NULL;
	free(want);
	return r;
}

static void
test_build_from_store(void **state)
{
	struct fixture *fx = *state;
	static const struct {
		enum conf_route_style style;
		int from_row; /* index into rows[], -1: routing */
		size_t n_mails;
		int present[4]; /* fixture bytes appear in mail 0 */
		int pin;	/* 0: unpinned; k: pinned to fixture k-1 */
	} cases[] = {
		{ CONF_ROUTE_ATTACH, -1, 1, { 1, 1, 1, 0 }, 0 },
		{ CONF_ROUTE_ATTACH, 2, 1, { 0, 0, 1, 0 }, 0 },
		{ CONF_ROUTE_REDIRECT, -1, 2, { 1, 0, 0, 0 }, 0 },
		{ CONF_ROUTE_REDIRECT, 2, 1, { 0, 0, 1, 0 }, 0 },
		/* a routing row queued before messages 2 and 3 arrived */
		{ CONF_ROUTE_ATTACH, -1, 1, { 1, 1, 0, 0 }, 2 },
		{ CONF_ROUTE_REDIRECT, -1, 1, { 1, 0, 0, 0 }, 2 },
	};
	size_t c, i;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct conf_route route = { (char *)"sales",
			(char *)"sales-team@example.com", cases[c].style, NULL,
			0 };
		struct forward_mails out = { NULL, 0 };
		struct error err;
		int64_t row =
		    cases[c].from_row < 0 ? 0 : fx->rows[cases[c].from_row];

		int64_t pin =
		    cases[c].pin == 0 ? 0 : fx->rows[cases[c].pin - 1];

		if (outbox_build_forward(fx->st, fx->accounts, fx->ticket, row,
			pin, &route, &fx->sender, 77, NOW, &out, &err) < 0)
			fail_msg("case %zu: %s", c, err.msg);
		assert_int_equal(out.n, cases[c].n_mails);
		for (i = 0; i < 4; i++) {
			assert_int_equal(holds_crlf(out.v[0].data, out.v[0].len,
					     fx->raws[i], fx->lens[i]),
			    cases[c].present[i]);
		}
		for (i = 0; i < out.n; i++) {
			/* the command mail's lines never leave */
			assert_null(
			    memmem(out.v[i].data, out.v[i].len, "#route", 6));
			assert_null(memmem(out.v[i].data, out.v[i].len,
			    "SECRET-COMMAND", 14));
		}
		if (cases[c].style == CONF_ROUTE_ATTACH && cases[c].pin == 0) {
			/* its stripped text and the BDR note are summarised
			   (quoted-printable keeps these ASCII lines as is) */
			assert_non_null(memmem(out.v[0].data, out.v[0].len,
			    "| Big one, 50 seats and SSO.", 28));
			assert_non_null(memmem(out.v[0].data, out.v[0].len,
			    "budget confirmed", 16));
			assert_non_null(memmem(out.v[0].data, out.v[0].len,
			    "Account: Buyer Corp (tier key)", 30));
			assert_string_equal(out.v[0].message_id,
			    "triage.T1.E77@example.com");
		}
		forward_mails_clear(&out);
	}
}

static void
test_build_missing(void **state)
{
	struct fixture *fx = *state;
	struct conf_route route = { (char *)"sales",
		(char *)"sales-team@example.com", CONF_ROUTE_ATTACH, NULL, 0 };
	struct forward_mails out = { NULL, 0 };
	struct error err;

	assert_int_equal(outbox_build_forward(fx->st, fx->accounts,
			     fx->ticket + 100, 0, 0, &route, &fx->sender, 1,
			     NOW, &out, &err),
	    -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	assert_int_equal(outbox_build_forward(fx->st, fx->accounts, fx->ticket,
			     99999, 0, &route, &fx->sender, 1, NOW, &out, &err),
	    -1);
	assert_int_equal(err.code, ERR_NOTFOUND);
	assert_int_equal(out.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_from_store),
		cmocka_unit_test(test_build_missing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
