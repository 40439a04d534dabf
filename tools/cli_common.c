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

#include "cli.h"
#include "mounts/executor.h"
#include "runtime/util/text.h"
#include "policy/compile.h"
#include "policy/secrets.h"
#include "runtime/spec_json.h"

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
		int fd = openat(d, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd >= 0 ? fd : -errno;
	}
	return -EEXIST;
}

int cli_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *abs = NULL;
	const char *name;
	_cleanup_close_ int d = -1;
	int r = open_parent_nofollow(path, &abs, &name, &d);
	if (r < 0)
		return r;
	char tmp[64];
	int fd = create_temp(d, mode, tmp);
	if (fd < 0)
		return fd;
	const char *p = data;
	size_t left = len;
	r = 0;
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
	if (r == 0 && renameat(d, tmp, d, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(d, tmp, 0);
	return r;
}

int cli_parse_u64(const char *s, unsigned long long max, unsigned long long *ret)
{
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*ret = v;
	return 0;
}

int cli_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		cli_error("%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		cli_error("%s: not a regular file", path);
		return -EINVAL;
	}
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf) {
			close(fd);
			cli_error("out of memory");
			return -ENOMEM;
		}
		if (len == cap) {
			if (cap >= max) {
				free(buf);
				close(fd);
				cli_error("%s: larger than %zu bytes", path, max);
				return -EFBIG;
			}
			cap *= 2;
			char *n = realloc(buf, cap + 1);
			if (!n)
				free(buf);
			buf = n;
			continue;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			free(buf);
			close(fd);
			cli_error("%s: %s", path, strerror(e));
			return -e;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = 0;
	*ret = buf;
	*ret_len = len;
	return 0;
}

static const struct option source_options[] = {
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"spec", required_argument, NULL, OPT_SPEC},
	{"workspace", required_argument, NULL, OPT_WORKSPACE},
	{"uid", required_argument, NULL, OPT_UID},
	{"gid", required_argument, NULL, OPT_GID},
	{"user", required_argument, NULL, OPT_USER},
	{"session", required_argument, NULL, OPT_SESSION},
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
	"  --uid N, --gid N   the ids the command runs as (root mode default 65534; rootless\n"
	"                     default: your own ids, mapped in a user namespace). Never 0.\n"
	"  --user NAME        {username}\n"
	"  --session ID       {session_id}\n"
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

int cli_source_getopt(struct cli_source *src, int argc, char **argv, const char *optstring,
		      const struct option *local)
{
	/* rebuilt on every call: getopt_long keeps no pointer into it between calls */
	struct option opts[ELEMENTSOF(source_options) + CLI_MAX_LOCAL_OPTIONS + 1] = {0};
	size_t n = 0;
	while (local[n].name)
		n++;
	if (n > CLI_MAX_LOCAL_OPTIONS) {
		cli_error("internal error: more than %d options", CLI_MAX_LOCAL_OPTIONS);
		return CLI_OPT_ERROR;
	}
	memcpy(opts, source_options, sizeof(source_options));
	memcpy(opts + ELEMENTSOF(source_options), local, n * sizeof(*local));
	int c;
	while ((c = getopt_long(argc, argv, optstring, opts, NULL)) != -1) {
		int h = cli_source_handle(src, c, optarg);
		if (h < 0)
			return CLI_OPT_ERROR;
		if (h == 0)
			return c;
	}
	return -1;
}

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

/* An option that takes one value: a second one is an error (keeping the last one
 * silently hid mistakes). 1, or -1 with the error printed. */
static int set_once(const char **slot, const char *option, const char *arg)
{
	if (*slot) {
		cli_error("%s given twice ('%s', then '%s')", option, *slot, arg);
		return -1;
	}
	*slot = arg;
	return 1;
}

int cli_source_handle(struct cli_source *src, int opt, const char *arg)
{
	struct ag3_session *s = src->session;
	unsigned id;
	unsigned long long v;
	switch (opt) {
	case OPT_MOUNTS:
		return set_once(&src->mounts_path, "--mounts", arg);
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
		return set_once(&src->profile_path, "--profile", arg);
	case OPT_SPEC:
		return set_once(&src->spec_path, "--spec", arg);
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
		return set_session_str(&s->session_id, "session", arg);
	case OPT_WORKSPACE:
		opt = OPT_DIR_FIRST + AG3_DIR_WORKSPACE;
		__attribute__((fallthrough));
	default:
		if (opt >= OPT_DIR_FIRST && opt < OPT_DIR_FIRST + _AG3_DIR_MAX) {
			enum ag3_dir d = (enum ag3_dir)(opt - OPT_DIR_FIRST);
			if (!arg || arg[0] != '/') {
				cli_error("--%s: '%s' is not an absolute path",
					  d == AG3_DIR_WORKSPACE ? "workspace" : ag3_dir_to_string(d),
					  arg ? arg : "");
				return -1;
			}
			if (ag3_session_set_dir(s, d, arg) < 0)
				return -1;
			return 1;
		}
		return 0;
	}
}

static bool session_given(const struct ag3_session *s)
{
	if (s->username || s->session_id || s->uid_set || s->gid_set)
		return true;
	for (int d = 0; d < _AG3_DIR_MAX; d++)
		if (s->dirs[d])
			return true;
	return false;
}

struct ag3_uid_policy cli_source_uid_policy(const struct cli_source *src)
{
	struct ag3_uid_policy p = AG3_UID_POLICY_DEFAULT;
	p.mode = src->uid_mode;
	if (src->api_uid_set)
		p.api_uid = src->api_uid;
	return p;
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

int cli_source_load_secrets(struct cli_source *src)
{
	for (size_t i = 0; i < src->n_secrets; i++) {
		struct ag3_error *err = NULL;
		/* the first file is the global one; every later one is per-user */
		if (ag3_secrets_load_file(src->session, src->secrets_paths[i], i > 0, &err) < 0) {
			cli_print_error(NULL, err);
			ag3_error_free(err);
			return -1;
		}
	}
	return 0;
}

/* A spec given with --spec: every id in it (uid, gid and each supplementary
 * group) still goes through the uid policy, as --uid/--gid do. */
static int check_spec_ids(const struct cli_source *src, const struct ag3_spec *spec)
{
	struct ag3_uid_policy p = cli_source_uid_policy(src);
	struct ag3_error *err = NULL;
	int r = 0;
	if (spec->identity.uid_set)
		r = ag3_uid_policy_check(&p, "identity.uid", (unsigned long)spec->identity.uid, &err);
	if (r == 0 && spec->identity.gid_set)
		r = ag3_uid_policy_check(&p, "identity.gid", (unsigned long)spec->identity.gid, &err);
	for (size_t i = 0; r == 0 && i < spec->identity.n_groups; i++) {
		char what[48];
		snprintf(what, sizeof(what), "identity.groups[%zu]", i);
		r = ag3_uid_policy_check(&p, what, (unsigned long)spec->identity.groups[i], &err);
	}
	if (r < 0) {
		cli_print_error(src->spec_path, err);
		ag3_error_free(err);
		return -1;
	}
	return 0;
}

int cli_source_spec(struct cli_source *src, struct ag3_spec **ret)
{
	struct ag3_error *err = NULL;
	if (src->spec_path) {
		if (src->profile_path) {
			cli_error("--spec and --profile cannot be used together");
			return -1;
		}
		if (src->mounts_path || src->n_secrets || src->n_dynamic || src->host_root) {
			cli_error("--spec is already compiled: --mounts, --secrets, --dynamic and "
				  "--host-root cannot change it; compile again instead");
			return -1;
		}
		if (session_given(src->session)) {
			cli_error("--spec is already compiled: session options (--workspace, --uid, "
				  "--user ...) cannot change it; compile again instead");
			return -1;
		}
		char *buf;
		size_t len;
		if (cli_read_file(src->spec_path, 16u << 20, &buf, &len) < 0)
			return -1;
		int r = ag3_spec_from_json(buf, len, src->spec_path, ret, &err);
		explicit_bzero(buf, len);
		free(buf);
		if (r < 0) {
			cli_print_error(NULL, err);
			ag3_error_free(err);
			return -1;
		}
		if (check_spec_ids(src, *ret) < 0) {
			ag3_spec_free(*ret);
			*ret = NULL;
			return -1;
		}
		return 0;
	}
	struct ag3_profile *profile = NULL;
	int r = cli_source_profile(src, &profile, &err);
	if (r < 0) {
		cli_print_error(NULL, err);
		ag3_error_free(err);
		return -1;
	}
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *mounts = NULL;
	struct ag3_dyn_request dyn[CLI_MAX_DYNAMIC] = {0};
	size_t n_dyn = 0;
	struct ag3_uid_policy policy = cli_source_uid_policy(src);
	r = cli_source_load_secrets(src) < 0 || cli_source_load_mounts(src, &mounts) < 0 ? -1 : 0;
	if (r == 0 && src->n_dynamic && !mounts) {
		cli_error("--dynamic needs --mounts (the config with the dynamic bases)");
		r = -1;
	}
	for (; r == 0 && n_dyn < src->n_dynamic; n_dyn++)
		if (ag3_dyn_request_parse(src->dynamic_args[n_dyn], &dyn[n_dyn], &err) < 0) {
			cli_print_error(NULL, err);
			ag3_error_free(TAKE_PTR(err));
			r = -1;
			break;
		}
	if (r == 0) {
		struct ag3_compile_options o = {
			.host_root = src->host_root,
			.prefix_sources = src->host_root != NULL,
			.mounts = mounts,
			.dynamic = dyn,
			.n_dynamic = n_dyn,
			.uid_policy = &policy,
		};
		r = ag3_compile_ex(profile, src->session, &o, ret, &err);
		if (r < 0) {
			cli_print_error(NULL, err);
			ag3_error_free(err);
			r = -1;
		}
	}
	for (size_t i = 0; i < n_dyn; i++)
		ag3_dyn_request_clear(&dyn[i]);
	ag3_profile_free(profile);
	return r < 0 ? -1 : 0;
}
