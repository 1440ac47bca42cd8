#!/bin/bash
# Several senders on one outbox in PostgreSQL (../shared/SCALE.md, "one
# sender per outbox row"), with the harness's real SMTP server:
#  1. unit/test-outbox-lease on PostgreSQL: two senders' claims take
#     different rows, a stale sender (its lease expired, the row taken
#     over) settles nothing, one notification per transaction that
#     queues rows, only at its COMMIT;
#  2. 200 queued mails and three senders (itest-outbox-send: the outbox
#     job of triaged) started at once: every mail reaches the server
#     exactly once (counted by Message-ID at the sink), every row is
#     sent, the senders' counts add up to 200 and more than one sent.
#  3. triaged's jobs (itest-outbox-wake): a row queued by another
#     connection after their first pass is sent well before the timer's
#     next pass (3.5 s later): the listener heard the transaction's pg_notify.
# OUTBOX_PG_ONE_OWNER=1 gives the senders one owner id, so that their
# leases do not keep them apart: then this test must fail (a check that
# it can).
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"

ROWS=200
SENDERS=3

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

harness_start
pg_start
export TRIAGE_PG_TARGET=$PG_TARGET

# 1.
"$TRIAGE_BUILD_DIR/tests/test-outbox-lease"

# 2.
psql -q "$PG_TARGET" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' \
    2>/dev/null
TRIAGE_DB=$PG_TARGET "$TRIAGE" db init >/dev/null
psql -q "$PG_TARGET" -c "INSERT INTO outbox (kind, rcpt, note, created,
    next_attempt) SELECT 'report', 'boss@example.com',
    'Report ' || g || E'\n\nThe text of report ' || g, 0, 0
    FROM generate_series(1, $ROWS) g"
harness_write_conf "$HARNESS_DIR/triage.conf"
pids=
for i in $(seq $SENDERS); do
	"$ITEST_DIR/itest-outbox-send" -c "$HARNESS_DIR/triage.conf" \
	    -d "$PG_TARGET" -o "host-${OUTBOX_PG_ONE_OWNER:-$i}:1:1" >"$HARNESS_DIR/send.$i" \
	    2>"$HARNESS_DIR/send.$i.err" &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || { cat "$HARNESS_DIR"/send.*.err >&2; fail "a sender failed"; }
done
cat "$HARNESS_DIR"/send.[0-9]
n=$(harness_smtp_messages | wc -l)
ids=$(harness_smtp_messages | xargs grep -hi '^message-id:' | sort)
dup=$(uniq -d <<<"$ids" | head -3)
[ -z "$dup" ] || fail "sent more than once: $dup"
[ "$n" = $ROWS ] || fail "$n mails at the server, want $ROWS"
[ "$(uniq <<<"$ids" | wc -l)" = $ROWS ] || fail "not $ROWS Message-IDs"
sent=$(psql -tA "$PG_TARGET" -c "SELECT count(*) FROM outbox WHERE state = 'sent'")
[ "$sent" = $ROWS ] || fail "$sent rows sent, want $ROWS"
sum=$(awk '{ s += $2 } END { print s }' "$HARNESS_DIR"/send.[0-9])
[ "$sum" = $ROWS ] || fail "the senders count $sum sent, want $ROWS"
busy=$(awk '$2 > 0' "$HARNESS_DIR"/send.[0-9] | wc -l)
[ "$busy" -ge 2 ] || fail "only $busy sender(s) sent anything"
if grep -q Sanitizer "$HARNESS_DIR"/send.*.err; then
	cat "$HARNESS_DIR"/send.*.err >&2
	fail "a sender reported memory errors"
fi

# 3. The timer at its longest: a pass every 5 s.
sed 's/^poll_interval = 1;/poll_interval = 30;/' "$HARNESS_DIR/triage.conf" \
    >"$HARNESS_DIR/wake.conf"
grep -q '^poll_interval = 30;' "$HARNESS_DIR/wake.conf" || fail "poll_interval"
out=$("$ITEST_DIR/itest-outbox-wake" -c "$HARNESS_DIR/wake.conf" \
    -d "$PG_TARGET" 2>"$HARNESS_DIR/wake.err") ||
	{ cat "$HARNESS_DIR/wake.err" >&2; fail "the queued row was not sent"; }
echo "$out"
ms=$(sed -n 's/^sent after \([0-9]*\) ms$/\1/p' <<<"$out")
[ -n "$ms" ] && [ "$ms" -lt 2500 ] ||
	fail "sent $ms ms after queueing: not woken by the notification"
if grep -q Sanitizer "$HARNESS_DIR/wake.err"; then
	cat "$HARNESS_DIR/wake.err" >&2
	fail "the jobs reported memory errors"
fi
echo "test-outbox-pg: ok"
