/*
 * triage status: what triaged is doing, per mailbox (connected, idling,
 * backing off until T and why, what the last poll found), from the
 * status file the daemon keeps beside the database, plus the database's
 * own counts.  The CLI needs neither the daemon's secrets nor a socket.
 * On a database several triaged share (PostgreSQL) there is no file:
 * cli-status-shared.c reads the instances and leases tables instead.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cli-status-private.h"
#include "cli.h"
#include "conf.h"
#include "mailbox.h"
#include "sla-run.h"
#include "store-outbox.h"
#include "store-webhook.h"
#include "store.h"
#include "xalloc.h"

struct status_view {
	int is_shared;		      /* the database is a server's */
	struct status_shared *shared; /* owned: its instances and leases */
	int have;		      /* a status file was read */
	int running;		      /* its pid is alive */
	pid_t pid;
	int64_t updated;
	struct mailbox_status *v; /* owned */
	size_t n;
	int64_t counts[4]; /* messages, failed, tickets, outbox */
	int have_counts;
	int64_t outbox_pending, outbox_failed;
	struct store_outbox *failed; /* owned: the newest failed rows */
	size_t n_failed;
	int64_t hooks_pending, hooks_sending, hooks_failed;
	struct store_webhook *hooks; /* owned: the newest undelivered */
	size_t n_hooks;
	struct sla_breaches breaches; /* owned: open SLA breaches now */
	int have_breaches;	      /* the config has an SLA clock */
};

#define FAILED_SHOWN 10

static const char *const count_names[] = { "messages", "failed", "tickets",
	"outbox" };

static int
pid_alive(pid_t pid)
{
	if (pid <= 0)
		return 0;
	/* EPERM: alive, but another user's (the triage service user). */
	return kill(pid, 0) == 0 || errno == EPERM;
}

void
status_iso_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL) {
		snprintf(buf, len, "never");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Open SLA breaches, as the daemon's reminder pass sees them. */
static void
read_breaches(const struct conf *conf, struct store *st, struct status_view *sv)
{
	struct error err = { 0 };
	struct sla_conf sc;

	if (conf->sla.claim == 0 && conf->sla.acknowledge == 0)
		return;
	if (sla_run_conf(conf, &sc, &err) < 0) {
		fprintf(stderr, "triage: sla: %s\n", err.msg);
		return;
	}
	if (sla_run_breaches(st, &sc, &sv->breaches, &err) < 0)
		fprintf(stderr, "triage: sla breaches: %s\n", err.msg);
	else
		sv->have_breaches = 1;
	sla_run_conf_clear(&sc);
}

static void
print_breaches(const struct status_view *sv)
{
	const struct sla_breaches *b = &sv->breaches;
	char when[32];

	if (!sv->have_breaches)
		return;
	printf("sla: %zu open breach%s", b->total, b->total == 1 ? "" : "es");
	for (size_t i = 0; i < b->n; i++)
		printf("%s%s %zu", i == 0 ? " (" : ", ", b->v[i].queue,
		    b->v[i].n);
	printf("%s\n", b->n > 0 ? ")" : "");
	if (b->total > 0) {
		status_iso_time(b->oldest_deadline, when, sizeof(when));
		printf("  oldest: ticket #%" PRId64 ", %s clock, due %s\n",
		    b->oldest_id, b->oldest_clock, when);
	}
}

/* The status file beside an SQLite database (the one triaged's). */
static void
read_status_file(const char *db, struct status_view *sv)
{
	struct error err = { 0 };
	char *path = mailbox_status_path(db);
	int r;

	r = mailbox_status_read(path, &sv->pid, &sv->updated, &sv->v, &sv->n,
	    &err);
	if (r < 0 && err.code != ERR_NOTFOUND)
		fprintf(stderr, "triage: %s\n", err.msg);
	sv->have = r == 0;
	sv->running = sv->have && pid_alive(sv->pid);
	free(path);
}

static void
read_counts(const struct conf *conf, const char *db, struct status_view *sv)
{
	struct error err = { 0 };
	struct store *st = NULL;

	/* no database yet is said by the status; do not create one */
	if (!sv->is_shared && access(db, F_OK) != 0)
		return;
	if (store_open_read_pw(db, cli_db_password_file(conf), &st, &err) < 0) {
		fprintf(stderr, "triage: %s\n", err.msg);
		return;
	}
	sv->have_counts = 1;
	for (size_t i = 0; i < 4; i++) {
		if (store_count(st, count_names[i], &sv->counts[i], &err) < 0)
			sv->have_counts = 0;
	}
	if (store_outbox_count(st, "pending", &sv->outbox_pending, &err) < 0 ||
	    store_outbox_count(st, "failed", &sv->outbox_failed, &err) < 0 ||
	    store_outbox_list(st, "failed", FAILED_SHOWN, &sv->failed,
		&sv->n_failed, &err) < 0)
		sv->have_counts = 0;
	if (store_webhook_count(st, "pending", &sv->hooks_pending, &err) < 0 ||
	    store_webhook_count(st, "sending", &sv->hooks_sending, &err) < 0 ||
	    store_webhook_count(st, "failed", &sv->hooks_failed, &err) < 0 ||
	    (sv->hooks_pending + sv->hooks_sending + sv->hooks_failed > 0 &&
		store_webhook_list(st, NULL, FAILED_SHOWN, &sv->hooks,
		    &sv->n_hooks, &err) < 0))
		sv->have_counts = 0;
	read_breaches(conf, st, sv);
	/*
	 * An instance whose last heartbeat is within the configured lease
	 * time runs; past it, its leases are anyone's.
	 */
	if (sv->is_shared &&
	    status_shared_read(st, (int64_t)conf->lease_seconds * 1000,
		&sv->shared, &err) < 0)
		fprintf(stderr, "triage: instances and leases: %s\n", err.msg);
	store_close(&st);
}

/* Webhook deliveries waiting or failed, and why (triage webhooks). */
static void
print_webhooks(const struct status_view *sv)
{
	if (sv->hooks_pending + sv->hooks_sending + sv->hooks_failed == 0)
		return;
	printf("webhooks: %" PRId64 " waiting, %" PRId64 " being sent, %" PRId64
	       " failed (triage webhooks)\n",
	    sv->hooks_pending, sv->hooks_sending, sv->hooks_failed);
	for (size_t i = 0; i < sv->n_hooks; i++) {
		const struct store_webhook *w = &sv->hooks[i];

		if (w->last_error == NULL)
			continue;
		printf("  %s: row %" PRId64 " ticket #%" PRId64
		       " %s to %s: %s\n",
		    w->state, w->id, w->ticket_id, w->kind, w->url,
		    w->last_error);
	}
}

static void
print_text(const struct status_view *sv)
{
	char when[32], line[1024];

	if (sv->shared != NULL) {
		status_shared_print(sv->shared);
	} else if (sv->is_shared) {
		printf("triaged: unknown (the database could not be read)\n");
	} else if (!sv->have) {
		printf("triaged: no status yet (has it run with this "
		       "database?)\n");
	} else {
		status_iso_time(sv->updated, when, sizeof(when));
		printf("triaged: %s (pid %ld), state as of %s\n",
		    sv->running ? "running" : "not running", (long)sv->pid,
		    when);
		for (size_t i = 0; i < sv->n; i++) {
			mailbox_status_format(&sv->v[i], line, sizeof(line));
			printf("  %s\n", line);
		}
	}
	if (sv->have_counts)
		printf("database: %" PRId64 " messages (%" PRId64 " failed "
		       "to parse), %" PRId64 " tickets, %" PRId64 " outbox "
		       "rows\n",
		    sv->counts[0], sv->counts[1], sv->counts[2], sv->counts[3]);
	print_breaches(sv);
	if (!sv->have_counts)
		return;
	printf("outbox: %" PRId64 " waiting, %" PRId64 " failed%s\n",
	    sv->outbox_pending, sv->outbox_failed,
	    sv->outbox_failed > 0 ?
		" (triage outbox --failed; retry with triage outbox retry ID)" :
		"");
	for (size_t i = 0; i < sv->n_failed; i++) {
		const struct store_outbox *o = &sv->failed[i];

		printf("  failed: row %" PRId64 " ticket #%" PRId64 " %s to %s:"
		       " %s\n",
		    o->id, o->ticket_id, o->kind,
		    o->route != NULL ? o->route :
		    o->rcpt != NULL  ? o->rcpt :
				       "?",
		    o->last_error != NULL ? o->last_error : "");
	}
	print_webhooks(sv);
}

static json_object *
json_counts(const struct mailbox_counts *c)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "pending",
	    json_object_new_int64((int64_t)c->pending));
	json_object_object_add(o, "stored",
	    json_object_new_int64((int64_t)c->stored));
	json_object_object_add(o, "problems",
	    json_object_new_int64((int64_t)c->problems));
	json_object_object_add(o, "failed",
	    json_object_new_int64((int64_t)c->failed));
	json_object_object_add(o, "ignored",
	    json_object_new_int64((int64_t)c->ignored));
	json_object_object_add(o, "duplicate",
	    json_object_new_int64((int64_t)c->duplicate));
	json_object_object_add(o, "too_big",
	    json_object_new_int64((int64_t)c->too_big));
	json_object_object_add(o, "gone",
	    json_object_new_int64((int64_t)c->gone));
	return o;
}

json_object *
status_json_time(int64_t t)
{
	char buf[32];

	if (t == 0)
		return NULL;
	status_iso_time(t, buf, sizeof(buf));
	return json_object_new_string(buf);
}

json_object *
status_json_mailbox(const struct mailbox_status *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(s->name));
	json_object_object_add(o, "state",
	    json_object_new_string(mailbox_state_name(s->state)));
	json_object_object_add(o, "connected",
	    json_object_new_boolean(s->connected));
	json_object_object_add(o, "idle", json_object_new_boolean(s->idle));
	json_object_object_add(o, "until", status_json_time(s->until));
	json_object_object_add(o, "failures",
	    json_object_new_int((int)s->failures));
	json_object_object_add(o, "last_error",
	    s->last_error[0] != '\0' ? json_object_new_string(s->last_error) :
				       NULL);
	json_object_object_add(o, "last_poll", status_json_time(s->last_sync));
	json_object_object_add(o, "uidvalidity",
	    json_object_new_int64(s->uidvalidity));
	json_object_object_add(o, "last_uid",
	    json_object_new_int64(s->last_uid));
	json_object_object_add(o, "last", json_counts(&s->last));
	json_object_object_add(o, "total", json_counts(&s->total));
	return o;
}

static void
json_outbox(json_object *root, const struct status_view *sv)
{
	json_object *a = json_object_new_array();

	json_object_object_add(root, "outbox_pending",
	    json_object_new_int64(sv->outbox_pending));
	json_object_object_add(root, "outbox_failed",
	    json_object_new_int64(sv->outbox_failed));
	for (size_t i = 0; i < sv->n_failed; i++) {
		const struct store_outbox *o = &sv->failed[i];
		json_object *f = json_object_new_object();

		json_object_object_add(f, "id", json_object_new_int64(o->id));
		json_object_object_add(f, "ticket",
		    json_object_new_int64(o->ticket_id));
		json_object_object_add(f, "kind",
		    json_object_new_string(o->kind));
		json_object_object_add(f, "to",
		    json_object_new_string(o->route != NULL ? o->route :
					   o->rcpt != NULL  ? o->rcpt :
							      ""));
		json_object_object_add(f, "error",
		    json_object_new_string(
			o->last_error != NULL ? o->last_error : ""));
		json_object_array_add(a, f);
	}
	json_object_object_add(root, "outbox_failures", a);
	json_object_object_add(root, "webhooks_pending",
	    json_object_new_int64(sv->hooks_pending + sv->hooks_sending));
	json_object_object_add(root, "webhooks_failed",
	    json_object_new_int64(sv->hooks_failed));
	a = json_object_new_array();
	for (size_t i = 0; i < sv->n_hooks; i++) {
		const struct store_webhook *w = &sv->hooks[i];
		json_object *f = json_object_new_object();

		json_object_object_add(f, "id", json_object_new_int64(w->id));
		json_object_object_add(f, "ticket",
		    json_object_new_int64(w->ticket_id));
		json_object_object_add(f, "state",
		    json_object_new_string(w->state));
		json_object_object_add(f, "url",
		    json_object_new_string(w->url));
		json_object_object_add(f, "error",
		    json_object_new_string(
			w->last_error != NULL ? w->last_error : ""));
		json_object_array_add(a, f);
	}
	json_object_object_add(root, "webhook_problems", a);
}

/* "sla_breaches": {"total", "queues": {Q: n}, "oldest": {...}|null} */
static void
json_breaches(json_object *root, const struct status_view *sv)
{
	const struct sla_breaches *b = &sv->breaches;
	json_object *o, *q, *old = NULL;

	if (!sv->have_breaches)
		return;
	o = json_object_new_object();
	q = json_object_new_object();
	json_object_object_add(o, "total",
	    json_object_new_int64((int64_t)b->total));
	for (size_t i = 0; i < b->n; i++)
		json_object_object_add(q, b->v[i].queue,
		    json_object_new_int64((int64_t)b->v[i].n));
	json_object_object_add(o, "queues", q);
	if (b->total > 0) {
		old = json_object_new_object();
		json_object_object_add(old, "ticket",
		    json_object_new_int64(b->oldest_id));
		json_object_object_add(old, "clock",
		    json_object_new_string(b->oldest_clock));
		json_object_object_add(old, "deadline",
		    status_json_time(b->oldest_deadline));
	}
	json_object_object_add(o, "oldest", old);
	json_object_object_add(root, "sla_breaches", o);
}

/* "daemon" and "mailboxes" from the status file. */
static void
json_file_status(json_object *root, const struct status_view *sv)
{
	json_object *d = json_object_new_object(), *a;

	json_object_object_add(d, "running",
	    json_object_new_boolean(sv->running));
	json_object_object_add(d, "pid",
	    sv->have ? json_object_new_int64(sv->pid) : NULL);
	json_object_object_add(d, "updated", status_json_time(sv->updated));
	json_object_object_add(root, "daemon", d);
	a = json_object_new_array();
	for (size_t i = 0; i < sv->n; i++)
		json_object_array_add(a, status_json_mailbox(&sv->v[i]));
	json_object_object_add(root, "mailboxes", a);
}

static void
print_json(const struct status_view *sv)
{
	json_object *root = json_object_new_object();

	if (sv->shared != NULL)
		status_shared_json(sv->shared, root);
	else
		json_file_status(root, sv);
	for (size_t i = 0; sv->have_counts && i < 4; i++)
		json_object_object_add(root, count_names[i],
		    json_object_new_int64(sv->counts[i]));
	if (sv->have_counts)
		json_outbox(root, sv);
	json_breaches(root, sv);
	printf("%s\n",
	    json_object_to_json_string_ext(root,
		JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

int
cli_status(struct cli *cli, int argc, char **argv)
{
	struct conf_errors errs = { 0 };
	struct status_view sv = { 0 };
	struct conf *conf = NULL;
	const char *db = getenv("TRIAGE_DB");
	int json = 0, ch, r;

	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "db", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else if (ch == 'd')
			db = optarg;
		else
			return cli_usage(cli_find("status"));
	}
	if (optind != argc)
		return cli_usage(cli_find("status"));
	r = conf_load_flags(cli->conf_path, CONF_LOAD_NO_SECRETS, &conf, &errs);
	if (r < 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.v[i]);
		conf_errors_clear(&errs);
		return CLI_USAGE;
	}
	if (db == NULL || *db == '\0')
		db = conf->database;
	sv.is_shared = store_target_is_server(db);
	if (!sv.is_shared)
		read_status_file(db, &sv);
	read_counts(conf, db, &sv);
	if (json)
		print_json(&sv);
	else
		print_text(&sv);
	free(sv.v);
	store_outbox_free(&sv.failed, sv.n_failed);
	store_webhook_free(&sv.hooks, sv.n_hooks);
	sla_breaches_clear(&sv.breaches);
	/* a shared database that could not be read: status unknown */
	r = sv.is_shared && sv.shared == NULL ? CLI_TEMPFAIL : CLI_OK;
	status_shared_free(&sv.shared);
	conf_free(&conf);
	return r;
}
