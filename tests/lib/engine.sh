# Throwaway container engines for tests and benchmarks.  Source it after
# tests/lib/common.sh and bh_setup_tmp:
#
#   . "$top_srcdir/tests/lib/common.sh"; . "$top_srcdir/tests/lib/engine.sh"
#   bh_setup_tmp
#   bh_engine_require_docker          # skips (77) without root or dockerd
#   bh_engine_start_docker            # sets DOCKER_HOST, BH_DOCKER_URL
#   bh_engine_import_image            # bbox:latest from the host's busybox
#
# or, for the usual start of a test, all three and its networks (and the
# stand-in proxy) in one: bh_engine_setup [--proxy] [NETWORK SUBNET]...
#
# The engine runs in private mount and network namespaces (unshare -m -n).
# Mount: on a host with the hybrid cgroup layout, dockerd 20.10 refuses to
# start while /sys/fs/cgroup/unified is mounted, so it is unmounted there.
# Network: its bridges, veths, container addresses and published ports live
# in a namespace that has only its own loopback and dies with the engine.
# Nothing reaches the host's interfaces, so parallel tests and two suites on
# one host cannot collide, and the subnets (172.30.0.0/16 by habit; bench/
# 172.31.0.0/16) and ports tests pick need not be unique.  The daemon under
# test reaches the engine through its unix socket and Redis and etcd on the
# host's loopback or unix sockets; a test that needs the engine's network (a
# TCP listener of dockerd) runs its command there with bh_engine_netns CMD.
# BH_ENGINE_HOST_NETWORK=1 keeps the engine in the host's network namespace,
# for `docker build --network host` (apt-get in a build reaches the mirror):
# with --bridge=none and no iptables it still creates nothing there, and
# such a test must create no network.
# The engine gets low default ulimits and listens only on a unix socket
# under $BH_TMP.  It runs in a session of its own, so that a Ctrl-C in a
# terminal (SIGINT to the whole foreground process group) reaches the
# script, whose cleanup then removes what the engine created, and not the
# engine first.  Cleanup is registered with bh_on_exit: containers first
# (their shims would outlive the engine), then the networks, then the engine.
BH_ENGINE_WAIT=${BH_ENGINE_WAIT:-30}

bh_engine_require_docker() {
	bh_require_root "dockerd"
	command -v dockerd >/dev/null 2>&1 || bh_skip "dockerd is not installed"
	command -v docker >/dev/null 2>&1 || bh_skip "the docker client is not installed"
	command -v unshare >/dev/null 2>&1 || bh_skip "unshare is not installed"
	command -v busybox >/dev/null 2>&1 || bh_skip "busybox (busybox-static) is not installed"
	command -v ip >/dev/null 2>&1 || bh_skip "ip (iproute2) is not installed"
}

bh_engine_require_podman() {
	bh_require_root "podman"
	command -v podman >/dev/null 2>&1 || bh_skip "podman is not installed"
	command -v docker >/dev/null 2>&1 || bh_skip "the docker client is not installed"
	command -v busybox >/dev/null 2>&1 || bh_skip "busybox (busybox-static) is not installed"
	command -v ip >/dev/null 2>&1 || bh_skip "ip (iproute2) is not installed"
}

# The unshare option and the start script's line for an engine's network
# namespace (its loopback up), unless BH_ENGINE_HOST_NETWORK=1.
bh_engine_unshare_net() {
	[ -n "${BH_ENGINE_HOST_NETWORK:-}" ] || printf %s -n
}
bh_engine_lo_up() {
	[ -n "${BH_ENGINE_HOST_NETWORK:-}" ] || echo "ip link set lo up || exit 1"
}

# bh_engine_netns CMD...: runs CMD in the Docker engine's network namespace
# (e.g. the daemon against a TCP listener of dockerd on that loopback).
bh_engine_netns() {
	nsenter --net="/proc/$BH_DOCKERD_PID/ns/net" "$@"
}

# bh_engine_ping SOCKET: true when the engine answers.
bh_engine_ping() {
	[ "$(curl -s --max-time 2 --unix-socket "$1" http://d/_ping 2>/dev/null)" = OK ]
}

# Starts dockerd (or starts it again after bh_engine_stop_docker, keeping its
# data: containers survive a restart as they would on a host).
# BH_DOCKERD_EXTRA: more dockerd options (e.g. a TLS listener on loopback).
bh_engine_start_docker() {
	E=$BH_TMP/engine
	mkdir -p "$E"
	cat >"$E/start.sh" <<SH
#!/bin/sh
umount /sys/fs/cgroup/unified 2>/dev/null
$(bh_engine_lo_up)
exec dockerd --host "unix://$E/docker.sock" ${BH_DOCKERD_EXTRA:-} --data-root "$E/data" \\
  --exec-root "$E/exec" --pidfile "$E/dockerd.pid" \\
  --iptables=false --ip6tables=false --ip-masq=false --bridge=none --storage-driver=vfs \\
  --default-ulimit nofile=1024:1024 --default-ulimit nproc=1000:1000
SH
	chmod +x "$E/start.sh"
	setsid unshare -m $(bh_engine_unshare_net) --propagation private "$E/start.sh" >>"$E/dockerd.log" 2>&1 &
	BH_DOCKERD_PID=$!
	if [ -z "${BH_ENGINE_CLEANUP_SET:-}" ]; then
		bh_on_exit 'bh_engine_cleanup_docker'
		BH_ENGINE_CLEANUP_SET=1
	fi
	DOCKER_HOST="unix://$E/docker.sock"
	export DOCKER_HOST
	BH_DOCKER_SOCK="$E/docker.sock"
	BH_DOCKER_URL="unix://$E/docker.sock"
	if ! bh_wait_for "$BH_ENGINE_WAIT" 'bh_engine_ping "$BH_DOCKER_SOCK"' "dockerd to answer"; then
		tail -n 20 "$E/dockerd.log" >&2
		bh_fail "dockerd did not start"
	fi
}

# Stops dockerd (SIGTERM) and waits until it is gone.  Running containers
# are stopped by the engine, as on a host without live-restore.
bh_engine_stop_docker() {
	[ -n "${BH_DOCKERD_PID:-}" ] || return 0
	kill -TERM "$BH_DOCKERD_PID" 2>/dev/null
	# $! is setsid, which exec'd unshare, which exec'd the script, which
	# exec'd dockerd (a background job of a script leads no process group,
	# so setsid need not fork).
	bh_wait_for 30 '! kill -0 "$BH_DOCKERD_PID"' "dockerd to exit" || kill -KILL "$BH_DOCKERD_PID" 2>/dev/null
	wait "$BH_DOCKERD_PID" 2>/dev/null
	BH_DOCKERD_PID=
}

bh_engine_cleanup_docker() {
	if [ -n "${BH_DOCKERD_PID:-}" ] && bh_engine_ping "$BH_DOCKER_SOCK"; then
		# In batches: dockerd 20.10 can deadlock in its network code when
		# hundreds of containers are removed by one call.
		docker ps -aq 2>/dev/null | xargs -r -n 25 docker rm -f >/dev/null 2>&1
		# The engine's namespace takes its bridges along; removing the
		# networks first also covers BH_ENGINE_HOST_NETWORK.
		docker network ls -q --filter type=custom 2>/dev/null | xargs -r docker network rm >/dev/null 2>&1
	fi
	bh_engine_stop_docker
	# containerd and shims started by this engine mention its directory.
	bh_wait_for 10 '! pgrep -f "$BH_TMP/engine" >/dev/null' "engine processes to exit" || true
	# vfs layers can be large and contain read-only bits.
	rm -rf "$BH_TMP/engine" 2>/dev/null
}

# bh_engine_import_image [NAME]: a busybox root filesystem as an image
# (there is no registry here).
bh_engine_import_image() {
	name=${1:-bbox:latest}
	R=$BH_TMP/rootfs
	mkdir -p "$R/bin"
	cp "$(command -v busybox)" "$R/bin/" || bh_fail "cannot copy busybox"
	for c in sh sleep env cat true; do ln -sf busybox "$R/bin/$c"; done
	tar -C "$R" -cf "$BH_TMP/rootfs.tar" . || bh_fail "tar"
	docker import "$BH_TMP/rootfs.tar" "$name" >/dev/null || bh_fail "docker import failed"
	rm -rf "$R" "$BH_TMP/rootfs.tar"
}

# --- Podman's Docker-compatible API ---

bh_engine_start_podman() {
	P=$BH_TMP/podman
	mkdir -p "$P/root" "$P/run" "$P/tmp"
	printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]\ncgroups = "disabled"\n[engine]\ntmp_dir = "%s"\n' "$P/tmp" >"$P/containers.conf"
	# A private storage root and run root: nothing touches the host's podman.
	cat >"$P/start.sh" <<SH
#!/bin/sh
umount /sys/fs/cgroup/unified 2>/dev/null
$(bh_engine_lo_up)
exec podman --root "$P/root" --runroot "$P/run" --storage-driver vfs \\
  system service --time=0 "unix://$P/podman.sock"
SH
	chmod +x "$P/start.sh"
	CONTAINERS_CONF="$P/containers.conf" unshare -m $(bh_engine_unshare_net) --propagation private "$P/start.sh" >"$P/podman.log" 2>&1 &
	BH_PODMAN_PID=$!
	bh_on_exit 'bh_engine_cleanup_podman'
	DOCKER_HOST="unix://$P/podman.sock"
	export DOCKER_HOST
	BH_PODMAN_SOCK="$P/podman.sock"
	BH_PODMAN_URL="unix://$P/podman.sock"
	if ! bh_wait_for "$BH_ENGINE_WAIT" 'bh_engine_ping "$BH_PODMAN_SOCK"' "podman to answer"; then
		tail -n 20 "$P/podman.log" >&2
		bh_fail "podman system service did not start"
	fi
}

bh_engine_cleanup_podman() {
	if [ -n "${BH_PODMAN_PID:-}" ] && bh_engine_ping "$BH_PODMAN_SOCK"; then
		ids=$(docker ps -aq 2>/dev/null)
		[ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
	fi
	if [ -n "${BH_PODMAN_PID:-}" ]; then
		kill -TERM "$BH_PODMAN_PID" 2>/dev/null
		bh_wait_for 20 '! kill -0 "$BH_PODMAN_PID"' "podman to exit" || kill -KILL "$BH_PODMAN_PID" 2>/dev/null
		wait "$BH_PODMAN_PID" 2>/dev/null
		BH_PODMAN_PID=
	fi
	bh_wait_for 10 '! pgrep -f "$BH_TMP/podman" >/dev/null' "podman processes to exit" || true
	rm -rf "$BH_TMP/podman" 2>/dev/null
}

# --- the daemon under test ---

# bh_daemon_start OUT ARGS...: runs the daemon in the background with stdout
# to OUT and stderr to OUT.err; sets BH_DAEMON_PID.
bh_daemon_start() {
	out=$1
	shift
	$(bh_daemon_cmd) "$@" >"$out" 2>"$out.err" &
	BH_DAEMON_PID=$!
	bh_on_exit "kill -TERM $BH_DAEMON_PID; wait $BH_DAEMON_PID"
}

# bh_daemon_stop: SIGTERM, wait, return the daemon's exit status.
bh_daemon_stop() {
	kill -TERM "$BH_DAEMON_PID" 2>/dev/null
	wait "$BH_DAEMON_PID"
	rc=$?
	return $rc
}

# bh_has_line FILE LINE: exact line present.
bh_has_line() {
	grep -qxF -- "$2" "$1"
}

# bh_expect_line TIMEOUT FILE LINE
bh_expect_line() {
	# bh_wait_for evals in its own positional context: pass through globals.
	BH_EXP_FILE=$2
	BH_EXP_LINE=$3
	if ! bh_wait_for "$1" 'bh_has_line "$BH_EXP_FILE" "$BH_EXP_LINE"' "line in $2: $3"; then
		echo "--- $2:" >&2
		cat "$2" >&2
		echo "--- $2.err:" >&2
		tail -n 30 "$2.err" >&2
		exit 1
	fi
}

# bh_reg NAME IP [DOMAIN]: the set line the stdout publisher prints for a
# container with BEACHHEAD_DOMAINS=DOMAIN (both schemes, default ports).
bh_reg() {
	d=${3:-$1.example.org}
	id=$(printf '%s' "$d" | tr -c 'A-Za-z0-9_' '_')
	printf '{"op":"set","key":"/beachhead/%s","ttl":%s,"value":[{"id":"%s","domain":"%s","http":{"host":"%s","port":80},"https":{"host":"%s","port":443}}]}' \
		"$1" "${BH_TTL:-60}" "$id" "$d" "$2" "$2"
}

bh_del() {
	printf '{"op":"del","key":"/beachhead/%s"}' "$1"
}

# bh_ip NAME NETWORK: the container's address on NETWORK (read, never used).
bh_ip() {
	docker inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
}

# --- the stand-in proxy and the daemon's configuration ---

# bh_engine_start_proxy: tests/inspector-docker/engine-proxy.py, a STAND-IN proxy in
# front of the real engine (see its header for what it can be told to do).
# Sets BH_PROXY_SOCK (the daemon's engine address), BH_PROXY_CTL (its control
# directory) and BH_PROXY_LOG (its request log; the stream's doings go to
# $BH_PROXY_LOG.events).
bh_engine_start_proxy() {
	command -v python3 >/dev/null 2>&1 || bh_skip "python3 is not installed"
	BH_PROXY_CTL=$BH_TMP/ctl
	BH_PROXY_SOCK=$BH_TMP/proxy.sock
	BH_PROXY_LOG=$BH_TMP/requests
	mkdir -p "$BH_PROXY_CTL"
	python3 "$top_srcdir/tests/inspector-docker/engine-proxy.py" "$BH_PROXY_SOCK" "$BH_DOCKER_SOCK" \
		"$BH_PROXY_CTL" "$BH_PROXY_LOG" &
	bh_on_exit "kill $!"
	bh_wait_for 10 '[ -S "$BH_PROXY_SOCK" ]' "the stand-in proxy" || exit 1
}

# bh_engine_setup [--proxy] [NETWORK SUBNET]...: the usual start of a test
# against a throwaway dockerd, after bh_setup_tmp: skips without root or
# dockerd, starts the engine, imports bbox:latest, creates each NETWORK on
# its SUBNET (e.g. testnet 172.30.1.0/24), and with --proxy starts the
# stand-in proxy in front of the engine (bh_engine_start_proxy) and sets CTL
# to its control directory.
bh_engine_setup() {
	bh_setup_proxy=
	if [ "${1:-}" = --proxy ]; then
		bh_setup_proxy=1
		shift
	fi
	bh_engine_require_docker
	bh_engine_start_docker
	bh_engine_import_image
	while [ $# -ge 2 ]; do
		docker network create --subnet "$2" "$1" >/dev/null || bh_fail "network create $1"
		shift 2
	done
	[ $# -eq 0 ] || bh_fail "bh_engine_setup: a network without a subnet: $1"
	if [ -n "$bh_setup_proxy" ]; then
		bh_engine_start_proxy
		CTL=$BH_PROXY_CTL
	fi
}

# bh_daemon_conf URL [INSPECTOR_SETTINGS]: $BH_TMP/c.conf for a daemon that
# enumerates through the stdout publisher with a refresh (120 s) far beyond
# any wait of a test: what it registers or withdraws, events and the passes
# that follow (re)connections did.  Sets BH_TTL for bh_reg.
bh_daemon_conf() {
	cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-docker"; url = "$1"; ${2:-} };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
expire = 300;
refresh = 120;
timestamps = false;
CONF
	BH_TTL=300
}

# bh_run_domain NETWORK NAME [DOCKER_RUN_OPTIONS...]: a sleeping container
# on NETWORK asking for NAME.example.org.
bh_run_domain() {
	net=$1
	name=$2
	shift 2
	docker run -d --name "$name" --network "$net" -e "BEACHHEAD_DOMAINS=$name.example.org" "$@" \
		bbox:latest sleep 100000 >/dev/null || bh_fail "docker run $name"
}
