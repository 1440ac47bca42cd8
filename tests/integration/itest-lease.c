/*
 * Helper for the integration tests of several triaged on one database:
 * writes leases and instance rows through the real store, as a triaged
 * on another host would, so that `triage status` can be checked
 * against them.
 *
 *   itest-lease take DB NAME OWNER TTL_MS   prints "taken EPOCH", or
 *                                           "held HOLDER" and exits 1
 *   itest-lease release DB NAME OWNER EPOCH
 *   itest-lease beat DB ID MAILBOX...       ID ("host:pid:start")
 *                                           beats with a status where
 *                                           each MAILBOX is idling after
 *                                           a poll that stored 3
 *   itest-lease forget DB ID                removes ID's row
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "itest-common.h"
#include "mailbox.h"
#include "store-lease.h"
#include "store.h"
#include "test-common.h"
#include "xalloc.h"

static int
usage(void)
{
	fprintf(stderr, "usage: itest-lease take DB NAME OWNER TTL_MS\n"
			"       itest-lease release DB NAME OWNER EPOCH\n"
			"       itest-lease beat DB ID MAILBOX...\n"
			"       itest-lease forget DB ID\n");
	return 2;
}

static int
die(const char *what, const struct error *err)
{
	fprintf(stderr, "itest-lease: %s: %s\n", what, err->msg);
	return 2;
}

static int
take(struct store *st, char **argv)
{
	struct error err = { 0 };
	char *holder = NULL;
	int64_t epoch = 0;
	int r;

	r = store_lease_take(st, argv[0], argv[1], atoi(argv[2]), &epoch,
	    &holder, &err);
	if (r < 0)
		return die("take", &err);
	if (r > 0)
		printf("taken %" PRId64 "\n", epoch);
	else
		printf("held %s\n", holder);
	free(holder);
	return r > 0 ? 0 : 1;
}

/*
 * The status file's text for `n` mailboxes, made by the daemon's own
 * writer (a file in a scratch directory, read back).
 */
static char *
status_text(char **names, int n, pid_t pid)
{
	struct mailbox_counts c = { .pending = 3, .stored = 3 };
	struct mailbox_status *v = xcalloc((size_t)n, sizeof(*v));
	struct error err = { 0 };
	char dir[128], *path, *text;
	size_t len;

	if (test_tmpdir(dir, sizeof(dir), "itest-lease") != 0) {
		perror("itest-lease: scratch dir");
		exit(2);
	}
	xasprintf(&path, "%s/status", dir);
	for (int i = 0; i < n; i++) {
		mailbox_status_init(&v[i], names[i]);
		mailbox_status_synced(&v[i], &c, (int64_t)time(NULL));
		v[i].state = MBOX_IDLING;
	}
	if (mailbox_status_write(path, pid, (int64_t)time(NULL), v, (size_t)n,
		&err) < 0)
		exit(die("status", &err));
	text = itest_slurp_or_die(path, &len);
	test_rmtree(dir);
	free(path);
	free(v);
	return text;
}

static int
beat(struct store *st, char **argv, int argc)
{
	struct store_instance me = { .id = argv[0] };
	struct error err = { 0 };
	char host[256];
	long pid = 0;
	long long started = 0;
	int r;

	if (sscanf(argv[0], "%255[^:]:%ld:%lld", host, &pid, &started) != 3)
		return usage();
	me.host = host;
	me.pid = pid;
	me.started = started;
	me.status = status_text(argv + 1, argc - 1, (pid_t)pid);
	r = store_instance_beat(st, &me, &err);
	free(me.status);
	return r < 0 ? die("beat", &err) : 0;
}

int
main(int argc, char **argv)
{
	struct error err = { 0 };
	struct store *st = NULL;
	int r;

	if (argc < 4)
		return usage();
	if (store_open(argv[2], &st, &err) < 0)
		return die(argv[2], &err);
	if (strcmp(argv[1], "take") == 0 && argc == 6)
		r = take(st, argv + 3);
	else if (strcmp(argv[1], "release") == 0 && argc == 6)
		r = store_lease_release(st, argv[3], argv[4],
			strtoll(argv[5], NULL, 10), &err) < 0 ?
			die("release", &err) :
			0;
	else if (strcmp(argv[1], "beat") == 0)
		r = beat(st, argv + 3, argc - 3);
	else if (strcmp(argv[1], "forget") == 0 && argc == 4)
		r = store_instance_remove(st, argv[3], &err) < 0 ?
			die("forget", &err) :
			0;
	else
		r = usage();
	store_close(&st);
	return r;
}
