# A minimal Debian 12 root for "fresh machine" proofs and as the image
# base (tests/packaging/clean_root.sh, tests/packaging/image.sh).  Source it
# after tests/lib/common.sh and bh_setup_tmp.
#
# Commands run in the root through bh_clean_root_run: a chroot inside its
# own mount and PID namespaces (unshare -m -p), with /proc mounted there and
# unmounted by a trap; whatever the mount or a package's maintainer script
# leaves behind dies with the namespaces, never reaching the host.  The
# network is the host's: apt-get reaches Debian's mirror as on a real machine.

bh_clean_root_require() {
	bh_require_root "mmdebstrap and chroot"
	for cmd in mmdebstrap chroot unshare git tar; do
		command -v "$cmd" >/dev/null 2>&1 || bh_skip "$cmd is not installed (apt-get install mmdebstrap)"
	done
}

# bh_clean_root_build TARBALL: mmdebstrap with the machine's apt sources.
bh_clean_root_build() {
	mmdebstrap --quiet --variant=minbase bookworm "$1" >"$BH_TMP/mmdebstrap.log" 2>&1 ||
		{ tail -n 30 "$BH_TMP/mmdebstrap.log" >&2; bh_fail "mmdebstrap --variant=minbase bookworm"; }
}

# bh_clean_root_unpack TARBALL DIR: the root, ready for apt-get in a chroot.
bh_clean_root_unpack() {
	mkdir -p "$2" && tar -C "$2" -xf "$1" || bh_fail "cannot unpack the root"
	cp /etc/resolv.conf "$2/etc/resolv.conf" || bh_fail "cannot copy /etc/resolv.conf"
	# What every chroot build does: maintainer scripts must not start
	# services (docker.io, redis-server) in a chroot.
	printf '#!/bin/sh\nexit 101\n' >"$2/usr/sbin/policy-rc.d" && chmod +x "$2/usr/sbin/policy-rc.d" ||
		bh_fail "cannot write policy-rc.d"
	bh_on_exit "rm -rf '$2'"
}

# bh_clean_root_copy_checkout TOP DIR: the files a clone of this checkout
# has (tracked, plus new files not ignored), nothing built.
bh_clean_root_copy_checkout() {
	mkdir -p "$2" || bh_fail "mkdir $2"
	(cd "$1" && git ls-files -co --exclude-standard | while IFS= read -r f; do
		[ -e "$f" ] && printf '%s\n' "$f"
	done | tar -cf - -T -) | tar -C "$2" -xf - || bh_fail "cannot copy the checkout"
}

# bh_clean_root_run DIR 'commands': runs them as root in the chroot.
bh_clean_root_run() {
	BH_CR_DIR=$1 BH_CR_CMD=$2 unshare -m -p --fork --propagation private sh -c '
		mount -t proc proc "$BH_CR_DIR/proc" || exit 1
		trap "umount \"\$BH_CR_DIR/proc\"" EXIT
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
			chroot "$BH_CR_DIR" /bin/sh -c "$BH_CR_CMD"'
}
