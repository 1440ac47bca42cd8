/*
 * triaged: the daemon.  main() reads like a table of contents:
 * args -> config -> store -> rules -> mailboxes -> READY -> loop ->
 * STOPPING -> teardown in reverse.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "log.h"

#define EXIT_CONFIG 2	/* listed in RestartPreventExitStatus= */

struct args {
	const char *conf_path;	/* -c, $TRIAGE_CONFIG, or the default */
	int check;		/* --check: validate the config and exit */
	int once;		/* --once: one poll of every mailbox */
};

static void
usage(void)
{
	fprintf(stderr, "usage: triaged [-c FILE] [--check] [--once] "
	    "[-v]\n");
	exit(EXIT_CONFIG);
}

static void
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	a->conf_path = getenv("TRIAGE_CONFIG");
	if (a->conf_path == NULL || *a->conf_path == '\0')
		a->conf_path = TRIAGE_SYSCONFDIR "/triage/triage.conf";
	while ((ch = getopt_long(argc, argv, "c:nv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->conf_path = optarg;
			break;
		case 'n':
			a->check = 1;
			break;
		case '1':
			a->once = 1;
			break;
		case 'v':
			log_init("triaged", LOG_LVL_DEBUG);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

/*
 * Load the config, or report every problem in it.  --check prints them
 * plainly, one "FILE:LINE: message" a line, as a compiler does; the
 * daemon logs them (with priorities, for the journal).
 */
static struct conf *
load_config(const struct args *a)
{
	struct conf_errors errs = { 0 };
	struct conf *conf = NULL;
	int r;

	r = conf_load(a->conf_path, &conf, &errs);
	if (r < 0) {
		for (size_t i = 0; i < errs.n; i++) {
			if (a->check)
				fprintf(stderr, "%s\n", errs.v[i]);
			else
				log_warnx("%s", errs.v[i]);
		}
		if (!a->check)
			log_warnx("%s: %zu error%s, not starting",
			    a->conf_path, errs.n, errs.n == 1 ? "" : "s");
	}
	conf_errors_clear(&errs);
	return conf;
}

int
main(int argc, char **argv)
{
	struct args args = { 0 };
	struct conf *conf;

	log_init("triaged", LOG_LVL_INFO);
	parse_args(argc, argv, &args);

	conf = load_config(&args);
	if (conf == NULL)
		return EXIT_CONFIG;
	if (args.check) {
		printf("%s: ok\n", args.conf_path);
		conf_free(&conf);
		return 0;
	}

	/* store -> rules -> mailboxes -> READY -> loop: not here yet. */
	(void)args.once;
	log_warnx("%s: daemon not implemented yet", args.conf_path);
	conf_free(&conf);
	return EXIT_CONFIG;
}
