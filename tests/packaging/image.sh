#!/bin/sh
# The container image, as its users get it (root; Debian's mirror):
#   1. a clean Debian 12 root (--root FILE: the one tests/packaging/clean_root.sh
#      saved; otherwise built here with mmdebstrap) is imported into this
#      test's own engine as debian:bookworm-slim: no registry involved;
#   2. the image is built from this checkout's Dockerfile
#      (`docker build --network host`: apt-get in the build reaches the
#      mirror, so this engine runs in the host's network namespace; with
#      --bridge=none and no iptables it creates nothing there, and this test
#      creates no network: every container runs with --network none);
#   3. the image holds no build tools, runs as uid 10001, and its daemon
#      checks its configuration with the plugins it ships;
#   4. run as README says (the engine's socket mounted, `--group-add` of the
#      socket's group, --network host, a real redis-server on loopback), and
#      with --network none and a mounted /etc/beachhead.conf that points the
#      Redis publisher at that server's unix socket (mounted too): each time
#      a container's key appears;
#   5. `docker stop -t 2` ends it with exit status 0 (SIGTERM handled, not
#      SIGKILL after the 2 s grace period).
# The image size and build time are printed for docs/PERFORMANCE.md.
# --save-images FILE keeps the image and a Redis image built from Debian's
# redis-server (a stand-in for Docker Hub's redis:7.0-bookworm, which this
# machine cannot pull) for tests/packaging/compose.sh.  A CI step (.ci/run):
#   sh tests/packaging/image.sh [--root FILE] [--save-images FILE]
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/clean_root.sh"

root=
save_images=
while [ $# -gt 0 ]; do
	case $1 in
	--root) root=${2:?--root FILE}; shift 2 ;;
	--save-images) save_images=${2:?--save-images FILE}; shift 2 ;;
	*) echo "usage: sh tests/packaging/image.sh [--root FILE] [--save-images FILE]" >&2; exit 2 ;;
	esac
done

bh_engine_require_docker
bh_redis_require
bh_setup_tmp
T=$BH_TMP
IMAGE=beachhead-companion:test

# --- 1. the base image ------------------------------------------------------
if [ -z "$root" ]; then
	bh_clean_root_require
	bh_note "no --root: mmdebstrap --variant=minbase bookworm"
	root=$T/root.tar
	bh_clean_root_build "$root"
fi
BH_ENGINE_HOST_NETWORK=1
bh_engine_start_docker
BH_ENGINE_HOST_NETWORK=
docker import "$root" debian:bookworm-slim >/dev/null || bh_fail "docker import of the clean root"

# --- 2. the build -----------------------------------------------------------
start=$(date +%s)
docker build --network host -t "$IMAGE" "$top_srcdir" >"$T/build.log" 2>&1 ||
	{ tail -n 40 "$T/build.log" >&2; bh_fail "docker build"; }
size=$(docker image inspect -f '{{.Size}}' "$IMAGE") || bh_fail "image inspect"
base=$(docker image inspect -f '{{.Size}}' debian:bookworm-slim) || bh_fail "image inspect"
bh_note "docker build: $(( $(date +%s) - start )) s; image $IMAGE: $size bytes ($(( size / 1048576 )) MiB), of which the base $(( base / 1048576 )) MiB, the runtime libraries and the daemon $(( (size - base) / 1048576 )) MiB"

# --- 3. what is inside ------------------------------------------------------
in_image() { # CMD...: runs CMD in a throwaway container of the image
	entry=$1
	shift
	docker run --rm --network none --entrypoint "$entry" "$IMAGE" "$@"
}
[ "$(in_image id -u | tail -n 1)" = 10001 ] || bh_fail "the image does not run as uid 10001"
for tool in gcc cc make pkg-config autoreconf curl; do
	! in_image sh -c "command -v $tool" >/dev/null 2>&1 ||
		bh_fail "the runtime image contains the build or debug tool $tool"
done
[ "$(docker image inspect -f '{{json .Config.Entrypoint}} {{.Config.StopSignal}}' "$IMAGE")" = \
	'["/usr/local/sbin/beachhead-companion"] SIGTERM' ] || bh_fail "entrypoint or stop signal"
docker run --rm --network none "$IMAGE" --check-config >"$T/check.log" 2>&1 ||
	{ cat "$T/check.log" >&2; bh_fail "--check-config with the shipped configuration and plugins"; }

# --- 4. the daemon in the image, a real engine and a real Redis ---------------
# The daemon's uid needs the socket: the test owns this Redis alone.
bh_redis_start --unixsocketperm 777
chmod 755 "$BH_REDIS_DIR" || bh_fail "chmod"
printf 'publishers = ( { plugin = "publisher-redis"; socket = "/run/redis/redis.sock"; } );\n' >"$T/beachhead.conf"
chmod 644 "$T/beachhead.conf"
bh_engine_import_image
docker run -d --name web1 --network none -e BEACHHEAD_DOMAINS=web1.example.org bbox:latest sleep 1000 >/dev/null ||
	bh_fail "run web1"
# Address "name" (--docker-network): web1 has no network.
want='[{"id":"web1_example_org","domain":"web1.example.org","http":{"host":"web1","port":80},"https":{"host":"web1","port":443}}]'
sock_group=$(stat -c %g "$BH_DOCKER_SOCK")

# serve NAME [docker run options] -- [daemon arguments]: runs the image as
# NAME, waits for web1's key, then stops it: exit status 0 within the 2 s
# grace period (SIGTERM handled, not SIGKILL after it).
serve() {
	name=$1
	shift
	opts=
	while [ "$1" != -- ]; do opts="$opts $1"; shift; done
	shift
	bh_redis_cli del /beachhead/web1 >/dev/null
	# shellcheck disable=SC2086 # options are words
	docker run -d --name "$name" --group-add "$sock_group" -v "$BH_DOCKER_SOCK:/var/run/docker.sock" \
		$opts "$IMAGE" "$@" >/dev/null || bh_fail "docker run of the image ($name)"
	if ! bh_wait_for 30 '[ "$(bh_redis_cli get /beachhead/web1)" = "$want" ]' "the key of web1 in Redis ($name)"; then
		docker logs "$name" >&2
		bh_fail "no key from $name: got '$(bh_redis_cli get /beachhead/web1)'"
	fi
	# The image's HEALTHCHECK: the daemon's own --health-check on /readyz.
	if ! bh_wait_for 60 "[ \"\$(docker inspect -f '{{.State.Health.Status}}' $name)\" = healthy ]" \
		"$name healthy (HEALTHCHECK: --health-check)"; then
		docker inspect -f '{{json .State.Health}}' "$name" >&2
		bh_fail "$name: not healthy"
	fi
	started=$(date +%s%N)
	docker stop -t 2 "$name" >/dev/null || bh_fail "docker stop $name"
	stop_ms=$(( ($(date +%s%N) - started) / 1000000 ))
	status=$(docker inspect -f '{{.State.ExitCode}}' "$name")
	[ "$status" = 0 ] || { docker logs "$name" >&2; bh_fail "docker stop $name: exit status $status, expected 0 within the 2 s grace period"; }
	bh_note "$name: key of web1 published; docker stop: exit status 0 after $stop_ms ms"
	! docker logs "$name" 2>&1 | grep 'error:' >&2 || bh_fail "$name logged an error"
}

# README's line: the host's network (this engine runs in it), Redis on the
# host's loopback, options as arguments.
serve readme --network host -- --enumerate --docker-network --redis-host 127.0.0.1 --redis-port "$BH_REDIS_PORT"
# No network at all: a mounted /etc/beachhead.conf that names Redis's unix
# socket, mounted too.
serve mounted --network none -v "$BH_REDIS_DIR:/run/redis" -v "$T/beachhead.conf:/etc/beachhead.conf:ro" -- \
	--enumerate --docker-network

# --- images for compose.sh ------------------------------------------------------
if [ -n "$save_images" ]; then
	mkdir -p "$T/redis-image"
	cat >"$T/redis-image/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*
USER redis
CMD ["redis-server"]
EOF
	docker build --network host -t redis:7.0-bookworm "$T/redis-image" >"$T/redis-build.log" 2>&1 ||
		{ tail -n 20 "$T/redis-build.log" >&2; bh_fail "building the Redis stand-in image"; }
	docker save -o "$save_images" "$IMAGE" redis:7.0-bookworm bbox:latest || bh_fail "docker save"
fi
exit 0
