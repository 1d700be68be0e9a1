#!/bin/sh
# 1000 registrations in one pass (--refresh 0): every SET is pipelined on one
# connection, every key arrives with the right value, the run exits 0 once
# Redis acknowledged everything, within a few seconds.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_redis_setup

bh_redis_script_containers 1000 10.8 'api.@.example.org:http=8080' >"$BH_TMP/script"
bh_redis_config_file "$BH_TMP/beachhead.conf" tcp '' 'expire = 60;' 'log_level = "warning";'

start=$(( $(date +%s%N) / 1000000 ))
bh_redis_run_once "$BH_TMP/beachhead.conf" "$BH_TMP/err" 0 "one pass of 1000 registrations"
took=$(( $(date +%s%N) / 1000000 - start ))
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
