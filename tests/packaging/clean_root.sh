#!/bin/sh
# A newcomer's fresh Debian 12, proven: builds a minimal Debian 12 root
# (mmdebstrap --variant=minbase bookworm, from the machine's apt mirror) and
# inside it (chroot) runs
#   1. exactly the commands of README's "Building and installing by hand"
#      block, read from README.md itself (a leading `sudo ` dropped: the
#      chroot runs as root and minbase has no sudo), on a copy of this
#      checkout;
#   2. `sh tools/setup-debian.sh --quickstart`, then checks that what
#      tools/quickstart.sh calls is there.
# Needs root and Debian's mirror, and takes a few minutes (apt downloads),
# so a CI step (.ci/run), not `make check`:
#   sh tests/packaging/clean_root.sh [--save-root FILE]
# --save-root FILE keeps the pristine root tarball in FILE, for
# tests/packaging/image.sh to import as the image base in the same CI run.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/clean_root.sh"

save_root=
case ${1:-} in
--save-root) save_root=${2:?--save-root FILE} ;;
'') ;;
*) echo "usage: sh tests/packaging/clean_root.sh [--save-root FILE]" >&2; exit 2 ;;
esac

bh_clean_root_require
bh_setup_tmp
T=$BH_TMP

bh_note "mmdebstrap --variant=minbase bookworm"
start=$(date +%s)
bh_clean_root_build "$T/root.tar"
bh_note "clean root built in $(( $(date +%s) - start )) s ($(du -m "$T/root.tar" | cut -f1) MiB)"
if [ -n "$save_root" ]; then
	cp "$T/root.tar" "$save_root" || bh_fail "cannot save the root to $save_root"
fi

R=$T/root
bh_clean_root_unpack "$T/root.tar" "$R"
bh_clean_root_copy_checkout "$top_srcdir" "$R/src"

# README's block, exactly: the indented lines after the heading, up to the
# first line that is neither indented nor empty.
awk '/^## Building and installing by hand/ { on = 1; next }
	on && /^    / { print substr($0, 5); seen = 1; next }
	on && seen && !/^$/ { exit }' "$top_srcdir/README.md" |
	sed -e 's/[[:space:]]*#.*$//' -e 's/^sudo //' -e '/^$/d' >"$R/readme-build.sh"
[ -s "$R/readme-build.sh" ] || bh_fail "no build commands found in README.md"
grep -q 'setup-debian.sh' "$R/readme-build.sh" || bh_fail "README's block does not install the dependencies"
bh_note "README's by-hand build, in the clean root:"
sed 's/^/#   /' "$R/readme-build.sh" >&2

start=$(date +%s)
bh_clean_root_run "$R" "cd /src && set -ex && . /readme-build.sh" >"$T/build.log" 2>&1 ||
	{ tail -n 40 "$T/build.log" >&2; bh_fail "README's build commands fail on a clean Debian 12"; }
bh_note "README's build: $(( $(date +%s) - start )) s"
bh_clean_root_run "$R" '/usr/local/sbin/beachhead-companion --version' >"$T/version.log" 2>&1 ||
	{ cat "$T/version.log" >&2; bh_fail "the installed daemon does not run"; }
for f in /usr/local/sbin/beachhead-companion /etc/beachhead.conf \
	/usr/local/lib/beachhead-companion/inspector-docker.so \
	/usr/local/lib/beachhead-companion/publisher-redis.so; do
	[ -e "$R$f" ] || bh_fail "make install did not install $f"
done

start=$(date +%s)
bh_clean_root_run "$R" 'cd /src && sh tools/setup-debian.sh --quickstart' >"$T/quickstart.log" 2>&1 ||
	{ tail -n 40 "$T/quickstart.log" >&2; bh_fail "setup-debian.sh --quickstart fails on a clean Debian 12"; }
bh_note "setup-debian.sh --quickstart: $(( $(date +%s) - start )) s"
# What tools/quickstart.sh (and the test library it borrows) calls.
for cmd in dockerd docker busybox redis-server redis-cli curl unshare setsid ip; do
	bh_clean_root_run "$R" "command -v $cmd" >/dev/null 2>&1 ||
		bh_fail "setup-debian.sh --quickstart did not install $cmd (quickstart needs it)"
done
bh_note "a clean Debian 12 builds, installs and gets quickstart's packages with README's commands"
