#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Red-team probes against allowlist mode (issue 11), from inside the sandbox: what
# a prompt-injected command can do to the DNS stub, the relay and the HTTP proxy
# the supervisor runs for it. The only upstream is a server of the test's own on
# the caller's 127.0.0.1 (named "localhost:PORT" in the allowlist), which logs
# every connection it gets: a probe that slips a check shows up there. Each probe
# detects that a door is open and walks through none of them.
source "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || skip_all "no $PY (the probes run it inside the sandbox)"

# The upstream: answers an HTTP request with the length and hash of the body it
# got ("LEN HASH"), and logs "conn" for every connection. Sets PORT and UPID.
start_upstream() {
	cat >up.py <<'PY'
import hashlib, socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[2], "w").write("%d\n" % s.getsockname()[1])
def serve(c):
    log.write("conn\n")
    c.settimeout(10)
    d = b""
    try:
        while b"\r\n\r\n" not in d:
            x = c.recv(65536)
            if not x:
                return
            d += x
        head, body = d.split(b"\r\n\r\n", 1)
        n = 0
        for l in head.split(b"\r\n")[1:]:
            if l.lower().startswith(b"content-length:"):
                n = int(l.split(b":")[1])
        while len(body) < n:
            x = c.recv(65536)
            if not x:
                break
            body += x
    except OSError:
        pass
    r = b"%d %s" % (len(body), hashlib.sha256(body).hexdigest()[:16].encode())
    try:
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(r), r))
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
	: >up.log
	"$PY" up.py "$PWD/up.log" "$PWD/up.port" &
	UPID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s up.port ] && break
		sleep 0.1
	done
	PORT=$(cat up.port 2>/dev/null)
	[ -n "$PORT" ] || fail "the upstream did not start"
}

stop_upstream() {
	if [ -n "${UPID:-}" ]; then
		kill "$UPID" 2>/dev/null || true
		wait "$UPID" 2>/dev/null || true
	fi
	UPID=
}

# p.yaml: the system directories and /etc read-only, the network in allowlist
# mode with the domains $1 (a YAML list), allow_private_destinations $2, and the
# lines $3 (more keys of sandbox.network, indented by four spaces) if any.
net_profile() {
	write_profile net "  network:
    enabled: true
    allowed_domains: $1
    allow_private_destinations: $2${3:+
$3}"
	sed -i 's|^  session_mounts:|    system_etc: {source: /etc, target: /etc, mode: ro}\n&|' p.yaml
}

# A plain request through the proxy whose head the proxy rewrites into a longer
# one (the absolute URI becomes "/e", a Host line is added: one byte more), sent
# with a body far larger than the relay's buffer in one write: the upstream must
# get every byte of it.
BODY_PROBE='
import hashlib, socket, sys
port = int(sys.argv[1])
for n in (1000, 70000, 200000):
    body = bytes((i * 7) % 251 for i in range(n))
    s = socket.socket()
    s.settimeout(20)
    s.connect(("127.77.0.1", 3128))
    s.sendall(b"POST http://localhost:%d/e HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (port, n) + body)
    d = b""
    while True:
        x = s.recv(4096)
        if not x:
            break
        d += x
    want = b"%d %s" % (n, hashlib.sha256(body).hexdigest()[:16].encode())
    got = d.split(b"\r\n\r\n", 1)[-1]
    print("ok" if got == want else "LOST: sent %r, upstream got %r" % (want, got))
'

t_proxy_keeps_every_byte_of_a_body() {
	start_upstream
	net_profile "[\"localhost:$PORT\"]" true
	sbx exec --profile p.yaml -- "$PY" -c "$BODY_PROBE" "$PORT"
	local out=$OUT err=$ERR rc=$RC
	# The same through a session's command (its exec --session client runs the relay).
	sbx session open --owner-pid $BASHPID --profile p.yaml --socket "$PWD/s.sock"
	expect_rc 0
	sbx exec --session "$PWD/s.sock" -- "$PY" -c "$BODY_PROBE" "$PORT"
	local sout=$OUT serr=$ERR src=$RC
	sbx session close "$PWD/s.sock"
	stop_upstream
	[ "$rc" = 0 ] && [ "$out" = $'ok\nok\nok' ] || fail "fresh: status $rc: $out ($err)"
	[ "$src" = 0 ] && [ "$sout" = $'ok\nok\nok' ] || fail "session: status $src: $sout ($serr)"
}

# Names that must not reach the upstream through the proxy, although the one
# name allowed is the upstream's and private destinations are allowed: a check
# that lets any of them by shows up as a connection in up.log.
TRICKS_PROBE='
import socket, sys
port = int(sys.argv[1])
heads = [
    b"CONNECT localhost.evil.test:%d HTTP/1.1\r\n\r\n",
    b"CONNECT evil.test.localhost:%d HTTP/1.1\r\n\r\n",
    b"CONNECT localhost@evil.test:%d HTTP/1.1\r\n\r\n",
    b"CONNECT evil.test@localhost:%d HTTP/1.1\r\n\r\n",
    b"CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n",
    b"CONNECT 127.1:%d HTTP/1.1\r\n\r\n",
    b"CONNECT 0x7f.1:%d HTTP/1.1\r\n\r\n",
    b"CONNECT 2130706433:%d HTTP/1.1\r\n\r\n",
    b"CONNECT [::1]:%d HTTP/1.1\r\n\r\n",
    b"CONNECT [::ffff:127.0.0.1]:%d HTTP/1.1\r\n\r\n",
    b"CONNECT %%6cocalhost:%d HTTP/1.1\r\n\r\n",
    b"CONNECT localhost:%d0 HTTP/1.1\r\n\r\n",
    b"CONNECT localhost HTTP/1.1\r\n\r\n",
    b"GET http://localhost@evil.test:%d/ HTTP/1.1\r\n\r\n",
    b"GET http://evil.test:%d/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"GET http://127.0.0.1:%d/ HTTP/1.1\r\n\r\n",
    b"GET https://localhost:%d/ HTTP/1.1\r\n\r\n",
    b"GET /x HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
    b"GET http://localhost:%d/ HTTP/1.1\nHost: localhost\n\n",
    b"POST http://localhost:%d/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
]
for h in heads:
    h = h % port if b"%d" in h else h
    s = socket.socket()
    s.settimeout(10)
    s.connect(("127.77.0.1", 3128))
    s.sendall(h)
    d = s.recv(200)
    status = d.split(b"\r\n")[0]
    if not (status.startswith(b"HTTP/1.1 40") or status.startswith(b"HTTP/1.1 50")):
        print("DOOR: %r got %r" % (h, status))
    s.close()
# The caller'"'"'s 127.0.0.1 is not the sandbox'"'"'s: the relay owns that port
# there, and a dialed 127.0.0.1 that is not a forwarded port is reset.
s = socket.socket()
s.settimeout(10)
try:
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    if s.recv(100):
        print("DOOR: 127.0.0.1 answered")
except OSError:
    pass
print("done")
'

t_proxy_name_tricks_reach_nothing() {
	start_upstream
	net_profile "[\"localhost:$PORT\"]" true
	sbx exec --profile p.yaml -- "$PY" -c "$TRICKS_PROBE" "$PORT"
	stop_upstream
	[ "$RC" = 0 ] && [ "$OUT" = done ] || fail "status $RC: $OUT ($ERR)"
	[ ! -s up.log ] || fail "the upstream got $(wc -l <up.log) connection(s)"
}

# Without allow_private_destinations, a name that resolves to loopback is refused
# (the allowlist names it; the address is what counts).
t_private_destination_refused() {
	start_upstream
	net_profile "[\"localhost:$PORT\"]" false
	sbx exec --profile p.yaml --json -- "$PY" -c '
import socket, sys
s = socket.socket(); s.settimeout(10); s.connect(("127.77.0.1", 3128))
s.sendall(b"CONNECT localhost:%d HTTP/1.1\r\n\r\n" % int(sys.argv[1]))
print(s.recv(100).split(b"\r\n")[0].decode())' "$PORT"
	stop_upstream
	expect_rc 0
	expect_out 'HTTP/1.1 403 Forbidden'
	expect_err_has '"reason":"private_address"'
	[ ! -s up.log ] || fail "the upstream got a connection"
}

# The relay's sockets cannot be squatted from inside (the proxy's port is above
# 1024: any uid could bind it if the relay's listener let it).
t_relay_ports_cannot_be_squatted() {
	net_profile '["localhost:8"]' false
	sbx exec --profile p.yaml -- "$PY" -c '
import socket
for opt in (socket.SO_REUSEADDR, socket.SO_REUSEPORT):
    for addr in ("127.77.0.1", "0.0.0.0", "127.77.1.1"):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, opt, 1)
        try:
            s.bind((addr, 3128))
            s.listen(1)
            print("DOOR: bound %s:3128 (option %d)" % (addr, opt))
        except OSError:
            pass
        s.close()
print("done")'
	expect_rc 0
	expect_out done
}

# A flood of connections: the supervisor holds at most max_connections (64) of
# them (two fds each), resets the rest, and still serves a new one at once when
# the flood is gone.
t_connection_flood_is_bounded() {
	start_upstream
	net_profile "[\"localhost:$PORT\"]" true
	local res=$PWD/res.json
	"$AG3" exec --profile p.yaml --result "$res" -- "$PY" -c '
import socket, sys, time
port = int(sys.argv[1])
held = []
for i in range(600):
    s = socket.socket(); s.settimeout(5)
    try:
        s.connect(("127.77.0.1", 3128)); held.append(s)
    except OSError:
        pass
time.sleep(1.5)
for s in held:
    s.close()
time.sleep(0.5)
t = time.time()
s = socket.socket(); s.settimeout(10); s.connect(("127.77.0.1", 3128))
s.sendall(b"GET http://localhost:%d/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n" % port)
print(s.recv(100).split(b"\r\n")[0].decode(), "%.1f" % (time.time() - t))' "$PORT" >out.txt 2>err.txt &
	local pid=$! maxfd=0 n i
	for ((i = 0; i < 150; i++)); do
		[ -d /proc/$pid ] || break
		n=$(ls /proc/$pid/fd 2>/dev/null | wc -l)
		[ "$n" -le "$maxfd" ] || maxfd=$n
		sleep 0.05
	done
	local rc=0
	wait $pid || rc=$?
	stop_upstream
	[ "$rc" = 0 ] || fail "status $rc: $(cat out.txt err.txt)"
	grep -qE '^HTTP/1.1 200 OK 0\.[0-9]$' out.txt || fail "after the flood: $(cat out.txt err.txt)"
	[ "$maxfd" -le 170 ] || fail "the supervisor held $maxfd fds during the flood"
	grep -q '"reason":"limit"' "$res" || fail "no limit event: $(cat "$res")"
}

# A client that half-closes, then resets, its tunnel to a server that holds the
# connection and says nothing: nothing can move, and the supervisor (the exec
# process; in a session the command's exec --session client) must sleep until
# the idle timeout, not spin on the reset it was told of. Sets TICKS: the CPU
# ticks it used in 3 s, measured from 1.5 s after $1 (a pid) started.
RESET_PROBE='
import socket, struct, sys, time
s = socket.socket()
s.connect(("127.77.0.1", 3128))
s.sendall(b"CONNECT localhost:%d HTTP/1.1\r\n\r\n" % int(sys.argv[1]))
s.recv(100)
s.shutdown(socket.SHUT_WR)
time.sleep(0.3)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
time.sleep(5)
print("done")
'
supervisor_ticks() {
	local pid=$1 a b
	sleep 1.5
	a=$(awk '{print $14 + $15}' /proc/$pid/stat)
	sleep 3
	b=$(awk '{print $14 + $15}' /proc/$pid/stat)
	TICKS=$((b - a))
}

t_dead_peer_does_not_spin_the_supervisor() {
	cat >hold.py <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
held = []
while True:
    held.append(s.accept()[0])
PY
	"$PY" hold.py "$PWD/up.port" &
	UPID=$!
	local i hz fresh sess
	for ((i = 0; i < 100; i++)); do
		[ -s up.port ] && break
		sleep 0.1
	done
	PORT=$(cat up.port)
	hz=$(getconf CLK_TCK)
	net_profile "[\"localhost:$PORT\"]" true
	"$AG3" exec --profile p.yaml -- "$PY" -c "$RESET_PROBE" "$PORT" >out.txt 2>&1 &
	local pid=$!
	supervisor_ticks $pid
	fresh=$TICKS
	wait $pid || fail "fresh: $(cat out.txt)"
	sbx session open --owner-pid $BASHPID --profile p.yaml --socket "$PWD/s.sock"
	expect_rc 0
	"$AG3" exec --session "$PWD/s.sock" -- "$PY" -c "$RESET_PROBE" "$PORT" >out.txt 2>&1 &
	pid=$!
	supervisor_ticks $pid
	sess=$TICKS
	wait $pid || fail "session: $(cat out.txt)"
	sbx session close "$PWD/s.sock"
	stop_upstream
	# Asleep, it uses next to nothing; spinning, about all of a CPU (3 s = 3 * hz).
	[ "$fresh" -le $((hz / 2)) ] || fail "the supervisor used $fresh of $((3 * hz)) ticks in 3 s"
	[ "$sess" -le $((hz / 2)) ] || fail "the session's client used $sess of $((3 * hz)) ticks in 3 s"
}

# A forwarded localhost port reaches the caller's 127.0.0.1:PORT (its connect
# has its own deadline: there is no lookup to start one).
t_forwarded_localhost_port_works() {
	start_upstream
	net_profile '["example.invalid"]' false "    allow_localhost: true
    localhost_ports: [$PORT]"
	sbx exec --profile p.yaml --json -- "$PY" -c '
import socket, sys
s = socket.socket(); s.settimeout(10); s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
d = b""
while True:
    x = s.recv(4096)
    if not x:
        break
    d += x
print(d.split(b"\r\n\r\n", 1)[-1].decode())' "$PORT"
	stop_upstream
	expect_rc 0
	expect_out '5 2cf24dba5fb0a30e'
	expect_err_has '"destinations":\[\{"name":"localhost","port":'"$PORT"',"connections":1'
}

run_test proxy-keeps-every-byte-of-a-body t_proxy_keeps_every_byte_of_a_body
run_test proxy-name-tricks-reach-nothing t_proxy_name_tricks_reach_nothing
run_test private-destination-refused t_private_destination_refused
run_test relay-ports-cannot-be-squatted t_relay_ports_cannot_be_squatted
run_test connection-flood-is-bounded t_connection_flood_is_bounded
run_test dead-peer-does-not-spin-the-supervisor t_dead_peer_does_not_spin_the_supervisor
run_test forwarded-localhost-port-works t_forwarded_localhost_port_works
finish
