# The SMTP half of the harness: a message submitted over STARTTLS (and over
# implicit TLS) with AUTH is stored byte for byte with its envelope; the
# reject control answers 4xx/5xx for a chosen recipient; AUTH is refused
# without TLS and with a wrong password; certificates verify against the
# test CA only.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
harness_start

fail() { echo "FAIL: $*" >&2; exit 1; }

# send MODE PORT USER PASS FROM RCPT... <message: prints "ok" or the error
send() {
	/usr/bin/python3 "$TRIAGE_SOURCE_DIR/tests/harness/smtp-send.py" "$@"
}

msg=$HARNESS_DIR/msg.eml
printf 'From: Triage <triage@example.com>\r\nTo: sales-team@example.com\r\nSubject: [#12] Pricing question\r\nMessage-ID: <fixture-1@triage.test>\r\n\r\nline one\r\n.leading dot survives\r\n' >"$msg"

# {mode port user password expected} walked in a loop
while read -r mode port user pw want; do
	got=$(send "$mode" "$port" "$user" "$pw" triage@example.com sales-team@example.com <"$msg")
	case $got in
	"$want"*) echo "ok: $mode $user -> $got" ;;
	*) fail "$mode as $user: want '$want', got '$got'" ;;
	esac
done <<EOF2
starttls $SMTP_PORT $SMTP_USER $SMTP_PASS ok
implicit $SMTPS_PORT $SMTP_USER $SMTP_PASS ok
starttls $SMTP_PORT $SMTP_USER wrong-password authfail 535
plain $SMTP_PORT $SMTP_USER $SMTP_PASS notsupported
starttls $SMTP_PORT - - smtperror
EOF2

# Both AUTH mechanisms, named explicitly.
for mech in PLAIN LOGIN; do
	got=$(SMTP_SEND_AUTH=$mech send starttls "$SMTP_PORT" "$SMTP_USER" \
	    "$SMTP_PASS" triage@example.com sales-team@example.com <"$msg")
	[ "$got" = "ok " ] || fail "AUTH $mech: got '$got'"
	grep -q "AUTH $mech" "$SMTP_LOG" || fail "no AUTH $mech on the wire"
	echo "ok: AUTH $mech"
done

# Exactly the four good sends were stored, bytes and envelope intact.
n=$(harness_smtp_messages | wc -l)
[ "$n" -eq 4 ] || fail "expected 4 stored messages, found $n"
for m in $(harness_smtp_messages); do
	cmp "$msg" "$m" || fail "$m differs from what was sent"
	env=${m%.eml}.env
	grep -qx 'mail_from: triage@example.com' "$env" || fail "$env: mail_from"
	grep -qx 'rcpt: sales-team@example.com' "$env" || fail "$env: rcpt"
	grep -qx "auth: $SMTP_USER" "$env" || fail "$env: auth"
	grep -qx 'tls: yes' "$env" || fail "$env: tls"
done
echo "ok: 4 messages stored byte for byte with their envelopes"

# Reject control: one recipient temporary, one permanent, one fine.
harness_smtp_reject busy@example.com 451 "try again later"
harness_smtp_reject gone@example.com 550 "no such user"
got=$(send starttls "$SMTP_PORT" "$SMTP_USER" "$SMTP_PASS" triage@example.com \
    busy@example.com gone@example.com ok@example.com <"$msg")
[ "$got" = "ok busy@example.com=451 gone@example.com=550" ] ||
	fail "reject control: got '$got'"
last=$(harness_smtp_messages | tail -n 1)
grep -qx 'rcpt: ok@example.com' "${last%.eml}.env" || fail "accepted rcpt missing"
if grep -q 'rcpt: busy@\|rcpt: gone@' "${last%.eml}.env"; then
	fail "rejected recipients were stored"
fi
got=$(send starttls "$SMTP_PORT" "$SMTP_USER" "$SMTP_PASS" triage@example.com \
    gone@example.com <"$msg")
[ "$got" = "refused gone@example.com=550" ] || fail "all refused: got '$got'"
harness_smtp_accept
got=$(send starttls "$SMTP_PORT" "$SMTP_USER" "$SMTP_PASS" triage@example.com \
    gone@example.com <"$msg")
[ "$got" = "ok " ] || fail "after harness_smtp_accept: got '$got'"
echo "ok: reject control"

# The certificate verifies only against the test CA.
got=$(HARNESS_CA=$HARNESS_UNTRUSTED_CA send implicit "$SMTPS_PORT" \
    "$SMTP_USER" "$SMTP_PASS" a@example.com b@example.com <"$msg")
case $got in
certerror*) echo "ok: untrusted CA refused ($got)" ;;
*) fail "untrusted CA: got '$got'" ;;
esac

# A restart keeps the spool.
before=$(harness_smtp_messages | wc -l)
harness_smtp_restart
got=$(send starttls "$SMTP_PORT" "$SMTP_USER" "$SMTP_PASS" triage@example.com \
    x@example.com <"$msg")
[ "$got" = "ok " ] || fail "after restart: got '$got'"
after=$(harness_smtp_messages | wc -l)
[ "$after" -eq $((before + 1)) ] || fail "spool after restart: $before -> $after"
echo "ok: restart"
