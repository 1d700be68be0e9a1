#!/bin/sh
# A copy of a running daemon's state_dir (a VM image cloned after the daemon
# ran once: the same owner-token file; the same hostname, so the same host
# id).  The copy finds a claim with its own token on a lease that another
# process keeps alive: that is not a restart of itself.  It must not take the
# claim over (the two would rewrite it back and forth and sweep each other's
# keys): it logs the conflict at error level and waits; the first daemon's
# claim and keys stay at every sample.  SIGKILL of the first: its lease is
# no longer renewed, the copy takes over within one expiry and publishes.
# A record put by hand over its live claim is put back (no daemon claims
# by overwriting).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
bh_etcd_start 23865
TTL=4
NS=/beachhead/clone

printf '%s\n' 'up web 10.0.0.1 web.example.org' 'up api 10.0.0.2 api.example.org' >"$BH_TMP/a.script"
printf '%s\n' 'up web 10.0.9.1 web.example.org' 'up other 10.0.9.2 other.example.org' >"$BH_TMP/b.script"
for d in a b; do
	bh_etcd_config "$BH_TMP/$d.conf" "$BH_TMP/$d.script"
done

start() { # start NAME -> $pid_NAME, state_dir state-NAME
	BEACHHEAD_STATE_DIR="$BH_TMP/state-$1" $(bh_daemon_cmd) -c "$BH_TMP/$1.conf" --no-timestamp \
		--expire $TTL --refresh 1 --host-id clone >"$BH_TMP/$1.out" 2>"$BH_TMP/$1.err" &
	eval "pid_$1=$!"
	bh_on_exit "kill -9 $! 2>/dev/null"
}

start a
bh_etcd_expect_keys 10 $NS/ "$NS/api $NS/web" || { cat "$BH_TMP/a.err" >&2; bh_fail "the first daemon's keys"; }
web_a=$(bh_etcd_get $NS/web)
owner_rev=$(bh_etcd_field $NS/@owner mod_revision)
[ -s "$BH_TMP/state-a/owner-token" ] || bh_fail "no owner-token in the first daemon's state_dir"

# The image: the token is copied; its lease (of the run the image was made
# after) is long gone.
mkdir "$BH_TMP/state-b"
cp "$BH_TMP/state-a/owner-token" "$BH_TMP/state-b/"
start b
# 8 s of samples: two lease TTLs, eight refreshes of the copy.
i=0
while [ $i -lt 40 ]; do
	[ "$(bh_etcd_keys $NS/)" = "$(printf '%s\n' $NS/api $NS/web)" ] && [ "$(bh_etcd_get $NS/web)" = "$web_a" ] ||
		{ cat "$BH_TMP/b.err" >&2; bh_etcd_keys $NS/ >&2; bh_fail "sample $i: the first daemon's keys were touched"; }
	[ "$(bh_etcd_field $NS/@owner mod_revision)" = "$owner_rev" ] ||
		{ cat "$BH_TMP/a.err" "$BH_TMP/b.err" >&2; bh_fail "sample $i: the claim was rewritten: $(bh_etcd_get $NS/@owner)"; }
	sleep 0.2
	i=$((i + 1))
done
grep -q "error: etcd: the namespace $NS/ is claimed by .*pid=$pid_a since=.*state_dir" "$BH_TMP/b.err" ||
	{ cat "$BH_TMP/b.err" >&2; bh_fail "the copy did not log the conflict at error level"; }
! grep -q "token=" "$BH_TMP/b.err" || bh_fail "the error shows the token"
[ "$(grep -c "is claimed by" "$BH_TMP/b.err")" = 1 ] || { cat "$BH_TMP/b.err" >&2; bh_fail "not logged once"; }
! grep -q "claim.*rewritten" "$BH_TMP/a.err" || { cat "$BH_TMP/a.err" >&2; bh_fail "the first daemon had to put its claim back"; }

kill -9 "$pid_a"
bh_etcd_expect_keys $((TTL + 4)) $NS/ "$NS/other $NS/web" ||
	{ cat "$BH_TMP/b.err" >&2; bh_fail "the copy did not take over within one expiry"; }
bh_etcd_get $NS/@owner | grep -q "pid=$pid_b " || bh_fail "the claim does not name the copy"

# A record written by hand over the live claim (etcdctl put, no lease): no
# daemon claims that way (a claim only creates a key that does not exist),
# so it is put back; before, the daemon stopped publishing for as long as
# the forged record lived (forever: it has no lease).
bh_etcdctl put $NS/@owner 'hostname=forged pid=1' >/dev/null || bh_fail "etcdctl put @owner"
bh_wait_for 5 'bh_etcd_get $NS/@owner | grep -q "pid=$pid_b "' "the claim put back" ||
	{ cat "$BH_TMP/b.err" >&2; bh_fail "a forged record over the live claim stayed: $(bh_etcd_get $NS/@owner)"; }
grep -q "warning: etcd: $NS/@owner (this daemon's claim) was overwritten at revision [0-9]* with \"hostname=forged pid=1\"" \
	"$BH_TMP/b.err" || { cat "$BH_TMP/b.err" >&2; bh_fail "the forged record was not reported"; }
! grep -q "claimed by another daemon" "$BH_TMP/b.err" || { cat "$BH_TMP/b.err" >&2; bh_fail "the copy gave in to a forged record"; }
kill -TERM "$pid_b"
wait "$pid_b" || bh_fail "the copy: exit status $?"
bh_check_valgrind
exit 0
