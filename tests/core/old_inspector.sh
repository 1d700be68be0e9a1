#!/bin/sh
# An inspector built for ABI 1.1 (its container reports end at created_ns,
# before 1.2's port bindings) loads and registers its containers at the
# address it reports, as before: the core reads no field past the report's
# size (the report lives in a block of exactly that size; ASan builds catch
# a read past it) and treats the missing bindings as "reached directly".
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp
printf 'labeled web 10.0.0.1 team=a web.example.org\n' >"$BH_TMP/script"
cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-scripted-abi11"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
domains = { allow = [ ".example.org" ]; };
CONF
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp --refresh 0 --enumerate --verbose >"$BH_TMP/out" 2>"$BH_TMP/err"
status=$?
[ "$status" -eq 0 ] || { cat "$BH_TMP/err" >&2; bh_fail "exit $status"; }
grep -qxF '{"op":"set","key":"/beachhead/web","ttl":60,"value":[{"id":"web_example_org","domain":"web.example.org","http":{"host":"10.0.0.1","port":80},"https":{"host":"10.0.0.1","port":443}}]}' "$BH_TMP/out" ||
	{ cat "$BH_TMP/out" "$BH_TMP/err" >&2; bh_fail "the ABI 1.1 inspector's container was not registered as before"; }
bh_check_valgrind
exit 0
