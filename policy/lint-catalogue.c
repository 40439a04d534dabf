/* SPDX-License-Identifier: MIT */
/*
 * The linter's rule catalogue: every finding's id, name, severity, what it
 * means and how to fix it.
 */
#include "lint-catalogue.h"

#include <string.h>

#define E AG3_LINT_ERROR
#define W AG3_LINT_WARNING
#define I AG3_LINT_INFO

const struct ag3_lint_rule ag3_lint_catalogue[_R_MAX] = {
	[R_LOAD] = {"AG3L000", "load-error", E,
		    "the profile (or the external-mounts file) does not load",
		    "fix what the loader names at file:line:column"},
	[R_SANDBOX_MISSING] = {"AG3L001", "sandbox-missing", E,
			       "no `sandbox:` section (or `sandbox: null`): the platform ran "
			       "commands unsandboxed",
			       "add a sandbox section (see profiles/default.yaml)"},
	[R_SANDBOX_DISABLED] = {"AG3L002", "sandbox-disabled", E,
				"`sandbox.enabled: false`: the platform ran commands unsandboxed, "
				"with its whole environment",
				"remove the key or set it to true"},
	[R_FILE_SANDBOXING_OFF] =
		{"AG3L003", "file-sandboxing-off", E,
		 "`sandbox.file_sandboxing: false`: the platform built no bwrap at all (fail-open)",
		 "remove the key or set it to true"},
	[R_WRITABLE_SYSTEM_DIR] = {"AG3L004", "writable-system-dir", E,
				   "a read-write bind of a host system directory (/usr /etc /bin "
				   "/lib /sbin /boot /var ...)",
				   "bind it read-only (`mode: ro`), or bind only the subdirectory "
				   "that must be written"},
	[R_WRITABLE_ON_PATH] = {"AG3L005", "writable-on-path", W,
				"a read-write mount on (or above) a directory of the sandbox's "
				"PATH: commands can be replaced",
				"mount it read-only, or take the directory off environment.path"},
	[R_WRITABLE_SHELL_RC] = {"AG3L006", "writable-shell-rc", W,
				 "a read-write mount of a shell startup file (.bashrc, .profile, "
				 "/etc/profile.d ...)",
				 "mount startup files read-only"},
	[R_SOCKET_MOUNT] =
		{"AG3L007", "socket-mount", E,
		 "a socket (docker.sock, containerd.sock, *.sock) or /run bound into the sandbox",
		 "never bind daemon sockets or /run: a docker socket is root on the host"},
	[R_MASK_SHADOWED] = {"AG3L008", "mask-shadowed", W,
			     "a tmpfs mask (tmpfs_paths, the /mounts mask) covered by a later "
			     "mount on or above it",
			     "drop the later mount, or mount below the mask instead of over it"},
	[R_MOUNT_HIDDEN] = {"AG3L009", "mount-hidden", W,
			    "a mount hidden by a later mount, mask or builtin (/tmp, /proc, /dev) "
			    "on or above its target",
			    "move the mount below the one that hides it, or drop it"},
	[R_DUPLICATE_TARGET] = {"AG3L010", "duplicate-target", W,
				"two mounts on one target: only the last one is visible",
				"keep one of them"},
	[R_KERNEL_FS_TARGET] =
		{"AG3L011", "kernel-fs-target", E,
		 "a mount target under /proc, /sys or /dev (the sandbox makes its own /proc and "
		 "/dev)",
		 "drop it: /proc and a minimal /dev are always there; /sys is never exposed"},
	[R_TMPFS_OPTION_IN_PATH] =
		{"AG3L012", "tmpfs-option-in-path", E,
		 "a mount option smuggled into a path (`/tmp:size=100M`): bwrap made a directory "
		 "of that name",
		 "write the path alone; the /tmp size is sandbox.limits.tmp_size"},
	[R_DOMAINS_NOT_ISOLATED] =
		{"AG3L013", "domains-not-isolated", W,
		 "network.allowed_domains with `network_sandboxing: false`: the host network, no "
		 "allowlist",
		 "set network_sandboxing: true (ag3ntum-sandbox then enforces the allowlist)"},
	[R_DOMAINS_NETWORK_DISABLED] = {"AG3L014", "domains-network-disabled", W,
					"network.allowed_domains with `network.enabled: false`: "
					"the domains are ignored (no network)",
					"set network.enabled: true, or drop the domains"},
	[R_BROAD_DOMAIN] =
		{"AG3L015", "broad-domain", W,
		 "an allowed domain that allows (nearly) everything: `*`, `*.com`, a bare TLD",
		 "list the hosts the agent needs"},
	[R_MCP_RULE_NEVER_MATCHED] = {"AG3L016", "mcp-rule-never-matched", W,
				      "a rule named mcp__ag3ntum__X: the platform's calls are "
				      "named Ag3ntumX, so it never matched there; it applies now",
				      "write the name the way calls are named: Ag3ntumX(...)"},
	[R_PREFIX_RULE_PLATFORM] = {"AG3L017", "prefix-rule-platform", W,
				    "a `Bash(x:*)` prefix rule: the platform never matched it "
				    "(Ag3ntumBash: it read it as the glob `x*`)",
				    "it works as a prefix rule now; check it says what you mean"},
	[R_DENY_DISABLED_TOOL] = {"AG3L018", "deny-disabled-tool", I,
				  "a deny rule for a tool in tools.disabled: the tool is never "
				  "offered, the rule never decides",
				  "drop the rule (tools.disabled already blocks the tool)"},
	[R_ALLOW_TOOL_NOT_ENABLED] = {"AG3L019", "allow-tool-not-enabled", W,
				      "an allow rule for a tool that is not in tools.enabled (or "
				      "is disabled): it never applies",
				      "enable the tool, or drop the rule"},
	[R_DENY_COMPOUND_BYPASS] =
		{"AG3L020", "deny-compound-bypass", I,
		 "a shell deny rule the platform never applied to compound commands (`x; rm -rf /` "
		 "slipped past)",
		 "nothing to do: ag3ntum-sandbox checks every command of a line"},
	[R_DENY_ABSOLUTE_WORKSPACE] = {"AG3L021", "deny-absolute-workspace", I,
				       "an absolute deny path pattern: the platform never matched "
				       "it against workspace paths",
				       "nothing to do: paths are resolved before matching now"},
	[R_MID_PATH_GLOBSTAR] = {"AG3L022", "mid-path-globstar", W,
				 "`**` inside a path pattern (`**/secrets/**`, `src/**/*.py`): the "
				 "platform never matched it; it does now",
				 "check the rule says what you mean: it is a real glob now"},
	[R_BYPASS_PERMISSIONS] =
		{"AG3L023", "bypass-permissions", W,
		 "`defaultMode: bypassPermissions`: every call no rule denies is allowed",
		 "use `default` and allow what the agent needs"},
	[R_MALFORMED_RULE] = {"AG3L024", "malformed-rule", W,
			      "a rule that is not `Name` or `Name(pattern)` (no closing "
			      "parenthesis, an empty name)",
			      "write Name(pattern)"},
	[R_PERMISSIONS_IGNORED] = {"AG3L025", "permissions-ignored", W,
				   "`permissions:` rules next to `session_workspace:`: a session "
				   "replaces them, so they never apply",
				   "move the rules into session_workspace"},
	[R_ASK_UNUSED] = {"AG3L026", "ask-unused", I,
			  "permissions.ask rules: the platform's callback never consulted them",
			  "move them to allow or deny"},
	[R_BWRAP_PATH] = {"AG3L027", "bwrap-path", I,
			  "sandbox.bwrap_path is ignored (no bwrap is run); `sudo bwrap` gave the "
			  "API root bwrap with any argv",
			  "drop the key, and the sudoers rule for bwrap"},
	[R_CUSTOM_ENV_IGNORED] =
		{"AG3L028", "custom-env-ignored", W,
		 "environment.custom_env is discarded (the platform always reset it)",
		 "pass variables as sandboxed_envs (secrets files)"},
	[R_CLEAR_ENV_FALSE] =
		{"AG3L029", "clear-env-false", I,
		 "`environment.clear_env: false`: ignored, the environment is always cleared",
		 "drop the key"},
	[R_PROC_FILTERING_OFF] = {"AG3L030", "proc-filtering-off", W,
				  "`proc_filtering.enabled: false`: the platform bound the host's "
				  "whole /proc (every process's environ)",
				  "drop the key: the sandbox always gets its own /proc"},
	[R_CREDENTIALS_MOUNT] =
		{"AG3L031", "credentials-mount", W,
		 "credentials (.ssh, .aws, .gnupg, keys ...) mounted into the sandbox",
		 "give the agent a deploy token for the one repository instead of the user's keys"},
	[R_INFO_PATH_MISMATCH] = {"AG3L032", "info-path-mismatch", W,
				  "writable_paths / readonly_paths (only shown to the agent) do "
				  "not match the mounts",
				  "make the lists say what the mounts do"},
	[R_TMPFS_ROOT_OFF] =
		{"AG3L033", "tmpfs-root-off", I,
		 "`use_tmpfs_root: false` has no effect: the root is always a fresh tmpfs",
		 "drop the key"},
	[R_LIB64_MISSING] = {"AG3L034", "lib64-missing", W,
			     "system mounts without /lib64 on x86_64: on the platform every "
			     "dynamically linked exec failed",
			     "add `system_lib64: {source: /lib64, target: /lib64, mode: ro, "
			     "optional: true}` (the compiler adds it anyway)"},
	[R_SESSION_DIR_PLACEHOLDER] = {"AG3L035", "session-dir-placeholder", W,
				       "{session_dir} / {sessions_dir} in a mount source: the "
				       "global sessions directory, not /users/<user>/sessions",
				       "write /users/{username}/sessions/{session_id} instead"},
	[R_LIMITS_MISSING] = {"AG3L036", "limits-missing", I,
			      "no sandbox.limits: the defaults apply (300 s, 2 GiB, 512 pids, 1 "
			      "MiB output, 256 MiB /tmp)",
			      "state the limits the deployment needs"},
	[R_SECCOMP_OFF] = {"AG3L037", "seccomp-off", W,
			   "seccomp is disabled, or its default deny list is off",
			   "drop sandbox.seccomp.enabled / default_list, or set them to true"},
	[R_MINIMUM_ISOLATION_MISSING] =
		{"AG3L038", "minimum-isolation-missing", W,
		 "no sandbox.minimum_isolation: a host without seccomp or landlock runs commands "
		 "with less isolation",
		 "add minimum_isolation: {seccomp: true, ...} so such a host refuses instead"},
	[R_REQUIRED_SOURCE_MISSING] =
		{"AG3L039", "required-source-missing", E,
		 "a required mount (optional: false) whose source does not exist on this host",
		 "create the source, or mark the mount optional"},
	[R_PER_USER_SHARED] = {"AG3L040", "per-user-shared", W,
			       "a per-user mount for every user (`*`, self_only) whose host path "
			       "has no {username}: all users share it",
			       "put {username} in the host path, or list the users", true},
	[R_ORIGINAL_PATH_RESERVED] = {"AG3L041", "original-path-reserved", E,
				      "an original path on or under a path the profile mounts (the "
				      "platform checked exact matches only)",
				      "choose a path outside the profile's mount targets", true},
	[R_SENSITIVE_EXTERNAL_PATH] =
		{"AG3L042", "sensitive-external-path", W,
		 "an external mount of a sensitive host path (/etc, /var/log, /root, .ssh ...)",
		 "mount a narrower directory", true},
	[R_HOME_NOT_MOUNTED] =
		{"AG3L043", "home-not-mounted", W,
		 "environment.home is not inside any mount: commands start in a directory that is "
		 "not there",
		 "mount the workspace at home (session_mounts.workspace), or change home"},
	[R_DOES_NOT_COMPILE] =
		{"AG3L044", "does-not-compile", E,
		 "the profile does not compile (with a placeholder session): exec would refuse it",
		 "fix what the compiler names"},
	[R_PLATFORM_BARE_CALL] = {"AG3L045", "platform-bare-call", W,
				  "a value pattern on an Ag3ntum file or web tool: the platform's "
				  "call string had no value, so it never matched",
				  "it matches the path or URL now; check it says what you mean"},
	[R_ALL_USERS_MOUNTS] = {"AG3L046", "all-users-mounts", E,
				"a profile mount of the whole /mounts tree (or /mounts/user-ro, "
				"/mounts/user-rw): every user's per-user mounts in every sandbox",
				"drop it: pass the external-mounts file (--mounts), which binds "
				"only the mounts this user is authorized for"},
	[R_HOST_NETWORK] = {"AG3L047", "host-network", W,
			    "`network_sandboxing: false`: commands share the host's network "
			    "namespace, every localhost service (the API, redis) included",
			    "drop the key: the sandbox gets its own network namespace; list the "
			    "hosts it needs in network.allowed_domains"},
	[R_LOCALHOST_NO_PORTS] = {"AG3L048", "localhost-no-ports", I,
				  "`network.allow_localhost: true` without `localhost_ports`: no "
				  "port of the host's localhost is reachable (none is by default)",
				  "list the ports the agent needs in network.localhost_ports, or "
				  "drop the key"},
	[R_LOCALHOST_PORTS_IGNORED] =
		{"AG3L049", "localhost-ports-ignored", W,
		 "network.localhost_ports listed, but allow_localhost is not "
		 "true or the network is not enabled: nothing is forwarded",
		 "set network.enabled and network.allow_localhost to true, or "
		 "drop the ports"},
	[R_NETWORK_EMPTY_ALLOWLIST] = {"AG3L050", "network-empty-allowlist", I,
				       "`network.enabled: true` with no allowed_domains (and no "
				       "forwarded localhost port): the sandbox has no network",
				       "list the hosts the agent needs in network.allowed_domains"},
	[R_PRIVATE_DESTINATIONS] = {"AG3L051", "private-destinations", W,
				    "network.allow_private_destinations: an allowed name that "
				    "resolves to a private, loopback, link-local or cloud-metadata "
				    "address is connected to",
				    "drop the key unless an allowed host really is on a private "
				    "network"},
	[R_LIB_MISSING] = {"AG3L052", "lib-missing", W,
			   "system mounts with /usr but without /lib: the dynamic loader and the C "
			   "library are not in the sandbox, every dynamically linked exec fails "
			   "with ENOENT",
			   "add `system_lib: {source: /lib, target: /lib, mode: ro}`"},
};

#undef E
#undef W
#undef I

const char *ag3_lint_severity_to_string(enum ag3_lint_severity s)
{
	static const char *const names[_AG3_LINT_SEVERITY_MAX] = {"info", "warning", "error"};
	return (int)s >= 0 && s < _AG3_LINT_SEVERITY_MAX ? names[s] : NULL;
}

const struct ag3_lint_rule *ag3_lint_rules(size_t *n)
{
	*n = _R_MAX;
	return ag3_lint_catalogue;
}

const struct ag3_lint_rule *ag3_lint_rule_find(const char *s)
{
	for (size_t i = 0; s && i < _R_MAX; i++)
		if (!strcmp(ag3_lint_catalogue[i].id, s) || !strcmp(ag3_lint_catalogue[i].name, s))
			return &ag3_lint_catalogue[i];
	return NULL;
}
