/* SPDX-License-Identifier: MIT */
/*
 * cgroup v2 limits for one sandbox: memory.max (swap off), pids.max,
 * cpu.weight and cpu.max in a per-sandbox cgroup, made under the nearest of
 * the caller's cgroup and its ancestors that is delegated to us (writable,
 * cgroup.procs and cgroup.subtree_control included) and holds no process (the
 * no-internal-process rule; a systemd user manager's app.slice above the
 * caller's scope is one). The v2 mount is found in mountinfo (it is not always
 * /sys/fs/cgroup: hybrid hosts mount it at /sys/fs/cgroup/unified).
 */
#pragma once

#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/spec.h"

/* The caller's cgroup in a cgroup v1 hierarchy (hybrid hosts). A path that does
 * not fit PATH_MAX could not be opened: it shows as none. */
struct ag3_cgroup_v1 {
	char self[PATH_MAX]; /* "" when there is none */
	bool writable;
};

struct ag3_cgroup_info {
	char mount[4096]; /* where cgroup2 is mounted; "" when not */
	char self[8400];  /* the caller's cgroup directory (mount + /proc/self/cgroup path) */
	char parent
		[8400]; /* where the sandbox's cgroup is made: self or an ancestor; "" when none */
	bool memory, pids, cpu; /* controllers `parent` can give its children */
	bool writable; /* a parent was found: we can create child cgroups there and move into them */
	/* The v1 hierarchies holding memory, pids and cpu, found by the same pass:
	 * where ag3_cgroup_create puts the limits when the v2 tree does not take them. */
	struct ag3_cgroup_v1 v1_memory, v1_pids, v1_cpu;
};

/*
 * Fills `info` from one read of /proc/self/mountinfo and one of
 * /proc/self/cgroup. Never fails: what is missing shows as false/empty.
 */
void ag3_cgroup_detect(struct ag3_cgroup_info *info);
/* The same from the given files (a mountinfo and a /proc/PID/cgroup; the tests'
 * fakes); the paths they name are probed as they are. */
void ag3_cgroup_detect_from(const char *mountinfo, const char *proc_cgroup,
			    struct ag3_cgroup_info *info);
/* The part of ag3_cgroup_detect that picks info->parent (and the controllers,
 * writable) from info->mount and info->self, walking up from self. */
void ag3_cgroup_pick_parent(struct ag3_cgroup_info *info);
/* Whether the v2 tree takes the limits asked for (memory, pids): a delegated,
 * writable cgroup with those controllers. */
bool ag3_cgroup_v2_enforces(const struct ag3_cgroup_info *info, bool memory, bool pids);

struct ag3_cgroup {
	int dirfd; /* the sandbox's cgroup v2, or -1 */
	char path[8600];
	/* cgroup v1 (hybrid hosts whose controllers are bound to v1): the sandbox's
	 * cgroups in the memory and pids hierarchies, or -1. */
	int v1_mem_fd, v1_pids_fd, v1_cpu_fd;
	char v1_mem_path[8600], v1_pids_path[8600], v1_cpu_path[8600];
	bool memory, pids, cpu; /* which limits a cgroup enforces */
};

/* A cgroup v1 hierarchy holding `controller`, and the caller's cgroup in it. */
void ag3_cgroup_v1_detect(const char *controller, struct ag3_cgroup_v1 *out);

/*
 * Creates the sandbox's cgroup(s) and writes the limits: cgroup v2 when a
 * delegated tree offers the controllers, else (hybrid hosts, root mode) the
 * v1 memory, pids and cpu hierarchies `info` names (no detection of its own:
 * the parents are swept of dead sandboxes' cgroups on the fd the new cgroup is
 * made through). Sets cg->memory/pids/cpu for what is
 * enforced; `why` says what is missing for the rest. Returns 1 when a
 * cgroup was made, 0 when none was, -errno on a real failure.
 */
int ag3_cgroup_create(const struct ag3_spec *spec, const struct ag3_cgroup_info *info,
		      struct ag3_cgroup *cg, char *why, size_t why_len);
/* Why `controller` ("memory", "pids") is enforced by no cgroup here, for the result
 * record: `v2_why` is what ag3_cgroup_create said about the v2 tree ("" when it
 * had nothing to add). */
void ag3_cgroup_why(const struct ag3_cgroup_info *info, const char *controller, const char *v2_why,
		    char *out, size_t len);
int ag3_cgroup_attach(struct ag3_cgroup *cg, pid_t pid);
/* Moves the calling process itself (a sandbox's first process, before its cgroup
 * namespace) into every hierarchy of cg. 0 or -errno. */
int ag3_cgroup_join_self(struct ag3_cgroup *cg);
/* The oom_kill count so far, and memory.peak (0 when unknown). */
void ag3_cgroup_stats(struct ag3_cgroup *cg, uint64_t *oom_kills, uint64_t *peak);
/* A read-only fd of the file holding the memory limit's oom_kill count (v2
 * memory.events, v1 memory.oom_control), or -1; and the count read from it. */
int ag3_cgroup_oom_fd(const struct ag3_cgroup *cg);
uint64_t ag3_cgroup_oom_count(int fd);
/* Kills everything left in it and removes it (bounded wait). */
void ag3_cgroup_destroy(struct ag3_cgroup *cg);

/* What bounds a sandbox's memory, by what enforces its memory limit. */
enum ag3_memory_enforcer { AG3_MEM_RLIMITS, AG3_MEM_CGROUP_V1, AG3_MEM_CGROUP_V2 };
/* NULL-terminated lists: what is bounded, and what is NOT, for the result record's
 * `degraded` and for doctor (the same words in both). */
void ag3_memory_bounds(enum ag3_memory_enforcer by, const char *const **bounded,
		       const char *const **not_bounded);
/* "Bounded: a; b. NOT bounded: c; d." into out. */
void ag3_memory_bounds_text(enum ag3_memory_enforcer by, char *out, size_t len);
