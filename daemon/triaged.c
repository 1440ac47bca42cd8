/*
 * triaged: the daemon.  main() reads like a table of contents:
 * args -> config, rules, accounts, store (engine_open) -> signals ->
 * mailboxes, outbox, SLA clocks (engine_start) -> READY -> loop ->
 * STOPPING -> teardown in reverse.  The engine (lib/engine/engine.h)
 * owns the lifecycle, reload and the status; this file wires it to
 * signals, the systemd notification socket and stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "conf.h"
#include "engine.h"
#include "log-sink.h"
#include "log.h"

#define EXIT_FAILED 1	      /* --once: some mailbox could not be drained */
#define EXIT_CONFIG 2	      /* listed in RestartPreventExitStatus= */
#define IDLE_RENEW_MAX_S 1740 /* RFC 2177: servers may drop at 30 min */

struct args {
	const char *conf_path; /* -c, $TRIAGE_CONFIG, or the default */
	int check;	       /* --check: validate the config and exit */
	int connect;	       /* --connect: --check logs in to the servers */
	int once;	       /* --once: one poll of every mailbox */
	int no_idle;	       /* --no-idle: poll even where IDLE works */
	size_t batch;	       /* --batch N: messages per transaction */
	int idle_renew_s;      /* --idle-renew S: re-issue IDLE after */
};

/* What the main loop turns over. */
struct triaged {
	const struct args *args;
	struct engine *e;	/* owned */
	int sfd;		/* signalfd */
	int tfd;		/* timerfd: the tick */
	uint64_t watchdog_usec; /* 0: no watchdog */
	int quit;
};

/* --help on stdout and exit 0; a usage error on stderr and exit 2. */
static void
usage(int help)
{
	fprintf(help ? stdout : stderr,
	    "usage: triaged [-c FILE] [--check [--connect]] [--once] "
	    "[--no-idle] [--batch N] [--idle-renew SECONDS] [-v | -q]\n%s",
	    help ? "       triaged --help | --version\n"
		   "See triaged(8) and triage.conf(5).\n" :
		   "");
	exit(help ? 0 : EXIT_CONFIG);
}

/*
 * An option's whole number from 1 to max: digits only (strtoul would
 * take " 5", "+5" and read "-18446744073709551615" as 1), bounded
 * before each digit is added.  Returns it, or 0 when s is not one.
 */
static long
arg_number(const char *s, long max)
{
	long v = 0;

	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (max - (*s - '0')) / 10)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static void
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'n' },
		{ "connect", no_argument, NULL, 'C' },
		{ "once", no_argument, NULL, '1' },
		{ "no-idle", no_argument, NULL, 'I' },
		{ "batch", required_argument, NULL, 'b' },
		{ "idle-renew", required_argument, NULL, 'R' },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static const char optstr[] = "c:nvqhV";
	long n;
	int ch;

	a->conf_path = getenv("TRIAGE_CONFIG");
	if (a->conf_path == NULL || *a->conf_path == '\0')
		a->conf_path = TRIAGE_SYSCONFDIR "/triage/triage.conf";
	while ((ch = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->conf_path = optarg;
			break;
		case 'n':
			a->check = 1;
			break;
		case 'C':
			a->connect = 1;
			break;
		case '1':
			a->once = 1;
			break;
		case 'I':
			a->no_idle = 1;
			break;
		case 'b':
			n = arg_number(optarg, 10000);
			if (n == 0)
				usage(0);
			a->batch = (size_t)n;
			break;
		case 'R':
			n = arg_number(optarg, IDLE_RENEW_MAX_S);
			if (n == 0)
				usage(0);
			a->idle_renew_s = (int)n;
			break;
		case 'v': /* -v and -q win over the config's log_level */
			log_pin_level(LOG_LVL_DEBUG);
			break;
		case 'q':
			log_pin_level(LOG_LVL_WARN);
			break;
		case 'h':
			usage(1);
			break;
		case 'V':
			printf("triaged %s\n", TRIAGE_VERSION);
			exit(0);
		default:
			usage(0);
		}
	}
	if (optind != argc)
		usage(0);
}

/*
 * --check: load what the daemon loads and print every problem plainly,
 * one "FILE:LINE: message" a line, as a compiler does (smtpd -n); with
 * --connect, then log in to every server (engine_check_connect).
 */
static int
check_config(const char *path, int connect)
{
	struct engine_opts eo = { .conf_path = path };
	struct error err = { 0 };

	eo.log.fn = log_sink_plain;
	if (engine_check(&eo, &err) < 0)
		return EXIT_CONFIG;
	printf("%s: ok\n", path);
	if (connect && engine_check_connect(path, stdout) < 0)
		return EXIT_CONFIG;
	return 0;
}

/* STATUS= for systemd; the engine writes the status file. */
static void
publish_status(struct triaged *t)
{
	char line[1024];

	if (engine_status(t->e, line, sizeof(line)) == 0)
		sd_notifyf(0, "STATUS=%s", line);
}

/* ---- signals and the tick -------------------------------------------- */

static int
setup_signals(struct triaged *t)
{
	struct itimerspec its = { { 1, 0 }, { 1, 0 } };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Blocked before any thread starts, so only the signalfd sees them. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	t->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (t->sfd < 0)
		return -1;
	if (sd_watchdog_enabled(0, &t->watchdog_usec) <= 0)
		t->watchdog_usec = 0;
	/* Tick at least twice per watchdog period. */
	if (t->watchdog_usec > 0 && t->watchdog_usec < 2000000) {
		its.it_interval.tv_sec = 0;
		its.it_interval.tv_nsec = (long)(t->watchdog_usec / 2 * 1000);
		its.it_value = its.it_interval;
	}
	t->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (t->tfd < 0 || timerfd_settime(t->tfd, 0, &its, NULL) < 0)
		return -1;
	return 0;
}

/* SIGHUP: the engine swaps only a new set that loads clean. */
static void
reload(struct triaged *t)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading");
	if (engine_reload(t->e) < 0)
		t->quit = 1;
	sd_notify(0, "READY=1");
	publish_status(t);
}

static void
on_signal(struct triaged *t)
{
	struct signalfd_siginfo si;

	while (read(t->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP && !t->args->once) {
			reload(t);
		} else if (si.ssi_signo != SIGHUP) {
			log_notice("%s: finishing the batches in hand",
			    strsignal((int)si.ssi_signo));
			t->quit = 1;
		}
	}
}

static void
on_tick(struct triaged *t)
{
	uint64_t expirations;

	/* EAGAIN: taken already; the work below is due all the same */
	if (read(t->tfd, &expirations, sizeof(expirations)) < 0)
		expirations = 0;
	if (t->watchdog_usec > 0)
		sd_notify(0, "WATCHDOG=1");
}

static void
on_wake(struct triaged *t)
{
	if (engine_wake(t->e))
		t->quit = 1;
	publish_status(t);
}

static void
main_loop(struct triaged *t)
{
	struct pollfd pfd[3];
	int r;

	while (!t->quit) {
		pfd[0] = (struct pollfd){ .fd = t->sfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = t->tfd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = engine_wake_fd(t->e),
			.events = POLLIN };
		r = poll(pfd, 3, -1);
		if (r < 0 && errno != EINTR)
			fatal("poll");
		if (r <= 0)
			continue;
		if (pfd[0].revents & POLLIN)
			on_signal(t);
		if (pfd[1].revents & POLLIN)
			on_tick(t);
		if (!t->quit && pfd[2].revents & POLLIN)
			on_wake(t);
	}
}

int
main(int argc, char **argv)
{
	struct args args = { 0 };
	struct triaged t = { .args = &args, .sfd = -1, .tfd = -1 };
	struct engine_opts eo = { 0 };
	struct error err = { 0 };
	int status = 0;

	/* No core dump, no ptrace by others: memory holds passwords. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	log_init("triaged", LOG_LVL_INFO);
	umask(007); /* group triage shares the database: triage(1) TEAM */
	parse_args(argc, argv, &args);
	/* Keep the heap from growing with the mailbox: message buffers (up
	 * to 50 MB each) come and go in several threads.  A fixed mmap
	 * threshold stops glibc raising it after the first big free, which
	 * would leave big buffers in the heap, fragmented. */
	(void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	if (args.check)
		return check_config(args.conf_path, args.connect);

	eo.conf_path = args.conf_path;
	eo.once = args.once;
	eo.no_idle = args.no_idle;
	eo.batch = args.batch;
	eo.idle_renew_s = args.idle_renew_s;
	eo.log.fn = log_sink_stderr;
	if (engine_open(&eo, &t.e, &err) < 0)
		return err.code == ERR_CONF ? EXIT_CONFIG : EXIT_FAILED;
	if (setup_signals(&t) < 0)
		fatal("signals");
	if (engine_start(t.e) < 0) {
		status = EXIT_FAILED;
		goto out;
	}
	sd_notify(0, "READY=1");

	main_loop(&t);
	publish_status(&t);

	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	if (engine_finish(t.e) < 0)
		status = EXIT_FAILED;
out:
	engine_free(&t.e);
	if (t.tfd >= 0)
		close(t.tfd);
	if (t.sfd >= 0)
		close(t.sfd);
	return status;
}
