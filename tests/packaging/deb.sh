#!/bin/sh
# The Debian packages, as an operator gets them (root; Debian 12):
#   1. build them (tools/build-deb.sh) unless BH_DEBS names a directory that
#      holds them already;
#   2. install them with dpkg -i (missing dependencies through apt-get -f);
#   3. check what the operator relies on: files in place, /etc/beachhead.conf
#      a conffile, the system user beachhead, the unit (systemd-analyze
#      verify), no .la files;
#   4. run the INSTALLED daemon: --check-config of the shipped configuration
#      (loads the installed inspector-docker and publisher-redis, each
#      checking its settings), then a one-pass dry run through the installed
#      publisher-stdout, fed by the scripted test inspector compiled against
#      the INSTALLED -dev header;
#   5. build the example plugin against the installed -dev package, install
#      it into the package's plugindir and run the installed daemon with it;
#   6. reinstall with an edited conffile (kept), then purge (removed).
# Slow (dpkg-buildpackage rebuilds everything), so a CI step, not `make check`:
#   sh tests/packaging/deb.sh
# The packages are purged at the end unless BH_KEEP_DEB=1.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"

[ "$(id -u)" = 0 ] || bh_skip "needs root to install packages"
command -v dpkg >/dev/null 2>&1 || bh_skip "not a Debian system"
bh_setup_tmp
T=$BH_TMP
unset BEACHHEAD_PLUGIN_PATH

# --- 1. build -------------------------------------------------------------
debs=${BH_DEBS:-}
if [ -z "$debs" ]; then
	debs=$T/debs
	sh "$top_srcdir/tools/build-deb.sh" "$debs" >"$T/build-deb.log" 2>&1 ||
		{ tail -n 60 "$T/build-deb.log" >&2; bh_fail "tools/build-deb.sh"; }
fi
main_deb=$(ls "$debs"/beachhead-companion_*.deb 2>/dev/null | tail -n 1)
dev_deb=$(ls "$debs"/beachhead-companion-dev_*.deb 2>/dev/null | tail -n 1)
[ -n "$main_deb" ] && [ -n "$dev_deb" ] || bh_fail "no packages in $debs"

# --- 2. install -----------------------------------------------------------
if [ -z "${BH_KEEP_DEB:-}" ]; then
	bh_on_exit "dpkg --purge beachhead-companion-dev beachhead-companion"
fi
export DEBIAN_FRONTEND=noninteractive
if ! dpkg -i "$main_deb" "$dev_deb" >"$T/dpkg.log" 2>&1; then
	# Only missing dependencies are acceptable here: apt-get resolves them.
	apt-get install -f -y -qq --no-install-recommends >>"$T/dpkg.log" 2>&1 ||
		{ cat "$T/dpkg.log" >&2; bh_fail "installing the packages"; }
fi
for p in beachhead-companion beachhead-companion-dev; do
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' $p 2>/dev/null)" = "ii " ] ||
		{ cat "$T/dpkg.log" >&2; bh_fail "$p is not installed and configured"; }
done

# --- 3. what is installed -------------------------------------------------
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
plugindir=/usr/lib/$multiarch/beachhead-companion
for f in /usr/sbin/beachhead-companion \
	"$plugindir/inspector-docker.so" "$plugindir/publisher-redis.so" "$plugindir/publisher-stdout.so" \
	/etc/beachhead.conf /lib/systemd/system/beachhead-companion.service \
	/usr/share/man/man8/beachhead-companion.8.gz /usr/share/man/man5/beachhead.conf.5.gz \
	/usr/include/beachhead/plugin.h "/usr/lib/$multiarch/pkgconfig/beachhead-plugin.pc"; do
	[ -f "$f" ] || bh_fail "not installed: $f"
done
! dpkg -L beachhead-companion beachhead-companion-dev | grep -q '\.la$' || bh_fail ".la files shipped"
dpkg-query -W -f='${Conffiles}\n' beachhead-companion | grep -q '^ /etc/beachhead.conf ' ||
	bh_fail "/etc/beachhead.conf is not a conffile"
grep -qx 'ExecStart=/usr/sbin/beachhead-companion --systemd --no-timestamp' \
	/lib/systemd/system/beachhead-companion.service || bh_fail "unit: wrong ExecStart"
# Metrics stay off: shown commented in the configuration, no option in the
# unit; the alerting rules and their documentation come as examples and docs.
grep -q '^[[:space:]]*metrics_listen' /etc/beachhead.conf && bh_fail "/etc/beachhead.conf turns metrics on"
grep -q '^# metrics_listen = ' /etc/beachhead.conf || bh_fail "/etc/beachhead.conf does not show metrics_listen"
grep -q -- '--metrics-listen' /lib/systemd/system/beachhead-companion.service && bh_fail "the unit turns metrics on"
[ -f /usr/share/doc/beachhead-companion/examples/prometheus/beachhead-rules.yml ] ||
	bh_fail "the alerting rules are not shipped"
ls /usr/share/doc/beachhead-companion/metrics.md* >/dev/null 2>&1 || bh_fail "docs/metrics.md is not shipped"
# libmicrohttpd is dlopen()ed (metrics_listen only): a dependency of its own.
dpkg-query -W -f='${Depends}' beachhead-companion | grep -q 'libmicrohttpd12' ||
	bh_fail "the package does not depend on libmicrohttpd12"
# The unit is enabled (a symlink, also where systemd does not run).
[ -L /etc/systemd/system/multi-user.target.wants/beachhead-companion.service ] ||
	bh_fail "the unit is not enabled"
if command -v systemd-analyze >/dev/null 2>&1; then
	systemd-analyze verify /lib/systemd/system/beachhead-companion.service >"$T/verify.log" 2>&1
	# Units the test host lacks (docker.service, redis-server.service) are
	# only orderings: ignore those messages, fail on anything else.
	if grep -v -e 'docker.service' -e 'redis-server.service' "$T/verify.log" | grep -q .; then
		cat "$T/verify.log" >&2
		bh_fail "systemd-analyze verify"
	fi
fi
getent passwd beachhead >/dev/null || bh_fail "no user beachhead"
uid=$(id -u beachhead)
[ "$uid" -lt 1000 ] || bh_fail "beachhead is not a system user (uid $uid)"
id -nG beachhead | tr ' ' '\n' | grep -qx beachhead || bh_fail "beachhead is not in its own group"
if getent group docker >/dev/null; then
	id -nG beachhead | tr ' ' '\n' | grep -qx docker || bh_fail "beachhead is not in group docker"
fi

# --- 4. the installed daemon ----------------------------------------------
beachhead-companion --version >/dev/null || bh_fail "--version"
beachhead-companion --help | grep -q "$plugindir" || bh_fail "--help does not name $plugindir"
beachhead-companion --check-config >"$T/check.log" 2>&1 ||
	{ cat "$T/check.log" >&2; bh_fail "--check-config of the shipped /etc/beachhead.conf"; }
grep -q 'configuration /etc/beachhead.conf is valid' "$T/check.log" ||
	{ cat "$T/check.log" >&2; bh_fail "--check-config did not check /etc/beachhead.conf"; }

# The shipped configuration as the service user, once, as a dry run: the
# real inspector-docker against whatever engine this host has.  Without one
# the documented outcome is exit status 1 and "engine unreachable"; status 2
# would mean that the configuration or a plugin was refused.
runuser -u beachhead -- beachhead-companion --dry-run --refresh 0 --no-timestamp \
	>"$T/shipped.out" 2>"$T/shipped.err"
status=$?
if [ -S /var/run/docker.sock ]; then
	[ "$status" -le 1 ] || { cat "$T/shipped.err" >&2; bh_fail "shipped configuration: status $status"; }
else
	[ "$status" -eq 1 ] && grep -q 'engine unreachable' "$T/shipped.err" ||
		{ cat "$T/shipped.err" >&2; bh_fail "shipped configuration without an engine: status $status"; }
fi
grep -q 'started: inspector inspector-docker, 1 publisher' "$T/shipped.err" ||
	{ cat "$T/shipped.err" >&2; bh_fail "shipped configuration: the daemon did not start its plugins"; }

# The scripted test inspector, built against the installed header only.
mkdir "$T/scripted"
printf '%s\n' '#define _GNU_SOURCE 1' '#define PACKAGE_VERSION "test"' >"$T/scripted/config.h"
# shellcheck disable=SC2046 # pkg-config output is a list of flags
cc -std=c11 -Wall -Werror -fPIC -shared -fvisibility=hidden -I"$T/scripted" \
	$(pkg-config --cflags beachhead-plugin) -o "$T/scripted/inspector-scripted.so" \
	"$top_srcdir/tests/plugins/scripted_inspector.c" $(pkg-config --libs beachhead-plugin) 2>"$T/cc.log" ||
	{ cat "$T/cc.log" >&2; bh_fail "building the scripted inspector against /usr/include/beachhead"; }
printf '%s\n' 'up web 10.0.0.1 example.org' >"$T/script"
cat >"$T/dry.conf" <<CONF
inspector = { plugin = "$T/scripted/inspector-scripted.so"; script = "$T/script"; };
publishers = ( { plugin = "publisher-redis"; } );  # --dry-run replaces it
enumerate = true;
CONF
beachhead-companion -c "$T/dry.conf" --dry-run --refresh 0 --no-timestamp >"$T/dry.out" 2>"$T/dry.err" ||
	{ cat "$T/dry.err" >&2; bh_fail "dry run of the installed daemon"; }
printf '%s\n' '{"op":"set","key":"/beachhead/web","ttl":60,"value":[{"id":"example_org","domain":"example.org","http":{"host":"10.0.0.1","port":80},"https":{"host":"10.0.0.1","port":443}}]}' >"$T/dry.expected"
# Published when the script reports it and refreshed by the one pass: the
# same line, twice.
sort -u "$T/dry.out" | cmp "$T/dry.expected" - || { cat "$T/dry.out" >&2; bh_fail "dry run output"; }

# --- 5. the example against the installed -dev package ---------------------
[ "$(pkg-config --variable=plugindir beachhead-plugin)" = "$plugindir" ] ||
	bh_fail "plugindir of the -dev package is not the daemon's $plugindir"
mkdir "$T/example" "$T/files"
cp "$top_srcdir/examples/publisher-jsonfile/Makefile" \
	"$top_srcdir/examples/publisher-jsonfile/publisher_jsonfile.c" "$T/example/"
bh_on_exit "rm -f '$plugindir/publisher-jsonfile.so'"
make -C "$T/example" CFLAGS='-O2 -Werror' install >"$T/example.log" 2>&1 ||
	{ cat "$T/example.log" >&2; bh_fail "building the example against the -dev package"; }
cat >"$T/files.conf" <<CONF
inspector = { plugin = "$T/scripted/inspector-scripted.so"; script = "$T/script"; };
publishers = ( { plugin = "publisher-jsonfile"; directory = "$T/files"; } );
enumerate = true;
CONF
beachhead-companion -c "$T/files.conf" --refresh 0 >"$T/files.out" 2>&1 ||
	{ cat "$T/files.out" >&2; bh_fail "installed daemon with the installed example plugin"; }
printf '%s' '[{"id":"example_org","domain":"example.org","http":{"host":"10.0.0.1","port":80},"https":{"host":"10.0.0.1","port":443}}]' >"$T/web.expected"
cmp "$T/web.expected" "$T/files/web.json" || bh_fail "web.json written through the installed example"

# --- 6. conffile across a reinstall, purge ---------------------------------
echo '# edited by deb.sh' >>/etc/beachhead.conf
dpkg -i "$main_deb" >"$T/reinstall.log" 2>&1 || { cat "$T/reinstall.log" >&2; bh_fail "reinstall"; }
grep -q '^# edited by deb.sh' /etc/beachhead.conf || bh_fail "the edited conffile was replaced on reinstall"
if [ -z "${BH_KEEP_DEB:-}" ]; then
	rm -f "$plugindir/publisher-jsonfile.so"
	dpkg --purge beachhead-companion-dev beachhead-companion >"$T/purge.log" 2>&1 ||
		{ cat "$T/purge.log" >&2; bh_fail "purge"; }
	[ ! -e /etc/beachhead.conf ] || bh_fail "/etc/beachhead.conf survived the purge"
	[ ! -e /lib/systemd/system/beachhead-companion.service ] || bh_fail "the unit survived the purge"
fi

bh_note "Debian packages: installed, checked, ran the installed daemon and plugins: OK"
exit 0
