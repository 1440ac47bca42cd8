#!/bin/sh
# Only cross-file symbols are exported (STYLE.md section 9).  From the
# built objects' symbols (nm), lists every function a lib/ object exports
#   a. that no other object calls: no other object of lib/, daemon/,
#      tests/ or bench/ has it undefined.  Make it static, or delete it;
#   b. that only its own family calls (objects with the same file-name
#      prefix: store.o, store-*.o) while a public header declares it: its
#      prototype belongs in the family's -private.h.
# Usage: check-exports.sh SOURCE_DIR BUILD_DIR [LAYER...].  With layers
# (base, conf, ...), only the functions those folders define are listed.
# Prints one line per finding and exits 1 if there was any.
set -eu
SRC=${1:?source dir}
BUILD=${2:?build dir}
shift 2
LAYERS=${*:-}
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "symbol layer object" for each function a lib object exports (nm -A
# prefixes each line with the object's path).
find "$BUILD/lib" -name '*.c.o' | sort | xargs nm -A -g --defined-only |
    awk '$2 == "T" {
	o = $1; sub(/\.c\.o:.*$/, "", o)
	n = split(o, p, "/")
	obj = p[n]
	print $3, p[n - 1], obj
}' | sort > "$tmp/defs"
[ -s "$tmp/defs" ] || { echo "check-exports: no objects under $BUILD/lib: build first" >&2; exit 1; }

# "symbol user" for every object that calls out; users outside lib/ are
# named by their folder, so they never share a family with a lib object.
for d in lib daemon tests bench; do
	[ -d "$BUILD/$d" ] || continue
	find "$BUILD/$d" -name '*.c.o' | sort | xargs nm -A -u |
	    awk -v d="$d" '{
		o = $1; sub(/\.c\.o:.*$/, "", o)
		n = split(o, p, "/")
		obj = p[n]
		if (d != "lib")
			obj = d "/" obj
		print $NF, obj
	}'
done | sort -u > "$tmp/uses"

# The public headers that declare `sym` (a prototype starts a line).
declared_in() {
	grep -lE "^[A-Za-z_].*[^A-Za-z0-9_]$1\(" "$SRC"/lib/*/*.h 2>/dev/null |
	    grep -v -- '-private\.h$' || true
}

# Per exported function: "none" when nothing else calls it, "family F"
# when only objects of its own family F do.
awk -v layers=" $LAYERS " '
function family(o) { sub(/-.*/, "", o); return o }
NR == FNR { users[$1] = users[$1] " " $2; next }
layers != "  " && index(layers, " " $2 " ") == 0 { next }
{
	sym = $1; layer = $2; obj = $3
	n = split(users[sym], u, " ")
	found = 0; outside = 0
	for (i = 1; i <= n; i++) {
		if (u[i] == obj)
			continue
		found = 1
		if (u[i] ~ /\// || family(u[i]) != family(obj))
			outside = 1
	}
	if (!found)
		print "none", sym, layer, obj
	else if (!outside)
		print "family", sym, layer, obj, family(obj)
}' "$tmp/uses" "$tmp/defs" > "$tmp/found"

while read -r kind sym layer obj fam; do
	where="lib/$layer/$obj.c"
	if [ "$kind" = none ]; then
		echo "check-exports: $where: $sym is exported but nothing else calls it"
		fail=1
		continue
	fi
	for h in $(declared_in "$sym"); do
		echo "check-exports: $where: $sym is used only by $fam*.o but declared in ${h#$SRC/}, not $fam-private.h"
		fail=1
	done
done < "$tmp/found"

[ $fail -eq 0 ] && echo "check-exports: ok"
exit $fail
