#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Red-team probes against warm sessions (issue 9): what a prompt-injected command,
# or another local user, can do to a session, its socket and its other commands.
# Each probe detects that a door is open and walks through none of them. Every
# session is owned by the test's shell (--owner-pid) and closed by the test.
source "$(dirname "$0")/lib.sh"

PROBES=${AG3_SOURCE_ROOT:?}/tests/escape/session

# Opens a session with workspace $PWD/ws on socket $1; sets S and SERVER.
open_at() {
	mkdir -p ws && chmod 777 ws
	S=$1
	shift
	sbx session open --owner-pid $BASHPID --workspace "$PWD/ws" "$@" --socket "$S"
	[ "$RC" = 0 ] || return 1
	SERVER=$(pgrep -f -- "session open .*--socket $S\$" | head -n 1)
	[ -n "$SERVER" ] || fail "no server process for $S"
}

# Waits (bounded: 20 s) until file $1 is not empty or exists ($2 = -s or -e).
wait_file() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$2" "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

close_it() {
	sbx session close "$S"
	expect_rc 0
}

# A session whose socket sits inside a directory the sandbox sees (the
# workspace): a command must neither use it (rootless: the command's uid IS the
# owner's on the host, so peer credentials let it in: it can then start a
# command that holds its own connection as stdin, which nobody supervises and
# which outlives it, or close the session, or fill the server's pending slots)
# nor replace it (unlink + bind: the next `exec --session` then hands its stdio
# fds, argv and environment to the sandbox). Either `session open` refuses such a
# path, or both doors are shut.
t_socket_out_of_the_sandboxs_reach() {
	if ! open_at "$PWD/ws/s.sock"; then
		expect_rc 125
		[ ! -e "$PWD/ws/s.sock" ] || fail "a refused open left its socket"
		return 0
	fi
	cp "$PROBES/rawclient.py" ws/probe.py
	chmod 755 ws/probe.py
	sbx exec --session "$S" -- python3 /workspace/probe.py /workspace/s.sock door
	local out=$OUT
	close_it
	case $out in *DOOR*) fail "$out" ;; esac
	true
}

# `exec --session PATH` where another uid listens at PATH (a squatted or stale
# path in a shared directory): the client must refuse a server that is not its
# own uid before it sends anything (argv, environment, its stdio fds).
t_client_refuses_a_foreign_server() {
	[ "$MODE" = root ] || skip_test "needs a second uid to run the fake server (root mode only)"
	id ag3ntum-test >/dev/null 2>&1 || skip_test "no user ag3ntum-test (tests/setup-test-user.sh)"
	mkdir fk && chown ag3ntum-test fk
	runuser -u ag3ntum-test -- python3 "$PROBES/fakeserver.py" "$PWD/fk/f.sock" ok >fake.log 2>&1 &
	local fake=$!
	wait_file fk/f.sock -S || { kill "$fake"; fail "the fake server did not start: $(cat fake.log)"; }
	local rc=0
	echo "stdin-secret" | "$AG3" exec --session "$PWD/fk/f.sock" -- sh -c 'echo argv-secret' >out.txt 2>err.txt || rc=$?
	# the fake server ends by itself once it served one connection (or after 30 s)
	sleep 0.5
	kill "$fake" 2>/dev/null || true
	wait "$fake" 2>/dev/null || true
	[ "$rc" = 125 ] || fail "exit status $rc against a foreign server"
	if grep -q "argv-secret\|got the client's fd" fake.log; then
		fail "the client gave a uid-$(id -u ag3ntum-test) server its command and fds: $(cat fake.log)"
	fi
	true
}

# Two concurrent commands of one session: B must not reach A's loopback
# listener nor see A's sockets in /proc/net (a shared network namespace lets a
# command squat ports another command uses, read what it sends, and list its
# connections).
t_concurrent_commands_share_no_network() {
	open_at "$SCRATCH/s.sock" || fail "open: $ERR"
	local port=$((20000 + RANDOM % 20000))
	"$AG3" exec --session "$S" -- python3 -c "
import socket, time
t = socket.socket(); t.bind(('127.0.0.1', $port)); t.listen()
open('/workspace/ready', 'w').close()
time.sleep(20)" </dev/null >a.out 2>&1 &
	local a=$!
	wait_file ws/ready -e || { kill "$a"; fail "command A did not start: $(cat a.out)"; }
	sbx exec --session "$S" -- python3 -c "
import socket
hexport = ':%04X' % $port
if any(hexport + ' ' in l for l in open('/proc/net/tcp')):
    print('SEES: /proc/net/tcp lists the other command\'s listener on', $port)
try:
    socket.create_connection(('127.0.0.1', $port), timeout=3)
    print('REACHES: connected to the other command\'s listener on', $port)
except OSError as e:
    print('no connection:', e)"
	kill "$a" 2>/dev/null || true
	wait "$a" 2>/dev/null || true
	local out=$OUT
	close_it
	case $out in *SEES* | *REACHES*) fail "$out" ;; esac
	true
}

# One command takes the session's whole pids budget: the next command fails at
# once (good) and the reason must name what ran out, not a concurrency limit it
# never reached.
t_pids_exhaustion_is_reported_as_such() {
	open_at "$SCRATCH/s.sock" --json || fail "open: $ERR"
	case $OUT in *'"pids:'*) close_it; skip_test "no pids cgroup here (degraded to RLIMIT_NPROC)" ;; esac
	"$AG3" exec --session "$S" -- python3 -c "
import os, time
n = 0
try:
    while n < 5000:
        if os.fork() == 0:
            time.sleep(30); os._exit(0)
        n += 1
except OSError:
    pass
open('/workspace/full', 'w').write(str(n))
time.sleep(30)" </dev/null >a.out 2>&1 &
	local a=$!
	wait_file ws/full -s || { kill "$a"; fail "command A did not fill the pids budget: $(cat a.out)"; }
	sbx exec --session "$S" -- true
	kill "$a" 2>/dev/null || true
	wait "$a" 2>/dev/null || true
	local rc=$RC err=$ERR
	close_it
	[ "$rc" = 125 ] || fail "status $rc, want 125 with the session's pids full"
	case $err in *"too many commands at once"*) fail "misleading reason: $err" ;; esac
	case $err in *pids* | *process*) ;; *) fail "the reason does not name the pids limit: $err" ;; esac
}

# Session B's socket in a directory another sandbox of the same user sees (a
# fresh exec here; session open B only knows its own mounts): a process of that
# sandbox has the owner's uid in rootless mode, and must still be refused: only
# processes in the server's own pid namespace are clients.
t_another_sandbox_cannot_use_a_session() {
	mkdir -p b
	chmod 755 b
	open_at "$PWD/b/s.sock" || fail "open: $ERR"
	sbx exec --workspace "$PWD/b" -- python3 -c "
import socket, struct
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(10)
try:
    s.connect('/workspace/s.sock')
    magic, err = struct.unpack_from('<Ii', s.recv(70000))
    print('DOOR: the session greets a sandboxed process' if err == 0 else 'closed: hello err %d' % err)
except OSError as e:
    print('closed:', e)"
	local out=$OUT
	close_it
	case $out in *closed*) ;; *) fail "no verdict: $out / $ERR" ;; esac
	case $out in *DOOR*) fail "$out" ;; esac
	echo "$out"
}

# A spec whose /proc lies beneath a writable mount (a tmpfs at /w, /proc at
# /w/a/proc: profiles cannot say that, `exec --spec` and ag3_session_open_spec
# can). Each command's own /proc is mounted again at the spec's path, in a spare
# prepared ahead of time: one command renames /w/a away (the session's /proc goes
# with it) and makes /w/a/proc a plain directory; a later command's /proc then
# lands on that directory while the session's /proc, which lists every command
# of the session, stays in view at /w/b/proc. Either the renewal refuses a target
# that is not the session's own mount (the command fails to start: 125), or no
# command ever sees a /proc of a pid namespace above its own.
t_renewed_proc_cannot_be_moved_away() {
	sbx compile
	[ "$RC" = 0 ] || fail "compile: $ERR"
	printf '%s' "$OUT" >spec.json
	python3 - spec.json spec-w.json <<'PY' || fail "could not write the spec"
import json, sys
s = json.load(open(sys.argv[1]))
out = []
for m in s["mounts"]:
    if m["op"] == "proc":
        out.append(dict(m, op="tmpfs", target="/w", ro=False, noexec=False,
                        size=1 << 20, mode=0o777, origin="test: a writable tmpfs"))
        m["target"] = "/w/a/proc"
    out.append(m)
s["mounts"] = out
json.dump(s, open(sys.argv[2], "w"))
PY
	S=$SCRATCH/w.sock
	sbx session open --owner-pid $BASHPID --spec spec-w.json --socket "$S"
	[ "$RC" = 0 ] || fail "open: $ERR"
	sbx exec --session "$S" -- sh -c 'mv /w/a /w/b && mkdir -p /w/a/proc && echo moved'
	[ "$OUT" = moved ] || { close_it; fail "the move: $RC $OUT $ERR"; }
	# A /proc of an ancestor pid namespace shows our own processes with two pids
	# (NSpid); each command looks at both places, reads status lines only.
	local i outs=""
	for i in 1 2 3; do
		sbx exec --session "$S" -- sh -c '
for d in /w/a/proc /w/b/proc; do
	for f in "$d"/[0-9]*/status; do
		[ -r "$f" ] || continue
		set -- $(grep "^NSpid:" "$f")
		[ $# -gt 2 ] && { echo "DOOR: $d is a /proc of the session (${f%/status}: $*)"; break; }
	done
done; echo ran'
		case $RC in
		0) ;;
		125) case $ERR in *proc*) ;; *) close_it; fail "status 125 without naming /proc: $ERR" ;; esac ;;
		*) close_it; fail "status $RC: $OUT $ERR" ;;
		esac
		outs+="$OUT"$'\n'
	done
	close_it
	case $outs in *DOOR*) fail "$outs" ;; esac
	echo "$outs"
}

# A caller that hands a directory as the command's stdio (`< DIR`, or an API
# embedder passing a directory fd): the command would hold a directory outside
# its root, `cd /dev/stdin` and walk the host's tree from there (landlock, where
# present, still stops reads; without it nothing does). Fresh and session mode
# must both refuse to start it (125, naming the directory); the probe only
# checks that a marker file of the outside directory is visible through fd 0.
t_directory_as_stdio_is_refused() {
	mkdir outside && touch outside/MARK && chmod 755 outside
	open_at "$SCRATCH/s.sock" || fail "open: $ERR"
	local how rc out err verdict=""
	for how in fresh session; do
		local -a args=(--workspace "$PWD/ws")
		[ $how = session ] && args=(--session "$S")
		rc=0
		"$AG3" exec "${args[@]}" -- sh -c \
			'[ -e /proc/self/fd/0/MARK ] && echo "DOOR: stdin is a directory outside the root"; echo ran' \
			<outside >out.txt 2>err.txt || rc=$?
		out=$(cat out.txt) err=$(cat err.txt)
		case $out in *DOOR*) verdict+="$how: $out; " ;; esac
		if [ "$rc" != 125 ] || ! printf '%s' "$err" | grep -q directory; then
			verdict+="$how: status $rc ($out / $err); "
		fi
	done
	close_it
	[ -z "$verdict" ] || fail "$verdict"
}

run_test socket-out-of-the-sandboxs-reach t_socket_out_of_the_sandboxs_reach
run_test another-sandbox-cannot-use-a-session t_another_sandbox_cannot_use_a_session
run_test client-refuses-a-foreign-server t_client_refuses_a_foreign_server
run_test concurrent-commands-share-no-network t_concurrent_commands_share_no_network
run_test pids-exhaustion-is-reported-as-such t_pids_exhaustion_is_reported_as_such
run_test renewed-proc-cannot-be-moved-away t_renewed_proc_cannot_be_moved_away
run_test directory-as-stdio-is-refused t_directory_as_stdio_is_refused
finish
