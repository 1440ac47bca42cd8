/*
 * The ingest pipeline: parse -> classify -> mail commands -> thread and
 * store, written once for every way mail comes in (isync's sync.c over
 * driver.h is the model).  Its callers only say where the bytes come
 * from and what to do with the outcome:
 *
 *   triaged       ingest_prepare on each mailbox's prep thread,
 *                 ingest_commit on the committer, one transaction a batch
 *   triage ingest ingest_prepare, then ingest_store: ingest_commit in a
 *                 unit of work of its own
 *   triage reprocess   ingest_reprocess: the stored bytes prepared again,
 *                 the row updated in place (mail commands are not applied
 *                 again: they were, when the message came in)
 *   triage rules replay  ingest_load and ingest_classify: the same
 *                 parse and classification, nothing stored
 *
 * The context holds what every step reads -- the config (mailboxes,
 * team, routes, max_message_size), the rules and the key accounts -- and
 * is immutable: ingest_prepare may run on several threads at once.
 * Threading reads the team, our own Message-ID domain and the accounts
 * from the store (ingest_store_setup gives them to it).
 *
 * The library does not log: what a step decided comes back in a result
 * for the caller to report.
 */
#ifndef TRIAGE_INGEST_H
#define TRIAGE_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "mailcmd.h"
#include "store.h"

struct accounts;
struct conf;
struct msg;
struct rules;
struct verdict;

struct ingest;	   /* the context */
struct ingest_msg; /* one message on its way through */

/*
 * A context over `c`, `rs` and `a`, all foreign: they must outlive it.
 * `c` NULL (a database without a config): no team, no mail commands,
 * the parser's default limits.  `rs` NULL: every message gets an empty
 * verdict (stored in its mailbox's queue).  `a` NULL: no key accounts.
 * Free with ingest_free.
 */
struct ingest *ingest_new(const struct conf *c, const struct rules *rs,
    const struct accounts *a);
/* Accepts NULL; sets *ctxp to NULL. */
void ingest_free(struct ingest **ctxp);

/* The largest message parsed: max_message_size, else the parser's cap. */
size_t ingest_max_size(const struct ingest *ctx);

/*
 * Give `st` what threading reads: the config's team (c may be NULL: no
 * team), our own Message-ID domain (smtp.from's, so replies to our
 * forwards thread back) and the key accounts (`a`, may be NULL).  `c`
 * and `a` are foreign and must outlive the store's use of them.
 */
void ingest_store_setup(struct store *st, const struct conf *c,
    const struct accounts *a);

/*
 * Parse `raw` (len bytes; owned by the result from now on), classify it
 * as mail that arrived in `mailbox` (copied) and find its mail commands.
 * Never fails: a message that does not parse is prepared unparsed, with
 * the reason (ingest_msg_error), to be stored raw.  Thread-safe.  Sets
 * *im_r (free with ingest_msg_free).
 */
void ingest_prepare(const struct ingest *ctx, char *raw, size_t len,
    const char *mailbox, struct ingest_msg **im_r);

/*
 * A message prepared without parsing, to be stored raw with `why`
 * (copied): the daemon's stand-in for one too large to fetch.  `raw` is
 * owned by the result.  Sets *im_r.
 */
void ingest_prepare_unparsed(char *raw, size_t len, const char *why,
    struct ingest_msg **im_r);

/*
 * The stand-in for a message over max_message_size that came without a
 * UID (`triage ingest`), recorded as the daemon records one too large to
 * fetch: stored raw and failed, with the reason, no ticket.  `head`
 * (head_len bytes, foreign) is the start of the message, `size` its
 * whole length: together they name the stand-in, so the same message
 * delivered again is already stored.  Sets *im_r.
 */
void ingest_prepare_too_large(const struct ingest *ctx, const char *head,
    size_t head_len, size_t size, const char *mailbox,
    struct ingest_msg **im_r);

/* Accepts NULL; sets *imp to NULL. */
void ingest_msg_free(struct ingest_msg **imp);

/* The parsed record, or NULL when the message did not parse. */
const struct msg *ingest_msg_parsed(const struct ingest_msg *im);
/* Why it is not parsed (or was stored raw), or NULL. */
const char *ingest_msg_error(const struct ingest_msg *im);
/* What the rules decided (empty when not parsed or without rules). */
const struct verdict *ingest_msg_verdict(const struct ingest_msg *im);

/*
 * Classify im's parsed message with ctx's rules and accounts into *v
 * (initialised by the caller), as ingest_prepare does: how replay
 * compares a second rule set on the same parse.  Nothing when im did not
 * parse.  Thread-safe.
 */
void ingest_classify(const struct ingest *ctx, const struct ingest_msg *im,
    struct verdict *v);

/* Where a message came in and who stores it. */
struct ingest_origin {
	const char *mailbox; /* required: the mailbox's name */
	const char *address; /* its shared address, or NULL */
	const char *queue;   /* its default queue; NULL: the name */
	int64_t uidvalidity; /* 0 outside IMAP */
	int64_t uid;	     /* 0 outside IMAP */
	struct store_actor actor;
	/*
	 * 1: a parsed message the store refuses for a reason of its own
	 * (not ERR_TEMP) is stored raw with that reason instead, so one bad
	 * message never stops a mailbox (the daemon).  0: the refusal is
	 * returned (triage ingest: the MTA hears of it).
	 */
	int raw_on_failure;
};

/* What ingest_commit did. */
struct ingest_result {
	struct store_ingest_result stored;
	struct mailcmd_result commands; /* MAILCMD_NONE without a config */
	int stored_raw; /* 1: parsed, but stored raw (see origin) */
};

/*
 * Store `im` from `o` -- thread it, write its verdict -- and apply its
 * mail commands (when the context has a config), inside the caller's
 * transaction or unit: the message and what it commands commit together.
 * The mailbox checkpoint is the caller's.  When the parsed form is
 * stored raw instead (stored_raw), im turns unparsed with that reason.
 * Returns 0 and fills *res_r, or -1 with err set (store_ingest_msg's and
 * mailcmd_apply's codes; ERR_TEMP: retry), and then the caller rolls
 * back.
 */
int ingest_commit(const struct ingest *ctx, struct store *st,
    const struct ingest_origin *o, struct ingest_msg *im,
    struct ingest_result *res_r, struct error *err);

/*
 * ingest_commit in a unit of work of its own (a transaction, or a
 * savepoint inside an open one): for `triage ingest`, where each piped
 * message commits alone.  Returns 0 and fills *res_r, or -1 with err set
 * and nothing of it stored.
 */
int ingest_store(const struct ingest *ctx, struct store *st,
    const struct ingest_origin *o, struct ingest_msg *im,
    struct ingest_result *res_r, struct error *err);

/*
 * Stored message `message_id` prepared again from its raw bytes and
 * mailbox, without its mail commands (nothing applies them again).
 * Returns 0 and sets *im_r, or -1 with err set (ERR_NOTFOUND: no such
 * message).
 */
int ingest_load(const struct ingest *ctx, struct store *st, int64_t message_id,
    struct ingest_msg **im_r, struct error *err);

/* One stored message for ingest_replay. */
struct ingest_replay {
	int64_t message_id;    /* in */
	struct ingest_msg *im; /* out: prepared again with the baseline */
	struct verdict *cand;  /* out, owned: the candidate's verdict */
	int r;		       /* out: 0, or -1 (not read: err) */
	struct error err;
};

/*
 * ingest_load for each of v[0 .. n-1] with `base`, and each parsed one
 * classified with `cand` too (into v[i].cand): the bytes are read here,
 * in order, on the caller's thread, while up to `jobs` - 1 others
 * already parse and classify the ones read; then the caller's thread
 * joins them.  Results are those of one thread, message by message.
 * Free with ingest_replay_clear.
 */
void ingest_replay(const struct ingest *base, const struct ingest *cand,
    struct store *st, struct ingest_replay *v, size_t n, unsigned jobs);
void ingest_replay_clear(struct ingest_replay *v, size_t n);

/*
 * Reprocess stored message `message_id`: prepare it again (ingest_load)
 * and replace its parsed fields, verdict and hits in one transaction of
 * its own, recorded as "reprocess" events by `who`
 * (store_reprocess_msg).  Sets *parsed_r to 1 when it parses now, 0 when
 * it still does not.  Returns 0, or -1 with err set.
 */
int ingest_reprocess(const struct ingest *ctx, struct store *st,
    int64_t message_id, const struct store_actor *who, int *parsed_r,
    struct error *err);

#endif
