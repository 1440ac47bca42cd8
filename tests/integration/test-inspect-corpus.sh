#!/bin/bash
# triage inspect --json over every file of the shared corpus (when it is
# there) and over our own fixtures: no crash, exit 0, and each output is
# valid JSON in valid UTF-8 whose keys are the record's.  Prints how many
# files had parse problems, by kind.
set -euo pipefail

: "${TRIAGE:?}" "${TRIAGE_FIXTURES:?}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

list="$out/files"
find "$TRIAGE_FIXTURES/mime" -type f -name '*.eml' | sort > "$list"
if [ -n "${TRIAGE_CORPUS:-}" ] && [ -d "$TRIAGE_CORPUS" ]; then
	find "$TRIAGE_CORPUS" -type f ! -name '*.tsv' ! -name 'README.md' \
	    ! -name 'LICENSE.upstream.txt' | sort >> "$list"
else
	echo "corpus ${TRIAGE_CORPUS:-(unset)} not found: fixtures only"
fi

# Optional wrapper, e.g. INSPECT_WRAP="valgrind -q --error-exitcode=99".
read -r -a wrap <<< "${INSPECT_WRAP:-}"
n=0
fail=0
while IFS= read -r f; do
	n=$((n + 1))
	rc=0
	"${wrap[@]}" "$TRIAGE" inspect --json "$f" > "$out/$n.json" \
	    2> "$out/$n.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL (exit $rc): $f"
		sed 's/^/  /' "$out/$n.err" | head -20
		fail=1
	fi
	printf '%s\t%s\n' "$n" "$f" >> "$out/index"
done < "$list"

# One python for all outputs: strict UTF-8, strict JSON, expected keys.
/usr/bin/python3 - "$out" <<'PY' || fail=1
import collections, json, re, sys
out = sys.argv[1]
keys = {"message_id", "in_reply_to", "references", "date", "subject",
        "from", "from_domain", "sender", "reply_to", "to", "cc", "flags",
        "headers", "text", "forwarded", "html", "attachments", "problems",
        "raw_size"}
bad = 0
files_with = collections.Counter()
flags = collections.Counter()
total = 0
for line in open(f"{out}/index", encoding="utf-8", errors="replace"):
    n, path = line.rstrip("\n").split("\t", 1)
    total += 1
    try:
        raw = open(f"{out}/{n}.json", "rb").read()
        d = json.loads(raw.decode("utf-8", errors="strict"))
        missing = keys - d.keys()
        if missing:
            raise ValueError(f"missing keys {sorted(missing)}")
    except Exception as e:
        print(f"BAD JSON: {path}: {e}")
        bad += 1
        continue
    kinds = {re.split(r"[:]", p, 1)[0] for p in d["problems"]}
    for k in kinds:
        files_with[k] += 1
    if d["problems"]:
        files_with["(any)"] += 1
    for f in d["flags"]:
        flags[f] += 1
print(f"{total} files inspected, {bad} bad outputs")
print("files with problems, by kind:")
for k, v in sorted(files_with.items(), key=lambda kv: -kv[1]):
    print(f"  {k:12} {v}")
print("flags:", ", ".join(f"{k} {v}" for k, v in sorted(flags.items())))
sys.exit(1 if bad else 0)
PY
exit $fail
