/* SPDX-License-Identifier: MIT */
#include "cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/*
 * Whether `dir` can hold the sandbox's cgroup as a child: we can create one in it,
 * enable controllers for it (cgroup.subtree_control), and move a process from our
 * own cgroup (below `dir`) into it, which takes write access to the common
 * ancestor's cgroup.procs: `dir` itself. cgroup v2's no-internal-process rule lets
 * a cgroup other than the root give its children controllers only while it holds
 * no process: the caller's own cgroup never qualifies (the caller is in it), a
 * delegated parent such as a systemd user manager's app.slice does.
 */
static bool usable_parent(int dfd, const char *path, bool is_root, char *ctl, size_t ctl_len)
{
	ctl[0] = 0;
	if (access(path, W_OK) < 0 || faccessat(dfd, "cgroup.procs", W_OK, 0) < 0 ||
	    faccessat(dfd, "cgroup.subtree_control", W_OK, 0) < 0)
		return false;
	char procs[16];
	if (!is_root && (read_small(dfd, "cgroup.procs", procs, sizeof(procs)) < 0 || procs[0]))
		return false;
	return read_small(dfd, "cgroup.controllers", ctl, ctl_len) == 0;
}

void ag3_cgroup_pick_parent(struct ag3_cgroup_info *info)
{
	info->parent[0] = 0;
	info->memory = info->pids = info->cpu = info->writable = false;
	size_t base = strlen(info->mount);
	if (!base || strncmp(info->self, info->mount, base) != 0)
		return;
	char path[sizeof(info->self)];
	snprintf(path, sizeof(path), "%s", info->self);
	/* The caller's cgroup, then its ancestors up to the mount's root: the nearest
	 * one that qualifies (bounded by the path's depth). */
	for (int depth = 0; depth < 256; depth++) {
		_cleanup_close_ int dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		char ctl[512];
		/* The true root has no cgroup.events; a cgroup namespace's root is not it. */
		bool is_root = dfd >= 0 && faccessat(dfd, "cgroup.events", F_OK, 0) < 0;
		if (dfd >= 0 && usable_parent(dfd, path, is_root, ctl, sizeof(ctl))) {
			snprintf(info->parent, sizeof(info->parent), "%s", path);
			info->memory = has_word(ctl, "memory");
			info->pids = has_word(ctl, "pids");
			info->cpu = has_word(ctl, "cpu");
			info->writable = true;
			return;
		}
		char *slash = strrchr(path + base, '/');
		if (!slash)
			return;
		*slash = 0;
	}
}

bool ag3_cgroup_v2_enforces(const struct ag3_cgroup_info *info, bool memory, bool pids)
{
	return info->mount[0] && info->writable && (!memory || info->memory) &&
	       (!pids || info->pids);
}

static bool has_csv(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ',' || p[-1] == ':') &&
		    (p[n] == ',' || p[n] == ':' || p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* The v1 controllers detection looks for. */
enum { V1_MEMORY, V1_PIDS, V1_CPU, V1_N };
static const char *const v1_names[V1_N] = {"memory", "pids", "cpu"};

/*
 * One pass over `mountinfo`: the cgroup2 mount point (into v2, when not NULL)
 * and the mount point of the v1 hierarchy holding each controller named in
 * `names` (NULL entries are not looked for), the first of each.
 */
static void scan_mountinfo(const char *mountinfo, char *v2, size_t v2_len, const char *const *names,
			   char (*mnt)[PATH_MAX], size_t n)
{
	_cleanup_fclose_ FILE *f = fopen(mountinfo, "re");
	char line[8192];
	while (f && fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts... - fstype source superopts */
		char *dash = strstr(line, " - ");
		if (!dash)
			continue;
		bool is_v2 = strncmp(dash + 3, "cgroup2 ", 8) == 0;
		if (!is_v2 && strncmp(dash + 3, "cgroup ", 7) != 0)
			continue;
		char *p = line;
		for (int field = 0; field < 4 && p; field++)
			p = strchr(p + 1, ' ');
		char *end = p ? strchr(p + 1, ' ') : NULL;
		if (!end || end > dash)
			continue;
		size_t len = (size_t)(end - p - 1);
		if (is_v2) {
			if (v2 && !v2[0] && len < v2_len) {
				memcpy(v2, p + 1, len);
				v2[len] = 0;
			}
			continue;
		}
		char *super = strrchr(dash, ' ');
		for (size_t i = 0; super && i < n; i++)
			if (names[i] && !mnt[i][0] && len < PATH_MAX &&
			    has_csv(super + 1, names[i])) {
				memcpy(mnt[i], p + 1, len);
				mnt[i][len] = 0;
			}
	}
}

/* A cgroup path from /proc/PID/cgroup as the kernel shows it: absolute, no "..". */
static bool plain_cgroup_path(const char *rel)
{
	return rel[0] == '/' && !strstr(rel, "/..");
}

/* mnt + rel (rel "/" adds nothing) into out; false when it does not fit. */
static bool join(char *out, size_t len, const char *mnt, const char *rel)
{
	int n = snprintf(out, len, "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	if (n < 0 || (size_t)n >= len) {
		out[0] = 0;
		return false;
	}
	return true;
}

/*
 * One pass over `proc_cgroup` ("id:controllers:path" lines): the v2 path (the
 * last "0::" line, into v2rel when not NULL) and, for each v1 mount found, the
 * caller's cgroup in it (the first line naming the controller).
 */
static void scan_proc_cgroup(const char *proc_cgroup, char *v2rel, size_t v2rel_len,
			     const char *const *names, char (*mnt)[PATH_MAX],
			     struct ag3_cgroup_v1 **out, size_t n)
{
	_cleanup_fclose_ FILE *f = fopen(proc_cgroup, "re");
	char line[8192];
	bool done[V1_N] = {false};
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (strncmp(line, "0::", 3) == 0) {
			size_t len = strlen(line + 3);
			if (v2rel && len < v2rel_len) /* too long: none (no truncated path) */
				memcpy(v2rel, line + 3, len + 1);
			else if (v2rel)
				v2rel[0] = 0;
			continue;
		}
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
		if (!a || !b)
			continue;
		*b = 0;
		for (size_t i = 0; i < n; i++) {
			if (!names[i] || !mnt[i][0] || done[i] || !has_csv(a + 1, names[i]))
				continue;
			done[i] = true;
			if (plain_cgroup_path(b + 1) &&
			    join(out[i]->self, sizeof(out[i]->self), mnt[i], b + 1))
				out[i]->writable = access(out[i]->self, W_OK) == 0;
		}
	}
}

void ag3_cgroup_detect_from(const char *mountinfo, const char *proc_cgroup,
			    struct ag3_cgroup_info *info)
{
	memset(info, 0, sizeof(*info));
	char mnt[V1_N][PATH_MAX] = {{0}};
	struct ag3_cgroup_v1 *v1[V1_N] = {&info->v1_memory, &info->v1_pids, &info->v1_cpu};
	char rel[PATH_MAX] = "";
	scan_mountinfo(mountinfo, info->mount, sizeof(info->mount), v1_names, mnt, V1_N);
	scan_proc_cgroup(proc_cgroup, rel, sizeof(rel), v1_names, mnt, v1, V1_N);
	if (!info->mount[0] || !plain_cgroup_path(rel) ||
	    !join(info->self, sizeof(info->self), info->mount, rel))
		return;
	ag3_cgroup_pick_parent(info);
}

void ag3_cgroup_detect(struct ag3_cgroup_info *info)
{
	ag3_cgroup_detect_from("/proc/self/mountinfo", "/proc/self/cgroup", info);
}

void ag3_cgroup_v1_detect(const char *controller, struct ag3_cgroup_v1 *out)
{
	memset(out, 0, sizeof(*out));
	char mnt[1][PATH_MAX] = {""};
	const char *names[1] = {controller};
	struct ag3_cgroup_v1 *o[1] = {out};
	scan_mountinfo("/proc/self/mountinfo", NULL, 0, names, mnt, 1);
	if (mnt[0][0])
		scan_proc_cgroup("/proc/self/cgroup", NULL, 0, names, mnt, o, 1);
}

/*
 * Makes the sandbox's cgroup `name` in the cgroup `parent` (an fd open for
 * reading, at parent_path), first removing the leftovers of sandboxes whose
 * supervisor was killed before it could clean up (empty ag3ntum-PID-N
 * directories of a dead PID): one fd of the parent for both.
 */
static int make_cgroup(int parent, const char *parent_path, const char *name, int *fd, char *path,
		       size_t len)
{
	char buf[8192];
	int budget = 256;
	for (ssize_t n; budget > 0 && (n = getdents64(parent, buf, sizeof(buf))) > 0;)
		for (ssize_t off = 0; off < n && budget-- > 0;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);
			off += e->d_reclen;
			int pid;
			if (sscanf(e->d_name, "ag3ntum-%d-", &pid) != 1 || pid <= 0)
				continue;
			if (kill(pid, 0) == 0 || errno != ESRCH)
				continue;
			unlinkat(parent, e->d_name,
				 AT_REMOVEDIR); /* fails harmlessly unless empty */
		}
	if (snprintf(path, len, "%s/%s", parent_path, name) >= (int)len)
		return -ENAMETOOLONG;
	if (mkdirat(parent, name, 0755) < 0)
		return -errno;
	*fd = openat(parent, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0) {
		int e = errno;
		unlinkat(parent, name, AT_REMOVEDIR);
		return -e;
	}
	return 0;
}

/* make_cgroup in the v1 hierarchy cgroup `self`. */
static int make_v1(const char *self, const char *name, int *fd, char *path, size_t len)
{
	_cleanup_close_ int parent = open(self, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return -errno;
	return make_cgroup(parent, self, name, fd, path, len);
}

int ag3_cgroup_create(const struct ag3_spec *spec, const struct ag3_cgroup_info *info,
		      struct ag3_cgroup *cg, char *why, size_t why_len)
{
	cg->dirfd = cg->v1_mem_fd = cg->v1_pids_fd = cg->v1_cpu_fd = -1;
	cg->memory = cg->pids = cg->cpu = false;
	why[0] = 0;
	const bool want_mem = spec->limits.memory_bytes > 0, want_pids = spec->limits.pids > 0,
		   want_cpu = spec->limits.cpu_weight || spec->limits.cpu_quota_us;
	if (!want_mem && !want_pids && !want_cpu)
		return 0;
	/* Unique without a counter (threads, several sandboxes per process): the pid,
	 * for the stale sweep, and 64 random bits. */
	uint64_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rnd = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ (uintptr_t)cg;
	}
	char name[64];
	snprintf(name, sizeof(name), "ag3ntum-%d-%016llx", (int)getpid(), (unsigned long long)rnd);
	char v[64];
	int r = 0;

	bool v2 = ag3_cgroup_v2_enforces(info, want_mem, want_pids);
	_cleanup_close_ int parent = -1;
	if (v2) {
		parent = open(info->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0)
			return -errno;
		char sub[512] = "";
		read_small(parent, "cgroup.subtree_control", sub, sizeof(sub));
		const char *enable[] = {want_mem && !has_word(sub, "memory") ? "+memory" : NULL,
					want_pids && !has_word(sub, "pids") ? "+pids" : NULL,
					want_cpu && info->cpu && !has_word(sub, "cpu") ? "+cpu"
										       : NULL};
		for (size_t i = 0; i < ELEMENTSOF(enable); i++)
			if (enable[i] &&
			    write_small(parent, "cgroup.subtree_control", enable[i]) < 0) {
				v2 = false;
				snprintf(why, why_len, "cannot enable %s in %s", enable[i] + 1,
					 info->parent);
			}
	}
	if (v2) {
		if ((r = make_cgroup(parent, info->parent, name, &cg->dirfd, cg->path,
				     sizeof(cg->path))) < 0)
			return r;
		if (want_mem) {
			snprintf(v, sizeof(v), "%llu",
				 (unsigned long long)spec->limits.memory_bytes);
			if ((r = write_small(cg->dirfd, "memory.max", v)) < 0)
				goto fail;
			write_small(cg->dirfd, "memory.swap.max",
				    "0"); /* absent without swap accounting */
			cg->memory = true;
		}
		if (want_pids) {
			snprintf(v, sizeof(v), "%llu", (unsigned long long)spec->limits.pids);
			if ((r = write_small(cg->dirfd, "pids.max", v)) < 0)
				goto fail;
			cg->pids = true;
		}
		if (want_cpu && info->cpu) {
			if (spec->limits.cpu_weight) {
				snprintf(v, sizeof(v), "%u", spec->limits.cpu_weight);
				if ((r = write_small(cg->dirfd, "cpu.weight", v)) < 0)
					goto fail;
			}
			if (spec->limits.cpu_quota_us) {
				uint64_t period = spec->limits.cpu_period_us
							  ? spec->limits.cpu_period_us
							  : 100000;
				snprintf(v, sizeof(v), "%llu %llu",
					 (unsigned long long)spec->limits.cpu_quota_us,
					 (unsigned long long)period);
				if ((r = write_small(cg->dirfd, "cpu.max", v)) < 0)
					goto fail;
			}
			cg->cpu = true;
		} else if (want_cpu) {
			snprintf(why, why_len, "the cgroup v2 tree at %s has no cpu controller",
				 info->parent);
		}
		return 1;
	}

	/* No delegated v2 tree for this: hybrid hosts keep memory and pids in v1 (found
	 * by ag3_cgroup_detect's pass). */
	const struct ag3_cgroup_v1 *m1 = &info->v1_memory, *p1 = &info->v1_pids,
				   *c1 = &info->v1_cpu;
	if (want_mem && m1->self[0] && m1->writable) {
		if ((r = make_v1(m1->self, name, &cg->v1_mem_fd, cg->v1_mem_path,
				 sizeof(cg->v1_mem_path))) < 0)
			goto fail;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)spec->limits.memory_bytes);
		if ((r = write_small(cg->v1_mem_fd, "memory.limit_in_bytes", v)) < 0)
			goto fail;
		write_small(cg->v1_mem_fd, "memory.memsw.limit_in_bytes",
			    v); /* with swap accounting */
		cg->memory = true;
	}
	if (want_pids && p1->self[0] && p1->writable) {
		if ((r = make_v1(p1->self, name, &cg->v1_pids_fd, cg->v1_pids_path,
				 sizeof(cg->v1_pids_path))) < 0)
			goto fail;
		snprintf(v, sizeof(v), "%llu", (unsigned long long)spec->limits.pids);
		if ((r = write_small(cg->v1_pids_fd, "pids.max", v)) < 0)
			goto fail;
		cg->pids = true;
	}
	if (want_cpu && c1->self[0] && c1->writable) {
		if ((r = make_v1(c1->self, name, &cg->v1_cpu_fd, cg->v1_cpu_path,
				 sizeof(cg->v1_cpu_path))) < 0)
			goto fail;
		if (spec->limits.cpu_weight) { /* v2 weight 100 is v1's 1024 shares */
			snprintf(v, sizeof(v), "%llu",
				 (unsigned long long)spec->limits.cpu_weight * 1024 / 100 + 1);
			if ((r = write_small(cg->v1_cpu_fd, "cpu.shares", v)) < 0)
				goto fail;
		}
		if (spec->limits.cpu_quota_us) {
			uint64_t period =
				spec->limits.cpu_period_us ? spec->limits.cpu_period_us : 100000;
			snprintf(v, sizeof(v), "%llu", (unsigned long long)period);
			if ((r = write_small(cg->v1_cpu_fd, "cpu.cfs_period_us", v)) < 0)
				goto fail;
			snprintf(v, sizeof(v), "%llu",
				 (unsigned long long)spec->limits.cpu_quota_us);
			if ((r = write_small(cg->v1_cpu_fd, "cpu.cfs_quota_us", v)) < 0)
				goto fail;
		}
		cg->cpu = true;
	}
	return cg->memory || cg->pids || cg->cpu ? 1 : 0;
fail:
	ag3_cgroup_destroy(cg);
	return r;
}

void ag3_cgroup_why(const struct ag3_cgroup_info *info, const char *controller, const char *v2_why,
		    char *out, size_t len)
{
	if (v2_why && v2_why[0])
		snprintf(out, len, "%s", v2_why);
	else if (!info->mount[0] || !info->self[0])
		snprintf(out, len, "no cgroup v2 tree");
	else if (!info->writable)
		snprintf(out, len,
			 "no delegated cgroup v2 tree with the %s controller at %s "
			 "(neither it nor an ancestor is writable and free of processes)",
			 controller, info->self);
	else
		snprintf(out, len, "no %s controller in the delegated cgroup v2 tree at %s",
			 controller, info->parent);
	size_t l = strlen(out);
	if (l < len)
		snprintf(out + l, len - l, ", and no writable cgroup v1 %s hierarchy", controller);
}

int ag3_cgroup_attach(struct ag3_cgroup *cg, pid_t pid)
{
	char v[32];
	snprintf(v, sizeof(v), "%d", (int)pid);
	const int fds[] = {cg->dirfd, cg->v1_mem_fd, cg->v1_pids_fd, cg->v1_cpu_fd};
	for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
		if (fds[i] < 0)
			continue;
		int r = write_small(fds[i], "cgroup.procs", v);
		if (r < 0)
			return r;
	}
	return 0;
}

int ag3_cgroup_join_self(struct ag3_cgroup *cg)
{
	const int fds[] = {cg->dirfd, cg->v1_mem_fd, cg->v1_pids_fd, cg->v1_cpu_fd};
	for (size_t i = 0; i < ELEMENTSOF(fds); i++) {
		if (fds[i] < 0)
			continue;
		int r = write_small(fds[i], "cgroup.procs", "0");
		if (r < 0)
			return r;
	}
	return 0;
}

void ag3_cgroup_stats(struct ag3_cgroup *cg, uint64_t *oom_kills, uint64_t *peak)
{
	*oom_kills = 0;
	*peak = 0;
	char buf[1024];
	if (cg->dirfd >= 0) {
		if (read_small(cg->dirfd, "memory.events", buf, sizeof(buf)) == 0) {
			char *p = strstr(buf, "oom_kill ");
			if (p)
				*oom_kills = strtoull(p + 9, NULL, 10);
		}
		if (read_small(cg->dirfd, "memory.peak", buf, sizeof(buf)) == 0)
			*peak = strtoull(buf, NULL, 10);
	}
	if (cg->v1_mem_fd >= 0) {
		if (read_small(cg->v1_mem_fd, "memory.oom_control", buf, sizeof(buf)) == 0) {
			char *p = strstr(buf, "oom_kill ");
			if (p)
				*oom_kills = strtoull(p + 9, NULL, 10);
		}
		if (read_small(cg->v1_mem_fd, "memory.max_usage_in_bytes", buf, sizeof(buf)) == 0)
			*peak = strtoull(buf, NULL, 10);
	}
}

int ag3_cgroup_oom_fd(const struct ag3_cgroup *cg)
{
	if (cg->dirfd >= 0)
		return openat(cg->dirfd, "memory.events", O_RDONLY | O_CLOEXEC);
	if (cg->v1_mem_fd >= 0)
		return openat(cg->v1_mem_fd, "memory.oom_control", O_RDONLY | O_CLOEXEC);
	return -1;
}

uint64_t ag3_cgroup_oom_count(int fd)
{
	char buf[1024];
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *p = strstr(buf, "oom_kill ");
	return p ? strtoull(p + 9, NULL, 10) : 0;
}

static void remove_dir(int *fd, const char *path)
{
	if (*fd < 0)
		return;
	close(*fd);
	*fd = -1;
	/* Processes killed a moment ago may still be exiting: retry (bounded: 2 s). The
	 * first retries come fast, since usually one is enough, and every ms of this is
	 * on each command's path. */
	for (int i = 0; i < 400; i++) {
		if (rmdir(path) == 0 || errno == ENOENT)
			return;
		struct timespec ts = {0, (i < 20 ? 250 : 5000) * 1000L};
		nanosleep(&ts, NULL);
	}
}

void ag3_cgroup_destroy(struct ag3_cgroup *cg)
{
	if (cg->dirfd >= 0)
		write_small(cg->dirfd, "cgroup.kill", "1");
	remove_dir(&cg->dirfd, cg->path);
	remove_dir(&cg->v1_mem_fd, cg->v1_mem_path);
	remove_dir(&cg->v1_pids_fd, cg->v1_pids_path);
	remove_dir(&cg->v1_cpu_fd, cg->v1_cpu_path);
}

static const char *const rlimit_bounded[] = {
	"each process's address space (RLIMIT_AS at the memory limit: heap, stacks and every "
	"mapping, memfd and shared memory included while mapped)",
	"/tmp, /var/tmp and /dev/shm (tmpfs sizes: limits.tmp_size for each of /tmp and /var/tmp, "
	"64 MiB for /dev/shm)",
	"the size of each file and memfd (RLIMIT_FSIZE, limits.fsize)", NULL};
static const char *const rlimit_not_bounded[] = {
	"the sandbox as a whole (each of its processes may use up to the limit)",
	"memfds and SysV shared memory held without a mapping (by an open fd or a segment id)",
	"SysV message queues",
	"socket buffers (net.core.wmem_max and rmem_max cannot be lowered from the sandbox's "
	"user namespace)",
	"pipe buffers",
	"kernel memory (page tables, inodes, dentries)",
	NULL};
static const char *const cgroup_bounded[] = {
	"the sandbox as a whole: every process's memory, page cache, tmpfs (/tmp, /var/tmp, "
	"/dev/shm), "
	"memfd and shared memory, pipe buffers and kernel memory, swap 0",
	NULL};
static const char *const v2_not_bounded[] = {NULL};
static const char *const v1_not_bounded[] = {
	"socket buffers (cgroup v1 charges only TCP buffers, and only with memory.kmem.tcp set, "
	"which the sandbox does not set)",
	NULL};

void ag3_memory_bounds(enum ag3_memory_enforcer by, const char *const **bounded,
		       const char *const **not_bounded)
{
	*bounded = by == AG3_MEM_RLIMITS ? rlimit_bounded : cgroup_bounded;
	*not_bounded = by == AG3_MEM_RLIMITS     ? rlimit_not_bounded
		       : by == AG3_MEM_CGROUP_V1 ? v1_not_bounded
						 : v2_not_bounded;
}

void ag3_memory_bounds_text(enum ag3_memory_enforcer by, char *out, size_t len)
{
	const char *const *b, *const *nb;
	ag3_memory_bounds(by, &b, &nb);
	size_t l = 0;
	const char *const *lists[] = {b, nb};
	const char *heads[] = {"Bounded: ", " NOT bounded: "};
	out[0] = 0;
	for (size_t k = 0; k < 2 && lists[k][0]; k++)
		for (size_t i = 0; lists[k][i] && l < len; i++) {
			l += (size_t)snprintf(out + l, len - l, "%s%s%s", i ? "; " : heads[k],
					      lists[k][i], lists[k][i + 1] ? "" : ".");
		}
}
