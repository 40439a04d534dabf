/* SPDX-License-Identifier: MIT */
/* Shared between the supervisor (sandbox.c) and the sandbox's init (init.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <termios.h>

#include "runtime/cgroup.h"
#include "runtime/cmdreq.h"
#include "runtime/msg.h"
#include "runtime/result.h"
#include "runtime/seccomp.h"
#include "runtime/sandbox.h"
#include "runtime/spec.h"

/*
 * One command: what differs between the commands of a sandbox. Fresh mode fills
 * it in the supervisor; in a session it is parsed from the client's request
 * (runtime/cmdreq.c), in the command's own init, and never trusted further.
 */
struct ag3_cmd {
	char **argv;       /* NULL-terminated; argv[0] looked up in the spec's PATH      */
	char *file;        /* fresh mode: the program, when not argv[0] (else NULL)     */
	char **env;        /* "NAME=VALUE" set over the spec's environment, or NULL     */
	char *cwd;         /* absolute; NULL: the spec's                                */
	char *term;        /* the caller's TERM (its stdio is a terminal): the command's
			      when the spec's process.term_from_caller; NULL: none      */
	int stdio[3];      /* the command's 0, 1, 2 (-1: the caller's own, fresh mode)  */
	unsigned pty_mask; /* bit i: fd i is the slave of a pty of the sandbox's own  */
	bool have_termios, have_winsize;
	struct termios termios;
	struct winsize winsize;
};

/* What the child needs, computed by the supervisor before clone. */
struct ag3_child_ctx {
	const struct ag3_spec *spec;
	const struct ag3_run_opts *opts; /* fresh mode; NULL for a session's holder */
	struct ag3_cmd cmd;              /* fresh mode: the one command               */
	bool session;                    /* a holder: commands come over `sock`       */
	int sock;                        /* init's end of the supervisor socket */
	bool userns;
	bool privileged;
	uid_t uid; /* the command's ids inside the sandbox */
	gid_t gid;
	bool can_setgroups;
	bool root_command; /* bwrap's root mode: uid 0, spec->security.caps_keep (plan.c) */
	struct ag3_seccomp_prog seccomp; /* compiled by the supervisor; empty = off */
	/* how many of seccomp's filters are the spec's (the caller's own follow them) */
	int seccomp_own;
	int landlock_abi;          /* > 0: apply landlock with this ABI */
	int landlock_rs;           /* a ruleset made ahead of time (a session's spare), or -1 */
	uint64_t fallback_as;      /* RLIMIT_AS when no cgroup limits memory; 0 = none */
	uint64_t fallback_nproc;   /* RLIMIT_NPROC when no cgroup limits pids; 0 = none */
	struct ag3_cgroup *cgroup; /* the sandbox's cgroup, or NULL */
	/* Fresh mode through the init binary (ag3_init_exec_child): */
	int init_exe;     /* the binary, opened before the sandbox existed; -1: not used */
	char **init_argv; /* "ag3ntum-init", init_fields, "--", the command's argv, its env */
	size_t init_argc; /* the command's argv count */
	char **envp;      /* the command's whole environment */
	char init_fields[256];
	uid_t host_euid; /* the caller's, for a rootless sandbox's id maps */
	gid_t host_egid;
};

/* The child side: never returns. Fresh mode runs ctx->cmd; a session's holder
 * (ctx->session) serves MSG_ATTACH requests until its socket closes. */
_Noreturn void ag3_init_main(struct ag3_child_ctx *ctx);

/* Fresh mode's first process when the init binary is there: created with
 * CLONE_VM | CLONE_VFORK on a stack of its own, it builds the sandbox and
 * execs the binary (ctx->init_exe) as the sandbox's init. Never returns. */
int ag3_init_exec_child(void *ctx);

/* The command's whole environment: the spec's, with the command's own settings
 * (`extra`, "NAME=VALUE") over it. NULL when out of memory. */
char **ag3_cmd_env(const struct ag3_spec *spec, const struct ag3_cmd *cmd);

/* Writes the sandbox's id maps (and, rootless, setgroups "deny") into /proc/PID,
 * PID 0 for the calling process's own (a rootless sandbox's first process maps
 * itself). 0, or -errno with *why the file that failed. */
int ag3_userns_maps_write(pid_t pid, const struct ag3_child_ctx *ctx, const char **why);
