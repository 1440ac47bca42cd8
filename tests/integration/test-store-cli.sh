#!/bin/bash
# The triage CLI over the store: workflow verbs, exit codes, and --json
# parsed back and checked against DESIGN.md's shapes.
set -eu
: "${TRIAGE:?}" "${ITEST_DIR:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TRIAGE_DB=$work/t.db
"$ITEST_DIR/itest-store" seed "$TRIAGE_DB" 3
fail=0

# expect CODE CMD...: run the CLI, check its exit code.
expect() {
	local want=$1 got=0
	shift
	"$TRIAGE" "$@" >"$work/out" 2>"$work/err" || got=$?
	if [ "$got" -ne "$want" ]; then
		echo "triage $*: exit $got, expected $want" >&2
		cat "$work/out" "$work/err" >&2
		fail=1
	fi
}

expect 0 claim 1 --as alice
expect 1 claim 1 --as bob
grep -q "claimed by alice" "$work/err" || { echo "no owner named" >&2; fail=1; }
expect 0 route 1 sales --as alice --note "hot lead"
expect 1 route 1 support --as alice
expect 0 ack 1 --as sam
expect 0 tag 1 EE-Lead --as alice
expect 0 tag 1 ee-lead --as alice	# already tagged: no change
# the tag rule of mail's #tag, in the same words, naming the argument
expect 2 tag 1 '%n%s' --as alice
grep -qF "'%n%s': #tag needs one tag name (letters, digits, - _ . :)" \
	"$work/err" || { echo "bad tag not refused as #tag does" >&2; fail=1; }
expect 2 tag 1 'a b' --as alice
expect 2 tag 1 '' --as alice
expect 0 qualify 1 budget need --as alice
expect 2 qualify 1 money --as alice
expect 0 priority 1 urgent --as alice
expect 2 priority 1 whenever --as alice
expect 0 note 1 called them, they want a demo --as alice
expect 0 story 1 --as alice
expect 0 route 2 sales --as alice          # new: claimed, then routed
"$TRIAGE" show 2 --json >"$work/show2"
python3 - "$work/show2" <<'PY' || fail=1
import json, sys
t = json.load(open(sys.argv[1]))
kinds = [(e["kind"], e["actor"], e["detail"]) for e in t["events"]]
assert t["state"] == "routed" and t["owner"] == "alice", t
assert ("claim", "alice", "implied by route") in kinds, kinds
assert kinds.index(("claim", "alice", "implied by route")) < \
    [k for k, _, _ in kinds].index("route"), kinds
PY
expect 2 disqualify 2 --as alice           # no reason
expect 0 disqualify 2 --reason "student project" --as alice
expect 1 close 2 --as alice
expect 0 reopen 2 --as alice
expect 1 reopen 2 --as alice
expect 1 claim 999 --as alice
expect 1 show 999
expect 2 show nope
# a number too long to be a ticket is a usage error, never a clamped id
expect 2 show 99999999999999999999
grep -q "'99999999999999999999' is not a ticket number" "$work/err" ||
	{ echo "bad ticket argument not named" >&2; fail=1; }
expect 2 show 9223372036854775807
expect 2 show '#9223372036854775808'
expect 2 claim 123456789012345678901234567890 --as alice
expect 2 tag 18446744073709551617 x --as alice
expect 2 route -- -1 sales --as alice
expect 2 show 0
expect 0 show '#003'
# counts are checked, not wrapped: -1 was "no limit", "abc" was 0
expect 2 queue --limit -1
grep -q "limit '-1' is not a number" "$work/err" ||
	{ echo "bad --limit not named" >&2; fail=1; }
expect 2 queue --limit abc
expect 2 search x --limit 99999999999999999999
expect 2 outbox --limit 18446744073709551617
expect 0 queue --limit 2
expect 2 outbox retry 99999999999999999999
COLUMNS=99999999999999999999 expect 0 queue
expect 2 claim
expect 2 frobnicate
TRIAGE_DB= expect 2 queue

expect 0 show 1 --json
/usr/bin/python3 - "$work/out" <<'PY' || fail=1
import json, sys
t = json.load(open(sys.argv[1]))
for k in ("id", "subject", "state", "queue", "priority", "owner", "route",
          "customer", "mailboxes", "tags", "created", "updated", "scores",
          "messages", "hits", "events"):
    assert k in t, k
assert t["id"] == 1 and t["state"] == "acknowledged"
assert t["owner"] == "alice" and t["route"] == "sales"
assert t["priority"] == "urgent" and t["tags"] == ["ee-lead"]
assert t["scores"] == {"budget": 1, "authority": 0, "need": 1,
                       "timeline": 0, "fit": 0}, t["scores"]
assert t["customer"] == "customer1@buyer1.test"
assert t["mailboxes"] == ["crash"]
assert t["created"].endswith("Z") and "T" in t["created"]
m = t["messages"][0]
for k in ("message_id", "from", "date", "direction", "subject", "text"):
    assert k in m, k
assert m["direction"] == "in" and m["message_id"] == "seed-1@test.example"
kinds = [e["kind"] for e in t["events"]]
assert kinds == ["create", "claim", "route", "ack", "tag", "qualify",
                 "priority", "note", "story"], kinds
e = t["events"][2]
assert e["actor"] == "alice" and e["source"] == "cli"
assert e["detail"] == "sales: hot lead"
assert t["events"][7]["detail"] == "called them, they want a demo"
PY

expect 0 queue --json
/usr/bin/python3 - "$work/out" <<'PY' || fail=1
import json, sys
q = json.load(open(sys.argv[1]))
ids = [t["id"] for t in q["tickets"]]
# 1 is urgent; 2 and 3 normal, oldest first.
assert ids == [1, 2, 3], ids
assert q["tickets"][1]["owner"] is None and q["tickets"][1]["route"] is None
PY
expect 0 queue --state new --json
/usr/bin/python3 -c 'import json,sys; q=json.load(open(sys.argv[1])); assert [t["id"] for t in q["tickets"]] == [2, 3]' "$work/out" || fail=1
expect 0 queue --mine --as alice --json
/usr/bin/python3 -c 'import json,sys; q=json.load(open(sys.argv[1])); assert [t["id"] for t in q["tickets"]] == [1]' "$work/out" || fail=1
COLUMNS=72 expect 0 queue
/usr/bin/python3 -c '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
assert len(lines) == 4 and max(len(l) for l in lines) <= 72, lines' "$work/out" || { echo "queue wider than 72 columns" >&2; fail=1; }
expect 0 search audit log --json
/usr/bin/python3 -c 'import json,sys; q=json.load(open(sys.argv[1])); assert len(q["tickets"]) == 3' "$work/out" || fail=1
expect 0 search customer4@buyer4.test
grep -q "^2 " "$work/out" || { echo "search by address failed" >&2; fail=1; }
exit $fail
