#!/bin/sh
# What a new operator runs into in the first hour, with the real plugins
# (inspector-docker pointed at sockets that do not exist, so no engine is
# needed; publisher-redis never connects under --check-config):
#  - a file that sets a few settings takes the defaults for the rest;
#  - the installed sample file does not hide DOCKER_HOST, and the engine URL
#    follows the docker CLI's precedence: --docker-url > url > DOCKER_HOST;
#  - an unreachable unix socket is named by its path, and a lack of file
#    descriptors is called EMFILE, not "Couldn't connect";
#  - --check-config reports every error of the core and of every plugin in
#    one run, checks the files settings name, prints the start-up warnings,
#    and with --verbose the effective configuration with origins;
#  - an empty key prefix is refused; a bad command-line value is named as
#    such, not as "FILE:0".
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp
B="$BEACHHEAD --no-timestamp"

# --- every top-level setting is optional ---
for text in 'expire = 30;' 'publishers = ( { plugin = "publisher-stdout"; } );' \
	'inspector = { plugin = "inspector-docker"; };' ''; do
	printf '%s\nenumerate = true;\n' "$text" >"$BH_TMP/partial.conf"
	$B -c "$BH_TMP/partial.conf" --check-config >/dev/null 2>"$BH_TMP/err" ||
		{ cat "$BH_TMP/err" >&2; bh_fail "a file with only '$text' was refused"; }
	grep -q "inspector: inspector-docker " "$BH_TMP/err" || bh_fail "'$text': no default inspector"
	grep -q "publishers\[0\]: publisher-" "$BH_TMP/err" || bh_fail "'$text': no publisher"
done

# --- the engine URL: the sample file does not pin it ---
# one_pass LOG ARGS...: a one-pass dry run against sockets that do not exist.
one_pass() {
	log=$1
	shift
	timeout 20 $B --refresh 0 --dry-run "$@" >/dev/null 2>"$log"
	[ $? -eq 1 ] || { cat "$log" >&2; bh_fail "'$*': expected exit 1 (engine unreachable)"; }
}
(
	DOCKER_HOST="unix://$BH_TMP/env.sock"
	export DOCKER_HOST
	one_pass "$BH_TMP/sample.err" -c "$top_srcdir/etc/beachhead.conf"
	printf 'inspector = { plugin = "inspector-docker"; url = "unix://%s/file.sock"; };\nenumerate = true;\n' \
		"$BH_TMP" >"$BH_TMP/url.conf"
	one_pass "$BH_TMP/file.err" -c "$BH_TMP/url.conf"
	one_pass "$BH_TMP/cli.err" -c "$BH_TMP/url.conf" --docker-url "unix://$BH_TMP/cli.sock"
) || exit 1
grep -q "using engine at unix socket $BH_TMP/env.sock (url from environment (DOCKER_HOST))" "$BH_TMP/sample.err" ||
	{ cat "$BH_TMP/sample.err" >&2; bh_fail "the sample configuration hides DOCKER_HOST"; }
grep -q "engine unreachable: engine at unix socket $BH_TMP/env.sock: cannot connect: No such file or directory" \
	"$BH_TMP/sample.err" || { cat "$BH_TMP/sample.err" >&2; bh_fail "the unix socket is not named"; }
! grep -q 'localhost port 80' "$BH_TMP/sample.err" || bh_fail "libcurl's 'localhost port 80' for a unix socket"
grep -q "using engine at unix socket $BH_TMP/file.sock (url from $BH_TMP/url.conf:1)" "$BH_TMP/file.err" ||
	{ cat "$BH_TMP/file.err" >&2; bh_fail "url in the file does not win over DOCKER_HOST"; }
grep -q "using engine at unix socket $BH_TMP/cli.sock (url from command line (--docker-url))" "$BH_TMP/cli.err" ||
	{ cat "$BH_TMP/cli.err" >&2; bh_fail "--docker-url does not win over the file"; }

# --- retry messages say when the next attempt comes ---
# (a daemon run: the engine socket and the Redis port have nobody behind them)
DOCKER_HOST="unix://$BH_TMP/env.sock" $B --enumerate --redis-host 127.0.0.1 --redis-port 17103 \
	>/dev/null 2>"$BH_TMP/retry.err" &
retry_pid=$!
bh_on_exit "kill -9 $retry_pid 2>/dev/null"
bh_wait_for 10 "grep -q 'engine unreachable' '$BH_TMP/retry.err' && grep -q 'redis 127.0.0.1:17103' '$BH_TMP/retry.err'" \
	"the first failed attempts" || { cat "$BH_TMP/retry.err" >&2; exit 1; }
kill -TERM $retry_pid
wait $retry_pid
grep -q "engine unreachable: .*: cannot connect: No such file or directory; retrying in 0.5 s" "$BH_TMP/retry.err" ||
	{ cat "$BH_TMP/retry.err" >&2; bh_fail "the engine retry message does not say when"; }
grep -q "redis 127.0.0.1:17103: .*; \(reconnecting\|retrying\) in about 0.1 s" "$BH_TMP/retry.err" ||
	{ cat "$BH_TMP/retry.err" >&2; bh_fail "the redis retry message does not say when"; }
# A one-pass run does not retry, and does not say it would.
! grep -q 'retrying' "$BH_TMP/sample.err" || { cat "$BH_TMP/sample.err" >&2; bh_fail "a one-pass run announced a retry"; }

# --- an error about the file as a whole names the file, without a line ---
head -c 300000 /dev/zero | tr '\0' '#' >"$BH_TMP/huge.conf"
$B -c "$BH_TMP/huge.conf" --enumerate --check-config 2>"$BH_TMP/err"
[ $? -eq 2 ] || bh_fail "a 300 kB configuration was accepted"
grep -q "error: $BH_TMP/huge.conf: $BH_TMP/huge.conf makes the configuration larger than 262144 bytes" "$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "the file-level error does not name the file alone"; }

# --- no file descriptor left: EMFILE, not "Couldn't connect" ---
# The smallest limit under which the daemon starts at all leaves it no
# descriptor for the engine's socket.
n=8
found=
while [ $n -le 64 ]; do
	(ulimit -n $n && DOCKER_HOST="unix://$BH_TMP/env.sock" timeout 20 $B --refresh 0 --dry-run --enumerate) \
		>/dev/null 2>"$BH_TMP/emfile.err"
	if grep -q 'engine unreachable' "$BH_TMP/emfile.err"; then
		found=$n
		break
	fi
	n=$((n + 1))
done
[ -n "$found" ] || bh_fail "the daemon never reached the engine connect under ulimit -n 8..64"
grep -q "engine at unix socket $BH_TMP/env.sock: cannot connect: Too many open files" "$BH_TMP/emfile.err" ||
	{ cat "$BH_TMP/emfile.err" >&2; bh_fail "ulimit -n $found: EMFILE is not named"; }

# --- --check-config: every error, core and plugins, in one run ---
cat >"$BH_TMP/bad.conf" <<CONF
expire = "soon";
colour = "blue";
inspector = { plugin = "inspector-docker";
              url = "ftp://x";
              bogus = 1; };
publishers = ( { plugin = "publisher-redis";
                 port = 0;
                 password_file = "$BH_TMP/no-such-password"; },
               { plugin = "publisher-stdout"; shade = 1; },
               { host = "x"; } );
enumerate = true;
CONF
$B -c "$BH_TMP/bad.conf" --check-config >/dev/null 2>"$BH_TMP/err"
status=$?
[ $status -eq 2 ] || { cat "$BH_TMP/err" >&2; bh_fail "--check-config of a bad file: exit $status"; }
bh_expect_lines "$BH_TMP/err" \
	"$BH_TMP/bad.conf:1: 'expire' must be an integer" \
	"$BH_TMP/bad.conf:2: unknown setting 'colour'" \
	"$BH_TMP/bad.conf:10: publishers\[2\]: missing 'plugin'" \
	"$BH_TMP/bad.conf:4: inspector: 'url' must start with" \
	"$BH_TMP/bad.conf:5: inspector: unknown setting 'bogus'" \
	"$BH_TMP/bad.conf:7: publishers\[0\]: 'port' must be between 1 and 65535" \
	"$BH_TMP/bad.conf:8: publishers\[0\]: password_file $BH_TMP/no-such-password: No such file" \
	"$BH_TMP/bad.conf:9: publishers\[1\]: unknown setting 'shade'" \
	"configuration $BH_TMP/bad.conf has errors"

# Files that settings name: certificates, a password file readable by all.
mkdir "$BH_TMP/certs"
: >"$BH_TMP/certs/ca.pem"
printf 'secret\n' >"$BH_TMP/password"
chmod 644 "$BH_TMP/password"
cat >"$BH_TMP/files.conf" <<CONF
inspector = { plugin = "inspector-docker"; url = "tcp://127.0.0.1:17101";
              cert_path = "$BH_TMP/certs"; };
publishers = ( { plugin = "publisher-redis"; port = 17102;
                 password_file = "$BH_TMP/password"; } );
enumerate = true;
expire = 10;
refresh = 10;
CONF
$B -c "$BH_TMP/files.conf" --check-config >/dev/null 2>"$BH_TMP/err"
[ $? -eq 2 ] || { cat "$BH_TMP/err" >&2; bh_fail "missing certificate files were accepted"; }
grep -q "$BH_TMP/files.conf:2: inspector: cert_path: $BH_TMP/certs/cert.pem: No such file" "$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "no error for the missing cert.pem"; }
grep -q "$BH_TMP/files.conf:2: inspector: cert_path: $BH_TMP/certs/key.pem: No such file" "$BH_TMP/err" ||
	bh_fail "no error for the missing key.pem"
grep -q "warning: $BH_TMP/files.conf:4: publishers\[0\]: password_file $BH_TMP/password is readable by every user" \
	"$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "no warning for a world-readable password file"; }
grep -q "warning: refresh (10 s) is not shorter than expire (10 s)" "$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "--check-config does not print the start-up warnings"; }

# --verbose: the effective configuration and where each value came from.
: >"$BH_TMP/certs/cert.pem"
: >"$BH_TMP/certs/key.pem"
chmod 600 "$BH_TMP/password"
$B -c "$BH_TMP/files.conf" --check-config --verbose --key-prefix /k/ --redis-host 127.0.0.1 \
	>"$BH_TMP/effective" 2>"$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "--check-config --verbose"; }
for line in \
	"expire 10	# $BH_TMP/files.conf:6" \
	"key_prefix \"/k/\"	# command line (--key-prefix)" \
	"enumerate true	# $BH_TMP/files.conf:5" \
	"missing_envvar \"auto\"	# default" \
	"log_level \"debug\"	# command line (--verbose)" \
	"inspector.url \"tcp://127.0.0.1:17101\"	# $BH_TMP/files.conf:1" \
	"publishers\[0\].host \"127.0.0.1\"	# command line (--redis-host)" \
	"publishers\[0\].port 17102	# $BH_TMP/files.conf:3" \
	"publishers\[0\].database 0	# default" \
	"publishers\[0\].password_file \"$BH_TMP/password\"	# $BH_TMP/files.conf:4" \
	"inspector.timeout_ms 10000	# default" \
	"inspector.inspect_deadline_ms 1000	# default" \
	"inspector.max_inspections 16	# default" \
	"inspector.event_stall_ms 5000	# default" \
	"inspector.cert_path \"$BH_TMP/certs\"	# $BH_TMP/files.conf:2"; do
	grep -q -- "^$line\$" "$BH_TMP/effective" ||
		{ cat "$BH_TMP/effective" >&2; bh_fail "--verbose does not print: $line"; }
done
! grep -q 'readable by every user' "$BH_TMP/err" || bh_fail "a mode 600 password file was warned about"
! grep -q 'secret' "$BH_TMP/effective" || bh_fail "--verbose printed the password"
# A value from the environment says so.
DOCKER_HOST="unix://$BH_TMP/env.sock" $B --enumerate --check-config --verbose >"$BH_TMP/effective" 2>"$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "--check-config --verbose with DOCKER_HOST"; }
grep -q "^inspector.url \"unix://$BH_TMP/env.sock\"	# environment (DOCKER_HOST)\$" "$BH_TMP/effective" ||
	{ cat "$BH_TMP/effective" >&2; bh_fail "--verbose does not name DOCKER_HOST as the url's origin"; }

# --- the key prefix and values from the command line ---
$B --enumerate --key-prefix '' --dry-run --refresh 0 >"$BH_TMP/out" 2>"$BH_TMP/err"
[ $? -eq 2 ] || bh_fail "an empty --key-prefix was accepted"
grep -q "command line (--key-prefix): must not be empty" "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "empty prefix message"; }
[ ! -s "$BH_TMP/out" ] || bh_fail "an empty prefix published"
printf 'key_prefix = "";\nenumerate = true;\n' >"$BH_TMP/prefix.conf"
$B -c "$BH_TMP/prefix.conf" --check-config 2>"$BH_TMP/err"
[ $? -eq 2 ] || bh_fail "an empty key_prefix in the file was accepted"
grep -q "$BH_TMP/prefix.conf:1: 'key_prefix' must not be empty" "$BH_TMP/err" || bh_fail "empty key_prefix message"
$B --enumerate --docker-url 'ftp://x' --check-config 2>"$BH_TMP/err"
[ $? -eq 2 ] || bh_fail "a bad --docker-url was accepted"
grep -q "command line (--docker-url): inspector: 'url' must start with" "$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "a bad --docker-url is not named as a command-line value"; }
! grep -q ':0:' "$BH_TMP/err" || bh_fail "FILE:0 in a message about a command-line value"
exit 0
