# One triaged per database: a second one started on the same config
# while the first drains is refused (exit 1, not the config error's 2)
# with a message naming the first one's pid, and so is --once; the first
# keeps running through it and through a SIGHUP, and stores every
# message once.  When the first has exited, the lock is free again.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

N=400
harness_start
gen $N "$HARNESS_DIR/mail" 41
deliver sales INBOX "$HARNESS_DIR"/mail/*.eml
conf
SECOND=$HARNESS_DIR/second.log

# second [ARGS...]: another triaged on the same config, in the
# foreground (bounded: it must refuse at once); sets SECOND_RC.
second()
{
	SECOND_RC=0
	timeout 30 "$TRIAGED" -c "$CONF" "$@" 2>"$SECOND" || SECOND_RC=$?
}

start_daemon --batch 10
wait_log "started: " 10 || fail "the first triaged did not start"
second
[ "$SECOND_RC" = 1 ] || fail "second triaged: exit $SECOND_RC, expected 1"
grep -q "triage.db.lock: another triaged (pid $DAEMON_PID) runs on this database; not starting" "$SECOND" ||
	fail "second triaged: no message naming pid $DAEMON_PID: $(cat "$SECOND")"
kill -0 "$DAEMON_PID" || fail "the first triaged died"
second --once
[ "$SECOND_RC" = 1 ] || fail "triaged --once beside it: exit $SECOND_RC"
grep -q "(pid $DAEMON_PID)" "$SECOND" || fail "--once: $(cat "$SECOND")"
pass "a second triaged and a --once refused while the first runs"

# The lock survives a reload.
kill -HUP "$DAEMON_PID"
wait_log "reloaded: " 10 || fail "reload"
second
[ "$SECOND_RC" = 1 ] || fail "after SIGHUP: second triaged exit $SECOND_RC"
grep -q "(pid $DAEMON_PID)" "$SECOND" || fail "after SIGHUP: $(cat "$SECOND")"
pass "still locked after SIGHUP"

wait_sql "SELECT count(*) FROM messages" $N 60 || fail "drain"
gen 20 "$HARNESS_DIR/more" 42 $((N + 1))
deliver sales INBOX "$HARNESS_DIR"/more/*.eml
wait_sql "SELECT count(*) FROM messages" $((N + 20)) 30 ||
	fail "the first triaged did not store new mail"
[ "$(sql "SELECT count(DISTINCT message_id) FROM messages")" = $((N + 20)) ] ||
	fail "duplicates"
kill -0 "$DAEMON_PID" || fail "the first triaged died"
pass "the first triaged stored every message once"

stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "first triaged: exit $DAEMON_RC"
once || fail "--once after the first exited: the lock was not released"
[ "$(sql "SELECT count(*) FROM messages")" = $((N + 20)) ] || fail "count"
pass "the lock is released on exit"
