#!/bin/sh
# publisher-etcd against a real 3-member cluster: key layout and values of two
# daemons with different host ids and the same container names; a refresh
# writes nothing; a stopped container's key goes at once; the namespace sweep
# removes leftovers of this host only; SIGKILL leaves the keys to the lease
# (gone within the TTL, the other host's stay); SIGTERM + restart never
# deletes a key; expire = 0 puts keys without a lease.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
bh_etcd_start 23700
# Keep-alives go every TTL/3: 9 s leaves a loaded machine 3 s of slack per
# keep-alive before a lease could lapse between unchanged refreshes, and a
# restart that lost its lease file at least 6 s to claim, read and put its
# keys on a new lease before the old one lapses.
TTL=9

bh_etcdctl put /beachhead/hostA/ghost '[]' >/dev/null &&
	bh_etcdctl put /beachhead/hostAB/web '[]' >/dev/null &&
	bh_etcdctl put /beachhead/web '[]' >/dev/null || bh_fail "seeding keys"

printf '%s\n' 'up web 10.0.0.1 web.example.org' 'up api 10.0.0.2 api.example.org:http=8080' \
	"await $BH_TMP/stop-api" 'down api' >"$BH_TMP/a.script"
printf '%s\n' 'up web 10.0.1.1 web.example.org' 'up api 10.0.1.2 api.example.org:http=8080' \
	>"$BH_TMP/b.script"
bh_etcd_config "$BH_TMP/a.conf" "$BH_TMP/a.script"
bh_etcd_config "$BH_TMP/b.conf" "$BH_TMP/b.script"

start() { # start NAME HOST-ID -> pid in $pid_NAME
	$(bh_daemon_cmd) -c "$BH_TMP/$1.conf" --no-timestamp --expire $TTL --refresh 1 --host-id "$2" \
		>"$BH_TMP/$1.out" 2>>"$BH_TMP/$1.err" &
	eval "pid_$1=$!"
	bh_on_exit "kill -9 $! 2>/dev/null"
}
start a hostA
start b hostB

bh_etcd_expect_keys 10 /beachhead/hostA/ "/beachhead/hostA/api /beachhead/hostA/web" ||
	bh_fail "hostA's keys (the sweep must remove ghost)"
bh_etcd_expect_keys 10 /beachhead/hostB/ "/beachhead/hostB/api /beachhead/hostB/web" || bh_fail "hostB's keys"
want='[{"id":"web_example_org","domain":"web.example.org","http":{"host":"10.0.0.1","port":80},"https":{"host":"10.0.0.1","port":443}}]'
[ "$(bh_etcd_get /beachhead/hostA/web)" = "$want" ] || bh_fail "hostA/web: $(bh_etcd_get /beachhead/hostA/web)"
bh_etcd_get /beachhead/hostB/api | grep -q '"http":{"host":"10.0.1.2","port":8080}' ||
	bh_fail "hostB/api: $(bh_etcd_get /beachhead/hostB/api)"
[ -n "$(bh_etcd_get /beachhead/hostAB/web)" ] && [ -n "$(bh_etcd_get /beachhead/web)" ] ||
	bh_fail "the sweep touched keys outside its namespace"
grep -q "deleting 1 keys under /beachhead/hostA/" "$BH_TMP/a.err" || bh_fail "the sweep was not logged"
lease_a=$(bh_etcd_field /beachhead/hostA/web lease)
[ "$lease_a" != 0 ] && [ "$lease_a" = "$(bh_etcd_field /beachhead/hostA/api lease)" ] ||
	bh_fail "hostA's keys are not on one lease"
[ "$lease_a" != "$(bh_etcd_field /beachhead/hostB/web lease)" ] || bh_fail "two daemons share a lease"

# Unchanged refreshes (every second, each daemon) write nothing.
r1=$(bh_etcd_revision)
sleep 3
r2=$(bh_etcd_revision)
[ "$r1" = "$r2" ] || bh_fail "unchanged refreshes wrote $((r2 - r1)) revisions"

# A stopped container: deleted at once, not at the lease's end.
touch "$BH_TMP/stop-api"
# (hostA keeps its lease alive: without the DEL the key would never go.)
bh_etcd_expect_keys 3 /beachhead/hostA/ "/beachhead/hostA/web" || bh_fail "withdrawal not immediate"

# SIGKILL: hostB's keys vanish with its lease; hostA's stay.
kill -9 "$pid_b"
bh_etcd_expect_keys $((TTL + 3)) /beachhead/hostB/ "" || bh_fail "a killed daemon's keys stayed"
[ -n "$(bh_etcd_get /beachhead/hostA/web)" ] || bh_fail "hostA lost its key when hostB died"

# SIGTERM leaves the keys.  A restart that lost its lease file (state_dir
# wiped; restart.sh covers the resumed lease) puts them on a new lease of
# its own without ever deleting them (same create_revision).
created=$(bh_etcd_field /beachhead/hostA/web create_revision)
kill -TERM "$pid_a"
wait "$pid_a" || bh_fail "SIGTERM: exit status $?"
[ -n "$(bh_etcd_get /beachhead/hostA/web)" ] || bh_fail "SIGTERM deleted the key"
printf 'up web 10.0.0.1 web.example.org\n' >"$BH_TMP/a.script"
rm -f "$BEACHHEAD_STATE_DIR"/publisher-etcd.*.lease
start a hostA
bh_wait_for 10 '[ "$(bh_etcd_field /beachhead/hostA/web lease)" != "$lease_a" ]' "the new lease" ||
	bh_fail "the restarted daemon did not take its keys over"
sleep $((TTL + 1)) # the old lease has run out by now
[ "$(bh_etcd_field /beachhead/hostA/web create_revision)" = "$created" ] ||
	{ cat "$BH_TMP/a.err" >&2; bh_fail "the key was deleted and re-created across the restart (the proxy saw a gap)"; }
kill -TERM "$pid_a"
wait "$pid_a"

# expire = 0: no lease; the keys stay until deleted.  A one-pass run sweeps
# too, and waits for its deletes before it exits.
bh_etcdctl put /beachhead/hostC/ghost '[]' >/dev/null || bh_fail "seeding hostC/ghost"
$(bh_daemon_cmd) -c "$BH_TMP/b.conf" --no-timestamp --expire 0 --refresh 0 --host-id hostC \
	>"$BH_TMP/c.out" 2>"$BH_TMP/c.err" || { cat "$BH_TMP/c.err" >&2; bh_fail "one pass with expire 0"; }
[ -n "$(bh_etcd_get /beachhead/hostC/web)" ] || bh_fail "expire 0: no key"
[ "$(bh_etcd_field /beachhead/hostC/web lease)" = 0 ] || bh_fail "expire 0: the key has a lease"
[ -z "$(bh_etcd_get /beachhead/hostC/ghost)" ] || bh_fail "one pass: the leftover in its namespace stayed"
bh_check_valgrind
exit 0
