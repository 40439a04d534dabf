/* SPDX-License-Identifier: MIT */
/*
 * Checks: no privilege can be gained through exec: setuid bits are ignored
 * (every bind is nosuid and no_new_privs is set), and no nested user
 * namespace can be made by a setuid-free tool either.
 *
 *   suid-euid   the test makes a copy of this probe setuid-root on the host
 *               (root mode); run inside, its euid must be its uid.
 *   suid-host   execs a host setuid-root binary (su, passwd, mount ...) with
 *               LD_SHOW_AUXV=1 and `--version`: the dynamic loader then prints
 *               the auxiliary vector, including AT_EUID and AT_SECURE, unless
 *               the exec was a secure (setuid) one, in which case it drops
 *               LD_SHOW_AUXV. euid = uid and AT_SECURE 0 mean the bit was
 *               ignored. `--version` does nothing even with privileges.
 *   unshare-cmd runs util-linux `unshare -U true`: it must fail.
 *   mounts-nosuid every mount is nosuid (and nodev outside /dev), per mountinfo.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "probe.h"

/*
 * Every mount of the sandbox is nosuid, and every one but the device nodes
 * nodev: read from /proc/self/mountinfo (field 6, the per-mount options).
 * no_new_privs already makes setuid bits powerless; this checks the mount
 * layer itself, so that removing either layer fails a probe.
 */
static void p_mounts_nosuid(const char *name, int argc, char **argv)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		probe_error(name, "mountinfo: %s", ename(errno));
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		char mp[1024], opts[512];
		if (sscanf(line, "%*s %*s %*s %*s %1023s %511s", mp, opts) != 2)
			continue;
		n++;
		char o[520];
		snprintf(o, sizeof(o), ",%s,", opts);
		if (!strstr(o, ",nosuid,"))
			escaped(name, "%s is mounted without nosuid (%s)", mp, opts);
		bool dev = !strcmp(mp, "/dev") || !strncmp(mp, "/dev/", 5);
		bool proc_file = !strncmp(mp, "/proc/", 6); /* /dev/null masks: nodev off */
		if (!dev && !proc_file && !strstr(o, ",nodev,"))
			escaped(name, "%s is mounted without nodev (%s)", mp, opts);
	}
	fclose(f);
	if (n < 3)
		probe_error(name, "only %d mounts in mountinfo", n);
	blocked(name, "all %d mounts are nosuid (and nodev outside /dev)", n);
}

static void p_euid(const char *name, int argc, char **argv)
{
	struct stat st;
	if (stat("/proc/self/exe", &st) < 0)
		probe_error(name, "stat /proc/self/exe: %s", ename(errno));
	if (!(st.st_mode & S_ISUID))
		probe_error(name,
			    "the probe binary is not setuid (mode %o): the test did not prepare it",
			    (unsigned)st.st_mode & 07777);
	uid_t r, e, s;
	getresuid(&r, &e, &s);
	if (e != r || s != r)
		escaped(name, "setuid took effect: uid %u euid %u suid %u (file owner %u)", r, e, s,
			st.st_uid);
	blocked(name, "setuid bit (owner %u) ignored: uid = euid = %u", st.st_uid, e);
}

/* Runs argv with stdout+stderr into a buffer (bounded), returns the wait status. */
static int run_capture(const char *name, char *const av[], char *const env[], char *out, size_t cap)
{
	int p[2];
	if (pipe(p) < 0)
		probe_error(name, "pipe: %s", ename(errno));
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		probe_error(name, "fork: %s", ename(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execve(av[0], av, env);
		_exit(127);
	}
	close(p[1]);
	size_t len = 0;
	long long end = now_ms() + 10000;
	for (;;) {
		ssize_t n = read(p[0], out + len, cap - 1 - len);
		if (n <= 0 || now_ms() > end)
			break;
		len += (size_t)n;
		if (len >= cap - 1)
			break;
	}
	out[len] = 0;
	close(p[0]);
	int st;
	kill(pid, SIGKILL); /* no-op if it ended */
	waitpid(pid, &st, 0);
	return st;
}

static long auxv_value(const char *out, const char *key, int *found)
{
	const char *p = strstr(out, key);
	*found = p != NULL;
	return p ? strtol(p + strlen(key), NULL, 0) : -1;
}

static void p_host(const char *name, int argc, char **argv)
{
	static const char *const cands[] = {"/usr/bin/su",     "/usr/bin/passwd", "/usr/bin/mount",
					    "/usr/bin/newgrp", "/usr/bin/chsh",   "/usr/bin/chfn"};
	const char *bin = NULL;
	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]) && !bin; i++) {
		struct stat st;
		if (stat(cands[i], &st) == 0 && (st.st_mode & S_ISUID))
			bin = cands[i];
	}
	if (!bin)
		probe_error(name, "no setuid binary under /usr/bin inside the sandbox (su, passwd, "
				  "mount ...)");
	char *const av[] = {(char *)bin, (char *)"--version", NULL};
	char *const env[] = {(char *)"LD_SHOW_AUXV=1", (char *)"PATH=/usr/bin:/bin", NULL};
	static char out[65536];
	run_capture(name, av, env, out, sizeof(out));
	int fe, fs;
	long euid = auxv_value(out, "AT_EUID:", &fe);
	long secure = auxv_value(out, "AT_SECURE:", &fs);
	if (!fe || !fs)
		escaped(name, "%s ran as a secure (setuid) exec: the loader dropped LD_SHOW_AUXV",
			bin);
	if (secure != 0)
		escaped(name, "%s: AT_SECURE %ld", bin, secure);
	if (euid != (long)getuid())
		escaped(name, "%s: AT_EUID %ld, uid %u", bin, euid, getuid());
	blocked(name, "%s ran with AT_EUID %ld = uid, AT_SECURE 0", bin, euid);
}

static void p_unshare_cmd(const char *name, int argc, char **argv)
{
	char *const av[] = {(char *)"/usr/bin/unshare", (char *)"-U", (char *)"/bin/true", NULL};
	char *const env[] = {(char *)"PATH=/usr/bin:/bin", NULL};
	if (access(av[0], X_OK) < 0)
		probe_error(name, "no /usr/bin/unshare (util-linux) in the sandbox");
	static char out[4096];
	int st = run_capture(name, av, env, out, sizeof(out));
	out[strcspn(out, "\n")] = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		escaped(name, "unshare -U true succeeded");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		probe_error(name, "could not run unshare");
	blocked(name, "unshare -U failed: %s", out);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"suid-euid", p_euid},
		{"suid-host", p_host},
		{"mounts-nosuid", p_mounts_nosuid},
		{"unshare-cmd", p_unshare_cmd},
	};
	return RUN_VARIANTS(tab);
}
