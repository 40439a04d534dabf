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
	MSG_PIDFD,           /* a session's command init: its own pidfd (SCM_RIGHTS),
				first, so that its client can signal it            */
	MSG_READY,           /* a session's holder: the sandbox is built            */
	MSG_ATTACH,          /* the session's server to its holder: a connection,
				as SCM_RIGHTS, that carries one command request     */
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
	struct rusage rusage; /* MSG_EXITED: the command's tree, as init reaped it */
};

/*
 * One command: what differs between the commands of a sandbox. Fresh mode fills
 * it in the supervisor; in a session it is parsed from the client's request
 * (runtime/cmdreq.c), in the command's own init, and never trusted further.
 */
struct ag3_cmd {
	char **argv;       /* NULL-terminated; argv[0] looked up in the spec's PATH      */
	char **env;        /* "NAME=VALUE" set over the spec's environment, or NULL     */
	char *cwd;         /* absolute; NULL: the spec's                                */
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
	struct ag3_seccomp_prog seccomp; /* compiled by the supervisor; empty = off */
	int landlock_abi;                /* > 0: apply landlock with this ABI */
	int landlock_rs;           /* a ruleset made ahead of time (a session's spare), or -1 */
	uint64_t fallback_as;      /* RLIMIT_AS when no cgroup limits memory; 0 = none */
	uint64_t fallback_nproc;   /* RLIMIT_NPROC when no cgroup limits pids; 0 = none */
	struct ag3_cgroup *cgroup; /* the sandbox's cgroup, or NULL */
};

/* The child side: never returns. Fresh mode runs ctx->cmd; a session's holder
 * (ctx->session) serves MSG_ATTACH requests until its socket closes. */
_Noreturn void ag3_init_main(struct ag3_child_ctx *ctx);

/* Sends a setup error record (stage, errno, path, message) over `fd`. */
void ag3_msg_send_error(int fd, const char *stage, int err, const char *path, const char *text);
