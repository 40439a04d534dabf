/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of new namespaces from inside the sandbox: unshare,
 * setns, clone with any namespace flag (no nested user namespace, which would
 * hand the command a full capability set over new namespaces), and clone3,
 * which must fail with ENOSYS (its flags are out of seccomp's reach; libc
 * then falls back to clone).
 * Without the rules unshare(CLONE_NEWUSER [|CLONE_NEWNS|CLONE_NEWNET]) and
 * clone(CLONE_NEWUSER) succeed unprivileged (the probe's own process or a
 * child that _exit()s at once is all that changes), setns with a mismatched
 * type answers EINVAL, and clone3 forks (the child _exit()s at once): all
 * print ESCAPED. unshare(CLONE_NEWNS) alone is also refused by the kernel
 * without CAP_SYS_ADMIN: it guards seccomp and the capability drop together.
 */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "probe.h"

static void p_unshare_user(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_unshare, CLONE_NEWUSER);
	expect_eperm(name, r, errno);
}

static void p_unshare_ns(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_unshare, CLONE_NEWNS);
	expect_eperm(name, r, errno);
}

static void p_unshare_user_ns(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS);
	expect_eperm(name, r, errno);
}

static void p_unshare_user_net(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNET);
	expect_eperm(name, r, errno);
}

static void p_setns(const char *name, int argc, char **argv)
{
	/* The probe's own uts namespace, announced as a network namespace:
	 * the kernel would answer EINVAL and change nothing. */
	int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		probe_error(name, "open /proc/self/ns/uts: %s", ename(errno));
	long r = syscall(SYS_setns, fd, CLONE_NEWNET);
	expect_eperm(name, r, errno);
}

static void raw_clone(const char *name, unsigned long flags)
{
	fflush(stdout);
	long r = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
	if (r == 0)
		_exit(0); /* the child: nothing else */
	int e = errno;
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	expect_eperm(name, r, e);
}

static void p_clone_newuser(const char *name, int argc, char **argv)
{
	raw_clone(name, CLONE_NEWUSER);
}

static void p_clone_newuser_newnet(const char *name, int argc, char **argv)
{
	raw_clone(name, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS);
}

static void p_clone3(const char *name, int argc, char **argv)
{
	struct clone_args a;
	memset(&a, 0, sizeof(a));
	a.flags = CLONE_NEWUSER;
	a.exit_signal = SIGCHLD;
	fflush(stdout);
	long r = syscall(SYS_clone3, &a, sizeof(a));
	if (r == 0)
		_exit(0);
	int e = errno;
	if (r > 0) {
		waitpid((pid_t)r, NULL, 0);
		escaped(name, "clone3(CLONE_NEWUSER) created a child in a new user namespace");
	}
	if (e == ENOSYS)
		blocked(name, "ENOSYS");
	escaped(name, "failed with %s, not ENOSYS: libc would not fall back to the filtered clone",
		ename(e));
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"unshare-user", p_unshare_user},
		{"unshare-ns", p_unshare_ns},
		{"unshare-user-ns", p_unshare_user_ns},
		{"unshare-user-net", p_unshare_user_net},
		{"setns", p_setns},
		{"clone-newuser", p_clone_newuser},
		{"clone-newuser-newnet-newns", p_clone_newuser_newnet},
		{"clone3", p_clone3},
	};
	return RUN_VARIANTS(tab);
}
