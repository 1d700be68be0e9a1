# A shared checker for tests that run the real daemon against a real Docker
# Engine and a real redis-server: "what is in Redis is exactly what the
# running containers ask for".  Source it after common.sh, engine.sh and
# redis.sh:
#
#   . "$top_srcdir/tests/lib/verify.sh"
#   bh_verify_registrations NETWORK [EXPIRE] [PREFIX]
#       one check, now; returns 1 with the first problem on stderr
#   bh_verify_converges TIMEOUT NETWORK [EXPIRE] [PREFIX]
#       polls the check until it holds (fails the test after TIMEOUT s)
#   bh_verify_nothing_stale EXPIRE NETWORK
#       "nothing stale outlives its expiry": waits EXPIRE seconds, then the
#       check must hold (with a short grace for a refresh in flight)
#
# The check:
#   * every RUNNING container whose BEACHHEAD_DOMAINS holds simple specs
#     (DOMAIN, DOMAIN:http, DOMAIN:https, DOMAIN:http=P, DOMAIN:https=Q,
#     DOMAIN:http=P:https=Q; lower-case option names) and that is on NETWORK
#     has a key PREFIX+name whose value is exactly the JSON built below from
#     the specs and its IP on NETWORK;
#   * a running container without the variable (or with an empty one) has
#     no key;
#   * containers with other specs (invalid, hostile, off NETWORK, labels)
#     are not judged here: their tests assert them explicitly;
#   * every key under PREFIX belongs to a running container (nothing stale);
#   * every key has a TTL in (0, EXPIRE].
#
# BH_VERIFY_IGNORE: space-separated container names the check leaves alone
# (a test asserting those itself).

# bh_verify_expected_json IP SPECS: prints the registration value the daemon
# must publish for SPECS, or returns 2 when SPECS is not in the simple subset
# (then the caller does not judge that container).
bh_verify_expected_json() {
	v_ip=$1
	v_out=""
	v_seen=" "
	# Word splitting on the default IFS (space, tab, newline) is exactly
	# what we want for the simple subset; anything else is "not simple".
	case $2 in *[!A-Za-z0-9.:=\ -]*) return 2 ;; esac
	for v_tok in $2; do
		v_dom=${v_tok%%:*}
		v_opts=${v_tok#"$v_dom"}
		v_dom=${v_dom%.}
		case $v_dom in
		'' | .* | *..* | -* | *-. | *.-* | *-) return 2 ;;
		esac
		[ ${#v_dom} -le 63 ] || return 2 # long labels: not judged here
		case $v_seen in *" $v_dom "*) return 2 ;; esac # duplicates: not judged
		v_seen="$v_seen$v_dom "
		v_http=""
		v_https=""
		case $v_opts in
		'') v_http=80 v_https=443 ;;
		:http) v_http=80 ;;
		:https) v_https=443 ;;
		:http=*:https=*)
			v_http=${v_opts#:http=}
			v_http=${v_http%%:*}
			v_https=${v_opts##*:https=}
			;;
		:https=*) v_https=${v_opts#:https=} ;;
		:http=*) v_http=${v_opts#:http=} ;;
		*) return 2 ;;
		esac
		for v_p in $v_http $v_https; do
			case $v_p in '' | *[!0-9]* | 0*) return 2 ;; esac
			[ "$v_p" -le 65535 ] || return 2
		done
		v_id=$(printf '%s' "$v_dom" | tr -c 'A-Za-z0-9_' '_')
		v_obj="{\"id\":\"$v_id\",\"domain\":\"$v_dom\""
		[ -z "$v_http" ] || v_obj="$v_obj,\"http\":{\"host\":\"$v_ip\",\"port\":$v_http}"
		[ -z "$v_https" ] || v_obj="$v_obj,\"https\":{\"host\":\"$v_ip\",\"port\":$v_https}"
		v_out="${v_out:+$v_out,}$v_obj}"
	done
	[ -n "$v_out" ] || { printf ''; return 0; } # no domain: no key
	printf '[%s]' "$v_out"
}

# Reads the running containers: one line per container,
#   NAME <TAB> IP-ON-NETWORK <TAB> ENV-ENTRY-AS-JSON (or "none")
# JSON keeps control characters of hostile values on one line.
bh_verify_running() {
	v_ids=$(docker ps -q) || return 1
	[ -n "$v_ids" ] || return 0
	# shellcheck disable=SC2086
	docker inspect --format "{{.Name}}	{{with index .NetworkSettings.Networks \"$1\"}}{{.IPAddress}}{{end}}	{{\$e := \"none\"}}{{range .Config.Env}}{{if eq (index (split . \"=\") 0) \"BEACHHEAD_DOMAINS\"}}{{\$e = json .}}{{end}}{{end}}{{\$e}}" $v_ids
}

bh_verify_registrations() {
	v_net=$1
	v_expire=${2:-${BH_VERIFY_EXPIRE:-60}}
	v_prefix=${3:-/beachhead/}
	v_tab=$(printf '\t')
	v_dir=${BH_TMP:?}/verify
	mkdir -p "$v_dir"
	v_running=$(bh_verify_running "$v_net") || { echo "verify: docker ps/inspect failed" >&2; return 1; }
	# Expectations: "KEY <TAB> want <TAB> VALUE" or "KEY <TAB> none" (no key).
	: >"$v_dir/want"
	: >"$v_dir/running"
	while IFS="$v_tab" read -r v_name v_ip v_env; do
		[ -n "$v_name" ] || continue
		v_name=${v_name#/}
		printf '%s\n' "$v_prefix$v_name" >>"$v_dir/running"
		case " ${BH_VERIFY_IGNORE:-} " in *" $v_name "*) continue ;; esac
		if [ "$v_env" = none ]; then
			v_want=""
		else
			# "BEACHHEAD_DOMAINS=..." as JSON; escapes mean control
			# characters, quotes or backslashes: not simple.
			case $v_env in *\\*) continue ;; esac
			v_specs=${v_env#\"BEACHHEAD_DOMAINS=}
			v_specs=${v_specs%\"}
			[ -n "$v_ip" ] || continue # not on the network: not judged
			v_want=$(bh_verify_expected_json "$v_ip" "$v_specs") || continue
		fi
		if [ -z "$v_want" ]; then
			printf '%s\tnone\n' "$v_prefix$v_name" >>"$v_dir/want"
		else
			printf '%s\twant\t%s\n' "$v_prefix$v_name" "$v_want" >>"$v_dir/want"
		fi
	done <<EOF
$v_running
EOF
	# Every key with its TTL and value, in one redis-cli round trip
	# (pipelined: one reply per line).
	bh_redis_cli --scan --pattern "$v_prefix*" | sort >"$v_dir/keys" ||
		{ echo "verify: redis scan failed" >&2; return 1; }
	while IFS= read -r v_key; do
		printf 'TTL %s\nGET %s\n' "$v_key" "$v_key"
	done <"$v_dir/keys" | bh_redis_cli >"$v_dir/replies" ||
		{ echo "verify: redis read failed" >&2; return 1; }
	paste "$v_dir/keys" - - <"$v_dir/replies" >"$v_dir/dump"
	awk -F "$v_tab" -v expire="$v_expire" '
		FILENAME == ARGV[1] { running[$1] = 1; next }
		FILENAME == ARGV[2] { kind[$1] = $2; want[$1] = $3; next }
		$1 != "" {
			key = $1; ttl = $2; val = $3
			have[key] = 1
			if (!(key in running)) {
				printf "verify: stale key %s (its container is not running)\n", key
				bad = 1; next
			}
			if (ttl == -2) next # deleted since the scan: the next round judges
			if (ttl + 0 <= 0 || ttl + 0 > expire) {
				printf "verify: %s has TTL %s, expected 1..%s\n", key, ttl, expire
				bad = 1
			}
			if (kind[key] == "none") {
				printf "verify: %s exists but its container asks for no domain\n", key
				bad = 1
			} else if (kind[key] == "want" && val != want[key]) {
				printf "verify: %s is %s\n        expected %s\n", key, val, want[key]
				bad = 1
			}
		}
		END {
			for (key in kind)
				if (kind[key] == "want" && !(key in have)) {
					printf "verify: %s is missing (expected %s)\n", key, want[key]
					bad = 1
				}
			exit bad
		}' "$v_dir/running" "$v_dir/want" "$v_dir/dump" >&2
}

# bh_verify_converges TIMEOUT NETWORK [EXPIRE] [PREFIX]
bh_verify_converges() {
	BH_VERIFY_ARGS="$2 ${3:-${BH_VERIFY_EXPIRE:-60}} ${4:-/beachhead/}"
	# shellcheck disable=SC2086
	if ! bh_wait_for "$1" 'bh_verify_registrations $BH_VERIFY_ARGS' "registrations to match the running containers"; then
		# shellcheck disable=SC2086
		bh_verify_registrations $BH_VERIFY_ARGS
		return 1
	fi
	return 0
}

# bh_verify_nothing_stale EXPIRE NETWORK: after EXPIRE seconds, nothing stale
# may remain and every running container is still published exactly.
bh_verify_nothing_stale() {
	sleep "$1"
	bh_verify_converges 3 "$2" "$1"
}

# bh_verify_json_value VALUE: valid JSON, an array, and no raw control
# characters (the value is what confd's jsonArray decodes).
bh_verify_json_value() {
	printf '%s' "$1" | python3 -c '
import json, sys
raw = sys.stdin.buffer.read()
bad = [b for b in raw if b < 0x20 or b == 0x7f]
if bad:
    sys.exit("raw control characters in the value: %r" % sorted(set(bad)))
v = json.loads(raw.decode("utf-8"))
if not isinstance(v, list):
    sys.exit("not a JSON array")
'
}

# bh_verify_all_json [PREFIX]: every value under PREFIX passes
# bh_verify_json_value (one python3 per key: for the few keys of a
# hostile test).
bh_verify_all_json() {
	for v_key in $(bh_redis_cli --scan --pattern "${1:-/beachhead/}*"); do
		v_val=$(bh_redis_cli --raw get "$v_key")
		bh_verify_json_value "$v_val" || { echo "verify: $v_key: invalid value" >&2; return 1; }
	done
}

# Timeouts scale under valgrind (the daemon runs 5-20x slower there).
if [ -z "${BH_TIME_FACTOR:-}" ]; then
	if [ -n "${BH_VALGRIND:-}" ]; then BH_TIME_FACTOR=4; else BH_TIME_FACTOR=1; fi
fi
# bh_t SECONDS: SECONDS scaled by BH_TIME_FACTOR.
bh_t() {
	echo $(( $1 * BH_TIME_FACTOR ))
}

# bh_verify_write_config FILE DOCKER_URL NETWORK EXPIRE REFRESH [EXTRA]:
# the real plugins, the engine on DOCKER_URL (ip mode on NETWORK), the
# redis of tests/lib/redis.sh on its unix socket (BH_REDIS_SOCK may name a
# socket that does not exist yet).
bh_verify_write_config() {
	cat >"$1" <<CONF
inspector = { plugin = "inspector-docker"; url = "$2"; network = "$3"; };
publishers = ( { plugin = "publisher-redis"; socket = "$BH_REDIS_SOCK"; } );
enumerate = true;
expire = $4;
refresh = $5;
timestamps = false;
${6:-}
CONF
}

# bh_verify_daemon_alive [LOG]: the daemon (BH_DAEMON_PID) still runs.
bh_verify_daemon_alive() {
	kill -0 "$BH_DAEMON_PID" 2>/dev/null && return 0
	[ -z "${1:-}" ] || tail -n 40 "$1" >&2
	bh_fail "the daemon died (pid $BH_DAEMON_PID)"
}

# --- the whole stack, as the fault and hostile tests use it ---

# bh_stack_start NET SUBNET: requires and starts a throwaway dockerd (with the
# busybox image), a redis-server unless BH_STACK_NO_REDIS is set, and a
# user-defined network NET on SUBNET.  Containers then come from bh_run.
bh_stack_start() {
	bh_engine_require_docker
	bh_redis_require
	command -v python3 >/dev/null 2>&1 || bh_skip "python3 is not installed"
	bh_setup_tmp
	bh_engine_start_docker
	bh_engine_import_image
	[ -n "${BH_STACK_NO_REDIS:-}" ] || bh_redis_start
	BH_STACK_NET=$1
	docker network create --subnet "$2" "$1" >/dev/null || bh_fail "network create $1"
}

# bh_run NAME [docker run options...]: a sleeping busybox container on the
# stack's network.
bh_run() {
	bh_run_name=$1
	shift
	docker run -d --name "$bh_run_name" --network "$BH_STACK_NET" "$@" bbox:latest sleep 100000 >/dev/null ||
		bh_fail "docker run $bh_run_name"
}

# bh_monitor_key KEY FILE: from now on, every 100 ms, any value of KEY other
# than its current one (or its absence) is appended to FILE.  Sets
# BH_MONITOR_PID (killed at exit, or earlier by the test).
bh_monitor_key() {
	bh_mon_expected=$(bh_redis_cli get "$1")
	(
		while :; do
			v=$(bh_redis_cli get "$1")
			[ "$v" = "$bh_mon_expected" ] || echo "$(date +%T.%N) $1 = '$v'" >>"$2"
			sleep 0.1
		done
	) &
	BH_MONITOR_PID=$!
	bh_on_exit "kill $BH_MONITOR_PID"
}

# bh_hostile_start NET SUBNET: the hostile tests' common ground.  The stack
# (bh_stack_start), a daemon with expire 6 / refresh 2 logging to $LOG, and
# one well-behaved container `good` whose converged value is $GOOD and whose
# key is watched (bh_monitor_key) into $BH_TMP/good.violations.  Sets NET,
# EXPIRE, REFRESH, LOG, GOOD.
bh_hostile_start() {
	bh_stack_start "$1" "$2"
	NET=$1
	EXPIRE=6
	REFRESH=2
	bh_verify_write_config "$BH_TMP/beachhead.conf" "$BH_DOCKER_URL" "$NET" $EXPIRE $REFRESH
	LOG=$BH_TMP/daemon.err
	bh_run good -e 'BEACHHEAD_DOMAINS=good.example.org api.good.example.org:http=8080:https=8443'
	bh_daemon_start "$BH_TMP/daemon" -c "$BH_TMP/beachhead.conf"
	bh_verify_converges "$(bh_t 10)" "$NET" $EXPIRE || { cat "$LOG" >&2; bh_fail "no first convergence"; }
	GOOD=$(bh_redis_cli get /beachhead/good)
	bh_monitor_key /beachhead/good "$BH_TMP/good.violations"
}
