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

int
store_db_now_ms(struct store *st, int64_t *ms_r, struct error *err)
{
	static const char sql_sqlite[] =
	    "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0"
	    " AS INTEGER)";
	static const char sql_pg[] =
	    "SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000"
	    " AS BIGINT)";
	struct db_stmt *s = NULL;
	int r;

	r = store_prepare(st, &s,
	    db_backend(st->db) == DB_PG ? sql_pg : sql_sqlite, err);
	if (r < 0)
		return -1;
	r = store_step_row(st, s, "database clock", err);
	if (r > 0)
		*ms_r = db_col_int64(s, 0);
	store_release(st, &s);
	return r > 0 ? 0 : -1;
}
