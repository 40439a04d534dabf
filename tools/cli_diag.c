/* SPDX-License-Identifier: MIT */
#include "cli_diag.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "runtime/util/cleanup.h"

/* Appends a formatted line to buf (cut at its end, never overrun). */
static _printf_(3, 4) void add_line(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	if (n + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* "64 MiB", "2 GiB", "1000 bytes". */
static void size_text(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
	size_t u = 0;
	while (u + 1 < ELEMENTSOF(units) && v && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)v, units[u]);
}

/* The calls a profile's rules kill with, when the default list does not: named. */
static bool seccomp_kills(const struct ag3_spec *spec, char *names, size_t len)
{
	const __typeof__(spec->security.seccomp) *s = &spec->security.seccomp;
	names[0] = 0;
	if (!s->enabled)
		return false;
	bool any = s->use_default_list && s->deny_action == AG3_SECCOMP_KILL;
	size_t n = 0;
	for (size_t i = 0; i < s->n_rules; i++) {
		if (s->rules[i].action != AG3_SECCOMP_KILL)
			continue;
		any = true;
		add_line(names, len, "%s%s", n++ ? ", " : "", s->rules[i].syscall);
	}
	/* the default list's calls are too many to name: README "Seccomp" has them */
	if (s->use_default_list && s->deny_action == AG3_SECCOMP_KILL)
		names[0] = 0;
	return any;
}

/* Tools that need the network, as a word of the command line (sh -c '...' too). */
static bool names_network_tool(char *const *argv)
{
	static const char *const tools[] = {
		"curl",  "wget",     "git",        "pip",     "pip3",   "npm",    "npx",
		"yarn",  "pnpm",     "apt",        "apt-get", "ssh",    "scp",    "sftp",
		"rsync", "nc",       "ncat",       "telnet",  "ping",   "dig",    "nslookup",
		"host",  "gem",      "bundle",     "cargo",   "go",     "uv",     "poetry",
		"conda", "composer", "aria2c",     "gh",      "docker", "podman", "http",
		"ftp",   "whois",    "traceroute", NULL};
	size_t budget = 65536; /* bytes of argv looked at */
	for (size_t a = 0; argv[a] && budget; a++) {
		const char *p = argv[a];
		while (*p && budget) {
			while (*p && strchr(" \t\n;|&()`$'\"<>{}=", *p))
				p++, budget--;
			const char *s = p;
			while (*p && !strchr(" \t\n;|&()`$'\"<>{}=", *p))
				p++;
			size_t n = (size_t)(p - s);
			budget = n < budget ? budget - n : 0;
			const char *base = memrchr(s, '/', n);
			if (base) {
				n -= (size_t)(base + 1 - s);
				s = base + 1;
			}
			for (size_t t = 0; n && tools[t]; t++)
				if (strlen(tools[t]) == n && !memcmp(tools[t], s, n))
					return true;
		}
	}
	return false;
}

void cli_exec_explain(const struct ag3_spec *spec, const struct ag3_result *res, char *const *argv,
		      bool tty, char *buf, size_t len)
{
	char limit[300] = "", names[256];
	if (len)
		buf[0] = 0;
	if (spec && spec->limits.memory_bytes) {
		size_text(spec->limits.memory_bytes, names, sizeof(names));
		snprintf(limit, sizeof(limit), " (%s, limits.memory)", names);
	}
	/* the cgroup's own count: the command, or processes of its tree */
	if (res->status == AG3_STATUS_OOM)
		add_line(buf, len,
			 PROG ": out of memory: the command was killed by the OOM killer at the "
			      "sandbox's memory limit%s\n",
			 limit);
	else if (res->oom_kills &&
		 (res->status == AG3_STATUS_EXITED || res->status == AG3_STATUS_SIGNALED))
		add_line(buf, len,
			 PROG ": out of memory: %llu process%s in the sandbox %s killed by the OOM "
			      "killer at the sandbox's memory limit%s\n",
			 (unsigned long long)res->oom_kills, res->oom_kills == 1 ? "" : "es",
			 res->oom_kills == 1 ? "was" : "were", limit);
	if (!spec)
		return;
	if (res->status == AG3_STATUS_SIGNALED && res->signal == SIGSYS &&
	    seccomp_kills(spec, names, sizeof(names))) {
		if (names[0])
			add_line(buf, len,
				 PROG ": seccomp: the command was killed by SIGSYS: the profile's "
				      "seccomp rules kill a process that calls %s "
				      "(sandbox.seccomp.rules)\n",
				 cli_esc(names));
		else
			add_line(buf, len,
				 PROG ": seccomp: the command was killed by SIGSYS: the profile's "
				      "seccomp policy kills a process that makes a call it denies "
				      "(sandbox.seccomp.action: kill; README \"Seccomp\" lists the "
				      "calls, the kernel's audit log names the one made)\n");
	}
	if (tty && spec->network.mode == AG3_NET_NONE && res->status == AG3_STATUS_EXITED &&
	    res->exit_code != 0 && names_network_tool(argv))
		add_line(buf, len,
			 PROG ": note: this sandbox has no network (network mode none): to reach "
			      "hosts, list them in the profile's sandbox.network.allowed_domains "
			      "with enabled: true\n");
}

void cli_host_ids(const struct ag3_spec *spec, struct cli_host_ids *ids)
{
	*ids = (struct cli_host_ids){.privileged = geteuid() == 0};
	if (ids->privileged) {
		ids->uid = spec->identity.uid_set ? spec->identity.uid : 65534;
		ids->gid = spec->identity.gid_set ? spec->identity.gid : 65534;
		ids->groups = spec->identity.groups;
		ids->n_groups = spec->identity.n_groups;
	} else {
		/* rootless: the caller's own ids (and groups) are the command's on the host */
		ids->uid = geteuid();
		ids->gid = getegid();
	}
}

int cli_host_can_write(const struct cli_host_ids *ids, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	/* a directory is written through: its entries made and removed */
	const int how = S_ISDIR(st.st_mode) ? W_OK | X_OK : W_OK;
	if (!ids->privileged)
		return faccessat(AT_FDCWD, path, how, AT_EACCESS) == 0 ? 1
		       : errno == EACCES || errno == EROFS             ? 0
								       : -errno;
	/* root: the kernel decides for the ids, in a child that takes them */
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (setgroups(ids->n_groups, ids->groups) < 0 ||
		    setresgid(ids->gid, ids->gid, ids->gid) < 0 ||
		    setresuid(ids->uid, ids->uid, ids->uid) < 0)
			_exit(3);
		if (faccessat(AT_FDCWD, path, how, AT_EACCESS) == 0)
			_exit(0);
		_exit(errno == EACCES || errno == EROFS ? 1 : 2);
	}
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) > 1)
		return -EIO;
	return WEXITSTATUS(ws) == 0;
}

void cli_host_access(const struct ag3_spec *spec, const char *host_path, struct cli_host_access *a)
{
	struct stat st;
	*a = (struct cli_host_access){.writable = -ENOENT};
	cli_host_ids(spec, &a->ids);
	if (!host_path || stat(host_path, &st) < 0)
		return;
	a->known = true;
	a->uid = st.st_uid;
	a->gid = st.st_gid;
	a->mode = st.st_mode;
	a->writable = cli_host_can_write(&a->ids, host_path);
}

void cli_exec_check_workspace(const struct ag3_spec *spec)
{
	if (!spec || !spec->process.cwd)
		return;
	const struct ag3_mount *m = NULL;
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (!strcmp(spec->mounts[i].target, spec->process.cwd))
			m = &spec->mounts[i]; /* the last one there is what the command sees */
	if (!m || m->op != AG3_MOUNT_BIND || m->ro || !m->source)
		return;
	/* Judged only where no symlink is on the way: the mount refuses such a source
	 * (setup reports it), and the owner, mode and `chown` line would be those of
	 * whatever a planted link points to (chown follows it). */
	_cleanup_free_ char *real = realpath(m->source, NULL);
	if (!real || strcmp(real, m->source))
		return;
	struct stat st;
	if (stat(m->source, &st) < 0 || !S_ISDIR(st.st_mode))
		return; /* a missing source is setup's to report */
	struct cli_host_ids ids;
	cli_host_ids(spec, &ids);
	if (cli_host_can_write(&ids, m->source) != 0)
		return;
	char fix[PATH_MAX + 128];
	if (ids.privileged)
		snprintf(fix, sizeof(fix), "chown %u:%u %s%s", (unsigned)ids.uid, (unsigned)ids.gid,
			 m->source, st.st_uid ? ", or run as its owner with --uid and --gid" : "");
	else
		snprintf(fix, sizeof(fix), "give uid %u write access to it", (unsigned)ids.uid);
	cli_error("warning: the workspace %s (owner %u:%u, mode %04o) is not writable by the "
		  "sandbox's %s uid %u, gid %u: writing in %s will fail with Permission denied; "
		  "%s",
		  m->source, (unsigned)st.st_uid, (unsigned)st.st_gid,
		  (unsigned)(st.st_mode & 07777), ids.privileged ? "session" : "(your own)",
		  (unsigned)ids.uid, (unsigned)ids.gid, m->target, fix);
}
