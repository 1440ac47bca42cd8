/*
 * One mailbox's worker thread: connect, log in, select, drain past the
 * checkpoint in batches, apply post-actions after each commit, wait for
 * mail, and back off on any failure.  See daemon.h.
 */
#include "daemon-private.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "imap.h"
#include "ingest.h"
#include "progress.h"
#include "xalloc.h"

/*
 * Bytes per UID FETCH: libetpan holds a whole response in memory twice
 * (read, then parsed) while the worker copies each body out, so a
 * batch is fetched in pieces of this size; they still pipeline, and the
 * batch handed on is as large as before.
 */
#define FETCH_BYTES (1024 * 1024)

/* session() and poll_once(): a shared database's lease is gone or goes
 * back; the worker waits for it again (no failure, no backoff). */
#define LEASE_GONE 1

static int
is_stopping(struct daemon *d)
{
	int s;

	pthread_mutex_lock(&d->lock);
	s = d->stopping;
	pthread_mutex_unlock(&d->lock);
	return s;
}

/*
 * What a worker's waits poll: on a shared database its lease_fd, which
 * the keeper writes when the lease changes and daemon_stop writes too;
 * else the daemon's stop_fd.
 */
static int
wake_fd(const struct daemon_worker *w)
{
	return w->lease_fd >= 0 ? w->lease_fd : w->d->stop_fd;
}

/* Take the wake-ups so far: the caller looks at what changed next. */
static void
wake_ack(struct daemon_worker *w)
{
	uint64_t v;

	/* EAGAIN: nothing to take */
	if (w->lease_fd >= 0 && read(w->lease_fd, &v, sizeof(v)) < 0)
		return;
}

/* Sleep up to ms, or until woken: 1 when the daemon stops. */
static int
wait_stop(struct daemon_worker *w, int64_t ms)
{
	struct pollfd pfd = { .fd = wake_fd(w), .events = POLLIN };

	if (ms > INT32_MAX)
		ms = INT32_MAX;
	if (ms > 0)
		(void)poll(&pfd, 1, (int)ms);
	wake_ack(w);
	return is_stopping(w->d);
}

/* Shared: w's lease is no longer the one `epoch` names. */
static int
lease_changed(struct daemon_worker *w, int64_t epoch)
{
	int changed;

	pthread_mutex_lock(&w->d->lock);
	changed = w->epoch != epoch;
	pthread_mutex_unlock(&w->d->lock);
	return changed;
}

static struct daemon_job *
job_new(struct daemon_worker *w, enum daemon_job_kind kind)
{
	struct daemon_job *job = xcalloc(1, sizeof(*job));

	job->kind = kind;
	job->w = w;
	pthread_mutex_lock(&w->d->lock);
	job->epoch = w->epoch; /* shared: the lease it is fenced on */
	pthread_mutex_unlock(&w->d->lock);
	return job;
}

/* ---- status ---------------------------------------------------------- */

static void
status_update(struct daemon_worker *w, enum mailbox_state state, int64_t until)
{
	struct daemon *d = w->d;
	struct mailbox_status *s = &d->status[w->index];

	pthread_mutex_lock(&d->lock);
	s->state = state;
	s->until = until;
	s->connected = w->imap != NULL;
	pthread_mutex_unlock(&d->lock);
	daemon_wake(d);
}

static void
status_checkpoint(struct daemon_worker *w, uint32_t uidvalidity,
    uint32_t last_uid)
{
	struct daemon *d = w->d;
	struct mailbox_status *s = &d->status[w->index];

	pthread_mutex_lock(&d->lock);
	s->uidvalidity = uidvalidity;
	s->last_uid = last_uid;
	s->acted_uid = w->acted_uid;
	pthread_mutex_unlock(&d->lock);
	daemon_wake(d);
}

/* ---- connecting ------------------------------------------------------ */

static void
set_sock(struct daemon_worker *w, int fd)
{
	pthread_mutex_lock(&w->d->lock);
	w->sock = fd;
	pthread_mutex_unlock(&w->d->lock);
}

static void
disconnect(struct daemon_worker *w, int polite)
{
	if (w->imap == NULL)
		return;
	if (polite)
		imap_logout(w->imap);
	set_sock(w, -1);
	imap_free(&w->imap);
}

static int
worker_connect(struct daemon_worker *w, struct error *err)
{
	const struct conf_mailbox *mb = w->mb;
	struct conf_server srv = mb->imap;
	char *password = NULL;
	int r;

	status_update(w, MBOX_CONNECTING, 0);
	if (srv.password == NULL && srv.oauth2_token_file == NULL &&
	    srv.oauth2_token_command == NULL) {
		r = conf_server_password(&mb->imap, &password, err);
		if (r < 0)
			return r;
		srv.password = password;
	}
	r = imap_connect(&srv, w->d->opts.timeout_s, &w->imap, err);
	if (r < 0)
		goto out;
	set_sock(w, imap_fd(w->imap));
	r = imap_login(w->imap, &srv, err);
out:
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return r;
}

/* ---- preparing a message --------------------------------------------- */

static void
prepare_too_big(struct daemon_worker *w, const struct imap_msg *m,
    uint32_t uidvalidity, struct daemon_entry *e)
{
	char *raw, *why;
	size_t len;

	/* A stand-in to store: unique per mailbox, UIDVALIDITY and UID, so
	 * the record is kept (and found again) like any other message. */
	len = (size_t)xasprintf(&raw,
	    "X-Triage-Not-Fetched: too "
	    "large\r\nX-Triage-Mailbox: %s\r\nX-Triage-UIDVALIDITY: %" PRIu32
	    "\r\nX-Triage-UID: %" PRIu32 "\r\nX-Triage-Size: %" PRIu32
	    "\r\n\r\n",
	    w->mb->name, uidvalidity, m->uid, m->size);
	xasprintf(&why,
	    "message too large to fetch: %" PRIu32
	    " bytes, max_message_size is %zu (UID %" PRIu32 ")",
	    m->size, w->d->conf->max_message_size, m->uid);
	ingest_prepare_unparsed(raw, len, why, &e->im);
	free(why);
	e->raw_len = len;
	e->too_big = 1;
}

/* On the worker: the bytes of a fetched message, or a stand-in. */
static void
prepare_raw(struct daemon_worker *w, const struct imap_msg *m,
    uint32_t uidvalidity, struct daemon_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->uid = m->uid;
	e->size = m->size;
	if (m->status == IMAP_MSG_TOO_BIG) {
		prepare_too_big(w, m, uidvalidity, e);
		return;
	}
	e->raw = xmalloc(m->len + 1);
	memcpy(e->raw, m->data, m->len);
	e->raw[m->len] = '\0';
	e->raw_len = m->len;
}

static void
job_add(struct daemon_job *job, struct daemon_entry *e)
{
	if (job->n == job->cap) {
		job->cap = job->cap != 0 ? job->cap * 2 : 16;
		job->v = xreallocarray(job->v, job->cap, sizeof(*job->v));
	}
	job->v[job->n++] = *e;
	job->bytes += e->raw_len;
}

/* ---- after a commit: post-actions ------------------------------------ */

/* Flag or move `uids` (or, with uids NULL, every UID in first:last) in
 * one command. */
static int
post_action_once(struct daemon_worker *w, const uint32_t *uids, size_t n,
    uint32_t first, uint32_t last, struct error *err)
{
	const struct conf_mailbox *mb = w->mb;

	if (mb->after == CONF_AFTER_FLAG && uids != NULL)
		return imap_flag_seen_uids(w->imap, uids, n, err);
	if (mb->after == CONF_AFTER_FLAG)
		return imap_flag_seen_range(w->imap, first, last, err);
	if (mb->after == CONF_AFTER_MOVE && uids != NULL)
		return imap_move_uids(w->imap, uids, n, mb->after_folder, err);
	if (mb->after == CONF_AFTER_MOVE)
		return imap_move_range(w->imap, first, last, mb->after_folder,
		    err);
	return 0;
}

/*
 * The post-action; when the server refuses a move with [TRYCREATE], the
 * target is created and the move tried once more.  Any other refusal
 * (ERR_MSG, or a refused CREATE) is never skipped: the messages are
 * stored, the mailbox's post-action progress stays where it is
 * (w->action_refused; later batches are not acted on either), and the
 * poll ends as a failure, so the mailbox backs off and tries again.
 */
static int
post_action(struct daemon_worker *w, const uint32_t *uids, size_t n,
    uint32_t first, uint32_t last, struct error *err)
{
	const struct conf_mailbox *mb = w->mb;
	int r;

	if (w->action_refused)
		return 0;
	r = post_action_once(w, uids, n, first, last, err);
	if (r < 0 && err->code == ERR_MSG && mb->after == CONF_AFTER_MOVE &&
	    imap_trycreate(w->imap)) {
		daemon_log(w->d, LOG_LVL_NOTICE, mb->name,
		    "folder \"%s\" does "
		    "not exist (the server said TRYCREATE): creating it",
		    mb->after_folder);
		error_clear(err);
		r = imap_create(w->imap, mb->after_folder, err);
		if (r == 0)
			r = post_action_once(w, uids, n, first, last, err);
	}
	if (r < 0 && (err->code == ERR_MSG || err->code == ERR_BOX)) {
		daemon_log(w->d, LOG_LVL_ERR, mb->name,
		    "post-action on UIDs "
		    "%" PRIu32 ":%" PRIu32 " refused; the messages are "
		    "stored, the action is retried: %s",
		    uids != NULL ? uids[0] : first,
		    uids != NULL ? uids[n - 1] : last, err->msg);
		w->action_refused = 1;
		snprintf(w->action_error, sizeof(w->action_error), "%s",
		    err->msg);
		error_clear(err);
		return 0;
	}
	return r;
}

static int
post_actions(struct daemon_worker *w, const struct daemon_job *job,
    struct error *err)
{
	uint32_t *uids;
	int r;

	uids = xcalloc(job->n, sizeof(*uids));
	for (size_t i = 0; i < job->n; i++)
		uids[i] = job->v[i].uid;
	r = post_action(w, uids, job->n, 0, 0, err);
	free(uids);
	if (r < 0 || w->action_refused)
		return r;
	w->acted_uid = job->last_uid;
	w->acted_uidvalidity = job->uidvalidity;
	return 0;
}

/*
 * A crash (or a dropped connection) between a commit and its
 * post-actions leaves stored messages unflagged or unmoved: redo them
 * for every UID past the last one known done.  Idempotent.
 */
static int
recover_post_actions(struct daemon_worker *w, uint32_t uidvalidity,
    uint32_t last_uid, struct error *err)
{
	int r;

	if (w->mb->after == CONF_AFTER_NONE)
		return 0;
	if (w->acted_uidvalidity != uidvalidity)
		w->acted_uid = 0;
	if (w->acted_uid >= last_uid)
		return 0;
	daemon_log(w->d, LOG_LVL_NOTICE, w->mb->name,
	    "applying the "
	    "post-action to UIDs %" PRIu32 ":%" PRIu32 ", stored before the "
	    "last stop",
	    w->acted_uid + 1, last_uid);
	r = post_action(w, NULL, 0, w->acted_uid + 1, last_uid, err);
	if (r < 0 || w->action_refused)
		return r;
	w->acted_uid = last_uid;
	w->acted_uidvalidity = uidvalidity;
	return 0;
}

/* Take the oldest batch in flight off the list, once it is done. */
static struct daemon_job *
pop_oldest(struct daemon_worker *w)
{
	struct daemon_job *job = w->inflight[0];

	daemon_commit_wait(w->d, job);
	w->n_inflight--;
	memmove(&w->inflight[0], &w->inflight[1],
	    w->n_inflight * sizeof(w->inflight[0]));
	return job;
}

/* Wait for the oldest batch handed on to be stored, then act on it. */
static int
finish_oldest(struct daemon_worker *w, struct error *err)
{
	struct daemon_job *job = pop_oldest(w);
	int r;

	if (job->failed) {
		error_set(err, job->err.code,
		    "storing UIDs up to %" PRIu32 " failed: %s", job->last_uid,
		    job->err.msg);
		daemon_job_free(&job);
		return -1;
	}
	mailbox_counts_add(&w->poll, &job->counts);
	if (job->acted_uidvalidity == w->acted_uidvalidity &&
	    job->acted_uid > w->acted_saved)
		w->acted_saved = job->acted_uid; /* recorded with the batch */
	r = post_actions(w, job, err);
	status_checkpoint(w, job->uidvalidity, job->last_uid);
	daemon_job_free(&job);
	return r;
}

/* After a failure: let every batch in flight finish, act on none. */
static void
drop_inflight(struct daemon_worker *w)
{
	while (w->n_inflight > 0) {
		struct daemon_job *job = pop_oldest(w);

		if (!job->failed) {
			mailbox_counts_add(&w->poll, &job->counts);
			status_checkpoint(w, job->uidvalidity, job->last_uid);
		}
		daemon_job_free(&job);
	}
}

/* Every batch in flight stored and acted on, in order. */
static int
finish_inflight(struct daemon_worker *w, struct error *err)
{
	int r = 0;

	while (r == 0 && w->n_inflight > 0)
		r = finish_oldest(w, err);
	if (r < 0)
		drop_inflight(w);
	return r;
}

/*
 * Hand a batch on to be parsed and stored.  With DAEMON_INFLIGHT
 * batches out already, the oldest must be stored and acted on first.
 * Batches commit in order; after one fails the committer stores none of
 * the later ones, so no checkpoint ever passes a batch not stored.
 */
static int
hand_over(struct daemon_worker *w, struct daemon_job **jobp, struct error *err)
{
	int r = 0;

	if (w->n_inflight == DAEMON_INFLIGHT)
		r = finish_oldest(w, err);
	if (r < 0) {
		daemon_job_free(jobp);
		return r;
	}
	if (w->d->opts.shared) {
		/* the progress so far commits with the batch */
		(*jobp)->acted_uid = w->acted_uid;
		(*jobp)->acted_uidvalidity = w->acted_uidvalidity;
	}
	w->inflight[w->n_inflight++] = *jobp;
	daemon_prep_submit(w, *jobp);
	*jobp = NULL;
	return 0;
}

/* ---- one poll -------------------------------------------------------- */

/*
 * Shared: the flag/move progress is the database's (the previous owner
 * may have gone further than we did, or not as far as we think).
 */
static void
adopt_acted(struct daemon_worker *w, const struct daemon_job *job)
{
	w->acted_uidvalidity = (uint32_t)job->cp_acted_uidvalidity;
	w->acted_uid = (uint32_t)job->cp_acted_uid;
	w->acted_saved = w->acted_uid;
}

static int
read_checkpoint(struct daemon_worker *w, int64_t *uidvalidity_r,
    int64_t *last_uid_r, struct error *err)
{
	struct daemon_job *job = job_new(w, JOB_CHECKPOINT);
	int r = 0;

	daemon_commit_submit(w->d, job);
	daemon_commit_wait(w->d, job);
	if (job->failed)
		r = error_set(err, job->err.code, "reading the checkpoint: %s",
		    job->err.msg);
	*uidvalidity_r = job->cp_uidvalidity;
	*last_uid_r = job->cp_last_uid;
	if (r == 0 && w->d->opts.shared)
		adopt_acted(w, job);
	daemon_job_free(&job);
	return r;
}

/*
 * Shared: record the flag/move progress past what the batches carried
 * (the last batch's own post-actions, a repair), so the next owner
 * starts from there.  Nothing is in flight.
 */
static int
save_acted(struct daemon_worker *w, struct error *err)
{
	struct daemon_job *job;
	int r = 0;

	if (!w->d->opts.shared || w->acted_uidvalidity == 0 ||
	    w->acted_uid == w->acted_saved)
		return 0;
	job = job_new(w, JOB_ACTED);
	job->acted_uid = w->acted_uid;
	job->acted_uidvalidity = w->acted_uidvalidity;
	daemon_commit_submit(w->d, job);
	daemon_commit_wait(w->d, job);
	if (job->failed)
		r = error_set(err, job->err.code,
		    "recording the flag/move progress: %s", job->err.msg);
	else
		w->acted_saved = job->acted_uid;
	daemon_job_free(&job);
	return r;
}

static int
batch_full(const struct daemon *d, const struct daemon_job *job)
{
	return job->n >= d->opts.batch_count ||
	       job->bytes >= d->opts.batch_bytes;
}

/*
 * Before a batch's bodies are fetched: a batch larger than the batch
 * budget (one big message) waits until every batch in flight is stored,
 * so two big messages are never in memory at once.
 */
static int
make_room(void *arg, size_t bytes, struct error *err)
{
	struct daemon_worker *w = arg;

	if (bytes <= w->d->opts.batch_bytes || w->n_inflight == 0)
		return 0;
	return finish_inflight(w, err);
}

/* Fetch, prepare and hand over everything past `from`. */
static int
drain(struct daemon_worker *w, uint32_t uidvalidity, uint32_t from, int reset,
    struct error *err)
{
	struct daemon *d = w->d;
	struct imap_fetch_opts fo = {
		.max_size = d->conf->max_message_size,
		.batch_count = d->opts.batch_count,
		.batch_bytes = d->opts.batch_bytes < FETCH_BYTES ?
				   d->opts.batch_bytes :
				   FETCH_BYTES,
		.before_fetch = make_room,
		.arg = w,
	};
	struct imap_fetch *it = NULL;
	struct progress *p = NULL;
	struct daemon_job *job;
	struct daemon_entry e;
	struct imap_msg m;
	uint64_t seen = 0;
	int64_t epoch;
	int r;

	pthread_mutex_lock(&d->lock);
	w->commit_failed = 0; /* nothing is in flight */
	pthread_mutex_unlock(&d->lock);
	r = imap_fetch_begin(w->imap, from, &fo, &it, err);
	if (r < 0)
		return r;
	w->poll.pending = imap_fetch_count(it);
	/* a long drain (a big mailbox's first) says how far it is */
	p = progress_new(stderr, w->mb->name, w->poll.pending, PROGRESS_LINES);
	job = job_new(w, JOB_BATCH);
	job->uidvalidity = uidvalidity;
	job->last_uid = from - 1;
	epoch =
	    job->epoch; /* shared: every batch of the drain is fenced on it */
	while ((r = imap_fetch_next(it, &m, err)) == 1) {
		progress_set(p, ++seen);
		if (m.uid > job->last_uid)
			job->last_uid = m.uid;
		if (m.status == IMAP_MSG_GONE) {
			w->poll.gone++;
			continue;
		}
		prepare_raw(w, &m, uidvalidity, &e);
		job_add(job, &e);
		if (batch_full(d, job)) {
			r = hand_over(w, &job, err);
			if (r < 0)
				break;
			job = job_new(w, JOB_BATCH);
			job->uidvalidity = uidvalidity;
			job->epoch = epoch;
			job->last_uid =
			    w->inflight[w->n_inflight - 1]->last_uid;
		}
		if (is_stopping(d))
			break;
		/* shared: lost, or a surplus to give back: a batch boundary */
		if (d->opts.shared && !daemon_lease_ok(w))
			break;
	}
	imap_fetch_end(&it);
	progress_end(&p);
	if (d->opts.shared && lease_changed(w, epoch)) {
		/* lost: nothing more is stored or acted on */
		daemon_job_free(&job);
		drop_inflight(w);
		return LEASE_GONE;
	}
	if (r > 0)
		r = 0; /* stopped early: the batch in hand still commits */
	if (r < 0 && job != NULL && job->n > 0) {
		/* What arrived before the break is good: keep it. */
		struct error err2 = { 0 };

		if (hand_over(w, &job, &err2) == 0)
			drop_inflight(w);
	}
	if (r < 0) {
		daemon_job_free(&job);
		drop_inflight(w);
		return r;
	}
	if (job->n > 0 || job->last_uid >= from || reset)
		r = hand_over(w, &job, err);
	daemon_job_free(&job);
	if (r == 0)
		r = finish_inflight(w, err);
	else
		drop_inflight(w);
	return r;
}

/* A poll that found nothing is a debug line, not one a minute at info. */
static enum log_level
poll_level(int r, const struct mailbox_counts *c)
{
	if (r < 0)
		return LOG_LVL_WARN;
	if (c->pending == 0 && c->stored == 0 && c->duplicate == 0 &&
	    c->too_big == 0 && c->gone == 0)
		return LOG_LVL_DEBUG;
	return LOG_LVL_INFO;
}

static int
poll_once(struct daemon_worker *w, struct error *err)
{
	const struct conf_mailbox *mb = w->mb;
	uint32_t uidvalidity, uidnext, exists, from;
	int64_t cp_uidvalidity, cp_last;
	char counts[512];
	int r, reset = 0;

	memset(&w->poll, 0, sizeof(w->poll));
	w->action_refused = 0;
	r = imap_select(w->imap, mb->folder, &uidvalidity, &uidnext, &exists,
	    err);
	if (r < 0)
		return r;
	status_update(w, MBOX_SYNCING, 0);
	r = read_checkpoint(w, &cp_uidvalidity, &cp_last, err);
	if (r < 0)
		return r;
	/* UIDs end at 2^32 - 1: past it the server must change UIDVALIDITY */
	from = cp_last < UINT32_MAX ? (uint32_t)cp_last + 1 : UINT32_MAX;
	if (cp_uidvalidity == uidvalidity)
		status_checkpoint(w, uidvalidity, (uint32_t)cp_last);
	if (cp_uidvalidity != 0 && cp_uidvalidity != uidvalidity) {
		daemon_log(w->d, LOG_LVL_NOTICE, mb->name,
		    "folder \"%s\": "
		    "UIDVALIDITY changed from %" PRId64 " to %" PRIu32
		    " (folder recreated?): rescanning all %" PRIu32
		    " messages; those already stored (same Message-ID) are "
		    "skipped",
		    mb->folder, cp_uidvalidity, uidvalidity, exists);
		from = 1;
		reset = 1;
	} else if (cp_uidvalidity == uidvalidity) {
		r = recover_post_actions(w, uidvalidity, (uint32_t)cp_last,
		    err);
		if (r < 0)
			return r;
	} else {
		reset = 1; /* first contact: record UIDVALIDITY */
	}
	r = drain(w, uidvalidity, from, reset, err);
	if (r == 0)
		r = save_acted(w, err);
	if (r == 0 && w->action_refused)
		r = error_set(err, ERR_BOX,
		    "post-action refused (UIDs past "
		    "%" PRIu32 " stored but not %s): %s",
		    w->acted_uid,
		    mb->after == CONF_AFTER_MOVE ? "moved" : "flagged",
		    w->action_error);
	mailbox_counts_format(&w->poll, counts, sizeof(counts));
	daemon_log(w->d, poll_level(r, &w->poll), mb->name, "poll%s: %s",
	    r < 0	    ? " (interrupted)" :
	    r == LEASE_GONE ? " (lease lost)" :
			      "",
	    counts);
	if (w->poll.too_big > 0)
		daemon_log(w->d, LOG_LVL_WARN, mb->name,
		    "%" PRIu64 " message%s"
		    " over max_message_size recorded but not fetched (see "
		    "`triage reprocess --failed`)",
		    w->poll.too_big, w->poll.too_big == 1 ? "" : "s");
	return r;
}

/* ---- waiting for mail ------------------------------------------------ */

/*
 * IDLE until the server says something (new mail), the renewal time
 * comes (servers drop an IDLE after 30 minutes) or the daemon stops.
 * Returns 1 to stop, 0 to poll again, -1 when the connection failed.
 */
static int
wait_idle(struct daemon_worker *w, struct error *err)
{
	struct daemon *d = w->d;
	int r;

	r = imap_idle_start(w->imap, err);
	if (r < 0)
		return r;
	status_update(w, MBOX_IDLING, 0);
	if (r == 0)
		r = imap_idle_wait(w->imap, wake_fd(w),
		    d->opts.idle_renew_s * 1000, err);
	if (r < 0)
		return r;
	if (r == 0 && !is_stopping(d))
		daemon_log(d, LOG_LVL_DEBUG, w->mb->name,
		    "no news in %d s "
		    "of IDLE: renewing it",
		    d->opts.idle_renew_s);
	r = imap_idle_done(w->imap, err);
	if (r < 0)
		return r;
	return is_stopping(d);
}

static int
wait_for_mail(struct daemon_worker *w, struct error *err)
{
	struct daemon *d = w->d;
	int64_t ms = (int64_t)d->conf->poll_interval * 1000;
	int idle = !d->opts.no_idle && imap_has_capability(w->imap, "IDLE");

	pthread_mutex_lock(&d->lock);
	d->status[w->index].idle = idle;
	pthread_mutex_unlock(&d->lock);
	/* a lease change from now on ends the wait (session() looks) */
	wake_ack(w);
	if (d->opts.shared && !daemon_lease_ok(w))
		return 0;
	if (idle)
		return wait_idle(w, err);
	status_update(w, MBOX_WAITING,
	    (int64_t)time(NULL) + d->conf->poll_interval);
	return wait_stop(w, ms);
}

/* ---- the thread ------------------------------------------------------ */

/*
 * Returns 0 when asked to stop (or --once is done), LEASE_GONE when a
 * shared database's lease went (lost, or given back), -1 on a failure.
 */
static int
session(struct daemon_worker *w, struct error *err)
{
	struct daemon *d = w->d;
	struct mailbox_status *s = &d->status[w->index];
	int r;

	r = worker_connect(w, err);
	if (r < 0)
		return r;
	for (;;) {
		if (d->opts.shared && !daemon_lease_ok(w))
			return LEASE_GONE;
		r = poll_once(w, err);
		if (r != 0)
			return r;
		backoff_reset(&w->backoff);
		pthread_mutex_lock(&d->lock);
		mailbox_status_synced(s, &w->poll, (int64_t)time(NULL));
		w->failed = 0;
		pthread_mutex_unlock(&d->lock);
		if (d->opts.once || is_stopping(d))
			return 0;
		r = wait_for_mail(w, err);
		if (r != 0)
			return r > 0 ? 0 : r;
	}
}

static void
record_failure(struct daemon_worker *w, const struct error *err,
    int64_t delay_ms)
{
	struct daemon *d = w->d;
	int64_t now = (int64_t)time(NULL);

	pthread_mutex_lock(&d->lock);
	w->failed = 1;
	mailbox_status_fail(&d->status[w->index], err->msg, now,
	    now + (delay_ms + 999) / 1000);
	pthread_mutex_unlock(&d->lock);
	daemon_wake(d);
}

/*
 * Shared: wait until the keeper holds w's lease (no connection to the
 * server meanwhile).  1 to stop: the daemon stops, or --once and
 * another instance holds it.
 */
static int
wait_lease(struct daemon_worker *w)
{
	struct daemon *d = w->d;
	int turns;

	daemon_lease_idle(w);
	while (!is_stopping(d)) {
		if (daemon_lease_busy(w))
			return 0;
		pthread_mutex_lock(&d->lock);
		turns = d->keeper_turns;
		pthread_mutex_unlock(&d->lock);
		if (d->opts.once && turns > 0) {
			daemon_log(d, LOG_LVL_NOTICE, w->mb->name,
			    "another triaged holds the lease on %s: not "
			    "polled",
			    w->mb->name);
			return 1;
		}
		status_update(w, MBOX_STANDBY, 0);
		(void)wait_stop(w, 60 * 1000);
	}
	return 1;
}

/* A failure while the lease went: the lease's loss is what to say. */
static int
session_lease(struct daemon_worker *w, int r)
{
	if (r < 0 && w->d->opts.shared && !daemon_lease_ok(w))
		return LEASE_GONE;
	return r;
}

void *
daemon_worker_main(void *arg)
{
	struct daemon_worker *w = arg;
	struct daemon *d = w->d;
	struct error err;
	int64_t delay;
	int r;

	daemon_prep_start(w);
	for (;;) {
		if (d->opts.shared && wait_lease(w))
			break;
		error_clear(&err);
		r = session_lease(w, session(w, &err));
		drop_inflight(w);
		disconnect(w, r >= 0);
		if (r == LEASE_GONE)
			continue;
		if (r == 0)
			break;
		delay = backoff_next(&w->backoff);
		record_failure(w, &err, delay);
		if (d->opts.once) {
			daemon_log(d, LOG_LVL_WARN, w->mb->name, "%s", err.msg);
			break;
		}
		daemon_log(d, LOG_LVL_WARN, w->mb->name,
		    "%s; retrying in "
		    "%" PRId64 ".%01" PRId64 " s",
		    err.msg, delay / 1000, delay % 1000 / 100);
		if (wait_stop(w, delay))
			break;
	}
	daemon_prep_stop(w);
	pthread_mutex_lock(&d->lock);
	d->status[w->index].state = MBOX_STOPPED;
	d->status[w->index].connected = 0;
	d->running--;
	pthread_mutex_unlock(&d->lock);
	daemon_wake(d);
	return NULL;
}
