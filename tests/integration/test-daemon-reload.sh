# SIGHUP: a broken rule file is refused with its problems logged and the
# old rules stay in force; a good new rule set is used from then on; a
# broken config is refused the same way.  Rules classify what triaged
# stores (tags and queue come from the rule set in force).
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
RULES=$HARNESS_DIR/rules.d
mkdir -p "$RULES"
cat >"$RULES/10-test.rules" <<'R'
rule old-rule
  subject /kiwi/i
  tag     old-tag
R
HARNESS_RULES=$RULES conf

# mail NAME SUBJECT: a message file with that subject.
mail()
{
	printf 'From: Pat <pat@buyer.example>\nTo: sales@example.com\nSubject: %s\nMessage-ID: <%s@buyer.example>\nDate: Mon, 16 Nov 2026 10:00:00 +0000\n\nhello\n' \
	    "$2" "$1" >"$HARNESS_DIR/$1.eml"
	echo "$HARNESS_DIR/$1.eml"
}
# tags_of NAME: the tags of the ticket the message NAME is in.
tags_of()
{
	sql "SELECT group_concat(tag) FROM tags WHERE ticket_id = (SELECT ticket_id FROM messages WHERE message_id = '$1@buyer.example')"
}
deliver_wait()
{
	deliver sales INBOX "$(mail "$1" "$2")"
	wait_sql "SELECT count(*) FROM messages WHERE message_id = '$1@buyer.example'" 1 10 ||
		fail "message $1 not stored"
}

start_daemon
wait_sql "SELECT count(*) FROM mailboxes" 2 10 || fail "start"
deliver_wait m1 "kiwi one"
[ "$(tags_of m1)" = old-tag ] || fail "m1 tags: $(tags_of m1)"

# A broken rule file: refused, every problem logged, old rules stay.
cat >"$RULES/20-broken.rules" <<'R'
rule broken
  subject /unclosed(/
  tag     never
R
kill -HUP "$DAEMON_PID"
wait_log "reload refused: the rules in .* are broken" 10 ||
	fail "broken rules not refused"
grep -q "20-broken.rules:2:[0-9]*: " "$DAEMON_LOG" ||
	fail "the problem is not logged as file:line:col"
deliver_wait m2 "kiwi two"
[ "$(tags_of m2)" = old-tag ] || fail "after the refused reload: $(tags_of m2)"
pass "broken rule file refused, old rules still classify"

# A good new rule set: used from the reload on.
rm "$RULES/20-broken.rules"
cat >"$RULES/10-test.rules" <<'R'
rule new-rule
  subject /kiwi/i
  tag     new-tag
R
kill -HUP "$DAEMON_PID"
wait_log "reloaded: 2 mailboxes, 1 rules" 10 || fail "good reload"
deliver_wait m3 "kiwi three"
[ "$(tags_of m3)" = new-tag ] || fail "after the reload: $(tags_of m3)"
pass "good rule set reloaded and used"

# A broken config: refused, the daemon keeps going.
cp "$CONF" "$CONF.good"
echo "poll_interval = ;" >>"$CONF"
kill -HUP "$DAEMON_PID"
wait_log "reload refused: .* is broken; keeping the running" 10 ||
	fail "broken config not refused"
deliver_wait m4 "kiwi four"
[ "$(tags_of m4)" = new-tag ] || fail "after a refused config"
stop_daemon TERM
[ "$DAEMON_RC" = 0 ] || fail "exit status $DAEMON_RC"
pass "broken config refused, daemon goes on"

# At start, a broken rule set is a config error: exit 2.
cp "$CONF.good" "$CONF"
echo "rule x" >"$RULES/30-bad.rules"
echo "  frobnicate /x/" >>"$RULES/30-bad.rules"
rc=0
once || rc=$?
[ "$rc" = 2 ] || fail "broken rules at start: exit $rc, want 2"
pass "broken rules at start: exit 2"
