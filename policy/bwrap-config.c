/* SPDX-License-Identifier: MIT */
/*
 * The operator's configuration of the bwrap front end: the file's schema (one
 * table per section, read by the YAML walker with the profile's readers), its
 * trust checks (owner, modes, directories) and how it adds its layers to the
 * spec built from a bwrap argv. README "The operator's configuration".
 */
#include "bwrap-config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "mounts/mount.h"
#include "yamlwalk.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define TiB (1024ull * 1024 * MiB)

#define C struct ag3_bwrap_config
#define SECTION(k, member, map)                                                                    \
	{                                                                                          \
		.key = k, .type = AG3_YW_SECTION, .off = offsetof(C, member), .sub = &map          \
	}
#define SUBFIELD(k, t, sec, member, ...)                                                           \
	{                                                                                          \
		.key = k, .type = t, .off = offsetof(C, sec.member) - offsetof(C, sec),            \
		__VA_ARGS__                                                                        \
	}

static const char *const deny_actions[] = {"errno", "kill", "log", NULL};
static const char *const net_modes[] = {"host", "none", "allowlist", NULL};

/* A key given where it can change nothing: an error at that key, never ignored. */
static int useless(struct ag3_lctx *c, const char *key, const struct ag3_pmeta *m, const char *why)
{
	return ag3_error_set_at(c->reterr, EINVAL, c->file, m->loc.key_line, m->loc.key_col,
				"%s: %s", key, why);
}

static int check_seccomp(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			 const struct ag3_yw_row *row)
{
	const C *cfg = (const C *)((const char *)dst - offsetof(C, seccomp));
	const char *why = "has no effect without seccomp.default_list: true (the list it is "
			  "the action of)";
	if (cfg->seccomp.default_list.v)
		return 0;
	if (cfg->seccomp.action.meta.set)
		return useless(c, "seccomp.action", &cfg->seccomp.action.meta, why);
	if (cfg->seccomp.errno_value.meta.set)
		return useless(c, "seccomp.errno", &cfg->seccomp.errno_value.meta, why);
	return 0;
}

static const struct ag3_yw_row seccomp_rows[] = {
	SUBFIELD("default_list", AG3_YW_BOOL, seccomp, default_list),
	SUBFIELD("action", AG3_YW_ENUM, seccomp, action, .names = deny_actions),
	SUBFIELD("errno", AG3_YW_FN, seccomp, errno_value, .fn = ag3_yw_read_errno),
	{.type = AG3_YW_CHECK, .fn = check_seccomp},
	{0},
};

static const struct ag3_yw_row landlock_rows[] = {
	SUBFIELD("enabled", AG3_YW_BOOL, landlock, enabled),
	{0},
};

static const struct ag3_yw_row limits_rows[] = {
	SUBFIELD("timeout", AG3_YW_FN, limits, timeout_ms, .fn = ag3_yw_read_seconds, .min = 1,
		 .max = 7ull * 24 * 3600 * 1000),
	SUBFIELD("kill_grace", AG3_YW_FN, limits, kill_grace_ms, .fn = ag3_yw_read_seconds,
		 .min = 0, .max = 3600ull * 1000),
	SUBFIELD("memory", AG3_YW_SIZE, limits, memory, .min = MiB, .max = 1024 * TiB,
		 .flags = AG3_YW_UNLIMITED_ZERO),
	SUBFIELD("pids", AG3_YW_UINT, limits, pids, .min = 1, .max = 4194304,
		 .flags = AG3_YW_UNLIMITED_ZERO),
	SUBFIELD("cpu_weight", AG3_YW_UINT, limits, cpu_weight, .min = 1, .max = 10000),
	SUBFIELD("cpu_max", AG3_YW_FN, limits, cpu_quota_us, .fn = ag3_yw_read_percent, .min = 1000,
		 .max = 100000ull * 1000, .flags = AG3_YW_UNLIMITED_ZERO),
	SUBFIELD("nofile", AG3_YW_UINT, limits, nofile, .min = 1, .max = 1ull << 30,
		 .flags = AG3_YW_UNLIMITED_INF),
	SUBFIELD("nproc", AG3_YW_UINT, limits, nproc, .min = 1, .max = 4194304,
		 .flags = AG3_YW_UNLIMITED_INF),
	SUBFIELD("fsize", AG3_YW_SIZE, limits, fsize, .min = 0, .max = UINT64_MAX - 1,
		 .flags = AG3_YW_UNLIMITED_INF),
	SUBFIELD("core", AG3_YW_SIZE, limits, core, .min = 0, .max = UINT64_MAX - 1,
		 .flags = AG3_YW_UNLIMITED_INF),
	{0},
};

/* The allowlist's keys mean nothing in another mode. */
static int check_network(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			 const struct ag3_yw_row *row)
{
	const C *cfg = (const C *)((const char *)dst - offsetof(C, network));
	const struct {
		const char *key;
		const struct ag3_pmeta *m;
	} only[] = {
		{"network.allowed_domains", &cfg->network.allowed_domains.meta},
		{"network.allow_localhost", &cfg->network.allow_localhost.meta},
		{"network.localhost_ports", &cfg->network.localhost_ports.meta},
		{"network.allow_private_destinations",
		 &cfg->network.allow_private_destinations.meta},
		{"network.max_connections", &cfg->network.max_connections.meta},
		{"network.max_connection_bytes", &cfg->network.max_connection_bytes.meta},
		{"network.idle_timeout", &cfg->network.idle_timeout_ms.meta},
	};
	if (cfg->network.mode.v != AG3_BWRAP_NET_ALLOWLIST) {
		for (size_t i = 0; i < ELEMENTSOF(only); i++)
			if (only[i].m->set)
				return useless(c, only[i].key, only[i].m,
					       "is only for network.mode: allowlist");
		return 0;
	}
	if (cfg->network.localhost_ports.n && !cfg->network.allow_localhost.v)
		return useless(c, "network.localhost_ports", &cfg->network.localhost_ports.meta,
			       "listed, but network.allow_localhost is not true");
	if (cfg->network.localhost_ports.n > AG3_SPEC_MAX_LOCALHOST_PORTS)
		return useless(c, "network.localhost_ports", &cfg->network.localhost_ports.meta,
			       "more than 64 ports");
	return 0;
}

static const struct ag3_yw_row network_rows[] = {
	SUBFIELD("mode", AG3_YW_ENUM, network, mode, .names = net_modes, .flags = AG3_YW_REQUIRED,
		 .missing = " (host, none or allowlist: what a command whose argv shares the "
			    "network gets)"),
	SUBFIELD("allowed_domains", AG3_YW_FN, network, allowed_domains, .fn = ag3_yw_read_domains,
		 .what = "a list of domain names", .max = AG3_SPEC_MAX_DOMAINS, .items = "domains"),
	SUBFIELD("allow_localhost", AG3_YW_BOOL, network, allow_localhost),
	SUBFIELD("localhost_ports", AG3_YW_FN, network, localhost_ports, .fn = ag3_yw_read_ports),
	SUBFIELD("allow_private_destinations", AG3_YW_BOOL, network, allow_private_destinations),
	SUBFIELD("max_connections", AG3_YW_UINT, network, max_connections, .min = 1, .max = 4096),
	SUBFIELD("max_connection_bytes", AG3_YW_SIZE, network, max_connection_bytes, .min = 0,
		 .max = UINT64_MAX - 1),
	SUBFIELD("idle_timeout", AG3_YW_FN, network, idle_timeout_ms, .fn = ag3_yw_read_seconds,
		 .min = 1000, .max = 86400ull * 1000),
	{.type = AG3_YW_CHECK, .fn = check_network},
	{0},
};

static const struct ag3_yw_row minimum_rows[] = {
	SUBFIELD("seccomp", AG3_YW_BOOL, minimum_isolation, seccomp),
	SUBFIELD("landlock_abi", AG3_YW_UINT, minimum_isolation, landlock_abi, .min = 0, .max = 64),
	SUBFIELD("cgroup", AG3_YW_BOOL, minimum_isolation, cgroup),
	{0},
};

static int check_result_dir(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	const char *p = ((struct ag3_pstr *)dst)->v;
	_cleanup_free_ char *norm = NULL;
	if (p[0] != '/' || ag3_path_has_dotdot(p))
		return ag3_lctx_fail(c, v, "expected an absolute path without '..'");
	if (ag3_path_normalize(p, &norm) < 0)
		return ag3_lctx_oom(c);
	if (ag3_path_check_normalized(norm) < 0)
		return ag3_lctx_fail(c, v, "the path is too long");
	return 0;
}

static const struct ag3_yw_map seccomp_map = {seccomp_rows, .flags = AG3_YW_TABLE_ORDER};
static const struct ag3_yw_map landlock_map = {landlock_rows};
static const struct ag3_yw_map limits_map = {limits_rows};
static const struct ag3_yw_map network_map = {network_rows, .flags = AG3_YW_TABLE_ORDER};
static const struct ag3_yw_map minimum_map = {minimum_rows};

static const struct ag3_yw_row top_rows[] = {
	SECTION("seccomp", seccomp, seccomp_map),
	SECTION("landlock", landlock, landlock_map),
	SECTION("limits", limits, limits_map),
	SECTION("network", network, network_map),
	SECTION("minimum_isolation", minimum_isolation, minimum_map),
	{.key = "result_dir",
	 .type = AG3_YW_STR,
	 .flags = AG3_YW_NONEMPTY | AG3_YW_NO_INT,
	 .off = offsetof(C, result_dir),
	 .what = "an absolute path",
	 .check = check_result_dir},
	{0},
};
static const struct ag3_yw_map top_map = {top_rows};

void ag3_bwrap_config_free(struct ag3_bwrap_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->file);
	ag3_yaml_doc_free(cfg->doc);
	ag3_pstrlist_clear(&cfg->network.allowed_domains);
	free(cfg->network.localhost_ports.v);
	free(cfg->result_dir.v);
	free(cfg);
}

int ag3_bwrap_config_parse(const char *file, const char *buf, size_t len,
			   struct ag3_bwrap_config **ret, struct ag3_error **reterr)
{
	_cleanup_(ag3_bwrap_config_freep) struct ag3_bwrap_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg || !(cfg->file = strdup(file ? file : "<bwrap config>")))
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	if (ag3_yw_defaults(cfg, &top_map) < 0)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	cfg->seccomp.errno_value.v = EPERM;
	int r = ag3_yaml_parse(cfg->file, buf, len, &cfg->doc, reterr);
	if (r < 0)
		return r;
	struct ag3_lctx c = {.file = cfg->file, .reterr = reterr};
	if (cfg->doc->root && !ag3_yaml_is_null(cfg->doc->root)) {
		if (cfg->doc->root->type != AG3_YAML_MAPPING)
			return ag3_lctx_expect(&c, cfg->doc->root,
					       "a mapping of sections (seccomp, landlock, limits, "
					       "network, minimum_isolation, result_dir)");
		r = ag3_yw_map(&c, cfg->doc->root, cfg, &top_map);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(cfg);
	return 0;
}

/* ------------------------------------------------------------- trust -- */

static bool trusted_owner(uid_t owner, uid_t also_uid)
{
	return owner == 0 || (also_uid != (uid_t)-1 && owner == also_uid);
}

/* Every directory on `path` (absolute): "/", "/a", "/a/b" for "/a/b/file". */
static int check_dirs(const char *path, uid_t also_uid, struct ag3_error **reterr, const char *file)
{
	char p[PATH_MAX];
	if (snprintf(p, sizeof(p), "%s", path) >= (int)sizeof(p))
		return ag3_error_set_at(reterr, ENAMETOOLONG, file, 0, 0, "the path is too long");
	const size_t last = (size_t)(strrchr(p, '/') - p);
	for (size_t i = 0; i <= last; i++) {
		if (p[i] != '/' || (i && p[i - 1] == '/'))
			continue;
		const size_t cut = i ? i : 1; /* the prefix before this slash; "/" itself */
		const char saved = p[cut];
		p[cut] = '\0';
		struct stat st;
		int r = stat(p, &st) < 0 ? -errno : 0;
		if (r < 0)
			r = ag3_error_set_at(reterr, -r, file, 0, 0, "cannot stat %s: %s", p,
					     strerror(-r));
		else if (!trusted_owner(st.st_uid, also_uid))
			r = ag3_error_set_at(reterr, EPERM, file, 0, 0,
					     "refused: the directory %s is owned by uid %u, not "
					     "root (its owner could replace the file)",
					     p, (unsigned)st.st_uid);
		else if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
			r = ag3_error_set_at(reterr, EPERM, file, 0, 0,
					     "refused: the directory %s is writable by group or "
					     "others (they could replace the file)",
					     p);
		p[cut] = saved;
		if (r < 0)
			return r;
	}
	return 0;
}

int ag3_bwrap_config_load(const char *path, uid_t also_uid, struct ag3_bwrap_config **ret,
			  struct ag3_error **reterr)
{
	if (path[0] != '/')
		return ag3_error_set_at(reterr, EINVAL, path, 0, 0,
					"the configuration's path must be absolute");
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		if (errno == ENOENT)
			return -ENOENT;
		return ag3_error_set_at(reterr, errno, path, 0, 0, "cannot resolve: %m");
	}
	/* the directories as named (a symlink there is as good as its directory) and
	 * those of the file it resolves to */
	int r = check_dirs(path, also_uid, reterr, path);
	if (r < 0)
		return r;
	r = check_dirs(real, also_uid, reterr, path);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	struct stat st;
	if (fd < 0)
		return ag3_error_set_at(reterr, errno, path, 0, 0, "cannot open: %m");
	if (fstat(fd, &st) < 0)
		return ag3_error_set_at(reterr, errno, path, 0, 0, "cannot stat: %m");
	if (!S_ISREG(st.st_mode))
		return ag3_error_set_at(reterr, EINVAL, path, 0, 0, "not a regular file");
	if (!trusted_owner(st.st_uid, also_uid))
		return ag3_error_set_at(reterr, EPERM, path, 0, 0,
					"refused: owned by uid %u, not root (the file configures "
					"the sandboxes of sudo callers)",
					(unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return ag3_error_set_at(reterr, EPERM, path, 0, 0,
					"refused: writable by group or others (mode %04o)",
					(unsigned)(st.st_mode & 07777));
	_cleanup_free_ char *buf = malloc(AG3_YAML_MAX_DOCUMENT + 1);
	size_t len = 0;
	if (!buf)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	r = ag3_read_max(fd, buf, AG3_YAML_MAX_DOCUMENT + 1, &len);
	if (r < 0)
		return ag3_error_set_at(reterr, -r, path, 0, 0, "cannot read: %s", strerror(-r));
	if (len > AG3_YAML_MAX_DOCUMENT)
		return ag3_error_set_at(reterr, EFBIG, path, 0, 0, "larger than %u MiB",
					AG3_YAML_MAX_DOCUMENT >> 20);
	return ag3_bwrap_config_parse(path, buf, len, ret, reterr);
}

/* ------------------------------------------------------------- apply -- */

int ag3_bwrap_config_apply(const struct ag3_bwrap_config *cfg, struct ag3_spec *spec,
			   struct ag3_error **reterr)
{
	if (cfg->seccomp.default_list.v) {
		spec->security.seccomp.enabled = true;
		spec->security.seccomp.use_default_list = true;
		spec->security.seccomp.deny_action = (enum ag3_seccomp_action)cfg->seccomp.action.v;
		spec->security.seccomp.deny_errno = cfg->seccomp.errno_value.v;
	}
	if (cfg->landlock.enabled.v)
		spec->security.landlock.enabled = true;

	const typeof(cfg->limits) *l = &cfg->limits;
	if (l->timeout_ms.meta.set)
		spec->limits.timeout_ms = l->timeout_ms.v;
	if (l->kill_grace_ms.meta.set)
		spec->limits.kill_grace_ms = l->kill_grace_ms.v;
	if (l->memory.meta.set)
		spec->limits.memory_bytes = l->memory.v;
	if (l->pids.meta.set)
		spec->limits.pids = l->pids.v;
	if (l->cpu_weight.meta.set)
		spec->limits.cpu_weight = (uint32_t)l->cpu_weight.v;
	if (l->cpu_quota_us.meta.set) {
		spec->limits.cpu_quota_us = l->cpu_quota_us.v;
		spec->limits.cpu_period_us = l->cpu_quota_us.v ? AG3_CPU_PERIOD_US : 0;
	}
	const struct {
		const char *name;
		const struct ag3_pu64 *v;
	} rl[] = {{"nofile", &l->nofile},
		  {"nproc", &l->nproc},
		  {"fsize", &l->fsize},
		  {"core", &l->core}};
	for (size_t i = 0; i < ELEMENTSOF(rl); i++)
		if (rl[i].v->meta.set &&
		    ag3_spec_set_rlimit(spec, rl[i].name, rl[i].v->v, rl[i].v->v) < 0)
			return ag3_error_set(reterr, ENOMEM, "out of memory");

	const typeof(cfg->minimum_isolation) *m = &cfg->minimum_isolation;
	spec->security.minimum.seccomp |= m->seccomp.v;
	spec->security.minimum.cgroup |= m->cgroup.v;
	if (m->landlock_abi.v > spec->security.minimum.landlock_abi)
		spec->security.minimum.landlock_abi = (unsigned)m->landlock_abi.v;

	/* The network: only a command that shares the host's gets the operator's mode. */
	const typeof(cfg->network) *n = &cfg->network;
	if (spec->network.mode != AG3_NET_HOST || n->mode.v == AG3_BWRAP_NET_HOST)
		return 0;
	spec->namespaces.net = true;
	spec->network.mode = n->mode.v == AG3_BWRAP_NET_NONE ? AG3_NET_NONE : AG3_NET_ALLOWLIST;
	if (spec->network.mode != AG3_NET_ALLOWLIST)
		return 0;
	spec->network.allow_localhost = n->allow_localhost.v;
	spec->network.allow_private = n->allow_private_destinations.v;
	if (n->max_connections.meta.set)
		spec->network.max_connections = (uint32_t)n->max_connections.v;
	if (n->max_connection_bytes.meta.set)
		spec->network.max_connection_bytes = n->max_connection_bytes.v;
	if (n->idle_timeout_ms.meta.set)
		spec->network.idle_timeout_ms = n->idle_timeout_ms.v;
	if (n->localhost_ports.n) {
		if (!(spec->network.localhost_ports =
			      calloc(n->localhost_ports.n, sizeof(uint16_t))))
			return ag3_error_set(reterr, ENOMEM, "out of memory");
		memcpy(spec->network.localhost_ports, n->localhost_ports.v,
		       n->localhost_ports.n * sizeof(uint16_t));
		spec->network.n_localhost_ports = n->localhost_ports.n;
	}
	if (n->allowed_domains.n &&
	    !(spec->network.domains = calloc(n->allowed_domains.n, sizeof(char *))))
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	for (size_t i = 0; i < n->allowed_domains.n; i++, spec->network.n_domains++)
		if (!(spec->network.domains[i] = strdup(n->allowed_domains.items[i].v)))
			return ag3_error_set(reterr, ENOMEM, "out of memory");
	return 0;
}
