#!/bin/sh
# Bad configuration files: one line with file:line and what is wrong, exit 2,
# and nothing started.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp
printf 'up web 10.0.0.1 example.org\n' >"$BH_TMP/script"

bad_config() { # bad_config LINE 'message' <<config text on stdin
	line=$1
	msg=$2
	cat >"$BH_TMP/c.conf"
	"$BEACHHEAD" -c "$BH_TMP/c.conf" --no-timestamp --enumerate >"$BH_TMP/out" 2>"$BH_TMP/err"
	status=$?
	[ "$status" -eq 2 ] || { cat "$BH_TMP/err" >&2; bh_fail "'$msg': exit $status, expected 2"; }
	grep -q -- "$BH_TMP/c.conf:$line: .*$msg" "$BH_TMP/err" ||
		{ cat "$BH_TMP/err" >&2; bh_fail "no '$BH_TMP/c.conf:$line: ...$msg'"; }
	[ ! -s "$BH_TMP/out" ] || bh_fail "'$msg': something was published"
}

bad_config 3 "syntax error" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
expire = ;
CONF
bad_config 3 "unknown setting 'expiry'" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
expiry = 60;
CONF
bad_config 4 "'expire' must be an integer, not a string" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );

expire = "60";
CONF
bad_config 2 "publishers\[1\]: missing 'plugin'" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; }, { host = "x"; } );
CONF
bad_config 3 "'missing_envvar' must be \"auto\", \"error\" or \"ignore\"" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
missing_envvar = "sometimes";
CONF
# A plugin reports its own bad settings with file:line too.
bad_config 3 "publishers\[0\]: unknown setting 'colour'" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout";
                 colour = "blue"; } );
CONF
bad_config 2 "publishers\[0\]: plugin 'publisher-nonexistent': no publisher-nonexistent.so in" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-nonexistent"; } );
CONF

# The same mistake reads the same in the daemon's settings and in every
# bundled plugin's group, and every plugin reports all of its bad settings
# in one run.
cat >"$BH_TMP/same.conf" <<CONF
inspector = { plugin = "inspector-docker";
  drain = "yes";
  timeout_ms = 5;
  network = "";
  inspect_deadline_ms = 10;
  max_inspections = "16";
  event_stall_ms = 99999999;
};
publishers = (
  { plugin = "publisher-redis";
    notify_channel = 1;
    port = 0;
    host = "";
  },
  { plugin = "publisher-stdout"; colour = "blue"; }
);
CONF
"$BEACHHEAD" -c "$BH_TMP/same.conf" --check-config --no-timestamp >"$BH_TMP/out" 2>"$BH_TMP/err"
status=$?
[ "$status" -eq 2 ] || { cat "$BH_TMP/err" >&2; bh_fail "same wording: exit $status, expected 2"; }
bh_expect_lines "$BH_TMP/err" "same.conf:2: inspector: 'drain' must be a boolean, not a string" \
	"same.conf:3: inspector: 'timeout_ms' must be between 100 and 3600000, not 5" \
	"same.conf:4: inspector: 'network' must not be empty" \
	"same.conf:5: inspector: 'inspect_deadline_ms' must be between 50 and 3600000, not 10" \
	"same.conf:6: inspector: 'max_inspections' must be an integer, not a string" \
	"same.conf:7: inspector: 'event_stall_ms' must be between 100 and 3600000, not 99999999" \
	"same.conf:11: publishers\[0\]: 'notify_channel' must be a string, not an integer" \
	"same.conf:12: publishers\[0\]: 'port' must be between 1 and 65535, not 0" \
	"same.conf:13: publishers\[0\]: 'host' must not be empty" \
	"same.conf:15: publishers\[1\]: unknown setting 'colour'"

# --check-config accepts a good file without starting anything.
cat >"$BH_TMP/good.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; }, { plugin = "publisher-stdout"; } );
enumerate = true;
expire = 30;
key_prefix = "/x/";
log_level = "debug";
timestamps = false;
CONF
"$BEACHHEAD" -c "$BH_TMP/good.conf" --check-config >"$BH_TMP/out" 2>"$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "--check-config refused a good file"; }
grep -q "configuration $BH_TMP/good.conf is valid" "$BH_TMP/err" || bh_fail "--check-config said nothing"
[ ! -s "$BH_TMP/out" ] || bh_fail "--check-config published"

# Fan-out: two publishers each get every registration (and print it once:
# one line per change).
"$BEACHHEAD" -c "$BH_TMP/good.conf" --refresh 0 >"$BH_TMP/out" 2>"$BH_TMP/err" || bh_fail "fan-out run"
[ "$(grep -c '"key":"/x/web"' "$BH_TMP/out")" -eq 2 ] || bh_fail "fan-out: $(cat "$BH_TMP/out")"
grep -q 'publisher-stdout\[1\]' "$BH_TMP/err" || grep -q '2 publisher(s)' "$BH_TMP/err" || bh_fail "two publishers not started"
exit 0
