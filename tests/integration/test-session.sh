#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Warm sessions: `session open`, `exec --session`, `session close`. A command of
# a session gets fresh exec's isolation plus a pid namespace, /proc and
# /dev/pts of its own: it cannot see or outlive another command, what it leaves
# running ends with it, its caller's death cancels it; files persist; a holder
# that dies is reported, never bypassed; closing leaves nothing behind, even
# after thousands of commands. Every session is owned by the test's shell
# (--owner-pid), so a failing test cannot leave one running.
source "$(dirname "$0")/lib.sh"

# Opens a session on $SCRATCH/s.sock with a workspace; sets S, SERVER (its pid).
open_session() {
	mkdir -p ws && chmod 777 ws
	S=$SCRATCH/s.sock
	sbx session open --owner-pid $BASHPID --workspace "$PWD/ws" --socket "$S" "$@"
	expect_rc 0
	expect_out "$S"
	SERVER=$(pgrep -f -- "session open .*--socket $S\$" | head -n 1)
	[ -n "$SERVER" ] || fail "no server process for $S"
}

close_session() {
	sbx session close "$S"
	expect_rc 0
	[ ! -e "$S" ] || fail "the socket is still there after close"
	wait_gone_pid "$SERVER" || fail "the server (pid $SERVER) outlived close"
}

wait_gone_pid() {
	local i
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# A number of seconds no other process sleeps: `sleep N` is then findable by pgrep.
uniq_secs() {
	echo $((7000000 + ($$ % 1000) * 1000 + RANDOM % 1000))
}

# The holder: the server's child (its command line is scrubbed to ag3ntum-init).
holder_pid() {
	pgrep -P "$SERVER" | head -n 1
}

t_basics() {
	open_session
	[ "$(stat -c %a "$S")" = 600 ] || fail "socket mode $(stat -c %a "$S"), want 600"
	sbx exec --session "$S" -- sh -c 'echo hi > /tmp/f; echo ws > /workspace/w; id -u; pwd'
	expect_rc 0
	[ "$MODE" = root ] && want_uid=65534 || want_uid=$(id -u)
	expect_out "$want_uid"$'\n'/workspace
	# files written by one command are there for the next
	sbx exec --session "$S" -- cat /tmp/f /workspace/w
	expect_out $'hi\nws'
	sbx exec --session "$S" -- sh -c 'exit 7'
	expect_rc 7
	sbx exec --session "$S" -- /no/such/command
	expect_rc 127
	sbx exec --session "$S" -- sh -c 'kill -TERM $$'
	expect_rc 143
	sbx exec --session "$S" --timeout 1 -- sleep 30
	expect_rc 124
	expect_err_has 'timeout'
	sbx exec --session "$S" --json-fd 3 -- true 3>rec.json
	expect_rc 0
	python3 - rec.json "$MODE" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "exited" and r["exit_code"] == 0, r
e = r["enforcement"]
assert e["capabilities_dropped"] and e["no_new_privs"] and e["seccomp"], e
assert e["landlock_abi"] > 0 and "pid" in e["namespaces"] and "net" in e["namespaces"], e
assert e["mode"] == sys.argv[2], e
PY
	# the profile's options belong to session open
	sbx exec --session "$S" --workspace /tmp -- true
	expect_rc 2
	expect_err_has 'session open'
	close_session
}

# A command sees only its own processes and ptys, not a concurrent command's.
t_commands_cannot_see_each_other() {
	open_session
	local tag
	tag=$(uniq_secs)
	"$AG3" exec --session "$S" -- sh -c "echo x > /dev/shm/shm-$tag; exec sleep $tag" </dev/null >/dev/null 2>&1 &
	local bg=$!
	wait_proc "^sleep $tag" 50 up || fail "the first command did not start"
	sbx exec --session "$S" -- sh -c 'cat /proc/[0-9]*/cmdline | tr "\0" " "; echo; ls /proc | grep -c "^[0-9]"; ls /dev/pts; ls /dev/shm'
	kill "$bg" 2>/dev/null
	wait "$bg" 2>/dev/null || true
	expect_rc 0
	case $(printf '%s\n' "$OUT" | sed -n 1p) in *"$tag"*) fail "a command saw another's process: $OUT" ;; esac
	local n
	n=$(printf '%s\n' "$OUT" | sed -n 2p)
	[ "$n" -le 4 ] || fail "a command's /proc lists $n processes: $OUT"
	[ "$(printf '%s\n' "$OUT" | sed -n 3p)" = ptmx ] || fail "/dev/pts is not the command's own: $OUT"
	case $OUT in *"shm-$tag"*) fail "a command saw another's /dev/shm: $OUT" ;; esac
	wait_proc "^sleep $tag" 50 gone || fail "the first command outlived its killed client"
	close_session
}

# What a command leaves running ends when it ends; the next command does not see it.
t_leftovers_end_with_their_command() {
	open_session
	local tag
	tag=$(uniq_secs)
	sbx exec --session "$S" -- sh -c "(setsid sleep $tag &) ; nohup sleep $tag >/dev/null 2>&1 & echo started"
	expect_rc 0
	wait_proc "^sleep $tag" 50 gone || fail "a command's background processes outlived it"
	sbx exec --session "$S" -- sh -c "cat /proc/[0-9]*/cmdline | tr '\0' ' '"
	case $OUT in *"$tag"*) fail "the next command saw a leftover: $OUT" ;; esac
	close_session
}

# The caller of exec --session dies: its command's whole tree is cancelled.
t_caller_death_cancels() {
	open_session
	local tag
	tag=$(uniq_secs)
	"$AG3" exec --session "$S" -- sh -c "sleep ${tag}1 & exec sleep ${tag}2" </dev/null >/dev/null 2>&1 &
	local client=$!
	wait_proc "^sleep ${tag}2" 50 up || fail "the command did not start"
	kill -9 "$client"
	wait "$client" 2>/dev/null || true
	wait_proc "^sleep ${tag}[12]" 50 gone || fail "the command outlived its caller"
	close_session
}

# A holder that dies is reported: nothing runs unsandboxed; close still works.
# A caller that ignores SIGCHLD (kept across its exec of the CLI) passes that on
# to the holder and each command's init: the command would be reaped by the
# kernel unseen and its init would wait for it until the timeout.
t_a_caller_ignoring_sigchld_still_gets_the_result() {
	printf '#!/bin/sh\nexec python3 -c %s "%s" "$@"\n' \
		"'import os, signal, sys; signal.signal(signal.SIGCHLD, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])'" \
		"$AG3" >ign-chld
	chmod 755 ign-chld
	AG3=$PWD/ign-chld open_session
	AG3=$PWD/ign-chld sbx exec --session "$S" --timeout 10 -- sh -c 'echo ran; exit 5'
	expect_rc 5
	expect_out ran
	close_session
}

t_holder_death_is_reported() {
	open_session
	local h
	h=$(holder_pid)
	[ -n "$h" ] || fail "no holder process"
	[ "$(tr -d '\0' </proc/"$h"/cmdline)" = ag3ntum-init ] || fail "holder cmdline: $(tr -d '\0' </proc/"$h"/cmdline)"
	kill -9 "$h"
	sleep 0.2
	sbx exec --session "$S" -- sh -c 'echo RAN'
	expect_rc 125
	case $OUT in *RAN*) fail "a command ran without its holder" ;; esac
	expect_err_has 'holder'
	close_session
}

# The owner's death closes the session.
t_owner_death_closes() {
	mkdir -p ws && chmod 777 ws
	S=$SCRATCH/s.sock
	sleep 300 &
	local owner=$!
	sbx session open --owner-pid "$owner" --workspace "$PWD/ws" --socket "$S"
	expect_rc 0
	SERVER=$(pgrep -f -- "session open .*--socket $S\$" | head -n 1)
	kill "$owner"
	wait "$owner" 2>/dev/null || true
	wait_gone_pid "$SERVER" || fail "the session outlived its owner"
	[ ! -e "$S" ] || fail "the socket outlived the session"
}

t_open_errors() {
	mkdir -p ws
	touch taken
	sbx session open --workspace "$PWD/ws" --socket "$PWD/taken"
	expect_rc 125
	expect_err_has 'taken'
	sbx session open --workspace "$PWD/ws"
	expect_rc 2
	expect_err_has -- '--socket'
	sbx session open --owner-pid 999999999 --workspace "$PWD/ws" --socket "$PWD/s.sock"
	expect_rc 125
	# a sandbox that cannot be built: the reason, and nothing left behind
	sbx session open --workspace "$PWD/no-such-dir" --socket "$PWD/s.sock"
	expect_rc 125
	expect_err_has 'no-such-dir'
	[ ! -e "$PWD/s.sock" ] || fail "a failed open left its socket"
	sbx exec --session "$PWD/none.sock" -- true
	expect_rc 125
	expect_err_has 'is the session open'
	if [ "$MODE" = root ] && id nobody >/dev/null 2>&1; then
		open_session
		chmod 755 "$SCRATCH"
		local o
		o=$(runuser -u nobody -- "$AG3" exec --session "$S" -- true 2>&1) && fail "another uid used the session: $o"
		close_session
	fi
}

# Counts what a session holds: the server's fds, the holder's fds and mounts,
# the processes under the server, the sandbox's cgroups.
census() {
	local h
	h=$(holder_pid)
	echo "server-fds=$(ls /proc/"$SERVER"/fd | wc -l)"
	echo "holder-fds=$(ls /proc/"$h"/fd 2>/dev/null | wc -l)"
	echo "holder-mounts=$(wc -l </proc/"$h"/mountinfo)"
	echo "processes=$(pgrep -P "$h" | wc -l) $(pgrep -P "$SERVER" | wc -l)"
	echo "cgroups=$(find /sys/fs/cgroup -maxdepth 5 -type d -name "ag3ntum-$SERVER-*" 2>/dev/null | wc -l)"
}

# Thousands of commands (two clients at a time) leave nothing behind: 2,000 (1,000
# under the sanitizers, see meson.build; AG3_SESSION_COMMANDS sets the count).
t_many_commands_leave_nothing() {
	local n=${AG3_SESSION_COMMANDS:-2000}
	open_session
	sbx exec --session "$S" -- true
	local before after
	before=$(census)
	SECONDS=0
	seq "$n" | timeout 900 xargs -P 2 -n 50 sh -c '
		for i; do "$0" exec --session "$1" -- true || exit 255; done' "$AG3" "$S" ||
		fail "a command failed (after ${SECONDS}s)"
	after=$(census)
	[ "$before" = "$after" ] || fail "after $n commands: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
	echo "# $n commands in ${SECONDS}s; $after" | tr '\n' ' '
	close_session
	[ -z "$(find /sys/fs/cgroup -maxdepth 5 -type d -name "ag3ntum-$SERVER-*" 2>/dev/null)" ] ||
		fail "the session's cgroups outlived close"
}

run_test basics t_basics
run_test commands-cannot-see-each-other t_commands_cannot_see_each_other
run_test leftovers-end-with-their-command t_leftovers_end_with_their_command
run_test caller-death-cancels t_caller_death_cancels
run_test a-caller-ignoring-sigchld-still-gets-the-result t_a_caller_ignoring_sigchld_still_gets_the_result
run_test holder-death-is-reported t_holder_death_is_reported
run_test owner-death-closes t_owner_death_closes
run_test open-errors t_open_errors
run_test many-commands-leave-nothing t_many_commands_leave_nothing
finish
