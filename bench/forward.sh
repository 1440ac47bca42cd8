#!/bin/sh
# forward_build throughput: a thread of real mail from the shared corpus
# (the N largest .eml files, and N small ones) built as attach and as
# redirect.  Prints ms per build and MB/s of input per style.
#   bench/forward.sh [BUILD_DIR] [N] [ROUNDS]
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
N=${2:-20}
ROUNDS=${3:-50}
CORPUS=${TRIAGE_CORPUS:-../shared/corpus}
cmake --build "$BUILD" --target itest-forward-bench -j2 >/dev/null
BENCH=$BUILD/tests/integration/itest-forward-bench
big=$(find "$CORPUS" -name '*.eml' -type f -printf '%s %p\n' | sort -rn |
	head -n "$N" | cut -d' ' -f2-)
small=$(find "$CORPUS" -name '*.eml' -type f -size -8k -printf '%p\n' |
	sort | head -n "$N")
echo "largest $N corpus messages:"
# shellcheck disable=SC2086
"$BENCH" "$ROUNDS" $big
echo "$N small corpus messages (< 8 KB):"
# shellcheck disable=SC2086
"$BENCH" "$ROUNDS" $small
