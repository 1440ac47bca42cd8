#!/bin/sh
# Store benchmark; prints figures, asserts nothing.
#  1. ingest rate into the store (messages/s, one core, parsing excluded):
#     generated typical messages (~2.7 KB, two thirds replies), one
#     transaction per batch of 100 as the daemon does per IMAP fetch.
#  2. `triage queue` on a database of 1,000,000 tickets (2% open), median
#     of 7 runs of the real binary per filter, and the query plans.
# Usage: bench/store.sh [BUILD_DIR]  (default build-release, configured
# here as Release); N=messages TICKETS=tickets override the sizes.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build-release}
N=${N:-50000}
TICKETS=${TICKETS:-1000000}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2 --target itest-store triage-cli >"$BUILD/bench-build.log" 2>&1 ||
	{ cat "$BUILD/bench-build.log" >&2; exit 1; }
helper=$BUILD/tests/integration/itest-store
triage=$BUILD/daemon/triage
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "== ingest ($N messages)"
taskset -c 0 "$helper" bench-ingest "$dir/ingest.db" "$N" 2>/dev/null ||
	"$helper" bench-ingest "$dir/ingest.db" "$N"

echo "== queue on $TICKETS tickets"
"$helper" bench-fill "$dir/q.db" "$TICKETS"
/usr/bin/python3 - "$triage" "$dir/q.db" <<'PY'
import statistics, subprocess, sys, time
triage, db = sys.argv[1], sys.argv[2]
cases = [[], ["--queue", "sales"], ["--state", "claimed"],
         ["--mine", "--as", "bdr3"], ["--json"], ["--limit", "500"]]
for args in cases:
    runs = []
    for _ in range(7):
        t0 = time.perf_counter()
        out = subprocess.run([triage, "queue", "--db", db] + args,
                             capture_output=True, check=True)
        runs.append((time.perf_counter() - t0) * 1000)
    rows = out.stdout.count(b"\n")
    print(f"triage queue {' '.join(args) or '(default)':<22} "
          f"median {statistics.median(runs):6.1f} ms  "
          f"max {max(runs):6.1f} ms  ({rows} lines)")
PY
echo "== plans"
for w in "is_open = 1" "queue = 'sales' AND is_open = 1" \
    "state = 'claimed'" "owner = 'bdr3' AND is_open = 1"; do
	printf '%-36s ' "$w"
	sqlite3 "$dir/q.db" "EXPLAIN QUERY PLAN SELECT id FROM tickets WHERE $w
	    ORDER BY priority DESC, created, id LIMIT 50" | tail -n +2 |
	    tr '\n' ' '
	echo
done
