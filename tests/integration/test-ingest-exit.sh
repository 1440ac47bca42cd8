#!/bin/bash
# triage ingest's exit status per failure class, as triage(1) tables it:
# what is not the message's own fault never bounces mail in an MTA pipe,
# it exits 75 (EX_TEMPFAIL), which Postfix, Exim and OpenSMTPD defer (not
# 78, EX_CONFIG: Postfix bounces that, tests/interop/test-postfix.sh).
# (A locked database is test-store-ingest's.)
set -eu
: "${TRIAGE:?}" "${TRIAGE_FIXTURES:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/ingest-exit.XXXXXX")
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
fx=$TRIAGE_FIXTURES/store
mkdir "$work/db"
write_conf()
{
	cat >"$1" <<CONF
database = "$2";
rules = "$fx/rules";
mailboxes = (
  { name = "sales"; address = "sales@example.com"; queue = "sales";
    imap = { host = "127.0.0.1"; port = 993; user = "sales";
             password_file = "$work/none"; }; }
);
team = ( { name = "alice"; address = "alice@example.com"; role = "bdr"; } );
CONF
}
write_conf "$work/triage.conf" "$work/db/t.db"
mail=$work/mail.eml
printf 'From: a@b.test\r\nSubject: x\r\nMessage-ID: <exit@b.test>\r\n\r\nhi\r\n' >"$mail"
fail=0

# expect CODE WHAT ARGS...: triage ARGS... <mail exits CODE and, unless
# it is 0, says why on stderr.
expect()
{
	local want=$1 what=$2 rc=0
	shift 2
	"$TRIAGE" "$@" <"$mail" >"$work/out" 2>"$work/err" || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL: $what: exit $rc, expected $want" >&2
		cat "$work/err" >&2
		fail=1
		return
	fi
	if [ "$want" != 0 ] && [ ! -s "$work/err" ]; then
		echo "FAIL: $what: exit $rc without a word on stderr" >&2
		fail=1
		return
	fi
	echo "ok: $what: exit $rc"
}

# 75 for the installation's configuration, or the pipe line in the alias.
expect 75 "no triage.conf" -c "$work/missing.conf" ingest --mailbox sales
printf 'database = "%s";\nmailboxes = ( {\n' "$work/db/t.db" >"$work/broken.conf"
expect 75 "a triage.conf that does not parse" -c "$work/broken.conf" \
    ingest --mailbox sales
mkdir "$work/dir.conf"
expect 75 "a triage.conf that is a directory" -c "$work/dir.conf" \
    ingest --mailbox sales
if [ "$(id -u)" -ne 0 ]; then
	cp "$work/triage.conf" "$work/unreadable.conf"
	chmod 000 "$work/unreadable.conf"
	expect 75 "an unreadable triage.conf" -c "$work/unreadable.conf" \
	    ingest --mailbox sales
fi
expect 75 "an unknown --mailbox" -c "$work/triage.conf" ingest --mailbox nope
expect 75 "an unknown option" -c "$work/triage.conf" ingest --mailbx sales
expect 75 "--as someone not in the team" -c "$work/triage.conf" \
    ingest --mailbox sales --as mallory

# 75 too: the installation is right but cannot take the mail now.
write_conf "$work/nodir.conf" "$work/gone/t.db"
expect 75 "the database's directory is missing" -c "$work/nodir.conf" \
    ingest --mailbox sales
rc=0
"$TRIAGE" -c "$work/triage.conf" ingest --mailbox sales - <"$work/db" \
    >/dev/null 2>"$work/err" || rc=$?
if [ "$rc" = 75 ]; then
	echo "ok: standard input cannot be read: exit 75"
else
	echo "FAIL: standard input cannot be read: exit $rc, expected 75" >&2
	fail=1
fi
# A database file that is not one (an admin's mistake, a restore gone
# wrong): the mail waits while it is fixed.
write_conf "$work/garbage.conf" "$work/garbage.db"
head -c 8192 /dev/urandom >"$work/garbage.db"
expect 75 "the database file is not a database" -c "$work/garbage.conf" \
    ingest --mailbox sales

# 66: a FILE argument that cannot be read (never in an MTA pipe).
expect 66 "a missing FILE argument" -c "$work/triage.conf" \
    ingest --mailbox sales "$work/no-such.eml"

# 0: stored, and stored already.
expect 0 "a message stored" -c "$work/triage.conf" ingest --mailbox sales
grep -q "new ticket" "$work/out" || { echo "FAIL: not stored" >&2; fail=1; }
expect 0 "the same message again" -c "$work/triage.conf" ingest --mailbox sales
grep -q "already stored" "$work/out" || { echo "FAIL: not a no-op" >&2; fail=1; }
# Every class above: no message was stored twice or lost.
n=$(sqlite3 -batch -noheader "$work/db/t.db" \
    "SELECT count(*) FROM messages WHERE message_id = 'exit@b.test'")
[ "$n" = 1 ] || { echo "FAIL: $n copies stored" >&2; fail=1; }
exit $fail
