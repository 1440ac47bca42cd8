#!/bin/bash
# Peak memory against folder size: triaged --once drains a local Dovecot
# folder of COUNT small messages (the listing of what is past the
# checkpoint is what grows with the folder, not the bodies), and prints
# its peak RSS and rate.  Run it at two sizes to see memory stay flat.
# With ATTACH_MB each message carries an attachment of that many MB
# (base64): what large messages cost in flight.
#
# usage: [ATTACH_MB=N] bench/drain-rss.sh [COUNT] [BUILD_DIR]
#        (COUNT default 100000)
set -e
COUNT=${1:-100000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${2:-$SRC/build}
export TRIAGE_SOURCE_DIR=$SRC
export TRIAGED=${TRIAGED:-$BUILD/daemon/triaged}
[ -x "$TRIAGED" ] || { echo "no $TRIAGED: build first" >&2; exit 1; }
. "$SRC/tests/harness/harness.sh"
. "$SRC/tests/integration/daemon-lib.sh"

harness_start
# Straight into the Maildir, as an MDA does: ~600 bytes each.
md=$HARNESS_DIR/home/sales/Maildir
mkdir -p "$md/tmp" "$md/cur"
/usr/bin/python3 - "$md/new" "$COUNT" "${ATTACH_MB:-0}" <<'EOF'
import base64, os, sys
d, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(d, exist_ok=True)
blob = base64.encodebytes(os.urandom(mb * 1024 * 1024)).decode() if mb else ""
for i in range(1, n + 1):
    with open(os.path.join(d, "%d.M%dP1.bench" % (i, i)), "w") as f:
        f.write("From: Pat %d <pat%d@buyer%d.example>\n"
                "To: sales@example.com\nSubject: question %d about pricing\n"
                "Date: Mon, 09 Nov 2026 10:00:00 +0000\n"
                "Message-ID: <rss-%d@buyer.example>\n" % ((i,) * 5))
        text = ("Hello, we are %d people and need a quote for the "
                "enterprise edition by next quarter.\n" % i)
        if not blob:
            f.write("\n" + text)
            continue
        f.write("MIME-Version: 1.0\nContent-Type: multipart/mixed; "
                "boundary=b\n\n--b\nContent-Type: text/plain\n\n" + text +
                "--b\nContent-Type: application/pdf; name=q.pdf\n"
                "Content-Transfer-Encoding: base64\n\n" + blob + "--b--\n")
EOF
[ "$(id -u)" -ne 0 ] || chown -R "$HARNESS_RUN_USER:" "$HARNESS_DIR/home"
[ "$(harness_count sales INBOX)" = "$COUNT" ] || { echo "seeding failed" >&2; exit 1; }

conf
DAEMON_LOG=$HARNESS_DIR/bench.log
t0=$(date +%s%N)
/usr/bin/time -f "%M %U %S" -o "$HARNESS_DIR/time" \
    "$TRIAGED" -c "$CONF" --once 2>"$DAEMON_LOG" || {
	tail "$DAEMON_LOG" >&2; exit 1; }
t1=$(date +%s%N)
read -r rss_kb usr sys <"$HARNESS_DIR/time"
stored=$(sql "SELECT count(*) FROM messages")
[ "$stored" = "$COUNT" ] || { echo "stored $stored of $COUNT" >&2; exit 1; }
secs=$(echo "scale=2; ($t1 - $t0) / 1000000000" | bc)
printf '%d messages: triaged --once peak RSS %d MB, %s s (%s msg/s, cpu %s user + %s sys)\n' \
    "$COUNT" "$((rss_kb / 1024))" "$secs" \
    "$(echo "scale=0; $COUNT / $secs" | bc)" "$usr" "$sys"
