#!/bin/sh
# Hostile domain specs against the real engine, the real daemon and a real
# redis-server: injection attempts (quotes, backslashes, `"},{"`, JSON
# fragments in options), CR/LF and other control characters inside the
# variable, NUL-like escapes, non-ASCII names, a hostile label, and two
# containers claiming one domain.  Throughout:
#   * the daemon stays up;
#   * a well-behaved container's key keeps its exact value (a monitor reads
#     it every 100 ms);
#   * every rejection is logged with the container's name and the reason
#     (domain / option), and the daemon's log has no raw control characters
#     (a hostile value cannot forge log lines);
#   * every value written to Redis is valid JSON without raw control
#     characters, and the exact one where the spec is acceptable.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
. "$top_srcdir/tests/lib/redis.sh"
. "$top_srcdir/tests/lib/verify.sh"
# NET, EXPIRE, REFRESH, LOG; `good` registered, its value in GOOD, watched.
bh_hostile_start hnet20 172.30.20.0/24

# rejected NAME 'fixed string in the error line': the container's key never
# appears and the rejection is logged (error level, its name, its reason).
rejected() {
	# shellcheck disable=SC2034 # read by the eval in bh_wait_for
	BH_REJ_NAME=$1
	# shellcheck disable=SC2034
	BH_REJ_WHY=$2
	bh_wait_for "$(bh_t 5)" 'grep "core: error: container $BH_REJ_NAME: " "$LOG" | grep -qF -- "$BH_REJ_WHY"' \
		"the rejection of $1 with: $2" || { grep "container $1" "$LOG" >&2; bh_fail "rejection of $1 not logged"; }
	[ "$(bh_redis_cli exists "/beachhead/$1")" = 0 ] || bh_fail "$1 was published: $(bh_redis_cli get "/beachhead/$1")"
}
# published NAME SPECS: exact value for the plain specs SPECS.
published() {
	BH_PUB_KEY=/beachhead/$1
	BH_PUB_WANT=$(bh_verify_expected_json "$(bh_ip "$1" $NET)" "$2") || bh_fail "published: '$2' is not simple"
	bh_wait_for "$(bh_t 5)" '[ "$(bh_redis_cli get "$BH_PUB_KEY")" = "$BH_PUB_WANT" ]' "$BH_PUB_KEY = $BH_PUB_WANT" ||
		{ bh_redis_cli get "$BH_PUB_KEY" >&2; grep "container $1" "$LOG" >&2; exit 1; }
}

# --- Injection attempts: each domain is refused as an invalid DNS name.
bh_run q1 -e 'BEACHHEAD_DOMAINS=a"b.example.org'
bh_run q2 -e 'BEACHHEAD_DOMAINS=x.example.org"},{"id":"evil","domain":"evil.org'
bh_run q3 -e 'BEACHHEAD_DOMAINS=back\slash.example.org'
bh_run q4 -e 'BEACHHEAD_DOMAINS=ok.example.org evil.org"}]'   # never half: all refused
bh_run q5 -e 'BEACHHEAD_DOMAINS=q5.example.org:http=80"},{"x":"1' # in a port
bh_run q6 -e "BEACHHEAD_DOMAINS=q6.example.org'--"
rejected q1 "domain 'a\"b.example.org': invalid DNS name"
rejected q2 "domain 'x.example.org\"},{\"id\"': invalid DNS name" # (the domain ends at the first ':')
rejected q3 "domain 'back\\x5cslash.example.org': invalid DNS name"
rejected q4 "domain 'evil.org\"}]': invalid DNS name"
rejected q5 "domain 'q5.example.org': option 'http': port '80\"},{\"x\"' is not a number"
rejected q6 "domain 'q6.example.org\\x27--': invalid DNS name"

# --- Control characters.  CR, LF, TAB, VT, FF are whitespace: separators.
bh_run crlf -e "BEACHHEAD_DOMAINS=$(printf 'crlf1.example.org\r\ncrlf2.example.org\r\n')"
bh_run ws -e "BEACHHEAD_DOMAINS=$(printf '\tws1.example.org\vws2.example.org:https\fws3.example.org ')"
published crlf "crlf1.example.org crlf2.example.org"
published ws "ws1.example.org ws2.example.org:https ws3.example.org"
# Others are refused and shown escaped in the log.
bh_run esc -e "BEACHHEAD_DOMAINS=$(printf 'esc.example.org\033[2J\033[1;1H')"
bh_run bel -e "BEACHHEAD_DOMAINS=$(printf 'bel\007.example.org')"
bh_run del -e "BEACHHEAD_DOMAINS=$(printf 'del.example.org:http=8\177')"
rejected esc "domain 'esc.example.org\\x1b[2J\\x1b[1;1H': invalid DNS name"
rejected bel "domain 'bel\\x07.example.org': invalid DNS name"
rejected del "option 'http': port '8\\x7f' is not a number"
# A forged log line: escape sequences and a fake "core: error:" inside
# option names (unknown options are warned about and ignored, so the
# container is published; the warning shows the bytes escaped).
bh_run forge -e "BEACHHEAD_DOMAINS=$(printf 'forge.example.org:x\033[0m\001core:error:forged')"
published forge "forge.example.org"
# shellcheck disable=SC2034 # read by the eval in bh_wait_for
BH_FORGE_WANT="container forge: env BEACHHEAD_DOMAINS: domain 'forge.example.org': unknown option 'x\\x1b[0m\\x01core' ignored"
bh_wait_for "$(bh_t 5)" 'grep -qF -- "$BH_FORGE_WANT" "$LOG"' "the unknown-option warning, escaped" ||
	{ grep forge "$LOG" >&2; exit 1; }

# --- NUL-like escapes (a real NUL cannot be passed: env entries are C strings).
bh_run nul1 -e 'BEACHHEAD_DOMAINS=nul1.example.org\u0000.evil.org'
bh_run nul2 -e 'BEACHHEAD_DOMAINS=nul2.example.org%00.evil.org'
bh_run nul3 -e 'BEACHHEAD_DOMAINS=nul3.example.org:http=80\0'
rejected nul1 "domain 'nul1.example.org\\x5cu0000.evil.org': invalid DNS name"
rejected nul2 "domain 'nul2.example.org%00.evil.org': invalid DNS name"
rejected nul3 "option 'http': port '80\\x5c0' is not a number"

# --- Non-ASCII names: refused, pointing at punycode.  Also a non-breaking
# space (U+00A0), which is not whitespace to the parser.
bh_run idn -e 'BEACHHEAD_DOMAINS=bücher.example.org'
bh_run nbsp -e "BEACHHEAD_DOMAINS=$(printf 'nbsp1.example.org\302\240nbsp2.example.org')"
rejected idn "domain 'b\\xc3\\xbccher.example.org': invalid DNS name: it is not ASCII (write internationalized names in punycode"
rejected nbsp "punycode"
# The punycode form is accepted.
bh_run puny -e 'BEACHHEAD_DOMAINS=xn--bcher-kva.example.org'
published puny "xn--bcher-kva.example.org"

# --- A hostile label (no variable: the label is the source).
bh_run lab --label 'beachhead.domains=lab.example.org"}],"x":[{"'
rejected lab "label beachhead.domains: domain 'lab.example.org\"}],\"x\"': invalid DNS name"

# --- Everything else is intact, the daemon is up, every value is JSON.
bh_verify_daemon_alive "$LOG"
bh_verify_converges "$(bh_t 5)" $NET $EXPIRE || bh_fail "the well-behaved registrations are not exact"
bh_verify_all_json || bh_fail "a value in Redis is not clean JSON"
n_keys=$(bh_redis_cli dbsize)
[ "$n_keys" = 5 ] || bh_fail "$n_keys keys, expected 5 (good crlf ws forge puny): $(bh_redis_keys '/beachhead/*' | tr '\n' ' ')"
# The log: no raw control characters but the line ends (escaped: \xNN).
if tr -d '\n' <"$LOG" | LC_ALL=C grep -q '[[:cntrl:]]'; then
	LC_ALL=C grep -n '[[:cntrl:]]' "$LOG" | cat -v >&2
	bh_fail "raw control characters in the daemon's log"
fi
# Rejections are news once, not every pass (they stay at debug level).
[ "$(grep -c 'core: error: container q1: ' "$LOG")" = 1 ] || bh_fail "q1's rejection logged more than once"

# --- Two containers claim one domain: both are published (replicas, the
# default `sharing = "any"`, as the original did); neither harms good.
bh_run own1 -e 'BEACHHEAD_DOMAINS=shared.example.org own1.example.org'
bh_run own2 -e 'BEACHHEAD_DOMAINS=shared.example.org:https own2.example.org'
bh_wait_for "$(bh_t 10)" '[ -n "$(bh_redis_cli get /beachhead/own1)" ] && [ -n "$(bh_redis_cli get /beachhead/own2)" ]' \
	"both claimants of shared.example.org" || bh_fail "replicas of shared.example.org not both published"
bh_redis_cli get /beachhead/own2 | grep -q '"domain":"shared.example.org"' || bh_fail "own2 lacks shared.example.org"
# The daemon is up, good is untouched, the
# values are clean JSON.
bh_verify_daemon_alive "$LOG"
bh_verify_all_json || bh_fail "a value in Redis is not clean JSON"
[ "$(bh_redis_cli get /beachhead/good)" = "$GOOD" ] || bh_fail "good changed"
docker rm -f own1 own2 >/dev/null
# --- end of the ownership step.

# Nothing stale outlives its expiry (the monitor keeps watching good).
docker rm -f crlf ws q1 >/dev/null
bh_verify_nothing_stale $EXPIRE $NET || bh_fail "stale state after expiry"
kill "$BH_MONITOR_PID"
wait "$BH_MONITOR_PID" 2>/dev/null
if [ -s "$BH_TMP/good.violations" ]; then
	head -n 5 "$BH_TMP/good.violations" >&2
	bh_fail "the well-behaved container's key changed or vanished"
fi
bh_verify_daemon_alive "$LOG"
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
