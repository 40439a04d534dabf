/* SPDX-License-Identifier: MIT */
/*
 * The messages a sandbox's init sends its supervisor (and a session's server its
 * holder), one struct per SOCK_SEQPACKET message. Shared by the library and the
 * static init binary (runtime/init-bin.c), so it includes nothing of the spec.
 */
#pragma once

#include <stdint.h>
#include <sys/resource.h>

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
	MSG_NET_FD,          /* allowlist mode: a socket of the sandbox's network
				namespace the supervisor serves (SCM_RIGHTS; net_kind,
				net_port), before the command starts              */
	MSG_ROOT,            /* fresh mode, when the run asked for it (on_built): an
				O_PATH fd of the built sandbox's root (SCM_RIGHTS),
				before the command starts                           */
};

/* MSG_SETUP_ERROR's `applied`: what the command's process had in force when its
 * setup failed (a command not found ran into its execve with all of it). */
enum {
	AG3_APPLIED_CAPS = 1 << 0,     /* its ids set and every capability cleared, read back */
	AG3_APPLIED_NNP = 1 << 1,      /* no_new_privs */
	AG3_APPLIED_LANDLOCK = 1 << 2, /* the landlock ruleset, when there is one */
	AG3_APPLIED_SECCOMP = 1 << 3,  /* the seccomp filter, when there is one */
	AG3_APPLIED_ALL = (1 << 4) - 1,
};

struct ag3_msg {
	uint32_t type;
	uint32_t applied; /* MSG_SETUP_ERROR: AG3_APPLIED_* */
	int32_t err;
	int32_t wstatus;
	int32_t landlock_abi;
	uint32_t seccomp;
	char stage[32];
	char path[512];
	char text[768];
	struct rusage rusage; /* MSG_EXITED: the command's tree, as init reaped it */
	uint32_t net_kind;    /* MSG_NET_FD: AG3_NET_FD_DNS or AG3_NET_FD_TCP      */
	uint32_t net_port;
};

/* Sends a setup error record (stage, errno, path, message) over `fd`. */
void ag3_msg_send_error(int fd, const char *stage, int err, const char *path, const char *text);
/* Sends `m` (EINTR retried; a peer that is gone is not an error of ours). */
void ag3_msg_send(int fd, const struct ag3_msg *m);
