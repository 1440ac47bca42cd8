/*
 * The daemon's periodic jobs on the one cron thread (cron.h): the
 * outbox sender, every few seconds and whenever a batch queued mail,
 * the SLA clocks, every sla.check_interval and whenever a clock is due,
 * the weekly report mail (report.weekly_to), when its week is due, and
 * with webhooks configured, their sender, like the outbox's.
 * They share a database connection of their own, so neither holds up
 * the committer; a hung SMTP exchange of either is cut by cron_free().
 * On PostgreSQL a listener thread on a third connection wakes the
 * outbox job when any instance queued mail.  Of several instances on
 * one database only the holder of the sla lease runs the SLA jobs.
 */
#include "engine-private.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "cron.h"
#include "desk.h"
#include "mailcmd.h"
#include "outbox-run.h"
#include "report-mail.h"
#include "sla-run.h"
#include "store-outbox.h"
#include "store.h"
#include "webhook-run.h"
#include "xalloc.h"

/* One SMTP exchange's timeout; SIGTERM cuts it after the stop grace. */
#define OUTBOX_TIMEOUT_S 30
/* CLI routings reach the database behind our back: look often. */
#define OUTBOX_INTERVAL_MAX_S 5

struct engine_jobs {
	const struct conf *c;	  /* foreign */
	const struct accounts *a; /* foreign; may be NULL */
	struct log_sink log;
	struct store *st; /* owned; the cron thread's alone */
	struct outbox_run_opts outbox;
	struct sla_run_opts sla;
	struct sla_conf sc;		/* owned */
	int64_t started;		/* wall clock at start (the digest) */
	struct cron *cron;		/* owned */
	int outbox_job;			/* in cron; -1: no smtp block */
	struct sla_hours *report_hours; /* owned: the weekly report's */
	struct sla_hours *report_zone;	/* owned */
	struct webhook_run_opts hooks;
	int webhook_job; /* in cron; -1: no webhooks */
	/* PostgreSQL: the listener's thread and its connection, which
	   LISTENs for queued rows and wakes the outbox job */
	struct sla_lead lead;	 /* the sla lease: who runs the SLA jobs */
	struct ticker *listener; /* owned; NULL: none */
	struct store *listen_st; /* owned; the listener's alone */
	int listen_failed;	 /* the last attempt was logged */
};

static const struct log_where outbox_where = { .component = "outbox" };
static const struct log_where sla_where = { .component = "sla" };
static const struct log_where report_where = { .component = "report" };

/* The weekly report looks again at least this often (clock changes). */
#define REPORT_LOOK_S 3600

static const struct log_where webhook_where = { .component = "webhook" };

static void
webhook_opts(const struct conf *c, const struct log_sink *log,
    struct webhook_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->log = *log;
	o->interval_s = c->poll_interval < OUTBOX_INTERVAL_MAX_S ?
			    c->poll_interval :
			    OUTBOX_INTERVAL_MAX_S;
}

static void
outbox_opts(const struct conf *c, const struct log_sink *log,
    struct outbox_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->backoff_first_s = c->smtp_first_retry;
	o->log = *log;
	o->build_answer = mailcmd_answer_build;
	o->timeout_s = OUTBOX_TIMEOUT_S;
	o->interval_s = c->poll_interval < OUTBOX_INTERVAL_MAX_S ?
			    c->poll_interval :
			    OUTBOX_INTERVAL_MAX_S;
}

static void
sla_opts(const struct conf *c, const struct log_sink *log,
    struct sla_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_s = c->sla.check_interval;
	o->log = *log;
}

/* The jobs' connection, opened at their first run (and retried). */
static int
jobs_store(struct engine_jobs *j, const struct log_where *where)
{
	struct error err = { 0 };

	if (j->st != NULL)
		return 0;
	if (store_open_pw(j->c->database, j->c->db_password_file, &j->st,
		&err) < 0) {
		log_sink_say(&j->log, LOG_LVL_WARN, where, "%s", err.msg);
		return -1;
	}
	/* events it writes ("forwarded", "reminded") reach webhooks too */
	store_set_webhooks(j->st, j->c);
	/*
	 * On SQLite this is the one triaged (engine-lock.c): leases
	 * another holds are a killed triaged's, given back at once.
	 */
	j->lead.sole = !store_target_is_server(j->c->database);
	if (j->lead.sole && store_outbox_release_others(j->st, &err) < 0)
		log_sink_say(&j->log, LOG_LVL_WARN, where, "%s", err.msg);
	return 0;
}

/* One webhook pass; returns the seconds until the next. */
static int64_t
webhook_turn(struct ticker *t, void *arg)
{
	struct engine_jobs *j = arg;
	struct webhook_pass res = { 0 };
	struct error err = { 0 };

	j->hooks.stop = ticker_stop_flag(t);
	if (jobs_store(j, &webhook_where) < 0)
		return webhook_run_wait(NULL, &j->hooks, &res);
	if (webhook_run_pass(j->st, j->c, &j->hooks, &res, &err) < 0)
		log_sink_say(&j->log, LOG_LVL_WARN, &webhook_where,
		    "database: %s; trying again", err.msg);
	return webhook_run_wait(j->st, &j->hooks, &res);
}

/* One outbox pass; returns the seconds until the next. */
static int64_t
outbox_turn(struct ticker *t, void *arg)
{
	struct engine_jobs *j = arg;
	struct outbox_pass res = { 0 };
	struct error err = { 0 };

	j->outbox.cut = ticker_cut(t); /* SMTP publishes its socket there */
	j->outbox.stop = ticker_stop_flag(t);
	if (jobs_store(j, &outbox_where) < 0)
		return outbox_run_wait(NULL, &j->outbox, &res);
	if (outbox_run_pass(j->st, j->c, j->a, &j->outbox, &res, &err) < 0)
		log_sink_say(&j->log, LOG_LVL_WARN, &outbox_where,
		    "database: %s; trying again", err.msg);
	return outbox_run_wait(j->st, &j->outbox, &res);
}

/*
 * The listener: a connection of its own LISTENs for the notification a
 * transaction that queued outbox rows sends (store-outbox.h), here or on
 * another host, and wakes the outbox job; the job's timer stays the
 * fallback.  It polls in slices of LISTEN_SLICE_MS so that a stop is
 * seen within the ticker's grace.
 */
#define LISTEN_SLICE_MS 1000
#define LISTEN_RETRY_S 5

static int64_t
listen_turn(struct ticker *t, void *arg)
{
	struct engine_jobs *j = arg;
	struct error err = { 0 };
	int n;

	(void)t;
	if (j->listen_st == NULL) {
		if (store_open_pw(j->c->database, j->c->db_password_file,
			&j->listen_st, &err) < 0 ||
		    store_outbox_listen(j->listen_st, &err) < 0) {
			if (!j->listen_failed)
				log_sink_say(&j->log, LOG_LVL_WARN,
				    &outbox_where, "listen: %s; trying again",
				    err.msg);
			j->listen_failed = 1;
			store_close(&j->listen_st);
			return LISTEN_RETRY_S;
		}
		j->listen_failed = 0;
		/* rows queued while nobody listened */
		cron_wake(j->cron, j->outbox_job);
	}
	n = store_outbox_wait(j->listen_st, LISTEN_SLICE_MS, &err);
	if (n > 0)
		cron_wake(j->cron, j->outbox_job);
	if (n >= 0)
		return 0;
	log_sink_say(&j->log, LOG_LVL_WARN, &outbox_where,
	    "listen: %s; listening again", err.msg);
	store_close(&j->listen_st);
	return LISTEN_RETRY_S;
}

/* Waits whose --until has come go back to their owners (desk.h). */
static void
waits_over(struct store *st, const struct conf *c, const struct log_sink *log)
{
	struct error err = { 0 };
	size_t n = 0;

	if (store_schema_version(st) < 15)
		return;
	/* a failure here leaves the clocks their look */
	if (desk_wait_due(st, c, &n, &err) < 0)
		log_sink_say(log, LOG_LVL_WARN, &sla_where,
		    "waits: %s; trying again", err.msg);
	else if (n > 0)
		log_sink_say(log, LOG_LVL_NOTICE, &sla_where,
		    "%zu wait%s over: claimed again", n, n == 1 ? "" : "s");
}

/* One look at the SLA clocks; returns the seconds until the next. */
static int64_t
sla_turn(struct ticker *t, void *arg)
{
	struct engine_jobs *j = arg;
	struct sla_tick res = { .next_check = SLA_NEVER };
	struct error err = { 0 };
	int r;

	j->sla.cut = ticker_cut(t); /* SMTP publishes its socket there */
	if (jobs_store(j, &sla_where) < 0)
		return sla_run_wait(&j->sla, &res, 0);
	if (!sla_run_lead(j->st, &j->sla, &j->lead))
		return sla_run_wait(&j->sla, &res, store_now(j->st));
	waits_over(j->st, j->c, &j->log);
	r = sla_run_remind(j->st, j->c, j->a, &j->sc, &j->sla, &res, &err);
	if (r == 0)
		r = sla_run_digest(j->st, j->c, &j->sc, j->started, &j->sla,
		    &res, &err);
	if (r < 0)
		log_sink_say(&j->log, LOG_LVL_WARN, &sla_where,
		    "database: %s; trying again", err.msg);
	return sla_run_wait(&j->sla, &res, store_now(j->st));
}

/*
 * The weekly report: queued in the outbox when its week falls due (and
 * the outbox woken); returns the seconds until the next look.
 */
static int64_t
report_turn(struct ticker *t, void *arg)
{
	struct engine_jobs *j = arg;
	struct report_weekly res = { 0 };
	struct error err = { 0 };
	int64_t wait;

	(void)t;
	if (jobs_store(j, &report_where) < 0)
		return REPORT_LOOK_S / 60;
	if (report_mail_weekly(j->st, j->c, j->a, j->report_hours,
		j->report_zone, &res, &err) < 0) {
		log_sink_say(&j->log, LOG_LVL_WARN, &report_where,
		    "weekly report: %s%s", err.msg,
		    err.code == ERR_CONF ? ", skipping" : "; trying again");
		return err.code == ERR_CONF ? 86400 : REPORT_LOOK_S / 60;
	}
	if (res.outbox_id > 0) {
		log_sink_say(&j->log, LOG_LVL_NOTICE, &report_where,
		    "weekly report queued for %s: outbox row %lld",
		    j->c->report.weekly_to, (long long)res.outbox_id);
		engine_jobs_wake_outbox(j);
	}
	wait = res.next - store_now(j->st);
	return wait < REPORT_LOOK_S ? wait : REPORT_LOOK_S;
}

int
engine_jobs_start(const struct conf *c, const struct accounts *a,
    const struct log_sink *log, struct engine_jobs **j_r, struct error *err)
{
	struct engine_jobs *j = xcalloc(1, sizeof(*j));
	struct error terr = { 0 };

	j->c = c;
	j->a = a;
	j->log = *log;
	j->outbox_job = -1;
	j->webhook_job = -1;
	j->lead = (struct sla_lead)SLA_LEAD_INIT;
	outbox_opts(c, log, &j->outbox);
	webhook_opts(c, log, &j->hooks);
	sla_opts(c, log, &j->sla);
	if (sla_run_conf(c, &j->sc, err) < 0) {
		free(j);
		return -1;
	}
	if (c->report.weekly_to != NULL &&
	    report_mail_zones(c, &j->report_hours, &j->report_zone, err) < 0) {
		sla_run_conf_clear(&j->sc);
		free(j);
		return -1;
	}
	j->started = time(NULL);
	j->cron = cron_new();
	if (c->has_smtp)
		j->outbox_job = cron_add(j->cron, outbox_turn, j);
	(void)cron_add(j->cron, sla_turn, j);
	if (c->report.weekly_to != NULL && c->has_smtp)
		(void)cron_add(j->cron, report_turn, j);
	if (c->n_webhooks > 0)
		j->webhook_job = cron_add(j->cron, webhook_turn, j);
	if (cron_start(j->cron, &terr) < 0 ||
	    (c->has_smtp && store_target_is_server(c->database) &&
		ticker_start(listen_turn, j, &j->listener, &terr) < 0)) {
		engine_jobs_free(&j);
		return error_set(err, ERR_INTERNAL, "outbox and sla %s",
		    terr.msg);
	}
	*j_r = j;
	return 0;
}

void
engine_jobs_wake_outbox(struct engine_jobs *j)
{
	if (j == NULL)
		return;
	cron_wake(j->cron, j->outbox_job);
	cron_wake(j->cron, j->webhook_job); /* a batch's events */
}

void
engine_jobs_free(struct engine_jobs **jp)
{
	struct engine_jobs *j = *jp;

	if (j == NULL)
		return;
	/* the listener first: it wakes the cron */
	ticker_free(&j->listener, 0);
	store_close(&j->listen_st);
	/* the job in hand ends first; a hung SMTP exchange is cut */
	cron_free(&j->cron);
	/* another instance takes the SLA pass over at once */
	sla_run_resign(j->st, &j->sla, &j->lead);
	store_close(&j->st);
	sla_run_conf_clear(&j->sc);
	sla_hours_free(&j->report_hours);
	sla_hours_free(&j->report_zone);
	free(j);
	*jp = NULL;
}

/* --once: one SLA look, after the mailboxes, before the outbox. */
static int
once_sla(struct store *st, const struct conf *c, const struct accounts *a,
    const struct log_sink *log)
{
	struct sla_run_opts o;
	struct sla_tick res = { 0 };
	struct sla_conf sc;
	struct error err = { 0 };
	int r;

	sla_opts(c, log, &o);
	waits_over(st, c, log);
	r = sla_run_conf(c, &sc, &err);
	if (r == 0) {
		r = sla_run_remind(st, c, a, &sc, &o, &res, &err);
		sla_run_conf_clear(&sc);
	}
	if (r < 0)
		log_sink_say(log, LOG_LVL_WARN, &sla_where, "%s", err.msg);
	return r;
}

/* --once: send what is due now, after the mailboxes were drained. */
static int
once_outbox(struct store *st, const struct conf *c, const struct log_sink *log)
{
	struct outbox_run_opts o;
	struct outbox_pass res = { 0 };
	struct error err = { 0 };

	if (!c->has_smtp)
		return 0;
	outbox_opts(c, log, &o);
	/* the one triaged on SQLite: a killed one's rows are ours now */
	if (!store_target_is_server(c->database) &&
	    store_outbox_release_others(st, &err) < 0) {
		log_sink_say(log, LOG_LVL_WARN, &outbox_where, "%s", err.msg);
		error_clear(&err);
	}
	if (outbox_run_drain(st, c, NULL, &o, &res, &err) < 0) {
		log_sink_say(log, LOG_LVL_WARN, &outbox_where, "%s", err.msg);
		return -1;
	}
	if (res.rows > 0)
		log_sink_say(log, LOG_LVL_NOTICE, &outbox_where,
		    "%zu due: %zu "
		    "sent, %zu retrying, %zu failed, %zu skipped, %zu waiting",
		    res.rows, res.sent, res.retried, res.failed, res.skipped,
		    res.deferred);
	return 0;
}

/* --once: POST what is due now, after the outbox (its events too). */
static int
once_webhooks(struct store *st, const struct conf *c,
    const struct log_sink *log)
{
	struct webhook_run_opts o;
	struct webhook_pass res = { 0 };
	struct error err = { 0 };

	if (c->n_webhooks == 0)
		return 0;
	webhook_opts(c, log, &o);
	if (webhook_run_drain(st, c, &o, &res, &err) < 0) {
		log_sink_say(log, LOG_LVL_WARN, &webhook_where, "%s", err.msg);
		return -1;
	}
	if (res.rows > 0)
		log_sink_say(log, LOG_LVL_NOTICE, &webhook_where,
		    "%zu due: %zu delivered, %zu retrying, %zu failed",
		    res.rows, res.delivered, res.retried, res.failed);
	return 0;
}

int
engine_jobs_once(struct store *st, const struct conf *c,
    const struct accounts *a, const struct log_sink *log)
{
	if (once_sla(st, c, a, log) < 0)
		return -1;
	if (once_outbox(st, c, log) < 0)
		return -1;
	return once_webhooks(st, c, log);
}
