#!/bin/sh
# Plugin SDK and install layout, end to end, without root:
#   1. configure --prefix=$T/inst in a separate VPATH build, make, make install;
#   2. check the installed layout (daemon, plugins, config, unit, man pages,
#      header, pkg-config file with plugindir);
#   3. build examples/publisher-jsonfile OUT OF TREE with only the installed
#      SDK (PKG_CONFIG_PATH=$T/inst/lib/pkgconfig) and install it into the
#      plugindir pkg-config names; compile the installed headers as C++ too
#      (a plugin may be written in it);
#   4. run the INSTALLED daemon with `plugin = "publisher-jsonfile"` (found by
#      name in its compiled-in plugin directory) and the test-only scripted
#      inspector, one pass, and compare the file byte for byte.
# Slow (a full build), so it is a CI step, not part of `make check`:
#   sh tests/packaging/sdk.sh
# BH_KEEP_TMP=1 keeps the temporary directory.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp
T=$BH_TMP
# Under `make check` this points at the build tree; the point here is that
# the installed daemon finds the installed plugins on its own.
unset BEACHHEAD_PLUGIN_PATH

for tool in make cc c++ pkg-config; do
	command -v $tool >/dev/null 2>&1 || bh_skip "$tool not installed"
done

# A source tree configured in place cannot host a VPATH build, and one
# without ./configure needs autoreconf: build from a copy of it then
# (tracked and new files, not build products).
src=$top_srcdir
if [ -f "$src/config.status" ] || [ ! -x "$src/configure" ]; then
	command -v git >/dev/null 2>&1 && [ -e "$src/.git" ] ||
		bh_fail "$src is configured in place (or has no configure) and is no git checkout to copy"
	mkdir "$T/src"
	# --ignore-failed-read: tracked files deleted in the work tree are
	# simply not copied.
	(cd "$src" && git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null) |
		tar -C "$T/src" -xf - || bh_fail "copying the source tree"
	src=$T/src
	[ -x "$src/configure" ] || (cd "$src" && autoreconf -fi >"$T/autoreconf.log" 2>&1) ||
		{ cat "$T/autoreconf.log" >&2; bh_fail "autoreconf"; }
fi

bh_note "building in $T/build, installing into $T/inst"
mkdir "$T/build"
(cd "$T/build" && "$src/configure" -q --prefix="$T/inst" >"$T/configure.log" 2>&1 &&
	make -j"$(nproc)" >"$T/make.log" 2>&1 &&
	make install >"$T/install.log" 2>&1 &&
	make tests/plugins/inspector-scripted.la >>"$T/make.log" 2>&1) ||
	{ tail -n 40 "$T/configure.log" "$T/make.log" "$T/install.log" >&2 2>/dev/null; bh_fail "build or install"; }

# --- 2. installed layout -------------------------------------------------
I=$T/inst
for f in sbin/beachhead-companion \
	lib/beachhead-companion/inspector-docker.so \
	lib/beachhead-companion/publisher-redis.so \
	lib/beachhead-companion/publisher-stdout.so \
	etc/beachhead.conf \
	share/man/man8/beachhead-companion.8 \
	share/man/man5/beachhead.conf.5 \
	include/beachhead/plugin.h \
	include/beachhead/sdk.h \
	include/beachhead/strmap.h \
	lib/pkgconfig/beachhead-plugin.pc; do
	[ -f "$I/$f" ] || bh_fail "not installed: $f"
done
# Only with libsystemd (Type=notify needs sd_notify); then its ExecStart
# must name the configured sbindir.
if grep -q '^#define HAVE_SYSTEMD 1' "$T/build/config.h"; then
	unit=$I/lib/systemd/system/beachhead-companion.service
	[ -f "$unit" ] || bh_fail "not installed: the systemd unit"
	grep -qx "ExecStart=$I/sbin/beachhead-companion --systemd --no-timestamp" "$unit" ||
		bh_fail "unit: ExecStart does not name the installed daemon: $(grep ExecStart= "$unit")"
fi
"$I/sbin/beachhead-companion" --help | grep -q "$I/lib/beachhead-companion" ||
	bh_fail "--help does not show the installed plugin directory"

# --- 3. the example, out of tree, against the installed SDK only ----------
export PKG_CONFIG_PATH="$I/lib/pkgconfig"
plugindir=$(pkg-config --variable=plugindir beachhead-plugin) || bh_fail "pkg-config beachhead-plugin"
[ "$plugindir" = "$I/lib/beachhead-companion" ] ||
	bh_fail "plugindir is '$plugindir', expected $I/lib/beachhead-companion"
mkdir "$T/example"
cp "$top_srcdir/examples/publisher-jsonfile/Makefile" \
	"$top_srcdir/examples/publisher-jsonfile/publisher_jsonfile.c" "$T/example/"
# -Werror: the example must build cleanly against the installed header.
make -C "$T/example" CFLAGS='-O2 -g -Werror' >"$T/example.log" 2>&1 &&
	make -C "$T/example" install >>"$T/example.log" 2>&1 ||
	{ cat "$T/example.log" >&2; bh_fail "building or installing the example plugin"; }
grep -q -- "-I$I/include" "$T/example.log" || bh_fail "the example was not compiled against $I/include"
[ -f "$plugindir/publisher-jsonfile.so" ] || bh_fail "the example is not in the plugindir"
# Exactly one exported symbol, as the ABI asks (besides the markers the
# linker itself defines in every shared object).
if command -v nm >/dev/null 2>&1; then
	exported=$(nm -D --defined-only "$plugindir/publisher-jsonfile.so" |
		awk '$2 ~ /^[A-Z]$/ && $3 !~ /^(_edata|_end|__bss_start|_init|_fini)$/ {print $3}')
	[ "$exported" = beachhead_plugin ] || bh_fail "the example exports: $exported"
fi

# The installed headers, used from C++ with warnings as errors: every
# inline helper is compiled, and the calls below check that the signatures
# need no casts a C++ compiler would refuse.
cat >"$T/cxx.cc" <<'CXX'
#include <beachhead/sdk.h>
#include <beachhead/strmap.h>

int read_group(const struct bh_init *args, char **name, unsigned long long *port)
{
	struct bh_config cfg = bh_config_begin(args);
	for (int i = 0; i < config_setting_length(args->config); i++) {
		const config_setting_t *s = config_setting_get_elem(args->config, (unsigned)i);
		int flag = 0;
		if (bh_config_is(s, "name"))
			bh_config_nonempty_string(&cfg, s, name);
		else if (bh_config_is(s, "port"))
			bh_config_uint(&cfg, s, 1, 65535, port);
		else if (bh_config_is(s, "flag"))
			bh_config_bool(&cfg, s, &flag);
		else if (!bh_config_is(s, "plugin"))
			bh_config_unknown_among(&cfg, s, "name, port, flag");
	}
	if (!*name)
		bh_config_missing(&cfg, "name", "who we are");
	bh_config_warning(&cfg, NULL, "%s", "read");
	return bh_config_end(&cfg);
}
CXX
c++ -std=c++11 -Wall -Wextra -Werror $(pkg-config --cflags beachhead-plugin) -c "$T/cxx.cc" \
	-o "$T/cxx.o" >"$T/cxx.log" 2>&1 || { cat "$T/cxx.log" >&2; bh_fail "the installed SDK headers do not compile as C++"; }

# --- 4. the installed daemon with the installed example ------------------
scripted=$T/build/tests/plugins/.libs/inspector-scripted.so
[ -f "$scripted" ] || bh_fail "no $scripted"
mkdir "$T/out"
cat >"$T/script" <<'SCRIPT'
up web 10.0.0.1 example.org app.example.org:http=8080:https=8043
up gone 10.0.0.3 gone.example.org
down gone
SCRIPT
cat >"$T/beachhead.conf" <<CONF
inspector = { plugin = "$scripted"; script = "$T/script"; };
publishers = (
  { plugin = "publisher-jsonfile"; directory = "$T/out"; },
  { plugin = "publisher-stdout"; }
);
enumerate = true;
CONF
"$I/sbin/beachhead-companion" -c "$T/beachhead.conf" --refresh 0 --verbose --no-timestamp \
	>"$T/stdout" 2>"$T/stderr"
status=$?
[ "$status" -eq 0 ] || { cat "$T/stderr" >&2; bh_fail "installed daemon exited with $status"; }

printf '%s' '[{"id":"example_org","domain":"example.org","http":{"host":"10.0.0.1","port":80},"https":{"host":"10.0.0.1","port":443}},{"id":"app_example_org","domain":"app.example.org","http":{"host":"10.0.0.1","port":8080},"https":{"host":"10.0.0.1","port":8043}}]' \
	>"$T/expected"
[ -f "$T/out/web.json" ] || { cat "$T/stderr" >&2; bh_fail "no web.json written"; }
cmp "$T/expected" "$T/out/web.json" ||
	{ cat "$T/out/web.json" >&2; echo >&2; bh_fail "web.json differs from the expected bytes"; }
# The same bytes that publisher-stdout (and so publisher-redis) got.
sed -n 's|^{"op":"set","key":"/beachhead/web","ttl":[0-9]*,"value":\(.*\)}$|\1|p' "$T/stdout" |
	tail -n 1 | tr -d '\n' >"$T/stdout-value"
cmp "$T/expected" "$T/stdout-value" || bh_fail "web.json differs from the value publisher-stdout printed"
# gone.json was written, then withdrawn (unlinked); no temporary files remain.
grep -q "wrote $T/out/gone.json" "$T/stderr" || { cat "$T/stderr" >&2; bh_fail "gone.json was never written"; }
[ ! -e "$T/out/gone.json" ] || bh_fail "gone.json survived its withdrawal"
leftover=$(ls -A "$T/out" | grep -v '^web\.json$' || true)
[ -z "$leftover" ] || bh_fail "left in the directory: $leftover"

# A configuration mistake in the plugin's group is reported with file:line.
cat >"$T/bad.conf" <<CONF
inspector = { plugin = "$scripted"; script = "$T/script"; };
publishers = (
  { plugin = "publisher-jsonfile";
    directroy = "$T/out"; }
);
enumerate = true;
CONF
"$I/sbin/beachhead-companion" -c "$T/bad.conf" --check-config >"$T/bad.out" 2>&1
status=$?
[ "$status" -eq 2 ] || { cat "$T/bad.out" >&2; bh_fail "a bad plugin setting: exit status $status, expected 2"; }
grep -q "$T/bad.conf:4: .*unknown setting 'directroy'" "$T/bad.out" ||
	{ cat "$T/bad.out" >&2; bh_fail "a bad plugin setting is not reported with file:line"; }

# The installed sample configuration loads with the installed plugins.
"$I/sbin/beachhead-companion" -c "$I/etc/beachhead.conf" --check-config >"$T/check.out" 2>&1 ||
	{ cat "$T/check.out" >&2; bh_fail "--check-config of the installed sample configuration"; }

bh_note "installed layout, out-of-tree plugin and installed daemon: OK"
exit 0
