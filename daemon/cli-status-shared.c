/*
 * `triage status` on a database several triaged share (PostgreSQL):
 * there is no status file, but the instances table (each triaged's
 * heartbeat and its status file's text, mailbox.h) and the leases table
 * (who fetches each mailbox and who runs the SLA pass, at which epoch,
 * until when; store-lease.h).  Ages and expiries are differences of the
 * database's clock read with the rows: no host's clock plays a part.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cli-status-private.h"
#include "mailbox.h"
#include "store-lease.h"
#include "xalloc.h"

/*
 * An instance is alive while its heartbeat is this recent: the daemon's
 * default lease time, after which its leases are anyone's too.
 */
#define LIVE_MS (15 * 1000)

/* One instance's status text, parsed. */
struct shared_view {
	struct mailbox_status *v; /* owned */
	size_t n;
	struct error err; /* why the text did not parse; code 0 if it did */
};

struct status_shared {
	struct store_instance *inst; /* owned: newest heartbeat first */
	size_t n_inst;
	struct shared_view *views;  /* owned: one per instance */
	struct store_lease *leases; /* owned: by name */
	size_t n_leases;
};

static int64_t
heartbeat_age(const struct store_instance *in)
{
	return in->now > in->heartbeat ? in->now - in->heartbeat : 0;
}

static int
instance_live(const struct store_instance *in)
{
	return heartbeat_age(in) <= LIVE_MS;
}

static void
parse_view(const struct store_instance *in, struct shared_view *view)
{
	int64_t updated;
	pid_t pid;

	/* a triaged that has not written its status yet has no records */
	if (in->status == NULL || in->status[0] == '\0')
		return;
	(void)mailbox_status_parse(in->status, in->id, &pid, &updated, &view->v,
	    &view->n, &view->err);
}

int
status_shared_read(struct store *st, struct status_shared **sh_r,
    struct error *err)
{
	struct status_shared *sh = xcalloc(1, sizeof(*sh));

	if (store_instances(st, &sh->inst, &sh->n_inst, err) < 0 ||
	    store_leases(st, "", &sh->leases, &sh->n_leases, err) < 0) {
		status_shared_free(&sh);
		return -1;
	}
	sh->views = xcalloc(sh->n_inst + 1, sizeof(*sh->views));
	for (size_t i = 0; i < sh->n_inst; i++)
		parse_view(&sh->inst[i], &sh->views[i]);
	*sh_r = sh;
	return 0;
}

void
status_shared_free(struct status_shared **shp)
{
	struct status_shared *sh = *shp;

	if (sh == NULL)
		return;
	for (size_t i = 0; sh->views != NULL && i < sh->n_inst; i++)
		free(sh->views[i].v);
	free(sh->views);
	store_instances_free(&sh->inst, sh->n_inst);
	store_leases_free(&sh->leases, sh->n_leases);
	free(sh);
	*shp = NULL;
}

static size_t
count_live(const struct status_shared *sh)
{
	size_t n = 0;

	for (size_t i = 0; i < sh->n_inst; i++)
		n += instance_live(&sh->inst[i]);
	return n;
}

int
status_shared_running(const struct status_shared *sh)
{
	return count_live(sh) > 0;
}

/* The mailbox a lease is for, or NULL for another lease ("sla"). */
static const char *
lease_mailbox(const struct store_lease *l)
{
	size_t len = strlen(STORE_LEASE_MAILBOX);

	return strncmp(l->name, STORE_LEASE_MAILBOX, len) == 0 ? l->name + len :
								 NULL;
}

/* "free", "expired" or "held". */
static const char *
lease_state(const struct store_lease *l)
{
	if (l->owner[0] == '\0')
		return "free";
	return l->expires <= l->now ? "expired" : "held";
}

static void
print_instance(const struct store_instance *in, const struct shared_view *view)
{
	char line[1024];

	if (!instance_live(in)) {
		printf("  %s: no heartbeat for %" PRId64 " s (stopped?)\n",
		    in->id, heartbeat_age(in) / 1000);
		return;
	}
	printf("  %s: heartbeat %" PRId64 " s ago\n", in->id,
	    heartbeat_age(in) / 1000);
	if (view->err.code != ERR_NONE)
		printf("    %s\n", view->err.msg);
	for (size_t i = 0; i < view->n; i++) {
		mailbox_status_format(&view->v[i], line, sizeof(line));
		printf("    %s\n", line);
	}
}

static void
print_lease(const struct store_lease *l)
{
	const char *mailbox = lease_mailbox(l), *state = lease_state(l);

	if (mailbox != NULL)
		printf("  mailbox %s: ", mailbox);
	else
		printf("  %s: ", l->name);
	if (strcmp(state, "free") == 0)
		printf("free (epoch %" PRId64 ")\n", l->epoch);
	else if (strcmp(state, "expired") == 0)
		printf("%s, epoch %" PRId64 ", expired\n", l->owner, l->epoch);
	else /* whole seconds left, rounded up: never "in 0 s" */
		printf("%s, epoch %" PRId64 ", expires in %" PRId64 " s\n",
		    l->owner, l->epoch, (l->expires - l->now + 999) / 1000);
}

void
status_shared_print(const struct status_shared *sh)
{
	size_t live = count_live(sh);

	if (sh->n_inst == 0)
		printf("triaged: no instance has run with this database\n");
	else
		printf("triaged: %zu instance%s running on this database\n",
		    live, live == 1 ? "" : "s");
	for (size_t i = 0; i < sh->n_inst; i++)
		print_instance(&sh->inst[i], &sh->views[i]);
	if (sh->n_leases == 0) {
		printf("leases: none taken yet\n");
		return;
	}
	printf("leases:\n");
	for (size_t i = 0; i < sh->n_leases; i++)
		print_lease(&sh->leases[i]);
}

static json_object *
json_instance(const struct store_instance *in, const struct shared_view *view)
{
	json_object *o = json_object_new_object(), *a;

	json_object_object_add(o, "id", json_object_new_string(in->id));
	json_object_object_add(o, "host", json_object_new_string(in->host));
	json_object_object_add(o, "pid", json_object_new_int64(in->pid));
	json_object_object_add(o, "started", status_json_time(in->started));
	json_object_object_add(o, "heartbeat",
	    status_json_time(in->heartbeat / 1000));
	json_object_object_add(o, "heartbeat_age_ms",
	    json_object_new_int64(heartbeat_age(in)));
	json_object_object_add(o, "running",
	    json_object_new_boolean(instance_live(in)));
	json_object_object_add(o, "status_error",
	    view->err.code != ERR_NONE ? json_object_new_string(view->err.msg) :
					 NULL);
	a = json_object_new_array();
	for (size_t i = 0; i < view->n; i++)
		json_object_array_add(a, status_json_mailbox(&view->v[i]));
	json_object_object_add(o, "mailboxes", a);
	return o;
}

static json_object *
json_lease(const struct store_lease *l)
{
	json_object *o = json_object_new_object();
	const char *mailbox = lease_mailbox(l), *state = lease_state(l);
	int free_ = strcmp(state, "free") == 0;

	json_object_object_add(o, "name", json_object_new_string(l->name));
	json_object_object_add(o, "mailbox",
	    mailbox != NULL ? json_object_new_string(mailbox) : NULL);
	json_object_object_add(o, "state", json_object_new_string(state));
	json_object_object_add(o, "owner",
	    free_ ? NULL : json_object_new_string(l->owner));
	json_object_object_add(o, "epoch", json_object_new_int64(l->epoch));
	json_object_object_add(o, "expires_in_ms",
	    free_ ? NULL : json_object_new_int64(l->expires - l->now));
	return o;
}

/*
 * The record of `mailbox` in the status of the live instance holding
 * its lease, or NULL.
 */
static const struct mailbox_status *
holder_record(const struct status_shared *sh, const struct store_lease *l,
    const char *mailbox)
{
	if (strcmp(lease_state(l), "held") != 0)
		return NULL;
	for (size_t i = 0; i < sh->n_inst; i++) {
		const struct shared_view *view = &sh->views[i];

		if (strcmp(sh->inst[i].id, l->owner) != 0 ||
		    !instance_live(&sh->inst[i]))
			continue;
		for (size_t j = 0; j < view->n; j++) {
			if (strcmp(view->v[j].name, mailbox) == 0)
				return &view->v[j];
		}
	}
	return NULL;
}

/* Each held mailbox as its holder reports it, with owner and epoch. */
static json_object *
json_held_mailboxes(const struct status_shared *sh)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < sh->n_leases; i++) {
		const struct store_lease *l = &sh->leases[i];
		const char *mailbox = lease_mailbox(l);
		const struct mailbox_status *s;
		json_object *o;

		if (mailbox == NULL)
			continue;
		s = holder_record(sh, l, mailbox);
		if (s == NULL)
			continue;
		o = status_json_mailbox(s);
		json_object_object_add(o, "owner",
		    json_object_new_string(l->owner));
		json_object_object_add(o, "epoch",
		    json_object_new_int64(l->epoch));
		json_object_array_add(a, o);
	}
	return a;
}

void
status_shared_json(const struct status_shared *sh, json_object *root)
{
	json_object *d = json_object_new_object(), *a;
	int64_t newest = sh->n_inst > 0 ? sh->inst[0].heartbeat / 1000 : 0;

	json_object_object_add(d, "running",
	    json_object_new_boolean(status_shared_running(sh)));
	json_object_object_add(d, "pid", NULL);
	json_object_object_add(d, "updated", status_json_time(newest));
	json_object_object_add(d, "instances",
	    json_object_new_int64((int64_t)count_live(sh)));
	json_object_object_add(root, "daemon", d);
	json_object_object_add(root, "mailboxes", json_held_mailboxes(sh));
	a = json_object_new_array();
	for (size_t i = 0; i < sh->n_inst; i++)
		json_object_array_add(a,
		    json_instance(&sh->inst[i], &sh->views[i]));
	json_object_object_add(root, "instances", a);
	a = json_object_new_array();
	for (size_t i = 0; i < sh->n_leases; i++)
		json_object_array_add(a, json_lease(&sh->leases[i]));
	json_object_object_add(root, "leases", a);
}
