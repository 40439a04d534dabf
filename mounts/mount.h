/* SPDX-License-Identifier: MIT */
/*
 * The mount operation: one entry of the spec's ordered mount list.
 *
 * mounts/ is the lowest layer: it knows mount operations and how to carry
 * them out beneath a new root, nothing about profiles or processes.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ag3_mount_op {
	AG3_MOUNT_BIND,       /* bind `source` (host path) at `target`                       */
	AG3_MOUNT_TMPFS,      /* a fresh tmpfs at `target` (size, mode)                       */
	AG3_MOUNT_PROC,       /* a new proc for the sandbox's pid namespace                   */
	AG3_MOUNT_DEV,        /* a minimal /dev: null zero full random urandom tty, pts, shm  */
	AG3_MOUNT_DIR,        /* create a directory (mode)                                    */
	AG3_MOUNT_SYMLINK,    /* create a symlink at `target` whose text is `source`          */
	AG3_MOUNT_MASK,       /* hide what is at `target`: /dev/null over a file, an empty
			      read-only tmpfs over a directory; nothing if absent          */
	AG3_MOUNT_FILE,       /* create a file at `target` holding `content` (mode)          */
	AG3_MOUNT_CHMOD,      /* set the mode of what is at `target` (exactly `mode`, 0 too;
			      it must exist; a symlink there is an error)                 */
	AG3_MOUNT_REMOUNT_RO, /* make the mount whose root is at `target` read-only, nosuid
				 and nodev (that mount only, not those below it)          */
	AG3_MOUNT_MQUEUE,     /* a POSIX message queue filesystem (the sandbox's ipc
			      namespace's) at `target`                                     */
	AG3_MOUNT_OVERLAY,    /* an overlayfs at `target`: `lowers` (host directories, the
			      top one first), `source` the upper directory and `workdir`
			      its work directory (host paths), or neither: with `ro` a
			      read-only overlay, without it an upper on a fresh tmpfs.
			      The bwrap front end's; a JSON spec has no `lowers`        */
	_AG3_MOUNT_OP_MAX,
	_AG3_MOUNT_OP_INVALID = -EINVAL,
};

struct ag3_mount {
	enum ag3_mount_op op;
	char *source;  /* bind: host path; symlink: the link's text; else NULL          */
	char *target;  /* absolute, normalized path inside the sandbox                  */
	char *content; /* file: its bytes (text); else NULL                             */
	bool ro;       /* read-only (recursively, for binds)                            */
	bool optional; /* bind: a missing source skips the op instead of failing        */
	bool nosuid;
	bool nodev;
	bool noexec;
	uint64_t size; /* tmpfs and dev: the size limit in bytes; 0 = the op's default  */
	uint32_t mode; /* tmpfs, dir, file: permission bits; 0 = the op's default       */
	char *origin;  /* the profile key that produced this op, for lint and errors    */
	bool dev_core; /* dev, from the bwrap front end (never read from a spec): also
			  core -> /proc/kcore, as bwrap's /dev has                      */
	char **lowers; /* overlay: the lower directories, the top one first          */
	size_t n_lowers;
	char *workdir; /* overlay: the upper's work directory (host path), or NULL   */
	bool overlay;  /* file, made by the runtime (never read from a spec): when
			  something is at `target`, a read-only file of its own is
			  mounted over it                                            */
	/* From the bwrap front end (never read from a spec): */
	uint32_t parent_mode; /* the mode of the parent directories the op creates (0:
				 0755)                                                */
	bool mode_set;        /* tmpfs, dir, file: `mode` meant even when 0           */
	bool source_id;       /* bind: the source must be the inode src_dev:src_ino
				 (--bind-fd: the caller's fd's file), or the op fails */
	uint64_t src_dev, src_ino;
};

const char *ag3_mount_op_to_string(enum ag3_mount_op op);
enum ag3_mount_op ag3_mount_op_from_string(const char *s);

/* Frees the strings inside `m` (not `m` itself). */
void ag3_mount_clear(struct ag3_mount *m);

/*
 * Whether `p` is an absolute, normalized path: starts with '/', no empty,
 * "." or ".." component, no trailing '/' (except "/" itself), no NUL, at most
 * PATH_MAX bytes. Returns 0 or -EINVAL.
 */
int ag3_path_check_normalized(const char *p);

/*
 * Lexically normalizes an absolute path: "//" and "/./" collapsed, ".."
 * resolved, no trailing '/'. 0 with a new string, -EINVAL (not absolute,
 * empty) or -ENOMEM.
 */
int ag3_path_normalize(const char *path, char **ret);
/* Whether `path` (normalized) equals `prefix` or is beneath it. "/" contains everything. */
bool ag3_path_is_under(const char *path, const char *prefix);
/* Whether a path has a ".." component. */
bool ag3_path_has_dotdot(const char *p);
