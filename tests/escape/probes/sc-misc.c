/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of personality flags that weaken the process
 * (ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC), of open_by_handle_at, and that the
 * filter covers the compat entry points: a call through the i386 gate
 * (int $0x80) and the x32 ABI must meet the same deny list (a filter loaded
 * for x86_64 only would let `unshare` through them).
 * Without the rules personality() succeeds (it changes only the probe's own
 * next exec), open_by_handle_at on fd -1 answers EBADF, and the compat
 * unshare(CLONE_NEWUSER) succeeds in a child that exits at once: ESCAPED.
 * A compat call killed by the filter (SIGSYS: unknown arch) is BLOCKED too.
 * SKIP only when the kernel itself has no such ABI.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "probe.h"

static void p_personality_aslr(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_personality, PER_LINUX | ADDR_NO_RANDOMIZE);
	expect_eperm(name, r, errno);
}

static void p_personality_rie(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_personality, PER_LINUX | READ_IMPLIES_EXEC);
	expect_eperm(name, r, errno);
}

static void p_open_by_handle_at(const char *name, int argc, char **argv)
{
	struct {
		struct file_handle fh;
		unsigned char buf[128];
	} h;
	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = 8;
	long r = syscall(SYS_open_by_handle_at, -1, &h.fh, O_RDONLY);
	expect_eperm(name, r, errno);
}

#if defined(__x86_64__)
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}
#endif

/* Runs fn in a child; returns what the child reported: the raw return value
 * through the exit status (0: returned 0, 1: EPERM, 2: ENOSYS, 3: other
 * errno, stored in *other), or -signal if it died. */
static int in_child(const char *name, long (*fn)(void), int *other)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		probe_error(name, "pipe: %s", ename(errno));
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		probe_error(name, "fork: %s", ename(errno));
	if (pid == 0) {
		close(pfd[0]);
		alarm(10);
		long r = fn();
		int e = r < 0 && r > -4096 ? (int)-r : 0;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(9);
		_exit(e == 0 ? 0 : e == EPERM ? 1 : e == ENOSYS ? 2 : 3);
	}
	close(pfd[1]);
	int st, e = 0;
	if (read(pfd[0], &e, sizeof(e)) != sizeof(e))
		e = 0;
	close(pfd[0]);
	if (waitpid(pid, &st, 0) < 0)
		probe_error(name, "waitpid: %s", ename(errno));
	*other = e;
	if (WIFSIGNALED(st))
		return -WTERMSIG(st);
	return WEXITSTATUS(st);
}

#if defined(__x86_64__)
static long i386_getpid(void)
{
	return int80(20, 0, 0, 0); /* i386 getpid */
}

static long i386_unshare(void)
{
	return int80(310, CLONE_NEWUSER, 0, 0); /* i386 unshare */
}

#define X32 0x40000000L
static long x32_getpid(void)
{
	long r = syscall(X32 | 39);
	return r < 0 ? -errno : r;
}

static long x32_unshare(void)
{
	long r = syscall(X32 | 272, CLONE_NEWUSER);
	return r < 0 ? -errno : r;
}
#endif

static void verdict_compat(const char *name, int st, int e, const char *abi)
{
	if (st == 0)
		escaped(name, "%s unshare(CLONE_NEWUSER) succeeded", abi);
	if (st == 1)
		blocked(name, "EPERM through the %s entry", abi);
	if (st == -SIGSYS)
		blocked(name, "killed by SIGSYS (the filter rejects the %s ABI)", abi);
	if (st < 0)
		probe_error(name, "the child died of signal %d", -st);
	escaped(name, "%s unshare reached the kernel: %s instead of seccomp's EPERM", abi,
		ename(e));
}

static void p_i386(const char *name, int argc, char **argv)
{
#if defined(__x86_64__)
	int e, st = in_child(name, i386_getpid, &e);
	if (st == -SIGSEGV)
		skip(name, "the kernel has no i386 emulation (int $0x80 faults)");
	if (st == -SIGSYS)
		blocked(name, "killed by SIGSYS (the filter rejects the i386 ABI)");
	if (st == 2)
		skip(name, "the kernel has no i386 emulation (ENOSYS)");
	st = in_child(name, i386_unshare, &e);
	verdict_compat(name, st, e, "i386");
#else
	skip(name, "not an x86_64 build");
#endif
}

static void p_x32(const char *name, int argc, char **argv)
{
#if defined(__x86_64__)
	int e, st = in_child(name, x32_getpid, &e);
	if (st == -SIGSYS)
		blocked(name, "killed by SIGSYS (the filter rejects the x32 ABI)");
	if (st == 2)
		skip(name, "the kernel has no x32 ABI (getpid through it: ENOSYS)");
	if (st < 0)
		probe_error(name, "x32 getpid: the child died of signal %d", -st);
	st = in_child(name, x32_unshare, &e);
	verdict_compat(name, st, e, "x32");
#else
	skip(name, "not an x86_64 build");
#endif
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"personality-addr-no-randomize", p_personality_aslr},
		{"personality-read-implies-exec", p_personality_rie},
		{"open_by_handle_at", p_open_by_handle_at},
		{"compat-i386-unshare", p_i386},
		{"compat-x32-unshare", p_x32},
	};
	return RUN_VARIANTS(tab);
}
