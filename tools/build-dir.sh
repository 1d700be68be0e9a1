# Sourced by tools/test.sh and tools/quickstart.sh: builds this checkout and
# sets bh_build to the directory that holds the build.
#
# One checkout serves both habits: README builds out of tree in _build/, as
# these scripts do; a checkout already configured in the source directory
# (./configure by hand) is built there instead, since automake refuses a
# second, out-of-tree configuration of a configured source directory
# ("source directory already configured").
#
#   bh_build_here TOP [CONFIGURE-ARGS...]   # configure if needed, then make
bh_build_dir() { # TOP: prints the build directory
	if [ -f "$1/config.status" ]; then
		echo "$1"
	else
		echo "$1/_build"
	fi
}

bh_build_here() {
	bh_top=$1
	shift
	bh_build=$(bh_build_dir "$bh_top")
	if [ "$bh_build" = "$bh_top" ]; then
		echo "build: using the in-tree configuration of $bh_top (./configure was run there)"
	elif [ ! -f "$bh_build/Makefile" ]; then
		echo "build: configuring in $bh_build"
		[ -x "$bh_top/configure" ] || (cd "$bh_top" && autoreconf -fi) || return 1
		mkdir -p "$bh_build" && (cd "$bh_build" && "$bh_top/configure" -q "$@") || return 1
	fi
	echo "build: make in $bh_build"
	make -s -C "$bh_build" -j"$(nproc)"
}
