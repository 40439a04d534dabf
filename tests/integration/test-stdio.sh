#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the command can do to the caller's stdio, and what exec writes after it:
# a pty of the sandbox's own stands in for the caller's terminal (the attacks on
# the operator's terminal stay inside), the result record cannot be forged or
# cut off, exec's last writes are bounded in time, and the sandbox ends with the
# process that started exec. Run as root and rootless (run-root.sh,
# run-rootless.sh); prints TAP. Host-side terminals and sockets are made by
# stdio-harness.py. Every wait is bounded; only processes started here are
# signalled, by pid.
source "$(dirname "$0")/lib.sh"
HARNESS=$(dirname "$(readlink -f "$0")")/stdio-harness.py
command -v python3 >/dev/null || skip_all "python3 is needed for the terminal harness"

t_terminal_attacks_stay_in_the_sandbox() {
	AG3="$AG3" timeout 120 python3 "$HARNESS" attacks
}

t_terminal_input_and_job_control() {
	AG3="$AG3" timeout 120 python3 "$HARNESS" input
}

t_json_record_survives_socket_shutdown() {
	AG3="$AG3" timeout 60 python3 "$HARNESS" socket-shutdown
}

# A forged record without its newline, then exit 42: the last line of stderr is
# still exec's own record, whether stdout is that same stream or not.
t_json_record_is_the_last_line() {
	local code='printf "{\"status\": \"exited\", \"exit_code\": 0}" >&2; printf "{\"exit_code\": 0"; exit 42'
	local rc=0
	timeout 30 "$AG3" exec --json -- sh -c "$code" >o 2>e </dev/null || rc=$?
	[ $rc = 42 ] || fail "status $rc"
	tail -n 1 e | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); assert r["exit_code"] == 42, r'
	rc=0
	timeout 30 "$AG3" exec --json -- sh -c "$code" >both 2>&1 </dev/null || rc=$?
	[ $rc = 42 ] || fail "status $rc (2>&1)"
	tail -n 1 both | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); assert r["exit_code"] == 42, r'
}

# --json-fd: the record goes where the command cannot write; 0-2 and closed fds
# are refused.
t_json_fd() {
	local rc=0
	timeout 30 "$AG3" exec --json-fd 7 -- sh -c 'echo x >&2; ls /proc/self/fd; exit 3' \
		7>rec >o 2>e </dev/null || rc=$?
	[ $rc = 3 ] || fail "status $rc: $(cat e)"
	python3 -c 'import json,sys; r=json.load(open("rec")); assert r["exit_code"] == 3, r'
	[ "$(wc -l <rec)" = 1 ] || fail "the record is one line: $(cat rec)"
	! grep -qx 7 o || fail "the command holds fd 7: $(cat o)"
	sbx exec --json-fd 2 -- true
	expect_rc 2
	expect_err_has "3 or more"
	sbx exec --json-fd 9 -- true
	expect_rc 2
	expect_err_has "not an open file descriptor"
	# the record's fd on the command's own stderr: refused, the command could write there
	local rc2=0
	"$AG3" exec --json-fd 3 -- true 2>e 3>&2 </dev/null || rc2=$?
	[ $rc2 = 2 ] || fail "--json-fd on stderr's file: status $rc2"
	grep -q "the same file as fd 2" e || fail "$(cat e)"
}

# stdout is a FIFO whose reader never reads: exec's last writes (the captured
# output) give up after the flush bound instead of blocking exec forever.
t_last_writes_are_bounded() {
	mkfifo f
	sleep 60 <f &
	local holder=$! rc=0 t0 t1
	t0=$(date +%s)
	timeout 40 "$AG3" exec --capture -- head -c 300000 /dev/zero >f 2>e </dev/null || rc=$?
	t1=$(date +%s)
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	[ $rc = 0 ] || fail "status $rc (124 from timeout(1) means exec blocked): $(cat e)"
	[ $((t1 - t0)) -lt 20 ] || fail "exec took $((t1 - t0)) s"
}

# With --json, stdout and stderr on one pipe are relayed; the command ends while
# the reader sleeps (2 s, under the 5 s idle bound) and then reads slowly (4 s
# more: past 5 s in all, so an absolute bound would cut it): every
# byte arrives, and the record after them.
t_drain_waits_for_a_slow_reader() {
	timeout 60 "$AG3" exec --json -- head -c 150000 /dev/zero 2>&1 </dev/null | timeout 60 python3 -c '
import json, sys, time
time.sleep(2)
data = b""
while True:
    d = sys.stdin.buffer.read1(4096)
    if not d:
        break
    data += d
    time.sleep(0.1)
zeros = data.count(0)
rec = json.loads(data.rstrip(b"\n").rsplit(b"\n", 1)[-1])
assert zeros == 150000 and rec["exit_code"] == 0, (zeros, rec)'
}

# Waits (bounded) until pid $1 is gone.
wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		[ -d "/proc/$1" ] || return 0
		sleep 0.1
	done
	return 1
}

t_json_record_with_a_stdout_first_reader() {
	AG3="$AG3" timeout 90 python3 "$HARNESS" stdout-first-reader
}

t_parent_gone_before_exec_starts() {
	AG3="$AG3" timeout 60 python3 "$HARNESS" parent-gone-before-start
}

# Starts `exec [OPTS] -- sleep $1` from a bash that is then SIGKILLed; leaves
# exec's pid in $EX.
start_then_kill_parent() {
	local tag=$1 i parent
	shift
	bash -c '"$1" exec "${@:3}" --timeout 60 -- sleep "$2" >/dev/null 2>&1 </dev/null & echo $! >pid; wait' \
		_ "$AG3" "$tag" "$@" &
	parent=$!
	for ((i = 0; i < 100; i++)); do [ -s pid ] && break; sleep 0.1; done
	EX=$(cat pid)
	wait_proc "^sleep $tag\$" 100 up || fail "the sandbox did not start"
	kill -9 "$parent"
	wait "$parent" 2>/dev/null || true
}

# The process that started exec is SIGKILLed: exec stops the sandbox (default),
# or keeps it with --no-die-with-parent.
t_dies_with_parent() {
	start_then_kill_parent 50
	wait_gone "$EX" 100 || { kill "$EX"; fail "exec outlived its parent"; }
	# anchored at both ends: another "sleep 500" on the host is not the command
	wait_proc "^sleep 50\$" 50 gone || fail "the sandboxed command outlived exec's parent"
}

t_no_die_with_parent() {
	start_then_kill_parent 51 --no-die-with-parent
	sleep 1
	local alive=0
	[ -d "/proc/$EX" ] && alive=1
	kill "$EX" 2>/dev/null || true
	wait_gone "$EX" 100 || true
	[ $alive = 1 ] || fail "exec ended with its parent despite --no-die-with-parent"
	wait_proc "^sleep 51\$" 50 gone || fail "the command outlived exec's SIGTERM"
}

# The command reads part of a relayed stdin and stops: the supervisor waits
# without spinning (measured: its CPU time).
t_relay_does_not_spin() {
	AG3="$AG3" timeout 90 python3 "$HARNESS" relay-no-spin
}

# On a terminal, a command that detaches its stdio is not hung up.
t_terminal_stdio_detach() {
	AG3="$AG3" timeout 60 python3 "$HARNESS" stdio-detach
}

# exec (as another user) on a terminal it cannot reopen: input is relayed and
# exec's writes stay bounded. Defined in the root run only, and not a skip: it is
# exec run by the test user (rootless) on a terminal root owns, a set-up only
# root can make, so the rootless run has nothing to add.
if [ "$MODE" = root ]; then
	t_foreign_terminal() {
		AG3="$AG3" timeout 120 python3 "$HARNESS" foreign-terminal
	}
fi

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
