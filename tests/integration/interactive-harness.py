#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Host side of test-interactive.sh: an operator at a real terminal (a pty this
# script makes; exec is the foreground job of its session, as under a login
# shell) types into `ag3ntum-sandbox exec` in a fresh sandbox or in a session,
# and reads what comes back. Usage: interactive-harness.py TEST fresh|session.
# The terminal plumbing is stdio-harness.py's (imported, not copied). Every
# wait is bounded; only this script's own processes are signalled, by pid.
# Prints one line per failed check; exits 1 on any, 0 when all held.
import importlib.util, os, random, re, select, signal, subprocess, sys, time
import fcntl, struct, termios

_spec = importlib.util.spec_from_file_location(
    "stdio_harness", os.path.join(os.path.dirname(os.path.abspath(__file__)), "stdio-harness.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)
AG3, check, on_terminal = h.AG3, h.check, h.on_terminal
NO_JOB_CONTROL = [b"no job control", b"cannot set terminal process group",
                  b"Inappropriate ioctl for device"]


class Keyboard:
    """The operator: types, and waits (bounded) for a pattern in the output."""

    def __init__(self, master):
        self.m, self.seen, self.pos = master, b"", 0

    def type(self, keys):
        os.write(self.m, keys)

    def expect(self, pattern, seconds=15):
        """The text from the last match to this one, or None (then a check fails).
        A leading ^ is the start of a line past what a shell's line editor
        writes there (\r, escape sequences such as bracketed paste's)."""
        end = time.monotonic() + seconds
        if pattern.startswith(b"^"):
            pattern = rb"(?:^|\r)(?:\r|\x1b\[[0-9;?]*[A-Za-z])*" + pattern[1:]
        rx = re.compile(pattern, re.M)
        while True:
            mt = rx.search(self.seen, self.pos)
            if mt:
                part, self.pos = self.seen[self.pos:mt.end()], mt.end()
                return part
            left = end - time.monotonic()
            if left <= 0:
                check(False, "no %r on the terminal within %d s; it shows: %r"
                      % (pattern, seconds, self.seen[self.pos:][-400:]))
                return None
            r, _, _ = select.select([self.m], [], [], min(left, 0.2))
            if r:
                try:
                    d = os.read(self.m, 65536)
                except OSError:
                    d = b""
                if not d:
                    check(False, "the terminal closed while waiting for %r: %r"
                          % (pattern, self.seen[self.pos:][-400:]))
                    return None
                self.seen += d


def sleeps(n):
    """Pids of processes on this host (any namespace) whose argv is exactly
    `sleep N`: the tag is unique to this run."""
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    if f.read().split(b"\0")[:-1] == [b"sleep", str(n).encode()]:
                        pids.append(int(p))
            except OSError:
                pass
    return pids


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def gone(n, what):
    """Checks that no `sleep N` is left (bounded wait); kills any that is."""
    ok = wait_for(lambda: not sleeps(n), 10)
    check(ok, "%s: sleep %d is still running after exec ended" % (what, n))
    for p in sleeps(n):
        os.kill(p, signal.SIGKILL)


def tag():
    return 7300000 + random.randrange(100000) * 7 + os.getpid() % 7


def job_control(exec_argv):
    n1, n2 = tag(), tag() + 1

    def talk(m):
        k = Keyboard(m)
        k.type(b"echo RE''ADY\r")
        k.expect(rb"^READY")
        k.type(b"sleep %d &\r" % n1)
        k.type(b"jobs; echo J''1\r")
        part = k.expect(rb"^J1") or b""
        check(re.search(rb"\[1\]\+? +Running +sleep %d &" % n1, part),
              "`jobs` does not list the background job: %r" % part)
        k.type(b"sleep %d\r" % n2)
        check(wait_for(lambda: sleeps(n2), 10), "the foreground sleep did not start")
        k.type(b"\x1a")  # Ctrl-Z
        part = k.expect(rb"Stopped +sleep %d" % n2) or b""
        k.type(b"jobs; echo J''2\r")
        part = k.expect(rb"^J2") or b""
        check(re.search(rb"\[2\]\+ +Stopped +sleep %d" % n2, part),
              "`jobs` does not show the stopped job: %r" % part)
        pids = sleeps(n2)
        check(pids and all(open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()[0] == "T"
                           for p in pids), "the stopped job is not stopped on the host: %r" % pids)
        k.type(b"fg %2\r")  # back in the foreground, then Ctrl-C
        k.expect(rb"^sleep %d" % n2)
        time.sleep(0.5)
        k.type(b"\x03")
        k.type(b"echo rc=$?\r")
        part = k.expect(rb"^rc=\d+") or b""
        check(b"rc=130" in part, "Ctrl-C on the foreground job: %r (130: SIGINT)" % part)
        k.type(b"kill -KILL %1; wait; exit 7\r")
        return k.seen

    # TERM as a terminal emulator sets it, whatever reaches the sandbox: bash's
    # line editor then writes escape sequences (bracketed paste) around lines
    out, rep = on_terminal(exec_argv + ["--", "env", "TERM=xterm-256color", "bash", "-i"], dialogue=talk, seconds=60)
    text = (rep.get("dialogue") or b"") + out
    check("error" not in rep, "harness: %s" % rep.get("error"))
    for w in NO_JOB_CONTROL:
        check(w not in text, "bash -i says %r: %r" % (w, text[:400]))
    check(rep.get("status") == 7, "exec's status %r (expected bash's 7)" % rep.get("status"))
    gone(n1, "the background job")
    gone(n2, "the stopped job")


def ctrl_c(exec_argv):
    # A plain command: ^C is the sandbox pty's, SIGINT reaches sleep, 130.
    n = tag()

    def press(m):
        check(wait_for(lambda: sleeps(n), 15), "sleep %d did not start" % n)
        os.write(m, b"\x03")

    out, rep = on_terminal(exec_argv + ["--", "sleep", str(n)], dialogue=press, seconds=30)
    check(rep.get("status") == 130, "^C: exec's status %r (130: SIGINT)" % rep.get("status"))
    check(rep.get("record") and rep["record"].get("signal") == signal.SIGINT,
          "the record names SIGINT: %r" % rep.get("record"))
    gone(n, "^C")
    # The signal is SIGINT: the command's handler names it, then dies of it.
    code = ("import os, signal, time\n"
            "def h(n, f):\n"
            "    os.write(1, b'GOT %s\\n' % signal.Signals(n).name.encode())\n"
            "    signal.signal(n, signal.SIG_DFL); os.kill(os.getpid(), n)\n"
            "signal.signal(signal.SIGINT, h)\n"
            "os.write(1, b'RE' + b'ADY\\n')\n"
            "for _ in range(300): time.sleep(0.1)\n")

    def press2(m):
        k = Keyboard(m)
        k.expect(rb"READY")
        k.type(b"\x03")
        return k.expect(rb"GOT \w+")

    out, rep = on_terminal(exec_argv + ["--", "python3", "-c", code], dialogue=press2, seconds=30)
    check(rep.get("dialogue") and b"GOT SIGINT" in rep["dialogue"],
          "the command's handler got %r" % rep.get("dialogue"))
    check(rep.get("status") == 130, "exec's status %r (130)" % rep.get("status"))


def winsize(exec_argv):
    # The operator's window is resized twice (the master's size set, as a
    # terminal emulator does: the kernel signals the foreground job, exec):
    # the command sees each new size on SIGWINCH, and `stty size` the last.
    code = ("import fcntl, os, signal, struct, sys, termios\n"
            "def show(*a):\n"
            "    r, c = struct.unpack('HHHH', fcntl.ioctl(0, termios.TIOCGWINSZ, bytes(8)))[:2]\n"
            "    os.write(1, b'SIZE %d %d\\n' % (r, c))  # not print: a handler may interrupt it\n"
            "signal.signal(signal.SIGWINCH, show)\n"
            "show()\n"
            "sys.stdin.readline()\n"
            "os.execvp('stty', ['stty', 'size'])\n")

    def resize(m):
        k = Keyboard(m)
        k.expect(rb"^SIZE 33 101")  # on_terminal's size at the start
        for rows, cols in ((45, 132), (50, 90)):
            fcntl.ioctl(m, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            k.expect(rb"^SIZE %d %d" % (rows, cols))
        k.type(b"\r")
        return k.expect(rb"^\d+ \d+")

    out, rep = on_terminal(exec_argv + ["--", "python3", "-c", code], dialogue=resize, seconds=30)
    check(rep.get("dialogue") and rep["dialogue"].strip().endswith(b"50 90"),
          "`stty size` after the resizes: %r" % rep.get("dialogue"))
    check(rep.get("status") == 0, "exec's status %r" % rep.get("status"))


def tty(exec_argv):
    out, rep = on_terminal(exec_argv + ["--", "tty"])
    check(rep.get("status") == 0, "tty's status %r: %r" % (rep.get("status"), out[:200]))
    check(re.match(rb"/dev/pts/\d+\r\n", out), "tty printed %r" % out[:200])
    out, rep = on_terminal(exec_argv + ["--", "sh", "-c",
                                        "test -t 0 && test -t 1 && test -t 2 && echo ALL-TTY"])
    check(rep.get("status") == 0 and b"ALL-TTY" in out,
          "test -t 0/1/2: status %r, %r" % (rep.get("status"), out[:200]))


def main():
    test, mode = sys.argv[1], sys.argv[2]
    fn = {"job-control": job_control, "ctrl-c": ctrl_c, "winsize": winsize, "tty": tty}[test]
    if mode == "fresh":
        return fn(["exec", "--timeout", "60"])
    sock = os.path.abspath("s.sock")
    opened = subprocess.run([AG3, "session", "open", "--owner-pid", str(os.getpid()),
                             "--socket", sock], capture_output=True, timeout=60)
    check(opened.returncode == 0, "session open: %r" % opened.stderr)
    if opened.returncode:
        return
    try:
        fn(["exec", "--session", sock, "--timeout", "60"])
        # the session outlives the command and its ^C
        r = subprocess.run([AG3, "exec", "--session", sock, "--", "echo", "alive"],
                           capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
        check(r.returncode == 0 and r.stdout == b"alive\n", "the session after: %r" % (r,))
    finally:
        subprocess.run([AG3, "session", "close", sock], capture_output=True, timeout=60)


main()
sys.exit(1 if h.failures else 0)
