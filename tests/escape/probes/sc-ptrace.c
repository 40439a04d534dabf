/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of ptrace and of the other ways to reach another
 * process's memory or files (process_vm_readv/writev, kcmp, pidfd_getfd).
 * The targets are the probe itself or its own child, which the kernel would
 * allow: without the rule each call succeeds and the probe prints ESCAPED.
 * ptrace-attach-init aims at the sandbox's init (pid 1); the kernel also
 * refuses that one (init is non-dumpable), so it guards both layers.
 */
#include <linux/kcmp.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "probe.h"

static void p_traceme(const char *name, int argc, char **argv)
{
	long r = ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	expect_eperm(name, r, errno);
}

static void p_attach_child(const char *name, int argc, char **argv)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		probe_error(name, "fork: %s", ename(errno));
	if (pid == 0) {
		alarm(10);
		for (;;)
			pause();
	}
	long r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);
	int e = errno;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	expect_eperm(name, r, e);
}

static void p_attach_init(const char *name, int argc, char **argv)
{
	long r = ptrace(PTRACE_ATTACH, 1, NULL, NULL);
	int e = errno;
	if (r == 0)
		ptrace(PTRACE_DETACH, 1, NULL, NULL);
	expect_eperm(name, r, e);
}

static void p_vm_readv(const char *name, int argc, char **argv)
{
	char src[16] = "ag3ntum-probe", dst[16];
	struct iovec l = {dst, sizeof(dst)}, rv = {src, sizeof(src)};
	long r = syscall(SYS_process_vm_readv, getpid(), &l, 1, &rv, 1, 0);
	expect_eperm(name, r, errno);
}

static void p_vm_writev(const char *name, int argc, char **argv)
{
	/* Writes the probe's own buffer with the bytes it already holds. */
	char buf[16] = "ag3ntum-probe", same[16];
	memcpy(same, buf, sizeof(buf));
	struct iovec l = {same, sizeof(same)}, rv = {buf, sizeof(buf)};
	long r = syscall(SYS_process_vm_writev, getpid(), &l, 1, &rv, 1, 0);
	expect_eperm(name, r, errno);
}

static void p_kcmp(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0);
	expect_eperm(name, r, errno);
}

static void p_pidfd_getfd(const char *name, int argc, char **argv)
{
	long pfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (pfd < 0)
		probe_error(name, "pidfd_open(self): %s", ename(errno));
	long r = syscall(SYS_pidfd_getfd, pfd, 1, 0);
	int e = errno;
	if (r >= 0)
		close((int)r);
	expect_eperm(name, r, e);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"ptrace-traceme", p_traceme},         {"ptrace-attach-child", p_attach_child},
		{"ptrace-attach-init", p_attach_init}, {"process_vm_readv", p_vm_readv},
		{"process_vm_writev", p_vm_writev},    {"kcmp", p_kcmp},
		{"pidfd_getfd", p_pidfd_getfd},
	};
	return RUN_VARIANTS(tab);
}
