# SPDX-License-Identifier: MIT
"""The session API and the path-validator drop-in against the real
`ag3ntum-sandbox serve` (SKIP, with the reason, while the CLI has no serve)."""

import gc
import os
import unittest

from helpers import UID, ROOT, make_workspace, platform_config, serve_available, wait_gone

from ag3ntum_sandbox import Server
import pathlib

from ag3ntum_sandbox import platform
from ag3ntum_sandbox.platform import (Ag3ntumPathValidator, PathValidationError, PathValidatorConfig,
                                      SandboxExecutor, cleanup_path_validator,
                                      configure_path_validator, get_path_validator,
                                      has_path_validator)

REASON = "this ag3ntum-sandbox has no `serve` command yet (branch serve, issue 10 item 2)"


@unittest.skipUnless(serve_available(), REASON)
class TestSession(unittest.TestCase):
    def setUp(self):
        self.base, self.ws = make_workspace(self)
        self.server = Server()
        self.addCleanup(lambda: (self.server.close(), self.assertEqual(wait_gone([self.server.pid]), [])))
        self.s = self.server.open_session(workspace=self.ws, uid=UID, gid=UID)
        self.addCleanup(self.s.close)

    def test_session_says_what_it_enforces(self):
        e = self.s.enforcement
        self.assertIsInstance(e, dict)
        self.assertIn("net", e["namespaces"])
        self.assertTrue(e["seccomp"])
        self.assertEqual(self.s.degraded, e["degraded"])

    def test_run_stdin_timeout_cancel(self):
        r = self.s.run(argv=["sh", "-c", "cat; id -u; exit 3"], stdin=b"in\n")
        self.assertEqual((r.status, r.exit_code, r.stdout), ("exited", 3, f"in\n{UID}\n".encode()))
        r = self.s.run(shell="sleep 30", timeout=0.5)
        self.assertEqual((r.status, r.cli_exit_code), ("timeout", 124))
        ex = self.s.start(argv=["sleep", "30"])
        ex.cancel()
        self.assertEqual(ex.wait().status, "signaled")
        chunks = list(self.s.stream(argv=["sh", "-c", "echo a; echo b >&2"]))
        self.assertEqual(sorted(chunks), [("stderr", b"b\n"), ("stdout", b"a\n")])
        with self.assertRaises(ValueError):
            self.s.run(argv=["cat"], stdin=b"x" * ((1 << 20) + 1))

    def test_allowlist_events_reach_the_caller(self):
        # README "Network": the stub answers by itself (nothing leaves the machine:
        # the names are under .invalid), and the record says what it refused.
        src = os.path.join(os.path.dirname(__file__), "..", "..", "profiles", "default.yaml")
        with open(src) as f:
            text = f.read()
        old = "    enabled: false\n    allowed_domains: []\n"
        self.assertIn(old, text)
        prof = os.path.join(self.base, "net.yaml")
        with open(prof, "w") as f:
            f.write(text.replace(old, '    enabled: true\n    allowed_domains: ["api.allowed.invalid"]\n'))
        os.chmod(prof, 0o644)
        with self.server.open_session(profile=prof, workspace=self.ws, uid=UID, gid=UID) as s:
            r = s.run(shell="getent hosts api.allowed.invalid; getent hosts exfil.evil.invalid; "
                            "echo $HTTPS_PROXY")
            self.assertEqual(r.status, "exited", r.record)
            out = r.stdout.decode()
            self.assertRegex(out, r"^127\.77\.\d+\.\d+\s+api\.allowed\.invalid\n")
            self.assertNotIn("exfil", out)
            self.assertTrue(out.endswith("http://127.77.0.1:3128\n"), out)
            net = r.record.get("network")
            self.assertIsNotNone(net, r.record)
            self.assertEqual(net["mode"], "allowlist")
            self.assertIn({"kind": "dns", "name": "exfil.evil.invalid", "port": None,
                           "reason": "not_allowed"}, net["events"])

    def test_resolve_with_fd_and_check(self):
        with open(os.path.join(self.ws, "a.txt"), "w") as f:
            f.write("hello")
        with self.s.resolve("read", "a.txt") as res:
            self.assertTrue(res.allowed, res)
            self.assertIsNotNone(res.fd)
            with res.open() as f:
                self.assertEqual(f.read(), "hello")
        with self.s.resolve("write", "../../../etc/passwd") as res:
            self.assertEqual((res.allowed, res.reason), (False, "PATH_TRAVERSAL"))
        d = self.s.check("mcp__ag3ntum__Read", {"file_path": "/users/bob/sessions/x/workspace/.env"})
        self.assertFalse(d.allowed)

    def test_check_rules_paths_and_denial_counts(self):
        prof = os.path.join(self.base, "p.yaml")
        with open(prof, "w") as f:
            f.write("name: t\nsandbox:\n  enabled: true\n  session_mounts:\n"
                    "    workspace: {source: '{workspace_dir}', target: /workspace, mode: rw}\n"
                    "permissions:\n  allow: ['Read(*)', 'Bash(git:*)']\n  deny: ['Bash(rm:*)']\n")
        with self.server.open_session(profile=prof, workspace=self.ws, uid=UID, gid=UID) as s:
            # the rules allow Read; the path is refused by the resolver, with its code
            d = s.check("Read", {"file_path": "../../../etc/passwd"})
            self.assertEqual((d.allowed, d.reason), (False, "PATH_TRAVERSAL"))
            self.assertEqual(d.message, d.raw["path"]["message"])
            self.assertTrue(s.check("Read", {"file_path": "a.txt"}).allowed)
            d = s.check("Bash", {"command": "rm -rf x"}, denials=1)
            self.assertEqual((d.allowed, d.reason), (False, "deny-rule"))
            self.assertIn("FINAL WARNING", d.message)
            self.assertTrue(s.check("Bash", {"command": "rm x"}, denials=2).raw["interrupt"])


@unittest.skipUnless(serve_available(), REASON)
class TestPathValidator(unittest.TestCase):
    def setUp(self):
        self.base, self.ws = make_workspace(self)
        for name, data in (("a.txt", "A"), (".env", "SECRET=1")):
            with open(os.path.join(self.ws, name), "w") as f:
                f.write(data)
        os.makedirs(os.path.join(self.ws, "skills"))
        os.symlink("/etc/passwd", os.path.join(self.ws, "escape"))
        self.v = configure_path_validator("s1", self.ws, username="alice")
        self.addCleanup(cleanup_path_validator, "s1")

    def refused(self, path, op, code, phrase=None, validator=None, **kw):
        with self.assertRaises(PathValidationError) as cm:
            (validator or get_path_validator("s1")).validate_path(path, op, **kw)
        self.assertEqual(cm.exception.code, code, cm.exception.reason)
        self.assertTrue(cm.exception.reason.startswith(code + ": "))
        if phrase:
            # The platform's text for the category (its callers and tests match it).
            self.assertIn(phrase, str(cm.exception))
            self.assertEqual(str(cm.exception), cm.exception.message)

    def test_registry(self):
        self.assertTrue(has_path_validator("s1"))
        with self.assertRaises(RuntimeError):
            get_path_validator("nope")

    def test_each_operation(self):
        v = get_path_validator("s1")
        vp = v.validate_path("a.txt", "read")
        self.assertEqual(str(vp.normalized), os.path.join(self.ws, "a.txt"))
        with vp.open() as f:
            self.assertEqual(f.read(), "A")
        vp.close()
        for op in ("list", "glob", "grep"):
            v.validate_path("/workspace", op, allow_directory=True).close()
        self.refused("/workspace", "list", "IS_A_DIRECTORY")
        vp = v.validate_path("new.txt", "write")
        with vp.open("w") as f:
            f.write("N")
        vp.close()
        with open(os.path.join(self.ws, "new.txt")) as f:
            self.assertEqual(f.read(), "N")
        v.validate_path("new.txt", "edit").close()
        v.validate_path("new.txt", "delete").close()

    def test_refusals(self):
        self.refused("/users/bob/sessions/x/workspace/a", "read", "CROSS_USER_ACCESS_BLOCKED")
        self.refused("../../../etc/passwd", "write", "PATH_TRAVERSAL")
        self.refused(".env", "read", "BLOCKLIST")
        self.refused("skills/x.md", "write", "READ_ONLY")
        self.refused("escape", "read", "SYMLINK_ESCAPE")
        self.refused("a\0b", "read", "PATH_INVALID")

    def test_platform_messages(self):
        outside = "Path outside allowed directories"
        self.refused("../../../etc/passwd", "read", "PATH_TRAVERSAL", outside)
        self.refused("/etc/passwd", "read", "OUTSIDE_ALLOWED", outside)
        self.refused("escape", "read", "SYMLINK_ESCAPE", outside)
        self.refused(".env", "read", "BLOCKLIST", "Path blocked by policy: .env")
        self.refused("skills/x.md", "write", "READ_ONLY", "Cannot write read-only path")
        self.refused("/users/bob/sessions/x/workspace/a", "read", "CROSS_USER_ACCESS_BLOCKED",
                     "Access to other users' directories is not allowed")

    def test_platform_names(self):
        self.assertIn(".claude/", platform.DEFAULT_READONLY_PREFIXES)
        self.assertIn("*.env", platform.DEFAULT_BLOCKLIST)
        self.assertIs(platform._session_validators["s1"], get_path_validator("s1"))
        self.assertEqual(get_path_validator("s1").workspace, pathlib.Path(self.ws))
        v = Ag3ntumPathValidator(PathValidatorConfig(workspace_path=pathlib.Path(self.ws)))
        self.addCleanup(v.cleanup)
        # _normalize_path: the Docker path of an agent path, existing or not.
        self.assertEqual(v._normalize_path("./x/y.txt"), pathlib.Path(self.ws, "x", "y.txt"))
        self.assertEqual(v._normalize_path("/workspace"), pathlib.Path(self.ws))
        # "" is the workspace, as on the platform (the resolver refuses an empty path).
        self.assertEqual(v.validate_path("", "list", allow_directory=True).normalized,
                         pathlib.Path(self.ws))

    def test_is_readonly_under_a_readonly_prefix(self):
        with open(os.path.join(self.ws, "skills", "s.md"), "w") as f:
            f.write("S")
        vp = get_path_validator("s1").validate_path("skills/s.md", "read")
        self.addCleanup(vp.close)
        self.assertTrue(vp.is_readonly)
        vp = get_path_validator("s1").validate_path("a.txt", "read")
        self.addCleanup(vp.close)
        self.assertFalse(vp.is_readonly)

    def test_a_validator_built_directly_leaves_no_directory(self):
        v = Ag3ntumPathValidator(PathValidatorConfig(workspace_path=self.ws))
        v.validate_path("a.txt", "read").close()
        d = v._dir
        self.assertTrue(os.path.isdir(d))
        del v
        gc.collect()
        self.assertFalse(os.path.exists(d), "the validator's profile directory outlived it")

    def test_allowlist(self):
        with open(os.path.join(self.ws, "b.js"), "w") as f:
            f.write("B")
        v = Ag3ntumPathValidator(PathValidatorConfig(workspace_path=self.ws, allowlist=["*.txt"]))
        self.addCleanup(v.cleanup)
        v.validate_path("a.txt", "read").close()
        self.refused("b.js", "read", "ALLOWLIST", "Path not in allowlist: b.js", validator=v)

    def test_configure_with_empty_lists_keeps_the_defaults(self):
        # The platform's configure_path_validator: `blocklist or DEFAULT_BLOCKLIST`.
        configure_path_validator("s2", self.ws, username="alice", blocklist=[], readonly_prefixes=[])
        self.addCleanup(cleanup_path_validator, "s2")
        self.refused(".env", "read", "BLOCKLIST", validator=get_path_validator("s2"))
        self.refused("skills/x.md", "write", "READ_ONLY", validator=get_path_validator("s2"))

    def test_uses_a_live_executors_spec(self):
        with SandboxExecutor(platform_config(self.ws), linux_uid=UID) as ex:
            get_path_validator("s1").validate_path("a.txt", "read").close()
            self.assertIn(False, ex._profiles, "the validator compiled the executor's profile")


if __name__ == "__main__":
    unittest.main()
