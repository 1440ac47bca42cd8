/*
 * The state of one configured mailbox as triaged works on it: connected,
 * syncing, idling, waiting for the next poll, or backing off until T
 * after an error; what the last poll found; the last error.  A plain
 * record, written by the mailbox's worker and read (under the daemon's
 * lock) for the systemd STATUS line, the log and `triage status`.
 *
 * The daemon also writes every mailbox's record to a status file beside
 * the database (mailbox_status_path), which `triage status` reads: the
 * CLI runs as another user and must not need the daemon's secrets or a
 * socket.  The file is replaced atomically (write, rename).
 */
#ifndef TRIAGE_MAILBOX_H
#define TRIAGE_MAILBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum mailbox_state {
	MBOX_STARTING = 0, /* not tried yet */
	MBOX_CONNECTING,   /* connect, TLS, login, select */
	MBOX_SYNCING,	   /* fetching and storing */
	MBOX_IDLING,	   /* IMAP IDLE: waiting for the server */
	MBOX_WAITING,	   /* no IDLE: next poll at `until` */
	MBOX_BACKOFF,	   /* failed: next attempt at `until` */
	MBOX_STOPPED,	   /* done (--once, shutdown) */
	MBOX_STANDBY,	   /* shared database: another holds its lease */
	MBOX_STATE_COUNT,
};

/* What one poll saw: every message past the checkpoint is accounted. */
struct mailbox_counts {
	uint64_t pending;   /* on the server past the checkpoint */
	uint64_t stored;    /* new rows (parsed fine, or with problems) */
	uint64_t problems;  /* stored, but parsing reported problems */
	uint64_t failed;    /* stored raw with an error: no ticket */
	uint64_t ignored;   /* stored, a rule said ignore */
	uint64_t duplicate; /* already stored (rescan, crash replay) */
	uint64_t too_big;   /* over max_message_size: recorded, not fetched */
	uint64_t gone;	    /* listed, then expunged before the fetch */
};

struct mailbox_status {
	char name[64];
	enum mailbox_state state;
	int connected;
	int idle;	      /* the server offers IDLE */
	int64_t until;	      /* BACKOFF / WAITING: epoch seconds */
	unsigned failures;    /* consecutive */
	char last_error[512]; /* "" when none since the last success */
	int64_t last_error_at;
	int64_t last_sync; /* end of the last complete poll, or 0 */
	uint32_t uidvalidity;
	uint32_t last_uid;	     /* the checkpoint after the last batch */
	uint32_t acted_uid;	     /* post-actions done up to this UID */
	struct mailbox_counts last;  /* the last poll */
	struct mailbox_counts total; /* since the daemon started */
};

/* "starting" "connecting" "syncing" "idling" "waiting" "backoff" ... */
const char *mailbox_state_name(enum mailbox_state s);

/* A fresh record for mailbox `name` (truncated to fit). */
void mailbox_status_init(struct mailbox_status *s, const char *name);

/* Add every field of `c` to `sum`. */
void mailbox_counts_add(struct mailbox_counts *sum,
    const struct mailbox_counts *c);

/* A failure: back off until `until`; the error text is copied. */
void mailbox_status_fail(struct mailbox_status *s, const char *error,
    int64_t now, int64_t until);

/* A poll completed: clears the error, records and totals the counts. */
void mailbox_status_synced(struct mailbox_status *s,
    const struct mailbox_counts *c, int64_t now);

/*
 * One human line for `triage status`, e.g. "sales: idling, last poll
 * 12:00:03 (3 new: 3 stored)" or "community: backing off until 12:03:10
 * after 4 failures: imap ...: LOGIN refused".  Always NUL-terminates;
 * returns what snprintf would.
 */
int mailbox_status_format(const struct mailbox_status *s, char *buf,
    size_t len);

/*
 * The systemd STATUS= text for all mailboxes, short: "sales: idling;
 * community: backoff until 12:03:10 (LOGIN refused)".  Truncated to len.
 */
void mailbox_status_line(const struct mailbox_status *v, size_t n, char *buf,
    size_t len);

/*
 * The counts as the accounting log line puts them: "12 past checkpoint:
 * 10 stored (1 with parse problems), 1 ignored, 0 failed, 1 too large,
 * 0 already stored, 0 gone".
 */
void mailbox_counts_format(const struct mailbox_counts *c, char *buf,
    size_t len);

/* The status file for a database: "DIR/triaged.status". Caller frees. */
char *mailbox_status_path(const char *database);

/*
 * Replace the status file at `path` with the records (mode 0640).
 * Returns 0, or -1 with err (ERR_TEMP) when it cannot be written.
 */
int mailbox_status_write(const char *path, pid_t pid, int64_t now,
    const struct mailbox_status *v, size_t n, struct error *err);

/*
 * The same text as a string (caller frees): what a triaged on a shared
 * database (PostgreSQL) keeps in its row of the instances table instead
 * of the file.
 */
char *mailbox_status_text(pid_t pid, int64_t now,
    const struct mailbox_status *v, size_t n);

/*
 * Read a status file.  Sets *pid_r, *updated_r and *v_r (an owned array
 * of *n_r records; free() it).  -1 with ERR_NOTFOUND when there is no
 * file (the daemon never ran), ERR_INTERNAL when it is malformed.
 */
int mailbox_status_read(const char *path, pid_t *pid_r, int64_t *updated_r,
    struct mailbox_status **v_r, size_t *n_r, struct error *err);

#endif
