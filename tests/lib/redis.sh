# Throwaway redis-server instances for tests and benchmarks.  Source it after
# common.sh and bh_setup_tmp:
#
#   . "$top_srcdir/tests/lib/redis.sh"
#   bh_redis_require                 # skip (fail in CI) without redis-server/-cli
#   bh_redis_start [redis-server options...]
#       -> BH_REDIS_PORT (127.0.0.1 only), BH_REDIS_SOCK (unix socket),
#          BH_REDIS_DIR, BH_REDIS_PID; no persistence unless the caller asks
#   bh_redis_cli ARGS...             # redis-cli on the unix socket; set
#                                    # BH_REDIS_CLI_AUTH="--user U --pass P" for ACLs
#   bh_redis_kill [SIGNAL]           # default KILL; waits for the process to go
#   bh_redis_restart                 # same port, socket, dir and options
#
# Everything lives in $BH_TMP/redis (unix socket paths must stay under 108
# bytes, which is why BH_TMP is under /tmp) and is killed by the test's trap.

bh_redis_require() {
	command -v redis-server >/dev/null 2>&1 || bh_skip "redis-server is not installed"
	command -v redis-cli >/dev/null 2>&1 || bh_skip "redis-cli is not installed"
}

bh_redis_cli() {
	# shellcheck disable=SC2086 # BH_REDIS_CLI_AUTH is a list of words
	redis-cli --no-auth-warning ${BH_REDIS_CLI_AUTH:-} -s "$BH_REDIS_SOCK" "$@"
}

# Single-quotes one word for re-evaluation by the shell.
bh_redis_quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

bh_redis_random_port() {
	# 20000-59999: above the usual ephemeral-free services, below the
	# kernel's default ephemeral range (32768-60999 overlaps; a clash just
	# costs a retry).
	echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
}

# Runs $BH_REDIS_DIR/start.sh and waits until the server answers.
bh_redis_launch() {
	: >"$BH_REDIS_DIR/log"
	sh "$BH_REDIS_DIR/start.sh" &
	BH_REDIS_PID=$!
	bh_on_exit "kill -9 $BH_REDIS_PID"
	deadline=$(( $(date +%s) + 10 ))
	while :; do
		# NOAUTH or WRONGPASS also prove that it is up.
		reply=$(redis-cli --no-auth-warning -s "$BH_REDIS_SOCK" ping 2>&1) || true
		case $reply in
		PONG* | NOAUTH* | *WRONGPASS* | *NOPERM*) return 0 ;;
		esac
		if ! kill -0 "$BH_REDIS_PID" 2>/dev/null; then
			return 1 # died: port taken, bad option, ...
		fi
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.02
	done
}

bh_redis_start() {
	BH_REDIS_DIR="$BH_TMP/redis"
	mkdir -p "$BH_REDIS_DIR" || bh_fail "mkdir $BH_REDIS_DIR"
	BH_REDIS_SOCK="$BH_REDIS_DIR/redis.sock"
	extra=""
	for arg in "$@"; do
		extra="$extra $(bh_redis_quote "$arg")"
	done
	for attempt in 1 2 3 4 5; do
		BH_REDIS_PORT=$(bh_redis_random_port)
		cat >"$BH_REDIS_DIR/start.sh" <<START
exec redis-server --bind 127.0.0.1 --port $BH_REDIS_PORT \\
	--unixsocket $(bh_redis_quote "$BH_REDIS_SOCK") --unixsocketperm 700 \\
	--dir $(bh_redis_quote "$BH_REDIS_DIR") --logfile $(bh_redis_quote "$BH_REDIS_DIR/log") \\
	--save '' --appendonly no --daemonize no $extra
START
		if bh_redis_launch; then
			export BH_REDIS_PORT BH_REDIS_SOCK BH_REDIS_DIR BH_REDIS_PID
			return 0
		fi
		kill -9 "$BH_REDIS_PID" 2>/dev/null
		wait "$BH_REDIS_PID" 2>/dev/null
		bh_note "redis-server attempt $attempt on port $BH_REDIS_PORT failed: $(tail -n 2 "$BH_REDIS_DIR/log")"
	done
	bh_fail "could not start redis-server"
}

bh_redis_kill() {
	kill "-${1:-KILL}" "$BH_REDIS_PID" 2>/dev/null
	wait "$BH_REDIS_PID" 2>/dev/null
	rm -f "$BH_REDIS_SOCK"
	return 0
}

bh_redis_restart() {
	bh_redis_launch || bh_fail "could not restart redis-server: $(tail -n 3 "$BH_REDIS_DIR/log")"
}

# bh_redis_keys PATTERN: sorted key names (SCAN, like confd).
bh_redis_keys() {
	bh_redis_cli --scan --pattern "$1" | sort
}
