#!/bin/sh
# The engine comes and goes under a running daemon: started before the
# engine exists (waits, logs "engine unreachable" once, publishes when the
# engine appears); engine restart (the stream ends, reconnect with backoff,
# full resync: containers that came back are published again, the ones that
# did not are withdrawn; events flow again afterwards).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_require_docker
OUT=$BH_TMP/out

# 1. The daemon first: the engine's socket does not exist yet.
bh_daemon_start "$OUT" --dry-run --enumerate --no-timestamp --verbose \
	--docker-url "unix://$BH_TMP/engine/docker.sock"
bh_wait_for 10 'grep -q "engine unreachable" "$OUT.err"' "the daemon to notice the missing engine" || exit 1
sleep 2 # a few retries, still one message
[ "$(grep -c 'warning: engine unreachable' "$OUT.err")" = 1 ] || { cat "$OUT.err" >&2; bh_fail "'engine unreachable' logged more than once"; }
kill -0 "$BH_DAEMON_PID" || bh_fail "the daemon gave up on a missing engine"

bh_engine_start_docker
bh_engine_import_image
docker network create --subnet 172.30.6.0/24 testnet >/dev/null || bh_fail "network create"
bh_wait_for 40 'grep -q "engine reachable again" "$OUT.err"' "reconnect" || { cat "$OUT.err" >&2; exit 1; }
docker run -d --name web1 --restart always --network testnet -e BEACHHEAD_DOMAINS=web1.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run
docker run -d --name web3 --network testnet -e BEACHHEAD_DOMAINS=web3.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run
bh_expect_line 10 "$OUT" "$(bh_reg web1 "$(bh_ip web1 testnet)")"
bh_expect_line 10 "$OUT" "$(bh_reg web3 "$(bh_ip web3 testnet)")"

# 2. Engine restart.
bh_engine_stop_docker
bh_wait_for 10 'grep -q "event stream lost\|closed the event stream" "$OUT.err"' "the stream end to be noticed" || { cat "$OUT.err" >&2; exit 1; }
bh_engine_start_docker
bh_wait_for 40 'grep -c "connected to the engine\|engine reachable again" "$OUT.err" | grep -qv "^1$"' "second reconnect" || { cat "$OUT.err" >&2; exit 1; }
# web1 restarts by policy (and may get another address), web3 does not.
bh_wait_for 20 '[ "$(docker inspect -f "{{.State.Running}}" web1)" = true ]' "web1 to restart" || exit 1
bh_expect_line 20 "$OUT" "$(bh_del web3)"
# Its registration is current (the stdout publisher prints changes only:
# the line appears again only if the address changed).
bh_expect_line 20 "$OUT" "$(bh_reg web1 "$(bh_ip web1 testnet)")"

# Events flow on the new stream.
docker run -d --name web2 --network testnet -e BEACHHEAD_DOMAINS=web2.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run
bh_expect_line 10 "$OUT" "$(bh_reg web2 "$(bh_ip web2 testnet)")"
docker rm -f web2 >/dev/null
bh_expect_line 10 "$OUT" "$(bh_del web2)"

bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
