#!/bin/sh
# Builds the Debian packages (beachhead-companion, beachhead-companion-dev)
# from the current source tree, in a clean copy so that an in-tree build or
# configure run of the working tree does not leak into the package.
#   sh tools/build-deb.sh [OUTDIR]        # default OUTDIR: _deb/
# Installs the build dependencies of debian/control with apt-get (as root or
# through sudo).  Set BH_NO_APT=1 to skip that step.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
out=${1:-$top/_deb}
case $out in /*) ;; *) out=$top/$out ;; esac

if [ -z "${BH_NO_APT:-}" ]; then
	if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends dpkg-dev debhelper fakeroot >/dev/null
	# The Build-Depends of debian/control.
	$SUDO apt-get build-dep -y -qq ./ >/dev/null
fi

work=$(mktemp -d /tmp/bh-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/beachhead-companion"
# Tracked and new files, never build products (.gitignore); from a tarball
# (no .git) the whole tree, which is clean by construction.
if [ -e .git ] && command -v git >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null |
		tar -C "$work/beachhead-companion" -xf -
else
	tar --exclude=./_build* --exclude=./_deb -cf - . | tar -C "$work/beachhead-companion" -xf -
fi
# A tracked, stale configure result would defeat the clean build.
rm -f "$work/beachhead-companion/confdefs.h" "$work/beachhead-companion/config.status"

(cd "$work/beachhead-companion" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
	{ tail -n 60 "$work/build.log" >&2; echo "build-deb.sh: dpkg-buildpackage failed" >&2; exit 1; }
mkdir -p "$out"
cp "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
cp "$work/build.log" "$out/build.log"
echo "build-deb.sh: packages in $out:"
ls "$out"/*.deb
