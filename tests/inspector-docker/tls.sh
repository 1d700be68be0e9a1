#!/bin/sh
# TLS to a real dockerd listening on loopback with --tlsverify (client
# certificates): url + cert_path in the configuration, the docker CLI's
# environment (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) alone, a
# wrong CA (refused: exit 1), tls_verify = false with the wrong CA
# (accepted), plain HTTP to the TLS port (refused).  The TLS listener is on
# the loopback of the engine's own network namespace, so the daemon runs
# there (bh_engine_netns) and any port will do.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_require_docker
command -v openssl >/dev/null 2>&1 || bh_skip "openssl is needed to make certificates"

C=$BH_TMP/certs
W=$BH_TMP/wrong
mkdir -p "$C" "$W"
ssl() { openssl "$@" >/dev/null 2>&1 || bh_fail "openssl $1"; }
# ca DIR: a CA in DIR; leaf DIR NAME EXT: a key + certificate signed by it.
ca() {
	ssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test CA" -keyout "$1/ca-key.pem" -out "$1/ca.pem"
}
leaf() {
	ssl req -newkey rsa:2048 -nodes -subj "/CN=$2" -keyout "$1/$2-key.pem" -out "$1/$2.csr"
	printf '%s\n' "$3" >"$1/$2.ext"
	ssl x509 -req -in "$1/$2.csr" -CA "$1/ca.pem" -CAkey "$1/ca-key.pem" -CAcreateserial -days 2 \
		-extfile "$1/$2.ext" -out "$1/$2.pem"
}
ca "$C"
leaf "$C" server 'subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth'
leaf "$C" client 'extendedKeyUsage=clientAuth'
cp "$C/client.pem" "$C/cert.pem"
cp "$C/client-key.pem" "$C/key.pem"
# The same client certificate, but a CA that did not sign the server's.
ca "$W"
cp "$C/cert.pem" "$C/key.pem" "$W/"

PORT=2376
BH_DOCKERD_EXTRA="--host tcp://127.0.0.1:$PORT --tlsverify --tlscacert $C/ca.pem --tlscert $C/server.pem --tlskey $C/server-key.pem"
bh_engine_start_docker
bh_engine_import_image
docker network create --subnet 172.30.7.0/24 testnet >/dev/null || bh_fail "network create"
docker run -d --name web1 --network testnet -e BEACHHEAD_DOMAINS=web1.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run
LINE=$(bh_reg web1 "$(bh_ip web1 testnet)")
OUT=$BH_TMP/out

# pass STATUS SETTINGS ARGS...: one pass with these inspector settings.
pass() {
	want=$1
	printf 'inspector = { plugin = "inspector-docker"; %s };\npublishers = ( { plugin = "publisher-stdout"; } );\n' "$2" >"$BH_TMP/c.conf"
	shift 2
	bh_engine_netns timeout 30 $(bh_daemon_cmd) -c "$BH_TMP/c.conf" --dry-run --refresh 0 --no-timestamp "$@" >"$OUT" 2>"$OUT.err"
	got=$?
	[ "$got" = "$want" ] || { cat "$OUT" "$OUT.err" >&2; bh_fail "exit status $got, expected $want"; }
}

pass 0 "url = \"tcp://127.0.0.1:$PORT\"; cert_path = \"$C\";" web1
bh_has_line "$OUT" "$LINE" || { cat "$OUT" "$OUT.err" >&2; bh_fail "no registration over TLS"; }

# The docker CLI's environment alone (no url, no cert_path).
(
	DOCKER_HOST="tcp://127.0.0.1:$PORT" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$C"
	export DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH
	pass 0 "" web1
) || exit 1
bh_has_line "$OUT" "$LINE" || { cat "$OUT" "$OUT.err" >&2; bh_fail "no registration with the DOCKER_* environment"; }

# A CA that did not sign the server: refused.
pass 1 "url = \"tcp://127.0.0.1:$PORT\"; cert_path = \"$W\";" web1
grep -q 'engine unreachable' "$OUT.err" || { cat "$OUT.err" >&2; bh_fail "no 'engine unreachable' for a bad certificate"; }
# ... unless verification is off (the client certificate still goes along).
pass 0 "url = \"tcp://127.0.0.1:$PORT\"; cert_path = \"$W\"; tls_verify = false;" web1
bh_has_line "$OUT" "$LINE" || { cat "$OUT" "$OUT.err" >&2; bh_fail "tls_verify = false did not connect"; }
# Plain HTTP to the TLS port: refused.
pass 1 "url = \"tcp://127.0.0.1:$PORT\";" web1

bh_check_valgrind
exit 0
