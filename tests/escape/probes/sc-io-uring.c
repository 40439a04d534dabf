/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of io_uring (io_uring_setup, io_uring_enter,
 * io_uring_register). io_uring bypasses the other syscall filters.
 * Without the rule: io_uring_setup succeeds unprivileged (the ring fd is
 * closed at once), io_uring_enter/register on fd -1 fail with EBADF: both
 * print ESCAPED.
 */
#include <linux/io_uring.h>
#include <sys/syscall.h>

#include "probe.h"

static void p_setup(const char *name, int argc, char **argv)
{
	struct io_uring_params p;
	memset(&p, 0, sizeof(p));
	long r = syscall(SYS_io_uring_setup, 4, &p);
	int e = errno;
	if (r >= 0)
		close((int)r);
	expect_eperm(name, r, e);
}

static void p_enter(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
	expect_eperm(name, r, errno);
}

static void p_register(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_io_uring_register, -1, 0, NULL, 0);
	expect_eperm(name, r, errno);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"io_uring_setup", p_setup},
		{"io_uring_enter", p_enter},
		{"io_uring_register", p_register},
	};
	return RUN_VARIANTS(tab);
}
