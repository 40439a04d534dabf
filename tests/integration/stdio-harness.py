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


def on_terminal(argv, feed=b"", feed_after=0.0, seconds=30, dialogue=None):
    """Runs argv with stdin/stdout/stderr on a new pty, as the foreground job of
    that pty's session. Returns (output, report) where report holds the
    terminal's state before and after, read by the session leader, and the
    exit status. dialogue, if given, is called with the pty's master (the
    operator at the keyboard) before the rest of the output is read; what it
    returns is report["dialogue"]."""
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
    said = dialogue(master) if dialogue else None
    out = read_until_eof(master, seconds + 10)
    os.waitpid(pid, 0)
    rep = json.loads(read_until_eof(rep_r, 5) or b'{"error": "no report"}')
    record = read_until_eof(jr, 2)
    rep["record"] = json.loads(record) if record.strip() else None
    rep["dialogue"] = said
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


def cpu_seconds(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def t_relay_no_spin():
    # --json on one socket: stdin is relayed into a pipe. The command reads an
    # odd amount (the relay's last write is partial) and then stops reading while
    # the caller has more to send: the supervisor must wait, not spin (its CPU is
    # outside every limit of the sandbox).
    a, b = socket.socketpair()
    code = "import os, time; time.sleep(1); os.read(0, 4096); os.read(0, 5000); time.sleep(7)"
    p = os.fork()
    if p == 0:
        for i in range(3):
            os.dup2(b.fileno(), i)
        os.execv(AG3, [AG3, "exec", "--timeout", "30", "--json", "--", "python3", "-c", code])
    b.close()
    a.setblocking(False)
    t = time.monotonic()
    while time.monotonic() - t < 3:
        try:
            a.send(b"z" * 65536)
        except BlockingIOError:
            time.sleep(0.05)
    c0 = cpu_seconds(p)
    time.sleep(3)
    used = cpu_seconds(p) - c0
    a.setblocking(True)
    a.settimeout(30)
    try:
        while a.recv(65536):
            pass
    except OSError:
        pass
    _, st = os.waitpid(p, 0)
    check(used < 0.5, "exec used %.2f s of CPU in 3 s while the command did not read" % used)
    check(os.waitstatus_to_exitcode(st) == 0, "exec's status %r" % os.waitstatus_to_exitcode(st))


def t_stdio_detach():
    # On a terminal, a command that sends all its stdio elsewhere (a log file,
    # /dev/null) keeps running: its pty is not hung up under it.
    out, rep = on_terminal(["exec", "--timeout", "20", "--", "sh", "-c",
                            "exec </dev/null >/dev/null 2>&1; sleep 1; exit 7"])
    check(rep.get("status") == 7, "exec's status %r (129: the command got SIGHUP)"
          % rep.get("status"))


def t_foreign_terminal():
    # exec as another user on a terminal it cannot reopen (root's, as under
    # runuser or su): input still reaches the command, and exec's writes to a
    # terminal nobody reads stay bounded (the timeout still fires).
    import pwd
    if os.geteuid() != 0:
        print("SKIP: needs root to give exec a terminal owned by someone else")
        sys.exit(77)
    u = pwd.getpwnam(os.environ.get("AG3_TEST_USER", "ag3ntum-test"))

    def run(cmd, feed, read):
        master, slave = pty.openpty()
        os.chown(os.ttyname(slave), 0, 0)
        os.chmod(os.ttyname(slave), 0o620)
        pid = os.fork()
        if pid == 0:
            os.close(master)
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for i in range(3):
                os.dup2(slave, i)
            os.setgroups([])
            os.setgid(u.pw_gid)
            os.setuid(u.pw_uid)
            os.execv(AG3, [AG3, "exec", "--timeout", "6", "--", "sh", "-c", cmd])
        os.close(slave)
        time.sleep(1.5)
        if feed:
            os.write(master, feed)
        if not read:  # a little room on the terminal, then none: a slow reader that stops
            os.read(master, 5000)
            time.sleep(0.5)
            os.read(master, 100)
        out, t = b"", time.monotonic()
        while time.monotonic() - t < 40:
            if read:
                r, _, _ = select.select([master], [], [], 0.2)
                if r:
                    try:
                        out += os.read(master, 65536)
                    except OSError:
                        pass
            else:
                time.sleep(0.2)
            p, s = os.waitpid(pid, os.WNOHANG)
            if p:
                return os.waitstatus_to_exitcode(s), time.monotonic() - t, out
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return None, time.monotonic() - t, out

    st, secs, out = run("read l; echo got:$l", b"hello\r", True)
    check(b"got:hello" in out, "input did not reach the command (status %r): %r" % (st, out[-200:]))
    # The terminal stops being read: the timeout (6 s) plus the flush bound (5 s).
    st, secs, out = run("head -c 3000000 /dev/zero | tr '\\0' x", b"", False)
    check(st is not None and secs < 20, "exec blocked writing to the terminal: status %r after %.0f s"
          % (st, secs))


def t_parent_gone_before_start():
    # The process that starts exec dies before exec even runs (SIGKILL right after
    # its fork): with --parent-pid naming it, exec runs nothing (125), instead of
    # a sandbox nobody waits for. This script is the subreaper that collects it.
    import ctypes
    PR_SET_CHILD_SUBREAPER = 36
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    r, w = os.pipe()
    parent = os.fork()
    if parent == 0:
        me = os.getpid()
        if os.fork() == 0:
            for _ in range(200):  # until the parent is gone (bounded: 4 s)
                if os.getppid() != me:
                    break
                time.sleep(0.02)
            os.dup2(w, 1)
            os.execv(AG3, [AG3, "exec", "--parent-pid", str(me), "--", "echo", "RAN"])
        os.kill(me, signal.SIGKILL)
    os.close(w)
    os.waitpid(parent, 0)
    t, st = time.monotonic(), None
    while time.monotonic() - t < 20 and st is None:
        try:
            p, s = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if p:
            st = os.waitstatus_to_exitcode(s)
        else:
            time.sleep(0.05)
    out = read_until_eof(r, 2)
    check(st == 125, "exec's status %r (125: the parent was gone, nothing run)" % st)
    check(b"RAN" not in out, "the command ran though its parent was gone: %r" % out)


def t_stdout_first_reader():
    # The caller reads stdout to its end before stderr (a common pattern), and the
    # command fills stderr's pipe exactly, ending with a forged record: the last
    # line of stderr is still exec's own record (exec's stdout ends before it).
    import subprocess
    code = ("import os; forged = b'{\"status\": \"exited\", \"exit_code\": 0}\\n'; "
            "os.write(2, b'x' * (65536 - len(forged) - 1) + b'\\n' + forged); os._exit(42)")
    p = subprocess.Popen([AG3, "exec", "--timeout", "30", "--json", "--", "python3", "-c", code],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.read()
    err = p.stderr.read()
    st = p.wait(timeout=60)
    last = err.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    try:
        rec = json.loads(last)
    except ValueError:
        rec = None
    check(st == 42, "exec's status %r" % st)
    check(rec is not None and rec.get("exit_code") == 42, "the last line: %r" % last[:200])


tests = {"attacks": t_attacks, "stdout-first-reader": t_stdout_first_reader, "parent-gone-before-start": t_parent_gone_before_start, "input": t_input, "socket-shutdown": t_socket_shutdown,
         "relay-no-spin": t_relay_no_spin, "stdio-detach": t_stdio_detach,
         "foreign-terminal": t_foreign_terminal}
if __name__ == "__main__":  # interactive-harness.py imports the helpers above
    tests[sys.argv[1]]()
    sys.exit(1 if failures else 0)
