# SPDX-License-Identifier: MIT
"""ag3ntum_sandbox.platform as the platform's callers use it (reference 7, 11.2)."""

import asyncio
import os
import shlex
import subprocess
import threading
import unittest

from helpers import ROOT, UID, alive, children_of, make_workspace, platform_config, wait_gone

from ag3ntum_sandbox.platform import (SandboxExecutor, SandboxMountError, UIDValidationError,
                                      create_demote_fn, execute_sandboxed_command)

SECRET = "sk-test-secret-9f3a1c"


class ExecutorCase(unittest.TestCase):
    def setUp(self):
        self.base, self.ws = make_workspace(self)
        self.ex = SandboxExecutor(platform_config(self.ws, network=True,
                                                  secrets={"MY_API_KEY": SECRET, "bad-name": "x"}),
                                  linux_uid=UID)
        self.addCleanup(self.close_and_check)

    def close_and_check(self):
        socks = list(self.ex._sessions.values())
        d = self.ex._dir
        pids = []
        for s in socks:
            from helpers import session_pids
            pids += session_pids(s)
        self.ex.close()
        self.assertEqual(wait_gone(pids), [], "session processes left after close()")
        for s in socks:
            self.assertFalse(os.path.exists(s))
        if d:
            self.assertFalse(os.path.exists(d), "private directory left")
        self.assertEqual([p for p in children_of(os.getpid()) if alive(p)], [],
                         "a child of the test is still running")

    async def bash_tool(self, cmd, allow_network=False, timeout="300"):
        """The platform's Bash tool, as tool.py runs it."""
        argv = self.ex.build_bwrap_command(["bash", "-c", cmd], allow_network=allow_network)
        proc = await asyncio.create_subprocess_exec(
            "timeout", "--kill-after=10", timeout, *argv, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT, cwd=None, env={"TERM": "dumb"})
        out, _ = await proc.communicate()
        return proc.returncode or 0, out.decode("utf-8", "replace")


class TestBashTool(ExecutorCase):
    def test_properties(self):
        self.assertEqual(self.ex.linux_uid, UID)
        self.assertEqual(self.ex.linux_gid, UID, "gid defaults to uid, as the platform's production")
        self.assertTrue(self.ex.config.network.enabled)

    def test_exit_code_and_merged_output(self):
        rc, out = asyncio.run(self.bash_tool("echo out; echo err >&2; exit 7"))
        self.assertEqual(rc, 7)
        self.assertEqual(out, "out\nerr\n")

    def test_argv_is_absolute_and_runs_under_term_dumb(self):
        argv = self.ex.build_bwrap_command(["true"], allow_network=False)
        self.assertTrue(os.path.isabs(argv[0]))
        self.assertEqual(argv[1:3], ["exec", "--session"])
        self.assertIn("--network-log", argv[:argv.index("--")], "the agent is told why")
        self.assertEqual(argv[-2:], ["--", "true"])
        rc, out = asyncio.run(self.bash_tool("echo $HOME; pwd; id -u; echo ${TERM:-unset}"))
        self.assertEqual((rc, out), (0, f"/workspace\n/workspace\n{UID}\ndumb\n"))

    def test_timeout_gives_124(self):
        rc, out = asyncio.run(self.bash_tool("sleep 30", timeout="1"))
        self.assertEqual(rc, 124)

    def test_workspace_is_shared_between_commands(self):
        rc, _ = asyncio.run(self.bash_tool("echo data > f.txt"))
        self.assertEqual(rc, 0)
        with open(os.path.join(self.ws, "f.txt")) as f:
            self.assertEqual(f.read(), "data\n")
        if ROOT:
            self.assertEqual(os.stat(os.path.join(self.ws, "f.txt")).st_uid, UID)

    def test_network_setting(self):
        # allow_network=False: no interface but loopback, whatever the config says.
        rc, out = asyncio.run(self.bash_tool("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '"))
        self.assertEqual((rc, out), (0, "lo\n"))
        self.assertEqual(len(self.ex._sessions), 1)
        asyncio.run(self.bash_tool("true", allow_network=True))
        self.assertEqual(len(self.ex._sessions), 2, "one session per effective network setting")

    def test_network_disabled_in_config_wins(self):
        ex = SandboxExecutor(platform_config(self.ws, network=False), linux_uid=UID)
        try:
            argv = ex.build_bwrap_command(["true"], allow_network=True)
            self.assertIn("session-nonet.sock", argv[3])
        finally:
            ex.close()


class TestDefectsAbsent(ExecutorCase):
    """Reference 11.4's defects, each checked in what our argv runs."""

    def test_tmp_exists_with_its_size_and_is_writable(self):
        rc, out = asyncio.run(self.bash_tool(
            "echo x > /tmp/f && cat /tmp/f && df -k /tmp | tail -1 | tr -s ' ' | cut -d' ' -f2"))
        self.assertEqual(rc, 0, out)
        lines = out.split()
        self.assertEqual(lines[0], "x")
        self.assertEqual(int(lines[1]), 100 * 1024, "/tmp is the platform's 100M")

    def test_bash_and_dynamic_binaries_run(self):
        rc, out = asyncio.run(self.bash_tool("ls / >/dev/null && test -e /lib64 && echo ok"))
        self.assertEqual((rc, out), (0, "ok\n"))

    def test_proc_self_is_the_command(self):
        rc, out = asyncio.run(self.bash_tool("readlink /proc/self/exe; tr '\\0' ' ' < /proc/self/cmdline"))
        self.assertEqual(rc, 0, out)
        exe, cmdline = out.split("\n")[:2]
        self.assertTrue(exe.endswith("/readlink"), exe)
        self.assertEqual(cmdline.strip(), "tr \\0")

    def test_passwd_has_the_user(self):
        rc, out = asyncio.run(self.bash_tool(f"getent passwd {UID}; id -un"))
        self.assertEqual(rc, 0, out)
        self.assertIn(f":x:{UID}:{UID}:", out)
        self.assertTrue(out.strip().endswith("alice"), out)

    def test_passwd_home_cannot_add_a_field_or_a_line(self):
        cfg = platform_config(self.ws, as_objects=False)
        os.makedirs(os.path.join(self.ws, "a:0:0::"), exist_ok=True)
        cfg["environment"]["home"] = "/workspace/a:0:0::"
        ex = SandboxExecutor(cfg, linux_uid=UID)
        try:
            argv = ex.build_bwrap_command(["cat", "/etc/passwd"], allow_network=False)
            out = subprocess.run(argv, stdout=subprocess.PIPE, env={"TERM": "dumb"},
                                 timeout=60).stdout.decode()
        finally:
            ex.close()
        # the runtime's file: root, the user (home "/": the HOME cannot be a field), nobody
        self.assertEqual(out.count("\n"), 3 if UID != 65534 else 2, out)
        self.assertIn(f"\nalice:x:{UID}:{UID}:alice:/:/bin/bash\n", out)
        # a line break is refused by the profile loader, naming the key: nothing runs
        cfg["environment"]["home"] = "/workspace\nroot2:x:0:0::/:/bin/sh"
        ex = SandboxExecutor(cfg, linux_uid=UID)
        try:
            with self.assertRaisesRegex(Exception, "sandbox.environment.home"):
                ex.build_bwrap_command(["true"], allow_network=False)
        finally:
            ex.close()

    def test_secret_reaches_the_command_but_no_command_line(self):
        argv = self.ex.build_bwrap_command(["bash", "-c", "echo $MY_API_KEY; sleep 2"],
                                           allow_network=False)
        self.assertNotIn(SECRET, " ".join(argv))
        with subprocess.Popen(argv, stdout=subprocess.PIPE, env={"TERM": "dumb"}) as p:
            # ps: every command line the caller can see, while the command runs.
            first = p.stdout.readline()
            ps = subprocess.run(["ps", "-eww", "-o", "args="], capture_output=True, text=True).stdout
            cmdlines = []
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as f:
                            cmdlines.append(f.read())
                    except OSError:
                        pass
            p.wait()
        self.assertEqual(first.decode().strip(), SECRET)
        self.assertNotIn(SECRET, ps)
        self.assertFalse([c for c in cmdlines if SECRET.encode() in c])
        # Nor in the profile beside the session (only the 0600 secrets file has it).
        for name in os.listdir(self.ex._dir):
            path = os.path.join(self.ex._dir, name)
            if name.startswith("secrets"):
                self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
            elif os.path.isfile(path):
                with open(path) as f:
                    self.assertNotIn(SECRET, f.read(), name)
        self.assertEqual(os.stat(self.ex._dir).st_mode & 0o777, 0o700)


class TestSkillsAndHelpers(ExecutorCase):
    def test_skill_with_stdin_and_separate_streams(self):
        argv = self.ex.build_bwrap_command(["bash", "-c", "tr a-z A-Z; echo warn >&2"],
                                           allow_network=True)

        async def skill():
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE)
            out, err = await asyncio.wait_for(proc.communicate(b"hello skill\n"), 60)
            return proc.returncode, out, err

        self.assertEqual(asyncio.run(skill()), (0, b"HELLO SKILL\n", b"warn\n"))
        # subprocess.run(timeout=), the skills' synchronous form
        p = subprocess.run(argv, input=b"abc", capture_output=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"ABC", b"warn\n"))

    def test_execute_sandboxed_command(self):
        r = asyncio.run(execute_sandboxed_command(self.ex, "echo out; echo err >&2; exit 3"))
        self.assertEqual(r, (3, "out\n", "err\n"))
        r = asyncio.run(execute_sandboxed_command(self.ex, "printf '\\xff'"))
        self.assertEqual(r, (0, "\ufffd", ""))

    def test_execute_sandboxed_command_timeout(self):
        r = asyncio.run(execute_sandboxed_command(self.ex, "sleep 30", timeout=1))
        self.assertEqual(r, (124, "", "Command timed out after 1 seconds"))

    def test_wrap_shell_command(self):
        s = self.ex.wrap_shell_command("echo 'it''s' $((6*7))", allow_network=False)
        argv = shlex.split(s)
        self.assertEqual(argv[-3:], ["bash", "-lc", "echo 'it''s' $((6*7))"])
        p = subprocess.run(s, shell=True, capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (0, "its 42\n"))

    def test_gather_concurrent_commands(self):
        async def many():
            return await asyncio.gather(*[execute_sandboxed_command(self.ex, f"echo {i}")
                                          for i in range(8)])
        self.assertEqual(asyncio.run(many()), [(0, f"{i}\n", "") for i in range(8)])

    def test_threads_in_one_session(self):
        results, errors = {}, []

        def worker(n):
            try:
                for j in range(5):
                    argv = self.ex.build_bwrap_command(["bash", "-c", f"echo {n}-{j}"], False)
                    p = subprocess.run(argv, capture_output=True, timeout=60)
                    results[(n, j)] = (p.returncode, p.stdout)
            except Exception as e:  # reported below
                errors.append(e)

        ts = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertEqual(results, {(n, j): (0, f"{n}-{j}\n".encode())
                                   for n in range(8) for j in range(5)})
        self.assertEqual(len(self.ex._sessions), 1)


class TestDemoteFn(unittest.TestCase):
    """The platform's create_demote_fn / UIDValidationError names."""

    def test_gid_without_uid_is_refused_up_front(self):
        with self.assertRaisesRegex(ValueError, "linux_gid=50001 without linux_uid"):
            SandboxExecutor(platform_config("/nonexistent-ws"), linux_gid=50001)

    def test_refusals(self):
        for uid, gid, kw, text in ((0, 0, {}, "UID 0"), (100, 100, {}, "system"),
                                   (45045, 50001, {}, "API user"), (50001, 0, {}, "GID 0"),
                                   (70000, 70000, {}, "outside"),
                                   (50002, 50002, {"session_uid": 50001}, "does not match session")):
            with self.assertRaisesRegex(UIDValidationError, text):
                create_demote_fn(uid, gid, **kw)
        self.assertTrue(callable(create_demote_fn(0, 0, validate=False)))

    def test_demote_switches_ids(self):
        demote = create_demote_fn(UID + 1, UID + 1, session_uid=UID + 1)
        pid = os.fork()
        if pid == 0:  # the child: demote, report what it became, never return
            code = 4
            try:
                demote()
                code = 0 if (os.getuid(), os.getgid(), os.getgroups()) == (UID + 1, UID + 1, []) else 2
            except PermissionError:
                code = 3
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        # Root switches; without CAP_SETUID the switch fails (never silently skipped).
        self.assertEqual(os.waitstatus_to_exitcode(status), 0 if ROOT else 3)


class TestMountsAndHostileInput(unittest.TestCase):
    def setUp(self):
        self.base, self.ws = make_workspace(self)

    def test_missing_required_mount(self):
        missing = os.path.join(self.base, "no-such-dir")
        cfg = platform_config(self.ws, extra_static={
            "gone": {"source": missing, "target": "/gone", "mode": "ro", "optional": False},
            "opt": {"source": missing + "2", "target": "/opt2", "mode": "ro", "optional": True}})
        with SandboxExecutor(cfg, linux_uid=UID) as ex:
            # The platform's shape: the missing sources themselves (its callers
            # and tests look a source up in the list).
            self.assertEqual(ex.validate_mount_sources(), [missing])
            with self.assertRaises(SandboxMountError) as cm:
                ex.build_bwrap_command(["true"], allow_network=False)
            self.assertIn(f"Mount source does not exist for 'gone': {missing}", str(cm.exception))
            r = asyncio.run(execute_sandboxed_command(ex, "echo never"))
            self.assertEqual(r[:2], (1, ""))
            self.assertIn("SECURITY: Mount source does not exist", r[2])
            self.assertEqual(ex._sessions, {}, "nothing was opened")

    def test_dangling_symlink_source_is_missing(self):
        # As the platform's Path.exists(): a link to nothing is no source.
        link = os.path.join(self.base, "dangling")
        os.symlink(os.path.join(self.base, "nowhere"), link)
        cfg = platform_config(self.ws, extra_static={
            "d": {"source": link, "target": "/d", "mode": "ro", "optional": False}})
        with SandboxExecutor(cfg, linux_uid=UID) as ex:
            self.assertEqual(ex.validate_mount_sources(), [link])
            with self.assertRaisesRegex(SandboxMountError, "does not exist"):
                ex.build_bwrap_command(["true"], allow_network=False)

    def test_validate_mount_sources_never_raises(self):
        ex = SandboxExecutor({"static_mounts": {"x": "not a mount"}, "session_mounts": None})
        self.assertEqual(ex.validate_mount_sources(), [])
        ex.close()
        ex = SandboxExecutor(platform_config(self.ws, as_objects=False), linux_uid=UID)
        self.assertEqual(ex.validate_mount_sources(), [])
        ex.close()

    def test_plain_dict_config(self):
        with SandboxExecutor(platform_config(self.ws, as_objects=False), linux_uid=UID) as ex:
            r = asyncio.run(execute_sandboxed_command(ex, "id -u"))
            self.assertEqual(r, (0, f"{UID}\n", ""))

    def test_hostile_argv(self):
        with SandboxExecutor(platform_config(self.ws), linux_uid=UID) as ex:
            with self.assertRaises(ValueError):
                ex.build_bwrap_command(["echo", "a\0b"], allow_network=False)
            with self.assertRaises(TypeError):
                ex.build_bwrap_command(["echo", 3], allow_network=False)
            with self.assertRaises(TypeError):
                ex.build_bwrap_command("echo hi", allow_network=False)
            with self.assertRaises(ValueError):
                ex.build_bwrap_command([], allow_network=False)
            r = asyncio.run(execute_sandboxed_command(ex, "echo a\0b"))
            self.assertEqual(r[:2], (1, ""))
            # A command line starting with '-' is the command's, not an option of ours.
            p = subprocess.run(ex.build_bwrap_command(["--help"], False), capture_output=True,
                               timeout=60)
            self.assertEqual(p.returncode, 127, p.stderr)

    def test_closed_executor_refuses(self):
        ex = SandboxExecutor(platform_config(self.ws), linux_uid=UID)
        ex.close()
        with self.assertRaises(RuntimeError):
            ex.build_bwrap_command(["true"], allow_network=False)


if __name__ == "__main__":
    unittest.main()
