#!/bin/bash
# Drain speed: triaged --once against a local Dovecot mailbox of COUNT
# generated messages (tests/fixtures/daemon/genmail.py: median ~8 KB,
# mean ~35 KB with attachments), with the default rules and after =
# "flag", compared with the I/O limit: a minimal client fetching every
# body with one UID FETCH 1:* BODY.PEEK[] from the same server, over
# implicit TLS and over plaintext loopback.  Prints, for each, both
# rates, their ratio and triaged's peak RSS (the kernel's VmHWM, as
# /usr/bin/time reports it).
#
# usage: bench/drain.sh [COUNT] [BUILD_DIR]     (COUNT default 5000)
set -e
COUNT=${1:-5000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${2:-$SRC/build}
export TRIAGE_SOURCE_DIR=$SRC
export TRIAGED=${TRIAGED:-$BUILD/daemon/triaged}
[ -x "$TRIAGED" ] || { echo "no $TRIAGED: build first" >&2; exit 1; }
. "$SRC/bench/drain-lib.sh"

bench_mailbox

# fetch TLS: the bare client once over implicit TLS ("implicit") or
# plaintext loopback ("none"); prints messages bytes seconds.
fetch()
{
	local port=$IMAPS_PORT ca=$HARNESS_CA
	[ "$1" = implicit ] || { port=$IMAP_PORT; ca=none; }
	/usr/bin/python3 "$SRC/bench/drain-fetch.py" 127.0.0.1 "$port" \
	    "$ca" sales "$(harness_password sales)"
}

# drain TLS: the bare fetch, then triaged --once into a fresh database,
# over the same transport, one after the other (after = "flag" sets
# \Seen; the next drain into a fresh database does the same work).
drain()
{
	local tls=$1 fmsgs fbytes fsecs t0 t1 rss_kb usr sys dsecs stored
	local frate drate
	fetch "$tls" >/dev/null	# warm the page cache the same way for both
	read -r fmsgs fbytes fsecs <<<"$(fetch "$tls")"
	[ "$fmsgs" = "$COUNT" ] || { echo "bare fetch saw $fmsgs" >&2; exit 1; }
	HARNESS_IMAP_TLS=$tls conf
	rm -f "$DB" "$DB"-wal "$DB"-shm
	DAEMON_LOG=$HARNESS_DIR/bench-$tls.log
	t0=$(date +%s%N)
	/usr/bin/time -f "%M %e %U %S" -o "$HARNESS_DIR/time" \
	    "$TRIAGED" -c "$CONF" --once 2>"$DAEMON_LOG" || {
		tail "$DAEMON_LOG" >&2; exit 1; }
	t1=$(date +%s%N)
	read -r rss_kb _ usr sys <"$HARNESS_DIR/time"
	dsecs=$(echo "scale=3; ($t1 - $t0) / 1000000000" | bc)
	stored=$(sql "SELECT count(*) FROM messages")
	[ "$stored" = "$COUNT" ] || { echo "stored $stored of $COUNT" >&2; exit 1; }

	frate=$(echo "scale=1; $fmsgs / $fsecs" | bc)
	drate=$(echo "scale=1; $COUNT / $dsecs" | bc)
	echo "-- $([ "$tls" = none ] && echo plaintext loopback || echo implicit TLS):"
	printf '  bare fetch (UID FETCH 1:* BODY.PEEK[]): %7s msg/s %6s MB/s  (%s s)\n' \
	    "$frate" "$(echo "scale=1; $fbytes / 1048576 / $fsecs" | bc)" "$fsecs"
	printf '  triaged --once (parse, rules, store, flag): %7s msg/s %6s MB/s  (%s s, cpu %s user + %s sys)\n' \
	    "$drate" "$(echo "scale=1; $fbytes / 1048576 / $dsecs" | bc)" \
	    "$dsecs" "$usr" "$sys"
	printf '  ratio: %s%%   triaged peak RSS: %s MB   database: %s MB\n' \
	    "$(echo "scale=1; 100 * $drate / $frate" | bc)" \
	    "$((rss_kb / 1024))" "$(($(stat -c %s "$DB") / 1048576))"
	grep "poll:" "$DAEMON_LOG" | sed 's/^<[0-9]>/  /'
}

# BENCH_TLS="implicit none" (the default): both transports, TLS first.
for tls in ${BENCH_TLS:-implicit none}; do
	drain "$tls"
done
