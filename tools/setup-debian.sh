#!/bin/sh
# Installs what beachhead-companion needs on Debian 12 (bookworm), saying
# what it installs.  Runs apt-get as root, or through sudo.
#   sh tools/setup-debian.sh               # everything: build, run, whole test suite
#   sh tools/setup-debian.sh --tests       # the same
#   sh tools/setup-debian.sh --build       # only what building needs (configure
#                                          # requires check too: the unit tests' library)
#   sh tools/setup-debian.sh --quickstart  # building + Docker Engine, Redis (tools/quickstart.sh)
set -eu

# The whole test toolchain (make check starts real engines and servers).
# prometheus: the metrics tests start their own on loopback (and use its
# promtool); on a host with systemd the package also enables its own
# prometheus.service on :9090 (systemctl disable --now prometheus).
PACKAGES="
build-essential autoconf automake libtool pkg-config
libhiredis-dev libcurl4-openssl-dev libjson-c-dev libconfig-dev libsystemd-dev libmicrohttpd-dev check
docker.io busybox-static podman crun iproute2 procps
redis-server redis-sentinel redis-tools
etcd-server etcd-client
curl valgrind ca-certificates openssl python3 socat iproute2
nginx libnginx-mod-stream haproxy golang-go prometheus
"
# configure requires check (the unit tests link it), so building needs it
# too; tests/packaging/clean_root.sh proves this list on a clean Debian 12.
BUILD_PACKAGES="
build-essential autoconf automake libtool pkg-config
libhiredis-dev libcurl4-openssl-dev libjson-c-dev libconfig-dev libsystemd-dev libmicrohttpd-dev check
"
# quickstart.sh --demo imports busybox-static as its sample image and runs
# the engine in namespaces of its own (unshare, ip, pgrep).
QUICKSTART_PACKAGES="$BUILD_PACKAGES docker.io busybox-static redis-server redis-tools curl iproute2 procps"

case ${1:---tests} in
--tests) ;;
--build) PACKAGES=$BUILD_PACKAGES ;;
--quickstart) PACKAGES=$QUICKSTART_PACKAGES ;;
*) echo "usage: sh tools/setup-debian.sh [--tests | --build | --quickstart]" >&2; exit 2 ;;
esac

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "setup-debian.sh: run as root or install sudo" >&2
	exit 1
fi

# Only what is missing, so that a second run is quiet and quick.
missing=""
for pkg in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing="$missing $pkg"
done
if [ -z "$missing" ]; then
	echo "setup-debian.sh: everything needed is installed"
	exit 0
fi
echo "setup-debian.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
echo "setup-debian.sh: apt-get update"
$SUDO apt-get update -qq
# Progress stays visible (no -qq): this is the long step on a fresh machine.
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO apt-get install -y --no-install-recommends $missing
echo "setup-debian.sh: done"
