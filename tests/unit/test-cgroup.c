/* SPDX-License-Identifier: MIT */
/*
 * Where the sandbox's cgroup v2 is made: the nearest of the caller's cgroup and
 * its ancestors that is writable and free of processes (the no-internal-process
 * rule), on a fake tree of the files the kernel shows (root's W_OK checks pass,
 * so this covers the rule on processes and the walk; the delegation itself, the
 * ownership, is test-limits.sh's delegated_v2_subtree).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/cgroup.h"

static char root[64];

static void put(const char *rel, const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s%s/%s", root, rel, name);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f, "%s", p);
	fputs(text, f);
	fclose(f);
}

/* A cgroup directory: `procs` its cgroup.procs, `ctl` its cgroup.controllers. */
static void cgroup(const char *rel, const char *procs, const char *ctl)
{
	char p[512];
	snprintf(p, sizeof(p), "%s%s", root, rel);
	cr_assert(mkdir(p, 0755) == 0 || !*rel, "%s", p);
	put(rel, "cgroup.procs", procs);
	put(rel, "cgroup.controllers", ctl);
	put(rel, "cgroup.subtree_control", "");
	if (*rel) /* every cgroup but the true root has cgroup.events */
		put(rel, "cgroup.events", "populated 1\n");
}

static void mkdir_at(const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s%s", root, rel);
	cr_assert(mkdir(p, 0755) == 0, "%s: %m", p);
}

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/ag3-cgtest.XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	/* root / user@1001.service / app.slice / term.scope (the caller, a leaf) */
	cgroup("", "1\n", "cpu memory pids\n");
	cgroup("/user", "", "cpu memory pids\n");
	cgroup("/user/app", "", "memory pids\n");
	cgroup("/user/app/term", "4242\n", "");
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	cr_assert_eq(system(cmd), 0);
}

static void pick(const char *self, struct ag3_cgroup_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->mount, sizeof(info->mount), "%s", root);
	snprintf(info->self, sizeof(info->self), "%s%s", root, self);
	ag3_cgroup_pick_parent(info);
}

TestSuite(cgroup, .init = setup, .fini = teardown);

Test(cgroup, a_leaf_with_the_caller_gives_way_to_its_parent)
{
	struct ag3_cgroup_info info;
	pick("/user/app/term", &info);
	char want[128];
	snprintf(want, sizeof(want), "%s/user/app", root);
	cr_assert_str_eq(info.parent, want);
	cr_assert(info.writable && info.memory && info.pids && !info.cpu);
}

Test(cgroup, a_parent_with_processes_is_skipped)
{
	put("/user/app", "cgroup.procs", "77\n");
	struct ag3_cgroup_info info;
	pick("/user/app/term", &info);
	char want[128];
	snprintf(want, sizeof(want), "%s/user", root);
	cr_assert_str_eq(info.parent, want);
	cr_assert(info.memory && info.pids && info.cpu);
}

Test(cgroup, the_true_root_may_hold_processes)
{
	put("/user", "cgroup.procs", "1\n");
	put("/user/app", "cgroup.procs", "77\n");
	struct ag3_cgroup_info info;
	pick("/user/app/term", &info);
	cr_assert_str_eq(info.parent, root);
}

Test(cgroup, a_namespace_root_with_processes_is_not_the_true_root)
{
	/* the walk stops at the mount: here a cgroup namespace's root (it has cgroup.events) */
	put("", "cgroup.events", "populated 1\n");
	put("/user", "cgroup.procs", "1\n");
	put("/user/app", "cgroup.procs", "77\n");
	struct ag3_cgroup_info info;
	pick("/user/app/term", &info);
	cr_assert_str_eq(info.parent, "");
	cr_assert(!info.writable && !info.memory && !info.pids);
}

Test(cgroup, a_self_outside_the_mount_is_refused)
{
	struct ag3_cgroup_info info;
	memset(&info, 0, sizeof(info));
	snprintf(info.mount, sizeof(info.mount), "%s/user", root);
	snprintf(info.self, sizeof(info.self), "/elsewhere/app");
	ag3_cgroup_pick_parent(&info);
	cr_assert_str_eq(info.parent, "");
}

/* A fake /proc/self/mountinfo and /proc/self/cgroup of a hybrid host under root. */
static void hybrid_files(const char *mem_rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/mountinfo", root);
	FILE *f = fopen(p, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"30 22 0:27 / %s rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"31 30 0:28 / %s/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
		"34 30 0:31 / %s/memory rw,relatime - cgroup cgroup rw,memory\n"
		"35 30 0:32 / %s/pids rw,relatime shared:9 - cgroup cgroup rw,pids\n"
		"36 30 0:33 / %s/memsw rw,relatime - cgroup cgroup rw,memory\n"
		"39 30 0:36 / %s/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
		"40 30 0:37 / %s/unified rw,relatime - cgroup2 cgroup2 rw\n",
		root, root, root, root, root, root, root);
	fclose(f);
	snprintf(p, sizeof(p), "%s/cgroup", root);
	f = fopen(p, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"9:name=systemd:/\n8:pids:/\n4:memory:%s\n2:cpu,cpuacct:/\n"
		"0::/user/app/term\n",
		mem_rel);
	fclose(f);
	const char *dirs[] = {"/memory", "/pids", "/cpu,cpuacct", "/unified"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", root, dirs[i]);
		cr_assert(mkdir(p, 0755) == 0 || errno == EEXIST, "%s: %m", p);
	}
}

static void detect_fake(struct ag3_cgroup_info *info)
{
	char mi[256], pc[256];
	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	snprintf(pc, sizeof(pc), "%s/cgroup", root);
	ag3_cgroup_detect_from(mi, pc, info);
}

/* One pass finds the v2 mount and the caller's cgroup in each v1 hierarchy. */
Test(cgroup, detection_finds_v2_and_each_v1_hierarchy)
{
	hybrid_files("/api/job");
	mkdir_at("/memory/api");
	mkdir_at("/memory/api/job");
	struct ag3_cgroup_info info;
	detect_fake(&info);
	char want[256];
	snprintf(want, sizeof(want), "%s/unified", root);
	cr_assert_str_eq(info.mount, want);
	snprintf(want, sizeof(want), "%s/unified/user/app/term", root);
	cr_assert_str_eq(info.self, want);
	snprintf(want, sizeof(want), "%s/memory/api/job", root);
	cr_assert_str_eq(info.v1_memory.self, want); /* the first hierarchy with memory */
	cr_assert(info.v1_memory.writable);
	snprintf(want, sizeof(want), "%s/pids", root);
	cr_assert_str_eq(info.v1_pids.self, want);
	cr_assert(info.v1_pids.writable);
	snprintf(want, sizeof(want), "%s/cpu,cpuacct", root);
	cr_assert_str_eq(info.v1_cpu.self, want);
	cr_assert(info.v1_cpu.writable);
	/* a missing directory is not writable */
	hybrid_files("/gone");
	detect_fake(&info);
	snprintf(want, sizeof(want), "%s/memory/gone", root);
	cr_assert_str_eq(info.v1_memory.self, want);
	cr_assert(!info.v1_memory.writable);
}

/* A v1 path with "..", or one that does not fit PATH_MAX, is none (fail closed). */
Test(cgroup, detection_refuses_dotdot_and_overlong_v1_paths)
{
	hybrid_files("/../../etc");
	struct ag3_cgroup_info info;
	detect_fake(&info);
	cr_assert_str_eq(info.v1_memory.self, "");
	cr_assert(!info.v1_memory.writable);
	cr_assert_neq(info.v1_pids.self[0], 0); /* the others are still found */

	char *long_rel = malloc(PATH_MAX + 16);
	cr_assert_not_null(long_rel);
	memset(long_rel, 'a', PATH_MAX + 15);
	long_rel[0] = '/';
	long_rel[PATH_MAX + 15] = 0;
	hybrid_files(long_rel);
	free(long_rel);
	detect_fake(&info);
	cr_assert_str_eq(info.v1_memory.self, "");
}

/*
 * ag3_cgroup_create works in the v1 hierarchy detection found (no detection of
 * its own), sweeps a dead sandbox's leftover there first, and when a limit
 * cannot be written (a plain directory has no memory.limit_in_bytes) fails
 * and leaves nothing behind.
 */
Test(cgroup, create_uses_the_detected_v1_hierarchy)
{
	hybrid_files("/");
	struct ag3_cgroup_info info;
	detect_fake(&info);
	cr_assert(!ag3_cgroup_v2_enforces(&info, true, false)); /* the fake v2 has no controllers */
	mkdir_at("/memory/ag3ntum-2147480000-3");               /* no such pid: a dead sandbox's */
	mkdir_at("/memory/ag3ntum-1-0");                        /* pid 1 lives: kept */
	struct ag3_spec *spec = ag3_spec_new();
	cr_assert_not_null(spec);
	spec->limits.memory_bytes = 64 << 20;
	struct ag3_cgroup cg;
	char why[512];
	int r = ag3_cgroup_create(spec, &info, &cg, why, sizeof(why));
	if (r == 1)
		ag3_cgroup_destroy(&cg); /* made elsewhere (a host hierarchy): undo, then fail */
	cr_assert_eq(r, -ENOENT, "r=%d: not made in the detected (fake) hierarchy", r);
	cr_assert_eq(cg.v1_mem_fd, -1);
	ag3_spec_free(spec);
	char p[256];
	snprintf(p, sizeof(p), "%s/memory/ag3ntum-2147480000-3", root);
	cr_assert_eq(access(p, F_OK), -1, "the dead sandbox's cgroup was not swept");
	snprintf(p, sizeof(p), "%s/memory/ag3ntum-1-0", root);
	cr_assert_eq(access(p, F_OK), 0, "a live pid's cgroup was swept");
	snprintf(p, sizeof(p), "%s/memory/ag3ntum-%d-0", root, (int)getpid());
	cr_assert_eq(access(p, F_OK), -1, "the failed cgroup was left behind");
}
