#!/bin/sh
# One-pass mode (--refresh 0, or --expire 0 which implies it) against a real
# dockerd: explicit names and --enumerate, exit statuses for a missing
# variable (error for a named container unless --ignore-missing-envvar;
# ignored for an enumerated one unless --error-missing-envvar) and for a
# missing or stopped named container (an error only with
# --error-missing-container); an unreachable engine (exit 1, promptly); bad
# plugin settings (exit 2 with file:line).
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_setup testnet 172.30.2.0/24
docker run -d --name web1 --network testnet -e BEACHHEAD_DOMAINS=web1.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run
docker run -d --name plain --network testnet bbox:latest sleep 1000 >/dev/null || bh_fail run
docker create --name dead --network testnet -e BEACHHEAD_DOMAINS=dead.example.org bbox:latest sleep 1000 >/dev/null || bh_fail create
IP1=$(bh_ip web1 testnet)
OUT=$BH_TMP/out

# expect STATUS ARGS...: runs one pass (bounded by timeout) and checks the status.
expect() {
	want=$1
	shift
	timeout 30 $(bh_daemon_cmd) --dry-run --docker-url "$BH_DOCKER_URL" --no-timestamp "$@" >"$OUT" 2>"$OUT.err"
	got=$?
	if [ "$got" != "$want" ]; then
		cat "$OUT" "$OUT.err" >&2
		bh_fail "exit status $got, expected $want, for: $*"
	fi
}

expect 0 --refresh 0 web1
bh_has_line "$OUT" "$(bh_reg web1 "$IP1")" || bh_fail "web1 not published: $(cat "$OUT")"
[ "$(wc -l <"$OUT")" -eq 1 ] || bh_fail "expected exactly one line: $(cat "$OUT")"

# --expire 0 alone means one pass, registrations without expiry.
expect 0 --expire 0 web1
BH_TTL=0 bh_has_line "$OUT" "$(BH_TTL=0 bh_reg web1 "$IP1")" || bh_fail "ttl 0 line missing: $(cat "$OUT")"

# A named container without the variable is an error...
expect 1 --refresh 0 web1 plain
bh_has_line "$OUT" "$(bh_reg web1 "$IP1")" || bh_fail "web1 not published next to the error"
grep -q 'container plain: no env BEACHHEAD_DOMAINS' "$OUT.err" || bh_fail "no message naming plain"
# ... unless ignored.
expect 0 --refresh 0 --ignore-missing-envvar web1 plain

# An enumerated one is ignored... unless --error-missing-envvar.
expect 0 --refresh 0 --enumerate
bh_has_line "$OUT" "$(bh_reg web1 "$IP1")" || bh_fail "web1 not enumerated"
expect 1 --refresh 0 --enumerate --error-missing-envvar

# Missing and stopped named containers: info, or an error on request.
expect 0 --refresh 0 web1 ghost dead
grep -q 'container ghost: missing (no such container)' "$OUT.err" || bh_fail "ghost not reported"
grep -q 'container dead: missing (is created)' "$OUT.err" || bh_fail "dead not reported"
expect 1 --refresh 0 --error-missing-container web1 ghost
expect 1 --refresh 0 --error-missing-container web1 dead
expect 0 --refresh 0 --error-missing-container --enumerate web1

# A different variable name.
docker run -d --name alt1 --network testnet -e OTHER_DOMAINS=alt.example.org bbox:latest sleep 1000 >/dev/null || bh_fail run
expect 0 --refresh 0 --envvar OTHER_DOMAINS alt1
bh_has_line "$OUT" "$(bh_reg alt1 "$(bh_ip alt1 testnet)" alt.example.org)" || bh_fail "--envvar not used"

# Invalid specs: an error naming the container; the others are published.
docker run -d --name bad1 --network testnet -e 'BEACHHEAD_DOMAINS=ok.example.org:http=99999' bbox:latest sleep 1000 >/dev/null || bh_fail run
expect 1 --refresh 0 web1 bad1
grep -q 'container bad1:' "$OUT.err" || bh_fail "bad1 not named"
bh_has_line "$OUT" "$(bh_reg web1 "$IP1")" || bh_fail "web1 not published next to bad1"

# Unreachable engine: exit 1 at once, no retrying forever.
start=$(date +%s)
timeout 30 $(bh_daemon_cmd) --dry-run --refresh 0 --no-timestamp --docker-url "unix://$BH_TMP/nothing.sock" web1 >"$OUT" 2>"$OUT.err"
got=$?
[ "$got" = 1 ] || { cat "$OUT.err" >&2; bh_fail "unreachable engine: exit $got, expected 1"; }
[ $(( $(date +%s) - start )) -le 5 ] || bh_fail "unreachable engine took too long"
grep -q 'engine unreachable' "$OUT.err" || bh_fail "no 'engine unreachable' message"

# Bad settings: file:line and exit 2, before any I/O.
cat >"$BH_TMP/bad.conf" <<CONF
inspector = {
  plugin = "inspector-docker";
  address = "carrier-pigeon";
  colour = "blue";
};
publishers = ( { plugin = "publisher-stdout"; } );
CONF
timeout 10 $(bh_daemon_cmd) -c "$BH_TMP/bad.conf" --refresh 0 --enumerate >"$OUT" 2>"$OUT.err"
got=$?
[ "$got" = 2 ] || { cat "$OUT.err" >&2; bh_fail "bad config: exit $got, expected 2"; }
grep -q "bad.conf:3: inspector: 'address' must be" "$OUT.err" || { cat "$OUT.err" >&2; bh_fail "no file:line for address"; }
grep -q "bad.conf:4: inspector: unknown setting 'colour'" "$OUT.err" || { cat "$OUT.err" >&2; bh_fail "no file:line for colour"; }

bh_check_valgrind
exit 0
