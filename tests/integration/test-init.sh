#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fresh mode's first process: created vfork-style and exec'd as the static init
# binary (ag3ntum-init) when it is there, forked from the caller when it is not
# (AG3NTUM_SANDBOX_INIT=none). Both give the command the same sandbox; the
# binary is found beside the CLI; a binary that is named but missing, or built
# for other fields, is a setup error, never a silent fallback. Run as root and
# rootless; prints TAP. Every wait is bounded; only processes started here are
# signalled, by pid.
source "$(dirname "$0")/lib.sh"
: "${AG3_INIT:?AG3_INIT must name the ag3ntum-init binary}"
command -v python3 >/dev/null || skip_all "python3 is needed"

# Starts `env ENV_ARGS... exec -- sleep 20` in the background and waits (bounded)
# for its command: sets CLI (exec's pid), INIT and CMD (host-side pids; empty if
# the command never started). The binary is exec'd before the command exists, so
# once CMD is there, INIT's executable and environment are what they will stay.
# The caller owns the sandbox's user namespace, or is root: it may read a
# non-dumpable init's /proc/PID/exe and environ. exec_stop ends it.
exec_sleeping() {
	local i
	INIT="" CMD=""
	env "$@" "$AG3" exec -- sleep 20 </dev/null >/dev/null 2>&1 &
	CLI=$!
	for ((i = 0; i < 100; i++)); do
		INIT=$(cat "/proc/$CLI/task/$CLI/children" 2>/dev/null | awk '{print $1}')
		CMD=$([ -n "$INIT" ] && pgrep -P "$INIT" | head -n 1 || true)
		[ -z "$CMD" ] || return 0
		sleep 0.1
	done
}

exec_stop() {
	kill -TERM "$CLI" 2>/dev/null || true
	wait "$CLI" 2>/dev/null || true
}

t_the_init_binary_beside_the_cli_is_used() {
	local exe
	exec_sleeping -u AG3NTUM_SANDBOX_INIT
	exe=$([ -n "$CMD" ] && readlink "/proc/$INIT/exe" 2>/dev/null || true)
	exec_stop
	[ "$exe" = "$(dirname "$AG3")/ag3ntum-init" ] || fail "init's executable: '$exe'"
}

# The init binary runs with an empty environment (the command's follows its argv,
# so nothing of it, GLIBC_TUNABLES say, reaches the binary's libc start-up); the
# command still gets its whole environment.
t_the_init_binary_has_no_environment() {
	local env_init="" env_cmd=""
	exec_sleeping -u AG3NTUM_SANDBOX_INIT
	if [ -n "$CMD" ]; then
		env_init=$(tr '\0' '\n' <"/proc/$INIT/environ" 2>&1 | wc -c)
		env_cmd=$(tr '\0' '\n' <"/proc/$CMD/environ" 2>/dev/null | grep -c '^PATH=' || true)
	fi
	exec_stop
	[ -n "$CMD" ] || fail "the command never started"
	[ "$env_init" = 0 ] || fail "init's environment is not empty ($env_init bytes)"
	[ "$env_cmd" = 1 ] || fail "the command's environment has no PATH"
}

# A forked init's memory belongs to the host's user namespace: rootless, its
# /proc/PID/exe is unreadable to the caller (non-dumpable), so there the check is
# only that it is not the binary.
t_without_the_binary_init_is_forked_from_the_caller() {
	local exe
	exec_sleeping AG3NTUM_SANDBOX_INIT=none
	exe=$([ -n "$CMD" ] && readlink "/proc/$INIT/exe" 2>/dev/null || true)
	exec_stop
	if [ "$MODE" = rootless ] && [ -z "$exe" ]; then
		return 0
	fi
	[ "$exe" = "$AG3" ] || fail "init's executable: '$exe'"
}

# What the command sees and holds is the same either way.
t_both_inits_give_the_same_sandbox() {
	local probe='id -u; id -g; id -G; umask; pwd; ulimit -n; grep -E "^(Cap|NoNewPrivs|Seccomp)" /proc/self/status; cat /proc/1/cmdline | tr "\0" "@" | sed "s/@*$//"; echo; env | sort; ls /proc/self/fd; hostname; tail -n +3 /proc/net/dev | cut -d: -f1'
	local a b
	a=$(env -u AG3NTUM_SANDBOX_INIT "$AG3" exec -- sh -c "$probe" 2>&1 </dev/null)
	b=$(AG3NTUM_SANDBOX_INIT=none "$AG3" exec -- sh -c "$probe" 2>&1 </dev/null)
	[ -n "$a" ] || fail "no output"
	[ "$a" = "$b" ] || fail "$(diff <(echo "$a") <(echo "$b"))"
	printf '%s\n' "$a" | grep -qx 'CapEff:	0000000000000000' || fail "capabilities: $a"
	printf '%s\n' "$a" | grep -qx 'NoNewPrivs:	1' || fail "no_new_privs: $a"
	printf '%s\n' "$a" | grep -qx 'Seccomp:	2' || fail "seccomp: $a"
	printf '%s\n' "$a" | grep -qx 'ag3ntum-init' || fail "init's command line is not scrubbed: $a"
}

# exit codes, signals, stdin, exec failures and a pty, through the binary.
t_results_through_the_init_binary() {
	sbx exec -- sh -c 'exit 7'
	expect_rc 7
	sbx exec -- sh -c 'kill -TERM $$'
	expect_rc 143
	sbx exec -- /nonexistent/cmd
	expect_rc 127
	expect_err_has "exec: /nonexistent/cmd: No such file"
	local out
	out=$(printf 'from stdin\n' | "$AG3" exec -- cat)
	[ "$out" = "from stdin" ] || fail "stdin: '$out'"
	sbx exec --json -- sh -c 'echo out; echo err >&2; exit 3'
	expect_rc 3
	printf '%s\n' "$ERR" | tail -n 1 | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); assert r["exit_code"] == 3 and r["status"] == "exited", r'
	out=$(python3 - "$AG3" <<'PY'
import os, pty, sys, select, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "exec", "--", "sh", "-c", "tty; test -t 0 && echo isatty"])
buf = b""
end = time.time() + 30
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 1)
    if r:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        if not d:
            break
        buf += d
os.waitpid(pid, 0)
print(buf.decode(errors="replace"))
PY
)
	printf '%s' "$out" | grep -q '^/dev/pts/0' || fail "the command's pty: $out"
	printf '%s' "$out" | grep -q 'isatty' || fail "stdin is not a tty: $out"
}

# A caller that ignores SIGCHLD (a Python server's signal(SIGCHLD, SIG_IGN), kept
# across its exec of the CLI) passes that on to init (exec keeps an ignored
# signal ignored; a forked init copies it): its command would be reaped by the
# kernel unseen and init would wait for it forever. init takes SIGCHLD back to
# the default before starting the command, through the binary and forked alike.
t_a_caller_ignoring_sigchld_still_gets_the_result() {
	local init out rc
	for init in "" none; do
		rc=0
		out=$(AG3NTUM_SANDBOX_INIT=$init timeout -k 5 30 python3 -c '
import os, signal, sys
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$AG3" exec --timeout 10 -- sh -c 'echo ran; exit 5' 2>&1 </dev/null) || rc=$?
		[ $rc = 5 ] && [ "$out" = ran ] ||
			fail "init '${init:-binary}', SIGCHLD ignored by the caller: status $rc (124: init never saw the command end): $out"
	done
}

t_a_named_binary_that_is_missing_is_an_error() {
	local rc=0 err
	err=$(AG3NTUM_SANDBOX_INIT=/nonexistent/ag3ntum-init "$AG3" exec -- true 2>&1 </dev/null) || rc=$?
	[ $rc = 125 ] || fail "status $rc: $err"
	printf '%s' "$err" | grep -q 'AG3NTUM_SANDBOX_INIT names: /nonexistent/ag3ntum-init: No such file' || fail "$err"
}

t_a_binary_that_is_not_an_init_is_an_error() {
	local rc=0 err
	err=$(AG3NTUM_SANDBOX_INIT=/bin/true "$AG3" exec -- echo ran 2>&1 </dev/null) || rc=$?
	[ $rc = 125 ] || fail "status $rc: $err"
	printf '%s' "$err" | grep -q 'init ended before the command started' || fail "$err"
	! printf '%s' "$err" | grep -q '^ran' || fail "the command ran: $err"
}

# By hand, or built for other fields: it does nothing but say so.
t_the_binary_refuses_what_it_was_not_made_for() {
	local rc=0 out
	out=$("$AG3_INIT" 2>&1) || rc=$?
	[ $rc = 125 ] && [ -z "$out" ] || fail "without fields: status $rc, '$out'"
	rc=0
	out=$("$AG3_INIT" "1 0 -1 -1" -- true 2>&1) || rc=$?
	[ $rc = 125 ] && [ -z "$out" ] || fail "short fields: status $rc, '$out'"
	python3 - "$AG3_INIT" <<'PY' || fail "version check"
import socket, struct, subprocess, sys
a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
fd = b.fileno()
# Then a root command's capabilities (-1..1) and the ones it keeps (below 1 << 41),
# whether a program to run comes before argv (0, 1: then argc counts the words
# after it), --as-pid-1 (0, 1) and --assert-userns-disabled's filter count (-1..2):
# anything else is refused before the command exists.
for fields in (f"999 1 {fd} -1 -1 -1 0 -1 0 0 -1 -1 0 0 -1 0 0 0 -1",
               f"4 1 {fd} -1 -1 -1 0 -1 0 0 -1 -1 0 0 -1 0 0 0 -1",
               f"5 1 {fd} -1 -1 -1 9 -1 0 0 -1 -1 0 0 -1 0 0 0 -1",
               f"5 1 {fd} -1 -1 -1 0 -1 0 0 -1 12345 0 0 -1 0 0 0 -1",
               f"5 5 {fd} -1 -1 -1 0 -1 0 0 -1 -1 0 0 -1 0 0 0 -1",
               f"5 1 {fd} -1 -1 -1 0 -1 0 0 -1 -1 0 0 4 0 0 0 -1",
               f"5 1 {fd} -1 -1 -1 0 -1 0 0 -1 -1 0 0 1 {1 << 41} 0 0 -1",
               f"5 1 {fd} -1 -1 -1 0 -1 0 0 -1 -1 0 0 -1 0 2 0 -1",
               f"5 2 {fd} -1 -1 -1 0 -1 0 0 -1 -1 0 0 -1 0 1 0 -1",
               f"5 1 {fd} -1 -1 -1 0 -1 0 0 -1 -1 0 0 -1 0 0 2 -1",
               f"5 1 {fd} -1 -1 -1 0 -1 0 0 -1 -1 0 0 -1 0 0 0 3"):
    p = subprocess.run([sys.argv[1], fields, "--", "/bin/echo", "ran"], pass_fds=[fd],
                       capture_output=True, timeout=30)
    assert p.returncode == 125, (fields, p)
    assert b"ran" not in p.stdout, (fields, p.stdout)
    a.settimeout(5)
    msg = a.recv(8192)
    t, err = struct.unpack_from("Ii", msg)
    assert t == 1, (fields, t)  # MSG_SETUP_ERROR
    text = msg.decode(errors="replace")
    if fields.startswith("999") or fields.startswith("4 "):
        assert "another version" in text, text
print("ok")
PY
}

# doctor says which init fresh sandboxes get, and an unusable named one fails it.
t_doctor_names_the_init_binary() {
	local out rc=0
	out=$(env -u AG3NTUM_SANDBOX_INIT "$AG3" doctor --json </dev/null)
	printf '%s' "$out" | python3 -c 'import json,sys,os; b=json.load(sys.stdin)["init_binary"]; assert b["used"] and b["path"] == os.path.join(os.path.dirname(sys.argv[1]), "ag3ntum-init"), b' "$AG3" || fail "doctor --json: $out"
	out=$(AG3NTUM_SANDBOX_INIT=none "$AG3" doctor </dev/null)
	printf '%s' "$out" | grep -q '^init binary  *none (\$AG3NTUM_SANDBOX_INIT is none)' || fail "none: $out"
	out=$(AG3NTUM_SANDBOX_INIT=/nonexistent/init "$AG3" doctor </dev/null) || rc=$?
	[ $rc = 1 ] || fail "doctor with a missing named init: status $rc"
	printf '%s' "$out" | grep -q '^init binary  */nonexistent/init: No such file.*fail to start' || fail "missing: $out"
	printf '%s' "$out" | grep -q '^sandbox  *CANNOT be entered' || fail "missing: $out"
}

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
