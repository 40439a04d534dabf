# SPDX-License-Identifier: MIT
"""The platform's sandbox configuration models, without pydantic.

``src/core/sandbox.py`` defines ``SandboxMount``, ``SandboxNetworkConfig``,
``SandboxEnvConfig``, ``ProcFilteringConfig`` and ``SandboxConfig`` as pydantic
v2 models. A program written against those names builds them from keyword
arguments or from the profile's ``sandbox:`` mapping, reads them by attribute,
calls ``.resolve(placeholders)`` and ``.model_dump()``. These classes do the
same with the standard library, and validate as the platform's models do
(``mode`` lower-cased, ``None``/empty as ``ro``, anything else but ``ro``/``rw``
refused; domains stripped and lower-cased; unknown keys refused). The
platform's own pydantic objects are accepted wherever these are (anything with
the same attributes, or a ``model_dump()``).
"""

import copy
import os

__all__ = [
    "SandboxMount",
    "SandboxNetworkConfig",
    "SandboxEnvConfig",
    "ProcFilteringConfig",
    "SandboxConfig",
    "to_plain",
]

_PROC_DEFAULT = ["/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/proc/uptime", "/proc/version"]


def _resolve_str(s, placeholders):
    # The platform's plain str.replace("{key}", value), no escaping.
    if not isinstance(s, str):
        return s
    for k, v in (placeholders or {}).items():
        s = s.replace("{" + str(k) + "}", "" if v is None else str(v))
    return s


class _Model:
    _fields = {}  # name -> default (deep-copied), or a class to build from a dict

    def __init__(self, **kw):
        unknown = sorted(set(kw) - set(self._fields))
        if unknown:
            raise ValueError("%s: unknown field%s %s" % (
                type(self).__name__, "s" if len(unknown) > 1 else "", ", ".join(unknown)))
        for name, default in self._fields.items():
            if name in kw:
                value = self._convert(name, kw[name])
            elif isinstance(default, type):
                value = default()
            else:
                value = copy.deepcopy(default)
            object.__setattr__(self, name, value)

    def _convert(self, name, value):
        return value

    def model_dump(self):
        return {name: to_plain(getattr(self, name)) for name in self._fields}

    def model_copy(self, deep=True):
        return type(self)(**copy.deepcopy(self.model_dump()))

    def __eq__(self, other):
        return type(self) is type(other) and self.model_dump() == other.model_dump()

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__, ", ".join(
            "%s=%r" % (n, getattr(self, n)) for n in self._fields))


class SandboxMount(_Model):
    _fields = {"source": None, "target": None, "mode": "ro", "optional": False}

    def __init__(self, **kw):
        super().__init__(**kw)
        for req in ("source", "target"):
            if not isinstance(getattr(self, req), str) or not getattr(self, req):
                raise ValueError("SandboxMount: %s is required (a non-empty string)" % req)

    def _convert(self, name, value):
        if name == "mode":
            if value is None or value == "":
                return "ro"
            if not isinstance(value, str) or value.lower() not in ("ro", "rw"):
                raise ValueError("SandboxMount: mode must be 'ro' or 'rw', not %r" % (value,))
            return value.lower()
        if name == "optional":
            return bool(value)
        return value

    def resolve(self, placeholders):
        return SandboxMount(source=_resolve_str(self.source, placeholders),
                            target=_resolve_str(self.target, placeholders),
                            mode=self.mode, optional=self.optional)


class SandboxNetworkConfig(_Model):
    _fields = {"enabled": False, "allowed_domains": [], "allow_localhost": False}

    def _convert(self, name, value):
        if name == "allowed_domains":
            return [str(d).strip().lower() for d in (value or [])]
        return bool(value)


class SandboxEnvConfig(_Model):
    _fields = {"home": "/workspace", "path": "/usr/bin:/bin", "clear_env": True, "custom_env": {}}

    def _convert(self, name, value):
        if name == "custom_env":
            return {str(k): str(v) for k, v in (value or {}).items()}
        if name == "clear_env":
            return bool(value)
        return value


class ProcFilteringConfig(_Model):
    _fields = {"enabled": True, "allowed_entries": _PROC_DEFAULT}

    def _convert(self, name, value):
        return list(value or []) if name == "allowed_entries" else bool(value)


def _mount(value):
    if isinstance(value, SandboxMount):
        return value
    if isinstance(value, dict):
        return SandboxMount(**value)
    return SandboxMount(**to_plain(value))


class SandboxConfig(_Model):
    _fields = {
        "enabled": True,
        "file_sandboxing": True,
        "network_sandboxing": True,
        "bwrap_path": "bwrap",
        "use_tmpfs_root": True,
        "static_mounts": {},
        "session_mounts": {},
        "dynamic_mounts": [],
        "original_path_mounts": [],
        "tmpfs_paths": [],
        "network": SandboxNetworkConfig,
        "environment": SandboxEnvConfig,
        "proc_filtering": ProcFilteringConfig,
        "writable_paths": [],
        "readonly_paths": [],
    }

    def _convert(self, name, value):
        sub = self._fields[name]
        if isinstance(sub, type):
            return value if isinstance(value, sub) else sub(**to_plain(value or {}))
        if name in ("static_mounts", "session_mounts"):
            return {str(k): _mount(v) for k, v in (value or {}).items()}
        if name in ("dynamic_mounts", "original_path_mounts"):
            return [_mount(v) for v in (value or [])]
        if name in ("tmpfs_paths", "writable_paths", "readonly_paths"):
            return [str(p) for p in (value or [])]
        if name == "bwrap_path":
            return str(value)
        return bool(value)

    def resolve(self, placeholders):
        """A new config with the placeholders resolved where the platform resolves
        them (bwrap_path, mount sources and targets, writable/readonly paths) and
        an empty custom_env, as the platform's resolve() gives every session."""
        d = self.model_dump()
        d["bwrap_path"] = _resolve_str(d["bwrap_path"], placeholders)
        for key in ("static_mounts", "session_mounts"):
            d[key] = {k: self._resolve_mount(v, placeholders) for k, v in d[key].items()}
        for key in ("dynamic_mounts", "original_path_mounts"):
            d[key] = [self._resolve_mount(v, placeholders) for v in d[key]]
        for key in ("writable_paths", "readonly_paths"):
            d[key] = [_resolve_str(p, placeholders) for p in d[key]]
        d["environment"]["custom_env"] = {}
        return SandboxConfig(**d)

    @staticmethod
    def _resolve_mount(m, placeholders):
        return SandboxMount(**m).resolve(placeholders).model_dump()


def to_plain(obj):
    """Plain dicts/lists/scalars from these models, the platform's pydantic
    models (model_dump, or attributes), or dicts of them."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if isinstance(obj, dict):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_plain(v) for v in obj]
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        return to_plain(dump())
    dump = getattr(obj, "dict", None)  # pydantic v1
    if callable(dump):
        return to_plain(dump())
    if hasattr(obj, "__dict__"):
        return {k: to_plain(v) for k, v in vars(obj).items() if not k.startswith("_")}
    raise TypeError("cannot read a configuration value of type %s" % type(obj).__name__)
