# SPDX-License-Identifier: MIT
"""A drop-in for the agent platform's `src/core/sandbox.py` and
`path_validator.py` names (reference section 11): change the import,
keep the calls.

    from ag3ntum_sandbox.platform import SandboxExecutor, SandboxMountError, \\
        execute_sandboxed_command, configure_path_validator, get_path_validator, \\
        PathValidationError

`SandboxExecutor` turns the platform's `SandboxConfig` (a pydantic model or a
plain dict) into a profile of ours (a file of mode 0600 in a private
directory, `sandbox:` = the config), opens a warm session from it on first
use (one per effective network setting) and `build_bwrap_command` returns
`[CLI, "exec", "--session", SOCKET, "--", *command]`: the caller runs that
argv exactly as it ran bwrap's. The session's secrets (`custom_env`) go to a
secrets file of mode 0600, never onto a command line.
"""

import asyncio
import atexit
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import threading
import weakref

from ._cli import find_cli
from ._validator import (  # noqa: F401  (re-exported: path_validator.py's names)
    DEFAULT_BLOCKLIST, DEFAULT_BLOCKLIST_EXEMPTIONS, DEFAULT_READONLY_PREFIXES,
    Ag3ntumPathValidator, PathValidationError, PathValidatorConfig, ValidatedPath,
    _session_validators, cleanup_path_validator, configure_path_validator, get_path_validator,
    has_path_validator,
)
from . import _validator
from .models import (  # noqa: F401  (re-exported: sandbox.py's model names)
    ProcFilteringConfig, SandboxConfig, SandboxEnvConfig, SandboxMount, SandboxNetworkConfig, to_plain,
)

__all__ = [
    "SandboxMountError", "SandboxUnavailableError", "SandboxExecutor", "execute_sandboxed_command",
    "UIDValidationError", "create_demote_fn",
    "Ag3ntumPathValidator", "PathValidationError", "PathValidatorConfig", "ValidatedPath",
    "configure_path_validator", "get_path_validator", "cleanup_path_validator", "has_path_validator",
    "DEFAULT_BLOCKLIST", "DEFAULT_BLOCKLIST_EXEMPTIONS", "DEFAULT_READONLY_PREFIXES",
    "SandboxMount", "SandboxNetworkConfig", "SandboxEnvConfig", "ProcFilteringConfig", "SandboxConfig",
]

# SandboxConfig's keys (reference 2.4, 11.1) and ours under `sandbox:` (README "Profiles").
_PLATFORM_KEYS = ("enabled", "file_sandboxing", "network_sandboxing", "bwrap_path", "use_tmpfs_root",
                  "static_mounts", "session_mounts", "dynamic_mounts", "original_path_mounts",
                  "tmpfs_paths", "network", "environment", "proc_filtering", "writable_paths",
                  "readonly_paths")
_OUR_KEYS = ("hostname", "user_namespace", "limits", "seccomp", "landlock", "minimum_isolation")
_MOUNT_DICTS = ("static_mounts", "session_mounts")
_MOUNT_LISTS = ("dynamic_mounts", "original_path_mounts")
# The platform's argv had --tmpfs /tmp:size=100M (meant: a 100 MiB /tmp).
_PLATFORM_TMP_SIZE = "100M"
_RESERVED_ENV = ("HOME", "PATH", "AG3NTUM_CONTEXT")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_OPEN_TIMEOUT = 60


class SandboxMountError(Exception):
    """A required (non-optional) mount source is missing: nothing runs (fail-closed)."""


class SandboxUnavailableError(RuntimeError):
    """The session could not be opened (the CLI's reason is in the message)."""


class UIDValidationError(Exception):
    """create_demote_fn refused a uid or gid (the platform's name)."""


# The uid policy of README "The uid policy" (the CLI's --uid-mode, --api-uid):
# the platform's AG3NTUM_UID_MODE chooses the mode here.
_UID_RANGES = {"isolated": ((50000, 60000), (2000, 49999)), "direct": ((1000, 65533),)}
_API_UID = 45045
_SYSTEM_ID_MAX = 999


def _id_refusal(kind, n, session_uid=None):
    """Why the uid/gid N may not be switched to, or None."""
    name = "UID" if kind == "uid" else "GID"
    if isinstance(n, bool) or not isinstance(n, int):
        return f"{name} {n!r} is not an integer"
    if n == 0:
        return f"SECURITY VIOLATION: {name} 0 (root) is blocked unconditionally"
    if n <= _SYSTEM_ID_MAX:
        return f"{name} {n} is a system id (<= {_SYSTEM_ID_MAX})"
    if kind == "uid" and n == _API_UID:
        return f"UID {n} is the API user UID and cannot be used for sandbox"
    mode = os.environ.get("AG3NTUM_UID_MODE", "isolated").lower()
    ranges = _UID_RANGES.get(mode, _UID_RANGES["isolated"])
    if not any(lo <= n <= hi for lo, hi in ranges):
        return f"{name} {n} is outside the valid ranges {list(ranges)} for mode {mode}"
    if kind == "uid" and session_uid is not None and n != session_uid:
        return f"UID {n} does not match session UID {session_uid} (principle of least privilege)"
    return None


def create_demote_fn(uid, gid, session_uid=None, validate=True):
    """The platform's preexec_fn factory: a callable that drops to UID/GID
    (supplementary groups cleared, gid, then uid). Our sandbox does not need
    it (the CLI switches ids itself); programs that call it keep working.
    Raises UIDValidationError, unless validate=False, for root, a system id,
    the API uid, an id outside the mode's ranges, or a uid not session_uid."""
    if validate:
        why = _id_refusal("uid", uid, session_uid) or _id_refusal("gid", gid)
        if why:
            raise UIDValidationError(f"UID/GID validation failed: {why}")

    def demote():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)

    return demote


_create_demote_fn = create_demote_fn


def _config_dict(config):
    """The SandboxConfig as a dict of its keys (attribute access or a dict)."""
    if isinstance(config, dict):
        d = to_plain(config)
        return d.get("sandbox", d) if set(d) == {"sandbox"} else d
    out = {}
    for key in _PLATFORM_KEYS + _OUR_KEYS:
        if hasattr(config, key):
            out[key] = to_plain(getattr(config, key))
    if not out:
        out = to_plain(config)
    return out


def _mounts(sb):
    """(name, mount dict) for every bind of the config, in order."""
    for key in _MOUNT_DICTS:
        for name, m in (sb.get(key) or {}).items():
            yield f"{key}.{name}", name, m
    for key in _MOUNT_LISTS:
        for i, m in enumerate(sb.get(key) or []):
            yield f"{key}[{i}]", f"{key}[{i}]", m


def _source_exists(src):
    """A mount source is there: a non-empty str naming an existing object (a
    dangling symlink is missing, as for the platform's Path.exists())."""
    return isinstance(src, str) and bool(src) and os.path.exists(src)


_executors = weakref.WeakSet()
_executors_lock = threading.Lock()


class SandboxExecutor:
    """The platform's SandboxExecutor, running commands in our sandbox.

    One session per effective network setting (allow_network and
    config.network.enabled), opened on first use, owned by this process
    (--owner-pid): closed by close(), the context manager, at exit, or by
    the CLI when this process ends.
    """

    def __init__(self, config, linux_uid=None, linux_gid=None):
        self._config = config
        self._linux_uid = None if linux_uid is None else int(linux_uid)
        # The platform's production always passes gid = uid.
        if linux_gid is None and self._linux_uid is not None:
            linux_gid = self._linux_uid
        if linux_gid is not None and self._linux_uid is None:
            # the CLI refuses --gid without --uid (a usage error): say so here,
            # before a session is opened, not as a failed command later
            raise ValueError("SandboxExecutor: linux_gid=%r without linux_uid: give linux_uid too"
                             % (linux_gid,))
        self._linux_gid = None if linux_gid is None else int(linux_gid)
        self._sb = _config_dict(config)
        self._lock = threading.Lock()
        self._dir = None
        self._sessions = {}  # network enabled (bool) -> socket path
        self._profiles = {}
        self._cli = None
        self._closed = False
        with _executors_lock:
            _executors.add(self)
        self._finalizer = weakref.finalize(self, SandboxExecutor._cleanup, self._sessions, self._dir_ref())

    # The finalizer needs the directory, created lazily: a one-item list it shares.
    def _dir_ref(self):
        self._dir_box = []
        return self._dir_box

    @property
    def config(self):
        return self._config

    @property
    def linux_uid(self):
        return self._linux_uid

    @property
    def linux_gid(self):
        return self._linux_gid

    # -- the platform's API ---------------------------------------------
    def validate_mount_sources(self):
        """The sources of the required mounts that are missing, as the platform's
        (a list of source paths, for its log); never raises."""
        missing = []
        try:
            for _, name, m in _mounts(self._sb):
                if not isinstance(m, dict) or m.get("optional"):
                    continue
                if not _source_exists(m.get("source")):
                    missing.append(m.get("source"))
        except Exception as e:  # never raises, as the platform's
            missing.append(f"config: {e}")
        return missing

    def build_bwrap_command(self, command, allow_network, nested_container=True):
        """The argv running COMMAND in this executor's session.

        [CLI, "exec", "--session", SOCKET, "--network-log", "--", *command]:
        CLI is absolute, so the caller's PATH and environment do not matter;
        --network-log puts a line on stderr (which the platform's tools give
        the agent) for every name or connection the allowlist refuses. Raises
        SandboxMountError when a required mount source is missing.
        """
        argv = self._command_argv(command)
        self._check_mounts()
        sock = self._session(self._effective_network(allow_network))
        return [self._cli, "exec", "--session", sock, "--network-log", "--", *argv]

    def wrap_shell_command(self, command, allow_network):
        """The shell-quoted argv of `bash -lc COMMAND` in the sandbox."""
        if not isinstance(command, str):
            raise TypeError("command must be a str")
        return shlex.join(self.build_bwrap_command(["bash", "-lc", command], allow_network))

    # -- lifetime --------------------------------------------------------
    def close(self):
        """Close this executor's sessions and remove its private directory."""
        with self._lock:
            self._closed = True
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def _cleanup(sessions, dir_box):
        cli = None
        try:
            cli = find_cli()
        except Exception:
            pass
        for sock in list(sessions.values()):
            if cli and os.path.exists(sock):
                try:
                    subprocess.run([cli, "session", "close", sock], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
                except Exception:
                    pass
        sessions.clear()
        for d in dir_box:
            shutil.rmtree(d, ignore_errors=True)
        dir_box.clear()

    # -- internals -------------------------------------------------------
    @staticmethod
    def _command_argv(command):
        if isinstance(command, (str, bytes)):
            raise TypeError("command must be a list of str (an argv), not a string")
        argv = list(command)
        if not argv:
            raise ValueError("command is empty")
        for a in argv:
            if not isinstance(a, str):
                raise TypeError(f"argv items must be str, not {type(a).__name__}")
            if "\0" in a:
                raise ValueError("argv item contains a NUL character")
        return argv

    def _check_mounts(self):
        for key, name, m in _mounts(self._sb):
            if not isinstance(m, dict) or m.get("optional"):
                continue
            src = m.get("source")
            if not _source_exists(src):
                raise SandboxMountError(
                    f"SECURITY: Mount source does not exist for '{name}': {src}. "
                    "Refusing to execute command without proper sandbox isolation.")

    def _effective_network(self, allow_network):
        net = self._sb.get("network") or {}
        return bool(allow_network) and bool(net.get("enabled", False))

    def _private_dir(self):
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="ag3ntum-py.")
            os.chmod(self._dir, 0o700)
            self._dir_box.append(self._dir)
        return self._dir

    def _write_private(self, name, data):
        path = os.path.join(self._private_dir(), name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(data)
        return path

    def workspace_source(self):
        """The host directory bound at /workspace (None without one)."""
        for _, _, m in _mounts(self._sb):
            if isinstance(m, dict) and m.get("target") == "/workspace":
                return m.get("source")
        return None

    def profile_path(self, network=False):
        """Our profile for this config (written once per network setting)."""
        with self._lock:
            return self._profile_locked(network)

    def _profile_locked(self, network):
        if network in self._profiles:
            return self._profiles[network]
        sb = json.loads(json.dumps(self._sb))
        # The platform ran unsandboxed with these false; we never do.
        sb["enabled"] = True
        sb["file_sandboxing"] = True
        sb.setdefault("network", {})
        sb["network"] = dict(sb["network"] or {}, enabled=bool(network))
        env = dict(sb.get("environment") or {})
        custom = env.pop("custom_env", None) or {}
        sb["environment"] = env
        for key in _MOUNT_DICTS:
            for m in (sb.get(key) or {}).values():
                if isinstance(m, dict):
                    m["mode"] = (m.get("mode") or "ro").lower()
        for key in _MOUNT_LISTS:
            for m in sb.get(key) or []:
                if isinstance(m, dict):
                    m["mode"] = (m.get("mode") or "ro").lower()
        limits = dict(sb.get("limits") or {})
        limits.setdefault("tmp_size", _PLATFORM_TMP_SIZE)
        sb["limits"] = limits
        # The command's user by name: the runtime writes /etc/passwd and /etc/group for
        # the command's ids (the platform's sandbox had none: ssh and git over ssh
        # failed, reference 11.4 #5), named after the workspace's user.
        src = self.workspace_source()
        user = (_validator._session_parts(src)[0] if src else None) or "ag3ntum"
        if not _IDENT.match(user.replace("-", "_").replace(".", "_")) or len(user) > 32:
            user = "ag3ntum"
        sb["user"] = dict({"name": user, "shell": "/bin/bash"}, **(sb.get("user") or {}))
        profile = {"name": "platform-sandbox-executor", "sandbox": sb}
        path = self._write_private(f"profile-{int(network)}.yaml", json.dumps(profile, indent=1))
        secrets = None
        envs = {k: str(v) for k, v in custom.items()
                if isinstance(k, str) and _IDENT.match(k) and k not in _RESERVED_ENV and v is not None}
        if envs:
            secrets = self._write_private(f"secrets-{int(network)}.yaml",
                                          json.dumps({"sandboxed_envs": envs}))
        self._profiles[network] = (path, secrets)
        return self._profiles[network]

    def _session(self, network):
        with self._lock:
            if self._closed:
                raise SandboxUnavailableError("this SandboxExecutor is closed")
            sock = self._sessions.get(network)
            if sock and _listening(sock):
                return sock
            if sock:
                # The session died (its holder was killed): its socket file is
                # left behind and every command would fail on it. Close what
                # may remain of it and open a new one.
                self._sessions.pop(network, None)
                self._close_session(sock)
            if self._cli is None:
                self._cli = find_cli()
            profile, secrets = self._profile_locked(network)
            sock = os.path.join(self._private_dir(), f"session-{'net' if network else 'nonet'}.sock")
            if os.path.lexists(sock):
                os.unlink(sock)
            argv = [self._cli, "session", "open", "--owner-pid", str(os.getpid()),
                    "--profile", profile, "--socket", sock]
            if self._linux_uid is not None:
                argv += ["--uid", str(self._linux_uid)]
            if self._linux_gid is not None:
                argv += ["--gid", str(self._linux_gid)]
            if secrets:
                argv += ["--secrets", secrets]
            try:
                p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                   timeout=_OPEN_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise SandboxUnavailableError(f"session open did not answer within {_OPEN_TIMEOUT} s")
            if p.returncode != 0:
                msg = p.stderr.decode("utf-8", "replace").strip()
                if "mount-source" in msg or "bind source" in msg:
                    raise SandboxMountError(f"SECURITY: {msg}")
                raise SandboxUnavailableError(msg or f"session open exited {p.returncode}")
            self._sessions[network] = sock
            return sock

    def _close_session(self, sock):
        try:
            subprocess.run([self._cli, "session", "close", sock], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        except (OSError, subprocess.SubprocessError):
            pass

    def _resolve_keys(self):
        """The serve `open` keys of this executor's spec, for the path validator."""
        profile, _ = self.profile_path(False)
        keys = {"profile": profile}
        if self._linux_uid is not None:
            keys["uid"] = self._linux_uid
        if self._linux_gid is not None:
            keys["gid"] = self._linux_gid
        return keys


def _listening(sock):
    """Whether a session still listens on SOCK: a connect that is refused (or
    finds no file) means its holder is gone. The connection is closed at once
    (the session drops a client that sends nothing)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        s.settimeout(5)
        s.connect(sock)
        return True
    except (ConnectionRefusedError, FileNotFoundError):
        return False
    except OSError:
        return True  # busy or slow, not dead: the command itself will say
    finally:
        s.close()


def _executor_for_workspace(workspace):
    """The live executor whose /workspace bind is WORKSPACE (the validator uses its spec)."""
    try:
        want = os.path.realpath(workspace)
    except (TypeError, ValueError):
        return None
    with _executors_lock:
        candidates = list(_executors)
    for ex in candidates:
        src = ex.workspace_source()
        if not ex._closed and src and os.path.realpath(src) == want:
            return ex
    return None


_validator._executor_for_workspace = _executor_for_workspace


@atexit.register
def _close_all():
    with _executors_lock:
        candidates = list(_executors)
    for ex in candidates:
        try:
            ex.close()
        except Exception:
            pass


async def execute_sandboxed_command(executor, command, allow_network=False, timeout=300):
    """Run `bash -c COMMAND` in the sandbox: (returncode, stdout, stderr).

    The platform's conventions: stdout and stderr separate, decoded utf-8
    with "replace"; (124, "", "Command timed out after N seconds") on
    timeout (the command's tree is killed); (1, "", str(e)) on any other
    exception, SandboxMountError included.
    """
    proc = None
    try:
        argv = executor.build_bwrap_command(["bash", "-c", command], allow_network=allow_network)
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
        except asyncio.TimeoutError:
            # SIGKILL to `exec --session`: its command's init sees the
            # connection close and the kernel ends the command's pid namespace.
            try:
                proc.kill()
            except ProcessLookupError:
                pass
            await proc.wait()
            return 124, "", f"Command timed out after {timeout} seconds"
        return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    except Exception as e:
        return 1, "", str(e)
    finally:
        # An exception or a cancelled await: the command does not outlive it.
        if proc is not None and proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass
