# SPDX-License-Identifier: MIT
"""The platform's sandbox.py config models, as ag3ntum_sandbox.platform offers them."""
import unittest

from ag3ntum_sandbox.platform import (
    ProcFilteringConfig, SandboxConfig, SandboxEnvConfig, SandboxMount, SandboxNetworkConfig,
)


class ModelsTest(unittest.TestCase):
    def test_mount_mode(self):
        self.assertEqual(SandboxMount(source="/a", target="/b").mode, "ro")
        self.assertEqual(SandboxMount(source="/a", target="/b", mode="RW").mode, "rw")
        self.assertEqual(SandboxMount(source="/a", target="/b", mode=None).mode, "ro")
        for bad in ("x", "rwx", 1):
            with self.assertRaises(ValueError):
                SandboxMount(source="/a", target="/b", mode=bad)
        with self.assertRaises(ValueError):
            SandboxMount(target="/b")

    def test_mount_resolve(self):
        m = SandboxMount(source="/users/{username}/{session_id}", target="/w/{username}", mode="rw")
        r = m.resolve({"username": "alice", "session_id": "s1"})
        self.assertEqual((r.source, r.target, r.mode), ("/users/alice/s1", "/w/alice", "rw"))
        self.assertEqual(m.source, "/users/{username}/{session_id}")  # a new object

    def test_network_defaults_and_domains(self):
        n = SandboxNetworkConfig()
        self.assertEqual((n.enabled, n.allowed_domains, n.allow_localhost), (False, [], False))
        n = SandboxNetworkConfig(allowed_domains=["  PyPI.org ", "GitHub.COM"])
        self.assertEqual(n.allowed_domains, ["pypi.org", "github.com"])

    def test_proc_and_env_defaults(self):
        self.assertTrue(ProcFilteringConfig().enabled)
        self.assertIn("/proc/cpuinfo", ProcFilteringConfig().allowed_entries)
        e = SandboxEnvConfig()
        self.assertEqual((e.home, e.path, e.clear_env, e.custom_env),
                         ("/workspace", "/usr/bin:/bin", True, {}))

    def test_config_from_nested_dicts_and_resolve(self):
        c = SandboxConfig(
            bwrap_path="sudo bwrap",
            session_mounts={"workspace": {"source": "{workspace_dir}", "target": "/workspace",
                                          "mode": "rw"}},
            dynamic_mounts=[{"source": "/data/{username}", "target": "/mounts/d"}],
            environment={"custom_env": {"KEY": "secret"}},
            writable_paths=["{workspace_dir}"])
        self.assertIsInstance(c.session_mounts["workspace"], SandboxMount)
        self.assertIsInstance(c.environment, SandboxEnvConfig)
        r = c.resolve({"workspace_dir": "/users/alice/sessions/s1/workspace", "username": "alice"})
        self.assertEqual(r.session_mounts["workspace"].source, "/users/alice/sessions/s1/workspace")
        self.assertEqual(r.dynamic_mounts[0].source, "/data/alice")
        self.assertEqual(r.writable_paths, ["/users/alice/sessions/s1/workspace"])
        # the platform's resolve() gives every session an empty custom_env
        self.assertEqual(r.environment.custom_env, {})
        self.assertEqual(c.environment.custom_env, {"KEY": "secret"})
        self.assertEqual(SandboxConfig(**c.model_dump()), c)

    def test_unknown_key_refused(self):
        with self.assertRaisesRegex(ValueError, "unknown field enabeld"):
            SandboxConfig(enabeld=True)


if __name__ == "__main__":
    unittest.main()
