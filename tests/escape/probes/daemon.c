/* SPDX-License-Identifier: MIT */
/*
 * Checks: README steps 5 and 6: nothing the command starts outlives the
 * sandbox. The probe double-forks a daemon that calls setsid(), ignores
 * SIGTERM, SIGHUP and SIGINT, clears its parent-death signal and runs
 * `sleep TAG` (TAG is unique per test, so the test can look for it on the
 * host with pgrep). The test then checks from the host that the daemon is
 * gone: after the command exits (daemon-exit), after the timeout fires
 * (daemon-wait with --timeout), and after `exec` itself is SIGKILLed.
 * Bounded: sleep TAG ends by itself, and the probe waits at most 60 s.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "probe.h"

static void start_daemon(const char *name, const char *tag)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		probe_error(name, "fork: %s", ename(errno));
	if (pid == 0) {
		setsid();
		pid_t g = fork();
		if (g == 0) {
			signal(SIGTERM, SIG_IGN);
			signal(SIGHUP, SIG_IGN);
			signal(SIGINT, SIG_IGN);
			prctl(PR_SET_PDEATHSIG, 0);
			int null = open("/dev/null", O_RDWR);
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			execl("/usr/bin/sleep", "sleep", tag, (char *)NULL);
			_exit(127);
		}
		_exit(g > 0 ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		probe_error(name, "could not start the daemon");
}

static void p_exit(const char *name, int argc, char **argv)
{
	if (argc < 3)
		probe_error(name, "usage: daemon-exit TAG");
	start_daemon(name, argv[2]);
	sleep_ms(300); /* let it exec */
	printf("STARTED %s: sleep %s\n", name, argv[2]);
	exit(0);
}

static void p_wait(const char *name, int argc, char **argv)
{
	if (argc < 3)
		probe_error(name, "usage: daemon-wait TAG");
	signal(SIGTERM, SIG_IGN); /* the probe too must be killed, not asked */
	start_daemon(name, argv[2]);
	printf("STARTED %s: sleep %s\n", name, argv[2]);
	fflush(stdout);
	long long end = now_ms() + 60000;
	while (now_ms() < end)
		sleep_ms(1000);
	probe_error(name, "not killed within 60 s");
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"daemon-exit", p_exit},
		{"daemon-wait", p_wait},
	};
	return RUN_VARIANTS(tab);
}
