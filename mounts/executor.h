/* SPDX-License-Identifier: MIT */
/*
 * The mount executor: builds the sandbox's root from the ordered mount list
 * and pivots into it.
 *
 * Runs inside the sandbox's init, in the new mount (and user) namespace. In
 * two phases, so that nothing a later step covers is needed afterwards:
 *   1. prepare: every bind source (and every device node /dev needs) is
 *      opened once and cloned into a detached mount tree, before anything is
 *      mounted; device nodes are checked to be the char devices they claim.
 *   2. build: a fresh tmpfs root; every target resolved beneath it with
 *      openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), missing parents created
 *      one component at a time, mounts attached by fd (move_mount); then the
 *      root and /dev made read-only, pivot_root, the old root detached.
 */
#pragma once

#include <stddef.h>

#include "mounts/mount.h"
#include "runtime/util/error.h"

struct ag3_mounts_plan;

/* Phase 1. Errors carry stage "mount-source" and the source path. */
int ag3_mounts_prepare(const struct ag3_mount *ops, size_t n_ops, struct ag3_mounts_plan **ret,
		       struct ag3_error **reterr);

/*
 * Phase 2: build the root, pivot into it, leave cwd at "/". Errors carry the
 * stage ("mount", "pivot_root") and the target path.
 */
int ag3_mounts_enter(struct ag3_mounts_plan *plan, struct ag3_error **reterr);

/*
 * For one command of a session, in a new mount namespace (a copy of the
 * session's) and a new pid namespace, before its privileges are dropped: a new
 * proc (of the command's pid namespace, hardened like the first) over every proc
 * of `ops`, a new devpts instance over every /dev's pts, and a new tmpfs over
 * its shm. The command then sees only its own processes, ptys and POSIX shared
 * memory, not those of the session's other commands. Each target must still be
 * the root of the session's own mount of that kind (-EXDEV otherwise: a directory
 * of the path was moved by a command). Errors carry stage "mount" and the path.
 */
int ag3_mounts_renew(const struct ag3_mount *ops, size_t n_ops, struct ag3_error **reterr);

/*
 * Opens an existing directory (absolute, normalized path) from "/" without
 * following any symlink or /proc magic link on the way: an O_PATH fd for
 * fchdir. -ELOOP when a component is a symlink, -ENOTDIR, -errno.
 */
int ag3_mounts_open_dir_nofollow(const char *path, int *ret);
/* The same for any type of file (an O_PATH fd); -ELOOP when it is a symlink. */
int ag3_mounts_open_nofollow(const char *path, int *ret);

/*
 * Opens `rel` (relative; "" or "." is dirfd itself) beneath dirfd one
 * component at a time, following no symlink at all, not even one that stays
 * beneath dirfd: an O_PATH fd. -ELOOP when a component (the last one too) is
 * a symlink, -ENOTDIR when a leading one is not a directory, -EXDEV for "..",
 * -ENOENT, -errno. The same resolution the runtime gives bind sources.
 */
int ag3_mounts_open_beneath_nofollow(int dirfd, const char *rel, int *ret);

/* The entries of every new /proc that are masked (NULL-terminated; /dev/null over
 * a file, an empty tmpfs over a directory), and those made read-only. */
extern const char *const ag3_proc_masked[];
extern const char *const ag3_proc_readonly[];

void ag3_mounts_plan_free(struct ag3_mounts_plan *plan);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_mounts_plan *, ag3_mounts_plan_free)
