#!/bin/sh
# The newcomer's first run on Debian 12: checks the engine, installs the
# dependencies, builds, and runs the daemon's main job against the local
# Docker Engine into a local Redis (a throwaway redis-server on
# 127.0.0.1:PORT when none answers there), shows the keys it published, then
# keeps running until Ctrl-C, which stops and removes everything this script
# started and says what it removed.  In a Redis it did not start it writes
# under its own prefix (/beachhead-quickstart/) and deletes those keys at the
# end: it never leaves keys behind, nor touches another daemon's.
#
#   sh tools/quickstart.sh                  # the local engine (DOCKER_HOST or /var/run/docker.sock)
#   sh tools/quickstart.sh --demo           # a throwaway engine with a sample container
#   sh tools/quickstart.sh --once           # show the keys and exit instead of running on
#   sh tools/quickstart.sh --redis-port N   # Redis on 127.0.0.1:N (default 6379)
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
demo=no
once=no
redis_port=6379
usage() { echo "usage: sh tools/quickstart.sh [--demo] [--once] [--redis-port PORT]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case $1 in
	--demo) demo=yes ;;
	--once) once=yes ;;
	--redis-port)
		[ $# -ge 2 ] || usage
		redis_port=$2
		shift
		case $redis_port in '' | *[!0-9]*) usage ;; esac
		[ "$redis_port" -ge 1 ] && [ "$redis_port" -le 65535 ] || usage
		;;
	*) usage ;;
	esac
	shift
done

# Messages go to fd 3 (the terminal's stderr): the clean-up at exit runs with
# its stdout and stderr discarded, and still reports what it removed.
exec 3>&2
say() { echo "quickstart: $*" >&3; }
cleaned() { say "cleaned up: $*"; }

# The engine first, before minutes of apt-get and building.
url=${DOCKER_HOST:-unix:///var/run/docker.sock}
if [ "$demo" = yes ]; then
	[ "$(id -u)" = 0 ] || { say "--demo starts its own Docker Engine: run it as root"; exit 1; }
else
	sock=${url#unix://}
	if [ "$sock" = "$url" ]; then
		say "using the engine at $url (checked once the tools are installed)"
	elif [ ! -S "$sock" ]; then
		say "no Docker Engine socket at $sock: start the engine (systemctl start docker) or run: sh tools/quickstart.sh --demo"
		exit 1
	elif command -v curl >/dev/null 2>&1 &&
		[ "$(curl -s --max-time 2 --unix-socket "$sock" http://d/_ping 2>/dev/null)" != OK ]; then
		say "the Docker Engine at $url does not answer: start it (systemctl start docker) or run: sh tools/quickstart.sh --demo"
		exit 1
	elif [ ! -r "$sock" ] || [ ! -w "$sock" ]; then
		say "no access to $sock: run as root or as a member of its group ($(stat -c %G "$sock"))"
		exit 1
	fi
fi

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

rcli() { redis-cli -h 127.0.0.1 -p "$redis_port" "$@"; }
# Redis: use the local one (under a prefix of our own, deleted at the end),
# or start a throwaway one.
prefix=/beachhead/
if [ "$(rcli ping 2>/dev/null)" = PONG ]; then
	prefix=/beachhead-quickstart/
	say "using the Redis on 127.0.0.1:$redis_port; keys go under $prefix and are deleted when this script ends"
	# Runs after the daemon has stopped (registered before it).
	bh_on_exit 'rcli --scan --pattern "$prefix*" | while IFS= read -r k; do rcli del "$k" >/dev/null; done; cleaned "deleted the keys under $prefix in the Redis on 127.0.0.1:$redis_port"'
else
	redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
		--dir "$BH_TMP" >"$BH_TMP/redis.log" 2>&1 &
	redis_pid=$!
	bh_on_exit "kill $redis_pid; bh_wait_for 10 '! kill -0 $redis_pid'; cleaned 'stopped the throwaway Redis on 127.0.0.1:$redis_port'"
	bh_wait_for 10 '[ "$(rcli ping)" = PONG ]' "redis-server" ||
		{ say "could not start redis-server on 127.0.0.1:$redis_port (see $BH_TMP/redis.log)"; exit 1; }
	say "started a throwaway Redis on 127.0.0.1:$redis_port (stops when this script ends)"
fi

# The engine: the local one, or (--demo) a throwaway one with a sample container.
if [ "$demo" = yes ]; then
	. "$top/tests/lib/engine.sh"
	bh_engine_require_docker
	say "starting a throwaway Docker Engine in $BH_TMP (up to 30 s)"
	# Runs after the engine's own clean-up (registered before it).
	bh_on_exit "cleaned 'removed the demo engine, its container demo-web and network demo, and $BH_TMP'"
	bh_engine_start_docker
	bh_engine_import_image
	docker network create --subnet 172.30.9.0/24 demo >/dev/null
	docker run -d --name demo-web --network demo \
		-e 'BEACHHEAD_DOMAINS=example.org admin.example.org:https app.example.org:http=8080:https=8043' \
		bbox:latest sleep 100000 >/dev/null
	say "sample container demo-web runs with BEACHHEAD_DOMAINS='example.org admin.example.org:https app.example.org:http=8080:https=8043'"
	url=$BH_DOCKER_URL
	say "the demo engine, for docker commands in another terminal while this runs:"
	say "  export DOCKER_HOST=$BH_DOCKER_URL"
fi

say "running: beachhead-companion --docker-url $url --enumerate --redis-host 127.0.0.1 --redis-port $redis_port --key-prefix $prefix"
"$DAEMON" --docker-url "$url" --enumerate --redis-host 127.0.0.1 --redis-port "$redis_port" --key-prefix "$prefix" &
daemon_pid=$!
bh_on_exit "kill $daemon_pid; bh_wait_for 10 '! kill -0 $daemon_pid'; cleaned 'stopped the daemon (pid $daemon_pid)'"
sleep 2
kill -0 "$daemon_pid" 2>/dev/null || { say "the daemon exited; see the messages above"; exit 1; }

say "keys in Redis (confd reads them with: gets \"$prefix*\"):"
rcli --scan --pattern "$prefix*" | sort | while IFS= read -r key; do
	echo "  $key (ttl $(rcli ttl "$key") s)"
	echo "    $(rcli get "$key")"
done
if [ "$once" = yes ]; then
	exit 0
fi
say "the daemon keeps running (events act at once); Ctrl-C stops it"
wait "$daemon_pid"
