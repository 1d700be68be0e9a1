#!/bin/sh
# 1000 registrations in one pass (--refresh 0): every SET is pipelined on one
# connection, every key arrives with the right value, the run exits 0 once
# Redis acknowledged everything, within a few seconds.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_require
bh_setup_tmp
bh_redis_start

{
	i=0
	while [ $i -lt 1000 ]; do
		echo "up c$i 10.8.$((i / 250)).$((i % 250 + 1)) c$i.example.org api.c$i.example.org:http=8080"
		i=$((i + 1))
	done
} >"$BH_TMP/script"
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-redis"; host = "127.0.0.1"; port = $BH_REDIS_PORT; } );
enumerate = true;
expire = 60;
log_level = "warning";
CONF

start=$(( $(date +%s%N) / 1000000 ))
$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp --refresh 0 2>"$BH_TMP/err"
status=$?
took=$(( $(date +%s%N) / 1000000 - start ))
cat "$BH_TMP/err" >&2
[ "$status" -eq 0 ] || bh_fail "exit status $status"
bh_note "one pass of 1000 registrations: ${took} ms, process start to exit"
[ "$(bh_redis_cli dbsize)" = 1000 ] || bh_fail "dbsize $(bh_redis_cli dbsize), expected 1000"
[ "$(bh_redis_cli get /beachhead/c777)" = '[{"id":"c777_example_org","domain":"c777.example.org","http":{"host":"10.8.3.28","port":80},"https":{"host":"10.8.3.28","port":443}},{"id":"api_c777_example_org","domain":"api.c777.example.org","http":{"host":"10.8.3.28","port":8080}}]' ] ||
	bh_fail "c777: $(bh_redis_cli get /beachhead/c777)"
# No reconnect, no warning: one connection did it all.
[ ! -s "$BH_TMP/err" ] || bh_fail "warnings or errors logged"
sets=$(bh_redis_cli info commandstats | tr -d '\r' | sed -n 's/^cmdstat_set:calls=\([0-9]*\),.*/\1/p')
[ "$sets" -ge 1000 ] || bh_fail "only $sets SETs"
[ "$took" -le 10000 ] || bh_fail "one pass of 1000 took ${took} ms"
bh_check_valgrind
