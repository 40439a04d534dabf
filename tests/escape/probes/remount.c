/* SPDX-License-Identifier: MIT */
/*
 * Checks: a read-only system mount cannot be made writable from inside:
 * neither with mount(MS_REMOUNT|MS_BIND) (old API) nor by cloning/picking the
 * mount and clearing MOUNT_ATTR_RDONLY with mount_setattr (new API). Guards
 * the capability drop, the mount-API seccomp rules and the read-only flag on
 * each bind (mount_setattr over the whole tree).
 * If a remount succeeded it would only flip the sandbox's own mount (nothing
 * is written); the probe then prints ESCAPED. In every case it also checks
 * that /usr is still read-only afterwards.
 */
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "probe.h"

static void still_ro(const char *name, const char *dir)
{
	struct statvfs s;
	if (statvfs(dir, &s) < 0)
		probe_error(name, "statvfs %s: %s", dir, ename(errno));
	if (!(s.f_flag & ST_RDONLY))
		escaped(name, "%s is read-write", dir);
}

static void p_old(const char *name, int argc, char **argv)
{
	still_ro(name, "/usr");
	long r = syscall(SYS_mount, NULL, "/usr", NULL, MS_REMOUNT | MS_BIND, NULL);
	int e = errno;
	still_ro(name, "/usr");
	if (r == 0)
		escaped(name, "mount(MS_REMOUNT|MS_BIND) on /usr succeeded");
	long r2 = syscall(SYS_mount, NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL);
	int e2 = errno;
	still_ro(name, "/");
	if (r2 == 0)
		escaped(name, "mount(MS_REMOUNT|MS_BIND) on / succeeded");
	blocked(name, "/usr: %s, /: %s", ename(e), ename(e2));
}

static void p_new(const char *name, int argc, char **argv)
{
	struct mount_attr a;
	still_ro(name, "/usr");
	long fd = syscall(SYS_open_tree, AT_FDCWD, "/usr", OPEN_TREE_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		/* Try the cloned tree as well: it must not be creatable either. */
		long fd2 = syscall(SYS_open_tree, AT_FDCWD, "/usr",
				   OPEN_TREE_CLOEXEC | OPEN_TREE_CLONE);
		if (fd2 >= 0) {
			close((int)fd2);
			escaped(name, "open_tree(OPEN_TREE_CLONE) of /usr succeeded");
		}
		blocked(name, "open_tree: %s, open_tree(CLONE): %s", ename(e), ename(errno));
	}
	memset(&a, 0, sizeof(a));
	a.attr_clr = MOUNT_ATTR_RDONLY;
	long r = syscall(SYS_mount_setattr, (int)fd, "", AT_EMPTY_PATH, &a, sizeof(a));
	int e = errno;
	close((int)fd);
	still_ro(name, "/usr");
	if (r == 0)
		escaped(name, "mount_setattr cleared MOUNT_ATTR_RDONLY on /usr");
	blocked(name, "open_tree succeeded but mount_setattr: %s", ename(e));
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"remount-usr-rw", p_old},
		{"remount-usr-rw-newapi", p_new},
	};
	return RUN_VARIANTS(tab);
}
