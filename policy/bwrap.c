/* SPDX-License-Identifier: MIT */
#include "bwrap.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util/cleanup.h"

#define ARGS_MAX 9000 /* bwrap's bound, --args data included */

struct pctx {
	struct ag3_bwrap *bw;
	char *err;
	size_t errlen;
	ag3_bw_read_fd read_fd;
	void *read_data;
	int pending_perms;      /* --perms for the next op, -1 none */
	uint64_t pending_size;  /* --size for the next op, 0 none */
	const char *pending_by; /* the modifier waiting ("--perms", "--size") */
	size_t n_overlay_src;   /* --overlay-src given since the last overlay op */
	size_t total_args;
	/* single-valued options seen (for "Only the last ... will take effect") */
	unsigned seen;
};

static int fail(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct pctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int warn(struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int warn(struct pctx *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	char **w = realloc(c->bw->warnings, (c->bw->n_warnings + 1) * sizeof(char *));
	if (!w)
		return fail(c, "out of memory");
	c->bw->warnings = w;
	if (!(w[c->bw->n_warnings] = strdup(buf)))
		return fail(c, "out of memory");
	c->bw->n_warnings++;
	return 0;
}

static int strv_push(struct pctx *c, char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));
	if (!nv)
		return fail(c, "out of memory");
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return fail(c, "out of memory");
	nv[++*n] = NULL;
	return 0;
}

/* A decimal fd, as bwrap reads it: digits only, not empty. */
static int parse_fd(struct pctx *c, const char *s, int *fd)
{
	char *end;
	errno = 0;
	long v = *s >= '0' && *s <= '9' ? strtol(s, &end, 10) : -1;
	if (v < 0 || v > INT32_MAX || errno || *end)
		return fail(c, "Invalid fd: %s", s);
	*fd = (int)v;
	return 0;
}

/* An id: decimal, 0 .. 2^32-2. */
static int parse_id(struct pctx *c, const char *s, const char *what, long long *id)
{
	char *end;
	errno = 0;
	long long v = *s >= '0' && *s <= '9' ? strtoll(s, &end, 10) : -1;
	if (v < 0 || v > 0xfffffffeLL || errno || *end)
		return fail(c, "Invalid %s: %s", what, s);
	*id = v;
	return 0;
}

static int parse_octal(struct pctx *c, const char *opt, const char *s, int *mode)
{
	char *end;
	errno = 0;
	long v = *s >= '0' && *s <= '7' ? strtol(s, &end, 8) : -1;
	if (v < 0 || v > 07777 || errno || *end)
		return fail(c, "%s takes an octal argument <= 07777", opt);
	*mode = (int)v;
	return 0;
}

/* --size: strtoull base 0, starting with a digit, non-zero, no junk, <= SIZE_MAX/2. */
static int parse_size(struct pctx *c, const char *s, uint64_t *size)
{
	char *end;
	errno = 0;
	if (!(*s >= '0' && *s <= '9'))
		return fail(c, "--size takes a non-zero number of bytes");
	unsigned long long v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return fail(c, "--size (for tmpfs) is limited to %zu", (size_t)SIZE_MAX / 2);
	if (*end || !v)
		return fail(c, "--size takes a non-zero number of bytes");
	if (v > SIZE_MAX / 2)
		return fail(c, "--size (for tmpfs) is limited to %zu", (size_t)SIZE_MAX / 2);
	*size = v;
	return 0;
}

static struct ag3_bw_op *new_op(struct pctx *c, enum ag3_bw_op_kind kind, const char *option)
{
	struct ag3_bw_op *ops = realloc(c->bw->ops, (c->bw->n_ops + 1) * sizeof(*ops));
	if (!ops) {
		fail(c, "out of memory");
		return NULL;
	}
	c->bw->ops = ops;
	struct ag3_bw_op *op = &ops[c->bw->n_ops++];
	*op = (struct ag3_bw_op){.kind = kind, .fd = -1, .perms = -1, .option = option};
	return op;
}

static int dup_into(struct pctx *c, char **dst, const char *s)
{
	free(*dst);
	if (!(*dst = strdup(s)))
		return fail(c, "out of memory");
	return 0;
}

/* Single-valued options: the bit each has in pctx.seen. */
enum {
	S_CHDIR = 1 << 0,
	S_EXEC_LABEL = 1 << 1,
	S_FILE_LABEL = 1 << 2,
	S_SYNC_FD = 1 << 3,
	S_BLOCK_FD = 1 << 4,
	S_USERNS_BLOCK_FD = 1 << 5,
	S_INFO_FD = 1 << 6,
	S_JSON_STATUS_FD = 1 << 7,
	S_SECCOMP = 1 << 8,
	S_USERNS = 1 << 9,
	S_USERNS2 = 1 << 10,
	S_PIDNS = 1 << 11,
	S_UID = 1 << 12,
	S_GID = 1 << 13,
	S_HOSTNAME = 1 << 14,
};

static int once(struct pctx *c, unsigned bit, const char *opt)
{
	if (c->seen & bit && warn(c, "Only the last %s option will take effect", opt) < 0)
		return -1;
	c->seen |= bit;
	return 0;
}

static int env_set(struct pctx *c, const char *name, const char *value)
{
	struct ag3_bwrap *bw = c->bw;
	size_t nl = strlen(name);
	_cleanup_free_ char *kv = NULL;
	if (asprintf(&kv, "%s=%s", name, value) < 0)
		return fail(c, "out of memory");
	for (size_t i = 0; i < bw->n_env; i++)
		if (!strncmp(bw->env[i], name, nl) && bw->env[i][nl] == '=') {
			free(bw->env[i]);
			bw->env[i] = TAKE_PTR(kv);
			return 0;
		}
	return strv_push(c, &bw->env, &bw->n_env, kv);
}

static void env_unset(struct ag3_bwrap *bw, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < bw->n_env; i++)
		if (!strncmp(bw->env[i], name, nl) && bw->env[i][nl] == '=') {
			free(bw->env[i]);
			memmove(&bw->env[i], &bw->env[i + 1], (bw->n_env - i) * sizeof(char *));
			bw->n_env--;
			return;
		}
}

static int parse_args(struct pctx *c, int argc, char *const *argv, bool from_fd);

/* --args FD: NUL-separated words, parsed as if they stood here. */
static int args_from_fd(struct pctx *c, int fd)
{
	char *buf = NULL;
	size_t len = 0;
	int r = c->read_fd ? c->read_fd(c->read_data, fd, &buf, &len) : -EBADF;
	if (r < 0)
		return fail(c, "Can't read --args data: %s", strerror(-r));
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\0';
	if (len && buf[len - 1] != '\0')
		n++;
	if (n > ARGS_MAX || c->total_args + n > ARGS_MAX) {
		free(buf);
		return fail(c, "Exceeded maximum number of arguments %u", ARGS_MAX);
	}
	char **words = calloc(n + 1, sizeof(char *));
	char *copy = malloc(len + 1);
	if (!words || !copy) {
		free(words);
		free(copy);
		free(buf);
		return fail(c, "out of memory");
	}
	memcpy(copy, buf, len);
	copy[len] = '\0';
	free(buf);
	size_t k = 0;
	for (size_t i = 0; i < len && k < n; k++) {
		words[k] = copy + i;
		i += strlen(copy + i) + 1;
	}
	r = parse_args(c, (int)k, words, true);
	free(words);
	/* the words are referenced by nothing once parsed: every value is copied */
	free(copy);
	return r;
}

/* Takes the options; at the first non-option (or after `--`) the rest is the command. */
static int parse_args(struct pctx *c, int argc, char *const *argv, bool from_fd)
{
	struct ag3_bwrap *bw = c->bw;
	c->total_args += (size_t)argc;
	if (c->total_args > ARGS_MAX)
		return fail(c, "Exceeded maximum number of arguments %u", ARGS_MAX);
	int i = 0;
#define NEED(k, text)                                                                              \
	do {                                                                                       \
		if (argc - i - 1 < (k))                                                            \
			return fail(c, "%s", text);                                                \
	} while (0)
	for (; i < argc; i++) {
		const char *a = argv[i];
		const bool modifier = !strcmp(a, "--perms") || !strcmp(a, "--size");
		if (c->pending_by && !modifier) {
			/* the op the modifiers wait for must come next */
			static const char *const perms_ops[] = {"--dir",          "--tmpfs",
								"--file",         "--bind-data",
								"--ro-bind-data", NULL};
			bool ok = false;
			for (size_t k = 0; perms_ops[k]; k++)
				ok |= !strcmp(a, perms_ops[k]);
			if (c->pending_size && strcmp(a, "--tmpfs"))
				return fail(c, "--size must be followed by --tmpfs");
			if (!ok)
				return fail(c,
					    "--perms must be followed by an option that creates a "
					    "file");
		}
		if (c->n_overlay_src && strcmp(a, "--overlay-src") && strcmp(a, "--overlay") &&
		    strcmp(a, "--tmp-overlay") && strcmp(a, "--ro-overlay"))
			return fail(c, "--overlay-src must be followed by another --overlay-src or "
				       "one of --overlay, --tmp-overlay, or --ro-overlay");
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (!strcmp(a, "--help")) {
			bw->help = true;
			return 0;
		} else if (!strcmp(a, "--version")) {
			bw->version = true;
			return 0;
		} else if (!strcmp(a, "--args")) {
			NEED(1, "--args takes an argument");
			if (from_fd)
				return fail(c, "--args not supported in arguments file");
			int fd;
			if (parse_fd(c, argv[++i], &fd) < 0 || args_from_fd(c, fd) < 0)
				return -1;
			if (bw->help || bw->version)
				return 0;
			if (bw->argv) {
				/* the data held the command: what follows are its arguments */
				for (i++; i < argc; i++)
					if (strv_push(c, &bw->argv, &bw->argc, argv[i]) < 0)
						return -1;
				return 0;
			}
		} else if (!strcmp(a, "--argv0")) {
			NEED(1, "--argv0 takes one argument");
			if (bw->argv0)
				return fail(c, "--argv0 used multiple times");
			if (dup_into(c, &bw->argv0, argv[++i]) < 0)
				return -1;
		} else if (!strcmp(a, "--level-prefix")) {
			bw->level_prefix = true;
		} else if (!strcmp(a, "--unshare-user")) {
			bw->unshare_user = true;
		} else if (!strcmp(a, "--unshare-user-try")) {
			bw->unshare_user_try = true;
		} else if (!strcmp(a, "--unshare-ipc")) {
			bw->unshare_ipc = true;
		} else if (!strcmp(a, "--unshare-pid")) {
			bw->unshare_pid = true;
		} else if (!strcmp(a, "--unshare-net")) {
			bw->unshare_net = true;
		} else if (!strcmp(a, "--unshare-uts")) {
			bw->unshare_uts = true;
		} else if (!strcmp(a, "--unshare-cgroup")) {
			bw->unshare_cgroup = true;
		} else if (!strcmp(a, "--unshare-cgroup-try")) {
			bw->unshare_cgroup_try = true;
		} else if (!strcmp(a, "--unshare-all")) {
			bw->unshare_user_try = bw->unshare_ipc = bw->unshare_pid = bw->unshare_net =
				bw->unshare_uts = bw->unshare_cgroup_try = true;
		} else if (!strcmp(a, "--share-net")) {
			bw->unshare_net = false;
		} else if (!strcmp(a, "--userns") || !strcmp(a, "--userns2") ||
			   !strcmp(a, "--pidns") || !strcmp(a, "--info-fd") ||
			   !strcmp(a, "--json-status-fd") || !strcmp(a, "--sync-fd") ||
			   !strcmp(a, "--block-fd") || !strcmp(a, "--userns-block-fd") ||
			   !strcmp(a, "--seccomp")) {
			static const struct {
				const char *name;
				unsigned bit;
				size_t off;
			} fds[] = {
				{"--userns", S_USERNS, offsetof(struct ag3_bwrap, userns_fd)},
				{"--userns2", S_USERNS2, offsetof(struct ag3_bwrap, userns2_fd)},
				{"--pidns", S_PIDNS, offsetof(struct ag3_bwrap, pidns_fd)},
				{"--info-fd", S_INFO_FD, offsetof(struct ag3_bwrap, info_fd)},
				{"--json-status-fd", S_JSON_STATUS_FD,
				 offsetof(struct ag3_bwrap, json_status_fd)},
				{"--sync-fd", S_SYNC_FD, offsetof(struct ag3_bwrap, sync_fd)},
				{"--block-fd", S_BLOCK_FD, offsetof(struct ag3_bwrap, block_fd)},
				{"--userns-block-fd", S_USERNS_BLOCK_FD,
				 offsetof(struct ag3_bwrap, userns_block_fd)},
				{"--seccomp", S_SECCOMP, offsetof(struct ag3_bwrap, seccomp_fd)},
			};
			size_t k = 0;
			while (strcmp(fds[k].name, a))
				k++;
			char text[64];
			snprintf(text, sizeof(text), "%s takes an argument", a);
			NEED(1, text);
			int fd;
			if (parse_fd(c, argv[++i], &fd) < 0 || once(c, fds[k].bit, a) < 0)
				return -1;
			if (fds[k].bit == S_SECCOMP && bw->n_add_seccomp_fds)
				return fail(c,
					    "--seccomp cannot be combined with --add-seccomp-fd");
			*(int *)((char *)bw + fds[k].off) = fd;
		} else if (!strcmp(a, "--add-seccomp-fd")) {
			NEED(1, "--add-seccomp-fd takes an argument");
			int fd;
			if (parse_fd(c, argv[++i], &fd) < 0)
				return -1;
			if (bw->seccomp_fd >= 0)
				return fail(c,
					    "--add-seccomp-fd cannot be combined with --seccomp");
			int *v = realloc(bw->add_seccomp_fds,
					 (bw->n_add_seccomp_fds + 1) * sizeof(int));
			if (!v)
				return fail(c, "out of memory");
			bw->add_seccomp_fds = v;
			v[bw->n_add_seccomp_fds++] = fd;
		} else if (!strcmp(a, "--disable-userns")) {
			bw->disable_userns = true;
		} else if (!strcmp(a, "--assert-userns-disabled")) {
			bw->assert_userns_disabled = true;
		} else if (!strcmp(a, "--uid") || !strcmp(a, "--gid")) {
			const bool u = a[2] == 'u';
			NEED(1, u ? "--uid takes an argument" : "--gid takes an argument");
			if (once(c, u ? S_UID : S_GID, a) < 0 ||
			    parse_id(c, argv[++i], u ? "uid" : "gid", u ? &bw->uid : &bw->gid) < 0)
				return -1;
		} else if (!strcmp(a, "--uid-map") || !strcmp(a, "--gid-map")) {
			/* not bwrap's: the agent platform's (README "Replacing bwrap") */
			const bool u = a[2] == 'u';
			NEED(3, u ? "--uid-map takes three arguments"
				  : "--gid-map takes three arguments");
			long long *m = u ? bw->uid_map : bw->gid_map;
			for (int k = 0; k < 3; k++)
				if (parse_id(c, argv[++i], u ? "uid" : "gid", &m[k]) < 0)
					return -1;
			*(u ? &bw->uid_map_given : &bw->gid_map_given) = true;
		} else if (!strcmp(a, "--hostname")) {
			NEED(1, "--hostname takes an argument");
			if (once(c, S_HOSTNAME, a) < 0 || dup_into(c, &bw->hostname, argv[++i]) < 0)
				return -1;
		} else if (!strcmp(a, "--chdir")) {
			NEED(1, "--chdir takes one argument");
			if (once(c, S_CHDIR, a) < 0 || dup_into(c, &bw->chdir, argv[++i]) < 0)
				return -1;
		} else if (!strcmp(a, "--exec-label") || !strcmp(a, "--file-label")) {
			const bool e = a[2] == 'e';
			NEED(1, e ? "--exec-label takes an argument"
				  : "--file-label takes an argument");
			if (once(c, e ? S_EXEC_LABEL : S_FILE_LABEL, a) < 0 ||
			    dup_into(c, e ? &bw->exec_label : &bw->file_label, argv[++i]) < 0)
				return -1;
		} else if (!strcmp(a, "--setenv")) {
			NEED(2, "--setenv takes two arguments");
			if (env_set(c, argv[i + 1], argv[i + 2]) < 0)
				return -1;
			i += 2;
		} else if (!strcmp(a, "--unsetenv")) {
			NEED(1, "--unsetenv takes an argument");
			env_unset(bw, argv[++i]);
		} else if (!strcmp(a, "--clearenv")) {
			for (size_t k = 0; k < bw->n_env; k++)
				free(bw->env[k]);
			bw->n_env = 0;
			if (bw->env)
				bw->env[0] = NULL;
		} else if (!strcmp(a, "--lock-file")) {
			NEED(1, "--lock-file takes an argument");
			if (strv_push(c, &bw->lock_files, &bw->n_lock_files, argv[++i]) < 0)
				return -1;
		} else if (!strcmp(a, "--new-session")) {
			bw->new_session = true;
		} else if (!strcmp(a, "--die-with-parent")) {
			bw->die_with_parent = true;
		} else if (!strcmp(a, "--as-pid-1")) {
			bw->as_pid_1 = true;
		} else if (!strcmp(a, "--cap-add") || !strcmp(a, "--cap-drop")) {
			const bool add = a[6] == 'a';
			NEED(1,
			     add ? "--cap-add takes an argument" : "--cap-drop takes an argument");
			/* In command-line order, each "+CAP" or "-CAP": a later one wins. */
			char *op = NULL;
			if (asprintf(&op, "%c%s", add ? '+' : '-', argv[++i]) < 0)
				return fail(c, "out of memory");
			int r = strv_push(c, &bw->caps, &bw->n_caps, op);
			free(op);
			if (r < 0)
				return -1;
		} else if (!strcmp(a, "--perms")) {
			NEED(1, "--perms takes an argument");
			if (c->pending_perms >= 0)
				return fail(c, "--perms given twice for the same action");
			if (parse_octal(c, "--perms", argv[++i], &c->pending_perms) < 0)
				return -1;
			if (!c->pending_by || strcmp(c->pending_by, "--size"))
				c->pending_by = "--perms";
		} else if (!strcmp(a, "--size")) {
			NEED(1, "--size takes an argument");
			if (c->pending_size)
				return fail(c, "--size given twice for the same action");
			if (parse_size(c, argv[++i], &c->pending_size) < 0)
				return -1;
			c->pending_by = "--size";
		} else {
			/* the setup operations */
			static const struct {
				const char *name;
				enum ag3_bw_op_kind kind;
				int nargs; /* 1: dest; 2: src dest (or fd dest); 3: overlay */
				bool ro, dev, try_, fd;
				const char *arity;
			} ops[] = {
				{"--bind", AG3_BW_BIND, 2, false, false, false, false,
				 "--bind takes two arguments"},
				{"--bind-try", AG3_BW_BIND, 2, false, false, true, false,
				 "--bind-try takes two arguments"},
				{"--ro-bind", AG3_BW_BIND, 2, true, false, false, false,
				 "--ro-bind takes two arguments"},
				{"--ro-bind-try", AG3_BW_BIND, 2, true, false, true, false,
				 "--ro-bind-try takes two arguments"},
				{"--dev-bind", AG3_BW_BIND, 2, false, true, false, false,
				 "--dev-bind takes two arguments"},
				{"--dev-bind-try", AG3_BW_BIND, 2, false, true, true, false,
				 "--dev-bind-try takes two arguments"},
				{"--bind-fd", AG3_BW_BIND_FD, 2, false, false, false, true,
				 "--bind-fd takes two arguments"},
				{"--ro-bind-fd", AG3_BW_BIND_FD, 2, true, false, false, true,
				 "--bind-fd takes two arguments"},
				{"--remount-ro", AG3_BW_REMOUNT_RO, 1, false, false, false, false,
				 "--remount-ro takes one argument"},
				{"--proc", AG3_BW_PROC, 1, false, false, false, false,
				 "--proc takes an argument"},
				{"--dev", AG3_BW_DEV, 1, false, false, false, false,
				 "--dev takes an argument"},
				{"--tmpfs", AG3_BW_TMPFS, 1, false, false, false, false,
				 "--tmpfs takes an argument"},
				{"--mqueue", AG3_BW_MQUEUE, 1, false, false, false, false,
				 "--mqueue takes an argument"},
				{"--dir", AG3_BW_DIR, 1, false, false, false, false,
				 "--dir takes an argument"},
				{"--file", AG3_BW_FILE, 2, false, false, false, true,
				 "--file takes two arguments"},
				{"--bind-data", AG3_BW_BIND_DATA, 2, false, false, false, true,
				 "--bind-data takes two arguments"},
				{"--ro-bind-data", AG3_BW_BIND_DATA, 2, true, false, false, true,
				 "--ro-bind-data takes two arguments"},
				{"--symlink", AG3_BW_SYMLINK, 2, false, false, false, false,
				 "--symlink takes two arguments"},
				{"--chmod", AG3_BW_CHMOD, 2, false, false, false, false,
				 "--chmod takes two arguments"},
				{"--overlay-src", AG3_BW_OVERLAY_SRC, 1, false, false, false, false,
				 "--overlay-src takes an argument"},
				{"--overlay", AG3_BW_OVERLAY, 3, false, false, false, false,
				 "--overlay takes three arguments"},
				{"--tmp-overlay", AG3_BW_TMP_OVERLAY, 1, false, false, false, false,
				 "--tmp-overlay takes an argument"},
				{"--ro-overlay", AG3_BW_RO_OVERLAY, 1, false, false, false, false,
				 "--ro-overlay takes an argument"},
			};
			size_t k = 0;
			while (k < ELEMENTSOF(ops) && strcmp(ops[k].name, a))
				k++;
			if (k == ELEMENTSOF(ops))
				return fail(c, "Unknown option %s", a);
			NEED(ops[k].nargs, ops[k].arity);
			struct ag3_bw_op *op = new_op(c, ops[k].kind, ops[k].name);
			if (!op)
				return -1;
			op->ro = ops[k].ro;
			op->dev = ops[k].dev;
			op->try_ = ops[k].try_;
			const char *x = argv[i + 1];
			if (ops[k].kind == AG3_BW_CHMOD) {
				if (parse_octal(c, "--chmod", x, &op->perms) < 0 ||
				    dup_into(c, &op->dest, argv[i + 2]) < 0)
					return -1;
			} else if (ops[k].fd) {
				if (parse_fd(c, x, &op->fd) < 0 ||
				    dup_into(c, &op->dest, argv[i + 2]) < 0)
					return -1;
			} else if (ops[k].nargs == 1) {
				if (dup_into(c, &op->dest, x) < 0)
					return -1;
			} else if (ops[k].nargs == 2) {
				if (dup_into(c, &op->src, x) < 0 ||
				    dup_into(c, &op->dest, argv[i + 2]) < 0)
					return -1;
			} else {
				if (dup_into(c, &op->src, x) < 0 ||
				    dup_into(c, &op->extra, argv[i + 2]) < 0 ||
				    dup_into(c, &op->dest, argv[i + 3]) < 0)
					return -1;
			}
			i += ops[k].nargs;
			switch (op->kind) {
			case AG3_BW_OVERLAY_SRC:
				c->n_overlay_src++;
				break;
			case AG3_BW_OVERLAY:
			case AG3_BW_TMP_OVERLAY:
				if (!c->n_overlay_src)
					return fail(c, "%s requires at least one --overlay-src", a);
				c->n_overlay_src = 0;
				break;
			case AG3_BW_RO_OVERLAY:
				if (c->n_overlay_src < 2)
					return fail(
						c,
						"--ro-overlay requires at least two --overlay-src");
				c->n_overlay_src = 0;
				break;
			default:
				break;
			}
			if (c->pending_by) {
				op->perms = c->pending_perms;
				op->size = c->pending_size;
				c->pending_perms = -1;
				c->pending_size = 0;
				c->pending_by = NULL;
			}
		}
	}
#undef NEED
	if (from_fd) {
		/* the rest of the data, if any, is the command */
		if (i < argc)
			for (; i < argc; i++)
				if (strv_push(c, &bw->argv, &bw->argc, argv[i]) < 0)
					return -1;
		return 0;
	}
	if (c->n_overlay_src)
		return fail(c, "--overlay-src must be followed by another --overlay-src or one of "
			       "--overlay, --tmp-overlay, or --ro-overlay");
	if (c->pending_by)
		return fail(c, strcmp(c->pending_by, "--size")
				       ? "--perms must be followed by an option that creates a file"
				       : "--size must be followed by --tmpfs");
	for (; i < argc; i++)
		if (strv_push(c, &bw->argv, &bw->argc, argv[i]) < 0)
			return -1;
	return 0;
}

int ag3_bwrap_parse(int argc, char *const *argv, char *const *envp, ag3_bw_read_fd read_fd,
		    void *read_data, struct ag3_bwrap *bw, char *err, size_t errlen)
{
	*bw = (struct ag3_bwrap){.uid = -1,
				 .gid = -1,
				 .info_fd = -1,
				 .json_status_fd = -1,
				 .sync_fd = -1,
				 .block_fd = -1,
				 .userns_block_fd = -1,
				 .userns_fd = -1,
				 .userns2_fd = -1,
				 .pidns_fd = -1,
				 .seccomp_fd = -1};
	struct pctx c = {.bw = bw,
			 .err = err,
			 .errlen = errlen,
			 .read_fd = read_fd,
			 .read_data = read_data,
			 .pending_perms = -1};
	if (errlen)
		err[0] = '\0';
	for (size_t i = 0; envp && envp[i]; i++)
		if (strchr(envp[i], '=') && strv_push(&c, &bw->env, &bw->n_env, envp[i]) < 0)
			goto fail;
	if (parse_args(&c, argc, argv, false) < 0)
		goto fail;
	/* Checks that need the whole line (bwrap's order). */
	if (bw->help || bw->version)
		return 0;
	if (bw->userns_fd >= 0 && bw->unshare_user)
		return fail(&c, "--userns not compatible --unshare-user"), ag3_bwrap_clear(bw), -1;
	if (bw->userns_fd >= 0 && bw->unshare_user_try)
		return fail(&c, "--userns not compatible --unshare-user-try"), ag3_bwrap_clear(bw),
		       -1;
	if (bw->as_pid_1 && !bw->unshare_pid)
		return fail(&c, "Specifying --as-pid-1 requires --unshare-pid"),
		       ag3_bwrap_clear(bw), -1;
	if (bw->as_pid_1 && bw->n_lock_files)
		return fail(&c, "Specifying --as-pid-1 and --lock-file is not permitted"),
		       ag3_bwrap_clear(bw), -1;
	if (bw->hostname && !bw->unshare_uts)
		return fail(&c, "Specifying --hostname requires --unshare-uts"),
		       ag3_bwrap_clear(bw), -1;
	if (bw->disable_userns && !bw->unshare_user)
		return fail(&c, "--disable-userns requires --unshare-user"), ag3_bwrap_clear(bw),
		       -1;
	if (bw->disable_userns && bw->userns_block_fd >= 0)
		return fail(&c, "--disable-userns is not compatible with  --userns-block-fd"),
		       ag3_bwrap_clear(bw), -1;
	if (bw->userns_block_fd >= 0 && !bw->unshare_user)
		return fail(&c, "--userns-block-fd requires --unshare-user"), ag3_bwrap_clear(bw),
		       -1;
	if (bw->userns_block_fd >= 0 && bw->info_fd < 0)
		return fail(&c, "--userns-block-fd requires --info-fd"), ag3_bwrap_clear(bw), -1;
	return 0;
fail:
	ag3_bwrap_clear(bw);
	return -1;
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ag3_bwrap_clear(struct ag3_bwrap *bw)
{
	for (size_t i = 0; i < bw->n_ops; i++) {
		free(bw->ops[i].src);
		free(bw->ops[i].dest);
		free(bw->ops[i].extra);
	}
	free(bw->ops);
	free(bw->hostname);
	free(bw->chdir);
	free(bw->argv0);
	free(bw->exec_label);
	free(bw->file_label);
	strv_free(bw->env, bw->n_env);
	strv_free(bw->caps, bw->n_caps);
	strv_free(bw->lock_files, bw->n_lock_files);
	strv_free(bw->warnings, bw->n_warnings);
	strv_free(bw->argv, bw->argc);
	free(bw->add_seccomp_fds);
	*bw = (struct ag3_bwrap){.uid = -1, .gid = -1};
}
