#!/bin/sh
# Every C file of the tree is as clang-format (.clang-format) lays it out.
# Usage: check-format.sh [SOURCE_DIR].  Lists the files that differ and
# exits 1; `clang-format -i FILE` fixes one.
set -eu
SRC=${1:-$(dirname "$0")/..}
cd "$SRC"
command -v clang-format >/dev/null ||
	{ echo "check-format: clang-format not installed (scripts/setup-deps.sh)" >&2; exit 1; }
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find lib daemon tests bench -name '*.[ch]')
# one clang-format for all files; it names each file that differs
out=$(clang-format --dry-run -Werror $files 2>&1) && { echo "check-format: ok"; exit 0; }
echo "$out" | grep -aoE '^[^ :]+\.[ch]:[0-9]+:[0-9]+: (error|warning)' | cut -d: -f1 | sort -u | sed 's/:$//; s/^/check-format: not clang-formatted: /' >&2
echo "$out" | grep -aq 'error:' || echo "$out" >&2
exit 1
