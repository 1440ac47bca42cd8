#!/bin/sh
# Mail command benchmark; prints figures, asserts nothing.  What applying
# commands costs the committer: store_ingest_msg + mailcmd_apply per
# message, 100 per transaction, parsing excluded: customer mail, team
# replies without commands, team replies with "#claim" and
# "#route support" (each to its own ticket; a route queues a forward and
# the confirmation queues an answer).
# Usage: bench/mailcmd.sh [BUILD_DIR]  (default build-release, configured
# here as Release); N=messages per phase.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build-release}
N=${N:-5000}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j2 --target itest-mailcmd-bench >"$BUILD/bench-build.log" 2>&1 ||
	{ cat "$BUILD/bench-build.log" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
taskset -c 0 "$BUILD/tests/integration/itest-mailcmd-bench" "$dir/m.db" "$N" 2>/dev/null ||
	"$BUILD/tests/integration/itest-mailcmd-bench" "$dir/m.db" "$N"
