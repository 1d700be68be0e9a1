#!/bin/sh
# host_id / --host-id: keys become key_prefix + host_id + "/" + container;
# without it they stay key_prefix + container.  An id that is not one key
# segment is refused with file:line (or the option's name), exit 2.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp
printf 'up web 10.0.0.1 example.org\n' >"$BH_TMP/script"

conf() { # conf EXTRA-LINE -> $BH_TMP/c.conf
	cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
$1
CONF
}

run() { # run [daemon args...] -> status, $BH_TMP/out, $BH_TMP/err
	$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp --refresh 0 --enumerate "$@" \
		>"$BH_TMP/out" 2>"$BH_TMP/err"
	status=$?
}

expect_key() { # expect_key KEY WHAT
	[ "$status" -eq 0 ] || { cat "$BH_TMP/err" >&2; bh_fail "$2: exit $status"; }
	grep -q "\"key\":\"$1\"" "$BH_TMP/out" || { cat "$BH_TMP/out" >&2; bh_fail "$2: no key $1"; }
	[ "$(grep -o '"key":"[^"]*"' "$BH_TMP/out" | sort -u | wc -l)" -eq 1 ] ||
		bh_fail "$2: more than one key"
}

expect_refused() { # expect_refused MESSAGE-REGEX WHAT
	[ "$status" -eq 2 ] || { cat "$BH_TMP/err" >&2; bh_fail "$2: exit $status, expected 2"; }
	grep -q -- "$1" "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "$2: no '$1'"; }
	! grep -q '"key"' "$BH_TMP/out" || bh_fail "$2: something was published"
}

conf ''
run
expect_key /beachhead/web "no host id"
run --host-id hostA
expect_key /beachhead/hostA/web "--host-id"
run --host-id node-1.example.org --key-prefix /svc/
expect_key /svc/node-1.example.org/web "--host-id with --key-prefix"

conf 'host_id = "hostB";'
run
expect_key /beachhead/hostB/web "host_id in the file"
run --host-id hostC
expect_key /beachhead/hostC/web "--host-id overrides the file"

# A publisher built for ABI 1.1 has no sweep: it loads and publishes under
# the host id, and the core never reads past its table (ASan builds check).
cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; }, { plugin = "publisher-abi11"; } );
CONF
run --host-id hostD
expect_key /beachhead/hostD/web "an ABI 1.1 publisher next to the stdout one"
grep -q "abi 1.1 publish /beachhead/hostD/web" "$BH_TMP/err" || bh_fail "the ABI 1.1 publisher did not publish"

conf 'host_id = "a/b";'
run
expect_refused "$BH_TMP/c.conf:3: 'host_id' \"a/b\" must not contain '/'" "a slash in the file"
conf 'host_id = "";'
run
expect_refused "$BH_TMP/c.conf:3: 'host_id' must not be empty" "empty in the file"
conf 'host_id = 7;'
run
expect_refused "$BH_TMP/c.conf:3: 'host_id' must be a string" "a number in the file"
conf ''
run --host-id 'host A'
expect_refused "--host-id \"host A\" must not contain '/', whitespace" "whitespace on the command line"
tab=$(printf 'a\tb')
run --host-id "$tab"
expect_refused "--host-id .* must not contain" "a tab on the command line"
run --host-id ''
expect_refused "--host-id must not be empty" "empty on the command line"
run --host-id ..
expect_refused '--host-id must not be "\.\." (confd reads the keys as paths' "'..' on the command line"
conf 'host_id = ".";'
run
expect_refused "$BH_TMP/c.conf:3: 'host_id' must not be \"\\.\"" "'.' in the file"
exit 0
