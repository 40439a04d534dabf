/* SPDX-License-Identifier: MIT */
/*
 * The external-mounts loader: external-mounts.yaml (both schemas) -> the
 * model in mounts-config.h. Strict like the profile loader: unknown keys are
 * errors with a did-you-mean suggestion, every error names file:line:col and
 * the key path. The dynamic-request validator is in mounts-dynamic.c, the
 * per-user plan in mounts-config-plan.c.
 */
#include "mounts-config.h"
#include "mounts-config-internal.h"

#include "placeholders.h"
#include "loader.h"
#include "yamlwalk.h"
#include "mounts/executor.h"

#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *const AG3_XMOUNT_RESERVED_NAMES[] = {
	"paths", "persistent", "external", "ro", "rw", "user-ro", "user-rw", "dynamic", NULL,
};

const char *const AG3_XMOUNT_RESERVED_PATHS[] = {
	"/",          "/proc",   "/sys",        "/dev",    "/tmp",  "/root",
	"/bin",       "/sbin",   "/lib",        "/lib64",  "/usr",  "/etc",
	"/workspace", "/mounts", "/persistent", "/skills", "/venv", NULL,
};

/* ---------------------------------------------------------------- helpers -- */

/* Where a key that is unknown here belongs, for a hint. */
static const struct {
	const char *key, *hint;
} elsewhere[] = {
	{"users", "'users' is only for per_user mounts (global mounts are for everyone; "
		  "original_paths entries and dynamic bases use allowed_users)"},
	{"allowed_users", "'allowed_users' belongs to original_paths entries and to a dynamic "
			  "base's authorization"},
	{"path", "'path' is for original_paths entries; global/per_user mounts use 'host_path'"},
	{"host_path", "'host_path' is for global/per_user mounts and dynamic bases; "
		      "original_paths entries use 'path'"},
	{"max_mode", "'max_mode' belongs to a dynamic base"},
	{"mode", "global/per_user mounts take their mode from the list they are in (ro or rw)"},
	{"bases", "'bases' belongs under 'dynamic'"},
	{"security", "'security' belongs under 'dynamic'"},
};

/* An unknown key with no did-you-mean: where it belongs, else the valid keys. */
static void mounts_hint(const struct ag3_lctx *c, const char *key, char *buf, size_t size)
{
	for (size_t j = 0; j < ELEMENTSOF(elsewhere); j++)
		if (!strcmp(elsewhere[j].key, key)) {
			snprintf(buf, size, ": %s", elsewhere[j].hint);
			return;
		}
}

/* ------------------------------------------------------------- paths -- */

size_t ag3_xmount_path_depth(const char *norm)
{
	size_t d = 0;
	for (const char *s = norm; *s; s++)
		if (*s == '/' && s[1])
			d++;
	return d;
}

const char *ag3_xmount_fixed_reserved(const char *norm)
{
	for (size_t i = 0; AG3_XMOUNT_RESERVED_PATHS[i]; i++) {
		const char *r = AG3_XMOUNT_RESERVED_PATHS[i];
		if (!strcmp(r, "/") ? !strcmp(norm, "/") : ag3_path_is_under(norm, r))
			return r;
	}
	return NULL;
}

static bool has_username(const char *s)
{
	return strstr(s, "{username}") != NULL;
}

/*
 * Checks a host path as written: absolute, no '..' component, `{username}`
 * the only placeholder (and only when allowed), not the host's root, not
 * under /proc.
 */
static int check_host_path(struct ag3_lctx *c, const struct ag3_yaml_node *v, const char *p,
			   bool allow_username, const char *section)
{
	char b[160];
	if (p[0] != '/')
		return ag3_lctx_fail(c, v, "'%s' is not an absolute path", pv(p, b, sizeof(b)));
	for (const char *s = strchr(p, '{'); s; s = strchr(s + 1, '{')) {
		size_t len = ag3_placeholder_len(s);
		size_t open = len ? 0 : ag3_placeholder_unterminated(s);
		if (open == 8 && !strncmp(s + 1, "username", 8))
			return ag3_lctx_fail(c, v, "'{username' has no closing '}'");
		if (!len)
			continue;
		if (len == 8 && !strncmp(s + 1, "username", 8)) {
			if (!allow_username)
				return ag3_lctx_fail(
					c, v,
					"{username} is only substituted in per_user and dynamic "
					"host paths, not in %s ones",
					section);
			continue;
		}
		ag3_yaml_preview(s + 1, len, b, sizeof(b));
		return ag3_lctx_fail(
			c, v, "unknown placeholder {%s} (the only one here is {username})", b);
	}
	if (ag3_path_has_dotdot(p))
		return ag3_lctx_fail(c, v, "'%s' has a '..' component (not allowed in paths)",
				     pv(p, b, sizeof(b)));
	_cleanup_free_ char *norm = NULL;
	if (ag3_path_normalize(p, &norm) < 0)
		return ag3_lctx_oom(c);
	if (!strcmp(norm, "/"))
		return ag3_lctx_fail(c, v, "binding the host's root directory is not allowed");
	if (ag3_path_is_under(norm, "/proc"))
		return ag3_lctx_fail(
			c, v, "'%s' is under /proc: host /proc entries expose other processes",
			pv(p, b, sizeof(b)));
	if (ag3_path_check_normalized(norm) < 0)
		return ag3_lctx_fail(c, v,
				     "'%s' is too long (PATH_MAX, or a component over NAME_MAX)",
				     pv(p, b, sizeof(b)));
	return 0;
}

static int check_host_fixed(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	return check_host_path(c, v, ((struct ag3_pstr *)dst)->v, false, "global");
}

/* per_user mounts and dynamic bases: {username} is substituted. */
static int check_host_username(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	return check_host_path(c, v, ((struct ag3_pstr *)dst)->v, true, "");
}

/* ------------------------------------------------------------- names -- */

bool ag3_xmount_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > AG3_XMOUNT_NAME_MAX)
		return false;
	for (const char *s = name; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	for (size_t i = 0; AG3_XMOUNT_RESERVED_NAMES[i]; i++)
		if (!strcasecmp(name, AG3_XMOUNT_RESERVED_NAMES[i]))
			return false;
	return true;
}

static int check_name(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	const char *name = ((struct ag3_pstr *)dst)->v;
	char b[160];
	size_t n = strlen(name);
	if (n > AG3_XMOUNT_NAME_MAX)
		return ag3_lctx_fail(c, v, "'%s' is longer than %d characters",
				     pv(name, b, sizeof(b)), AG3_XMOUNT_NAME_MAX);
	for (const char *s = name; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return ag3_lctx_fail(
				c, v,
				"'%s' is not a valid mount name (letters, digits, '_' and '-' "
				"only: ^[a-zA-Z0-9_-]+$)",
				pv(name, b, sizeof(b)));
	for (size_t i = 0; AG3_XMOUNT_RESERVED_NAMES[i]; i++)
		if (!strcasecmp(name, AG3_XMOUNT_RESERVED_NAMES[i]))
			return ag3_lctx_fail(
				c, v,
				"'%s' is a reserved name (paths, persistent, external, ro, rw, "
				"user-ro, user-rw, dynamic)",
				pv(name, b, sizeof(b)));
	return 0;
}

bool ag3_xmount_users_match(const struct ag3_pstrlist *users, const char *username, bool allow_self)
{
	for (size_t i = 0; i < users->n; i++) {
		const char *u = users->items[i].v;
		if (!strcmp(u, "*"))
			return true;
		if (username && allow_self && !strcmp(u, "{self}"))
			return true;
		if (username && !strcmp(u, username))
			return true;
	}
	return false;
}

static int check_user_item(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	char b[160];
	for (const char *s = v->str; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return ag3_lctx_fail(c, v, "'%s' is not a user name",
					     pv(v->str, b, sizeof(b)));
	return 0;
}

static int check_pattern_item(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	char b[160];
	const char *s = v->str;
	while (*s == '/')
		s++;
	if (!*s)
		return ag3_lctx_fail(c, v, "'%s' is not a subpath pattern",
				     pv(v->str, b, sizeof(b)));
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return ag3_lctx_fail(c, v, "'%s' has control characters",
					     pv(v->str, b, sizeof(b)));
	return 0;
}

/* ------------------------------------------------------------ records -- */

static void xmount_clear(struct ag3_xmount *m)
{
	free(m->key);
	free(m->name.v);
	free(m->host_path.v);
	free(m->description.v);
	ag3_pstrlist_clear(&m->users);
}

static void xorig_clear(struct ag3_xorig *o)
{
	free(o->key);
	free(o->path.v);
	free(o->description.v);
	ag3_pstrlist_clear(&o->allowed_users);
}

static void xdyn_clear(struct ag3_xdyn_base *b)
{
	free(b->key);
	free(b->name.v);
	free(b->host_path.v);
	free(b->description.v);
	ag3_pstrlist_clear(&b->authorization.allowed_users);
	ag3_pstrlist_clear(&b->subpath_restrictions.allowed);
	ag3_pstrlist_clear(&b->subpath_restrictions.blocked);
	ag3_pstrlist_clear(&b->subpath_restrictions.exceptions);
}

void ag3_mounts_config_free(struct ag3_mounts_config *cfg)
{
	if (!cfg)
		return;
	struct ag3_xmounts *ls[4] = {&cfg->global.ro, &cfg->global.rw, &cfg->per_user.ro,
				     &cfg->per_user.rw};
	for (size_t k = 0; k < 4; k++) {
		for (size_t i = 0; i < ls[k]->n; i++)
			xmount_clear(&ls[k]->items[i]);
		free(ls[k]->items);
	}
	struct ag3_xorigs *os[2] = {&cfg->original_paths.ro, &cfg->original_paths.rw};
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < os[k]->n; i++)
			xorig_clear(&os[k]->items[i]);
		free(os[k]->items);
	}
	for (size_t i = 0; i < cfg->dynamic.bases.n; i++)
		xdyn_clear(&cfg->dynamic.bases.items[i]);
	free(cfg->dynamic.bases.items);
	ag3_pstrlist_clear(&cfg->dynamic.security.global_blocked_subpaths);
	ag3_yaml_doc_free(cfg->doc);
	free(cfg->file);
	free(cfg);
}

/* An original path: absolute, no placeholder, not reserved, at least /a/b; kept normalized. */
static int check_orig_path(struct ag3_lctx *c, const struct ag3_yaml_node *pn, void *dst)
{
	struct ag3_pstr *path = dst;
	_cleanup_free_ char *norm = NULL;
	const char *res;
	char b[160];
	int r = 0;
	if (path->v[0] != '/')
		r = ag3_lctx_fail(c, pn, "'%s' is not an absolute path", pv(path->v, b, sizeof(b)));
	for (const char *s = strchr(path->v, '{'); r == 0 && s; s = strchr(s + 1, '{'))
		if (ag3_placeholder_len(s))
			r = ag3_lctx_fail(c, pn,
					  "placeholders are not substituted in original paths");
	if (r == 0 && ag3_path_normalize(path->v, &norm) < 0)
		r = ag3_lctx_oom(c);
	if (r == 0 && ag3_path_check_normalized(norm) < 0)
		r = ag3_lctx_fail(c, pn, "'%s' is too long", pv(path->v, b, sizeof(b)));
	if (r == 0 && (res = ag3_xmount_fixed_reserved(norm)))
		r = !strcmp(res, norm)
			    ? ag3_lctx_fail(c, pn,
					    "'%s' is a reserved path (%s is the sandbox's own)",
					    pv(norm, b, sizeof(b)), res)
			    : ag3_lctx_fail(
				      c, pn,
				      "'%s' is under the reserved path %s (binding there would "
				      "cover or write into the sandbox's own %s)",
				      pv(norm, b, sizeof(b)), res, res);
	if (r == 0 && ag3_xmount_path_depth(norm) < 2)
		r = ag3_lctx_fail(
			c, pn,
			"'%s' has fewer than 2 components (an original path must be at least "
			"like /var/log, not /var)",
			pv(norm, b, sizeof(b)));
	if (r == 0) {
		free(path->v);
		path->v = TAKE_PTR(norm);
	}
	return r;
}

/* ------------------------------------------------------------- schema -- */

static const char *const auth_modes[] = {"allowlist", "role", "self_only", NULL};
static const char *const subpath_modes[] = {"allowlist", "blocklist", NULL};
static const char *const modes[] = {"rw", "ro", NULL}; /* index = ro */
static const char *const everyone[] = {"*", NULL};

/* A record's key ("global.ro[0]", for messages and the compiler's origins) is its key path. */
static int record_key(struct ag3_lctx *c, char **key)
{
	return (*key = strdup(c->path)) ? 0 : ag3_lctx_oom(c);
}

static const struct ag3_yw_map user_mount_map;

static int xmount_init(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		       const struct ag3_yw_row *row)
{
	struct ag3_xmount *m = dst;
	m->per_user = row->sub == &user_mount_map;
	m->ro = !strcmp(row->key, "ro");
	return record_key(c, &m->key);
}

static int xorig_init(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		      const struct ag3_yw_row *row)
{
	struct ag3_xorig *o = dst;
	o->ro = !strcmp(row->key, "ro");
	return record_key(c, &o->key);
}

static int xdyn_init(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		     const struct ag3_yw_row *row)
{
	struct ag3_xdyn_base *b = dst;
	b->max_ro.v = true;
	return record_key(c, &b->key);
}

/* max_mode: ro (the default, also for null) or rw, into max_ro. */
static int fn_max_mode(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		       const struct ag3_yw_row *row)
{
	static const struct ag3_yw_row mode_row = {
		.type = AG3_YW_ENUM, .flags = AG3_YW_NULL_DEFAULT | AG3_YW_NOCASE, .names = modes};
	struct ag3_pint mode = {.v = 1};
	int r = ag3_yw_value(c, v, &mode, &mode_row);
	((struct ag3_pbool *)dst)->v = mode.v == 1;
	return r;
}

/* After a base's authorization: an allowlist needs users, self_only needs {username}. */
static int check_base_auth(struct ag3_lctx *c, const struct ag3_yaml_node *it, void *dst,
			   const struct ag3_yw_row *row)
{
	const struct ag3_xdyn_base *b = dst;
	const struct ag3_yaml_node *a = ag3_yaml_map_get(it, "authorization");
	if (ag3_yaml_is_null(a))
		a = NULL;
	if (b->authorization.mode.v == AG3_DYN_AUTH_ALLOWLIST && !b->authorization.allowed_users.n)
		return ag3_lctx_fail(c, a ? a : it,
				     "authorization mode allowlist needs a non-empty "
				     "authorization.allowed_users (names, \"*\" or \"{self}\")");
	if (b->authorization.mode.v == AG3_DYN_AUTH_SELF_ONLY && !has_username(b->host_path.v))
		return ag3_lctx_fail(c, ag3_yaml_map_get(it, "host_path"),
				     "authorization mode self_only needs {username} in host_path "
				     "(otherwise every user gets the same directory)");
	return 0;
}

#define C struct ag3_mounts_config
#define OFF(T, member) .off = offsetof(T, member)
/* A field of an anonymous section struct `sec` inside T. */
#define SUBOFF(T, sec, member) .off = offsetof(T, sec.member) - offsetof(T, sec)
#define MAP(name, ...)                                                                             \
	static const struct ag3_yw_map name##_map = {name##_rows, AG3_YW_TABLE_ORDER,              \
						     .hint = mounts_hint, __VA_ARGS__}

#define NAME_ROW(T)                                                                                \
	{                                                                                          \
		.key = "name", .type = AG3_YW_STR, .flags = AG3_YW_REQUIRED | AG3_YW_NONEMPTY,     \
		OFF(T, name), .what = "a mount name", .check = check_name                          \
	}
#define HOST_ROW(T, chk)                                                                           \
	{                                                                                          \
		.key = "host_path", .type = AG3_YW_STR,                                            \
		.flags = AG3_YW_REQUIRED | AG3_YW_NONEMPTY | AG3_YW_NO_INT, OFF(T, host_path),     \
		.what = "an absolute host path", .check = chk                                      \
	}
#define DESCRIPTION_ROW(T)                                                                         \
	{                                                                                          \
		.key = "description", .type = AG3_YW_STR, .flags = AG3_YW_NULL_EMPTY,              \
		OFF(T, description)                                                                \
	}
#define BOOL_ROW(k, d, ...)                                                                        \
	{                                                                                          \
		.key = k, .type = AG3_YW_BOOL, .flags = AG3_YW_NULL_DEFAULT | AG3_YW_NO_YN,        \
		.dflt = d, __VA_ARGS__                                                             \
	}
#define ENUM_ROW(k, n, d, ...)                                                                     \
	{                                                                                          \
		.key = k, .type = AG3_YW_ENUM, .flags = AG3_YW_NULL_DEFAULT | AG3_YW_NOCASE,       \
		.names = n, .dflt = d, __VA_ARGS__                                                 \
	}
/* A list of non-empty strings (null is []). */
#define LIST_ROW(k, chk, ...)                                                                      \
	{                                                                                          \
		.key = k, .type = AG3_YW_STRLIST, .flags = AG3_YW_NONEMPTY,                        \
		.max = AG3_XMOUNT_LIST_MAX, .check = chk, __VA_ARGS__                              \
	}
#define SECTION_ROW(k, map, ...)                                                                   \
	{                                                                                          \
		.key = k, .type = AG3_YW_SECTION, .sub = &map, __VA_ARGS__                         \
	}
#define SEQ_ROW(k, T, map, init, w, it, ...)                                                       \
	{                                                                                          \
		.key = k, .type = AG3_YW_SEQ, .sub = &map, .item_size = sizeof(T), .fn = init,     \
		.max = AG3_XMOUNT_LIST_MAX, .what = w, .items = it, __VA_ARGS__                    \
	}

/* global and per_user: a list of mounts each in ro and rw */
static const struct ag3_yw_row global_mount_rows[] = {
	NAME_ROW(struct ag3_xmount),
	HOST_ROW(struct ag3_xmount, check_host_fixed),
	DESCRIPTION_ROW(struct ag3_xmount),
	BOOL_ROW("optional", false, OFF(struct ag3_xmount, optional)),
	{0},
};
MAP(global_mount, .what = "a mount record (a mapping with name and host_path)");

static const struct ag3_yw_row user_mount_rows[] = {
	NAME_ROW(struct ag3_xmount),
	HOST_ROW(struct ag3_xmount, check_host_username),
	DESCRIPTION_ROW(struct ag3_xmount),
	BOOL_ROW("optional", true, OFF(struct ag3_xmount, optional)),
	{.key = "users",
	 .type = AG3_YW_STRLIST,
	 .flags = AG3_YW_NONEMPTY | AG3_YW_REQUIRED,
	 .max = AG3_XMOUNT_LIST_MAX,
	 .check = check_user_item,
	 OFF(struct ag3_xmount, users),
	 .missing = " (a per_user mount needs the list of users it is for, or [\"*\"] for "
		    "everyone)"},
	{0},
};
MAP(user_mount, .what = "a mount record (a mapping with name and host_path)");

static const struct ag3_yw_row global_rows[] = {
	SEQ_ROW("ro", struct ag3_xmount, global_mount_map, xmount_init, "a list of mount records",
		"mounts", SUBOFF(C, global, ro)),
	SEQ_ROW("rw", struct ag3_xmount, global_mount_map, xmount_init, "a list of mount records",
		"mounts", SUBOFF(C, global, rw)),
	{0},
};
MAP(global);

static const struct ag3_yw_row per_user_rows[] = {
	SEQ_ROW("ro", struct ag3_xmount, user_mount_map, xmount_init, "a list of mount records",
		"mounts", SUBOFF(C, per_user, ro)),
	SEQ_ROW("rw", struct ag3_xmount, user_mount_map, xmount_init, "a list of mount records",
		"mounts", SUBOFF(C, per_user, rw)),
	{0},
};
MAP(per_user);

/* dynamic: the bases a session may mount from, and limits */
#define B struct ag3_xdyn_base

static const struct ag3_yw_row authorization_rows[] = {
	ENUM_ROW("mode", auth_modes, AG3_DYN_AUTH_ALLOWLIST, SUBOFF(B, authorization, mode)),
	LIST_ROW("allowed_users", check_user_item, SUBOFF(B, authorization, allowed_users)),
	{0},
};
MAP(authorization);

static const struct ag3_yw_row subpath_rows[] = {
	ENUM_ROW("mode", subpath_modes, AG3_DYN_SUBPATH_BLOCKLIST,
		 SUBOFF(B, subpath_restrictions, mode)),
	LIST_ROW("allowed", check_pattern_item, SUBOFF(B, subpath_restrictions, allowed)),
	LIST_ROW("blocked", check_pattern_item, SUBOFF(B, subpath_restrictions, blocked)),
	LIST_ROW("exceptions", check_pattern_item, SUBOFF(B, subpath_restrictions, exceptions)),
	{0},
};
MAP(subpath);

static const char *const base_keys[] = {
	"name",     "host_path", "description", "max_mode", "authorization", "subpath_restrictions",
	"optional", NULL};

static const struct ag3_yw_row base_rows[] = {
	NAME_ROW(B),
	HOST_ROW(B, check_host_username),
	DESCRIPTION_ROW(B),
	{.key = "max_mode", .type = AG3_YW_FN, .fn = fn_max_mode, OFF(B, max_ro)},
	BOOL_ROW("optional", true, OFF(B, optional)),
	SECTION_ROW("authorization", authorization_map, OFF(B, authorization)),
	{.type = AG3_YW_CHECK, .fn = check_base_auth},
	SECTION_ROW("subpath_restrictions", subpath_map, OFF(B, subpath_restrictions)),
	{0},
};
MAP(base, .what = "a dynamic base (a mapping with name and host_path)", .names = base_keys);

static const struct ag3_yw_row security_rows[] = {
	{.key = "max_mounts_per_session",
	 .type = AG3_YW_UINT,
	 .flags = AG3_YW_NULL_DEFAULT | AG3_YW_EXPECT_RANGE,
	 .dflt = 10,
	 .min = 0,
	 .max = AG3_XMOUNT_SESSION_MAX,
	 SUBOFF(C, dynamic.security, max_mounts_per_session)},
	{.key = "max_subpath_depth",
	 .type = AG3_YW_UINT,
	 .flags = AG3_YW_NULL_DEFAULT | AG3_YW_EXPECT_RANGE,
	 .dflt = 10,
	 .min = 1,
	 .max = AG3_XMOUNT_DEPTH_MAX,
	 SUBOFF(C, dynamic.security, max_subpath_depth)},
	LIST_ROW("global_blocked_subpaths", check_pattern_item,
		 SUBOFF(C, dynamic.security, global_blocked_subpaths)),
	{0},
};
MAP(security);

static const struct ag3_yw_row dynamic_rows[] = {
	BOOL_ROW("enabled", false, SUBOFF(C, dynamic, enabled)),
	SECTION_ROW("security", security_map, SUBOFF(C, dynamic, security)),
	SEQ_ROW("bases", B, base_map, xdyn_init, "a list of dynamic bases", "bases",
		SUBOFF(C, dynamic, bases)),
	{0},
};
MAP(dynamic);

/* original_paths: host paths bound at the same path inside */
static const struct ag3_yw_row orig_rows[] = {
	{.key = "path",
	 .type = AG3_YW_STR,
	 .flags = AG3_YW_REQUIRED | AG3_YW_NONEMPTY | AG3_YW_NO_INT,
	 OFF(struct ag3_xorig, path),
	 .what = "an absolute path",
	 .check = check_orig_path},
	DESCRIPTION_ROW(struct ag3_xorig),
	BOOL_ROW("optional", true, OFF(struct ag3_xorig, optional)),
	LIST_ROW("allowed_users", check_user_item, OFF(struct ag3_xorig, allowed_users),
		 .dflt_list = everyone),
	{0},
};
MAP(orig, .what = "an original-path record (a mapping with path)");

static const struct ag3_yw_row original_paths_rows[] = {
	SEQ_ROW("ro", struct ag3_xorig, orig_map, xorig_init, "a list of original-path records",
		"entries", SUBOFF(C, original_paths, ro)),
	SEQ_ROW("rw", struct ag3_xorig, orig_map, xorig_init, "a list of original-path records",
		"entries", SUBOFF(C, original_paths, rw)),
	{0},
};
MAP(original_paths);

static const struct ag3_yw_row root_rows[] = {
	SECTION_ROW("global", global_map, OFF(C, global)),
	SECTION_ROW("per_user", per_user_map, OFF(C, per_user)),
	SECTION_ROW("dynamic", dynamic_map, OFF(C, dynamic)),
	SECTION_ROW("original_paths", original_paths_map, OFF(C, original_paths)),
	{0},
};
MAP(root, .what = "a mapping (global, per_user, dynamic, original_paths)");

/* Every list a SEQ row fills has the walker's list layout. */
#define SAME_LAYOUT(T)                                                                             \
	_Static_assert(offsetof(T, meta) == offsetof(struct ag3_yw_list, meta) &&                  \
			       offsetof(T, items) == offsetof(struct ag3_yw_list, items) &&        \
			       offsetof(T, n) == offsetof(struct ag3_yw_list, n),                  \
		       #T " is not a struct ag3_yw_list")
SAME_LAYOUT(struct ag3_xmounts);
SAME_LAYOUT(struct ag3_xorigs);
SAME_LAYOUT(struct ag3_xdyn_bases);

/* Names are one namespace across global, per_user and the dynamic bases (/mounts/<name>). */
static int check_unique(struct ag3_lctx *c, const struct ag3_mounts_config *cfg)
{
	struct ent {
		const char *name, *key;
		const struct ag3_pmeta *meta;
	};
	size_t n = cfg->global.ro.n + cfg->global.rw.n + cfg->per_user.ro.n + cfg->per_user.rw.n +
		   cfg->dynamic.bases.n;
	_cleanup_free_ struct ent *e = calloc(n ? n : 1, sizeof(*e));
	size_t k = 0;
	if (!e)
		return ag3_lctx_oom(c);
	const struct ag3_xmounts *ls[4] = {&cfg->global.ro, &cfg->global.rw, &cfg->per_user.ro,
					   &cfg->per_user.rw};
	for (size_t l = 0; l < 4; l++)
		for (size_t i = 0; i < ls[l]->n; i++)
			e[k++] = (struct ent){ls[l]->items[i].name.v, ls[l]->items[i].key,
					      &ls[l]->items[i].name.meta};
	for (size_t i = 0; i < cfg->dynamic.bases.n; i++)
		e[k++] = (struct ent){cfg->dynamic.bases.items[i].name.v,
				      cfg->dynamic.bases.items[i].key,
				      &cfg->dynamic.bases.items[i].name.meta};
	for (size_t i = 1; i < k; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(e[i].name, e[j].name))
				return ag3_error_set_at(c->reterr, EINVAL, c->file,
							e[i].meta->loc.line, e[i].meta->loc.col,
							"%s.name: '%s' is already used by %s (line "
							"%u); mount names "
							"are unique across global, per_user and "
							"dynamic (they share "
							"/mounts/<name>)",
							e[i].key, e[i].name, e[j].key,
							e[j].meta->loc.line);

	const struct ag3_xorigs *os[2] = {&cfg->original_paths.ro, &cfg->original_paths.rw};
	for (size_t a = 0; a < 2; a++)
		for (size_t i = 0; i < os[a]->n; i++)
			for (size_t b = 0; b <= a; b++)
				for (size_t j = 0; j < (b == a ? i : os[b]->n); j++)
					if (!strcmp(os[a]->items[i].path.v, os[b]->items[j].path.v))
						return ag3_error_set_at(
							c->reterr, EINVAL, c->file,
							os[a]->items[i].path.meta.loc.line,
							os[a]->items[i].path.meta.loc.col,
							"%s.path: '%s' is already configured by %s "
							"(line %u)",
							os[a]->items[i].key, os[a]->items[i].path.v,
							os[b]->items[j].key,
							os[b]->items[j].path.meta.loc.line);
	return 0;
}

static int parse_root(struct ag3_lctx *c, const struct ag3_yaml_node *root,
		      struct ag3_mounts_config *cfg)
{
	if (ag3_yw_defaults(cfg, &root_map) < 0)
		return ag3_lctx_oom(c);
	if (!root || ag3_yaml_is_null(root))
		return 0; /* an empty file: no external mounts */
	int r = ag3_yw_map(c, root, cfg, &root_map);
	if (r < 0)
		return r;
	cfg->newer_schema = cfg->dynamic.meta.set || cfg->original_paths.meta.set;
	return check_unique(c, cfg);
}

int ag3_mounts_config_load_buffer(const char *name, const char *buf, size_t len,
				  struct ag3_mounts_config **ret, struct ag3_error **reterr)
{
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg || !(cfg->file = strdup(name ? name : "<mounts>")))
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	int r = ag3_yaml_parse(cfg->file, buf, len, &cfg->doc, reterr);
	if (r < 0)
		return r;
	struct ag3_lctx c = {.file = cfg->file, .reterr = reterr};
	r = parse_root(&c, cfg->doc->root, cfg);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cfg);
	return 0;
}

int ag3_config_read_file(const char *path, const char *what, char **ret, size_t *ret_len,
			 struct ag3_error **reterr)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ag3_error_set_at(reterr, errno, path, 0, 0, "cannot open %s: %m", what);
	if (fstat(fd, &st) < 0)
		return ag3_error_set_at(reterr, errno, path, 0, 0, "cannot stat %s: %m", what);
	if (!S_ISREG(st.st_mode))
		return ag3_error_set_at(reterr, EINVAL, path, 0, 0, "%s is not a regular file",
					what);
	buf = malloc(AG3_YAML_MAX_DOCUMENT + 2);
	if (!buf)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	int r = ag3_read_max(fd, buf, AG3_YAML_MAX_DOCUMENT + 1, &len);
	if (r < 0) {
		explicit_bzero(buf, len);
		return ag3_error_set_at(reterr, -r, path, 0, 0, "cannot read %s: %s", what,
					strerror(-r));
	}
	if (len > AG3_YAML_MAX_DOCUMENT) {
		explicit_bzero(buf, len);
		return ag3_error_set_at(reterr, EFBIG, path, 0, 0, "%s is larger than %u MiB", what,
					AG3_YAML_MAX_DOCUMENT >> 20);
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int ag3_mounts_config_load_file(const char *path, struct ag3_mounts_config **ret,
				struct ag3_error **reterr)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = ag3_config_read_file(path, "the mounts config", &buf, &len, reterr);
	if (r < 0)
		return r;
	return ag3_mounts_config_load_buffer(path, buf, len, ret, reterr);
}
