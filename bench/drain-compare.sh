#!/bin/bash
# Drain speed of two builds on the same mailbox in one run: triaged
# --once from build A (the baseline) and build B drain one local
# Dovecot mailbox of COUNT generated messages into a fresh database,
# ROUNDS times each, alternating A and B so that both see the same
# machine.  With after = "none" the mailbox is left as it was, so every
# run does the same work.  Prints each run, the medians and B/A.
#
# With INSTR=1 each build also drains once under callgrind and the
# instructions per message are printed: a count that does not depend on
# what else the machine is doing (I/O waits do not show in it); with
# CALLGRIND_DIR=DIR the profiles are kept there for callgrind_annotate.
#
# usage: bench/drain-compare.sh COUNT BUILD_A BUILD_B [ROUNDS]
set -e
COUNT=${1:?usage: drain-compare.sh COUNT BUILD_A BUILD_B [ROUNDS]}
BUILD_A=${2:?build A}
BUILD_B=${3:?build B}
ROUNDS=${4:-5}
SRC=$(cd "$(dirname "$0")/.." && pwd)
export TRIAGE_SOURCE_DIR=$SRC
for b in "$BUILD_A" "$BUILD_B"; do
	[ -x "$b/daemon/triaged" ] || { echo "no $b/daemon/triaged" >&2; exit 1; }
done
. "$SRC/tests/harness/harness.sh"
. "$SRC/tests/integration/daemon-lib.sh"

harness_start
if [ -n "${BENCH_MAIL:-}" ] && [ -f "$BENCH_MAIL/$(printf %06d "$COUNT").eml" ]; then
	ln -s "$BENCH_MAIL" "$HARNESS_DIR/mail"
else
	gen "$COUNT" "${BENCH_MAIL:-$HARNESS_DIR/mail}" 1000
	[ -z "${BENCH_MAIL:-}" ] || ln -s "$BENCH_MAIL" "$HARNESS_DIR/mail"
fi
deliver sales INBOX $(ls "$HARNESS_DIR"/mail/*.eml | head -n "$COUNT")
harness_count sales INBOX >/dev/null
HARNESS_AFTER=none conf

# run BUILD [WRAPPER...]: one drain into a fresh database; prints seconds.
run()
{
	local build=$1 t0 t1 stored
	shift
	rm -f "$DB" "$DB"-wal "$DB"-shm "$DB".lock
	t0=$(date +%s%N)
	"$@" "$build/daemon/triaged" -c "$CONF" --once \
	    2>"$HARNESS_DIR/run.log" || { tail "$HARNESS_DIR/run.log" >&2; exit 1; }
	t1=$(date +%s%N)
	stored=$(sql "SELECT count(*) FROM messages")
	[ "$stored" = "$COUNT" ] || { echo "stored $stored of $COUNT" >&2; exit 1; }
	echo "scale=3; ($t1 - $t0) / 1000000000" | bc
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

run "$BUILD_A" >/dev/null	# warm the page cache and Dovecot's index
: >"$HARNESS_DIR/a"
: >"$HARNESS_DIR/b"
for i in $(seq "$ROUNDS"); do
	a=$(run "$BUILD_A")
	b=$(run "$BUILD_B")
	echo "$COUNT / $a" | bc >>"$HARNESS_DIR/a"
	echo "$COUNT / $b" | bc >>"$HARNESS_DIR/b"
	printf 'round %d: A %s s (%s msg/s)   B %s s (%s msg/s)\n' "$i" \
	    "$a" "$(tail -1 "$HARNESS_DIR/a")" "$b" "$(tail -1 "$HARNESS_DIR/b")"
done
ma=$(median <"$HARNESS_DIR/a")
mb=$(median <"$HARNESS_DIR/b")
printf 'median msg/s: A %s   B %s   B/A %s%%\n' "$ma" "$mb" \
    "$(echo "scale=1; 100 * $mb / $ma" | bc)"

[ "${INSTR:-0}" = 1 ] || exit 0
for side in A B; do
	build=$BUILD_A
	[ "$side" = A ] || build=$BUILD_B
	out=${CALLGRIND_DIR:-$HARNESS_DIR}/callgrind.$side
	run "$build" valgrind --tool=callgrind --callgrind-out-file="$out" \
	    >/dev/null
	ir=$(callgrind_annotate "$out" 2>/dev/null |
	    awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
	printf 'instructions per message: %s %s\n' "$side" "$((ir / COUNT))"
done
