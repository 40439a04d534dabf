/* SPDX-License-Identifier: MIT */
/* What this machine supports, for `ag3ntum-sandbox doctor` and minimum_isolation. */
#pragma once

#include <stdbool.h>

#include "runtime/cgroup.h"

struct ag3_doctor {
	char kernel[256];
	bool privileged; /* root mode available */
	bool userns;     /* a user namespace can be created by this process */
	int userns_errno;
	bool seccomp; /* seccomp filters can be installed */
	bool seccomp_kill_process;
	int landlock_abi; /* 0: none */
	bool openat2, clone3, close_range, mount_api, mount_setattr, pidfd_open;
	struct ag3_cgroup_info cgroup;
	/* cgroup v1 hierarchies (hybrid hosts): where root mode puts the limits when
	 * the v2 tree has no controllers. */
	struct ag3_cgroup_v1 v1_memory, v1_pids, v1_cpu;
	/* What a sandbox's limits are enforced by here: both memory and pids in one
	 * cgroup version, as ag3_cgroup_create would pick it. */
	bool cgroup_limits_v2, cgroup_limits_v1;
	/* The init binary fresh sandboxes exec (ag3_sandbox_init_binary): 0 or -errno. */
	int init_binary_err;
	bool init_binary_named; /* by $AG3NTUM_SANDBOX_INIT */
	char init_binary[4096];
};

/* Probes everything (creates and ends one short-lived child for the userns probe). */
void ag3_doctor_probe(struct ag3_doctor *d);
