#!/bin/bash
# A database this user cannot write (issue 16, defect 6): the commands
# that only read work on it and print what they print on a writable one;
# `triage ingest` says once why it cannot write and exits 75 (the MTA
# keeps the mail and retries), storing nothing; triaged refuses to start
# with the same reason.  Shapes: a 0444 file in a directory the reader
# cannot write (no -shm can be made: SQLite's immutable open), a 0444
# file in one it can (mode=ro makes the -shm), a writable file in a
# directory it cannot write (no -wal, no -shm).
#
# Root ignores file modes, so as root (CI) the reader is `nobody`
# (setpriv); as anyone else the reader is that user.
set -eu
: "${TRIAGE:?}" "${TRIAGED:?}" "${ITEST_DIR:?}"
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
fail=0

if [ "$(id -u)" = 0 ]; then
	reader=nobody
	as_reader() {
		setpriv --reuid=nobody --regid="$(id -g nobody)" \
			--clear-groups "$@"
	}
	# the reader's own directory / file (as root: given to nobody)
	give() { chown nobody "$@"; }
else
	reader=$(id -un)
	as_reader() { "$@"; }
	give() { :; }
fi
chmod 755 "$work"
mkdir "$work/db"
export TRIAGE_DB=$work/db/t.db
"$ITEST_DIR/itest-store" seed "$TRIAGE_DB" 3

mkdir "$work/rules"
cat >"$work/triage.conf" <<EOF
database = "$TRIAGE_DB";
rules = "$work/rules";
mailboxes = (
  { name = "sales"; address = "sales@example.com"; queue = "sales";
    imap = { host = "127.0.0.1"; port = 9; tls = "implicit";
             user = "sales"; password_file = "$work/pass";
             folder = "INBOX"; };
    after = "flag"; }
);
EOF
echo secret >"$work/pass"
chmod 644 "$work/triage.conf"
chmod 600 "$work/pass"
give "$work/pass"

reads=("queue" "queue --json" "show 1" "search Subject"
	"report --from 2025-01-01 --to 2025-03-01"
	"outbox")
# the same commands on the writable database, for comparison
chmod 755 "$work/db"
for i in "${!reads[@]}"; do
	# shellcheck disable=SC2086
	"$TRIAGE" ${reads[$i]} >"$work/want.$i" 2>&1
done

# check_reads SHAPE: every read command exits 0 with the same output.
check_reads()
{
	local i rc
	for i in "${!reads[@]}"; do
		rc=0
		# shellcheck disable=SC2086
		as_reader "$TRIAGE" ${reads[$i]} >"$work/got" 2>&1 || rc=$?
		if [ "$rc" != 0 ] || ! cmp -s "$work/got" "$work/want.$i"; then
			echo "$1: triage ${reads[$i]}: exit $rc as $reader" >&2
			diff "$work/want.$i" "$work/got" >&2 || true
			fail=1
		fi
	done
}

msg() {
	printf 'From: Pat <pat@buyer.example>\nTo: sales@example.com\n'
	printf 'Subject: read-only\nMessage-ID: <ro-%s@buyer.example>\n' "$1"
	printf 'Date: Mon, 03 Feb 2025 10:00:00 +0000\n\nHello\n'
}

# check_ingest SHAPE WORDS: ingest exits 75, says why once, stores nothing.
check_ingest()
{
	local rc=0 before after
	before=$(sqlite3 "$TRIAGE_DB" "SELECT count(*) FROM messages")
	msg "$1" | as_reader "$TRIAGE" -c "$work/triage.conf" ingest >"$work/out" 2>"$work/err" ||
		rc=$?
	after=$(sqlite3 "$TRIAGE_DB" "SELECT count(*) FROM messages")
	if [ "$rc" != 75 ]; then
		echo "$1: ingest exit $rc, expected 75" >&2
		fail=1
	fi
	if [ "$(wc -l <"$work/err")" != 1 ] ||
		! grep -q "read-only for this user.*$2" "$work/err"; then
		echo "$1: ingest did not say once why:" >&2
		cat "$work/err" >&2
		fail=1
	fi
	if [ "$before" != "$after" ]; then
		echo "$1: ingest stored a message ($before -> $after)" >&2
		fail=1
	fi
}

# 1. a 0444 file in a directory the reader cannot write
chmod 444 "$TRIAGE_DB"
chmod 555 "$work/db"
check_reads "0444 file, read-only directory"
check_ingest "0444-file" "Permission denied"
[ ! -e "$TRIAGE_DB-shm" ] || { echo "a -shm appeared" >&2; fail=1; }

# triaged: refuses at once, with the reason, exit 1
rc=0
as_reader timeout 30 "$TRIAGED" -c "$work/triage.conf" --once \
	2>"$work/daemon.err" || rc=$?
if [ "$rc" != 1 ] ||
	! grep -q "t.db: the database is read-only for this user" \
		"$work/daemon.err"; then
	echo "triaged on a read-only database: exit $rc" >&2
	cat "$work/daemon.err" >&2
	fail=1
fi

# 2. a 0444 file in a directory the reader can write: mode=ro
chmod 755 "$work/db"
give "$work/db"
check_reads "0444 file, writable directory"
check_ingest "0444-file-writable-dir" "Permission denied"

# 3. a writable file in a directory the reader cannot write
chown "$(id -u)" "$work/db"
rm -f "$TRIAGE_DB-shm" "$TRIAGE_DB-wal"
chmod 644 "$TRIAGE_DB"
give "$TRIAGE_DB"
chmod 555 "$work/db"
check_reads "writable file, read-only directory"
check_ingest "read-only-dir" "directory .* is not writable"

# and once writable again, ingest stores it (the same mail: retried)
chmod 755 "$work/db"
give "$work/db"
rc=0
msg "read-only-dir" | as_reader "$TRIAGE" -c "$work/triage.conf" ingest >/dev/null 2>"$work/err" ||
	rc=$?
[ "$rc" = 0 ] || { echo "ingest when writable: exit $rc" >&2; cat "$work/err" >&2; fail=1; }

[ "$fail" = 0 ] && echo "PASS: read-only database: reads work, writers refuse (75)"
exit "$fail"
