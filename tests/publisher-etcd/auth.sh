#!/bin/sh
# publisher-etcd with etcd auth: a user with read-write on /beachhead/ and a
# password_file.  Tokens expire after 2 s unused here (--auth-token-ttl), less
# than the keep-alive interval, so the daemon must renew its token: keys stay
# and new containers still appear.  A wrong password is an error naming the
# user.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
BH_ETCD_EXTRA="--auth-token-ttl 2"
bh_etcd_start 23790
TTL=9

bh_etcd_auth 's3cret pass'
printf 's3cret pass\n' >"$BH_TMP/password"
printf 'wrong\n' >"$BH_TMP/wrong"

printf '%s\n' 'up web 10.0.0.1 web.example.org' "await $BH_TMP/cue" 'up api 10.0.0.2 api.example.org' \
	>"$BH_TMP/script"
bh_etcd_config "$BH_TMP/c.conf" "$BH_TMP/script" "user = \"beachhead\"; password_file = \"$BH_TMP/password\";"
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp --verbose --expire $TTL --refresh 6 --host-id hostA \
	>"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
bh_etcd_expect_keys 10 /beachhead/hostA/ /beachhead/hostA/web || { cat "$BH_TMP/err" >&2; bh_fail "first key"; }
lease=$(bh_etcd_field /beachhead/hostA/web lease)

# Past the token's life (and a keep-alive or two): still writing.
sleep 4
touch "$BH_TMP/cue"
bh_etcd_expect_keys 5 /beachhead/hostA/ "/beachhead/hostA/web /beachhead/hostA/api" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "no write after the token expired"; }
sleep $((TTL - 4))
[ "$(bh_etcd_field /beachhead/hostA/web lease)" = "$lease" ] ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the lease was not kept alive through token renewals"; }
grep -q "token refused .*; authenticating again" "$BH_TMP/err" || bh_fail "the token was never renewed"
! grep -q "warning\|error" "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "warnings while renewing tokens"; }
kill -TERM "$pid"
wait "$pid" || bh_fail "exit status $?"

# A wrong password: one pass fails, and says who could not log in.
bh_etcd_config "$BH_TMP/w.conf" "$BH_TMP/script" "user = \"beachhead\"; password_file = \"$BH_TMP/wrong\";"
printf 'up web 10.0.0.1 web.example.org\n' >"$BH_TMP/script"
$(bh_daemon_cmd) -c "$BH_TMP/w.conf" --no-timestamp --expire $TTL --refresh 0 --host-id hostB \
	>"$BH_TMP/w.out" 2>"$BH_TMP/w.err"
status=$?
[ "$status" = 1 ] || { cat "$BH_TMP/w.err" >&2; bh_fail "wrong password: exit status $status, expected 1"; }
grep -q "authentication as 'beachhead' failed: .*invalid user ID or password" "$BH_TMP/w.err" ||
	{ cat "$BH_TMP/w.err" >&2; bh_fail "wrong password: no message naming the user"; }
[ -z "$(bh_etcd_keys /beachhead/hostB/)" ] || bh_fail "wrong password: keys were written"
# A user that may write but not read: the daemon cannot compare or watch,
# writes nothing, and says why at error level (once).
bh_etcdctl role add writer >/dev/null &&
	bh_etcdctl role grant-permission writer --prefix=true write /beachhead/ >/dev/null &&
	bh_etcdctl user add writer --new-user-password=wpw --interactive=false >/dev/null &&
	bh_etcdctl user grant-role writer writer >/dev/null || bh_fail "setting up the write-only user"
printf 'wpw\n' >"$BH_TMP/wpw"
bh_etcd_config "$BH_TMP/wo.conf" "$BH_TMP/script" "user = \"writer\"; password_file = \"$BH_TMP/wpw\";"
$(bh_daemon_cmd) -c "$BH_TMP/wo.conf" --no-timestamp --expire $TTL --refresh 1 --host-id hostW \
	>"$BH_TMP/wo.out" 2>"$BH_TMP/wo.err" &
pid=$!
bh_wait_for 10 'grep -q "error: etcd refuses the claim on /beachhead/hostW/@owner (.*permission denied).*needs read-write" "$BH_TMP/wo.err"' \
	"the refused read reported" || { cat "$BH_TMP/wo.err" >&2; bh_fail "a write-only user was not reported"; }
sleep 2
[ "$(grep -c "error:" "$BH_TMP/wo.err")" = 1 ] && ! grep -q "warning:" "$BH_TMP/wo.err" ||
	{ cat "$BH_TMP/wo.err" >&2; bh_fail "not reported exactly once"; }
[ -z "$(bh_etcd_keys /beachhead/hostW/)" ] || bh_fail "the write-only user's daemon wrote keys"
kill -TERM "$pid"
wait "$pid"
bh_check_valgrind
exit 0
