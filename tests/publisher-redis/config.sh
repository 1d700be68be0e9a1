#!/bin/sh
# Bad publisher-redis settings are refused at load time with FILE:LINE and
# the instance; the password never appears in any message.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp
echo 'up web 10.9.0.2 example.org' >"$BH_TMP/script"

check() { # check NAME 'publisher settings' 'expected message (grep -E)'
	cat >"$BH_TMP/$1.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
enumerate = true;
publishers = ( { plugin = "publisher-stdout"; },
  { plugin = "publisher-redis";
    $2
  } );
CONF
	$(bh_daemon_cmd) -c "$BH_TMP/$1.conf" --no-timestamp --check-config 2>"$BH_TMP/$1.err"
	status=$?
	if [ "$status" -ne 2 ]; then
		cat "$BH_TMP/$1.err" >&2
		bh_fail "$1: exit status $status, expected 2"
	fi
	grep -Eq "$3" "$BH_TMP/$1.err" || { cat "$BH_TMP/$1.err" >&2; bh_fail "$1: no message matching: $3"; }
	! grep -q 'T0pS3cret' "$BH_TMP/$1.err" || bh_fail "$1: the password was logged"
}

F="$BH_TMP"
check unknown 'hots = "x";' "$F/unknown.conf:5: publishers\[1\]: unknown setting 'hots'"
check port_range 'port = 70000;' "$F/port_range.conf:5: publishers\[1\]: 'port' must be between 1 and 65535, not 70000"
check port_type 'port = "6379";' "$F/port_type.conf:5: publishers\[1\]: 'port' must be an integer"
check host_type 'host = 5;' "$F/host_type.conf:5: publishers\[1\]: 'host' must be a string"
check db 'database = -1;' "$F/db.conf:5: publishers\[1\]: 'database' must be between 0"
check timeout 'command_timeout_ms = 0;' "$F/timeout.conf:5: publishers\[1\]: 'command_timeout_ms' must be between 1"
check both 'password = "T0pS3cret";
    password_file = "/nonexistent";' "$F/both.conf:6: publishers\[1\]: give either 'password' or 'password_file', not both"
check pwtype 'password = 12345;' "$F/pwtype.conf:5: publishers\[1\]: 'password' must be a string, not an integer"
check pwempty 'password = "";' "$F/pwempty.conf:5: publishers\[1\]: 'password' must not be empty"
check hostempty 'host = "";' "$F/hostempty.conf:5: publishers\[1\]: 'host' must not be empty"
check nofile 'password_file = "/nonexistent/pw";' "$F/nofile.conf:5: publishers\[1\]: password_file /nonexistent/pw: No such file or directory"
: >"$BH_TMP/empty"
check emptyfile "password_file = \"$BH_TMP/empty\";" "password_file $BH_TMP/empty: is empty"
check user_only 'user = "u";' "$F/user_only.conf:5: publishers\[1\]: 'user' needs 'password' or 'password_file'"
# Sentinel settings.
check no_master 'sentinels = [ "127.0.0.1:26379" ];' "$F/no_master.conf:5: publishers\[1\]: 'sentinels' needs 'master_name'"
check no_sentinels 'master_name = "m";' "$F/no_sentinels.conf:5: publishers\[1\]: 'master_name' needs 'sentinels'"
check bad_sentinel 'sentinels = [ "127.0.0.1:26379", "no-port" ]; master_name = "m";' \
	"$F/bad_sentinel.conf:5: publishers\[1\]: sentinels\[1\] must be \"host:port\""
check v6_sentinel 'sentinels = [ "::1:26379" ]; master_name = "m";' "sentinels\[0\] must be \"host:port\" \(\"\[v6\]:port\" for IPv6\)"
check sentinel_port 'sentinels = [ "127.0.0.1:0" ]; master_name = "m";' "sentinels\[0\] must be .*port 1-65535"
check empty_sentinels 'sentinels = [ ]; master_name = "m";' "'sentinels' must be a non-empty list"
check sentinel_user 'sentinels = [ "127.0.0.1:26379" ]; master_name = "m"; sentinel_user = "u";' \
	"'sentinel_user' needs 'sentinel_password'"

# Every bad setting is reported in the same run: a malformed value does not
# hide what the other settings say about each other, and a setting already
# reported as malformed is not reported again as missing.
cat >"$BH_TMP/all.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
enumerate = true;
publishers = ( { plugin = "publisher-redis";
    port = 70000;
    host = 5;
    user = "u";
    master_name = "m";
    sentinel_user = "s";
    sentinel_password = 7;
  } );
CONF
$(bh_daemon_cmd) -c "$BH_TMP/all.conf" --no-timestamp --check-config 2>"$BH_TMP/all.err"
status=$?
[ "$status" -eq 2 ] || { cat "$BH_TMP/all.err" >&2; bh_fail "all: exit status $status, expected 2"; }
bh_expect_lines "$BH_TMP/all.err" "all.conf:4: publishers\[0\]: 'port' must be between 1 and 65535, not 70000" \
	"all.conf:5: publishers\[0\]: 'host' must be a string, not an integer" \
	"all.conf:6: publishers\[0\]: 'user' needs 'password' or 'password_file'" \
	"all.conf:7: publishers\[0\]: 'master_name' needs 'sentinels'" \
	"all.conf:8: publishers\[0\]: 'sentinel_user' needs 'sentinels'" \
	"all.conf:9: publishers\[0\]: 'sentinel_password' must be a string, not an integer" \
	"all.conf:9: publishers\[0\]: 'sentinel_password' needs 'sentinels'"
n=$(grep -c 'all\.conf:[0-9]*: publishers\[0\]: ' "$BH_TMP/all.err")
[ "$n" -eq 7 ] || { cat "$BH_TMP/all.err" >&2; bh_fail "all: $n messages for the group, expected 7"; }

# A good configuration passes --check-config without touching the network.
printf 'T0pS3cret\r\n' >"$BH_TMP/pw"
cat >"$BH_TMP/good.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
enumerate = true;
publishers = ( { plugin = "publisher-redis"; host = "192.0.2.1"; port = 6380; user = "u";
                 password_file = "$BH_TMP/pw"; database = 2; connect_timeout_ms = 100;
                 command_timeout_ms = 200; notify_channel = "beachhead"; socket = "/x.sock"; } );
CONF
$(bh_daemon_cmd) -c "$BH_TMP/good.conf" --no-timestamp --check-config 2>"$BH_TMP/good.err" ||
	{ cat "$BH_TMP/good.err" >&2; bh_fail "good configuration refused"; }
! grep -q 'T0pS3cret' "$BH_TMP/good.err" || bh_fail "the password was logged"

# With sentinels, host/port/socket are not used: said once each.
cat >"$BH_TMP/sentinel.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
enumerate = true;
publishers = ( { plugin = "publisher-redis"; sentinels = [ "127.0.0.1:26379", "[::1]:26380" ];
                 master_name = "mymaster"; sentinel_user = "s"; sentinel_password = "T0pS3cret";
                 host = "192.0.2.1"; } );
CONF
$(bh_daemon_cmd) -c "$BH_TMP/sentinel.conf" --no-timestamp --check-config 2>"$BH_TMP/sentinel.err" ||
	{ cat "$BH_TMP/sentinel.err" >&2; bh_fail "good Sentinel configuration refused"; }
grep -q "sentinel.conf:5: publishers\[0\]: 'host' is ignored: with 'sentinels' the sentinels name the master" "$BH_TMP/sentinel.err" ||
	{ cat "$BH_TMP/sentinel.err" >&2; bh_fail "no warning for host with sentinels"; }
! grep -q 'T0pS3cret' "$BH_TMP/sentinel.err" || bh_fail "the sentinel password was logged"
bh_check_valgrind
