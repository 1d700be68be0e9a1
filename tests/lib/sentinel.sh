# A real Redis Sentinel deployment on loopback for tests and benchmarks:
# one master, two replicas, three sentinels (quorum 2,
# down-after-milliseconds 1000).  Source it after common.sh and redis.sh
# (for bh_redis_require / bh_redis_quote), after bh_setup_tmp:
#
#   . "$top_srcdir/tests/lib/sentinel.sh"
#   bh_sentinel_require            # skip (fail in CI) without redis-sentinel
#   bh_sentinel_start BASE [redis-server options...]
#       master on 127.0.0.1:BASE, replicas on BASE+1 and BASE+2, sentinels
#       on BASE+5..BASE+7, all monitoring "mymaster"; waits until every
#       sentinel knows both replicas and the other sentinels.  The options
#       go to the three data servers.  Set BH_SENTINEL_CONF_EXTRA to lines
#       for each sentinel's configuration (auth-pass, requirepass, ...).
#       Sets BH_SENTINEL_PORTS ("BASE+5 BASE+6 BASE+7") and
#       BH_SENTINEL_LIST ('"127.0.0.1:P", ...' for a libconfig list).
#   bh_sentinel_server NAME PORT [redis-server options...]
#       one more data server (also how the above starts its three)
#   bh_sentinel_sentinel NAME PORT MASTER_PORT QUORUM
#       one more sentinel monitoring "mymaster" at 127.0.0.1:MASTER_PORT
#   bh_sentinel_pid NAME           # the pid of a server or sentinel
#   bh_sentinel_cli PORT ARGS...   # redis-cli -p PORT (BH_SENTINEL_CLI_AUTH)
#   bh_sentinel_master_port        # what the sentinels name now (first that answers)
#   bh_sentinel_wait_master OLD TIMEOUT
#       until every running sentinel names a master other than port OLD
#
# Everything lives in $BH_TMP/NAME and is killed by the test's trap.  Ports
# come from the caller: tests use 26300-26389, the bench 26390-26399.

bh_sentinel_require() {
	bh_redis_require
	command -v redis-sentinel >/dev/null 2>&1 || bh_skip "redis-sentinel is not installed"
}

bh_sentinel_cli() {
	bh_s_port=$1
	shift
	# shellcheck disable=SC2086 # a list of words
	redis-cli --no-auth-warning ${BH_SENTINEL_CLI_AUTH:-} -h 127.0.0.1 -p "$bh_s_port" "$@"
}

bh_sentinel_pid() {
	cat "$BH_TMP/$1/pid"
}

# Waits until something answers PING (or refuses us) on the port.
bh_sentinel_wait_up() {
	bh_wait_for 10 "redis-cli -h 127.0.0.1 -p $1 ping 2>&1 | grep -q 'PONG\|NOAUTH\|WRONGPASS'" "port $1 to answer"
}

bh_sentinel_server() {
	bh_s_name=$1
	bh_s_port=$2
	shift 2
	bh_s_dir=$BH_TMP/$bh_s_name
	mkdir -p "$bh_s_dir" || bh_fail "mkdir $bh_s_dir"
	bh_s_extra=""
	for bh_s_arg in "$@"; do
		bh_s_extra="$bh_s_extra $(bh_redis_quote "$bh_s_arg")"
	done
	eval "exec redis-server --bind 127.0.0.1 --port $bh_s_port --dir $(bh_redis_quote "$bh_s_dir") \
		--logfile $(bh_redis_quote "$bh_s_dir/log") --save '' --appendonly no \
		--daemonize no $bh_s_extra" &
	echo $! >"$bh_s_dir/pid"
	bh_on_exit "kill -9 $!"
	bh_sentinel_wait_up "$bh_s_port" || bh_fail "redis-server $bh_s_name on port $bh_s_port did not start: $(tail -n 3 "$bh_s_dir/log")"
}

bh_sentinel_sentinel() {
	bh_s_dir=$BH_TMP/$1
	mkdir -p "$bh_s_dir" || bh_fail "mkdir $bh_s_dir"
	cat >"$bh_s_dir/sentinel.conf" <<CONF
bind 127.0.0.1
port $2
dir $bh_s_dir
logfile $bh_s_dir/log
sentinel resolve-hostnames no
sentinel monitor mymaster 127.0.0.1 $3 $4
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 4000
sentinel parallel-syncs mymaster 2
${BH_SENTINEL_CONF_EXTRA:-}
CONF
	redis-sentinel "$bh_s_dir/sentinel.conf" &
	echo $! >"$bh_s_dir/pid"
	bh_on_exit "kill -9 $!"
	bh_sentinel_wait_up "$2" || bh_fail "sentinel $1 on port $2 did not start: $(tail -n 3 "$bh_s_dir/log")"
}

bh_sentinel_start() {
	bh_s_base=$1
	shift
	bh_sentinel_server master "$bh_s_base" "$@"
	bh_sentinel_server replica1 $((bh_s_base + 1)) --replicaof 127.0.0.1 "$bh_s_base" "$@"
	bh_sentinel_server replica2 $((bh_s_base + 2)) --replicaof 127.0.0.1 "$bh_s_base" "$@"
	BH_SENTINEL_PORTS=""
	BH_SENTINEL_LIST=""
	for bh_s_i in 1 2 3; do
		bh_s_port=$((bh_s_base + 4 + bh_s_i))
		bh_sentinel_sentinel "sentinel$bh_s_i" $bh_s_port "$bh_s_base" 2
		BH_SENTINEL_PORTS="$BH_SENTINEL_PORTS${BH_SENTINEL_PORTS:+ }$bh_s_port"
		BH_SENTINEL_LIST="$BH_SENTINEL_LIST${BH_SENTINEL_LIST:+, }\"127.0.0.1:$bh_s_port\""
	done
	for bh_s_port in $BH_SENTINEL_PORTS; do
		bh_wait_for 20 "bh_sentinel_knows $bh_s_port" "sentinel $bh_s_port to know 2 replicas and 2 sentinels" ||
			bh_fail "the sentinels did not find each other"
	done
}

# Sentinel on port $1 knows two replicas and two other sentinels.
bh_sentinel_knows() {
	bh_s_info=$(bh_sentinel_cli "$1" sentinel master mymaster 2>/dev/null | tr '\n' ' ')
	case $bh_s_info in
	*"num-slaves 2 "*"num-other-sentinels 2 "*) return 0 ;;
	esac
	return 1
}

bh_sentinel_master_port() {
	for bh_s_port in $BH_SENTINEL_PORTS; do
		bh_s_addr=$(bh_sentinel_cli "$bh_s_port" sentinel get-master-addr-by-name mymaster 2>/dev/null | sed -n 2p)
		if [ -n "$bh_s_addr" ]; then
			echo "$bh_s_addr"
			return 0
		fi
	done
	return 1
}

bh_sentinel_all_moved() {
	for bh_s_port in $BH_SENTINEL_PORTS; do
		bh_s_addr=$(bh_sentinel_cli "$bh_s_port" sentinel get-master-addr-by-name mymaster 2>/dev/null | sed -n 2p)
		[ -z "$bh_s_addr" ] && continue # a stopped sentinel
		[ "$bh_s_addr" != "$1" ] || return 1
	done
	return 0
}

bh_sentinel_wait_master() {
	bh_wait_for "$2" "bh_sentinel_all_moved $1" "the sentinels to name a master other than port $1"
}
