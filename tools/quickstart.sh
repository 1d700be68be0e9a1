#!/bin/sh
# The newcomer's first run on Debian 12: installs the dependencies, builds,
# and runs the daemon's main job against the local Docker Engine into a local
# Redis (a throwaway redis-server on 127.0.0.1:6379 when none answers there),
# shows the keys it published, then keeps running until Ctrl-C (which stops
# and removes everything this script started, the demo engine's network
# included).
#
#   sh tools/quickstart.sh          # the local engine (DOCKER_HOST or /var/run/docker.sock)
#   sh tools/quickstart.sh --demo   # a throwaway engine with a sample container
#   sh tools/quickstart.sh --once   # show the keys and exit instead of running on
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
demo=no
once=no
for arg in "$@"; do
	case $arg in
	--demo) demo=yes ;;
	--once) once=yes ;;
	*) echo "usage: sh tools/quickstart.sh [--demo] [--once]" >&2; exit 2 ;;
	esac
done

say() { echo "quickstart: $*"; }

say "step 1/3: the Debian packages this run needs (build tools, Docker Engine, Redis)"
sh tools/setup-debian.sh --quickstart
say "step 2/3: building (about a minute on a small machine)"
. tools/build-dir.sh
bh_build_here "$top"
DAEMON=$bh_build/beachhead-companion
BEACHHEAD_PLUGIN_PATH=$bh_build/plugins/inspector-docker/.libs:$bh_build/plugins/publisher-redis/.libs:$bh_build/plugins/publisher-stdout/.libs
export BEACHHEAD_PLUGIN_PATH
say "step 3/3: Redis, the engine, the daemon"

# The test library's helpers manage throwaway servers and clean them up.
top_srcdir=$top
. "$top/tests/lib/common.sh"
bh_setup_tmp
set +u

# Redis: use the local one, or start a throwaway one.
if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; then
	say "using the Redis on 127.0.0.1:6379"
else
	redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
		--dir "$BH_TMP" >"$BH_TMP/redis.log" 2>&1 &
	redis_pid=$!
	bh_on_exit "kill $redis_pid"
	bh_wait_for 10 '[ "$(redis-cli -h 127.0.0.1 -p 6379 ping)" = PONG ]' "redis-server" ||
		{ say "could not start redis-server (see $BH_TMP/redis.log)"; exit 1; }
	say "started a throwaway Redis on 127.0.0.1:6379 (stops when this script ends)"
fi

# The engine: the local one, or (--demo) a throwaway one with a sample container.
if [ "$demo" = yes ]; then
	. "$top/tests/lib/engine.sh"
	bh_engine_require_docker
	say "starting a throwaway Docker Engine in $BH_TMP (up to 30 s)"
	bh_engine_start_docker
	bh_engine_import_image
	docker network create --subnet 172.30.9.0/24 demo >/dev/null
	docker run -d --name demo-web --network demo \
		-e 'BEACHHEAD_DOMAINS=example.org admin.example.org:https app.example.org:http=8080:https=8043' \
		bbox:latest sleep 100000 >/dev/null
	say "sample container demo-web runs with BEACHHEAD_DOMAINS='example.org admin.example.org:https app.example.org:http=8080:https=8043'"
	url=$BH_DOCKER_URL
else
	url=${DOCKER_HOST:-unix:///var/run/docker.sock}
	sock=${url#unix://}
	if [ "$sock" != "$url" ] && [ "$(curl -s --max-time 2 --unix-socket "$sock" http://d/_ping 2>/dev/null)" != OK ]; then
		say "no Docker Engine answers at $url: start it (systemctl start docker) or run: sh tools/quickstart.sh --demo"
		exit 1
	fi
fi

say "running: beachhead-companion --docker-url $url --enumerate"
"$DAEMON" --docker-url "$url" --enumerate --redis-host 127.0.0.1 --redis-port 6379 &
daemon_pid=$!
bh_on_exit "kill $daemon_pid"
sleep 2
kill -0 "$daemon_pid" 2>/dev/null || { say "the daemon exited; see the messages above"; exit 1; }

say "keys in Redis (confd reads them with: gets \"/beachhead/*\"):"
redis-cli -h 127.0.0.1 -p 6379 --scan --pattern '/beachhead/*' | sort | while IFS= read -r key; do
	echo "  $key (ttl $(redis-cli -h 127.0.0.1 -p 6379 ttl "$key") s)"
	echo "    $(redis-cli -h 127.0.0.1 -p 6379 get "$key")"
done
if [ "$once" = yes ]; then
	exit 0
fi
say "the daemon keeps running (events act at once); Ctrl-C stops it"
wait "$daemon_pid"
