#!/bin/bash
# `triage status` on a PostgreSQL database that several triaged share:
# there is no status file, so it reads the instances table (each
# triaged's heartbeat and status text) and the leases table (each
# mailbox's owner, epoch and expiry).  The rows are written through the
# real store by itest-lease, as triaged on two hosts write them; what
# status prints is checked against what the store answered (epochs,
# holders) and against the database's clock (expiry), in text and JSON.
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/status-pg.XXXXXX")
trap 'rm -rf "$dir"' EXIT # pg_start runs it after its own
. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"
pg_start

fail()
{
	echo "test-status-pg: $*" >&2
	exit 1
}

L=$ITEST_DIR/itest-lease
T=$TRIAGE
A=hosta.example:4101:1765000000
B=hostb.example:4202:1765000100

# The config names an SQLite file; --db names the shared database (as
# for every command that reads the database).
write_conf()
{
	local m sep=
	{
		echo "database = \"$dir/triage.db\";"
		echo "rules = \"$TRIAGE_SOURCE_DIR/rules\";"
		echo "mailboxes = ("
		for m in sales support community; do
			echo "  $sep{ name = \"$m\"; address = \"$m@example.com\";"
			echo "    imap = { host = \"127.0.0.1\"; user = \"$m\";"
			echo "      password_file = \"$dir/$m.pass\"; }; }"
			sep=,
		done
		echo ");"
	} >"$dir/triage.conf"
}
write_conf
DB=$PG_TARGET
status() { "$T" -c "$dir/triage.conf" status --db "$DB" "$@"; }

"$T" -c "$dir/triage.conf" db init --db "$DB" >/dev/null

# Nothing has run yet.
status >"$dir/s0"
grep -qx 'triaged: no instance has run with this database' "$dir/s0" ||
	fail "fresh database: $(cat "$dir/s0")"
grep -qx 'leases: none taken yet' "$dir/s0" || fail "fresh: $(cat "$dir/s0")"

# A takes sales and the SLA lease, B takes support; B is refused sales.
ea=$("$L" take "$PG_TARGET" mailbox:sales "$A" 60000 | sed -n 's/^taken //p')
eb=$("$L" take "$PG_TARGET" mailbox:support "$B" 60000 | sed -n 's/^taken //p')
es=$("$L" take "$PG_TARGET" sla "$A" 60000 | sed -n 's/^taken //p')
[ -n "$ea" ] && [ -n "$eb" ] && [ -n "$es" ] || fail "takes: '$ea' '$eb' '$es'"
rc=0
held=$("$L" take "$PG_TARGET" mailbox:sales "$B" 60000) || rc=$?
[ $rc = 1 ] && [ "$held" = "held $A" ] || fail "B took A's lease: $held ($rc)"
"$L" beat "$PG_TARGET" "$A" sales support community
"$L" beat "$PG_TARGET" "$B" support

status >"$dir/s1"
cat "$dir/s1"
grep -qx 'triaged: 2 instances running on this database' "$dir/s1" ||
	fail "two instances not seen"
for id in "$A" "$B"; do
	grep -qE "^  $id: heartbeat [0-9]+ s ago$" "$dir/s1" ||
		fail "no heartbeat line for $id"
done
# each instance's own mailbox lines follow it
awk -v a="  $A:" '$0 ~ "^" a { on = 1; next } /^  [^ ]/ { on = 0 } on' \
    "$dir/s1" >"$dir/a-lines"
[ "$(grep -c '^    [a-z]*: idling' "$dir/a-lines")" = 3 ] ||
	fail "A's three mailboxes: $(cat "$dir/a-lines")"
# leases: owner, the epoch the take answered, seconds left by the
# database's clock (a 60 s lease taken just now)
lease_left()
{
	sed -n "s/^  $1: $2, epoch $3, expires in \([0-9]*\) s$/\1/p" "$dir/$4"
}
for l in "mailbox sales:$A:$ea" "mailbox support:$B:$eb" "sla:$A:$es"; do
	name=${l%%:*} rest=${l#*:} epoch=${l##*:} owner=${rest%:*}
	left=$(lease_left "$name" "$owner" "$epoch" s1)
	[ -n "$left" ] && [ "$left" -gt 30 ] && [ "$left" -le 60 ] ||
		fail "lease $name: '$left' s left, want 31..60"
done

# An expired lease says so; the next owner's epoch is one higher.
"$L" take "$PG_TARGET" mailbox:community "$B" 500 >/dev/null
sleep 1
status >"$dir/s2"
grep -qx "  mailbox community: $B, epoch 1, expired" "$dir/s2" ||
	fail "expired lease: $(grep community "$dir/s2")"
ec=$("$L" take "$PG_TARGET" mailbox:community "$A" 60000 | sed -n 's/^taken //p')
[ "$ec" = 2 ] || fail "takeover epoch '$ec', want 2"
# A released lease is free and keeps its epoch.
"$L" release "$PG_TARGET" mailbox:sales "$A" "$ea"
status >"$dir/s3"
grep -qx "  mailbox sales: free (epoch $ea)" "$dir/s3" ||
	fail "released lease: $(grep 'mailbox sales' "$dir/s3")"
[ -n "$(lease_left 'mailbox community' "$A" 2 s3)" ] ||
	fail "community after takeover: $(grep community "$dir/s3")"

# An instance that stopped beating (SIGKILLed: its row stays) is shown
# as such, and not counted as running.
psql -q "$PG_TARGET" -c \
    "UPDATE instances SET heartbeat = heartbeat - 90000 WHERE id = '$B'"
status >"$dir/s4"
grep -qx 'triaged: 1 instance running on this database' "$dir/s4" ||
	fail "stale instance counted: $(head -n 1 "$dir/s4")"
grep -qE "^  $B: no heartbeat for (9[0-9]|1[0-9][0-9]) s \(stopped\?\)$" \
    "$dir/s4" || fail "stale instance: $(grep "$B" "$dir/s4")"

# The same in JSON.
status --json >"$dir/j"
python3 - "$dir/j" "$A" "$B" "$ea" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
a, b, ea = sys.argv[2], sys.argv[3], int(sys.argv[4])
assert j["daemon"]["running"] is True and j["daemon"]["instances"] == 1, j["daemon"]
inst = {i["id"]: i for i in j["instances"]}
assert inst[a]["running"] and not inst[b]["running"], inst
assert inst[a]["host"] == "hosta.example" and inst[a]["pid"] == 4101
assert [m["name"] for m in inst[a]["mailboxes"]] == ["sales", "support", "community"]
assert inst[b]["heartbeat_age_ms"] >= 90000
leases = {l["name"]: l for l in j["leases"]}
assert leases["mailbox:sales"]["state"] == "free" and leases["mailbox:sales"]["owner"] is None
assert leases["mailbox:sales"]["epoch"] == ea
assert leases["mailbox:community"]["state"] == "held"
assert leases["mailbox:community"]["owner"] == a and leases["mailbox:community"]["epoch"] == 2
assert 30000 < leases["mailbox:community"]["expires_in_ms"] <= 60000
assert leases["sla"]["mailbox"] is None and leases["sla"]["owner"] == a
# the held mailboxes, each as its live holder reports it: community
# (A's); support is B's, which stopped beating
held = {m["name"]: m for m in j["mailboxes"]}
assert list(held) == ["community"], held
assert held["community"]["owner"] == a and held["community"]["state"] == "idling"
assert "tickets" in j
PY

# A clean stop removes the row.
"$L" forget "$PG_TARGET" "$A"
status >"$dir/s5"
grep -qx 'triaged: 0 instances running on this database' "$dir/s5" ||
	fail "after forget: $(head -n 1 "$dir/s5")"
grep -q "^  $A:" "$dir/s5" && fail "forgotten instance still listed"

# A database that cannot be reached: said once, and 75 (try again).
DB="postgresql:///triage?host=$dir/nowhere&user=triage"
rc=0
status >"$dir/s6" 2>"$dir/e6" || rc=$?
[ $rc = 75 ] || fail "unreachable database: exit $rc, want 75"
grep -qx 'triaged: unknown (the database could not be read)' "$dir/s6" ||
	fail "unreachable: $(cat "$dir/s6")"
[ -s "$dir/e6" ] || fail "unreachable database: no error said"
echo "test-status-pg: ok"
