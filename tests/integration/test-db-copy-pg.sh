#!/bin/bash
# triage db copy: an SQLite database built through the real pipeline
# (ingest of threaded mail, then claims, routes with their forwards in
# the outbox, notes, tags, a merge into a later ticket, away, wait) moved
# into a PostgreSQL database reached as a role with a password, read from
# the config's password_file.  Then: every table's rows equal on both
# (every column the copy writes, blobs as hex), the CLI's JSON for the
# queue, each ticket and the report equal on both, the column sets of a
# fresh database equal on both backends, a second copy refused, a new
# mail on the copy taking the next ids; a wrong or loose password file
# gives one error naming the database, never the password.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/pg.sh"
: "${TRIAGE:?}" "${TRIAGED:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }

pg_start
work=$(mktemp -d "${TMPDIR:-/tmp}/db-copy.XXXXXX")
trap 'rm -rf "$work"' EXIT
PSQL() { psql -X -q -At -v ON_ERROR_STOP=1 "$PG_TARGET" "$@"; }

# conf FILE DATABASE PASSWORD_FILE
conf() {
	cat >"$1" <<EOF
database = "$2";
password_file = "$3";
rules = "$work/rules";
mailboxes = (
  { name = "sales"; address = "sales@example.com"; queue = "sales";
    imap = { host = "127.0.0.1"; tls = "none"; user = "sales";
             password_file = "$work/none"; }; },
  { name = "support"; address = "support@example.com"; queue = "support";
    imap = { host = "127.0.0.1"; tls = "none"; user = "support";
             password_file = "$work/none"; }; }
);
smtp = { host = "127.0.0.1"; tls = "none"; from = "Triage <triage@example.com>"; };
routes = { sales = "sales-team@example.com";
           support = { to = "help@example.com"; style = "redirect"; }; };
webhooks = ( { url = "https://hooks.example/triage";
               secret_file = "$work/none";
               events = ( "claimed", "routed", "noted" ); } );
team = (
  { name = "alice"; address = "alice@example.com"; role = "bdr"; },
  { name = "bob"; address = "bob@example.com"; role = "bdr"; },
  { name = "maria"; address = "maria@example.com"; role = "manager"; },
  { name = "sam"; address = "sam@example.com"; role = "sales"; route = "sales"; }
);
EOF
}
mkdir "$work/rules"
cp "$TRIAGE_SOURCE_DIR/rules/40-sales.rules" \
    "$TRIAGE_SOURCE_DIR/rules/50-bant.rules" "$work/rules/"
(umask 077 && : >"$work/none")
conf "$work/lite.conf" "$work/t.db" "$PG_PASSWORD_FILE"
conf "$work/pg.conf" "$PG_PW_TARGET" "$PG_PASSWORD_FILE"
T() { "$TRIAGE" -c "$work/lite.conf" "$@"; }

# mail N SUBJECT [IN-REPLY-TO]: a customer's message
mail() {
	{
		echo "From: Buyer $1 <buyer$1@customer$(($1 % 3)).example>"
		echo "To: sales@example.com"
		echo "Subject: $2"
		echo "Message-ID: <copy-$1@customer.example>"
		[ -z "${3:-}" ] || echo "In-Reply-To: <copy-$3@customer.example>"
		echo "Date: Mon, 07 Dec 2026 1$(($1 % 10)):00:00 +0000"
		echo
		echo "Message $1 about $2: could you send a quote for ${1}0"
		echo "seats?  We have budget approved and need it this quarter;"
		echo "café ü."
	} >"$work/m$1.eml"
}
for i in 1 2 3 4 5 6 7 8; do
	mail "$i" "Question number $i"
done
mail 9 "Re: Question number 1" 1
mail 10 "Re: Question number 2" 2
for i in 1 2 3 4 5 6 7 8 9 10; do
	mb=sales
	[ $((i % 4)) -ne 0 ] || mb=support
	T ingest --mailbox "$mb" "$work/m$i.eml" >/dev/null
done
T claim 1 --as alice >/dev/null
T route 1 sales --note "hot lead" --as alice >/dev/null
T ack 1 --as sam >/dev/null
T tag 1 ee-lead --as alice >/dev/null
T qualify 1 budget need --as alice >/dev/null
T priority 2 urgent --as bob >/dev/null
T note 2 called them, they want a demo --as bob >/dev/null
T story 1 --as alice >/dev/null
T route 4 support --as bob >/dev/null
T disqualify 5 --reason "student project" --as alice >/dev/null
T claim 6 --as bob >/dev/null
T wait 6 --until 2d --as bob >/dev/null
T close 6 --as bob >/dev/null # the wait ends: no figure runs to now
T merge 3 7 --force --as maria >/dev/null # into a later ticket
T close 8 --as alice >/dev/null
T claim 2 --as alice >/dev/null
T unclaim 2 --as alice >/dev/null
T away bob --until 3d --as maria >/dev/null

# Every table the copy moves, and its columns (generated ones are not).
tables=$(sqlite3 "$work/t.db" "SELECT name FROM pragma_table_list
    WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite%'
    ORDER BY name")
filled=0
for t in $tables; do
	[ "$(sqlite3 "$work/t.db" "SELECT count(*) FROM $t")" = 0 ] ||
		filled=$((filled + 1))
done
[ "$filled" -ge 12 ] ||
	fail "the source fills only $filled tables: $(for t in $tables; do
	    echo "$t=$(sqlite3 "$work/t.db" "SELECT count(*) FROM $t")"; done)"

# The copy: the password from the config's password_file.
T db copy --to "$PG_PW_TARGET" >"$work/out" 2>"$work/err" ||
	fail "db copy: $(cat "$work/err")"
grep -Eq '^copied [0-9]+ rows of [0-9]+ tables to ' "$work/out" ||
	fail "db copy said: $(cat "$work/out")"

# dump SIDE TABLE: its rows, each column as text (blobs as hex), sorted.
dump() {
	local side=$1 t=$2 cols="" c type expr sep=""
	while IFS='|' read -r c type; do
		if [ "$type" = BLOB ]; then
			[ "$side" = lite ] && expr="hex($c)" ||
				expr="upper(encode($c, 'hex'))"
		else
			[ "$side" = lite ] && expr="CAST($c AS TEXT)" ||
				expr="$c::text"
		fi
		cols="$cols$sep coalesce($expr, '<null>')"
		sep=" || '|' ||"
	done < <(sqlite3 "$work/t.db" "SELECT name, upper(type) FROM pragma_table_info('$t')")
	if [ "$side" = lite ]; then
		sqlite3 "$work/t.db" "SELECT $cols AS r FROM $t ORDER BY r"
	else
		PSQL -c "SELECT r FROM (SELECT $cols AS r FROM $t) x ORDER BY r COLLATE \"C\""
	fi
}
rows=0
for t in $tables; do
	dump lite "$t" >"$work/lite.$t"
	dump pg "$t" >"$work/pg.$t"
	cmp -s "$work/lite.$t" "$work/pg.$t" ||
		fail "table $t differs: $(diff "$work/lite.$t" "$work/pg.$t" | head -5)"
	rows=$((rows + $(sqlite3 "$work/t.db" "SELECT count(*) FROM $t")))
done
grep -q "^copied $rows rows of $(echo "$tables" | wc -w) tables" "$work/out" ||
	fail "want $rows rows: $(cat "$work/out")"

# The CLI sees the same on both.
P() { "$TRIAGE" -c "$work/pg.conf" "$@"; }
for cmd in "queue --json" "queue --state waiting --json" \
    "report --from 2026-12-01 --to 2026-12-09 --format json --as maria" \
    "search budget --json" "outbox --all --json"; do
	# shellcheck disable=SC2086 # the words are the command's
	T $cmd | grep -v '"generated":' >"$work/a" &&
		P $cmd | grep -v '"generated":' >"$work/b" ||
		fail "$cmd failed"
	cmp -s "$work/a" "$work/b" || fail "$cmd differs: $(diff "$work/a" "$work/b" | head -40)"
done
for id in $(sqlite3 "$work/t.db" "SELECT id FROM tickets"); do
	T show "$id" --json >"$work/a"
	P show "$id" --json >"$work/b"
	cmp -s "$work/a" "$work/b" || fail "show $id differs: $(diff "$work/a" "$work/b" | head)"
done

# A second copy into it is refused, and changes nothing.
if T db copy --to "$PG_PW_TARGET" >/dev/null 2>"$work/err"; then
	fail "a second copy into a database with tickets was accepted"
fi
grep -q "already holds .* tickets" "$work/err" || fail "refusal: $(cat "$work/err")"

# New mail on the copy takes the next ids: the sequences moved past.
max_t=$(PSQL -c "SELECT max(id) FROM tickets")
max_m=$(PSQL -c "SELECT max(id) FROM messages")
max_e=$(PSQL -c "SELECT max(id) FROM events")
mail 11 "A new question after the move"
P ingest --mailbox sales "$work/m11.eml" >/dev/null
[ "$(PSQL -c "SELECT max(id) FROM tickets")" = $((max_t + 1)) ] ||
	fail "the new ticket is not $((max_t + 1))"
[ "$(PSQL -c "SELECT max(id) FROM messages")" = $((max_m + 1)) ] ||
	fail "the new message is not $((max_m + 1))"
[ "$(PSQL -c "SELECT max(id) FROM events")" -gt "$max_e" ] ||
	fail "no new event"
P search "after the move" | grep -q "A new question" ||
	fail "the new mail is not found by search on the copy"

# The column sets are equal on both backends, table by table (a fresh
# database each: what store_open makes).
PSQL -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public' 2>/dev/null
"$TRIAGE" db init --db "$PG_TARGET" >/dev/null
"$TRIAGE" db init --db "$work/fresh.db" >/dev/null
for t in $tables; do
	a=$(sqlite3 "$work/fresh.db" "SELECT name FROM pragma_table_info('$t') ORDER BY name")
	b=$(PSQL -c "SELECT column_name FROM information_schema.columns
	    WHERE table_schema = current_schema() AND table_name = '$t'
	    AND is_generated = 'NEVER' ORDER BY column_name COLLATE \"C\"")
	[ "$a" = "$b" ] || fail "table $t: SQLite has $(echo $a), PostgreSQL $(echo $b)"
done

# The password: wrong, or readable by others, is one clear error naming
# the database and never the password.
(umask 077 && echo "Wr0ng-$PG_PASSWORD" >"$work/wrong")
conf "$work/wrong.conf" "$PG_PW_TARGET" "$work/wrong"
if "$TRIAGE" -c "$work/wrong.conf" queue >/dev/null 2>"$work/err"; then
	fail "a wrong password opened the database"
fi
[ "$(wc -l <"$work/err")" = 1 ] || fail "not one line: $(cat "$work/err")"
grep -qF "$PG_PW_TARGET: cannot open:" "$work/err" &&
	grep -q "password authentication failed" "$work/err" ||
	fail "wrong password: $(cat "$work/err")"
! grep -qF "$PG_PASSWORD" "$work/err" || fail "the password was printed"
chmod 644 "$work/wrong"
"$TRIAGED" --check -c "$work/wrong.conf" >/dev/null 2>"$work/err" &&
	fail "triaged --check took a password_file others can read"
grep -q "password_file '$work/wrong' is readable by group or others" "$work/err" ||
	fail "loose password_file: $(cat "$work/err")"
echo "test-db-copy-pg: ok"
