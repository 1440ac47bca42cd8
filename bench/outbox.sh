#!/bin/bash
# Outbox send rate: COUNT generated messages drained into COUNT tickets,
# each claimed and routed to sales (attach) with the triage CLI, then one
# `triaged --once` sends the outbox through the harness SMTP server
# (aiosmtpd, STARTTLS, AUTH), one session per pass of 50 rows, each mail
# committed as sent right after its 250.  Prints mails/s and MB/s of the
# outbox drain (the IMAP drain is timed apart and subtracted), and how
# many rows the server refused (generated mail with lines over 998 octets
# is attached as-is and refused "500 Line too long": see the report).
# The harness server (Python, logging every DATA line) is the slow end.
#
# usage: bench/outbox.sh [COUNT] [BUILD_DIR]     (COUNT default 300)
set -e
COUNT=${1:-300}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${2:-$SRC/build}
export TRIAGE_SOURCE_DIR=$SRC
export TRIAGED=${TRIAGED:-$BUILD/daemon/triaged}
export TRIAGE=${TRIAGE:-$BUILD/daemon/triage}
[ -x "$TRIAGED" ] || { echo "no $TRIAGED: build first" >&2; exit 1; }
. "$SRC/tests/harness/harness.sh"
. "$SRC/tests/integration/daemon-lib.sh"
. "$SRC/tests/integration/outbox-lib.sh"

harness_start
gen "$COUNT" "$HARNESS_DIR/mail" 2000
deliver sales INBOX "$HARNESS_DIR"/mail/*.eml
conf
once >/dev/null || true
tickets=$(sql "SELECT id FROM tickets WHERE state = 'new' ORDER BY id")
n=0
for t in $tickets; do
	cli claim "$t" >/dev/null && cli route "$t" sales >/dev/null && n=$((n + 1))
done
echo "routed $n tickets"
t0=$(date +%s%N)
once >/dev/null || true
t1=$(date +%s%N)
# the same --once with nothing to send: the IMAP part of the run
once >/dev/null || true
t2=$(date +%s%N)
sent=$(sql "SELECT count(*) FROM outbox WHERE state = 'sent'")
bytes=$(cat $(harness_smtp_messages) | wc -c)
ms=$(((t1 - t0 - (t2 - t1)) / 1000000))
[ "$ms" -gt 0 ] || ms=1
failed=$(sql "SELECT count(*) FROM outbox WHERE state = 'failed'")
echo "refused by the server: $failed ($(sql "SELECT DISTINCT substr(last_error, 1, 60) FROM outbox WHERE state = 'failed'" | head -n 1))"
echo "outbox: $sent mails, $((bytes / 1024)) KB in $ms ms:" \
    "$((sent * 1000 / ms)) mails/s," \
    "$((bytes * 1000 / ms / 1024)) KB/s (spooled: $(spool_count))"
