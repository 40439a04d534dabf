/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "policy/compile.h"
#include "runtime/spec_json.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_sanitize(char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void cli_print_error(const char *what, const struct ag3_error *e)
{
	char *s = e ? ag3_error_format(e) : NULL;
	cli_sanitize(s); /* a profile or spec must not reach the terminal with escapes */
	fprintf(stderr, PROG ": %s%s%s\n", what ? what : "", what ? ": " : "",
		s ? s : (e && e->msg ? e->msg : "unknown error"));
	free(s);
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
	"                     the platform's container layout (/, /sessions, /config ...)\n";

struct option *cli_source_options(const struct option *extra)
{
	size_t ne = 0;
	while (extra && extra[ne].name)
		ne++;
	size_t ns = ELEMENTSOF(source_options);
	struct option *o = calloc(ns + ne + 1, sizeof(*o));
	if (!o)
		return NULL;
	memcpy(o, source_options, sizeof(source_options));
	if (ne)
		memcpy(o + ns, extra, ne * sizeof(*o));
	return o;
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

int cli_source_handle(struct cli_source *src, int opt, const char *arg)
{
	struct ag3_session *s = src->session;
	unsigned id;
	switch (opt) {
	case OPT_PROFILE:
		src->profile_path = arg;
		return 1;
	case OPT_SPEC:
		src->spec_path = arg;
		return 1;
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
		/* fall through */
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

int cli_source_spec(struct cli_source *src, struct ag3_spec **ret)
{
	struct ag3_error *err = NULL;
	if (src->spec_path) {
		if (src->profile_path) {
			cli_error("--spec and --profile cannot be used together");
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
		return 0;
	}
	struct ag3_profile *profile = NULL;
	int r = src->profile_path ? ag3_profile_load_file(src->profile_path, &profile, &err)
				  : ag3_profile_load_default(&profile, &err);
	if (r < 0) {
		cli_print_error(NULL, err);
		ag3_error_free(err);
		return -1;
	}
	r = ag3_compile(profile, src->session, ret, &err);
	ag3_profile_free(profile);
	if (r < 0) {
		cli_print_error(NULL, err);
		ag3_error_free(err);
		return -1;
	}
	return 0;
}
