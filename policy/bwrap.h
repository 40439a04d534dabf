/* SPDX-License-Identifier: MIT */
/*
 * bubblewrap's command line (README "Replacing bwrap"): the parser, pure (every
 * fd it names is only recorded; `--args FD` data comes through a callback), and
 * the step from what it read to a sandbox spec.
 *
 * Semantics follow bwrap 0.11: options left to right until `--` or the first
 * word not starting with '-'; setup operations kept in command-line order;
 * `--perms`/`--size` modify the next operation only; single-valued options
 * repeated give the warning "Only the last --X option will take effect".
 * Error texts are bwrap's (without the "bwrap: " prefix the caller adds).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/spec.h"

enum ag3_bw_op_kind {
	AG3_BW_BIND,    /* --bind, --ro-bind, --dev-bind (and -try): src dest          */
	AG3_BW_BIND_FD, /* --bind-fd, --ro-bind-fd: fd dest                           */
	AG3_BW_REMOUNT_RO,
	AG3_BW_PROC,
	AG3_BW_DEV,
	AG3_BW_TMPFS,
	AG3_BW_MQUEUE,
	AG3_BW_DIR,
	AG3_BW_FILE,      /* --file fd dest                                             */
	AG3_BW_BIND_DATA, /* --bind-data, --ro-bind-data: fd dest                       */
	AG3_BW_SYMLINK,   /* src = the link's text                                      */
	AG3_BW_CHMOD,     /* perms, dest                                                */
	AG3_BW_OVERLAY_SRC,
	AG3_BW_OVERLAY,     /* src = rw upper, extra = workdir, dest                   */
	AG3_BW_TMP_OVERLAY, /* dest                                                     */
	AG3_BW_RO_OVERLAY,  /* dest                                                     */
};

struct ag3_bw_op {
	enum ag3_bw_op_kind kind;
	bool ro, dev, try_; /* binds: --ro-*, --dev-*, *-try */
	char *src, *dest, *extra;
	int fd;             /* -1 when the op takes none */
	int perms;          /* -1: the op's default */
	uint64_t size;      /* tmpfs: 0 = the kernel's default */
	const char *option; /* the option as given (static), for messages */
};

enum ag3_bw_env_kind { AG3_BW_SETENV, AG3_BW_UNSETENV, AG3_BW_CLEARENV };

struct ag3_bwrap {
	struct ag3_bw_op *ops;
	size_t n_ops;
	bool unshare_user, unshare_user_try, unshare_ipc, unshare_pid, unshare_net, unshare_uts,
		unshare_cgroup, unshare_cgroup_try;
	long long uid, gid; /* -1: not given */
	char *hostname, *chdir, *argv0;
	/* the environment as bwrap leaves it (the caller's, edited in order) */
	char **env;
	size_t n_env;
	bool new_session, die_with_parent, as_pid_1, level_prefix;
	bool disable_userns, assert_userns_disabled;
	int info_fd, json_status_fd, sync_fd, block_fd, userns_block_fd, userns_fd, userns2_fd,
		pidns_fd, seccomp_fd;
	int *add_seccomp_fds;
	size_t n_add_seccomp_fds;
	char **caps; /* --cap-add CAP as "+CAP", --cap-drop CAP as "-CAP", in order */
	size_t n_caps;
	char **lock_files;
	size_t n_lock_files;
	char *exec_label, *file_label;
	/* The agent platform's own options, which no bwrap has (README "Replacing
	 * bwrap"): --uid-map/--gid-map "INSIDE OUTSIDE COUNT". */
	bool uid_map_given, gid_map_given;
	long long uid_map[3], gid_map[3];
	/* the command (argv[0] first), NULL-terminated */
	char **argv;
	size_t argc;
	/* warnings to print (without the prefix), in order */
	char **warnings;
	size_t n_warnings;
	bool help, version;
};

/* Reads all of `fd` (--args FD): 0 with a malloc'ed buffer, or -errno. */
typedef int (*ag3_bw_read_fd)(void *data, int fd, char **buf, size_t *len);

/*
 * Parses argv (without the program name) with `envp` as the starting
 * environment. 0 with *bw filled (clear it with ag3_bwrap_clear); -1 with
 * `err` the message (bwrap's text). read_fd may be NULL (then --args fails).
 */
int ag3_bwrap_parse(int argc, char *const *argv, char *const *envp, ag3_bw_read_fd read_fd,
		    void *read_data, struct ag3_bwrap *bw, char *err, size_t errlen);
void ag3_bwrap_clear(struct ag3_bwrap *bw);
