#!/bin/sh
# The whole test suite on a fresh Debian 12 machine: installs dependencies,
# builds (out of tree in _build/, or where ./configure already ran, see
# tools/build-dir.sh), runs `make check`.  The integration tests
# start their own Docker Engine, Podman service and redis-server, so they
# need root; as a plain user they are skipped (exit 77) with a reason.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

sh tools/setup-debian.sh --tests
. tools/build-dir.sh
bh_build_here "$top"
cd "$bh_build"
make -j"$(nproc)" check || { cat test-suite.log; exit 1; }
