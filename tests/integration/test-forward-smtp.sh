#!/bin/bash
# Forward formats through the real SMTP server (harness aiosmtpd): what
# arrives is one attach mail whose every message/rfc822 part holds the
# stored bytes exactly, or per customer message a redirect that is our
# Resent block + the stored bytes exactly; command lines never arrive.
# Each forward is sent as one outbox row with outbox_send(): resuming a
# row after its accepted mails, and the sent / retry / failed verdicts.
# (The daemon-level version, with the store, comes with the daemon loop.)
set -euo pipefail
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/smtp-lib.sh"

FWD=$ITEST_DIR/itest-forward-send
FIX=$TRIAGE_FIXTURES/forward

fwd()
{
	"$FWD" -h "$SMTP_HOST" -p "$SMTP_PORT" -t starttls -c "$HARNESS_CA" \
	    -u "$SMTP_USER" -P "$SMTP_PASS_FILE" "$@" \
	    2>>"$HARNESS_DIR/fwd.err" || true
}

# check_attach MAIL FILE...: MAIL is multipart/mixed, a text/plain summary
# first, then one message/rfc822 part per FILE whose body is FILE's
# bytes (with CRLF line ends) exactly.
check_attach()
{
	"$HARNESS_PYTHON" - "$@" <<'EOF'
import re, sys
mail = open(sys.argv[1], "rb").read()
want = [open(f, "rb").read() for f in sys.argv[2:]]
want = [re.sub(rb"(?<!\r)\n", b"\r\n", w) for w in want]
head, _, _ = mail.partition(b"\r\n\r\n")
m = re.search(rb'(?im)^Content-Type: multipart/mixed;\s*boundary="?([^"\r\n]+)"?', head)
assert m, "not multipart/mixed"
delim = b"\r\n--" + m.group(1)
parts = mail.split(delim)[1:]
assert parts[-1].startswith(b"--"), "no close delimiter"
parts = [p[2:] for p in parts[:-1]]        # drop the CRLF after the boundary
heads = [p.partition(b"\r\n\r\n")[0] for p in parts]
bodies = [p.partition(b"\r\n\r\n")[2] for p in parts]
assert re.search(rb"(?i)Content-Type: text/plain", heads[0]), heads[0]
assert len(parts) == 1 + len(want), "%d parts for %d files" % (len(parts), len(want))
for i, w in enumerate(want):
    assert re.search(rb"(?i)Content-Type: message/rfc822", heads[i + 1]), heads[i + 1]
    assert bodies[i + 1] == w, "attachment %d differs from %s" % (i + 1, sys.argv[2 + i])
assert b"#route" not in mail and b"SECRET-COMMAND" not in mail, "a command line arrived"
assert re.search(rb"(?m)^Subject: \[#123\] ", head), "no [#123] in Subject"
assert re.search(rb"(?m)^X-Loop: triage@example.com\r$", head), "no X-Loop"
print("ok")
EOF
}

harness_start

# 1. attach: the whole thread, once; the command message only as text.
out=$(fwd -s attach -r support@example.com in:"$FIX/customer-1.eml" \
    out:"$FIX/team-reply.eml" in:"$FIX/customer-2-8bit.eml" \
    cmd:"$FIX/team-command.eml")
grep -qx 'sent triage.T123.E456@example.com' <<<"$out" ||
	fail "attach: want one sent, got: $out"
[ "$(count_spool)" -eq 1 ] || fail "attach: want 1 stored, got $(count_spool)"
mail=$(harness_smtp_messages | tail -n 1)
check_attach "$mail" "$FIX/customer-1.eml" "$FIX/team-reply.eml" \
    "$FIX/customer-2-8bit.eml" >/dev/null ||
	fail "attach: content check failed"

# 2. redirect: one mail per customer message, each = Resent block + the
#    stored bytes, byte for byte.
out=$(fwd -s redirect -r support@example.com in:"$FIX/customer-1.eml" \
    out:"$FIX/team-reply.eml" in:"$FIX/customer-2-8bit.eml" \
    cmd:"$FIX/team-command.eml")
[ "$(grep -c '^sent ' <<<"$out")" -eq 2 ] || fail "redirect: want 2 sent, got: $out"
[ "$(count_spool)" -eq 3 ] || fail "redirect: want 3 stored, got $(count_spool)"
i=0
for pair in "1 customer-1.eml" "3 customer-2-8bit.eml"; do
	set -- $pair
	i=$((i + 1))
	mail=$(harness_smtp_messages | sed -n "$((i + 1))p")
	head -n 6 "$mail" | tr -d '\r' >"$HARNESS_DIR/resent.txt"
	grep -qx 'Resent-From: Triage <triage@example.com>' "$HARNESS_DIR/resent.txt" &&
	grep -qx 'Resent-To: support@example.com' "$HARNESS_DIR/resent.txt" &&
	grep -qE '^Resent-Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \+0000$' "$HARNESS_DIR/resent.txt" &&
	grep -qx "Resent-Message-ID: <triage.T123.E456.$1@example.com>" "$HARNESS_DIR/resent.txt" &&
	grep -qx 'X-Triage-Ticket: 123' "$HARNESS_DIR/resent.txt" &&
	grep -qx 'X-Loop: triage@example.com' "$HARNESS_DIR/resent.txt" ||
		fail "redirect $2: Resent block: $(cat "$HARNESS_DIR/resent.txt")"
	tail -n +7 "$mail" | cmp -s - "$FIX/$2" ||
		fail "redirect $2: original bytes changed"
	grep -q '^Received: ' "$mail" || [ "$2" != customer-1.eml ] ||
		fail "redirect $2: trace headers lost"
done

# 3. follow-up: only the new customer message is attached.
out=$(fwd -s attach -e 457 -n 2 -r support@example.com \
    in:"$FIX/customer-1.eml" out:"$FIX/team-reply.eml" \
    in:"$FIX/customer-2-8bit.eml")
grep -qx 'sent triage.T123.E457@example.com' <<<"$out" ||
	fail "follow-up: got: $out"
mail=$(harness_smtp_messages | tail -n 1)
check_attach "$mail" "$FIX/customer-2-8bit.eml" >/dev/null ||
	fail "follow-up: content check failed"

# 4. A row resumed after its first mail was accepted (the outbox keeps
#    the count): only the second customer message goes out.
out=$(fwd -s redirect -F 1 -r support@example.com in:"$FIX/customer-1.eml" \
    out:"$FIX/team-reply.eml" in:"$FIX/customer-2-8bit.eml")
[ "$out" = "$(printf 'sent triage.T123.E456.3@example.com\nverdict sent')" ] ||
	fail "resume: got: $out"
[ "$(count_spool)" -eq 5 ] || fail "resume: want 5 stored, got $(count_spool)"
mail=$(harness_smtp_messages | tail -n 1)
tail -n +7 "$mail" | cmp -s - "$FIX/customer-2-8bit.eml" ||
	fail "resume: wrong message sent"

# 5. The verdicts: 550 fails the row with the server's text, 451 retries
#    it; nothing is recorded as sent and nothing is stored.
harness_smtp_reject gone@example.com 550 "5.1.1 no such user"
harness_smtp_reject busy@example.com 451 "4.2.1 mailbox busy"
out=$(fwd -s redirect -r gone@example.com in:"$FIX/customer-1.eml")
[ "$out" = 'verdict failed 550 5.1.1 no such user (RCPT TO:<gone@example.com>)' ] ||
	fail "550 verdict: got: $out"
out=$(fwd -s attach -r busy@example.com in:"$FIX/customer-1.eml")
[ "$out" = 'verdict retry 451 4.2.1 mailbox busy (RCPT TO:<busy@example.com>)' ] ||
	fail "451 verdict: got: $out"
harness_smtp_accept

[ "$(count_spool)" -eq 5 ] || fail "want 5 stored at the end, got $(count_spool)"
finish test-forward-smtp "$HARNESS_DIR/fwd.err"
