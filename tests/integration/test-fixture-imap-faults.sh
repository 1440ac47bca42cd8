# Faults from the real server, as lib/proto/imap.c sees them: Dovecot killed
# (connection refused), frozen with SIGSTOP (every read is bounded by the
# timeout: ERR_CONN within seconds, never a hang), and back again.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
harness_start

fail() { echo "FAIL: $*" >&2; exit 1; }
FETCH=$ITEST_DIR/itest-imap-fetch
[ -x "$FETCH" ] || fail "$FETCH not built"
printf 'From: a@example.com\nSubject: one\n\nbody\n' >"$HARNESS_DIR/m.eml"
harness_seed sales INBOX "$HARNESS_DIR/m.eml"

fetch() {
	"$FETCH" -h 127.0.0.1 -p "$1" -t "$2" -u sales \
	    -P "$(harness_password_file sales)" -C "$HARNESS_CA" -T 2
}

# {fault, tls, port, expected output}
while IFS='|' read -r fault tls port want; do
	case $fault in
	kill) harness_dovecot_kill ;;
	pause) harness_dovecot_pause ;;
	esac
	start=$(date +%s)
	got=$(fetch "$port" "$tls") || true
	took=$(($(date +%s) - start))
	case $fault in
	kill) harness_dovecot_start ;;
	pause) harness_dovecot_resume ;;
	esac
	case $got in
	*"$want"*) echo "ok: $fault/$tls in ${took}s -> ${got##*error: }" ;;
	*) fail "$fault/$tls: want '$want', got '$got'" ;;
	esac
	# 2 s timeout; generous bound for a loaded machine, far from a hang.
	[ "$took" -le 12 ] || fail "$fault/$tls took ${took}s with a 2 s timeout"
done <<EOF2
none|implicit|$IMAPS_PORT|fetched 1 of 1
kill|implicit|$IMAPS_PORT|error: conn: imap 127.0.0.1:$IMAPS_PORT: connect: Connection refused
kill|starttls|$IMAP_PORT|error: conn: imap 127.0.0.1:$IMAP_PORT: connect: Connection refused
pause|implicit|$IMAPS_PORT|error: conn: imap 127.0.0.1:$IMAPS_PORT (sales): tls: 127.0.0.1: handshake timed out after 2 s
pause|starttls|$IMAP_PORT|error: conn: imap 127.0.0.1:$IMAP_PORT (sales): greeting: connection lost or timed out after 2 s
pause|none|$IMAP_PORT|error: conn: imap 127.0.0.1:$IMAP_PORT (sales): greeting: connection lost or timed out after 2 s
none|implicit|$IMAPS_PORT|fetched 1 of 1
EOF2
