#!/bin/bash
# The outbox under faults, with the real triaged and SMTP server:
#  1. the SMTP server down when a ticket is routed: the row waits (its
#     attempts and the error recorded) and is delivered exactly once
#     after the server comes back;
#  2. a 550 marks the row failed with the server's text, shown by
#     `triage outbox --failed`, `triage status` and `triage show`;
#     `triage outbox retry`
#     sends it once the address is accepted, once;
#  3. triaged SIGKILLed between queueing and sending (the server hangs
#     before its greeting) delivers after the restart, once;
#  4. SIGTERM while the server hangs mid-exchange: the connection is cut
#     after the 3 s grace, triaged exits 0, and the row goes out once
#     when the server is back.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/outbox-lib.sh"

harness_start
outbox_trap
conf
# First retry after 1 s (then 2, 4 ...) instead of a minute.
sed -i 's|from = "Triage <triage@example.com>";|& first_retry = "1s";|' "$CONF"
grep -q 'first_retry = "1s"' "$CONF" || fail "smtp.first_retry not set"
W=$HARNESS_DIR/work
mkdir -p "$W"
sed 's/o1\.pat@/o1.kim@/; s/Pat Buyer <pat@/Kim <kim@/' \
    "$OUTBOX_FIX/c1.eml" >"$W/k1.eml"
deliver sales INBOX "$OUTBOX_FIX/c1.eml" "$OUTBOX_FIX/d1.eml" "$W/k1.eml"
once || fail "--once exited $?"
T1=$(ticket_of o1.pat@buyer.example)
T2=$(ticket_of o1.dana@user.example)
T3=$(ticket_of o1.kim@buyer.example)
for t in $T1 $T2 $T3; do cli claim "$t" >/dev/null || fail "claim $t"; done

# 1. Server down: the row waits, then goes out once.
harness_smtp_stop
start_daemon
cli route "$T1" sales >/dev/null || fail "route"
wait_sql "SELECT attempts >= 2 AND state = 'pending' FROM outbox WHERE ticket_id = $T1" 1 15 ||
	fail "no failed attempts recorded: $(sql "SELECT * FROM outbox")"
sql "SELECT last_error FROM outbox WHERE ticket_id = $T1" | grep -qi "refused\|connect" ||
	fail "last error: $(sql "SELECT last_error FROM outbox WHERE ticket_id = $T1")"
cli outbox | grep -q "^[0-9]* *#$T1 .*pending" || fail "triage outbox does not list it"
harness_smtp_start
wait_sql "SELECT state FROM outbox WHERE ticket_id = $T1" sent 20 ||
	fail "not delivered after the server came back"
sleep 2
[ "$(spool_count)" = 1 ] || fail "server back: $(spool_count) mails, want 1"
grep -q "outbox: outbox row .* attempt 1 failed, next in 1 s" "$DAEMON_LOG" ||
	fail "no retry line in the log"
pass "SMTP down: waited $(sql "SELECT attempts FROM outbox WHERE ticket_id = $T1") attempts, delivered once"

# 2. 550: failed with the server's text; retry after it is fixed.
harness_smtp_reject support@example.com 550 "5.1.1 support mailbox unavailable"
cli route "$T2" support >/dev/null || fail "route 2"
wait_sql "SELECT state FROM outbox WHERE ticket_id = $T2" failed 10 ||
	fail "550 did not fail the row: $(sql "SELECT * FROM outbox WHERE ticket_id = $T2")"
sql "SELECT last_error FROM outbox WHERE ticket_id = $T2" |
    grep -q "550 5.1.1 support mailbox unavailable" ||
	fail "server text not kept: $(sql "SELECT last_error FROM outbox WHERE ticket_id = $T2")"
ROW=$(sql "SELECT id FROM outbox WHERE ticket_id = $T2")
cli outbox --failed | grep -q "^$ROW .*failed.*550 5.1.1 support mailbox unavailable" ||
	fail "triage outbox --failed: $(cli outbox --failed)"
cli show "$T2" | grep -q "forward-failed.*550 5.1.1 support mailbox unavailable" ||
	fail "triage show lacks the failure: $(cli show "$T2")"
grep -q "outbox row $ROW .*failed: 550 5.1.1" "$DAEMON_LOG" || fail "not logged"
"$TRIAGE" -c "$CONF" status | grep -q "^outbox: 0 waiting, 1 failed" ||
	fail "triage status: $("$TRIAGE" -c "$CONF" status)"
"$TRIAGE" -c "$CONF" status | grep -q "failed: row $ROW ticket #$T2 forward to support: 550 5.1.1" ||
	fail "triage status lacks the failed row"
"$TRIAGE" -c "$CONF" status --json | grep -Eq '"outbox_failed": ?1' ||
	fail "triage status --json lacks outbox_failed"
[ "$(spool_count)" = 1 ] || fail "550: something was stored"
harness_smtp_accept
cli outbox retry "$ROW" >/dev/null || fail "outbox retry"
wait_sql "SELECT state FROM outbox WHERE id = $ROW" sent 10 || fail "retry not sent"
sleep 1
[ "$(spool_count)" = 2 ] || fail "after retry: $(spool_count) mails, want 2"
set +e
cli outbox retry "$ROW" >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || fail "a sent row re-queued (exit $rc)"
pass "550: failed with the server's text, listed and shown; retry sent it once"

# 3. SIGKILL between queueing and sending.
kill -STOP "$HARNESS_SMTP_PID"
cli route "$T3" sales >/dev/null || fail "route 3"
sleep 2
[ "$(sql "SELECT state || ' ' || attempts FROM outbox WHERE ticket_id = $T3")" = "pending 0" ] ||
	fail "row not in hand: $(sql "SELECT * FROM outbox WHERE ticket_id = $T3")"
stop_daemon KILL
kill -CONT "$HARNESS_SMTP_PID"
start_daemon
wait_sql "SELECT state FROM outbox WHERE ticket_id = $T3" sent 15 ||
	fail "not delivered after the restart"
sleep 2
[ "$(spool_count)" = 3 ] || fail "after SIGKILL: $(spool_count) mails, want 3"
n=0
for f in $(harness_smtp_messages); do
	grep -q "^X-Triage-Ticket: $T3" "$f" && n=$((n + 1))
done
[ "$n" = 1 ] || fail "ticket $T3 arrived $n times"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "SIGTERM exit status $DAEMON_RC"
pass "SIGKILL between queueing and sending: delivered once after restart"

# 4. SIGTERM while the SMTP exchange hangs: cut after the grace.
sed 's/o1\.pat@/o1.lee@/; s/Pat Buyer <pat@/Lee <lee@/' \
    "$OUTBOX_FIX/c1.eml" >"$W/l1.eml"
deliver sales INBOX "$W/l1.eml"
once || fail "--once exited $?"
T4=$(ticket_of o1.lee@buyer.example)
cli claim "$T4" >/dev/null || fail "claim 4"
before=$(spool_count)
start_daemon
wait_status "^sales	idling	" 15 || fail "not idling"
kill -STOP "$HARNESS_SMTP_PID"
cli route "$T4" sales >/dev/null || fail "route 4"
sleep 2		# the sender connects and waits for the greeting
t0=$(date +%s%N)
stop_daemon TERM
ms=$((($(date +%s%N) - t0) / 1000000))
kill -CONT "$HARNESS_SMTP_PID"
[ "$DAEMON_RC" = 0 ] || fail "SIGTERM with a hung SMTP server: exit $DAEMON_RC"
[ "$ms" -lt 6000 ] || fail "took $ms ms to stop with a hung SMTP server"
[ "$(sql "SELECT state FROM outbox WHERE ticket_id = $T4")" = pending ] ||
	fail "row not pending after the cut: $(sql "SELECT * FROM outbox WHERE ticket_id = $T4")"
start_daemon
wait_sql "SELECT state FROM outbox WHERE ticket_id = $T4" sent 20 ||
	fail "not sent after the restart"
sleep 1
[ "$(spool_count)" = $((before + 1)) ] ||
	fail "after the cut: $(spool_count) mails, want $((before + 1))"
stop_daemon TERM
pass "SIGTERM with a hung SMTP server: exit 0 in $ms ms; the row went out once after"
