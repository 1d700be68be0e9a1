#!/bin/sh
# The command line: help, version, usage errors (exit 2), the original's
# options accepted with their meaning, and --dry-run swapping publishers.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

"$BEACHHEAD" --help >"$BH_TMP/help" || bh_fail "--help failed"
for opt in --redis-host --redis-port --expire --refresh --key-prefix --docker-url \
	--docker-network --envvar --enumerate --systemd --error-missing-envvar \
	--ignore-missing-envvar --error-missing-container --dry-run --quiet --verbose \
	--no-timestamp --version; do
	grep -q -- "$opt" "$BH_TMP/help" || bh_fail "--help does not mention $opt"
done
"$BEACHHEAD" --version | grep -q '^beachhead-companion [0-9]' || bh_fail "--version"

usage_error() { # usage_error 'expected message' args...
	msg=$1
	shift
	"$BEACHHEAD" "$@" >/dev/null 2>"$BH_TMP/err"
	status=$?
	[ "$status" -eq 2 ] || bh_fail "'$*' exited $status, expected 2"
	grep -q -- "$msg" "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "'$*': no message '$msg'"; }
}
usage_error "unknown option '--bogus'" --bogus
usage_error "'--expire' needs a value" --expire
usage_error "--redis-port: '0' is not a port" --redis-port 0 web
usage_error "--redis-port: '70000' is not a port" --redis-port 70000 web
usage_error "--expire: 'soon' is not a number of seconds" --expire soon web
usage_error "--refresh: '-1' is not a number of seconds" --refresh=-1 web
# Every setting is optional: an empty file (or /dev/null) means the defaults.
usage_error "nothing to inspect: name containers or use --enumerate" -c /dev/null
printf 'inspector = { plugin = "inspector-docker"; };\npublishers = ( { plugin = "publisher-stdout"; } );\n' >"$BH_TMP/noscope.conf"
usage_error "nothing to inspect: name containers or use --enumerate" -c "$BH_TMP/noscope.conf"
usage_error "$BH_TMP/nope.conf: cannot open" -c "$BH_TMP/nope.conf" web

# The original's Docker options need the Docker inspector.
printf 'up web 10.0.0.1 example.org\n' >"$BH_TMP/script"
cat >"$BH_TMP/scripted.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
CONF
usage_error "need the inspector-docker inspector" -c "$BH_TMP/scripted.conf" --docker-url unix:///x.sock

# --dry-run replaces the configured publishers (here a Redis one that would
# fail to load a bogus path) with publisher-stdout; --key-prefix applies.
cat >"$BH_TMP/redis.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "/nonexistent/publisher.so"; } );
enumerate = true;
CONF
"$BEACHHEAD" -c "$BH_TMP/redis.conf" --dry-run --refresh 0 --key-prefix /proxy/ --expire 30 \
	>"$BH_TMP/out" 2>"$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "dry run failed"; }
expected='{"op":"set","key":"/proxy/web","ttl":30,"value":[{"id":"example_org","domain":"example.org","http":{"host":"10.0.0.1","port":80},"https":{"host":"10.0.0.1","port":443}}]}'
[ "$(sort -u "$BH_TMP/out")" = "$expected" ] || bh_fail "dry run printed: $(cat "$BH_TMP/out")"

# --quiet hides info lines; --no-timestamp starts lines with the origin.
"$BEACHHEAD" -c "$BH_TMP/scripted.conf" --refresh 0 --quiet >/dev/null 2>"$BH_TMP/quiet" || bh_fail "quiet run"
[ ! -s "$BH_TMP/quiet" ] || bh_fail "--quiet still logged: $(cat "$BH_TMP/quiet")"
"$BEACHHEAD" -c "$BH_TMP/scripted.conf" --refresh 0 --no-timestamp >/dev/null 2>"$BH_TMP/plain" || bh_fail "plain run"
grep -q '^core: info: started' "$BH_TMP/plain" || bh_fail "--no-timestamp lines: $(head -1 "$BH_TMP/plain")"
"$BEACHHEAD" -c "$BH_TMP/scripted.conf" --refresh 0 >/dev/null 2>"$BH_TMP/stamped" || bh_fail "stamped run"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z core: info: started' "$BH_TMP/stamped" || bh_fail "timestamps missing"
exit 0
