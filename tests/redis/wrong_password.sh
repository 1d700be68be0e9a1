#!/bin/sh
# A wrong password: one clear error line that names the server but never the
# password, retries with backoff (no line per retry), and as soon as the
# server accepts the password the registrations arrive.  In one-pass mode a
# refused password makes the exit status 1.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_require
bh_setup_tmp
bh_redis_start --requirepass right-one
bh_redis_cli() {
	redis-cli --no-auth-warning -a "${PASS:-right-one}" -s "$BH_REDIS_SOCK" "$@"
}

echo 'up web 10.4.0.2 example.org' >"$BH_TMP/script"
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; host = "127.0.0.1"; port = $BH_REDIS_PORT;
                 password = "Wr0ng-Secret"; } );
enumerate = true;
CONF

$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid"
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
bh_wait_for 8 "[ \"\$(bh_redis_cli exists /beachhead/web)\" = 1 ]" "the key after the fix" ||
	fail "the key did not arrive after the password became right"
grep -q "connected to redis 127.0.0.1:$BH_REDIS_PORT" "$BH_TMP/err" || fail "no 'connected' line"
kill -TERM $pid
wait $pid
status=$?
[ "$status" -eq 0 ] || fail "daemon exited with $status"
cat "$BH_TMP/err" >&2

# One-pass mode against the wrong password: exit status 1 at once, without
# waiting out the core's 5 s drain limit.
bh_redis_cli config set requirepass right-one >/dev/null || bh_fail "CONFIG SET back"
PASS=right-one
$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp --refresh 0 2>"$BH_TMP/once.err"
status=$?
cat "$BH_TMP/once.err" >&2
[ "$status" -eq 1 ] || bh_fail "one pass with a wrong password: exit status $status, expected 1"
! grep -q 'still unacknowledged' "$BH_TMP/once.err" || bh_fail "waited for the drain limit"
bh_check_valgrind

# No password configured for a server that requires one, and a database the
# server does not have: each is one clear error, exit status 1.
cat >"$BH_TMP/nopass.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; } );
enumerate = true;
CONF
$(bh_daemon_cmd) -c "$BH_TMP/nopass.conf" --no-timestamp --refresh 0 2>"$BH_TMP/nopass.err"
status=$?
cat "$BH_TMP/nopass.err" >&2
[ "$status" -eq 1 ] || bh_fail "no password: exit status $status, expected 1"
grep -q "redis unix:$BH_REDIS_SOCK refused access without a password (NOAUTH" "$BH_TMP/nopass.err" ||
	bh_fail "no password: no clear error"
cat >"$BH_TMP/baddb.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; password = "right-one";
                 database = 4711; } );
enumerate = true;
CONF
$(bh_daemon_cmd) -c "$BH_TMP/baddb.conf" --no-timestamp --refresh 0 2>"$BH_TMP/baddb.err"
status=$?
cat "$BH_TMP/baddb.err" >&2
[ "$status" -eq 1 ] || bh_fail "bad database: exit status $status, expected 1"
grep -q "refused SELECT (ERR DB index is out of range" "$BH_TMP/baddb.err" || bh_fail "bad database: no clear error"
bh_check_valgrind
