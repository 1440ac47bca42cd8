# harness_write_conf writes a triage.conf that the real loader accepts for
# every TLS mode the harness offers, and that names the running servers.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
harness_start

fail() { echo "FAIL: $*" >&2; exit 1; }

for tls in implicit starttls none; do
	conf=$HARNESS_DIR/triage-$tls.conf
	HARNESS_IMAP_TLS=$tls harness_write_conf "$conf"
	out=$("$TRIAGED" -c "$conf" --check 2>&1) ||
		fail "$tls: triaged --check refused it: $out"
	port=$IMAPS_PORT
	[ "$tls" = implicit ] || port=$IMAP_PORT
	grep -q "port = $port; tls = \"$tls\"" "$conf" || fail "$tls: port"
	grep -q "ca_file = \"$HARNESS_CA\"" "$conf" || fail "$tls: ca_file"
	echo "ok: $tls: $out"
done
