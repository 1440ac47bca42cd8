# triaged drains a mailbox of a few hundred varied messages into exactly
# that many stored messages, a second --once run stores nothing, every
# message is flagged \Seen after its commit, and with IDLE a message
# delivered while the daemon waits becomes a ticket within 2 seconds.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

N=300
harness_start
gen $N "$HARNESS_DIR/mail"
gen 6 "$HARNESS_DIR/late" 2
deliver sales INBOX "$HARNESS_DIR"/mail/*.eml
[ "$(harness_count sales INBOX)" = $N ] || fail "seeding"
conf

# 1. One drain stores every message exactly once, and accounts for all.
once || fail "--once exited $?"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = $N ] ||
	fail "stored $(sql "SELECT count(*) FROM messages") of $N"
[ "$(sql "SELECT count(DISTINCT uid) FROM messages WHERE mailbox = 'sales'")" = $N ] ||
	fail "UIDs stored twice"
[ "$(sql "SELECT last_uid FROM mailboxes WHERE name = 'sales'")" = $N ] ||
	fail "checkpoint is not at UID $N"
# Stored in UID order, though a batch's messages are parsed on several
# threads at once (a reply must find the message it answers stored).
[ "$(sql "SELECT count(*) FROM messages a JOIN messages b ON a.id < b.id AND a.uid > b.uid WHERE a.mailbox = 'sales' AND b.mailbox = 'sales'")" = 0 ] ||
	fail "messages stored out of UID order"
grep -q "mailbox=sales poll: $N past checkpoint: $N stored" "$DAEMON_LOG" ||
	fail "no accounting line for the drain"
# Messages that parsed are in tickets; none are lost in between.
[ "$(sql "SELECT count(*) FROM messages WHERE status != 'failed' AND ticket_id IS NULL")" = 0 ] ||
	fail "parsed messages without a ticket"
[ "$(count_unseen sales INBOX)" = 0 ] || fail "post-action: unseen left"
pass "drained $N messages, all flagged \\Seen"

# 2. A second run finds nothing new and stores nothing.
before=$(sql "SELECT count(*) FROM messages")
events=$(sql "SELECT count(*) FROM events")
once -v || fail "second --once exited $?"
[ "$(sql "SELECT count(*) FROM messages")" = "$before" ] ||
	fail "second run stored something"
[ "$(sql "SELECT count(*) FROM events")" = "$events" ] ||
	fail "second run wrote events"
# An empty poll is a debug line (<7>, shown with -v), not info.
[ "$(grep -c "^<7>.*mailbox=sales poll: 0 past checkpoint: 0 stored" "$DAEMON_LOG")" = 1 ] ||
	fail "second run's accounting line is not one debug line"
pass "second --once stores nothing"

# 3. IDLE: new mail becomes a ticket within 2 s of delivery.
start_daemon
wait_sql "SELECT 1 FROM mailboxes WHERE name = 'community'" 1 10 ||
	fail "daemon did not start"
for i in 1 2 3 4 5; do
	wait_status '^sales	idling' 10 ||
		fail "sales is not idling: $(cat "$HARNESS_DIR/triaged.status")"
	sleep 0.2	# the IDLE command itself is on its way
	f=$(ls "$HARNESS_DIR"/late/*.eml | sed -n "${i}p")
	mid=$(message_id "$f")
	t0=$(date +%s%N)
	deliver sales INBOX "$f"
	wait_sql "SELECT count(*) FROM messages WHERE message_id = '$mid' AND (ticket_id IS NOT NULL OR status = 'failed')" 1 2 ||
		fail "message $i not a ticket within 2 s"
	t1=$(date +%s%N)
	echo "delivery $i -> ticket: $(((t1 - t0) / 1000000)) ms"
done
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "SIGTERM exit status $DAEMON_RC"
[ "$(count_unseen sales INBOX)" = 0 ] || fail "IDLE-fetched mail not flagged"
pass "IDLE: 5 deliveries became tickets within 2 s each"
