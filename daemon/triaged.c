/*
 * triaged: the daemon.  main() reads like a table of contents:
 * args -> config -> store -> rules -> mailboxes -> READY -> loop ->
 * STOPPING -> teardown in reverse.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

#define EXIT_CONFIG 2	/* listed in RestartPreventExitStatus= */

static void
usage(void)
{
	fprintf(stderr, "usage: triaged [-c FILE] [--check] [--once] "
	    "[-v]\n");
	exit(EXIT_CONFIG);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = getenv("TRIAGE_CONFIG");
	int ch, check = 0, once = 0;

	log_init("triaged", LOG_LVL_INFO);
	if (conf_path == NULL || *conf_path == '\0')
		conf_path = TRIAGE_SYSCONFDIR "/triage/triage.conf";
	while ((ch = getopt_long(argc, argv, "c:nv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case '1':
			once = 1;
			break;
		case 'v':
			log_init("triaged", LOG_LVL_DEBUG);
			break;
		default:
			usage();
		}
	}
	(void)check;
	(void)once;
	log_warnx("%s: daemon not implemented yet", conf_path);
	return EXIT_CONFIG;
}
