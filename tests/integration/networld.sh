# SPDX-License-Identifier: MIT
# The offline network test world for test-net.sh (a library: source it, then
# `world_up`; `world_down` is idempotent and runs from the EXIT trap).
#
#   netns ag3n-up-PID  "the internet": up0 198.51.100.10/24 (.11, .12, .53 too),
#                      10.9.9.9/32 and 169.254.169.254/32 on its lo (so a relay
#                      that forgot to refuse private destinations would reach them).
#                      HTTP :80 and TLS :443 answer "ag3n-world host=HOST addr=ADDR"
#                      (HOST from the Host header, ADDR the address dialed) and log
#                      each request to $NW_DIR/http.log; TCP echo on :7000; a fake
#                      DNS server on 198.51.100.53:53/udp that answers REFUSED and
#                      logs every query name to $NW_DIR/dns.log.
#   netns ag3n-cl-PID  "the caller's machine": cl0 198.51.100.1/24, default route
#                      via 198.51.100.10; HTTP on 127.0.0.1:18080 and :18081
#                      ("ag3n-local port=P"). `ip netns exec` bind-mounts
#                      /etc/netns/ag3n-cl-PID/{hosts,resolv.conf} over /etc, which
#                      maps the test names below and sends every other lookup to
#                      the logging DNS server.
#   $NW_DIR            (/tmp/ag3n-world-PID.XXXX) logs, the servers' script, the
#                      key; $NW_DIR/t (bound read-only at /t in the sandbox) holds
#                      the CA file (ca.pem) and the in-sandbox helper scripts.
#
# Everything carries the test's PID, so parallel runs do not clash; every wait is
# bounded; the servers also exit by themselves when the test's shell is gone.

NW_UP=ag3n-up-$$
NW_CL=ag3n-cl-$$
NW_ETC=/etc/netns/$NW_CL
NW_DIR=
NW_PIDS=()
NW_MADE_ETC_NETNS=0
NW_PY=/usr/bin/python3
[ -x "$NW_PY" ] || NW_PY=$(command -v python3)

# The names of the world (the caller's /etc/hosts).
NW_HOSTS='127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
198.51.100.10 api.allowed.test a.wild.test b.wild.test wild.test
198.51.100.11 blocked.test
198.51.100.12 echo.allowed.test
10.9.9.9 internal.test
169.254.169.254 meta.test'

# Why the world cannot be built here (empty: it can). Probes with a throwaway netns.
world_unusable() {
	local probe=ag3n-probe-$$
	[ "$(id -u)" = 0 ] || { echo "the network world needs root (ip netns)"; return; }
	command -v ip >/dev/null || { echo "no ip (iproute2)"; return; }
	local t
	for t in curl openssl "$NW_PY"; do
		command -v "$t" >/dev/null || { echo "no $t (tools/bootstrap.sh test installs it)"; return; }
	done
	if ! ip netns add "$probe" 2>/dev/null; then
		echo "ip netns add fails here (no network namespaces, or /run/netns not usable)"
		return
	fi
	if ! ip -n "$probe" link add p0 type veth peer name p1 2>/dev/null; then
		ip netns del "$probe"
		echo "no veth devices (CONFIG_VETH)"
		return
	fi
	ip netns del "$probe"
}

world_down() {
	local p i
	for p in "${NW_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${NW_PIDS[@]}"; do
		for ((i = 0; i < 30; i++)); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	NW_PIDS=()
	ip netns del "$NW_CL" 2>/dev/null
	ip netns del "$NW_UP" 2>/dev/null
	rm -rf "$NW_ETC"
	[ $NW_MADE_ETC_NETNS = 1 ] && rmdir /etc/netns 2>/dev/null
	NW_MADE_ETC_NETNS=0
	[ -n "$NW_DIR" ] && rm -rf "$NW_DIR"
	NW_DIR=
	return 0
}

# Runs a command in the caller's netns (with its /etc overrides).
in_cl() {
	ip netns exec "$NW_CL" "$@"
}

# Waits (bounded: $2 tenths of a second) for file $1 to exist.
nw_wait_file() {
	local i
	for ((i = 0; i < $2; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# Builds the world; prints why on stderr and returns 1 if any step fails (the
# caller's EXIT trap runs world_down).
world_up() {
	NW_DIR=$(mktemp -d "/tmp/ag3n-world-$$.XXXXXX") || return 1
	chmod 755 "$NW_DIR"
	mkdir -m 755 "$NW_DIR/t"
	nw_write_servers >"$NW_DIR/servers.py"
	: >"$NW_DIR/dns.log"
	: >"$NW_DIR/http.log"
	chmod 644 "$NW_DIR/dns.log" "$NW_DIR/http.log"

	# The certificate: one self-signed cert for the TLS names, its own CA.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=api.allowed.test \
		-addext "subjectAltName=DNS:api.allowed.test,DNS:*.wild.test" \
		-keyout "$NW_DIR/key.pem" -out "$NW_DIR/t/ca.pem" >"$NW_DIR/openssl.log" 2>&1 ||
		{ cat "$NW_DIR/openssl.log" >&2; return 1; }
	chmod 644 "$NW_DIR/t/ca.pem"

	ip netns add "$NW_UP" || return 1
	ip netns add "$NW_CL" || return 1
	ip -n "$NW_UP" link add up0 type veth peer name cl0 netns "$NW_CL" || return 1
	local a
	for a in 198.51.100.10 198.51.100.11 198.51.100.12 198.51.100.53; do
		ip -n "$NW_UP" addr add "$a/24" dev up0 || return 1
	done
	ip -n "$NW_UP" addr add 10.9.9.9/32 dev lo || return 1
	ip -n "$NW_UP" addr add 169.254.169.254/32 dev lo || return 1
	ip -n "$NW_UP" link set lo up || return 1
	ip -n "$NW_UP" link set up0 up || return 1
	ip -n "$NW_CL" addr add 198.51.100.1/24 dev cl0 || return 1
	ip -n "$NW_CL" link set lo up || return 1
	ip -n "$NW_CL" link set cl0 up || return 1
	ip -n "$NW_CL" route add default via 198.51.100.10 || return 1

	if [ ! -d /etc/netns ]; then
		mkdir -m 755 /etc/netns || return 1
		NW_MADE_ETC_NETNS=1
	fi
	mkdir -m 755 "$NW_ETC" || return 1
	printf '%s\n' "$NW_HOSTS" >"$NW_ETC/hosts"
	printf 'nameserver 198.51.100.53\noptions timeout:1 attempts:1\n' >"$NW_ETC/resolv.conf"
	chmod 644 "$NW_ETC/hosts" "$NW_ETC/resolv.conf"

	ip netns exec "$NW_UP" "$NW_PY" "$NW_DIR/servers.py" upstream "$NW_DIR" $$ \
		>"$NW_DIR/upstream.log" 2>&1 &
	NW_PIDS+=($!)
	ip netns exec "$NW_CL" "$NW_PY" "$NW_DIR/servers.py" local "$NW_DIR" $$ \
		>"$NW_DIR/local.log" 2>&1 &
	NW_PIDS+=($!)
	nw_wait_file "$NW_DIR/ready-upstream" 100 && nw_wait_file "$NW_DIR/ready-local" 100 ||
		{ cat "$NW_DIR/upstream.log" "$NW_DIR/local.log" >&2; echo "the servers did not start" >&2; return 1; }
	return 0
}

# The number of queries for names ending in $1 the fake upstream DNS server saw.
dns_queries_for() {
	awk '{print $1}' "$NW_DIR/dns.log" |
		grep -ciE "(^|\.)$(printf '%s' "$1" | sed 's/\./\\./g')\.?\$" || true
}

http_requests() {
	wc -l <"$NW_DIR/http.log"
}

nw_write_servers() {
	cat <<'PY'
# The world's servers (networld.sh). upstream: HTTP :80, TLS :443, echo :7000,
# DNS 198.51.100.53:53/udp. local: HTTP 127.0.0.1:18080 and :18081.
import http.server, os, signal, socket, socketserver, ssl, sys, threading, time

role, wdir, owner = sys.argv[1], sys.argv[2], int(sys.argv[3])
lock = threading.Lock()

def log(name, line):
    with lock, open(os.path.join(wdir, name), "a") as f:
        f.write(line + "\n")

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    timeout = 10

    def reply(self, body=True):
        if role == "local":
            text = "ag3n-local port=%d\n" % self.server.server_address[1]
        else:
            host = self.headers.get("Host") or ""
            if not host and "://" in self.path:
                host = self.path.split("://", 1)[1].split("/", 1)[0]
            host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
            addr = self.connection.getsockname()[0]
            log("http.log", "%s %s %s %s" % (addr, self.server.server_address[1], host, self.path))
            text = "ag3n-world host=%s addr=%s\n" % (host, addr)
        data = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def do_GET(self):
        self.reply()

    def do_POST(self):
        self.reply()

    def do_HEAD(self):
        self.reply(False)

    def log_message(self, *a):
        pass

class HTTP(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

class TLS(HTTP):
    # The handshake in the request's thread: a stalled client blocks only itself.
    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            request = self.ctx.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        super().finish_request(request, client_address)

class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(60)
        try:
            while True:
                b = self.request.recv(65536)
                if not b:
                    return
                self.request.sendall(b)
        except OSError:
            return

class TCP(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

def dns():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("198.51.100.53", 53))
    ready.append("dns")
    while True:
        q, peer = s.recvfrom(4096)
        labels, i = [], 12
        try:
            while q[i]:
                labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
                i += 1 + q[i]
            qtype = int.from_bytes(q[i + 1:i + 3], "big")
        except IndexError:
            log("dns.log", "(malformed)")
            continue
        log("dns.log", "%s %d" % (".".join(labels), qtype))
        if ".".join(labels).endswith("slow.test"):
            continue  # a server that never answers: lookups hang until they time out
        # REFUSED, the question echoed, no answer.
        r = q[:2] + bytes([0x80 | (q[2] & 0x01), 0x05]) + q[4:6] + b"\0\0\0\0\0\0" + q[12:i + 5]
        s.sendto(r, peer)

def serve(srv):
    threading.Thread(target=srv.serve_forever, daemon=True).start()

ready = []
if role == "upstream":
    serve(HTTP(("0.0.0.0", 80), Handler))
    tls = TLS(("0.0.0.0", 443), Handler)
    tls.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.ctx.load_cert_chain(os.path.join(wdir, "t", "ca.pem"), os.path.join(wdir, "key.pem"))
    serve(tls)
    serve(TCP(("0.0.0.0", 7000), Echo))
    threading.Thread(target=dns, daemon=True).start()
    for _ in range(100):
        if ready:
            break
        time.sleep(0.05)
else:
    serve(HTTP(("127.0.0.1", 18080), Handler))
    serve(HTTP(("127.0.0.1", 18081), Handler))
open(os.path.join(wdir, "ready-" + role), "w").close()
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
# Never outlive the test: its shell gone, or an hour at most.
for _ in range(3600):
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
os._exit(0)
PY
}
