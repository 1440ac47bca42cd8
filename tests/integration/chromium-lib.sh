# Headless Chromium for the HTML report and the weekly report mail
# (test-report-html.sh, test-report-weekly.sh), sourced after $work (a
# scratch directory) and $PY are set.  Console messages go to stderr
# (--enable-logging=stderr --log-level=0, "CONSOLE" lines), every
# network request to a NetLog (--log-net-log); requests the page makes
# carry the file:// network isolation key, Chromium's own background
# requests another.  Host resolution maps to NOTFOUND: nothing leaves
# the machine.

# run_chromium NAME URL EXTRA-ARGS...: stderr in $work/NAME.log, NetLog
# in $work/NAME.net.json.
run_chromium() {
	local name=$1 url=$2
	shift 2
	timeout 120 chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--host-resolver-rules="MAP * ~NOTFOUND" \
		--user-data-dir="$(mktemp -d -p "$work")" \
		--enable-logging=stderr --log-level=0 \
		--log-net-log="$work/$name.net.json" \
		"$@" "$url" 2>"$work/$name.log"
}

# page_requests NETLOG: every non-file URL the page itself requested.
page_requests() {
	"$PY" - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
types = {v: k for k, v in d["constants"]["logEventTypes"].items()}
for e in d["events"]:
    p = e.get("params", {})
    if types.get(e["type"]) != "URL_REQUEST_START_JOB":
        continue
    if not p.get("network_isolation_key", "").startswith("file://"):
        continue            # Chromium's own background traffic
    if not p.get("url", "").startswith("file:"):
        print(p["url"])
EOF
}

console_lines() {
	grep -E ':CONSOLE[:(]' "$1" || true
}

