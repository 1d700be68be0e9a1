#!/bin/sh
# Every component of the tree is a one-way graph (docs/ARCHITECTURE.md): a
# part calls and includes only parts below it, and what a lower part must
# tell an upper one goes through a callback table it is given or a returned
# verdict, never a call back up.  The components: the core, plugins/common
# and each plugin under plugins/.  For each one:
#   1. calls: which object uses a symbol another object of the component
#      defines (nm on the built objects: every real call, whatever the
#      headers say) -- no cycle (tsort);
#   2. includes: which part includes which of the component's own headers
#      (a .c and its .h are one part) -- no cycle;
#   3. one header per part: every header has its own .c, or says that it is
#      header-only (a header shared as "internals" by several parts is a
#      circle in disguise);
#   4. what a component may include: a plugin its own headers and
#      plugins/common's, plugins/common only its own, the core only its own
#      (the installed SDK, <beachhead/...>, is open to all);
#   5. the core's sub-folders (its parts: configuration, plugin loading,
#      registrations, ...): the graph between folders, from calls and
#      includes, has no cycle either.
# Usage by hand: top_srcdir=. top_builddir=_build sh tests/tree/layers.sh
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

# Problems go to a file: some are found inside pipelines (subshells).
: >"$BH_TMP/problems"
problem() {
	echo "FAIL: $*" >&2
	echo "$*" >>"$BH_TMP/problems"
}

# cycle_check NAME EDGES: EDGES has "from to" lines; tsort names a cycle.
cycle_check() {
	grep -v '^\(.*\) \1$' "$2" >"$2.nonself" || true
	if ! tsort "$2.nonself" >/dev/null 2>"$2.err"; then
		problem "$1 form a circle: $(grep -v '^tsort: .*: input contains a loop:$' "$2.err" | sed 's/^tsort: //' | tr '\n' ' ')"
	fi
}

# part_of COMPONENT FILE: the part a source file belongs to, relative to the
# component (core/config/settings.c -> config/settings).
part_of() {
	rel=${2#"$top_srcdir/$1/"}
	echo "${rel%.[ch]}"
}

# calls COMPONENT OUT: "user definer" part pairs from the component's built
# objects (libtool's PIC objects, NAME_la-PART.o in the part's .libs/).
calls() {
	find "$top_builddir/$1" -path '*/.libs/*_la-*.o' | sort >"$BH_TMP/objects"
	[ -s "$BH_TMP/objects" ] || bh_fail "no objects of $1 under $top_builddir/$1: build the project first"
	while read -r object; do
		dir=$(dirname "$(dirname "$object")")
		dir=${dir#"$top_builddir/$1"}
		dir=${dir#/}
		name=$(basename "$object" .o)
		part=${dir:+$dir/}${name#*_la-}
		# An object whose source is gone (a renamed file, in a build
		# tree that saw the old name) is not part of the component.
		[ -f "$top_srcdir/$1/$part.c" ] || continue
		nm "$object" | awk -v part="$part" '
			$(NF-1) ~ /^[TDRB]$/ { print "D", part, $NF }
			$(NF-1) == "U" { print "U", part, $NF }'
	done <"$BH_TMP/objects" >"$BH_TMP/symbols"
	awk '$1 == "D" { owner[$3] = $2; next }
	     $1 == "U" && ($3 in owner) && owner[$3] != $2 { print $2, owner[$3] }' \
		"$BH_TMP/symbols" "$BH_TMP/symbols" | sort -u >"$2"
}

# includes COMPONENT OUT: "includer included" part pairs for the
# component's own headers; reports includes the component may not make.
includes() {
	find "$top_srcdir/$1" -name '*.[ch]' | sort >"$BH_TMP/sources"
	: >"$2"
	while read -r file; do
		part=$(part_of "$1" "$file")
		sed -n 's/^#[ \t]*include[ \t]*"\([^"]*\)".*$/\1/p' "$file" | while read -r header; do
			[ "$header" = config.h ] && continue # autoconf's
			case "$1:$header" in
			plugins/common:*/*) problem "$file includes \"$header\": plugins/common includes only its own headers" ;;
			plugins/*:common/*)
				[ -f "$top_srcdir/plugins/$header" ] || problem "$file includes \"$header\", which plugins/common does not have" ;;
			*)
				found=$(find "$top_srcdir/$1" -name "$(basename "$header")" | head -n 1)
				if [ -z "$found" ]; then
					problem "$file includes \"$header\", which is not a header of $1"
				else
					echo "$part $(part_of "$1" "$found")" >>"$2"
				fi
				;;
			esac
		done
	done <"$BH_TMP/sources"
	sort -u -o "$2" "$2"
}

# one_header_per_part COMPONENT
one_header_per_part() {
	find "$top_srcdir/$1" -name '*.h' | sort | while read -r header; do
		[ -f "${header%.h}.c" ] && continue
		grep -q 'header-only' "$header" ||
			problem "${header#"$top_srcdir/"} has no .c of its own and does not say it is header-only"
	done
}

# folders EDGES OUT: the part graph folded onto the parts' folders.
folders() {
	awk '{ a = $1; b = $2; sub(/\/[^\/]*$/, "", a); sub(/\/[^\/]*$/, "", b)
	       if (index($1, "/") && index($2, "/") && a != b) print a, b }' "$1" | sort -u >"$2"
}

components="core plugins/common"
for plugin in "$top_srcdir"/plugins/*/; do
	plugin=plugins/$(basename "$plugin")
	[ "$plugin" = plugins/common ] || components="$components $plugin"
done

for component in $components; do
	tag=$(echo "$component" | tr '/' '_')
	calls "$component" "$BH_TMP/$tag.calls"
	includes "$component" "$BH_TMP/$tag.includes"
	cycle_check "$component: the parts' calls" "$BH_TMP/$tag.calls"
	cycle_check "$component: the parts' includes" "$BH_TMP/$tag.includes"
	one_header_per_part "$component"
done
[ -s "$BH_TMP/core.calls" ] || bh_fail "no call between parts of the core found: the nm parsing is wrong"
[ -s "$BH_TMP/core.includes" ] || bh_fail "no include between parts of the core found"

# The core's folders, when it has any.
cat "$BH_TMP/core.calls" "$BH_TMP/core.includes" >"$BH_TMP/core.edges"
folders "$BH_TMP/core.edges" "$BH_TMP/core.folders"
cycle_check "the core's folders" "$BH_TMP/core.folders"

# The core never includes a plugin's header (the include rule above sees
# only quoted includes of core headers by name; a path into plugins/ is
# caught here).
if grep -rn '^#[ \t]*include[ \t]*"[^"]*plugins/' "$top_srcdir/core" >"$BH_TMP/core_plugins"; then
	problem "the core includes plugin headers: $(cat "$BH_TMP/core_plugins")"
fi

[ -s "$BH_TMP/problems" ] && bh_fail "$(wc -l <"$BH_TMP/problems") layering problems (above)"
exit 0
