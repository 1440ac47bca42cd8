#!/bin/bash
# The HTML report in a real browser: render the hand-computed fixture
# report, open it in headless Chromium (Debian's chromium package, from
# scripts/setup-deps.sh), and check that
#   - a screenshot is produced and is not a blank page,
#   - the page logs nothing to the console (it has no scripts, so any
#     console line is an error: a CSP refusal, a parse problem...),
#   - the page makes no request other than its own file:// URL,
#   - the rendered DOM holds each chart's <svg> with its data.
# How: Chromium writes console messages to stderr with
# --enable-logging=stderr --log-level=0 ("CONSOLE" lines), and every
# network request to a NetLog (--log-net-log).  Requests the page makes
# carry the file:// network isolation key; Chromium's own background
# requests (update checks) carry another and are ignored.  Host
# resolution is mapped to NOTFOUND so nothing leaves the machine.
# A deliberately bad page is checked first, to show both detectors bite.
# Then the same on a database of many tickets (report-many-db.sh): the
# whole history (`--from 1970-01-01 --to 9999-12-31`, bucketed by week)
# and the last 30 days (by day), each chart's bars matching the JSON.
set -euo pipefail

: "${ITEST_DIR:?}" "${TRIAGE:?}"
command -v chromium >/dev/null || {
	echo "FAIL: chromium not installed (scripts/setup-deps.sh)" >&2
	exit 1
}
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run_chromium, page_requests, console_lines
. "$(dirname "$0")/chromium-lib.sh"

# 1. The detectors catch a page that errs and fetches.
cat >"$work/bad.html" <<'EOF'
<!DOCTYPE html><html><head><title>bad</title></head><body>
<img src="http://fetch.example.invalid/x.png">
<script>console.error("boom");</script></body></html>
EOF
run_chromium bad "file://$work/bad.html" --screenshot="$work/bad.png" \
	--window-size=800,600 >/dev/null
if [ -z "$(console_lines "$work/bad.log")" ]; then
	echo "FAIL: console detector missed console.error" >&2
	exit 1
fi
if ! page_requests "$work/bad.net.json" | grep -q fetch.example.invalid; then
	echo "FAIL: request detector missed an <img> fetch" >&2
	exit 1
fi

# 2. The report.
"$ITEST_DIR/itest-report" html "$work/report.html"
run_chromium report "file://$work/report.html" \
	--screenshot="$work/report.png" --window-size=1280,2000 >/dev/null

magic=$(head -c 8 "$work/report.png" | od -An -tx1 | tr -d ' \n')
if [ "$magic" != "89504e470d0a1a0a" ]; then
	echo "FAIL: no PNG screenshot" >&2
	exit 1
fi
size=$(stat -c %s "$work/report.png")
# A blank 1280x2000 page compresses to a few kB; charts and tables don't.
if [ "$size" -lt 40000 ]; then
	echo "FAIL: screenshot only $size bytes: blank page?" >&2
	exit 1
fi
wh=$("$PY" -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]))' "$work/report.png")
if [ "$wh" != "1280x2000" ]; then
	echo "FAIL: screenshot is $wh" >&2
	exit 1
fi

errs=$(console_lines "$work/report.log")
if [ -n "$errs" ]; then
	echo "FAIL: console messages:" >&2
	echo "$errs" >&2
	exit 1
fi
reqs=$(page_requests "$work/report.net.json")
if [ -n "$reqs" ]; then
	echo "FAIL: the page made requests:" >&2
	echo "$reqs" >&2
	exit 1
fi

# 3. The DOM as Chromium parsed it holds each chart and its figures.
run_chromium dom "file://$work/report.html" --dump-dom >"$work/dom.html"
for want in \
	'<svg id="chart-volume"' 'data-label="11-19" data-value="4"' \
	'<svg id="chart-funnel"' 'data-label="received" data-value="12"' \
	'<svg id="chart-claim"' 'data-label="30m-1h" data-value="3"' \
	'<svg id="chart-bdr"' 'data-label="alice claimed" data-value="6"'; do
	if ! grep -qF "$want" "$work/dom.html"; then
		echo "FAIL: rendered DOM lacks $want" >&2
		exit 1
	fi
done
n=$(grep -o '<svg id="chart-' "$work/dom.html" | wc -l)
if [ "$n" -ne 4 ]; then
	echo "FAIL: $n charts in the DOM, want 4" >&2
	exit 1
fi

if [ -n "${TRIAGE_KEEP_SCREENSHOT:-}" ]; then
	cp "$work/report.png" "$TRIAGE_KEEP_SCREENSHOT"
fi
echo "ok: screenshot ${wh} ${size} bytes, no console output, no requests, 4 charts"

# 4. Many tickets: the whole history and the last 30 days.
many=${TRIAGE_REPORT_MANY:-20000}
sh "$(dirname "$0")/report-many-db.sh" "$TRIAGE" "$many" "$work/many.db"
check_many() {
	local name=$1 bucket=$2
	shift 2
	"$TRIAGE" report --db "$work/many.db" "$@" --format json >"$work/$name.json"
	"$TRIAGE" report --db "$work/many.db" "$@" --format html \
		-o "$work/$name.html"
	run_chromium "$name" "file://$work/$name.html" \
		--screenshot="$work/$name.png" --window-size=1280,2600 >/dev/null
	run_chromium "$name-dom" "file://$work/$name.html" --dump-dom \
		>"$work/$name.dom"
	errs=$(console_lines "$work/$name.log")
	reqs=$(page_requests "$work/$name.net.json")
	if [ -n "$errs$reqs" ]; then
		echo "FAIL: $name: console: $errs requests: $reqs" >&2
		exit 1
	fi
	size=$(stat -c %s "$work/$name.png")
	if [ "$size" -lt 40000 ]; then
		echo "FAIL: $name: screenshot only $size bytes" >&2
		exit 1
	fi
	# the JSON's buckets, and the same number of bars in the DOM
	read -r got rows tickets < <("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
v = d["volume"]
print(v["bucket"], len(v["time"]), sum(v["time"].values()))' "$work/$name.json")
	bars=$("$PY" -c '
import re, sys
d = open(sys.argv[1]).read()
s = d[d.index("<svg id=\"chart-volume\""):]
s = s[:s.index("</svg>")]
print(len(re.findall(r"<rect ", s)))' "$work/$name.dom")
	if [ "$got" != "$bucket" ] || [ "$bars" != "$rows" ]; then
		echo "FAIL: $name: bucket $got ($bucket wanted), $rows rows," \
			"$bars bars" >&2
		exit 1
	fi
	if [ -n "${TRIAGE_KEEP_SCREENSHOT:-}" ]; then
		cp "$work/$name.png" "${TRIAGE_KEEP_SCREENSHOT%.png}-$name.png"
	fi
	echo "ok: $name: $tickets tickets in $rows ${got}s, $bars bars," \
		"screenshot $size bytes, no console output, no requests"
}
# the data spans a year: a row per week (the period is the data's)
check_many all week --from 1970-01-01 --to 9999-12-31
check_many month day --since 30d
