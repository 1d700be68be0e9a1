#!/bin/sh
# The same plugin against Podman's Docker-compatible API (a second,
# independent implementation whose JSON differs in details): a full pass
# with env and label specs on Podman's default network, then event-driven
# publish and withdrawal, and unchanged passes that change nothing.
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/engine.sh"
bh_setup_tmp
bh_engine_require_podman
bh_engine_start_podman
bh_engine_import_image localhost/bbox:latest
OUT=$BH_TMP/out

# Podman's address on its default network, read through the compat API.
pip() {
	docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"
}

docker run -d --name web1 -e BEACHHEAD_DOMAINS=web1.example.org localhost/bbox:latest sleep 1000 >/dev/null || bh_fail run
docker run -d --name lab1 --label beachhead.domains=lab1.example.org localhost/bbox:latest sleep 1000 >/dev/null || bh_fail run
IP1=$(pip web1)
[ -n "$IP1" ] || bh_fail "podman gave web1 no address"

# One pass.
timeout 30 $(bh_daemon_cmd) --dry-run --refresh 0 --enumerate --no-timestamp --docker-url "$BH_PODMAN_URL" >"$OUT" 2>"$OUT.err"
rc=$?
[ "$rc" = 0 ] || { cat "$OUT" "$OUT.err" >&2; bh_fail "one pass: exit $rc"; }
bh_has_line "$OUT" "$(bh_reg web1 "$IP1")" || { cat "$OUT" "$OUT.err" >&2; bh_fail "web1 missing"; }
bh_has_line "$OUT" "$(bh_reg lab1 "$(pip lab1)")" || { cat "$OUT" "$OUT.err" >&2; bh_fail "lab1 missing"; }

# Daemon mode: events.
bh_daemon_start "$OUT" --dry-run --enumerate --no-timestamp --verbose --refresh 2 \
	--docker-url "$BH_PODMAN_URL"
bh_expect_line 15 "$OUT" "$(bh_reg web1 "$IP1")"
docker run -d --name web2 -e BEACHHEAD_DOMAINS=web2.example.org localhost/bbox:latest sleep 1000 >/dev/null || bh_fail run
bh_expect_line 10 "$OUT" "$(bh_reg web2 "$(pip web2)")"
docker stop -t 1 web2 >/dev/null
bh_expect_line 10 "$OUT" "$(bh_del web2)"

# Unchanged passes through Podman's listing (containers it knows by id are
# not read again) change nothing: no withdrawal, no second registration,
# no error, and each pass is complete.
passes() { grep -c 'full pass [0-9]* ends (complete)' "$OUT.err"; }
first=$(passes)
bh_wait_for 15 "[ \$(grep -c 'full pass [0-9]* ends (complete)' '$OUT.err') -ge $((first + 3)) ]" \
	"three more complete passes" || { cat "$OUT.err" >&2; bh_fail "passes through Podman do not complete"; }
[ "$(grep -c 'withdrawing' "$OUT.err")" -eq 1 ] ||
	{ cat "$OUT.err" >&2; bh_fail "an unchanged pass through Podman withdrew something (only web2 may be)"; }
for c in web1 lab1; do
	[ "$(grep -c "container $c: registering" "$OUT.err")" -eq 1 ] ||
		{ cat "$OUT.err" >&2; bh_fail "$c was registered again by an unchanged pass"; }
done
! grep -q ': error: ' "$OUT.err" || { cat "$OUT.err" >&2; bh_fail "errors during unchanged passes"; }
bh_daemon_stop || bh_fail "daemon exit status $?"
bh_check_valgrind
exit 0
