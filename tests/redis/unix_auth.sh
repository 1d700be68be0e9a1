#!/bin/sh
# Unix socket (wins over host/port), requirepass with `password` and a
# database (SELECT), then an ACL user restricted to /beachhead/* with
# `password_file` (trailing newline stripped, spaces kept).  One-pass runs:
# exit status 0 proves every command was acknowledged before exit.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_require
bh_setup_tmp
bh_redis_start --requirepass 'default pass'

bh_redis_cli() {
	redis-cli --no-auth-warning -a 'default pass' -s "$BH_REDIS_SOCK" "$@"
}

echo 'up web 10.3.0.2 example.org' >"$BH_TMP/script"

# 1. password + database, over the unix socket; host/port point nowhere.
cat >"$BH_TMP/a.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK";
                 host = "192.0.2.1"; port = 1; password = "default pass"; database = 3; } );
enumerate = true;
CONF
$(bh_daemon_cmd) -c "$BH_TMP/a.conf" --no-timestamp --refresh 0 2>"$BH_TMP/a.err"
status=$?
cat "$BH_TMP/a.err" >&2
[ "$status" -eq 0 ] || bh_fail "password run exited with $status"
[ "$(bh_redis_cli -n 3 exists /beachhead/web)" = 1 ] || bh_fail "key not in database 3"
[ "$(bh_redis_cli -n 0 dbsize)" = 0 ] || bh_fail "database 0 was written"
grep -q "connected to redis unix:$BH_REDIS_SOCK, database 3" "$BH_TMP/a.err" ||
	bh_fail "no 'connected' line naming the socket and database"
! grep -q 'default pass' "$BH_TMP/a.err" || bh_fail "the password was logged"

# 2. ACL user with password_file, allowed only /beachhead/* and SET/DEL.
bh_redis_cli acl setuser beachhead on '>s3cret with spaces' '~/beachhead/*' \
	'+set' '+del' >/dev/null || bh_fail "ACL SETUSER"
printf 's3cret with spaces\n' >"$BH_TMP/password"
cat >"$BH_TMP/b.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK";
                 user = "beachhead"; password_file = "$BH_TMP/password"; } );
enumerate = true;
expire = 40;
CONF
$(bh_daemon_cmd) -c "$BH_TMP/b.conf" --no-timestamp --refresh 0 2>"$BH_TMP/b.err"
status=$?
cat "$BH_TMP/b.err" >&2
[ "$status" -eq 0 ] || bh_fail "ACL run exited with $status"
[ "$(bh_redis_cli get /beachhead/web | grep -c 10.3.0.2)" = 1 ] || bh_fail "ACL run did not SET"
ttl=$(bh_redis_cli ttl /beachhead/web)
[ "$ttl" -ge 39 ] && [ "$ttl" -le 40 ] || bh_fail "TTL $ttl"
! grep -q 's3cret' "$BH_TMP/b.err" || bh_fail "the password was logged"

# 3. The same user under a prefix its ACL forbids: a per-key error, exit 1.
$(bh_daemon_cmd) -c "$BH_TMP/b.conf" --no-timestamp --refresh 0 --key-prefix /other/ \
	2>"$BH_TMP/c.err"
status=$?
cat "$BH_TMP/c.err" >&2
[ "$status" -eq 1 ] || bh_fail "forbidden prefix: exit status $status, expected 1"
grep -q "SET /other/web on redis unix:.* failed: NOPERM" "$BH_TMP/c.err" || bh_fail "no NOPERM error"
bh_check_valgrind
