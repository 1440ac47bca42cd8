#!/bin/sh
# Fuzz every target of tests/fuzz for SECONDS each (default 30):
#   scripts/fuzz.sh [SECONDS]
# Builds the `fuzz` preset (clang, libFuzzer, ASan+UBSan, in build-fuzz)
# and runs its fuzz/NAME ctest tests, FUZZ_JOBS (default 2) at a time,
# at the lowest priority.  Each target keeps its corpus (grown run after
# run), log and any crash inputs in build-fuzz/tests/fuzz/NAME/; a crash
# input, once fixed, goes to tests/fuzz/regress/NAME/ (tests/fuzz/README.md).
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-30}
case $seconds in
'' | *[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS]" >&2; exit 2 ;;
esac
cmake --preset fuzz -DTRIAGE_FUZZ_SECONDS="$seconds" >/dev/null
nice cmake --build --preset fuzz -j"$(nproc)"
rc=0
nice -n 19 ctest --preset fuzz -j"${FUZZ_JOBS:-2}" || rc=$?
work=build-fuzz/tests/fuzz
echo "fuzz: last status line of each target (executions, coverage, exec/s):"
for log in "$work"/*/log; do
	name=$(basename "$(dirname "$log")")
	printf '  %-12s %s\n' "$name" "$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
done
found=$(find "$work"/*/crashes -type f 2>/dev/null)
if [ -n "$found" ]; then
	echo "fuzz: inputs that crashed, leaked or hung (kept):"
	echo "$found" | sed 's/^/  /'
fi
exit "$rc"
