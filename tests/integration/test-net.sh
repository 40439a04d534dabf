#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The network modes (none, host, allowlist) against an offline world of network
# namespaces (networld.sh): the sandbox runs as `ip netns exec ag3n-cl-PID
# ag3ntum-sandbox ...`, as root (root mode) or as the test user through runuser
# (rootless mode: the world needs root, so this script always runs as root and
# takes the mode as $1), each check once in a fresh sandbox and once in a warm
# session. Every check ends by looking for leftovers: no process in the caller's
# netns but the world's own servers, no process carrying the run's tag, the
# caller's listeners as before.
MODE_ARG=${1:-root}
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/networld.sh"
case $MODE_ARG in
root | rootless) MODE=$MODE_ARG ;;
*) echo "usage: test-net.sh root|rootless" >&2; exit 2 ;;
esac
TEST_USER=${AG3_TEST_USER:-ag3ntum-test}
TAG=ag3n-tag-$$

why=$(world_unusable)
[ -z "$why" ] || skip_all "$why"
if [ $MODE = rootless ]; then
	id "$TEST_USER" >/dev/null 2>&1 || skip_all "no test user '$TEST_USER' (run tests/setup-test-user.sh as root)"
	runuser -u "$TEST_USER" -- test -x "$AG3" ||
		skip_all "'$TEST_USER' cannot run $AG3 (a parent directory is not world-searchable)"
	[ "$(cat /proc/sys/user/max_user_namespaces 2>/dev/null || echo 1)" != 0 ] ||
		skip_all "user namespaces are disabled (user.max_user_namespaces=0)"
fi

NETNS_BEFORE=$(ip netns list | sort)
ETC_NETNS_BEFORE=$([ -d /etc/netns ] && echo there)
trap world_down EXIT

# ------------------------------------------------------------------ helpers --

# Runs the binary in the caller's netns as the mode's user, with a clean
# environment; OUT, ERR, RC as sbx; fd 3 is $SCRATCH/rec.json (--json-fd 3).
nsbx() {
	local o=$SCRATCH/.out e=$SCRATCH/.err
	local -a as=()
	[ $MODE = rootless ] && as=(runuser -u "$TEST_USER" --)
	: >"$SCRATCH/rec.json"
	[ $MODE = rootless ] && chown "$TEST_USER" "$SCRATCH/rec.json"
	RC=0
	ip netns exec "$NW_CL" "${as[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp \
		${AG3NTUM_SANDBOX_INIT:+AG3NTUM_SANDBOX_INIT=$AG3NTUM_SANDBOX_INIT} \
		"$AG3" "$@" >"$o" 2>"$e" </dev/null 3>"$SCRATCH/rec.json" || RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	return 0
}

# Writes $1: a platform-format profile with the system directories, the hosts and
# resolver files of the caller (as the platform's fixtures bind them: in
# allowlist mode the sandbox must still get its own), the world's /t read-only,
# network_sandboxing $2 and the lines of $3 under sandbox.network.
write_net_profile() {
	{
		printf 'name: net-%s\nsandbox:\n  enabled: true\n' "${1%.yaml}"
		printf '  network_sandboxing: %s\n  static_mounts:\n' "$2"
		printf '    system_usr: {source: /usr, target: /usr, mode: ro}\n'
		printf '    system_bin: {source: /bin, target: /bin, mode: ro}\n'
		printf '    system_lib: {source: /lib, target: /lib, mode: ro}\n'
		printf '    system_lib64: {source: /lib64, target: /lib64, mode: ro, optional: true}\n'
		printf '    etc_hosts: {source: /etc/hosts, target: /etc/hosts, mode: ro}\n'
		printf '    etc_resolv: {source: /etc/resolv.conf, target: /etc/resolv.conf, mode: ro}\n'
		printf '    etc_nsswitch: {source: /etc/nsswitch.conf, target: /etc/nsswitch.conf, mode: ro, optional: true}\n'
		printf '    world: {source: %s, target: /t, mode: ro}\n' "$NW_DIR/t"
		printf '  session_mounts:\n'
		printf '    workspace: {source: "{workspace_dir}", target: /workspace, mode: rw}\n'
		printf '  network:\n    enabled: true\n%s\n' "$3"
	} >"$1"
}

# The sandbox for one check: a fresh exec per command, or a session opened from
# the profile (or --spec) in $@ and closed by net_done.
net_open() {
	OPEN_ARGS=("$@")
	S=
	[ "$VARIANT" = session ] || return 0
	mkdir -p run
	[ $MODE = rootless ] && chown "$TEST_USER" run
	S=$SCRATCH/run/s.sock
	nsbx session open --owner-pid $BASHPID --socket "$S" "${OPEN_ARGS[@]}"
	[ "$RC" = 0 ] || fail "session open failed ($RC): $ERR"
}

# Runs `sh -c SCRIPT` in the check's sandbox; exec options before `--`.
# The record is in $SCRATCH/rec.json.
run_in() {
	local -a opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	if [ "$VARIANT" = session ]; then
		nsbx exec --session "$S" --json-fd 3 --timeout 90 "${opts[@]}" -- "$@"
	else
		nsbx exec "${OPEN_ARGS[@]}" --json-fd 3 --timeout 90 "${opts[@]}" -- "$@"
	fi
}

# The in-sandbox shell prelude: `t KEY CMD...` prints one line "KEY rc=N OUTPUT".
PRELUDE='set -f; t() { k=$1; shift; o=$("$@" 2>&1); r=$?; printf "%s rc=%s %s\n" "$k" "$r" "$(printf "%s" "$o" | tr "\n" " ")"; }
PY=/usr/bin/python3 CURL="/usr/bin/curl -sS --max-time 10" NP="--noproxy *"'

# The line of $OUT for KEY matches the regex.
expect_line() {
	local line
	line=$(printf '%s\n' "$OUT" | grep -E "^$1 rc=" | head -n 1)
	[ -n "$line" ] || fail "no result for '$1' (status $RC): $OUT; stderr: $ERR"
	printf '%s' "$line" | grep -qE -- "^$1 $2" || fail "$1: expected /$2/, got: $line"
}

# The record has an event with kind $1, name $2, reason $3 (and port $4 if given).
expect_event() {
	"$NW_PY" - "$SCRATCH/rec.json" "$@" <<'PY' || fail "record lacks the event $*: $(head -c 3000 "$SCRATCH/rec.json")"
import json, sys
path, kind, name, reason = sys.argv[1:5]
port = int(sys.argv[5]) if len(sys.argv) > 5 else None
try:
    rec = json.loads(open(path).read().strip().splitlines()[-1])
except (ValueError, IndexError):
    sys.exit(1)
evs = (rec.get("network") or {}).get("events") or []
ok = any(e.get("kind") == kind and e.get("name") == name and e.get("reason") == reason and
         (port is None or e.get("port") == port) for e in evs)
sys.exit(0 if ok else 1)
PY
}

# Processes left in the caller's netns (but the world's servers) or carrying the
# run's tag, and the caller's TCP listeners: empty / as at the start, waited for
# (bounded: 5 s) since a session's last command may still be ending.
leftovers() {
	local ino p out end=$((SECONDS + 5))
	ino=$(stat -L -c %i "/run/netns/$NW_CL")
	while :; do
		out=
		for p in $(find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' \
			-lname "net:\[$ino\]" 2>/dev/null | cut -d/ -f3); do
			[ "$p" = "${NW_PIDS[1]}" ] && continue
			out+="pid $p in the caller's netns: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null); "
		done
		for p in $(pgrep -f -- "$TAG"); do
			out+="pid $p carries the tag: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null); "
		done
		[ "$(in_cl ss -ltnH | awk '{print $4}' | sort | tr '\n' ' ')" = "$LISTEN_BEFORE" ] ||
			out+="listeners in the caller's netns: $(in_cl ss -ltnH | awk '{print $4}' | tr '\n' ' ')"
		[ -z "$out" ] && return 0
		[ $SECONDS -lt $end ] || break
		sleep 0.1
	done
	echo "$out"
}

# Ends a check: closes its session, then fails on leftovers.
net_done() {
	if [ -n "${S:-}" ]; then
		nsbx session close "$S"
		[ "$RC" = 0 ] || fail "session close failed ($RC): $ERR"
		S=
	fi
	local l
	l=$(leftovers)
	[ -z "$l" ] || fail "teardown: $l"
}

# ------------------------------------------------------------------- checks --

# The world itself, seen from the caller's netns (outside any sandbox).
t_world() {
	local o
	o=$(in_cl curl -sS --max-time 5 http://api.allowed.test/) || fail "caller: curl api.allowed.test: $o"
	[ "$o" = "ag3n-world host=api.allowed.test addr=198.51.100.10" ] || fail "caller: body '$o'"
	o=$(in_cl curl -sS --max-time 5 --cacert "$NW_DIR/t/ca.pem" https://a.wild.test/) ||
		fail "caller: TLS a.wild.test: $o"
	[ "$o" = "ag3n-world host=a.wild.test addr=198.51.100.10" ] || fail "caller: TLS body '$o'"
	o=$(in_cl curl -sS --max-time 5 http://internal.test/) || fail "caller: internal.test: $o"
	[ "$o" = "ag3n-world host=internal.test addr=10.9.9.9" ] || fail "caller: internal.test body '$o'"
	o=$(in_cl curl -sS --max-time 5 http://127.0.0.1:18081/) || fail "caller: 18081: $o"
	[ "$o" = "ag3n-local port=18081" ] || fail "caller: 18081 body '$o'"
	# the fake upstream DNS server logs what reaches it (else "zero queries" proves nothing)
	in_cl getent hosts "canary-$$.world-check.test" >/dev/null && fail "canary resolved"
	[ "$(dns_queries_for world-check.test)" -ge 1 ] || fail "the DNS log missed the canary: $(cat "$NW_DIR/dns.log")"
	o=$(in_cl "$NW_PY" -c 'import socket
s = socket.create_connection(("echo.allowed.test", 7000), 5); s.sendall(b"ping"); print(s.recv(4).decode())') ||
		fail "caller: echo: $o"
	[ "$o" = ping ] || fail "caller: echo answered '$o'"
}

# 1. none: loopback only; a raw IP fails at once.
t_none() {
	write_net_profile p.yaml true '    allowed_domains: []'
	net_open --profile p.yaml
	run_in -- sh -c "$PRELUDE"'
t ifaces sh -c "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d \" \" | sort | tr \"\n\" ,"
s=$(date +%s%N); t curl $CURL --noproxy "*" --max-time 5 http://198.51.100.10/; e=$(date +%s%N)
echo "ms rc=0 $(( (e - s) / 1000000 ))"
t sysnet ls /sys/class/net'
	expect_line ifaces 'rc=0 lo,$'
	grep -q "\"mode\":\"$MODE\"" rec.json || fail "the record's enforcement mode is not $MODE: $(cat rec.json)"
	expect_line curl 'rc=[1-9]'
	local ms
	ms=$(printf '%s\n' "$OUT" | sed -n 's/^ms rc=0 //p')
	[ -n "$ms" ] && [ "$ms" -lt 2000 ] || fail "curl to a raw IP took ${ms}ms (not failing fast): $OUT"
	# /sys, when the profile has it, must show lo only too
	if printf '%s\n' "$OUT" | grep -q '^sysnet rc=0'; then
		expect_line sysnet 'rc=0 lo $'
	fi
	net_done
}

# 2. host: the caller's network (and names) as they are.
t_host() {
	write_net_profile p.yaml false '    allowed_domains: []'
	net_open --profile p.yaml
	run_in -- sh -c "$PRELUDE"'
t plain $CURL http://api.allowed.test/
t tls $CURL --cacert /t/ca.pem https://api.allowed.test/'
	expect_line plain 'rc=0 ag3n-world host=api.allowed.test addr=198.51.100.10'
	expect_line tls 'rc=0 ag3n-world host=api.allowed.test addr=198.51.100.10'
	net_done
}

ALLOW='    allowed_domains: ["api.allowed.test", "*.wild.test"]'

# 3. allowlist: the allowed names by proxy, by the DNS stub and relay, by TLS,
# by a plain socket; wildcards; the stub's addresses; the sandbox's own /etc.
t_allowlist() {
	write_net_profile p.yaml true "$ALLOW"
	net_open --profile p.yaml
	run_in -- sh -c "$PRELUDE"'
t proxy $CURL http://api.allowed.test/
t relay $CURL $NP http://api.allowed.test/
t tls $CURL --cacert /t/ca.pem https://api.allowed.test/
t tlsrelay $CURL $NP --cacert /t/ca.pem https://api.allowed.test/
t sock env -u HTTP_PROXY -u HTTPS_PROXY -u http_proxy -u https_proxy $PY /t/net.py get api.allowed.test 80
t wild $CURL $NP http://a.wild.test/
t wildtls $CURL --cacert /t/ca.pem https://b.wild.test/
t apex $CURL $NP http://wild.test/
t apexproxy $CURL -w " code=%{http_code}" http://wild.test/
t getent getent hosts api.allowed.test
t resolv grep -v "^#" /etc/resolv.conf
t hosts cat /etc/hosts
t proxyenv sh -c "echo \$HTTP_PROXY \$https_proxy \$NO_PROXY"'
	local body='ag3n-world host=api.allowed.test addr=198.51.100.10'
	expect_line proxy "rc=0 $body"
	expect_line relay "rc=0 $body"
	expect_line tls "rc=0 $body"
	expect_line tlsrelay "rc=0 $body"
	expect_line sock "rc=0 $body"
	expect_line wild 'rc=0 ag3n-world host=a.wild.test addr=198.51.100.10'
	expect_line wildtls 'rc=0 ag3n-world host=b.wild.test addr=198.51.100.10'
	expect_line apex 'rc=[1-9]'
	expect_line apexproxy 'rc=[0-9]+ .*code=4[0-9][0-9]'
	printf '%s\n' "$OUT" | grep -q '^apexproxy .*ag3n-world' && fail "wild.test reached through the proxy: $OUT"
	expect_line getent 'rc=0 127\.77\.[0-9]+\.[0-9]+ +api\.allowed\.test'
	expect_line resolv 'rc=0 nameserver 127\.0\.0\.53( options [a-z0-9: ]*)?$'
	printf '%s\n' "$OUT" | grep '^hosts ' | grep -qE 'allowed|blocked|internal|meta\.test|198\.51' &&
		fail "the sandbox's /etc/hosts has the caller's entries: $OUT"
	expect_line proxyenv 'rc=0 http://127\.77\.0\.1:3128 http://127\.77\.0\.1:3128 localhost,127\.0\.0\.1,::1'
	net_done
}

# 4. a name not in the allowlist: a resolve error, an event, a line on stderr.
t_blocked() {
	write_net_profile p.yaml true "$ALLOW"
	net_open --profile p.yaml
	local n0
	n0=$(http_requests)
	run_in --network-log -- sh -c "$PRELUDE"'
t relay $CURL $NP http://blocked.test/
t proxy $CURL -w " code=%{http_code}" http://blocked.test/'
	expect_line relay 'rc=6 '
	expect_line proxy 'rc=0 .*code=403$'
	[ "$(http_requests)" = "$n0" ] || fail "a request reached the world: $(tail -n 3 "$NW_DIR/http.log")"
	expect_event dns blocked.test not_allowed
	expect_err_has '^ag3ntum-sandbox: network: blocked\.test is not in the allowlist$'
	net_done
}

# 5. raw IPs: no route; the proxy refuses them.
t_raw_ip() {
	write_net_profile p.yaml true "$ALLOW"
	net_open --profile p.yaml
	local n0
	n0=$(http_requests)
	run_in -- sh -c "$PRELUDE"'
t curl $CURL $NP --max-time 5 http://198.51.100.10/
t sock $PY /t/net.py connect 198.51.100.10 80
t proxy $CURL -x http://127.77.0.1:3128 -w " code=%{http_code}" http://198.51.100.10/
t connect $CURL -x http://127.77.0.1:3128 -w " connect=%{http_connect}" -k https://198.51.100.10/'
	expect_line curl 'rc=7 '
	expect_line sock 'rc=0 errno=ENETUNREACH'
	# refused by the proxy itself (a missing proxy, code 000, proves nothing)
	expect_line proxy 'rc=[0-9]+ .*code=4[0-9][0-9]'
	expect_line connect 'rc=[1-9].*connect=4[0-9][0-9]'
	printf '%s\n' "$OUT" | grep -q 'ag3n-world' && fail "a raw IP reached the world: $OUT"
	[ "$(http_requests)" = "$n0" ] || fail "a request reached the world: $(tail -n 3 "$NW_DIR/http.log")"
	net_done
}

# 5b. landlock's TCP connect ports restricted to 443: the proxy HTTP_PROXY names
# stays reachable (the runtime adds its port), a direct port-80 connection does not.
t_landlock_ports() {
	write_net_profile p.yaml true "$ALLOW
  landlock:
    net_connect_ports: [443]"
	net_open --profile p.yaml
	run_in -- sh -c "$PRELUDE"'
t proxy $CURL http://api.allowed.test/
t direct $CURL $NP http://api.allowed.test/
t tls $CURL $NP --cacert /t/ca.pem https://api.allowed.test/'
	expect_line proxy 'rc=0 ag3n-world host=api.allowed.test'
	expect_line direct 'rc=7 '
	expect_line tls 'rc=0 ag3n-world host=api.allowed.test'
	net_done
}

# 6. DNS exfiltration: random subdomains of a name not allowed are NXDOMAIN, and
# not one query leaves.
t_dns_exfil() {
	write_net_profile p.yaml true "$ALLOW"
	net_open --profile p.yaml
	run_in -- sh -c "$PRELUDE"'
t exfil timeout 60 $PY /t/net.py exfil 200 exfil.test
t blocked getent hosts blocked.test'
	expect_line exfil 'rc=0 noname=200 other=0 resolved=0$'
	expect_line blocked 'rc=2 '
	local q
	q=$(dns_queries_for exfil.test)
	[ "$q" = 0 ] || fail "$q queries for exfil.test reached the upstream DNS server"
	q=$(dns_queries_for blocked.test)
	[ "$q" = 0 ] || fail "$q queries for blocked.test reached the upstream DNS server"
	net_done
}

# 7. the proxy's CONNECT: refused for names and ports not allowed.
t_connect() {
	write_net_profile p.yaml true "$ALLOW"
	net_open --profile p.yaml
	run_in -- sh -c "$PRELUDE"'
X="-x http://127.77.0.1:3128 --cacert /t/ca.pem"
t blocked $CURL $X -w " connect=%{http_connect}" https://blocked.test/
t allowed $CURL $X https://api.allowed.test/
t port22 $CURL $X -w " connect=%{http_connect}" https://api.allowed.test:22/'
	expect_line blocked 'rc=[1-9].*connect=403'
	expect_line allowed 'rc=0 ag3n-world host=api.allowed.test addr=198.51.100.10'
	expect_line port22 'rc=[1-9].*connect=403'
	expect_event connect blocked.test not_allowed 443
	expect_event connect api.allowed.test port_not_allowed 22
	net_done
}

# 8. private destinations: refused unless allowed (then they are reached: the
# refusal is the relay's, not the world's).
t_private() {
	write_net_profile p.yaml true '    allowed_domains: ["internal.test", "meta.test"]'
	net_open --profile p.yaml
	local n0
	n0=$(http_requests)
	run_in -- sh -c "$PRELUDE"'
t internal $CURL $NP http://internal.test/
t meta $CURL $NP http://meta.test/
t proxy $CURL -w " code=%{http_code}" http://meta.test/'
	expect_line internal 'rc=[1-9]'
	expect_line meta 'rc=[1-9]'
	printf '%s\n' "$OUT" | grep -q 'ag3n-world' && fail "a private destination was reached: $OUT"
	[ "$(http_requests)" = "$n0" ] || fail "a request reached the world: $(tail -n 3 "$NW_DIR/http.log")"
	expect_event connect internal.test private_address 80
	expect_event connect meta.test private_address 80
	net_done

	write_net_profile p.yaml true '    allowed_domains: ["internal.test"]
    allow_private_destinations: true'
	net_open --profile p.yaml
	run_in -- sh -c "$PRELUDE"'
t internal $CURL $NP http://internal.test/'
	expect_line internal 'rc=0 ag3n-world host=internal.test addr=10\.9\.9\.9'
	net_done
}

# 9. the caller's loopback: only the ports listed, only with allow_localhost.
t_localhost() {
	local script="$PRELUDE"'
t p18080 $CURL $NP http://127.0.0.1:18080/
t p18081 $CURL $NP http://127.0.0.1:18081/
t byname $CURL $NP http://localhost:18080/'
	write_net_profile p.yaml true '    allowed_domains: ["api.allowed.test"]
    allow_localhost: true
    localhost_ports: [18080]'
	net_open --profile p.yaml
	run_in -- sh -c "$script"
	expect_line p18080 'rc=0 ag3n-local port=18080$'
	expect_line p18081 'rc=[1-9]'
	expect_line byname 'rc=0 ag3n-local port=18080$'
	net_done

	write_net_profile p.yaml true '    allowed_domains: ["api.allowed.test"]
    allow_localhost: true'
	net_open --profile p.yaml
	run_in -- sh -c "$script"
	expect_line p18080 'rc=[1-9]'
	expect_line p18081 'rc=[1-9]'
	net_done

	write_net_profile p.yaml true '    allowed_domains: ["api.allowed.test"]
    allow_localhost: false'
	net_open --profile p.yaml
	run_in -- sh -c "$script"
	expect_line p18080 'rc=[1-9]'
	expect_line p18081 'rc=[1-9]'
	printf '%s\n' "$OUT" | grep -q 'ag3n-local' && fail "a caller's loopback service was reached: $OUT"
	net_done
}

# 10. a stalling and a flooding client do not block a third one.
t_flood_stall() {
	write_net_profile p.yaml true '    allowed_domains: ["api.allowed.test", "echo.allowed.test:7000"]'
	net_open --profile p.yaml
	run_in -- sh -c "$PRELUDE"'
$PY /t/net.py stall api.allowed.test 80 10 30 '"$TAG"' > /tmp/stall.out 2>&1 &
timeout 30 $PY /t/net.py flood echo.allowed.test 7000 50 25 '"$TAG"' > /tmp/flood.out 2>&1 &
sleep 3
t stall cat /tmp/stall.out
s=$(date +%s%N); t relay $CURL $NP http://api.allowed.test/; e=$(date +%s%N)
echo "relayms rc=0 $(( (e - s) / 1000000 ))"
s=$(date +%s%N); t proxy $CURL http://api.allowed.test/; e=$(date +%s%N)
echo "proxyms rc=0 $(( (e - s) / 1000000 ))"
t flood cat /tmp/flood.out'
	local body='ag3n-world host=api.allowed.test addr=198.51.100.10'
	expect_line stall 'rc=0 stalling 10'
	expect_line flood 'rc=0 sending'
	expect_line relay "rc=0 $body"
	expect_line proxy "rc=0 $body"
	local k ms
	for k in relayms proxyms; do
		ms=$(printf '%s\n' "$OUT" | sed -n "s/^$k rc=0 //p")
		[ -n "$ms" ] && [ "$ms" -lt 10000 ] || fail "$k: ${ms}ms while flooded/stalled"
	done
	net_done
}

# 10b. max_connections: a small limit (the profile's key, or else the compiled
# spec's field) refuses the connections beyond it, with a "limit" event.
t_max_connections() {
	write_net_profile p.yaml true '    allowed_domains: ["api.allowed.test"]
    max_connections: 4'
	if "$AG3" compile --profile p.yaml >spec.json 2>compile.err; then
		net_open --profile p.yaml
	else
		write_net_profile p.yaml true '    allowed_domains: ["api.allowed.test"]'
		"$AG3" compile --profile p.yaml >spec.json || fail "compile failed"
		"$NW_PY" - spec.json <<'PY' || skip_test "no max_connections in the profile ($(head -c 200 compile.err)) nor in the compiled spec's network"
import json, sys
d = json.load(open(sys.argv[1]))
net = d.get("network")
if not isinstance(net, dict) or "max_connections" not in net:
    sys.exit(1)
net["max_connections"] = 4
json.dump(d, open(sys.argv[1], "w"))
PY
		chmod 644 spec.json
		net_open --spec "$SCRATCH/spec.json"
	fi
	run_in -- sh -c "$PRELUDE"'
t limit $PY /t/net.py limit api.allowed.test 80 8'
	expect_line limit 'rc=0 ok=[1-4] '
	expect_event connect api.allowed.test limit 80
	net_done
}

# 10c. lookups hang (the upstream DNS server never answers *.slow.test): at most 16
# run at once, the rest are refused at once with a limit event, and nothing waits.
t_lookup_limit() {
	write_net_profile p.yaml true '    allowed_domains: ["*.slow.test"]'
	net_open --profile p.yaml
	run_in -- sh -c "$PRELUDE"'
t lookups $PY -c "
import socket, time
socks = []
for i in range(24):
    s = socket.socket(); s.setblocking(False)
    try: s.connect((\"n%d.slow.test\" % i, 80))
    except BlockingIOError: pass
    socks.append(s)
time.sleep(0.5)
gone, end = set(), time.time() + 3
while time.time() < end and len(gone) < 8:
    for i, s in enumerate(socks):
        if i in gone: continue
        try:
            if s.recv(1) == b\"\": gone.add(i)
        except BlockingIOError: pass
        except OSError: gone.add(i)
    time.sleep(0.05)
print(\"reset=%d\" % len(gone))
"'
	expect_line lookups 'rc=0 reset=8$'
	"$NW_PY" - "$SCRATCH/rec.json" <<'PY' || fail "the record lacks 8 limit events for *.slow.test: $(head -c 3000 "$SCRATCH/rec.json")"
import json, sys
rec = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
evs = (rec.get("network") or {}).get("events") or []
n = sum(1 for e in evs if e.get("reason") == "limit" and e.get("name", "").endswith(".slow.test"))
sys.exit(0 if n == 8 else 1)
PY
	net_done
}

# ---------------------------------------------------------------- the world --

nw_write_client() {
	cat <<'PY'
# In-sandbox helper of test-net.sh: plain sockets, no proxy.
import errno, os, random, socket, string, sys, time

def get(host, port):
    s = socket.create_connection((host, int(port)), 10)
    s.sendall(b"GET / HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    print(data.split(b"\r\n\r\n", 1)[-1].decode().strip())

def connect(ip, port):
    try:
        socket.create_connection((ip, int(port)), 5)
        print("connected")
    except OSError as e:
        print("errno=" + errno.errorcode.get(e.errno, str(e.errno)))

def exfil(n, domain):
    counts = {"noname": 0, "other": 0, "resolved": 0}
    end = time.time() + 50
    for _ in range(int(n)):
        if time.time() > end:
            break
        label = "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(40))
        try:
            socket.getaddrinfo(label + "." + domain, 80, proto=socket.IPPROTO_TCP)
            counts["resolved"] += 1
        except socket.gaierror as e:
            counts["noname" if e.errno == socket.EAI_NONAME else "other"] += 1
    print("noname=%(noname)d other=%(other)d resolved=%(resolved)d" % counts)

def stall(host, port, n, secs, tag):
    socks = [socket.create_connection((host, int(port)), 10) for _ in range(int(n))]
    print("stalling %d" % len(socks), flush=True)
    time.sleep(int(secs))

def flood(host, port, mb, secs, tag):
    s = socket.create_connection((host, int(port)), 10)
    s.settimeout(int(secs))
    print("sending", flush=True)
    chunk, sent, end = b"x" * 65536, 0, time.time() + int(secs)
    try:
        while sent < int(mb) << 20 and time.time() < end:
            sent += s.send(chunk)
    except OSError as e:
        print("stopped after %d bytes: %s" % (sent, e), flush=True)
    print("sent %d" % sent, flush=True)
    time.sleep(max(0, end - time.time()))

def limit(host, port, n):
    socks = []
    for _ in range(int(n)):
        try:
            socks.append(socket.create_connection((host, int(port)), 5))
        except OSError:
            pass
    ok = 0
    for s in socks:
        try:
            s.settimeout(5)
            s.sendall(b"GET / HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
            if b"ag3n-world" in s.recv(65536):
                ok += 1
        except OSError:
            pass
    print("ok=%d of %d connected" % (ok, len(socks)))

globals()[sys.argv[1]](*sys.argv[2:])
PY
}

if ! world_up >"${TMPDIR:-/tmp}/ag3n-up-$$.log" 2>&1; then
	echo "not ok 1 - [$MODE] the network world could not be built"
	sed 's/^/# /' "${TMPDIR:-/tmp}/ag3n-up-$$.log"
	rm -f "${TMPDIR:-/tmp}/ag3n-up-$$.log"
	echo "1..1"
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/ag3n-up-$$.log"
nw_write_client >"$NW_DIR/t/net.py"
chmod 644 "$NW_DIR/t/net.py"
LISTEN_BEFORE=$(in_cl ss -ltnH | awk '{print $4}' | sort | tr '\n' ' ')

run_test "world: the caller reaches the world, the DNS log works" t_world
for VARIANT in fresh session; do
	run_test "$VARIANT: none: lo only, a raw IP fails fast" t_none
	run_test "$VARIANT: host: the caller's network and names" t_host
	run_test "$VARIANT: allowlist: allowed names by proxy, relay, TLS, socket; wildcards" t_allowlist
	run_test "$VARIANT: a name not allowed: NXDOMAIN, a dns event, a stderr line" t_blocked
	run_test "$VARIANT: raw IPs: no route, the proxy refuses" t_raw_ip
	run_test "$VARIANT: landlock connect ports: the proxy stays reachable" t_landlock_ports
	run_test "$VARIANT: DNS exfiltration: NXDOMAIN and no upstream query" t_dns_exfil
	run_test "$VARIANT: CONNECT: only allowed names and ports" t_connect
	run_test "$VARIANT: private destinations refused unless allowed" t_private
	run_test "$VARIANT: the caller's loopback: only listed ports" t_localhost
	run_test "$VARIANT: a flooding and a stalling client do not block another" t_flood_stall
	run_test "$VARIANT: max_connections: a limit event" t_max_connections
	run_test "$VARIANT: hanging lookups: at most 16, the rest refused at once" t_lookup_limit
done

# Other programs (a parallel run) may add or remove netns of their own meanwhile:
# only this run's names must be gone, and /etc/netns as this run found it.
t_world_gone() {
	local now mine
	now=$(ip netns list | sort)
	mine=$(printf '%s\n' "$now" | grep -E -- "-$$"'( |$)' | tr '\n' ' ')
	[ -z "$mine" ] || fail "this run's netns are left: $mine"
	[ "$now" = "$NETNS_BEFORE" ] ||
		echo "# note: other netns changed meanwhile: $(diff <(echo "$NETNS_BEFORE") <(echo "$now") | grep '^[<>]' | tr '\n' ' ')"
	[ ! -e "$NW_ETC" ] || fail "$NW_ETC is left"
	if [ -n "$ETC_NETNS_BEFORE" ]; then
		[ -d /etc/netns ] || fail "/etc/netns was there before and is gone"
	elif [ -d /etc/netns ] && [ -z "$(ls -A /etc/netns)" ]; then
		fail "/etc/netns was created and left behind (empty)"
	fi
	[ -z "$(ls -d /tmp/ag3n-world-$$.* 2>/dev/null)" ] || fail "the world's directory is left"
}
# world_down in this shell (not run_test's subshell): it acts on this shell's state.
world_down
TAP_N=$((TAP_N + 1))
if o=$(set -e; t_world_gone 2>&1); then
	echo "ok $TAP_N - [$MODE] teardown: the netns list and /etc/netns as before"
	[ -z "$o" ] || printf '%s\n' "$o"
else
	echo "not ok $TAP_N - [$MODE] teardown: the netns list and /etc/netns as before"
	printf '%s\n' "$o" | sed 's/^/# /'
	TAP_FAILED=$((TAP_FAILED + 1))
fi
finish
