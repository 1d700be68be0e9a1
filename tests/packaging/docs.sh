#!/bin/sh
# What a newcomer reads must hold: the by-hand build in README gives a
# working install (the configuration where the daemon reads it), the
# --systemd default is stated the same way everywhere, the sample file does
# not pin the engine URL (which would hide DOCKER_HOST), metrics stay off in
# the sample file and the unit.
. "$top_srcdir/tests/lib/common.sh"
T=$top_srcdir

grep -q '^    \.\./configure --sysconfdir=/etc' "$T/README.md" ||
	bh_fail "README's by-hand build does not configure --sysconfdir=/etc"
grep -q '^    mkdir -p _build && cd _build' "$T/README.md" ||
	bh_fail "README's by-hand build is not in _build/ (as tools/*.sh build)"
grep -q '^| `--systemd` | automatic' "$T/README.md" || bh_fail "README: --systemd default is not 'automatic'"
grep -q '^| `systemd` | bool | automatic' "$T/README.md" || bh_fail "README: systemd setting default is not 'automatic'"
grep -q 'Default: automatic' "$T/man/beachhead-companion.8.in" || bh_fail "beachhead-companion(8): --systemd default"
grep -q '^[[:space:]]*metrics_listen' "$T/etc/beachhead.conf" &&
	bh_fail "etc/beachhead.conf turns metrics on (they are off by default)"
grep -q '^# metrics_listen = "127.0.0.1:9477";' "$T/etc/beachhead.conf" ||
	bh_fail "etc/beachhead.conf does not show metrics_listen commented"
grep -q -- '--metrics-listen' "$T/etc/beachhead-companion.service.in" && bh_fail "the unit turns metrics on"
grep -q '^[[:space:]]*url[[:space:]]*=' "$T/etc/beachhead.conf" &&
	bh_fail "etc/beachhead.conf sets url: DOCKER_HOST would be ignored"

exit 0
