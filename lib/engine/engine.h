/*
 * The engine: what triaged runs.  It owns the configuration, the rule
 * set, the accounts, the database, the mailbox workers (daemon.h) and
 * the background cron that sends the outbox and watches the SLA clocks
 * (cron.h), and it swaps them on reload.  The program keeps the process
 * concerns: arguments, signals, the poll() loop and sd_notify.
 *
 *   engine_open      config, rules, accounts, lock, store (no thread yet)
 *   engine_start     mailboxes, outbox, SLA clocks      (threads)
 *   engine_reload    SIGHUP: build, validate, swap
 *   engine_status    the STATUS= line and the status file
 *   engine_finish    stop; --once: one SLA look, drain the outbox
 *   engine_free      teardown in reverse
 *
 * The engine does not log to stderr itself: every line goes to the log
 * sink of its options, with its context (mailbox, component).
 */
#ifndef TRIAGE_ENGINE_H
#define TRIAGE_ENGINE_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "log-sink.h"

struct engine;

struct engine_opts {
	const char *conf_path; /* foreign: triage.conf */
	int once;	       /* each mailbox polls once; no cron */
	int no_idle;	       /* poll even where IDLE works */
	size_t batch;	       /* messages per transaction; 0: default */
	int idle_renew_s;      /* re-issue IDLE after; 0: default */
	struct log_sink log;   /* where every line goes */
};

/*
 * Load the config, the rules and the accounts (every problem logged),
 * take the database's lock (one triaged per database: an exclusive
 * flock on "<database>.lock", held until engine_free, across reloads),
 * then open the database.  Starts no thread: block signals first.
 * Returns 0 and sets *e_r; or -1 with err (logged): ERR_CONF when the
 * config, rules or accounts are broken, ERR_REFUSED when another
 * process holds the lock (its pid in the message when known), another
 * code when the lock or the database could not be opened.
 */
int engine_open(const struct engine_opts *opts, struct engine **e_r,
    struct error *err);

/*
 * triaged --check, offline: load the config (secrets checked: present,
 * not readable by group or others), the rules (file:line:col; queues
 * and routes the config does not declare, with a "did you mean"), the
 * accounts, and check that the database's directory is writable by the
 * caller.  Every problem goes to opts->log.  Returns 0 when the daemon
 * would start with this config, or -1 with err (ERR_CONF) when it would
 * refuse it.
 */
int engine_check(const struct engine_opts *opts, struct error *err);

/*
 * Start a worker per mailbox, the outbox sender (with an smtp block)
 * and the SLA clocks (neither with --once: engine_finish runs them
 * once).  Returns 0, or -1 (logged).
 */
int engine_start(struct engine *e);

/*
 * SIGHUP: load a new config, rule set and accounts completely; only if
 * all load clean, stop the threads (each finishes the batch in hand),
 * swap, start them again.  Returns 0 (reloaded, or refused and the old
 * set kept, both logged), or -1 when the threads could not be started
 * again: the daemon must stop.
 */
int engine_reload(struct engine *e);

/*
 * Readable when a mailbox's state changed or every worker has stopped;
 * then call engine_wake().  -1 before engine_start().
 */
int engine_wake_fd(const struct engine *e);

/*
 * After engine_wake_fd() fired: a batch may have queued mail, so the
 * outbox sender is woken.  Returns 1 when every worker has stopped
 * (--once is done), else 0.
 */
int engine_wake(struct engine *e);

/*
 * Write the status file (for `triage status`; a failure is logged once,
 * and when it heals) and put the short STATUS= text for systemd in
 * line[size].  Returns 0, or -1 (line untouched) before engine_start().
 */
int engine_status(struct engine *e, char *line, size_t size);

/*
 * Stop the threads (the cron first, then the workers, which finish the
 * batch in hand).  With --once, then run one SLA look and send what the
 * outbox holds.  Returns 0, or -1 when --once failed: a mailbox could
 * not be drained or the SLA look or the outbox failed (logged).
 */
int engine_finish(struct engine *e);

/*
 * triaged --check --connect: load the config at conf_path (with its
 * secrets), log in to every mailbox's IMAP server and to the SMTP
 * server as the daemon would, select each folder, look for each move:
 * target (or say it would be created, or that it lies outside the
 * server's namespace), and write to `out` one line per finding with the
 * capabilities that matter (IDLE, MOVE, UIDPLUS, UTF8=ACCEPT; 8BITMIME,
 * SMTPUTF8).  Changes nothing.  Returns 0, or -1 when anything is a
 * problem (each one a "PROBLEM:" line).
 */
int engine_check_connect(const char *conf_path, FILE *out);

/* Stop what still runs and free everything; accepts NULL. */
void engine_free(struct engine **ep);

#endif
