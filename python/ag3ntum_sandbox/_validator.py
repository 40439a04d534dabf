# SPDX-License-Identifier: MIT
"""The platform's path_validator.py names, on serve's `resolve`.

Each validator resolves from the spec its session's sandbox runs: the
profile of a live SandboxExecutor whose /workspace bind is the validator's
workspace, else a profile synthesized from the validator's own kwargs
(workspace -> /workspace rw, skills -> /skills and /user-skills ro,
external -> /mounts/ro ro and /mounts/rw rw, persistent -> /persistent rw,
user mounts -> /mounts/NAME). The decision comes with a descriptor opened
beneath the right root (README "Resolving paths for file tools"):
ValidatedPath.open() uses it, so nothing is resolved again after the check.
"""

import atexit
import fnmatch
import json
import os
import pathlib
import re
import shutil
import tempfile
import threading
import weakref

from .client import SandboxError, Server

_OPERATIONS = ("read", "write", "edit", "delete", "list", "glob", "grep")
_NAME = re.compile(r"[^A-Za-z0-9_]")

# Set by platform.py: the live executor whose workspace is a given path.
_executor_for_workspace = None

# The resolver's defaults (agent/resolve.c), under the platform's names: a
# list given replaces its default, as PathValidatorConfig(blocklist=...) does.
DEFAULT_BLOCKLIST = [
    "*.env", ".env.*", "*.key", ".git/**", "__pycache__/**", "*.pyc",
    ".secrets/**", "*.pem", "*.p12", "*.pfx", "**/node_modules/**",
]
DEFAULT_BLOCKLIST_EXEMPTIONS = [".env.example", ".env.sample", ".env.template", ".env.defaults"]
DEFAULT_READONLY_PREFIXES = ["skills/", ".claude/", "external/ro/", "external/user-ro/"]

# The platform's message for each refusal category (str(error)); the
# resolver's own line follows it in parentheses.
_PHRASES = {
    "OUTSIDE_ALLOWED": "Path outside allowed directories",
    "PATH_TRAVERSAL": "Path outside allowed directories",
    "SYMLINK_ESCAPE": "Path outside allowed directories",
    "SANDBOX_PRIVATE": "Path outside allowed directories",
    "BLOCKLIST": "Path blocked by policy",
    "ALLOWLIST": "Path not in allowlist",
    "CROSS_USER_ACCESS_BLOCKED": "Access to other users' directories is not allowed",
    "CROSS_SESSION_ACCESS_BLOCKED": "Access to other sessions is not allowed",
    "PATH_INVALID": "Invalid path",
}


def _message(code, operation, path, line):
    """The platform's phrase for CODE, the path, and the resolver's line."""
    if code == "READ_ONLY":
        phrase = f"Cannot {operation} read-only path"
    else:
        phrase = _PHRASES.get(code)
    if phrase is None:
        return line or code
    return f"{phrase}: {path}" + (f" ({line})" if line else "")


class PathValidationError(Exception):
    """The platform's PathValidationError(message, path, reason).

    `reason` is "CODE: one line" (the tool answers "Path validation failed:
    {reason}"); `code` is the bare code (BLOCKLIST, PATH_TRAVERSAL ...).
    """

    def __init__(self, message, path, reason, code=None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.reason = reason
        self.code = code if code is not None else (reason.split(":", 1)[0] if reason else None)


class ValidatedPath:
    """The platform's ValidatedPath(original, normalized, is_readonly).

    `normalized` is the host path (a pathlib.Path), as the platform's tools
    open it. Ours besides: `sandbox_path` (what the agent sees), `reason`,
    `resolution` (with `fd` or `dir_fd` + `name`), and `open()` / `listdir()`
    / `unlink()`, which use the descriptor instead of the path.
    """

    def __init__(self, original, normalized, is_readonly, resolution=None):
        self.original = original
        self.normalized = normalized
        self.is_readonly = is_readonly
        self.resolution = resolution
        self.sandbox_path = resolution.sandbox_path if resolution else None
        self.reason = resolution.reason if resolution else None

    @property
    def fd(self):
        return self.resolution.fd if self.resolution else None

    @property
    def dir_fd(self):
        return self.resolution.dir_fd if self.resolution else None

    @property
    def name(self):
        return self.resolution.name if self.resolution else None

    def open(self, mode="r", **kw):
        return self.resolution.open(mode, **kw)

    def listdir(self):
        return self.resolution.listdir()

    def unlink(self):
        return self.resolution.unlink()

    def close(self):
        if self.resolution:
            self.resolution.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return (f"ValidatedPath(original={self.original!r}, normalized={self.normalized!r}, "
                f"is_readonly={self.is_readonly!r})")


class PathValidatorConfig:
    """The platform's PathValidatorConfig: keyword arguments, kept as attributes."""

    _DEFAULTS = dict(
        workspace_path=None, skills_path=None, global_skills_path=None, user_skills_path=None,
        external_ro_base=None, external_rw_base=None, persistent_path=None,
        global_mounts_ro=None, global_mounts_rw=None, user_mounts_ro=None, user_mounts_rw=None,
        dynamic_mounts_ro=None, dynamic_mounts_rw=None, original_path_mounts_ro=None,
        original_path_mounts_rw=None, log_all_access=True, blocklist=None,
        blocklist_exemptions=None, allowlist=None, readonly_prefixes=None,
        username=None, session_id=None)

    def __init__(self, **kw):
        unknown = set(kw) - set(self._DEFAULTS)
        if unknown:
            raise TypeError(f"PathValidatorConfig: unknown keyword(s) {sorted(unknown)}")
        for k, v in self._DEFAULTS.items():
            setattr(self, k, kw.get(k, v))
        if self.workspace_path is None:
            raise TypeError("PathValidatorConfig: workspace_path is required")


# One serve process for every validator of this program, started on first use.
_server = None
_server_lock = threading.Lock()


def _shared_server():
    global _server
    with _server_lock:
        if _server is None or not _server.alive:
            if _server is not None:
                try:
                    _server.close(timeout=5)
                except Exception:
                    pass
            _server = Server()
        return _server


@atexit.register
def _close_server():
    global _server
    with _server_lock:
        s, _server = _server, None
    if s is not None:
        try:
            s.close(timeout=10)
        except Exception:
            pass


def _session_parts(workspace):
    """(user, session id) from .../users/<u>/sessions/<sid>/..."""
    parts = pathlib.PurePosixPath(os.fspath(workspace)).parts
    user = sid = None
    for i, p in enumerate(parts):
        if p == "users" and i + 1 < len(parts):
            user = parts[i + 1]
            if i + 3 < len(parts) and parts[i + 2] == "sessions":
                sid = parts[i + 3]
            break
    return user, sid


class Ag3ntumPathValidator:
    """validate_path(path, operation, allow_directory=False) -> ValidatedPath."""

    def __init__(self, config, session_id=None):
        if isinstance(config, dict):
            config = PathValidatorConfig(**config)
        self.config = config
        # The platform's attribute: the workspace's Docker path (not resolved
        # here: the runtime refuses a bind source with a symlink on the way).
        self.workspace = pathlib.Path(os.path.abspath(os.fspath(config.workspace_path)))
        user, sid = _session_parts(config.workspace_path)
        self.username = getattr(config, "username", None) or user
        self.session_id = session_id or getattr(config, "session_id", None) or sid
        self._dir = None
        self._profile = None
        self._lock = threading.Lock()
        self._closed = False

    # -- the spec ----------------------------------------------------------
    def _synth_profile(self):
        c = self.config
        mounts = {"workspace": {"source": os.fspath(c.workspace_path), "target": "/workspace",
                                "mode": "rw"}}

        def add(name, source, target, mode):
            if source:
                mounts[name] = {"source": os.fspath(source), "target": target, "mode": mode,
                                "optional": True}

        add("skills", c.global_skills_path or c.skills_path, "/skills", "ro")
        add("user_skills", c.user_skills_path, "/user-skills", "ro")
        add("external_ro", c.external_ro_base, "/mounts/ro", "ro")
        add("external_rw", c.external_rw_base, "/mounts/rw", "rw")
        add("persistent", c.persistent_path, "/persistent", "rw")
        for attr, mode in (("global_mounts_ro", "ro"), ("global_mounts_rw", "rw"),
                           ("user_mounts_ro", "ro"), ("user_mounts_rw", "rw")):
            for name, path in (getattr(c, attr, None) or {}).items():
                if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
                    raise ValueError(f"{attr}: invalid mount name {name!r}")
                add(f"{attr}_{_NAME.sub('_', name)}", path, f"/mounts/{name}", mode)
        for attr, mode in (("dynamic_mounts_ro", "ro"), ("dynamic_mounts_rw", "rw")):
            for alias, path in (getattr(c, attr, None) or {}).items():
                if not isinstance(alias, str) or not alias or "/" in alias or alias in (".", ".."):
                    raise ValueError(f"{attr}: invalid alias {alias!r}")
                add(f"{attr}_{_NAME.sub('_', alias)}", path, f"/mounts/{alias}", mode)
        profile = {"name": "path-validator", "sandbox": {"session_mounts": mounts}}
        self._dir = tempfile.mkdtemp(prefix="ag3ntum-pv.")
        # A validator built directly (not through configure_path_validator) is
        # never cleaned up by its caller: its directory goes with it, or at exit.
        self._dir_finalizer = weakref.finalize(self, shutil.rmtree, self._dir, True)
        path = os.path.join(self._dir, "profile.yaml")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(profile, f)
        return {"profile": path}

    def _keys(self):
        ex = _executor_for_workspace(self.config.workspace_path) if _executor_for_workspace else None
        if ex is not None:
            keys = ex._resolve_keys()
        else:
            with self._lock:
                if self._closed:
                    raise RuntimeError("this path validator has been cleaned up")
                if self._profile is None:
                    self._profile = self._synth_profile()
                keys = dict(self._profile)
        if self.username:
            keys["user"] = self.username
        if self.session_id:
            keys["session_id"] = self.session_id
        c = self.config
        if c.blocklist is not None:
            keys["blocklist"] = list(c.blocklist)
        if getattr(c, "blocklist_exemptions", None) is not None:
            keys["exemptions"] = list(c.blocklist_exemptions)
        if c.readonly_prefixes is not None:
            keys["readonly_prefixes"] = list(c.readonly_prefixes)
        return keys

    # -- the platform's API ------------------------------------------------
    def _resolve(self, path, operation, allow_directory):
        """serve's resolution of PATH (a str): (resolution, path as asked)."""
        original = path
        if isinstance(path, os.PathLike):
            path = os.fspath(path)
        if not isinstance(path, str):
            raise PathValidationError(f"Invalid path: {path!r}", str(original),
                                      "PATH_INVALID: the path must be a string", "PATH_INVALID")
        if operation not in _OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(_OPERATIONS)}, not {operation!r}")
        if "\0" in path:
            raise PathValidationError(f"Invalid path: {path!r} (it contains a NUL character)", path,
                                      "PATH_INVALID: the path contains a NUL character; use a plain path",
                                      "PATH_INVALID")
        # The platform's validator took "" as the workspace itself (a relative
        # path with no component); the resolver refuses an empty path.
        asked = path if path != "" else "."
        try:
            res = _shared_server().resolve(operation, asked, allow_directory=allow_directory,
                                           fd=True, **self._keys())
        except (SandboxError, OSError, ValueError) as e:
            # Fail closed: no answer is a refusal.
            code = getattr(e, "code", None) or "INTERNAL"
            raise PathValidationError(f"Path validation unavailable: {e}", path,
                                      f"{code}: the path resolver failed ({e})", code) from e
        return res, path

    def _refuse(self, res, operation, path, code=None, line=None):
        res.close()
        code = code or res.reason
        line = line if line is not None else res.message
        raise PathValidationError(_message(code, operation, path, line), path, f"{code}: {line}", code)

    def _allowlisted(self, res):
        """The platform's allowlist: when set, a workspace path must match one of
        its patterns (the path relative to the workspace, or its name)."""
        patterns = getattr(self.config, "allowlist", None)
        sp = res.sandbox_path or ""
        if patterns is None or not (sp == "/workspace" or sp.startswith("/workspace/")):
            return True
        rel = sp[len("/workspace/"):] if sp != "/workspace" else "."
        name = rel.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(name, p) for p in patterns)

    def validate_path(self, path, operation, allow_directory=False):
        """Allowed: a ValidatedPath (with its fd). Refused: PathValidationError."""
        original = path
        res, path = self._resolve(path, operation, allow_directory)
        if not res.allowed:
            self._refuse(res, operation, path)
        if not self._allowlisted(res):
            self._refuse(res, operation, path, "ALLOWLIST",
                         f"{res.sandbox_path} matches none of the allowlist's patterns "
                         f"({', '.join(self.config.allowlist) or 'none'})")
        normalized = pathlib.Path(res.host_path) if res.host_path else None
        # the resolver's readonly: a read-only bind, or a read-only prefix of the
        # workspace (the platform's is_readonly is true there for a read too)
        return ValidatedPath(original, normalized, res.readonly, res)

    def _normalize_path(self, path):
        """The platform's private mapping of an agent path to its Docker path
        (its tests call it): the resolver's host path, whether or not the object
        exists (a missing one: its nearest existing ancestor's, plus the rest);
        PathValidationError for a path the resolver maps nowhere."""
        res, path = self._resolve(path, "read", True)
        rest = []
        # Bounded: each step drops one component of an absolute sandbox path.
        while (not res.host_path and res.reason == "NOT_FOUND" and res.sandbox_path
               and res.sandbox_path.count("/") > 1):
            parent, name = res.sandbox_path.rsplit("/", 1)
            rest.insert(0, name)
            res.close()
            res, _ = self._resolve(parent, "read", True)
        try:
            if not res.host_path:
                self._refuse(res, "read", path)
            return pathlib.Path(res.host_path, *rest)
        finally:
            res.close()

    def cleanup(self):
        with self._lock:
            self._closed = True
            if self._dir:
                self._dir_finalizer()
                self._dir = None
            self._profile = None


# The platform's name: session id -> validator.
_session_validators = {}
_validators_lock = threading.Lock()


def configure_path_validator(session_id, workspace_path, username=None, skills_path=None,
                             global_skills_path=None, user_skills_path=None, external_ro_base=None,
                             external_rw_base=None, persistent_path=None, user_mounts_ro=None,
                             user_mounts_rw=None, blocklist=None, readonly_prefixes=None, **newer):
    """Configure (or reconfigure) the validator of SESSION_ID; returns it."""
    # As the platform's: an empty list given here means the default list.
    blocklist = blocklist or None
    readonly_prefixes = readonly_prefixes or None
    config = PathValidatorConfig(
        workspace_path=workspace_path, username=username, session_id=session_id,
        skills_path=skills_path, global_skills_path=global_skills_path,
        user_skills_path=user_skills_path, external_ro_base=external_ro_base,
        external_rw_base=external_rw_base, persistent_path=persistent_path,
        user_mounts_ro=user_mounts_ro, user_mounts_rw=user_mounts_rw, blocklist=blocklist,
        readonly_prefixes=readonly_prefixes, **newer)
    v = Ag3ntumPathValidator(config, session_id=session_id)
    with _validators_lock:
        old = _session_validators.get(session_id)
        _session_validators[session_id] = v
    if old is not None:
        old.cleanup()
    return v


def get_path_validator(session_id):
    with _validators_lock:
        v = _session_validators.get(session_id)
    if v is None:
        raise RuntimeError(f"PathValidator not configured for session {session_id}")
    return v


def has_path_validator(session_id):
    with _validators_lock:
        return session_id in _session_validators


def cleanup_path_validator(session_id):
    with _validators_lock:
        v = _session_validators.pop(session_id, None)
    if v is not None:
        v.cleanup()


@atexit.register
def _cleanup_all():
    with _validators_lock:
        vs = list(_session_validators.values())
        _session_validators.clear()
    for v in vs:
        v.cleanup()
