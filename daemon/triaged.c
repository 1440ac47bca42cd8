/*
 * triaged: the daemon.  main() reads like a table of contents:
 * args -> config -> rules -> store -> mailboxes -> READY -> loop ->
 * STOPPING -> teardown in reverse.  (Rules before the store: a broken
 * rule set is a config error, exit 2, before the database is touched.)  The work itself (one thread per
 * mailbox, one committer) is lib/daemon*.c; this file wires it to
 * signals, the systemd notification socket and the status file.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "accounts.h"
#include "conf.h"
#include "daemon.h"
#include "forward.h"
#include "ingest.h"
#include "log.h"
#include "mailbox.h"
#include "mailcmd.h"
#include "mime.h"
#include "outbox-run.h"
#include "rules.h"
#include "sla-run.h"
#include "store.h"
#include "xalloc.h"

#define EXIT_FAILED 1	/* --once: some mailbox could not be drained */
#define EXIT_CONFIG 2	/* listed in RestartPreventExitStatus= */
#define STOP_GRACE_MS 3000	/* then blocked connections are cut */
#define IDLE_RENEW_MAX_S 1740	/* RFC 2177: servers may drop at 30 min */
#define DB_CACHE_KIB (12 * 1024)	/* SQLite page cache of the writer */

struct args {
	const char *conf_path;	/* -c, $TRIAGE_CONFIG, or the default */
	int check;		/* --check: validate the config and exit */
	int once;		/* --once: one poll of every mailbox */
	int no_idle;		/* --no-idle: poll even where IDLE works */
	size_t batch;		/* --batch N: messages per transaction */
	int idle_renew_s;	/* --idle-renew S: re-issue IDLE after */
};

/* Everything the main loop turns over; swapped whole on SIGHUP. */
struct triaged {
	const struct args *args;
	struct conf *conf;		/* owned */
	struct store *st;		/* owned */
	struct rules *rules;		/* owned; immutable, shared by workers */
	struct daemon *d;		/* owned */
	struct outbox_run *outbox;	/* owned: the SMTP sender thread */
	struct accounts *accounts;	/* owned: accounts.csv, or NULL */
	struct ingest *ingest;		/* owned: the pipeline over the above */
	struct sla_run *sla;		/* owned: the SLA clocks' thread */
	char *status_path;		/* owned */
	int sfd;			/* signalfd */
	int tfd;			/* timerfd: the tick */
	uint64_t watchdog_usec;		/* 0: no watchdog */
	int status_failing;		/* the status file's last write failed */
	int quit;
};

static void
usage(void)
{
	fprintf(stderr, "usage: triaged [-c FILE] [--check] [--once] "
	    "[--no-idle] [--batch N] [--idle-renew SECONDS] [-v]\n");
	exit(EXIT_CONFIG);
}

static void
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "no-idle", no_argument, NULL, 'I' },
		{ "batch", required_argument, NULL, 'b' },
		{ "idle-renew", required_argument, NULL, 'R' },
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long n;
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
		case 'I':
			a->no_idle = 1;
			break;
		case 'b':
			a->batch = strtoul(optarg, &end, 10);
			if (*end != '\0' || a->batch == 0 || a->batch > 10000)
				usage();
			break;
		case 'R':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > IDLE_RENEW_MAX_S)
				usage();
			a->idle_renew_s = (int)n;
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
			log_warnx("%s: %zu error%s", a->conf_path, errs.n,
			    errs.n == 1 ? "" : "s");
	}
	conf_errors_clear(&errs);
	return conf;
}

static struct store *
open_store(const struct conf *conf)
{
	struct error err = { 0 };
	struct store *st = NULL;
	int r;

	r = store_open(conf->database, &st, &err);
	if (r == 0)
		r = store_set_cache_size(st, DB_CACHE_KIB, &err);
	if (r < 0) {
		log_warnx("%s", err.msg);
		store_close(&st);
		return NULL;
	}
	return st;
}

/* Load the rule set the config names, or log every problem in it. */
static struct rules *
load_rules(const struct conf *conf)
{
	struct rules_problems probs = { 0 };
	struct rules_options opts = { 0 };
	struct rules_names names;
	struct rules *rs = NULL;
	int r;

	rules_names_from_conf(&names, conf);
	opts.names = &names;
	r = rules_load(conf->rules, &opts, &rs, &probs);
	if (r < 0) {
		for (size_t i = 0; i < probs.n; i++)
			log_warnx("%s:%d:%d: %s", probs.v[i].file,
			    probs.v[i].line, probs.v[i].col, probs.v[i].msg);
		log_warnx("%s: %zu problem%s in the rules", conf->rules,
		    probs.n, probs.n == 1 ? "" : "s");
	}
	rules_problems_clear(&probs);
	return rs;
}

/*
 * Load the config's accounts.csv into *a_r (NULL when none is set), or
 * log every problem in it: a broken file is a config error.
 */
static int
load_accounts(const struct conf *conf, struct accounts **a_r)
{
	struct accounts_errors errs = { 0 };
	int r;

	*a_r = NULL;
	if (conf->accounts == NULL)
		return 0;
	r = accounts_load(conf->accounts, a_r, &errs);
	for (size_t i = 0; i < errs.n; i++)
		log_warnx("%s", errs.v[i]);
	accounts_errors_clear(&errs);
	return r;
}

static int
team_member(void *arg, const char *address)
{
	return conf_member_by_address(arg, address) != NULL;
}

/* Replies to our forwards thread back by our Message-ID domain. */
static void
set_own_domain(struct store *st, const struct conf *c)
{
	struct forward_sender s = { 0 };
	struct error err = { 0 };

	if (c->smtp_from == NULL ||
	    forward_sender_parse(c->smtp_from, &s, &err) < 0)
		return;
	store_set_own_domain(st, s.domain);
	forward_sender_clear(&s);
}

/* ---- logging from the engine's threads ------------------------------- */

static void
engine_log(void *arg, enum log_level level, const char *mailbox,
    const char *msg)
{
	(void)arg;
	if (mailbox == NULL)
		mailbox = "-";
	switch (level) {
	case LOG_LVL_ERR:
	case LOG_LVL_WARN:
		log_warnx("mailbox=%s %s", mailbox, msg);
		break;
	case LOG_LVL_NOTICE:
		log_notice("mailbox=%s %s", mailbox, msg);
		break;
	case LOG_LVL_INFO:
		log_info("mailbox=%s %s", mailbox, msg);
		break;
	default:
		log_debug("mailbox=%s %s", mailbox, msg);
		break;
	}
}

/* ---- mailboxes ------------------------------------------------------- */

static int
start_mailboxes(struct triaged *t)
{
	struct mailbox_status *prev = NULL;
	struct daemon_opts opts = { 0 };
	struct error err = { 0 };
	pid_t pid;
	int64_t updated;
	size_t n_prev = 0;
	int r;

	/* How far post-actions got last time (crash repair). */
	(void)mailbox_status_read(t->status_path, &pid, &updated, &prev,
	    &n_prev, &err);
	opts.once = t->args->once;
	opts.no_idle = t->args->no_idle;
	opts.batch_count = t->args->batch;
	opts.idle_renew_s = t->args->idle_renew_s;
	opts.previous = prev;
	opts.n_previous = n_prev;
	/* no worker runs now: a pipeline over the config and rules in force */
	ingest_free(&t->ingest);
	t->ingest = ingest_new(t->conf, t->rules, t->accounts);
	opts.ingest = t->ingest;
	opts.hooks.log = engine_log;
	opts.hooks.arg = t;
	r = daemon_start(t->conf, t->st, &opts, &t->d, &err);
	free(prev);
	if (r < 0)
		log_warnx("%s", err.msg);
	return r;
}

/* ---- the outbox sender ----------------------------------------------- */

static void
outbox_log(void *arg, enum log_level level, const char *msg)
{
	(void)arg;
	if (level <= LOG_LVL_WARN)
		log_warnx("outbox: %s", msg);
	else if (level == LOG_LVL_NOTICE)
		log_notice("outbox: %s", msg);
	else
		log_info("outbox: %s", msg);
}

static void
outbox_opts(const struct triaged *t, struct outbox_run_opts *o)
{
	const char *backoff = getenv("TRIAGE_OUTBOX_BACKOFF");

	memset(o, 0, sizeof(*o));
	/* Tests shorten the first retry (seconds); see README. */
	if (backoff != NULL)
		o->backoff_first_s = atoi(backoff);
	o->log = outbox_log;
	o->build_answer = mailcmd_answer_build;
	/* SIGTERM waits for the SMTP exchange in hand: keep each step short */
	o->timeout_s = 30;
	/* CLI routings reach the database behind our back: look often. */
	o->interval_s = t->conf->poll_interval < 5 ? t->conf->poll_interval :
	    5;
}

/* The sender thread (not with --once: that drains once at the end). */
static int
start_outbox(struct triaged *t)
{
	struct outbox_run_opts o;
	struct error err = { 0 };

	if (!t->conf->has_smtp)
		log_notice("no smtp block in %s: forwards and answers wait in "
		    "the outbox", t->args->conf_path);
	if (t->args->once || !t->conf->has_smtp)
		return 0;
	outbox_opts(t, &o);
	if (outbox_run_start(t->conf, &o, &t->outbox, &err) < 0) {
		log_warnx("%s", err.msg);
		return -1;
	}
	return 0;
}

/* --once: send what is due now, after the mailboxes were drained. */
static int
drain_outbox(struct triaged *t)
{
	struct outbox_run_opts o;
	struct outbox_pass res = { 0 };
	struct error err = { 0 };

	if (!t->conf->has_smtp)
		return 0;
	outbox_opts(t, &o);
	if (outbox_run_drain(t->st, t->conf, NULL, &o, &res, &err) < 0) {
		log_warnx("outbox: %s", err.msg);
		return -1;
	}
	if (res.rows > 0)
		log_notice("outbox: %zu due: %zu sent, %zu retrying, %zu "
		    "failed, %zu skipped, %zu waiting", res.rows, res.sent,
		    res.retried, res.failed, res.skipped, res.deferred);
	return 0;
}

/* ---- the SLA clocks ---------------------------------------------------- */

static void
sla_log(void *arg, enum log_level level, const char *msg)
{
	(void)arg;
	if (level <= LOG_LVL_WARN)
		log_warnx("sla: %s", msg);
	else if (level == LOG_LVL_NOTICE)
		log_notice("sla: %s", msg);
	else
		log_info("sla: %s", msg);
}

static void
sla_opts(struct sla_run_opts *o)
{
	const char *interval = getenv("TRIAGE_SLA_INTERVAL");

	memset(o, 0, sizeof(*o));
	/* Tests look every second or two (seconds); see README. */
	if (interval != NULL)
		o->interval_s = atoi(interval);
	o->log = sla_log;
}

/* The reminder and digest thread (--once runs one tick at the end). */
static int
start_sla(struct triaged *t)
{
	struct sla_run_opts o;
	struct error err = { 0 };

	if (t->args->once)
		return 0;
	sla_opts(&o);
	if (sla_run_start(t->conf, t->accounts, &o, &t->sla, &err) < 0) {
		log_warnx("%s", err.msg);
		return -1;
	}
	return 0;
}

/* --once: one SLA tick, after the mailboxes, before the outbox. */
static int
tick_sla(struct triaged *t)
{
	struct sla_run_opts o;
	struct sla_tick res = { 0 };
	struct sla_conf sc;
	struct error err = { 0 };
	int r;

	sla_opts(&o);
	r = sla_run_conf(t->conf, &sc, &err);
	if (r == 0) {
		r = sla_run_remind(t->st, t->conf, t->accounts, &sc, &o, &res,
		    &err);
		sla_run_conf_clear(&sc);
	}
	if (r < 0)
		log_warnx("sla: %s", err.msg);
	return r;
}

/* STATUS= for systemd and the status file for `triage status`. */
static void
publish_status(struct triaged *t)
{
	struct mailbox_status *v = NULL;
	struct error err = { 0 };
	char line[1024];
	size_t n = 0;

	if (t->d == NULL)
		return;
	daemon_status(t->d, &v, &n);
	mailbox_status_line(v, n, line, sizeof(line));
	sd_notifyf(0, "STATUS=%s", line);
	/* A full disk fails every write: say so once, and when it heals. */
	if (mailbox_status_write(t->status_path, getpid(), time(NULL), v, n,
	    &err) < 0) {
		if (!t->status_failing)
			log_warnx("status file: %s (not repeated until it is "
			    "written again)", err.msg);
		t->status_failing = 1;
	} else if (t->status_failing) {
		log_notice("status file: written again");
		t->status_failing = 0;
	}
	free(v);
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

/*
 * SIGHUP: build a complete new config and rule set; only if both load
 * clean, stop the workers (each finishes its batch), swap, restart them.
 * A broken new config or rule set is refused and the old one stays.
 */
static void
reload(struct triaged *t)
{
	struct accounts *accounts = NULL;
	struct rules *rules = NULL;
	struct conf *conf;

	sd_notify(0, "RELOADING=1\nSTATUS=reloading");
	log_notice("SIGHUP: reloading %s", t->args->conf_path);
	conf = load_config(t->args);
	if (conf == NULL) {
		log_warnx("reload refused: %s is broken; keeping the running "
		    "configuration and rules", t->args->conf_path);
		goto out;
	}
	rules = load_rules(conf);
	if (rules == NULL) {
		log_warnx("reload refused: the rules in %s are broken; keeping "
		    "the running configuration and rules", conf->rules);
		conf_free(&conf);
		goto out;
	}
	if (load_accounts(conf, &accounts) < 0) {
		log_warnx("reload refused: %s is broken; keeping the running "
		    "configuration", conf->accounts);
		rules_free(&rules);
		conf_free(&conf);
		goto out;
	}
	if (strcmp(conf->database, t->conf->database) != 0)
		log_warnx("reload: database path changed to \"%s\": that "
		    "needs a restart; still using \"%s\"", conf->database,
		    t->conf->database);
	daemon_free(&t->d, STOP_GRACE_MS);
	outbox_run_free(&t->outbox);
	sla_run_free(&t->sla);
	store_set_team(t->st, team_member, conf);
	set_own_domain(t->st, conf);
	store_set_accounts(t->st, accounts);
	conf_free(&t->conf);
	rules_free(&t->rules);
	accounts_free(&t->accounts);
	t->conf = conf;
	t->rules = rules;
	t->accounts = accounts;
	if (start_mailboxes(t) < 0 || start_outbox(t) < 0 || start_sla(t) < 0)
		t->quit = 1;
	else
		log_notice("reloaded: %zu mailbox%s, %zu rules",
		    conf->n_mailboxes, conf->n_mailboxes == 1 ? "" : "es",
		    rules_count(rules));
out:
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

	(void)read(t->tfd, &expirations, sizeof(expirations));
	if (t->watchdog_usec > 0)
		sd_notify(0, "WATCHDOG=1");
}

static void
on_wake(struct triaged *t)
{
	daemon_ack(t->d);
	/* A batch may have queued forwards or answers. */
	outbox_run_wake(t->outbox);
	if (daemon_done(t->d))
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
		pfd[2] = (struct pollfd){ .fd = daemon_wake_fd(t->d),
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

/*
 * Keep the heap from growing with the mailbox: message buffers (up to
 * 50 MB each) come and go in several threads.  A fixed mmap threshold
 * stops glibc from raising it after the first big free, after which big
 * buffers would stay in the heap, fragmented, instead of going back.
 */
static void
bound_malloc(void)
{
	(void)mallopt(M_MMAP_THRESHOLD, 256 * 1024);
}

int
main(int argc, char **argv)
{
	struct args args = { 0 };
	struct triaged t = { .args = &args, .sfd = -1, .tfd = -1 };
	int status = 0;

	log_init("triaged", LOG_LVL_INFO);
	parse_args(argc, argv, &args);
	bound_malloc();

	t.conf = load_config(&args);
	if (t.conf == NULL) {
		if (!args.check)
			log_warnx("%s: not starting", args.conf_path);
		return EXIT_CONFIG;
	}
	if (args.check) {
		printf("%s: ok\n", args.conf_path);
		conf_free(&t.conf);
		return 0;
	}
	t.rules = load_rules(t.conf);
	if (t.rules == NULL) {
		log_warnx("%s: not starting", args.conf_path);
		conf_free(&t.conf);
		return EXIT_CONFIG;
	}
	if (load_accounts(t.conf, &t.accounts) < 0) {
		log_warnx("%s: not starting", t.conf->accounts);
		rules_free(&t.rules);
		conf_free(&t.conf);
		return EXIT_CONFIG;
	}
	mime_init();
	t.st = open_store(t.conf);
	if (t.st == NULL) {
		status = EXIT_FAILED;
		goto out;
	}
	store_set_team(t.st, team_member, t.conf);
	set_own_domain(t.st, t.conf);
	store_set_accounts(t.st, t.accounts);
	t.status_path = mailbox_status_path(t.conf->database);
	if (setup_signals(&t) < 0)
		fatal("signals");
	if (start_mailboxes(&t) < 0 || start_outbox(&t) < 0 ||
	    start_sla(&t) < 0) {
		status = EXIT_FAILED;
		goto out;
	}
	log_notice("started: %zu mailbox%s, %zu rules, database %s",
	    t.conf->n_mailboxes, t.conf->n_mailboxes == 1 ? "" : "es",
	    rules_count(t.rules), t.conf->database);
	sd_notify(0, "READY=1");

	main_loop(&t);
	publish_status(&t);

	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	if (args.once && daemon_failed(t.d) > 0)
		status = EXIT_FAILED;
	outbox_run_free(&t.outbox);
	if (args.once) {
		/* the committer is done with the store: it is ours again */
		daemon_free(&t.d, STOP_GRACE_MS);
		if (tick_sla(&t) < 0 || drain_outbox(&t) < 0)
			status = EXIT_FAILED;
	}
out:
	sla_run_free(&t.sla);
	outbox_run_free(&t.outbox);
	if (t.d != NULL)
		daemon_free(&t.d, STOP_GRACE_MS);
	if (t.tfd >= 0)
		close(t.tfd);
	if (t.sfd >= 0)
		close(t.sfd);
	free(t.status_path);
	store_close(&t.st);
	mime_shutdown();
	ingest_free(&t.ingest);
	accounts_free(&t.accounts);
	rules_free(&t.rules);
	conf_free(&t.conf);
	return status;
}
