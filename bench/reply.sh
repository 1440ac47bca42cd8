#!/bin/bash
# Reply extraction speed: what reply_new_text_plain()/_html() cost on
# ordinary replies and on inputs built to make a backtracking reader
# explode (the corpus's 767 KB long quote and pathological.txt, and a
# generated 8 MB file where every line is nearly an attribution, an
# Outlook header block or a marker).  Linear means MB/s stays flat.
#   bench/reply.sh [BUILD_DIR] [PASSES]
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
passes=${2:-20}
tool=$build/tests/integration/itest-reply
corpus=${TRIAGE_CORPUS:-$src/../shared/corpus}
[ -d "$corpus" ] || corpus=$(cd "$src/../.." && pwd)/shared/corpus

cmake --build "$build" --target itest-reply -j2 >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 - "$tmp" <<'PY'
import sys
lines = ["On Mon, Feb 3, 2025 at 10:14 AM Pat Buyer <pat@buyer.example>",
         "From: Pat Buyer <pat@buyer.example>", "To: someone",
         "> quoted text", "schrieb wrote writes On On On On On",
         "-----Original", "2025-02-03 10:14 Pat"]
out, n, i = [], 0, 0
while n < 8 << 20:
    out.append(lines[i % 7]); n += len(lines[i % 7]) + 1; i += 1
open(sys.argv[1] + "/hostile-8mb.txt", "w").write("#claim\n" + "\n".join(out))
# 1,000 copies of a typical Gmail reply: the everyday case, in bulk
reply = ("Thanks, taking this one.\n#claim\n\nOn Mon, Feb 3, 2025 at 10:14 AM "
         "Pat <pat@buyer.example> wrote:\n\n" + "> How much for 40 seats?\n" * 20)
open(sys.argv[1] + "/typical-1000.txt", "w").write(reply * 1000)
PY

files=("$src"/tests/fixtures/reply/01-gmail-top.txt
       "$src"/tests/fixtures/reply/50-html-gmail-quote.html
       "$src"/tests/fixtures/reply/53-html-outlook-desktop.html
       "$tmp"/typical-1000.txt "$tmp"/hostile-8mb.txt)
for f in email_reply_parser/email_long_quote.txt email_reply_parser/pathological.txt \
	 nodemailer_mailparser/htmllargecallstack.eml; do
	[ -f "$corpus/$f" ] && files+=("$corpus/$f")
done
echo "reply extraction, $passes passes each, one core:"
"$tool" --bench "$passes" "${files[@]}"
