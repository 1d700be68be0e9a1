#!/bin/sh
# Password rotation against a real redis-server with ACLs:
#   1. a secret manager rotates the password (ACL SETUSER ... resetpass,
#      password_file rewritten) and the server drops the daemon's
#      connections: at the refused AUTH the daemon reads password_file again
#      and goes on with the new password, no SIGHUP;
#   2. the same with requirepass (CONFIG SET requirepass, the default user,
#      a password alone);
#   3. a SIGHUP whose new password the server refuses: the daemon logs the
#      refusal at error level and keeps publishing with the credentials
#      that worked (a key deleted after the reload comes back);
#   4. then the server adopts that new password: the earlier credentials
#      are refused, and the daemon goes back to the configured ones.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup
bh_redis_cli acl setuser admin on '>admin-pass' '~*' '&*' '+@all' >/dev/null || bh_fail "ACL SETUSER admin"
bh_redis_cli acl setuser beachhead on '>pw1' '~*' '&*' '+@all' >/dev/null || bh_fail "ACL SETUSER"
BH_REDIS_CLI_AUTH="--user admin --pass admin-pass"
bh_redis_cli config set requirepass default-pass >/dev/null || bh_fail "requirepass"

printf '%s\n' 'up web 10.60.0.1 web.example.org' "await $BH_TMP/cue1" 'up late1 10.60.0.2 late1.example.org' \
	"await $BH_TMP/cue2" 'up late2 10.60.0.3 late2.example.org' >"$BH_TMP/script"
# put_password WORD: the file rewritten as a secret manager does (replaced whole)
put_password() {
	(umask 077 && printf '%s\n' "$1" >"$BH_TMP/password.new") && mv "$BH_TMP/password.new" "$BH_TMP/password" ||
		bh_fail "cannot write the password file"
}
put_password pw1
bh_redis_config_file "$BH_TMP/beachhead.conf" unix \
	"user = \"beachhead\"; password_file = \"$BH_TMP/password\";" 'refresh = 1;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }
bh_redis_wait_keys 1 10 /beachhead/web || fail "web never appeared"

# 1. ACL rotation.
bh_redis_cli acl setuser beachhead resetpass '>pw2' >/dev/null || bh_fail "rotate"
put_password pw2
bh_redis_cli client kill user beachhead >/dev/null
touch "$BH_TMP/cue1"
bh_redis_wait_keys 1 10 /beachhead/late1 || fail "nothing published after the rotation"
grep -q "refused the password (WRONGPASS.*); $BH_TMP/password holds another one now" "$BH_TMP/err" ||
	fail "the re-read was not logged"
grep -q 'error:' "$BH_TMP/err" && fail "a rotation picked up at once logged an error"
bh_redis_stop_daemon 2>/dev/null

# 2. requirepass (the default user, a password alone).
put_password default-pass
bh_redis_config_file "$BH_TMP/default.conf" unix "password_file = \"$BH_TMP/password\";" 'refresh = 1;'
rm -f "$BH_TMP/cue1" "$BH_TMP/cue2"
bh_redis_start_daemon "$BH_TMP/default.conf"
bh_wait_for 10 "grep -q 'connected to redis' '$BH_TMP/err'" "the connection" || fail "not connected"
bh_redis_cli config set requirepass default-pass2 >/dev/null || bh_fail "requirepass 2"
put_password default-pass2
bh_redis_cli client kill type normal skipme yes >/dev/null
bh_redis_cli del /beachhead/late1 >/dev/null
touch "$BH_TMP/cue1"
bh_redis_wait_keys 1 10 /beachhead/late1 || fail "requirepass: nothing published after the rotation"

# 3. SIGHUP with a password the server refuses.
put_password not-the-password
kill -HUP "$BH_REDIS_DAEMON_PID"
bh_wait_for 10 "grep -q 'error: .*refused the password now configured' '$BH_TMP/err'" \
	"the refusal after the reload" || fail "the refused new password was not logged"
bh_redis_cli del /beachhead/web >/dev/null
touch "$BH_TMP/cue2"
bh_redis_wait_keys 2 10 /beachhead/web /beachhead/late2 || fail "the reloaded daemon does not publish"
kill -0 "$BH_REDIS_DAEMON_PID" || fail "the daemon died"

# 4. The server then adopts the configured password (the client was
# rotated first, then the server) and drops the connections: the old
# credentials are refused now, the configured ones work.
bh_redis_cli config set requirepass not-the-password >/dev/null || bh_fail "requirepass 3"
bh_redis_cli client kill type normal skipme yes >/dev/null
bh_redis_cli del /beachhead/web >/dev/null
bh_redis_wait_keys 1 10 /beachhead/web ||
	fail "the configured password was never tried again once the earlier one was refused"
bh_redis_stop_daemon
bh_check_valgrind
exit 0
