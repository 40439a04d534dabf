/* SPDX-License-Identifier: MIT */
/*
 * A command's init, once everything of the sandbox is in place: it starts the
 * command, passes signals on, reaps, and reports to its supervisor. Shared by
 * the library (a session's command init, fresh mode without the init binary)
 * and the static init binary (runtime/init-bin.c), so it depends on nothing but
 * libc and the layer-0 helpers: no spec, no libcap, no libseccomp.
 *
 * When ag3_cinit_run is called, init has dropped already (ids, groups, rlimits,
 * an empty bounding set, no capability, no_new_privs, non-dumpable), is in the
 * command's working directory with the command's umask, and holds the command's
 * landlock ruleset. The command inherits all of it and adds setsid, its stdio,
 * landlock, seccomp (last), the fallback rlimits and execve.
 */
#pragma once

#include <poll.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/msg.h"
#include "runtime/seccomp.h"

/* The version of the init binary's fields (runtime/init-bin.c): the library and
 * the binary are built together, and a mismatch ends the binary at once. */
#define AG3_INIT_FIELDS_VERSION 5

/* The init binary's fields, in their order (runtime/init-bin.c). */
enum {
	F_VERSION,
	F_ARGC,
	F_SOCK,
	F_STDIN,
	F_STDOUT,
	F_STDERR,
	F_PTY_MASK,
	F_PTY_SLAVE,
	F_UID,
	F_GID,
	F_LANDLOCK,
	F_BPF,
	F_AS,
	F_NPROC,
	F_ROOT_CAPS, /* -1: the command drops everything; 0, 1: a root command (cinit.h) */
	F_CAPS_KEEP,
	F_FILE,          /* 1: the word after "--" is the program to run, then ARGC argv words */
	F_AS_PID_1,      /* 1: init execs the command itself (struct ag3_cinit) */
	F_ASSERT_USERNS, /* -1, or 0..2: struct ag3_cinit's assert_userns */
	AG3_INIT_N_FIELDS
};

/* Strict: exactly AG3_INIT_N_FIELDS decimal numbers separated by one space, each
 * 0..LLONG_MAX or -1, nothing else. 0, or -EINVAL. */
int ag3_init_fields_parse(const char *s, long long *v);

/* The seccomp program from the init binary's memfd (u32 n, u32 n_extra, then the
 * instructions), whole or not at all: 0, or -errno. */
int ag3_init_bpf_read(int fd, struct ag3_seccomp_prog *prog);

struct ag3_cinit {
	char *const *argv; /* the command's; argv[0] looked up in envp's PATH */
	const char *file;  /* or this, when not NULL (bwrap's --argv0 VALUE) */
	char *const *envp; /* the command's whole environment */
	int stdio[3];      /* the command's 0-2: an fd of init's, or -1 for init's own i */
	unsigned pty_mask; /* bit i: the command's fd i is pty_slave */
	int pty_slave;     /* or -1 */
	uid_t uid;         /* the command's ids (init's own, already) */
	gid_t gid;
	int landlock_rs; /* a landlock ruleset to restrict the command with, or -1 */
	const struct ag3_seccomp_prog *seccomp; /* empty: no filter */
	uint64_t fallback_as;                   /* RLIMIT_AS for the command, or 0 */
	uint64_t fallback_nproc;                /* RLIMIT_NPROC for the command, or 0 */
	/* -1: the command's capabilities are cleared (everything but bwrap's root mode);
	 * else a root command's, bits: 1, its effective, permitted, inheritable and
	 * ambient sets become caps_keep (else it keeps the sets it inherits); 2, init
	 * loads the command's filters too once it started (bwrap's --unshare-pid). */
	int root_caps;
	uint64_t caps_keep;
	/* bwrap's --as-pid-1 (fresh mode only): init does not start the command, it
	 * becomes it (the same steps, then execve), so the command is pid 1 and has
	 * no reaper. MSG_STARTED goes just before the execve (a failing exec follows
	 * it with MSG_SETUP_ERROR); the supervisor then learns the command's end from
	 * init's own wait status, as no MSG_EXITED comes. */
	bool as_pid_1;
	/* bwrap's --assert-userns-disabled: -1, none; else how many of `seccomp`'s
	 * filters (0..2, the spec's own) are loaded before the command's process checks
	 * that unshare(CLONE_NEWUSER) fails; the rest (the caller's) after it. */
	int assert_userns;
};

/* Reports a setup failure (stage, errno, what failed) over `fd` and exits 125. */
_Noreturn void ag3_die_errno(int fd, const char *stage, int err, const char *path,
			     const char *what);

/* Overwrites this process's argv and environment areas (what /proc/PID/cmdline
 * and environ show) and names it ag3ntum-init. */
void ag3_scrub_proc_title(void);

/* A copy of a NULL-terminated string vector (leaked by a failure: init exits then). */
char **ag3_strv_copy(char *const *v);

/* init's signals: SIGCHLD, SIGTERM, SIGINT, SIGHUP blocked and read from the
 * returned signalfd (a failure is reported over `sock`, and init exits). */
int ag3_cinit_signals(int sock);

/* bwrap's root mode (spec security.root_command): the ids must already be 0 (real,
 * effective, saved: checked); with `set`, the effective, permitted and
 * inheritable sets become `keep` and the ambient set is raised to it, as bwrap
 * does with --cap-add/--cap-drop; otherwise the sets stay as they are. 0, or
 * -errno with *what naming the step. */
int ag3_cinit_root_caps(uint64_t keep, bool set, const char **what);

/* Sets the command's gid and uid (real, effective, saved) with raw system calls
 * (never glibc's all-threads broadcast), then clears every capability set and
 * reads it back. 0, or -errno with *what naming the failed step. */
int ag3_cinit_set_ids(uid_t uid, gid_t gid, const char **what);

/* Starts the command and supervises it until it ends: MSG_STARTED or the
 * command's MSG_SETUP_ERROR, then MSG_EXITED, over `sock`. sfd: from
 * ag3_cinit_signals, or -1 to make it now. With ci->as_pid_1, becomes the
 * command instead. Never returns. */
_Noreturn void ag3_cinit_run(const struct ag3_cinit *ci, int sock, int sfd);

/*
 * Under AddressSanitizer a CLONE_VM | CLONE_VFORK child runs below its parent's
 * own stack pointer, as vfork()'s child does (the parent is suspended until the
 * child execs or exits, so that part of its stack is free): on a stack of its
 * own, far from the thread's, ASan prints a warning on the child's first
 * noreturn call, into the command's stderr. Elsewhere the child gets an mmap'd
 * stack (with a guard page where the caller adds one), which does not depend on
 * how much stack the caller's thread has left.
 */
#if defined(__SANITIZE_ADDRESS__)
#define AG3_VFORK_ON_CALLER_STACK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AG3_VFORK_ON_CALLER_STACK 1
#endif
#endif
#ifndef AG3_VFORK_ON_CALLER_STACK
#define AG3_VFORK_ON_CALLER_STACK 0
#endif

/* The top of a vfork-style child's stack below the caller's frame (the caller's
 * clone() wrapper frame and red zone are kept clear). */
#define AG3_CALLER_STACK_TOP(local) ((void *)(((uintptr_t)(local)-64 * 1024) & ~(uintptr_t)15))
