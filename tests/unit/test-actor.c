/*
 * Who acts on the command line (actor.h): one row per rule, with the
 * exact outcome (the acting name, or the error code and a phrase of its
 * message).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "actor.h"
#include "conf.h"

static struct conf_member members[] = {
	{ .name = "alice", .role = "bdr", .unix_user = "alice" },
	{ .name = "bob", .role = "bdr", .unix_user = "bsmith" },
	{ .name = "maria", .role = "manager", .unix_user = "maria" },
	{ .name = "sam", .role = "sales", .unix_user = "sam" },
};

static const struct conf team = { .path = "/etc/triage/triage.conf",
	.team = members,
	.n_team = sizeof(members) / sizeof(members[0]) };
static const struct conf no_team = { .path = "/etc/triage/triage.conf" };

struct actor_case {
	const char *what;
	const struct conf *c;
	const char *user;
	int is_root;
	const char *as;
	int intent;
	const char *want_name; /* NULL: an error */
	enum err_code want_code;
	const char *want_msg; /* a phrase of the message */
};

static const struct actor_case cases[] = {
	{ "a BDR acts as herself", &team, "alice", 0, NULL, ACTOR_CHANGES,
	    "alice", 0, NULL },
	{ "unix_user maps to the member's name", &team, "bsmith", 0, NULL,
	    ACTOR_CHANGES, "bob", 0, NULL },
	{ "a member's name is not its Unix user when unix_user is set", &team,
	    "bob", 0, NULL, ACTOR_CHANGES, NULL, ERR_DENIED,
	    "Unix user 'bob' is not in the team of /etc/triage/triage.conf" },
	{ "a stranger may not change", &team, "eve", 0, NULL, ACTOR_CHANGES,
	    NULL, ERR_DENIED, "may read tickets but not change them" },
	{ "a stranger may read, as itself", &team, "eve", 0, NULL, ACTOR_READS,
	    "eve", 0, NULL },
	{ "root without --as may not change", &team, "root", 1, NULL,
	    ACTOR_CHANGES, NULL, ERR_DENIED,
	    "root: act for a member with --as NAME" },
	{ "root may read", &team, "root", 1, NULL, ACTOR_READS, "root", 0,
	    NULL },
	{ "root acts --as a member", &team, "root", 1, "alice", ACTOR_CHANGES,
	    "alice", 0, NULL },
	{ "root --as a stranger", &team, "root", 1, "mallory", ACTOR_CHANGES,
	    NULL, ERR_USAGE, "'mallory' is not in the team" },
	{ "a BDR may not act --as someone else", &team, "alice", 0, "bob",
	    ACTOR_CHANGES, NULL, ERR_DENIED,
	    "Unix user 'alice' is not a manager" },
	{ "a BDR may not read --as someone else either", &team, "alice", 0,
	    "bob", ACTOR_READS, NULL, ERR_DENIED,
	    "only root and team members" },
	{ "a BDR --as herself is still --as", &team, "alice", 0, "alice",
	    ACTOR_CHANGES, NULL, ERR_DENIED, "not a manager" },
	{ "a stranger may not use --as", &team, "eve", 0, "alice",
	    ACTOR_CHANGES, NULL, ERR_DENIED, "'eve' is not in the team" },
	{ "a manager acts --as a member", &team, "maria", 0, "bob",
	    ACTOR_CHANGES, "bob", 0, NULL },
	{ "a manager --as a stranger", &team, "maria", 0, "mallory",
	    ACTOR_CHANGES, NULL, ERR_USAGE, "'mallory' is not in the team" },
	{ "no team: the Unix user acts", &no_team, "eve", 0, NULL,
	    ACTOR_CHANGES, "eve", 0, NULL },
	{ "no team: --as is taken as given", &no_team, "eve", 0, "alice",
	    ACTOR_CHANGES, "alice", 0, NULL },
	{ "no config: the Unix user acts", NULL, "eve", 0, NULL, ACTOR_CHANGES,
	    "eve", 0, NULL },
};

static void
test_resolve(void **state)
{
	size_t failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct actor_case *tc = &cases[i];
		struct actor_unix u = { tc->user, tc->is_root };
		struct error err = { 0 };
		struct actor a = { 0 };
		int r = actor_resolve(tc->c, &u, tc->as, tc->intent, &a, &err);
		int ok;

		if (tc->want_name != NULL)
			ok = r == 0 && strcmp(a.name, tc->want_name) == 0 &&
			     strcmp(a.unix_user, tc->user) == 0;
		else
			ok = r == -1 && err.code == tc->want_code &&
			     strstr(err.msg, tc->want_msg) != NULL &&
			     a.name == NULL;
		if (!ok) {
			print_error("case \"%s\": r=%d name=%s code=%d "
				    "msg=%s\n",
			    tc->what, r, a.name != NULL ? a.name : "-",
			    (int)err.code, err.msg);
			failed++;
		}
		actor_clear(&a);
		assert_null(a.name);
	}
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
