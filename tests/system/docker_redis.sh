#!/bin/sh
# The product end to end, all real: a Docker Engine, the daemon with its
# default plugins (inspector-docker + publisher-redis), a redis-server.
# `docker run` with BEACHHEAD_DOMAINS -> the key appears with the exact JSON
# and a TTL; `docker stop` -> the key is gone at once (DEL, not expiry);
# a bad spec on one container harms no other.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
bh_engine_require_docker
bh_redis_require
bh_setup_tmp
bh_engine_start_docker
bh_engine_import_image
bh_redis_start
docker network create --subnet 172.30.8.0/24 e2e >/dev/null || bh_fail "network create"

# The default plugins, configured through the original's flags.
cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-docker"; };
publishers = ( { plugin = "publisher-redis"; } );
CONF
bh_daemon_start "$BH_TMP/daemon" -c "$BH_TMP/beachhead.conf" --no-timestamp --enumerate \
	--docker-url "$BH_DOCKER_URL" --redis-host 127.0.0.1 --redis-port "$BH_REDIS_PORT" --expire 30
bh_wait_for 10 "grep -q 'started: inspector inspector-docker' '$BH_TMP/daemon.err'" "daemon start" ||
	{ cat "$BH_TMP/daemon.err" >&2; exit 1; }
# Start-up, at info level: what runs, from where, against what.
bh_wait_for 10 "grep -q 'connected to the engine at .*: [^,]* [0-9][^ ]*, API 1\.[0-9]*' '$BH_TMP/daemon.err'" \
	"the engine's version once connected" || { cat "$BH_TMP/daemon.err" >&2; exit 1; }
for line in "info: beachhead-companion [0-9.]* (plugin ABI 1\.[0-9]*), configuration $BH_TMP/beachhead.conf" \
	"info: inspector: inspector-docker [0-9.]* (plugin ABI 1\.[0-9]*) from /.*/inspector-docker.so" \
	"info: publishers\[0\]: publisher-redis [0-9.]* (plugin ABI 1\.[0-9]*) from /.*/publisher-redis.so" \
	"info: using engine at .* (url from command line (--docker-url))" \
	"info: connected to redis 127.0.0.1:$BH_REDIS_PORT"; do
	bh_wait_for 10 "grep -q -- '$line' '$BH_TMP/daemon.err'" "$line" || { cat "$BH_TMP/daemon.err" >&2; exit 1; }
done

docker run -d --name blog --network e2e \
	-e 'BEACHHEAD_DOMAINS=example.org admin.example.org:https app.example.org:http=8080:https=8043' \
	bbox:latest sleep 100000 >/dev/null || bh_fail "docker run blog"
docker run -d --name broken --network e2e -e 'BEACHHEAD_DOMAINS=ok.example.org bad.example.org:http=0' \
	bbox:latest sleep 100000 >/dev/null || bh_fail "docker run broken"
ip=$(bh_ip blog e2e)
expected="[{\"id\":\"example_org\",\"domain\":\"example.org\",\"http\":{\"host\":\"$ip\",\"port\":80},\"https\":{\"host\":\"$ip\",\"port\":443}},{\"id\":\"admin_example_org\",\"domain\":\"admin.example.org\",\"https\":{\"host\":\"$ip\",\"port\":443}},{\"id\":\"app_example_org\",\"domain\":\"app.example.org\",\"http\":{\"host\":\"$ip\",\"port\":8080},\"https\":{\"host\":\"$ip\",\"port\":8043}}]"
bh_wait_for 10 "[ \"\$(bh_redis_cli get /beachhead/blog)\" = '$expected' ]" "the key /beachhead/blog with the exact JSON" ||
	{ bh_redis_cli get /beachhead/blog >&2; cat "$BH_TMP/daemon.err" >&2; exit 1; }
ttl=$(bh_redis_cli ttl /beachhead/blog)
[ "$ttl" -ge 29 ] && [ "$ttl" -le 30 ] || bh_fail "TTL $ttl, expected 29..30"

# The bad container is refused with a specific message and never written.
bh_wait_for 10 "grep -q \"container broken: .*domain 'bad.example.org': option 'http': port '0'\" '$BH_TMP/daemon.err'" \
	"the error naming container, domain and option" || exit 1
[ "$(bh_redis_cli exists /beachhead/broken)" = 0 ] || bh_fail "the broken container was published"

# confd's view: SCAN MATCH prefix/* + GET.
[ "$(bh_redis_keys '/beachhead/*')" = "/beachhead/blog" ] || bh_fail "keys: $(bh_redis_keys '/beachhead/*')"

docker stop -t 0 blog >/dev/null || bh_fail "docker stop"
bh_wait_for 5 "[ \"\$(bh_redis_cli exists /beachhead/blog)\" = 0 ]" "the key to be deleted on stop" || exit 1
grep -q 'container blog: withdrawing /beachhead/blog' "$BH_TMP/daemon.err" || bh_fail "withdrawal not logged"

bh_daemon_stop || bh_fail "daemon exited non-zero"
bh_check_valgrind
