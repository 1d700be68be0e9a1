# Real HTTP through a proxy configured by a shipped confd recipe, in
# namespaces of the test's own.  Source after common.sh, redis.sh and
# recipes.sh:
#
#   bh_traffic_enter "$@"      first thing: re-runs the test in a new network,
#                              mount and PID namespace (lo up) and returns
#                              there; outside it exits with the test's status
#   bh_traffic_setup           dockerd, an image with busybox httpd, the
#                              network, redis-server (keyspace events on), the
#                              daemon (inspector-docker -> publisher-redis),
#                              the stand-in and the load client built
#   bh_traffic_start_proxy nginx|haproxy
#                              the proxy on port 80 and the confd stand-in in
#                              -watch mode running the recipe's check_cmd as
#                              shipped and its reload_cmd adapted to the
#                              test's paths (BH_CONFD=/path/to/confd: a real
#                              confd, built by hand, instead)
#   bh_traffic_scenario TAG DELAY
#                              a new domain served; a rolling update under
#                              load; the last replica stopped; with replicas
#                              whose httpd listens DELAY s after start
#
# Everything (dockerd and its containers, bridges and mounts, redis, the
# daemon, the stand-in, the proxy, the clients) lives in those namespaces:
# traffic to container addresses never leaves them.  Cleanup stops each
# process by its pid file, containers first; when the test's shell (PID 1
# of its namespace) exits, the kernel kills whatever would be left, and the
# network namespace with its bridges goes with the last process.

bh_traffic_require() {
	bh_require_root "its own network namespace, dockerd, port 80"
	for c in unshare ip dockerd docker busybox curl socat; do
		command -v $c >/dev/null 2>&1 || bh_skip "$c is not installed"
	done
	bh_redis_require
	bh_recipes_require
}

bh_traffic_enter() {
	[ -n "${BH_TRAFFIC_NS:-}" ] && return 0
	bh_traffic_require
	# dockerd 20.10 refuses the hybrid cgroup layout while
	# /sys/fs/cgroup/unified is mounted: unmounted here, in the private
	# mount namespace only.
	BH_TRAFFIC_NS=1
	export BH_TRAFFIC_NS
	exec unshare --net --mount --pid --fork --mount-proc --propagation private \
		sh -c 'ip link set lo up && { umount /sys/fs/cgroup/unified 2>/dev/null; exec sh "$0" "$@"; }' "$0" "$@"
}

bh_traffic_setup() {
	bh_setup_tmp
	bh_recipes_build_standin
	bh_recipes_go_build "$BH_TMP/load" "$top_srcdir/tests/recipes/load"
	# confd's redis watch needs keyspace events (docs/confd.md).
	bh_redis_start --notify-keyspace-events 'K$g'
	# Registered after redis-server's, so run before it is killed.
	bh_on_exit bh_traffic_cleanup
	bh_traffic_start_docker
	bh_traffic_image
	docker network create --subnet 10.77.0.0/24 trafficnet >/dev/null || bh_fail "docker network create"
	cat >"$BH_TMP/beachhead.conf" <<CONF
inspector = { plugin = "inspector-docker"; url = "unix://$BH_TMP/engine/docker.sock"; };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; } );
enumerate = true;
CONF
	$(bh_daemon_cmd) -c "$BH_TMP/beachhead.conf" --no-timestamp 2>"$BH_TMP/daemon.err" &
	echo $! >"$BH_TMP/daemon.pid"
}

bh_traffic_start_docker() {
	E=$BH_TMP/engine
	mkdir -p "$E"
	dockerd --host "unix://$E/docker.sock" --data-root "$E/data" --exec-root "$E/exec" \
		--pidfile "$E/dockerd.pid" --iptables=false --ip6tables=false --ip-masq=false \
		--bridge=none --storage-driver=vfs \
		--default-ulimit nofile=1024:1024 --default-ulimit nproc=1000:1000 >"$E/dockerd.log" 2>&1 &
	DOCKER_HOST="unix://$E/docker.sock"
	export DOCKER_HOST
	bh_wait_for 30 '[ "$(curl -s --max-time 2 --unix-socket "$E/docker.sock" http://d/_ping)" = OK ]' \
		"dockerd to answer" || { tail -n 20 "$E/dockerd.log" >&2; bh_fail "dockerd did not start"; }
}

# An image with busybox and its httpd (there is no registry here).
bh_traffic_image() {
	R=$BH_TMP/rootfs
	mkdir -p "$R/bin" "$R/www"
	cp "$(command -v busybox)" "$R/bin/" || bh_fail "cannot copy busybox"
	for c in sh sleep httpd; do ln -sf busybox "$R/bin/$c"; done
	tar -C "$R" -cf "$BH_TMP/rootfs.tar" . && docker import "$BH_TMP/rootfs.tar" bbox:httpd >/dev/null ||
		bh_fail "docker import failed"
	rm -rf "$R" "$BH_TMP/rootfs.tar"
}

# bh_traffic_replica NAME DOMAIN DELAY: a container serving its own name as
# its page, its httpd listening DELAY s after start; on SIGTERM it goes on
# serving for 2 s (draining), then exits.
bh_traffic_replica() {
	docker run -d --name "$1" --network trafficnet -e "BEACHHEAD_DOMAINS=$2:http" \
		-e "PAGE=$1" -e "DELAY=$3" bbox:httpd sh -c \
		'echo "$PAGE" >/www/index.html; trap "sleep 2; exit 0" TERM; (sleep "$DELAY"; exec httpd -f -p 80 -h /www) & wait' \
		>/dev/null || bh_fail "docker run $1"
}

bh_traffic_ip() {
	docker inspect -f '{{(index .NetworkSettings.Networks "trafficnet").IPAddress}}' "$1"
}

bh_traffic_cleanup() {
	for p in standin proxy; do
		[ -s "$BH_TMP/$p.pid" ] && kill "$(cat "$BH_TMP/$p.pid")" 2>/dev/null
	done
	if [ -s "$BH_TMP/daemon.pid" ]; then
		kill -TERM "$(cat "$BH_TMP/daemon.pid")" 2>/dev/null
		wait "$(cat "$BH_TMP/daemon.pid")" 2>/dev/null
	fi
	if [ -s "$BH_TMP/engine/dockerd.pid" ]; then
		docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1
		docker network rm trafficnet >/dev/null 2>&1
		kill "$(cat "$BH_TMP/engine/dockerd.pid")" 2>/dev/null
		bh_wait_for 20 '! pgrep -f "$BH_TMP/engine" >/dev/null' "the engine's processes to exit"
	fi
	rm -rf "$BH_TMP/engine" 2>/dev/null
}

# --- the proxy and confd ---

# bh_traffic_start_proxy nginx|haproxy: sets BH_PROXY, BH_PROXY_DEST (the
# rendered file) and BH_PROXY_GONE (the status for a domain it does not
# serve).
bh_traffic_start_proxy() {
	BH_PROXY=$1
	N=$BH_TMP/$1
	mkdir -p "$N/tmp"
	case $1 in
	nginx)
		recipe=beachhead-nginx
		BH_PROXY_DEST=$N/beachhead.conf
		BH_PROXY_GONE=404
		bh_traffic_nginx_conf "$N"
		start="/usr/sbin/nginx -c $N/nginx.conf"
		;;
	haproxy)
		recipe=beachhead-haproxy
		BH_PROXY_DEST=$N/haproxy.cfg
		BH_PROXY_GONE=503
		# As Debian's haproxy.service runs it: master-worker, master CLI.
		start="/usr/sbin/haproxy -W -f $BH_PROXY_DEST -p $N/haproxy.pid -S $N/master.sock"
		;;
	*) bh_fail "bh_traffic_start_proxy: unknown proxy $1" ;;
	esac
	reload=$(bh_traffic_reload_cmd $recipe "$N") || exit 1
	# The empty store's configuration first: the proxy needs one to start.
	bh_recipe_render $recipe "$BH_PROXY_DEST"
	$start >"$N/proxy.log" 2>&1 &
	echo $! >"$BH_TMP/proxy.pid"
	bh_wait_for 10 'curl -s -o /dev/null --max-time 1 http://127.0.0.1/' "$1 to listen on port 80" ||
		{ cat "$N/proxy.log" >&2; bh_fail "$1 did not start"; }
	src=$(bh_recipe_setting $recipe src)
	if [ -n "${BH_CONFD:-}" ]; then
		bh_traffic_start_confd "$recipe" "$reload"
		return
	fi
	"$BH_TMP/confd-standin" -backend redis -node "$BH_REDIS_SOCK" -keys "$(bh_recipe_keys $recipe)" \
		-src "$BH_RECIPES/templates/$src" -dest "$BH_PROXY_DEST" -watch \
		-check-cmd "$(bh_recipe_setting $recipe check_cmd)" -reload-cmd "$reload" \
		2>"$BH_TMP/standin.log" &
	echo $! >"$BH_TMP/standin.pid"
}

# bh_traffic_start_confd RECIPE RELOAD: with BH_CONFD=/path/to/confd (a
# confd built by hand; not in CI), the real confd in place of the
# stand-in, on a copy of the resource with the test's dest and reload_cmd.
bh_traffic_start_confd() {
	bh_note "confd: $BH_CONFD ($("$BH_CONFD" -version 2>&1))"
	C=$BH_TMP/confd
	mkdir -p "$C/conf.d" "$C/templates"
	cp "$BH_RECIPES/templates/$(bh_recipe_setting "$1" src)" "$C/templates/" || bh_fail "cp template"
	{
		sed -e "s|^dest = .*|dest = \"$BH_PROXY_DEST\"|" -e '/^reload_cmd = /d' "$BH_RECIPES/conf.d/$1.toml"
		printf "reload_cmd = '''%s'''\n" "$2"
	} >"$C/conf.d/$1.toml"
	"$BH_CONFD" -backend redis -node "$BH_REDIS_SOCK" -confdir "$C" -watch 2>"$BH_TMP/standin.log" &
	echo $! >"$BH_TMP/standin.pid"
}

# bh_traffic_reload_cmd RECIPE DIR: the recipe's reload_cmd with the
# test's paths: nginx's configuration, haproxy's master (Debian's unit's
# ExecReload sends it SIGUSR2 after a check; check_cmd has checked) and its
# CLI socket.
bh_traffic_reload_cmd() {
	bh_t_cmd=$(bh_recipe_setting "$1" reload_cmd | sed \
		-e "s|/usr/sbin/nginx -s reload|/usr/sbin/nginx -c $2/nginx.conf -s reload|" \
		-e "s|systemctl reload haproxy|kill -USR2 \$(cat $2/haproxy.pid)|" \
		-e "s|/run/haproxy-master.sock|$2/master.sock|")
	case $bh_t_cmd in
	*"-c $2/nginx.conf -s reload"* | *"cat $2/haproxy.pid"*) printf '%s\n' "$bh_t_cmd" ;;
	*) bh_fail "$1: cannot adapt its reload_cmd to the test: $bh_t_cmd" ;;
	esac
}

bh_traffic_nginx_conf() {
	cat >"$1/nginx.conf" <<CONF
daemon off;
pid $1/nginx.pid;
error_log $1/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $1/tmp/body;
    proxy_temp_path $1/tmp/proxy;
    fastcgi_temp_path $1/tmp/fastcgi;
    uwsgi_temp_path $1/tmp/uwsgi;
    scgi_temp_path $1/tmp/scgi;
    include $1/beachhead.conf;
    # What a domain nobody serves gets (Debian's default site does the same).
    server { listen 80 default_server; return 404; }
}
CONF
}

# --- the scenario ---

bh_traffic_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# bh_traffic_load ARGS...: the load client against the proxy.
bh_traffic_load() { "$BH_TMP/load" -addr 127.0.0.1:80 "$@"; }

bh_traffic_scenario() {
	tag=$1
	delay=$2
	# A new container's domain: served through the proxy.
	t0=$(bh_traffic_ms)
	bh_traffic_replica "$tag-first" "first-$tag.example.org" "$delay"
	bh_traffic_load -host "first-$tag.example.org" -until-body "$tag-first" -duration 30s >/dev/null ||
		bh_traffic_fail "$tag: a new container's domain is not served"
	bh_traffic_figures "$tag" "start_to_served_ms=$(( $(bh_traffic_ms) - t0 ))"
	bh_traffic_rolling "$tag" "$delay"
	# The last replicas stopped: the domain leaves the proxy.
	t0=$(bh_traffic_ms)
	docker stop -t 10 "$tag-new1" "$tag-new2" >/dev/null &
	bh_traffic_load -host "roll-$tag.example.org" -until-status "$BH_PROXY_GONE" -duration 30s >/dev/null ||
		bh_traffic_fail "$tag: the domain is still served after its last replica stopped"
	bh_traffic_figures "$tag" "gone_ms=$(( $(bh_traffic_ms) - t0 ))"
	wait $!
	! grep -q "roll-$tag.example.org" "$BH_PROXY_DEST" || bh_traffic_fail "$tag: the domain is still in $BH_PROXY_DEST"
	docker rm -f "$tag-first" "$tag-old1" "$tag-old2" "$tag-new1" "$tag-new2" >/dev/null 2>&1
}

# bh_traffic_figures TAG NAME=VALUE...: one line of measurements for
# bench/traffic.sh (printed before anything is asserted on them).
bh_traffic_figures() {
	bh_t_tag=$1
	shift
	echo "# figures: proxy=$BH_PROXY starter=$bh_t_tag $*" >&2
}

# Two old replicas replaced by two new ones under load: each new one is
# started, waited for until the proxy has it and it answers (the deploy
# tool's health check), then an old one is stopped (it drains 2 s).
bh_traffic_rolling() {
	dom=roll-$1.example.org
	bh_traffic_replica "$1-old1" "$dom" "$2"
	bh_traffic_replica "$1-old2" "$dom" "$2"
	for o in old1 old2; do
		bh_traffic_load -host "$dom" -until-body "$1-$o" -duration 30s >/dev/null ||
			bh_traffic_fail "$1: $o is not served"
	done
	bh_traffic_load -host "$dom" -stop "$BH_TMP/stop-$1" -max 20000 -duration 90s >"$BH_TMP/load-$1" &
	load_pid=$!
	sleep 1
	for i in 1 2; do
		bh_note "$(date +%T.%3N) docker run $1-new$i"
		bh_traffic_replica "$1-new$i" "$dom" "$2"
		BH_T_IP=$(bh_traffic_ip "$1-new$i")
		[ -n "$BH_T_IP" ] || bh_traffic_fail "$1: new$i has no address on trafficnet"
		BH_T_PAGE=$1-new$i
		bh_wait_for 30 'grep -q "$BH_T_IP:80" "$BH_PROXY_DEST"' "new$i in the proxy's configuration" &&
			bh_wait_for 30 '[ "$(curl -s --max-time 1 "http://$BH_T_IP/")" = "$BH_T_PAGE" ]' "new$i to answer" ||
			bh_traffic_fail "$1: new$i never came up"
		bh_note "$(date +%T.%3N) docker stop $1-old$i"
		eval "stop_old$i=$(bh_traffic_ms)"
		docker stop -t 10 "$1-old$i" >/dev/null || bh_traffic_fail "docker stop old$i"
	done
	sleep 1
	bh_note "$(date +%T.%3N) load stopped"
	touch "$BH_TMP/stop-$1"
	wait "$load_pid"
	cat "$BH_TMP/load-$1" >&2
	requests=$(sed -n 's/^requests \([0-9]*\) failed.*/\1/p' "$BH_TMP/load-$1")
	failed=$(sed -n 's/^requests [0-9]* failed \([0-9]*\)$/\1/p' "$BH_TMP/load-$1")
	worst=$(sed -n 's/^latency_max_ms //p' "$BH_TMP/load-$1")
	# How long after its `docker stop` an old replica still got requests.
	out=""
	for i in 1 2; do
		last=$(sed -n "s/^served $1-old$i [0-9]* last //p" "$BH_TMP/load-$1")
		eval "stopped=\$stop_old$i"
		out="$out${out:+,}$(if [ -n "$last" ]; then echo $((last - stopped)); else echo none; fi)"
	done
	bh_traffic_figures "$1" "rolling_requests=$requests rolling_failed=$failed" \
		"rolling_max_latency_ms=$worst stop_to_last_request_ms=$out"
	[ "${requests:-0}" -ge 100 ] || bh_traffic_fail "$1: only ${requests:-0} requests during the rolling update"
	[ "$failed" = 0 ] || bh_traffic_fail "$1: $failed of $requests requests failed during the rolling update"
	for i in 1 2; do
		grep -q "^served $1-new$i [1-9]" "$BH_TMP/load-$1" || bh_traffic_fail "$1: new$i served nothing"
	done
}

# bh_traffic_fail WHY: fails with what the proxy, confd and the daemon said.
bh_traffic_fail() {
	for f in standin.log daemon.err "$BH_PROXY/proxy.log" "$BH_PROXY/error.log"; do
		[ -s "$BH_TMP/$f" ] && { echo "--- $f" >&2; tail -n 30 "$BH_TMP/$f" >&2; }
	done
	bh_fail "$BH_PROXY: $*"
}

# bh_traffic_test nginx|haproxy "$@": the whole traffic test through that
# proxy: prompt replicas, then replicas that listen 3 s late.
bh_traffic_test() {
	bh_t_proxy=$1
	shift
	bh_traffic_enter "$@"
	bh_traffic_setup
	bh_traffic_start_proxy "$bh_t_proxy"
	bh_traffic_scenario prompt 0
	bh_traffic_scenario slow 3
}
