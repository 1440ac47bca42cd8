#!/bin/bash
# The weekly report mail under the real triaged, Dovecot and SMTP server,
# on a database of many tickets (report-many-db.sh): report.day and
# report.at are set to the next minute (UTC), so the week falls due about
# a minute after the start.
#   1. The first turn only records the week (a database's first week
#      mails nothing).
#   2. At report.at one mail goes to both weekly_to addresses:
#      multipart/alternative, its text part first, Auto-Submitted, its
#      figures those of `triage report` for the week that just ended.
#   3. Its HTML part, as the SMTP server received it, in headless
#      Chromium: a screenshot that is not blank, no console message, no
#      request (chromium-lib.sh, as test-report-html.sh).
#   4. A restart that week sends nothing more.
#   5. `triage report --mail` queues one now, which triaged sends; a
#      --mail-to that is a watched mailbox is refused.
# (Takes up to two minutes: report.at has minute granularity.)
set -e
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/daemon-lib.sh"
. "$TRIAGE_SOURCE_DIR/tests/integration/outbox-lib.sh"
command -v chromium >/dev/null ||
	fail "chromium not installed (scripts/setup-deps.sh)"
PY=$HARNESS_PYTHON

harness_start
work=$HARNESS_DIR/chromium
mkdir -p "$work"
. "$TRIAGE_SOURCE_DIR/tests/integration/chromium-lib.sh"
conf
# no SLA clocks: the many tickets' reminders are not this test's mail
sed -i '/^sla = /d' "$CONF"
! grep -q '^sla' "$CONF" || fail "the sla line moved"
sh "$TRIAGE_SOURCE_DIR/tests/integration/report-many-db.sh" "$TRIAGE" \
	"${TRIAGE_REPORT_MANY:-20000}" "$DB"
# at least 10 s ahead, so the daemon starts before report.at
due=$(( ($(date +%s) + 70) / 60 * 60 ))
day=$(date -u -d "@$due" +%a | tr 'A-Z' 'a-z')
at=$(date -u -d "@$due" +%H:%M)
cat >>"$CONF" <<EOF
timezone = "UTC";
ticket_url = "https://crm.example.com/t/{id}";
report = { weekly_to = ("maria@example.com", "CEO@example.com");
           day = "$day"; at = "$at"; };
EOF
"$TRIAGED" --check -c "$CONF" >/dev/null || fail "--check refuses the config"

# 1. The first week is recorded, nothing mailed.
start_daemon
wait_sql "SELECT count(*) FROM weekly_reports" 1 20 ||
	fail "the first week not recorded"
[ "$(sql "SELECT due, outbox_id IS NULL FROM weekly_reports")" = "$((due - 7 * 86400))|1" ] ||
	fail "first week: $(sql "SELECT * FROM weekly_reports")"
[ "$(sql "SELECT count(*) FROM outbox WHERE kind = 'report'")" = 0 ] ||
	fail "a report before report.at"
pass "the first week ($((due - 7 * 86400))) recorded without mail"

# 2. At report.at: one mail, to both.
wait_sql "SELECT state FROM outbox WHERE kind = 'report'" sent 150 ||
	fail "no weekly report sent: $(sql "SELECT id, state, last_error FROM outbox WHERE kind = 'report'")"
[ "$(sql "SELECT due FROM weekly_reports ORDER BY due DESC LIMIT 1")" = "$due" ] ||
	fail "week recorded: $(sql "SELECT * FROM weekly_reports")"
[ "$(spool_count)" = 1 ] || fail "$(spool_count) mails"
[ "$(spool_rcpt 1 | tr ' ,' '\n\n' | grep -c .)" = 2 ] &&
	spool_rcpt 1 | grep -q maria@example.com &&
	spool_rcpt 1 | grep -q ceo@example.com ||
	fail "report to $(spool_rcpt 1)"
from=$(date -u -d "@$((due - 7 * 86400))" +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d "@$due" +%Y-%m-%dT%H:%M:%SZ)
TRIAGE_DB=$DB "$TRIAGE" -c "$CONF" report --from "$from" --to "$to" \
	--format json >"$work/week.json"
"$PY" - "$(spool_nth 1)" "$work/week.json" "$work/weekly.html" <<'EOF'
import email, json, re, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=policy.default)
want = json.load(open(sys.argv[2]))["tickets"]
assert m.get_content_type() == "multipart/alternative", m.get_content_type()
parts = list(m.iter_parts())
kinds = [p.get_content_type() for p in parts]
assert kinds == ["text/plain", "text/html"], kinds
assert m["Auto-Submitted"] == "auto-replied", m["Auto-Submitted"]
subj = str(m["Subject"])
got = re.fullmatch(r"triage weekly report \S+ to \S+: (\d+) tickets?", subj)
assert got and int(got.group(1)) == want, (subj, want)
text, html = parts[0].get_content(), parts[1].get_content()
assert str(want) in text, "text part without the ticket count"
low = html.lower()
for bad in ("<script", "<img", "<link", "<iframe", "src=", "url(",
            "@import"):
    assert bad not in low, bad
open(sys.argv[3], "w").write(html)
EOF
pass "one weekly report at report.at ($day $at UTC), to both, its figures those of triage report"

# 3. The HTML part in a browser.
run_chromium weekly "file://$work/weekly.html" \
	--screenshot="$work/weekly.png" --window-size=1280,2600 >/dev/null
size=$(stat -c %s "$work/weekly.png")
[ "$size" -ge 40000 ] || fail "screenshot only $size bytes: blank page?"
errs=$(console_lines "$work/weekly.log")
reqs=$(page_requests "$work/weekly.net.json")
[ -z "$errs$reqs" ] || fail "console: $errs requests: $reqs"
run_chromium weekly-dom "file://$work/weekly.html" --dump-dom >"$work/weekly.dom"
n=$(grep -o '<svg id="chart-' "$work/weekly.dom" | wc -l)
[ "$n" -eq 4 ] || fail "$n charts in the DOM, want 4"
if [ -n "${TRIAGE_KEEP_SCREENSHOT:-}" ]; then
	cp "$work/weekly.png" "$TRIAGE_KEEP_SCREENSHOT"
fi
pass "the mail's HTML in Chromium: screenshot $size bytes, 4 charts, no console output, no requests"

# 4. A restart the same week: nothing more.
stop_daemon TERM
start_daemon
sleep 5
stop_daemon TERM
[ "$(spool_count)" = 1 ] || fail "restart sent another report: $(spool_count) mails"
[ "$(sql "SELECT count(*) FROM outbox WHERE kind = 'report'")" = 1 ] ||
	fail "a second report row"
pass "a restart the same week sends no second report"

# 5. triage report --mail: queued now, sent by triaged.
rc=0
TRIAGE_DB=$DB "$TRIAGE" -c "$CONF" report --mail-to sales@example.com \
	--as maria >/dev/null 2>"$work/err" || rc=$?
[ "$rc" = 2 ] && grep -q "mailbox 'sales'" "$work/err" ||
	fail "--mail-to a watched mailbox: exit $rc, $(cat "$work/err")"
TRIAGE_DB=$DB "$TRIAGE" -c "$CONF" report --mail --as maria >"$work/out" ||
	fail "report --mail: $(cat "$work/out")"
grep -q "queued as outbox row" "$work/out" || fail "report --mail: $(cat "$work/out")"
once || fail "triaged --once"
[ "$(spool_count)" = 2 ] || fail "report --mail: $(spool_count) mails"
spool_rcpt 2 | grep -q maria@example.com || fail "report --mail to $(spool_rcpt 2)"
grep -q '^Content-Type: multipart/alternative' "$(spool_nth 2)" ||
	fail "report --mail: not multipart/alternative"
pass "triage report --mail queued a report that triaged sent"
