# Faults: Dovecot stopped and restarted under a running triaged (it backs
# off, reconnects and catches up, nothing lost or doubled); a mailbox
# with a wrong password backs off while the other is still drained.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
gen 150 "$HARNESS_DIR/mail"
mail=("$HARNESS_DIR"/mail/*.eml)
deliver sales INBOX "${mail[@]:0:100}"
conf

# 1. Server restart while the daemon runs.
start_daemon
wait_sql "SELECT count(*) FROM messages" 100 20 || fail "first drain"
harness_dovecot_stop
wait_log "mailbox=sales .*retrying in" 10 ||
	fail "no backoff logged after the server went away"
# Dovecot says BYE and closes: said so, not "unparsable".
! grep -q "mailbox=sales .*unparsable" "$DAEMON_LOG" ||
	fail "a closed connection logged as unparsable"
grep -q "^sales	backoff	" "$HARNESS_DIR/triaged.status" ||
	fail "status does not show backoff: $(cat "$HARNESS_DIR/triaged.status")"
deliver sales INBOX "${mail[@]:100:50}"
sleep 1
harness_dovecot_start good || fail "restarting dovecot"
wait_sql "SELECT count(*) FROM messages" 150 30 ||
	fail "did not catch up after the restart"
[ "$(sql "SELECT count(DISTINCT message_id) FROM messages")" = 150 ] ||
	fail "duplicates after the restart"
wait_sql "SELECT last_uid FROM mailboxes WHERE name = 'sales'" 150 5 ||
	fail "checkpoint"
sleep 0.5
[ "$(count_unseen sales INBOX)" = 0 ] || fail "post-actions missing"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "exit status $DAEMON_RC"
pass "server restart: reconnected, 150 stored once, all flagged"

# 2. A refused login backs off one mailbox; the other is drained.
gen 40 "$HARNESS_DIR/more" 3
deliver community INBOX "$HARNESS_DIR"/more/*.eml
gen 20 "$HARNESS_DIR/more2" 4
deliver sales INBOX "$HARNESS_DIR"/more2/*.eml
(umask 077; echo wrong >"$(harness_password_file community)")
rc=0
once || rc=$?
[ "$rc" = 1 ] || fail "--once with a refused login exited $rc, want 1"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 170 ] ||
	fail "sales not drained beside a broken mailbox"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'community'")" = 0 ] ||
	fail "community stored something"
grep -q "mailbox=community .*LOGIN refused" "$DAEMON_LOG" ||
	fail "refused login not logged with the server's words"
# Dovecot penalises every login from an address after a failed one (up
# to 15 s), so sales may take a while: it must get there all the same.
DAEMON_LOG=$HARNESS_DIR/triaged-2.log
start_daemon
wait_status "^community	backoff	.*LOGIN refused" 20 ||
	fail "status: $(cat "$HARNESS_DIR/triaged.status")"
wait_status "^sales	idling	" 30 ||
	fail "sales not idling beside it: $(cat "$HARNESS_DIR/triaged.status")"
wait_log "mailbox=community .*LOGIN refused.*retrying in" 5 ||
	fail "no retry logged"
# triage status shows the same, for people and for scripts.  The backoff
# is short (well under a second) and the mailbox reconnects in between,
# so each view is read until it catches the mailbox backing off.
status_text()
{
	out=$("$TRIAGE" -c "$CONF" status) || fail "triage status exited $?"
	echo "$out" | grep -q "^  community: backing off until .* after [0-9]* failures\?: .*LOGIN refused" ||
		return 1
	echo "$out"
	echo "$out" | grep -q "^triaged: running (pid $DAEMON_PID)" ||
		fail "status: daemon not shown running"
	echo "$out" | grep -q "^  sales: idling; last poll" || fail "status: sales"
	echo "$out" | grep -q "^database: 170 messages" || fail "status: counts"
}
status_json()
{
	"$TRIAGE" -c "$CONF" status --json | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
m = {b["name"]: b for b in s["mailboxes"]}
assert s["daemon"]["running"] is True, s["daemon"]
assert m["community"]["failures"] >= 1, m["community"]
assert "LOGIN refused" in m["community"]["last_error"]
assert m["sales"]["state"] == "idling" and m["sales"]["connected"]
assert s["messages"] == 170, s["messages"]
if m["community"]["state"] != "backoff":
	sys.exit(3)	# reconnecting just now: read again
assert m["community"]["until"] is not None
'
}
until_caught()	# what
{
	for _ in $(seq 50); do
		rc=0
		"$@" || rc=$?
		[ "$rc" = 0 ] && return 0
		[ "$rc" = 1 ] || [ "$rc" = 3 ] || return "$rc"
		sleep 0.1
	done
	return 1
}
until_caught status_text || fail "status: community's backoff never shown"
until_caught status_json || fail "triage status --json"
# The password is fixed; secrets are read with the config, so SIGHUP.
(umask 077; harness_password community >"$(harness_password_file community)")
kill -HUP "$DAEMON_PID"
wait_sql "SELECT count(*) FROM messages WHERE mailbox = 'community'" 40 20 ||
	fail "community not drained after the password was fixed"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "exit status $DAEMON_RC"
"$TRIAGE" -c "$CONF" status | grep -q "^triaged: not running" ||
	fail "status after exit"
pass "refused login: backoff for community, sales drained, recovered on SIGHUP"
