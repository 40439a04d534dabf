#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Host side of test-stdio.sh: runs `ag3ntum-sandbox exec` on a terminal (a pty
# this script makes, standing for the operator's) or on a socketpair, and checks
# what reaches the caller. Everything is bounded in time; only processes this
# script started are signalled, by pid. Prints one line per check failure and
# exits 1 on any, 0 when all held.
import fcntl, json, os, pty, select, signal, socket, struct, sys, termios, time

TIOCGEXCL = 0x80045440
AG3 = os.environ["AG3"]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def read_until_eof(fd, seconds):
    out, end = b"", time.monotonic() + seconds
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            continue
        try:
            d = os.read(fd, 65536)
        except OSError:
            break
        if not d:
            break
        out += d
    return out


def on_terminal(argv, feed=b"", feed_after=0.0, seconds=30):
    """Runs argv with stdin/stdout/stderr on a new pty, as the foreground job of
    that pty's session. Returns (status, output, report) where report holds the
    terminal's state before and after, read by the session leader."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
    rep_r, rep_w = os.pipe()
    jr, jw = os.pipe()
    pid = os.fork()
    if pid == 0:  # the operator's shell: session leader, the pty its terminal
        try:
            os.close(master); os.close(rep_r); os.close(jr)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for i in range(3):
                os.dup2(slave, i)
            winch = []
            signal.signal(signal.SIGWINCH, lambda *a: winch.append(1))
            before = {"termios": repr(termios.tcgetattr(0)),
                      "ws": fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8).hex()}
            child = os.fork()
            if child == 0:  # exec: in the shell's (foreground) process group
                os.dup2(jw, 3)
                os.execv(AG3, [AG3] + argv[:1] + ["--json-fd", "3"] + argv[1:])
            os.close(jw)
            t0 = time.monotonic()
            st = None
            while time.monotonic() - t0 < seconds:
                p, s = os.waitpid(child, os.WNOHANG)
                if p:
                    st = os.waitstatus_to_exitcode(s)
                    break
                time.sleep(0.05)
            if st is None:
                os.kill(child, signal.SIGKILL)
                os.waitpid(child, 0)
            after = {"termios": repr(termios.tcgetattr(0)),
                     "ws": fcntl.ioctl(0, termios.TIOCGWINSZ, b"\0" * 8).hex(),
                     "nonblock": bool(fcntl.fcntl(0, fcntl.F_GETFL) & os.O_NONBLOCK),
                     "excl": struct.unpack("i", fcntl.ioctl(0, TIOCGEXCL, b"\0" * 4))[0]}
            # Does the terminal still carry output? A stopped one blocks this write.
            signal.signal(signal.SIGALRM, lambda *a: None)
            signal.alarm(3)
            try:
                alive = os.write(1, b"\r\nTERMINAL-ALIVE\r\n") > 0
            except OSError:
                alive = False
            signal.alarm(0)
            rep = {"status": st, "before": before, "after": after, "winch": len(winch),
                   "alive": alive,
                   "seconds": time.monotonic() - t0}
            os.write(rep_w, json.dumps(rep).encode())
            os._exit(0)
        except BaseException as e:  # report, never hang
            os.write(rep_w, json.dumps({"error": repr(e)}).encode())
            os._exit(1)
    os.close(slave); os.close(rep_w); os.close(jw)
    if feed:
        time.sleep(feed_after)
        os.write(master, feed)
    out = read_until_eof(master, seconds + 10)
    os.waitpid(pid, 0)
    rep = json.loads(read_until_eof(rep_r, 5) or b'{"error": "no report"}')
    record = read_until_eof(jr, 2)
    rep["record"] = json.loads(record) if record.strip() else None
    return out, rep


def t_attacks():
    # The command tries everything that changed the operator's terminal.
    code = r"""
import fcntl, os, struct, termios
def tryit(f):
    try:
        return f()
    except OSError as e:
        return "error:%s" % e.errno
print("tty=%s fg=%s ws=%s" % (tryit(lambda: os.ttyname(0)),
      tryit(lambda: int(os.tcgetpgrp(0) == os.getpgrp())),
      tryit(lambda: fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8).hex())), flush=True)
def mode():
    a = termios.tcgetattr(0); a[3] &= ~(termios.ECHO | termios.ICANON)
    termios.tcsetattr(0, termios.TCSANOW, a)
tryit(lambda: fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 5, 5, 0, 0)))
tryit(lambda: fcntl.ioctl(0, termios.TIOCEXCL))
tryit(mode)
tryit(lambda: fcntl.fcntl(0, fcntl.F_SETFL, fcntl.fcntl(0, fcntl.F_GETFL) | os.O_NONBLOCK))
tryit(lambda: termios.tcflow(1, termios.TCOOFF))
"""
    out, rep = on_terminal(["exec", "--timeout", "20", "--json", "--", "python3", "-c", code])
    text = out.decode(errors="replace")
    check("error" not in rep, "harness: %s" % rep.get("error"))
    if "error" in rep:
        return
    check(rep["status"] == 0, "exec ended with %r (expected 0, within the bound)" % rep["status"])
    check(rep["seconds"] < 15, "exec took %.1f s" % rep["seconds"])
    check("tty=/dev/pts/" in text, "the command's stdin is a pty of the sandbox: %r" % text[:200])
    check("fg=1" in text, "the command is its terminal's foreground job: %r" % text[:200])
    check("ws=" + rep["before"]["ws"] in text, "the window size was passed on: %r" % text[:300])
    check(rep["after"]["termios"] == rep["before"]["termios"], "the terminal's modes were restored")
    check(rep["after"]["ws"] == rep["before"]["ws"], "the terminal's window size is unchanged")
    check(not rep["after"]["nonblock"], "O_NONBLOCK reached the caller's terminal")
    check(rep["after"]["excl"] == 0, "TIOCEXCL reached the caller's terminal")
    check(rep["winch"] == 0, "SIGWINCH reached the caller's process group")
    check(rep["alive"] and "TERMINAL-ALIVE" in text,
          "the caller's terminal still carries output (not stopped)")
    check(rep["record"] and rep["record"]["exit_code"] == 0, "the record on --json-fd: %r" % rep["record"])


def t_input():
    # Keystrokes reach the command through its pty; ^C is the pty's, not exec's.
    out, rep = on_terminal(["exec", "--timeout", "20", "--", "sh", "-c",
                            "read line; echo got:$line; sleep 30"],
                           feed=b"hello\r", feed_after=1.5)
    text = out.decode(errors="replace")
    check("got:hello" in text, "input reached the command: %r" % text[:200])
    out, rep2 = on_terminal(["exec", "--timeout", "20", "--", "sleep", "30"],
                            feed=b"\x03", feed_after=1.5)
    check(rep2.get("status") == 130, "^C ended the command by SIGINT through its own pty: %r"
          % rep2.get("status"))
    check(rep2.get("after", {}).get("termios") == rep2.get("before", {}).get("termios"),
          "the terminal's modes were restored after raw mode")


def t_socket_shutdown():
    # stdio is one socket: the command shuts it down and forges a partial record.
    a, b = socket.socketpair()
    code = ("import socket, os, sys; os.write(2, b'{\"status\": \"exited\", \"exit_code\": 0}')"
            "\ntry:\n s = socket.socket(fileno=os.dup(2)); s.shutdown(socket.SHUT_RDWR)\n"
            "except OSError:\n pass\nsys.exit(42)")
    p = os.fork()
    if p == 0:
        for i in range(3):
            os.dup2(b.fileno(), i)
        os.execv(AG3, [AG3, "exec", "--timeout", "20", "--json", "--", "python3", "-c", code])
    b.close()
    a.settimeout(25)
    data = b""
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            data += d
    except OSError:
        pass
    _, st = os.waitpid(p, 0)
    lines = data.decode(errors="replace").rstrip("\n").split("\n")
    try:
        rec = json.loads(lines[-1])
    except ValueError:
        rec = None
    check(os.waitstatus_to_exitcode(st) == 42, "exec's status %r" % os.waitstatus_to_exitcode(st))
    check(rec is not None and rec.get("exit_code") == 42,
          "the last line is the real record: %r" % lines[-1][:200])


tests = {"attacks": t_attacks, "input": t_input, "socket-shutdown": t_socket_shutdown}
tests[sys.argv[1]]()
sys.exit(1 if failures else 0)
