/* SPDX-License-Identifier: MIT */
/*
 * The file tools' path resolver (agent/resolve.h). Two halves: a mapping of
 * the agent's path onto the sandbox's path space that touches no file
 * (ag3_resolve_map), then the rules and an fd opened beneath the covering
 * bind's host source, the rules checked again on where the fd really is.
 */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/resolve.h"
#include "mounts/plan.h"
#include "runtime/util/cleanup.h"
#include "runtime/util/text.h"

#define MAX_COMPONENT 255
#define MAX_LINK_HOPS 8 /* the spec's own symlink ops (/bin -> usr/bin) followed */

static const char *const default_blocklist[] = {
	"*.env",       ".env.*", "*.key", ".git/**", "__pycache__/**",     "*.pyc",
	".secrets/**", "*.pem",  "*.p12", "*.pfx",   "**/node_modules/**", NULL,
};
static const char *const default_exemptions[] = {
	".env.example", ".env.sample", ".env.template", ".env.defaults", NULL,
};
static const char *const default_readonly_prefixes[] = {
	"skills/", ".claude/", "external/ro/", "external/user-ro/", NULL,
};

static const char *const op_names[_AG3_RESOLVE_OP_MAX] = {
	[AG3_RESOLVE_READ] = "read",     [AG3_RESOLVE_WRITE] = "write", [AG3_RESOLVE_EDIT] = "edit",
	[AG3_RESOLVE_DELETE] = "delete", [AG3_RESOLVE_LIST] = "list",   [AG3_RESOLVE_GLOB] = "glob",
	[AG3_RESOLVE_GREP] = "grep",
};

static const char *const reason_names[_AG3_RESOLVE_REASON_MAX] = {
	[AG3_REASON_ALLOWED] = "ALLOWED",
	[AG3_REASON_PATH_INVALID] = "PATH_INVALID",
	[AG3_REASON_PATH_TRAVERSAL] = "PATH_TRAVERSAL",
	[AG3_REASON_CROSS_USER_ACCESS_BLOCKED] = "CROSS_USER_ACCESS_BLOCKED",
	[AG3_REASON_CROSS_SESSION_ACCESS_BLOCKED] = "CROSS_SESSION_ACCESS_BLOCKED",
	[AG3_REASON_OUTSIDE_ALLOWED] = "OUTSIDE_ALLOWED",
	[AG3_REASON_SANDBOX_PRIVATE] = "SANDBOX_PRIVATE",
	[AG3_REASON_BLOCKLIST] = "BLOCKLIST",
	[AG3_REASON_READ_ONLY] = "READ_ONLY",
	[AG3_REASON_SYMLINK_ESCAPE] = "SYMLINK_ESCAPE",
	[AG3_REASON_NOT_FOUND] = "NOT_FOUND",
	[AG3_REASON_IS_A_DIRECTORY] = "IS_A_DIRECTORY",
	[AG3_REASON_NOT_A_DIRECTORY] = "NOT_A_DIRECTORY",
	[AG3_REASON_NOT_A_REGULAR_FILE] = "NOT_A_REGULAR_FILE",
	[AG3_REASON_OPEN_FAILED] = "OPEN_FAILED",
};

const char *ag3_resolve_op_to_string(enum ag3_resolve_op op)
{
	return op >= 0 && op < _AG3_RESOLVE_OP_MAX ? op_names[op] : NULL;
}

enum ag3_resolve_op ag3_resolve_op_from_string(const char *s)
{
	for (int i = 0; s && i < _AG3_RESOLVE_OP_MAX; i++)
		if (!strcmp(op_names[i], s))
			return i;
	return _AG3_RESOLVE_OP_INVALID;
}

const char *ag3_resolve_reason_to_string(enum ag3_resolve_reason r)
{
	return r >= 0 && r < _AG3_RESOLVE_REASON_MAX ? reason_names[r] : NULL;
}

enum ag3_resolve_op ag3_resolve_op_for_tool(const char *tool, bool *allow_directory)
{
	static const struct {
		const char *name;
		enum ag3_resolve_op op;
	} tools[] = {
		{"Read", AG3_RESOLVE_READ},      {"ReadDocument", AG3_RESOLVE_READ},
		{"Write", AG3_RESOLVE_WRITE},    {"Edit", AG3_RESOLVE_EDIT},
		{"MultiEdit", AG3_RESOLVE_EDIT}, {"Glob", AG3_RESOLVE_GLOB},
		{"Grep", AG3_RESOLVE_GREP},      {"LS", AG3_RESOLVE_LIST},
	};
	if (!tool)
		return -EINVAL;
	if (!strncmp(tool, "mcp__ag3ntum__", 14))
		tool += 14;
	else if (!strncmp(tool, "Ag3ntum", 7))
		tool += 7;
	for (size_t i = 0; i < ELEMENTSOF(tools); i++)
		if (!strcmp(tools[i].name, tool)) {
			if (allow_directory)
				*allow_directory = tools[i].op == AG3_RESOLVE_GLOB ||
						   tools[i].op == AG3_RESOLVE_GREP ||
						   tools[i].op == AG3_RESOLVE_LIST;
			return tools[i].op;
		}
	return -EINVAL;
}

bool ag3_resolve_reason_is_policy(enum ag3_resolve_reason r)
{
	switch (r) {
	case AG3_REASON_PATH_INVALID:
	case AG3_REASON_PATH_TRAVERSAL:
	case AG3_REASON_CROSS_USER_ACCESS_BLOCKED:
	case AG3_REASON_CROSS_SESSION_ACCESS_BLOCKED:
	case AG3_REASON_OUTSIDE_ALLOWED:
	case AG3_REASON_SANDBOX_PRIVATE:
	case AG3_REASON_BLOCKLIST:
	case AG3_REASON_READ_ONLY:
	case AG3_REASON_SYMLINK_ESCAPE:
		return true;
	default:
		return false;
	}
}

void ag3_resolution_clear(struct ag3_resolution *r)
{
	free(r->message);
	free(r->sandbox_path);
	free(r->host_path);
	free(r->name);
	if (r->fd >= 0)
		close(r->fd);
	if (r->dir_fd >= 0)
		close(r->dir_fd);
	*r = (struct ag3_resolution)AG3_RESOLUTION_INIT;
}

static bool is_write_op(enum ag3_resolve_op op)
{
	return op == AG3_RESOLVE_WRITE || op == AG3_RESOLVE_EDIT || op == AG3_RESOLVE_DELETE;
}

/* Sets the denial (message printf-style; every %s of untrusted text must be
 * escaped by the caller). Returns 0, or -ENOMEM. */
_printf_(3, 4) static int deny(struct ag3_resolution *out, enum ag3_resolve_reason reason,
			       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(out->message);
	out->message = NULL;
	int r = vasprintf(&out->message, fmt, ap);
	va_end(ap);
	out->allowed = false;
	out->reason = reason;
	if (out->fd >= 0)
		close(out->fd);
	if (out->dir_fd >= 0)
		close(out->dir_fd);
	out->fd = out->dir_fd = -1;
	if (r < 0) {
		out->message = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* An untrusted string made printable, for messages; never NULL (a fixed text on ENOMEM). */
struct esc {
	char *s;
};
static void esc_free(struct esc *e)
{
	free(e->s);
}
#define _cleanup_esc_ _cleanup_(esc_free)
static const char *esc(struct esc *e, const char *s)
{
	free(e->s);
	e->s = ag3_escape_text(s, strlen(s));
	return e->s ? e->s : "<path>";
}

/* ---- the mapping ------------------------------------------------------------------ */

static bool name_valid(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(('a' <= s[i] && s[i] <= 'z') || ('A' <= s[i] && s[i] <= 'Z') ||
		      ('0' <= s[i] && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* Components of a path: pointers into a copy, "" and "." dropped. */
struct comps {
	char *buf;
	char *v[PATH_MAX / 2 + 2];
	size_t n;
};

static int split(const char *p, struct comps *c)
{
	c->buf = strdup(p);
	if (!c->buf)
		return -ENOMEM;
	c->n = 0;
	for (char *save = NULL, *t = strtok_r(c->buf, "/", &save); t;
	     t = strtok_r(NULL, "/", &save))
		if (strcmp(t, ".") != 0)
			c->v[c->n++] = t;
	return 0;
}

/* The index of the op whose target covers `p` (longest; the later one of equal
 * targets, as it is mounted over the earlier), or -1. */
static ssize_t covering_op(const struct ag3_spec *spec, const char *p)
{
	ssize_t best = -1;
	size_t best_len = 0;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const char *t = spec->mounts[i].target;
		if (!t || !ag3_path_is_under(p, t))
			continue;
		size_t l = strlen(t);
		if (best < 0 || l >= best_len) {
			best = (ssize_t)i;
			best_len = l;
		}
	}
	return best;
}

static const struct ag3_mount *find_target(const struct ag3_spec *spec, const char *target)
{
	for (size_t i = spec->n_mounts; i-- > 0;)
		if (spec->mounts[i].target && !strcmp(spec->mounts[i].target, target))
			return &spec->mounts[i];
	return NULL;
}

/*
 * A profile session mount is an area only at the places the platform's validator
 * had (reference 6.1): the workspace (the spec's working directory), the global
 * and user skills (/skills, /user-skills), persistent storage (/persistent) and
 * the external mounts (/mounts and beneath: the HEAD profile's /mounts/ro and
 * /mounts/rw). Not the venv, ~/.ssh, ~/.gitconfig or any other: those are for
 * the sandboxed Bash, and the fd is opened with the caller's credentials.
 */
static bool session_area(const struct ag3_spec *spec, const struct ag3_mount *m)
{
	static const char *const fixed[] = {"/skills", "/user-skills", "/persistent"};
	const char *cwd = spec->process.cwd ? spec->process.cwd : "/workspace";
	if (!m->target)
		return false;
	if (strcmp(cwd, "/") && !strcmp(m->target, cwd))
		return true;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(m->target, fixed[i]))
			return true;
	return ag3_path_is_under(m->target, "/mounts");
}

/*
 * Whether op `m` is one of the platform's file areas, by the origin the compiler
 * gave it (policy/compile.c, policy/mounts-config-plan.c, policy/mounts-dynamic.c):
 * the profile's session mounts at the platform's places (session_area()), its
 * dynamic and original-path mounts, and every external mount (global and per_user
 * records, dynamic requests, original paths and their exposures, the persistent
 * same-path bind). Not an area: the profile's static mounts (/usr, /etc ...: the
 * host's system files), its other session mounts (/venv, /root/.ssh ...), the
 * builtins (/lib64), and any origin not listed here (fail closed). The fd is
 * opened with the caller's credentials, often root's: such a bind read through it
 * would give a file tool what the sandbox uid cannot read.
 */
static bool is_area(const struct ag3_spec *spec, const struct ag3_mount *m)
{
	static const char *const prefixes[] = {
		"sandbox.dynamic_mounts[",
		"sandbox.original_path_mounts[",
		"global.ro[",
		"global.rw[",
		"per_user.ro[",
		"per_user.rw[",
		"dynamic ",
		"original_paths.ro[",
		"original_paths.rw[",
		"original-path of ",
	};
	if (m->op != AG3_MOUNT_BIND || !m->origin)
		return false;
	if (!strcmp(m->origin, "persistent storage (same path)"))
		return true;
	if (!strncmp(m->origin, "sandbox.session_mounts.", 23))
		return session_area(spec, m);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(m->origin, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* The areas' targets, for messages ("/workspace, /skills, ..."; at most 8). */
static const char *list_areas(const struct ag3_spec *spec, char *buf, size_t size)
{
	size_t k = 0;
	buf[0] = 0;
	for (size_t i = 0; i < spec->n_mounts && k < 8; i++)
		if (is_area(spec, &spec->mounts[i])) {
			size_t al = strlen(buf);
			snprintf(buf + al, size - al, "%s%s", k++ ? ", " : "",
				 spec->mounts[i].target);
		}
	return k ? buf : "none (this sandbox has no file areas)";
}

/* The user and session: given, or read from the workspace bind's source
 * (…/users/<u>/sessions/<sid>/workspace, the platform's way). */
static void session_ids(const struct ag3_spec *spec, const struct ag3_resolve_session *s,
			char *user, char *sid, size_t size)
{
	user[0] = sid[0] = 0;
	if (s && s->username)
		snprintf(user, size, "%s", s->username);
	if (s && s->session_id)
		snprintf(sid, size, "%s", s->session_id);
	if (user[0] && sid[0])
		return;
	const struct ag3_mount *w = find_target(spec, "/workspace");
	if (!w || w->op != AG3_MOUNT_BIND || !w->source)
		return;
	_cleanup_free_ char *copy = strdup(w->source);
	if (!copy)
		return;
	char *parts[64];
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(copy, "/", &save); t && n < 64;
	     t = strtok_r(NULL, "/", &save))
		parts[n++] = t;
	for (size_t i = n; i-- > 0;)
		if (!strcmp(parts[i], "users") && i + 3 < n && !strcmp(parts[i + 2], "sessions")) {
			if (!user[0])
				snprintf(user, size, "%s", parts[i + 1]);
			if (!sid[0])
				snprintf(sid, size, "%s", parts[i + 3]);
			return;
		}
}

/* Cross-user and cross-session refusal on a normalized absolute path: 1 denied, 0 not. */
static int cross_check(const char *p, const char *user, const char *sid, struct ag3_resolution *out,
		       const char *shown, int *err)
{
	_cleanup_free_ char *copy = strdup(p);
	if (!copy) {
		*err = -ENOMEM;
		return 1;
	}
	char *parts[4] = {0};
	size_t n = 0;
	_cleanup_esc_ struct esc e = {0};
	for (char *save = NULL, *t = strtok_r(copy, "/", &save); t && n < 4;
	     t = strtok_r(NULL, "/", &save))
		parts[n++] = t;
	/* parts: users, <u>, sessions, <sid> (as far as the path goes) */
	if (n >= 2 && (!user[0] || strcmp(parts[1], user) != 0)) {
		*err = deny(out, AG3_REASON_CROSS_USER_ACCESS_BLOCKED,
			    "'%s' is in another user's area: only your own session's files are "
			    "reachable (your workspace is /workspace)",
			    esc(&e, shown));
		return 1;
	}
	if (n >= 4 && !strcmp(parts[2], "sessions") && (!sid[0] || strcmp(parts[3], sid) != 0)) {
		*err = deny(out, AG3_REASON_CROSS_SESSION_ACCESS_BLOCKED,
			    "'%s' is in another session's area: use /workspace for this session's "
			    "files",
			    esc(&e, shown));
		return 1;
	}
	return 0;
}

/* Every "users" component is checked, not only a leading one (as the platform's
 * `"/users/" in path`). */
static int cross_check_all(const char *p, const char *user, const char *sid,
			   struct ag3_resolution *out, const char *shown, int *err)
{
	for (const char *q = p; (q = strstr(q, "/users/")); q++)
		if (cross_check(q, user, sid, out, shown, err))
			return 1;
	return 0;
}

/* Appends normalized components to `base` in `dst`; ".." may not climb above base.
 * 0, 1 (traversal), -ENAMETOOLONG. */
static int join_beneath(char *dst, size_t size, const char *base, char *const *v, size_t n)
{
	size_t len = strlen(base), baselen;
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(dst, base, len + 1);
	if (len == 1) /* "/" */
		len = 0;
	baselen = len;
	dst[len] = 0;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v[i], "..")) {
			if (len == baselen)
				return 1;
			while (len > baselen && dst[len - 1] != '/')
				len--;
			len--; /* the '/' */
			dst[len] = 0;
			continue;
		}
		size_t l = strlen(v[i]);
		if (len + 1 + l >= size)
			return -ENAMETOOLONG;
		dst[len++] = '/';
		memcpy(dst + len, v[i], l + 1);
		len += l;
	}
	if (len == 0)
		strcpy(dst, "/");
	return 0;
}

int ag3_resolve_map(const struct ag3_spec *spec, const struct ag3_resolve_session *s,
		    const char *path, size_t len, char **ret, struct ag3_resolution *out)
{
	_cleanup_esc_ struct esc e = {0};
	*ret = NULL;
	if (len == 0)
		return deny(out, AG3_REASON_PATH_INVALID, "the path is empty: give a file path");
	if (memchr(path, 0, len))
		return deny(out, AG3_REASON_PATH_INVALID,
			    "the path contains a NUL byte: give the path without it");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return deny(out, AG3_REASON_PATH_INVALID,
				    "the path contains a control character (byte 0x%02x at %zu): "
				    "give a path without one",
				    (unsigned char)path[i], i);
	if (len >= PATH_MAX)
		return deny(out, AG3_REASON_PATH_INVALID,
			    "the path is %zu bytes long; at most %d are allowed", len,
			    PATH_MAX - 1);
	_cleanup_free_ char *p = strndup(path, len);
	if (!p)
		return -ENOMEM;
	_cleanup_free_ struct comps *c = calloc(1, sizeof(*c));
	if (!c || split(p, c) < 0)
		return free(c ? c->buf : NULL), -ENOMEM;
	_cleanup_free_ char *cbuf = c->buf;
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->v[i]) > MAX_COMPONENT)
			return deny(out, AG3_REASON_PATH_INVALID,
				    "a component of '%s' is longer than %d bytes", esc(&e, p),
				    MAX_COMPONENT);

	char user[256], sid[256];
	session_ids(spec, s, user, sid, sizeof(user));
	char persistent[PATH_MAX];
	if (find_target(spec, "/persistent") || !user[0])
		strcpy(persistent, "/persistent");
	else
		snprintf(persistent, sizeof(persistent), "/users/%s/ag3ntum/persistent", user);

	/* The base the path starts in, and the components after it. */
	char base[PATH_MAX];
	char *const *v = c->v;
	size_t n = c->n;
	bool absolute = p[0] == '/';
	const char *cwd = spec->process.cwd ? spec->process.cwd : "/workspace";
	if (!absolute && n > 0 && (!strcmp(v[0], "external") || !strcmp(v[0], "persistent"))) {
		absolute = true; /* ./external/... and ./persistent are the workspace's */
		snprintf(base, sizeof(base), "/workspace");
	} else if (!absolute) {
		snprintf(base, sizeof(base), "%s", cwd);
	} else {
		snprintf(base, sizeof(base), "/");
	}
	if (absolute) {
		/* skip a leading /workspace (the relative external/persistent forms start here) */
		size_t k = 0;
		bool ws = !strcmp(base, "/workspace");
		if (!ws && n > 0 && !strcmp(v[0], "workspace")) {
			ws = true;
			k = 1;
		}
		if (ws && n > k + 2 && !strcmp(v[k], "external") &&
		    (!strcmp(v[k + 1], "ro") || !strcmp(v[k + 1], "rw") ||
		     !strcmp(v[k + 1], "user-ro") || !strcmp(v[k + 1], "user-rw") ||
		     !strcmp(v[k + 1], "dynamic")) &&
		    name_valid(v[k + 2], strlen(v[k + 2]))) {
			/* /mounts/NAME, where the compiler binds external mounts; the HEAD
			 * profile's layout binds one directory per kind (/mounts/ro) */
			snprintf(base, sizeof(base), "/mounts/%s", v[k + 2]);
			ssize_t a = covering_op(spec, base);
			if (a < 0 || !is_area(spec, &spec->mounts[a])) {
				char alt[PATH_MAX];
				snprintf(alt, sizeof(alt), "/mounts/%s/%s", v[k + 1], v[k + 2]);
				ssize_t b = covering_op(spec, alt);
				if (b >= 0 && is_area(spec, &spec->mounts[b]))
					snprintf(base, sizeof(base), "%s", alt);
			}
			k += 3;
		} else if (ws && n > k + 1 && !strcmp(v[k], "external") &&
			   !strcmp(v[k + 1], "persistent")) {
			snprintf(base, sizeof(base), "%s", persistent);
			k += 2;
		} else if (ws && n > k && !strcmp(v[k], "persistent")) {
			snprintf(base, sizeof(base), "%s", persistent);
			k += 1;
		} else if (!ws && n > 0 && !strcmp(v[0], "persistent")) {
			snprintf(base, sizeof(base), "%s", persistent);
			k = 1;
		} else if (ws) {
			snprintf(base, sizeof(base), "/workspace");
		}
		v += k;
		n -= k;
	}
	char *sp = malloc(PATH_MAX);
	if (!sp)
		return -ENOMEM;
	int r = join_beneath(sp, PATH_MAX, base, v, n);
	if (r != 0) {
		free(sp);
		if (r == 1)
			return deny(out, AG3_REASON_PATH_TRAVERSAL,
				    "'..' in '%s' leads out of %s: use a path inside it",
				    esc(&e, p), base);
		return deny(out, AG3_REASON_PATH_INVALID, "'%s' is too long once resolved",
			    esc(&e, p));
	}
	/* an absolute host path (a Docker path the platform accepted, or an original
	 * path) that no target covers: the bind whose source holds it, longest first */
	if (p[0] == '/' && covering_op(spec, sp) < 0) {
		ssize_t best = -1;
		size_t best_len = 0;
		for (size_t i = 0; i < spec->n_mounts; i++) {
			const struct ag3_mount *m = &spec->mounts[i];
			if (!is_area(spec, m) || !m->source || !m->target ||
			    !ag3_path_is_under(sp, m->source))
				continue;
			if (strlen(m->source) >= best_len) {
				best = (ssize_t)i;
				best_len = strlen(m->source);
			}
		}
		/* refused first for another user's or session's area, as the platform did */
		int err = 0;
		if (best >= 0 && cross_check_all(sp, user, sid, out, p, &err)) {
			free(sp);
			return err;
		}
		if (best >= 0) {
			const struct ag3_mount *m = &spec->mounts[best];
			const char *rest = sp + (strcmp(m->source, "/") ? best_len : 0);
			char *t = NULL;
			if (asprintf(&t, "%s%s", strcmp(m->target, "/") ? m->target : "", rest) <
			    0) {
				free(sp);
				return -ENOMEM;
			}
			if (strlen(t) >= PATH_MAX) {
				free(t);
				free(sp);
				return deny(out, AG3_REASON_PATH_INVALID,
					    "'%s' is too long once resolved", esc(&e, p));
			}
			strcpy(sp, t);
			free(t);
		}
	}
	int err = 0;
	if (cross_check_all(sp, user, sid, out, p, &err)) {
		free(sp);
		return err;
	}
	*ret = sp;
	return 0;
}

/* ---- the rules --------------------------------------------------------------------- */

static const char *basename_of(const char *p)
{
	const char *b = strrchr(p, '/');
	return b ? b + 1 : p;
}

/* The blocklist on `rel` (the path inside its area): the matching pattern, or NULL. */
static const char *blocked(const struct ag3_resolve_session *s, const char *rel, const char *base)
{
	const char *const *bl = s && s->blocklist ? s->blocklist : default_blocklist;
	const char *const *ex = s && s->exemptions ? s->exemptions : default_exemptions;
	bool exempt = false;
	for (size_t i = 0; ex[i]; i++)
		exempt |= fnmatch(ex[i], base, 0) == 0;
	for (size_t i = 0; bl[i]; i++) {
		const char *pat = bl[i];
		size_t pl = strlen(pat);
		if (pl > 3 && !strcmp(pat + pl - 3, "/**")) {
			/* a directory pattern: its name at any depth (the platform matched only
			 * at the top, so sub/.git/config passed), the directory itself included */
			char dir[256];
			const char *d = pat;
			size_t dl = pl - 3;
			if (dl > 3 && !strncmp(d, "**/", 3)) {
				d += 3;
				dl -= 3;
			}
			if (dl >= sizeof(dir))
				continue;
			memcpy(dir, d, dl);
			dir[dl] = 0;
			if (strchr(dir, '/')) {
				if (fnmatch(pat, rel, 0) == 0)
					return pat;
				continue;
			}
			char buf[PATH_MAX];
			snprintf(buf, sizeof(buf), "%s", rel);
			for (char *save = NULL, *t = strtok_r(buf, "/", &save); t;
			     t = strtok_r(NULL, "/", &save))
				if (fnmatch(dir, t, 0) == 0)
					return pat;
			continue;
		}
		if (exempt)
			continue;
		if (fnmatch(pat, base, 0) == 0 || fnmatch(pat, rel, 0) == 0)
			return pat;
	}
	return NULL;
}

/* The workspace's read-only prefixes, by component (the platform's plain string
 * prefix made skills_notes.md read-only): the matching prefix, or NULL. */
static const char *ro_prefix(const struct ag3_resolve_session *s, const char *rel)
{
	const char *const *ps =
		s && s->readonly_prefixes ? s->readonly_prefixes : default_readonly_prefixes;
	for (size_t i = 0; ps[i]; i++) {
		size_t l = strlen(ps[i]);
		while (l > 0 && ps[i][l - 1] == '/')
			l--;
		if (l == 0)
			continue;
		if (!strncmp(rel, ps[i], l) && (rel[l] == 0 || rel[l] == '/'))
			return ps[i];
	}
	return NULL;
}

/* The rules on a sandbox path inside bind `m`: 1 denied (out set), 0 passes, -ENOMEM. */
static int check_rules(const struct ag3_spec *spec, const struct ag3_resolve_session *s,
		       const struct ag3_mount *m, const char *sp, enum ag3_resolve_op op,
		       struct ag3_resolution *out)
{
	_cleanup_esc_ struct esc e = {0};
	const char *rel = sp + strlen(m->target);
	while (*rel == '/')
		rel++;
	const char *base = *rel ? basename_of(rel) : basename_of(m->target);
	const char *pat = blocked(s, *rel ? rel : base, base);
	int r;
	if (pat) {
		r = deny(out, AG3_REASON_BLOCKLIST,
			 "'%s' matches the blocklist pattern '%s': file tools may not open it",
			 esc(&e, sp), pat);
		return r < 0 ? r : 1;
	}
	/* read-only for file tools: the bind, or a read-only prefix of the workspace */
	const char *pre = !strcmp(m->target, "/workspace") ? ro_prefix(s, rel) : NULL;
	const bool ro = m->ro || ag3_mounts_remounted_ro(spec->mounts, spec->n_mounts,
							 (size_t)(m - spec->mounts));
	out->readonly = ro || pre;
	if (!is_write_op(op))
		return 0;
	if (ro) {
		r = deny(out, AG3_REASON_READ_ONLY,
			 "'%s' is on a read-only mount (%s): write under /workspace instead",
			 esc(&e, sp), m->target);
		return r < 0 ? r : 1;
	}
	if (pre) {
		r = deny(
			out, AG3_REASON_READ_ONLY,
			"'%s' is under the read-only prefix '%s' of the workspace: write elsewhere "
			"in /workspace",
			esc(&e, sp), pre);
		return r < 0 ? r : 1;
	}
	(void)spec;
	return 0;
}

/* ---- opening ----------------------------------------------------------------------- */

static int openat2_(int dirfd, const char *p, uint64_t flags, uint64_t resolve)
{
	struct open_how how = {.flags = flags | O_CLOEXEC, .resolve = resolve};
	long fd = syscall(SYS_openat2, dirfd, p, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Where an fd really is (its path on the host), or NULL with *err. */
static char *fd_path(int fd, int *err)
{
	char proc[64], buf[PATH_MAX];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, buf, sizeof(buf) - 1);
	if (n < 0) {
		*err = -errno;
		return NULL;
	}
	buf[n] = 0;
	if (buf[0] != '/' || (n > 10 && !strcmp(buf + n - 10, " (deleted)"))) {
		*err = -ESTALE;
		return NULL;
	}
	char *r = strdup(buf);
	if (!r)
		*err = -ENOMEM;
	return r;
}

/* Maps an open errno to a denial. */
static int deny_errno(struct ag3_resolution *out, int e, const char *sp, const char *mtarget)
{
	_cleanup_esc_ struct esc x = {0};
	switch (-e) {
	case EXDEV:
	case ELOOP:
		return deny(out, AG3_REASON_SYMLINK_ESCAPE,
			    "'%s' goes through a symlink that leads out of %s (or loops): use a "
			    "path that stays inside it",
			    esc(&x, sp), mtarget);
	case ENOENT:
		return deny(out, AG3_REASON_NOT_FOUND, "'%s' does not exist", esc(&x, sp));
	case ENOTDIR:
		return deny(out, AG3_REASON_NOT_A_DIRECTORY,
			    "a component of '%s' is not a directory", esc(&x, sp));
	default:
		return deny(out, AG3_REASON_OPEN_FAILED, "'%s' cannot be opened: %s", esc(&x, sp),
			    strerror(-e));
	}
}

/*
 * Checks where `fd` (opened beneath `root`, the bind's source, real path `rootp`)
 * really is, `name` appended when given: the real path beneath the source, and
 * the rules again on the sandbox path it stands for. 1 denied, 0 passes (*ret_sp
 * and *ret_host set), -ENOMEM.
 */
static int recheck(const struct ag3_spec *spec, const struct ag3_resolve_session *s, size_t mi,
		   const char *rootp, int fd, const char *name, enum ag3_resolve_op op,
		   const char *user, const char *sid, struct ag3_resolution *out, char **ret_sp,
		   char **ret_host)
{
	const struct ag3_mount *m = &spec->mounts[mi];
	int err = 0;
	_cleanup_free_ char *real = fd_path(fd, &err);
	if (!real)
		return err == -ENOMEM ? err : deny_errno(out, err, m->target, m->target) ?: 1;
	size_t rl = strlen(rootp);
	bool root_is_slash = !strcmp(rootp, "/");
	if (!ag3_path_is_under(real, rootp)) {
		int r = deny(out, AG3_REASON_SYMLINK_ESCAPE,
			     "the object found is not beneath the source of %s", m->target);
		return r < 0 ? r : 1;
	}
	const char *rest = real + (root_is_slash ? 0 : rl);
	_cleanup_free_ char *sp = NULL, *host = NULL;
	if (asprintf(&sp, "%s%s%s%s", strcmp(m->target, "/") ? m->target : "", rest,
		     name ? "/" : "", name ? name : "") < 0 ||
	    asprintf(&host, "%s%s%s", real, name ? "/" : "", name ? name : "") < 0)
		return -ENOMEM;
	if (!sp[0]) {
		free(sp);
		if (!(sp = strdup("/")))
			return -ENOMEM;
	}
	/* a symlink inside the bind may lead to a place that, in the sandbox, another
	 * mount covers (a mask, a tmpfs, another bind): the host's object there is not
	 * what the sandbox shows */
	if (covering_op(spec, sp) != (ssize_t)mi) {
		_cleanup_esc_ struct esc x = {0};
		int r = deny(out, AG3_REASON_SYMLINK_ESCAPE,
			     "'%s' is reached through a symlink into a place another mount of the "
			     "sandbox covers: use that path directly",
			     esc(&x, sp));
		return r < 0 ? r : 1;
	}
	if (cross_check_all(sp, user, sid, out, sp, &err))
		return err < 0 ? err : 1;
	int r = check_rules(spec, s, m, sp, op, out);
	if (r != 0)
		return r;
	*ret_sp = TAKE_PTR(sp);
	*ret_host = TAKE_PTR(host);
	return 0;
}

static int reopen(int opath_fd, int flags)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", opath_fd);
	int fd = open(proc, flags | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

int ag3_resolve(const struct ag3_spec *spec, const struct ag3_resolve_session *s, const char *path,
		enum ag3_resolve_op op, bool allow_directory, struct ag3_resolution *out)
{
	if (op < 0 || op >= _AG3_RESOLVE_OP_MAX || !path)
		return -EINVAL;
	ag3_resolution_clear(out);
	_cleanup_esc_ struct esc e = {0};
	_cleanup_free_ char *sp = NULL;
	int r = ag3_resolve_map(spec, s, path, strlen(path), &sp, out);
	if (r < 0 || !sp)
		return r;

	/* the covering op; the spec's own symlinks (/bin -> usr/bin) followed */
	ssize_t mi = -1;
	for (int hop = 0;; hop++) {
		mi = covering_op(spec, sp);
		if (mi < 0 || spec->mounts[mi].op != AG3_MOUNT_SYMLINK || hop == MAX_LINK_HOPS)
			break;
		const struct ag3_mount *l = &spec->mounts[mi];
		_cleanup_free_ char *joined = NULL, *norm = NULL;
		const char *rest = sp + strlen(l->target);
		if (l->source[0] == '/')
			r = asprintf(&joined, "%s%s", l->source, rest);
		else {
			const char *slash = strrchr(l->target, '/');
			r = asprintf(&joined, "%.*s/%s%s", (int)(slash - l->target), l->target,
				     l->source, rest);
		}
		if (r < 0 || ag3_path_normalize(joined, &norm) < 0)
			return -ENOMEM;
		free(sp);
		sp = TAKE_PTR(norm);
	}
	char areas[512];
	if (mi < 0)
		return deny(out, AG3_REASON_OUTSIDE_ALLOWED,
			    "'%s' is outside the sandbox's file areas: use a path under %s",
			    esc(&e, sp), list_areas(spec, areas, sizeof(areas)));
	const struct ag3_mount *b = &spec->mounts[mi];
	if (b->op == AG3_MOUNT_BIND && !is_area(spec, b)) {
		bool session = b->origin && !strncmp(b->origin, "sandbox.session_mounts.", 23);
		return deny(out, AG3_REASON_OUTSIDE_ALLOWED,
			    "'%s' is %s (%s), not a file area: file tools reach only %s; use the "
			    "Bash tool %s",
			    esc(&e, sp),
			    session ? "in a session mount for commands" : "a system path",
			    b->target, list_areas(spec, areas, sizeof(areas)),
			    session ? "for it" : "to read system files");
	}
	const struct ag3_mount *m = &spec->mounts[mi];
	out->origin = m->origin;
	out->readonly = m->ro || ag3_mounts_remounted_ro(spec->mounts, spec->n_mounts, (size_t)mi);
	out->sandbox_path = strdup(sp);
	if (!out->sandbox_path)
		return -ENOMEM;
	if (m->op != AG3_MOUNT_BIND || !m->source) {
		if (m->op == AG3_MOUNT_SYMLINK)
			return deny(out, AG3_REASON_SYMLINK_ESCAPE, "'%s': too many symlinks",
				    esc(&e, sp));
		return deny(out, AG3_REASON_SANDBOX_PRIVATE,
			    "'%s' is inside the sandbox's own %s at %s, which is not on the host: "
			    "use the Bash tool for it",
			    esc(&e, sp), ag3_mount_op_to_string(m->op), m->target);
	}
	r = check_rules(spec, s, m, sp, op, out);
	if (r != 0)
		return r < 0 ? r : 0;

	char user[256], sid[256];
	session_ids(spec, s, user, sid, sizeof(user));
	/* the bind's source, as the runtime opens it: no symlink on the way */
	_cleanup_close_ int root =
		openat2_(AT_FDCWD, m->source, O_PATH, RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (root < 0)
		return deny(out, root == -ENOENT ? AG3_REASON_NOT_FOUND : AG3_REASON_OPEN_FAILED,
			    "the mount at %s has no source on this host (%s): the sandbox does not "
			    "have it either",
			    m->target, strerror(-root));
	int err = 0;
	_cleanup_free_ char *rootp = fd_path(root, &err);
	if (!rootp)
		return err == -ENOMEM ? err : deny_errno(out, err, sp, m->target);
	struct stat rst;
	if (fstat(root, &rst) < 0)
		return deny_errno(out, -errno, sp, m->target);
	const char *rel = sp + (strcmp(m->target, "/") ? strlen(m->target) : 0);
	while (*rel == '/')
		rel++;
	bool file_bind = !S_ISDIR(rst.st_mode);
	_cleanup_free_ char *real_sp = NULL, *host = NULL;

	if ((op == AG3_RESOLVE_WRITE || op == AG3_RESOLVE_DELETE) && !file_bind) {
		if (!*rel) {
			if (op == AG3_RESOLVE_DELETE)
				return deny(out, AG3_REASON_READ_ONLY,
					    "'%s' is a mount point of the sandbox: it cannot be "
					    "deleted",
					    esc(&e, sp));
			return deny(out, AG3_REASON_IS_A_DIRECTORY,
				    "'%s' is a directory: give a file path inside it", esc(&e, sp));
		}
		_cleanup_free_ char *parent = strdup(rel);
		if (!parent)
			return -ENOMEM;
		char *slash = strrchr(parent, '/');
		const char *name = slash ? slash + 1 : parent;
		if (slash)
			*slash = 0;
		int dfd = openat2_(root, slash ? parent : ".", O_PATH | O_DIRECTORY,
				   RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
		if (dfd < 0) {
			if (dfd == -ENOENT)
				return deny(out, AG3_REASON_NOT_FOUND,
					    "the directory of '%s' does not exist: create it first",
					    esc(&e, sp));
			return deny_errno(out, dfd, sp, m->target);
		}
		out->dir_fd = dfd;
		if (!(out->name = strdup(name)))
			return -ENOMEM;
		r = recheck(spec, s, mi, rootp, dfd, name, op, user, sid, out, &real_sp, &host);
		if (r != 0)
			return r < 0 ? r : 0;
		struct stat st;
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return deny_errno(out, -errno, real_sp, m->target);
			if (op == AG3_RESOLVE_DELETE)
				return deny(out, AG3_REASON_NOT_FOUND, "'%s' does not exist",
					    esc(&e, real_sp));
			out->exists = false;
		} else {
			out->exists = true;
			out->is_dir = S_ISDIR(st.st_mode);
			if (op == AG3_RESOLVE_WRITE && S_ISLNK(st.st_mode))
				return deny(out, AG3_REASON_SYMLINK_ESCAPE,
					    "'%s' is a symlink: file tools do not write through "
					    "symlinks; write to the path it points to",
					    esc(&e, real_sp));
			if (op == AG3_RESOLVE_WRITE && out->is_dir)
				return deny(out, AG3_REASON_IS_A_DIRECTORY,
					    "'%s' is a directory: give a file path inside it",
					    esc(&e, real_sp));
			if (op == AG3_RESOLVE_WRITE && !S_ISREG(st.st_mode))
				return deny(out, AG3_REASON_NOT_A_REGULAR_FILE,
					    "'%s' is not a regular file", esc(&e, real_sp));
			if (op == AG3_RESOLVE_DELETE && out->is_dir && !allow_directory)
				return deny(out, AG3_REASON_IS_A_DIRECTORY, "'%s' is a directory",
					    esc(&e, real_sp));
		}
	} else {
		if (file_bind && *rel)
			return deny(out, AG3_REASON_NOT_A_DIRECTORY,
				    "%s is a file: '%s' cannot be inside it", m->target,
				    esc(&e, sp));
		if (file_bind && op == AG3_RESOLVE_DELETE)
			return deny(out, AG3_REASON_READ_ONLY,
				    "'%s' is a mount point of the sandbox: it cannot be deleted",
				    esc(&e, sp));
		_cleanup_close_ int pfd = openat2_(root, *rel ? rel : ".", O_PATH,
						   RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
		if (pfd < 0)
			return deny_errno(out, pfd, sp, m->target);
		r = recheck(spec, s, mi, rootp, pfd, NULL, op, user, sid, out, &real_sp, &host);
		if (r != 0)
			return r < 0 ? r : 0;
		struct stat st;
		if (fstat(pfd, &st) < 0)
			return deny_errno(out, -errno, real_sp, m->target);
		out->exists = true;
		out->is_dir = S_ISDIR(st.st_mode);
		if (op == AG3_RESOLVE_LIST && !out->is_dir)
			return deny(out, AG3_REASON_NOT_A_DIRECTORY,
				    "'%s' is not a directory: use Read for a file",
				    esc(&e, real_sp));
		if (out->is_dir && !allow_directory)
			return deny(out, AG3_REASON_IS_A_DIRECTORY,
				    "'%s' is a directory: use LS or Glob for it", esc(&e, real_sp));
		if (!out->is_dir && !S_ISREG(st.st_mode))
			return deny(out, AG3_REASON_NOT_A_REGULAR_FILE,
				    "'%s' is not a regular file (a fifo, socket or device)",
				    esc(&e, real_sp));
		if (out->is_dir && (op == AG3_RESOLVE_EDIT || op == AG3_RESOLVE_WRITE))
			return deny(out, AG3_REASON_IS_A_DIRECTORY, "'%s' is a directory",
				    esc(&e, real_sp));
		/* the same object, opened for use (never a path again) */
		int flags = is_write_op(op) ? O_RDWR : O_RDONLY;
		if (out->is_dir)
			flags |= O_DIRECTORY;
		int fd = reopen(pfd, flags);
		if (fd < 0)
			return deny_errno(out, fd, real_sp, m->target);
		out->fd = fd;
	}
	free(out->sandbox_path);
	out->sandbox_path = TAKE_PTR(real_sp);
	out->host_path = TAKE_PTR(host);
	out->allowed = true;
	out->reason = AG3_REASON_ALLOWED;
	free(out->message);
	out->message = NULL;
	if (asprintf(&out->message, "%s %s: allowed%s", op_names[op], esc(&e, out->sandbox_path),
		     out->readonly ? " (read-only)" : "") < 0) {
		out->message = NULL;
		return -ENOMEM;
	}
	return 0;
}

int ag3_resolution_to_json(const struct ag3_resolution *r, enum ag3_resolve_op op, const char *path,
			   char **ret)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	bool ok = cJSON_AddBoolToObject(o, "allowed", r->allowed) &&
		  cJSON_AddStringToObject(o, "reason", ag3_resolve_reason_to_string(r->reason)) &&
		  cJSON_AddStringToObject(o, "message", r->message ? r->message : "") &&
		  cJSON_AddStringToObject(o, "operation", op_names[op]) &&
		  cJSON_AddStringToObject(o, "path", path) &&
		  (r->sandbox_path ? cJSON_AddStringToObject(o, "sandbox_path", r->sandbox_path)
				   : cJSON_AddNullToObject(o, "sandbox_path")) &&
		  (r->host_path ? cJSON_AddStringToObject(o, "host_path", r->host_path)
				: cJSON_AddNullToObject(o, "host_path")) &&
		  cJSON_AddBoolToObject(o, "readonly", r->readonly) &&
		  cJSON_AddBoolToObject(o, "is_directory", r->is_dir) &&
		  (r->origin ? cJSON_AddStringToObject(o, "origin", r->origin)
			     : cJSON_AddNullToObject(o, "origin"));
	char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}
