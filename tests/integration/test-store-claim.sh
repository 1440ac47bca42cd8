#!/bin/bash
# The claim race: two `triage claim` processes released at the same
# instant (a lock both wait on) on the same ticket, over many rounds.  Exactly one
# must win every time, and the loser must be told who holds the ticket.
set -eu
: "${TRIAGE:?}" "${ITEST_DIR:?}"
ROUNDS=${ROUNDS:-150}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# CLAIM_DB: another database to race on (test-store-pg: PostgreSQL)
db=${CLAIM_DB:-$work/t.db}
"$ITEST_DIR/itest-store" seed "$db" "$ROUNDS"

fail=0
for ((id = 1; id <= ROUNDS; id++)); do
	# Both claimants block on a lock the test holds, then start at once.
	exec 4>"$work/gate"
	flock -x 4
	flock -s "$work/gate" "$TRIAGE" claim "$id" --db "$db" --as alice 4>&- \
	    >"$work/a.out" 2>"$work/a.err" &
	pa=$!
	flock -s "$work/gate" "$TRIAGE" claim "$id" --db "$db" --as bob 4>&- \
	    >"$work/b.out" 2>"$work/b.err" &
	pb=$!
	sleep 0.03
	exec 4>&-	# release: both go
	ra=0; wait $pa || ra=$?
	rb=0; wait $pb || rb=$?
	if [ $ra -eq 0 ] && [ $rb -eq 1 ]; then
		winner=alice; loser=b
	elif [ $ra -eq 1 ] && [ $rb -eq 0 ]; then
		winner=bob; loser=a
	else
		echo "round $id: exit codes alice=$ra bob=$rb" >&2
		cat "$work/a.err" "$work/b.err" >&2
		fail=1
		continue
	fi
	if ! grep -q "is claimed by $winner" "$work/$loser.err"; then
		echo "round $id: loser not told the winner:" >&2
		cat "$work/$loser.err" >&2
		fail=1
	fi
done

# One claim event per ticket, by the owner the ticket shows.
"$TRIAGE" queue --db "$db" --state claimed --limit 0 --json >"$work/q.json"
for ((id = 1; id <= ROUNDS; id += 37)); do
	"$TRIAGE" show "$id" --db "$db" --json
done >"$work/show.json"
/usr/bin/python3 - "$work/q.json" "$ROUNDS" <<'PY' || fail=1
import json, sys
q = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert len(q["tickets"]) == n, len(q["tickets"])
assert all(t["owner"] in ("alice", "bob") for t in q["tickets"])
PY
/usr/bin/python3 - "$work/show.json" <<'PY' || fail=1
import json, sys
dec, text, i = json.JSONDecoder(), open(sys.argv[1]).read(), 0
while i < len(text.strip()):
    t, j = dec.raw_decode(text, i)
    i = j + 1
    claims = [e for e in t["events"] if e["kind"] == "claim"]
    assert len(claims) == 1, t["id"]
    assert claims[0]["actor"] == t["owner"], t["id"]
    assert claims[0]["source"] == "cli"
PY

# --steal takes over, and says so in the log.
"$TRIAGE" claim 1 --db "$db" --as carol --steal >/dev/null
"$TRIAGE" show 1 --db "$db" --json | /usr/bin/python3 -c '
import json, sys
t = json.load(sys.stdin)
assert t["owner"] == "carol"
assert t["events"][-1]["kind"] == "steal"
assert "taken over from" in t["events"][-1]["detail"]
' || fail=1

[ $fail -eq 0 ] && echo "claim race: $ROUNDS rounds, one winner each"
exit $fail
