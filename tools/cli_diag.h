/* SPDX-License-Identifier: MIT */
/*
 * The explanations exec and explain add (README "Exit status of exec"): what the
 * result record alone does not say in words.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "runtime/result.h"
#include "runtime/spec.h"

/*
 * After the run: the lines (each ending in a newline, "" for none) for an OOM kill,
 * a SIGSYS where the profile's seccomp policy kills, and, when `tty` (stderr is a
 * terminal), a hint that the sandbox has no network after a common network tool
 * failed. `spec` is NULL for a command run in a session: then only the OOM line.
 */
void cli_exec_explain(const struct ag3_spec *spec, const struct ag3_result *res, char *const *argv,
		      bool tty, char *buf, size_t len);

/* Who a sandbox's command is on the host, for access to a bind's host path. */
struct cli_host_ids {
	bool privileged; /* root mode: the spec's ids (65534 by default)            */
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* root mode: the spec's supplementary groups         */
	size_t n_groups;
};
void cli_host_ids(const struct ag3_spec *spec, struct cli_host_ids *ids);

/*
 * Whether those ids may write the directory (or file) at host `path`: 1 yes, 0 no,
 * -errno when it cannot be told. Checked by the kernel (faccessat, ACLs included):
 * in root mode in a child that has taken the ids.
 */
int cli_host_can_write(const struct cli_host_ids *ids, const char *path);

/* Who owns a bind's host path, and whether the command's ids may write it. */
struct cli_host_access {
	bool known; /* the path exists and was stat'ed */
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int writable; /* 1, 0, or -errno: cannot be told */
	struct cli_host_ids ids;
};
void cli_host_access(const struct ag3_spec *spec, const char *host_path, struct cli_host_access *a);

/*
 * Before the run: when the bind at the working directory is read-write but its host
 * directory is not writable by the command's ids, one warning line on stderr with
 * its owner and mode and the fix. Nothing in a session (spec NULL).
 */
void cli_exec_check_workspace(const struct ag3_spec *spec);
