#!/bin/sh
# The core knows no plugin's settings by name: the original's plugin flags
# (--docker-url, --redis-host, ...) reach the plugins' groups through one
# table, core/config/original_flags.c, and no other core file names a
# setting that table maps.  Not settings, hence left out: comments, the
# registration JSON's keys (a domain's "host" and "port") and getopt's long
# option names (--envvar).
# Usage by hand: top_srcdir=. sh tests/tree/plugin_setting_names.sh
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

table=$top_srcdir/core/config/original_flags.c
[ -f "$table" ] || bh_fail "no $table: where do the original's plugin flags go?"
# Table lines: {"command line (--docker-url)", "url", FLAG_STRING, ...}
sed -n 's/^.*{"command line (--[a-z-]*)", "\([a-z_]*\)",.*$/\1/p' "$table" | sort -u >"$BH_TMP/names"
[ "$(wc -l <"$BH_TMP/names")" -ge 5 ] ||
	bh_fail "found $(wc -l <"$BH_TMP/names") setting names in $table, not the original's five flags: the table's form changed"

find "$top_srcdir/core" -name '*.[ch]' ! -path "$table" ! -path "${table%.c}.h" | sort >"$BH_TMP/files"
[ -s "$BH_TMP/files" ] || bh_fail "no core sources under $top_srcdir/core"
: >"$BH_TMP/found"
while read -r name; do
	xargs grep -n "\"$name\"" <"$BH_TMP/files" |
		grep -v -e 'json_object' -e '_argument, ' -e '^[^:]*:[0-9]*:[[:space:]]*\(/\*\|\*\)' >>"$BH_TMP/found" || true
done <"$BH_TMP/names"
if [ -s "$BH_TMP/found" ]; then
	cat "$BH_TMP/found" >&2
	bh_fail "core files other than original_flags.c name plugin settings (above)"
fi
exit 0
