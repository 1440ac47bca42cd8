#!/bin/bash
# 8-bit mail is never sent undeclared (RFC 6152, RFC 6531), against the
# harness's aiosmtpd started with and without 8BITMIME and SMTPUTF8:
# an 8-bit body goes with BODY=8BITMIME, UTF-8 headers with BODY=8BITMIME
# SMTPUTF8, byte for byte, where the server offers them; where it does
# not, the message arrives 7-bit clean (quoted-printable or base64,
# encoded words) with the same content after decoding; without a way to
# make it 7-bit it is refused, not sent.
set -euo pipefail
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/smtp-lib.sh"

SEND=$ITEST_DIR/itest-smtp-send
BODY8=$TRIAGE_FIXTURES/forward/customer-2-8bit.eml	# 8-bit body only
PLAIN=$TRIAGE_FIXTURES/forward/customer-1.eml		# 7-bit
harness_start
HDR8=$HARNESS_DIR/utf8-headers.eml	# UTF-8 in headers and body
/usr/bin/python3 - "$HDR8" <<'PY'
import sys
lines = ["From: Jos\u00e9 Garc\u00eda <jose@buyer.example>",
         "To: sales@example.com",
         "Subject: Cotizaci\u00f3n para Espa\u00f1a",
         "Message-ID: <utf8h@buyer.example>", "MIME-Version: 1.0",
         "Content-Type: text/plain; charset=utf-8",
         "Content-Transfer-Encoding: 8bit", "",
         "Buenos d\u00edas: \u00bfprecio por 30 licencias?",
         ".a line with a leading dot", ""]
open(sys.argv[1], "wb").write("\r\n".join(lines).encode())
PY
LC_ALL=C grep -q $'\xc3\xa9' "$HDR8" || { echo "FAIL: fixture not 8-bit" >&2; exit 1; }

send()
{
	"$SEND" -h "$SMTP_HOST" -T 10 -u "$SMTP_USER" -P "$SMTP_PASS_FILE" \
	    -c "$HARNESS_CA" -p "$SMTP_PORT" -t starttls \
	    -r support@example.com "$@" 2>>"$HARNESS_DIR/send.err" || true
}

# restart_smtp 8BITMIME SMTPUTF8: the server again, offering those (0|1).
restart_smtp()
{
	HARNESS_SMTP_8BITMIME=$1 HARNESS_SMTP_SMTPUTF8=$2 harness_smtp_restart
}

# check_stored STORED FILE OPTIONS EXACT: the stored mail STORED was
# sent with MAIL FROM parameters OPTIONS; EXACT=1: its bytes are FILE's,
# else it is 7-bit and decodes (every header, every leaf part) to what
# FILE does.  check_last: the same for the last mail stored.
check_stored()
{
	local got=$1 env
	shift
	env=${got%.eml}.env
	grep -qx "mail_options: $2" "$env" ||
		fail "$1: want MAIL FROM parameters '$2': $(grep mail_options "$env")"
	if [ "$3" = 1 ]; then
		cmp -s "$got" "$1" || fail "$1: stored bytes differ"
		return
	fi
	grep -qx "data_8bit: no" "$env" || fail "$1: 8-bit sent undeclared"
	/usr/bin/python3 - "$1" "$got" <<'PY' || fail "$1: content differs after decoding"
import sys
from email import message_from_bytes, policy

def view(path):
    with open(path, "rb") as f:
        m = message_from_bytes(f.read(), policy=policy.default)
    heads = {k: str(m[k]) for k in ("From", "To", "Subject", "Message-ID")}
    parts = [(p.get_content_type(), p.get_payload(decode=True))
             for p in m.walk() if not p.is_multipart()]
    return heads, parts

a, b = view(sys.argv[1]), view(sys.argv[2])
if a != b:
    print("sent:    ", a, "\nreceived:", b, file=sys.stderr)
    sys.exit(1)
PY
}
check_last() { check_stored "$(harness_smtp_messages | tail -n 1)" "$@"; }

# 1. The default server: 8BITMIME, no SMTPUTF8.
out=$(send -7 "$BODY8" "$HDR8" "$PLAIN")
[ "$(grep -c '^sent 250$' <<<"$out")" = 3 ] || fail "8BITMIME only: $out"
n=$(count_spool)
[ "$n" = 3 ] || fail "8BITMIME only: $n stored"
mapfile -t got < <(harness_smtp_messages)
for i in 0 1 2; do cp "${got[$i]%.eml}.env" "$HARNESS_DIR/env1.$i"; done
grep -qx "mail_options: BODY=8BITMIME" "$HARNESS_DIR/env1.0" ||
	fail "8-bit body: not declared: $(cat "$HARNESS_DIR/env1.0")"
cmp -s "${got[0]}" "$BODY8" || fail "8-bit body: bytes differ"
grep -qx "mail_options: " "$HARNESS_DIR/env1.1" ||
	fail "UTF-8 headers without SMTPUTF8: parameters $(grep mail_options "$HARNESS_DIR/env1.1")"
grep -qx "data_8bit: no" "$HARNESS_DIR/env1.1" || fail "UTF-8 headers sent as 8-bit"
grep -qx "mail_options: " "$HARNESS_DIR/env1.2" || fail "7-bit mail declared something"
cmp -s "${got[2]}" "$PLAIN" || fail "7-bit mail changed"
echo "ok: 8BITMIME only: body declared, UTF-8 headers sent as encoded words"
# the converted one decodes to the same content
check_stored "${got[1]}" "$HDR8" "" 0
grep -q '^Subject: =?' "${got[1]}" || fail "Subject not an encoded word"

# 2. SMTPUTF8 offered too: the UTF-8 headers go as they are.
restart_smtp 1 1
out=$(send -7 "$HDR8")
grep -qx 'sent 250' <<<"$out" || fail "SMTPUTF8: $out"
check_last "$HDR8" "BODY=8BITMIME SMTPUTF8" 1
echo "ok: SMTPUTF8: declared, bytes intact"

# 3. Neither: both made 7-bit, same content after decoding.
restart_smtp 0 0
out=$(send -7 "$BODY8")
grep -qx 'sent 250' <<<"$out" || fail "7-bit server, body: $out"
check_last "$BODY8" "" 0
out=$(send -7 "$HDR8")
grep -qx 'sent 250' <<<"$out" || fail "7-bit server, headers: $out"
check_last "$HDR8" "" 0
echo "ok: neither: sent 7-bit, the same after decoding"

# 4. Neither, and no way to convert: refused, nothing sent.
before=$(count_spool)
out=$(send "$BODY8")
grep -q '^perm smtp .*8-bit mail, the server offers neither 8BITMIME nor SMTPUTF8, and it could not be made 7-bit$' <<<"$out" ||
	fail "no converter: $out"
[ "$(count_spool)" = "$before" ] || fail "no converter: something was sent"
echo "ok: without a converter 8-bit mail is refused, not sent undeclared"
finish test-smtp-8bit "$HARNESS_DIR/send.err"
