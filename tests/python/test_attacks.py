# SPDX-License-Identifier: MIT
"""A sandboxed command racing the file tools: what it swaps in between the
decision and the use (the workspace is the sandbox's to change at any time).
Each test plays the sandbox's part on the host, where the swap lands."""

import os
import signal
import subprocess
import threading
import unittest

from helpers import (UID, make_workspace, platform_config, serve_available, session_pids,
                     wait_gone)

from ag3ntum_sandbox import _validator
from ag3ntum_sandbox.platform import (SandboxExecutor, cleanup_path_validator,
                                      configure_path_validator)

REASON = "this ag3ntum-sandbox has no `serve` command"
DEADLINE = 5  # seconds an open may take before it counts as blocked


@unittest.skipUnless(serve_available(), REASON)
class TestSwapAfterResolve(unittest.TestCase):
    def setUp(self):
        self.base, self.ws = make_workspace(self)
        # the validators' shared serve goes with the test (other suites count children)
        self.addCleanup(_validator._close_server)
        self.v = configure_path_validator("s1", self.ws, username="alice")
        self.addCleanup(cleanup_path_validator, "s1")

    def open_bounded(self, vp, mode):
        """vp.open(mode) in a thread: (finished, exception or None)."""
        out = {}

        def run():
            try:
                vp.open(mode).close()
                out["exc"] = None
            except Exception as e:  # noqa: BLE001 (the test inspects it)
                out["exc"] = e

        t = threading.Thread(target=run, daemon=True)
        t.start()
        t.join(DEADLINE)
        return not t.is_alive(), out.get("exc"), t

    def unblock(self, fifo, t):
        """A reader on FIFO lets a blocked open for writing return (bounded)."""
        if not t.is_alive():
            return
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        t.join(DEADLINE)
        os.close(fd)

    def test_write_name_swapped_for_a_fifo_neither_blocks_nor_opens_it(self):
        # The file tool resolves a new file; the sandbox puts a fifo there
        # (its reader kept open) before the tool opens it: the tool must not
        # hang on it nor write into the sandbox's pipe.
        vp = self.v.validate_path("out.txt", "write")
        self.addCleanup(vp.close)
        fifo = os.path.join(self.ws, "out.txt")
        os.mkfifo(fifo)
        done, exc, t = self.open_bounded(vp, "w")
        self.addCleanup(self.unblock, fifo, t)
        self.assertTrue(done, "open('w') of a write resolution blocked on a fifo swapped in")
        self.assertIsInstance(exc, OSError, "a fifo swapped in was opened for writing")
        # With a reader waiting, a non-blocking open would succeed: still refused.
        rfd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.addCleanup(os.close, rfd)
        done, exc, t = self.open_bounded(vp, "a")
        self.assertTrue(done)
        self.assertIsInstance(exc, OSError, "a fifo with a reader was opened for writing")

    def test_write_name_swapped_for_a_symlink_is_not_followed(self):
        vp = self.v.validate_path("out.txt", "write")
        self.addCleanup(vp.close)
        target = os.path.join(self.base, "outside")
        os.symlink(target, os.path.join(self.ws, "out.txt"))
        done, exc, _ = self.open_bounded(vp, "w")
        self.assertTrue(done)
        self.assertIsInstance(exc, OSError)
        self.assertFalse(os.path.lexists(target), "the write followed a symlink out")

    def test_write_name_swapped_for_a_directory(self):
        vp = self.v.validate_path("out.txt", "write")
        self.addCleanup(vp.close)
        os.mkdir(os.path.join(self.ws, "out.txt"))
        done, exc, _ = self.open_bounded(vp, "a")
        self.assertTrue(done)
        self.assertIsInstance(exc, OSError)


class TestDeadSession(unittest.TestCase):
    """The session's holder is killed (OOM killer, an operator's kill -9): the
    executor must neither run anything outside the sandbox nor keep handing
    out the dead socket, which would fail every later command."""

    def setUp(self):
        self.base, self.ws = make_workspace(self)
        self.ex = SandboxExecutor(platform_config(self.ws), linux_uid=UID)
        self.addCleanup(self.ex.close)

    def run_argv(self, argv):
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)

    def test_a_killed_session_is_replaced(self):
        argv = self.ex.build_bwrap_command(["id", "-u"], False)
        self.assertEqual(self.run_argv(argv).stdout, f"{UID}\n".encode())
        sock = argv[argv.index("--session") + 1]
        pids = session_pids(sock)
        self.assertTrue(pids, "no process of the session found")
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        self.assertEqual(wait_gone(pids), [])
        # the old argv fails closed: nothing runs
        p = self.run_argv(argv)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, b"")
        # a new call gets a live session, the command still sandboxed
        argv = self.ex.build_bwrap_command(["id", "-u"], False)
        p = self.run_argv(argv)
        self.assertEqual((p.returncode, p.stdout), (0, f"{UID}\n".encode()), p.stderr)
        self.ex.close()
        self.assertEqual(wait_gone(session_pids(sock)), [], "the new session outlived close()")


if __name__ == "__main__":
    unittest.main()
