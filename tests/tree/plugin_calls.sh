#!/bin/sh
# Only the plugin set calls a plugin's functions: core/plugin_host/plugin_set.c
# holds every call through a plugin's table (struct bh_plugin, reached as
# instance->loaded.table), and core/plugin_host/loader.c reads the table it
# loads.  Every other part of the core asks the plugin set
# (plugin_instance_publish, plugin_instance_resync, ...), so what a plugin
# is asked, when and in which state, is written in one place.
# Usage by hand: top_srcdir=. sh tests/tree/plugin_calls.sh
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

set_c=$top_srcdir/core/plugin_host/plugin_set.c
[ -f "$set_c" ] || bh_fail "no $set_c"
grep -q 'loaded\.table->publish' "$set_c" || bh_fail "plugin_set.c calls no plugin's publish: the pattern below is wrong"
find "$top_srcdir/core" -name '*.[ch]' ! -path "$set_c" ! -path "$top_srcdir/core/plugin_host/loader.*" |
	sort | xargs grep -n -e 'loaded\.table' -e '->table->' >"$BH_TMP/found" || true
if [ -s "$BH_TMP/found" ]; then
	cat "$BH_TMP/found" >&2
	bh_fail "core files other than plugin_set.c reach a plugin's table (above)"
fi
exit 0
