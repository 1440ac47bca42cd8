#!/bin/sh
# The in-memory half of `triage report` on a million tickets: business
# time, counting, percentiles and every renderer (the SQL half belongs to
# the store's bench).  Prints seconds per phase.
#   bench/report.sh [BUILD_DIR] [N]
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-1000000}
cmake --build "$BUILD" --target itest-report-bench -j2 >/dev/null
exec "$BUILD/tests/integration/itest-report-bench" "$N"
