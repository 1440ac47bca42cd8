/*
 * The config loader (lib/conf): the input is a triage.conf, loaded
 * without secrets as the CLI loads it.  A file that loads is a valid
 * config: its lookups find what it lists.  Also conf_duration() and
 * conf_size() over the input as one value.
 *
 * libconfig's @include would read any file of the machine (/dev/zero
 * never ends): inputs with one are skipped, the rest is our code.
 */
#include <fcntl.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

static char *path; /* the input, in a directory of its own */
static char *dir;

static void
remove_input(void)
{
	unlink(path);
	rmdir(dir);
}

static void
write_input(const uint8_t *data, size_t size)
{
	static int fd = -1;

	if (fd < 0) {
		const char *tmp = getenv("TMPDIR");

		FUZZ_CHECK(asprintf(&dir, "%s/triage-fuzz-conf-XXXXXX",
			       tmp != NULL ? tmp : "/tmp") > 0);
		FUZZ_CHECK(mkdtemp(dir) != NULL);
		FUZZ_CHECK(asprintf(&path, "%s/triage.conf", dir) > 0);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		FUZZ_CHECK(fd >= 0);
		atexit(remove_input);
	}
	FUZZ_CHECK(ftruncate(fd, 0) == 0);
	FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
}

static void
check_conf(const struct conf *c)
{
	for (size_t i = 0; i < c->n_mailboxes; i++) {
		FUZZ_CHECK(conf_mailbox(c, c->mailboxes[i].name) != NULL);
		FUZZ_CHECK(conf_has_queue(c, c->mailboxes[i].queue));
	}
	for (size_t i = 0; i < c->n_routes; i++)
		FUZZ_CHECK(conf_route(c, c->routes[i].name) != NULL);
	for (size_t i = 0; i < c->n_team; i++) {
		FUZZ_CHECK(conf_member_by_address(c, c->team[i].address));
		FUZZ_CHECK(conf_member_by_name(c, c->team[i].name));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strdup(data, size);
	struct conf_errors errs = { 0 };
	struct conf *c = NULL;
	int64_t secs;
	size_t bytes;

	if (conf_duration(text, &secs) == 0)
		FUZZ_CHECK(secs >= 0);
	(void)conf_size(text, &bytes);
	if (strcasestr(text, "@include") == NULL) {
		write_input(data, size);
		if (conf_load_flags(path, CONF_LOAD_NO_SECRETS, &c, &errs) ==
		    0) {
			FUZZ_CHECK(errs.n == 0);
			check_conf(c);
		} else {
			FUZZ_CHECK(errs.n > 0);
		}
		conf_errors_clear(&errs);
		conf_free(&c);
	}
	free(text);
	return 0;
}
