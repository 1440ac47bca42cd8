# The folder is recreated under triaged with the same mail (a new
# UIDVALIDITY): it rescans, stores no duplicate, logs what happened, and
# stores what is really new.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
gen 80 "$HARNESS_DIR/mail"
gen 5 "$HARNESS_DIR/new" 7
conf
sed -i '0,/folder = "INBOX"/s//folder = "Shared"/' "$CONF"
harness_doveadm mailbox create -u sales Shared
deliver sales Shared "$HARNESS_DIR"/mail/*.eml
once || fail "first drain"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 80 ] ||
	fail "first drain stored $(sql "SELECT count(*) FROM messages")"
old=$(sql "SELECT uidvalidity FROM mailboxes WHERE name = 'sales'")

harness_doveadm mailbox delete -u sales Shared
sleep 1	# Dovecot derives UIDVALIDITY from the clock
harness_doveadm mailbox create -u sales Shared
deliver sales Shared "$HARNESS_DIR"/mail/*.eml "$HARNESS_DIR"/new/*.eml
once || fail "drain after the folder was recreated"
new=$(sql "SELECT uidvalidity FROM mailboxes WHERE name = 'sales'")
[ "$new" != "$old" ] || fail "UIDVALIDITY did not change ($old)"
[ "$(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'")" = 85 ] ||
	fail "stored $(sql "SELECT count(*) FROM messages WHERE mailbox = 'sales'"), want 85"
[ "$(sql "SELECT count(DISTINCT message_id) FROM messages")" = 85 ] ||
	fail "duplicates"
grep -q "mailbox=sales folder \"Shared\": UIDVALIDITY changed from $old to $new" "$DAEMON_LOG" ||
	fail "the change is not logged"
grep -q "mailbox=sales poll: 85 past checkpoint: 5 stored .* 80 already stored" "$DAEMON_LOG" ||
	fail "accounting after the rescan"
[ "$(sql "SELECT last_uid FROM mailboxes WHERE name = 'sales'")" = 85 ] ||
	fail "checkpoint under the new UIDVALIDITY"
[ "$(count_unseen sales Shared)" = 0 ] || fail "post-actions after rescan"
once || fail "third run"
[ "$(sql "SELECT count(*) FROM messages")" = 85 ] || fail "third run stored"
pass "UIDVALIDITY $old -> $new: rescanned, 5 new stored, 80 skipped"
