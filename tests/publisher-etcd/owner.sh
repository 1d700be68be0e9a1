#!/bin/sh
# One owner per namespace.  Two daemons with the same host id on one cluster
# (cloned VMs), each with its own state_dir: the second finds the first's
# live claim (/beachhead/dup/@owner), logs one error naming it within one
# refresh and never writes or sweeps; the first's keys are there at every
# sample.  A one-pass run in the same situation exits 1 at once.  SIGKILL of
# the first frees the namespace within one lease TTL: the second claims it
# and publishes (and sweeps the first's leftovers).
# Without a host id the prefix is shared: another host's put on one of our
# keys is reported once, asking for host_id, and nobody fights over it.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
bh_etcd_start 23775
TTL=4
NS=/beachhead/dup

printf '%s\n' 'up web 10.0.0.1 web.example.org' 'up api 10.0.0.2 api.example.org' >"$BH_TMP/a.script"
printf '%s\n' 'up web 10.0.9.1 web.example.org' 'up other 10.0.9.2 other.example.org' >"$BH_TMP/b.script"
cp "$BH_TMP/b.script" "$BH_TMP/c.script"
for d in a b c d e; do
	bh_etcd_config "$BH_TMP/$d.conf" "$BH_TMP/$d.script"
done

start() { # start NAME [DAEMON-ARGS...] -> $pid_NAME; each daemon its own state_dir
	name=$1
	shift
	BEACHHEAD_STATE_DIR="$BH_TMP/state-$name" $(bh_daemon_cmd) -c "$BH_TMP/$name.conf" --no-timestamp \
		--expire $TTL --refresh 1 "$@" >"$BH_TMP/$name.out" 2>"$BH_TMP/$name.err" &
	eval "pid_$name=$!"
	bh_on_exit "kill -9 $! 2>/dev/null"
}

start a --host-id dup
bh_etcd_expect_keys 10 $NS/ "$NS/api $NS/web" || { cat "$BH_TMP/a.err" >&2; bh_fail "the first daemon's keys"; }
web_a=$(bh_etcd_get $NS/web)
api_a=$(bh_etcd_get $NS/api)

start b --host-id dup
# Within one refresh (1 s) of the daemon's start (its "started:" line),
# with 2 s of slack for a loaded machine: watched while the samples below run.
conflict="error: etcd: the namespace $NS/ is claimed by another daemon (hostname=.* pid=$pid_a since="
(bh_wait_for 60 'grep -q "info: started: " "$BH_TMP/b.err"' "the start" 2>/dev/null &&
	bh_wait_for 3 'grep -q "$conflict" "$BH_TMP/b.err"' "the conflict" 2>/dev/null && touch "$BH_TMP/b.early") &
# 10 s of samples: ten refreshes (and 2.5 lease TTLs) of the second daemon;
# before the claim, the first's keys were gone within the first refresh.
i=0
while [ $i -lt 50 ]; do
	[ "$(bh_etcd_keys $NS/)" = "$(printf '%s\n' $NS/api $NS/web)" ] && [ "$(bh_etcd_get $NS/web)" = "$web_a" ] &&
		[ "$(bh_etcd_get $NS/api)" = "$api_a" ] ||
		{ cat "$BH_TMP/b.err" >&2; bh_etcd_keys $NS/ >&2; bh_fail "sample $i: the first daemon's keys were touched"; }
	sleep 0.2
	i=$((i + 1))
done
bh_etcd_get $NS/@owner | grep -q "pid=$pid_a " || bh_fail "the claim does not name the first daemon: $(bh_etcd_get $NS/@owner)"
grep -q "$conflict" "$BH_TMP/b.err" || { cat "$BH_TMP/b.err" >&2; bh_fail "the conflict was not logged at error level"; }
[ -e "$BH_TMP/b.early" ] || bh_fail "the conflict was logged, but not within one refresh of the start"
grep -q "host_id" "$BH_TMP/b.err" || bh_fail "the error does not say what to do"
! grep -q "token=" "$BH_TMP/b.err" || bh_fail "the error shows the other daemon's token"
[ "$(grep -c "claimed by another daemon" "$BH_TMP/b.err")" = 1 ] ||
	{ cat "$BH_TMP/b.err" >&2; bh_fail "the conflict was not logged exactly once"; }

# A one-pass run in the same situation: exit status 1, without waiting.
BEACHHEAD_STATE_DIR="$BH_TMP/state-c" timeout 20 $(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp \
	--expire $TTL --refresh 0 --host-id dup >"$BH_TMP/c.out" 2>"$BH_TMP/c.err"
status=$?
[ "$status" = 1 ] || { cat "$BH_TMP/c.err" >&2; bh_fail "one pass against a claimed namespace: exit status $status"; }
grep -q "claimed by another daemon (hostname=.* pid=$pid_a " "$BH_TMP/c.err" || { cat "$BH_TMP/c.err" >&2; bh_fail "one pass: no conflict"; }
[ "$(bh_etcd_get $NS/web)" = "$web_a" ] || bh_fail "the one-pass run touched the first daemon's key"

# The first dies: its lease (and claim) runs out within TTL; the second
# claims the namespace, publishes and sweeps api.
kill -9 "$pid_a"
bh_etcd_expect_keys $((TTL + 4)) $NS/ "$NS/other $NS/web" ||
	{ cat "$BH_TMP/b.err" >&2; bh_fail "the second daemon did not take over within one expiry"; }
[ "$(bh_etcd_get $NS/web)" != "$web_a" ] || bh_fail "web still holds the first daemon's value"
bh_etcd_get $NS/@owner | grep -q "pid=$pid_b " || bh_fail "the claim does not name the second daemon"
grep -q "info: etcd: claimed the namespace $NS/ (the other daemon's claim is gone)" "$BH_TMP/b.err" ||
	{ cat "$BH_TMP/b.err" >&2; bh_fail "the takeover was not logged"; }
kill -TERM "$pid_b"
wait "$pid_b" || bh_fail "second daemon: exit status $?"
# Its lease runs out: nothing of it writes (deletes) during what follows.
bh_wait_for $((TTL + 3)) '[ -z "$(bh_etcd_all_keys $NS/)" ]' "the second daemon's keys gone with its lease" ||
	bh_fail "the second daemon's keys outlived its lease"

# No host id: two hosts publish the same container name.  The second takes
# the key over (it cannot tell another host from its own previous run); the
# first sees a put on another lease in its watch and says so once.
printf 'up shared 10.0.0.1 shared.example.org\n' >"$BH_TMP/d.script"
printf 'up shared 10.0.7.1 shared.example.org\n' >"$BH_TMP/e.script"
start d
bh_etcd_expect_keys 10 /beachhead/shared "/beachhead/shared" || bh_fail "the shared key"
start e
bh_wait_for 5 'bh_etcd_get /beachhead/shared | grep -q 10.0.7.1' "the second host's value" || bh_fail "no second value"
bh_wait_for 5 'grep -q "warning: etcd: another host put /beachhead/shared at revision [0-9]* (on its own lease).*host_id" "$BH_TMP/d.err"' \
	"the warning" || { cat "$BH_TMP/d.err" >&2; bh_fail "another host's put was not reported"; }
r1=$(bh_etcd_revision)
sleep 3
[ "$(bh_etcd_revision)" = "$r1" ] || bh_fail "the two daemons fight over the key ($(($(bh_etcd_revision) - r1)) writes)"
[ "$(grep -c "another host put" "$BH_TMP/d.err")" = 1 ] || { cat "$BH_TMP/d.err" >&2; bh_fail "not warned once"; }
kill -TERM "$pid_d" "$pid_e"
wait "$pid_d" || bh_fail "exit status $?"
bh_check_valgrind
exit 0
