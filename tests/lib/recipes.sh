# The shipped confd recipes (etc/confd) rendered and checked as an operator
# would run them.  Source after common.sh and redis.sh (bh_setup_tmp done):
#
#   bh_recipes_require
#       skip (fail in CI) without go, nginx with the stream module, haproxy
#   bh_recipes_go_build OUT DIR
#       builds the Go program (standard library only) in DIR into OUT
#   bh_recipes_build_standin
#       builds tests/recipes/standin/ (the TEST-ONLY confd stand-in, Go
#       standard library only, offline) into $BH_TMP/confd-standin
#   bh_recipe_render NAME OUT
#       renders etc/confd/templates of the resource conf.d/NAME.toml, with
#       its keys, into OUT, from confd's backend $BH_CONFD_BACKEND (default
#       redis) at $BH_CONFD_NODE (default the redis-server on
#       $BH_REDIS_SOCK; for etcdv3 e.g. $BH_ETCD_ENDPOINTS, comma-separated)
#   bh_recipe_check NAME FILE
#       runs the resource's check_cmd, exactly as shipped, with {{.src}}
#       replaced by FILE (confd runs it through /bin/sh -c); returns its
#       status, output on stderr

BH_RECIPES=${BH_RECIPES:-$top_srcdir/etc/confd}

bh_recipes_require() {
	command -v go >/dev/null 2>&1 || bh_skip "go is not installed (golang-go), needed for the confd stand-in"
	[ -x /usr/sbin/nginx ] || bh_skip "/usr/sbin/nginx is not installed (nginx)"
	[ -x /usr/sbin/haproxy ] || bh_skip "/usr/sbin/haproxy is not installed (haproxy)"
	ls /etc/nginx/modules-enabled/*stream*.conf >/dev/null 2>&1 ||
		bh_skip "the nginx stream module is not enabled (libnginx-mod-stream)"
}

# bh_recipes_go_build OUT DIR: builds the Go program in DIR (GOPATH mode,
# no network: standard library only).
bh_recipes_go_build() {
	GOCACHE=${GOCACHE:-$top_builddir/tests/.gocache} GO111MODULE=off GOPROXY=off GOFLAGS= \
		go build -o "$1" "$2"/*.go || bh_fail "cannot build $2"
}

bh_recipes_build_standin() {
	bh_recipes_go_build "$BH_TMP/confd-standin" "$top_srcdir/tests/recipes/standin"
}

# The value of KEY in a confd resource file: one line, or ''' ... ''' on one line.
bh_recipe_setting() {
	sed -n "s/^$2 = '''\(.*\)'''\$/\1/p; s/^$2 = \"\(.*\)\"\$/\1/p" "$BH_RECIPES/conf.d/$1.toml"
}

# The resource's keys = ["K1", "K2"] as K1,K2.
bh_recipe_keys() {
	sed -n 's/^keys = \[\(.*\)\]$/\1/p' "$BH_RECIPES/conf.d/$1.toml" | tr -d '" '
}

# bh_recipe_node_flags: -node ADDR for each of $BH_CONFD_NODE's addresses.
bh_recipe_node_flags() {
	printf '%s\n' "${BH_CONFD_NODE:-${BH_REDIS_SOCK:-}}" | tr ',' '\n' | sed '/^$/d; s/^/-node /'
}

bh_recipe_render() {
	src=$(bh_recipe_setting "$1" src)
	keys=$(bh_recipe_keys "$1")
	[ -n "$src" ] && [ -n "$keys" ] || bh_fail "no src or keys in conf.d/$1.toml"
	rm -f "$2"
	# shellcheck disable=SC2046 # one word per flag and address
	"$BH_TMP/confd-standin" -backend "${BH_CONFD_BACKEND:-redis}" $(bh_recipe_node_flags) \
		-keys "$keys" -src "$BH_RECIPES/templates/$src" -dest "$2" || bh_fail "cannot render $1"
}

bh_recipe_check() {
	cmd=$(bh_recipe_setting "$1" check_cmd)
	[ -n "$cmd" ] || bh_fail "no check_cmd in conf.d/$1.toml"
	cmd=$(printf '%s\n' "$cmd" | sed "s|{{\.src}}|$2|g")
	/bin/sh -c "$cmd" >&2
}
