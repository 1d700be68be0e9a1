#!/bin/sh
# Unix socket (wins over host/port), requirepass with `password` and a
# database (SELECT), then an ACL user restricted to /beachhead/* with
# `password_file` (trailing newline stripped, spaces kept).  One-pass runs:
# exit status 0 proves every command was acknowledged before exit.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --requirepass 'default pass'

bh_redis_cli() {
	redis-cli --no-auth-warning -a 'default pass' -s "$BH_REDIS_SOCK" "$@"
}

echo 'up web 10.3.0.2 example.org' >"$BH_TMP/script"

# 1. password + database, over the unix socket; host/port point nowhere.
bh_redis_config_file "$BH_TMP/a.conf" unix 'host = "192.0.2.1"; port = 1; password = "default pass"; database = 3;'
bh_redis_run_once "$BH_TMP/a.conf" "$BH_TMP/a.err" 0 "password run"
[ "$(bh_redis_cli -n 3 exists /beachhead/web)" = 1 ] || bh_fail "key not in database 3"
[ "$(bh_redis_cli -n 0 dbsize)" = 0 ] || bh_fail "database 0 was written"
grep -q "connected to redis unix:$BH_REDIS_SOCK, database 3" "$BH_TMP/a.err" ||
	bh_fail "no 'connected' line naming the socket and database"
! grep -q 'default pass' "$BH_TMP/a.err" || bh_fail "the password was logged"

# 2. ACL user with password_file, allowed only /beachhead/* and SET/DEL,
#    but not the handshake's PING: one clear error naming the missing
#    permission, exit 1 at once.
bh_redis_cli acl setuser beachhead on '>s3cret with spaces' '~/beachhead/*' \
	'+set' '+del' >/dev/null || bh_fail "ACL SETUSER"
printf 's3cret with spaces\n' >"$BH_TMP/password"
bh_redis_config_file "$BH_TMP/b.conf" unix "user = \"beachhead\"; password_file = \"$BH_TMP/password\";" \
	'expire = 40;'
bh_redis_run_once "$BH_TMP/b.conf" "$BH_TMP/noping.err" 1 "ACL user without +ping"
grep -q "refused PING: NOPERM.*(the ACL user needs +ping)" "$BH_TMP/noping.err" ||
	bh_fail "no clear error for the missing +ping"
! grep -q 'still unacknowledged' "$BH_TMP/noping.err" || bh_fail "waited for the drain limit"
bh_redis_cli acl setuser beachhead '+ping' >/dev/null || bh_fail "ACL SETUSER +ping"
bh_redis_run_once "$BH_TMP/b.conf" "$BH_TMP/b.err" 0 "ACL run"
[ "$(bh_redis_cli get /beachhead/web | grep -c 10.3.0.2)" = 1 ] || bh_fail "ACL run did not SET"
ttl=$(bh_redis_cli ttl /beachhead/web)
[ "$ttl" -ge 39 ] && [ "$ttl" -le 40 ] || bh_fail "TTL $ttl"
! grep -q 's3cret' "$BH_TMP/b.err" || bh_fail "the password was logged"

# 3. The same user under a prefix its ACL forbids: a refused write, retried
#    until the drain limit, exit 1.
bh_redis_run_once "$BH_TMP/b.conf" "$BH_TMP/c.err" 1 "forbidden prefix" --key-prefix /other/
grep -q "redis unix:.* refuses writes: NOPERM.*(first: SET /other/web)" "$BH_TMP/c.err" ||
	bh_fail "no NOPERM error"
bh_check_valgrind
