# SPDX-License-Identifier: MIT
"""The session API's protocol handling, against fake_serve.py (no sandbox):
ids and interleaving from threads, fds with SCM_RIGHTS paired with their
line, streaming, cancel, errors and hostile inputs refused before sending."""

import asyncio
import os
import sys
import tempfile
import threading
import unittest

from helpers import alive, wait_gone

from ag3ntum_sandbox import Server, ServeError, ServerGone

FAKE = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake_serve.py")]


class ProtocolCase(unittest.TestCase):
    def setUp(self):
        # The fake is run by this python; Server() runs [cli, "serve"].
        wrapper = tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False)
        wrapper.write(f"#!/bin/sh\nexec {sys.executable} {FAKE[0]} \"$@\"\n")
        wrapper.close()
        os.chmod(wrapper.name, 0o700)
        self.addCleanup(os.unlink, wrapper.name)
        self.server = Server(cli=wrapper.name)
        self.pid = self.server.pid
        self.addCleanup(self.stop)
        self.session = self.server.open_session(profile="/nonexistent-for-the-fake")

    def stop(self):
        self.server.close()
        self.assertEqual(wait_gone([self.pid]), [])


class TestProtocol(ProtocolCase):
    def test_hello(self):
        self.assertTrue(self.server.fd_passing)
        self.assertEqual(self.server.limits["max_stdin"], 1 << 20)

    def test_run_capture_and_stream(self):
        r = self.session.run(argv=["sh", "-c", "echo out; echo err >&2; exit 4"])
        self.assertEqual((r.status, r.exit_code, r.stdout, r.stderr), ("exited", 4, b"out\n", b"err\n"))
        seen = []
        r = self.session.run(shell="echo a; echo b >&2", on_output=lambda s, d: seen.append((s, d)))
        self.assertEqual(sorted(seen), [("stderr", b"b\n"), ("stdout", b"a\n")])
        self.assertEqual(r.stdout, b"a\n")
        ex = self.session.stream(argv=["head", "-c", "200000", "/dev/zero"])
        total = sum(len(d) for s, d in ex)
        self.assertEqual((total, ex.result.exit_code), (200000, 0))

    def test_stdin_and_limits(self):
        r = self.session.run(argv=["cat"], stdin=b"x" * 1000)
        self.assertEqual(r.stdout, b"x" * 1000)
        with self.assertRaises(ValueError):
            self.session.run(argv=["cat"], stdin=b"x" * ((1 << 20) + 1))
        for bad in (["a\0b"], [1], "ls", []):
            with self.assertRaises((TypeError, ValueError)):
                self.session.run(argv=bad)
        with self.assertRaises(ValueError):
            self.session.run(argv=["true"], shell="true")

    def test_cancel_and_timeout(self):
        ex = self.session.start(argv=["sleep", "30"])
        ex.cancel()
        self.assertEqual(ex.wait().status, "signaled")
        r = self.session.run(argv=["sleep", "30"], timeout=0.3)
        self.assertEqual((r.status, r.cli_exit_code), ("timeout", 124))

    def test_errors_do_not_break_the_connection(self):
        with self.assertRaises(ServeError) as cm:
            self.server.request({"op": "frobnicate"})
        self.assertEqual(cm.exception.code, "UNKNOWN_OP")
        self.assertEqual(self.session.run(argv=["true"]).exit_code, 0)

    def test_resolve_fd_pairs_with_its_line(self):
        d = tempfile.mkdtemp()
        self.addCleanup(lambda: [os.unlink(os.path.join(d, f)) for f in os.listdir(d)] and None
                        or os.rmdir(d))
        paths = []
        for i in range(20):
            p = os.path.join(d, f"f{i}")
            with open(p, "w") as f:
                f.write(f"content {i}")
            paths.append(p)
        results = {}

        def worker(i):
            with self.session.resolve("read", paths[i]) as res:
                with res.open() as f:
                    results[i] = f.read()
        ts = [threading.Thread(target=worker, args=(i,)) for i in range(20)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(30)
        self.assertEqual(results, {i: f"content {i}" for i in range(20)})
        res = self.session.resolve("read", os.path.join(d, "missing"))
        self.assertFalse(res.allowed)
        self.assertIsNone(res.fd)
        with self.assertRaises(PermissionError):
            res.open()

    def test_threads_and_asyncio(self):
        out = {}

        def worker(n):
            for j in range(10):
                out[(n, j)] = self.session.run(argv=["echo", f"{n}.{j}"]).stdout
        ts = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        self.assertEqual(out, {(n, j): f"{n}.{j}\n".encode() for n in range(8) for j in range(10)})

        async def many():
            return await asyncio.gather(*[self.session.arun(argv=["echo", str(i)]) for i in range(10)])
        self.assertEqual([r.stdout for r in asyncio.run(many())],
                         [f"{i}\n".encode() for i in range(10)])

    def test_check(self):
        self.assertFalse(self.session.check("mcp__ag3ntum__Read", {"file_path": ".env"}))
        self.assertTrue(self.session.check("mcp__ag3ntum__Read", {"file_path": "a"}).allowed)

    def test_server_death_fails_pending_requests(self):
        ex = self.session.start(argv=["sleep", "30"])
        os.kill(self.pid, 9)
        with self.assertRaises(ServerGone):
            ex.wait()
        with self.assertRaises(ServerGone):
            self.session.run(argv=["true"])
        self.assertFalse(alive(self.pid) and self.server.alive)


if __name__ == "__main__":
    unittest.main()
