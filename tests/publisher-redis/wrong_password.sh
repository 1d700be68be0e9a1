#!/bin/sh
# A wrong password: one clear error line that names the server but never the
# password, retries with backoff (no line per retry), and as soon as the
# server accepts the password the registrations arrive.  In one-pass mode a
# refused password makes the exit status 1.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --requirepass right-one
bh_redis_cli() {
	redis-cli --no-auth-warning -a "${PASS:-right-one}" -s "$BH_REDIS_SOCK" "$@"
}

echo 'up web 10.4.0.2 example.org' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" tcp 'password = "Wr0ng-Secret";'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

bh_wait_for 10 "grep -q 'refused AUTH' '$BH_TMP/err'" "the AUTH error" || fail "no AUTH error"
sleep 2 # several retries (100, 200, 400, 800 ms ...)
[ "$(grep -c 'refused AUTH' "$BH_TMP/err")" = 1 ] || fail "the AUTH error was not logged exactly once"
grep -q "error: redis 127.0.0.1:$BH_REDIS_PORT refused AUTH (WRONGPASS" "$BH_TMP/err" ||
	fail "the AUTH error does not name the server and the server's reason"
! grep -q 'Wr0ng-Secret' "$BH_TMP/err" || fail "the password was logged"
[ "$(bh_redis_cli dbsize)" = 0 ] || fail "something was written without authentication"

# The operator fixes the server side: the daemon gets in on its next retry.
bh_redis_cli config set requirepass Wr0ng-Secret >/dev/null || fail "CONFIG SET"
PASS=Wr0ng-Secret
bh_redis_wait_keys 1 8 /beachhead/web || fail "the key did not arrive after the password became right"
grep -q "connected to redis 127.0.0.1:$BH_REDIS_PORT" "$BH_TMP/err" || fail "no 'connected' line"
bh_redis_stop_daemon

# One-pass mode against the wrong password: exit status 1 at once, without
# waiting out the core's 5 s drain limit.
bh_redis_cli config set requirepass right-one >/dev/null || bh_fail "CONFIG SET back"
PASS=right-one
bh_redis_run_once "$BH_TMP/beachhead.conf" "$BH_TMP/once.err" 1 "one pass with a wrong password"
! grep -q 'still unacknowledged' "$BH_TMP/once.err" || bh_fail "waited for the drain limit"
bh_check_valgrind

# No password configured for a server that requires one, and a database the
# server does not have: each is one clear error, exit status 1.
bh_redis_config_file "$BH_TMP/nopass.conf" unix
bh_redis_run_once "$BH_TMP/nopass.conf" "$BH_TMP/nopass.err" 1 "no password"
grep -q "redis unix:$BH_REDIS_SOCK refused access without a password (NOAUTH" "$BH_TMP/nopass.err" ||
	bh_fail "no password: no clear error"
bh_redis_config_file "$BH_TMP/baddb.conf" unix 'password = "right-one"; database = 4711;'
bh_redis_run_once "$BH_TMP/baddb.conf" "$BH_TMP/baddb.err" 1 "bad database"
grep -q "refused SELECT (ERR DB index is out of range" "$BH_TMP/baddb.err" || bh_fail "bad database: no clear error"
bh_check_valgrind
