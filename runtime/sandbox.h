/* SPDX-License-Identifier: MIT */
/*
 * Entering a sandbox: fresh mode (new namespaces per command).
 *
 * Process tree:
 *
 *   caller (supervisor: host namespaces; timeout, signal forwarding, result)
 *     └─ init   pid 1 of the sandbox: builds the root, then reaps and reports
 *          └─ the command   setsid, rlimits, ids, capabilities, no_new_privs,
 *                           landlock, seccomp, fds closed, execve
 *
 * The supervisor and init talk over a SOCK_SEQPACKET pair; init's end
 * closing is how the supervisor learns the sandbox is gone. init dies with
 * the supervisor (PR_SET_PDEATHSIG), and the kernel kills every process of
 * the sandbox's pid namespace when init dies, so nothing outlives `exec`.
 */
#pragma once

#include <linux/filter.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "runtime/result.h"
#include "runtime/spec.h"

struct ag3_bpf_prog {
	const struct sock_filter *insns;
	size_t n; /* 1 .. BPF_MAXINSNS */
};

struct ag3_run_opts {
	char *const *argv; /* the command; argv[0] is looked up in the spec's PATH */
	const char *file;  /* or this, when not NULL: argv[0] is then only the command's
			      name for itself (bwrap's --argv0) */
	/* bwrap's --as-pid-1: the command itself is pid 1 of the sandbox's pid
	 * namespace, with nothing to reap its orphans or pass signals on (runtime/
	 * cinit.h). Fresh mode only; needs pidfds (Linux 5.3). */
	bool as_pid_1;
	/* A root command (spec security.root_command): init loads the command's seccomp
	 * filters too once it started (bwrap's --unshare-pid; README "Replacing bwrap"). */
	bool filter_init;
	int stdio[3];  /* fds to give the command as 0, 1, 2; -1 = the caller's own */
	int cancel_fd; /* when readable: stop the sandbox (SIGTERM, grace, SIGKILL); -1 = none */
	bool capture;  /* capture stdout and stderr (each capped at limits.output_bytes,
			      first and last halves kept) into the result instead of passing
			      them through; overrides stdio[1] and stdio[2] */
	/*
	 * A terminal of the sandbox's own. Bit i of pty_mask: the command's fd i is the
	 * slave of a pty allocated in the sandbox's devpts (it becomes the command's
	 * controlling terminal: job control works), and the supervisor relays between
	 * its master and the caller, so the command never holds the caller's terminal
	 * (runtime/relay.h). pty_in: the caller's terminal fd read into the pty (-1:
	 * none); pty_out: the caller's fd the pty's output goes to. pty_termios and
	 * pty_winsize (NULL: the kernel's defaults) are the pty's initial modes and
	 * size. winch_fd: a signalfd for SIGWINCH (the size of pty_out's terminal is
	 * passed on) and SIGCONT (pty_raw, if set, is applied to pty_in again: a
	 * stopped job's shell restores its terminal's modes); -1: none.
	 */
	unsigned pty_mask;
	int pty_in, pty_out, winch_fd;
	/* The caller's TERM (NULL: none): the command's when it gets a pty and the spec
	 * says process.term_from_caller (a name of [A-Za-z0-9_.+@-], else ignored). */
	const char *term;
	const struct termios *pty_termios, *pty_raw;
	const struct winsize *pty_winsize;
	/*
	 * Bit i of relay_mask: the command's fd i is a pipe to (or from) the supervisor,
	 * which copies it from (or to) the caller's fd. Nothing the command does to such
	 * a stream (shutdown of a shared socket, a last line without its newline, a
	 * blocked terminal) reaches the caller's description. end_line: when the run
	 * ends, a newline is written to the caller's stderr if what was relayed there
	 * last did not end with one, so that a line written after the run is a line of
	 * its own. Bits of pty_mask and capture win over relay_mask.
	 */
	unsigned relay_mask;
	bool end_line;
	/* Allowlist mode: a line on the caller's stderr (fd 2) for each name or
	 * connection the relay refuses (the result record has them all). */
	bool net_log;
	/* Fresh mode: called once the sandbox's first process exists (its host pid:
	 * its /proc/PID/ns/ names the sandbox's namespaces), before the command runs;
	 * NULL: none. The bwrap front end's --info-fd and --json-status-fd. */
	void (*on_started)(void *data, pid_t init_pid);
	void *on_started_data;
	/* Fresh mode: classic-BPF seccomp programs of the caller's own (bwrap's
	 * --seccomp and --add-seccomp-fd), each loaded as a filter of its own after
	 * the spec's, in order; two filters at most in all (the spec's default list
	 * and its rules count). The runtime copies them. */
	const struct ag3_bpf_prog *bpf;
	size_t n_bpf;
	/* Fresh mode: called once the sandbox is built, before the command starts
	 * (it may be starting meanwhile), with an O_PATH fd of the sandbox's root
	 * (closed after the call); NULL: none. A negative return (-errno, with `why`
	 * filled) ends the sandbox as a setup failure. Runs in the supervisor: it
	 * must not block. The bwrap front end's --lock-file. */
	int (*on_built)(void *data, int root_fd, char *why, size_t why_len);
	void *on_built_data;
	/* Fresh mode: bwrap's --assert-userns-disabled. The command's process, once the
	 * spec's seccomp filters are loaded (before the caller's own, opts->bpf), tries
	 * unshare(CLONE_NEWUSER): if that succeeds, the run is a setup failure and the
	 * command never runs. */
	bool assert_no_userns;
};

/*
 * Runs opts->argv in a sandbox built from `spec` and fills `res` (which the
 * caller clears with ag3_result_clear). Every failure to set the sandbox up is
 * a result with status setup_failed (stage, errno, path): the command never
 * runs unless every step succeeded. Returns 0, or -EINVAL for a NULL/empty
 * argv (nothing is run then).
 */
int ag3_sandbox_run(const struct ag3_spec *spec, const struct ag3_run_opts *opts,
		    struct ag3_result *res);

/*
 * The init binary fresh mode would exec ($AG3NTUM_SANDBOX_INIT, else beside the
 * running program, else the installed one): 0 with `path` filled, or -errno.
 * *named: $AG3NTUM_SANDBOX_INIT names one; then any error means fresh sandboxes
 * fail to start. Otherwise -ENOENT means there is none (fresh sandboxes fork
 * their init; `path` holds the last place looked at, or is empty when
 * $AG3NTUM_SANDBOX_INIT is "none").
 */
int ag3_sandbox_init_binary(char *path, size_t len, bool *named);
