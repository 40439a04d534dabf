/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/context.h"
#include "cli.h"
#include "cli_options.h"
#include "mounts/executor.h"
#include "runtime/util/text.h"

/* Messages interpolate argv, paths, profile and spec values: the whole line is
 * escaped (the formats themselves hold no control character). */
void cli_error(const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	fprintf(stderr, PROG ": %s\n", msg ? cli_esc(msg) : "out of memory");
	free(msg);
}

const char *cli_esc(const char *s)
{
	/* a ring of the last results: one printf can take up to CLI_ESC_SLOTS of them */
	static char *slot[CLI_ESC_SLOTS];
	static unsigned next;
	if (!s)
		return "(null)";
	char *e = ag3_escape_text(s, strlen(s));
	if (!e)
		return "<out of memory>";
	unsigned i = next++ % CLI_ESC_SLOTS;
	free(slot[i]);
	slot[i] = e;
	return e;
}

int cli_print_json(FILE *f, const char *json)
{
	_cleanup_free_ char *s = ag3_escape_json(json);
	if (!s) {
		cli_error("out of memory");
		return -1;
	}
	size_t n = strlen(s);
	fputs(s, f);
	if (!n || s[n - 1] != '\n')
		fputc('\n', f);
	explicit_bzero(s, n); /* a spec's secrets */
	return 0;
}

void cli_print_error(const char *what, const struct ag3_error *e)
{
	_cleanup_free_ char *s = e ? ag3_error_format(e) : NULL;
	fprintf(stderr, PROG ": %s%s%s\n", what ? cli_esc(what) : "", what ? ": " : "",
		cli_esc(s ? s : (e && e->msg ? e->msg : "unknown error")));
}

/* Opens the directory `path` ends in (made absolute against the cwd) without following
 * any symlink on the way, and points *name at the last component (in *abs). */
static int open_parent_nofollow(const char *path, char **abs, const char **name, int *ret)
{
	if (path[0] == '/') {
		*abs = strdup(path);
	} else {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		if (!cwd || asprintf(abs, "%s/%s", cwd, path) < 0)
			*abs = NULL;
	}
	if (!*abs)
		return -ENOMEM;
	char *slash = strrchr(*abs, '/');
	*name = slash + 1;
	if (!**name || !strcmp(*name, ".") || !strcmp(*name, ".."))
		return -EISDIR;
	*slash = 0;
	_cleanup_free_ char *dir = NULL;
	int r = ag3_path_normalize((*abs)[0] ? *abs : "/", &dir);
	if (r < 0)
		return r;
	_cleanup_close_ int dfd = -1;
	r = ag3_mounts_open_dir_nofollow(dir, &dfd);
	if (r < 0)
		return r;
	/* O_PATH fds cannot be used for openat: reopen the directory itself. */
	*ret = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return *ret < 0 ? -errno : 0;
}

/* A new file with a random name in `d`, created (never opened) with `mode`. */
static int create_temp(int d, mode_t mode, char name[static 64])
{
	for (int tries = 0; tries < 16; tries++) {
		unsigned long long rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		snprintf(name, 64, ".ag3-tmp.%d.%016llx", (int)getpid(), rnd);
		int fd =
			openat(d, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

int cli_target_open(const char *path, bool probe, struct cli_target *t)
{
	*t = (struct cli_target){.dirfd = -1};
	int r = open_parent_nofollow(path, &t->abs, &t->name, &t->dirfd);
	if (r < 0) {
		cli_target_close(t);
		return r;
	}
	if (!probe)
		return 0;
	/* What the rename at the end would fail on, found now: a directory in the way, a
	 * directory where no file can be made (permissions, read-only, no inodes). */
	struct stat st;
	if (fstatat(t->dirfd, t->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
		cli_target_close(t);
		return -EISDIR;
	}
	char tmp[64];
	int fd = create_temp(t->dirfd, 0600, tmp);
	if (fd < 0) {
		cli_target_close(t);
		return fd;
	}
	close(fd);
	unlinkat(t->dirfd, tmp, 0);
	return 0;
}

void cli_target_close(struct cli_target *t)
{
	if (t->dirfd >= 0)
		close(t->dirfd);
	free(t->abs);
	*t = (struct cli_target){.dirfd = -1};
}

int cli_target_write(const struct cli_target *t, const void *data, size_t len, mode_t mode)
{
	const int d = t->dirfd;
	char tmp[64];
	int fd = create_temp(d, mode, tmp);
	if (fd < 0)
		return fd;
	const char *p = data;
	size_t left = len;
	int r = 0;
	while (left && r == 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
		} else {
			p += w;
			left -= (size_t)w;
		}
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	/* the rename replaces whatever is at `name` (a file, a symlink, a hard link) with
	 * this new inode; nothing already there is opened or written through */
	if (r == 0 && renameat(d, tmp, d, t->name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(d, tmp, 0);
	return r;
}

int cli_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	struct cli_target t;
	int r = cli_target_open(path, false, &t);
	if (r < 0)
		return r;
	r = cli_target_write(&t, data, len, mode);
	cli_target_close(&t);
	return r;
}

const struct option cli_source_options[CLI_SOURCE_N_OPTIONS] = {
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"spec", required_argument, NULL, OPT_SPEC},
	{"workspace", required_argument, NULL, OPT_WORKSPACE},
	{"uid", required_argument, NULL, OPT_UID},
	{"gid", required_argument, NULL, OPT_GID},
	{"user", required_argument, NULL, OPT_USER},
	{"session", required_argument, NULL, OPT_SESSION},
	{"session-id", required_argument, NULL, OPT_SESSION_ID},
	{"agent-dir", required_argument, NULL, OPT_DIR_FIRST + AG3_DIR_AGENT},
	{"sessions-dir", required_argument, NULL, OPT_DIR_FIRST + AG3_DIR_SESSIONS},
	{"session-dir", required_argument, NULL, OPT_DIR_FIRST + AG3_DIR_SESSION},
	{"config-dir", required_argument, NULL, OPT_DIR_FIRST + AG3_DIR_CONFIG},
	{"skills-dir", required_argument, NULL, OPT_DIR_FIRST + AG3_DIR_SKILLS},
	{"logs-dir", required_argument, NULL, OPT_DIR_FIRST + AG3_DIR_LOGS},
	{"data-dir", required_argument, NULL, OPT_DIR_FIRST + AG3_DIR_DATA},
	{"mounts", required_argument, NULL, OPT_MOUNTS},
	{"secrets", required_argument, NULL, OPT_SECRETS},
	{"dynamic", required_argument, NULL, OPT_DYNAMIC},
	{"uid-mode", required_argument, NULL, OPT_UID_MODE},
	{"api-uid", required_argument, NULL, OPT_API_UID},
	{"host-root", required_argument, NULL, OPT_HOST_ROOT},
};

const char cli_source_help[] =
	"Profile and session:\n"
	"  --profile FILE     a profile in the agent platform's permissions.yaml schema\n"
	"                     (default: the embedded default profile)\n"
	"  --spec FILE        a compiled spec (JSON, from `compile`) instead of a profile;\n"
	"                     the session options below cannot be used with it\n"
	"  --workspace DIR    host directory bound read-write at /workspace ({workspace_dir});\n"
	"                     without it /workspace is an empty private tmpfs\n"
	"  --uid N, --gid N   the ids the command runs as, both or neither (root mode default\n"
	"                     65534; rootless default: your own ids, mapped in a user\n"
	"                     namespace). Never 0.\n"
	"  --user NAME        {username}\n"
	"  --session-id ID    {session_id} (also --session ID: a value without a '/'; with\n"
	"                     one, `exec --session PATH` names an open session's socket)\n"
	"  --agent-dir DIR, --sessions-dir DIR, --session-dir DIR, --config-dir DIR,\n"
	"  --skills-dir DIR, --logs-dir DIR, --data-dir DIR\n"
	"                     the directory placeholders ({agent_dir} ...); defaults follow\n"
	"                     the platform's container layout (/, /sessions, /config ...)\n"
	"  --mounts FILE      the platform's external-mounts.yaml: /mounts becomes a private\n"
	"                     tmpfs holding only the mounts --user is authorized for, each\n"
	"                     also at its original host path unless that path is reserved\n"
	"  --dynamic BASE[/SUBPATH][:ro|rw][=ALIAS]\n"
	"                     a dynamic mount request against the mounts config's dynamic\n"
	"                     bases (repeatable); it fails with the platform's error code\n"
	"  --secrets FILE     sandboxed_envs from a secrets.yaml (repeatable: the first is\n"
	"                     the global one, later ones are per-user and override it)\n"
	"  --uid-mode MODE    isolated (default: 50000-60000, and 2000-49999), direct\n"
	"                     (1000-65533) or any (every id but 0 and the API uid); checks\n"
	"                     --uid/--gid and a --spec's ids\n"
	"  --api-uid N        the API's own uid, never allowed as a session id (45045)\n"
	"  --host-root DIR    testing/staging aid: host paths are looked up beneath DIR and\n"
	"                     every bind source is DIR + the path (targets unchanged)\n";

static int parse_id(const char *opt, const char *arg, unsigned *ret)
{
	unsigned long long v;
	if (cli_parse_u64(arg, 4294967294ULL, &v) < 0) {
		cli_error("--%s: '%s' is not a number from 1 to 4294967294", opt, arg);
		return -1;
	}
	if (v == 0) {
		cli_error("--%s: 0 is not allowed: the command never runs as root", opt);
		return -1;
	}
	*ret = (unsigned)v;
	return 0;
}

static int set_session_str(char **dst, const char *opt, const char *arg)
{
	if (!arg || !*arg) {
		cli_error("--%s: must not be empty", opt);
		return -1;
	}
	free(*dst);
	*dst = strdup(arg);
	return *dst ? 1 : -1;
}

int cli_source_handle(struct cli_source *src, int opt, const char *arg)
{
	struct ag3_vars *s = src->vars;
	unsigned id;
	unsigned long long v;
	switch (opt) {
	case OPT_MOUNTS:
		return cli_set_once(&src->mounts_path, "--mounts", arg);
	case OPT_SECRETS:
		if (src->n_secrets >= CLI_MAX_SECRETS) {
			cli_error("--secrets: at most %d files", CLI_MAX_SECRETS);
			return -1;
		}
		src->secrets_paths[src->n_secrets++] = arg;
		return 1;
	case OPT_DYNAMIC:
		if (src->n_dynamic >= CLI_MAX_DYNAMIC) {
			cli_error("--dynamic: at most %d requests", CLI_MAX_DYNAMIC);
			return -1;
		}
		src->dynamic_args[src->n_dynamic++] = arg;
		return 1;
	case OPT_UID_MODE: {
		enum ag3_uid_mode m = ag3_uid_mode_from_string(arg);
		if ((int)m < 0) {
			cli_error("--uid-mode: '%s' is not isolated, direct or any", arg);
			return -1;
		}
		src->uid_mode = m;
		return 1;
	}
	case OPT_API_UID:
		if (cli_parse_u64(arg, 4294967294ULL, &v) < 0 || v == 0) {
			cli_error("--api-uid: '%s' is not a number from 1 to 4294967294", arg);
			return -1;
		}
		src->api_uid_set = true;
		src->api_uid = (uid_t)v;
		return 1;
	case OPT_HOST_ROOT:
		if (!arg || arg[0] != '/') {
			cli_error("--host-root: '%s' is not an absolute path", arg ? arg : "");
			return -1;
		}
		src->host_root = arg;
		return 1;
	case OPT_PROFILE:
		return cli_set_once(&src->profile_path, "--profile", arg);
	case OPT_SPEC:
		return cli_set_once(&src->spec_path, "--spec", arg);
	case OPT_UID:
		if (parse_id("uid", arg, &id) < 0)
			return -1;
		s->uid_set = true;
		s->uid = id;
		return 1;
	case OPT_GID:
		if (parse_id("gid", arg, &id) < 0)
			return -1;
		s->gid_set = true;
		s->gid = id;
		return 1;
	case OPT_USER:
		return set_session_str(&s->username, "user", arg);
	case OPT_SESSION:
		/* A session id never holds a '/': with one, the value is an open session's
		 * socket (exec --session PATH). */
		if (arg && strchr(arg, '/'))
			return cli_set_once(&src->session_socket, "--session", arg);
		return set_session_str(&s->session_id, "session", arg);
	case OPT_SESSION_ID:
		return set_session_str(&s->session_id, "session-id", arg);
	case OPT_WORKSPACE:
		opt = OPT_DIR_FIRST + AG3_DIR_WORKSPACE;
		__attribute__((fallthrough));
	default:
		if (opt >= OPT_DIR_FIRST && opt < OPT_DIR_FIRST + _AG3_DIR_MAX) {
			enum ag3_dir d = (enum ag3_dir)(opt - OPT_DIR_FIRST);
			if (!arg || arg[0] != '/') {
				cli_error("--%s: '%s' is not an absolute path",
					  d == AG3_DIR_WORKSPACE ? "workspace"
								 : ag3_dir_to_string(d),
					  arg ? arg : "");
				return -1;
			}
			if (ag3_vars_set_dir(s, d, arg) < 0)
				return -1;
			return 1;
		}
		return 0;
	}
}

int cli_source_profile(const struct cli_source *src, struct ag3_profile **ret,
		       struct ag3_error **reterr)
{
	return src->profile_path ? ag3_profile_load_file(src->profile_path, ret, reterr)
				 : ag3_profile_load_default(ret, reterr);
}

int cli_source_load_mounts(const struct cli_source *src, struct ag3_mounts_config **ret)
{
	struct ag3_error *err = NULL;
	*ret = NULL;
	if (!src->mounts_path)
		return 0;
	if (ag3_mounts_config_load_file(src->mounts_path, ret, &err) < 0) {
		cli_print_error(NULL, err);
		ag3_error_free(err);
		return -1;
	}
	return 0;
}

struct ag3_context *cli_source_context(const struct cli_source *src)
{
	_cleanup_(ag3_context_freep) struct ag3_context *c = ag3_context_new_with(src->vars);
	if (!c)
		return NULL;
	c->uid_policy.mode = src->uid_mode;
	if (src->api_uid_set)
		c->uid_policy.api_uid = src->api_uid;
	int r = ag3_context_set_profile_file(c, src->profile_path);
	if (r == 0)
		r = ag3_context_set_mounts_file(c, src->mounts_path);
	if (r == 0)
		r = ag3_context_set_host_root(c, src->host_root);
	for (size_t i = 0; r == 0 && i < src->n_secrets; i++)
		r = ag3_context_add_secrets_file(c, src->secrets_paths[i]);
	for (size_t i = 0; r == 0 && i < src->n_dynamic; i++)
		r = ag3_context_add_dynamic(c, src->dynamic_args[i]);
	return r < 0 ? NULL : TAKE_PTR(c);
}

int cli_source_spec(struct cli_source *src, struct ag3_spec **ret)
{
	if (src->session_socket) {
		cli_error("--session %s: an open session's socket is for `exec --session`; a "
			  "session id has no '/' (or use --session-id)",
			  src->session_socket);
		return -1;
	}
	struct ag3_error *err = NULL;
	if (cli_source_compile(src, ret, &err) < 0) {
		cli_print_error(NULL, err);
		ag3_error_free(err);
		return -1;
	}
	return 0;
}

int cli_source_compile(const struct cli_source *src, struct ag3_spec **ret, struct ag3_error **err)
{
	_cleanup_(ag3_context_freep) struct ag3_context *c = cli_source_context(src);
	if (!c)
		return ag3_error_set(err, ENOMEM, "out of memory");
	return src->spec_path ? ag3_context_load_spec(c, src->spec_path, ret, err)
			      : ag3_context_compile(c, ret, err);
}

bool cli_vars_dirs_given(const struct ag3_vars *v)
{
	for (int d = 0; d < _AG3_DIR_MAX; d++)
		if (v->dirs[d])
			return true;
	return false;
}
