# Helpers for the publisher-etcd tests: a real 3-member etcd cluster (Debian's
# etcd-server 3.4) on loopback, data directories on tmpfs (/dev/shm) where
# there is one, so that the cluster starts in about two seconds.
#
# Ports: BASE+1..3 for clients, BASE+11..13 for peers; every test file uses
# its own BASE (23700-23899), so tests can run in parallel.
#
# Source after common.sh and bh_setup_tmp.
#
# TLS: bh_etcd_make_certs DIR first, then BH_ETCD_TLS=DIR: the client URLs
# become https with client certificates required (peers stay http).

bh_etcd_require() {
	command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1 ||
		bh_skip "etcd and etcdctl not installed (Debian: etcd-server etcd-client)"
	command -v python3 >/dev/null 2>&1 || bh_skip "python3 not installed (reads etcdctl's JSON)"
}

# bh_etcd_start BASE: starts the cluster, waits until every member is healthy.
bh_etcd_start() {
	BH_ETCD_BASE=$1
	BH_ETCD_DIR=$(mktemp -d /dev/shm/bh-etcd.XXXXXX 2>/dev/null) || BH_ETCD_DIR=$(mktemp -d "$BH_TMP/etcd.XXXXXX")
	bh_on_exit "rm -rf '$BH_ETCD_DIR'"
	BH_ETCD_CLUSTER=""
	BH_ETCD_ENDPOINTS=""
	for i in 1 2 3; do
		BH_ETCD_CLUSTER="$BH_ETCD_CLUSTER${BH_ETCD_CLUSTER:+,}m$i=http://127.0.0.1:$((BH_ETCD_BASE + 10 + i))"
		BH_ETCD_ENDPOINTS="$BH_ETCD_ENDPOINTS${BH_ETCD_ENDPOINTS:+,}$(bh_etcd_url "$i")"
	done
	for i in 1 2 3; do
		bh_etcd_launch "$i"
	done
	for i in 1 2 3; do
		bh_wait_for 20 "bh_etcdctl_at $i endpoint health" "etcd member m$i healthy" ||
			{ tail -n 20 "$BH_ETCD_DIR/m$i.log" >&2; exit 1; }
	done
}

bh_etcd_url() {
	echo "http${BH_ETCD_TLS:+s}://127.0.0.1:$((BH_ETCD_BASE + $1))"
}

# bh_etcd_make_certs DIR: a test CA (ca.pem), a server certificate for
# 127.0.0.1 (server.pem, server.key) and a client one (client.pem,
# client.key), valid for a day.
bh_etcd_make_certs() {
	d=$1
	mkdir -p "$d" &&
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' >"$d/server.ext" &&
		printf 'extendedKeyUsage=clientAuth\n' >"$d/client.ext" &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -days 1 \
			-subj /CN=beachhead-test-ca 2>/dev/null &&
		for who in server client; do
			openssl req -newkey rsa:2048 -nodes -keyout "$d/$who.key" -out "$d/$who.csr" \
				-subj "/CN=beachhead-test-$who" 2>/dev/null &&
				openssl x509 -req -in "$d/$who.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
					-CAcreateserial -out "$d/$who.pem" -days 1 -extfile "$d/$who.ext" 2>/dev/null ||
				return 1
		done
}

bh_etcd_tls_flags() {
	[ -n "${BH_ETCD_TLS:-}" ] || return 0
	echo "--cert-file=$BH_ETCD_TLS/server.pem --key-file=$BH_ETCD_TLS/server.key" \
		"--trusted-ca-file=$BH_ETCD_TLS/ca.pem --client-cert-auth"
}

bh_etcdctl_tls_flags() {
	[ -n "${BH_ETCD_TLS:-}" ] || return 0
	echo "--cacert=$BH_ETCD_TLS/ca.pem --cert=$BH_ETCD_TLS/client.pem --key=$BH_ETCD_TLS/client.key"
}

# Short heartbeats and elections: a killed leader is replaced in about a
# second instead of the default's several.
bh_etcd_launch() {
	etcd --name "m$1" --data-dir "$BH_ETCD_DIR/m$1" \
		--listen-client-urls "$(bh_etcd_url "$1")" --advertise-client-urls "$(bh_etcd_url "$1")" \
		--listen-peer-urls "http://127.0.0.1:$((BH_ETCD_BASE + 10 + $1))" \
		--initial-advertise-peer-urls "http://127.0.0.1:$((BH_ETCD_BASE + 10 + $1))" \
		--initial-cluster "$BH_ETCD_CLUSTER" --initial-cluster-state new \
		--initial-cluster-token "bh-$BH_ETCD_BASE" \
		--heartbeat-interval 50 --election-timeout 500 ${BH_ETCD_EXTRA:-} $(bh_etcd_tls_flags) \
		>>"$BH_ETCD_DIR/m$1.log" 2>&1 &
	eval "BH_ETCD_PID$1=$!"
	bh_on_exit "kill -9 $! 2>/dev/null; kill -CONT $! 2>/dev/null"
}

bh_etcd_pid() {
	eval "echo \$BH_ETCD_PID$1"
}

# bh_etcd_auth PASSWORD: auth on, root (password rootpw, used by bh_etcdctl
# from then on) and the user beachhead with PASSWORD, read-write on
# /beachhead/.
bh_etcd_auth() {
	bh_etcdctl user add root --new-user-password=rootpw --interactive=false >/dev/null &&
		bh_etcdctl user grant-role root root >/dev/null &&
		bh_etcdctl role add beachhead >/dev/null &&
		bh_etcdctl role grant-permission beachhead --prefix=true readwrite /beachhead/ >/dev/null &&
		bh_etcdctl user add beachhead --new-user-password="$1" --interactive=false >/dev/null &&
		bh_etcdctl user grant-role beachhead beachhead >/dev/null &&
		bh_etcdctl auth enable >/dev/null || bh_fail "setting up etcd auth"
	BH_ETCD_ROOT=root:rootpw
}

# bh_etcdctl ARGS: against the whole cluster (as root when auth is on).
bh_etcdctl() {
	ETCDCTL_API=3 etcdctl --endpoints="$BH_ETCD_ENDPOINTS" --dial-timeout=2s --command-timeout=5s \
		${BH_ETCD_ROOT:+--user="$BH_ETCD_ROOT"} $(bh_etcdctl_tls_flags) "$@"
}

bh_etcdctl_at() {
	i=$1
	shift
	ETCDCTL_API=3 etcdctl --endpoints="$(bh_etcd_url "$i")" --dial-timeout=1s --command-timeout=3s \
		${BH_ETCD_ROOT:+--user="$BH_ETCD_ROOT"} $(bh_etcdctl_tls_flags) "$@"
}

# Member number (1-3) of the current leader, from a live member's view.
bh_etcd_leader() {
	bh_etcdctl endpoint status -w json 2>/dev/null | python3 -c '
import json, sys
for s in json.load(sys.stdin):
    st = s["Status"]
    if st["header"]["member_id"] == st["leader"]:
        print(s["Endpoint"].rsplit(":", 1)[1][-1])
        break
'
}

# Store revision: moves on every put and delete, never on keep-alives.
bh_etcd_revision() {
	bh_etcdctl get / --prefix --limit 1 -w json | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])'
}

# bh_etcd_get KEY: the value, or nothing.
bh_etcd_get() {
	bh_etcdctl get "$1" --print-value-only
}

# bh_etcd_field KEY FIELD: create_revision, mod_revision, lease, ... of a key.
bh_etcd_field() {
	bh_etcdctl get "$1" -w json | python3 -c '
import json, sys
kvs = json.load(sys.stdin).get("kvs", [])
print(kvs[0].get(sys.argv[1], 0) if kvs else "")
' "$2"
}

# bh_etcd_keys PREFIX: the keys under PREFIX, sorted, one a line, without
# the namespaces' claims (KEY/@owner, see bh_etcd_all_keys).
bh_etcd_keys() {
	bh_etcd_all_keys "$1" | sed '/\/@owner$/d'
}

bh_etcd_all_keys() {
	bh_etcdctl get "$1" --prefix --keys-only | sed '/^$/d' | sort
}

# bh_etcd_config FILE SCRIPT [PUBLISHER-SETTINGS]: scripted inspector ->
# publisher-etcd on the whole cluster.  Expire, refresh and host id go on the
# command line.
bh_etcd_config() {
	eps=$(printf '%s' "$BH_ETCD_ENDPOINTS" | sed 's/[^,]*/"&"/g; s/,/, /g')
	cat >"$1" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$2"; };
publishers = ( { plugin = "publisher-etcd"; endpoints = [ $eps ]; ${3:-} } );
enumerate = true;
CONF
}

# bh_etcd_expect_keys TIMEOUT PREFIX 'key1 key2 ...': exactly these keys.
bh_etcd_expect_keys() {
	BH_EXP_PREFIX=$2
	BH_EXP_KEYS=$(printf '%s\n' $3 | sort)
	bh_wait_for "$1" '[ "$(bh_etcd_keys "$BH_EXP_PREFIX")" = "$BH_EXP_KEYS" ]' "keys under $2: $3" || {
		echo "--- keys under $2:" >&2
		bh_etcd_keys "$2" >&2
		return 1
	}
}
