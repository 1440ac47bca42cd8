/*
 * The ingest pipeline: one implementation of parse -> classify -> mail
 * commands -> thread and store for the daemon, `triage ingest`,
 * `triage reprocess` and `triage rules replay`.  See ingest.h.
 */
#include "ingest.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounts.h"
#include "command.h"
#include "conf.h"
#include "desk.h"
#include "forward.h"
#include "mime.h"
#include "roles.h"
#include "rules.h"
#include "verdict.h"
#include "xalloc.h"

/* Threads ingest_replay parses on, at most. */
#define INGEST_REPLAY_JOBS 16

/* How a stand-in for mail not fetched starts (daemon-worker.c's too). */
#define NOT_FETCHED "X-Triage-Not-Fetched:"

struct ingest {
	const struct conf *conf;	 /* foreign, or NULL */
	const struct rules *rules;	 /* foreign, or NULL */
	const struct accounts *accounts; /* foreign, or NULL */
	struct mime_limits limits;
};

struct ingest_msg {
	char *raw; /* owned: the bytes, stored as-is */
	size_t raw_len;
	char *mailbox;		   /* owned: where it arrived, or NULL */
	struct msg *msg;	   /* owned; NULL when not parsed */
	char *error;		   /* owned: why msg is NULL, or NULL */
	struct verdict verdict;	   /* owned */
	struct command_list *cmds; /* owned: its mail commands, or NULL */
};

struct ingest *
ingest_new(const struct conf *c, const struct rules *rs,
    const struct accounts *a)
{
	struct ingest *ctx = xcalloc(1, sizeof(*ctx));

	ctx->conf = c;
	ctx->rules = rs;
	ctx->accounts = a;
	mime_limits_default(&ctx->limits);
	if (c != NULL && c->max_message_size > 0)
		ctx->limits.max_size = c->max_message_size;
	return ctx;
}

void
ingest_free(struct ingest **ctxp)
{
	free(*ctxp);
	*ctxp = NULL;
}

size_t
ingest_max_size(const struct ingest *ctx)
{
	return ctx->limits.max_size;
}

/* Our side: the team and the routes' addresses (roles.h). */
static int
team_member(void *arg, const char *address)
{
	return roles_is_team(arg, address);
}

void
ingest_store_setup(struct store *st, const struct conf *c,
    const struct accounts *a)
{
	struct forward_sender s = { 0 };
	struct error ignored = { 0 };

	store_set_accounts(st, a);
	if (c == NULL)
		return;
	store_set_team(st, team_member, (void *)c);
	store_set_webhooks(st, c);
	/* No usable smtp.from: replies thread by stored Message-IDs only. */
	if (c->smtp_from != NULL &&
	    forward_sender_parse(c->smtp_from, &s, &ignored) == 0)
		store_set_own_domain(st, s.domain);
	forward_sender_clear(&s);
}

/* ---- preparing ------------------------------------------------------- */

static struct ingest_msg *
msg_new(char *raw, size_t len, const char *mailbox)
{
	struct ingest_msg *im = xcalloc(1, sizeof(*im));

	im->raw = raw;
	im->raw_len = len;
	im->mailbox = xstrdup_or_null(mailbox);
	verdict_init(&im->verdict);
	return im;
}

void
ingest_classify(const struct ingest *ctx, const struct ingest_msg *im,
    struct verdict *v)
{
	struct rules_ctx rctx;

	if (im->msg == NULL || ctx->rules == NULL)
		return;
	accounts_rules_ctx(ctx->accounts, im->msg, im->mailbox, &rctx);
	rules_classify(ctx->rules, im->msg, &rctx, v);
}

/* Parse and classify; with_commands: find the mail commands too. */
static struct ingest_msg *
prepare(const struct ingest *ctx, char *raw, size_t len, const char *mailbox,
    int with_commands)
{
	struct ingest_msg *im = msg_new(raw, len, mailbox);
	struct error err = { 0 };
	int r;

	r = mime_parse(im->raw, im->raw_len, &ctx->limits, time(NULL), &im->msg,
	    &err);
	if (r < 0) {
		im->error = xstrdup(err.msg);
		return im;
	}
	ingest_classify(ctx, im, &im->verdict);
	/* Not found here: mailcmd_apply parses them again and says why. */
	if (with_commands && ctx->conf != NULL &&
	    mailcmd_parse(ctx->conf, im->msg, &im->cmds, &err) < 0)
		im->cmds = NULL;
	return im;
}

void
ingest_prepare(const struct ingest *ctx, char *raw, size_t len,
    const char *mailbox, struct ingest_msg **im_r)
{
	*im_r = prepare(ctx, raw, len, mailbox, 1);
}

void
ingest_prepare_unparsed(char *raw, size_t len, const char *why,
    struct ingest_msg **im_r)
{
	struct ingest_msg *im = msg_new(raw, len, NULL);

	im->error = xstrdup(why);
	*im_r = im;
}

/* FNV-1a, 64 bits: a name for the bytes, not a defence. */
static uint64_t
digest(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void
ingest_prepare_too_large(const struct ingest *ctx, const char *head,
    size_t head_len, size_t size, const char *mailbox, struct ingest_msg **im_r)
{
	struct ingest_msg *im;
	char *raw;
	size_t len;

	/* Like the daemon's stand-in (daemon-worker.c), with the digest of
	 * the first bytes where the daemon has UIDVALIDITY and UID. */
	len = (size_t)xasprintf(&raw,
	    NOT_FETCHED
	    " too large\r\nX-Triage-Mailbox: %s\r\n"
	    "X-Triage-Size: %zu\r\nX-Triage-Head-Digest: %016" PRIx64
	    " (%zu bytes)\r\n\r\n",
	    mailbox, size, digest(head, head_len), head_len);
	im = msg_new(raw, len, mailbox);
	xasprintf(&im->error,
	    "message too large to ingest: %zu bytes, max_message_size is %zu",
	    size, ctx->limits.max_size);
	*im_r = im;
}

void
ingest_msg_free(struct ingest_msg **imp)
{
	struct ingest_msg *im = *imp;

	if (im == NULL)
		return;
	free(im->raw);
	free(im->mailbox);
	msg_free(&im->msg);
	free(im->error);
	verdict_clear(&im->verdict);
	command_list_free(&im->cmds);
	free(im);
	*imp = NULL;
}

const struct msg *
ingest_msg_parsed(const struct ingest_msg *im)
{
	return im->msg;
}

const char *
ingest_msg_error(const struct ingest_msg *im)
{
	return im->error;
}

const struct verdict *
ingest_msg_verdict(const struct ingest_msg *im)
{
	return &im->verdict;
}

/* ---- storing --------------------------------------------------------- */

static void
origin_in(const struct ingest_origin *o, const struct ingest_msg *im,
    struct store_ingest_in *in)
{
	*in = (struct store_ingest_in){
		.mailbox = o->mailbox,
		.mailbox_address = o->address,
		.queue = o->queue != NULL ? o->queue : o->mailbox,
		.uidvalidity = o->uidvalidity,
		.uid = o->uid,
		.raw = im->raw,
		.raw_len = im->raw_len,
		.msg = im->msg,
		.parse_error = im->error,
		.verdict = im->msg != NULL ? &im->verdict : NULL,
		.actor = o->actor,
	};
}

/* The parsed form refused: keep the message, raw, with the reason. */
static int
store_raw(struct store *st, const struct ingest_origin *o,
    struct ingest_msg *im, struct store_ingest_result *res, struct error *err)
{
	struct store_ingest_in in;
	struct error raw_err = { 0 };
	int r;

	free(im->error);
	im->error = xstrdup(err->msg);
	msg_free(&im->msg);
	command_list_free(&im->cmds);
	origin_in(o, im, &in);
	r = store_ingest_msg(st, &in, res, &raw_err);
	if (r < 0)
		return error_set(err, raw_err.code,
		    "storing the parsed "
		    "message failed (%s); storing it raw failed too: %s",
		    im->error, raw_err.msg);
	error_clear(err);
	return 0;
}

int
ingest_commit(const struct ingest *ctx, struct store *st,
    const struct ingest_origin *o, struct ingest_msg *im,
    struct ingest_result *res_r, struct error *err)
{
	struct ingest_result res = { 0 };
	struct store_ingest_in in;
	int r;

	origin_in(o, im, &in);
	r = store_ingest_msg(st, &in, &res.stored, err);
	if (r < 0 && o->raw_on_failure && err->code != ERR_TEMP &&
	    im->msg != NULL) {
		res.stored_raw = 1;
		r = store_raw(st, o, im, &res.stored, err);
	}
	if (r < 0)
		return -1;
	if (ctx->conf != NULL)
		r = mailcmd_apply(st, ctx->conf, im->msg, im->cmds, &res.stored,
		    0, &res.commands, err);
	/* waits, away and assignment, after the commands it carried */
	if (r == 0 && ctx->conf != NULL)
		r = desk_after_ingest(st, ctx->conf, im->msg, &im->verdict,
		    &res.stored, err);
	if (r < 0)
		return -1;
	*res_r = res;
	return 0;
}

int
ingest_store(const struct ingest *ctx, struct store *st,
    const struct ingest_origin *o, struct ingest_msg *im,
    struct ingest_result *res_r, struct error *err)
{
	struct ingest_result res;
	struct error ignored = { 0 };
	int r;

	r = store_unit_begin(st, err);
	if (r < 0)
		return -1;
	r = ingest_commit(ctx, st, o, im, &res, err);
	if (r < 0) {
		store_unit_end(st, 0, &ignored);
		return -1;
	}
	r = store_unit_end(st, 1, err);
	if (r == 0)
		*res_r = res;
	return r;
}

/* ---- stored mail again ----------------------------------------------- */

int
ingest_load(const struct ingest *ctx, struct store *st, int64_t message_id,
    struct ingest_msg **im_r, struct error *err)
{
	char *raw = NULL, *mailbox = NULL;
	size_t len = 0;
	int r;

	r = store_message_raw(st, message_id, &raw, &len, &mailbox, err);
	if (r < 0)
		return -1;
	*im_r = prepare(ctx, raw, len, mailbox, 0);
	free(mailbox);
	return 0;
}

/*
 * The parse-and-classify half of ingest_replay, shared by its threads.
 * The caller's thread reads the messages, in order, while the others
 * already parse the ones read (n_read, under `lock`), then parses too:
 * reading is the only part that needs the store, so it is the only part
 * done in order, and it overlaps the rest.
 */
struct replay_pool {
	const struct ingest *base, *cand;
	struct ingest_replay *v;
	char **raw, **mailbox;
	size_t *len;
	size_t n;
	atomic_size_t next;
	pthread_mutex_t lock;
	pthread_cond_t more;
	size_t n_read; /* under lock: v[0 .. n_read-1] are read */
};

static void
replay_one(struct replay_pool *p, size_t i)
{
	struct ingest_replay *r = &p->v[i];

	if (r->r < 0)
		return;
	r->im = prepare(p->base, p->raw[i], p->len[i], p->mailbox[i], 0);
	p->raw[i] = NULL; /* the message's now */
	r->cand = xmalloc(sizeof(*r->cand));
	verdict_init(r->cand);
	ingest_classify(p->cand, r->im, r->cand);
}

static void *
replay_worker(void *arg)
{
	struct replay_pool *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n) {
		pthread_mutex_lock(&p->lock);
		while (p->n_read <= i)
			pthread_cond_wait(&p->more, &p->lock);
		pthread_mutex_unlock(&p->lock);
		replay_one(p, i);
	}
	return NULL;
}

/* Read v[i]'s bytes (the caller's thread: the store is not shared). */
static void
replay_read(struct replay_pool *p, struct store *st, size_t i)
{
	struct ingest_replay *r = &p->v[i];

	r->im = NULL;
	r->cand = NULL;
	r->r = store_message_raw(st, r->message_id, &p->raw[i], &p->len[i],
	    &p->mailbox[i], &r->err);
	pthread_mutex_lock(&p->lock);
	p->n_read = i + 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->lock);
}

void
ingest_replay(const struct ingest *base, const struct ingest *cand,
    struct store *st, struct ingest_replay *v, size_t n, unsigned jobs)
{
	struct replay_pool p = { .base = base, .cand = cand, .v = v, .n = n };
	pthread_t th[INGEST_REPLAY_JOBS];
	unsigned started = 0;

	atomic_init(&p.next, 0);
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.more, NULL);
	p.raw = xcalloc(n + 1, sizeof(*p.raw));
	p.mailbox = xcalloc(n + 1, sizeof(*p.mailbox));
	p.len = xcalloc(n + 1, sizeof(*p.len));
	if (jobs > INGEST_REPLAY_JOBS)
		jobs = INGEST_REPLAY_JOBS;
	for (; started + 1 < jobs && started + 1 < n; started++) {
		if (pthread_create(&th[started], NULL, replay_worker, &p) != 0)
			break; /* fewer threads, same results */
	}
	for (size_t i = 0; i < n; i++)
		replay_read(&p, st, i);
	(void)replay_worker(&p);
	for (unsigned k = 0; k < started; k++)
		(void)pthread_join(th[k], NULL);
	for (size_t i = 0; i < n; i++) {
		free(p.raw[i]);
		free(p.mailbox[i]);
	}
	free(p.raw);
	free(p.mailbox);
	free(p.len);
	pthread_cond_destroy(&p.more);
	pthread_mutex_destroy(&p.lock);
}

void
ingest_replay_clear(struct ingest_replay *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ingest_msg_free(&v[i].im);
		if (v[i].cand != NULL)
			verdict_clear(v[i].cand);
		xfree(&v[i].cand);
	}
}

int
ingest_reprocess(const struct ingest *ctx, struct store *st, int64_t message_id,
    const struct store_actor *who, int *parsed_r, struct error *err)
{
	struct ingest_msg *im = NULL;
	int r;

	r = ingest_load(ctx, st, message_id, &im, err);
	if (r < 0)
		return -1;
	/*
	 * A stand-in for mail too large to fetch holds no message, only
	 * what we know of it: it parses as an empty mail, which would
	 * replace the record with a blank ticket.  It stays as it is.
	 */
	if (strncmp(im->raw, NOT_FETCHED, strlen(NOT_FETCHED)) == 0) {
		msg_free(&im->msg);
		free(im->error);
		im->error =
		    xstrdup("not fetched (too large): the record stays");
	}
	r = store_reprocess_msg(st, message_id, im->msg, im->error,
	    &im->verdict, who, err);
	if (r == 0)
		*parsed_r = im->msg != NULL;
	ingest_msg_free(&im);
	return r;
}
