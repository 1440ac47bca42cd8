# triaged SIGKILLed at random moments during a large drain, restarted,
# many rounds: every message is stored exactly once and every post-action
# is applied in the end (flag on sales, move on community).
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

N=1500
M=300
ROUNDS=10
harness_start
gen $N "$HARNESS_DIR/mail" 11
gen $M "$HARNESS_DIR/mail2" 12
deliver sales INBOX "$HARNESS_DIR"/mail/*.eml
deliver community INBOX "$HARNESS_DIR"/mail2/*.eml
conf
# community moves what it stored into "Triaged" (MOVE; Dovecot has it).
/usr/bin/python3 - "$CONF" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
i = s.index('name = "community"')
j = s.index('after = "flag"', i)
s = s[:j] + 'after = "move:Triaged"' + s[j + len('after = "flag"'):]
open(p, "w").write(s)
PY

# Small batches make many commit points to be killed between.
for round in $(seq $ROUNDS); do
	start_daemon --batch 20
	sleep "0.$((RANDOM % 9 + 1))"
	stop_daemon KILL
	stored=$(sql "SELECT count(*) FROM messages" 2>/dev/null) || stored=?
	echo "round $round: killed with $stored stored"
done
once --batch 20 || fail "final --once exited $?"

[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = $N ] ||
	fail "sales: $(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'") stored, want $N"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'community'")" = $M ] ||
	fail "community: wrong count"
[ "$(sql "SELECT count(*) FROM (SELECT message_id FROM messages GROUP BY mailbox, message_id HAVING count(*) > 1)")" = 0 ] ||
	fail "a message stored twice"
[ "$(sql "SELECT count(*) FROM (SELECT uid FROM messages GROUP BY mailbox, uidvalidity, uid HAVING count(*) > 1)")" = 0 ] ||
	fail "a UID stored twice"
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
[ "$(count_unseen sales INBOX)" = 0 ] ||
	fail "sales: $(count_unseen sales INBOX) messages left without \\Seen"
[ "$(harness_count community INBOX)" = 0 ] ||
	fail "community: $(harness_count community INBOX) messages not moved"
[ "$(harness_count community Triaged)" = $M ] ||
	fail "community/Triaged holds $(harness_count community Triaged), want $M"
echo "post-action repairs after a kill: $(grep -c "applying the post-action" "$DAEMON_LOG" || true)"
pass "$ROUNDS SIGKILL rounds: $N + $M stored exactly once, all flagged or moved"
