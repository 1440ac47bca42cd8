#!/bin/bash
# lib/proto/smtp.c against the harness's real SMTP server (aiosmtpd): sent once
# with the bytes intact, 550 permanent and 451 temporary with the server's
# text, server down temporary, TLS verified against the test CA, an
# untrusted certificate (or the wrong host name) refused before AUTH.
set -euo pipefail
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/smtp-lib.sh"

SEND=$ITEST_DIR/itest-smtp-send
FIX=$TRIAGE_FIXTURES/forward
MSG=$FIX/customer-1.eml		# CRLF, a line starting with ".", 7bit
MSG8=$FIX/customer-2-8bit.eml	# 8bit body

# expect_line OUTPUT PATTERN WHAT: OUTPUT has a line matching PATTERN.
expect_line()
{
	if ! grep -qE -- "$2" <<<"$1"; then
		fail "$3: want /$2/, got: $1"
	fi
}

# The client's stderr is kept: sanitizer reports must not hide behind
# the expected non-zero exits.
send_raw()
{
	"$SEND" "$@" 2>>"$HARNESS_DIR/send.err" || true
}

send()
{
	send_raw -h "$SMTP_HOST" -T 10 -u "$SMTP_USER" -P "$SMTP_PASS_FILE" \
	    -c "$HARNESS_CA" "$@"
}

harness_start

# 1. STARTTLS on the submission port, AUTH, verified: sent once, intact
#    (dot-stuffing undone by the server, no line added or lost).
out=$(send -p "$SMTP_PORT" -t starttls -r support@example.com "$MSG")
expect_line "$out" '^open ok$' "starttls open"
expect_line "$out" '^sent 250$' "starttls send"
[ "$(count_spool)" -eq 1 ] || fail "starttls: want 1 stored message, got $(count_spool)"
got=$(harness_smtp_messages | tail -n 1)
cmp -s "$got" "$MSG" || fail "starttls: stored bytes differ from $MSG"
grep -qx 'tls: yes' "${got%.eml}.env" || fail "starttls: not over TLS"
grep -qx "auth: $SMTP_USER" "${got%.eml}.env" || fail "starttls: not authenticated"
grep -qx 'mail_from: triage@example.com' "${got%.eml}.env" ||
	fail "starttls: envelope sender"
grep -qx 'rcpt: support@example.com' "${got%.eml}.env" ||
	fail "starttls: envelope recipient"

# 2. Implicit TLS, two mails in one session, one 8bit (LF-only files
#    would arrive with CRLF: SMTP's line ends; these are CRLF already).
out=$(send -p "$SMTPS_PORT" -t implicit -r support@example.com "$MSG" "$MSG8")
[ "$(grep -c '^sent 250$' <<<"$out")" -eq 2 ] || fail "implicit: want 2 sent, got: $out"
[ "$(count_spool)" -eq 3 ] || fail "implicit: want 3 stored, got $(count_spool)"
got=$(harness_smtp_messages | tail -n 1)
cmp -s "$got" "$MSG8" || fail "implicit: stored 8bit bytes differ"

# 3. 550 at RCPT: permanent, with the server's own text; the session
#    stays usable for the next mail (RSET).
harness_smtp_reject nobody@example.com 550 "5.1.1 no such user here"
out=$(send -p "$SMTP_PORT" -t starttls -r nobody@example.com "$MSG" \
    to:support@example.com "$MSG")
expect_line "$out" '^perm 550 5\.1\.1 no such user here \(RCPT TO:<nobody@example\.com>\)$' "550"
expect_line "$out" '^sent 250$' "550 then the next mail"
[ "$(count_spool)" -eq 4 ] || fail "550: want 4 stored, got $(count_spool)"

# 4. 451: temporary, with the text.
harness_smtp_accept
harness_smtp_reject busy@example.com 451 "4.3.0 try again later"
out=$(send -p "$SMTP_PORT" -t starttls -r busy@example.com "$MSG")
expect_line "$out" '^temp 451 4\.3\.0 try again later \(RCPT TO:<busy@example\.com>\)$' "451"
[ "$(count_spool)" -eq 4 ] || fail "451: something was stored"
harness_smtp_accept

# 5. One refused recipient of two fails the mail; the next mail in the
#    same session goes through.
harness_smtp_reject nobody@example.com 550 "5.1.1 no such user here"
out=$(send_raw -h "$SMTP_HOST" -T 10 -u "$SMTP_USER" -P "$SMTP_PASS_FILE" \
    -c "$HARNESS_CA" -p "$SMTP_PORT" -t starttls -r ok@example.com \
    -r nobody@example.com "$MSG")
expect_line "$out" '^perm 550 ' "mixed recipients"
[ "$(count_spool)" -eq 4 ] || fail "mixed recipients: something was stored"
harness_smtp_accept

# 6. Server down: temporary, connection refused; after it is back the
#    same send works once.
harness_smtp_stop
out=$(send -p "$SMTP_PORT" -t starttls -r support@example.com "$MSG")
expect_line "$out" '^open temp smtp 127\.0\.0\.1:[0-9]+: connect: Connection refused$' "server down"
harness_smtp_start
out=$(send -p "$SMTP_PORT" -t starttls -r support@example.com "$MSG")
expect_line "$out" '^sent 250$' "server back"
[ "$(count_spool)" -eq 5 ] || fail "server back: want 5 stored, got $(count_spool)"

# 7. Untrusted certificate (we trust another CA): refused in the
#    handshake, so no AUTH was ever sent, on both ports.
before=$(wc -l <"$SMTP_LOG")
for mode in "starttls $SMTP_PORT" "implicit $SMTPS_PORT"; do
	set -- $mode
	out=$(send_raw -h "$SMTP_HOST" -T 10 -u "$SMTP_USER" \
	    -P "$SMTP_PASS_FILE" -c "$HARNESS_UNTRUSTED_CA" -p "$2" -t "$1" \
	    -r support@example.com "$MSG")
	expect_line "$out" '^open (temp|conf) tls: 127\.0\.0\.1: certificate verification failed' "untrusted $1"
done
# aiosmtpd logs every client line as ">> b'...'"
if tail -n +"$((before + 1))" "$SMTP_LOG" | grep -q ">> b'AUTH"; then
	fail "untrusted: the server saw an AUTH command"
fi
[ "$(count_spool)" -eq 5 ] || fail "untrusted: something was stored"

# 8. Wrong host name: a second server with a certificate for
#    wrong.example, signed by the trusted CA.
WRONG_SPOOL=$HARNESS_DIR/smtp-wrong
mkdir -p "$WRONG_SPOOL"
read -r WP WTP <<<"$(harness_free_ports 2)"
"$HARNESS_PYTHON" "$HARNESS_SRC/smtpd.py" --spool "$WRONG_SPOOL" \
    --port "$WP" --tls-port "$WTP" --cert "$HARNESS_DIR/tls/wronghost.crt" \
    --key "$HARNESS_DIR/tls/wronghost.key" --user "$SMTP_USER" \
    --password-file "$SMTP_PASS_FILE" --log "$HARNESS_DIR/smtpd-wrong.log" \
    </dev/null >>"$HARNESS_DIR/smtpd-wrong.log" 2>&1 &
wrong_pid=$!
harness_wait_port "$WTP" 10 || fail "wrong-host server did not start"
out=$(send -p "$WTP" -t implicit -r support@example.com "$MSG")
expect_line "$out" '^open (temp|conf) tls: 127\.0\.0\.1: certificate verification failed.*name' "wrong host"
kill "$wrong_pid"
wait "$wrong_pid" 2>/dev/null || true
[ -z "$(ls "$WRONG_SPOOL"/*.eml 2>/dev/null)" ] || fail "wrong host: stored"

# 9. Wrong password: a configuration error, nothing sent.
echo wrong-pw >"$HARNESS_DIR/secrets/bad.pass"
out=$(send_raw -h "$SMTP_HOST" -T 10 -u "$SMTP_USER" \
    -P "$HARNESS_DIR/secrets/bad.pass" -c "$HARNESS_CA" -p "$SMTP_PORT" \
    -t starttls -r support@example.com "$MSG")
expect_line "$out" '^open conf 535 .*\(AUTH\)$' "bad password"

# 10. Plaintext is held to loopback: refused before any connection.
out=$(send_raw -h 192.0.2.1 -p 25 -t none -r support@example.com "$MSG")
expect_line "$out" '^open conf smtp 192\.0\.2\.1:25: tls = "none" is only allowed to a loopback address$' "plaintext remote"

# 11. Plaintext to loopback without AUTH: the server's 530 at MAIL FROM
#     is a permanent failure carrying its text.
out=$(send_raw -h "$SMTP_HOST" -T 10 -p "$SMTP_PORT" -t none \
    -r support@example.com "$MSG")
expect_line "$out" '^open ok$' "plaintext loopback open"
expect_line "$out" '^perm 530 .*\(MAIL FROM:<triage@example\.com>\)$' "plaintext loopback 530"

# 12. A server that accepts the connection and then says nothing: the
#     greeting read times out (-T 2) instead of hanging.
kill -STOP "$HARNESS_SMTP_PID"
start=$SECONDS
out=$(send -T 2 -p "$SMTP_PORT" -t starttls -r support@example.com "$MSG")
kill -CONT "$HARNESS_SMTP_PID"
expect_line "$out" '^open temp smtp 127\.0\.0\.1:[0-9]+: connection lost or timed out \(greeting\)$' "silent server"
[ $((SECONDS - start)) -le 6 ] || fail "silent server: took $((SECONDS - start)) s"

# 13. AUTH LOGIN (a server without PLAIN) and AUTH XOAUTH2, against
#     aiosmtpd offering only that mechanism, over plaintext loopback.
cat >"$HARNESS_DIR/authd.py" <<'EOF'
import asyncio, base64, os, signal, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
mode, port, spool = sys.argv[1], int(sys.argv[2]), sys.argv[3]

class Handler:
    async def auth_XOAUTH2(self, server, args):
        raw = base64.b64decode(args[1]) if len(args) > 1 else b""
        ok = raw == b"user=triage\x01auth=Bearer tok-123\x01\x01"
        return AuthResult(success=ok, handled=False, auth_data="xoauth2")

    async def handle_DATA(self, server, session, envelope):
        n = len(os.listdir(spool)) + 1
        with open(os.path.join(spool, "%04d.auth" % n), "w") as f:
            f.write(str(session.auth_data) + "\n")
        return "250 OK"

def check(server, session, envelope, mechanism, data):
    ok = (isinstance(data, LoginPassword) and data.login == b"triage"
          and data.password == b"login-pw")
    return AuthResult(success=ok, handled=False, auth_data="login")

exclude = ["PLAIN"] + (["LOGIN"] if mode == "xoauth2" else ["XOAUTH2"])
loop = asyncio.new_event_loop()
loop.run_until_complete(loop.create_server(lambda: SMTP(Handler(),
    authenticator=check, auth_required=True, auth_require_tls=False,
    auth_exclude_mechanism=exclude), "127.0.0.1", port))
loop.add_signal_handler(signal.SIGTERM, loop.stop)
loop.run_forever()
EOF
echo login-pw >"$HARNESS_DIR/secrets/login.pass"
echo tok-123 >"$HARNESS_DIR/secrets/token"
echo tok-bad >"$HARNESS_DIR/secrets/badtoken"
for mode in login xoauth2; do
	read -r AP <<<"$(harness_free_ports 1)"
	mkdir -p "$HARNESS_DIR/auth-$mode"
	"$HARNESS_PYTHON" "$HARNESS_DIR/authd.py" "$mode" "$AP" \
	    "$HARNESS_DIR/auth-$mode" 2>>"$HARNESS_DIR/authd.log" &
	authd=$!
	harness_wait_port "$AP" 10 || fail "$mode server did not start"
	if [ "$mode" = login ]; then
		good=(-P "$HARNESS_DIR/secrets/login.pass")
		bad=(-P "$HARNESS_DIR/secrets/bad.pass")
	else
		good=(-O "$HARNESS_DIR/secrets/token")
		bad=(-O "$HARNESS_DIR/secrets/badtoken")
	fi
	out=$(send_raw -h "$SMTP_HOST" -T 10 -p "$AP" -t none -u triage \
	    "${good[@]}" -r support@example.com "$MSG")
	expect_line "$out" '^sent 250$' "AUTH $mode"
	grep -qx "$mode" "$HARNESS_DIR/auth-$mode/0001.auth" 2>/dev/null ||
		fail "AUTH $mode: the server did not see $mode"
	out=$(send_raw -h "$SMTP_HOST" -T 10 -p "$AP" -t none -u triage \
	    "${bad[@]}" -r support@example.com "$MSG")
	expect_line "$out" '^open conf 535 .*\(AUTH\)$' "AUTH $mode refused"
	kill "$authd"
	wait "$authd" 2>/dev/null || true
done

[ "$(count_spool)" -eq 5 ] || fail "want 5 stored at the end, got $(count_spool)"
finish test-smtp "$HARNESS_DIR/send.err"
