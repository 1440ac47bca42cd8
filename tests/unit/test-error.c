/*
 * struct error: a message built from the error's own text (context put
 * in front of what a lower layer said) comes out intact, whether the
 * caller passes err->msg to error_set() or uses error_prefix().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"

struct wrap_case {
	const char *inner;  /* what the lower layer said */
	const char *expect; /* after wrapping it in "schema 3: ..." */
};

static const struct wrap_case wrap_cases[] = {
	{ "t.db: exec: table tickets already exists",
	    "schema 3: t.db: exec: table tickets already exists" },
	{ "", "schema 3: " },
	{ "x", "schema 3: x" },
	{ "schema 3: schema 3: nested",
	    "schema 3: schema 3: schema 3: nested" },
};

/* error_set() with its own message as an argument. */
static void
test_set_own_message(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(wrap_cases) / sizeof(*wrap_cases); i++) {
		struct error err = { 0 };

		error_set(&err, ERR_TEMP, "%s", wrap_cases[i].inner);
		assert_int_equal(
		    error_set(&err, err.code, "schema %d: %s", 3, err.msg), -1);
		assert_string_equal(err.msg, wrap_cases[i].expect);
		assert_int_equal(err.code, ERR_TEMP);
	}
}

/* error_prefix() keeps the code and puts the context in front. */
static void
test_prefix(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(wrap_cases) / sizeof(*wrap_cases); i++) {
		struct error err = { 0 };

		error_set(&err, ERR_BOX, "%s", wrap_cases[i].inner);
		assert_int_equal(error_prefix(&err, "schema %d", 3), -1);
		assert_string_equal(err.msg, wrap_cases[i].expect);
		assert_int_equal(err.code, ERR_BOX);
	}
	assert_int_equal(error_prefix(NULL, "ignored"), -1);
}

/* A message that no longer fits is cut at the buffer's end, terminated. */
static void
test_long(void **state)
{
	struct error err = { 0 };
	char full[sizeof(err.msg) - 1 + 1];

	(void)state;
	memset(full, 'a', sizeof(full) - 1);
	full[sizeof(full) - 1] = '\0';
	error_set(&err, ERR_MSG, "%s", full);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	error_prefix(&err, "ctx");
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_memory_equal(err.msg, "ctx: aaa", 8);
	error_set(&err, err.code, "again: %s", err.msg);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_memory_equal(err.msg, "again: ctx: aaa", 15);
	assert_int_equal(err.code, ERR_MSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_own_message),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
