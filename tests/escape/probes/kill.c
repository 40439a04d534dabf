/* SPDX-License-Identifier: MIT */
/*
 * Checks: the pid namespace. From inside, no process outside the sandbox can
 * be signalled or even seen, and the sandbox's init cannot be killed.
 *
 *   kill-scan  kill(-1, 0) must reach nothing (only init and the probe live in
 *              the sandbox, and kill(-1) skips both), and kill(pid, 0) over the
 *              whole pid range finds only the few pids /proc lists. Signal 0
 *              delivers nothing.
 *   kill-init  kill(1, SIGKILL): init must survive (the kernel drops it for a
 *              namespace's init); the probe prints after it.
 *   signal-init-scoped  kill(1, 0) must fail with EPERM: landlock's signal scope.
 *   kill-host  argv[2] is the host pid of a `sleep` the test started: kill(pid,
 *              0) and pidfd_open(pid) must answer ESRCH.
 * Without the pid namespace these reach host processes and print ESCAPED.
 */
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "probe.h"

static int proc_pids(void)
{
	DIR *d = opendir("/proc");
	int n = 0;
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			n++;
	closedir(d);
	return n;
}

static void p_scan(const char *name, int argc, char **argv)
{
	if (kill(-1, 0) == 0)
		escaped(name, "kill(-1, 0) reached another process (%d pids in /proc)",
			proc_pids());
	int e1 = errno;
	long pid_max = 32768;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	if (f) {
		if (fscanf(f, "%ld", &pid_max) != 1)
			pid_max = 32768;
		fclose(f);
	}
	if (pid_max > (1L << 22))
		pid_max = 1L << 22;
	long long end = now_ms() + 15000;
	int found = 0;
	long last = 0, pid;
	for (pid = 1; pid <= pid_max; pid++) {
		if (kill((pid_t)pid, 0) == 0 || errno == EPERM) {
			found++;
			last = pid;
		}
		if ((pid & 0xfff) == 0 && now_ms() > end)
			break;
	}
	int listed = proc_pids();
	if (found > 4 || found > listed)
		escaped(name, "%d pids answer signal 0 (highest %ld), /proc lists %d", found, last,
			listed);
	blocked(name, "kill(-1, 0): %s; %d pids in 1..%ld answer signal 0, /proc lists %d",
		ename(e1), found, pid - 1, listed);
}

static void p_init(const char *name, int argc, char **argv)
{
	int r = kill(1, SIGKILL);
	int e = errno;
	sleep_ms(300);
	char comm[64] = "";
	FILE *f = fopen("/proc/1/comm", "re");
	if (!f)
		escaped(name, "init is gone after kill(1, SIGKILL)");
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	if (strcmp(comm, "ag3ntum-init") != 0)
		escaped(name, "pid 1 is %s, not the sandbox's init", comm);
	if (getppid() != 1)
		escaped(name, "the probe's parent is no longer init (ppid %d)", getppid());
	blocked(name, "init (%s) survived kill(1, SIGKILL) (kill returned %s)", comm,
		r == 0 ? "0" : ename(e));
}

/*
 * Landlock's signal scope (ABI 6): init runs with the command's own ids, so
 * without it the command could signal init (and through it, every process of
 * the sandbox). Signal 0 delivers nothing. Only landlock stops this: removing
 * it makes the probe print ESCAPED.
 */
static void p_init_scoped(const char *name, int argc, char **argv)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U /* _VERSION */);
	if (abi < 6)
		skip(name, "landlock ABI %ld here: signal scoping needs ABI 6", abi < 0 ? 0 : abi);
	if (kill(1, 0) == 0)
		escaped(name, "kill(1, 0) reached init: the command can signal the sandbox's init");
	if (errno != EPERM)
		escaped(name, "kill(1, 0): %s (want landlock's EPERM)", ename(errno));
	blocked(name, "kill(1, 0): EPERM (landlock signal scope)");
}

static void p_host(const char *name, int argc, char **argv)
{
	if (argc < 3)
		probe_error(name, "usage: kill-host HOST_PID");
	pid_t pid = (pid_t)atoi(argv[2]);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (pid <= 1)
		probe_error(name, "bad pid %s", argv[2]);
	struct stat st;
	if (stat(path, &st) == 0)
		escaped(name, "the host's pid %d is visible in /proc", (int)pid);
	if (kill(pid, 0) == 0)
		escaped(name, "kill(%d, 0) reached the host process", (int)pid);
	int e = errno;
	if (e == EPERM)
		escaped(name, "kill(%d, 0): EPERM: the host process is visible", (int)pid);
	long fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd >= 0)
		escaped(name, "pidfd_open(%d) opened the host process", (int)pid);
	int e2 = errno;
	if (e != ESRCH || e2 != ESRCH)
		escaped(name, "kill: %s, pidfd_open: %s (want ESRCH)", ename(e), ename(e2));
	blocked(name, "host pid %d: kill: ESRCH, pidfd_open: ESRCH", (int)pid);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"kill-scan", p_scan},
		{"kill-init", p_init},
		{"signal-init-scoped", p_init_scoped},
		{"kill-host", p_host},
	};
	return RUN_VARIANTS(tab);
}
