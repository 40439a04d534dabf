#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `serve` (doc/serve-protocol.md), driven by serve-client.py over a socketpair
# (stdio mode) and over --socket: sessions, commands (argv, shell, stdin,
# merged stderr, capture, timeout, cancel, streaming), check, resolve with the
# fd passed, every error code on a connection that keeps working, a flooding
# client (junk, or resolve fds it never reads) that neither exhausts serve nor
# slows another client down (also when serve is starved of CPU meanwhile), a
# client whose disconnect leaves no process behind, and the peer-uid check.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip_all "python3 is needed for the serve client"
CLIENT=$(cd "$(dirname "$0")" && pwd)/serve-client.py

workspace() {
	mkdir -p ws && chmod 777 ws
	WS=$PWD/ws
}

# Starts serve --socket on $SCRATCH/serve.sock (extra options: $@); SERVE = its pid.
start_serve() {
	S=$SCRATCH/serve.sock
	"$AG3" serve --socket "$S" "$@" >serve.out 2>serve.err &
	SERVE=$!
	# SIGCONT too: a scenario may have stopped it (flood, serve starved)
	trap 'kill "$SERVE" 2>/dev/null || true; kill -CONT "$SERVE" 2>/dev/null || true' EXIT
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$S" ] && return 0
		sleep 0.05
	done
	fail "serve --socket did not come up: $(cat serve.err)"
}

stop_serve() {
	kill -TERM "$SERVE"
	local rc=0
	wait "$SERVE" || rc=$?
	[ $rc = 0 ] || fail "serve ended with $rc on SIGTERM: $(cat serve.err)"
	[ ! -e "$S" ] || fail "the socket is still there after serve ended"
}

t_stdio_basics() {
	workspace
	write_profile p ""
	printf 'permissions:\n  allow: ["Bash(git:*)", "Read(*)", "Write(*)"]\n  deny: ["Bash(rm:*)"]\n' >>p.yaml
	python3 "$CLIENT" basics "$WS" "$PWD/p.yaml"
}

t_errors_keep_the_connection() {
	workspace
	python3 "$CLIENT" errors "$WS"
}

t_socket_flood_does_not_block_others() {
	workspace
	start_serve
	[ "$(stat -c %a "$S")" = 600 ] || fail "socket mode $(stat -c %a "$S"), want 600"
	python3 "$CLIENT" flood "$S" "$WS"
	stop_serve
}

# The same while serve gets no CPU (stopped) for the first second of the flood, as
# on a loaded machine: less of the junk goes out before the other client comes, the
# rest once the flooder reads, and every line is answered.
t_socket_flood_with_serve_starved() {
	workspace
	start_serve
	python3 "$CLIENT" flood "$S" "$WS" "$SERVE"
	stop_serve
}

t_unread_fds_do_not_exhaust_serve() {
	workspace
	start_serve
	python3 "$CLIENT" fdhoard "$S" "$WS" "$SERVE"
	stop_serve
}

t_descriptor_limit_does_not_spin() {
	S=$SCRATCH/serve.sock
	(ulimit -n 40 && exec "$AG3" serve --socket "$S") >serve.out 2>serve.err &
	SERVE=$!
	trap 'kill "$SERVE" 2>/dev/null || true' EXIT
	local i
	for ((i = 0; i < 100; i++)); do
		[ -S "$S" ] && break
		sleep 0.05
	done
	[ -S "$S" ] || fail "serve --socket did not come up: $(cat serve.err)"
	python3 "$CLIENT" emfile "$S" "$SERVE"
	stop_serve
}

t_disconnect_kills_the_commands() {
	workspace
	start_serve
	python3 "$CLIENT" disconnect "$S" "$WS" $((7100000 + RANDOM))
	stop_serve
}

t_help() {
	sbx serve --help
	expect_rc 0
	expect_out_has '^Usage: ag3ntum-sandbox serve \[--socket PATH \[--allow-uid UID\]\.\.\.\]$'
	expect_out_has '^Exit status: '
	case $OUT in *"--profile FILE"*) fail "serve's help holds the session options it does not take" ;; esac
}

t_existing_path_refused() {
	: >taken
	sbx serve --socket "$PWD/taken"
	expect_rc 125
	[ -f taken ] || fail "serve replaced the file at its path"
}

t_sigterm_closes_sessions() {
	workspace
	start_serve
	secs=$((7200000 + RANDOM))
	python3 "$CLIENT" sigterm "$S" "$WS" "$secs" "$SERVE"
	local rc=0
	wait "$SERVE" || rc=$?
	[ $rc = 0 ] || fail "serve ended with $rc on SIGTERM"
	[ ! -e "$S" ] || fail "the socket is still there after serve ended"
	wait_proc "^sleep $secs" 100 gone || fail "a command outlived serve"
}

t_peer_uid_checked() {
	[ "$MODE" = root ] || skip_test "needs root to connect as another user"
	id ag3ntum-test >/dev/null 2>&1 || skip_test "no test user ag3ntum-test"
	chmod 755 .
	# another uid listed: the socket is 0666, so serve itself must refuse the test user
	start_serve --allow-uid 4123456
	runuser -u ag3ntum-test -- env AG3="$AG3" python3 "$CLIENT" hello "$S" error/FORBIDDEN ||
		fail "a uid not listed was not refused"
	python3 "$CLIENT" hello "$S" hello || fail "serve's own uid was refused"
	stop_serve
	start_serve --allow-uid "$(id -u ag3ntum-test)"
	[ "$(stat -c %a "$S")" = 666 ] || fail "socket mode $(stat -c %a "$S"), want 666"
	runuser -u ag3ntum-test -- env AG3="$AG3" python3 "$CLIENT" hello "$S" hello ||
		fail "an --allow-uid uid was refused"
	stop_serve
}

run_test "stdio: sessions, commands, check, resolve with fd" t_stdio_basics
run_test "every error is an error reply on a working connection" t_errors_keep_the_connection
run_test "a flooding client does not block another" t_socket_flood_does_not_block_others
run_test "a flooding client does not block another, serve starved meanwhile" t_socket_flood_with_serve_starved
run_test "a client that never reads its resolve fds does not exhaust serve" t_unread_fds_do_not_exhaust_serve
run_test "a client's disconnect kills its commands" t_disconnect_kills_the_commands
run_test "--socket on an existing path is refused" t_existing_path_refused
run_test "--help" t_help
run_test "SIGTERM closes every session" t_sigterm_closes_sessions
run_test "peer uid: own and --allow-uid accepted, others refused" t_peer_uid_checked
run_test "at its descriptor limit serve waits, it does not spin" t_descriptor_limit_does_not_spin
finish
