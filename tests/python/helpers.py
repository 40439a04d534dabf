# SPDX-License-Identifier: MIT
"""Shared by the Python tests: a workspace, a platform-style config, pid checks."""

import os
import shutil
import subprocess
import tempfile
import time

CLI = os.environ.get("AG3NTUM_SANDBOX", "")
ROOT = os.geteuid() == 0
UID = 50000  # the platform's linux_uid range; rootless maps our own uid to it


class FakeModel:
    """Attribute access as the platform's pydantic models give (no model_dump)."""

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


def make_workspace(test):
    base = tempfile.mkdtemp(prefix="ag3-pytest.")
    os.chmod(base, 0o755)
    test.addCleanup(shutil.rmtree, base, True)
    ws = os.path.join(base, "users", "alice", "sessions", "s1", "workspace")
    os.makedirs(ws)
    if ROOT:
        os.chown(ws, UID, UID)
    return base, ws


def platform_config(ws, extra_static=None, network=False, secrets=None, as_objects=True):
    """The shipped profile's shape (reference 11.4), every source present."""
    static = {
        "system_usr": {"source": "/usr", "target": "/usr", "mode": "ro", "optional": False},
        "system_lib": {"source": "/lib", "target": "/lib", "mode": "ro", "optional": False},
        "system_bin": {"source": "/bin", "target": "/bin", "mode": "ro", "optional": False},
        "resolv": {"source": "/etc/resolv.conf", "target": "/etc/resolv.conf", "mode": "ro",
                   "optional": True},
        "ssl": {"source": "/etc/ssl", "target": "/etc/ssl", "mode": "ro", "optional": True},
    }
    static.update(extra_static or {})
    d = {
        "enabled": True, "file_sandboxing": True, "network_sandboxing": True,
        "bwrap_path": "sudo bwrap", "use_tmpfs_root": True,
        "static_mounts": static,
        "session_mounts": {"workspace": {"source": ws, "target": "/workspace", "mode": "rw",
                                         "optional": False}},
        "dynamic_mounts": [],
        "network": {"enabled": network, "allowed_domains": [], "allow_localhost": False},
        "environment": {"home": "/workspace", "path": "/usr/bin:/bin", "clear_env": True,
                        "custom_env": dict(secrets or {})},
        "proc_filtering": {"enabled": True, "allowed_entries": ["/proc/self", "/proc/cpuinfo"]},
        "writable_paths": ["/workspace"], "readonly_paths": ["/usr"],
    }
    if not as_objects:
        return d
    # As the platform's models: SandboxConfig, SandboxNetworkConfig ... are
    # objects; static_mounts/session_mounts are dicts of SandboxMount objects.
    top = {}
    for k, v in d.items():
        if k in ("static_mounts", "session_mounts"):
            v = {name: FakeModel(**m) for name, m in v.items()}
        elif k == "dynamic_mounts":
            v = [FakeModel(**m) for m in v]
        elif isinstance(v, dict):
            v = FakeModel(**v)
        top[k] = v
    return FakeModel(**top)


def children_of(pid):
    """Every live descendant of PID (from /proc)."""
    kids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(p))
    out, todo = [], [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids, seconds=10.0):
    """The pids still alive after SECONDS (bounded poll)."""
    deadline = time.monotonic() + seconds
    left = [p for p in pids if alive(p)]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [p for p in left if alive(p)]
    return left


def session_pids(sock):
    """Pids of processes whose cmdline names SOCK (the session's server)."""
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    if sock.encode() in f.read():
                        out.append(int(p))
            except OSError:
                pass
    return out


def serve_available():
    if not CLI:
        return False
    p = subprocess.run([CLI, "help", "serve"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode == 0
