# A full disk under the database: the mailbox with new mail backs off
# exponentially (with jitter) and retries, logging SQLite's words and the
# path; the daemon keeps running, the other mailbox stays idle; nothing
# is flagged \Seen that was not stored and the checkpoint stays.  Once
# space is freed it catches up: every message stored once, all flagged,
# the database intact.  Started on a disk that is already full, triaged
# exits 1 with a clear message (systemd restarts it) rather than crash.
#
# The database lives on a small tmpfs of its own: mounting needs root
# (CI runs as root); otherwise the test is skipped (77).
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: mounting a small tmpfs for the database needs root"
	exit 77
fi

harness_start
DBDIR=$HARNESS_DIR/dbfs
mkdir "$DBDIR"
if ! mount -t tmpfs -o size=64m,mode=0755 tmpfs "$DBDIR" 2>"$HARNESS_DIR/mount.err"; then
	echo "skip: cannot mount a tmpfs: $(cat "$HARNESS_DIR/mount.err")"
	exit 77
fi
SOCK=$HARNESS_DIR/notify.sock
NOTES=$HARNESS_DIR/notify.log
LISTENER=

disk_on_exit()
{
	local status=$?
	set +e
	trap - ERR
	[ -z "$LISTENER" ] || kill "$LISTENER" 2>/dev/null
	if [ -n "${DAEMON_PID:-}" ]; then
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
	fi
	umount "$DBDIR"
	harness_stop "$status"
	exit "$status"
}
trap disk_on_exit EXIT

CONF=$HARNESS_DIR/triage.conf
DB=$DBDIR/triage.db
harness_write_conf "$CONF" "$DB"
# The status file is written beside the database; wait_status reads it
# here.
ln -s "$DBDIR/triaged.status" "$HARNESS_DIR/triaged.status"
gen 50 "$HARNESS_DIR/mail"
mail=("$HARNESS_DIR"/mail/*.eml)
deliver sales INBOX "${mail[@]:0:10}"

notify_listen "$SOCK" "$NOTES"

NOTIFY_SOCKET=$SOCK start_daemon
trap disk_on_exit EXIT
wait_sql "SELECT count(*) FROM messages" 10 20 || fail "first drain"
wait_status "^sales	idling" 10 || fail "sales not idling"
wait_status "^community	idling" 10 || fail "community not idling"

# 1. Fill the disk, then deliver: first a message larger than the
# writer's page cache (so the disk fills while it is being inserted, not
# only at COMMIT), then ordinary ones.
{ printf 'From: big@buyer.example\nTo: sales@example.com\nSubject: big\nMessage-ID: <big@buyer.example>\n\n'
  yes "please quote 400 seats of the enterprise plan for our team" |
	head -c 14000000; } >"$HARNESS_DIR/big.eml"
dd if=/dev/zero of="$DBDIR/filler" bs=64k 2>/dev/null || true
[ "$(df --output=avail "$DBDIR" | tail -n 1 | tr -d ' ')" = 0 ] ||
	fail "the disk is not full: $(df "$DBDIR")"
deliver sales INBOX "$HARNESS_DIR/big.eml"
deliver sales INBOX "${mail[@]:10:40}"
pat="mailbox=sales storing UIDs up to 11 failed: $DB: insert message: database or disk is full; retrying in"
wait_log "$pat" 20 || fail "no 'disk is full' with the path and a retry logged"
# Three attempts, each after a longer wait: equal jitter puts the n-th
# delay in [2^(n-1)/2, 2^(n-1)] s (logged truncated to 0.1 s).
tries=600
while [ "$(grep -c "mailbox=sales .*retrying in" "$DAEMON_LOG")" -lt 3 ]; do
	tries=$((tries - 1))
	[ "$tries" -gt 0 ] || fail "fewer than 3 attempts in 12 s"
	sleep 0.02
done
delays=$(sed -n 's/.*mailbox=sales .*retrying in \([0-9.]*\) s$/\1/p' \
    "$DAEMON_LOG" | head -n 3 | tr '\n' ' ')
delays=${delays% }
echo "backoff delays: $delays"
echo "$delays" | awk '{
	for (i = 1; i <= 3; i++) {
		hi = 2 ^ (i - 1)
		if ($i < hi / 2 - 0.1 || $i > hi)
			bad = 1
	}
} END { exit bad }' || fail "delays $delays s, want 0.5-1, 1-2, 2-4"
grep -q " STATUS=sales: backoff until [0-9:]* (storing UIDs up to 11 failed: .*); community: idling$" "$NOTES" ||
	fail "STATUS= does not show sales backing off beside an idle community: $(grep STATUS= "$NOTES" | tail -n 1)"
kill -0 "$DAEMON_PID" || fail "triaged died"
! grep -q "storing it raw" "$DAEMON_LOG" ||
	fail "a full disk was taken for a bad message: $(grep "storing it raw" "$DAEMON_LOG")"
! grep -q "mailbox=community .*retrying in" "$DAEMON_LOG" ||
	fail "community failed without new mail"
[ "$(sql "SELECT count(*) FROM messages")" = 10 ] || fail "stored on a full disk?"
[ "$(sql "SELECT last_uid FROM mailboxes WHERE name = 'sales'")" = 10 ] ||
	fail "the checkpoint moved"
[ "$(count_unseen sales INBOX)" = 41 ] ||
	fail "$(count_seen sales INBOX) of 51 flagged \\Seen, 10 stored"
# The status file lives beside the database: it cannot be written
# either.  Said once, not at every state change.
n=$(grep -c "status file: $DBDIR/triaged.status.tmp: No space left on device (not repeated" "$DAEMON_LOG") || true
[ "$n" = 1 ] || fail "the status file failure logged $n times, want 1"
pass "full disk: sales backs off ($delays s) and retries, community idles, nothing flagged, checkpoint kept"

# 2. Space again: the next attempt catches up.
rm "$DBDIR/filler"
wait_sql "SELECT count(*) FROM messages" 51 15 || fail "no catch-up"
[ "$(sql "SELECT count(DISTINCT message_id) FROM messages")" = 51 ] ||
	fail "stored twice"
[ "$(sql "SELECT last_uid FROM mailboxes WHERE name = 'sales'")" = 51 ] ||
	fail "checkpoint"
[ "$(sql "SELECT status != 'failed' FROM messages WHERE message_id = 'big@buyer.example'")" = 1 ] ||
	fail "the big message was stored as failed"
tries=100
until [ "$(count_unseen sales INBOX)" = 0 ]; do
	tries=$((tries - 1))
	[ "$tries" -gt 0 ] || fail "$(count_unseen sales INBOX) left unflagged"
	sleep 0.05
done
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
wait_status "^sales	idling" 10 || fail "the status file is not written again"
grep -q "status file: written again" "$DAEMON_LOG" ||
	fail "the status file's recovery not logged"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "exit status $DAEMON_RC"
pass "space freed: 51 stored once, all flagged, integrity ok"

# 3. Started on a full disk: opening the database needs to write (WAL
# and shared-memory files), so triaged says why and exits 1 -- not 2, a
# config error systemd would not restart; not a crash.
dd if=/dev/zero of="$DBDIR/filler" bs=64k 2>/dev/null || true
DAEMON_LOG=$HARNESS_DIR/triaged-2.log
rc=0
timeout 20 "$TRIAGED" -c "$CONF" 2>>"$DAEMON_LOG" || rc=$?
[ "$rc" = 1 ] || fail "started on a full disk: exit $rc, want 1"
# (An ASan build also exits 1 on an error it finds.)
! grep -q "ERROR: [A-Za-z]*Sanitizer" "$DAEMON_LOG" || fail "sanitizer error"
# A start that fails is at error priority (journalctl -p err shows it).
grep -q "^<3>triaged: $DB: .*\(disk I/O error\|database or disk is full\).*No space left on device" "$DAEMON_LOG" ||
	fail "no clear message naming the database and the full disk"
rm "$DBDIR/filler"
once || fail "--once after space was freed exited $?"
[ "$(sql "SELECT count(*) FROM messages")" = 51 ] || fail "count after restart"
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
pass "started on a full disk: exit 1 ($(grep "$DB" "$DAEMON_LOG" | head -n 1))"
