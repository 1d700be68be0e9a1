#!/bin/sh
# examples/compose.yml with Debian's docker-compose (1.29) against this
# test's own engine (in a network namespace of its own: compose's network and
# its bridge live and die there), using the images tests/packaging/image.sh
# built and saved (the daemon's image, and a Redis image from Debian's
# redis-server standing in for Docker Hub's redis:7.0-bookworm):
#   1. `docker-compose up -d --no-build` starts Redis and the daemon;
#   2. a container with BEACHHEAD_DOMAINS on the project's network gets its
#      key, with its address there, in the project's Redis;
#   3. `docker-compose stop` ends the daemon with exit status 0.
# A CI step (.ci/run), after image.sh:
#   sh tests/packaging/compose.sh --images FILE
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"

images=
case ${1:-} in
--images) images=${2:?--images FILE} ;;
*) echo "usage: sh tests/packaging/compose.sh --images FILE (saved by tests/packaging/image.sh --save-images)" >&2; exit 2 ;;
esac
[ -s "$images" ] || bh_fail "no images in $images"

bh_engine_require_docker
command -v docker-compose >/dev/null 2>&1 || bh_skip "docker-compose is not installed (apt-get install docker-compose)"
bh_setup_tmp
T=$BH_TMP
bh_engine_start_docker
docker load -i "$images" >/dev/null || bh_fail "docker load"

# The file as shipped, with this engine's socket and the image under test.
COMPOSE_FILE=$top_srcdir/examples/compose.yml
COMPOSE_PROJECT_NAME=bhcompose
DOCKER_SOCK=$BH_DOCKER_SOCK
DOCKER_GID=$(stat -c %g "$BH_DOCKER_SOCK")
BEACHHEAD_IMAGE=beachhead-companion:test
export COMPOSE_FILE COMPOSE_PROJECT_NAME DOCKER_SOCK DOCKER_GID BEACHHEAD_IMAGE
compose() { docker-compose --ansi never "$@"; }
# Before the engine's cleanup (registered earlier, so run later).
bh_on_exit 'docker-compose down --timeout 2'
compose up -d --no-build >"$T/up.log" 2>&1 || { cat "$T/up.log" >&2; bh_fail "docker-compose up"; }

net=${COMPOSE_PROJECT_NAME}_default
docker run -d --name web1 --network "$net" -e BEACHHEAD_DOMAINS=web1.example.org bbox:latest sleep 1000 >/dev/null ||
	bh_fail "run web1 on $net"
ip=$(bh_ip web1 "$net")
[ -n "$ip" ] || bh_fail "web1 has no address on $net"
want="[{\"id\":\"web1_example_org\",\"domain\":\"web1.example.org\",\"http\":{\"host\":\"$ip\",\"port\":80},\"https\":{\"host\":\"$ip\",\"port\":443}}]"
key() { compose exec -T redis redis-cli get /beachhead/web1 2>/dev/null; }
if ! bh_wait_for 60 '[ "$(key)" = "$want" ]' "the key of web1 in the project's Redis"; then
	compose logs >&2
	bh_fail "no key: got '$(key)'"
fi
bh_note "key of web1 in compose's Redis: $(key)"

compose stop --timeout 2 beachhead >"$T/stop.log" 2>&1 || { cat "$T/stop.log" >&2; bh_fail "docker-compose stop"; }
status=$(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -q beachhead)")
[ "$status" = 0 ] || { compose logs beachhead >&2; bh_fail "docker-compose stop: exit status $status, expected 0"; }
exit 0
