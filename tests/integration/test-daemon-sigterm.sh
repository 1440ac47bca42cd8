# SIGTERM in the middle of a drain: triaged finishes the batch in hand,
# commits, logs out and exits 0 within a few seconds, leaving a
# consistent database (messages and checkpoint agree); a later run
# stores exactly the rest.  Also: SIGTERM while idle, and while the
# server hangs (SIGSTOP) -- the connection is cut after the grace time.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

N=1200
harness_start
gen $N "$HARNESS_DIR/mail" 21
deliver sales INBOX "$HARNESS_DIR"/mail/*.eml
conf

start_daemon --batch 25
wait_sql "SELECT count(*) > 0 FROM messages" 1 20 || fail "drain did not start"
t0=$(date +%s%N)
stop_daemon TERM
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$DAEMON_RC" = 0 ] || fail "exit status $DAEMON_RC"
[ "$ms" -lt 5000 ] || fail "took $ms ms to stop"
stored=$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")
last=$(sql "SELECT last_uid FROM mailboxes WHERE name = 'sales'")
[ "$stored" -lt $N ] || fail "SIGTERM came too late to test anything"
[ "$stored" = "$last" ] ||
	fail "stored $stored but checkpoint at $last: not consistent"
[ "$(sql "SELECT count(*) FROM messages WHERE uid > $last")" = 0 ] ||
	fail "messages past the checkpoint"
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
# Everything committed was flagged before exit.
[ "$(count_seen sales INBOX)" = "$stored" ] ||
	fail "$(count_seen sales INBOX) flagged, $stored stored"
grep -q "mailbox=sales poll (interrupted)\|mailbox=sales poll: $N past checkpoint: $stored stored" "$DAEMON_LOG" ||
	grep -q "mailbox=sales poll: $N past checkpoint" "$DAEMON_LOG" ||
	fail "no accounting line at stop"
echo "SIGTERM after $stored of $N: exit 0 in $ms ms"
once || fail "--once after SIGTERM"
[ "$(sql "SELECT count(*) FROM messages")" = $N ] || fail "the rest"
[ "$(sql "SELECT count(DISTINCT message_id) FROM messages")" = $N ] ||
	fail "duplicates"
pass "SIGTERM mid-drain: clean exit, consistent database, rest drained"

# A server that hangs: the blocked connection is cut after the grace.
# The mailbox rows are there from before: wait for this daemon's own
# "started" line (its signals are set up by then; on a busy machine
# loading the rules takes longer than the sleep below).
started=$(grep -c "started:" "$DAEMON_LOG")
start_daemon
for _ in $(seq 500); do
	[ "$(grep -c "started:" "$DAEMON_LOG")" -gt "$started" ] && break
	sleep 0.02
done
[ "$(grep -c "started:" "$DAEMON_LOG")" -gt "$started" ] || fail "start"
sleep 0.5
harness_dovecot_pause
t0=$(date +%s%N)
stop_daemon TERM
ms=$((($(date +%s%N) - t0) / 1000000))
harness_dovecot_resume
[ "$DAEMON_RC" = 0 ] || fail "exit status $DAEMON_RC with a hung server"
[ "$ms" -lt 6000 ] || fail "took $ms ms to stop with a hung server"
pass "SIGTERM with a hung server: exit 0 in $ms ms"
