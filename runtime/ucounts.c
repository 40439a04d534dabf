/* SPDX-License-Identifier: MIT */
/*
 * The sandbox's share of the kernel's per-user pools (ucounts). Inotify and
 * fanotify instances and marks, and namespaces, are counted per user and per
 * user namespace, up the chain of namespaces: a process of the sandbox counts
 * against its own user namespace's limit and against its caller's at every
 * level above. A new user namespace starts with no limit of its own, so a
 * rootless sandbox could use its caller's whole pool (128 inotify instances by
 * default) and starve the caller. The namespace's owner (init, holding every
 * capability in it before the drop) may lower its limits in
 * /proc/sys/user/max_*, which are the limits of the writer's own user namespace.
 *
 * Only ever called in a user namespace of the sandbox's own: in the initial
 * user namespace those files are the host's global limits.
 */
#include "runtime/ucounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "runtime/util/cleanup.h"

/* Each pool: the sandbox's limit is the host's per-user limit divided by `share`
 * (at least 1), the host's being read from `host` (the initial namespace's). */
static const struct {
	const char *name, *host;
	unsigned share;
} pools[] = {
	{"max_inotify_instances", "sys/fs/inotify/max_user_instances", AG3_UCOUNTS_SHARE},
	{"max_inotify_watches", "sys/fs/inotify/max_user_watches", AG3_UCOUNTS_SHARE},
	{"max_fanotify_groups", "sys/fs/fanotify/max_user_groups", AG3_UCOUNTS_SHARE},
	{"max_fanotify_marks", "sys/fs/fanotify/max_user_marks", AG3_UCOUNTS_SHARE},
};

/*
 * Namespaces: none can be created in the sandbox (seccomp denies it too). Not
 * mount namespaces: every detached mount (fsmount, open_tree) the mount
 * executor makes after this counts as one.
 */
static const char *const namespaces[] = {
	"max_user_namespaces", "max_pid_namespaces",    "max_net_namespaces",  "max_ipc_namespaces",
	"max_uts_namespaces",  "max_cgroup_namespaces", "max_time_namespaces",
};

/* Reads a decimal from `path` beneath `dir`; -ENOENT if the kernel lacks it. */
static int read_long(int dir, const char *path, long *ret)
{
	_cleanup_close_ int fd = openat(dir, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	char buf[32];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	char *end;
	errno = 0;
	long v = strtol(buf, &end, 10);
	if (errno || end == buf || v < 0)
		return -EIO;
	*ret = v;
	return 0;
}

static int write_limit(int user, const char *name, long value, struct ag3_error **reterr)
{
	_cleanup_close_ int fd = openat(user, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0; /* older kernel: not a ucount there */
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", value);
	ssize_t n = fd < 0 ? -1 : write(fd, buf, (size_t)len);
	if (n == len)
		return 0;
	int e = n < 0 ? errno : EIO;
	return ag3_error_set_stage(reterr, e, "ucounts", NULL,
				   "ucounts: writing /proc/sys/user/%s = %ld: %s", name, value,
				   strerror(e));
}

int ag3_ucounts_bound(const struct ag3_spec *spec, bool session, struct ag3_error **reterr)
{
	/* A proc of the sandbox's own, detached: the host's /proc/sys may be read-only
	 * (containers), and the values written are the writer's namespace's anyway. */
	_cleanup_close_ int fsfd = fsopen("proc", FSOPEN_CLOEXEC);
	if (fsfd < 0 || fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return ag3_error_set_stage(reterr, errno, "ucounts", NULL,
					   "ucounts: a proc instance to write the limits in: %m");
	_cleanup_close_ int proc = fsmount(
		fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (proc < 0)
		return ag3_error_set_stage(reterr, errno, "ucounts", NULL,
					   "ucounts: mounting a proc instance: %m");
	_cleanup_close_ int user = openat(proc, "sys/user", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (user < 0)
		return ag3_error_set_stage(reterr, errno, "ucounts", "/proc/sys/user",
					   "ucounts: /proc/sys/user: %m");
	int r;
	for (size_t i = 0; i < ELEMENTSOF(pools); i++) {
		long host = 0;
		if ((r = read_long(proc, pools[i].host, &host)) == -ENOENT)
			continue;
		if (r < 0)
			return ag3_error_set_stage(reterr, -r, "ucounts", NULL,
						   "ucounts: reading /proc/%s: %s", pools[i].host,
						   strerror(-r));
		long v = host / pools[i].share;
		if ((r = write_limit(user, pools[i].name, v > 0 ? v : 1, reterr)) < 0)
			return r;
	}
	if (ag3_seccomp_denies_namespaces(spec))
		for (size_t i = 0; i < ELEMENTSOF(namespaces); i++) {
			/* A session's holder makes a pid and an ipc namespace per command:
			 * as many as commands may run at once, and no more. */
			bool per_command = !strcmp(namespaces[i], "max_pid_namespaces") ||
					   !strcmp(namespaces[i], "max_ipc_namespaces");
			long v = session && per_command ? AG3_SESSION_MAX_COMMANDS : 0;
			if ((r = write_limit(user, namespaces[i], v, reterr)) < 0)
				return r;
		}
	return 0;
}
