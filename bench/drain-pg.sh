#!/bin/bash
# Drain speed on both backends in one run: triaged --once drains one
# local Dovecot mailbox of COUNT generated messages (bench/drain-lib.sh,
# as bench/drain.sh) into a fresh SQLite file and into a fresh
# PostgreSQL database (a throwaway cluster on a Unix socket,
# tests/harness/pg.sh), ROUNDS times each, alternating so that both see
# the same machine.  PostgreSQL runs with fsync and full_page_writes on,
# as SQLite runs with synchronous = FULL: a commit is on disk on both
# (BENCH_PG_FSYNC=off measures the test harness's setting).  after =
# "flag" as bench/drain.sh: every drain into a fresh database does the
# same work.  Prints each run, the median msg/s of each and the ratio
# PostgreSQL / SQLite (the goal, issue 14: at least 0.5).
#
# usage: bench/drain-pg.sh [COUNT] [BUILD_DIR] [ROUNDS]
#        (COUNT default 5000, BUILD_DIR build, ROUNDS 3; BENCH_TLS=none
#        for plaintext loopback instead of implicit TLS)
set -e
COUNT=${1:-5000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${2:-$SRC/build}
ROUNDS=${3:-3}
export TRIAGE_SOURCE_DIR=$SRC
export TRIAGED=${TRIAGED:-$BUILD/daemon/triaged}
[ -x "$TRIAGED" ] || { echo "no $TRIAGED: build first" >&2; exit 1; }
. "$SRC/bench/drain-lib.sh"
. "$SRC/tests/harness/pg.sh"

bench_mailbox
pg_start
for setting in fsync full_page_writes; do
	pg_sql "$PG_DIR/run" "ALTER SYSTEM SET $setting = ${BENCH_PG_FSYNC:-on}"
done
pg_sql "$PG_DIR/run" "SELECT pg_reload_conf()" >/dev/null
echo "PostgreSQL $(pg_sql "$PG_DIR/run" "SHOW server_version"):" \
    "fsync $(pg_sql "$PG_DIR/run" "SHOW fsync")," \
    "synchronous_commit $(pg_sql "$PG_DIR/run" "SHOW synchronous_commit")"
export HARNESS_IMAP_TLS=${BENCH_TLS:-implicit}

# run sqlite|pg: one drain into a fresh database; prints seconds.
run()
{
	local t0 t1 stored
	if [ "$1" = sqlite ]; then
		conf
		rm -f "$DB" "$DB"-wal "$DB"-shm "$DB".lock
	else
		CONF=$HARNESS_DIR/triage.conf
		harness_write_conf "$CONF" "$PG_TARGET"
		pg_sql "$PG_DIR/run" "DROP SCHEMA public CASCADE; CREATE SCHEMA public" \
		    2>/dev/null
	fi
	t0=$(date +%s%N)
	"$TRIAGED" -c "$CONF" --once 2>"$HARNESS_DIR/run-$1.log" || {
		tail "$HARNESS_DIR/run-$1.log" >&2; exit 1; }
	t1=$(date +%s%N)
	if [ "$1" = sqlite ]; then
		stored=$(sql "SELECT count(*) FROM messages")
	else
		stored=$(pg_sql "$PG_DIR/run" "SELECT count(*) FROM messages")
	fi
	[ "$stored" = "$COUNT" ] || { echo "$1: stored $stored of $COUNT" >&2; exit 1; }
	echo "scale=3; ($t1 - $t0) / 1000000000" | bc
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run sqlite >/dev/null # warm the page cache and Dovecot's index
: >"$HARNESS_DIR/sqlite"
: >"$HARNESS_DIR/pg"
for i in $(seq "$ROUNDS"); do
	s=$(run sqlite)
	p=$(run pg)
	echo "$COUNT / $s" | bc >>"$HARNESS_DIR/sqlite"
	echo "$COUNT / $p" | bc >>"$HARNESS_DIR/pg"
	printf 'round %d: SQLite %s s (%s msg/s)   PostgreSQL %s s (%s msg/s)\n' \
	    "$i" "$s" "$(tail -1 "$HARNESS_DIR/sqlite")" \
	    "$p" "$(tail -1 "$HARNESS_DIR/pg")"
done
ms=$(median <"$HARNESS_DIR/sqlite")
mp=$(median <"$HARNESS_DIR/pg")
printf 'median msg/s: SQLite %s   PostgreSQL %s   PostgreSQL/SQLite %s\n' \
    "$ms" "$mp" "$(echo "scale=2; $mp / $ms" | bc)"
