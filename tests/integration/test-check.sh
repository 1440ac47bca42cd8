#!/bin/bash
# triaged --check: the shipped example passes (exit 0, "FILE: ok") on a
# fresh clone, and a typo is refused (exit 2) naming the file, the line,
# the key and the close known key.
set -u
fail() { echo "FAIL: $*" >&2; exit 1; }

: "${TRIAGED:?}" "${TRIAGE_SOURCE_DIR:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

example="$TRIAGE_SOURCE_DIR/triage.conf.example"
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
echo "ok: triaged --check"
