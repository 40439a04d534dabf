/* SPDX-License-Identifier: MIT */
#include "executor.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "runtime/util/cleanup.h"

/* The device nodes a minimal /dev gets, each checked to be the char device it claims. */
static const struct {
	const char *name;
	unsigned major, minor;
} dev_nodes[] = {
	{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};
#define N_DEV_NODES ELEMENTSOF(dev_nodes)
#define DEV_NULL_INDEX 0

struct prepared {
	int src_fd; /* bind: O_PATH fd of the source, opened once; -1 otherwise */
	bool skip;  /* optional source missing */
	bool src_is_dir;
	int *ovl_fds; /* overlay: O_PATH fds of the lowers (in order), upper, work */
	size_t n_ovl;
};

struct ag3_mounts_plan {
	const struct ag3_mount *ops;
	size_t n_ops;
	struct prepared *prep;
	int dev_fds[N_DEV_NODES]; /* O_PATH fds of the host's device nodes, or -1 */
	bool need_dev;
	/* Read-only tmpfs ops (masks like /mounts) are made read-only only after every
	 * later op has created its mount point in them: their mount fds, in order. */
	int *ro_later;
	size_t n_ro_later;
};

void ag3_mounts_plan_free(struct ag3_mounts_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; plan->prep && i < plan->n_ops; i++) {
		closep(&plan->prep[i].src_fd);
		for (size_t k = 0; k < plan->prep[i].n_ovl; k++)
			closep(&plan->prep[i].ovl_fds[k]);
		free(plan->prep[i].ovl_fds);
	}
	for (size_t i = 0; i < N_DEV_NODES; i++)
		closep(&plan->dev_fds[i]);
	for (size_t i = 0; i < plan->n_ro_later; i++)
		closep(&plan->ro_later[i]);
	free(plan->ro_later);
	free(plan->prep);
	free(plan);
}

static int fail(struct ag3_error **reterr, int err, const char *stage, const char *path,
		const char *what)
{
	return ag3_error_set_stage(reterr, err, stage, path, "%s: %s: %s: %s (%s)", stage, path,
				   what, strerror(err), ag3_errno_name(err));
}

static int open_existing(int rootfd, const char *path, int *ret);

static int open_host_dev(const char *name, unsigned major_n, unsigned minor_n, int *ret,
			 struct ag3_error **reterr)
{
	char path[64];
	snprintf(path, sizeof(path), "/dev/%s", name);
	_cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(reterr, errno, "mount-source", path, "cannot open the host device");
	struct stat st;
	if (fstat(fd, &st) < 0)
		return fail(reterr, errno, "mount-source", path, "fstat");
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != major_n || minor(st.st_rdev) != minor_n) {
		char what[96];
		snprintf(what, sizeof(what), "not the char device %u:%u it should be", major_n,
			 minor_n);
		return fail(reterr, EPERM, "mount-source", path, what);
	}
	*ret = TAKE_FD(fd);
	return 0;
}

/* An overlay's host directories, opened once before anything is mounted (symlink-free,
 * as bind sources): the lowers in order, then the upper and its work directory. */
static int prepare_overlay(int host_root, const struct ag3_mount *m, struct prepared *pr,
			   struct ag3_error **reterr)
{
	size_t n = m->n_lowers + (m->source ? 2 : 0);
	if (!(pr->ovl_fds = malloc(n * sizeof(int))))
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	for (size_t k = 0; k < n; k++) {
		const char *path = k < m->n_lowers    ? m->lowers[k]
				   : k == m->n_lowers ? m->source
						      : m->workdir;
		int fd = -1, r = open_existing(host_root, path, &fd);
		if (r < 0)
			return fail(reterr, -r, "mount-source", path,
				    r == -ELOOP || r == -ENOTDIR
					    ? "a symlink is in an overlay directory's path (they "
					      "must be symlink-free)"
					    : "cannot open the overlay directory");
		pr->ovl_fds[pr->n_ovl++] = fd;
		struct stat st;
		if (fstat(fd, &st) < 0)
			return fail(reterr, errno, "mount-source", path, "fstat");
		if (!S_ISDIR(st.st_mode))
			return fail(reterr, ENOTDIR, "mount-source", path,
				    "an overlay's directories must be directories");
	}
	return 0;
}

int ag3_mounts_prepare(const struct ag3_mount *ops, size_t n_ops, struct ag3_mounts_plan **ret,
		       struct ag3_error **reterr)
{
	struct ag3_mounts_plan *plan = calloc(1, sizeof(*plan));
	if (!plan)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	_cleanup_(ag3_mounts_plan_freep) struct ag3_mounts_plan *p = plan;
	for (size_t i = 0; i < N_DEV_NODES; i++)
		p->dev_fds[i] = -1;
	p->ops = ops;
	p->n_ops = n_ops;
	p->prep = calloc(n_ops ? n_ops : 1, sizeof(*p->prep));
	p->ro_later = calloc(n_ops ? n_ops : 1, sizeof(*p->ro_later));
	if (!p->prep || !p->ro_later)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	for (size_t i = 0; i < n_ops; i++)
		p->prep[i].src_fd = -1;

	bool need_null = false;
	_cleanup_close_ int host_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (host_root < 0)
		return fail(reterr, errno, "mount-source", "/", "cannot open the host's root");
	for (size_t i = 0; i < n_ops; i++) {
		const struct ag3_mount *m = &ops[i];
		if (m->op == AG3_MOUNT_DEV)
			p->need_dev = true;
		if (m->op == AG3_MOUNT_MASK || m->op == AG3_MOUNT_PROC)
			need_null = true;
		if (m->op == AG3_MOUNT_OVERLAY) {
			int r = prepare_overlay(host_root, m, &p->prep[i], reterr);
			if (r < 0)
				return r;
			continue;
		}
		if (m->op != AG3_MOUNT_BIND)
			continue;
		/* Opened once, here, before anything is mounted: what is bound later is
		 * exactly what was checked now, whatever happens to the path. No symlink
		 * is followed anywhere in it: a user who replaces a directory of theirs
		 * (their workspace) by a symlink must not get what it points to bound. */
		int fd = -1;
		int r = !strcmp(m->source, "/")
				? ((fd = fcntl(host_root, F_DUPFD_CLOEXEC, 3)) < 0 ? -errno : 0)
				: open_existing(host_root, m->source, &fd);
		if (r < 0) {
			if (r == -ENOENT && m->optional) {
				p->prep[i].skip = true;
				continue;
			}
			return fail(
				reterr, -r, "mount-source", m->source,
				r == -ELOOP || r == -ENOTDIR
					? "a symlink is in the bind source's path (bind sources "
					  "must be symlink-free)"
					: "cannot open the bind source");
		}
		p->prep[i].src_fd = fd;
		struct stat st;
		if (fstat(fd, &st) < 0)
			return fail(reterr, errno, "mount-source", m->source, "fstat");
		if (S_ISLNK(st.st_mode))
			return fail(
				reterr, ELOOP, "mount-source", m->source,
				"the bind source is a symlink (bind sources must be symlink-free)");
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
			return fail(
				reterr, EINVAL, "mount-source", m->source,
				"only directories, regular files and char devices can be bound");
		/* --bind-fd: what is there now must be the file the caller's fd is. */
		if (m->source_id &&
		    ((uint64_t)st.st_dev != m->src_dev || (uint64_t)st.st_ino != m->src_ino))
			return fail(
				reterr, ESTALE, "mount-source", m->source,
				"not the file the fd named for it is any more (replaced since)");
		p->prep[i].src_is_dir = S_ISDIR(st.st_mode);
	}
	for (size_t i = 0; i < N_DEV_NODES; i++) {
		if (!p->need_dev && !(need_null && i == DEV_NULL_INDEX))
			continue;
		int r = open_host_dev(dev_nodes[i].name, dev_nodes[i].major, dev_nodes[i].minor,
				      &p->dev_fds[i], reterr);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(p);
	return 0;
}

/* ---- resolution beneath the new root ---------------------------------------------------- */

static bool have_openat2 = true;

/* openat2 beneath dirfd, following no symlink at all (nor a magic link). */
static int openat2_nofollow(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Opens one path component relative to dirfd, never following a symlink. */
static int open_component(int dirfd, const char *name, int flags)
{
	if (have_openat2) {
		int fd = openat2_nofollow(dirfd, name, flags);
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		have_openat2 = false;
	}
	/* A single component with O_NOFOLLOW is as strict: a symlink is not followed
	 * (O_PATH|O_NOFOLLOW on a symlink gives the link itself, and the callers
	 * check the type of what they got). */
	return openat(dirfd, name, flags | O_CLOEXEC | O_NOFOLLOW);
}

/*
 * The whole of `rel` (relative; a plain path: no "", "." or ".." component)
 * beneath dirfd in one openat2 call: the same resolution as the walk below (no
 * symlink followed anywhere, never out of dirfd), in one syscall instead of two
 * per component.
 * -1 with errno; ENOSYS (and the walk from then on) without openat2. Callers
 * take only a success from here and redo any failure the walk's way, which
 * gives the error (and creates what is missing) exactly as it always did.
 */
static int open_whole(int dirfd, const char *rel, int flags)
{
	if (!have_openat2) {
		errno = ENOSYS;
		return -1;
	}
	/* Only a plain path: RESOLVE_BENEATH lets a ".." that stays beneath through,
	 * where the walk refuses any (EXDEV), and the walk refuses an empty component. */
	for (const char *c = rel;; c++) {
		size_t n = strcspn(c, "/");
		if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) {
			errno = EINVAL;
			return -1;
		}
		c += n;
		if (!*c)
			break;
	}
	int fd = openat2_nofollow(dirfd, rel, flags);
	if (fd < 0 && errno == ENOSYS)
		have_openat2 = false;
	return fd;
}

/*
 * Walks the directory `path` (absolute, normalized; its first `len` bytes)
 * beneath rootfd one component at a time, creating missing directories with
 * mode `create` (none when 0): an O_PATH fd of it. -ELOOP when a component is a
 * symlink or not a directory.
 */
static int walk_dir(int rootfd, const char *path, size_t len, mode_t create, int *ret_fd)
{
	_cleanup_close_ int owned = -1;
	int cur = rootfd; /* borrowed until the first component is opened */
	const char *c = path + 1, *end = path + len;
	while (c < end) {
		const char *slash = memchr(c, '/', (size_t)(end - c));
		if (!slash)
			slash = end;
		char comp[256];
		size_t n = (size_t)(slash - c);
		if (n == 0 || n >= sizeof(comp))
			return -EINVAL;
		memcpy(comp, c, n);
		comp[n] = 0;
		int fd = open_component(cur, comp, O_PATH | O_DIRECTORY);
		if (fd < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, comp, create) < 0 && errno != EEXIST)
				return -errno;
			fd = open_component(cur, comp, O_PATH | O_DIRECTORY);
		}
		if (fd < 0)
			return errno == ENOTDIR ? -ELOOP : -errno;
		closep(&owned);
		cur = owned = fd;
		c = slash + 1;
	}
	if (owned < 0 && (owned = fcntl(rootfd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -errno;
	*ret_fd = TAKE_FD(owned);
	return 0;
}

/*
 * The resolver of the targets beneath the new root, with a one-entry cache of
 * the last parent directory resolved: consecutive targets in the same directory
 * (the /dev nodes, /dev/pts, /dev/shm; a profile's binds side by side) reuse its
 * fd instead of resolving the path again. On the caller's stack: the executor
 * keeps no state of its own (it may run in a CLONE_VM child).
 *
 * A cached fd stays what the path means until a mount is attached on the path or
 * on one of its ancestors: from then on the path leads into the new mount while
 * the fd still points at the directory it covers. So every attach goes through
 * rs_attaching() with its path, and drops the entry when that path is the cached
 * parent or an ancestor of it (a mount below it, or elsewhere, changes nothing
 * on the way to it). Nothing else changes what a path resolves to during the
 * build: the tree is private (no propagation), nothing is renamed or unmounted,
 * and no symlink is ever followed.
 */
struct resolver {
	int rootfd;            /* the new root (borrowed)                                 */
	int parent_fd;         /* the cached parent directory's O_PATH fd, or -1          */
	char parent[PATH_MAX]; /* its path, when parent_fd >= 0                     */
	mode_t pmode;          /* the mode of the parent directories created (the op's) */
};

static void rs_init(struct resolver *rs, int rootfd)
{
	rs->rootfd = rootfd;
	rs->parent_fd = -1;
	rs->parent[0] = 0;
	rs->pmode = 0755;
}

static void rs_done(struct resolver *rs)
{
	closep(&rs->parent_fd);
	rs->parent[0] = 0;
}

/* A mount is about to be attached at `path` (see struct resolver). */
static void rs_attaching(struct resolver *rs, const char *path)
{
	if (rs->parent_fd >= 0 && ag3_path_is_under(rs->parent, path))
		rs_done(rs);
}

/*
 * The parent directory of `path` (absolute, normalized) beneath the new root,
 * its missing directories created (mode rs->pmode) when `create` is set: a fd borrowed
 * from the resolver (valid until its next call), and the last component. One
 * openat2 on the whole parent path when it exists, none when it is the cached
 * one; component by component when it does not exist (or without openat2).
 */
static int rs_parent(struct resolver *rs, const char *path, bool create, int *ret_fd,
		     const char **ret_name)
{
	const char *last = strrchr(path, '/');
	if (path[0] != '/' || !last)
		return -EINVAL;
	size_t len = (size_t)(last - path);
	*ret_name = last + 1;
	if (len == 0) {
		*ret_fd = rs->rootfd;
		return 0;
	}
	if (len >= sizeof(rs->parent))
		return -ENAMETOOLONG;
	if (rs->parent_fd >= 0 && strlen(rs->parent) == len && !memcmp(rs->parent, path, len)) {
		*ret_fd = rs->parent_fd;
		return 0;
	}
	rs_done(rs);
	char *key = rs->parent;
	memcpy(key, path, len);
	key[len] = 0;
	int fd = open_whole(rs->rootfd, key + 1, O_PATH | O_DIRECTORY);
	if (fd < 0) {
		int r = walk_dir(rs->rootfd, key, len, create ? rs->pmode : 0, &fd);
		if (r < 0) {
			key[0] = 0;
			return r;
		}
	}
	*ret_fd = rs->parent_fd = fd;
	return 0;
}

/* Opens `path` (absolute, normalized, not "/") beneath rootfd, its parent by a walk. */
static int open_existing_walk(int rootfd, const char *path, int *ret)
{
	const char *last = strrchr(path, '/');
	if (path[0] != '/' || !last)
		return -EINVAL;
	_cleanup_close_ int parent = -1;
	int r = walk_dir(rootfd, path, (size_t)(last - path), 0, &parent);
	if (r < 0)
		return r;
	int fd = open_component(parent, last + 1, O_PATH);
	if (fd < 0)
		return -errno;
	*ret = fd;
	return 0;
}

/* Opens an existing path beneath rootfd without following symlinks (an O_PATH
 * fd: of the symlink itself when the last component is one); -ENOENT if absent. */
static int open_existing(int rootfd, const char *path, int *ret)
{
	int fd = path[0] == '/' && path[1] ? open_whole(rootfd, path + 1, O_PATH) : -1;
	if (fd >= 0) {
		*ret = fd;
		return 0;
	}
	return open_existing_walk(rootfd, path, ret);
}

/* The error a directory expected at parent/name that cannot be opened as one gets. */
static int not_a_dir(int parent, const char *name)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
}

enum target_kind { TARGET_DIR, TARGET_FILE };

/* Creates (if needed) and opens the mount point `path` as a directory or a file. */
static int open_target(struct resolver *rs, const char *path, enum target_kind kind, int *ret)
{
	int parent;
	const char *name;
	int r = rs_parent(rs, path, true, &parent, &name);
	if (r < 0)
		return r;
	int fd;
	if (kind == TARGET_DIR) {
		if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
			return -errno;
		/* O_DIRECTORY with no symlink followed: a directory, no fstat needed */
		fd = open_component(parent, name, O_PATH | O_DIRECTORY);
		if (fd < 0)
			return errno == ENOTDIR ? not_a_dir(parent, name) : -errno;
	} else {
		/* A file created here (O_EXCL: nothing was there, not even a symlink) is the
		 * regular file the mount goes on: its fd is the mount point. */
		fd = openat(parent, name, O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
			    0444);
		if (fd < 0 && errno != EEXIST)
			return -errno;
		if (fd < 0) {
			_cleanup_close_ int old = open_component(parent, name, O_PATH);
			struct stat st;
			if (old < 0 || fstat(old, &st) < 0)
				return -errno;
			if (S_ISLNK(st.st_mode))
				return -ELOOP; /* a symlink planted where a mount goes */
			if (S_ISDIR(st.st_mode))
				return -EISDIR;
			fd = TAKE_FD(old);
		}
	}
	*ret = fd;
	return 0;
}

/* open_existing, and -ELOOP when what is there is a symlink. */
static int open_existing_nolink(int rootfd, const char *path, int *ret)
{
	_cleanup_close_ int fd = -1;
	int r = open_existing(rootfd, path, &fd);
	if (r < 0)
		return r;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	*ret = TAKE_FD(fd);
	return 0;
}

int ag3_mounts_open_nofollow(const char *path, int *ret)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	if (!path[1]) {
		*ret = TAKE_FD(root);
		return 0;
	}
	return open_existing_nolink(root, path, ret);
}

int ag3_mounts_open_beneath_nofollow(int dirfd, const char *rel, int *ret)
{
	_cleanup_close_ int cur = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -errno;
	for (const char *c = rel; *c;) {
		const char *slash = strchrnul(c, '/');
		size_t n = (size_t)(slash - c);
		char comp[NAME_MAX + 1];
		if (n >= sizeof(comp))
			return -ENAMETOOLONG;
		memcpy(comp, c, n);
		comp[n] = 0;
		c = *slash ? slash + 1 : slash;
		if (!n || !strcmp(comp, "."))
			continue;
		if (!strcmp(comp, ".."))
			return -EXDEV;
		/* O_PATH|O_NOFOLLOW gives a symlink itself (openat2 and openat alike) */
		_cleanup_close_ int fd = open_component(cur, comp, O_PATH);
		struct stat st;
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) < 0)
			return -errno;
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (*c && !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		close(cur);
		cur = TAKE_FD(fd);
	}
	*ret = TAKE_FD(cur);
	return 0;
}

int ag3_mounts_open_dir_nofollow(const char *path, int *ret)
{
	_cleanup_close_ int fd = -1;
	if (path && path[0] == '/' && path[1]) {
		/* One openat2 with O_DIRECTORY proves it all (no symlink on the way nor at
		 * the end, a directory); any failure is redone below for its exact error. */
		_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (root >= 0 && (fd = open_whole(root, path + 1, O_PATH | O_DIRECTORY)) >= 0) {
			*ret = TAKE_FD(fd);
			return 0;
		}
	}
	int r = ag3_mounts_open_nofollow(path, &fd);
	if (r < 0)
		return r;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*ret = TAKE_FD(fd);
	return 0;
}

/* ---- mounting by fd ---------------------------------------------------------------------- */

static unsigned attrs_of(const struct ag3_mount *m)
{
	unsigned a = 0;
	if (m->ro)
		a |= MOUNT_ATTR_RDONLY;
	if (m->nosuid)
		a |= MOUNT_ATTR_NOSUID;
	if (m->nodev)
		a |= MOUNT_ATTR_NODEV;
	if (m->noexec)
		a |= MOUNT_ATTR_NOEXEC;
	return a;
}

/* The op's mode: `mode`, or `dflt` when it is 0 and not meant as 0. */
static mode_t mode_of(const struct ag3_mount *m, mode_t dflt)
{
	return m->mode || m->mode_set ? (mode_t)m->mode : dflt;
}

struct fs_opt {
	const char *key;
	const char *value; /* NULL: a flag */
};

/* A new, detached filesystem mount (fsopen/fsconfig/fsmount). */
static int new_fs(const char *type, const struct fs_opt *opts, size_t n_opts, unsigned attrs)
{
	_cleanup_close_ int fsfd = fsopen(type, FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	for (size_t i = 0; i < n_opts; i++) {
		int r = opts[i].value
				? fsconfig(fsfd, FSCONFIG_SET_STRING, opts[i].key, opts[i].value, 0)
				: fsconfig(fsfd, FSCONFIG_SET_FLAG, opts[i].key, NULL, 0);
		if (r < 0)
			return -errno;
	}
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	return mfd < 0 ? -errno : mfd;
}

/*
 * An overlayfs from the prepared directory fds (FSCONFIG_SET_FD: no path is
 * parsed, whatever characters the host's paths hold): lowers top first, then
 * the upper and work directories, or both on a fresh tmpfs of its own, or none
 * (read-only). Detached; the mount fd or -errno.
 */
static int new_overlay(const struct ag3_mount *m, const struct prepared *pr)
{
	_cleanup_close_ int fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return -errno;
	for (size_t k = 0; k < m->n_lowers; k++)
		if (fsconfig(fsfd, FSCONFIG_SET_FD, "lowerdir+", NULL, pr->ovl_fds[k]) < 0)
			return -errno;
	_cleanup_close_ int tmp = -1, up = -1, work = -1;
	if (m->source) {
		up = fcntl(pr->ovl_fds[m->n_lowers], F_DUPFD_CLOEXEC, 3);
		work = fcntl(pr->ovl_fds[m->n_lowers + 1], F_DUPFD_CLOEXEC, 3);
		if (up < 0 || work < 0)
			return -errno;
	} else if (!m->ro) {
		const struct fs_opt opts[] = {{"mode", "755"}};
		if ((tmp = new_fs("tmpfs", opts, ELEMENTSOF(opts), 0)) < 0)
			return tmp;
		if (mkdirat(tmp, "upper", 0755) < 0 || mkdirat(tmp, "work", 0755) < 0)
			return -errno;
		up = openat(tmp, "upper", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		work = openat(tmp, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (up < 0 || work < 0)
			return -errno;
	}
	if (up >= 0 && (fsconfig(fsfd, FSCONFIG_SET_FD, "upperdir", NULL, up) < 0 ||
			fsconfig(fsfd, FSCONFIG_SET_FD, "workdir", NULL, work) < 0))
		return -errno;
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;
	int mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, attrs_of(m));
	return mfd < 0 ? -errno : mfd;
}

/*
 * Kernels 5.2 to 5.11 have open_tree and move_mount but not mount_setattr.
 * There, a cloned tree is attached first and its flags are then set with the
 * legacy MS_REMOUNT | MS_BIND on each mount of the attached tree, through
 * /proc/self/fd (the host's proc, still reachable until pivot_root).
 */
static bool have_mount_setattr = true;
static char staging_path[64];

/* The flags a legacy bind remount must keep (locked ones included) plus `attrs`. */
static int legacy_remount_fd(int fd, unsigned attrs)
{
	struct statvfs sv;
	if (fstatvfs(fd, &sv) < 0)
		return -errno;
	unsigned long fl = MS_REMOUNT | MS_BIND;
	const struct {
		unsigned long st, ms;
		unsigned attr;
	} map[] = {
		{ST_RDONLY, MS_RDONLY, MOUNT_ATTR_RDONLY},
		{ST_NOSUID, MS_NOSUID, MOUNT_ATTR_NOSUID},
		{ST_NODEV, MS_NODEV, MOUNT_ATTR_NODEV},
		{ST_NOEXEC, MS_NOEXEC, MOUNT_ATTR_NOEXEC},
		{ST_NOATIME, MS_NOATIME, 0},
		{ST_NODIRATIME, MS_NODIRATIME, 0},
		{ST_RELATIME, MS_RELATIME, 0},
	};
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if ((sv.f_flag & map[i].st) || (attrs & map[i].attr))
			fl |= map[i].ms;
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	if (mount(NULL, p, NULL, fl, NULL) < 0)
		return -errno;
	return 0;
}

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
}

/* Sets `attrs` on the mount now at `path` (beneath the root) and, when
 * `recursive`, on every mount below it: the legacy equivalent of
 * mount_setattr(AT_RECURSIVE). */
static int legacy_setattr_path(int rootfd, const char *path, unsigned attrs, bool recursive)
{
	_cleanup_close_ int top = -1;
	int r = open_existing(rootfd, path, &top);
	if (r < 0)
		return r;
	if ((r = legacy_remount_fd(top, attrs)) < 0 || !recursive)
		return r;
	char full[4200];
	snprintf(full, sizeof(full), "%s%s/", staging_path, path);
	size_t flen = strlen(full);
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -errno;
	char line[8192];
	while (fgets(line, sizeof(line), f)) {
		char mp[4200];
		/* id parent maj:min root mountpoint ... */
		if (sscanf(line, "%*s %*s %*s %*s %4199s", mp) != 1)
			continue;
		unescape_octal(mp);
		if (strncmp(mp, full, flen) != 0)
			continue;
		_cleanup_close_ int fd = open(mp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if ((r = legacy_remount_fd(fd, attrs)) < 0)
			return r;
	}
	return 0;
}

/* A detached clone of what `src_fd` refers to, with `attrs` set on the whole tree
 * (or pending until attach_at, on kernels without mount_setattr). */
static int clone_tree(int src_fd, unsigned attrs)
{
	_cleanup_close_ int tree = open_tree(
		src_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return -errno;
	if (have_mount_setattr) {
		struct mount_attr attr = {.attr_set = attrs, .propagation = MS_PRIVATE};
		if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) <
		    0) {
			if (errno != ENOSYS)
				return -errno;
			have_mount_setattr = false;
		}
	}
	return TAKE_FD(tree);
}

/* Attaches a detached mount at target_fd, the mount point `path`: every attach goes
 * through here, and tells the resolver. */
static int attach(struct resolver *rs, int tree_fd, int target_fd, const char *path)
{
	rs_attaching(rs, path);
	if (move_mount(tree_fd, "", target_fd, "",
		       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

/* attach() for a tree from clone_tree(): applies its attrs if they are still pending. */
static int attach_at(struct resolver *rs, int tree_fd, int target_fd, const char *path,
		     unsigned attrs)
{
	int r = attach(rs, tree_fd, target_fd, path);
	if (r < 0 || have_mount_setattr || !attrs)
		return r;
	return legacy_setattr_path(rs->rootfd, path, attrs, true);
}

/* Sets `attrs` on the mount of `mnt_fd` (that one, not those below it). */
static int set_attrs(int mnt_fd, unsigned attrs)
{
	if (have_mount_setattr) {
		struct mount_attr attr = {.attr_set = attrs};
		if (mount_setattr(mnt_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
			return 0;
		if (errno != ENOSYS)
			return -errno;
		have_mount_setattr = false;
	}
	return legacy_remount_fd(mnt_fd, attrs);
}

static int set_ro(int mnt_fd)
{
	return set_attrs(mnt_fd, MOUNT_ATTR_RDONLY);
}

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* chmod of what the O_PATH fd `fd` is (never a symlink: the callers checked). */
static int chmod_fd(int fd, mode_t mode)
{
	if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS)
		return -errno;
	/* Before Linux 6.6: through the fd's magic link (the host's /proc, still reachable
	 * before pivot_root), which names the fd's own inode. */
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	return chmod(p, mode) < 0 ? -errno : 0;
}

/* The mount id of `fd`'s mount, from /proc/self/fdinfo (kernels before statx's
 * STATX_ATTR_MOUNT_ROOT). */
static int fd_mnt_id(int fd, long *ret)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	_cleanup_fclose_ FILE *f = fopen(p, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "mnt_id: %ld", ret) == 1)
			return 0;
	return -ENOTSUP;
}

/* 0 when `fd` (in the directory `parent`) is the root of a mount, -EINVAL when it
 * is not. */
static int is_mount_root(int fd, int parent)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
		return -errno;
	if (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)
		return stx.stx_attributes & STATX_ATTR_MOUNT_ROOT ? 0 : -EINVAL;
	long a, b;
	int r;
	if ((r = fd_mnt_id(fd, &a)) < 0 || (r = fd_mnt_id(parent, &b)) < 0)
		return r;
	return a != b ? 0 : -EINVAL;
}

static void size_opt(char *buf, size_t len, uint64_t size, uint64_t dflt)
{
	snprintf(buf, len, "%llu", (unsigned long long)(size ? size : dflt));
}

#define DEFAULT_TMPFS_SIZE (64ull << 20)
#define DEFAULT_SHM_SIZE (64ull << 20)
/*
 * The ptys one sandbox may hold at once (its devpts instance's max=). The kernel's
 * pool (kernel.pty.max, 4096 by default, of which kernel.pty.reserve, 1024, is kept
 * for the host's own devpts) is shared by every devpts instance: without a bound
 * one sandbox could take all of it and another's posix_openpt would fail ENOSPC.
 */
#define DEV_PTS_MAX "64"

static int mount_tmpfs_at(struct resolver *rs, int target_fd, const char *path, uint64_t size,
			  uint32_t mode, unsigned attrs)
{
	char sz[32], md[16];
	size_opt(sz, sizeof(sz), size, DEFAULT_TMPFS_SIZE);
	snprintf(md, sizeof(md), "%o", mode);
	const struct fs_opt opts[] = {{"size", sz}, {"mode", md}};
	_cleanup_close_ int mfd = new_fs("tmpfs", opts, ELEMENTSOF(opts), attrs);
	if (mfd < 0)
		return mfd;
	return attach(rs, mfd, target_fd, path);
}

static int create_symlink(struct resolver *rs, const char *target, const char *text)
{
	int parent;
	const char *name;
	int r = rs_parent(rs, target, true, &parent, &name);
	if (r < 0)
		return r;
	if (symlinkat(text, parent, name) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	char buf[4096];
	ssize_t n = readlinkat(parent, name, buf, sizeof(buf) - 1);
	if (n < 0)
		return -EEXIST;
	buf[n] = 0;
	return strcmp(buf, text) == 0 ? 0 : -EEXIST;
}

#define WHERE_MAX 4200 /* a target and one component below it, as error paths */

static int build_dev(struct ag3_mounts_plan *plan, struct resolver *rs, const struct ag3_mount *m,
		     char *where, const char **ret_path, struct ag3_error **reterr)
{
	_cleanup_close_ int devfd = -1;
	int r = open_target(rs, m->target, TARGET_DIR, &devfd);
	*ret_path = m->target;
	if (r < 0)
		return r;
	char sz[32];
	size_opt(sz, sizeof(sz), m->size, 1 << 20);
	const struct fs_opt opts[] = {{"size", sz}, {"mode", "755"}};
	_cleanup_close_ int devmnt =
		new_fs("tmpfs", opts, ELEMENTSOF(opts), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (devmnt < 0)
		return devmnt;
	/* Attach, then work beneath the attached mount's root (the targets below are
	 * resolved by path from the root, after the attach: into it). devmnt stays the
	 * attached mount, made read-only at the end. */
	if ((r = attach(rs, devmnt, devfd, m->target)) < 0)
		return r;

	for (size_t i = 0; i < N_DEV_NODES; i++) {
		snprintf(where, WHERE_MAX, "%s/%s", m->target, dev_nodes[i].name);
		*ret_path = where;
		_cleanup_close_ int node = -1;
		if ((r = open_target(rs, where, TARGET_FILE, &node)) < 0)
			return r;
		_cleanup_close_ int tree =
			clone_tree(plan->dev_fds[i], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
		if (tree < 0)
			return tree;
		if ((r = attach_at(rs, tree, node, where, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC)) <
		    0)
			return r;
	}

	snprintf(where, WHERE_MAX, "%s/pts", m->target);
	*ret_path = where;
	_cleanup_close_ int pts = -1;
	if ((r = open_target(rs, where, TARGET_DIR, &pts)) < 0)
		return r;
	/* A new instance (every devpts mount is one since Linux 4.7); /dev/ptmx points
	 * at its own ptmx (0666); new slaves are 0620, owned by their opener's uid and
	 * gid (no gid=: a tty group is not mapped in a user namespace). */
	const struct fs_opt pts_opts[] = {
		{"ptmxmode", "0666"}, {"mode", "0620"}, {"max", DEV_PTS_MAX}};
	_cleanup_close_ int ptsmnt = new_fs("devpts", pts_opts, ELEMENTSOF(pts_opts),
					    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (ptsmnt < 0)
		return ptsmnt;
	if ((r = attach(rs, ptsmnt, pts, where)) < 0)
		return r;

	snprintf(where, WHERE_MAX, "%s/shm", m->target);
	_cleanup_close_ int shm = -1;
	if ((r = open_target(rs, where, TARGET_DIR, &shm)) < 0)
		return r;
	if ((r = mount_tmpfs_at(rs, shm, where, DEFAULT_SHM_SIZE, 01777,
				MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) < 0)
		return r;

	static const struct {
		const char *name, *text;
	} links[] = {
		{"ptmx", "pts/ptmx"},          {"fd", "/proc/self/fd"},
		{"stdin", "/proc/self/fd/0"},  {"stdout", "/proc/self/fd/1"},
		{"stderr", "/proc/self/fd/2"},
	};
	for (size_t i = 0; i < ELEMENTSOF(links) + m->dev_core; i++) {
		const bool core = i == ELEMENTSOF(links);
		snprintf(where, WHERE_MAX, "%s/%s", m->target, core ? "core" : links[i].name);
		if ((r = create_symlink(rs, where, core ? "/proc/kcore" : links[i].text)) < 0)
			return r;
	}
	*ret_path = m->target;
	/* Nothing more is created in /dev: its tmpfs becomes read-only (pts and shm stay). */
	return set_ro(devmnt);
}

/*
 * Entries of a new proc that expose the host or act on it. The command is never
 * root and holds no capability, so root-only entries (kcore, kmsg, kpage*...)
 * are already closed to it; these are masked anyway where reading or writing
 * them would matter if that ever changed, or where they leak to anyone.
 */
const char *const ag3_proc_masked[] = {
	"kcore",     "sysrq-trigger", "kmsg", "timer_list", "sched_debug", "keys",
	"key-users", "latency_stats", "acpi", "asound",     "scsi",        "timer_stats",
	NULL,
};
/* The kernel's tuning knobs: read-only. */
const char *const ag3_proc_readonly[] = {"sys", "irq", "bus", "fs", NULL};

/*
 * Masks the host-revealing entries of a freshly attached proc (/dev/null over a
 * file, an empty read-only tmpfs over a directory) and makes the kernel-tuning
 * trees read-only, each resolved beneath the proc mount without symlinks.
 */
static int harden_proc(int devnull_fd, struct resolver *rs, int procfd, const char *target,
		       char *where, const char **ret_path)
{
	int r;
	for (size_t i = 0; ag3_proc_masked[i]; i++) {
		snprintf(where, WHERE_MAX, "%s/%s", target, ag3_proc_masked[i]);
		*ret_path = where;
		_cleanup_close_ int fd = open_component(procfd, ag3_proc_masked[i], O_PATH);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		struct stat st;
		if (fstat(fd, &st) < 0)
			return -errno;
		if (S_ISDIR(st.st_mode)) {
			r = mount_tmpfs_at(rs, fd, where, 4096, 0,
					   MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						   MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
		} else {
			const unsigned a =
				MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
			_cleanup_close_ int tree = clone_tree(devnull_fd, a);
			r = tree < 0 ? tree : attach_at(rs, tree, fd, where, a);
		}
		if (r < 0)
			return r;
	}
	for (size_t i = 0; ag3_proc_readonly[i]; i++) {
		snprintf(where, WHERE_MAX, "%s/%s", target, ag3_proc_readonly[i]);
		*ret_path = where;
		_cleanup_close_ int fd = open_component(procfd, ag3_proc_readonly[i], O_PATH);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		/* A read-only bind of the entry onto itself. */
		const unsigned a = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				   MOUNT_ATTR_NOEXEC;
		_cleanup_close_ int tree = clone_tree(fd, a);
		if (tree < 0)
			return tree;
		if ((r = attach_at(rs, tree, fd, where, a)) < 0)
			return r;
	}
	*ret_path = target;
	return 0;
}

/*
 * A file of the runtime's over what is at parent/name (the host's /etc/resolv.conf
 * in a read-only bind of /etc): the file is made in a small tmpfs of its own and
 * that one file is mounted over the target, read-only. A directory there is an
 * error; a symlink is replaced by the file (the mount is on the link itself, not
 * on what it points to).
 */
static int file_over(struct resolver *rs, int parent, const char *name, const struct ag3_mount *m)
{
	_cleanup_close_ int target = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target < 0)
		return -errno;
	struct stat st;
	if (fstat(target, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	const struct fs_opt opts[] = {{"size", "16384"}, {"mode", "0755"}, {"nr_inodes", "4"}};
	_cleanup_close_ int mfd = new_fs("tmpfs", opts, ELEMENTSOF(opts),
					 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mfd < 0)
		return mfd;
	_cleanup_close_ int fd =
		openat(mfd, "f", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode_of(m, 0444));
	if (fd < 0)
		return -errno;
	size_t len = strlen(m->content), off = 0;
	while (off < len) {
		ssize_t w = write(fd, m->content + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	const unsigned a =
		MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	_cleanup_close_ int file = openat(mfd, "f", O_PATH | O_CLOEXEC);
	if (file < 0)
		return -errno;
	_cleanup_close_ int tree = clone_tree(file, a);
	if (tree < 0)
		return tree;
	return attach_at(rs, tree, target, m->target, a);
}

/*
 * Whether the directory that holds op i's target is a host directory: the last
 * op before it mounting at or above that directory is a bind or an overlay (a
 * tmpfs, or none, the root tmpfs: the runtime's own). A file of the runtime's
 * (`overlay`) is never made there: it would be left on the host, in a directory
 * the command may write, where the command could replace it.
 */
static bool mounts_something(const struct ag3_mount *m);

static bool parent_on_host(const struct ag3_mounts_plan *plan, size_t i)
{
	const char *t = plan->ops[i].target, *last = strrchr(t, '/');
	char dir[PATH_MAX];
	size_t len = last ? (size_t)(last - t) : 0;
	if (len >= sizeof(dir))
		return true;
	memcpy(dir, t, len);
	strcpy(dir + len, len ? "" : "/");
	const struct ag3_mount *cover = NULL;
	for (size_t j = 0; j < i; j++) {
		const struct ag3_mount *o = &plan->ops[j];
		if (mounts_something(o) && !(o->op == AG3_MOUNT_BIND && plan->prep[j].skip) &&
		    ag3_path_is_under(dir, o->target))
			cover = o;
	}
	return cover && (cover->op == AG3_MOUNT_BIND || cover->op == AG3_MOUNT_OVERLAY);
}

static int do_op(struct ag3_mounts_plan *plan, size_t i, struct resolver *rs, char *where,
		 const char **ret_path, struct ag3_error **reterr)
{
	const struct ag3_mount *m = &plan->ops[i];
	_cleanup_close_ int target = -1;
	int r;
	*ret_path = m->target;

	switch (m->op) {
	case AG3_MOUNT_BIND: {
		if (plan->prep[i].skip)
			return 0;
		r = open_target(rs, m->target, plan->prep[i].src_is_dir ? TARGET_DIR : TARGET_FILE,
				&target);
		if (r < 0)
			return r;
		_cleanup_close_ int tree = clone_tree(plan->prep[i].src_fd, attrs_of(m));
		if (tree < 0)
			return tree;
		return attach_at(rs, tree, target, m->target, attrs_of(m));
	}
	case AG3_MOUNT_TMPFS: {
		if ((r = open_target(rs, m->target, TARGET_DIR, &target)) < 0)
			return r;
		if (!m->ro)
			return mount_tmpfs_at(rs, target, m->target, m->size, mode_of(m, 0755),
					      attrs_of(m));
		/* Writable until the end of the build, so later mounts can go inside it. */
		char sz[32], md[16];
		size_opt(sz, sizeof(sz), m->size, DEFAULT_TMPFS_SIZE);
		snprintf(md, sizeof(md), "%o", mode_of(m, 0755));
		const struct fs_opt opts[] = {{"size", sz}, {"mode", md}};
		int mfd = new_fs("tmpfs", opts, ELEMENTSOF(opts), attrs_of(m) & ~MOUNT_ATTR_RDONLY);
		if (mfd < 0)
			return mfd;
		if ((r = attach(rs, mfd, target, m->target)) < 0) {
			close(mfd);
			return r;
		}
		plan->ro_later[plan->n_ro_later++] = mfd;
		return 0;
	}
	case AG3_MOUNT_PROC: {
		if ((r = open_target(rs, m->target, TARGET_DIR, &target)) < 0)
			return r;
		_cleanup_close_ int mfd = new_fs("proc", NULL, 0, attrs_of(m));
		if (mfd < 0)
			return mfd;
		if ((r = attach(rs, mfd, target, m->target)) < 0)
			return r;
		return harden_proc(plan->dev_fds[DEV_NULL_INDEX], rs, mfd, m->target, where,
				   ret_path);
	}
	case AG3_MOUNT_DEV:
		return build_dev(plan, rs, m, where, ret_path, reterr);
	case AG3_MOUNT_OVERLAY: {
		if ((r = open_target(rs, m->target, TARGET_DIR, &target)) < 0)
			return r;
		_cleanup_close_ int mfd = new_overlay(m, &plan->prep[i]);
		if (mfd < 0)
			return mfd;
		return attach(rs, mfd, target, m->target);
	}
	case AG3_MOUNT_DIR: {
		int parent;
		const char *name;
		if ((r = rs_parent(rs, m->target, true, &parent, &name)) < 0)
			return r;
		if (mkdirat(parent, name, mode_of(m, 0755)) == 0)
			return 0; /* a directory, just made */
		if (errno != EEXIST)
			return -errno;
		/* Something was there: a directory is fine, a symlink or a file is not. */
		struct stat st;
		if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		return S_ISLNK(st.st_mode) ? -ELOOP : S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	}
	case AG3_MOUNT_SYMLINK:
		return create_symlink(rs, m->target, m->source);
	case AG3_MOUNT_MASK: {
		r = open_existing(rs->rootfd, m->target, &target);
		if (r == -ENOENT)
			return 0; /* nothing there to hide */
		if (r < 0)
			return r;
		struct stat st;
		if (fstat(target, &st) < 0)
			return -errno;
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (S_ISDIR(st.st_mode))
			return mount_tmpfs_at(rs, target, m->target, 4096, 0,
					      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
						      MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
		const unsigned a = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
		_cleanup_close_ int tree = clone_tree(plan->dev_fds[DEV_NULL_INDEX], a);
		if (tree < 0)
			return tree;
		return attach_at(rs, tree, target, m->target, a);
	}
	case AG3_MOUNT_FILE: {
		int parent;
		const char *name;
		if ((r = rs_parent(rs, m->target, true, &parent, &name)) < 0)
			return r;
		if (m->overlay && parent_on_host(plan, i)) {
			/* over what the host has there, or not at all */
			r = file_over(rs, parent, name, m);
			if (r == -ENOENT) {
				char what[512];
				snprintf(what, sizeof(what),
					 "a file of the runtime's (%s) is mounted over what the "
					 "host directory at its parent holds, and that has none: "
					 "the runtime writes nothing into host directories",
					 m->origin ? m->origin : "generated");
				return fail(reterr, ENOENT, "mount", m->target, what);
			}
			return r;
		}
		_cleanup_close_ int fd =
			openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			       mode_of(m, 0644));
		if (fd < 0 && (errno == EEXIST || errno == EROFS) && m->overlay)
			return file_over(rs, parent, name, m);
		if (fd < 0)
			return -errno;
		size_t len = strlen(m->content), off = 0;
		while (off < len) {
			ssize_t w = write(fd, m->content + off, len - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			off += (size_t)w;
		}
		if ((m->mode || m->mode_set) && fchmod(fd, m->mode) < 0)
			return -errno;
		return 0;
	}
	case AG3_MOUNT_CHMOD:
	case AG3_MOUNT_REMOUNT_RO: {
		/* What is at the target, no symlink followed on the way nor at the end. */
		int fd = rs->rootfd;
		if (strcmp(m->target, "/")) {
			if ((r = open_existing_nolink(rs->rootfd, m->target, &target)) < 0)
				return r;
			fd = target;
		}
		if (m->op == AG3_MOUNT_CHMOD)
			return chmod_fd(fd, m->mode);
		/* That mount only (the one whose root is there), as bwrap's --remount-ro. */
		int parent;
		const char *name;
		if (fd != rs->rootfd &&
		    ((r = rs_parent(rs, m->target, false, &parent, &name)) < 0 ||
		     (r = is_mount_root(fd, parent)) < 0))
			return r;
		return set_attrs(fd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	}
	case AG3_MOUNT_MQUEUE: {
		if ((r = open_target(rs, m->target, TARGET_DIR, &target)) < 0)
			return r;
		_cleanup_close_ int mfd = new_fs("mqueue", NULL, 0, attrs_of(m));
		if (mfd < 0)
			return mfd;
		return attach(rs, mfd, target, m->target);
	}
	default:
		return -EINVAL;
	}
}

/*
 * Pins the directories between a writable bind and a mount nested in it (a
 * mask, a tmpfs, another bind): each becomes a mount point of itself, so the
 * sandbox cannot rename it (EBUSY). Without this a command could `mv` a parent
 * of a mask inside /workspace and carry the mask away with it: in the sandbox
 * the hidden file is still hidden, but on the host it now sits at a path no
 * mask names, where the next sandbox shows it and the file tools' resolver
 * (which reads the mount table from the spec) hands it out. A recursive clone
 * of the directory, attached onto it, keeps everything mounted beneath it, each
 * mount with its own flags. Shallower directories first, each once.
 */
static bool mounts_something(const struct ag3_mount *m)
{
	return m->op != AG3_MOUNT_DIR && m->op != AG3_MOUNT_FILE && m->op != AG3_MOUNT_SYMLINK &&
	       m->op != AG3_MOUNT_CHMOD && m->op != AG3_MOUNT_REMOUNT_RO;
}

static int pin_nested(struct ag3_mounts_plan *plan, struct resolver *rs, char *dir,
		      const char **ret_path)
{
	/* the directories pinned so far: their op index and length (a prefix of its target) */
	_cleanup_free_ size_t *pin_op = NULL, *pin_len = NULL;
	size_t n_pins = 0, cap = 0;
	for (size_t depth = 1;; depth++) {
		bool deeper = false;
		for (size_t j = 0; j < plan->n_ops; j++) {
			const struct ag3_mount *m = &plan->ops[j];
			if (!mounts_something(m) || (m->op == AG3_MOUNT_BIND && plan->prep[j].skip))
				continue;
			/* the last writable directory bind before it that holds it */
			const struct ag3_mount *b = NULL;
			for (size_t i = 0; i < j; i++) {
				const struct ag3_mount *o = &plan->ops[i];
				if (o->op == AG3_MOUNT_BIND && !o->ro && !plan->prep[i].skip &&
				    plan->prep[i].src_is_dir && strcmp(o->target, m->target) &&
				    ag3_path_is_under(m->target, o->target))
					b = o;
			}
			if (!b)
				continue;
			/* the depth-th directory below b's target on the way to m's */
			const char *p =
				m->target + (strcmp(b->target, "/") ? strlen(b->target) : 0);
			size_t k = 0;
			while (k < depth && *p == '/') {
				const char *next = strchr(p + 1, '/');
				if (!next)
					break; /* m's own target: a mount point already */
				p = next;
				k++;
			}
			if (k < depth)
				continue;
			deeper = true;
			size_t len = (size_t)(p - m->target);
			if (len >= PATH_MAX)
				return -ENAMETOOLONG;
			memcpy(dir, m->target, len);
			dir[len] = 0;
			bool done = false;
			for (size_t x = 0; x < plan->n_ops && !done; x++)
				done = mounts_something(&plan->ops[x]) &&
				       !strcmp(plan->ops[x].target, dir);
			for (size_t x = 0; x < n_pins && !done; x++)
				done = pin_len[x] == len &&
				       !strncmp(plan->ops[pin_op[x]].target, dir, len);
			if (done)
				continue;
			if (n_pins == cap) {
				size_t nc = cap ? cap * 2 : 8;
				size_t *a = realloc(pin_op, nc * sizeof(*a));
				if (!a)
					return -ENOMEM;
				pin_op = a;
				if (!(a = realloc(pin_len, nc * sizeof(*a))))
					return -ENOMEM;
				pin_len = a;
				cap = nc;
			}
			pin_op[n_pins] = j;
			pin_len[n_pins++] = len;
			*ret_path = dir;
			_cleanup_close_ int fd = -1;
			int r = open_existing(rs->rootfd, dir, &fd);
			if (r == -ENOENT)
				continue; /* the nested op made nothing there (an absent mask) */
			if (r < 0)
				return r;
			struct stat st;
			if (fstat(fd, &st) < 0)
				return -errno;
			if (!S_ISDIR(st.st_mode))
				return S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;
			_cleanup_close_ int tree = clone_tree(fd, 0);
			if (tree < 0)
				return tree;
			if ((r = attach(rs, tree, fd, dir)) < 0)
				return r;
		}
		if (!deeper)
			return 0;
	}
}

/* Where the new root is attached before pivot_root: covered, in our private namespace. */
static const char *const staging_dirs[] = {"/tmp", "/mnt", "/run", "/var/tmp"};

int ag3_mounts_enter(struct ag3_mounts_plan *plan, struct ag3_error **reterr)
{
	int r;
	/* Nothing we mount propagates back to the host, nothing from the host propagates in. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(reterr, errno, "mount", "/", "making the mount tree private");

	/* The root: a small tmpfs holding only mount points, or, when the first op
	 * binds something at "/", that (bwrap's --bind / /). */
	const bool root_bind = plan->n_ops && plan->ops[0].op == AG3_MOUNT_BIND &&
			       !strcmp(plan->ops[0].target, "/") && !plan->prep[0].skip;
	const struct fs_opt root_opts[] = {{"size", "16777216"}, {"mode", "755"}};
	_cleanup_close_ int rootmnt =
		root_bind ? clone_tree(plan->prep[0].src_fd, attrs_of(&plan->ops[0]))
			  : new_fs("tmpfs", root_opts, ELEMENTSOF(root_opts),
				   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (rootmnt < 0)
		return fail(reterr, -rootmnt, "mount", "/",
			    root_bind ? "cloning the root's bind source"
				      : "creating the root tmpfs");
	/* Not inside a bind's source: the bind is a recursive clone, and would carry
	 * the new root staged there along with it (bwrap's --bind /tmp /tmp). */
	const char *staging = NULL;
	for (size_t i = 0; i < ELEMENTSOF(staging_dirs) && !staging; i++) {
		struct stat st;
		bool inside = false;
		for (size_t k = root_bind ? 1 : 0; k < plan->n_ops && !inside; k++) {
			const struct ag3_mount *m = &plan->ops[k];
			inside = m->op == AG3_MOUNT_BIND &&
				 ag3_path_is_under(staging_dirs[i], m->source);
		}
		if (!inside && lstat(staging_dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			staging = staging_dirs[i];
	}
	if (!staging)
		return fail(reterr, ENOENT, "mount", "/tmp",
			    "no directory to stage the new root on (/tmp, /mnt, /run, /var/tmp)");
	if (move_mount(rootmnt, "", AT_FDCWD, staging, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return fail(reterr, errno, "mount", staging, "attaching the new root");
	snprintf(staging_path, sizeof(staging_path), "%s", staging);

	char where[WHERE_MAX];
	struct resolver rs;
	rs_init(&rs, rootmnt);
	/* The modes the ops give are the modes things get (as bwrap's umask 0). */
	const mode_t old_umask = umask(0);
	for (size_t i = root_bind ? 1 : 0; i < plan->n_ops; i++) {
		const char *path = plan->ops[i].target;
		rs.pmode = plan->ops[i].parent_mode ? plan->ops[i].parent_mode : 0755;
		r = do_op(plan, i, &rs, where, &path, reterr);
		rs.pmode = 0755;
		if (r < 0) {
			umask(old_umask);
			/* A symlink op that met something else there: say what. */
			char conflict[4200] = "";
			if (r == -EEXIST && plan->ops[i].op == AG3_MOUNT_SYMLINK) {
				int parent;
				const char *name;
				char link[4096];
				ssize_t n = -1;
				if (rs_parent(&rs, plan->ops[i].target, false, &parent, &name) == 0)
					n = readlinkat(parent, name, link, sizeof(link) - 1);
				if (n >= 0)
					snprintf(conflict, sizeof(conflict),
						 ": existing destination is %.*s", (int)n, link);
				else
					snprintf(conflict, sizeof(conflict),
						 ": destination exists and is not a symlink");
			}
			rs_done(&rs);
			if (reterr && *reterr)
				return r;
			char what[4400];
			snprintf(what, sizeof(what), "%s%s%s (from %s)",
				 ag3_mount_op_to_string(plan->ops[i].op),
				 plan->ops[i].source ? " of " : "",
				 plan->ops[i].source ? plan->ops[i].source : "",
				 plan->ops[i].origin ? plan->ops[i].origin : "the spec");
			if (r == -ELOOP)
				strncat(what, ": a symlink is in the way",
					sizeof(what) - strlen(what) - 1);
			if (r == -EINVAL && plan->ops[i].op == AG3_MOUNT_REMOUNT_RO)
				strncat(what, ": not a mount point",
					sizeof(what) - strlen(what) - 1);
			strncat(what, conflict, sizeof(what) - strlen(what) - 1);
			return fail(reterr, -r, "mount", path, what);
		}
	}
	umask(old_umask);
	char pin_dir[PATH_MAX];
	const char *pin_path = "/";
	if ((r = pin_nested(plan, &rs, pin_dir, &pin_path)) < 0) {
		rs_done(&rs);
		return fail(reterr, -r, "mount", pin_path,
			    "pinning a directory that holds a mount inside a writable bind");
	}
	rs_done(&rs);
	for (size_t i = 0; i < plan->n_ro_later; i++)
		if ((r = set_ro(plan->ro_later[i])) < 0)
			return fail(reterr, -r, "mount", "/", "making a read-only tmpfs read-only");
	/* The root holds only mount points: read-only from here on (a bound root keeps
	 * its bind's own flags). */
	if (!root_bind && (r = set_ro(rootmnt)) < 0)
		return fail(reterr, -r, "mount", "/", "making the root read-only");

	if (fchdir(rootmnt) < 0)
		return fail(reterr, errno, "pivot_root", "/", "fchdir to the new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail(reterr, errno, "pivot_root", "/", "pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return fail(reterr, errno, "pivot_root", "/", "detaching the old root");
	if (chdir("/") < 0)
		return fail(reterr, errno, "pivot_root", "/", "chdir /");
	return 0;
}

/*
 * Whether `fd` (a renewal's target) is still what the session's build mounted
 * there: the root of a mount of filesystem `magic`. The targets are resolved by
 * path in a tree the session's commands share: beneath a writable mount (a spec
 * can put /proc there; a profile cannot), one command can rename a parent away,
 * the session's mount with it, and leave a directory of its own at the path; the
 * next command's mount would land on that directory while the session's /proc
 * (every command's processes) or /dev/pts (every command's ptys) stayed in view
 * elsewhere. A directory a command made is never a mount root: refused.
 */
static int is_session_mount(int fd, long magic)
{
	struct statfs sf;
	struct stat st, up;
	if (fstatfs(fd, &sf) < 0 || fstat(fd, &st) < 0)
		return -errno;
	_cleanup_close_ int parent = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0 || fstat(parent, &up) < 0)
		return -errno;
	return (long)sf.f_type == magic && st.st_dev != up.st_dev ? 0 : -EXDEV;
}

#define NOT_THE_SESSIONS(what)                                                                     \
	"not the session's own " what " mount any more (a directory of the path was moved, by "    \
	"a command of the session?): refused"

/*
 * A session's command gets a /proc and a /dev/pts of its own (see executor.h):
 * a new proc of its pid namespace, hardened as the first, and a new devpts
 * instance, each attached over the session's, in the command's own mount
 * namespace. The targets are resolved beneath "/" without following links.
 */
int ag3_mounts_renew(const struct ag3_mount *ops, size_t n_ops, struct ag3_error **reterr)
{
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return fail(reterr, errno, "mount", "/", "opening the root");
	int r;
	char where[WHERE_MAX];
	/* The targets are opened by open_existing (nothing is cached); the resolver
	 * only carries the root to the attach helpers. */
	struct resolver rs;
	rs_init(&rs, rootfd);
	for (size_t i = 0; i < n_ops; i++) {
		const struct ag3_mount *m = &ops[i];
		const char *path = m->target;
		char pts[4200];
		_cleanup_close_ int target = -1;
		if (m->op == AG3_MOUNT_PROC) {
			if ((r = open_existing(rootfd, m->target, &target)) < 0)
				return fail(reterr, -r, "mount", path, "the session's /proc");
			if ((r = is_session_mount(target, PROC_SUPER_MAGIC)) < 0)
				return fail(reterr, -r, "mount", path, NOT_THE_SESSIONS("proc"));
			_cleanup_close_ int devnull = -1;
			if ((r = open_existing(rootfd, "/dev/null", &devnull)) < 0) {
				/* no /dev of ours: the host's null node is not reachable either */
				return fail(reterr, -r, "mount", "/dev/null",
					    "masking the new /proc needs the sandbox's /dev/null");
			}
			_cleanup_close_ int mfd = new_fs("proc", NULL, 0, attrs_of(m));
			if (mfd < 0)
				return fail(reterr, -mfd, "mount", path, "a new proc");
			if ((r = attach(&rs, mfd, target, m->target)) < 0 ||
			    (r = harden_proc(devnull, &rs, mfd, m->target, where, &path)) < 0)
				return fail(reterr, -r, "mount", path, "the command's own /proc");
		} else if (m->op == AG3_MOUNT_DEV) {
			snprintf(pts, sizeof(pts), "%s/pts", m->target);
			path = pts;
			if ((r = open_existing(rootfd, pts, &target)) < 0)
				return fail(reterr, -r, "mount", path, "the session's /dev/pts");
			if ((r = is_session_mount(target, DEVPTS_SUPER_MAGIC)) < 0)
				return fail(reterr, -r, "mount", path, NOT_THE_SESSIONS("devpts"));
			const struct fs_opt pts_opts[] = {
				{"ptmxmode", "0666"}, {"mode", "0620"}, {"max", DEV_PTS_MAX}};
			_cleanup_close_ int ptsmnt =
				new_fs("devpts", pts_opts, ELEMENTSOF(pts_opts),
				       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
			if (ptsmnt < 0)
				return fail(reterr, -ptsmnt, "mount", path, "a new devpts");
			if ((r = attach(&rs, ptsmnt, target, pts)) < 0)
				return fail(reterr, -r, "mount", path,
					    "the command's own /dev/pts");
			/* POSIX shared memory of its own too (SysV's is its ipc namespace's). */
			char shm[4200];
			snprintf(shm, sizeof(shm), "%s/shm", m->target);
			path = shm;
			_cleanup_close_ int shmfd = -1;
			if ((r = open_existing(rootfd, shm, &shmfd)) < 0 ||
			    (r = is_session_mount(shmfd, TMPFS_MAGIC)) < 0 ||
			    (r = mount_tmpfs_at(&rs, shmfd, shm, DEFAULT_SHM_SIZE, 01777,
						MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
							MOUNT_ATTR_NOEXEC)) < 0)
				return fail(reterr, -r, "mount", path,
					    "the command's own /dev/shm");
		}
	}
	return 0;
}
