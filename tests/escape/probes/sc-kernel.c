/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of the calls that reach into the kernel itself
 * (bpf, perf_event_open, userfaultfd, syslog, iopl, ioperm, quotactl,
 * quotactl_fd). The arguments are chosen so that the kernel, were the call
 * let through, answers something other than EPERM (a harmless success that is
 * undone at once, or EINVAL/EBADF/ENODEV): without the rule each prints
 * ESCAPED. syslog is the exception: with dmesg_restrict=1 the kernel also
 * says EPERM, so that probe guards seccomp and the capability drop together.
 */
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <fcntl.h>
#include <sys/quota.h>
#include <sys/syscall.h>

#include "probe.h"

static void p_bpf(const char *name, int argc, char **argv)
{
	/* An unknown command: the kernel would answer EINVAL. */
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	long r = syscall(SYS_bpf, 9999, &attr, sizeof(attr));
	expect_eperm(name, r, errno);
}

static void p_perf(const char *name, int argc, char **argv)
{
	/* Self-monitoring of a user-space software counter: allowed by
	 * perf_event_paranoid <= 2, EACCES above: never EPERM. */
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	a.disabled = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	long r = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0UL);
	int e = errno;
	if (r >= 0)
		close((int)r);
	expect_eperm(name, r, e);
}

static void p_userfaultfd(const char *name, int argc, char **argv)
{
	/* UFFD_USER_MODE_ONLY is allowed unprivileged. */
	long r = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
	int e = errno;
	if (r >= 0)
		close((int)r);
	expect_eperm(name, r, e);
}

static void p_syslog(const char *name, int argc, char **argv)
{
	/* SYSLOG_ACTION_SIZE_BUFFER (10): a read-only query. */
	long r = syscall(SYS_syslog, 10, NULL, 0);
	expect_eperm(name, r, errno);
}

static void p_iopl(const char *name, int argc, char **argv)
{
	/* Level 0 is what the probe has: the kernel would return 0. */
	long r = syscall(SYS_iopl, 0);
	expect_eperm(name, r, errno);
}

static void p_ioperm(const char *name, int argc, char **argv)
{
	/* Turning a port off needs no privilege: the kernel would return 0. */
	long r = syscall(SYS_ioperm, 0x80UL, 1UL, 0);
	expect_eperm(name, r, errno);
}

static void p_quotactl(const char *name, int argc, char **argv)
{
	/* No device: the kernel would answer ENODEV. */
	long r = syscall(SYS_quotactl, QCMD(Q_GETFMT, USRQUOTA), NULL, 0, NULL);
	expect_eperm(name, r, errno);
}

static void p_quotactl_fd(const char *name, int argc, char **argv)
{
#ifdef SYS_quotactl_fd
	long r = syscall(SYS_quotactl_fd, -1, QCMD(Q_GETFMT, USRQUOTA), 0, NULL);
#else
	long r = syscall(443, -1, QCMD(Q_GETFMT, USRQUOTA), 0, NULL);
#endif
	expect_eperm(name, r, errno);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"bpf", p_bpf},
		{"perf_event_open", p_perf},
		{"userfaultfd", p_userfaultfd},
		{"syslog", p_syslog},
		{"iopl", p_iopl},
		{"ioperm", p_ioperm},
		{"quotactl", p_quotactl},
		{"quotactl_fd", p_quotactl_fd},
	};
	return RUN_VARIANTS(tab);
}
