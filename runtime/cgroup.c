/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void find_mount(char *out, size_t len)
{
	out[0] = 0;
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return;
	char line[8192];
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts... - fstype source superopts */
		char *dash = strstr(line, " - ");
		if (!dash || strncmp(dash + 3, "cgroup2 ", 8) != 0)
			continue;
		char *p = line;
		for (int field = 0; field < 4 && p; field++)
			p = strchr(p + 1, ' ');
		if (!p)
			continue;
		char *end = strchr(p + 1, ' ');
		if (!end)
			continue;
		size_t n = (size_t)(end - p - 1);
		if (n >= len)
			continue;
		memcpy(out, p + 1, n);
		out[n] = 0;
		return;
	}
}

static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static int read_small(int dirfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	buf[n] = 0;
	return 0;
}

static int write_small(int dirfd, const char *name, const char *value)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, value, strlen(value));
	int e = errno;
	close(fd);
	return n < 0 ? -e : 0;
}

void ag3_cgroup_detect(struct ag3_cgroup_info *info)
{
	memset(info, 0, sizeof(*info));
	find_mount(info->mount, sizeof(info->mount));
	if (!info->mount[0])
		return;
	char rel[4200] = "";
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4200];
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(rel, sizeof(rel), "%s", line + 3);
		}
	if (!rel[0])
		return;
	snprintf(info->self, sizeof(info->self), "%s%s", info->mount, strcmp(rel, "/") ? rel : "");
	_cleanup_close_ int dfd = open(info->self, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	char ctl[512] = "", sub[512] = "";
	read_small(dfd, "cgroup.controllers", ctl, sizeof(ctl));
	read_small(dfd, "cgroup.subtree_control", sub, sizeof(sub));
	bool root = strcmp(rel, "/") == 0;
	/* A child gets a controller when ours enables it for our subtree, or when we are
	 * the root (which may enable it: the root has no internal-process rule). */
	info->memory = has_word(sub, "memory") || (root && has_word(ctl, "memory"));
	info->pids = has_word(sub, "pids") || (root && has_word(ctl, "pids"));
	info->cpu = has_word(sub, "cpu") || (root && has_word(ctl, "cpu"));
	info->writable = access(info->self, W_OK) == 0;
}

/* Removes leftovers of sandboxes whose supervisor was killed before it could clean up. */
static void sweep_stale(const char *dir)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	DIR *d = fdopendir(dfd);
	if (!d)
		return;
	dfd = -1;
	struct dirent *e;
	int budget = 256;
	while ((e = readdir(d)) && budget-- > 0) {
		int pid;
		if (sscanf(e->d_name, "ag3ntum-%d-", &pid) != 1 || pid <= 0)
			continue;
		if (kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR); /* fails harmlessly unless empty */
	}
	closedir(d);
}

int ag3_cgroup_create(const struct ag3_spec *spec, const struct ag3_cgroup_info *info,
		      struct ag3_cgroup *cg, char *why, size_t why_len)
{
	cg->dirfd = -1;
	const bool want_mem = spec->limits.memory_bytes > 0, want_pids = spec->limits.pids > 0,
		   want_cpu = spec->limits.cpu_weight || spec->limits.cpu_quota_us;
	if (!want_mem && !want_pids && !want_cpu)
		return 0;
	if (!info->mount[0]) {
		snprintf(why, why_len, "no cgroup v2 mount");
		return 0;
	}
	if (!info->writable || (want_mem && !info->memory) || (want_pids && !info->pids)) {
		snprintf(why, why_len,
			 "no delegated cgroup v2 tree with the %s controller%s at %s",
			 want_mem && !info->memory ? "memory" : want_pids && !info->pids ? "pids" : "needed",
			 info->writable ? "" : " (not writable)", info->self);
		return 0;
	}
	sweep_stale(info->self);
	_cleanup_close_ int parent = open(info->self, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return -errno;
	char sub[512] = "";
	read_small(parent, "cgroup.subtree_control", sub, sizeof(sub));
	const char *enable[] = {want_mem && !has_word(sub, "memory") ? "+memory" : NULL,
				want_pids && !has_word(sub, "pids") ? "+pids" : NULL,
				want_cpu && info->cpu && !has_word(sub, "cpu") ? "+cpu" : NULL};
	for (size_t i = 0; i < ELEMENTSOF(enable); i++)
		if (enable[i] && write_small(parent, "cgroup.subtree_control", enable[i]) < 0) {
			snprintf(why, why_len, "cannot enable %s in %s", enable[i] + 1, info->self);
			return 0;
		}
	static unsigned seq;
	char name[64];
	snprintf(name, sizeof(name), "ag3ntum-%d-%u", (int)getpid(), seq++);
	if (mkdirat(parent, name, 0755) < 0)
		return -errno;
	snprintf(cg->path, sizeof(cg->path), "%s/%s", info->self, name);
	cg->dirfd = openat(parent, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cg->dirfd < 0) {
		int e = errno;
		unlinkat(parent, name, AT_REMOVEDIR);
		return -e;
	}
	char v[64];
	int r = 0;
	if (want_mem) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)spec->limits.memory_bytes);
		if ((r = write_small(cg->dirfd, "memory.max", v)) < 0)
			goto fail;
		write_small(cg->dirfd, "memory.swap.max", "0"); /* absent without swap accounting */
	}
	if (want_pids) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)spec->limits.pids);
		if ((r = write_small(cg->dirfd, "pids.max", v)) < 0)
			goto fail;
	}
	if (want_cpu && info->cpu) {
		if (spec->limits.cpu_weight) {
			snprintf(v, sizeof(v), "%u", spec->limits.cpu_weight);
			if ((r = write_small(cg->dirfd, "cpu.weight", v)) < 0)
				goto fail;
		}
		if (spec->limits.cpu_quota_us) {
			snprintf(v, sizeof(v), "%llu %llu", (unsigned long long)spec->limits.cpu_quota_us,
				 (unsigned long long)(spec->limits.cpu_period_us ? spec->limits.cpu_period_us
										   : 100000));
			if ((r = write_small(cg->dirfd, "cpu.max", v)) < 0)
				goto fail;
		}
	}
	return 1;
fail:
	ag3_cgroup_destroy(cg);
	return r;
}

int ag3_cgroup_attach(struct ag3_cgroup *cg, pid_t pid)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	return write_small(cg->dirfd, "cgroup.procs", v);
}

void ag3_cgroup_stats(struct ag3_cgroup *cg, uint64_t *oom_kills, uint64_t *peak)
{
	*oom_kills = 0;
	*peak = 0;
	if (cg->dirfd < 0)
		return;
	char buf[1024];
	if (read_small(cg->dirfd, "memory.events", buf, sizeof(buf)) == 0) {
		char *p = strstr(buf, "oom_kill ");
		if (p)
			*oom_kills = strtoull(p + 9, NULL, 10);
	}
	if (read_small(cg->dirfd, "memory.peak", buf, sizeof(buf)) == 0)
		*peak = strtoull(buf, NULL, 10);
}

void ag3_cgroup_destroy(struct ag3_cgroup *cg)
{
	if (cg->dirfd < 0)
		return;
	write_small(cg->dirfd, "cgroup.kill", "1");
	close(cg->dirfd);
	cg->dirfd = -1;
	/* Processes killed a moment ago may still be exiting: retry briefly (bounded). */
	for (int i = 0; i < 100; i++) {
		if (rmdir(cg->path) == 0 || errno == ENOENT)
			return;
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}
