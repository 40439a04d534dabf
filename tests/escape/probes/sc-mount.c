/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of every mount-related call (mount, umount2, fsopen,
 * fsconfig, fsmount, fspick, open_tree, move_mount, mount_setattr,
 * pivot_root, chroot). Nothing here can change a mount even if let through:
 * targets do not exist, flags are invalid, file descriptors are -1, or the
 * call only returns an fd that is closed at once (open_tree without
 * OPEN_TREE_CLONE, fspick on the sandbox's own /tmp, never reconfigured).
 * mount (ENOENT), umount2/mount_setattr (EINVAL), fsconfig (EINVAL),
 * open_tree (success) and chroot (ENOENT) get a non-EPERM answer from the
 * kernel before any privilege check, so those fail as soon as the rule is
 * gone; fsopen, fsmount, fspick, move_mount and pivot_root check
 * CAP_SYS_ADMIN first, so they guard seccomp and the capability drop
 * together.
 */
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/syscall.h>

#include "probe.h"

#define NOWHERE "/ag3-nonexistent-mount-target"

static void p_mount(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_mount, NULL, NOWHERE, NULL, MS_REMOUNT | MS_BIND, NULL);
	expect_eperm(name, r, errno);
}

static void p_umount2(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_umount2, NOWHERE, 0x80000000U); /* invalid flag */
	expect_eperm(name, r, errno);
}

static void p_fsopen(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	int e = errno;
	if (r >= 0)
		close((int)r);
	expect_eperm(name, r, e);
}

static void p_fsconfig(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_fsconfig, -1, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	expect_eperm(name, r, errno);
}

static void p_fsmount(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_fsmount, -1, FSMOUNT_CLOEXEC, 0);
	expect_eperm(name, r, errno);
}

static void p_fspick(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_fspick, AT_FDCWD, "/tmp", FSPICK_CLOEXEC);
	int e = errno;
	if (r >= 0)
		close((int)r); /* never reconfigured */
	expect_eperm(name, r, e);
}

static void p_open_tree(const char *name, int argc, char **argv)
{
	/* Without OPEN_TREE_CLONE this needs no privilege: the kernel would
	 * return an O_PATH fd. */
	long r = syscall(SYS_open_tree, AT_FDCWD, "/tmp", OPEN_TREE_CLOEXEC);
	int e = errno;
	if (r >= 0)
		close((int)r);
	expect_eperm(name, r, e);
}

static void p_move_mount(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_move_mount, -1, "", -1, "", 0xffff0000U); /* invalid flags */
	expect_eperm(name, r, errno);
}

static void p_mount_setattr(const char *name, int argc, char **argv)
{
	struct mount_attr a;
	memset(&a, 0, sizeof(a));
	long r = syscall(SYS_mount_setattr, -1, "", 0xffff0000U, &a, sizeof(a)); /* invalid flags */
	expect_eperm(name, r, errno);
}

static void p_pivot_root(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_pivot_root, NOWHERE, NOWHERE);
	expect_eperm(name, r, errno);
}

static void p_chroot(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_chroot, NOWHERE);
	expect_eperm(name, r, errno);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"mount", p_mount},
		{"umount2", p_umount2},
		{"fsopen", p_fsopen},
		{"fsconfig", p_fsconfig},
		{"fsmount", p_fsmount},
		{"fspick", p_fspick},
		{"open_tree", p_open_tree},
		{"move_mount", p_move_mount},
		{"mount_setattr", p_mount_setattr},
		{"pivot_root", p_pivot_root},
		{"chroot", p_chroot},
	};
	return RUN_VARIANTS(tab);
}
