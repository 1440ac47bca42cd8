# triaged --check --connect against the real Dovecot and SMTP server:
# a good configuration passes and lists the capabilities; a folder that
# does not exist, a wrong IMAP or SMTP password and a certificate for
# another host are each found, named, and exit 2; a move target that
# does not exist yet is reported, not created.
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"

harness_start
OUT=$HARNESS_DIR/check.out

# check WANT: --check --connect exits WANT; its output in $OUT.
check()
{
	local rc=0
	"$TRIAGED" -c "$CONF" --check --connect >"$OUT" 2>&1 || rc=$?
	[ "$rc" = "$1" ] || fail "--check --connect exited $rc, expected $1: $(cat "$OUT")"
}
has() { grep -q -- "$1" "$OUT" || fail "no \"$1\" in: $(cat "$OUT")"; }

# 1. Everything right.
HARNESS_AFTER=move:Triaged conf
check 0
has "^mailbox sales: imap 127.0.0.1:$IMAPS_PORT (sales)$"
has '^  ok: capabilities: IDLE yes, MOVE yes, UIDPLUS yes, UTF8=ACCEPT no, NAMESPACE yes$'
has '^  ok: folder "INBOX": 0 messages'
has '^  ok: move target "Triaged" exists$'
has "^smtp 127.0.0.1:$SMTP_PORT$"
has '^  ok: capabilities: 8BITMIME yes, SMTPUTF8 no$'
has ': every server answers as configured$'
pass "a good configuration passes"

# 2. A move target that is not there yet: reported, not created.
HARNESS_AFTER="move:Later/Done" conf
check 0
has '^  ok: move target "Later/Done" does not exist yet: triaged creates it at the first move$'
harness_doveadm mailbox list -u sales | grep -q '^Later' &&
	fail "--check --connect created the folder"
pass "a missing move target is reported, not created"

# 3. A folder that does not exist.
HARNESS_FOLDER=Nowhere conf
check 2
has '^  PROBLEM: folder "Nowhere": imap 127.0.0.1:[0-9]* (sales): SELECT refused: '
has ': 2 problems$'	# sales and community, nothing else
pass "a missing folder is a problem"

# 4. A wrong IMAP password, then a wrong SMTP password.
conf
cp "$(harness_password_file sales)" "$HARNESS_DIR/sales.pass.good"
echo wrong >"$(harness_password_file sales)"
check 2
has '^  PROBLEM: imap 127.0.0.1:[0-9]* (sales): LOGIN refused: '
has ': 1 problem$'
cp "$HARNESS_DIR/sales.pass.good" "$(harness_password_file sales)"
cp "$HARNESS_DIR/secrets/smtp.pass" "$HARNESS_DIR/smtp.pass.good"
echo wrong >"$HARNESS_DIR/secrets/smtp.pass"
check 2
has '^  PROBLEM: 535 .*(AUTH)$'
cp "$HARNESS_DIR/smtp.pass.good" "$HARNESS_DIR/secrets/smtp.pass"
check 0
pass "wrong passwords are problems"

# 5. A certificate for another host.
harness_dovecot_restart wronghost
check 2
has '^  PROBLEM: imap 127.0.0.1:[0-9]* (sales): .*certificate'
grep -c "^  PROBLEM: " "$OUT" | grep -qx 2 || fail "not one problem per mailbox: $(cat "$OUT")"
harness_dovecot_restart good
pass "a bad certificate is a problem"
