/* SPDX-License-Identifier: MIT */
/*
 * The host and the plan (../shared/DESIGN.md, "Sessions: the process model").
 *
 * host: what this machine and process offer, probed once by whoever makes
 * sandboxes (a CLI run, a session's server) and passed down; nothing below
 * keeps a copy in process-wide state.
 *
 * plan: spec + host -> the namespaces, ids and landlock ABI a sandbox gets, the
 * refusals (minimum_isolation, uid 0, ...) and the downgrades the result record
 * lists. Pure: no syscall, no global, unit-tested (tests/unit/test-plan.c).
 * What can only be known by trying (the cgroup: a write may be refused) is
 * decided after it, in runtime/sandbox.c.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "runtime/result.h"
#include "runtime/spec.h"

struct ag3_host {
	bool privileged; /* CAP_SYS_ADMIN and the id capabilities in the initial userns */
	/* the same capabilities in this process's user namespace, whatever its euid
	 * (a process that joined a user namespace: spec namespaces.joined_user) */
	bool caps_in_userns;
	uid_t euid;
	gid_t egid;
	uid_t ruid; /* real ids: a setuid binary's caller is not root */
	gid_t rgid;
	int landlock_abi; /* 0: none */
	struct ag3_cgroup_info cgroup;
};

/* Probes this process and machine. */
void ag3_host_probe(struct ag3_host *h);

struct ag3_plan {
	bool privileged, userns, can_setgroups;
	bool root_command; /* spec->security.root_command, allowed here */
	uid_t uid;         /* the command's ids inside the sandbox */
	gid_t gid;
	int landlock_abi; /* > 0: applied with this ABI */
};

/*
 * The plan for `spec` on `host` (a validated spec). 0, or 1 with `res` a setup
 * failure that names the stage and why. Downgrades go into `res` either way.
 */
int ag3_plan_make(const struct ag3_spec *spec, const struct ag3_host *host, struct ag3_plan *plan,
		  struct ag3_result *res);
