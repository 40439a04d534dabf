/* SPDX-License-Identifier: MIT */
#include "spec.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "runtime/identity.h"
#include "runtime/netrules.h"

#define STRING_TABLE(name, type, max, invalid, ...)                                                \
	static const char *const name##_names[max] = {__VA_ARGS__};                                \
	const char *ag3_##name##_to_string(type v)                                                 \
	{                                                                                          \
		if ((int)v < 0 || (int)v >= (int)(max))                                            \
			return NULL;                                                               \
		return name##_names[v];                                                            \
	}                                                                                          \
	type ag3_##name##_from_string(const char *s)                                               \
	{                                                                                          \
		if (s)                                                                             \
			for (int i = 0; i < (int)(max); i++)                                       \
				if (name##_names[i] && strcmp(s, name##_names[i]) == 0)            \
					return (type)i;                                            \
		return invalid;                                                                    \
	}

STRING_TABLE(userns, enum ag3_userns, _AG3_USERNS_MAX,
	     _AG3_USERNS_INVALID, [AG3_USERNS_AUTO] = "auto", [AG3_USERNS_ALWAYS] = "always",
	     [AG3_USERNS_NEVER] = "never")
STRING_TABLE(net_mode, enum ag3_net_mode, _AG3_NET_MAX, _AG3_NET_INVALID, [AG3_NET_NONE] = "none",
	     [AG3_NET_HOST] = "host", [AG3_NET_ALLOWLIST] = "allowlist")
STRING_TABLE(seccomp_action, enum ag3_seccomp_action, _AG3_SECCOMP_ACTION_MAX,
	     _AG3_SECCOMP_ACTION_INVALID, [AG3_SECCOMP_ERRNO] = "errno",
	     [AG3_SECCOMP_KILL] = "kill", [AG3_SECCOMP_LOG] = "log", [AG3_SECCOMP_ALLOW] = "allow")
STRING_TABLE(seccomp_cmp, enum ag3_seccomp_cmp, _AG3_CMP_MAX, _AG3_CMP_INVALID, [AG3_CMP_EQ] = "eq",
	     [AG3_CMP_NE] = "ne", [AG3_CMP_LT] = "lt", [AG3_CMP_LE] = "le", [AG3_CMP_GT] = "gt",
	     [AG3_CMP_GE] = "ge", [AG3_CMP_MASKED_EQ] = "masked_eq")

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
	{"as", RLIMIT_AS},           {"core", RLIMIT_CORE},
	{"cpu", RLIMIT_CPU},         {"data", RLIMIT_DATA},
	{"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
	{"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE},
	{"nice", RLIMIT_NICE},       {"nofile", RLIMIT_NOFILE},
	{"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
	{"rtprio", RLIMIT_RTPRIO},   {"sigpending", RLIMIT_SIGPENDING},
	{"stack", RLIMIT_STACK},
};

int ag3_rlimit_resource_from_name(const char *name)
{
	if (name)
		for (size_t i = 0; i < ELEMENTSOF(rlimit_table); i++)
			if (strcmp(name, rlimit_table[i].name) == 0)
				return rlimit_table[i].resource;
	return -EINVAL;
}

bool ag3_env_name_valid(const char *s)
{
	if (!s || !*s || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (const char *c = s; *c; c++)
		if (!(isalnum((unsigned char)*c) || *c == '_') || (unsigned char)*c > 127)
			return false;
	return strlen(s) <= 255;
}

struct ag3_spec *ag3_spec_new(void)
{
	struct ag3_spec *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->version = AG3_SPEC_VERSION;
	s->namespaces.user = AG3_USERNS_AUTO;
	s->namespaces.mount = true;
	s->namespaces.pid = true;
	s->namespaces.net = true;
	s->namespaces.ipc = true;
	s->namespaces.uts = true;
	s->namespaces.cgroup = true;
	s->process.umask = 022;
	s->security.no_new_privs = true;
	s->security.caps_keep = 0;
	s->security.seccomp.enabled = true;
	s->security.seccomp.use_default_list = true;
	s->security.seccomp.deny_action = AG3_SECCOMP_ERRNO;
	s->security.seccomp.deny_errno = EPERM;
	s->security.landlock.enabled = true;
	s->network.mode = AG3_NET_NONE;
	s->network.max_connections = 64;
	s->network.max_connection_bytes = 1ull << 30;
	s->network.idle_timeout_ms = 300000;
	s->limits.kill_grace_ms = 2000;
	if (!(s->process.cwd = strdup("/")) || !(s->process.hostname = strdup("ag3ntum"))) {
		ag3_spec_free(s);
		return NULL;
	}
	return s;
}

void ag3_spec_free(struct ag3_spec *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->identity.groups);
	free(s->identity.name);
	free(s->identity.group);
	free(s->identity.home);
	free(s->identity.shell);
	for (size_t i = 0; i < s->n_mounts; i++)
		ag3_mount_clear(&s->mounts[i]);
	free(s->mounts);
	free(s->process.cwd);
	for (size_t i = 0; i < s->process.n_env; i++) {
		free(s->process.env[i].name);
		if (s->process.env[i].value) {
			/* secrets do not linger in freed heap */
			explicit_bzero(s->process.env[i].value, strlen(s->process.env[i].value));
			free(s->process.env[i].value);
		}
	}
	free(s->process.env);
	free(s->process.hostname);
	for (size_t i = 0; i < s->process.n_rlimits; i++)
		free(s->process.rlimits[i].name);
	free(s->process.rlimits);
	for (size_t i = 0; i < s->security.seccomp.n_rules; i++)
		free(s->security.seccomp.rules[i].syscall);
	free(s->security.seccomp.rules);
	free(s->security.landlock.net_bind_ports);
	free(s->security.landlock.net_connect_ports);
	for (size_t i = 0; i < s->network.n_domains; i++)
		free(s->network.domains[i]);
	free(s->network.domains);
	free(s->network.localhost_ports);
	free(s);
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

int ag3_spec_add_mount(struct ag3_spec *spec, const struct ag3_mount *m)
{
	struct ag3_mount *n = reallocarray(spec->mounts, spec->n_mounts + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	spec->mounts = n;
	struct ag3_mount c = *m;
	/* None of m's own: a failure below clears only what was copied. */
	c.source = c.target = c.content = c.origin = c.workdir = NULL;
	c.lowers = NULL;
	c.n_lowers = 0;
	if (dup_opt(&c.source, m->source) < 0 || dup_opt(&c.target, m->target) < 0 ||
	    dup_opt(&c.content, m->content) < 0 || dup_opt(&c.origin, m->origin) < 0 ||
	    dup_opt(&c.workdir, m->workdir) < 0 ||
	    (m->n_lowers && !(c.lowers = calloc(m->n_lowers, sizeof(char *))))) {
		ag3_mount_clear(&c);
		return -ENOMEM;
	}
	for (; c.n_lowers < m->n_lowers; c.n_lowers++)
		if (!(c.lowers[c.n_lowers] = strdup(m->lowers[c.n_lowers]))) {
			ag3_mount_clear(&c);
			return -ENOMEM;
		}
	spec->mounts[spec->n_mounts++] = c;
	return 0;
}

int ag3_spec_set_env(struct ag3_spec *spec, const char *name, const char *value, bool secret)
{
	if (!ag3_env_name_valid(name) || !value)
		return -EINVAL;
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < spec->process.n_env; i++)
		if (strcmp(spec->process.env[i].name, name) == 0) {
			char *old = spec->process.env[i].value;
			explicit_bzero(old, strlen(old)); /* it may have been a secret */
			free(old);
			spec->process.env[i].value = v;
			spec->process.env[i].secret = secret;
			return 0;
		}
	struct ag3_env_var *n =
		reallocarray(spec->process.env, spec->process.n_env + 1, sizeof(*n));
	char *nm = strdup(name);
	if (!n || !nm) {
		if (n)
			spec->process.env = n;
		free(v);
		free(nm);
		return -ENOMEM;
	}
	spec->process.env = n;
	spec->process.env[spec->process.n_env++] =
		(struct ag3_env_var){.name = nm, .value = v, .secret = secret};
	return 0;
}

int ag3_spec_set_rlimit(struct ag3_spec *spec, const char *name, uint64_t soft, uint64_t hard)
{
	if (ag3_rlimit_resource_from_name(name) < 0 || soft > hard)
		return -EINVAL;
	for (size_t i = 0; i < spec->process.n_rlimits; i++)
		if (strcmp(spec->process.rlimits[i].name, name) == 0) {
			spec->process.rlimits[i].soft = soft;
			spec->process.rlimits[i].hard = hard;
			return 0;
		}
	struct ag3_rlimit *n =
		reallocarray(spec->process.rlimits, spec->process.n_rlimits + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	spec->process.rlimits = n;
	char *nm = strdup(name);
	if (!nm)
		return -ENOMEM;
	spec->process.rlimits[spec->process.n_rlimits++] =
		(struct ag3_rlimit){.name = nm, .soft = soft, .hard = hard};
	return 0;
}

#define BAD(...) ag3_error_set(reterr, EINVAL, __VA_ARGS__)

static bool hostname_valid(const char *h)
{
	size_t n = strlen(h);
	if (n == 0 || n > 64)
		return false;
	for (const char *c = h; *c; c++)
		if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '.'))
			return false;
	return true;
}

static int validate_mount(const struct ag3_mount *m, size_t i, struct ag3_error **reterr)
{
	if ((int)m->op < 0 || m->op >= _AG3_MOUNT_OP_MAX)
		return BAD("mounts[%zu].op: unknown operation", i);
	if (ag3_path_check_normalized(m->target) < 0)
		return BAD("mounts[%zu].target: '%s' is not an absolute, normalized path", i,
			   m->target ? m->target : "(missing)");
	/* The root: a fresh tmpfs, or (the first op only) a bind that is the root. */
	if (strcmp(m->target, "/") == 0 && (i != 0 || m->op != AG3_MOUNT_BIND) &&
	    m->op != AG3_MOUNT_CHMOD && m->op != AG3_MOUNT_REMOUNT_RO)
		return BAD(
			"mounts[%zu].target: the root itself can only be the target of the first "
			"op, a bind (or of a chmod or a remount_ro)",
			i);
	switch (m->op) {
	case AG3_MOUNT_BIND:
		if (ag3_path_check_normalized(m->source) < 0)
			return BAD("mounts[%zu].source: '%s' is not an absolute, normalized path",
				   i, m->source ? m->source : "(missing)");
		break;
	case AG3_MOUNT_SYMLINK:
		if (!m->source || !*m->source || strlen(m->source) >= 4096)
			return BAD("mounts[%zu].source: a symlink needs its text in 'source'", i);
		break;
	case AG3_MOUNT_OVERLAY:
		if (!m->n_lowers)
			return BAD("mounts[%zu].lowers: an overlay needs its lower directories", i);
		for (size_t k = 0; k < m->n_lowers; k++)
			if (ag3_path_check_normalized(m->lowers[k]) < 0)
				return BAD("mounts[%zu].lowers[%zu]: '%s' is not an absolute, "
					   "normalized path",
					   i, k, m->lowers[k] ? m->lowers[k] : "(missing)");
		if (!m->source != !m->workdir ||
		    (m->source && (ag3_path_check_normalized(m->source) < 0 ||
				   ag3_path_check_normalized(m->workdir) < 0)))
			return BAD("mounts[%zu]: an overlay's upper ('source') and 'workdir' are "
				   "absolute, normalized paths, both or neither",
				   i);
		if (m->source && m->ro)
			return BAD("mounts[%zu]: a read-only overlay has no upper directory", i);
		break;
	case AG3_MOUNT_FILE:
		if (!m->content)
			return BAD("mounts[%zu].content: a file needs 'content'", i);
		if (strlen(m->content) > (1u << 20))
			return BAD("mounts[%zu].content: more than 1 MiB", i);
		break;
	default:
		if (m->source)
			return BAD("mounts[%zu].source: not allowed for op '%s'", i,
				   ag3_mount_op_to_string(m->op));
		break;
	}
	if (m->op != AG3_MOUNT_OVERLAY && (m->n_lowers || m->workdir))
		return BAD("mounts[%zu]: only an 'overlay' op has lowers and a workdir", i);
	if (m->op != AG3_MOUNT_FILE && m->content)
		return BAD("mounts[%zu].content: only a 'file' op has content", i);
	if (m->mode > 07777)
		return BAD("mounts[%zu].mode: %o is not a permission mode", i, m->mode);
	if (m->mode & 06000) /* a root-created setuid file in the sandbox's tree: never */
		return BAD("mounts[%zu].mode: %o has the setuid or setgid bit", i, m->mode);
	return 0;
}

static int add_port(uint16_t *ports, size_t *n, size_t cap, uint16_t port)
{
	for (size_t i = 0; i < *n; i++)
		if (ports[i] == port)
			return 0;
	if (*n >= cap)
		return -E2BIG;
	ports[(*n)++] = port;
	return 0;
}

int ag3_spec_net_ports(const struct ag3_spec_network *net, uint16_t *ports, size_t cap)
{
	size_t n = 0;
	if (add_port(ports, &n, cap, AG3_NET_PROXY_PORT) < 0)
		return -E2BIG;
	for (size_t i = 0; i < net->n_domains; i++) {
		struct ag3_net_rule r;
		if (!net->domains[i] || ag3_net_rule_parse(net->domains[i], &r, NULL) < 0)
			continue;
		if (r.port ? add_port(ports, &n, cap, r.port) < 0
			   : add_port(ports, &n, cap, 80) < 0 || add_port(ports, &n, cap, 443) < 0)
			return -E2BIG;
	}
	for (size_t i = 0; i < net->n_localhost_ports; i++)
		if (add_port(ports, &n, cap, net->localhost_ports[i]) < 0)
			return -E2BIG;
	return (int)n;
}

int ag3_spec_validate(const struct ag3_spec *s, struct ag3_error **reterr)
{
	if (s->version != AG3_SPEC_VERSION)
		return BAD("version: %u is not supported (this runtime reads %d)", s->version,
			   AG3_SPEC_VERSION);
	if ((int)s->namespaces.user < 0 || s->namespaces.user >= _AG3_USERNS_MAX)
		return BAD("namespaces.user: invalid value");
	if (!s->namespaces.mount)
		return BAD("namespaces.mount: must be true (the runtime always builds a new root)");
	if (!s->namespaces.pid)
		return BAD("namespaces.pid: must be true (the sandbox's init is its pid 1)");
	if ((int)s->network.mode < 0 || s->network.mode >= _AG3_NET_MAX)
		return BAD("network.mode: invalid value");
	if (s->namespaces.net != (s->network.mode != AG3_NET_HOST))
		return BAD("namespaces.net: must be %s when network.mode is '%s'",
			   s->network.mode == AG3_NET_HOST ? "false" : "true",
			   ag3_net_mode_to_string(s->network.mode));
	if (s->namespaces.joined_user && s->namespaces.user != AG3_USERNS_NEVER)
		return BAD("namespaces.joined_user: the user namespace is joined, so user must "
			   "be 'never'");
	/* Root only as bwrap's root mode (the plan decides whether the caller may). */
	const bool root = s->security.root_command;
	if (root && ((s->identity.uid_set && s->identity.uid != 0) ||
		     (s->identity.gid_set && s->identity.gid != 0)))
		return BAD("identity: a root command runs as uid 0 and gid 0");
	if (!root && s->security.caps_set)
		return BAD("security.caps_set: only a root command sets capabilities");
	if (s->identity.uid_set &&
	    ((!root && s->identity.uid == 0) || s->identity.uid == (uid_t)-1))
		return BAD("identity.uid: %u is not allowed (never root)",
			   (unsigned)s->identity.uid);
	if (s->identity.gid_set &&
	    ((!root && s->identity.gid == 0) || s->identity.gid == (gid_t)-1))
		return BAD("identity.gid: %u is not allowed (never root)",
			   (unsigned)s->identity.gid);
	for (size_t i = 0; i < s->identity.n_groups; i++)
		if (s->identity.groups[i] == 0 || s->identity.groups[i] == (gid_t)-1)
			return BAD("identity.groups[%zu]: %u is not allowed", i,
				   (unsigned)s->identity.groups[i]);
	if (s->identity.n_groups > 64)
		return BAD("identity.groups: more than 64 groups");
	if (s->identity.name || s->identity.group || s->identity.home || s->identity.shell) {
		if (!ag3_account_name_valid(s->identity.name))
			return BAD("identity.name: '%.64s' is not a user name (1-32 of "
				   "[A-Za-z0-9_.-], not starting with '-' or '.', not a number, "
				   "not root)",
				   s->identity.name ? s->identity.name : "(missing)");
		if (!ag3_account_name_valid(s->identity.group))
			return BAD("identity.group: '%.64s' is not a group name (1-32 of "
				   "[A-Za-z0-9_.-], not starting with '-' or '.', not a number, "
				   "not root)",
				   s->identity.group ? s->identity.group : "(missing)");
		if (!ag3_account_path_valid(s->identity.home))
			return BAD("identity.home: '%.64s' is not an absolute path without ':' "
				   "or control characters",
				   s->identity.home ? s->identity.home : "(missing)");
		if (!ag3_account_path_valid(s->identity.shell))
			return BAD("identity.shell: '%.64s' is not an absolute path without ':' "
				   "or control characters",
				   s->identity.shell ? s->identity.shell : "(missing)");
	}
	/* Bounds that keep every check below cheap, whatever the input. */
	if (s->n_mounts > AG3_SPEC_MAX_MOUNTS)
		return BAD("mounts: more than %d entries", AG3_SPEC_MAX_MOUNTS);
	if (s->process.n_env > AG3_SPEC_MAX_ENV)
		return BAD("process.env: more than %d variables", AG3_SPEC_MAX_ENV);
	if (s->process.n_rlimits > 32)
		return BAD("process.rlimits: more than 32 entries");
	if (s->security.seccomp.n_rules > AG3_SPEC_MAX_RULES)
		return BAD("security.seccomp.rules: more than %d rules", AG3_SPEC_MAX_RULES);
	if (s->network.n_domains > AG3_SPEC_MAX_DOMAINS)
		return BAD("network.domains: more than %d domains", AG3_SPEC_MAX_DOMAINS);
	for (size_t i = 0; i < s->n_mounts; i++) {
		int r = validate_mount(&s->mounts[i], i, reterr);
		if (r < 0)
			return r;
	}
	if (ag3_path_check_normalized(s->process.cwd) < 0)
		return BAD("process.cwd: '%s' is not an absolute, normalized path",
			   s->process.cwd ? s->process.cwd : "(missing)");
	if (strncmp(s->process.cwd, "/proc/", 6) == 0 || strcmp(s->process.cwd, "/proc") == 0)
		return BAD("process.cwd: '%s' is under /proc (a /proc/*/fd cwd escapes the root)",
			   s->process.cwd);
	for (size_t i = 0; i < s->process.n_env; i++) {
		if (!ag3_env_name_valid(s->process.env[i].name))
			return BAD("process.env[%zu]: '%s' is not a valid variable name", i,
				   s->process.env[i].name ? s->process.env[i].name : "");
		if (!s->process.env[i].value)
			return BAD("process.env.%s: missing value", s->process.env[i].name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->process.env[i].name, s->process.env[j].name) == 0)
				return BAD("process.env.%s: set twice", s->process.env[i].name);
	}
	if (s->process.umask > 0777)
		return BAD("process.umask: %o is not a umask", s->process.umask);
	if (!s->process.hostname || !hostname_valid(s->process.hostname))
		return BAD(
			"process.hostname: '%s' is not a valid host name (1-64 of [A-Za-z0-9.-])",
			s->process.hostname ? s->process.hostname : "");
	for (size_t i = 0; i < s->process.n_rlimits; i++) {
		const struct ag3_rlimit *l = &s->process.rlimits[i];
		if (ag3_rlimit_resource_from_name(l->name) < 0)
			return BAD("process.rlimits[%zu]: unknown resource '%s'", i,
				   l->name ? l->name : "");
		if (l->soft > l->hard)
			return BAD("process.rlimits.%s: soft limit above the hard limit", l->name);
		for (size_t j = 0; j < i; j++)
			if (strcmp(l->name, s->process.rlimits[j].name) == 0)
				return BAD("process.rlimits.%s: set twice", l->name);
	}
	if (!s->security.no_new_privs)
		return BAD("security.no_new_privs: must be true");
	if (s->security.caps_keep >> 41)
		return BAD("security.caps_keep: unknown capability bits");
	for (size_t i = 0; i < s->security.seccomp.n_rules; i++) {
		const struct ag3_seccomp_rule *r = &s->security.seccomp.rules[i];
		if (!r->syscall || !*r->syscall)
			return BAD("security.seccomp.rules[%zu].syscall: missing", i);
		if ((int)r->action < 0 || r->action >= _AG3_SECCOMP_ACTION_MAX)
			return BAD("security.seccomp.rules[%zu].action: invalid", i);
		if (r->errno_value < 0 || r->errno_value > 4095)
			return BAD("security.seccomp.rules[%zu].errno: out of range", i);
		if (r->n_args > 6)
			return BAD("security.seccomp.rules[%zu].args: more than 6", i);
		for (size_t a = 0; a < r->n_args; a++) {
			if (r->args[a].index > 5)
				return BAD("security.seccomp.rules[%zu].args[%zu].index: 0..5", i,
					   a);
			if ((int)r->args[a].op < 0 || r->args[a].op >= _AG3_CMP_MAX)
				return BAD("security.seccomp.rules[%zu].args[%zu].op: invalid", i,
					   a);
		}
	}
	if ((int)s->security.seccomp.deny_action < 0 ||
	    s->security.seccomp.deny_action >= _AG3_SECCOMP_ACTION_MAX ||
	    s->security.seccomp.deny_action == AG3_SECCOMP_ALLOW)
		return BAD("security.seccomp.deny_action: must be errno, kill or log");
	if (s->security.seccomp.deny_errno <= 0 || s->security.seccomp.deny_errno > 4095)
		return BAD("security.seccomp.deny_errno: out of range");
	if (s->security.minimum.landlock_abi > 64)
		return BAD("security.minimum.landlock_abi: out of range");
	for (size_t i = 0; i < s->network.n_domains; i++) {
		struct ag3_net_rule rule;
		const char *why = "not a domain name";
		if (!s->network.domains[i] ||
		    ag3_net_rule_parse(s->network.domains[i], &rule, &why) < 0)
			return BAD("network.domains[%zu]: %s (\"name\", \"*.name\", optionally "
				   "\":port\")",
				   i, why);
	}
	if (s->network.n_localhost_ports && !s->network.allow_localhost)
		return BAD("network.localhost_ports: listed, but allow_localhost is false");
	if (s->network.n_localhost_ports > AG3_SPEC_MAX_LOCALHOST_PORTS)
		return BAD("network.localhost_ports: more than %d ports",
			   AG3_SPEC_MAX_LOCALHOST_PORTS);
	for (size_t i = 0; i < s->network.n_localhost_ports; i++)
		if (!s->network.localhost_ports[i])
			return BAD("network.localhost_ports[%zu]: port 0", i);
	if (s->network.mode != AG3_NET_ALLOWLIST &&
	    (s->network.n_domains || s->network.n_localhost_ports))
		return BAD("network.domains, network.localhost_ports: only in allowlist mode "
			   "(mode is '%s')",
			   ag3_net_mode_to_string(s->network.mode));
	uint16_t ports[AG3_NET_MAX_PORTS];
	if (s->network.mode == AG3_NET_ALLOWLIST &&
	    ag3_spec_net_ports(&s->network, ports, AG3_NET_MAX_PORTS) < 0)
		return BAD("network: the rules and localhost_ports name more than %d distinct "
			   "ports",
			   AG3_NET_MAX_PORTS - 1);
	if (s->network.max_connections < 1 || s->network.max_connections > 4096)
		return BAD("network.max_connections: must be 1..4096");
	if (s->network.idle_timeout_ms < 1000 || s->network.idle_timeout_ms > 24ull * 3600 * 1000)
		return BAD("network.idle_timeout_ms: must be 1000 (a second) .. 86400000 (a day)");
	if (s->limits.cpu_weight > 10000)
		return BAD("limits.cpu_weight: must be 1..10000 (or 0 for unset)");
	if (s->limits.output_bytes > AG3_OUTPUT_MAX)
		return BAD("limits.output_bytes: more than %llu (256 MiB) per stream",
			   (unsigned long long)AG3_OUTPUT_MAX);
	if (s->limits.timeout_ms > 7ull * 24 * 3600 * 1000)
		return BAD("limits.timeout_ms: more than a week");
	if (s->limits.kill_grace_ms > 3600 * 1000)
		return BAD("limits.kill_grace_ms: more than an hour");
	return 0;
}

bool ag3_term_name_valid(const char *s)
{
	if (!s || !*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.+@-", *s))
			return false;
	return true;
}
