#!/bin/sh
# A running daemon that its own machine cannot knock over: a SIGHUP into a
# file that @includes a directory (libconfig 1.5 would call exit()), a FIFO
# (libconfig would block the loop until a writer comes) or a huge file is
# refused with a clear message while the daemon keeps running and keeps
# serving; SIGUSR1 logs a status summary, SIGUSR2 and SIGALRM are ignored;
# a reload with no file descriptor left says so and keeps the running
# configuration.  Each case is checked with a SIGTERM drain at the end.
. "$top_srcdir/tests/lib/common.sh"
bh_setup_tmp

printf 'up web1 10.0.0.1 one.example\n' >"$BH_TMP/script"
write_config() { # write_config [EXTRA LINE]
	cat >"$BH_TMP/c.conf" <<CONF
inspector = { plugin = "inspector-scripted"; script = "$BH_TMP/script"; };
publishers = ( { plugin = "publisher-stdout"; } );
enumerate = true;
${1:-}
CONF
}
# alive WHAT: the daemon still runs and still answers a signal through its loop.
alive() {
	kill -0 $pid 2>/dev/null || { cat "$BH_TMP/err" >&2; bh_fail "the daemon died: $1"; }
	n=$(grep -c 'status (SIGUSR1)' "$BH_TMP/err")
	kill -USR1 $pid
	bh_wait_for 5 "[ \$(grep -c 'status (SIGUSR1)' '$BH_TMP/err') -gt $n ]" \
		"a SIGUSR1 status line after: $1" || { cat "$BH_TMP/err" >&2; bh_fail "the loop is stuck: $1"; }
}
# refused_reload 'message': a SIGHUP is refused with message, the daemon lives.
refused_reload() {
	n=$(grep -c 'keeping the running configuration' "$BH_TMP/err")
	kill -HUP $pid
	bh_wait_for 10 "[ \$(grep -c 'keeping the running configuration' '$BH_TMP/err') -gt $n ]" \
		"the refusal: $1" || { cat "$BH_TMP/err" >&2; bh_fail "no refusal: $1"; }
	grep -q -- "$1" "$BH_TMP/err" || { cat "$BH_TMP/err" >&2; bh_fail "no message '$1'"; }
	alive "$1"
}

write_config
$(bh_daemon_cmd) -c "$BH_TMP/c.conf" --no-timestamp >"$BH_TMP/out" 2>"$BH_TMP/err" &
pid=$!
bh_on_exit "kill -9 $pid 2>/dev/null"
bh_wait_for 10 "grep -q '/beachhead/web1' '$BH_TMP/out'" "the first registration" || exit 1

# SIGUSR1: a status summary; SIGUSR2 and SIGALRM: logged, ignored.
alive "SIGUSR1"
grep -q 'status (SIGUSR1): 1 registered, 0 errors' "$BH_TMP/err" ||
	{ cat "$BH_TMP/err" >&2; bh_fail "SIGUSR1: no status summary"; }
for sig in USR2 ALRM; do
	kill -$sig $pid
	alive "SIG$sig"
done
grep -q 'User defined signal 2 ignored' "$BH_TMP/err" || bh_fail "SIGUSR2 not logged"
grep -q 'Alarm clock ignored' "$BH_TMP/err" || bh_fail "SIGALRM not logged"

# No file descriptor left when the reload opens the file: the reload is
# refused with the reason, and the running configuration keeps serving.
if command -v prlimit >/dev/null 2>&1; then
	prlimit --pid $pid --nofile=3: || bh_fail "prlimit"
	n=$(grep -c 'keeping the running configuration' "$BH_TMP/err")
	kill -HUP $pid
	bh_wait_for 10 "[ \$(grep -c 'keeping the running configuration' '$BH_TMP/err') -gt $n ]" \
		"the refused reload" || { cat "$BH_TMP/err" >&2; bh_fail "no refused-reload line"; }
	grep -q 'reload: .*Too many open files; keeping the running configuration' "$BH_TMP/err" ||
		{ cat "$BH_TMP/err" >&2; bh_fail "the refused reload does not say EMFILE"; }
	prlimit --pid $pid --nofile=1024: || bh_fail "prlimit"
	alive "the refused reload"
else
	bh_skip "prlimit (util-linux) is needed"
fi

# @include of a directory.
mkdir "$BH_TMP/conf.d"
write_config "@include \"$BH_TMP/conf.d\""
refused_reload "$BH_TMP/c.conf:4: $BH_TMP/conf.d is a directory, not a regular file"

# @include of a FIFO nobody writes to, nested in a regular include.
mkfifo "$BH_TMP/fifo"
printf '# nested\n@include "%s/fifo"\n' "$BH_TMP" >"$BH_TMP/inner.conf"
write_config "@include \"$BH_TMP/inner.conf\""
refused_reload "$BH_TMP/inner.conf:2: $BH_TMP/fifo is a FIFO, not a regular file"

# A huge file (one 8 MB token: libconfig needs tens of seconds for it).
write_config
head -c 8000000 /dev/zero | tr '\0' a | sed 's/^/key_prefix = "/; s/$/";/' >>"$BH_TMP/c.conf"
refused_reload "makes the configuration larger than"

# A block comment is text: an @include inside it is not checked.
write_config "/*
@include \"$BH_TMP/conf.d\"
*/"
n=$(grep -c 'reloaded ' "$BH_TMP/err")
kill -HUP $pid
bh_wait_for 10 "[ \$(grep -c 'reloaded ' '$BH_TMP/err') -gt $n ]" "a reload with a commented @include" ||
	{ cat "$BH_TMP/err" >&2; exit 1; }

# The daemon still drains and exits normally.
kill -TERM $pid
wait $pid
status=$?
[ "$status" -eq 0 ] || { cat "$BH_TMP/err" >&2; bh_fail "exit status $status after SIGTERM"; }
grep -q 'stopping: Terminated' "$BH_TMP/err" || bh_fail "no drain on SIGTERM"
bh_check_valgrind
exit 0
