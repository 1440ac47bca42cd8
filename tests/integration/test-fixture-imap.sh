# The IMAP half of the harness and lib/tls.c: Dovecot serves IMAPS with a
# certificate from the test CA; tls_wrap() accepts it for 127.0.0.1 and
# localhost and refuses, with a clear reason, an untrusted CA, a wrong
# host name and a certificate from another CA, before any byte of IMAP
# (let alone LOGIN) is sent.  Seeding lands messages in the right folder.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
harness_start

fail() { echo "FAIL: $*" >&2; exit 1; }
TLS=$ITEST_DIR/itest-imap-tls
[ -x "$TLS" ] || fail "$TLS not built"

# {server cert, name to verify, CA file, expected output} walked in a loop
check_tls() {
	local cert=$1 name=$2 ca=$3 want=$4 got
	got=$("$TLS" 127.0.0.1 "$IMAPS_PORT" "$ca" "$name" 2>&1) || true
	case $got in
	$want) echo "ok: cert=$cert name=$name -> $got" ;;
	*) fail "cert=$cert name=$name ca=${ca##*/}: want '$want', got '$got'" ;;
	esac
}
while read -r cert name ca want; do
	if [ "$cert" != "${current:-}" ]; then
		harness_dovecot_restart "$cert"
		current=$cert
	fi
	check_tls "$cert" "$name" "$ca" "$want"
done <<EOF2
good 127.0.0.1 $HARNESS_CA *OK*Dovecot*ready.
good localhost $HARNESS_CA *OK*Dovecot*ready.
good 127.0.0.1 $HARNESS_UNTRUSTED_CA error:\ tls:\ 127.0.0.1:\ certificate\ verification\ failed:*issuer\ is\ unknown.
good other.example $HARNESS_CA error:\ tls:\ other.example:\ certificate\ verification\ failed:*name\ in\ the\ certificate\ does\ not\ match*
good 127.0.0.1 /nonexistent/ca.pem error:\ tls:\ 127.0.0.1:\ no\ CA\ certificate\ loaded\ from\ /nonexistent/ca.pem*
wronghost 127.0.0.1 $HARNESS_CA error:\ tls:\ 127.0.0.1:\ certificate\ verification\ failed:*name\ in\ the\ certificate\ does\ not\ match*
untrusted 127.0.0.1 $HARNESS_CA error:\ tls:\ 127.0.0.1:\ certificate\ verification\ failed:*issuer\ is\ unknown.
EOF2

# Dovecot saw the refused clients give up during the handshake: no LOGIN,
# no authentication attempt, no session ever reached the imap process.
if grep -q 'Login: \|auth-worker\|passwd-file(' "$DOVECOT_LOG"; then
	fail "Dovecot saw an authentication attempt"
fi
n=$(grep -c 'no auth attempts' "$DOVECOT_LOG" || true)
[ "$n" -ge 7 ] || fail "expected 7 sessions without auth attempts, found $n"
[ -z "$(ls -A "$(harness_rawlog_dir sales)")" ] || fail "a session logged in"
echo "ok: no credentials reached Dovecot on refused certificates"

# Seeding: order and folders.
harness_dovecot_restart good
for i in 1 2 3; do
	printf 'From: Pat <pat@buyer.example>\nTo: sales@example.com\nSubject: seed %s\nMessage-ID: <seed-%s@buyer.example>\n\nbody %s\n' \
	    "$i" "$i" "$i" >"$HARNESS_DIR/seed$i.eml"
done
harness_seed sales INBOX "$HARNESS_DIR/seed1.eml" "$HARNESS_DIR/seed2.eml"
harness_seed community Archive "$HARNESS_DIR/seed3.eml"
[ "$(harness_count sales INBOX)" = 2 ] || fail "sales INBOX count"
[ "$(harness_count community Archive)" = 1 ] || fail "community Archive count"
[ "$(harness_count community INBOX)" = 0 ] || fail "community INBOX count"
echo "ok: seeding"
