#!/bin/sh
# The daemon refuses every broken plugin with a message naming the file and
# the problem, exits 2, and publishes nothing.  Plugins are code that runs as
# the daemon's user: a plugin file or directory that another user could
# change is refused (as sshd's StrictModes does), a group-writable one is
# warned about.
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
	timeout 20 "$BEACHHEAD" -c "$BH_TMP/c.conf" --no-timestamp >"$BH_TMP/out" 2>"$BH_TMP/err"
	status=$?
	[ "$status" -eq 2 ] || { cat "$BH_TMP/err" >&2; bh_fail "$1: exit $status, expected 2"; }
	grep -q -- "$2" "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "$1: no '$2'"; }
	[ ! -s "$BH_TMP/out" ] || bh_fail "$1: published something"
}

refused "$BH_TMP/missing.so" "plugin file $BH_TMP/missing.so: no such file"
refused "$BH_TMP/garbage.so" "plugin file $BH_TMP/garbage.so: cannot load"
refused "$P/broken-no-symbol.so" "plugin file $P/broken-no-symbol.so: does not export the symbol 'beachhead_plugin'"
refused "$P/broken-abi-major.so" "$P/broken-abi-major.so: refused: built for plugin ABI 2.3, but this daemon has ABI 1.3"
refused "$P/broken-abi-minor.so" "$P/broken-abi-minor.so: refused: built for plugin ABI 1.4, newer than this daemon's ABI 1.3"
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

# Trust: a copy of a good plugin in a directory of our own ($BH_TMP is 0700).
mkdir "$BH_TMP/plugins"
chmod 755 "$BH_TMP/plugins"
cp "$P/inspector-scripted.so" "$BH_TMP/plugins/"
S=$BH_TMP/plugins/inspector-scripted.so
chmod 757 "$S"
refused "$S" "plugin file $S: refused: the file is writable by every user (mode 0757)"
chmod 755 "$S"
chmod 757 "$BH_TMP/plugins"
refused "$S" "plugin file $S: refused: directory $BH_TMP/plugins is writable by every user (mode 0757)"
chmod 755 "$BH_TMP/plugins"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$S"
	refused "$S" "plugin file $S: refused: the file is owned by uid 65534, neither root nor the daemon's user"
	chown 0 "$S"
fi
# (root's own group counts as root: a group other than 0 for the warning)
[ "$(id -g)" != 0 ] || chgrp 65534 "$S" || bh_fail "chgrp"
chmod 775 "$S"
cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "$S"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
CONF
"$BEACHHEAD" -c "$BH_TMP/c.conf" --refresh 0 >"$BH_TMP/out" 2>"$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "a group-writable plugin was refused"; }
grep -q "warning: plugin file $S is writable by group .* (mode 0775)" "$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "no warning for a group-writable plugin"; }
exit 0
