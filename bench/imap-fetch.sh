#!/bin/bash
# IMAP fetch throughput of lib/proto/imap.c against the harness's real Dovecot
# over verified TLS: N generated messages (tests/fixtures/daemon/
# genmail.py) drained by itest-imap-fetch, with the default batches and
# with one message per UID FETCH (no pipelining), over implicit TLS and
# plaintext on loopback.  Prints messages/s and MB/s; run it once, the
# machine is shared.
#
# usage: bench/imap-fetch.sh [N]   (default 2000; BUILD=dir, default build)
# Measured (2 shared cores, 2000 generated messages, 63 MiB): ~2200
# msg/s / 70 MB/s over implicit TLS with ~180 ms client CPU (the rest is
# Dovecot, whose login process proxies TLS); ~5000 msg/s plaintext.
set -eu
cd "$(dirname "$0")/.."
N=${1:-2000}
BUILD=${BUILD:-build}
export TRIAGE_SOURCE_DIR=$PWD
FETCH=$BUILD/tests/integration/itest-imap-fetch
[ -x "$FETCH" ] || { echo "build first: $FETCH" >&2; exit 1; }
. tests/harness/harness.sh
harness_start

/usr/bin/python3 tests/fixtures/daemon/genmail.py --seed 7 "$N" \
    "$HARNESS_DIR/gen" >/dev/null
# Deliver straight into the maildir, as an MDA does (doveadm save would
# be one process a message).
md=$HARNESS_DIR/home/sales/Maildir
mkdir -p "$md/new" "$md/cur" "$md/tmp"
i=0
for f in "$HARNESS_DIR"/gen/*.eml; do
	i=$((i + 1))
	cp "$f" "$md/new/$i.M$i.bench"
done
[ "$(id -u)" -ne 0 ] || chown -R "$HARNESS_RUN_USER:" "$HARNESS_DIR/home"
[ "$(harness_count sales INBOX)" = "$N" ] || { echo "seeding failed" >&2; exit 1; }
bytes=$(cat "$HARNESS_DIR"/gen/*.eml | wc -c)
echo "messages: $N, $((bytes / 1024)) KiB on disk"

run() { # label tls port [options]
	local label=$1 tls=$2 port=$3 t0 t1 out ms
	shift 3
	t0=$(date +%s%N)
	TIMEFORMAT='%U %S'
	{ time "$FETCH" -h 127.0.0.1 -p "$port" -t "$tls" -u sales \
	    -P "$(harness_password_file sales)" -C "$HARNESS_CA" -T 30 "$@" \
	    >"$HARNESS_DIR/out"; } 2>"$HARNESS_DIR/cpu"
	t1=$(date +%s%N)
	out=$(tail -n 1 "$HARNESS_DIR/out")
	ms=$(((t1 - t0) / 1000000))
	cpu=$(awk '{ printf "%d", ($1 + $2) * 1000 }' "$HARNESS_DIR/cpu")
	[ "$out" = "fetched $N of $N" ] || { echo "$label: $out" >&2; exit 1; }
	awk -v l="$label" -v n="$N" -v b="$bytes" -v ms="$ms" -v cpu="$cpu" \
	    'BEGIN { printf "%-36s %6d ms wall %6d ms client CPU %7.0f msg/s %6.1f MB/s\n",
	        l, ms, cpu, n / (ms / 1000), b / 1048576 / (ms / 1000) }'
}
run "implicit TLS, batches of 50" implicit "$IMAPS_PORT"
run "implicit TLS, batches of 500" implicit "$IMAPS_PORT" -b 500
run "implicit TLS, 1 per UID FETCH" implicit "$IMAPS_PORT" -b 1
run "plaintext (loopback), batches of 50" none "$IMAP_PORT"
