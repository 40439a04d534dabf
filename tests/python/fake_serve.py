#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A stand-in for `ag3ntum-sandbox serve` (stdio mode) that speaks
doc/serve-protocol.md without any sandbox: commands run as plain children.
It exists to test the client's protocol handling (ids, interleaving, fds
with SCM_RIGHTS, errors) apart from serve; test_session.py runs against the
real serve. Invoked as `fake_serve.py serve`.
"""

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading

sock = socket.socket(fileno=os.dup(1))
lock = threading.Lock()
running = {}
sessions = set()


def send(obj, fds=()):
    line = (json.dumps(obj) + "\n").encode()
    with lock:
        if fds:
            sock.sendmsg([line], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                   b"".join(fd.to_bytes(4, "little") for fd in fds))])
        else:
            sock.sendall(line)


def start(req):
    """Started in request order (as serve does), so a cancel right after finds it."""
    rid = req.get("id")
    argv = req["argv"] if "argv" in req else ["/bin/sh", "-c", req["shell"]]
    merge = req.get("stderr") == "merge"
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT if merge else subprocess.PIPE,
                         start_new_session=True)
    running[rid] = p
    send({"id": rid, "type": "started", "exec": rid})
    threading.Thread(target=finish, args=(req, p), daemon=True).start()


def finish(req, p):
    rid = req.get("id")
    stdin = base64.b64decode(req.get("stdin", ""))
    timed_out = []
    t = None
    if req.get("timeout_ms"):
        def expire():
            timed_out.append(1)
            os.killpg(p.pid, signal.SIGKILL)
        t = threading.Timer(req["timeout_ms"] / 1000, expire)
        t.start()
    out, err = p.communicate(stdin)
    if t:
        t.cancel()
    running.pop(rid, None)
    res = {"id": rid, "type": "result", "duration_ms": 1, "record": {"fake": True}}
    if timed_out:
        res.update(status="timeout", exit_code=None, signal=9, cli_exit_code=124)
    elif p.returncode < 0:
        res.update(status="signaled", exit_code=None, signal=-p.returncode,
                   cli_exit_code=128 - p.returncode)
    else:
        res.update(status="exited", exit_code=p.returncode, signal=0, cli_exit_code=p.returncode)
    if req.get("capture"):
        res.update(stdout=base64.b64encode(out).decode(), stderr=base64.b64encode(err or b"").decode(),
                   stdout_truncated=False, stderr_truncated=False)
    else:
        for name, data in (("stdout", out), ("stderr", err)):
            for i in range(0, len(data or b""), 65536):
                send({"id": rid, "type": "output", "stream": name,
                      "data": base64.b64encode(data[i:i + 65536]).decode()})
    send(res)


def handle(req):
    rid = req.get("id")
    op = req.get("op")
    if op == "open":
        sessions.add("s1")
        send({"id": rid, "type": "opened", "session": "s1", "network": "none", "uid": 1, "gid": 1,
              "cwd": "/workspace", "degraded": []})
    elif op == "exec":
        if req.get("session") not in sessions:
            send({"id": rid, "type": "error", "code": "NO_SUCH_SESSION", "message": "no session"})
            return
        if len(base64.b64decode(req.get("stdin", ""))) > 1 << 20:
            send({"id": rid, "type": "error", "code": "BAD_REQUEST", "message": "stdin too large"})
            return
        start(req)
    elif op == "cancel":
        p = running.get(req.get("exec"))
        if p is None:
            send({"id": rid, "type": "error", "code": "NO_SUCH_EXEC", "message": "no exec"})
            return
        os.killpg(p.pid, signal.SIGTERM)
        send({"id": rid, "type": "ok"})
    elif op == "close":
        sessions.discard(req.get("session"))
        send({"id": rid, "type": "closed"})
    elif op == "check":
        deny = ".env" in json.dumps(req.get("input"))
        send({"id": rid, "type": "decision", "decision": "deny" if deny else "allow",
              "reason": "BLOCKLIST" if deny else "ALLOWED", "message": "fake", "rule": None})
    elif op == "resolve":
        path = req["path"]
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as e:
            send({"id": rid, "type": "resolution", "allowed": False, "reason": "NOT_FOUND",
                  "message": str(e), "path": path})
            return
        rep = {"id": rid, "type": "resolution", "allowed": True, "reason": "ALLOWED",
               "message": "ok", "operation": req["operation"], "path": path, "sandbox_path": path,
               "host_path": path, "readonly": False, "is_directory": False}
        if req.get("fd"):
            rep["fds"] = ["fd"]
            send(rep, [fd])
        else:
            send(rep)
        os.close(fd)
    else:
        send({"id": rid, "type": "error", "code": "UNKNOWN_OP", "message": f"unknown op {op!r}"})


def main():
    send({"type": "hello", "protocol": "ag3ntum.serve/1", "version": "fake", "fd_passing": True,
          "limits": {"max_line": 4194304, "max_sessions": 16, "max_running": 64,
                     "max_stdin": 1048576}})
    buf = b""
    while True:
        data = sock.recv(65536)
        if not data:
            break
        buf += data
        *lines, buf = buf.split(b"\n")
        for line in lines:
            try:
                req = json.loads(line)
            except ValueError:
                send({"id": None, "type": "error", "code": "BAD_JSON", "message": "bad json"})
                continue
            handle(req)
    for p in list(running.values()):
        os.killpg(p.pid, signal.SIGKILL)


if __name__ == "__main__" and sys.argv[1:] == ["serve"]:
    main()
