#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Errors that explain (issue 13, item 3): exec's one-line diagnoses of an OOM
# kill, a seccomp kill, a failed network tool with the network off (on a
# terminal only), a missing dynamic loader or #! interpreter (and lint saying the
# same), and a workspace the sandbox's uid cannot write (told before the run, and
# by explain). Run as root and rootless (run-root.sh, run-rootless.sh); prints
# TAP. Every run is bounded in time; nothing leaves the sandbox's own network.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip_all "python3 is needed (allocations, the terminal)"

# A terminal for exec: its stdin, stdout and stderr on a new pty, the output read
# back through the master. Prints what exec wrote, exits with its status.
on_pty() {
	timeout 60 python3 - "$AG3" "$@" <<'PY'
import os, pty, signal, sys
signal.alarm(50)  # bounded: the read below blocks until the terminal's last holder is gone
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
chunks = []
try:
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
except OSError:  # EIO: every slave end is closed
    pass
_, st = os.waitpid(pid, 0)
sys.stdout.write(b"".join(chunks).decode(errors="replace").replace("\r\n", "\n"))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}

# The memory limit is enforced by a cgroup here, or the test cannot see an OOM kill.
need_memory_cgroup() {
	sbx exec --profile p.yaml --result r.json -- true
	expect_rc 0
	if python3 -c 'import json,sys; r=json.load(open("r.json")); sys.exit(0 if [d for d in r["enforcement"]["degraded"] if d.startswith("memory:")] else 1)'; then
		skip_test "no cgroup memory controller for the sandbox here (the record's degraded lists memory: the RLIMIT_AS fallback makes no OOM kill)"
	fi
}

t_oom_kill_is_told() {
	write_profile oom '  limits:
    memory: 64M'
	need_memory_cgroup
	sbx exec --profile p.yaml --result r.json -- python3 -c 'b = bytearray(400 << 20); print(len(b))'
	expect_rc 137
	expect_err_has '^ag3ntum-sandbox: out of memory: the command was killed by the OOM killer at the sandbox.s memory limit \(64 MiB, limits.memory\)$'
	python3 -c 'import json; r=json.load(open("r.json")); assert r["status"] == "oom" and r["oom_kills"] >= 1, r'
	# a process of the tree, the command going on: its own status, the line all the same
	sbx exec --profile p.yaml -- sh -c 'python3 -c "b = bytearray(400 << 20)"; exit 3'
	expect_rc 3
	expect_err_has '^ag3ntum-sandbox: out of memory: 1 process in the sandbox was killed by the OOM killer'
	# and nothing of the kind without an OOM kill
	sbx exec --profile p.yaml -- sh -c 'kill -9 $$'
	expect_rc 137
	! printf '%s' "$ERR" | grep -q 'out of memory' || fail "an OOM line without an OOM kill: $ERR"
}

t_seccomp_kill_is_told() {
	write_profile sk '  seccomp:
    enabled: true
    rules:
      - {syscall: getpriority, action: kill}'
	sbx exec --profile p.yaml -- python3 -c 'import os; os.getpriority(os.PRIO_PROCESS, 0); print("ran")'
	expect_rc 159
	expect_out ''
	expect_err_has '^ag3ntum-sandbox: seccomp: the command was killed by SIGSYS: the profile.s seccomp rules kill a process that calls getpriority \(sandbox.seccomp.rules\)$'
	# the default policy fails calls with EPERM, it kills nothing: a SIGSYS there is
	# not seccomp's, and is not blamed on it
	write_profile plain ''
	sbx exec --profile p.yaml -- sh -c 'kill -SYS $$'
	expect_rc 159
	! printf '%s' "$ERR" | grep -q seccomp || fail "seccomp blamed without a kill rule: $ERR"
}

t_network_off_hint_on_a_terminal() {
	local tool
	tool=$(command -v curl || command -v wget) || skip_test "neither curl nor wget on this host"
	tool=${tool##*/}
	local args=(-sS --max-time 5 http://192.0.2.1/)
	[ "$tool" = wget ] && args=(-q -T 5 -t 1 http://192.0.2.1/)
	RC=0 ERR='(on the terminal: in stdout)'
	OUT=$(on_pty exec -- "$tool" "${args[@]}") || RC=$?
	[ "$RC" != 0 ] || fail "$tool succeeded with no network: $OUT"
	expect_out_has '^ag3ntum-sandbox: note: this sandbox has no network \(network mode none\): to reach hosts, list them in the profile.s sandbox.network.allowed_domains with enabled: true$'
	# the same failure off a terminal: no note
	sbx exec -- "$tool" "${args[@]}"
	[ "$RC" != 0 ] || fail "$tool succeeded with no network"
	! printf '%s' "$ERR" | grep -q 'no network' || fail "a note off the terminal: $ERR"
	# a command that is not a network tool, failing on a terminal: no note
	RC=0
	OUT=$(on_pty exec -- sh -c 'exit 4') || RC=$?
	expect_rc 4
	! printf '%s' "$OUT" | grep -q 'no network' || fail "a note for a command that needs no network: $OUT"
	# a network tool that succeeded: no note
	RC=0
	OUT=$(on_pty exec -- "$tool" --version) || RC=$?
	expect_rc 0
	! printf '%s' "$OUT" | grep -q 'no network' || fail "a note after a success: $OUT"
}

t_missing_loader_is_named() {
	# The sanitizer build's init binary is linked dynamically (README, "Layout
	# and development"): in a sandbox without /lib it cannot start itself, so
	# there the command's process is made without it (the same exec_command and
	# diagnosis in runtime/cinit.c). The plain build's init is static-pie.
	local init=${AG3NTUM_SANDBOX_INIT:-$(dirname "$AG3")/ag3ntum-init}
	if [ "$init" != none ] && [ -f "$init" ] &&
		readelf -l "$init" | grep -q 'Requesting program interpreter'; then
		# rootless, that path sets RLIMIT_AS in an instrumented process, which
		# AddressSanitizer's shadow memory cannot live with (exec-noinitbin-rootless
		# is left out of the sanitizer pass for the same reason)
		[ "$MODE" = root ] || skip_test "the sanitizer build's init binary is dynamic and its in-process init cannot run rootless under AddressSanitizer (RLIMIT_AS); the plain build runs this case"
		export AG3NTUM_SANDBOX_INIT=none
	fi
	{
		printf 'name: usronly\nsandbox:\n  enabled: true\n  static_mounts:\n'
		printf '    system_usr: {source: /usr, target: /usr, mode: ro}\n'
		printf '  session_mounts:\n'
		printf '    workspace: {source: "{workspace_dir}", target: /workspace, mode: rw}\n'
	} > p.yaml
	sbx exec --profile p.yaml --result r.json -- /usr/bin/sh -c 'echo ran'
	expect_rc 127
	expect_out ''
	expect_err_has '^ag3ntum-sandbox: exec: /usr/bin/sh: its dynamic loader /[^ ]+ is not in the sandbox \(.*/lib does not exist there\): add a mount with target /lib$'
	python3 -c 'import json; r=json.load(open("r.json")); assert r["setup_error"]["stage"] == "exec" and r["setup_error"]["errno_name"] == "ENOENT", r'
	# found through PATH too
	sbx exec --profile p.yaml -- true
	expect_rc 127
	expect_err_has '^ag3ntum-sandbox: exec: /usr/bin/true: its dynamic loader '
	# lint blames /lib, not /lib64
	sbx lint p.yaml
	expect_out_has 'AG3L052 lib-missing'
	! printf '%s' "$OUT" | grep -q AG3L034 || fail "lint still blames /lib64: $OUT"
	# a command that is really not there is still just that
	sbx exec --profile p.yaml -- /usr/bin/no-such-command
	expect_rc 127
	expect_err_has '^ag3ntum-sandbox: exec: /usr/bin/no-such-command: No such file or directory \(ENOENT\)$'
}

t_missing_shebang_interpreter_is_named() {
	mkdir ws
	printf '#!/nonexistent/python3 -u\nprint(1)\n' > ws/s.py
	chmod 755 ws/s.py
	chmod 777 ws
	sbx exec --workspace "$PWD/ws" -- ./s.py
	expect_rc 127
	expect_err_has '^ag3ntum-sandbox: exec: \./s\.py: its interpreter \(#! line\) /nonexistent/python3 is not in the sandbox \(/nonexistent does not exist there\): add a mount with target /nonexistent$'
}

t_unwritable_workspace_is_told_up_front() {
	mkdir ws
	chmod 555 ws
	sbx exec --workspace "$PWD/ws" -- sh -c 'echo ran; touch x'
	chmod 755 ws
	[ "$RC" != 0 ] || fail "the command wrote an unwritable workspace"
	expect_out ran
	# the warning is the first line, before the command's own
	printf '%s\n' "$ERR" | head -n 1 | grep -qE "^ag3ntum-sandbox: warning: the workspace $PWD/ws \(owner [0-9]+:[0-9]+, mode 0555\) is not writable by the sandbox's .*uid [0-9]+, gid [0-9]+: writing in /workspace will fail with Permission denied; " ||
		fail "no warning before the command's error: $ERR"
	chmod 555 ws
	sbx explain --workspace "$PWD/ws" /workspace
	expect_out_has '^/workspace: a bind of the host, mounted read-write, but the sandbox.s uid cannot write it$'
	expect_out_has '^  owner: +uid [0-9]+, gid [0-9]+, mode 0555: .* cannot write it'
	sbx explain --json --workspace "$PWD/ws" /workspace
	printf '%s' "$OUT" | python3 -c 'import json,sys; o=json.load(sys.stdin)["host_owner"]; assert o["writable"] is False and o["mode"] == 0o555, o'
	# writable: no warning, and explain says it can
	chmod 777 ws
	sbx exec --workspace "$PWD/ws" -- sh -c 'touch x && echo wrote'
	expect_rc 0
	expect_out wrote
	[ -z "$ERR" ] || fail "a warning for a writable workspace: $ERR"
	sbx explain --workspace "$PWD/ws" /workspace
	expect_out_has '^/workspace: a bind of the host, read-write$'
	expect_out_has '^  owner: +uid [0-9]+, gid [0-9]+, mode 0777: .* can write it$'
	rm -f ws/x
}

# A workspace path through a symlink is refused by the mount (ELOOP), and is not
# judged through the link first: the warning named the link target's owner and
# mode and told to `chown` the link, which chown follows to the target.
t_symlinked_workspace_is_not_judged_through_the_link() {
	mkdir target
	chmod 500 target
	ln -s target wslink
	sbx exec --workspace "$PWD/wslink" -- sh -c 'echo ran'
	chmod 755 target
	expect_rc 125
	[ -z "$OUT" ] || fail "the command ran: $OUT"
	expect_err_has 'symlink'
	printf '%s\n' "$ERR" | grep -q 'warning: the workspace' &&
		fail "the workspace was judged through the link: $ERR"
	printf '%s\n' "$ERR" | grep -q 'chown' && fail "told to chown a symlink: $ERR"
	return 0
}

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
