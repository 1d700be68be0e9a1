#!/bin/sh
# One checkout serves both ways of building: README's out-of-tree build in
# _build/ (which tools/test.sh and tools/quickstart.sh use) and a
# ./configure run in the source directory.  On a copy of the source tree:
#   - ./configure in place is quiet: no "rm: cannot remove 'core': Is a
#     directory" from autoconf's clean-up meeting the core/ sources;
#   - tools/build-dir.sh then builds in place instead of running a second,
#     out-of-tree configure (which automake refuses: "source directory
#     already configured"); without an in-tree configuration it uses _build/;
#   - the man pages name the configured paths (here the default prefix:
#     /usr/local/etc/beachhead.conf, /usr/local/lib/beachhead-companion/).
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp
for tool in make cc autoreconf tar; do
	command -v $tool >/dev/null 2>&1 || bh_skip "$tool is not installed"
done

# The sources only: no build products, no version control.
mkdir "$BH_TMP/src"
tar -C "$top_srcdir" --exclude=./_build --exclude=./.git --exclude=./autom4te.cache \
	--exclude='*.o' --exclude='*.lo' --exclude=./config.status --exclude=./config.log \
	--exclude=./Makefile --exclude=./config.h -cf - . | tar -C "$BH_TMP/src" -xf - ||
	bh_fail "copying the source tree"
S=$BH_TMP/src
[ -x "$S/configure" ] || (cd "$S" && autoreconf -fi >"$BH_TMP/autoreconf.log" 2>&1) ||
	{ cat "$BH_TMP/autoreconf.log" >&2; bh_fail "autoreconf"; }

. "$S/tools/build-dir.sh"
[ "$(bh_build_dir "$S")" = "$S/_build" ] || bh_fail "an unconfigured checkout does not build in _build/"

(cd "$S" && ./configure -q --without-systemd >"$BH_TMP/configure.out" 2>"$BH_TMP/configure.err") ||
	{ cat "$BH_TMP/configure.err" >&2; bh_fail "./configure in place failed"; }
[ ! -s "$BH_TMP/configure.err" ] || { cat "$BH_TMP/configure.err" >&2; bh_fail "./configure -q is not quiet"; }
[ -d "$S/core" ] && [ -f "$S/core/process/main.c" ] || bh_fail "configure removed the core/ sources"

[ "$(bh_build_dir "$S")" = "$S" ] || bh_fail "a checkout configured in place is not built in place"
(cd "$S" && make man/beachhead-companion.8 man/beachhead.conf.5 >"$BH_TMP/man.log" 2>&1) ||
	{ cat "$BH_TMP/man.log" >&2; bh_fail "making the man pages"; }
for page in "$S/man/beachhead-companion.8" "$S/man/beachhead.conf.5"; do
	grep -q '/usr/local/etc/beachhead\.conf' "$page" || bh_fail "$page does not name the configured sysconfdir"
	! grep -q '@[a-z]*@\|^\.I.* /etc/beachhead\.conf' "$page" || bh_fail "$page: unsubstituted or unconfigured path"
done
grep -q '^\.I /usr/local/lib/beachhead-companion/$' "$S/man/beachhead-companion.8" ||
	bh_fail "beachhead-companion(8) does not name the configured pkglibdir"
# What a second, out-of-tree configure would have run into.
mkdir "$S/_build"
(cd "$S/_build" && ../configure -q --without-systemd >/dev/null 2>"$BH_TMP/vpath.err") &&
	bh_fail "automake accepted a VPATH build of a configured source tree; tools/build-dir.sh is moot"
grep -q 'already configured' "$BH_TMP/vpath.err" || { cat "$BH_TMP/vpath.err" >&2; bh_fail "unexpected VPATH error"; }
exit 0
