# A simulated fleet: HOSTS daemons, each with its own host id, state
# directory and scripted inspector (tests/plugins/scripted_inspector.c) running
# CONTAINERS containers, against a real 3-member etcd cluster or one
# redis-server.  Used by bench/fleet.sh (figures) and tests/system/ (the
# invariants).  Needs bash; source after common.sh, redis.sh and etcd.sh,
# with HOSTS, CONTAINERS, EXPIRE and REFRESH set, then bh_setup_tmp and
# fleet_init.  STORE (etcd or redis) says which store a phase uses:
# fleet_store_start, fleet_start_host ..., fleet_stop_all, fleet_store_stop.
#
# Container c of host h: name c<c>, address 10.(h/256).(h%256).(c+1),
# domain app<c>.example.org (one service per index, a replica per host).
# Its key: /beachhead/h<h>/c<c>.  Keys whose last segment starts with '@'
# are namespace claims of the daemons, not registrations: never counted.

FLEET_ETCD_BASE=${FLEET_ETCD_BASE:-23870}

# fleet_init: per host its directory, scripts and state directory; the
# expected key list.  Scripts: "up" runs the containers; "churn" does too,
# then, once $BH_TMP/churn exists, stops and starts c0 once a second
# (FLEET_CHURN_SECONDS times, default 14).
fleet_init() {
	local h c d
	mkdir -p "$BH_TMP/h" || bh_fail "mkdir"
	: >"$BH_TMP/expected"
	for h in $(seq 0 $((HOSTS - 1))); do
		d=$BH_TMP/h/$h
		mkdir -p "$d/state" || bh_fail "mkdir $d"
		# No fork per container: 10,000 of them would take seconds.
		for ((c = 0; c < CONTAINERS; c++)); do
			echo "up c$c 10.$((h / 256)).$((h % 256)).$((c + 1)) app$c.example.org"
			echo "/beachhead/h$h/c$c" >&3
		done >"$d/up.script" 3>>"$BH_TMP/expected"
		{
			cat "$d/up.script"
			echo "await $BH_TMP/churn"
			for ((c = 0; c < ${FLEET_CHURN_SECONDS:-14}; c++)); do
				printf 'down c0\nwait 500\nup c0 10.%d.%d.1 app0.example.org\nwait 500\n' \
					$((h / 256)) $((h % 256))
			done
		} >"$d/churn.script"
	done
	LC_ALL=C sort -o "$BH_TMP/expected" "$BH_TMP/expected"
}

# --- the store -------------------------------------------------------------

fleet_store_start() {
	local h kind
	rm -f "$BH_TMP/churn"
	case $STORE in
	etcd) bh_etcd_start "$FLEET_ETCD_BASE" ;;
	redis) bh_redis_start ;;
	esac
	for h in $(seq 0 $((HOSTS - 1))); do
		for kind in up churn; do
			fleet_config "$BH_TMP/h/$h/$STORE-$kind.conf" "$BH_TMP/h/$h/$kind.script"
		done
	done
}

# fleet_config FILE SCRIPT: the scripted inspector looks for the churn cue
# once a second (its default 20 times a second would be most of what an idle
# daemon spends), one publisher for STORE.
fleet_config() {
	local publisher
	case $STORE in
	etcd) publisher="plugin = \"publisher-etcd\"; endpoints = [ $(printf '%s' "$BH_ETCD_ENDPOINTS" |
		sed 's/[^,]*/"&"/g; s/,/, /g') ];" ;;
	redis) publisher="plugin = \"publisher-redis\"; socket = \"$BH_REDIS_SOCK\";" ;;
	esac
	printf '%s\n' "inspector = { plugin = \"inspector-scripted\"; script = \"$2\"; await_poll_ms = 1000; };" \
		"publishers = ( { $publisher } );" 'enumerate = true;' >"$1" || bh_fail "cannot write $1"
}

fleet_store_stop() {
	case $STORE in
	etcd)
		kill -9 "$BH_ETCD_PID1" "$BH_ETCD_PID2" "$BH_ETCD_PID3" 2>/dev/null
		wait "$BH_ETCD_PID1" "$BH_ETCD_PID2" "$BH_ETCD_PID3" 2>/dev/null
		rm -rf "$BH_ETCD_DIR"
		;;
	redis) bh_redis_kill ;;
	esac
	return 0
}

fleet_store_pids() {
	case $STORE in
	etcd) echo "$BH_ETCD_PID1 $BH_ETCD_PID2 $BH_ETCD_PID3" ;;
	redis) echo "$BH_REDIS_PID" ;;
	esac
}

# fleet_store_counters: "req:KIND count" lines.  etcd: the revision
# (req:revisions: every put and delete moves it, keep-alives never) and
# every gRPC method handled, summed over the members (the JSON gateway
# forwards each request as a gRPC call to its member).  Redis: every
# command of INFO commandstats but INFO itself.
fleet_store_counters() {
	case $STORE in
	etcd)
		for i in 1 2 3; do curl -s --max-time 5 "$(bh_etcd_url "$i")/metrics"; done | awk '
			/^grpc_server_handled_total/ { match($0, /grpc_method="[^"]*"/)
				n["grpc:" substr($0, RSTART + 13, RLENGTH - 14)] += $NF }
			/^etcd_debugging_mvcc_current_revision / { if ($2 > rev) rev = $2 }
			END { for (m in n) print "req:" m, n[m]; printf "req:revisions %d\n", rev }'
		;;
	redis)
		bh_redis_cli info commandstats | tr -d '\r' | awk -F'[:=,]' '
			/^cmdstat_/ && $1 != "cmdstat_info" { print "req:" toupper(substr($1, 9)), $3 }'
		;;
	esac
}

fleet_revision() {
	curl -s --max-time 5 "$(bh_etcd_url 1)/metrics" |
		awk '/^etcd_debugging_mvcc_current_revision / { print $2 + 0 }'
}

# fleet_keys [HOST]: the registrations in the store, sorted (all, or HOST's).
fleet_keys() {
	local prefix=/beachhead/${1:+h$1/}
	case $STORE in
	etcd) bh_etcdctl get "$prefix" --prefix --keys-only ;;
	redis) bh_redis_cli --scan --pattern "$prefix*" ;;
	esac | sed '/^$/d; /\/@[^\/]*$/d' | LC_ALL=C sort
}

fleet_count_host() { fleet_keys "$1" | wc -l; }

# fleet_claim_count: the keys under the prefix whose last segment starts
# with '@' (namespace claims).
fleet_claim_count() {
	case $STORE in
	etcd) bh_etcdctl get /beachhead/ --prefix --keys-only ;;
	redis) bh_redis_cli --scan --pattern '/beachhead/*' ;;
	esac | grep -c '/@[^/]*$'
}

# fleet_wait_all WHAT: every registration, nothing else (polls every 0.5 s:
# a listing of 10,000 keys costs the store).
fleet_wait_all() {
	local deadline=$(($(date +%s) + ${FLEET_WAIT:-180}))
	while ! fleet_keys | cmp -s - "$BH_TMP/expected"; do
		[ "$(date +%s)" -lt "$deadline" ] || {
			fleet_keys | diff "$BH_TMP/expected" - | head -n 20 >&2
			bh_fail "timed out waiting for: $1"
		}
		sleep 0.5
	done
}

# fleet_wait_churn_done: every host has stopped c0 FLEET_CHURN_SECONDS
# times (and then started it again), then every registration is there.
fleet_wait_churn_done() {
	local deadline=$(($(date +%s) + ${FLEET_CHURN_SECONDS:-14} + 60))
	while grep -c 'withdrawing /beachhead/h[0-9]*/c0 ' "$BH_TMP"/h/*/"$STORE".churn.log |
		awk -F: -v n="${FLEET_CHURN_SECONDS:-14}" '$NF < n { short = 1 } END { exit !short }'; do
		[ "$(date +%s)" -lt "$deadline" ] || bh_fail "$STORE: the churn did not end"
		sleep 0.5
	done
	fleet_wait_all "$STORE: every registration after the churn"
}

# fleet_check_exactly_once: each registration once, and nothing else.
fleet_check_exactly_once() {
	fleet_keys >"$BH_TMP/found"
	[ -z "$(uniq -d "$BH_TMP/found")" ] || bh_fail "$STORE: a key listed twice"
	cmp -s "$BH_TMP/found" "$BH_TMP/expected" || {
		diff "$BH_TMP/expected" "$BH_TMP/found" | head -n 20 >&2
		bh_fail "$STORE: the registrations differ from the fleet's containers"
	}
}

# --- the daemons --------------------------------------------------------------

# fleet_start_host H up|churn: the daemon of host H (its pid in h/H/pid,
# its log in h/H/STORE.KIND.log).
fleet_start_host() {
	local d=$BH_TMP/h/$1
	"$BEACHHEAD" -c "$d/$STORE-$2.conf" --no-timestamp --host-id "h$1" --expire "$EXPIRE" \
		--refresh "$REFRESH" --state-dir "$d/state" 2>"$d/$STORE.$2.log" &
	echo $! >"$d/pid"
}

fleet_pid() { cat "$BH_TMP/h/$1/pid" 2>/dev/null; }

fleet_daemon_pids() {
	cat "$BH_TMP"/h/*/pid 2>/dev/null
}

# fleet_kill_host H SIGNAL: signals the daemon and reaps it.
fleet_kill_host() {
	local pid
	pid=$(fleet_pid "$1") || return 0
	kill "-$2" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$BH_TMP/h/$1/pid"
}

# fleet_stop_all: SIGTERM to every daemon, then reaps them; fails if one
# is still there.
fleet_stop_all() {
	local pid
	for pid in $(fleet_daemon_pids); do kill -TERM "$pid" 2>/dev/null; done
	for pid in $(fleet_daemon_pids); do wait "$pid" 2>/dev/null; done
	for pid in $(fleet_daemon_pids); do
		kill -0 "$pid" 2>/dev/null && bh_fail "daemon $pid outlived SIGTERM"
	done
	rm -f "$BH_TMP"/h/*/pid
}

# The trap's part: whatever daemon is still there.
fleet_kill_all() {
	local pid
	for pid in $(fleet_daemon_pids); do kill -9 "$pid" 2>/dev/null; done
	return 0
}

# fleet_proc_totals NAME PID...: NAME_cpu_ns (all threads, from schedstat),
# NAME_rss_kb (sum) and NAME_rss_max_kb, read without a fork per process.
fleet_proc_totals() {
	local name=$1 pid cpu=0 rss=0 max=0 k v _
	shift
	for pid in "$@"; do
		cpu=$((cpu + $(bench_cpu_ns "$pid")))
		while read -r k v _; do
			[ "$k" = VmRSS: ] || continue
			rss=$((rss + v))
			[ "$v" -le "$max" ] || max=$v
		done <"/proc/$pid/status"
	done 2>/dev/null
	echo "${name}_cpu_ns $cpu"
	echo "${name}_rss_kb $rss"
	echo "${name}_rss_max_kb $max"
}

fleet_secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# fleet_two_level_recipes DIR: a copy of the shipped recipes in DIR whose
# key pattern reads two levels (/beachhead/HOST/CONTAINER), for figures
# while the shipped ones read one; prints DIR.
fleet_two_level_recipes() {
	mkdir -p "$1" && cp -r "$top_srcdir/etc/confd/conf.d" "$top_srcdir/etc/confd/templates" "$1/" &&
		sed -i 's|gets "/beachhead/\*"|gets "/beachhead/*/*"|' "$1/templates/"*.tmpl ||
		bh_fail "cannot copy the recipes to $1"
	echo "$1"
}

# fleet_render_nginx OUT: renders the nginx recipe of $BH_RECIPES from the
# redis-server into OUT and runs the recipe's check_cmd on it (nginx -t);
# sets FLEET_RENDER_MS and FLEET_CHECK_MS.  Needs bash ($EPOCHREALTIME).
fleet_render_nginx() {
	local t0=$EPOCHREALTIME t1 t2
	bh_recipe_render beachhead-nginx "$1"
	t1=$EPOCHREALTIME
	bh_recipe_check beachhead-nginx "$1" 2>"$BH_TMP/nginx-t.err" || {
		cat "$BH_TMP/nginx-t.err" >&2
		bh_fail "nginx -t refused the rendered file"
	}
	t2=$EPOCHREALTIME
	FLEET_RENDER_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
	FLEET_CHECK_MS=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", (b - a) * 1000 }')
}
