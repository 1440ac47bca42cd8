#!/bin/sh
# The layering rules that the compiler alone cannot enforce (lib/README.md):
#   1. every .c of lib/ is in a layer folder, and no file includes a header
#      of a layer above its own (the folder include graph has no cycle);
#   2. no two object files call each other (from the built objects' symbols);
#   3. SQLite, GMime and libetpan are named in their own folder only;
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

# 1. Folders and includes.
for f in "$SRC"/lib/*.c "$SRC"/lib/*.h; do
	[ -e "$f" ] && bad "${f#$SRC/} is not in a layer folder"
done
for dir in "$SRC"/lib/*/; do
	layer=$(basename "$dir")
	me=$(rank "$layer")
	[ "$me" -ge 0 ] || { bad "lib/$layer is not a known layer"; continue; }
	for f in "$dir"*.[ch]; do
		grep -o '^#include "[^"]*"' "$f" | sed 's/#include "\(.*\)"/\1/' |
		while read -r h; do
			owner=$(cd "$SRC/lib" && ls -d */"$h" 2>/dev/null | cut -d/ -f1)
			[ -n "$owner" ] || continue
			if [ "$(rank "$owner")" -gt "$me" ]; then
				echo "check-layers: ${f#$SRC/} includes $owner/$h, a layer above $layer" >&2
				echo x
			fi
		done
	done
done | grep -q x && fail=1

# 2. No two object files call each other.  Defined and undefined global
#    symbols of every lib object; a pair (a uses b, b uses a) is a cycle.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
find "$BUILD/lib" -name '*.c.o' | sort | while read -r o; do
	name=$(basename "$o" .c.o)
	nm -g --defined-only "$o" | awk -v n="$name" 'NF==3 {print $3, n}'
done | sort -u > "$tmp/defs"
find "$BUILD/lib" -name '*.c.o' | sort | while read -r o; do
	name=$(basename "$o" .c.o)
	nm -u "$o" | awk -v n="$name" '{print $NF, n}'
done | sort -u > "$tmp/uses"
# edges "user provider"
join "$tmp/uses" "$tmp/defs" | awk '$2 != $3 {print $2, $3}' | sort -u > "$tmp/edges"
awk '{print $2, $1}' "$tmp/edges" | sort -u > "$tmp/back"
comm -12 "$tmp/edges" "$tmp/back" | awk '$1 < $2' > "$tmp/cycles"
while read -r a b; do
	bad "$a.o and $b.o call each other"
done < "$tmp/cycles"
[ -s "$tmp/defs" ] || bad "no objects under $BUILD/lib: build first"

# 3. Outside libraries confined to their folder.
confine() {	# package-header-pattern folder
	grep -rlE "#include <$1" "$SRC/lib" "$SRC/daemon" | while read -r f; do
		case "$f" in
		"$SRC/lib/$2/"*) ;;
		*) echo "check-layers: ${f#$SRC/} includes <$1…>, which belongs to lib/$2" >&2; echo x ;;
		esac
	done | grep -q x && fail=1 || true
}
confine 'sqlite3\.h' store
confine 'gmime/' mail
confine 'libetpan/' proto
# ... and called from there only, whatever a header hid.
symconfine() {	# symbol-pattern folder
	find "$BUILD/lib" "$BUILD/daemon" -name '*.c.o' | while read -r o; do
		case "$o" in */triage_$2.dir/*) continue ;; esac
		nm -u "$o" | grep -qE " ($1)" &&
		    echo "check-layers: $(basename "$o" .c.o).o calls $1…, which belongs to lib/$2" >&2 &&
		    echo x
	done | grep -q x && fail=1 || true
}
symconfine 'sqlite3_' store
symconfine 'g_mime_|internet_address_' mail
symconfine 'mailimap_|mailsmtp_|mailstream_|mailesmtp_' proto

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
