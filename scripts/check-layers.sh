#!/bin/sh
# The layering rules that the compiler alone cannot enforce (lib/README.md):
#   1. every .c of lib/ is in a layer folder, and no file includes a header
#      of a layer above its own (the folder include graph has no cycle);
#   2. no two object files call each other (from the built objects' symbols);
#   3. GMime, libetpan and libcurl are named in their own folder only, and
#      SQLite and libpq in their database driver only (lib/store/db-*.c);
#   4. exactly one file writes outbox rows;
#   5. daemon/triaged.c stays a table of contents (at most 350 lines).
# Usage: check-layers.sh SOURCE_DIR BUILD_DIR.  Prints every violation and
# exits 1 if there was any.
set -eu
SRC=${1:?source dir}
BUILD=${2:?build dir}
LAYERS="base conf proto mail rules store work engine"
fail=0
bad() { echo "check-layers: $*" >&2; fail=1; }

rank() {
	i=0
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo $i; return; }
		i=$((i + 1))
	done
	echo -1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Folders and includes.
for f in "$SRC"/lib/*.c "$SRC"/lib/*.h; do
	[ -e "$f" ] && bad "${f#$SRC/} is not in a layer folder"
done
# "header layer" for every header of lib/, then "file layer header" for
# every quoted include; an include whose layer ranks above the file's is
# reported.
(cd "$SRC/lib" && ls -d */*.h) | awk -F/ '{print $2, $1}' | sort > "$tmp/headers"
for dir in "$SRC"/lib/*/; do
	layer=$(basename "$dir")
	[ "$(rank "$layer")" -ge 0 ] || { bad "lib/$layer is not a known layer"; continue; }
	grep -H '^#include "' "$dir"*.[ch] |
	    sed 's|^'"$SRC"'/||; s|:#include "\(.*\)".*| \1|' |
	    awk -v l="$layer" '{print $2, $1, l}'
done | sort > "$tmp/includes"
join "$tmp/includes" "$tmp/headers" | awk -v order="$LAYERS" '
	BEGIN { n = split(order, o, " "); for (i = 1; i <= n; i++) r[o[i]] = i }
	r[$4] > r[$3] {
		printf "check-layers: %s includes %s/%s, a layer above %s\n", $2, $4, $1, $3
	}' > "$tmp/up"
if [ -s "$tmp/up" ]; then
	cat "$tmp/up" >&2
	fail=1
fi

# 2. No two object files call each other.  Defined and undefined global
#    symbols of every lib object; a pair (a uses b, b uses a) is a cycle.
# One nm over all objects each way; nm -A names the object on each line
# ("path/x.c.o: ..."), which becomes "symbol object".
find "$BUILD/lib" "$BUILD/daemon" -name '*.c.o' | sort > "$tmp/objs"
xargs nm -A -g --defined-only < "$tmp/objs" 2>/dev/null |
    awk 'NF == 3 && $1 ~ /\/lib\// { o = $1; sub(/\.c\.o:.*$/, "", o); sub(/^.*\//, "", o); print $3, o }' |
    sort -u > "$tmp/defs"
xargs nm -A -u < "$tmp/objs" 2>/dev/null |
    awk '{ p = $1; sub(/\.c\.o:.*$/, "", p); o = p; sub(/^.*\//, "", o); print $NF, o, p }' |
    sort -u > "$tmp/uses-all"
grep '/lib/' "$tmp/uses-all" | awk '{print $1, $2}' | sort -u > "$tmp/uses"
# edges "user provider"
join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 {print $2, $3}' | sort -u > "$tmp/edges"
awk '{print $2, $1}' "$tmp/edges" | sort -u > "$tmp/back"
comm -12 "$tmp/edges" "$tmp/back" | awk '$1 < $2' > "$tmp/cycles"
while read -r a b; do
	bad "$a.o and $b.o call each other"
done < "$tmp/cycles"
[ -s "$tmp/defs" ] || bad "no objects under $BUILD/lib: build first"

# 3. Outside libraries confined to their folder (or to one file of it).
confine() {	# package-header-pattern folder-or-file
	grep -rlE "#include <$1" "$SRC/lib" "$SRC/daemon" | while read -r f; do
		case "$f" in
		"$SRC/lib/$2/"* | "$SRC/lib/$2") ;;
		*) echo "check-layers: ${f#$SRC/} includes <$1…>, which belongs to lib/$2" >&2; echo x ;;
		esac
	done | grep -q x && fail=1 || true
}
confine 'sqlite3\.h' store/db-sqlite.c
confine 'libpq-fe\.h' store/db-pg.c
confine 'gmime/' mail
confine 'libetpan/' proto
confine 'curl/' proto
# ... and called from there only, whatever a header hid.
symconfine() {	# symbol-pattern folder [object-of-the-folder]
	awk -v pat="^($1)" -v own="/triage_$2.dir/" -v obj="${3:-}" '
	    function owner(p) {
		if (index(p, own) == 0)
			return 0
		return obj == "" || substr(p, length(p) - length(obj)) == "/" obj
	    }
	    $1 ~ pat && !owner($3) { print $2 }' "$tmp/uses-all" |
	    sort -u > "$tmp/sym"
	while read -r o; do
		bad "$o.o calls $1…, which belongs to lib/$2${3:+/$3.c}"
	done < "$tmp/sym"
}
symconfine 'sqlite3_' store db-sqlite
symconfine 'PQ' store db-pg
symconfine 'g_mime_|internet_address_' mail
symconfine 'mailimap_|mailsmtp_|mailstream_|mailesmtp_' proto
symconfine 'curl_' proto

# 4. One writer of outbox rows.
writers=$(grep -rliE 'INSERT[[:space:]]+(OR[[:space:]]+[A-Z]+[[:space:]]+)?INTO[[:space:]]+outbox\b' \
	"$SRC/lib" | wc -l)
[ "$writers" -eq 1 ] || bad "$writers files insert outbox rows, not one:" \
	"$(grep -rliE 'INSERT[[:space:]]+(OR[[:space:]]+[A-Z]+[[:space:]]+)?INTO[[:space:]]+outbox\b' "$SRC/lib" | tr '\n' ' ')"

# 5. The daemon's main file.
n=$(wc -l < "$SRC/daemon/triaged.c")
[ "$n" -le 350 ] || bad "daemon/triaged.c has $n lines (at most 350)"

[ $fail -eq 0 ] && echo "check-layers: ok"
exit $fail
