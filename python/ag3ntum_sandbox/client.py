# SPDX-License-Identifier: MIT
"""The session API: a client of `ag3ntum-sandbox serve` (doc/serve-protocol.md).

One `Server` is one `serve` process in stdio mode, talking over a
socketpair (so that `resolve` can hand over file descriptors with
SCM_RIGHTS). A reader thread dispatches the replies by id; sends are
serialized by a lock, so every method is safe from several threads at once.
"""

import asyncio
import base64
import collections
import errno
import itertools
import json
import os
import queue
import socket
import stat
import subprocess
import threading

from ._cli import find_cli

PROTOCOL = "ag3ntum.serve/1"
# File descriptors one reply may carry (resolve passes one).
_MAX_FDS = 16
_HELLO_TIMEOUT = 30.0


class SandboxError(Exception):
    """Base class of this package's errors."""


class ServeError(SandboxError):
    """An `error` reply: `code` is the protocol's code (BAD_REQUEST ...)."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ServerGone(SandboxError):
    """The serve process ended or the connection broke."""


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _unb64(text):
    return base64.b64decode(text) if text else b""


def _check_str(value, what):
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, not {type(value).__name__}")
    if "\0" in value:
        raise ValueError(f"{what} contains a NUL character")
    return value


class Result:
    """The outcome of one command (the protocol's `result` reply)."""

    __slots__ = ("status", "exit_code", "cli_exit_code", "signal", "stdout", "stderr",
                 "stdout_truncated", "stderr_truncated", "record", "duration_ms")

    def __init__(self, reply, stdout=b"", stderr=b""):
        self.status = reply.get("status")
        self.exit_code = reply.get("exit_code")
        self.cli_exit_code = reply.get("cli_exit_code")
        self.signal = reply.get("signal") or 0
        self.duration_ms = reply.get("duration_ms")
        self.record = reply.get("record") or {}
        if "stdout" in reply or "stderr" in reply:
            stdout = _unb64(reply.get("stdout"))
            stderr = _unb64(reply.get("stderr"))
        self.stdout = stdout
        self.stderr = stderr
        self.stdout_truncated = bool(reply.get("stdout_truncated", False))
        self.stderr_truncated = bool(reply.get("stderr_truncated", False))

    @property
    def returncode(self):
        """What the platform's callers read: the CLI's exit code (124 timeout ...)."""
        return self.cli_exit_code

    @property
    def setup_error(self):
        return self.record.get("setup_error")

    def __repr__(self):
        return (f"Result(status={self.status!r}, exit_code={self.exit_code!r}, "
                f"cli_exit_code={self.cli_exit_code!r}, signal={self.signal!r}, "
                f"stdout={len(self.stdout)} bytes, stderr={len(self.stderr)} bytes)")


class Decision:
    """A `check` reply: the policy engine's decision on a tool call."""

    def __init__(self, reply):
        self.raw = reply
        self.decision = reply.get("decision")
        self.allowed = self.decision == "allow"
        self.reason = reply.get("reason")
        self.message = reply.get("message")
        self.rule = reply.get("rule")
        self.file = reply.get("file")
        self.line = reply.get("line")

    def __bool__(self):
        return self.allowed

    def __repr__(self):
        return f"Decision({self.decision!r}, reason={self.reason!r}, message={self.message!r})"


class Resolution:
    """A `resolve` reply, with the descriptors it carried.

    `fd` (read, edit, list, glob, grep) or `dir_fd` + `name` (write, delete)
    are this object's: `close()` (or the context manager, or garbage
    collection) closes them. `open()` uses them, never the path, so what was
    checked is what is used.
    """

    def __init__(self, reply, fds):
        self.raw = reply
        self.allowed = bool(reply.get("allowed"))
        self.reason = reply.get("reason")
        self.message = reply.get("message")
        self.operation = reply.get("operation")
        self.path = reply.get("path")
        self.sandbox_path = reply.get("sandbox_path")
        self.host_path = reply.get("host_path")
        self.readonly = bool(reply.get("readonly"))
        self.is_directory = bool(reply.get("is_directory"))
        self.origin = reply.get("origin")
        self.name = reply.get("name")
        self.fd = None
        self.dir_fd = None
        for key, fd in fds.items():
            if key in ("fd", "dir_fd"):
                setattr(self, key, fd)
            else:
                os.close(fd)

    def close(self):
        for key in ("fd", "dir_fd"):
            fd = getattr(self, key, None)
            if fd is not None:
                setattr(self, key, None)
                try:
                    os.close(fd)
                except OSError:
                    pass

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def open(self, mode="r", encoding=None, errors=None, newline=None, perms=0o666):
        """A file object on what was resolved, opened through the descriptor.

        read/edit: the fd itself (duplicated; "r"/"rb", edit also "r+"/"r+b"
        and "w"/"wb", which truncate through the fd). write: openat(dir_fd,
        name, O_WRONLY|O_CREAT|O_NOFOLLOW|O_NONBLOCK), a regular file only
        ("w" truncates, "a" appends, "x" must be new). A refused resolution
        raises PermissionError.
        """
        if not self.allowed:
            raise PermissionError(f"{self.reason}: {self.message}")
        binary = "b" in mode
        base = mode.replace("b", "").replace("t", "")
        kw = {} if binary else {"encoding": encoding or "utf-8", "errors": errors, "newline": newline}
        if self.fd is not None:
            if self.is_directory:
                raise IsADirectoryError(f"{self.sandbox_path} is a directory: use listdir()")
            fd = os.dup(self.fd)
            try:
                if base in ("w", "w+"):
                    os.ftruncate(fd, 0)
                    mode = mode.replace("w", "r+")
                os.lseek(fd, 0, os.SEEK_SET)
                return os.fdopen(fd, mode, **kw)
            except BaseException:
                os.close(fd)
                raise
        if self.dir_fd is not None and self.name:
            flags = os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            flags |= os.O_RDWR if "+" in base else os.O_WRONLY
            if base.startswith("w"):
                flags |= os.O_TRUNC
            elif base.startswith("a"):
                flags |= os.O_APPEND
            elif base.startswith("x"):
                flags |= os.O_EXCL
            else:
                raise ValueError(f"mode {mode!r}: a {self.operation} resolution opens for writing")
            # The sandbox may have swapped the name since the decision: a
            # symlink fails (O_NOFOLLOW); a fifo must neither block this open
            # (O_NONBLOCK) nor be written to (the sandbox reads it), nor any
            # other object than a regular file.
            fd = os.open(self.name, flags | os.O_NONBLOCK, perms, dir_fd=self.dir_fd)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise OSError(errno.EINVAL, f"{self.sandbox_path} was replaced by something "
                                  "that is not a regular file: not written")
                os.set_blocking(fd, True)
                return os.fdopen(fd, mode.replace("x", "w"), **kw)
            except BaseException:
                os.close(fd)
                raise
        raise ValueError("this resolution carries no descriptor (fd=False, or the transport cannot pass one)")

    def listdir(self):
        """The names in a resolved directory, read through the fd."""
        if self.fd is None or not self.is_directory:
            raise NotADirectoryError(f"{self.sandbox_path}: no directory descriptor")
        return os.listdir(self.fd)

    def unlink(self):
        """Remove the resolved name (a delete resolution): unlinkat(dir_fd, name)."""
        if self.dir_fd is None or not self.name:
            raise ValueError("no dir_fd/name in this resolution")
        os.unlink(self.name, dir_fd=self.dir_fd)

    def __repr__(self):
        return (f"Resolution(allowed={self.allowed}, reason={self.reason!r}, "
                f"sandbox_path={self.sandbox_path!r}, host_path={self.host_path!r}, fd={self.fd}, "
                f"dir_fd={self.dir_fd}, name={self.name!r})")


_END = object()


class Execution:
    """A running command: iterate for (stream, bytes) chunks, then `.result`."""

    def __init__(self, session, exec_id, replies):
        self.session = session
        self.id = exec_id
        self._replies = replies
        self.result = None
        self._stdout = []
        self._stderr = []

    def _next_event(self, timeout=None):
        reply = self._replies.get(timeout=timeout)
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def __iter__(self):
        return self

    def __next__(self):
        while self.result is None:
            reply = self._next_event()
            kind = reply.get("type")
            if kind == "output":
                return reply.get("stream"), _unb64(reply.get("data"))
            if kind == "started":
                continue
            if kind == "result":
                self.result = Result(reply)
                self.session.server._forget(self.id)
                break
            if kind == "error":
                self.session.server._forget(self.id)
                raise ServeError(reply.get("code"), reply.get("message"))
        raise StopIteration

    def wait(self, on_output=None, capture=True):
        """Read to the end; return the Result (output gathered unless capture=False)."""
        for stream, data in self:
            if on_output is not None:
                on_output(stream, data)
            if capture:
                (self._stdout if stream == "stdout" else self._stderr).append(data)
        r = self.result
        if capture and (self._stdout or self._stderr) and not r.stdout and not r.stderr:
            r.stdout = b"".join(self._stdout)
            r.stderr = b"".join(self._stderr)
        return r

    def cancel(self):
        """Stop the command (SIGTERM to its tree, SIGKILL after the grace)."""
        if self.result is None:
            try:
                self.session.server.request({"op": "cancel", "exec": self.id})
            except ServeError as e:
                if e.code != "NO_SUCH_EXEC":
                    raise


class Session:
    """A warm sandbox opened by `Server.open_session`."""

    def __init__(self, server, reply):
        self.server = server
        self.handle = reply["session"]
        self.info = reply
        self.network = reply.get("network")
        self.uid = reply.get("uid")
        self.gid = reply.get("gid")
        self.cwd = reply.get("cwd")
        self.degraded = reply.get("degraded", [])
        # what the sandbox enforces (namespaces, seccomp, landlock_abi, degraded)
        self.enforcement = reply.get("enforcement")
        self.closed = False

    def start(self, argv=None, shell=None, stdin=None, timeout=None, env=None, cwd=None,
              merge_stderr=False, capture=False):
        """Start a command; returns an Execution (stream it, wait on it, cancel it)."""
        req = {"op": "exec", "session": self.handle}
        if (argv is None) == (shell is None):
            raise ValueError("give exactly one of argv and shell")
        if argv is not None:
            if isinstance(argv, (str, bytes)):
                raise TypeError("argv must be a list of str (use shell= for a command line)")
            argv = list(argv)
            if not argv:
                raise ValueError("argv is empty")
            req["argv"] = [_check_str(a, "argv item") for a in argv]
        else:
            req["shell"] = _check_str(shell, "shell")
        if stdin is not None:
            if isinstance(stdin, str):
                stdin = stdin.encode()
            if not isinstance(stdin, (bytes, bytearray, memoryview)):
                raise TypeError("stdin must be bytes")
            limit = self.server.limits.get("max_stdin", 1 << 20)
            if len(stdin) > limit:
                raise ValueError(f"stdin is {len(stdin)} bytes; at most {limit} (serve's max_stdin)")
            req["stdin"] = _b64(bytes(stdin))
        if timeout is not None:
            if timeout < 0:
                raise ValueError("timeout must be >= 0 (0: none)")
            req["timeout_ms"] = int(round(timeout * 1000))
        if env is not None:
            req["env"] = {_check_str(k, "env name"): _check_str(v, "env value") for k, v in env.items()}
        if cwd is not None:
            req["cwd"] = _check_str(cwd, "cwd")
        req["stderr"] = "merge" if merge_stderr else "separate"
        req["capture"] = bool(capture)
        exec_id, replies = self.server._send(req)
        return Execution(self, exec_id, replies)

    def run(self, argv=None, shell=None, stdin=None, timeout=None, env=None, cwd=None,
            merge_stderr=False, capture=True, on_output=None):
        """Run a command to its end; returns a Result.

        capture=True without on_output: serve captures (capped per stream at
        the profile's output limit; Result.stdout_truncated says so). With
        on_output(stream, data), the output is streamed to it (and gathered
        when capture is true, without a cap).
        """
        server_capture = capture and on_output is None
        ex = self.start(argv=argv, shell=shell, stdin=stdin, timeout=timeout, env=env, cwd=cwd,
                        merge_stderr=merge_stderr, capture=server_capture)
        try:
            return ex.wait(on_output=on_output, capture=capture)
        except BaseException:
            if ex.result is None:
                try:
                    ex.cancel()
                except SandboxError:
                    pass
            raise

    def stream(self, argv=None, shell=None, stdin=None, timeout=None, env=None, cwd=None,
               merge_stderr=False):
        """An Execution to iterate: (stream, bytes) chunks; then its .result."""
        return self.start(argv=argv, shell=shell, stdin=stdin, timeout=timeout, env=env, cwd=cwd,
                          merge_stderr=merge_stderr, capture=False)

    def cancel(self, execution):
        """Cancel an Execution (or an exec id)."""
        if isinstance(execution, Execution):
            execution.cancel()
        else:
            self.server.request({"op": "cancel", "exec": execution})

    def resolve(self, operation, path, allow_directory=False, fd=True, **rules):
        """May a file tool use PATH for OPERATION? A Resolution (with its fd)."""
        return self.server.resolve(operation, path, allow_directory=allow_directory, fd=fd,
                                   session=self.handle, **rules)

    def check(self, tool, input, denials=None, other_denials=None):
        """The policy engine's decision on a tool call (can_use_tool); a file
        tool's path is resolved too. denials/other_denials: this run's earlier
        denials of this tool / of others (the final warning, the interrupt)."""
        return self.server.check(tool, input, session=self.handle, denials=denials,
                                 other_denials=other_denials)

    def close(self):
        if not self.closed:
            self.closed = True
            try:
                self.server.request({"op": "close", "session": self.handle})
            except ServerGone:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # asyncio: the blocking calls in the loop's executor; a cancelled await
    # cancels the command.
    async def arun(self, argv=None, shell=None, stdin=None, timeout=None, env=None, cwd=None,
                   merge_stderr=False, capture=True, on_output=None):
        ex = self.start(argv=argv, shell=shell, stdin=stdin, timeout=timeout, env=env, cwd=cwd,
                        merge_stderr=merge_stderr, capture=capture and on_output is None)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, lambda: ex.wait(on_output=on_output, capture=capture))
        except asyncio.CancelledError:
            ex.cancel()
            raise

    async def aresolve(self, operation, path, allow_directory=False, fd=True, **rules):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, lambda: self.resolve(operation, path, allow_directory=allow_directory, fd=fd, **rules))

    async def acheck(self, tool, input, denials=None, other_denials=None):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None, lambda: self.check(tool, input, denials, other_denials))

    async def aclose(self):
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.close)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.aclose()


class Server:
    """One `ag3ntum-sandbox serve` process in stdio mode, over a socketpair.

    `cli`: the binary (default: find_cli()). `args`: more serve options.
    `stderr`: where serve's own diagnostics go (default: inherited).
    """

    def __init__(self, cli=None, args=(), stderr=None, hello_timeout=_HELLO_TIMEOUT):
        self.cli = cli or find_cli()
        self._sock, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._proc = subprocess.Popen(
                [self.cli, "serve", *args], stdin=child.fileno(), stdout=child.fileno(),
                stderr=stderr, close_fds=True, start_new_session=True)
        except BaseException:
            self._sock.close()
            raise
        finally:
            child.close()
        self.pid = self._proc.pid
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._pending = {}
        self._ids = itertools.count(1)
        self._fds = collections.deque()
        self._gone = None
        self._closed = False
        self._buf = b""
        try:
            self.hello = self._read_hello(hello_timeout)
        except BaseException:
            self._kill()
            raise
        if self.hello.get("protocol") != PROTOCOL:
            self._kill()
            raise SandboxError(f"serve speaks {self.hello.get('protocol')!r}, this package {PROTOCOL!r}")
        self.limits = self.hello.get("limits", {})
        self.fd_passing = bool(self.hello.get("fd_passing"))
        self._reader = threading.Thread(target=self._read_loop, name="ag3ntum-serve-reader", daemon=True)
        self._reader.start()

    # -- reading ---------------------------------------------------------
    def _recv(self):
        data, anc, flags, _ = self._sock.recvmsg(
            1 << 16, socket.CMSG_SPACE(_MAX_FDS * 4), socket.MSG_CMSG_CLOEXEC)
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                n = len(payload) // 4
                self._fds.extend(int.from_bytes(payload[i * 4:i * 4 + 4], "little", signed=True)
                                 for i in range(n))
        if flags & socket.MSG_CTRUNC:
            raise ServerGone("a reply carried more descriptors than expected (MSG_CTRUNC)")
        return data

    def _lines(self):
        """Complete lines read so far, reading once when there are none."""
        data = self._recv()
        if not data:
            return None
        self._buf += data
        *lines, self._buf = self._buf.split(b"\n")
        return lines

    def _read_hello(self, timeout):
        self._sock.settimeout(timeout)
        try:
            while b"\n" not in self._buf:
                data = self._recv()
                if not data:
                    raise ServerGone(f"serve ended before its hello (status {self._proc.poll()})")
                self._buf += data
        except socket.timeout:
            raise ServerGone(f"serve sent no hello within {timeout} s") from None
        finally:
            self._sock.settimeout(None)
        line, self._buf = self._buf.split(b"\n", 1)
        hello = json.loads(line)
        if hello.get("type") != "hello":
            raise SandboxError(f"serve's first line is not a hello: {line[:200]!r}")
        return hello

    def _read_loop(self):
        err = None
        try:
            while True:
                # What is already buffered first (bytes after the hello).
                lines = []
                if b"\n" in self._buf:
                    *lines, self._buf = self._buf.split(b"\n")
                else:
                    lines = self._lines()
                    if lines is None:
                        break
                for line in lines:
                    if line.strip():
                        self._dispatch(line)
        except OSError as e:
            err = e
        except Exception as e:  # a reply we cannot parse: the connection is unusable
            err = e
        with self._lock:
            self._gone = ServerGone(f"serve connection ended{': ' + str(err) if err else ''}")
            pending, self._pending = self._pending, {}
        for q in pending.values():
            q.put(self._gone)
        while self._fds:
            os.close(self._fds.popleft())

    def _dispatch(self, line):
        reply = json.loads(line)
        fds = {}
        for name in reply.get("fds") or []:
            if not self._fds:
                raise ServerGone(f"reply {reply.get('id')!r} names descriptors that did not arrive")
            fds[name] = self._fds.popleft()
        if fds:
            reply["_fds"] = fds
        with self._lock:
            q = self._pending.get(reply.get("id"))
        if q is None:
            for fd in fds.values():
                os.close(fd)
            return
        q.put(reply)

    # -- sending ---------------------------------------------------------
    def _send(self, req):
        """Send a request with a fresh id; returns (id, its reply queue)."""
        rid = next(self._ids)
        req = dict(req, id=rid)
        line = json.dumps(req, separators=(",", ":"), ensure_ascii=True).encode() + b"\n"
        max_line = self.limits.get("max_line", 4 << 20)
        if len(line) > max_line:
            raise ValueError(f"request is {len(line)} bytes; serve takes at most {max_line}")
        q = queue.SimpleQueue()
        with self._lock:
            if self._gone is not None or self._closed:
                raise self._gone or ServerGone("server closed")
            self._pending[rid] = q
        try:
            with self._send_lock:
                self._sock.sendall(line)
        except OSError as e:
            self._forget(rid)
            raise ServerGone(f"cannot write to serve: {e}") from e
        return rid, q

    def _forget(self, rid):
        with self._lock:
            self._pending.pop(rid, None)

    def request(self, req, timeout=None):
        """Send one request and return its single reply (raises ServeError on `error`)."""
        rid, q = self._send(req)
        try:
            reply = q.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no reply to {req.get('op')} within {timeout} s") from None
        finally:
            self._forget(rid)
        if isinstance(reply, BaseException):
            raise reply
        if reply.get("type") == "error":
            for fd in reply.pop("_fds", {}).values():
                os.close(fd)
            raise ServeError(reply.get("code"), reply.get("message"))
        return reply

    # -- operations ------------------------------------------------------
    def open_session(self, **open_keys):
        """Open a warm session; the keys are the protocol's `open` keys."""
        reply = self.request(dict(open_keys, op="open"))
        return Session(self, reply)

    def resolve(self, operation, path, allow_directory=False, fd=True, session=None, **keys):
        """`resolve` with a session handle or the open keys (profile, user ...)."""
        req = {"op": "resolve", "operation": _check_str(operation, "operation"),
               "path": _check_str(path, "path"), "allow_directory": bool(allow_directory),
               "fd": bool(fd)}
        if session is not None:
            req["session"] = session
        req.update({k: v for k, v in keys.items() if v is not None})
        reply = self.request(req)
        return Resolution(reply, reply.pop("_fds", {}))

    def check(self, tool, input, session=None, **keys):
        req = {"op": "check", "tool": _check_str(tool, "tool"), "input": input}
        if session is not None:
            req["session"] = session
        req.update({k: v for k, v in keys.items() if v is not None})
        return Decision(self.request(req))

    # -- lifetime --------------------------------------------------------
    def close(self, timeout=30.0):
        """End serve: EOF on its stdin closes every session first; then wait."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill()
        self._reader.join(timeout=5)
        self._sock.close()

    def _kill(self):
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._sock.close()

    @property
    def alive(self):
        return self._proc.poll() is None and self._gone is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            if not self._closed:
                self.close(timeout=5)
        except Exception:
            pass
