/*
 * Several triaged on one database (../shared/SCALE.md): the lease
 * keeper.  Each mailbox has a lease row (store-lease.h); a worker
 * fetches only while this instance holds its mailbox's lease.  The
 * keeper runs on a ticker with a database connection of its own, every
 * third of the lease time:
 *
 *   renew    every lease we hold; one another instance took (ours had
 *            expired) is lost: its worker stops at once
 *   beat     our row in the instances table, with the status text
 *   balance  N live instances (a heartbeat within the lease time) share
 *            the M mailboxes: take free or expired leases up to
 *            ceil(M/N), mark the surplus to give back; a worker gives
 *            it back at its next batch boundary, the keeper releases it
 *
 * The commit is fenced on the epoch (daemon-commit.c), so a keeper that
 * is late -- a stopped process, an unreachable database -- costs a lost
 * lease, never a batch stored or acted on twice.  Only daemon.c, the
 * workers and the committer call this file; it calls daemon-event.c.
 */
#include "daemon-private.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "mailbox.h"
#include "ticker.h"
#include "xalloc.h"

#define LEASE_MS_DEFAULT 15000

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
lease_ms(const struct daemon *d)
{
	return d->opts.lease_ms > 0 ? d->opts.lease_ms : LEASE_MS_DEFAULT;
}

/* The keeper's connection, opened (again) when needed. */
static int
keeper_store(struct daemon *d)
{
	struct error err = { 0 };

	if (d->keeper_st != NULL)
		return 0;
	if (store_open_pw(d->conf->database, d->conf->db_password_file,
		&d->keeper_st, &err) < 0) {
		if (!d->keeper_failing)
			daemon_log(d, LOG_LVL_WARN, NULL,
			    "leases: %s (retrying; not repeated)", err.msg);
		d->keeper_failing = 1;
		return -1;
	}
	store_set_owner_id(d->keeper_st, d->owner);
	if (d->keeper_failing)
		daemon_log(d, LOG_LVL_NOTICE, NULL,
		    "leases: the database answers again");
	d->keeper_failing = 0;
	return 0;
}

/* A statement failed: say so once; the next turn reconnects. */
static void
keeper_fail(struct daemon *d, const char *what, const struct error *err)
{
	if (!d->keeper_failing)
		daemon_log(d, LOG_LVL_WARN, NULL,
		    "leases: %s: %s (retrying; not repeated)", what, err->msg);
	d->keeper_failing = 1;
	store_close(&d->keeper_st);
}

char *
daemon_lease_holder(struct store *st, const char *name)
{
	struct store_lease *v = NULL;
	struct error err = { 0 };
	char *holder = NULL;
	size_t n = 0;

	if (store_leases(st, name, &v, &n, &err) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].name, name) == 0 && v[i].owner[0] != '\0')
			holder = xstrdup(v[i].owner);
	}
	store_leases_free(&v, n);
	return holder;
}

void
daemon_lease_wake(struct daemon_worker *w)
{
	uint64_t one = 1;

	/* a full counter (EAGAIN) is a wake-up already */
	if (w->lease_fd >= 0 && write(w->lease_fd, &one, sizeof(one)) < 0)
		return;
}

int
daemon_lease_ok(struct daemon_worker *w)
{
	int ok;

	pthread_mutex_lock(&w->d->lock);
	ok = w->epoch != 0 && !w->give_back;
	pthread_mutex_unlock(&w->d->lock);
	return ok;
}

int
daemon_lease_busy(struct daemon_worker *w)
{
	int ok;

	pthread_mutex_lock(&w->d->lock);
	ok = w->epoch != 0 && !w->give_back;
	if (ok)
		w->lease_idle = 0;
	pthread_mutex_unlock(&w->d->lock);
	return ok;
}

void
daemon_lease_idle(struct daemon_worker *w)
{
	pthread_mutex_lock(&w->d->lock);
	w->lease_idle = 1;
	pthread_mutex_unlock(&w->d->lock);
	ticker_wake(w->d->keeper);
}

void
daemon_lease_lost(struct daemon_worker *w, int64_t epoch, const char *holder)
{
	struct daemon *d = w->d;

	pthread_mutex_lock(&d->lock);
	if (w->epoch != epoch) {
		pthread_mutex_unlock(&d->lock);
		return; /* said already */
	}
	w->epoch = 0;
	w->give_back = 0;
	pthread_mutex_unlock(&d->lock);
	if (holder != NULL)
		daemon_log(d, LOG_LVL_WARN, w->mb->name,
		    "lease on %s lost to %s (epoch %" PRId64 "): stopping "
		    "the mailbox",
		    w->mb->name, holder, epoch);
	else
		daemon_log(d, LOG_LVL_WARN, w->mb->name,
		    "lease on %s lost: it expired (epoch %" PRId64 ", not "
		    "renewed within %d ms): stopping the mailbox",
		    w->mb->name, epoch, lease_ms(d));
	daemon_lease_wake(w);
}

/* ---- one turn ------------------------------------------------------- */

static void
renew(struct daemon *d, struct daemon_worker *w)
{
	struct error err = { 0 };
	int64_t epoch, t0 = mono_ms();
	char *holder;
	int r;

	pthread_mutex_lock(&d->lock);
	epoch = w->epoch;
	pthread_mutex_unlock(&d->lock);
	if (epoch == 0 || d->keeper_st == NULL)
		return;
	r = store_lease_renew(d->keeper_st, w->lease, d->owner, epoch,
	    lease_ms(d), &err);
	if (r == 1) {
		pthread_mutex_lock(&d->lock);
		if (w->epoch == epoch)
			w->renewed = t0;
		pthread_mutex_unlock(&d->lock);
	} else if (r == 0) {
		holder = daemon_lease_holder(d->keeper_st, w->lease);
		daemon_lease_lost(w, epoch, holder);
		free(holder);
	} else {
		keeper_fail(d, "renewing", &err);
	}
}

/* Leases we could not renew in time are lost, whoever takes them. */
static void
expire(struct daemon *d, struct daemon_worker *w)
{
	int64_t epoch = 0;

	pthread_mutex_lock(&d->lock);
	if (w->epoch != 0 && mono_ms() - w->renewed >= lease_ms(d))
		epoch = w->epoch;
	pthread_mutex_unlock(&d->lock);
	if (epoch != 0)
		daemon_lease_lost(w, epoch, NULL);
}

static void
beat(struct daemon *d)
{
	struct store_instance me = { 0 };
	struct mailbox_status *v = xcalloc(d->n, sizeof(*v));
	struct error err = { 0 };
	char host[256];

	pthread_mutex_lock(&d->lock);
	memcpy(v, d->status, d->n * sizeof(*v));
	pthread_mutex_unlock(&d->lock);
	if (gethostname(host, sizeof(host)) < 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	me.id = d->owner;
	me.host = host;
	me.pid = getpid();
	me.started = d->started;
	me.status = mailbox_status_text(getpid(), time(NULL), v, d->n);
	if (d->keeper_st != NULL &&
	    store_instance_beat(d->keeper_st, &me, &err) < 0)
		keeper_fail(d, "heartbeat", &err);
	free(me.status);
	free(v);
}

/* Instances whose heartbeat is within the lease time; 0: unknown. */
static size_t
live_instances(struct daemon *d)
{
	struct store_instance *v = NULL;
	struct error err = { 0 };
	size_t n = 0, live = 0;

	if (d->keeper_st == NULL)
		return 0;
	if (store_instances(d->keeper_st, &v, &n, &err) < 0) {
		keeper_fail(d, "instances", &err);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		live += v[i].now - v[i].heartbeat <= lease_ms(d);
	store_instances_free(&v, n);
	return live > 0 ? live : 1;
}

/* Where this instance starts looking, so instances try different rows. */
static size_t
first_look(const struct daemon *d)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (const char *p = d->owner; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % d->n;
}

static void
take(struct daemon *d, struct daemon_worker *w, size_t *held)
{
	struct error err = { 0 };
	int64_t epoch = 0, t0 = mono_ms();
	int r, mine;

	pthread_mutex_lock(&d->lock);
	mine = w->epoch != 0;
	pthread_mutex_unlock(&d->lock);
	if (mine || d->keeper_st == NULL)
		return;
	r = store_lease_take(d->keeper_st, w->lease, d->owner, lease_ms(d),
	    &epoch, NULL, &err);
	if (r < 0) {
		keeper_fail(d, "taking a lease", &err);
		return;
	}
	if (r == 0)
		return;
	pthread_mutex_lock(&d->lock);
	w->epoch = epoch;
	w->renewed = t0;
	w->give_back = 0;
	pthread_mutex_unlock(&d->lock);
	(*held)++;
	daemon_log(d, LOG_LVL_INFO, w->mb->name,
	    "lease on %s taken (epoch %" PRId64 ")", w->mb->name, epoch);
	daemon_lease_wake(w);
}

/* A surplus lease whose worker stopped at a batch boundary goes back. */
static void
release_idle(struct daemon *d, struct daemon_worker *w)
{
	struct error err = { 0 };
	int64_t epoch = 0;

	pthread_mutex_lock(&d->lock);
	if (w->epoch != 0 && w->give_back && w->lease_idle) {
		epoch = w->epoch;
		w->epoch = 0;
		w->give_back = 0;
	}
	pthread_mutex_unlock(&d->lock);
	if (epoch == 0 || d->keeper_st == NULL)
		return;
	if (store_lease_release(d->keeper_st, w->lease, d->owner, epoch, &err) <
	    0) {
		keeper_fail(d, "giving a lease back", &err);
		return; /* it expires on its own */
	}
	daemon_log(d, LOG_LVL_INFO, w->mb->name,
	    "lease on %s given back (epoch %" PRId64 ")", w->mb->name, epoch);
}

/* Take up to our fair share, give back what is past it. */
static void
balance(struct daemon *d, size_t live)
{
	size_t held = 0, share, start;

	if (live == 0)
		return; /* how many we are is unknown: change nothing */
	share = d->opts.once ? d->n : (d->n + live - 1) / live;
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < d->n; i++)
		held += d->workers[i].epoch != 0 && !d->workers[i].give_back;
	pthread_mutex_unlock(&d->lock);
	start = first_look(d);
	for (size_t k = 0; k < d->n && held < share; k++)
		take(d, &d->workers[(start + k) % d->n], &held);
	for (size_t i = d->n; i-- > 0 && held > share;) {
		struct daemon_worker *w = &d->workers[(start + i) % d->n];
		int mark;

		pthread_mutex_lock(&d->lock);
		mark = w->epoch != 0 && !w->give_back;
		if (mark)
			w->give_back = 1;
		pthread_mutex_unlock(&d->lock);
		if (!mark)
			continue;
		held--;
		daemon_log(d, LOG_LVL_INFO, w->mb->name,
		    "giving the lease on %s back at the next batch boundary "
		    "(%zu live instances share %zu mailboxes: %zu each)",
		    w->mb->name, live, d->n, share);
		daemon_lease_wake(w);
	}
	for (size_t i = 0; i < d->n; i++)
		release_idle(d, &d->workers[i]);
}

static int64_t
keeper_turn(struct ticker *t, void *arg)
{
	struct daemon *d = arg;
	int64_t every_s = lease_ms(d) / 3000;
	int first;

	if (keeper_store(d) == 0) {
		for (size_t i = 0; i < d->n && !ticker_stopping(t); i++)
			renew(d, &d->workers[i]);
		beat(d);
		if (!ticker_stopping(t))
			balance(d, live_instances(d));
	}
	for (size_t i = 0; i < d->n; i++)
		expire(d, &d->workers[i]);
	pthread_mutex_lock(&d->lock);
	first = d->keeper_turns++ == 0;
	pthread_mutex_unlock(&d->lock);
	/* --once: a worker whose lease another holds may stop now */
	for (size_t i = 0; first && i < d->n; i++)
		daemon_lease_wake(&d->workers[i]);
	return every_s > 0 ? every_s : 1;
}

/* ---- start and stop ------------------------------------------------- */

int
daemon_lease_start(struct daemon *d, struct error *err)
{
	if (!d->opts.shared)
		return 0;
	d->owner = xstrdup(d->opts.owner);
	d->store_broken = d->st == NULL; /* a reload after a lost one */
	d->started = (int64_t)time(NULL);
	for (size_t i = 0; i < d->n; i++) {
		struct daemon_worker *w = &d->workers[i];

		snprintf(w->lease, sizeof(w->lease), "%s%s",
		    STORE_LEASE_MAILBOX, w->mb->name);
		w->lease_idle = 1;
		w->lease_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (w->lease_fd < 0)
			return error_set(err, ERR_INTERNAL, "eventfd: %s",
			    strerror(errno));
	}
	return ticker_start(keeper_turn, d, &d->keeper, err);
}

void
daemon_lease_stop(struct daemon *d)
{
	struct error err = { 0 };

	if (!d->opts.shared)
		return;
	ticker_free(&d->keeper, 0);
	if (d->owner != NULL && keeper_store(d) == 0) {
		for (size_t i = 0; i < d->n && d->keeper_st != NULL; i++) {
			struct daemon_worker *w = &d->workers[i];

			if (w->epoch == 0)
				continue;
			if (store_lease_release(d->keeper_st, w->lease,
				d->owner, w->epoch, &err) < 0)
				keeper_fail(d, "releasing", &err);
			else
				daemon_log(d, LOG_LVL_INFO, w->mb->name,
				    "lease on %s released (epoch %" PRId64 ")",
				    w->mb->name, w->epoch);
			w->epoch = 0;
		}
		if (d->keeper_st != NULL &&
		    store_instance_remove(d->keeper_st, d->owner, &err) < 0)
			keeper_fail(d, "removing our instance row", &err);
	}
	store_close(&d->keeper_st);
	for (size_t i = 0; i < d->n; i++) {
		if (d->workers[i].lease_fd >= 0)
			close(d->workers[i].lease_fd);
		d->workers[i].lease_fd = -1;
	}
	free(d->owner);
	d->owner = NULL;
}
