#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A small client of `ag3ntum-sandbox serve` (doc/serve-protocol.md) and the
scenarios test-serve.sh runs: python3 serve-client.py SCENARIO [ARGS...].
Standard library only. Every wait is bounded; a failed assertion exits 1."""
import base64
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

AG3 = os.environ["AG3"]
DEADLINE = 60.0


class Client:
    def __init__(self, sock, proc=None):
        self.sock = sock
        self.proc = proc
        self.buf = b""
        self.pos = 0  # stream offset of buf[0]
        self.fds = []  # (stream offset of the recvmsg chunk, [fds])
        self.lines = []  # parsed replies not yet taken

    @classmethod
    def stdio(cls):
        a, b = socket.socketpair()
        p = subprocess.Popen([AG3, "serve"], stdin=b, stdout=b)
        b.close()
        return cls(a, p)

    @classmethod
    def connect(cls, path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        return cls(s)

    def send(self, obj):
        self.send_raw((json.dumps(obj) + "\n").encode())

    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout):
        self.sock.settimeout(timeout)
        data, anc, _, _ = self.sock.recvmsg(1 << 20, socket.CMSG_SPACE(4 * 8))
        if not data:
            raise EOFError("serve closed the connection")
        got = []
        for level, typ, d in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                got += list(memoryview(d).cast("i"))
        if got:
            self.fds.append((self.pos + len(self.buf), got))
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            start = self.pos
            self.pos += len(line) + 1
            obj = json.loads(line)
            mine = [f for off, f in self.fds if off == start]
            self.fds = [(off, f) for off, f in self.fds if off != start]
            obj["_fds"] = mine[0] if mine else []
            obj["_t"] = time.monotonic()
            self.lines.append(obj)

    def recv(self, pred=lambda o: True, timeout=DEADLINE):
        end = time.monotonic() + timeout
        while True:
            for i, o in enumerate(self.lines):
                if pred(o):
                    return self.lines.pop(i)
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching reply; have %r" % self.lines[-5:])
            self._fill(left)

    def reply(self, id_, type_=None, timeout=DEADLINE):
        return self.recv(lambda o: o.get("id") == id_ and (type_ is None or o["type"] == type_),
                         timeout)

    def request(self, obj, type_=None):
        self.send(obj)
        return self.reply(obj.get("id"), type_)

    def run(self, req):
        """exec: started, the output chunks, the result."""
        self.send(req)
        started = self.reply(req["id"])
        assert started["type"] == "started", started
        out = {"stdout": b"", "stderr": b""}
        chunks = []
        while True:
            o = self.reply(req["id"])
            if o["type"] == "output":
                out[o["stream"]] += base64.b64decode(o["data"])
                chunks.append(o)
            elif o["type"] == "result":
                return o, out, chunks
            else:
                raise AssertionError("unexpected %r" % o)

    def close(self):
        self.sock.close()
        if self.proc:
            try:
                rc = self.proc.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("serve did not end at its stdin's end of file")
            assert rc == 0, "serve ended with %d" % rc


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def error_code(c, line_obj_or_raw, code):
    if isinstance(line_obj_or_raw, bytes):
        c.send_raw(line_obj_or_raw)
        o = c.recv(lambda o: o["type"] == "error")
    else:
        o = c.request(line_obj_or_raw)
    expect(o["type"] == "error" and o["code"] == code, "want %s, got %r" % (code, o))
    return o


def hello(c):
    h = c.recv()
    expect(h["type"] == "hello" and h["protocol"] == "ag3ntum.serve/1", h)
    expect(h["limits"]["max_line"] == 4 << 20 and h["limits"]["max_sessions"] == 16, h)
    return h


def open_session(c, ws, id_=1, **keys):
    o = c.request(dict({"op": "open", "id": id_, "workspace": ws}, **keys))
    expect(o["type"] == "opened", o)
    # what the sandbox enforces, downgrades included, is in the reply
    e = o["enforcement"]
    expect(isinstance(o["degraded"], list) and o["degraded"] == e["degraded"], o)
    expect("net" in e["namespaces"] and "pid" in e["namespaces"] and e["seccomp"] is True
           and "capabilities_dropped" not in e, o)
    return o["session"]


def sc_basics(ws, profile):
    c = Client.stdio()
    expect(hello(c)["fd_passing"] is True, "fd_passing over a socketpair")
    s = open_session(c, ws, profile=profile)
    r, out, _ = c.run({"op": "exec", "id": 2, "session": s, "argv": ["sh", "-c", "echo hi; echo err >&2; exit 3"]})
    expect(r["status"] == "exited" and r["exit_code"] == 3 and r["cli_exit_code"] == 3, r)
    expect(out == {"stdout": b"hi\n", "stderr": b"err\n"}, out)
    expect(r["record"]["status"] == "exited", r["record"])
    r, out, _ = c.run({"op": "exec", "id": 3, "session": s, "shell": "echo a; echo b >&2", "stderr": "merge"})
    expect(out["stdout"] == b"a\nb\n" and out["stderr"] == b"", out)
    r, out, _ = c.run({"op": "exec", "id": 4, "session": s, "argv": ["cat"],
                       "stdin": base64.b64encode(b"x" * 100000).decode()})
    expect(out["stdout"] == b"x" * 100000, "stdin came back short: %d" % len(out["stdout"]))
    r, out, _ = c.run({"op": "exec", "id": 5, "session": s, "shell": "echo cap; echo e >&2", "capture": True})
    expect(base64.b64decode(r["stdout"]) == b"cap\n" and base64.b64decode(r["stderr"]) == b"e\n", r)
    expect(out["stdout"] == b"", "capture streamed output")
    r, _, _ = c.run({"op": "exec", "id": 6, "session": s, "argv": ["sleep", "30"], "timeout_ms": 300})
    expect(r["status"] == "timeout" and r["cli_exit_code"] == 124, r)
    # streaming: chunks arrive while the command runs
    r, out, chunks = c.run({"op": "exec", "id": 7, "session": s,
                            "shell": "for i in 1 2 3; do echo $i; sleep 0.4; done"})
    expect(out["stdout"] == b"1\n2\n3\n", out)
    expect(len(chunks) >= 2 and r["_t"] - chunks[0]["_t"] > 0.6,
           "the output was not streamed: %d chunks" % len(chunks))
    # cancel
    c.send({"op": "exec", "id": "long", "session": s, "argv": ["sleep", "30"]})
    expect(c.reply("long")["type"] == "started", "started")
    time.sleep(0.2)
    o = c.request({"op": "cancel", "id": 8, "exec": "long"})
    expect(o["type"] == "ok", o)
    r = c.reply("long", "result", timeout=20)
    expect(r["status"] == "signaled", r)
    # check: a deny rule of the profile
    d = c.request({"op": "check", "id": 9, "session": s, "tool": "Bash", "input": {"command": "rm -rf /x"}})
    expect(d["type"] == "decision" and d["decision"] == "deny" and d["rule"] == "Bash(rm:*)", d)
    # the earlier denials of this run, as check's --denials: the second one warns
    d = c.request({"op": "check", "id": 23, "session": s, "tool": "Bash", "input": {"command": "rm x"},
                   "denials": 1})
    expect(d["decision"] == "deny" and "FINAL WARNING" in d["message"] and not d["interrupt"], d)
    d = c.request({"op": "check", "id": 24, "session": s, "tool": "Bash", "input": {"command": "rm x"},
                   "denials": 2})
    expect(d["interrupt"] is True and d["message"].startswith("TASK STOPPED"), d)
    error_code(c, {"op": "check", "id": 25, "session": s, "tool": "Bash", "input": {}, "denials": 3},
               "BAD_REQUEST")
    d = c.request({"op": "check", "id": 10, "session": s, "tool": "Bash", "input": {"command": "git status"}})
    expect(d["decision"] == "allow", d)
    # resolve: the file through the fd passed with the reply
    with open(os.path.join(ws, "f.txt"), "w") as f:
        f.write("content\n")
    o = c.request({"op": "resolve", "id": 11, "session": s, "operation": "read", "path": "f.txt", "fd": True})
    expect(o["type"] == "resolution" and o["allowed"] and o["fds"] == ["fd"] and len(o["_fds"]) == 1, o)
    with os.fdopen(o["_fds"][0], "rb") as f:
        expect(f.read() == b"content\n", "the fd reads something else")
    o = c.request({"op": "resolve", "id": 12, "session": s, "operation": "write", "path": "/etc/passwd", "fd": True})
    expect(o["allowed"] is False and o["reason"] == "OUTSIDE_ALLOWED" and not o["_fds"] and "fds" not in o, o)
    # check on a file tool's call the rules allow: the path goes through the resolver
    d = c.request({"op": "check", "id": 20, "session": s, "tool": "Write",
                   "input": {"file_path": "../../../etc/passwd", "content": "x"}})
    expect(d["decision"] == "deny" and d["reason"] == "PATH_TRAVERSAL" and d["rule"] is None
           and d["path"]["reason"] == "PATH_TRAVERSAL" and d["message"] == d["path"]["message"], d)
    d = c.request({"op": "check", "id": 21, "session": s, "tool": "Read",
                   "input": {"file_path": "/users/bob/sessions/x/workspace/.env"}})
    expect(d["decision"] == "deny" and d["reason"] == "CROSS_USER_ACCESS_BLOCKED", d)
    d = c.request({"op": "check", "id": 22, "session": s, "tool": "Read", "input": {"file_path": "f.txt"}})
    expect(d["decision"] == "allow" and "path" not in d, d)
    o = c.request({"op": "close", "id": 13, "session": s})
    expect(o["type"] == "closed", o)
    error_code(c, {"op": "exec", "id": 14, "session": s, "argv": ["true"]}, "NO_SUCH_SESSION")
    c.close()


def sc_errors(ws):
    c = Client.stdio()
    hello(c)
    s = open_session(c, ws)
    def still_works(i):
        r, out, _ = c.run({"op": "exec", "id": 1000 + i, "session": s, "argv": ["echo", "ok"]})
        expect(out["stdout"] == b"ok\n", "after an error: %r" % out)
    checks = [
        (b"{not json\n", "BAD_JSON"),
        (b"[1,2]\n", "BAD_JSON"),
        ({"op": "frobnicate", "id": 1}, "UNKNOWN_OP"),
        ({"op": "exec", "id": 2, "session": s, "argv": ["true"], "timeout": 5}, "BAD_REQUEST"),
        ({"op": "exec", "id": 3, "session": s, "argv": "true"}, "BAD_REQUEST"),
        ({"op": "exec", "id": 4, "session": s}, "BAD_REQUEST"),
        ({"op": "exec", "id": 5, "session": s, "argv": ["true"], "stdin": "!!"}, "BAD_REQUEST"),
        ({"op": "exec", "id": 6, "session": "s99", "argv": ["true"]}, "NO_SUCH_SESSION"),
        ({"op": "cancel", "id": 7, "exec": 12345}, "NO_SUCH_EXEC"),
        ({"op": "close", "id": 8, "session": "nope"}, "NO_SUCH_SESSION"),
        ({"op": "check", "id": 9, "spec": "/nonexistent.json", "tool": "Bash", "input": {}}, "NO_RULES"),
        ({"op": "open", "id": 10, "profile": "/nonexistent/p.yaml"}, "OPEN_FAILED"),
    ]
    for i, (req, code) in enumerate(checks):
        o = error_code(c, req, code)
        if code == "BAD_REQUEST" and i == 3:
            expect("'timeout'" in o["message"], "the unknown key is not named: %r" % o)
        still_works(i)
    # a line longer than 4 MiB, then a good one on the same connection
    c.send_raw(b'{"op":"exec","x":"' + b"a" * (5 << 20) + b'"}\n')
    o = c.recv(lambda o: o["type"] == "error")
    expect(o["code"] == "LINE_TOO_LONG" and o["id"] is None, o)
    still_works(50)
    # a duplicate exec id while the first runs
    c.send({"op": "exec", "id": "d", "session": s, "argv": ["sleep", "30"]})
    expect(c.reply("d")["type"] == "started", "started")
    error_code(c, {"op": "exec", "id": "d", "session": s, "argv": ["true"]}, "DUPLICATE_ID")
    time.sleep(0.3)  # cancelled before it starts, a command is a setup failure
    c.request({"op": "cancel", "id": 60, "exec": "d"})
    o = c.reply("d", "result", timeout=20)
    expect(o["status"] == "signaled", "cancelled: %r" % o)
    still_works(61)
    c.close()


def sc_flood(path, ws, stop_pid=None):
    """A client floods junk and does not read its replies; another one is served
    meanwhile; the flooder gets an answer to every line once it reads.

    serve stops reading a client that has more than 1 MiB of replies waiting
    (40000 junk lines earn 3.4 MiB), so how much of the flood goes out before
    the other client comes depends on the kernel's socket buffers and on how
    fast serve runs (about 330 KB here, 280 KB of junk; less when serve gets
    little CPU: a loaded machine, the sanitizers). What is left goes out once
    the flooder reads. With stop_pid, serve is stopped (SIGSTOP) for the first
    second of the flood: serve starved, as on a loaded CI machine."""
    lines = 40000
    junk = b"{junk}\n" * lines
    a = Client.connect(path)
    hello(a)
    a.sock.setblocking(False)
    sent = 0
    t0 = time.monotonic()
    if stop_pid:
        os.kill(int(stop_pid), signal.SIGSTOP)
    try:
        while sent < len(junk) and time.monotonic() - t0 < (1 if stop_pid else 5):
            try:
                sent += a.sock.send(junk[sent:])
            except BlockingIOError:
                time.sleep(0.01)
    finally:
        if stop_pid:
            os.kill(int(stop_pid), signal.SIGCONT)
    if stop_pid:
        expect(sent < len(junk), "a stopped serve took the whole flood: this run tests nothing")
    # the flood goes on: serve holds (or has not read) lines it owes 3.4 MiB of answers for
    b = Client.connect(path)
    hello(b)
    t = time.monotonic()
    s = open_session(b, ws)
    r, out, _ = b.run({"op": "exec", "id": 2, "session": s, "argv": ["echo", "fine"]})
    expect(out["stdout"] == b"fine\n", out)
    expect(b.request({"op": "close", "id": 3, "session": s})["type"] == "closed", "closed")
    expect(time.monotonic() - t < 20, "the second client was slowed down")
    b.close()
    # the flooder reads: it gets its answers, and sends the rest of its junk meanwhile
    n = 0
    end = time.monotonic() + 2 * DEADLINE
    idle_end = time.monotonic() + DEADLINE / 2
    while n < lines:
        now = time.monotonic()
        expect(now < idle_end, "the flooder got %d of %d answers (%d of %d bytes sent), then "
               "nothing for %d s" % (n, lines, sent, len(junk), DEADLINE / 2))
        expect(now < end, "the flooder got %d of %d answers (%d of %d bytes sent) in %d s"
               % (n, lines, sent, len(junk), 2 * DEADLINE))
        rd, wr, _ = select.select([a.sock], [a.sock] if sent < len(junk) else [], [], 1.0)
        if wr:
            a.sock.setblocking(False)
            try:
                sent += a.sock.send(junk[sent:])
                idle_end = time.monotonic() + DEADLINE / 2
            except BlockingIOError:
                pass
        if rd:
            a._fill(DEADLINE)  # readable: returns at once
        while a.lines:
            o = a.lines.pop(0)
            expect(o["type"] == "error" and o["code"] == "BAD_JSON", o)
            n += 1
            idle_end = time.monotonic() + DEADLINE / 2
    a.close()


def sc_disconnect(path, ws, secs):
    c = Client.connect(path)
    hello(c)
    s = open_session(c, ws)
    c.send({"op": "exec", "id": 2, "session": s, "argv": ["sleep", secs]})
    expect(c.reply(2)["type"] == "started", "started")
    def procs():
        return _procs(secs)
    end = time.monotonic() + 20
    while not procs() and time.monotonic() < end:
        time.sleep(0.1)
    expect(procs(), "the command never showed up")
    c.sock.close()
    end = time.monotonic() + 30
    while procs() and time.monotonic() < end:
        time.sleep(0.1)
    expect(not procs(), "the command outlived its client: %r" % procs())
    # serve itself is still there for the next client
    d = Client.connect(path)
    hello(d)
    d.close()


def _procs(secs):
    pat = re.compile(r"^sleep %s$" % secs)
    out = subprocess.run(["ps", "-eo", "args="], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if pat.match(l.strip())]


def sc_sigterm(path, ws, secs, pid):
    """A command runs when serve gets SIGTERM: the connection ends, the command too."""
    c = Client.connect(path)
    hello(c)
    s = open_session(c, ws)
    c.send({"op": "exec", "id": 2, "session": s, "argv": ["sleep", secs]})
    expect(c.reply(2)["type"] == "started", "started")
    end = time.monotonic() + 20
    while not _procs(secs) and time.monotonic() < end:
        time.sleep(0.1)
    expect(_procs(secs), "the command never showed up")
    os.kill(int(pid), 15)
    try:
        while True:
            c.recv(timeout=30)
    except EOFError:
        pass
    expect(not _procs(secs), "the command outlived serve's end")


def sc_hello(path, want):
    """Connects and prints the first reply's type (and code): for the uid checks."""
    c = Client.connect(path)
    o = c.recv(timeout=10)
    got = o["type"] + ("/" + o["code"] if o["type"] == "error" else "")
    expect(got == want, "want %s, got %r" % (want, o))
    c.close()


def sc_fdhoard(path, ws, pid):
    """A client sends resolve requests with fd and never reads: serve must not
    hold a descriptor per queued reply (up to its RLIMIT_NOFILE, when every
    other client's open fails with EMFILE), and another client still works."""
    with open(os.path.join(ws, "a.txt"), "w") as f:
        f.write("a")

    def nfds():
        return len(os.listdir("/proc/%s/fd" % pid))

    base = nfds()
    a = Client.connect(path)
    hello(a)
    s = open_session(a, ws)
    req = b"".join((json.dumps({"op": "resolve", "id": 10 + i, "session": s, "operation": "read",
                                "path": "a.txt", "fd": True}) + "\n").encode()
                   for i in range(20000))
    a.sock.setblocking(False)
    sent = 0
    t0 = time.monotonic()
    while sent < len(req) and time.monotonic() - t0 < 10:
        try:
            sent += a.sock.send(req[sent:])
        except BlockingIOError:
            time.sleep(0.01)
    # the jobs that were running finish (bounded wait), then count
    most = 0
    end = time.monotonic() + 3
    while time.monotonic() < end:
        most = max(most, nfds())
        time.sleep(0.1)
    expect(most - base < 100, "serve holds %d more descriptors for a client that does not read"
           % (most - base))
    b = Client.connect(path)
    hello(b)
    s2 = open_session(b, ws)
    r, out, _ = b.run({"op": "exec", "id": 2, "session": s2, "argv": ["echo", "fine"]})
    expect(out["stdout"] == b"fine\n", (r, out))
    o = b.request({"op": "resolve", "id": 3, "session": s2, "operation": "read", "path": "a.txt",
                   "fd": True})
    expect(o["allowed"] and len(o["_fds"]) == 1, o)
    os.close(o["_fds"][0])
    b.close()
    a.sock.close()


def sc_emfile(path, pid):
    """serve at its descriptor limit: a client it has no descriptor for is told
    LIMIT (not FORBIDDEN: nothing is wrong with it), serve does not spin on the
    readable listening socket, and once descriptors are free a client works."""
    def cpu_ticks():
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    held = []
    try:
        first = None
        for _ in range(100):  # serve's limit is 40 descriptors here
            c = Client.connect(path)
            held.append(c)
            o = c.recv(timeout=5)
            if o["type"] != "hello":
                first = o
                break
        expect(first is not None, "serve greeted 100 clients with 40 descriptors")
        expect(first["type"] == "error" and first["code"] == "LIMIT"
               and "descriptors" in first["message"], first)
        # more clients knock while it is full (bounded)
        for _ in range(5):
            held.append(Client.connect(path))
        hz = os.sysconf("SC_CLK_TCK")
        t0 = cpu_ticks()
        time.sleep(2)
        used = (cpu_ticks() - t0) / hz
        expect(used < 0.5, "serve spun at its descriptor limit: %.2f s of CPU in 2 s" % used)
    finally:
        for c in held:
            c.sock.close()
    time.sleep(0.3)
    c = Client.connect(path)
    expect(hello(c)["type"] == "hello", "no hello once descriptors were free again")
    c.close()

if __name__ == "__main__":
    name, args = sys.argv[1], sys.argv[2:]
    try:
        globals()["sc_" + name](*args)
    except (AssertionError, TimeoutError, EOFError, OSError, subprocess.SubprocessError) as e:
        print("FAIL %s: %s" % (name, e), file=sys.stderr)
        sys.exit(1)
