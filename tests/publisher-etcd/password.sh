#!/bin/sh
# publisher-etcd's password_file is read again at each authentication:
#   1. rotation without SIGHUP: etcd's password and the file change; the
#      next token (tokens live 2 s here) is fetched with the new password,
#      and new containers still appear;
#   2. a SIGHUP whose new password etcd refuses: the new instance keeps
#      authenticating with the password etcd accepted, says so at error
#      level, keeps the lease and publishes on;
#   3. the file corrected later: it is used again at the next token.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
BH_ETCD_EXTRA="--auth-token-ttl 2"
bh_etcd_start 23805
TTL=9

bh_etcd_auth first
printf 'first\n' >"$BH_TMP/password"
passwd() { # passwd NEW: etcd's password for the daemon's user
	printf '%s\n' "$1" | bh_etcdctl user passwd beachhead --interactive=false >/dev/null || bh_fail "etcdctl user passwd"
}

printf '%s\n' 'up web 10.0.0.1 web.example.org' "await $BH_TMP/cue1" 'up one 10.0.0.2 one.example.org' \
	"await $BH_TMP/cue2" 'up two 10.0.0.3 two.example.org' "await $BH_TMP/cue3" \
	'up three 10.0.0.4 three.example.org' >"$BH_TMP/script"
bh_etcd_config "$BH_TMP/c.conf" "$BH_TMP/script" "user = \"beachhead\"; password_file = \"$BH_TMP/password\";"
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp --expire $TTL --refresh 2 --host-id hostA \
	>"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
NS=/beachhead/hostA
bh_etcd_expect_keys 10 $NS/ $NS/web || { cat "$BH_TMP/err" >&2; bh_fail "first key"; }
lease=$(bh_etcd_field $NS/web lease)

# 1. A secret manager rotates the password: etcd first, then the file.
passwd second
printf 'second\n' >"$BH_TMP/password"
sleep 3 # the token in use expires
touch "$BH_TMP/cue1"
bh_etcd_expect_keys 10 $NS/ "$NS/one $NS/web" || { cat "$BH_TMP/err" >&2; bh_fail "no write after the rotation"; }
grep -q "password_file $BH_TMP/password changed" "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "the rotation was not noticed"; }

# 2. A reload with a password etcd does not know.
printf 'typo\n' >"$BH_TMP/password"
kill -HUP "$pid"
bh_wait_for 10 "grep -q 'reloaded ' '$BH_TMP/err'" "the reload" || { cat "$BH_TMP/err" >&2; bh_fail "no reload"; }
touch "$BH_TMP/cue2"
bh_etcd_expect_keys 10 $NS/ "$NS/one $NS/two $NS/web" || { cat "$BH_TMP/err" >&2; bh_fail "the reload broke a working link"; }
[ "$(bh_etcd_field $NS/web lease)" = "$lease" ] || bh_fail "the reload lost the lease"
grep -q "error: etcd refuses the password in $BH_TMP/password for user .beachhead.; still authenticating with the previous password" "$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the refused password was not reported"; }
[ "$(grep -c "error: etcd refuses the password" "$BH_TMP/err")" = 1 ] || { cat "$BH_TMP/err" >&2; bh_fail "not said once"; }

# 3. The file corrected (etcd's password changed to match): used at the
# next authentication.
passwd third
printf 'third\n' >"$BH_TMP/password"
sleep 3
touch "$BH_TMP/cue3"
bh_etcd_expect_keys 15 $NS/ "$NS/one $NS/three $NS/two $NS/web" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "no write with the corrected file"; }
[ "$(bh_etcd_field $NS/web lease)" = "$lease" ] || bh_fail "the lease was lost"
kill -TERM "$pid"
wait "$pid" || bh_fail "exit status $?"
bh_check_valgrind
exit 0
