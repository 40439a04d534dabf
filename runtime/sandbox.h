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

#include "runtime/result.h"
#include "runtime/spec.h"

struct ag3_run_opts {
	char *const *argv; /* the command; argv[0] is looked up in the spec's PATH */
	int stdio[3];      /* fds to give the command as 0, 1, 2; -1 = the caller's own */
	int cancel_fd;     /* when readable: stop the sandbox (SIGTERM, grace, SIGKILL); -1 = none */
	bool capture;      /* capture stdout and stderr (each capped at limits.output_bytes,
			      first and last halves kept) into the result instead of passing
			      them through; overrides stdio[1] and stdio[2] */
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
