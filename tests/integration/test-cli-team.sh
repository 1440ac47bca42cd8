#!/bin/bash
# A team on one machine (triage(1) TEAM): throwaway Unix users in a
# throwaway group share a setgid database directory; the database and
# its -wal/-shm come out group-writable; a BDR lists the queue and claims
# a ticket as herself (the event names her and her Unix user); a Unix
# user outside the team reads but cannot change; a BDR cannot act --as
# someone else; root cannot change without --as; a manager can use --as.
# Needs root (useradd, setpriv): otherwise it says so and exits 77.
set -eu
: "${TRIAGE:?}" "${TRIAGE_FIXTURES:?}"
if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null ||
	! command -v setpriv >/dev/null; then
	echo "test-cli-team: needs root, useradd and setpriv; skipped" >&2
	exit 77
fi
tag=tt$$
grp=${tag}g bdr=${tag}a mgr=${tag}m eve=${tag}e out=${tag}o
work=$(mktemp -d)
cleanup() {
	for u in $bdr $mgr $eve $out; do userdel "$u" 2>/dev/null || :; done
	groupdel "$grp" 2>/dev/null || :
	rm -rf "$work"
}
trap cleanup EXIT
groupadd "$grp"
for u in $bdr $mgr $eve; do
	useradd -M -N -g "$grp" -d /nonexistent -s /usr/sbin/nologin "$u"
done
useradd -M -N -d /nonexistent -s /usr/sbin/nologin "$out" # not in $grp

fx=$TRIAGE_FIXTURES/store
chmod 755 "$work"
mkdir "$work/db" "$work/etc"
chgrp "$grp" "$work/db" "$work/etc"
chmod 2770 "$work/db" # as systemd's StateDirectoryMode= or the package
chmod 750 "$work/etc"
cat >"$work/etc/triage.conf" <<CONF
database = "$work/db/triage.db";
rules = "$fx/rules";
mailboxes = (
  { name = "sales"; address = "sales@example.com"; queue = "sales";
    imap = { host = "127.0.0.1"; port = 993; user = "sales";
             password_file = "$work/none"; }; }
);
team = (
  { name = "alice"; address = "alice@example.com"; role = "bdr";
    unix_user = "$bdr"; },
  { name = "bob"; address = "bob@example.com"; role = "bdr"; },
  { name = "maria"; address = "maria@example.com"; role = "manager";
    unix_user = "$mgr"; }
);
CONF
chgrp "$grp" "$work/etc/triage.conf"
chmod 640 "$work/etc/triage.conf"
db=$work/db/triage.db
fail=0

# as USER CMD...: the CLI as USER (root: as is), output in $work/out.
as() {
	local u=$1
	shift
	if [ "$u" = root ]; then
		"$TRIAGE" -c "$work/etc/triage.conf" "$@"
	else
		setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
			"$TRIAGE" -c "$work/etc/triage.conf" "$@"
	fi >"$work/out" 2>"$work/err"
}
# expect CODE USER CMD...
expect() {
	local want=$1 got=0
	shift
	as "$@" || got=$?
	if [ "$got" -ne "$want" ]; then
		echo "as $1: triage ${*:2}: exit $got, expected $want" >&2
		cat "$work/out" "$work/err" >&2
		fail=1
	fi
}
# mode_is FILE MODE GROUP
mode_is() {
	local got
	got=$(stat -c '%a %G' "$1")
	[ "$got" = "$2 $3" ] || { echo "$1: $got, expected $2 $3" >&2; fail=1; }
}
# event ID KIND ACTOR UNIX_USER: the last KIND event of ticket ID
event() {
	expect 0 root show "$1" --json
	/usr/bin/python3 - "$work/out" "$2" "$3" "$4" <<'PY' || fail=1
import json, sys
t = json.load(open(sys.argv[1]))
e = [e for e in t["events"] if e["kind"] == sys.argv[2]][-1]
want = (sys.argv[3], sys.argv[4], "cli")
got = (e["actor"], e["unix_user"], e["source"])
assert got == want, f"ticket {t['id']}: {got}, expected {want}"
PY
}

# The MTA's side (root here): ingest creates the database, group-shared.
expect 0 root ingest "$fx/01-question.eml" "$fx/04-late-child.eml" \
	"$fx/06-stranger-token.eml"
mode_is "$db" 660 "$grp"

# A BDR in the group lists the queue and claims as herself.
expect 0 "$bdr" queue --json
/usr/bin/python3 -c '
import json, sys
assert len(json.load(open(sys.argv[1]))["tickets"]) >= 2' "$work/out" ||
	{ echo "the BDR sees no queue" >&2; fail=1; }
expect 0 "$bdr" claim 1
event 1 claim alice "$bdr"
expect 0 "$bdr" queue --mine --json
/usr/bin/python3 -c '
import json, sys
assert [t["id"] for t in json.load(open(sys.argv[1]))["tickets"]] == [1]' \
	"$work/out" || { echo "queue --mine: not just #1" >&2; fail=1; }
for f in "$db-wal" "$db-shm"; do
	[ ! -e "$f" ] || mode_is "$f" 660 "$grp"
done

# In the group but not in the team: reads, cannot change (77).
expect 0 "$eve" show 1
expect 77 "$eve" claim 2
grep -q "is not in the team" "$work/err" || { cat "$work/err"; fail=1; }
expect 77 "$eve" note 1 hello

# A BDR cannot act as someone else, even to read.
expect 77 "$bdr" claim 2 --as bob
grep -q "only root and team members" "$work/err" || { cat "$work/err"; fail=1; }
expect 77 "$bdr" queue --as bob

# Root: no change without --as; with it, recorded as root.
expect 77 root claim 2
grep -q -- "--as NAME" "$work/err" || { cat "$work/err"; fail=1; }
expect 0 root queue
expect 0 root claim 2 --as bob
event 2 claim bob root
expect 2 root claim 3 --as mallory

# A manager may act for a member.
expect 0 "$mgr" claim 3 --as bob
event 3 claim bob "$mgr"

# Outside the group: the database is not even readable.
expect 2 "$out" queue
[ -s "$work/err" ] || { echo "no reason given to $out" >&2; fail=1; }

# A mistyped --db is an error, and creates nothing.
expect 2 root queue --db "$work/db/triage.bd"
[ ! -e "$work/db/triage.bd" ] || { echo "--db typo created a file" >&2; fail=1; }
exit $fail
