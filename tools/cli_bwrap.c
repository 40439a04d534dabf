/* SPDX-License-Identifier: MIT */
/*
 * `ag3ntum-sandbox bwrap ARGS`, and the binary invoked as `bwrap`: bubblewrap's
 * command line on our runtime (README "Replacing bwrap"). policy/bwrap.c reads
 * the line; here it becomes a spec (in command-line order), the agent
 * platform's own mistakes are done as meant with one warning each, what cannot
 * be honoured is an error, and the run ends with bwrap's exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/openat2.h>
#include <sys/capability.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <grp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "cli_bwrap_config.h"
#include "config.h"
#include "mounts/executor.h"
#include "mounts/mount.h"
#include "policy/bwrap.h"
#include "runtime/identity.h"
#include "policy/uid-policy.h"
#include "runtime/cmdreq.h"
#include "runtime/sandbox.h"
#include "runtime/util/cleanup.h"

extern char **environ;

#define BWRAP_VERSION "0.11.1"

static bool level_prefix;

static void bw_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bw_msg(int level, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (level_prefix)
		fprintf(stderr, "<%d>", level);
	fprintf(stderr, "bwrap: %s\n", buf);
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [OPTIONS...] [--] COMMAND [ARGS...]\n"
		"\n"
		"bubblewrap's command line, run by ag3ntum-sandbox (README \"Replacing bwrap\").\n"
		"Options are bubblewrap 0.11's: namespaces (--unshare-user/-ipc/-pid/-net/-uts/\n"
		"-cgroup[-try], --unshare-all, --share-net, --userns FD), --uid/--gid,\n"
		"--hostname, --chdir, --setenv/--unsetenv/--clearenv, --argv0, --args FD;\n"
		"setup operations in order: --bind/--ro-bind/--dev-bind[-try] SRC DEST,\n"
		"--bind-fd/--ro-bind-fd FD DEST, --remount-ro DEST, --tmpfs DEST (with --size\n"
		"BYTES and --perms OCTAL before it), --dir DEST, --symlink TARGET DEST, --file FD\n"
		"DEST, --bind-data/--ro-bind-data FD DEST, --chmod OCTAL PATH, --proc DEST, --dev\n"
		"DEST, --mqueue DEST, the overlays (--overlay-src SRC then --overlay RWSRC\n"
		"WORKDIR DEST, --tmp-overlay DEST or --ro-overlay DEST); --seccomp FD,\n"
		"--add-seccomp-fd FD, --disable-userns, --assert-userns-disabled; --new-session,\n"
		"--die-with-parent, --as-pid-1, --lock-file DEST, --info-fd FD, --json-status-fd\n"
		"FD, --sync-fd FD, --block-fd FD, --cap-drop CAP, --cap-add CAP, --exec-label\n"
		"LABEL and --file-label LABEL (SELinux off: ignored with a warning),\n"
		"--level-prefix, --help, --version.\n"
		"Options this front end cannot honour (--pidns, --userns2, --userns-block-fd)\n"
		"are refused with the reason, never ignored.\n",
		prog);
}

static int read_all_fd(void *data, int fd, char **buf, size_t *len)
{
	(void)data;
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	if (!b)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap > (64u << 20)) {
				free(b);
				return -E2BIG;
			}
			char *nb = realloc(b, cap *= 2);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(b);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

/* An absolute, normalized path for DEST (bwrap takes a relative one from /). */
static int norm_dest(const char *in, char *out, size_t len)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "/%s", in) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	_cleanup_free_ char *n = NULL;
	int r = ag3_path_normalize(tmp, &n);
	if (r < 0)
		return r;
	if (snprintf(out, len, "%s", n) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int add_mount(struct ag3_spec *spec, const struct ag3_mount *m)
{
	int r = ag3_spec_add_mount(spec, m);
	if (r < 0)
		bw_msg(3, "out of memory");
	return r;
}

/* The platform's --tmpfs /tmp:size=100M: the size it meant (bytes), or 0. */
static uint64_t tmpfs_size_suffix(char *dest)
{
	char *c = strstr(dest, ":size=");
	if (!c)
		return 0;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(c + 6, &end, 10);
	uint64_t mult = 1;
	switch (*end) {
	case 'k':
	case 'K':
		mult = 1024, end++;
		break;
	case 'm':
	case 'M':
		mult = 1024 * 1024, end++;
		break;
	case 'g':
	case 'G':
		mult = 1024ull * 1024 * 1024, end++;
		break;
	default:
		break;
	}
	if (errno || *end || !v || v > UINT64_MAX / mult)
		return 0;
	*c = '\0';
	return v * mult;
}

static bool host_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int read_fd_text(int fd, const char *opt, char **ret)
{
	char *buf;
	size_t len;
	int r = read_all_fd(NULL, fd, &buf, &len);
	if (r < 0) {
		bw_msg(3, "Can't read %s data: %s", opt, strerror(-r));
		return -1;
	}
	if (memchr(buf, '\0', len)) {
		free(buf);
		bw_msg(3, "%s: data holding NUL bytes is not supported by ag3ntum-sandbox", opt);
		return -1;
	}
	char *s = realloc(buf, len + 1);
	if (!s) {
		free(buf);
		return -1;
	}
	s[len] = '\0';
	*ret = s;
	return 0;
}

/* --bind-fd FD: the caller's fd's file, named before the runtime opens any fd of its own. */
struct fd_source {
	char *path; /* its symlink-free path in this mount namespace */
	uint64_t dev, ino;
};

struct build {
	bool bound_usr, bound_lib, bound_lib64, bound_etc, bound_passwd, proc_fixed;
	struct fd_source *fd_src; /* per op: --bind-fd's */
	/* the symlinks made so far: a later DEST through one goes where it points, as
	 * bwrap resolves DEST in the new root (the executor follows no symlink) */
	struct {
		char *path, *text;
	} links[64];
	size_t n_links;
};

/* DEST with the links made earlier in this command line resolved. */
static int through_links(const struct build *b, char *dest, size_t len)
{
	for (int hops = 0; hops < 40; hops++) {
		bool moved = false;
		for (size_t i = 0; i < b->n_links && !moved; i++) {
			size_t n = strlen(b->links[i].path);
			if (strncmp(dest, b->links[i].path, n) || (dest[n] && dest[n] != '/'))
				continue;
			char tmp[PATH_MAX * 2];
			const char *t = b->links[i].text;
			if (t[0] == '/')
				snprintf(tmp, sizeof(tmp), "%s%s", t, dest + n);
			else
				snprintf(tmp, sizeof(tmp), "%.*s/%s%s",
					 (int)(strrchr(b->links[i].path, '/') - b->links[i].path),
					 b->links[i].path, t, dest + n);
			if (norm_dest(tmp, dest, len) < 0)
				return -1;
			moved = true;
		}
		if (!moved)
			return 0;
	}
	return -1;
}

/*
 * --bind-fd FD: the file the caller's fd FD is, taken before the runtime opens any
 * fd of its own (FD must be open now: one that is not could later be the runtime's).
 * The fd's object cannot be bound from the sandbox's new mount namespace (open_tree
 * refuses a mount of another namespace), so it is bound by path: the fd's path in
 * this namespace (its /proc magic link), which must lead, with no symlink on the
 * way, to the very same mount and inode; the executor then binds what it opens at
 * that path only if it is still that inode (README "Replacing bwrap").
 */
static int fd_source(const struct ag3_bw_op *op, struct fd_source *ret)
{
	struct statx a, b;
	struct statfs sf;
	char link[64], path[PATH_MAX];
	if (fcntl(op->fd, F_GETFD) < 0) {
		bw_msg(3, "Invalid fd: %d is not open", op->fd);
		return -1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", op->fd);
	ssize_t n = -1;
	if (statfs("/proc/self/fd", &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC)
		n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0 || (size_t)n >= sizeof(path) - 1) {
		bw_msg(3, "%s %d: cannot read the fd's path in /proc: %s", op->option, op->fd,
		       n < 0 ? strerror(errno) : "too long");
		return -1;
	}
	path[n] = '\0';
	if (statx(op->fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_MNT_ID, &a) < 0) {
		bw_msg(3, "Can't stat fd %d: %s", op->fd, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(a.stx_mode) && !S_ISREG(a.stx_mode) && !S_ISCHR(a.stx_mode)) {
		bw_msg(3, "%s %d: not a directory, regular file or char device (%s)", op->option,
		       op->fd, path);
		return -1;
	}
	_cleanup_close_ int pfd = -1;
	int r = path[0] == '/' ? ag3_mounts_open_nofollow(path, &pfd) : -ENOENT;
	if (r < 0 || statx(pfd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_MNT_ID, &b) < 0 ||
	    a.stx_ino != b.stx_ino || a.stx_dev_major != b.stx_dev_major ||
	    a.stx_dev_minor != b.stx_dev_minor ||
	    ((a.stx_mask & b.stx_mask & STATX_MNT_ID) && a.stx_mnt_id != b.stx_mnt_id)) {
		bw_msg(3,
		       "%s %d: the fd's file is not at %s in this mount namespace (deleted, "
		       "moved, reached through a symlink, or of another namespace)",
		       op->option, op->fd, path);
		return -1;
	}
	if (!(ret->path = strdup(path)))
		return -1;
	ret->dev = (uint64_t)makedev(a.stx_dev_major, a.stx_dev_minor);
	ret->ino = a.stx_ino;
	return 0;
}

/* The options this front end cannot honour: an error naming the first. */
/* The capabilities a root command keeps: the caller's effective set, then each
 * --cap-add/--cap-drop in order (ALL: every capability this kernel has). Names
 * are checked whatever the mode, as bwrap does. */
static int caps_from_options(const struct ag3_bwrap *bw, uint64_t *keep)
{
	const cap_value_t last = cap_max_bits();
	const uint64_t all = last >= 64 ? UINT64_MAX : (UINT64_C(1) << last) - 1;
	uint64_t k = 0;
	cap_t cur = cap_get_proc();
	for (cap_value_t c = 0; cur && c < last && c < 64; c++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(cur, c, CAP_EFFECTIVE, &v) == 0 && v == CAP_SET)
			k |= UINT64_C(1) << c;
	}
	if (cur)
		cap_free(cur);
	for (size_t i = 0; i < bw->n_caps; i++) {
		const bool add = bw->caps[i][0] == '+';
		const char *name = bw->caps[i] + 1;
		cap_value_t c;
		if (!strcasecmp(name, "ALL")) {
			k = add ? all : 0;
			continue;
		}
		if (cap_from_name(name, &c) < 0 || c < 0 || c >= last || c >= 64) {
			bw_msg(3, "unknown cap: %s", name);
			return -1;
		}
		k = add ? k | UINT64_C(1) << c : k & ~(UINT64_C(1) << c);
	}
	*keep = k & all;
	return 0;
}

/* A seccomp program as bwrap reads one: the fd's data from where it stands to its
 * end (at most BPF_MAXINSNS instructions; none is judged by the caller), then the
 * fd is closed. 0, or -1 with bwrap's message printed. */
static int read_bpf(int fd, struct ag3_bpf_prog *out)
{
	const size_t max = BPF_MAXINSNS * sizeof(struct sock_filter);
	_cleanup_free_ char *buf = malloc(max + 1);
	size_t len = 0;
	if (!buf) {
		bw_msg(3, "out of memory");
		return -1;
	}
	while (len <= max) {
		ssize_t r = read(fd, buf + len, max + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			bw_msg(3, "Can't read seccomp data: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	/* Too long first: the read stops one byte past the limit, which is never a
	 * multiple of 8 whatever the program's length. */
	if (len > max) {
		bw_msg(3, "Invalid seccomp data: more than BPF_MAXINSNS instructions");
		return -1;
	}
	if (len % 8) {
		bw_msg(3, "Invalid seccomp data, must be multiple of 8");
		return -1;
	}
	out->insns = (struct sock_filter *)TAKE_PTR(buf);
	out->n = len / sizeof(struct sock_filter);
	return 0;
}

/*
 * --disable-userns: no user namespace can be made in the sandbox. bwrap puts the
 * command in a second user namespace whose parent's count is full; here a seccomp
 * filter the command cannot lift does it, whatever capabilities it holds in its
 * own namespace (a root command could raise that namespace's
 * max_user_namespaces again): unshare and clone with CLONE_NEWUSER fail with
 * EPERM, clone3 (whose flags seccomp cannot read) with ENOSYS, so libc falls
 * back to clone. 0, or -1 (said).
 */
static int disable_userns(struct ag3_spec *spec)
{
	static const struct {
		const char *name;
		bool flags; /* arg0 & CLONE_NEWUSER; else the call itself */
		int err;
	} calls[] = {{"unshare", true, EPERM}, {"clone", true, EPERM}, {"clone3", false, ENOSYS}};
	size_t n = spec->security.seccomp.n_rules;
	struct ag3_seccomp_rule *v =
		reallocarray(spec->security.seccomp.rules, n + ELEMENTSOF(calls), sizeof(*v));
	if (!v) {
		bw_msg(3, "out of memory");
		return -1;
	}
	spec->security.seccomp.rules = v;
	for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
		struct ag3_seccomp_rule r = {.action = AG3_SECCOMP_ERRNO,
					     .errno_value = calls[i].err,
					     .syscall = strdup(calls[i].name)};
		if (!r.syscall) {
			bw_msg(3, "out of memory");
			return -1;
		}
		if (calls[i].flags) {
			r.args[0] = (struct ag3_seccomp_arg){.index = 0,
							     .op = AG3_CMP_MASKED_EQ,
							     .value = CLONE_NEWUSER,
							     .mask = CLONE_NEWUSER};
			r.n_args = 1;
		}
		v[spec->security.seccomp.n_rules++] = r;
	}
	/* These rules alone (the operator's configuration may add the default list). */
	spec->security.seccomp.enabled = true;
	spec->security.seccomp.use_default_list = false;
	return 0;
}

/* An option the front end refuses, with the reason; NULL: none. */
static const char *unsupported(const struct ag3_bwrap *bw, const char **why)
{
	*why = NULL;
	if (bw->pidns_fd >= 0) {
		*why = "the sandbox always has a pid namespace of its own, with ag3ntum-sandbox's "
		       "init as pid 1, so that nothing the command starts outlives it";
		return "--pidns";
	}
	if (bw->userns2_fd >= 0) {
		*why = "only the namespace of --userns is joined";
		return "--userns2";
	}
	if (bw->userns_block_fd >= 0) {
		*why = "ag3ntum-sandbox writes the user namespace's id maps itself";
		return "--userns-block-fd";
	}
	/* SELinux labels: bwrap ignores them where SELinux is off (a warning here);
	 * where it is on, they cannot be applied. */
	if ((bw->exec_label || bw->file_label) && access("/sys/fs/selinux/enforce", F_OK) == 0) {
		*why = "SELinux labels are not applied";
		return bw->exec_label ? "--exec-label" : "--file-label";
	}
	return NULL;
}

/* An op's DEST, normalized, through the links made before it; a symlink op is
 * about the link itself: only its parents are resolved. */
static int op_dest(const struct build *b, const struct ag3_bw_op *op, char *dest, size_t len)
{
	if (norm_dest(op->dest, dest, len) < 0)
		return -1;
	if (op->kind != AG3_BW_SYMLINK || !strcmp(dest, "/"))
		return through_links(b, dest, len);
	char *slash = strrchr(dest, '/');
	char last[NAME_MAX + 1];
	if (strlen(slash + 1) > NAME_MAX)
		return -1;
	strcpy(last, slash + 1);
	if (slash == dest)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (through_links(b, dest, len) < 0)
		return -1;
	size_t n = strlen(dest);
	if (snprintf(dest + n, len - n, "%s%s", strcmp(dest, "/") ? "/" : "", last) >=
	    (int)(len - n))
		return -1;
	return 0;
}

struct lowers {
	char **v;
	size_t n;
};

static void lowers_free(struct lowers *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* The mounts, in command-line order. 0 or -1 (said). */
static int build_mounts(struct ag3_bwrap *bw, struct ag3_spec *spec, struct build *b)
{
	/* The platform's filtered /proc: a tmpfs at /proc with host /proc entries
	 * bound into it. /proc/self there is the setup process's: the sandbox's own
	 * /proc is what it meant. */
	bool proc_tmpfs = false;
	for (size_t i = 0; i < bw->n_ops; i++) {
		char d[PATH_MAX];
		if (bw->ops[i].kind == AG3_BW_TMPFS &&
		    norm_dest(bw->ops[i].dest, d, sizeof(d)) == 0 && !strcmp(d, "/proc"))
			proc_tmpfs = true;
	}
	/* A bind at "/" covers everything set up before it: the root starts there. */
	size_t first = 0;
	for (size_t i = 0; i < bw->n_ops; i++) {
		char d[PATH_MAX];
		if ((bw->ops[i].kind == AG3_BW_BIND || bw->ops[i].kind == AG3_BW_BIND_FD) &&
		    norm_dest(bw->ops[i].dest, d, sizeof(d)) == 0 && !strcmp(d, "/"))
			first = i;
	}
	/* An overlay's lowers (host paths), upper and work directory, until its op. */
	_cleanup_(lowers_free) struct lowers lw = {0};
	_cleanup_free_ char *upper = NULL, *work = NULL;
	for (size_t i = first; i < bw->n_ops; i++) {
		struct ag3_bw_op *op = &bw->ops[i];
		char dest[PATH_MAX];
		if (op->dest && op_dest(b, op, dest, sizeof(dest)) < 0) {
			bw_msg(3, "%s: %s: path too long, or too many symlinks", op->option,
			       op->dest);
			return -1;
		}
		/* bwrap's parents for DEST: 0755, less the group's or the others' access
		 * when the op's mode gives them none */
		int perms = op->perms >= 0                                       ? op->perms
			    : op->kind == AG3_BW_DIR || op->kind == AG3_BW_TMPFS ? 0755
			    : op->kind == AG3_BW_FILE                            ? 0666
			    : op->kind == AG3_BW_BIND_DATA                       ? 0600
										 : -1;
		struct ag3_mount m = {.target = dest,
				      .parent_mode = 0755u &
						     (perms >= 0 && !(perms & 070) ? ~050u : ~0u) &
						     (perms >= 0 && !(perms & 07) ? ~05u : ~0u)};
		_cleanup_free_ char *content = NULL;
		char src[PATH_MAX];
		switch (op->kind) {
		case AG3_BW_BIND_FD:
		case AG3_BW_BIND:
			if (op->kind == AG3_BW_BIND_FD) {
				snprintf(src, sizeof(src), "%s", b->fd_src[i].path);
				m.source_id = true;
				m.src_dev = b->fd_src[i].dev;
				m.src_ino = b->fd_src[i].ino;
			} else if (!realpath(op->src, src)) {
				if (op->try_ && errno == ENOENT)
					continue;
				bw_msg(3, "Can't find source path %s: %s", op->src,
				       strerror(errno));
				return -1;
			}
			/* The host's /proc as it resolves (/proc/self is the front end's own:
			 * its argv, secrets included): never bound. Under the platform's
			 * --tmpfs /proc, the sandbox's own /proc is what was meant. */
			if (!strcmp(src, "/proc") && !(proc_tmpfs && !strncmp(dest, "/proc/", 6))) {
				/* The whole of it (bwrap's own tests, nested: --bind /proc
				 * /proc): a /proc of the sandbox's pid namespace is what
				 * shows its processes there. */
				bw_msg(4,
				       "warning: %s /proc %s: ag3ntum-sandbox never binds the "
				       "host's /proc; it mounts the sandbox's own at %s",
				       op->option, op->dest, dest);
				m.op = AG3_MOUNT_PROC;
				break;
			}
			if (!strncmp(src, "/proc/", 6)) {
				if (!proc_tmpfs || strncmp(dest, "/proc/", 6)) {
					bw_msg(3,
					       "%s %s: binding the host's /proc is not supported "
					       "by "
					       "ag3ntum-sandbox (--proc DEST mounts the sandbox's "
					       "own)",
					       op->option, op->src ? op->src : src);
					return -1;
				}
				if (!b->proc_fixed)
					bw_msg(4,
					       "warning: %s %s %s: under a --tmpfs /proc this "
					       "binds the "
					       "setup process's /proc entries; ag3ntum-sandbox "
					       "mounts "
					       "the sandbox's own /proc at /proc instead",
					       op->option, op->src, op->dest);
				b->proc_fixed = true;
				continue;
			}
			m.op = AG3_MOUNT_BIND;
			m.source = src;
			m.ro = op->ro;
			m.nosuid = true;
			m.nodev = !op->dev;
			b->bound_usr |= !strcmp(dest, "/usr");
			b->bound_lib |= !strcmp(dest, "/lib");
			b->bound_lib64 |= !strcmp(dest, "/lib64") || !strcmp(dest, "/");
			b->bound_etc |= !strcmp(dest, "/etc") || !strcmp(dest, "/");
			b->bound_passwd |= !strcmp(dest, "/etc/passwd");
			break;
		case AG3_BW_TMPFS: {
			uint64_t meant = tmpfs_size_suffix(dest);
			if (meant) {
				bw_msg(4,
				       "warning: --tmpfs %s: bwrap would make a directory of that "
				       "name; ag3ntum-sandbox mounts a tmpfs of %llu bytes at %s "
				       "(bwrap's form: --size %llu --tmpfs %s)",
				       op->dest, (unsigned long long)meant, dest,
				       (unsigned long long)meant, dest);
				if (!op->size)
					op->size = meant;
			}
			if (proc_tmpfs && !strcmp(dest, "/proc")) {
				m.op = AG3_MOUNT_PROC;
				break;
			}
			m.op = AG3_MOUNT_TMPFS;
			m.size = op->size;
			m.mode = (uint32_t)perms;
			m.mode_set = true;
			m.nosuid = m.nodev = true;
			break;
		}
		case AG3_BW_PROC:
			m.op = AG3_MOUNT_PROC;
			break;
		case AG3_BW_DEV:
			m.op = AG3_MOUNT_DEV;
			m.dev_core = true; /* bwrap's /dev also has core -> /proc/kcore */
			break;
		case AG3_BW_DIR:
			m.op = AG3_MOUNT_DIR;
			m.mode = (uint32_t)perms;
			m.mode_set = true;
			break;
		case AG3_BW_CHMOD:
			m.op = AG3_MOUNT_CHMOD;
			m.mode = (uint32_t)op->perms;
			break;
		case AG3_BW_REMOUNT_RO:
			m.op = AG3_MOUNT_REMOUNT_RO;
			break;
		case AG3_BW_MQUEUE:
			m.op = AG3_MOUNT_MQUEUE;
			m.nosuid = m.nodev = m.noexec = true;
			break;
		case AG3_BW_SYMLINK:
			m.op = AG3_MOUNT_SYMLINK;
			m.source = op->src;
			if (b->n_links < ELEMENTSOF(b->links) &&
			    (b->links[b->n_links].path = strdup(dest)) &&
			    (b->links[b->n_links].text = strdup(op->src)))
				b->n_links++;
			break;
		case AG3_BW_FILE:
		case AG3_BW_BIND_DATA:
			if (read_fd_text(op->fd, op->option, &content) < 0)
				return -1;
			m.op = AG3_MOUNT_FILE;
			m.content = content;
			m.mode = (uint32_t)perms;
			m.mode_set = true;
			break;
		case AG3_BW_OVERLAY_SRC: {
			/* Gathered for the overlay op that follows (the parser checked one
			 * does). */
			char **v = realloc(lw.v, (lw.n + 1) * sizeof(char *));
			if (!v) {
				bw_msg(3, "out of memory");
				return -1;
			}
			lw.v = v;
			if (!(lw.v[lw.n] = realpath(op->dest, NULL))) {
				bw_msg(3, "Can't find source path %s: %s", op->dest,
				       strerror(errno));
				return -1;
			}
			lw.n++;
			continue;
		}
		case AG3_BW_OVERLAY:
		case AG3_BW_TMP_OVERLAY:
		case AG3_BW_RO_OVERLAY: {
			/* bwrap's last --overlay-src is the top layer. */
			for (size_t k = 0; k < lw.n / 2; k++) {
				char *t = lw.v[k];
				lw.v[k] = lw.v[lw.n - 1 - k];
				lw.v[lw.n - 1 - k] = t;
			}
			m.op = AG3_MOUNT_OVERLAY;
			m.lowers = lw.v;
			m.n_lowers = lw.n;
			m.ro = op->kind == AG3_BW_RO_OVERLAY;
			m.nosuid = m.nodev = true;
			if (op->kind == AG3_BW_OVERLAY) {
				if (!(upper = realpath(op->src, NULL)) ||
				    !(work = realpath(op->extra, NULL))) {
					bw_msg(3, "Can't find source path %s: %s",
					       upper ? op->extra : op->src, strerror(errno));
					return -1;
				}
				m.source = upper;
				m.workdir = work;
			}
			int r = add_mount(spec, &m);
			for (size_t k = 0; k < lw.n; k++)
				free(lw.v[k]);
			lw.n = 0;
			free(upper);
			free(work);
			upper = work = NULL;
			if (r < 0)
				return -1;
			continue;
		}
		default:
			bw_msg(3, "%s is not supported by ag3ntum-sandbox", op->option);
			return -1;
		}
		if (add_mount(spec, &m) < 0)
			return -1;
	}
	return 0;
}

/* Whether uid/gid may search every directory down to `host` (mode bits only, as
 * the command, which keeps no capability, is checked). */
static bool searchable(const char *host, uid_t uid, gid_t gid)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s", host);
	for (char *s = p + 1;; s++) {
		char c = *s;
		if (c == '/' || !c) {
			*s = '\0';
			struct stat st;
			if (stat(p, &st) < 0)
				return false;
			mode_t need = st.st_uid == uid   ? S_IXUSR
				      : st.st_gid == gid ? S_IXGRP
							 : S_IXOTH;
			if (!(st.st_mode & need))
				return false;
			*s = c;
		}
		if (!c)
			return true;
	}
}

/* $HOME as the command gets it (bwrap's environment, after its edits), or NULL. */
static const char *bw_home(const struct ag3_bwrap *bw)
{
	for (size_t i = 0; i < bw->n_env; i++)
		if (!strncmp(bw->env[i], "HOME=", 5))
			return bw->env[i] + 5;
	return NULL;
}

/* Where the command starts: --chdir, else the caller's cwd when the sandbox has it
 * (a bind covers it, it is a directory there and the command may enter it), else
 * $HOME likewise, else /. */
static char *start_dir(const struct ag3_bwrap *bw, const struct ag3_spec *spec)
{
	if (bw->chdir) {
		char d[PATH_MAX];
		return norm_dest(bw->chdir, d, sizeof(d)) < 0 ? NULL : strdup(d);
	}
	char cwd[PATH_MAX];
	const char *cands[2] = {getcwd(cwd, sizeof(cwd)), bw_home(bw)};
	for (int k = 0; k < 2; k++) {
		const char *p = cands[k];
		if (!p || p[0] != '/')
			continue;
		/* the last mount covering p decides */
		for (size_t i = spec->n_mounts; i-- > 0;) {
			const struct ag3_mount *m = &spec->mounts[i];
			if (!ag3_path_is_under(p, m->target) || m->op == AG3_MOUNT_CHMOD ||
			    m->op == AG3_MOUNT_REMOUNT_RO)
				continue;
			const size_t tl = strlen(m->target);
			if (m->op == AG3_MOUNT_BIND) {
				char host[PATH_MAX * 2];
				snprintf(host, sizeof(host), "%s%s", m->source,
					 !strcmp(m->target, "/") ? p : p + tl);
				if (host_dir(host) &&
				    searchable(host, spec->identity.uid, spec->identity.gid))
					return strdup(p);
			}
			break;
		}
	}
	return strdup("/");
}

struct status {
	int info_fd, json_fd;
	bool unshared[6];
};

static void on_started(void *data, pid_t pid)
{
	struct status *st = data;
	static const char *const ns[6] = {"cgroup", "ipc", "mnt", "net", "pid", "uts"};
	/* bwrap's layouts: --info-fd one key per line (scripts take the number after
	 * the last ": " of the child-pid line), --json-status-fd one line. */
	char info[1024], line[1024];
	size_t o = (size_t)snprintf(info, sizeof(info), "{\n    \"child-pid\": %d", (int)pid);
	size_t l = (size_t)snprintf(line, sizeof(line), "{ \"child-pid\": %d", (int)pid);
	for (int i = 0; i < 6; i++) {
		if (!st->unshared[i])
			continue;
		char p[64];
		struct stat s;
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, ns[i]);
		if (stat(p, &s) < 0)
			continue;
		o += (size_t)snprintf(info + o, sizeof(info) - o, ",\n    \"%s-namespace\": %llu",
				      ns[i], (unsigned long long)s.st_ino);
		l += (size_t)snprintf(line + l, sizeof(line) - l, ", \"%s-namespace\": %llu", ns[i],
				      (unsigned long long)s.st_ino);
	}
	if (st->info_fd >= 0) {
		dprintf(st->info_fd, "%s\n}\n", info);
		close(st->info_fd);
		st->info_fd = -1;
	}
	if (st->json_fd >= 0)
		dprintf(st->json_fd, "%s }\n", line);
}

/* --userns FD: this process joins the namespace (after the operator's file is
 * read: its owner is judged as the host sees it), as bwrap does before making the
 * others; the command's ids default to this process's there. */
struct join {
	int userns_fd;
	bool uid_given, gid_given;
};

/* 0 if the user namespace `fd` and each of its ancestors below this process's own
 * were made by root (NS_GET_OWNER_UID 0); else -1 with *owner the first other
 * owner found, or (uid_t)-1 when one cannot be read. */
static int userns_owned_by_root(int fd, uid_t *owner)
{
	struct stat self;
	*owner = (uid_t)-1;
	if (stat("/proc/self/ns/user", &self) < 0)
		return -1;
	int cur = fd, r = -1;
	for (int depth = 0; depth < 64; depth++) { /* the kernel nests 32 deep at most */
		uid_t o = (uid_t)-1;
		if (ioctl(cur, NS_GET_OWNER_UID, &o) < 0 || o != 0) {
			*owner = o;
			break;
		}
		const int parent = ioctl(cur, NS_GET_PARENT);
		if (parent < 0) { /* EPERM: above this process's own, which root made */
			r = errno == EPERM ? 0 : -1;
			break;
		}
		if (cur != fd)
			close(cur);
		cur = parent;
		struct stat pst;
		if (fstat(cur, &pst) == 0 && pst.st_ino == self.st_ino &&
		    pst.st_dev == self.st_dev) {
			r = 0;
			break;
		}
	}
	if (cur != fd)
		close(cur);
	return r;
}

/* The kernel's overflow uid or gid (what an unmapped id reads as), 65534 by default. */
static unsigned long overflow_id(const char *which)
{
	char p[64], buf[32];
	snprintf(p, sizeof(p), "/proc/sys/kernel/overflow%s", which);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 65534;
	buf[n] = 0;
	return strtoul(buf, NULL, 10);
}

static int join_fail(struct ag3_result *res, int err, const char *text)
{
	ag3_result_setup_failed(res, err, "namespaces", NULL, text);
	return -1;
}

static int join_userns(void *data, struct ag3_spec *spec, struct ag3_result *res)
{
	const struct join *j = data;
	const unsigned long ouid = overflow_id("uid"), ogid = overflow_id("gid");
	const bool was_overflow = geteuid() == ouid || getegid() == ogid;
	/* Not dumpable from here on: once joined, whoever holds CAP_SYS_PTRACE in that
	 * namespace (its root, mapped to another host uid) passes ptrace's credential
	 * check on this process, which is still uid 0 on the host's files; the dumpable
	 * check then asks for that capability where this address space was made. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return join_fail(res, errno, "--userns: prctl(PR_SET_DUMPABLE) failed");
	/* Root's supplementary groups are host groups (42, shadow, say): a command that
	 * is not root must not keep them in the namespace, which may deny setgroups. */
	if (geteuid() == 0 && !spec->security.root_command && setgroups(0, NULL) < 0)
		return join_fail(res, errno, "--userns: dropping the caller's groups failed");
	if (setns(j->userns_fd, CLONE_NEWUSER) < 0) {
		const int e = errno;
		char text[200];
		if (e == EINVAL)
			snprintf(text, sizeof(text),
				 "Joining the specified user namespace failed, it might not be a "
				 "descendant of the current user namespace.");
		else
			snprintf(text, sizeof(text), "Joining specified user namespace failed: %s",
				 strerror(e));
		return join_fail(res, e, text);
	}
	close(j->userns_fd); /* not the number of any other fd option (checked) */
	if (!was_overflow && (geteuid() == ouid || getegid() == ogid) &&
	    (!j->uid_given || !j->gid_given))
		return join_fail(res, EOVERFLOW,
				 "--userns: the caller's uid or gid is not mapped in that user "
				 "namespace: pass --uid and --gid of ids mapped there");
	if (!spec->security.root_command &&
	    ((!j->uid_given && geteuid() == 0) || (!j->gid_given && getegid() == 0)))
		return join_fail(
			res, EPERM,
			"--userns: the caller is uid or gid 0 in that user namespace, and "
			"ag3ntum-sandbox never runs a command as root: pass --uid and --gid");
	if (!j->uid_given)
		spec->identity.uid = geteuid();
	if (!j->gid_given)
		spec->identity.gid = getegid();
	return 0;
}

/* --lock-file: bwrap's read lock (POSIX fcntl, whole file) on each DEST of the
 * sandbox, held by this process until the sandbox ends. */
struct locks {
	char *const *paths;
	size_t n;
	int fds[64];
	size_t n_fds;
	/* root mode, a command that is not root: DEST is opened with the command's ids */
	bool drop;
	uid_t uid;
	gid_t gid;
};

/* DEST resolved in the sandbox's root as the sandbox sees it, its symlinks kept
 * inside that root, and opened for reading only if it is a regular file. The fd
 * or -errno (-EINVAL: not a regular file). */
static int open_lock(int root, const char *dest)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	_cleanup_close_ int p = (int)syscall(SYS_openat2, root, dest, &how, sizeof(how));
	if (p < 0)
		return -errno;
	struct stat st;
	if (fstat(p, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", p);
	int fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

/*
 * open_lock as the command: a child with the command's uid, gid and no groups
 * opens DEST and hands the fd back. In root mode this process is root, which may
 * open any file: a link the sandbox put at DEST (--ro-bind / / makes every host
 * file reachable in its root) would otherwise have us lock /etc/.pwd.lock or any
 * file the command could not even read, and hold the lock against the host's
 * writers for as long as the sandbox runs. bwrap opens it in the sandbox's pid 1.
 */
static int open_lock_as(int root, const char *dest, uid_t uid, gid_t gid)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (pid == 0) {
		close(sv[0]);
		/* holds the front end's fds: no process of the command's uid may trace it */
		int r = prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || setgroups(0, NULL) < 0 ||
					setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0
				? -errno
				: open_lock(root, dest);
		int fds[1] = {r};
		ag3_send_fds(sv[1], &r, sizeof(r), fds, r >= 0 ? 1 : 0);
		_exit(0);
	}
	close(sv[1]);
	int r = -EIO, fd = -1;
	if (ag3_recv_fd(sv[0], &r, sizeof(r), &fd, 0) != (ssize_t)sizeof(r))
		r = -EIO;
	close(sv[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (r >= 0 && fd < 0)
		r = -EIO;
	if (r < 0 && fd >= 0)
		close(fd);
	return r < 0 ? r : fd;
}

/* on_built: a link the sandbox races in at DEST cannot lead out of its root, nor
 * to a file the command could not open itself. */
static int take_locks(void *data, int root, char *why, size_t len)
{
	struct locks *lk = data;
	for (size_t i = 0; i < lk->n; i++) {
		const char *dest = lk->paths[i];
		int fd = lk->drop ? open_lock_as(root, dest, lk->uid, lk->gid)
				  : open_lock(root, dest);
		if (fd < 0) {
			int e = -fd;
			snprintf(why, len, "Unable to open lock file %s: %s", dest,
				 e == EINVAL   ? "not a regular file"
				 : e == ENOSYS ? "openat2 is not available (Linux 5.6)"
					       : strerror(e));
			return fd;
		}
		lk->fds[lk->n_fds++] = fd;
		struct flock l = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
		if (fcntl(fd, F_SETLK, &l) < 0) {
			int e = errno;
			snprintf(why, len, "Unable to lock file %s: %s", dest, strerror(e));
			return -e;
		}
	}
	return 0;
}

/* The passwd and group files the platform's argv forgot (its bug 5): the command's
 * uid and gid get an entry, so ssh and git know who they are (the runtime's
 * generator, runtime/identity.h, as for a profile's sandbox.user). */
static int add_identity_files(struct ag3_spec *spec, uid_t uid, gid_t gid, const char *home)
{
	_cleanup_free_ char *pw = NULL, *gr = NULL;
	/* a home that would break the file's fields (or add lines) is not one */
	if (!ag3_account_path_valid(home))
		home = "/";
	if (ag3_identity_files("agent", "agent", uid, gid, home, "/bin/bash", &pw, &gr) < 0)
		return -1;
	const struct ag3_mount f[2] = {
		{.op = AG3_MOUNT_FILE,
		 .target = (char *)"/etc/passwd",
		 .content = pw,
		 .mode = 0644},
		{.op = AG3_MOUNT_FILE, .target = (char *)"/etc/group", .content = gr, .mode = 0644},
	};
	for (int i = 0; i < 2; i++)
		if (add_mount(spec, &f[i]) < 0)
			return -1;
	return 0;
}

const char cli_bwrap_help[] =
	"Usage: " PROG " bwrap [OPTIONS...] [--] COMMAND [ARGS...]\n"
	"       bwrap [OPTIONS...] [--] COMMAND [ARGS...]   (the binary under the name bwrap)\n"
	"\n"
	"bubblewrap's command line on ag3ntum-sandbox's runtime: bwrap's options, error texts\n"
	"and exit status (the command's; 1 when the sandbox could not be set up). `" PROG " bwrap\n"
	"--help` lists the options. README \"Replacing bwrap\" says how to install it as\n"
	"/usr/bin/bwrap and what differs.\n";

int cli_bwrap_cmd(int argc, char **argv)
{
	return cli_bwrap(argc - 1, argv + 1, PROG " bwrap");
}

int cli_bwrap(int argc, char **argv, const char *prog)
{
	struct ag3_bwrap bw;
	char err[1024];
	if (argc < 1) {
		usage(stderr, prog);
		return 1;
	}
	level_prefix = false;
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++)
		level_prefix |= !strcmp(argv[i], "--level-prefix");
	if (ag3_bwrap_parse(argc, argv, environ, read_all_fd, NULL, &bw, err, sizeof(err)) < 0) {
		bw_msg(3, "%s", err);
		return 1;
	}
	for (size_t i = 0; i < bw.n_warnings; i++)
		bw_msg(4, "%s", bw.warnings[i]);
	int rc = 1;
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	struct build b = {0};
	_cleanup_free_ char **av = NULL; /* the command's argv under --argv0 */
	struct ag3_bpf_prog *bpf = calloc(bw.n_add_seccomp_fds + 1, sizeof(*bpf));
	if (!bpf) {
		bw_msg(3, "out of memory");
		goto out;
	}
	if (bw.help) {
		usage(stdout, prog);
		rc = 0;
		goto out;
	}
	if (bw.version) {
		printf("bubblewrap %s (ag3ntum-sandbox %s)\n", BWRAP_VERSION, AG3_VERSION);
		rc = 0;
		goto out;
	}
	if (!bw.argc) {
		usage(stderr, prog);
		goto out;
	}
	const char *why;
	const char *no = unsupported(&bw, &why);
	if (no) {
		bw_msg(3, "%s is not supported by ag3ntum-sandbox: %s (README \"Replacing bwrap\")",
		       no, why);
		goto out;
	}
	for (int i = 0; i < 2; i++)
		if (i ? bw.file_label : bw.exec_label)
			bw_msg(4,
			       "warning: --%s-label: SELinux is not enabled on this host, so the "
			       "label is not applied (bwrap ignores it too)",
			       i ? "file" : "exec");
	/* --userns: joining a user namespace as root through sudo (or pkexec, doas)
	 * would act with the capabilities of whatever namespace the caller names. */
	if (bw.userns_fd >= 0 && cli_bwrap_elevated_caller()) {
		bw_msg(3, "--userns is refused for a caller who came through sudo, pkexec or doas");
		goto out;
	}
	struct locks locks = {.paths = bw.lock_files, .n = bw.n_lock_files};
	if (bw.n_lock_files > ELEMENTSOF(locks.fds)) {
		bw_msg(3, "--lock-file: at most %zu are supported by ag3ntum-sandbox",
		       ELEMENTSOF(locks.fds));
		goto out;
	}
	/* bwrap's --die-with-parent: this process (the sandbox dies with it) ends when
	 * its parent does, through the cancel path below (SIGTERM to the command, then
	 * SIGKILL), so the sandbox's cgroup is still removed. */
	if (bw.die_with_parent) {
		const pid_t parent = getppid();
		if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0 || getppid() != parent)
			goto out;
	}
	/* The platform's --uid-map/--gid-map (its bug 1): the mapping --uid/--gid with
	 * --unshare-user make in root mode is the one it meant (the uid to itself); a
	 * map says a user namespace was meant too. */
	if (bw.uid_map_given || bw.gid_map_given) {
		bw_msg(4,
		       "warning: --%s is not a bwrap option; ag3ntum-sandbox maps the "
		       "command's --uid/--gid to themselves, as it meant",
		       bw.uid_map_given ? "uid-map" : "gid-map");
		if (bw.uid < 0 && bw.uid_map_given)
			bw.uid = bw.uid_map[0];
		if (bw.gid < 0 && bw.gid_map_given)
			bw.gid = bw.gid_map[0];
		bw.unshare_user = true;
	}
	/* The fds the caller names must be open now: one that is not could later be
	 * one of the runtime's own (its socket to init, a signalfd) and be written or
	 * closed under it. */
	const int fds[] = {bw.info_fd, bw.json_status_fd, bw.sync_fd, bw.block_fd, bw.userns_fd};
	for (size_t i = 0; i < ELEMENTSOF(fds); i++)
		if (fds[i] >= 0 && fcntl(fds[i], F_GETFD) < 0) {
			bw_msg(3, "Invalid fd: %d is not open", fds[i]);
			goto out;
		}
	/* The namespace's fd is closed once joined, and a number the runtime then
	 * reuses must not be one the front end still writes, reads or holds. */
	static const char *const fd_names[] = {"--info-fd", "--json-status-fd", "--sync-fd",
					       "--block-fd"};
	for (size_t i = 0; bw.userns_fd >= 0 && i < ELEMENTSOF(fd_names); i++)
		if (bw.userns_fd <= 2 || fds[i] == bw.userns_fd) {
			bw_msg(3, "--userns: fd %d is also %s", bw.userns_fd,
			       bw.userns_fd <= 2 ? "a standard stream (0, 1 or 2)" : fd_names[i]);
			goto out;
		}
	if (bw.userns_fd >= 0 && ioctl(bw.userns_fd, NS_GET_NSTYPE) != CLONE_NEWUSER) {
		bw_msg(3, "--userns: fd %d is not a user namespace", bw.userns_fd);
		goto out;
	}
	/* Root joins only a namespace root made, and whose every ancestor up to its own
	 * root made: an owner holds every capability in the namespaces below, and could
	 * drive this process (still uid 0 on the host's files) there. */
	if (bw.userns_fd >= 0 && geteuid() == 0) {
		uid_t owner = 0;
		if (userns_owned_by_root(bw.userns_fd, &owner) < 0) {
			if (owner == (uid_t)-1)
				bw_msg(3, "--userns: the owner of the user namespace, or of one "
					  "above it, cannot be read");
			else
				bw_msg(3,
				       "--userns: the user namespace, or one above it, belongs to "
				       "uid %u; run as root, the front end joins only one that "
				       "root "
				       "made, below namespaces root made",
				       (unsigned)owner);
			goto out;
		}
	}
	if (!(b.fd_src = calloc(bw.n_ops ? bw.n_ops : 1, sizeof(*b.fd_src)))) {
		bw_msg(3, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < bw.n_ops; i++)
		if (bw.ops[i].kind == AG3_BW_BIND_FD && fd_source(&bw.ops[i], &b.fd_src[i]) < 0)
			goto out;
	/* The seccomp programs: read now, in order, as bwrap does (each fd is closed). */
	const size_t n_bpf = bw.seccomp_fd >= 0 ? 1 : bw.n_add_seccomp_fds;
	for (size_t i = 0; i < n_bpf; i++)
		if (read_bpf(bw.seccomp_fd >= 0 ? bw.seccomp_fd : bw.add_seccomp_fds[i], &bpf[i]) <
		    0)
			goto out;
	/* Every fd is read before one's data is judged, as bwrap reads them. */
	for (size_t i = 0; i < n_bpf; i++)
		if (!bpf[i].n) {
			bw_msg(3, "Invalid seccomp data: empty");
			goto out;
		}
	const bool root = geteuid() == 0;
	const bool userns = bw.unshare_user || bw.unshare_user_try || !root;
	if ((bw.uid >= 0 || bw.gid >= 0) && !userns && bw.userns_fd < 0) {
		bw_msg(3, "Specifying --%s requires --unshare-user or --userns",
		       bw.uid >= 0 ? "uid" : "gid");
		goto out;
	}
	uint64_t caps_keep = 0;
	if (caps_from_options(&bw, &caps_keep) < 0)
		goto out;
	long long uid = bw.uid >= 0 ? bw.uid : root ? 0 : (long long)getuid();
	long long gid = bw.gid >= 0 ? bw.gid : root ? 0 : (long long)getgid();
	/* bwrap's root mode: a root caller's command is root (in a user namespace that
	 * maps 0 to 0 with --unshare-user), with the caller's capabilities less
	 * --cap-drop's. Not for a caller who came through sudo (or pkexec, doas): a
	 * sudoers rule naming bwrap would otherwise hand out a root shell. */
	const bool root_command =
		root && getuid() == 0 && uid == 0 && gid == 0 && !cli_bwrap_elevated_caller();
	for (size_t i = 0; !root_command && i < bw.n_caps; i++)
		if (bw.caps[i][0] == '+') {
			bw_msg(3, "--cap-add is only supported for a root command (README "
				  "\"Replacing bwrap\")");
			goto out;
		}
	if (!root_command && (uid == 0 || gid == 0)) {
		bw_msg(3,
		       "the command would run as %s 0: ag3ntum-sandbox never runs a command as "
		       "root (pass --unshare-user with --uid and --gid)",
		       uid == 0 ? "uid" : "gid");
		goto out;
	}
	/* Root mode: the ids are real host ids. A caller allowed `sudo bwrap` must not
	 * pick a system user or group (--gid 42 reads /etc/shadow over --bind / /): the
	 * platform's uid policy applies to both (README "Replacing bwrap"). */
	if (root && !root_command) {
		locks.drop = true;
		locks.uid = (uid_t)uid;
		locks.gid = (gid_t)gid;
		const struct ag3_uid_policy pol = AG3_UID_POLICY_DEFAULT;
		struct ag3_error *e = NULL;
		if (ag3_uid_policy_check(&pol, "--uid", (unsigned long)uid, &e) < 0 ||
		    ag3_uid_policy_check(&pol, "--gid", (unsigned long)gid, &e) < 0) {
			bw_msg(3, "%s", e && e->msg ? e->msg : "the uid or gid is refused");
			ag3_error_free(e);
			goto out;
		}
	}
	if (!(spec = ag3_spec_new())) {
		bw_msg(3, "out of memory");
		goto out;
	}
	/* Plain bwrap: none of our extra layers (README "Replacing bwrap"). */
	spec->namespaces.user =
		bw.unshare_user || bw.unshare_user_try ? AG3_USERNS_ALWAYS : AG3_USERNS_AUTO;
	spec->namespaces.net = bw.unshare_net;
	spec->network.mode = bw.unshare_net ? AG3_NET_NONE : AG3_NET_HOST;
	spec->namespaces.ipc = bw.unshare_ipc;
	spec->namespaces.uts = bw.unshare_uts;
	spec->namespaces.cgroup = bw.unshare_cgroup || bw.unshare_cgroup_try;
	spec->security.seccomp.enabled = false;
	spec->security.landlock.enabled = false;
	spec->identity.uid_set = spec->identity.gid_set = true;
	spec->identity.uid = (uid_t)uid;
	spec->identity.gid = (gid_t)gid;
	if (root_command) {
		spec->namespaces.user = userns ? AG3_USERNS_ALWAYS : AG3_USERNS_NEVER;
		spec->security.root_command = true;
		spec->security.caps_keep = caps_keep;
		spec->security.caps_set = bw.n_caps > 0;
	}
	/* --userns: the namespace is joined (just before the run), not made. */
	if (bw.userns_fd >= 0) {
		spec->namespaces.user = AG3_USERNS_NEVER;
		spec->namespaces.joined_user = true;
	}
	if (bw.disable_userns && disable_userns(spec) < 0)
		goto out;
	if (bw.hostname) {
		free(spec->process.hostname);
		spec->process.hostname = strdup(bw.hostname);
	}
	int br = build_mounts(&bw, spec, &b);
	for (size_t i = 0; i < ELEMENTSOF(b.links); i++) {
		free(b.links[i].path);
		free(b.links[i].text);
	}
	if (br < 0)
		goto out;
	/* The platform's static mounts bind /usr and /lib but not /lib64 (its bug 3):
	 * on a merged-/usr host nothing can be executed without it. */
	if (b.bound_usr && b.bound_lib && !b.bound_lib64 && host_dir("/lib64")) {
		char l64[PATH_MAX];
		if (realpath("/lib64", l64)) {
			bw_msg(4, "warning: /usr and /lib are bound but /lib64 is not: no program "
				  "could run on this host; ag3ntum-sandbox binds /lib64 read-only");
			const struct ag3_mount m = {.op = AG3_MOUNT_BIND,
						    .source = l64,
						    .target = (char *)"/lib64",
						    .ro = true,
						    .nosuid = true,
						    .nodev = true};
			if (add_mount(spec, &m) < 0)
				goto out;
		}
	}
	const char *home = bw_home(&bw);
	if (bw.uid >= 0 && !b.bound_etc && !b.bound_passwd) {
		bw_msg(4,
		       "warning: no /etc/passwd for uid %lld: ag3ntum-sandbox adds /etc/passwd "
		       "and /etc/group with its entry",
		       uid);
		if (add_identity_files(spec, (uid_t)uid, (gid_t)gid, home) < 0)
			goto out;
	}
	free(spec->process.cwd);
	if (!(spec->process.cwd = start_dir(&bw, spec)))
		goto out;
	for (size_t i = 0; i < bw.n_env; i++) {
		char *eq = strchr(bw.env[i], '=');
		*eq = '\0';
		int r = ag3_spec_set_env(spec, bw.env[i], eq + 1, false);
		*eq = '=';
		if (r < 0 && r != -EINVAL)
			goto out;
	}
	if (ag3_spec_set_env(spec, "PWD", spec->process.cwd, false) < 0)
		goto out;

	if (bw.block_fd >= 0) {
		char c;
		while (read(bw.block_fd, &c, 1) < 0 && errno == EINTR)
			;
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	struct status st = {.info_fd = bw.info_fd,
			    .json_fd = bw.json_status_fd,
			    .unshared = {spec->namespaces.cgroup, spec->namespaces.ipc, true,
					 spec->namespaces.net, true, spec->namespaces.uts}};
	/* --argv0: the command is still looked up by its own name */
	if (bw.argv0) {
		if (!(av = calloc(bw.argc + 1, sizeof(char *)))) {
			bw_msg(3, "out of memory");
			goto out;
		}
		av[0] = bw.argv0;
		for (size_t i = 1; i < bw.argc; i++)
			av[i] = bw.argv[i];
	}
	struct ag3_run_opts ro = {.argv = av ? av : bw.argv,
				  .file = av ? bw.argv[0] : NULL,
				  .as_pid_1 = bw.as_pid_1,
				  .filter_init = bw.unshare_pid,
				  .on_built = bw.n_lock_files ? take_locks : NULL,
				  .on_built_data = &locks,
				  .stdio = {-1, -1, -1},
				  .cancel_fd = sfd,
				  .winch_fd = -1,
				  .pty_in = -1,
				  .pty_out = -1,
				  .on_started = on_started,
				  .on_started_data = &st,
				  .bpf = bpf,
				  .n_bpf = n_bpf,
				  .assert_no_userns = bw.assert_userns_disabled};
	struct ag3_result res = {0};
	struct join jn = {
		.userns_fd = bw.userns_fd, .uid_given = bw.uid >= 0, .gid_given = bw.gid >= 0};
	/* with the operator's layers, if any */
	cli_bwrap_run(spec, &ro, &res, bw.userns_fd >= 0 ? join_userns : NULL, &jn);
	if (res.status == AG3_STATUS_SETUP_FAILED) {
		const char *msg = res.setup_error && res.setup_error->msg
					  ? res.setup_error->msg
					  : "setting the sandbox up failed";
		const char *conflict = strstr(msg, ": existing destination is ");
		if (!conflict)
			conflict = strstr(msg, ": destination exists and is not a symlink");
		if (conflict && res.setup_error->path)
			bw_msg(3, "Can't make symlink at %s%.*s", res.setup_error->path,
			       (int)strcspn(conflict, "(") - 1 > 0 ? (int)strcspn(conflict, "(") - 1
								   : (int)strlen(conflict),
			       conflict);
		else
			bw_msg(3, "%s", msg);
		rc = 1;
	} else {
		rc = res.status == AG3_STATUS_EXITED ? res.exit_code
		     : res.signal                    ? 128 + res.signal
						     : 255;
		if (st.json_fd >= 0)
			dprintf(st.json_fd, "{ \"exit-code\": %d }\n", rc);
	}
	if (st.info_fd >= 0)
		close(st.info_fd);
	if (st.json_fd >= 0)
		close(st.json_fd);
	if (bw.sync_fd >= 0)
		close(bw.sync_fd); /* held open for the sandbox's life, as bwrap's pid 1 does */
	for (size_t i = 0; i < locks.n_fds; i++)
		close(locks.fds[i]); /* the locks, likewise */
	ag3_result_clear(&res);
	if (sfd >= 0)
		close(sfd);
out:
	for (size_t i = 0; b.fd_src && i < bw.n_ops; i++)
		free(b.fd_src[i].path);
	free(b.fd_src);
	for (size_t i = 0; bpf && i < bw.n_add_seccomp_fds + 1; i++)
		free((void *)bpf[i].insns);
	free(bpf);
	ag3_bwrap_clear(&bw);
	return rc;
}
