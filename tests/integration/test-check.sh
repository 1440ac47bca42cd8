#!/bin/bash
# triaged --check loads what the daemon loads and refuses (exit 2) what
# it refuses: the shipped example passes (exit 0, "FILE: ok") with the
# tree's rules and a scratch database directory; a typo is refused
# naming the file, the line, the key and the close known key; so are a
# broken rule (file:line:col), a queue no mailbox or route declares
# (with a did-you-mean), a broken accounts file, a secret readable by
# others, a database directory that cannot be written, an empty
# trust_authentication_results and an unknown log_level -- and the
# daemon itself refuses the same files at start, at error priority; and
# a digest or weekly report address that is a mailbox triage reads.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

: "${TRIAGED:?}" "${TRIAGE_SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The example names /etc/triage/rules.d and /var/lib/triage: point them
# at the tree's rules and a scratch directory, nothing else changed.
mkdir "$tmp/db"
sed -e "s|^database = \"[^\"]*\"|database = \"$tmp/db/triage.db\"|" \
    -e "s|^rules    = \"[^\"]*\"|rules    = \"$TRIAGE_SOURCE_DIR/rules\"|" \
    "$TRIAGE_SOURCE_DIR/triage.conf.example" >"$tmp/example.conf"
grep -q "^database = \"$tmp/db/" "$tmp/example.conf" &&
	grep -q "^rules    = \"$TRIAGE_SOURCE_DIR/rules\"" "$tmp/example.conf" ||
	fail "the example's database or rules line moved"
example=$tmp/example.conf
out=$("$TRIAGED" --check -c "$example" 2>"$tmp/err")
rc=$?
[ "$rc" -eq 0 ] || fail "example: exit $rc, stderr: $(cat "$tmp/err")"
[ "$out" = "$example: ok" ] || fail "example: stdout '$out'"
[ ! -s "$tmp/err" ] || fail "example: stderr not empty: $(cat "$tmp/err")"

# The same example with the typo on line 3 (after two comment lines).
{
	printf '# a typo\n\n'
	printf 'pol_interval = 5;\n'
	cat "$example"
} >"$tmp/typo.conf"
"$TRIAGED" --check -c "$tmp/typo.conf" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "typo: exit $rc, want 2"
[ ! -s "$tmp/out" ] || fail "typo: stdout: $(cat "$tmp/out")"
want="$tmp/typo.conf:3: unknown setting 'pol_interval' (did you mean 'poll_interval'?)"
[ "$(cat "$tmp/err")" = "$want" ] ||
	fail "typo: stderr '$(cat "$tmp/err")', want '$want'"

# Several errors: all reported, one a line, exit 2.
cat >"$tmp/many.conf" <<'CONF'
pol_interval = 5;
mailboxes = ( { name = "sales"; address = "sales";
  imap = { host = "imap.example.com"; tls = "none"; user = "u";
           password_command = "true"; }; } );
sla = { claim = "4x"; };
CONF
"$TRIAGED" --check -c "$tmp/many.conf" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "many: exit $rc, want 2"
[ "$(wc -l <"$tmp/err")" -eq 4 ] || fail "many: $(cat "$tmp/err")"
for line in 1 2 3 5; do
	grep -q "^$tmp/many.conf:$line: " "$tmp/err" ||
		fail "many: no error on line $line: $(cat "$tmp/err")"
done

# A file that does not exist: exit 2, named.
"$TRIAGED" --check -c "$tmp/absent.conf" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "absent: exit $rc"
grep -qx "$tmp/absent.conf: No such file or directory" "$tmp/err" ||
	fail "absent: $(cat "$tmp/err")"
# Numeric options are digits only, in range: strtoul read
# -18446744073709551615 as 1 and both skipped leading blanks.
"$TRIAGED" --check -c "$example" --batch 5 >/dev/null 2>&1 ||
	fail "--batch 5 refused"
for opt in --batch --idle-renew; do
	for bad in -18446744073709551615 " 5" +5 99999999999999999999 ""; do
		rc=0
		"$TRIAGED" --check -c "$example" $opt "$bad" >/dev/null \
			2>&1 || rc=$?
		[ "$rc" -eq 2 ] || fail "$opt '$bad': exit $rc, want 2"
	done
done

# refused NAME CONF PATTERN: --check exits 2, prints PATTERN (grep -x),
# nothing on stdout; the daemon refuses the same file at start, with
# exit 2 and the same line at error priority.
refused()
{
	local name=$1 conf=$2 pattern=$3 rc=0
	"$TRIAGED" --check -c "$conf" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "$name: exit $rc, want 2: $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "$name: stdout: $(cat "$tmp/out")"
	grep -qx -- "$pattern" "$tmp/err" ||
		fail "$name: stderr '$(cat "$tmp/err")', want '$pattern'"
	rc=0
	"$TRIAGED" -c "$conf" --once 2>"$tmp/daemon" || rc=$?
	[ "$rc" -ne 0 ] || fail "$name: the daemon started"
	grep -qx -- "<3>triaged: $pattern" "$tmp/daemon" ||
		fail "$name: daemon: $(cat "$tmp/daemon")"
}

# A small config over a rules directory of its own; "$@" added lines.
small()
{
	cat <<CONF
database = "$tmp/db/small.db";
rules = "$tmp/rules";
mailboxes = ( { name = "sales"; address = "sales@example.com";
  imap = { host = "127.0.0.1"; tls = "none"; user = "u";
           password_file = "$tmp/pass"; }; } );
routes = { support = "support@example.com"; };
CONF
	printf '%s\n' "$@"
}
(umask 077; echo secret >"$tmp/pass")
mkdir "$tmp/rules"
printf 'rule a\n  body /x/\n  queue support\n' >"$tmp/rules/10-a.rules"
small >"$tmp/small.conf"
"$TRIAGED" --check -c "$tmp/small.conf" >/dev/null 2>"$tmp/err" ||
	fail "small: $(cat "$tmp/err")"

# A broken rule: file:line:col.
printf 'rule b\n  body /x(/\n  tag t\n' >"$tmp/rules/20-b.rules"
refused "broken rule" "$tmp/small.conf" \
	"$tmp/rules/20-b.rules:2:11: bad regex: missing closing parenthesis .*"
rm "$tmp/rules/20-b.rules"

# A queue nobody declares, one edit away from one that is.
printf 'rule c\n  body /x/\n  queue suport\n' >"$tmp/rules/30-c.rules"
refused "queue typo" "$tmp/small.conf" \
	"$tmp/rules/30-c.rules:3:9: unknown queue 'suport' (did you mean 'support'?)"
rm "$tmp/rules/30-c.rules"

# Accounts: a file that is not there.
small "accounts = \"$tmp/absent.csv\";" >"$tmp/acc.conf"
refused "accounts" "$tmp/acc.conf" "$tmp/absent.csv: .*"

# A secret others may read.
chmod 644 "$tmp/pass"
refused "secret mode" "$tmp/small.conf" \
	"$tmp/small.conf:5: password_file '$tmp/pass' is readable by group or others (mode 0644); chmod 600 it"
chmod 600 "$tmp/pass"

# A database directory that is not there.
sed "s|$tmp/db/small.db|$tmp/nodir/small.db|" "$tmp/small.conf" >"$tmp/nodb.conf"
rc=0
"$TRIAGED" --check -c "$tmp/nodb.conf" 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] || fail "database directory: exit $rc"
grep -qx "$tmp/nodb.conf: database directory '$tmp/nodir': No such file or directory" \
	"$tmp/err" || fail "database directory: $(cat "$tmp/err")"

# trust_authentication_results = "" is not "off", and log_level names.
small 'trust_authentication_results = "";' >"$tmp/tar.conf"
refused "empty trust_authentication_results" "$tmp/tar.conf" \
	"$tmp/tar.conf:7: 'trust_authentication_results' must not be empty"
small 'log_level = "loud";' >"$tmp/ll.conf"
refused "log_level" "$tmp/ll.conf" \
	"$tmp/ll.conf:7: 'log_level' must be \"error\", \"warning\", \"info\" or \"debug\", not \"loud\""
small 'log_level = "debug";' >"$tmp/ll.conf"
"$TRIAGED" --check -c "$tmp/ll.conf" >/dev/null 2>"$tmp/err" ||
	fail "log_level debug: $(cat "$tmp/err")"

# Mail triage sends on its own never goes to a mailbox it reads: the
# digest and reminders (sla.digest_to), the weekly report (a list, a
# plus-address too).  --check refuses, naming the key and the mailbox.
own()
{
	local name=$1 conf=$2 pattern=$3 rc=0
	"$TRIAGED" --check -c "$conf" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" -eq 2 ] || fail "$name: exit $rc, want 2: $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "$name: stdout: $(cat "$tmp/out")"
	grep -qx -- "$pattern" "$tmp/err" ||
		fail "$name: stderr '$(cat "$tmp/err")', want '$pattern'"
}
small 'sla = { digest_to = "Sales@Example.com"; };' >"$tmp/own.conf"
own "digest_to" "$tmp/own.conf" \
	"$tmp/own.conf: sla.digest_to \"sales@example.com\" is the address of mailbox 'sales', which triage reads: the digest and the reminders would come back to it"
small 'report = { weekly_to = ("boss@example.com", "sales+weekly@example.com"); };' >"$tmp/own.conf"
own "weekly_to" "$tmp/own.conf" \
	"$tmp/own.conf: report.weekly_to \"boss@example.com, sales+weekly@example.com\" is the address of mailbox 'sales', which triage reads: the weekly report would come back to it"
small 'sla = { digest_to = "boss@example.com"; };' \
	'report = { weekly_to = ("boss@example.com", "ceo@example.com"); day = "fri"; at = "17:30"; };' >"$tmp/own.conf"
"$TRIAGED" --check -c "$tmp/own.conf" >/dev/null 2>"$tmp/err" ||
	fail "outside addresses refused: $(cat "$tmp/err")"
small 'report = { weekly_to = "boss@example.com"; day = "monday"; at = "7"; };' >"$tmp/own.conf"
rc=0
"$TRIAGED" --check -c "$tmp/own.conf" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] || fail "report day/at: exit $rc"
grep -q "7: 'day' must be .*\"mon\".*not \"monday\"" "$tmp/err" &&
	grep -q "7: 'at' must be a time HH:MM, not \"7\"" "$tmp/err" ||
	fail "report day/at: $(cat "$tmp/err")"

# --help and --version: stdout, exit 0.
"$TRIAGED" --help | grep -q "^usage: triaged " || fail "--help"
"$TRIAGED" --version | grep -qx "triaged [0-9][0-9.]*" || fail "--version"
echo "ok: triaged --check"
