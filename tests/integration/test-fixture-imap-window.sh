# lib/proto/imap-fetch.c lists what is past the checkpoint a window at a time,
# against the harness's real Dovecot: over a folder whose UIDs have gaps
# (expunged runs, as real folders do), every window size and every
# starting UID deliver exactly the UIDs at or past it, in order, once;
# the wire shows bounded listings (UID FETCH lo:hi) found by bisection
# (FETCH n UID), never one listing of everything past the checkpoint.
set -eu
. "$TRIAGE_SOURCE_DIR/tests/harness/harness.sh"
harness_start

fail() { echo "FAIL: $*" >&2; exit 1; }
FETCH=$ITEST_DIR/itest-imap-fetch
[ -x "$FETCH" ] || fail "itest-imap-fetch not built"
D=$HARNESS_DIR/w
mkdir -p "$D"

fetch() {
	"$FETCH" -h 127.0.0.1 -p "$IMAPS_PORT" -t implicit -u sales \
	    -P "$(harness_password_file sales)" -C "$HARNESS_CA" -T 5 "$@"
}

# 80 small messages, then runs expunged: UIDs 1-5, every third of
# 20-50, and 70-74.  60 - 4 = 49 remain, with gaps at the start too.
for i in $(seq 1 80); do
	printf 'From: p%d@buyer.example\nSubject: m%d\nMessage-ID: <w%d@x>\n\nhi %d\n' \
	    "$i" "$i" "$i" "$i" >"$D/$i.eml"
	files+=("$D/$i.eml")
done
harness_seed sales INBOX "${files[@]}"
harness_doveadm expunge -u sales mailbox INBOX uid 1:5
for u in $(seq 20 3 50); do
	harness_doveadm expunge -u sales mailbox INBOX uid "$u"
done
harness_doveadm expunge -u sales mailbox INBOX uid 70:74
harness_doveadm fetch -u sales uid mailbox INBOX all |
    sed -n 's/^uid: //p' >"$D/all"
total=$(wc -l <"$D/all")
[ "$total" = 59 ] || fail "seeding left $total messages"

# {window, from UID}: windows of one message, of a few, larger than the
# folder; starts before everything, in a gap, on a message, at the
# last, past the end.
n=0
while read -r window from; do
	fetch -w "$window" -s "$from" -b 4 >"$D/out" ||
		fail "w=$window s=$from: $(tail -1 "$D/out")"
	awk -v f="$from" '$1 >= f' "$D/all" >"$D/want"
	sed -n 's/^\([0-9]*\) [0-9]* ok$/\1/p' "$D/out" >"$D/got"
	cmp -s "$D/want" "$D/got" ||
		fail "w=$window s=$from: got $(tr '\n' ' ' <"$D/got")"
	k=$(wc -l <"$D/want")
	grep -qx "fetched $k of $k" "$D/out" ||
		fail "w=$window s=$from: $(tail -1 "$D/out")"
	n=$((n + 1))
done <<EOF
1 1
7 1
7 3
7 21
7 22
7 60
7 80
7 81
13 40
2000 1
2000 33
EOF
echo "ok: $n window/start pairs each delivered exactly the UIDs past the start"

# The wire: windows bounded by UID, found by bisection.
raw=$(cat "$(harness_rawlog_dir sales)"/*.in | tr -d "\r")
echo "$raw" | grep -Eq 'UID FETCH [0-9]+:[0-9]+ \(UID RFC822.SIZE\)$' ||
	fail "no bounded listing on the wire"
echo "$raw" | grep -Eq ' [0-9]+ FETCH [0-9]+ UID$' || fail "no bisection probe"
# A window of 7 from UID 1 lists at most 7 UIDs a time: never 1:*.
rm -f "$(harness_rawlog_dir sales)"/*
fetch -w 7 -s 1 >/dev/null
raw=$(cat "$(harness_rawlog_dir sales)"/*.in | tr -d "\r")
if echo "$raw" | grep -q 'UID FETCH 1:\* (UID RFC822.SIZE)'; then
	fail "window 7 listed the whole folder at once"
fi
windows=$(echo "$raw" | grep -c '(UID RFC822.SIZE)$')
[ "$windows" -ge 8 ] || fail "only $windows listings for 59 messages by 7"
echo "ok: $windows bounded listings on the wire, none of the whole folder"
