# The systemd protocol, against a stand-in notification socket: READY=1
# once started, STATUS= with every mailbox's state, WATCHDOG=1 at half of
# WATCHDOG_USEC, RELOADING=1 then READY=1 around SIGHUP, STOPPING=1 at
# SIGTERM.  Also: a message over max_message_size is recorded and
# reported, not fetched and not silently skipped.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
conf
SOCK=$HARNESS_DIR/notify.sock
NOTES=$HARNESS_DIR/notify.log
notify_listen "$SOCK" "$NOTES"
harness_wait_port "$IMAPS_PORT" 5

NOTIFY_SOCKET=$SOCK WATCHDOG_USEC=400000 start_daemon
trap 'kill $LISTENER 2>/dev/null; daemon_on_exit' EXIT
wait_status "^sales	idling" 15 || fail "sales never idled"
sleep 1.2
grep -q " READY=1$" "$NOTES" || fail "no READY=1"
grep -q " STATUS=sales: idling; community: idling$" "$NOTES" ||
	fail "no STATUS line with both mailboxes idling"
n=$(grep -c " WATCHDOG=1$" "$NOTES")
[ "$n" -ge 4 ] || fail "$n WATCHDOG=1 in about 1.5 s with WATCHDOG_USEC=0.4 s"
kill -HUP "$DAEMON_PID"
wait_status "^sales	idling" 15 || fail "no idling after SIGHUP"
sleep 0.5
grep -q " RELOADING=1$" "$NOTES" || fail "no RELOADING=1"
[ "$(grep -c " READY=1$" "$NOTES")" -ge 2 ] || fail "no READY=1 after reload"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "exit $DAEMON_RC"
grep -q " STOPPING=1$" "$NOTES" || fail "no STOPPING=1"
pass "READY, STATUS, WATCHDOG ($n in ~1.5 s), RELOADING, STOPPING"

# Too large to fetch: recorded with UID and size, reported, mailbox goes on.
sed -i 's/^poll_interval = 1;/poll_interval = 1;\nmax_message_size = "100K";/' "$CONF"
gen 3 "$HARNESS_DIR/small" 31
{ printf 'From: big@buyer.example\nTo: sales@example.com\nSubject: huge\nMessage-ID: <huge@buyer.example>\n\n'
  head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 76; } >"$HARNESS_DIR/big.eml"
deliver sales INBOX "$HARNESS_DIR"/small/000001.eml "$HARNESS_DIR/big.eml" \
    "$HARNESS_DIR"/small/000002.eml "$HARNESS_DIR"/small/000003.eml
once || fail "--once with a big message exited $?"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 4 ] ||
	fail "stored $(sql "SELECT count(*) FROM messages")"
sql "SELECT error FROM messages WHERE status = 'failed'" |
	grep -q "message too large to fetch: 30[0-9]* bytes, max_message_size is 102400 (UID 2)" ||
	fail "the big message is not recorded: $(sql "SELECT uid, status, error FROM messages")"
grep -q "mailbox=sales poll: 4 past checkpoint: 4 stored .* 1 too large" "$DAEMON_LOG" ||
	fail "accounting line"
grep -q "mailbox=sales 1 message over max_message_size recorded but not fetched" "$DAEMON_LOG" ||
	fail "no warning"
pass "a message over max_message_size is recorded with UID and size"
