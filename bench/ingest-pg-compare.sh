#!/bin/bash
# `triage ingest` speed of two triage binaries on one throwaway
# PostgreSQL (tests/harness/pg.sh, a Unix socket) in one run: COUNT
# generated messages (every fourth a reply, so threading has work) piped
# into a fresh schema, ROUNDS times each, alternating A and B so that
# both see the same machine.  Prints each run, the medians and B/A.
#
# With TRIPS=1 each binary also runs once under strace, counting the
# sendto calls (libpq sends each statement, or pipeline, with one): the
# round trips per message, a figure that does not depend on the load.
#
# usage: bench/ingest-pg-compare.sh COUNT TRIAGE_A TRIAGE_B [ROUNDS]
set -eu
COUNT=${1:?usage: ingest-pg-compare.sh COUNT TRIAGE_A TRIAGE_B [ROUNDS]}
A=${2:?triage binary A}
B=${3:?triage binary B}
ROUNDS=${4:-3}
SRC=$(cd "$(dirname "$0")/.." && pwd)
for b in "$A" "$B"; do
	[ -x "$b" ] || { echo "not executable: $b" >&2; exit 1; }
done
. "$SRC/tests/harness/pg.sh"
pg_start
work=$(mktemp -d "${TMPDIR:-/tmp}/ingest-pg.XXXXXX")
trap 'rm -rf "$work"' EXIT

for i in $(seq "$COUNT"); do
	{
		echo "From: Buyer $((i % 97)) <buyer$((i % 97))@customer$((i % 13)).example>"
		echo "To: sales@example.com, support@example.com"
		echo "Cc: person$((i % 7))@example.com"
		if [ $((i % 4)) = 0 ]; then
			echo "Subject: Re: Question $((i - 1))"
			echo "In-Reply-To: <bench-$((i - 1))@customer.example>"
		else
			echo "Subject: Question $i about pricing"
		fi
		echo "Message-ID: <bench-$i@customer.example>"
		echo "Date: Mon, 07 Dec 2026 10:$((i % 60)):00 +0000"
		echo
		echo "Could you send a quote for $i seats of the enterprise edition?"
		echo "We have budget approved and need it this quarter."
	} >"$work/m$i.eml"
done

# run BINARY: seconds for one ingest of every message into a fresh schema
run() {
	local t0
	psql -X -q "$PG_TARGET" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' \
	    >/dev/null 2>&1
	"$1" db init --db "$PG_TARGET" >/dev/null
	t0=$EPOCHREALTIME
	(cd "$work" && TRIAGE_DB=$PG_TARGET "$1" ingest --mailbox sales \
	    $(seq -f 'm%g.eml' "$COUNT") >/dev/null)
	awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", b - a }'
}

# trips BINARY: sendto calls per message of one ingest (strace)
trips() {
	psql -X -q "$PG_TARGET" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' \
	    >/dev/null 2>&1
	"$1" db init --db "$PG_TARGET" >/dev/null
	(cd "$work" && TRIAGE_DB=$PG_TARGET strace -f -qq -c -e trace=sendto \
	    -o "$work/strace" "$1" ingest --mailbox sales \
	    $(seq -f 'm%g.eml' "$COUNT") >/dev/null)
	awk -v n="$COUNT" '$NF == "sendto" { printf "%.1f\n", $(NF - 1) / n }' \
	    "$work/strace"
}
if [ "${TRIPS:-0}" = 1 ]; then
	echo "round trips per message: A $(trips "$A"), B $(trips "$B")"
fi

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
: >"$work/a"
: >"$work/b"
for r in $(seq "$ROUNDS"); do
	ta=$(run "$A")
	tb=$(run "$B")
	echo "round $r: A ${ta} s, B ${tb} s ($COUNT messages)"
	echo "$ta" >>"$work/a"
	echo "$tb" >>"$work/b"
done
ma=$(median <"$work/a")
mb=$(median <"$work/b")
awk -v a="$ma" -v b="$mb" -v n="$COUNT" 'BEGIN {
	printf "median: A %.2f s (%.0f msg/s), B %.2f s (%.0f msg/s), B/A time %.2f\n",
	    a, n / a, b, n / b, b / a }'
