/* SPDX-License-Identifier: MIT */
#include "doctor.h"

#include "runtime/sandbox.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/landlock.h"

/* A call with arguments it must reject: ENOSYS means the kernel lacks it. */
static bool exists(long r)
{
	return r >= 0 || errno != ENOSYS;
}

static bool probe_userns(int *err)
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		*err = errno;
		return false;
	}
	if (pid == 0)
		_exit(0);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*err = 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

void ag3_doctor_probe(struct ag3_doctor *d)
{
	memset(d, 0, sizeof(*d));
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(d->kernel, sizeof(d->kernel), "%s %s %s", u.sysname, u.release, u.machine);
	d->privileged = geteuid() == 0;
	d->userns = probe_userns(&d->userns_errno);
	d->seccomp = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;
	uint32_t action = SECCOMP_RET_KILL_PROCESS;
	d->seccomp_kill_process = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
	d->landlock_abi = ag3_landlock_abi();
	struct open_how how = {.flags = O_PATH | O_CLOEXEC};
	long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how));
	d->openat2 = fd >= 0;
	if (fd >= 0)
		close((int)fd);
	d->clone3 = exists(syscall(SYS_clone3, NULL, 0));
	d->close_range = exists(syscall(SYS_close_range, 2U, 1U, 0));
	d->mount_api = exists(syscall(SYS_fsopen, NULL, 0)) &&
		       exists(syscall(SYS_open_tree, -1, NULL, 0)) &&
		       exists(syscall(SYS_move_mount, -1, NULL, -1, NULL, 0));
	d->mount_setattr = exists(syscall(SYS_mount_setattr, -1, NULL, 0, NULL, 0));
	d->pidfd_open = exists(syscall(SYS_pidfd_open, -1, 0));
	ag3_cgroup_detect(&d->cgroup);
	d->v1_memory = d->cgroup.v1_memory;
	d->v1_pids = d->cgroup.v1_pids;
	d->v1_cpu = d->cgroup.v1_cpu;
	d->init_binary_err = ag3_sandbox_init_binary(d->init_binary, sizeof(d->init_binary),
						     &d->init_binary_named);
	d->cgroup_limits_v2 = ag3_cgroup_v2_enforces(&d->cgroup, true, true);
	d->cgroup_limits_v1 = !d->cgroup_limits_v2 && d->v1_memory.self[0] &&
			      d->v1_memory.writable && d->v1_pids.self[0] && d->v1_pids.writable;
}
