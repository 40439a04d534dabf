/* SPDX-License-Identifier: MIT */
/*
 * Checks: the command's identity and privileges (README step 4): every
 * capability set empty (bounding set included), no_new_privs, seccomp in
 * filter mode, the sandbox's own hostname (uts namespace) and cgroup
 * namespace, no way back to uid 0 or to other groups, no lowering of the OOM
 * score. Each probe fails if its step is skipped: status-baseline reads the
 * kernel's own view in /proc/self/status; setresuid(0)/setgroups succeed with
 * CAP_SETUID/CAP_SETGID; oom_score_adj can be lowered with
 * CAP_SYS_RESOURCE; uname shows the host's name without a uts namespace.
 * A change that does succeed is undone at once (oom_score_adj is set back).
 */
#include <fcntl.h>
#include <grp.h>
#include <sys/utsname.h>

#include "probe.h"

static void p_status(const char *name, int argc, char **argv)
{
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		probe_error(name, "open /proc/self/status: %s", ename(errno));
	char line[256];
	int caps = 0, nnp = -1, sc = -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		char key[32];
		if (sscanf(line, "Cap%31[A-Za-z]:\t%llx", key, &v) == 2) {
			caps++;
			if (v)
				escaped(name, "Cap%s is %016llx, not empty", key, v);
		} else if (sscanf(line, "NoNewPrivs:\t%d", &nnp) == 1) {
		} else if (sscanf(line, "Seccomp:\t%d", &sc) == 1) {
		}
	}
	fclose(f);
	if (caps != 5)
		probe_error(name, "found %d Cap lines, want 5", caps);
	if (nnp != 1)
		escaped(name, "NoNewPrivs is %d", nnp);
	if (sc != 2)
		escaped(name, "Seccomp is %d, not 2 (filter)", sc);
	blocked(name, "CapInh/Prm/Eff/Bnd/Amb 0, NoNewPrivs 1, Seccomp 2");
}

static void p_hostname(const char *name, int argc, char **argv)
{
	struct utsname u;
	if (uname(&u) < 0)
		probe_error(name, "uname: %s", ename(errno));
	if (argc > 2 && strcmp(u.nodename, argv[2]) == 0)
		escaped(name, "the host's hostname %s is visible", u.nodename);
	if (strcmp(u.nodename, "ag3ntum") != 0)
		escaped(name, "hostname is %s, not ag3ntum", u.nodename);
	blocked(name, "uname -n: ag3ntum");
}

static void p_cgroup_ns(const char *name, int argc, char **argv)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		probe_error(name, "open /proc/self/cgroup: %s", ename(errno));
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *path = strrchr(line, ':');
		n++;
		/* In its own cgroup namespace a process sees its cgroup as the root. */
		if (!path || strcmp(path, ":/") != 0)
			escaped(name, "a host cgroup path is visible: %s", line);
	}
	fclose(f);
	if (!n)
		probe_error(name, "/proc/self/cgroup is empty");
	blocked(name, "every cgroup is / (own cgroup namespace)");
}

static void p_setuid_root(const char *name, int argc, char **argv)
{
	if (setresuid(0, 0, 0) == 0)
		escaped(name, "setresuid(0, 0, 0) succeeded");
	int e = errno;
	if (setresgid(0, 0, 0) == 0)
		escaped(name, "setresgid(0, 0, 0) succeeded");
	blocked(name, "setresuid: %s, setresgid: %s", ename(e), ename(errno));
}

static void p_setgroups(const char *name, int argc, char **argv)
{
	gid_t g = getgid();
	/* The probe's own gid only: harmless even if let through. */
	if (setgroups(1, &g) == 0)
		escaped(name, "setgroups succeeded");
	blocked(name, "setgroups: %s", ename(errno));
}

static void p_oom(const char *name, int argc, char **argv)
{
	char buf[32] = "";
	int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		probe_error(name, "read /proc/self/oom_score_adj: %s", ename(errno));
	close(fd);
	int cur = atoi(buf);
	if (cur <= -1000)
		escaped(name, "oom_score_adj is already %d", cur);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		blocked(name, "open for writing: %s", ename(errno));
	char lower[32];
	int len = snprintf(lower, sizeof(lower), "%d", cur - 1);
	if (write(fd, lower, (size_t)len) == len) {
		len = snprintf(lower, sizeof(lower), "%d",
			       cur); /* raising back needs no privilege */
		if (write(fd, lower, (size_t)len) < 0)
			fprintf(stderr, "could not restore oom_score_adj %d\n", cur);
		close(fd);
		escaped(name, "lowered oom_score_adj from %d to %d", cur, cur - 1);
	}
	blocked(name, "writing %d (< %d): %s", cur - 1, cur, ename(errno));
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"status-baseline", p_status}, {"hostname", p_hostname},
		{"cgroup-ns", p_cgroup_ns},    {"setuid-root", p_setuid_root},
		{"setgroups", p_setgroups},    {"oom-score-adj", p_oom},
	};
	return RUN_VARIANTS(tab);
}
