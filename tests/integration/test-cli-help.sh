#!/bin/bash
# The CLI's surface, from its one table of commands: --help/--version,
# `help CMD` and `CMD --help` for every command (exit 0, the same text),
# every command documented in triage(1), options after operands, the
# bash completion driven by `help --list`, and `config show` loading
# back with the secret masked.
set -eu
: "${TRIAGE:?}" "${TRIAGE_SOURCE_DIR:?}" "${TRIAGE_FIXTURES:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
man=$TRIAGE_SOURCE_DIR/man/triage.1
fail=0
no() { echo "$*" >&2; fail=1; }

for o in --help -h; do
	"$TRIAGE" $o >"$work/out" || no "triage $o: exit $?"
	grep -q '^commands:' "$work/out" || no "triage $o: no command list"
done
for o in --version -V; do
	v=$("$TRIAGE" $o) || no "triage $o: exit $?"
	[[ $v =~ ^triage\ [0-9]+\.[0-9]+ ]] || no "triage $o: '$v'"
done
rc=0; "$TRIAGE" 2>/dev/null || rc=$?
[ $rc -eq 2 ] || no "triage alone: exit $rc, expected 2"
rc=0; "$TRIAGE" help nosuch 2>/dev/null || rc=$?
[ $rc -eq 2 ] || no "triage help nosuch: exit $rc, expected 2"

# The man page's COMMANDS section: the words of each .TP's head line.
documented=$(awk '/^\.SH COMMANDS/ { on = 1; next } /^\.SH/ { on = 0 }
	on && head { print; head = 0 } on && /^\.TP/ { head = 1 }' "$man" |
	tr -c 'a-z\n' ' ' | tr ' ' '\n' | sort -u)
cmds=$("$TRIAGE" help --list)
[ "$(echo "$cmds" | wc -l)" -ge 20 ] || no "help --list: $cmds"
for c in $cmds; do
	echo "$documented" | grep -qx "$c" || no "triage(1) does not document '$c'"
	"$TRIAGE" "$c" --help >"$work/a" || no "triage $c --help: exit $?"
	"$TRIAGE" help "$c" >"$work/b" || no "triage help $c: exit $?"
	cmp -s "$work/a" "$work/b" || no "triage $c --help differs from help $c"
	grep -q "^usage: triage \[-c FILE\] $c " "$work/a" ||
		no "triage $c --help: no usage line"
	# Every command that prints something takes --json (report: --format).
	case $c in
	help | report) ;;
	*) grep -q -- '--json' "$work/a" || no "triage $c: no --json" ;;
	esac
done

# Options after operands, as git and systemctl take them.
eml=$TRIAGE_FIXTURES/store/01-question.eml
"$TRIAGE" inspect "$eml" --json >"$work/out" || no "inspect FILE --json: exit $?"
/usr/bin/python3 -c 'import json, sys; json.load(open(sys.argv[1]))' \
	"$work/out" || no "inspect FILE --json: not JSON"

# --json on the commands that print, parsed back (a database of its own).
export TRIAGE_DB=$work/j.db
fx=$TRIAGE_FIXTURES/store
json_ok() { # WHAT PYTHON-ASSERTION
	/usr/bin/python3 -c "import json, sys; j = json.load(open(sys.argv[1])); $2" \
		"$work/out" || no "$1 --json: $(cat "$work/out")"
}
"$TRIAGE" ingest --mailbox sales --json "$fx/01-question.eml" \
	"$fx/04-late-child.eml" >"$work/out" || no "ingest --json: exit $?"
json_ok ingest 'assert [m["result"] for m in j["messages"]] == ["new", "new"]'
"$TRIAGE" claim 1 --as alice --json >"$work/out" || no "claim --json: exit $?"
json_ok claim 'assert j == {"ticket": 1, "done": "claimed", "actor": "alice"}'
"$TRIAGE" reprocess 2 --json >"$work/out" || no "reprocess --json: exit $?"
json_ok reprocess 'assert j["messages"][0]["parsed"] is True'
"$TRIAGE" outbox --all --json >"$work/out" || no "outbox --json: exit $?"
json_ok outbox 'assert j["outbox"] == []'
"$TRIAGE" rules check --json "$fx/rules" >"$work/out" ||
	no "rules check --json: exit $?"
json_ok "rules check" 'assert j["problems"] == [] and j["rules"] > 0'
"$TRIAGE" rules test --json "$fx/01-question.eml" --rules "$fx/rules" \
	>"$work/out" || no "rules test --json: exit $?"
json_ok "rules test" 'assert "queue" in j["verdict"] and isinstance(j["fired"], list)'
"$TRIAGE" rules replay --json --rules "$fx/rules" --baseline "$fx/rules" \
	--since 1h30m >"$work/out" || no "rules replay --json: exit $?"
json_ok "rules replay" 'assert j["tickets"] == 2 and j["changes"] == [] and j["since"] == "1h30m"'
printf 'rule "x" {\n  when subject ~ /(/\n}\n' >"$work/bad.rules"
rc=0; "$TRIAGE" rules check "$work" --json >"$work/out" || rc=$?
[ $rc -eq 2 ] || no "rules check --json of a broken rule: exit $rc"
json_ok "rules check (broken)" 'assert j["rules"] is None and j["problems"][0]["line"] >= 1'
unset TRIAGE_DB

# The completion: commands from `help --list`, options from `help CMD`.
complete_line() {
	(
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		complete() { :; }
		compopt() { :; }
		. "$TRIAGE_SOURCE_DIR/completions/triage.bash"
		_triage
		printf '%s\n' "${COMPREPLY[@]}"
	)
}
[ "$(complete_line "$TRIAGE" cla)" = claim ] || no "completion: triage cla"
complete_line "$TRIAGE" -c x.conf claim -- >"$work/out"
for o in --steal --json --db --as --help; do
	grep -qx -- "$o" "$work/out" || no "completion: claim $o missing"
done
[ "$(complete_line "$TRIAGE" rules re)" = replay ] || no "completion: rules re"

# config show: defaults filled in, the secret masked, and it loads back.
cat >"$work/t.conf" <<CONF
database = "t.db";
mailboxes = ( { name = "sales"; address = "sales@example.com";
  imap = { host = "127.0.0.1"; user = "u";
           password_command = "echo hunter2"; }; } );
CONF
"$TRIAGE" -c "$work/t.conf" config show >"$work/shown.conf" ||
	no "config show: exit $?"
grep -q 'hunter2' "$work/shown.conf" && no "config show prints the secret"
grep -qx "database = \"$work/t.db\";" "$work/shown.conf" ||
	no "config show: database not resolved"
grep -qx 'poll_interval = "1m";' "$work/shown.conf" ||
	no "config show: no default poll_interval"
"$TRIAGE" -c "$work/shown.conf" config show --json >"$work/out" ||
	no "config show of its own output: exit $?"
/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["mailboxes"][0]["imap"]["password_command"] == "(hidden)", c
assert c["sla"]["check_interval"] == "1m", c' "$work/out" ||
	no "config show --json"
exit $fail
