#!/bin/sh
# No function of the product code (core/, plugins/, the installed SDK's
# inline functions) is longer than 80 lines, from its opening brace to its
# closing one: a longer one does several jobs, which want names of their
# own.  The tree's style makes functions easy to find: a definition's
# braces stand alone in the first column.
# Usage by hand: top_srcdir=. sh tests/tree/function_length.sh
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp
limit=80

find "$top_srcdir/core" "$top_srcdir/plugins" "$top_srcdir/include" -name '*.[ch]' | sort >"$BH_TMP/files"
[ -s "$BH_TMP/files" ] || bh_fail "no source files under $top_srcdir"
while read -r file; do
	awk -v limit="$limit" -v file="${file#"$top_srcdir/"}" '
		/\(/ { signature = $0 }
		/^\{$/ { start = FNR; name = signature; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name) }
		/^\}/ && start {
			if (FNR - start + 1 > limit)
				printf "%s:%d: %s is %d lines\n", file, start, name, FNR - start + 1
			start = 0
		}' "$file"
done <"$BH_TMP/files" >"$BH_TMP/long"
# The check must see functions at all: the daemon's main() is one.
grep -q '^{$' "$top_srcdir"/core/*/main.c ||
	bh_fail "no function found in main.c: the style this check relies on changed"
if [ -s "$BH_TMP/long" ]; then
	cat "$BH_TMP/long" >&2
	bh_fail "$(wc -l <"$BH_TMP/long") functions longer than $limit lines (above)"
fi
exit 0
