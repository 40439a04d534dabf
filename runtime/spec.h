/* SPDX-License-Identifier: MIT */
/*
 * The sandbox spec: the contract between compile time and run time.
 *
 * Plain data: no fds, pids or pointers into a profile. Everything the runtime
 * does to enter a sandbox is in here. Its JSON form (runtime/spec_json.h),
 * schema "ag3ntum.spec/1", is what `ag3ntum-sandbox compile` prints and
 * `exec --spec FILE` runs.
 *
 * Ownership: every pointer is owned by the spec and freed by ag3_spec_free.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "mounts/mount.h"
#include "runtime/util/error.h"

#define AG3_SPEC_SCHEMA "ag3ntum.spec/1"
#define AG3_SPEC_VERSION 1

#define AG3_RLIM_INFINITY UINT64_MAX

/* Bounds ag3_spec_validate enforces. */
#define AG3_SPEC_MAX_MOUNTS 4096
#define AG3_SPEC_MAX_ENV 4096
#define AG3_SPEC_MAX_RULES 1024
#define AG3_SPEC_MAX_DOMAINS 1024
#define AG3_SPEC_MAX_LOCALHOST_PORTS 64
/* Distinct TCP ports the allowlist relay listens on (rules, forwarded, proxy). */
#define AG3_NET_MAX_PORTS 32

/* Whether to create a user namespace. */
enum ag3_userns {
	AG3_USERNS_AUTO,   /* only when not privileged (rootless mode)               */
	AG3_USERNS_ALWAYS, /* always, also as root (ids mapped one to one)           */
	AG3_USERNS_NEVER,  /* never: root mode only; refused when not privileged      */
	_AG3_USERNS_MAX,
	_AG3_USERNS_INVALID = -EINVAL,
};

enum ag3_net_mode {
	AG3_NET_NONE,      /* an empty network namespace, loopback up                */
	AG3_NET_HOST,      /* the host's network (no network namespace)              */
	AG3_NET_ALLOWLIST, /* an isolated namespace; egress only to `domains`        */
	_AG3_NET_MAX,
	_AG3_NET_INVALID = -EINVAL,
};

/* What a seccomp rule does to a matching call. */
enum ag3_seccomp_action {
	AG3_SECCOMP_ERRNO, /* fail with `errno` (EPERM by default)                   */
	AG3_SECCOMP_KILL,  /* kill the process                                       */
	AG3_SECCOMP_LOG,   /* allow and log                                          */
	AG3_SECCOMP_ALLOW, /* allow (to punch a hole in the default list)            */
	_AG3_SECCOMP_ACTION_MAX,
	_AG3_SECCOMP_ACTION_INVALID = -EINVAL,
};

enum ag3_seccomp_cmp {
	AG3_CMP_EQ,
	AG3_CMP_NE,
	AG3_CMP_LT,
	AG3_CMP_LE,
	AG3_CMP_GT,
	AG3_CMP_GE,
	AG3_CMP_MASKED_EQ, /* (arg & mask) == value                                  */
	_AG3_CMP_MAX,
	_AG3_CMP_INVALID = -EINVAL,
};

struct ag3_seccomp_arg {
	unsigned index; /* 0..5 */
	enum ag3_seccomp_cmp op;
	uint64_t value;
	uint64_t mask; /* only for masked_eq */
};

struct ag3_seccomp_rule {
	char *syscall; /* a name libseccomp knows */
	enum ag3_seccomp_action action;
	int errno_value; /* for AG3_SECCOMP_ERRNO; 0 = the filter's default errno */
	struct ag3_seccomp_arg args[6];
	size_t n_args;
};

struct ag3_env_var {
	char *name; /* a C identifier */
	char *value;
	bool secret; /* redacted when the spec is printed, never on any argv */
};

struct ag3_rlimit {
	char *name;    /* "nofile", "nproc", "fsize", "core", "as", "cpu", "stack", "memlock",
		       "data", "nice", "rtprio", "sigpending", "msgqueue", "locks", "rss" */
	uint64_t soft; /* AG3_RLIM_INFINITY for unlimited */
	uint64_t hard;
};

/* The largest per-stream output cap (the supervisor keeps up to this much of each
 * stream in memory, outside the sandbox's memory limit); 0 in a spec means this. */
#define AG3_OUTPUT_MAX (256ull << 20)

/* Allowlist mode's fixed addresses inside the sandbox's network namespace. */
#define AG3_NET_STUB_ADDR "127.0.0.53"
#define AG3_NET_PROXY_ADDR "127.77.0.1"
#define AG3_NET_PROXY_PORT 3128
#define AG3_NET_PROXY_URL "http://127.77.0.1:3128"

/* The network section of a spec (README "Network"). */
struct ag3_spec_network {
	enum ag3_net_mode mode;
	/* allowlist mode: rules "name[:port]" or "*.suffix[:port]" (runtime/netrules.h;
	 * no port: 80 and 443) */
	char **domains;
	size_t n_domains;
	/* allowlist mode: these TCP ports of the caller's 127.0.0.1 are forwarded to the
	 * sandbox's 127.0.0.1 (listing any needs allow_localhost) */
	bool allow_localhost;
	uint16_t *localhost_ports;
	size_t n_localhost_ports;
	/* allowlist mode: the relay also connects to loopback, private, link-local and
	 * cloud-metadata addresses an allowed name resolves to (default false) */
	bool allow_private;
	uint32_t max_connections;      /* relayed connections open at once (1..4096) */
	uint64_t max_connection_bytes; /* per connection, both ways; 0 = unlimited     */
	uint64_t idle_timeout_ms;      /* a connection moving no byte this long ends   */
};

struct ag3_spec {
	unsigned version; /* AG3_SPEC_VERSION */
	char *name;       /* the profile's name, informational */

	struct {
		enum ag3_userns user;
		/* bwrap's --userns FD (the bwrap front end only; never read from JSON): the
		 * calling process has already joined the user namespace the sandbox is made
		 * in (setns), holding every capability there. No user namespace is made
		 * (user must be 'never'), and the caller's ids there need not be 0: the
		 * command runs with ids mapped there, without setgroups. */
		bool joined_user;
		bool mount; /* must be true: the runtime always builds a new root   */
		bool pid;   /* must be true: our init is pid 1 of the sandbox        */
		bool net;   /* must equal network.mode != host                       */
		bool ipc;
		bool uts;
		bool cgroup;
	} namespaces;

	struct {
		bool uid_set; /* false: 65534 in root mode, the caller's uid rootless */
		uid_t uid;
		bool gid_set;
		gid_t gid;
		gid_t *groups; /* supplementary groups (root mode only); default none */
		size_t n_groups;
		/* The command's user by name: with `name` set, the runtime mounts its own
		 * read-only /etc/passwd and /etc/group (root, name with the command's uid,
		 * group with its gid, home, shell, nobody/nogroup; runtime/identity.h) over
		 * whatever /etc gives. NULL: none (the others unset too). */
		char *name, *group, *home, *shell;
	} identity;

	struct ag3_mount *mounts; /* applied in order */
	size_t n_mounts;

	struct {
		char *cwd;               /* absolute path inside the sandbox */
		struct ag3_env_var *env; /* the whole environment: nothing else is kept */
		size_t n_env;
		uint32_t umask;
		char *hostname;
		struct ag3_rlimit *rlimits;
		size_t n_rlimits;
		/* TERM is the caller's when the command's stdio is a terminal (the CLI and
		 * a session's client pass it; the env's TERM otherwise) */
		bool term_from_caller;
	} process;

	struct {
		bool no_new_privs;  /* must be true */
		uint64_t caps_keep; /* bit n = capability n kept; default 0 (all dropped) */
		/* bwrap's root mode (the bwrap front end only; never read from JSON): the
		 * command runs as uid 0 and gid 0 with the caller's groups, the bounding set
		 * limited to caps_keep. caps_set: its effective, permitted, inheritable and
		 * ambient sets become caps_keep (--cap-add/--cap-drop); otherwise they stay
		 * the caller's. Only for a root caller's fresh sandbox (with --unshare-user,
		 * in a user namespace mapping 0 to itself): the plan refuses it anywhere
		 * else (a caller that is not root), and so do sessions and serve. */
		bool root_command;
		bool caps_set;
		struct {
			bool enabled;
			bool use_default_list; /* the built-in deny list (profiles/seccomp) */
			enum ag3_seccomp_action deny_action; /* for the default list */
			int deny_errno;                      /* default EPERM        */
			struct ag3_seccomp_rule *rules;      /* profile additions    */
			size_t n_rules;
		} seccomp;
		struct {
			bool enabled; /* restrict the filesystem to what the mounts grant */
			uint16_t *net_bind_ports; /* TCP ports bind() may use (ABI >= 4)   */
			size_t n_net_bind_ports;
			uint16_t *net_connect_ports;
			size_t n_net_connect_ports;
		} landlock;
		struct {
			/* Refuse (exit 125) instead of degrading when a layer is missing. */
			bool userns;
			bool seccomp;
			bool cgroup;
			unsigned landlock_abi; /* 0: landlock not required */
		} minimum;
	} security;

	struct ag3_spec_network network;

	struct {
		uint64_t timeout_ms;    /* 0 = none */
		uint64_t kill_grace_ms; /* SIGTERM to SIGKILL */
		uint64_t memory_bytes;  /* 0 = unlimited */
		uint64_t pids;          /* 0 = unlimited */
		uint32_t cpu_weight;    /* cgroup cpu.weight 1..10000; 0 = unset */
		uint64_t cpu_quota_us;  /* cgroup cpu.max quota; 0 = unlimited */
		uint64_t cpu_period_us; /* cgroup cpu.max period; 0 = 100000 */
		uint64_t output_bytes;  /* captured bytes per stream; 0 = unlimited */
	} limits;
};

/* A new spec with every field at its safe default and no mounts. NULL on ENOMEM. */
struct ag3_spec *ag3_spec_new(void);
void ag3_spec_free(struct ag3_spec *spec);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_spec *, ag3_spec_free)

/* Appends a copy of `m` (strings duplicated). 0 or -ENOMEM. */
int ag3_spec_add_mount(struct ag3_spec *spec, const struct ag3_mount *m);
/* Sets (adding or replacing) an environment variable. 0, -EINVAL (bad name) or -ENOMEM. */
int ag3_spec_set_env(struct ag3_spec *spec, const char *name, const char *value, bool secret);
/* Sets (adding or replacing) an rlimit by name. 0, -EINVAL or -ENOMEM. */
int ag3_spec_set_rlimit(struct ag3_spec *spec, const char *name, uint64_t soft, uint64_t hard);

/*
 * Checks everything the runtime relies on: paths absolute and normalized, ops
 * carry the fields they need, env names are identifiers, mount/pid/nnp on,
 * namespaces.net consistent with network.mode, uid/gid not 0, limits in range.
 * 0 or -EINVAL with a message naming the field ("mounts[3].target: ...").
 */
int ag3_spec_validate(const struct ag3_spec *spec, struct ag3_error **reterr);

const char *ag3_userns_to_string(enum ag3_userns v);
enum ag3_userns ag3_userns_from_string(const char *s);
/* The distinct TCP ports allowlist mode listens on in the sandbox: every rule's
 * (80 and 443 for a rule without one), the forwarded localhost ports and the
 * proxy's. Returns how many (at most `cap`), or -E2BIG when there are more. */
int ag3_spec_net_ports(const struct ag3_spec_network *net, uint16_t *ports, size_t cap);

const char *ag3_net_mode_to_string(enum ag3_net_mode v);
enum ag3_net_mode ag3_net_mode_from_string(const char *s);
const char *ag3_seccomp_action_to_string(enum ag3_seccomp_action v);
enum ag3_seccomp_action ag3_seccomp_action_from_string(const char *s);
const char *ag3_seccomp_cmp_to_string(enum ag3_seccomp_cmp v);
enum ag3_seccomp_cmp ag3_seccomp_cmp_from_string(const char *s);

/* The RLIMIT_* number for a name in struct ag3_rlimit, or -EINVAL. */
int ag3_rlimit_resource_from_name(const char *name);

/* Whether `s` may be a TERM (or LANG) value: 1 to 64 of [A-Za-z0-9_.+@-]. */
bool ag3_term_name_valid(const char *s);

/* Whether `s` is a C identifier (the platform's NAME.isidentifier() for ASCII). */
bool ag3_env_name_valid(const char *s);
