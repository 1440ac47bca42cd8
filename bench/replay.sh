#!/bin/bash
# Replay speed: `triage rules replay` over COUNT stored messages
# (tests/fixtures/daemon/genmail.py: median ~8 KB, mean ~35 KB), the
# default rules against themselves, on every core (--jobs, default one
# per processor) beside one thread (--jobs 1: the old path) in the same
# run.  Prints messages/s by wall time and CPU seconds of each, and
# checks both list the same changes.
#
# usage: bench/replay.sh [COUNT] [BUILD_DIR]   (COUNT default 5000)
# BENCH_DB=FILE keeps the database for the next run.
set -euo pipefail
COUNT=${1:-5000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${2:-$SRC/build}
TRIAGE=$BUILD/daemon/triage
[ -x "$TRIAGE" ] || { echo "no $TRIAGE: build first" >&2; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/replay-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT
db=${BENCH_DB:-$dir/replay.db}
if [ ! -s "$db" ]; then
	echo "generating and storing $COUNT messages..."
	/usr/bin/python3 "$SRC/tests/fixtures/daemon/genmail.py" "$COUNT" \
	    "$dir/mail" >/dev/null
	"$TRIAGE" ingest --db "$db" --mailbox sales "$dir"/mail/*.eml \
	    >/dev/null
fi
msgs=$(/usr/bin/python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(
    "SELECT count(*) FROM messages").fetchone()[0])' "$db")
echo "cpu: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
run()
{
	local label=$1
	shift
	/usr/bin/time -f "%e %U %S" -o "$dir/time" "$TRIAGE" rules replay \
	    --db "$db" --since 36500d --rules "$SRC/rules" \
	    --baseline "$SRC/rules" --json "$@" >"$dir/$label.json"
	read -r wall user sys <"$dir/time"
	awk -v l="$label" -v n="$msgs" -v w="$wall" -v u="$user" -v s="$sys" \
	    'BEGIN { printf "%-22s %6d msgs %8.0f msg/s %6.2f s wall %6.2f s cpu\n",
		l, n, n / w, w, u + s }'
}
run "replay, --jobs 1"
run "replay, every core"
cmp -s "$dir/replay, --jobs 1.json" "$dir/replay, every core.json" ||
	{ echo "the two runs differ" >&2; exit 1; }
