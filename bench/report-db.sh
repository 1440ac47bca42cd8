#!/bin/sh
# `triage report` against a database of N tickets (default 1,000,000)
# spread over the last year: builds the database once (the schema by
# triage itself, the rows in one sqlite3 transaction), then times the
# report over the last 30 days as text, json and html, and over a year
# as json.  Prints seconds per run and the database's size.
#   bench/report-db.sh [BUILD_DIR] [N] [DB]
# DB defaults to /tmp/triage-report-bench-N.db and is reused when it
# exists (delete it to rebuild).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-1000000}
DB=${3:-/tmp/triage-report-bench-$N.db}
TRIAGE=$BUILD/daemon/triage
cmake --build "$BUILD" --target triage-cli -j2 >/dev/null
command -v sqlite3 >/dev/null || { echo "need the sqlite3 shell" >&2; exit 2; }

now=$(date +%s)
if [ ! -s "$DB" ]; then
	start=$(date +%s.%N)
	sh tests/integration/report-many-db.sh "$TRIAGE" "$N" "$DB"
	end=$(date +%s.%N)
	echo "built $N tickets in $(echo "$end - $start" | bc) s"
fi

echo "database: $(du -m "$DB" | cut -f1) MB, $(sqlite3 "$DB" \
    'SELECT count(*) FROM tickets') tickets, $(sqlite3 "$DB" \
    'SELECT count(*) FROM events') events"
run() {
	label=$1
	shift
	start=$(date +%s.%N)
	"$TRIAGE" report --db "$DB" "$@" >/dev/null
	end=$(date +%s.%N)
	printf '%-32s %6.2f s\n' "$label" "$(echo "$end - $start" | bc)"
}
# the first run may read the file from disk; the rest find it cached
run "30d text (first run)" --since 30d
run "30d text" --since 30d
run "30d json" --since 30d --format json
run "30d html" --since 30d --format html -o /tmp/report-bench.html
run "30d json, one mailbox" --since 30d --format json --mailbox community
run "365d json" --since 365d --format json
