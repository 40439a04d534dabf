/* SPDX-License-Identifier: MIT */
/* Shared between the supervisor (sandbox.c) and the sandbox's init (init.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "runtime/result.h"
#include "runtime/seccomp.h"
#include "runtime/sandbox.h"
#include "runtime/spec.h"

enum {
	MSG_SETUP_ERROR = 1, /* init or the command failed a setup step            */
	MSG_STARTED,         /* the command was exec'd                             */
	MSG_EXITED,          /* the command ended: wstatus                         */
	MSG_PTY,             /* the pty's master, as SCM_RIGHTS (init, before the
				command starts, only when the run asked for a pty) */
};

struct ag3_msg {
	uint32_t type;
	int32_t err;
	int32_t wstatus;
	int32_t landlock_abi;
	uint32_t seccomp;
	char stage[32];
	char path[512];
	char text[768];
};

/* What the child needs, computed by the supervisor before clone. */
struct ag3_child_ctx {
	const struct ag3_spec *spec;
	const struct ag3_run_opts *opts;
	int sock; /* init's end of the supervisor socket */
	bool userns;
	bool privileged;
	uid_t uid; /* the command's ids inside the sandbox */
	gid_t gid;
	bool can_setgroups;
	struct ag3_seccomp_prog seccomp; /* compiled by the supervisor; empty = off */
	int landlock_abi;                /* > 0: apply landlock with this ABI */
	uint64_t fallback_as;            /* RLIMIT_AS when no cgroup limits memory; 0 = none */
	uint64_t fallback_nproc;         /* RLIMIT_NPROC when no cgroup limits pids; 0 = none */
	struct ag3_cgroup *cgroup;       /* the sandbox's cgroup, or NULL */
};

/* The child side: never returns. */
_Noreturn void ag3_init_main(struct ag3_child_ctx *ctx);

/* Sends a setup error record (stage, errno, path, message) over `fd`. */
void ag3_msg_send_error(int fd, const char *stage, int err, const char *path, const char *text);
