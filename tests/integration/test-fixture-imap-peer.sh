# Faults no real server produces, from a scripted peer
# (tests/harness/imap-peer.py), with the exact error lib/proto/imap.c gives:
# data injected after STARTTLS's OK, PREAUTH before STARTTLS, a server
# that stops in the middle of a literal, a response that is not IMAP; and
# LOGINDISABLED, where the client must AUTHENTICATE PLAIN instead; a
# server without MOVE (with and without UIDPLUS); a Courier-like server
# whose folders all lie under "INBOX.", where a refused move says so.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
harness_start

fail() { echo "FAIL: $*" >&2; exit 1; }
FETCH=$ITEST_DIR/itest-imap-fetch
[ -x "$FETCH" ] || fail "$FETCH not built"

# {scenario, tls, expected error (PORT is the peer's port)}
while IFS='|' read -r scenario tls want; do
	pf=$HARNESS_DIR/peer-$scenario.port
	/usr/bin/python3 "$TRIAGE_SOURCE_DIR/tests/harness/imap-peer.py" \
	    "$scenario" "$pf" >"$HARNESS_DIR/peer-$scenario.log" 2>&1 &
	peer=$!
	for _ in $(seq 100); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	port=$(cat "$pf")
	start=$(date +%s)
	moveopt=
	case $scenario in nomove*|courier) moveopt="-M Triaged" ;; esac
	# shellcheck disable=SC2086
	"$FETCH" -h 127.0.0.1 -p "$port" -t "$tls" -u sales \
	    -P "$(harness_password_file sales)" -C "$HARNESS_CA" -T 2 \
	    $moveopt >"$HARNESS_DIR/out-$scenario" || true
	got=$(tail -n 1 "$HARNESS_DIR/out-$scenario")
	took=$(($(date +%s) - start))
	kill "$peer" 2>/dev/null || true
	wait "$peer" 2>/dev/null || true
	want=${want//PORT/$port}
	[ "$got" = "$want" ] || fail "$scenario: want '$want', got '$got'"
	[ "$took" -le 12 ] || fail "$scenario took ${took}s"
	# No credential went to the peer unless the scenario logs in.
	case $scenario in
	hang-literal|garbage|logindisabled|nomove*|courier) ;;
	*)
		if grep -qi 'LOGIN\|AUTHENTICATE' "$HARNESS_DIR/peer-$scenario.log"; then
			fail "$scenario: the client sent credentials"
		fi ;;
	esac
	if [ "$scenario" = logindisabled ]; then
		grep -q '^C: [0-9]* AUTHENTICATE PLAIN' \
		    "$HARNESS_DIR/peer-$scenario.log" || fail "no AUTHENTICATE PLAIN"
		if grep -q '^C: [0-9]* LOGIN' "$HARNESS_DIR/peer-$scenario.log"; then
			fail "LOGIN despite LOGINDISABLED"
		fi
	fi
	# Without MOVE: copy, \Deleted, UID EXPUNGE of that UID alone; and
	# without UIDPLUS no EXPUNGE at all (it would take others' mail).
	log=$HARNESS_DIR/peer-$scenario.log
	case $scenario in
	nomove)
		cmds=$(sed -n 's/^C: [0-9]* \(UID [A-Z]*\) /\1 /p' "$log" | grep -v FETCH)
		want_cmds=$(printf '%s\n' 'UID COPY 1 Triaged' \
		    'UID STORE 1 +FLAGS.SILENT (\Deleted)' 'UID EXPUNGE 1')
		[ "$cmds" = "$want_cmds" ] || fail "nomove: sent '$cmds'" ;;
	nomove-nouidplus)
		if grep -q 'EXPUNGE' "$log"; then
			fail "EXPUNGE without UIDPLUS"
		fi
		grep -q '^error: msg: .*copied to "Triaged" and marked \\Deleted, but the server has neither MOVE nor UIDPLUS: not expunged$' \
		    "$HARNESS_DIR/out-$scenario" ||
			fail "nomove-nouidplus: $(cat "$HARNESS_DIR/out-$scenario")" ;;
	courier)
		grep -q '^error: msg: move to "Triaged" (did you mean INBOX.Triaged?): imap 127.0.0.1:[0-9]* (sales): UID COPY refused: "Invalid mailbox name."$' \
		    "$HARNESS_DIR/out-$scenario" ||
			fail "courier: $(cat "$HARNESS_DIR/out-$scenario")"
		grep -q '^C: [0-9]* NAMESPACE$' "$log" || fail "courier: no NAMESPACE" ;;
	esac
	echo "ok: $scenario -> ${got#error: }"
done <<'EOF2'
starttls-inject|starttls|error: conn: imap 127.0.0.1:PORT (sales): server sent data after its STARTTLS OK; refusing (injection?)
preauth|starttls|error: conn: imap 127.0.0.1:PORT (sales): server greeted with PREAUTH before STARTTLS; refusing an unencrypted session
hang-literal|none|error: conn: imap 127.0.0.1:PORT (sales): UID FETCH: connection lost or timed out after 2 s
garbage|none|error: conn: imap 127.0.0.1:PORT (sales): UID FETCH: unparsable server response
logindisabled|none|fetched 0 of 0
nomove|none|fetched 1 of 1
nomove-nouidplus|none|fetched 1 of 1
courier|none|fetched 1 of 1
EOF2
