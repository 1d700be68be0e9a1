#!/bin/sh
# The server, not another daemon, refuses the namespace's claim, against a
# real redis-server with a host id (expire 6 s: the claim is renewed every
# refresh, 1 s):
#   1. maxmemory reached (noeviction): the renewal's script answers OOM.
#      One error saying that the server refused the claim and why, not
#      that another daemon took the namespace over (nobody did; that line
#      tells the operator to change host_id); once memory is free again
#      the claim is renewed, and a key deleted meanwhile comes back;
#   2. the master is demoted (REPLICAOF) under the daemon's open
#      connection: the renewal answers READONLY, which concerns the link
#      (as for a write): reconnect, and again no "another daemon".
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup --maxmemory-policy noeviction
fail() { cat "$BH_TMP/err" >&2; bh_fail "$@"; }

printf '%s\n' 'up web 10.81.0.1 web.example.org' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" unix '' 'host_id = "h1";' 'expire = 6;' 'refresh = 1;'
bh_redis_start_daemon "$BH_TMP/beachhead.conf"
bh_redis_wait_keys 2 10 /beachhead/h1/web /beachhead/h1/@owner || fail "web or the claim never appeared"

# 1. OOM.
bh_redis_cli config set maxmemory 1 >/dev/null || fail "CONFIG SET maxmemory"
bh_wait_for 10 "grep -q 'error: .*refused to renew the claim on namespace /beachhead/h1/ (OOM' '$BH_TMP/err'" \
	"the refused renewal" || fail "the refused renewal was not said as such"
grep -q 'another daemon' "$BH_TMP/err" && fail "OOM was taken for another daemon's claim"
bh_redis_cli del /beachhead/h1/web >/dev/null
bh_redis_cli config set maxmemory 0 >/dev/null || fail "CONFIG SET maxmemory 0"
bh_redis_wait_keys 1 10 /beachhead/h1/web || fail "web not back once memory was free"
bh_wait_for 5 "grep -q 'namespace /beachhead/h1/ is ours now' '$BH_TMP/err'" "the claim again" ||
	fail "the renewed claim was not said"

# 2. Demoted under an open connection (the master it follows does not exist:
# the data stays, read-only).
bh_redis_cli replicaof 127.0.0.1 1 >/dev/null || fail "REPLICAOF"
bh_wait_for 10 "grep -q 'the claim: READONLY' '$BH_TMP/err'" "the READONLY renewal" ||
	fail "the renewal's READONLY did not drop the link"
grep -q 'another daemon' "$BH_TMP/err" && fail "READONLY was taken for another daemon's claim"
bh_redis_cli replicaof no one >/dev/null || fail "REPLICAOF NO ONE"
bh_redis_cli del /beachhead/h1/web >/dev/null
bh_redis_wait_keys 1 15 /beachhead/h1/web || fail "web not back on the master"
bh_redis_stop_daemon
bh_check_valgrind
exit 0
