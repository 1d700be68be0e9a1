#!/bin/sh
# Replays every fuzz target's corpus (seeds and past crashes) through the
# same code the fuzzers exercise; a crash or sanitizer report fails the test.
. "$top_srcdir/tests/lib/common.sh"
for target in domain_spec docker_json config; do
	"$top_builddir/fuzz/replay_$target" "$top_srcdir/fuzz/corpus/$target" ||
		bh_fail "replaying the $target corpus"
done
