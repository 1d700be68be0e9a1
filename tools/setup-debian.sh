#!/bin/sh
# Installs everything needed to build, test and run beachhead-companion on
# Debian 12 (bookworm).  Runs apt-get as root, or through sudo.
set -eu

PACKAGES="
build-essential autoconf automake libtool pkg-config
libhiredis-dev libcurl4-openssl-dev libjson-c-dev libconfig-dev libsystemd-dev check
docker.io busybox-static podman crun
redis-server redis-sentinel redis-tools
etcd-server etcd-client
curl valgrind ca-certificates openssl python3 socat
nginx libnginx-mod-stream haproxy golang-go
"

if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "setup-debian.sh: run as root or install sudo" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086 # word splitting of the package list is intended
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
echo "setup-debian.sh: build and test dependencies installed"
