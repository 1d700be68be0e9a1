#!/bin/sh
# One-pass mode (--refresh 0): publish once, exit; the exit status says
# whether any error was reported, with the original's missing-variable and
# missing-container rules.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

run() { # run NAME SCRIPT-LINES [daemon args...] -> sets status, out, err
	name=$1
	printf '%s\n' "$2" >"$BH_TMP/$name.script"
	shift 2
	cat >"$BH_TMP/$name.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/$name.script"; };
publishers = ( { plugin = "publisher-stdout"; } );
CONF
	$(bh_daemon_cmd) -c "$BH_TMP/$name.conf" --no-timestamp --refresh 0 "$@" \
		>"$BH_TMP/$name.out" 2>"$BH_TMP/$name.err"
	status=$?
}

expect() { # expect NAME STATUS
	if [ "$status" -ne "$2" ]; then
		cat "$BH_TMP/$1.err" >&2
		bh_fail "$1: exit status $status, expected $2"
	fi
}

run ok 'up web 10.0.0.1 example.org' --enumerate
expect ok 0
grep -q '"key":"/beachhead/web"' "$BH_TMP/ok.out" || bh_fail "ok: nothing published"
grep -q 'stopping: one pass done' "$BH_TMP/ok.err" || bh_fail "ok: no one-pass stop"

# Explicitly named without the variable: an error unless --ignore-missing-envvar.
run named_novar 'novar-named web 10.0.0.1' web
expect named_novar 1
grep -q 'container web: no env BEACHHEAD_DOMAINS on this container' "$BH_TMP/named_novar.err" ||
	bh_fail "named_novar: no message naming the container"
run named_novar_ignored 'novar-named web 10.0.0.1' --ignore-missing-envvar web
expect named_novar_ignored 0

# Enumerated without the variable: ignored unless --error-missing-envvar.
run enum_novar 'novar other 10.0.0.2' --enumerate
expect enum_novar 0
run enum_novar_error 'novar other 10.0.0.2' --enumerate --error-missing-envvar
expect enum_novar_error 1

# A missing named container is an error only with --error-missing-container.
run missing 'missing ghost' ghost
expect missing 0
run missing_error 'missing ghost' --error-missing-container ghost
expect missing_error 1
grep -q 'container ghost: container missing' "$BH_TMP/missing_error.err" || bh_fail "missing_error: message"

# An invalid spec is an error; the valid container next to it is published.
run invalid 'up good 10.0.0.1 good.org
up bad 10.0.0.2 bad..org' --enumerate
expect invalid 1
grep -q '/beachhead/good' "$BH_TMP/invalid.out" || bh_fail "invalid: the valid container was harmed"
! grep -q '/beachhead/bad' "$BH_TMP/invalid.out" || bh_fail "invalid: the bad container was published"

# --expire 0 without --refresh: refresh is 45% of 0 = one pass, plain SET.
printf 'up web 10.0.0.1 example.org\n' >"$BH_TMP/noexp.script"
cat >"$BH_TMP/noexp.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/noexp.script"; };
publishers = ( { plugin = "publisher-stdout"; } );
CONF
$(bh_daemon_cmd) -c "$BH_TMP/noexp.conf" --expire 0 --enumerate >"$BH_TMP/noexp.out" 2>"$BH_TMP/noexp.err"
status=$?
expect noexp 0
grep -q '"ttl":0' "$BH_TMP/noexp.out" || bh_fail "noexp: ttl is not 0"
bh_check_valgrind
