#!/bin/bash
# Score the reply extractor on the shared corpus's labelled replies
# (never copied into this repository: read in place from $TRIAGE_CORPUS).
#
#   1. email_reply_trimmer: emails/X vs trimmed/X (the expected new text)
#   2. talon inline snippets: EXPECTED.tsv's extract_from_plain/html
#   3. decoys: "#route decoy" put just inside the elided (history) part
#      of every trimmer email, "#route real" on top: the real one must
#      be new text, the decoy never
#   4. every body-only text and HTML reply fixture: no crash, and the
#      time taken for all of them
#   5. talon's standard replies, whole messages through mime_parse and
#      reply_new_text: the new text is "Hello" in each (talon's own
#      expectation keeps the "Sent from my iPhone" / "-- " signature of
#      two of them, which triage drops by design)
#   6. talon's HTML replies from nine clients: "Hi. I am fine. Thanks,
#      Alex" in each
#   7. mail commands (itest-reply --commands): "#claim" put on top of
#      every body-only reply fixture is applied, and nothing else; the
#      decoys of 3 are never applied (a quoted command applied fails the
#      test whatever the floors); every whole message of the corpus is
#      read, and those that would apply a command are listed
#
# Texts are compared with whitespace runs collapsed.  Prints the figures;
# fails when a score drops below the floor recorded here, so a regression
# cannot pass unnoticed.
set -euo pipefail

: "${ITEST_DIR:?}"
# From a worktree (/work/wt/NAME) ../shared/corpus misses by one level:
# look in the source tree's ancestors as well.
if [ ! -d "${TRIAGE_CORPUS:-/nonexistent}/email_reply_trimmer" ]; then
	d=${TRIAGE_SOURCE_DIR:-$PWD}
	while [ "$d" != / ] && [ ! -d "$d/shared/corpus" ]; do
		d=$(dirname "$d")
	done
	TRIAGE_CORPUS=$d/shared/corpus
fi
if [ ! -d "$TRIAGE_CORPUS/email_reply_trimmer" ]; then
	# External data, not this tree's: skipped (77), not failed.  The
	# reply fixtures are scored by unit/test-reply all the same.
	echo "SKIP: the shared corpus is not at $TRIAGE_CORPUS" >&2
	exit 77
fi

exec /usr/bin/python3 - "$TRIAGE_CORPUS" "$ITEST_DIR/itest-reply" <<'PY'
import json, os, re, subprocess, sys, tempfile, time

corpus, tool = sys.argv[1], sys.argv[2]
floors = {"trimmer": 57, "talon": 34, "decoy": 43, "standard": 12,
          "html": 9, "top command": 577}

def run(path, html=False, eml=False):
    args = [tool] + (["--html"] if html else []) + (["--eml"] if eml else [])
    args.append(path)
    p = subprocess.run(args, capture_output=True, timeout=60)
    if p.returncode != 0:
        raise SystemExit(f"itest-reply failed on {path}: {p.stderr!r}")
    return p.stdout.decode("utf-8", "replace")

def commands_each(paths):
    """path -> (commands that would apply: none when any is refused,
    refusals), all files in one itest-reply process."""
    out = {}
    for i in range(0, len(paths), 200):
        p = subprocess.run([tool, "--commands-each"] + paths[i:i + 200],
                           capture_output=True, timeout=600)
        if p.returncode != 0:
            raise SystemExit(f"itest-reply --commands-each failed: "
                             f"{p.stderr[-2000:]!r}")
        cur = None
        for l in p.stdout.decode("utf-8", "replace").splitlines():
            if l.startswith("== "):
                cur = l[3:]
                out[cur] = ([], [])
            elif l.startswith("error: "):
                out[cur][1].append(l)
            else:
                out[cur][0].append(l)
    return {k: ([] if e else c, e) for k, (c, e) in out.items()}

def norm(s):
    return re.sub(r"\s+", " ", s).strip()

def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")

failed = []
scores = {}

# 1. email_reply_trimmer
base = os.path.join(corpus, "email_reply_trimmer")
names = sorted(os.listdir(os.path.join(base, "emails")))
ok = 0
for n in names:
    got = norm(run(os.path.join(base, "emails", n)))
    exp = norm(read(os.path.join(base, "trimmed", n)))
    if got == exp:
        ok += 1
    else:
        print(f"  trimmer differs: {n}")
scores["trimmer"] = (ok, len(names))

# 2. talon inline snippets
tbase = os.path.join(corpus, "talon", "inline-snippets")
ok = total = 0
seen = {}
with open(os.path.join(tbase, "EXPECTED.tsv"), encoding="utf-8") as f:
    next(f)
    for row in f:
        d, fn, call, exp, _ = row.rstrip("\n").split("\t")
        k = seen.get((d, fn), 0)
        seen[(d, fn)] = k + 1
        path = os.path.join(tbase, d, fn + (f"__{k + 1}" if k else "") + ".txt")
        if not os.path.exists(path):
            continue
        total += 1
        exp = json.loads(exp)
        if exp.startswith("<UNCHANGED"):
            exp = read(path)
        got = run(path, html=(d == "html"))
        if norm(got) == norm(exp):
            ok += 1
        else:
            print(f"  talon differs: {d}/{os.path.basename(path)}")
scores["talon"] = (ok, total)

# 3. decoys in the history part of every trimmer email that has one
ok = total = 0
with tempfile.TemporaryDirectory() as tmp:
    for n in names:
        elided = read(os.path.join(base, "elided", n))
        first = next((l.strip() for l in elided.splitlines() if l.strip()), None)
        if first is None:
            continue
        lines = read(os.path.join(base, "emails", n)).splitlines()
        at = next((i for i, l in enumerate(lines) if l.strip() == first), None)
        if at is None:
            continue
        decoy = "> #route decoy" if first.startswith(">") else "#route decoy"
        lines.insert(at + 1, decoy)
        path = os.path.join(tmp, n)
        with open(path, "w", encoding="utf-8") as f:
            f.write("#route real\n\n" + "\n".join(lines) + "\n")
        total += 1
        got = run(path)
        if "#route real" in got.splitlines() and "decoy" not in got:
            ok += 1
        else:
            print(f"  decoy not handled: {n}")
scores["decoy"] = (ok, total)

# 4. every body-only reply fixture: no crash, timing
dirs = ["email_reply_parser", "zapier_email_reply_parser",
        "willdurand_EmailReplyParser", "crisp_email_reply_parser",
        "mail_parser_reply", "email_reply_trimmer", "talon", "quotequail"]
count = 0
t0 = time.monotonic()
for d in dirs:
    for root, _, files in os.walk(os.path.join(corpus, d)):
        for fn in files:
            if fn.startswith("LICENSE") or fn.endswith((".eml", ".tsv")):
                continue
            run(os.path.join(root, fn), html=fn.endswith(".html"))
            count += 1
secs = time.monotonic() - t0
big = os.path.join(corpus, "email_reply_parser", "email_long_quote.txt")
t1 = time.monotonic()
run(big)
bigsecs = time.monotonic() - t1

# 5. talon standard replies, whole messages
sbase = os.path.join(corpus, "talon", "standard_replies")
ok = total = 0
for fn in sorted(os.listdir(sbase)):
    if not fn.endswith(".eml"):
        continue
    total += 1
    if norm(run(os.path.join(sbase, fn), eml=True)) == "Hello":
        ok += 1
    else:
        print(f"  standard reply differs: {fn}")
scores["standard"] = (ok, total)

# 6. talon HTML replies
hbase = os.path.join(corpus, "talon", "html_replies")
ok = total = 0
for fn in sorted(os.listdir(hbase)):
    total += 1
    if norm(run(os.path.join(hbase, fn), html=True)) == \
            "Hi. I am fine. Thanks, Alex":
        ok += 1
    else:
        print(f"  html reply differs: {fn}")
scores["html"] = (ok, total)

# 7. commands
quoted_applied = []
with tempfile.TemporaryDirectory() as tmp:
    tops = {}
    for d in dirs:
        for root, _, files in os.walk(os.path.join(corpus, d)):
            for fn in sorted(files):
                if fn.startswith("LICENSE") or fn.endswith((".eml", ".tsv")):
                    continue
                html = fn.endswith(".html")
                path = os.path.join(tmp, f"top{len(tops)}" +
                                    (".html" if html else ".txt"))
                with open(path, "w", encoding="utf-8") as f:
                    f.write(("<div>#claim</div>\n" if html else "#claim\n\n")
                            + read(os.path.join(root, fn)))
                tops[path] = f"{d}/{os.path.relpath(os.path.join(root, fn), os.path.join(corpus, d))}"
    decoys = []
    for n in names:
        elided = read(os.path.join(base, "elided", n))
        first = next((l.strip() for l in elided.splitlines() if l.strip()),
                     None)
        lines = read(os.path.join(base, "emails", n)).splitlines()
        at = next((i for i, l in enumerate(lines) if first is not None and
                   l.strip() == first), None)
        if at is None:
            continue
        lines.insert(at + 1, "> #route decoy" if first.startswith(">")
                     else "#route decoy")
        path = os.path.join(tmp, "decoy-" + n + ".txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("#route real\n\n" + "\n".join(lines) + "\n")
        decoys.append(path)
    got = commands_each(sorted(tops) + decoys)
    ok = 0
    for path, name in sorted(tops.items(), key=lambda kv: kv[1]):
        applied, errors = got[path]
        if applied == ["#claim"]:
            ok += 1
        else:
            print(f"  top command not alone: {name}: {applied} {errors[:1]}")
    scores["top command"] = (ok, len(tops))
    for path in decoys:
        if "#route decoy" in got[path][0]:
            quoted_applied.append(os.path.basename(path))
emls = [os.path.join(root, fn) for root, _, files in os.walk(corpus)
        for fn in sorted(files) if fn.endswith(".eml")]
applying = 0
for path, (applied, _) in sorted(commands_each(emls).items()):
    if applied:
        applying += 1
        print(f"  whole message applies {applied}: "
              f"{os.path.relpath(path, corpus)}")
print(f"commands: {len(emls)} whole messages read, {applying} would apply "
      f"a command; decoys in quoted history applied: {len(quoted_applied)}")
if quoted_applied:
    failed.append("quoted command applied: " + ", ".join(quoted_applied))

for k, (a, b) in scores.items():
    print(f"{k}: {a}/{b} as expected (floor {floors[k]})")
    if a < floors[k]:
        failed.append(k)
print(f"all {count} body fixtures read without error in {secs:.2f} s "
      f"(process start included); email_long_quote.txt "
      f"({os.path.getsize(big) // 1024} KB) in {bigsecs * 1000:.0f} ms")
if failed:
    raise SystemExit("below floor: " + ", ".join(failed))
PY
