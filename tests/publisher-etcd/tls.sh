#!/bin/sh
# publisher-etcd over https with client certificates (ca_file, cert_file,
# key_file) against a real 3-member cluster that requires them; without a
# client certificate, or trusting another CA, a one-pass run fails with the
# reason and writes nothing.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/etcd.sh"
bh_setup_tmp
bh_etcd_require
command -v openssl >/dev/null 2>&1 || bh_skip "openssl not installed (makes the test certificates)"
bh_etcd_make_certs "$BH_TMP/pki" || bh_fail "making test certificates"
bh_etcd_make_certs "$BH_TMP/other" || bh_fail "making a second CA"
BH_ETCD_TLS=$BH_TMP/pki
bh_etcd_start 23820
P=$BH_TMP/pki

printf 'up web 10.0.0.1 web.example.org\n' >"$BH_TMP/script"
once() { # once NAME HOST-ID 'publisher settings' -> status
	bh_etcd_config "$BH_TMP/$1.conf" "$BH_TMP/script" "$3"
	$(bh_daemon_cmd) -c "$BH_TMP/$1.conf" --no-timestamp --expire 0 --refresh 0 --host-id "$2" \
		>"$BH_TMP/$1.out" 2>"$BH_TMP/$1.err"
	status=$?
}

once good hostA "ca_file = \"$P/ca.pem\"; cert_file = \"$P/client.pem\"; key_file = \"$P/client.key\";"
[ "$status" = 0 ] || { cat "$BH_TMP/good.err" >&2; bh_fail "with the client certificate: exit $status"; }
[ -n "$(bh_etcd_get /beachhead/hostA/web)" ] || bh_fail "with the client certificate: no key"

once nocert hostB "ca_file = \"$P/ca.pem\";"
[ "$status" = 1 ] || { cat "$BH_TMP/nocert.err" >&2; bh_fail "without a client certificate: exit $status, expected 1"; }
grep -q "error: .*etcd: .*https://127.0.0.1:2382" "$BH_TMP/nocert.err" ||
	{ cat "$BH_TMP/nocert.err" >&2; bh_fail "without a client certificate: no error naming the endpoint"; }

O=$BH_TMP/other
once wrongca hostC "ca_file = \"$O/ca.pem\"; cert_file = \"$P/client.pem\"; key_file = \"$P/client.key\";"
[ "$status" = 1 ] || { cat "$BH_TMP/wrongca.err" >&2; bh_fail "another CA: exit $status, expected 1"; }
grep -qi "error: .*etcd: .*certificate" "$BH_TMP/wrongca.err" ||
	{ cat "$BH_TMP/wrongca.err" >&2; bh_fail "another CA: no certificate error"; }
[ -z "$(bh_etcd_keys /beachhead/hostB/)$(bh_etcd_keys /beachhead/hostC/)" ] || bh_fail "refused runs wrote keys"

# A bad pair of settings is a configuration error with file:line.
once half hostD "ca_file = \"$P/ca.pem\"; cert_file = \"$P/client.pem\";"
[ "$status" = 2 ] || { cat "$BH_TMP/half.err" >&2; bh_fail "cert_file without key_file: exit $status, expected 2"; }
grep -q "$BH_TMP/half.conf:2: publishers\[0\]: 'cert_file' and 'key_file' go together" "$BH_TMP/half.err" ||
	{ cat "$BH_TMP/half.err" >&2; bh_fail "cert_file without key_file: no file:line message"; }
bh_check_valgrind
exit 0
