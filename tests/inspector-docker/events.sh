#!/bin/sh
# Daemon mode against a real dockerd: the first full pass (enumerate), then
# event-driven publish and withdrawal: docker run, stop, kill, rm -f, rename,
# pause/unpause; env and label specs (the variable wins over the label); a
# container on network none (name fallback); a container without specs is
# ignored when enumerated; SIGHUP reload replaces the inspector.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup testnet 172.30.1.0/24

run() { docker run -d --network testnet "$@" bbox:latest sleep 1000 >/dev/null || bh_fail "docker run $*"; }

# Before the daemon: found by the first pass.
run --name web1 -e BEACHHEAD_DOMAINS=web1.example.org
run --name lab1 --label beachhead.domains=lab1.example.org
run --name both -e BEACHHEAD_DOMAINS=env.example.org --label beachhead.domains=label.example.org
run --name plain
docker run -d --name iso1 --network none -e BEACHHEAD_DOMAINS=iso1.example.org bbox:latest sleep 1000 >/dev/null

OUT=$BH_TMP/out
bh_daemon_start "$OUT" --dry-run --enumerate --docker-url "$BH_DOCKER_URL" --no-timestamp --verbose
bh_expect_line 15 "$OUT" "$(bh_reg web1 "$(bh_ip web1 testnet)")"
bh_expect_line 5 "$OUT" "$(bh_reg lab1 "$(bh_ip lab1 testnet)")"
bh_expect_line 5 "$OUT" "$(bh_reg both "$(bh_ip both testnet)" env.example.org)"
bh_expect_line 5 "$OUT" "$(bh_reg iso1 iso1)"
bh_wait_for 5 'grep -q "full pass 1 ends (complete)" "$OUT.err"' "end of the first pass" || exit 1
grep -q '"/beachhead/plain"' "$OUT" && bh_fail "a container without specs was published"
grep -q 'error' "$OUT.err" && { cat "$OUT.err" >&2; bh_fail "an error was logged"; }
grep -q 'container iso1 has no IP address' "$OUT.err" || bh_fail "no warning for network none"

# Events: run -> set at once.
run --name web2 -e 'BEACHHEAD_DOMAINS=web2.example.org'
bh_expect_line 5 "$OUT" "$(bh_reg web2 "$(bh_ip web2 testnet)")"
docker stop -t 1 web2 >/dev/null
bh_expect_line 5 "$OUT" "$(bh_del web2)"

run --name web3 -e 'BEACHHEAD_DOMAINS=web3.example.org'
bh_expect_line 5 "$OUT" "$(bh_reg web3 "$(bh_ip web3 testnet)")"
docker kill web3 >/dev/null
bh_expect_line 5 "$OUT" "$(bh_del web3)"

run --name web4 -e 'BEACHHEAD_DOMAINS=web4.example.org'
bh_expect_line 5 "$OUT" "$(bh_reg web4 "$(bh_ip web4 testnet)")"
docker rm -f web4 >/dev/null
bh_expect_line 5 "$OUT" "$(bh_del web4)"

# Rename: the old key goes, the new one comes.
IP1=$(bh_ip web1 testnet)
docker rename web1 web1b || bh_fail "rename"
bh_expect_line 5 "$OUT" "$(bh_del web1)"
bh_expect_line 5 "$OUT" "$(bh_reg web1b "$IP1" web1.example.org)"

# Pause withdraws (a paused container would hang the proxy), unpause publishes.
docker pause lab1 >/dev/null || bh_fail "pause"
bh_expect_line 5 "$OUT" "$(bh_del lab1)"
n=$(grep -c '"/beachhead/lab1"' "$OUT")
docker unpause lab1 >/dev/null || bh_fail "unpause"
bh_wait_for 5 '[ "$(grep -c "\"/beachhead/lab1\"" "$OUT")" -gt "$n" ]' "lab1 published again" || exit 1
tail -n 1 "$OUT" | grep -qxF "$(bh_reg lab1 "$(bh_ip lab1 testnet)")" || bh_fail "lab1 not re-registered: $(tail -n 1 "$OUT")"

# SIGHUP reload: the core replaces the inspector; the new one carries on.
kill -HUP "$BH_DAEMON_PID"
bh_wait_for 10 'grep -q "SIGHUP: reloading" "$OUT.err"' "the reload" || exit 1
run --name web5 -e 'BEACHHEAD_DOMAINS=web5.example.org'
bh_expect_line 10 "$OUT" "$(bh_reg web5 "$(bh_ip web5 testnet)")"
docker stop -t 1 web5 >/dev/null
bh_expect_line 10 "$OUT" "$(bh_del web5)"
grep -q 'previous full pass has not finished' "$OUT.err" && bh_fail "a pass was left open"

bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
