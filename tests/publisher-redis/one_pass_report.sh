#!/bin/sh
# A one-pass run (refresh 0) says what it really wrote: a "registering" line
# only for a registration the store acknowledged, the store's errors before
# "stopping", and exit status 1 when anything was not written:
#   * a refused password: no "registering" line, the AUTH error and the
#     unwritten key named before "stopping";
#   * a store that never answers (nothing listens on the port): the
#     unacknowledged operations and the unwritten key before "stopping";
#   * a healthy store: "registering" before "stopping", exit 0.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --requirepass right-one
echo 'up web 10.4.0.2 example.org' >"$BH_TMP/script"

# before FILE FIRST SECOND: FIRST occurs on an earlier line than SECOND.
before() {
	a=$(grep -n -- "$2" "$1" | head -n 1 | cut -d: -f1)
	b=$(grep -n -- "$3" "$1" | head -n 1 | cut -d: -f1)
	[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
}

bh_redis_config_file "$BH_TMP/wrong.conf" unix 'password = "Wr0ng-Secret";'
bh_redis_run_once "$BH_TMP/wrong.conf" "$BH_TMP/wrong.err" 1 "refused password"
! grep -q 'registering' "$BH_TMP/wrong.err" || bh_fail "refused password: a 'registering' line for a key never written"
before "$BH_TMP/wrong.err" 'refused AUTH' 'stopping: one pass done' || bh_fail "refused password: the store error came after 'stopping'"
before "$BH_TMP/wrong.err" 'container web: /beachhead/web is not known to be written' 'stopping: one pass done' ||
	bh_fail "refused password: the unwritten key was not named before 'stopping'"

# 127.0.0.1:17201: in this test's port range, nothing listens there.
bh_redis_config_file "$BH_TMP/down.conf" none 'host = "127.0.0.1"; port = 17201;'
bh_redis_run_once "$BH_TMP/down.conf" "$BH_TMP/down.err" 1 "unreachable store"
! grep -q 'registering' "$BH_TMP/down.err" || bh_fail "unreachable store: a 'registering' line for a key never written"
before "$BH_TMP/down.err" 'operations still unacknowledged' 'stopping: one pass done' ||
	bh_fail "unreachable store: the unacknowledged operations came after 'stopping'"

bh_redis_config_file "$BH_TMP/good.conf" unix 'password = "right-one";'
bh_redis_run_once "$BH_TMP/good.conf" "$BH_TMP/good.err" 0 "healthy store"
before "$BH_TMP/good.err" 'container web: registering /beachhead/web' 'stopping: one pass done' ||
	bh_fail "healthy store: no 'registering' line before 'stopping'"
[ "$(redis-cli --no-auth-warning -a right-one -s "$BH_REDIS_SOCK" exists /beachhead/web)" = 1 ] || bh_fail "healthy store: key missing"
