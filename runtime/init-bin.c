/* SPDX-License-Identifier: MIT */
/*
 * ag3ntum-init: a fresh sandbox's pid 1, statically linked.
 *
 * The library makes a fresh sandbox's first process vfork-style (CLONE_VM |
 * CLONE_VFORK: the caller's page tables are not copied, it waits until this
 * process execs). That child builds the sandbox (id maps, cgroup, mounts,
 * hostname, loopback), drops (ids, groups, rlimits, bounding set, capabilities,
 * no_new_privs), opens the command's pty, enters its working directory, makes
 * its landlock ruleset, writes its seccomp program to a memfd, and execs this
 * binary through an fd opened before the sandbox existed. From here on init has
 * an address space of its own: nothing the command could reach in it is the
 * caller's.
 *
 *   ag3ntum-init FIELDS -- [FILE] ARGV... ENV...     (its own environment: empty)
 *
 * FIELDS, one argument of space-separated decimal numbers, in this order:
 *   version argc sock stdin stdout stderr pty_mask pty_slave uid gid landlock_rs
 *   bpf_fd fallback_as fallback_nproc root_caps caps_keep file as_pid_1 assert_userns
 * (-1: none; root_caps, caps_keep, as_pid_1 and assert_userns as struct
 * ag3_cinit has them; file 1: FILE, the program to run, comes before ARGV, whose
 * argv[0] is then only a name). argc counts ARGV, and what follows it is the command's whole
 * environment. The binary's own environment is empty, so nothing of the
 * command's (GLIBC_TUNABLES, say) reaches its libc's start-up. bpf_fd holds:
 * u32 n, u32 n_extra, then n + n_extra struct
 * sock_filter. It is not meant to be run by hand: with anything else it exits
 * 125 without doing anything.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runtime/cinit.h"

static bool is_fd(long long v)
{
	return v >= -1 && v < INT_MAX;
}

int main(int argc, char **argv)
{
	/* Before anything: nothing of this process can be read or ptraced (exec made it
	 * dumpable again; no process of the sandbox exists yet). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(125);
	long long f[AG3_INIT_N_FIELDS];
	if (argc < 4 || ag3_init_fields_parse(argv[1], f) < 0 || strcmp(argv[2], "--") != 0 ||
	    f[F_SOCK] < 0 || f[F_SOCK] >= INT_MAX)
		_exit(125);
	int sock = (int)f[F_SOCK];
	if (f[F_VERSION] != AG3_INIT_FIELDS_VERSION)
		ag3_die_errno(sock, "init", EPROTO, NULL,
			      "ag3ntum-init: built with another version of the library (install "
			      "both together, or set AG3NTUM_SANDBOX_INIT)");
	for (int i = F_SOCK; i <= F_BPF; i++)
		if (i != F_PTY_MASK && i != F_UID && i != F_GID && !is_fd(f[i]))
			ag3_die_errno(sock, "init", EINVAL, NULL, "ag3ntum-init: a bad fd field");
	if (f[F_PTY_MASK] < 0 || f[F_PTY_MASK] > 7 || f[F_UID] < 0 || f[F_UID] > UINT32_MAX - 1 ||
	    f[F_GID] < 0 || f[F_GID] > UINT32_MAX - 1 || f[F_AS] < 0 || f[F_NPROC] < 0 ||
	    f[F_ROOT_CAPS] > 3 || f[F_CAPS_KEEP] < 0 || f[F_CAPS_KEEP] >= (1LL << 41) ||
	    f[F_FILE] < 0 || f[F_FILE] > 1 || f[F_AS_PID_1] < 0 || f[F_AS_PID_1] > 1 ||
	    f[F_ASSERT_USERNS] > 2)
		ag3_die_errno(sock, "init", EINVAL, NULL, "ag3ntum-init: fields out of range");

	struct ag3_seccomp_prog prog = {0};
	if (f[F_BPF] >= 0) {
		int r = ag3_init_bpf_read((int)f[F_BPF], &prog);
		if (r < 0)
			ag3_die_errno(sock, "seccomp", -r, NULL,
				      "ag3ntum-init: reading the seccomp program");
		close((int)f[F_BPF]);
	}
	/* argv and the environment live in the areas the scrub overwrites. */
	/* argv[3] is FILE when the field says so; the ARGC words after it the command's
	 * argv, the rest its environment (init's own environment is empty). */
	const int a0 = 3 + (int)f[F_FILE];
	if (f[F_ARGC] < 1 || f[F_ARGC] > argc - a0)
		ag3_die_errno(sock, "init", EINVAL, NULL, "ag3ntum-init: a bad argv count");
	int cargc = (int)f[F_ARGC];
	char *saved = argv[a0 + cargc];
	argv[a0 + cargc] = NULL;
	char **cmd_argv = ag3_strv_copy(argv + a0);
	argv[a0 + cargc] = saved;
	char **cmd_envp = ag3_strv_copy(argv + a0 + cargc);
	char *file = f[F_FILE] ? strdup(argv[3]) : NULL;
	if (!cmd_argv || !cmd_envp || (f[F_FILE] && !file))
		ag3_die_errno(sock, "init", ENOMEM, NULL, "ag3ntum-init: copying argv");
	ag3_scrub_proc_title();

	struct ag3_cinit ci = {
		.argv = cmd_argv,
		.envp = cmd_envp,
		.stdio = {(int)f[F_STDIN], (int)f[F_STDOUT], (int)f[F_STDERR]},
		.pty_mask = (unsigned)f[F_PTY_MASK],
		.pty_slave = (int)f[F_PTY_SLAVE],
		.uid = (uid_t)f[F_UID],
		.gid = (gid_t)f[F_GID],
		.landlock_rs = (int)f[F_LANDLOCK],
		.seccomp = &prog,
		.fallback_as = (uint64_t)f[F_AS],
		.fallback_nproc = (uint64_t)f[F_NPROC],
		.root_caps = (int)f[F_ROOT_CAPS],
		.caps_keep = (uint64_t)f[F_CAPS_KEEP],
		.file = file,
		.as_pid_1 = f[F_AS_PID_1] == 1,
		.assert_userns = (int)f[F_ASSERT_USERNS],
	};
	ag3_cinit_run(&ci, sock, ag3_cinit_signals(sock));
}
