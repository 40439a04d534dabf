#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The session API (ag3_session_open/exec/close) from a multi-threaded consumer
# built against the shared library alone (api-session.c), in root and rootless
# mode: as a plain program, with its own SIGCHLD handler, and with SIGCHLD
# ignored. And the broker it starts (`session serve`) checks the spec it is
# given with the uid policy it is given, as `exec --spec` does.
# Usage: test-api-session.sh API_SESSION_BINARY
source "$(dirname "$0")/lib.sh"
BIN=$(readlink -f "${1:?the api-session binary}")
export AG3NTUM_SANDBOX_BIN=$AG3

run_mode() {
	mkdir ws
	chmod 777 ws
	local rc=0
	timeout 240 "$BIN" "$PWD/ws" "$1" > out.txt 2>&1 || rc=$?
	cat out.txt
	[ $rc = 0 ] || fail "api-session $1 failed ($rc)"
	grep -q ' 0 failures$' out.txt || fail "no summary line"
}

t_threads_plain() { run_mode plain; }
t_threads_own_sigchld_handler() { run_mode sigchld; }
t_threads_sigchld_ignored() { run_mode sigign; }

# The broker checks the spec on its spec fd with the uid policy it is given, as
# `exec --spec` does, whatever the library checked before: gid 1500 is refused
# under --uid-mode isolated (the reason sent as the hello on the control socket,
# nothing built), and passes that check under --uid-mode direct.
t_broker_rechecks_the_spec() {
	"$AG3" compile > spec.json || fail "compile"
	python3 - "$AG3" spec.json <<'PY' || fail "the broker did not check the spec with its uid policy"
import fcntl, json, os, socket, struct, subprocess, sys
ag3, path = sys.argv[1], sys.argv[2]
spec = json.load(open(path))
spec["identity"]["uid"], spec["identity"]["gid"] = 50001, 1500
for mode in ("isolated", "direct"):
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    m = os.memfd_create("spec", 0)
    os.write(m, json.dumps(spec).encode())
    # above 4 first: dup2 onto 3 and 4 must not clobber one another
    hi_b, hi_m = fcntl.fcntl(b.fileno(), fcntl.F_DUPFD, 10), fcntl.fcntl(m, fcntl.F_DUPFD, 10)
    os.close(m)
    b.close()
    p = subprocess.Popen([ag3, "session", "serve", "--control-fd", "3", "--spec-fd", "4",
                          "--uid-mode", mode],
                         pass_fds=(3, 4), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL,
                         preexec_fn=lambda: (os.dup2(hi_b, 3), os.dup2(hi_m, 4)))
    os.close(hi_b)
    os.close(hi_m)
    a.settimeout(60)
    hello = a.recv(65536)
    a.close()  # the control socket's end: a session that was built ends
    rc = p.wait(60)
    magic, err = struct.unpack_from("<Ii", hello)
    text_len = struct.unpack_from("<I", hello, 56)[0]  # the header's last field
    text = hello[len(hello) - text_len:].split(b"\0")[0].decode(errors="replace")
    print("#", mode, "rc", rc, "err", err, text[:200])
    assert magic == 0x49483341, magic
    if mode == "isolated":
        assert err != 0 and rc == 125 and "identity.gid" in text and "1500" in text, text
    else:
        assert "identity.gid" not in text, text
PY
}

for t in $(declare -F | awk '{print $3}' | grep '^t_'); do
	run_test "${t#t_}" "$t"
done
finish
