#!/usr/bin/env python3
"""A raw session client (red team): speaks the request wire of runtime/cmdreq.c.

Usage: rawclient.py SOCKET MODE [args...]
  run ARGV...           : a well-formed request, stdio = /dev/null,1,2; prints what comes back
  selfstdin ARGV...     : stdin of the command = this connection's own client end (outlive probe),
                          then exits at once without waiting
  close                 : a close request
  hold N SECONDS        : N connections that say nothing, held SECONDS
  fuzz                  : malformed requests, each on its own connection; prints the answers
  door                  : from inside a sandbox: is the session's socket usable (an ok hello)
                          or replaceable (its directory writable for us, and not sticky or ours)?
                          Prints "DOOR: ..." for each door found open; walks through none.
"""
import array, os, socket, struct, sys, time

CMDREQ_MAGIC = 0x52433341
HELLO_MAGIC = 0x49483341
CLOSE_MAGIC = 0x4C433341
TERMIOS = 60
WINSIZE = 8

def hdr(n_argv, n_env, blob_len, pty_mask=0, flags=0, reserved=0, magic=CMDREQ_MAGIC, version=1):
    return struct.pack("<8I", magic, version, pty_mask, n_argv, n_env, flags, blob_len, reserved) + \
        b"\0" * (TERMIOS + WINSIZE)

def request(argv, env=(), cwd=None, **kw):
    blob = b"".join(a.encode() + b"\0" for a in argv) + b"".join(e.encode() + b"\0" for e in env)
    flags = 0
    if cwd is not None:
        blob += cwd.encode() + b"\0"
        flags |= 4
    return hdr(len(argv), len(env), len(blob), flags=flags, **kw) + blob

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    h = s.recv(70000)
    magic, = struct.unpack_from("<I", h)
    assert magic == HELLO_MAGIC, hex(magic)
    return s, h

def send(s, payload, fds=()):
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    return s.sendmsg([payload], anc)

def answers(s, limit=3.0):
    out = []
    s.settimeout(limit)
    try:
        while True:
            msg, anc, fl, _ = s.recvmsg(8192, socket.CMSG_SPACE(16))
            if not msg:
                break
            for lvl, typ, data in anc:
                if typ == socket.SCM_RIGHTS:
                    for fd in array.array("i", data[: len(data) - len(data) % 4]):
                        os.close(fd)
            t, = struct.unpack_from("<i", msg)
            out.append((t, len(msg), bytes(x for x in msg if 32 <= x < 127)[:200]))
    except (socket.timeout, ConnectionResetError):
        pass
    return out

def main():
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "run":
        s, _ = connect(path)
        null = os.open("/dev/null", os.O_RDWR)
        send(s, request(sys.argv[3:]), [null, 1, 2])
        for a in answers(s, 10):
            print("answer", a)
    elif mode == "selfstdin":
        s, _ = connect(path)
        send(s, request(sys.argv[3:]), [s.fileno(), 1, 2])
        print("sent; exiting without waiting", flush=True)
        os._exit(0)
    elif mode == "close":
        s, _ = connect(path)
        s.send(struct.pack("<2I", CLOSE_MAGIC, 0))
        print("close answer:", s.recv(100))
    elif mode == "hold":
        n, secs = int(sys.argv[3]), float(sys.argv[4])
        held = []
        for _ in range(n):
            try:
                held.append(connect(path)[0])
            except Exception as e:
                print("connect", len(held), e)
                break
        print("holding", len(held), flush=True)
        time.sleep(secs)
    elif mode == "door":
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.settimeout(10)
            s.connect(path)
            h = s.recv(70000)
            magic, err = struct.unpack_from("<Ii", h)
            if magic == HELLO_MAGIC and err == 0:
                print("DOOR: the session accepts a connection from inside its sandbox")
            else:
                print("closed: hello err", err)
        except OSError as e:
            print("closed: connect:", e)
        d = os.path.dirname(os.path.abspath(path))
        st = os.stat(d)
        owner = os.lstat(path).st_uid if os.path.lexists(path) else -1
        sticky = bool(st.st_mode & 0o1000)
        if os.access(d, os.W_OK | os.X_OK) and (not sticky or owner == os.getuid() or st.st_uid == os.getuid()):
            print("DOOR: the session's socket can be replaced from inside its sandbox (directory", d, "writable)")
    elif mode == "fuzz":
        null = os.open("/dev/null", os.O_RDWR)
        cases = {
            "short": (b"A3CR", [null, 1, 2]),
            "magic only 4": (struct.pack("<I", CMDREQ_MAGIC), []),
            "huge n_argv": (hdr(0xFFFFFFFF, 0, 2) + b"x\0", [null, 1, 2]),
            "n_argv 0": (hdr(0, 0, 2) + b"x\0", [null, 1, 2]),
            "blob_len lies": (hdr(1, 0, 100) + b"x\0", [null, 1, 2]),
            "blob_len wraps": (hdr(1, 0, 0xFFFFFFFF) + b"x\0", [null, 1, 2]),
            "unterminated": (hdr(1, 0, 3) + b"abc", [null, 1, 2]),
            "n_env says more": (hdr(1, 5, 2) + b"x\0", [null, 1, 2]),
            "env without =": (request(["/bin/true"], ["NOEQUALS"]), [null, 1, 2]),
            "env LD_PRELOAD": (request(["/bin/sh", "-c", "echo LDP=$LD_PRELOAD"], ["LD_PRELOAD=/workspace/x.so"]), [null, 1, 2]),
            "cwd ..": (request(["/bin/true"], cwd="/workspace/../etc"), [null, 1, 2]),
            "cwd relative": (request(["/bin/true"], cwd="etc"), [null, 1, 2]),
            "cwd via symlink": (request(["/bin/pwd"], cwd="/workspace/lnk"), [null, 1, 2]),
            "no fds": (request(["/bin/true"]), []),
            "one fd": (request(["/bin/true"]), [null]),
            "four fds": (request(["/bin/true"]), [null, 1, 2, null]),
            "many fds": (request(["/bin/true"]), [null] * 250),
            "pty_mask 8": (hdr(1, 0, 2, pty_mask=8) + b"x\0", [null, 1, 2]),
            "flags 8": (hdr(1, 0, 2, flags=8) + b"x\0", [null, 1, 2]),
            "reserved": (hdr(1, 0, 2, reserved=1) + b"x\0", [null, 1, 2]),
            "version 2": (hdr(1, 0, 2, version=2) + b"x\0", [null, 1, 2]),
            "empty argv0": (hdr(1, 0, 1) + b"\0", [null, 1, 2]),
            "trailing bytes": (hdr(1, 0, 4) + b"x\0yz", [null, 1, 2]),
            "oversize": (request(["/bin/true", "a" * 200000]), [null, 1, 2]),
            "pty all, termios garbage": (struct.pack("<8I", CMDREQ_MAGIC, 1, 7, 1, 0, 3, 2, 0) + b"\xff" * (TERMIOS + WINSIZE) + b"x\0", []),
            "8192 args": (request(["/bin/true"] + ["a"] * 8191), [null, 1, 2]),
        }
        for name, (payload, fds) in cases.items():
            try:
                s, _ = connect(path)
                try:
                    send(s, payload, fds)
                except OSError as e:
                    print(f"{name:28s} send: {e}")
                    continue
                print(f"{name:28s}", answers(s, 5))
            except Exception as e:
                print(f"{name:28s} EXC {e!r}")
    else:
        sys.exit("unknown mode")

main()
