/*
 * Leases, the fenced checkpoint's check, flag/move progress and the
 * instances table: see store-lease.h and ../shared/SCALE.md.
 */
#include "store-private.h"
#include "store-lease.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

/* "host:pid:start", start in seconds since 1970 when first asked. */
static char *
make_owner_id(void)
{
	char host[256];
	char *id;

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	xasprintf(&id, "%s:%ld:%" PRId64, host, (long)getpid(),
	    (int64_t)time(NULL));
	return id;
}

const char *
store_owner_id(struct store *st)
{
	if (st->owner_id == NULL)
		st->owner_id = make_owner_id();
	return st->owner_id;
}

void
store_set_owner_id(struct store *st, const char *id)
{
	free(st->owner_id);
	st->owner_id = id != NULL ? xstrdup(id) : NULL;
}

/*
 * The database's clock in milliseconds, inline in a statement, so a
 * lease's expiry and the "now" it is compared with come from one clock
 * whichever host runs the statement.  PostgreSQL's clock_timestamp(),
 * not now(): the time a transaction began would make a lease taken
 * late in a long transaction expire early, and a check late in one
 * pass when it should not.
 */
#define NOW_SQLITE \
	"CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"
#define NOW_PG "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)"

/* A pair of texts differing only in the clock: pick by backend. */
#define BY_CLOCK(st, sqlite_text, pg_text) \
	(db_backend((st)->db) == DB_PG ? (pg_text) : (sqlite_text))

int
store_db_now_ms(struct store *st, int64_t *ms_r, struct error *err)
{
	static const char sql[] = "SELECT " NOW_SQLITE,
			  sql_pg[] = "SELECT " NOW_PG;
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, BY_CLOCK(st, sql, sql_pg), err);
	if (r < 0)
		return -1;
	r = store_step_row(st, s, "database clock", err);
	if (r > 0)
		*ms_r = db_col_int64(s, 0);
	else if (r == 0)
		error_set(err, ERR_INTERNAL, "database clock: no answer");
	store_release(st, &s);
	return r > 0 ? 0 : -1;
}

/* ---- leases ---- */

/*
 * One conditional upsert: a row that is free, expired or ours becomes
 * ours until now + ttl.  The epoch stays only when the lease was ours
 * and unexpired (a renewal); any other take starts a new tenure, epoch
 * + 1 (a first row starts at 1), so work begun under the old one, even
 * our own from before the expiry, fails its check.  RETURNING answers
 * only when it was taken.
 */
#define TAKE_SQL(now) \
	"INSERT INTO leases (name, owner, epoch, expires)" \
	" VALUES (?1, ?2, 1, " now " + ?3)" \
	" ON CONFLICT (name) DO UPDATE SET" \
	" epoch = CASE WHEN leases.owner = excluded.owner" \
	"   AND leases.expires > " now \
	"   THEN leases.epoch ELSE leases.epoch + 1 END," \
	" owner = excluded.owner, expires = excluded.expires" \
	" WHERE leases.owner = '' OR leases.owner = excluded.owner" \
	" OR leases.expires <= " now " RETURNING epoch"

/* Who holds `name` now ("" when nobody), as an owned string. */
static int
lease_holder(struct store *st, const char *name, char **holder_r,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, "SELECT owner FROM leases WHERE name = ?1",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, name);
	r = store_step_row(st, s, "lease holder", err);
	if (r >= 0) {
		*holder_r = r > 0 ? store_col_text(s, 0) : xstrdup("");
		r = 0;
	}
	store_release(st, &s);
	return r;
}

/* The upsert itself, inside the unit store_lease_take opened. */
static int
lease_take_row(struct store *st, const char *name, const char *owner,
    int ttl_ms, int64_t *epoch_r, char **holder_r, struct error *err)
{
	static const char sql[] = TAKE_SQL(NOW_SQLITE),
			  sql_pg[] = TAKE_SQL(NOW_PG);
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, BY_CLOCK(st, sql, sql_pg), err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, owner);
	db_bind_int64(s, 3, ttl_ms);
	r = store_step_row(st, s, "take lease", err);
	if (r > 0)
		*epoch_r = db_col_int64(s, 0);
	store_release(st, &s);
	if (r == 0 && lease_holder(st, name, holder_r, err) < 0)
		return -1;
	return r;
}

int
store_lease_take(struct store *st, const char *name, const char *owner,
    int ttl_ms, int64_t *epoch_r, char **holder_r, struct error *err)
{
	int64_t epoch = 0;
	char *holder = NULL;
	int r;

	if (*owner == '\0')
		return error_set(err, ERR_USAGE, "lease %s: no owner", name);
	r = store_tx_enter(st, err);
	if (r < 0)
		return -1;
	r = lease_take_row(st, name, owner, ttl_ms, &epoch, &holder, err);
	if (store_tx_leave(st, r >= 0, err) < 0)
		r = -1;
	if (r > 0)
		*epoch_r = epoch;
	if (r == 0 && holder_r != NULL) {
		*holder_r = holder;
		holder = NULL;
	}
	free(holder);
	return r;
}

/* Run a fenced UPDATE of one lease (?1 name, ?2 owner, ?3 epoch, ?4). */
static int
lease_update(struct store *st, const char *sql, const char *name,
    const char *owner, int64_t epoch, int64_t arg, const char *what,
    struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, sql, err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, owner);
	db_bind_int64(s, 3, epoch);
	db_bind_int64(s, 4, arg);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, what);
	else
		r = db_changes(st->db) > 0;
	store_release(st, &s);
	return r;
}

#define RENEW_SQL(now) \
	"UPDATE leases SET expires = " now " + ?4" \
	" WHERE name = ?1 AND owner = ?2 AND epoch = ?3 AND expires > " now

int
store_lease_renew(struct store *st, const char *name, const char *owner,
    int64_t epoch, int ttl_ms, struct error *err)
{
	static const char sql[] = RENEW_SQL(NOW_SQLITE),
			  sql_pg[] = RENEW_SQL(NOW_PG);

	return lease_update(st, BY_CLOCK(st, sql, sql_pg), name, owner, epoch,
	    ttl_ms, "renew lease", err);
}

int
store_lease_release(struct store *st, const char *name, const char *owner,
    int64_t epoch, struct error *err)
{
	int r;

	/* the epoch stays: the next owner's take raises it */
	r = lease_update(st,
	    "UPDATE leases SET owner = '', expires = ?4"
	    " WHERE name = ?1 AND owner = ?2 AND epoch = ?3",
	    name, owner, epoch, 0, "release lease", err);
	return r < 0 ? -1 : 0;
}

#define CHECK_SQL(now) \
	"SELECT 1 FROM leases WHERE name = ?1 AND owner = ?2 AND epoch = ?3" \
	" AND expires > " now

int
store_lease_check(struct store *st, const char *name, const char *owner,
    int64_t epoch, struct error *err)
{
	/*
	 * FOR SHARE conflicts with the row lock the take's upsert needs, so
	 * a takeover waits for our commit; PostgreSQL then evaluates the
	 * take's condition on the row as we left it.
	 */
	static const char sql[] = CHECK_SQL(NOW_SQLITE),
			  sql_pg[] = CHECK_SQL(NOW_PG) " FOR SHARE";
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, BY_CLOCK(st, sql, sql_pg), err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, owner);
	db_bind_int64(s, 3, epoch);
	r = store_step_row(st, s, "check lease", err);
	store_release(st, &s);
	return r;
}

static void
read_lease(struct db_stmt *s, void *row)
{
	struct store_lease *l = row;

	l->name = store_col_text(s, 0);
	l->owner = store_col_text(s, 1);
	l->epoch = db_col_int64(s, 2);
	l->expires = db_col_int64(s, 3);
	l->now = db_col_int64(s, 4);
}

#define LEASES_SQL(now) \
	"SELECT name, owner, epoch, expires, " now " FROM leases" \
	" WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name"

int
store_leases(struct store *st, const char *prefix, struct store_lease **v_r,
    size_t *n_r, struct error *err)
{
	static const char sql[] = LEASES_SQL(NOW_SQLITE),
			  sql_pg[] = LEASES_SQL(NOW_PG);
	struct db_stmt *s = NULL;
	void *v = NULL;
	size_t n = 0;
	int r;

	r = store_prepare(st, &s, BY_CLOCK(st, sql, sql_pg), err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, prefix);
	r = store_collect(st, s, sizeof(struct store_lease), read_lease, &v, &n,
	    "leases", err);
	store_release(st, &s);
	if (r < 0) {
		store_leases_free((struct store_lease **)&v, n);
		return -1;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

void
store_leases_free(struct store_lease **vp, size_t n)
{
	struct store_lease *v = *vp;

	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].owner);
	}
	free(v);
	*vp = NULL;
}

/* ---- flag/move progress ---- */

int
store_mailbox_acted_get(struct store *st, const char *mailbox,
    int64_t *uidvalidity_r, int64_t *acted_uid_r, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    "SELECT acted_uidvalidity, acted_uid FROM mailboxes"
	    " WHERE name = ?1",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, mailbox);
	r = store_step_row(st, s, "mailbox progress", err);
	if (r >= 0) {
		*uidvalidity_r = r > 0 ? db_col_int64(s, 0) : 0;
		*acted_uid_r = r > 0 ? db_col_int64(s, 1) : 0;
		r = 0;
	}
	store_release(st, &s);
	return r;
}

int
store_mailbox_acted(struct store *st, const char *mailbox, int64_t uidvalidity,
    int64_t acted_uid, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	/* as store_mailbox_checkpoint: a new UIDVALIDITY resets */
	r = store_prepare(st, &s,
	    "INSERT INTO mailboxes (name, acted_uidvalidity, acted_uid)"
	    " VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (name) DO UPDATE SET"
	    " acted_uid = CASE WHEN mailboxes.acted_uidvalidity = ?2"
	    "   AND mailboxes.acted_uid > ?3 THEN mailboxes.acted_uid ELSE ?3"
	    " END,"
	    " acted_uidvalidity = ?2",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, mailbox);
	db_bind_int64(s, 2, uidvalidity);
	db_bind_int64(s, 3, acted_uid);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "mailbox progress");
	store_release(st, &s);
	return r;
}

/* ---- instances ---- */

#define BEAT_SQL(now) \
	"INSERT INTO instances (id, host, pid, started, heartbeat, status)" \
	" VALUES (?1, ?2, ?3, ?4, " now ", ?5)" \
	" ON CONFLICT (id) DO UPDATE SET host = excluded.host," \
	" pid = excluded.pid, started = excluded.started," \
	" heartbeat = excluded.heartbeat, status = excluded.status"

int
store_instance_beat(struct store *st, const struct store_instance *me,
    struct error *err)
{
	static const char sql[] = BEAT_SQL(NOW_SQLITE),
			  sql_pg[] = BEAT_SQL(NOW_PG);
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, BY_CLOCK(st, sql, sql_pg), err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, me->id);
	store_bind_text(s, 2, me->host != NULL ? me->host : "");
	db_bind_int64(s, 3, me->pid);
	db_bind_int64(s, 4, me->started);
	store_bind_text(s, 5, me->status != NULL ? me->status : "");
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "instance heartbeat");
	store_release(st, &s);
	return r;
}

int
store_instance_remove(struct store *st, const char *id, struct error *err)
{
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s, "DELETE FROM instances WHERE id = ?1", err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, id);
	if (db_step(s) != DB_DONE)
		r = store_sqlerr(st, err, "remove instance");
	store_release(st, &s);
	return r;
}

static void
read_instance(struct db_stmt *s, void *row)
{
	struct store_instance *in = row;

	in->id = store_col_text(s, 0);
	in->host = store_col_text(s, 1);
	in->pid = db_col_int64(s, 2);
	in->started = db_col_int64(s, 3);
	in->heartbeat = db_col_int64(s, 4);
	in->now = db_col_int64(s, 5);
	in->status = store_col_text(s, 6);
}

#define INSTANCES_SQL(now) \
	"SELECT id, host, pid, started, heartbeat, " now ", status" \
	" FROM instances ORDER BY heartbeat DESC, id"

int
store_instances(struct store *st, struct store_instance **v_r, size_t *n_r,
    struct error *err)
{
	static const char sql[] = INSTANCES_SQL(NOW_SQLITE),
			  sql_pg[] = INSTANCES_SQL(NOW_PG);
	struct db_stmt *s = NULL;
	void *v = NULL;
	size_t n = 0;
	int r;

	r = store_prepare(st, &s, BY_CLOCK(st, sql, sql_pg), err);
	if (r < 0)
		return -1;
	r = store_collect(st, s, sizeof(struct store_instance), read_instance,
	    &v, &n, "instances", err);
	store_release(st, &s);
	if (r < 0) {
		store_instances_free((struct store_instance **)&v, n);
		return -1;
	}
	*v_r = v;
	*n_r = n;
	return 0;
}

void
store_instances_free(struct store_instance **vp, size_t n)
{
	struct store_instance *v = *vp;

	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].host);
		free(v[i].status);
	}
	free(v);
	*vp = NULL;
}

int
store_set_idle_limit(struct store *st, int ms, struct error *err)
{
	struct db_stmt *s = NULL;
	char v[32];
	int r;

	if (db_backend(st->db) != DB_PG)
		return 0;
	snprintf(v, sizeof(v), "%d", ms);
	r = store_prepare(st, &s,
	    "SELECT set_config('idle_in_transaction_session_timeout', ?1,"
	    " false)",
	    err);
	if (r < 0)
		return -1;
	store_bind_text(s, 1, v);
	r = store_step_row(st, s, "idle limit", err);
	store_release(st, &s);
	return r < 0 ? -1 : 0;
}
