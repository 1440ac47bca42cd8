# lib/proto/tls.c and lib/proto/imap.c against the harness's real Dovecot:
#  - tls_wrap() accepts the test CA's certificate for 127.0.0.1/localhost
#    and refuses an untrusted CA, a wrong host name, another CA's cert;
#  - imap.c logs in over implicit TLS, STARTTLS and (loopback) plaintext,
#    fetches seeded messages in pipelined batches byte for byte, reports
#    oversized ones instead of fetching them, flags and moves;
#  - on a bad certificate no credential (no LOGIN, no AUTHENTICATE) ever
#    reaches Dovecot: its log and its pre-login rawlog prove it.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
harness_start

fail() { echo "FAIL: $*" >&2; exit 1; }
TLS=$ITEST_DIR/itest-imap-tls
FETCH=$ITEST_DIR/itest-imap-fetch
[ -x "$TLS" ] && [ -x "$FETCH" ] || fail "itest programs not built"
D=$HARNESS_DIR/t
mkdir -p "$D"

# fetch TLS PORT [more itest-imap-fetch options]: as sales, test CA
fetch() {
	local tls=$1 port=$2
	shift 2
	"$FETCH" -h 127.0.0.1 -p "$port" -t "$tls" -u sales \
	    -P "$(harness_password_file sales)" -C "$HARNESS_CA" -T 5 "$@"
}

# ---- tls_wrap: {server cert, name to verify, CA, expected} ----------
while read -r cert name ca want; do
	if [ "$cert" != "${current:-}" ]; then
		harness_dovecot_restart "$cert"
		current=$cert
	fi
	got=$("$TLS" 127.0.0.1 "$IMAPS_PORT" "$ca" "$name" 2>&1) || true
	case $got in
	$want) echo "ok: tls cert=$cert name=$name -> $got" ;;
	*) fail "tls cert=$cert name=$name ca=${ca##*/}: want '$want', got '$got'" ;;
	esac
done <<EOF2
good 127.0.0.1 $HARNESS_CA *OK*Dovecot*ready.
good localhost $HARNESS_CA *OK*Dovecot*ready.
good 127.0.0.1 $HARNESS_UNTRUSTED_CA error:\ tls:\ 127.0.0.1:\ certificate\ verification\ failed:*issuer\ is\ unknown.
good other.example $HARNESS_CA error:\ tls:\ other.example:\ certificate\ verification\ failed:*name\ in\ the\ certificate\ does\ not\ match*
good 127.0.0.1 /nonexistent/ca.pem error:\ tls:\ 127.0.0.1:\ no\ CA\ certificate\ loaded\ from\ /nonexistent/ca.pem*
wronghost 127.0.0.1 $HARNESS_CA error:\ tls:\ 127.0.0.1:\ certificate\ verification\ failed:*name\ in\ the\ certificate\ does\ not\ match*
untrusted 127.0.0.1 $HARNESS_CA error:\ tls:\ 127.0.0.1:\ certificate\ verification\ failed:*issuer\ is\ unknown.
expired 127.0.0.1 $HARNESS_CA error:\ tls:\ 127.0.0.1:\ certificate\ verification\ failed:*chain\ uses\ expired\ certificate.
EOF2
harness_dovecot_restart good

# ---- seed -------------------------------------------------------------
# Small messages, one with 8-bit text and a line starting with a dot, and
# one of ~300 KB: LF line ends on disk, CRLF on the wire.
N=7
for i in 1 2 3 4 5 6; do
	cat >"$D/seed$i.eml" <<EOF2
Return-Path: <pat$i@buyer.example>
From: Pat Buyer <pat$i@buyer.example>
To: sales@example.com
Subject: Question number $i
Date: Mon, 09 Nov 2026 10:0$i:00 +0000
Message-ID: <seed-$i@buyer.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Hello, question $i — naïve café ✓
.a line starting with a dot
EOF2
done
{
	printf 'From: Big <big@buyer.example>\nTo: sales@example.com\n'
	printf 'Subject: big one\nMessage-ID: <big@buyer.example>\n\n'
	head -c 225000 /dev/urandom | base64 -w 76
} >"$D/seed7.eml"
harness_seed sales INBOX "$D"/seed[1-7].eml
[ "$(harness_count sales INBOX)" = $N ] || fail "seeding"
for i in $(seq 1 $N); do
	sed 's/$/\r/' "$D/seed$i.eml" >"$D/want$i.eml"
done
bigsize=$(wc -c <"$D/want7.eml")

# ---- implicit TLS, batches of 2: every message byte for byte -----------
mkdir -p "$D/a"
fetch implicit "$IMAPS_PORT" -b 2 -o "$D/a" >"$D/a.out" || {
	cat "$D/a.out"; fail "implicit fetch"; }
grep -q '^select uidvalidity=[1-9][0-9]* uidnext=8 exists=7$' "$D/a.out" ||
	fail "select line: $(head -1 "$D/a.out")"
grep -qx "fetched $N of $N" "$D/a.out" || fail "$(tail -1 "$D/a.out")"
for i in $(seq 1 $N); do
	grep -qx "$i $(wc -c <"$D/want$i.eml") ok" "$D/a.out" ||
		fail "line for UID $i"
	cmp "$D/want$i.eml" "$D/a/$i.eml" || fail "UID $i bytes differ"
done
echo "ok: implicit TLS fetched $N messages byte for byte"
# The wire: one size listing, then one pipelined UID FETCH per batch of 2.
raw=$(cat "$(harness_rawlog_dir sales)"/*.in | tr -d "\r")
echo "$raw" | grep -q 'UID FETCH 1:\* (UID RFC822.SIZE)$' || fail "no size listing"
for set in 1,2 3,4 5,6 7; do
	echo "$raw" | grep -q "UID FETCH $set (UID RFC822.SIZE BODY.PEEK\[\])" ||
		fail "no batch $set on the wire"
done
# BODY.PEEK: nothing was marked \Seen.
if harness_doveadm fetch -u sales flags mailbox INBOX all | grep -q Seen; then
	fail "fetching set \\Seen"
fi
echo "ok: wire shows 1 listing + 4 pipelined batches; nothing \\Seen"

# ---- STARTTLS from a checkpoint; oversized reported, not fetched ------
mkdir -p "$D/b"
fetch starttls "$IMAP_PORT" -s 5 -m 100000 -o "$D/b" >"$D/b.out" || {
	cat "$D/b.out"; fail "starttls fetch"; }
printf '%s\n' "5 $(wc -c <"$D/want5.eml") ok" "6 $(wc -c <"$D/want6.eml") ok" \
    "7 $bigsize too_big" "fetched 2 of 3" >"$D/b.want"
tail -n +2 "$D/b.out" | cmp - "$D/b.want" || fail "starttls lines: $(cat "$D/b.out")"
[ ! -e "$D/b/7.eml" ] || fail "oversized message was fetched"
cmp "$D/want6.eml" "$D/b/6.eml" || fail "UID 6 differs over STARTTLS"
echo "ok: STARTTLS from UID 5; UID 7 ($bigsize bytes) reported too_big"

# A batch byte budget smaller than a message still fetches it, alone.
fetch implicit "$IMAPS_PORT" -B 10 -s 6 >"$D/c.out"
grep -qx 'fetched 2 of 2' "$D/c.out" || fail "tiny batch_bytes: $(cat "$D/c.out")"

# ---- plaintext on loopback; refused elsewhere --------------------------
fetch none "$IMAP_PORT" -s 7 >"$D/d.out" || fail "plaintext: $(cat "$D/d.out")"
grep -qx 'fetched 1 of 1' "$D/d.out" || fail "plaintext count"
got=$("$FETCH" -h 192.0.2.1 -p 143 -t none -u sales -P "$(harness_password_file sales)") && fail "remote plaintext allowed"
case $got in
"error: conf: imap 192.0.2.1:143: tls = \"none\" is allowed to loopback only"*) ;;
*) fail "remote plaintext: $got" ;;
esac
echo "ok: plaintext only to loopback"

# ---- refusals carry the server's words and the right code --------------
# {expected error prefix, options}
while IFS='|' read -r want opts; do
	# shellcheck disable=SC2086
	got=$(fetch implicit "$IMAPS_PORT" $opts) && fail "$opts: succeeded"
	case $got in
	*"$want"*) echo "ok: $opts -> ${got##*error: }" ;;
	*) fail "$opts: want '$want', got '$got'" ;;
	esac
done <<EOF2
error: box: imap 127.0.0.1:$IMAPS_PORT (sales): LOGIN refused: "Authentication failed."|-P $(harness_password_file bob)
error: box: folder "Nope": imap 127.0.0.1:$IMAPS_PORT (sales): SELECT refused: "Mailbox doesn't exist: Nope|-f Nope
error: conn: imap 127.0.0.1:$IMAPS_PORT (sales): greeting: connection lost or timed out after 2 s|-t starttls -T 2
EOF2

# ---- post-actions: \Seen, then MOVE (idempotent) -----------------------
fetch implicit "$IMAPS_PORT" -s 6 -m 100000 -S >"$D/e.out"
seen=$(harness_doveadm fetch -u sales 'uid flags' mailbox INBOX seen | grep -c '^uid:' || true)
[ "$seen" = 1 ] || fail "expected exactly UID 6 \\Seen, got $seen"
harness_doveadm fetch -u sales 'uid flags' mailbox INBOX seen | grep -qx 'uid: 6' ||
	fail "UID 6 not \\Seen"
fetch implicit "$IMAPS_PORT" -s 5 -m 100000 -M Triaged >"$D/f.out"
grep -q '^error' "$D/f.out" && fail "move: $(cat "$D/f.out")"
[ "$(harness_count sales INBOX)" = 5 ] || fail "INBOX after move"
[ "$(harness_count sales Triaged)" = 2 ] || fail "Triaged after move"
fetch implicit "$IMAPS_PORT" -s 5 -M Triaged >"$D/g.out"
tail -n 2 "$D/g.out" | grep -qx '7 [0-9]* ok' || fail "after move: $(cat "$D/g.out")"
grep -qx 'fetched 1 of 1' "$D/g.out" || fail "after move: $(cat "$D/g.out")"
grep -q 'UID MOVE 5 Triaged' "$(harness_rawlog_dir sales)"/*.in || fail "no UID MOVE"
echo "ok: \\Seen on UID 6 only; UIDs 5, 6, 7 moved to Triaged"

# ---- bad certificates: refused before any credential -------------------
rm -f "$(harness_login_rawlog_dir)"/*
logins_before=$(grep -c 'Login: \|auth failed\|Aborted login' "$DOVECOT_LOG" || true)
while read -r cert tls port ca want; do
	harness_dovecot_restart "$cert"
	got=$("$FETCH" -h 127.0.0.1 -p "$port" -t "$tls" -u sales \
	    -P "$(harness_password_file sales)" -C "$ca" -T 5) &&
		fail "$cert/$tls: logged in"
	case $got in
	"error: conn: imap 127.0.0.1:$port (sales): tls: 127.0.0.1: certificate verification failed: "*"$want"*)
		echo "ok: $cert over $tls -> ${got#error: }" ;;
	*) fail "$cert over $tls: got '$got'" ;;
	esac
done <<EOF2
good implicit $IMAPS_PORT $HARNESS_UNTRUSTED_CA issuer is unknown
good starttls $IMAP_PORT $HARNESS_UNTRUSTED_CA issuer is unknown
wronghost implicit $IMAPS_PORT $HARNESS_CA does not match
wronghost starttls $IMAP_PORT $HARNESS_CA does not match
untrusted implicit $IMAPS_PORT $HARNESS_CA issuer is unknown
untrusted starttls $IMAP_PORT $HARNESS_CA issuer is unknown
expired implicit $IMAPS_PORT $HARNESS_CA uses expired certificate
EOF2
logins_after=$(grep -c 'Login: \|auth failed\|Aborted login' "$DOVECOT_LOG" || true)
[ "$logins_after" = "$logins_before" ] ||
	fail "Dovecot saw a login attempt: $(grep 'Login: \|auth failed\|Aborted login' "$DOVECOT_LOG" | tail -3)"
# Pre-login transcripts: the STARTTLS sessions' clear-text part is the
# STARTTLS command alone; the implicit-TLS ones hold only TLS records.
n=0
for f in "$(harness_login_rawlog_dir)"/*.in; do
	[ -s "$f" ] || continue
	if grep -aq 'LOGIN\|AUTHENTICATE\|LOGOUT\|sales-pw' "$f"; then
		fail "$f: a command past STARTTLS in clear text"
	fi
	first=$(head -n 1 "$f" | tr -d '\0\r' | cut -d' ' -f2-)
	if [ "$first" = "1 STARTTLS" ]; then
		n=$((n + 1))
	fi
done
[ "$n" = 3 ] || fail "expected 3 STARTTLS transcripts, found $n"
echo "ok: no LOGIN/AUTHENTICATE reached Dovecot on any refused certificate"
