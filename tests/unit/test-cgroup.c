/* SPDX-License-Identifier: MIT */
/*
 * Where the sandbox's cgroup v2 is made: the nearest of the caller's cgroup and
 * its ancestors that is writable and free of processes (the no-internal-process
 * rule), on a fake tree of the files the kernel shows (root's W_OK checks pass,
 * so this covers the rule on processes and the walk; the delegation itself, the
 * ownership, is test-limits.sh's delegated_v2_subtree).
 */
#include <criterion/criterion.h>
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
