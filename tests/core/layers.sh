#!/bin/sh
# The core's parts depend on each other one way (docs/ARCHITECTURE.md, "The
# core's parts"): a part calls only parts below it, and what a lower part
# must tell an upper one goes through a callback table (core/core_events.h),
# never a call back up.  Two graphs are checked for cycles with tsort:
#   - calls: which object of the core library uses a symbol another one
#     defines (nm on the built archive: every real call, whatever the
#     headers say);
#   - includes: which file of core/ includes which header of core/ (a .c
#     and its .h count as one part).
. "$top_srcdir/tests/lib/common.sh"

archive=$top_builddir/core/.libs/libbeachhead-core.a
[ -f "$archive" ] || bh_fail "no $archive: build the project first"
bh_setup_tmp

# "part symbol" lines: what each object defines, and what it uses.
nm -A "$archive" >"$BH_TMP/nm" || bh_fail "nm $archive failed"
# nm -A prints "ARCHIVE:libbeachhead_core_la-PART.o:[ADDRESS] TYPE NAME".
parts() {
	awk -v types="$1" '$(NF-1) ~ types {
		split($1, f, ":"); sub(/^libbeachhead_core_la-/, "", f[2]); sub(/\.o$/, "", f[2])
		print f[2], $NF }' "$BH_TMP/nm"
}
parts '^[TDRB]$' >"$BH_TMP/defined"
parts '^U$' >"$BH_TMP/used"
[ -s "$BH_TMP/defined" ] && [ -s "$BH_TMP/used" ] || bh_fail "nm listed no symbols of $archive"

# user -> definer, one line per pair of different parts.
awk 'NR == FNR { owner[$2] = $1; next }
     ($2 in owner) && owner[$2] != $1 { print $1, owner[$2] }' \
	"$BH_TMP/defined" "$BH_TMP/used" | sort -u >"$BH_TMP/calls"
[ -s "$BH_TMP/calls" ] || bh_fail "no call between parts of the core found: the nm parsing is wrong"
if ! tsort "$BH_TMP/calls" >/dev/null 2>"$BH_TMP/calls.err"; then
	bh_fail "the core's parts call each other in a circle: $(tr '\n' ' ' <"$BH_TMP/calls.err")"
fi

# Includes of core/ headers by core/ files, by part (file name without .c/.h).
for f in "$top_srcdir"/core/*.c "$top_srcdir"/core/*.h; do
	part=$(basename "$f" | sed 's/\.[ch]$//')
	sed -n 's/^#include "\([a-z_]*\)\.h"$/\1/p' "$f" | while read -r header; do
		[ "$header" = config ] && continue # autoconf's config.h
		[ "$header" = "$part" ] || echo "$part $header"
	done
done | sort -u >"$BH_TMP/includes"
[ -s "$BH_TMP/includes" ] || bh_fail "no include between parts of the core found"
if ! tsort "$BH_TMP/includes" >/dev/null 2>"$BH_TMP/includes.err"; then
	bh_fail "the core's headers include each other in a circle: $(tr '\n' ' ' <"$BH_TMP/includes.err")"
fi

# A header shared as "internals" by several parts is a circle in disguise:
# every core header belongs to its own .c (or is a header-only).
for h in "$top_srcdir"/core/*.h; do
	part=$(basename "$h" .h)
	[ -f "$top_srcdir/core/$part.c" ] && continue
	grep -q 'header-only' "$h" || bh_fail "core/$part.h has no core/$part.c and does not say it is header-only"
done
exit 0
