#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A user namespace root makes but maps to another host uid (a container's kind), and
its root's view of a process that joins it (test-bwrap.sh, userns_hostile_root).

usage: userns-hostile.py DIR
       userns-hostile.py --nested DIR UID

Forks a child into a new user namespace mapping 0..65535 to host 100000..165535
(root, the parent, writes the maps: the namespace's owner is 0), where it becomes
that namespace's root (every capability there, host uid 100000). It writes its
pid to DIR/ns.pid, waits for DIR/target.pid (the front end that joined its
namespace), then tries kill(pid, 0) and PTRACE_ATTACH, detaching at once if that
succeeds (harmless), and prints "signal OK|EPERM" and "ptrace OK|EPERM". The
parent waits for it (bounded: 20 s) and exits with its status.

--nested: UID makes a user namespace A (root maps 0 and UID into it), in which root
makes a namespace B (owner 0, 0 mapped to A's 0): B's owner reads as root, but UID
owns its parent and so holds every capability in B. Writes B's holder's pid to
DIR/ns.pid and keeps A and B until DIR/stop exists (bounded: 20 s).
"""
import ctypes
import os
import sys
import time

CLONE_NEWUSER = 0x10000000
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
libc = ctypes.CDLL(None, use_errno=True)


def wait_stop():
    for _ in range(200):
        if os.path.exists(os.path.join(sys.argv[2], "stop")):
            break
        time.sleep(0.1)


def holder(uid, setns_to=None, then=wait_stop):
    """A child in a new user namespace (made by uid, inside setns_to's if given),
    stopped until its maps are written, then running then(); returns (pid, pipe
    to release it)."""
    r, w = os.pipe()
    r2, w2 = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        os.close(w2)
        if setns_to is not None:
            fd = os.open("/proc/%d/ns/user" % setns_to, os.O_RDONLY)
            if libc.setns(fd, CLONE_NEWUSER) != 0:
                os._exit(6)
        if uid:
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        if libc.unshare(CLONE_NEWUSER) != 0:
            os._exit(3)
        os.write(w, b"x")
        os.read(r2, 1)
        then()
        os._exit(0)
    os.close(w)
    os.close(r2)
    os.read(r, 1)
    return pid, w2


def write_maps(pid, uid_map, gid_map, from_ns=None):
    """Writes pid's maps, from inside from_ns's user namespace if given (the
    kernel takes them only from the namespace's own or its parent)."""
    child = os.fork() if from_ns is not None else 0
    if child:
        _, st = os.waitpid(child, 0)
        if os.waitstatus_to_exitcode(st) != 0:
            sys.exit("writing the maps from inside the parent namespace failed")
        return
    if from_ns is not None:
        fd = os.open("/proc/%d/ns/user" % from_ns, os.O_RDONLY)
        if libc.setns(fd, CLONE_NEWUSER) != 0:
            os._exit(7)
    for name, text in (("uid_map", uid_map), ("gid_map", gid_map)):
        with open("/proc/%d/%s" % (pid, name), "w") as f:
            f.write(text)
    if from_ns is not None:
        os._exit(0)


if sys.argv[1] == "--nested":
    uid = int(sys.argv[3])
    a, ga = holder(uid)
    write_maps(a, "0 0 1\n%d %d 1\n" % (uid, uid), "0 0 1\n%d %d 1\n" % (uid, uid))
    os.write(ga, b"x")
    b, gb = holder(0, setns_to=a)
    write_maps(b, "0 0 1\n", "0 0 1\n", from_ns=a)
    os.write(gb, b"x")
    with open(os.path.join(sys.argv[2], "ns.pid"), "w") as f:
        f.write(str(b))
    for p in (b, a):
        os.waitpid(p, 0)
    sys.exit(0)

d = sys.argv[1]


def probe():
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    with open(os.path.join(d, "ns.pid"), "w") as f:
        f.write(str(os.getpid()))
    t = os.path.join(d, "target.pid")
    for _ in range(150):
        if os.path.exists(t) and open(t).read().strip():
            break
        time.sleep(0.1)
    else:
        os._exit(4)
    target = int(open(t).read())
    try:
        os.kill(target, 0)
        print("signal OK")
    except PermissionError:
        print("signal EPERM")
    if libc.ptrace(PTRACE_ATTACH, target, None, None) == 0:
        os.waitpid(target, 0x40000000)  # __WALL
        libc.ptrace(PTRACE_DETACH, target, None, None)
        print("ptrace OK")
    else:
        print("ptrace EPERM" if ctypes.get_errno() == 1 else "ptrace errno %d" % ctypes.get_errno())
    sys.stdout.flush()


pid, w2 = holder(0, then=probe)
write_maps(pid, "0 100000 65536", "0 100000 65536")
os.write(w2, b"x")
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        sys.exit(os.waitstatus_to_exitcode(st))
    time.sleep(0.05)
os.kill(pid, 9)
os.waitpid(pid, 0)
sys.exit(5)
