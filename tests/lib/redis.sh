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
#
# The daemon against that server (the tests/publisher-redis/* preamble and endings):
#
#   bh_redis_setup [redis-server options...]
#       bh_redis_require, bh_setup_tmp and bh_redis_start in one
#   bh_redis_script_containers N A.B [SPEC...] >"$BH_TMP/script"
#       a scripted-inspector script (tests/plugins/scripted_inspector.c) of N `up`
#       lines: container cI at A.B.(I/250).(I%250+1) serving cI.example.org
#       and every SPEC, in which each @ stands for cI
#   bh_redis_config_file FILE tcp|unix|none ['publisher settings' [LINE...]]
#       writes a configuration: inspector-scripted on $BH_TMP/script,
#       enumerate = true, one publisher-redis reaching this server over
#       127.0.0.1:$BH_REDIS_PORT (tcp), $BH_REDIS_SOCK (unix) or neither
#       (none), plus the publisher settings; then each top-level LINE
#   bh_redis_start_daemon CONF [daemon options...]
#       the daemon (bh_daemon_cmd, --no-timestamp) in the background, stderr
#       to $BH_TMP/err; sets BH_REDIS_DAEMON_PID, killed by the test's trap
#   bh_redis_stop_daemon
#       SIGTERM, wait, copy $BH_TMP/err to stderr; fails unless it exits 0
#   bh_redis_run_once CONF ERR STATUS WHAT [daemon options...]
#       one pass (--refresh 0) in the foreground, stderr to ERR (then copied
#       to stderr); fails with WHAT unless it exits with STATUS
#   bh_redis_key_count [KEY...]      # DBSIZE, or how many of KEYs EXIST
#   bh_redis_wait_keys COUNT TIMEOUT [KEY...]
#       bh_wait_for until bh_redis_key_count KEY... prints COUNT; returns 1
#       (after bh_wait_for's message) on timeout

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

# --- the daemon against this server ---
# (Helpers' own variables start with bh_r_ so that they never clobber the
# caller's: sh has no local variables.)

bh_redis_setup() {
	bh_redis_require
	bh_setup_tmp
	bh_redis_start "$@"
}

# bh_redis_subst_at WORD NAME: WORD with every @ replaced by NAME.
bh_redis_subst_at() {
	bh_r_rest=$1
	bh_r_out=""
	while :; do
		case $bh_r_rest in
		*@*)
			bh_r_out="$bh_r_out${bh_r_rest%%@*}$2"
			bh_r_rest=${bh_r_rest#*@}
			;;
		*) break ;;
		esac
	done
	printf '%s' "$bh_r_out$bh_r_rest"
}

bh_redis_script_containers() {
	bh_r_n=$1
	bh_r_net=$2
	shift 2
	bh_r_i=0
	while [ "$bh_r_i" -lt "$bh_r_n" ]; do
		bh_r_line="up c$bh_r_i $bh_r_net.$((bh_r_i / 250)).$((bh_r_i % 250 + 1)) c$bh_r_i.example.org"
		for bh_r_spec in "$@"; do
			bh_r_line="$bh_r_line $(bh_redis_subst_at "$bh_r_spec" "c$bh_r_i")"
		done
		printf '%s\n' "$bh_r_line"
		bh_r_i=$((bh_r_i + 1))
	done
}

bh_redis_config_file() {
	bh_r_file=$1
	case $2 in
	tcp) bh_r_conn="host = \"127.0.0.1\"; port = $BH_REDIS_PORT;" ;;
	unix) bh_r_conn="socket = \"$BH_REDIS_SOCK\";" ;;
	none) bh_r_conn="" ;;
	*) bh_fail "bh_redis_config_file: connection '$2' is not tcp, unix or none" ;;
	esac
	bh_r_settings="$bh_r_conn${bh_r_conn:+${3:+ }}${3:-}"
	shift 2
	[ $# -eq 0 ] || shift
	{
		printf 'inspector = { plugin = "inspector-scripted"; script = "%s"; };\n' "$BH_TMP/script"
		printf 'publishers = ( { plugin = "publisher-redis";%s } );\n' "${bh_r_settings:+ $bh_r_settings}"
		printf 'enumerate = true;\n'
		for bh_r_line in "$@"; do
			printf '%s\n' "$bh_r_line"
		done
	} >"$bh_r_file" || bh_fail "cannot write $bh_r_file"
}

bh_redis_start_daemon() {
	bh_r_conf=$1
	shift
	$(bh_daemon_cmd) -c "$bh_r_conf" --no-timestamp "$@" 2>"$BH_TMP/err" &
	BH_REDIS_DAEMON_PID=$!
	bh_on_exit "kill -9 $BH_REDIS_DAEMON_PID"
}

bh_redis_stop_daemon() {
	kill -TERM "$BH_REDIS_DAEMON_PID"
	wait "$BH_REDIS_DAEMON_PID"
	bh_r_status=$?
	cat "$BH_TMP/err" >&2
	[ "$bh_r_status" -eq 0 ] || bh_fail "daemon exited with $bh_r_status after SIGTERM"
}

bh_redis_run_once() {
	bh_r_conf=$1
	bh_r_err=$2
	bh_r_want=$3
	bh_r_what=$4
	shift 4
	$(bh_daemon_cmd) -c "$bh_r_conf" --no-timestamp --refresh 0 "$@" 2>"$bh_r_err"
	bh_r_status=$?
	cat "$bh_r_err" >&2
	[ "$bh_r_status" -eq "$bh_r_want" ] ||
		bh_fail "$bh_r_what: exit status $bh_r_status, expected $bh_r_want"
}

bh_redis_key_count() {
	if [ $# -eq 0 ]; then
		bh_redis_cli dbsize
	else
		bh_redis_cli exists "$@"
	fi
}

bh_redis_wait_keys() {
	bh_r_count=$1
	bh_r_timeout=$2
	shift 2
	bh_r_keys=""
	for bh_r_key in "$@"; do
		bh_r_keys="$bh_r_keys $(bh_redis_quote "$bh_r_key")"
	done
	if [ $# -eq 0 ]; then bh_r_what="$bh_r_count keys"; else bh_r_what="$bh_r_count of$bh_r_keys"; fi
	bh_wait_for "$bh_r_timeout" "[ \"\$(bh_redis_key_count$bh_r_keys)\" = $bh_r_count ]" "$bh_r_what"
}
