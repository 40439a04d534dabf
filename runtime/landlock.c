/* SPDX-License-Identifier: MIT */
#include "landlock.h"

#include "mounts/executor.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Rights newer than Debian 12's headers know. */
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define AG3_LL_NET_BIND_TCP (1ULL << 0)
#define AG3_LL_NET_CONNECT_TCP (1ULL << 1)
#define AG3_LL_RULE_NET_PORT 2
#define AG3_LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define AG3_LL_SCOPE_SIGNAL (1ULL << 1)

/* The ruleset attribute as of ABI 6; older kernels take a prefix of it. */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};
struct ll_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_RX (FS_READ | LANDLOCK_ACCESS_FS_EXECUTE)
#define FS_WRITE_FILES (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)
#define FS_FILE_ONLY                                                                               \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                              \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

static uint64_t fs_rights_for_abi(int abi)
{
	uint64_t all = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */
	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		all |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return all;
}

int ag3_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

static int add_path(int ruleset, const char *path, uint64_t rights, uint64_t handled,
		    struct ag3_error **reterr)
{
	/* No symlink is followed on the way, not only at the end: a link the sandboxed
	 * user planted where a skipped optional bind would have gone must not make the
	 * rule land elsewhere. */
	_cleanup_close_ int fd = -1;
	int k = ag3_mounts_open_nofollow(path, &fd);
	if (k < 0) {
		if (k == -ENOENT || k == -ELOOP || k == -ENOTDIR)
			return 0; /* a skipped optional bind; a symlink is covered by its target */
		return ag3_error_set_stage(reterr, -k, "landlock", path, "landlock: %s: %s", path,
					   strerror(-k));
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return ag3_error_set_stage(reterr, errno, "landlock", path, "landlock: %s: %m",
					   path);
	if (!S_ISDIR(st.st_mode))
		rights &= FS_FILE_ONLY;
	rights &= handled;
	if (!rights)
		return 0;
	struct landlock_path_beneath_attr pb = {.allowed_access = rights, .parent_fd = fd};
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0)
		return ag3_error_set_stage(reterr, errno, "landlock", path,
					   "landlock: adding the rule for %s: %m", path);
	return 0;
}

static int add_port(int ruleset, uint16_t port, uint64_t access, struct ag3_error **reterr)
{
	struct ll_net_port_attr np = {.allowed_access = access, .port = port};
	if (syscall(SYS_landlock_add_rule, ruleset, AG3_LL_RULE_NET_PORT, &np, 0) < 0)
		return ag3_error_set_stage(reterr, errno, "landlock", NULL,
					   "landlock: adding the rule for port %u: %m", port);
	return 0;
}

int ag3_landlock_prepare(const struct ag3_spec *spec, int abi, int *ret_fd,
			 struct ag3_error **reterr)
{
	const uint64_t all = fs_rights_for_abi(abi);
	struct ll_ruleset_attr attr = {.handled_access_fs = all};
	size_t attr_size = sizeof(uint64_t);
	const bool ports = spec->security.landlock.n_net_bind_ports ||
			   spec->security.landlock.n_net_connect_ports;
	if (abi >= 4) {
		attr_size = 2 * sizeof(uint64_t);
		/* With no port listed, TCP inside the sandbox's own network is not restricted. */
		if (ports)
			attr.handled_access_net = AG3_LL_NET_BIND_TCP | AG3_LL_NET_CONNECT_TCP;
	}
	if (abi >= 6) {
		attr_size = sizeof(attr);
		attr.scoped = AG3_LL_SCOPE_SIGNAL | AG3_LL_SCOPE_ABSTRACT_UNIX_SOCKET;
	}
	_cleanup_close_ int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
	if (rs < 0)
		return ag3_error_set_stage(reterr, errno, "landlock", NULL,
					   "landlock: creating the ruleset (ABI %d): %m", abi);
	int r;
	/* The root holds only mount points: listing it is all it grants. */
	if ((r = add_path(rs, "/", LANDLOCK_ACCESS_FS_READ_DIR, all, reterr)) < 0)
		return r;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct ag3_mount *m = &spec->mounts[i];
		uint64_t rights = 0;
		switch (m->op) {
		case AG3_MOUNT_BIND:
		case AG3_MOUNT_TMPFS:
		case AG3_MOUNT_OVERLAY:
			rights = m->ro ? FS_RX : all;
			break;
		case AG3_MOUNT_PROC:
			rights = FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE;
			break;
		case AG3_MOUNT_DEV: {
			rights = FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE |
				 LANDLOCK_ACCESS_FS_IOCTL_DEV;
			char sub[4096];
			snprintf(sub, sizeof(sub), "%s/shm", m->target);
			if ((r = add_path(rs, sub, all, all, reterr)) < 0)
				return r;
			break;
		}
		case AG3_MOUNT_DIR:
		case AG3_MOUNT_FILE:
			rights = FS_READ;
			break;
		default:
			continue; /* symlinks resolve to their targets; masks grant nothing */
		}
		if (m->noexec)
			rights &= ~(uint64_t)LANDLOCK_ACCESS_FS_EXECUTE;
		if ((r = add_path(rs, m->target, rights, all, reterr)) < 0)
			return r;
	}
	if (abi >= 4 && ports) {
		for (size_t i = 0; i < spec->security.landlock.n_net_bind_ports; i++)
			if ((r = add_port(rs, spec->security.landlock.net_bind_ports[i],
					  AG3_LL_NET_BIND_TCP, reterr)) < 0)
				return r;
		for (size_t i = 0; i < spec->security.landlock.n_net_connect_ports; i++)
			if ((r = add_port(rs, spec->security.landlock.net_connect_ports[i],
					  AG3_LL_NET_CONNECT_TCP, reterr)) < 0)
				return r;
		/* Allowlist mode's proxy, which HTTP_PROXY names: with connect ports
		 * restricted, tools that use the proxy would find it unreachable. Every
		 * destination it reaches is checked by the relay. */
		if (spec->network.mode == AG3_NET_ALLOWLIST &&
		    spec->security.landlock.n_net_connect_ports &&
		    (r = add_port(rs, AG3_NET_PROXY_PORT, AG3_LL_NET_CONNECT_TCP, reterr)) < 0)
			return r;
	}
	*ret_fd = TAKE_FD(rs);
	return 0;
}

int ag3_landlock_restrict(int ruleset, struct ag3_error **reterr)
{
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return ag3_error_set_stage(reterr, errno, "landlock", NULL,
					   "landlock: restrict_self: %m");
	return 0;
}

int ag3_landlock_apply(const struct ag3_spec *spec, int abi, struct ag3_error **reterr)
{
	_cleanup_close_ int rs = -1;
	int r = ag3_landlock_prepare(spec, abi, &rs, reterr);
	return r < 0 ? r : ag3_landlock_restrict(rs, reterr);
}
