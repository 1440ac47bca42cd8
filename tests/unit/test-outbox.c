/*
 * Outbox policy: the backoff schedule and what a failed attempt means.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "outbox.h"

static void
test_backoff(void **state)
{
	static const struct {
		int attempts;
		int64_t wait;
	} cases[] = {
		{ 0, 60 },
		{ 1, 60 },
		{ 2, 120 },
		{ 3, 240 },
		{ 8, 7680 },
		{ 9, 15360 },
		{ 10, 21600 },
		{ 11, 21600 },
		{ 1000, 21600 },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		assert_int_equal(outbox_backoff(cases[c].attempts),
		    cases[c].wait);
}

static void
test_judge(void **state)
{
	static const struct {
		enum err_code code;
		int64_t age;
		enum outbox_verdict v;
	} cases[] = {
		{ ERR_REFUSED, 0, OUTBOX_FAILED },
		{ ERR_TEMP, 0, OUTBOX_RETRY },
		{ ERR_TEMP, OUTBOX_GIVE_UP, OUTBOX_RETRY },
		{ ERR_TEMP, OUTBOX_GIVE_UP + 1, OUTBOX_FAILED },
		{ ERR_CONF, 3600, OUTBOX_RETRY },
		{ ERR_CONN, 3600, OUTBOX_RETRY },
	};
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct error err = { cases[c].code, "x" };

		assert_int_equal(outbox_judge(&err, cases[c].age), cases[c].v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_judge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
