#!/bin/sh
# One look at the SLA clocks (sla_run_remind, the SLA job of triaged's
# background cron thread) on N open tickets (default 20,000):
# the steady-state scan, N reminders recorded at once, the look after,
# and the daily digest.  Prints seconds per phase.
#   bench/sla.sh [BUILD_DIR] [N]
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-20000}
DB=$(mktemp -d)/sla-bench.db
trap 'rm -rf "$(dirname "$DB")"' EXIT
cmake --build "$BUILD" --target itest-sla-bench -j2 >/dev/null
"$BUILD/tests/integration/itest-sla-bench" "$DB" "$N"
