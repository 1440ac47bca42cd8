#!/bin/bash
# triaged is not dumpable (PR_SET_DUMPABLE 0): no core file holds the
# passwords in hand, and no other process of its user may read its
# memory.  The kernel shows it: the /proc files of a non-dumpable process
# belong to root, whoever it runs as.  So triaged runs as nobody here
# (a mailbox nobody answers keeps it backing off) and its /proc/PID/mem
# must be root's.  Exits 77 when not root (it cannot switch users).
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }
: "${TRIAGED:?}"

[ "$(id -u)" -eq 0 ] || { echo "skip: needs root to run triaged as nobody"; exit 77; }
command -v setpriv >/dev/null || { echo "skip: no setpriv"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dumpable.XXXXXX")
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir -m 777 "$tmp/db"
mkdir "$tmp/rules"
printf 'rule a\n  body /x/\n  tag t\n' >"$tmp/rules/10-a.rules"
cat >"$tmp/triage.conf" <<CONF
database = "$tmp/db/triage.db";
rules = "$tmp/rules";
mailboxes = ( { name = "sales"; address = "sales@example.com";
  imap = { host = "127.0.0.1"; port = 1; tls = "none"; user = "u";
           password_command = "echo secret"; }; } );
CONF
chmod -R a+rX "$tmp"

setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$TRIAGED" -c "$tmp/triage.conf" 2>"$tmp/log" &
pid=$!
# Until it has started (it logs "started" once its store is open).
for _ in $(seq 100); do
	grep -q "started" "$tmp/log" && break
	kill -0 "$pid" 2>/dev/null || fail "triaged exited: $(cat "$tmp/log")"
	sleep 0.1
done
grep -q "started" "$tmp/log" || fail "triaged did not start: $(cat "$tmp/log")"
[ "$(stat -c %u "/proc/$pid/status")" = 65534 ] &&
	fail "triaged runs as nobody and its /proc is nobody's: it is dumpable"
[ "$(ps -o uid= -p "$pid" | tr -d ' ')" = 65534 ] ||
	fail "triaged does not run as nobody"
[ "$(stat -c %u "/proc/$pid/mem")" = 0 ] || fail "/proc/$pid/mem not root's"
echo "ok: triaged is not dumpable"
