#!/bin/bash
# `triage report` end to end: itest-report-db writes the fixture history
# (tests/fixtures/report/history.h: tickets mailed in, answered, claimed,
# routed, acknowledged, (dis)qualified, tagged, stories, SLA reminders)
# through the store's API at a controlled clock; the real CLI reports on
# it; every figure is compared with the answer worked out by hand (see
# tests/unit/test-store-report.c for the arithmetic).
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

: "${TRIAGE:?}" "${ITEST_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TRIAGE_CONFIG= TRIAGE_DB=

"$ITEST_DIR/itest-report-db" "$tmp/fx.db" || fail "itest-report-db"

# check FILE 'path=value' ...: JSON values by path (a.b, [n], ["key"]).
check() {
	local file=$1
	shift
	/usr/bin/python3 - "$file" "$@" <<'PY' || exit 1
import json, re, sys
doc = json.load(open(sys.argv[1]))
bad = 0
for arg in sys.argv[2:]:
    path, want = arg.split("=", 1)
    v = doc
    for key, idx, name in re.findall(r'\["([^"]+)"\]|\[(\d+)\]|([^.\[\]]+)',
                                     path):
        v = v[int(idx)] if idx else v[key or name]
    got = json.dumps(v)
    if got != want:
        print(f"FAIL: {path}: got {got}, want {want}", file=sys.stderr)
        bad = 1
sys.exit(bad)
PY
}

# Without a config (none at the default path, -c not given): clock time
# only, no accounts.  --to names the last day included: Mon-Wed.
period=(--from 2026-11-09 --to 2026-11-11)
"$TRIAGE" report --db "$tmp/fx.db" "${period[@]}" --format json \
    >"$tmp/all.json" 2>"$tmp/err" || fail "json: $(cat "$tmp/err")"
[ ! -s "$tmp/err" ] || fail "json: stderr: $(cat "$tmp/err")"
check "$tmp/all.json" \
	'period.from="2026-11-09T00:00:00Z"' \
	'period.to="2026-11-12T00:00:00Z"' \
	'period.business_hours=null' \
	'tickets=5' \
	'volume.mailbox.sales=4' 'volume.mailbox.community=1' \
	'volume.queue.sales=4' 'volume.queue.community=1' \
	'volume.day={"2026-11-09": 3, "2026-11-10": 2, "2026-11-11": 0}' \
	'volume.tag["competitor:github"]=2' 'volume.tag["ee-lead"]=1' \
	'times.claim.n=4' 'times.claim.median=7200' 'times.claim.p90=90000' \
	'times.claim.business_median=7200' 'times.claim.business_p90=90000' \
	'times.route.n=2' 'times.route.median=5400' 'times.route.p90=68400' \
	'times.acknowledge.n=1' 'times.acknowledge.median=7200' \
	'times.first_response.n=2' 'times.first_response.median=2700' \
	'times.first_response.p90=3600' \
	'claim_histogram[2].count=1' 'claim_histogram[4].count=1' \
	'claim_histogram[6].count=1' 'claim_histogram[7].count=1' \
	'bdrs[0].name="alice"' 'bdrs[0].claimed=2' 'bdrs[0].routed=2' \
	'bdrs[0].qualified=1' 'bdrs[0].disqualified=0' \
	'bdrs[0].claim.median=1800' 'bdrs[0].claim.p90=61200' \
	'bdrs[0].route.p90=68400' \
	'bdrs[1].name="bob"' 'bdrs[1].claimed=2' 'bdrs[1].routed=0' \
	'bdrs[1].disqualified=1' 'bdrs[1].claim.median=7200' \
	'bdrs[1].route.median=null' \
	'funnel={"received": 5, "claimed": 4, "routed": 2, "acknowledged": 1, "qualified": 1, "disqualified": 1}' \
	'ee_leads=1' 'competitors={"github": 2, "gitlab": 1}' \
	'stories[0].subject="ticket 7"' 'stories[0].owner="bob"' \
	'stories[0].marked="2026-11-11T10:00:00Z"' \
	'stories[1].subject="ticket 3"' 'stories[1].account=null' \
	'breaches.total=2' 'breaches.claim=1' 'breaches.acknowledge=1' \
	'breaches.tickets[0].subject="ticket 3"' \
	'breaches.tickets[0].clock="acknowledge"' \
	'breaches.tickets[0].deadline="2026-11-11T12:00:00Z"' \
	'breaches.tickets[0].late=43200' \
	'breaches.tickets[0].owner="support@example.com"' \
	'breaches.tickets[1].subject="ticket 4"' \
	'breaches.tickets[1].clock="claim"' \
	'breaches.tickets[1].deadline="2026-11-10T13:00:00Z"' \
	'breaches.tickets[1].late=75600'

# With a config: the database from it, business hours, key accounts.
mkdir "$tmp/rules.d"
printf 'domain,account,tier,owner\nglobex.example,Globex Corp,key,alice\n' \
    >"$tmp/accounts.csv"
cat >"$tmp/triage.conf" <<'CONF'
database = "fx.db";
rules = "rules.d";
accounts = "accounts.csv";
mailboxes = (
  { name = "sales"; address = "sales@example.com"; queue = "sales";
    imap = { host = "127.0.0.1"; tls = "none"; user = "u";
             password_command = "true"; }; },
  { name = "community"; address = "community@example.com";
    queue = "community";
    imap = { host = "127.0.0.1"; tls = "none"; user = "u";
             password_command = "true"; }; }
);
team = ( { name = "alice"; address = "alice@example.com"; role = "bdr"; },
         { name = "bob"; address = "bob@example.com"; role = "bdr"; } );
sla = { claim = "4h"; acknowledge = "1d";
        hours = "Mon-Fri 09:00-18:00 UTC"; };
CONF
"$TRIAGE" -c "$tmp/triage.conf" report "${period[@]}" --format json \
    -o "$tmp/hours.json" 2>"$tmp/err" || fail "hours: $(cat "$tmp/err")"
check "$tmp/hours.json" \
	'period.business_hours="Mon-Fri 09:00-18:00 UTC"' \
	'tickets=5' \
	'times.claim.median=7200' 'times.claim.p90=90000' \
	'times.claim.business_median=7200' 'times.claim.business_p90=36000' \
	'times.route.business_p90=14400' \
	'bdrs[1].claim.business_p90=36000' \
	'stories[1].account="Globex Corp"'

# One mailbox.
"$TRIAGE" -c "$tmp/triage.conf" report "${period[@]}" --mailbox community \
    --format json >"$tmp/community.json" || fail "mailbox"
check "$tmp/community.json" 'period.mailbox="community"' 'tickets=1' \
	'volume.day["2026-11-10"]=1' 'times.claim.median=90000' \
	'breaches.total=1' 'stories=[]'

# Every format renders the same figures; html is one page.
for f in text csv html; do
	"$TRIAGE" -c "$tmp/triage.conf" report "${period[@]}" --format "$f" \
	    -o "$tmp/r.$f" || fail "format $f"
	[ -s "$tmp/r.$f" ] || fail "format $f: empty"
done
grep -q '^Tickets: 5$' "$tmp/r.text" || fail "text: $(head -5 "$tmp/r.text")"
tr -d '\r' <"$tmp/r.csv" >"$tmp/r.lf.csv"
for row in 'volume,total,tickets,5' 'times,claim,p90_seconds,90000' \
    'times,claim,business_p90_seconds,36000'; do
	grep -qx "$row" "$tmp/r.lf.csv" || fail "csv: no row $row"
done
grep -q '</html>' "$tmp/r.html" || fail "html: not a page"

# Usage errors exit 2 and say why.
expect_usage() {
	"$TRIAGE" -c "$tmp/triage.conf" report "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" -eq 2 ] || fail "report $*: exit $rc, want 2"
	[ ! -s "$tmp/out" ] || fail "report $*: printed $(cat "$tmp/out")"
	grep -q "$want" "$tmp/err" || fail "report $*: stderr $(cat "$tmp/err")"
}
want="no mailbox 'nosuch'" expect_usage --mailbox nosuch
want="exclude each other" expect_usage --since 7d --from 2026-11-09
want="want a duration" expect_usage --since 7x
want="unknown format 'pdf'" expect_usage --format pdf
want="usage: triage" expect_usage extra-argument
# A database that is not there is not created.
"$TRIAGE" report --db "$tmp/typo.db" 2>"$tmp/err"
[ $? -eq 1 ] || fail "missing database: exit not 1"
[ ! -e "$tmp/typo.db" ] || fail "missing database: created"
grep -q "typo.db: No such file" "$tmp/err" || fail "missing: $(cat "$tmp/err")"
# A broken config named with -c is refused, even with --db.
echo 'database = ;' >"$tmp/broken.conf"
"$TRIAGE" -c "$tmp/broken.conf" report --db "$tmp/fx.db" 2>"$tmp/err"
[ $? -eq 2 ] || fail "broken config: not refused"
grep -q "broken.conf:1" "$tmp/err" || fail "broken config: $(cat "$tmp/err")"
echo "ok: triage report on the fixture database"
