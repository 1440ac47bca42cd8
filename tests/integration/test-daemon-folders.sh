# Folder names and post-actions the server refuses, against the real
# Dovecot: a folder named in UTF-8 is selected and moved into under its
# modified UTF-7 name; a move to a missing folder creates it (the
# server's [TRYCREATE]) once; a move the server refuses (a Dovecot ACL
# without insert) is never counted as done: logged at error priority,
# shown in the status file and the systemd STATUS line, --once exits 1,
# the mail stays where it is, and once the cause is fixed the daemon's
# retry moves it.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
gen 8 "$HARNESS_DIR/mail"
m() { ls "$HARNESS_DIR"/mail/*.eml | sed -n "$1p"; }
in_folder=$(printf 'Entr\303\251e')	# Entrée
done_folder=$(printf 'Trait\303\251')	# Traité
new_folder=$(printf 'Archiv\303\251/R\303\251ponses')
locked=$(printf 'Verrouill\303\251')

# 1. A non-ASCII folder drained and moved into another.
for u in sales community; do
	harness_seed $u "$in_folder" "$(m 1)" "$(m 2)" "$(m 3)"
	harness_doveadm mailbox create -u $u "$done_folder"
done
HARNESS_FOLDER=$in_folder HARNESS_AFTER="move:$done_folder" conf
once || fail "--once exited $?"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 3 ] ||
	fail "not every message of $in_folder stored"
for u in sales community; do
	[ "$(harness_count $u "$in_folder")" = 0 ] || fail "$u: $in_folder not emptied"
	[ "$(harness_count $u "$done_folder")" = 3 ] || fail "$u: not moved to $done_folder"
done
# On the wire: modified UTF-7, never raw 8-bit.
grep -q 'SELECT "Entr&AOk-e"' "$(harness_rawlog_dir sales)"/*.in ||
	fail "SELECT did not name Entr&AOk-e"
grep -q 'MOVE [0-9:,]* "Trait&AOk-"' "$(harness_rawlog_dir sales)"/*.in ||
	fail "MOVE did not name Trait&AOk-"
! LC_ALL=C grep -q $'[\x80-\xff]' "$(harness_rawlog_dir sales)"/*.in ||
	fail "8-bit bytes in the commands"
pass "drained $in_folder and moved into $done_folder (modified UTF-7 on the wire)"

# 2. A move to a folder that does not exist creates it, once.
for u in sales community; do
	harness_seed $u "$in_folder" "$(m 4)" "$(m 5)"
done
HARNESS_FOLDER=$in_folder HARNESS_AFTER="move:$new_folder" conf
once || fail "--once exited $?"
for u in sales community; do
	[ "$(harness_count $u "$new_folder")" = 2 ] || fail "$u: not moved to the new $new_folder"
	[ "$(harness_count $u "$in_folder")" = 0 ] || fail "$u: $in_folder not emptied"
done
[ "$(grep -c "mailbox=sales .*does not exist (the server said TRYCREATE): creating it" "$DAEMON_LOG")" = 1 ] ||
	fail "the creation is not logged once"
pass "a move to a missing folder created it"

# 3. A move the server refuses: never skipped.
for u in sales community; do
	harness_doveadm mailbox create -u $u "$locked"
	harness_seed $u "$in_folder" "$(m 6)" "$(m 7)"
done
harness_acl sales "$locked" lookup read
HARNESS_FOLDER=$in_folder HARNESS_AFTER="move:$locked" conf
rc=0
once || rc=$?
[ "$rc" = 1 ] || fail "--once with a refused move exited $rc, expected 1"
grep -q "^<3>.*mailbox=sales post-action on UIDs .* refused; the messages are stored" "$DAEMON_LOG" ||
	fail "the refusal is not logged at error priority"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 7 ] ||
	fail "the messages are not stored"
[ "$(harness_count sales "$in_folder")" = 2 ] || fail "sales: mail left $in_folder"
[ "$(harness_count sales "$locked")" = 0 ] || fail "sales: moved despite the ACL"
[ "$(harness_count community "$locked")" = 2 ] || fail "community (no ACL) not moved"
grep -q "^sales	.*post-action refused" "$HARNESS_DIR/triaged.status" ||
	fail "triaged.status does not say: $(cat "$HARNESS_DIR/triaged.status")"
"$TRIAGE" -c "$CONF" status >"$HARNESS_DIR/status.out" || true
grep -q "sales: .*post-action refused" "$HARNESS_DIR/status.out" ||
	fail "triage status does not say: $(cat "$HARNESS_DIR/status.out")"
# Again: still refused, still not skipped.
rc=0
once || rc=$?
[ "$rc" = 1 ] || fail "second --once exited $rc, expected 1"
[ "$(harness_count sales "$in_folder")" = 2 ] || fail "sales: skipped on the second run"
pass "a refused move: error, status, --once exits 1, mail kept"

# The daemon retries with the mailbox's backoff; STATUS= says why until
# the cause is fixed, then the move completes.
SOCK=$HARNESS_DIR/notify.sock
NOTES=$HARNESS_DIR/notes
notify_listen "$SOCK" "$NOTES"
NOTIFY_SOCKET=$SOCK start_daemon
for _ in $(seq 100); do
	grep -q "STATUS=sales: backoff until .*post-action refused" "$NOTES" && break
	sleep 0.1
done
grep -q "STATUS=sales: backoff until .*post-action refused" "$NOTES" ||
	{ kill "$LISTENER"; fail "STATUS= does not show the refusal: $(tail -n 3 "$NOTES")"; }
tries=$(grep -c "mailbox=sales post-action on UIDs .* refused" "$DAEMON_LOG")
harness_acl sales "$locked"
for _ in $(seq 300); do
	[ "$(harness_count sales "$locked")" = 2 ] && break
	sleep 0.1
done
[ "$(harness_count sales "$locked")" = 2 ] || { kill "$LISTENER"; fail "not moved after the ACL was lifted"; }
[ "$(harness_count sales "$in_folder")" = 0 ] || { kill "$LISTENER"; fail "mail left behind"; }
wait_status '^sales	idling' 10 || { kill "$LISTENER"; fail "sales does not recover: $(cat "$HARNESS_DIR/triaged.status")"; }
stop_daemon TERM
kill "$LISTENER"
[ "$DAEMON_RC" = 0 ] || fail "SIGTERM exit status $DAEMON_RC"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 7 ] ||
	fail "the retries stored something twice"
pass "retried ($tries refusals logged), moved once the ACL allowed it"
