#!/bin/sh
# Restarts touch nothing: the lease id is kept in state_dir; a restarted
# (or reloaded) daemon resumes the lease, compares and writes nothing
# (etcd's revision counts every put and delete), with a host id (the claim
# is its own) and without one.  Then a restart during a NOSPACE alarm (a backend quota of
# 8 MiB, filled): every key is still there two lease TTLs later, and a write
# etcd refuses is reported naming NOSPACE, not as an unreachable cluster.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
BH_ETCD_EXTRA="--quota-backend-bytes=8388608"
bh_etcd_start 23745
TTL=6

printf '%s\n' 'up web 10.0.0.1 web.example.org' 'up api 10.0.0.2 api.example.org' \
	'up db 10.0.0.3 db.example.org' >"$BH_TMP/script"
bh_etcd_config "$BH_TMP/c.conf" "$BH_TMP/script"

start() { # start LOG [HOST-ID]
	$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp --verbose --expire $TTL --refresh 1 \
		${2:+--host-id "$2"} >>"$BH_TMP/$1.out" 2>>"$BH_TMP/$1.err" &
	pid=$!
	bh_on_exit "kill -9 $pid 2>/dev/null"
}

# restart_writes_nothing LOG PREFIX [HOST-ID]
restart_writes_nothing() {
	start "$1" "${3:-}"
	keys="$2web $2api $2db"
	bh_etcd_expect_keys 10 "$2" "$keys" || { cat "$BH_TMP/$1.err" >&2; bh_fail "$1: first keys"; }
	lease=$(bh_etcd_field "$2web" lease)
	kill -TERM "$pid"
	wait "$pid" || bh_fail "$1: exit status $?"
	for f in "$BEACHHEAD_STATE_DIR"/publisher-etcd.*.lease; do
		[ "$(stat -c %a "$f")" = 600 ] || bh_fail "$1: $f has mode $(stat -c %a "$f"), not 600"
	done
	before=$(bh_etcd_revision)
	start "$1" "${3:-}"
	sleep $((TTL + 1)) # past the old process's last keep-alive, three refreshes
	after=$(bh_etcd_revision)
	[ "$after" = "$before" ] ||
		{ cat "$BH_TMP/$1.err" >&2; bh_fail "$1: the restart wrote $((after - before)) revisions"; }
	bh_etcd_expect_keys 1 "$2" "$keys" || bh_fail "$1: keys lost across the restart"
	[ "$(bh_etcd_field "$2web" lease)" = "$lease" ] || bh_fail "$1: not on the resumed lease"
	grep -q "resuming lease $lease" "$BH_TMP/$1.err" ||
		{ cat "$BH_TMP/$1.err" >&2; bh_fail "$1: the resumed lease was not logged"; }
	! grep -q "error" "$BH_TMP/$1.err" || { cat "$BH_TMP/$1.err" >&2; bh_fail "$1: errors logged"; }
}

restart_writes_nothing host /beachhead/hostA/ hostA
# A reload (SIGHUP) hands over to a new instance of the plugin: it resumes
# the lease from the same file, takes its own claim over and writes nothing.
before=$(bh_etcd_revision)
kill -HUP "$pid"
bh_wait_for 10 "grep -q 'reloaded ' '$BH_TMP/host.err'" "the reload" || { cat "$BH_TMP/host.err" >&2; bh_fail "no reload"; }
sleep 3
[ "$(bh_etcd_revision)" = "$before" ] ||
	{ cat "$BH_TMP/host.err" >&2; bh_fail "the reload wrote $(($(bh_etcd_revision) - before)) revisions"; }
kill -TERM "$pid"
wait "$pid"
restart_writes_nothing shared /beachhead/
kill -TERM "$pid"
wait "$pid"

# Without a host id nothing is swept: a key on the resumed lease that no
# container claims any more (db stopped while the daemon was down) is
# deleted a refresh after the restart; the others stay untouched.
printf '%s\n' 'up web 10.0.0.1 web.example.org' 'up api 10.0.0.2 api.example.org' >"$BH_TMP/fewer.script"
bh_etcd_config "$BH_TMP/fewer.conf" "$BH_TMP/fewer.script"
web_rev=$(bh_etcd_field /beachhead/web mod_revision)
$(bh_daemon_cmd) -c "$BH_TMP/fewer.conf" --no-timestamp --expire $TTL --refresh 1 >"$BH_TMP/fewer.out" 2>"$BH_TMP/fewer.err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
bh_etcd_expect_keys 10 /beachhead/ "/beachhead/api /beachhead/web" ||
	{ cat "$BH_TMP/fewer.err" >&2; bh_fail "the stopped container's key outlived the restart"; }
[ "$(bh_etcd_field /beachhead/web mod_revision)" = "$web_rev" ] || bh_fail "a kept key was rewritten"
kill -TERM "$pid"
wait "$pid"

# NOSPACE: the host-id daemon runs, the database fills up, the daemon is
# restarted and finds no room for a new lease: its old one carries on.
start nospace hostB
bh_etcd_expect_keys 10 /beachhead/hostB/ "/beachhead/hostB/api /beachhead/hostB/db /beachhead/hostB/web" ||
	{ cat "$BH_TMP/nospace.err" >&2; bh_fail "nospace: first keys"; }
head -c 60000 /dev/urandom | base64 -w0 >"$BH_TMP/big"
i=0
while [ -z "$(bh_etcdctl alarm list 2>/dev/null)" ] && [ $i -lt 400 ]; do
	i=$((i + 1))
	bh_etcdctl put "/filler/$i" "$(cat "$BH_TMP/big")" >/dev/null 2>&1
done
bh_etcdctl alarm list | grep -q NOSPACE || bh_fail "no NOSPACE alarm after $i puts"
kill -TERM "$pid"
wait "$pid"
printf 'up new 10.0.0.4 new.example.org\n' >>"$BH_TMP/script"
start nospace hostB
# Two lease TTLs: a daemon that lost its lease would have lost the keys.
sleep $((TTL * 2 + 1))
bh_etcd_expect_keys 1 /beachhead/hostB/ "/beachhead/hostB/api /beachhead/hostB/db /beachhead/hostB/web" ||
	{ cat "$BH_TMP/nospace.err" >&2; bh_fail "keys lost in a restart during NOSPACE"; }
grep -q "error: etcd refused to put /beachhead/hostB/new: database space exceeded (NOSPACE alarm): " \
	"$BH_TMP/nospace.err" || { cat "$BH_TMP/nospace.err" >&2; bh_fail "the refusal does not name NOSPACE"; }
! grep -q "unreachable" "$BH_TMP/nospace.err" || { cat "$BH_TMP/nospace.err" >&2; bh_fail "NOSPACE called unreachable"; }

# Room again: the refused key goes in at a following refresh.
bh_etcdctl del /filler/ --prefix >/dev/null && bh_etcdctl compact "$(bh_etcd_revision)" >/dev/null &&
	bh_etcdctl defrag >/dev/null && bh_etcdctl alarm disarm >/dev/null || bh_fail "making room"
bh_etcd_expect_keys 10 /beachhead/hostB/ \
	"/beachhead/hostB/api /beachhead/hostB/db /beachhead/hostB/new /beachhead/hostB/web" ||
	{ cat "$BH_TMP/nospace.err" >&2; bh_fail "the refused key never went in"; }
kill -TERM "$pid"
wait "$pid" || bh_fail "exit status $?"
bh_check_valgrind
exit 0
