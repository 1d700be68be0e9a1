#!/bin/sh
# The daemon refuses every broken plugin with a message naming the file and
# the problem, exits 2, and publishes nothing.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp
P=$BEACHHEAD_TEST_PLUGINS
printf 'up web 10.0.0.1 example.org\n' >"$BH_TMP/script"
printf 'not an ELF file\n' >"$BH_TMP/garbage.so"

refused() { # refused PLUGIN-SPEC 'message'
	cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "$1"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
CONF
	"$BEACHHEAD" -c "$BH_TMP/c.conf" --no-timestamp >"$BH_TMP/out" 2>"$BH_TMP/err"
	status=$?
	[ "$status" -eq 2 ] || { cat "$BH_TMP/err" >&2; bh_fail "$1: exit $status, expected 2"; }
	grep -q -- "$2" "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "$1: no '$2'"; }
	[ ! -s "$BH_TMP/out" ] || bh_fail "$1: published something"
}

refused "$BH_TMP/missing.so" "plugin file $BH_TMP/missing.so: no such file"
refused "$BH_TMP/garbage.so" "plugin file $BH_TMP/garbage.so: cannot load"
refused "$P/broken-no-symbol.so" "plugin file $P/broken-no-symbol.so: does not export the symbol 'beachhead_plugin'"
refused "$P/broken-abi-major.so" "$P/broken-abi-major.so: refused: built for plugin ABI 2.2, but this daemon has ABI 1.2"
refused "$P/broken-abi-minor.so" "$P/broken-abi-minor.so: refused: built for plugin ABI 1.3, newer than this daemon's ABI 1.2"
refused "$P/broken-struct-size.so" "$P/broken-struct-size.so: refused: symbol table is 16 bytes"
refused "broken-no-init" "broken-no-init.so: refused: required function 'init' is missing"
refused "publisher-stdout" "publisher-stdout.so: refused: is a publisher plugin (kind 2), but this slot needs an inspector"

# The positive control: by name through BEACHHEAD_PLUGIN_PATH, and by path.
for spec in inspector-scripted "$P/inspector-scripted.so"; do
	cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "$spec"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
CONF
	"$BEACHHEAD" -c "$BH_TMP/c.conf" --refresh 0 >"$BH_TMP/out" 2>"$BH_TMP/err" ||
		{ cat "$BH_TMP/err" >&2; bh_fail "$spec did not load"; }
	grep -q '/beachhead/web' "$BH_TMP/out" || bh_fail "$spec: nothing published"
done
exit 0
