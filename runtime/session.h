/* SPDX-License-Identifier: MIT */
/*
 * Warm sandboxes (../shared/DESIGN.md, "Sessions: the process model").
 *
 *   caller (the session's server: host namespaces, the cgroup, the socket)
 *     └─ holder   pid 1 of the session's pid namespace, in the built root;
 *          │      keeps the namespaces and mounts alive, starts command inits
 *          └─ command init   pid 1 of a pid namespace of its own, with a mount
 *               │            namespace of its own (its own /proc, /dev/pts)
 *               └─ the command   ids, capabilities, no_new_privs, landlock,
 *                                seccomp, execve: exactly as in fresh mode
 *
 * A client connection (a SOCK_SEQPACKET socket) is handed to the holder with
 * ag3_sandbox_attach; the command init reads the request from it, and talks to
 * the client directly with the same messages fresh mode's init uses. The client
 * (ag3_session_command_run) supervises: timeout, cancel, streams, result. When
 * the client's end closes, the command init exits and the kernel ends its pid
 * namespace: a command whose caller died is cancelled with its whole tree.
 */
#pragma once

#include <signal.h>
#include <stdint.h>

#include "runtime/result.h"
#include "runtime/sandbox.h"
#include "runtime/spec.h"

struct ag3_sandbox;

/*
 * Builds a session's sandbox from `spec`: every check and downgrade of fresh mode,
 * the cgroup, the namespaces, the root; returns when the holder is ready. On
 * success *ret is set and `res` holds the enforcement record and downgrades every
 * command will share; on failure *ret is NULL and `res` is the setup failure.
 * Returns 0 (or -errno for what is not a setup failure).
 */
int ag3_sandbox_open(const struct ag3_spec *spec, struct ag3_sandbox **ret, struct ag3_result *res);
/* Hands a client's connection to the holder (it keeps its own copy). 0 or -errno. */
int ag3_sandbox_attach(struct ag3_sandbox *sb, int conn);
/* The holder's pidfd (readable when it ended; -1 without clone3) and its socket
 * (POLLHUP when it ended). */
int ag3_sandbox_holder_pidfd(const struct ag3_sandbox *sb);
int ag3_sandbox_holder_sock(const struct ag3_sandbox *sb);
/* 0: the holder runs; 1: it ended (info says how; it is collected); -errno. */
int ag3_sandbox_holder_status(struct ag3_sandbox *sb, siginfo_t *info);
/* A new read-only fd of the session cgroup's oom_kill count (see
 * ag3_cgroup_oom_fd), or -1 when no cgroup limits its memory. */
int ag3_sandbox_oom_fd(const struct ag3_sandbox *sb);
/* The session cgroup's oom_kill count and peak memory (0 when unknown). */
void ag3_sandbox_stats(struct ag3_sandbox *sb, uint64_t *oom_kills, uint64_t *peak);
/* Ends every process of the sandbox, removes its cgroup, frees it. NULL is fine. */
void ag3_sandbox_close(struct ag3_sandbox *sb);

/* What a client needs of the session's spec to supervise a command. */
struct ag3_session_limits {
	uint64_t timeout_ms, kill_grace_ms, output_bytes;
};

/* Per-command settings beyond ag3_run_opts: environment settings over the spec's
 * ("NAME=VALUE", NULL-terminated, or NULL) and the working directory (NULL: the
 * spec's). Borrowed for the call. */
struct ag3_cmd_extra {
	char **env;
	const char *cwd;
};

/*
 * The client side: runs opts->argv in the session at the other end of `conn` (a
 * connection the server handed to the holder) and fills `res` like
 * ag3_sandbox_run, but for the enforcement record (the caller has it from the
 * session). oom_fd (-1: none): the session's oom_kill count (ag3_sandbox_oom_fd):
 * a command SIGKILLed while it rose has status oom. net (NULL: none): the
 * session's network; in allowlist mode the command's relay runs here, in the
 * caller's network, for as long as the command runs. Uses no signal, no wait on any child: callable from any thread.
 * Returns 0, or -EINVAL for an empty argv.
 */
int ag3_session_command_run(int conn, const struct ag3_session_limits *lim,
			    const struct ag3_spec_network *net, int oom_fd,
			    const struct ag3_run_opts *opts, const struct ag3_cmd_extra *extra,
			    struct ag3_result *res);
