#!/bin/bash
# Parse throughput: generate a corpus of typical mail (median ~8 KB: plain,
# multipart/alternative, HTML-only, about one in ten with an attachment),
# then time mime_parse() + text extraction over it on one core.
#   bench/parse.sh [BUILD_DIR] [MESSAGES] [PASSES]
# Prints MB/s and messages/s of raw mail, peak RSS, and RSS after the
# first and last pass (equal when memory does not grow per message).
set -euo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
count=${2:-3000}
passes=${3:-5}

cmake --build "$build" --target parse-bench -j2 > /dev/null
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT

/usr/bin/python3 - "$corpus" "$count" <<'PY'
import base64, quopri, random, statistics, sys
out, count = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
words = ("the a to of and licence pricing seats enterprise support team "
         "quote invoice deploy cluster runner pipeline merge request "
         "thanks regards please could we would like need budget "
         "timeline quarter évaluation Grüße naïve").split()

def para(n):
    return " ".join(rnd.choice(words) for _ in range(n))

def text_body(size):
    lines, total = [], 0
    while total < size:
        l = para(rnd.randint(8, 14))
        if rnd.random() < 0.3:
            l = "> " + l
        lines.append(l)
        total += len(l) + 1
    return "\n".join(lines) + "\n"

def headers(i, ctype):
    return (f"Received: from mx{i % 7}.example.net (mx.example.net "
            f"[192.0.2.{i % 250}]) by mx.example.com with ESMTPS id {i:08x}; "
            "Mon, 9 Nov 2026 10:00:00 +0000\n"
            "Received: from [10.0.0.5] by mx.example.net; Mon, 9 Nov 2026 "
            "09:59:58 +0000\n"
            "DKIM-Signature: v=1; a=rsa-sha256; d=buyer.example; s=s1; "
            "h=from:to:subject:date; bh=" + "A" * 44 + "; b=" + "B" * 200 + "\n"
            f"From: Pat Buyer {i} <pat{i}@buyer{i % 97}.example>\n"
            "To: sales@example.com\nCc: team@buyer.example\n"
            f"Subject: =?utf-8?q?Re:_pricing_question_{i}_=E2=82=AC?=\n"
            "Date: Mon, 9 Nov 2026 10:00:00 +0000\n"
            f"Message-ID: <msg{i}@buyer.example>\n"
            f"In-Reply-To: <msg{i - 1}@example.com>\n"
            f"References: <root{i}@example.com> <msg{i - 1}@example.com>\n"
            "MIME-Version: 1.0\n" + ctype)

def qp(s):
    return quopri.encodestring(s.encode()).decode()

def html_of(t):
    return ("<html><head><style>p{margin:0}</style></head><body>" +
            "".join(f"<p>{l}</p>" for l in t.splitlines()) +
            "</body></html>\n")

sizes = []
for i in range(count):
    kind = rnd.random()
    size = int(rnd.lognormvariate(8.3, 0.6))       # median ~4 KB of text
    t = text_body(size)
    if kind < 0.45:
        m = headers(i, "Content-Type: text/plain; charset=utf-8\n"
                    "Content-Transfer-Encoding: quoted-printable\n\n") + qp(t)
    elif kind < 0.80:
        m = headers(i, "Content-Type: multipart/alternative; boundary=ALT\n\n")
        m += ("--ALT\nContent-Type: text/plain; charset=utf-8\n"
              "Content-Transfer-Encoding: quoted-printable\n\n" + qp(t) +
              "\n--ALT\nContent-Type: text/html; charset=utf-8\n"
              "Content-Transfer-Encoding: quoted-printable\n\n" +
              qp(html_of(t)) + "\n--ALT--\n")
    elif kind < 0.90:
        m = headers(i, "Content-Type: text/html; charset=utf-8\n\n") + html_of(t)
    else:
        blob = rnd.randbytes(int(rnd.lognormvariate(10.5, 0.8)))
        m = headers(i, "Content-Type: multipart/mixed; boundary=MIX\n\n")
        m += ("--MIX\nContent-Type: text/plain; charset=utf-8\n\n" + t +
              "\n--MIX\nContent-Type: application/pdf; name=\"quote.pdf\"\n"
              "Content-Disposition: attachment; filename=\"quote.pdf\"\n"
              "Content-Transfer-Encoding: base64\n\n" +
              base64.encodebytes(blob).decode() + "--MIX--\n")
    data = m.encode()
    sizes.append(len(data))
    open(f"{out}/{i:06d}.eml", "wb").write(data)
print(f"corpus: {count} messages, {sum(sizes) / 1e6:.1f} MB, median "
      f"{statistics.median(sizes) / 1024:.1f} KB, largest "
      f"{max(sizes) / 1024:.0f} KB")
PY

"$build/bench/parse-bench" "$corpus" "$passes"
