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
	"/",	 "/proc",      "/sys",	      "/dev",	 "/tmp",   "/root",
	"/bin",	 "/sbin",      "/lib",	      "/lib64",	 "/usr",   "/etc",
	"/workspace", "/mounts", "/persistent", "/skills", "/venv", NULL,
};

/* ---------------------------------------------------------------- helpers -- */

static void set_meta(struct ag3_pmeta *m, const struct ag3_yaml_node *k,
		     const struct ag3_yaml_node *v)
{
	m->set = true;
	m->loc = ag3_ploc_of(k, v);
}

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

/*
 * Checks that a mapping has only the given keys: an unknown key is an error
 * with a did-you-mean suggestion, a hint where it belongs, or the valid keys.
 */
static int check_keys(struct ag3_lctx *c, const struct ag3_yaml_node *map, const char *const *keys)
{
	if (map->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, map, "a mapping");
	for (size_t i = 0; i < map->n; i++) {
		const struct ag3_yaml_node *k = map->pairs[i].key;
		char hint[256] = "";
		bool ok = false;
		for (size_t j = 0; keys[j] && !ok; j++)
			ok = !strcmp(keys[j], k->str);
		if (ok)
			continue;
		for (size_t j = 0; j < ELEMENTSOF(elsewhere) && !*hint; j++)
			if (!strcmp(elsewhere[j].key, k->str))
				snprintf(hint, sizeof(hint), ": %s", elsewhere[j].hint);
		return ag3_lctx_unknown_key(c, k, keys, SIZE_MAX, *hint ? hint : NULL);
	}
	return 0;
}

/* The key node of `key` in a mapping (for locations), or NULL. */
static const struct ag3_yaml_node *key_node(const struct ag3_yaml_node *map, const char *key)
{
	for (size_t i = 0; map && map->type == AG3_YAML_MAPPING && i < map->n; i++)
		if (!strcmp(map->pairs[i].key->str, key))
			return map->pairs[i].key;
	return NULL;
}

/*
 * Starts reading the value of `key` in `map`: NULL when the key is absent;
 * else its key node, with `meta` set, *v the value, and `key` pushed onto the
 * key path (the caller pops back to what c->plen was before).
 */
static const struct ag3_yaml_node *field_begin(struct ag3_lctx *c, const struct ag3_yaml_node *map,
					       const char *key, struct ag3_pmeta *meta,
					       const struct ag3_yaml_node **v)
{
	const struct ag3_yaml_node *k = key_node(map, key);
	*v = ag3_yaml_map_get(map, key);
	if (k) {
		set_meta(meta, k, *v);
		ag3_lctx_push(c, key);
	}
	return k;
}

/* Like field_begin, for a section or a list: its value, or NULL when absent or null. */
static const struct ag3_yaml_node *value_begin(struct ag3_lctx *c, const struct ag3_yaml_node *map,
					       const char *key, struct ag3_pmeta *meta)
{
	const struct ag3_yaml_node *v;
	return field_begin(c, map, key, meta, &v) && !ag3_yaml_is_null(v) ? v : NULL;
}

/* value_begin for a mapping that may have only `keys`: *ret the mapping, or NULL. */
static int section_begin(struct ag3_lctx *c, const struct ag3_yaml_node *map, const char *key,
			 struct ag3_pmeta *meta, const char *const *keys,
			 const struct ag3_yaml_node **ret)
{
	*ret = value_begin(c, map, key, meta);
	return *ret ? check_keys(c, *ret, keys) : 0;
}

/*
 * value_begin for a list: *ret the sequence (of at most AG3_XMOUNT_LIST_MAX
 * items, else "more than N <items>"), or NULL.
 */
static int list_begin(struct ag3_lctx *c, const struct ag3_yaml_node *map, const char *key,
		      struct ag3_pmeta *meta, const char *what, const char *items,
		      const struct ag3_yaml_node **ret)
{
	*ret = value_begin(c, map, key, meta);
	return *ret ? ag3_lctx_seq(c, *ret, what, AG3_XMOUNT_LIST_MAX, items) : 0;
}

/*
 * Reads the value of `key` in `map` as a string field. Absent: the field
 * keeps `dflt` (not set) or, with `required`, an error. `empty_ok`: null and
 * "" give "" (descriptions).
 */
static int field_str(struct ag3_lctx *c, const struct ag3_yaml_node *map, const char *key,
		     struct ag3_pstr *dst, bool required, bool empty_ok, bool allow_int,
		     const char *what)
{
	const struct ag3_yaml_node *v;
	size_t saved = c->plen;
	int r;
	if (!field_begin(c, map, key, &dst->meta, &v)) {
		if (required)
			return ag3_lctx_fail(c, map, "missing required key '%s'", key);
		return ag3_pstr_set(dst, "") < 0 ? ag3_lctx_oom(c) : 0;
	}
	if (empty_ok && ag3_yaml_is_null(v))
		r = ag3_pstr_set(dst, "") < 0 ? ag3_lctx_oom(c) : 0;
	else if ((r = ag3_lctx_text(c, v, allow_int, what)) == 0) {
		if (!empty_ok && v->len == 0)
			r = ag3_lctx_fail(c, v, "expected %s, got an empty string", what);
		else if (ag3_pstr_set(dst, v->str) < 0)
			r = ag3_lctx_oom(c);
	}
	ag3_lctx_pop(c, saved);
	return r;
}

static int field_bool(struct ag3_lctx *c, const struct ag3_yaml_node *map, const char *key,
		      struct ag3_pbool *dst, bool dflt)
{
	const struct ag3_yaml_node *v;
	size_t saved = c->plen;
	char d[96];
	int r = 0;
	dst->v = dflt;
	if (!field_begin(c, map, key, &dst->meta, &v))
		return 0;
	if (ag3_yaml_is_null(v))
		dst->v = dflt; /* null: the default, like pydantic's Optional */
	else if (ag3_yaml_get_bool(v, &dst->v) < 0) {
		if (v->type == AG3_YAML_SCALAR && v->plain &&
		    (!strcasecmp(v->str, "yes") || !strcasecmp(v->str, "no") ||
		     !strcasecmp(v->str, "on") || !strcasecmp(v->str, "off")))
			r = ag3_lctx_fail(c, v,
					  "expected true or false, got %s (YAML 1.1 booleans like "
					  "yes/no/on/off are ambiguous: write true or false)",
					  ag3_yaml_describe(v, d, sizeof(d)));
		else
			r = ag3_lctx_expect(c, v, "true or false");
	}
	ag3_lctx_pop(c, saved);
	return r;
}

static int field_u64(struct ag3_lctx *c, const struct ag3_yaml_node *map, const char *key,
		     struct ag3_pu64 *dst, uint64_t dflt, uint64_t min, uint64_t max)
{
	const struct ag3_yaml_node *v;
	size_t saved = c->plen;
	int r = 0;
	dst->v = dflt;
	if (!field_begin(c, map, key, &dst->meta, &v))
		return 0;
	if (ag3_yaml_is_null(v))
		dst->v = dflt;
	else if (ag3_yaml_get_uint(v, &dst->v) < 0 || dst->v < min || dst->v > max) {
		char what[64];
		snprintf(what, sizeof(what), "an integer from %llu to %llu",
			 (unsigned long long)min, (unsigned long long)max);
		r = ag3_lctx_expect(c, v, what);
	}
	ag3_lctx_pop(c, saved);
	return r;
}

/* An enum (lower-cased compare); absent or null: dflt. */
static int field_enum(struct ag3_lctx *c, const struct ag3_yaml_node *map, const char *key,
		      struct ag3_pint *dst, int dflt, const char *const *names)
{
	size_t saved = c->plen;
	const struct ag3_yaml_node *v = value_begin(c, map, key, &dst->meta);
	int r = 0;
	dst->v = dflt;
	if (v) {
		bool str = v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_STR;
		int i = 0;
		while (str && names[i] && strcasecmp(v->str, names[i]) != 0)
			i++;
		if (str && names[i])
			dst->v = i;
		else
			r = ag3_lctx_bad_enum(c, v, names);
	}
	ag3_lctx_pop(c, saved);
	return r;
}

typedef int (*item_check_fn)(struct ag3_lctx *c, const struct ag3_yaml_node *v);

/* A list of non-empty strings; absent keeps `dflt` (NULL-terminated, may be NULL); null = []. */
static int field_strlist(struct ag3_lctx *c, const struct ag3_yaml_node *map, const char *key,
			 struct ag3_pstrlist *dst, const char *const *dflt, item_check_fn check)
{
	size_t saved = c->plen;
	const struct ag3_yaml_node *v;
	int r;
	ag3_pstrlist_clear(dst);
	if (!key_node(map, key)) {
		size_t n = 0;
		while (dflt && dflt[n])
			n++;
		if (!n)
			return 0;
		if (!(dst->items = calloc(n, sizeof(*dst->items))))
			return ag3_lctx_oom(c);
		for (; dst->n < n; dst->n++)
			if (ag3_pstr_set(&dst->items[dst->n], dflt[dst->n]) < 0)
				return ag3_lctx_oom(c);
		return 0;
	}
	r = list_begin(c, map, key, &dst->meta, "a list of strings", "items", &v);
	if (r == 0 && v && v->n && !(dst->items = calloc(v->n, sizeof(*dst->items))))
		r = ag3_lctx_oom(c);
	for (size_t i = 0; r == 0 && v && i < v->n; i++) {
		const struct ag3_yaml_node *it = v->items[i];
		size_t s2 = ag3_lctx_push_index(c, i);
		if ((r = ag3_lctx_text(c, it, true, "a non-empty string")) == 0 && it->len == 0)
			r = ag3_lctx_fail(c, it, "expected a non-empty string");
		if (r == 0 && check)
			r = check(c, it);
		if (r == 0) {
			set_meta(&dst->items[dst->n].meta, it, it);
			if (ag3_pstr_set(&dst->items[dst->n], it->str) < 0)
				r = ag3_lctx_oom(c);
			else
				dst->n++;
		}
		ag3_lctx_pop(c, s2);
	}
	ag3_lctx_pop(c, saved);
	return r;
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

static int check_name(struct ag3_lctx *c, const struct ag3_yaml_node *v, const char *name)
{
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

bool ag3_xmount_users_match(const struct ag3_pstrlist *users, const char *username,
			    bool allow_self)
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

static int check_user_item(struct ag3_lctx *c, const struct ag3_yaml_node *v)
{
	char b[160];
	for (const char *s = v->str; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return ag3_lctx_fail(c, v, "'%s' is not a user name",
					     pv(v->str, b, sizeof(b)));
	return 0;
}

static int check_pattern_item(struct ag3_lctx *c, const struct ag3_yaml_node *v)
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

/* A record's key ("global.ro[0]"), for messages and the compiler's origins. */
_printf_(3, 4) static int record_key(struct ag3_lctx *c, char **key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(key, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*key = NULL;
		return ag3_lctx_oom(c);
	}
	return 0;
}

/*
 * The name, host_path and description of a global/per_user mount or a
 * dynamic base; `allow_username` and `section` go to check_host_path.
 */
static int parse_named(struct ag3_lctx *c, const struct ag3_yaml_node *it, struct ag3_pstr *name,
		       struct ag3_pstr *host_path, struct ag3_pstr *description,
		       bool allow_username, const char *section)
{
	int r;
	if ((r = field_str(c, it, "name", name, true, false, true, "a mount name")) < 0)
		return r;
	size_t saved = ag3_lctx_push(c, "name");
	r = check_name(c, ag3_yaml_map_get(it, "name"), name->v);
	ag3_lctx_pop(c, saved);
	if (r < 0)
		return r;
	if ((r = field_str(c, it, "host_path", host_path, true, false, false,
			   "an absolute host path")) < 0)
		return r;
	saved = ag3_lctx_push(c, "host_path");
	r = check_host_path(c, ag3_yaml_map_get(it, "host_path"), host_path->v, allow_username,
			    section);
	ag3_lctx_pop(c, saved);
	if (r < 0)
		return r;
	return field_str(c, it, "description", description, false, true, true, "a string");
}

static int parse_xmount(struct ag3_lctx *c, const struct ag3_yaml_node *it, struct ag3_xmount *m,
			bool per_user)
{
	static const char *const gkeys[] = {"name", "host_path", "description", "optional", NULL};
	static const char *const ukeys[] = {"name",	"host_path", "description",
					    "optional", "users",     NULL};
	int r;
	if (it->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, it, "a mount record (a mapping with name and host_path)");
	if ((r = check_keys(c, it, per_user ? ukeys : gkeys)) < 0 ||
	    (r = parse_named(c, it, &m->name, &m->host_path, &m->description, per_user, "global")) <
		    0)
		return r;
	if ((r = field_bool(c, it, "optional", &m->optional, per_user)) < 0)
		return r;
	if (per_user) {
		if (!key_node(it, "users"))
			return ag3_lctx_fail(
				c, it,
				"missing required key 'users' (a per_user mount needs "
				"the list of users it is for, or [\"*\"] for everyone)");
		if ((r = field_strlist(c, it, "users", &m->users, NULL, check_user_item)) < 0)
			return r;
	}
	return 0;
}

static int parse_xmounts(struct ag3_lctx *c, const struct ag3_yaml_node *sec, const char *which,
			 struct ag3_xmounts *l, bool per_user)
{
	const char *secname = per_user ? "per_user" : "global";
	const struct ag3_yaml_node *v;
	size_t saved = c->plen;
	int r = list_begin(c, sec, which, &l->meta, "a list of mount records", "mounts", &v);
	if (r == 0 && v && v->n && !(l->items = calloc(v->n, sizeof(*l->items))))
		r = ag3_lctx_oom(c);
	for (size_t i = 0; r == 0 && v && i < v->n; i++) {
		struct ag3_xmount *m = &l->items[l->n++];
		size_t s2 = ag3_lctx_push_index(c, i);
		set_meta(&m->meta, v->items[i], v->items[i]);
		m->per_user = per_user;
		m->ro = !strcmp(which, "ro");
		if ((r = record_key(c, &m->key, "%s.%s[%zu]", secname, which, i)) == 0)
			r = parse_xmount(c, v->items[i], m, per_user);
		ag3_lctx_pop(c, s2);
	}
	ag3_lctx_pop(c, saved);
	return r;
}

static int parse_ro_rw(struct ag3_lctx *c, const struct ag3_yaml_node *root, const char *key,
		       struct ag3_pmeta *meta, struct ag3_xmounts *ro, struct ag3_xmounts *rw,
		       bool per_user)
{
	static const char *const keys[] = {"ro", "rw", NULL};
	const struct ag3_yaml_node *v;
	size_t saved = c->plen;
	int r = section_begin(c, root, key, meta, keys, &v);
	if (r == 0 && v && (r = parse_xmounts(c, v, "ro", ro, per_user)) == 0)
		r = parse_xmounts(c, v, "rw", rw, per_user);
	ag3_lctx_pop(c, saved);
	return r;
}

static int parse_orig(struct ag3_lctx *c, const struct ag3_yaml_node *it, struct ag3_xorig *o)
{
	static const char *const keys[] = {"path", "description", "optional", "allowed_users",
					   NULL};
	static const char *const everyone[] = {"*", NULL};
	char b[160];
	int r;
	if (it->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, it, "an original-path record (a mapping with path)");
	if ((r = check_keys(c, it, keys)) < 0)
		return r;
	if ((r = field_str(c, it, "path", &o->path, true, false, false, "an absolute path")) < 0)
		return r;
	const struct ag3_yaml_node *pn = ag3_yaml_map_get(it, "path");
	size_t saved = ag3_lctx_push(c, "path");
	_cleanup_free_ char *norm = NULL;
	const char *res;
	if (o->path.v[0] != '/')
		r = ag3_lctx_fail(c, pn, "'%s' is not an absolute path",
				  pv(o->path.v, b, sizeof(b)));
	for (const char *s = strchr(o->path.v, '{'); r == 0 && s; s = strchr(s + 1, '{'))
		if (ag3_placeholder_len(s))
			r = ag3_lctx_fail(c, pn,
					  "placeholders are not substituted in original paths");
	if (r == 0 && ag3_path_normalize(o->path.v, &norm) < 0)
		r = ag3_lctx_oom(c);
	if (r == 0 && ag3_path_check_normalized(norm) < 0)
		r = ag3_lctx_fail(c, pn, "'%s' is too long", pv(o->path.v, b, sizeof(b)));
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
		free(o->path.v);
		o->path.v = TAKE_PTR(norm);
	}
	ag3_lctx_pop(c, saved);
	if (r < 0)
		return r;
	if ((r = field_str(c, it, "description", &o->description, false, true, true,
			   "a string")) < 0)
		return r;
	if ((r = field_bool(c, it, "optional", &o->optional, true)) < 0)
		return r;
	return field_strlist(c, it, "allowed_users", &o->allowed_users, everyone,
			     check_user_item);
}

static int parse_origs(struct ag3_lctx *c, const struct ag3_yaml_node *sec, const char *which,
		       struct ag3_xorigs *l)
{
	const struct ag3_yaml_node *v;
	size_t saved = c->plen;
	int r = list_begin(c, sec, which, &l->meta, "a list of original-path records", "entries",
			   &v);
	if (r == 0 && v && v->n && !(l->items = calloc(v->n, sizeof(*l->items))))
		r = ag3_lctx_oom(c);
	for (size_t i = 0; r == 0 && v && i < v->n; i++) {
		struct ag3_xorig *o = &l->items[l->n++];
		size_t s2 = ag3_lctx_push_index(c, i);
		set_meta(&o->meta, v->items[i], v->items[i]);
		o->ro = !strcmp(which, "ro");
		if ((r = record_key(c, &o->key, "original_paths.%s[%zu]", which, i)) == 0)
			r = parse_orig(c, v->items[i], o);
		ag3_lctx_pop(c, s2);
	}
	ag3_lctx_pop(c, saved);
	return r;
}

static const char *const auth_modes[] = {"allowlist", "role", "self_only", NULL};
static const char *const subpath_modes[] = {"allowlist", "blocklist", NULL};
static const char *const modes[] = {"rw", "ro", NULL}; /* index = ro */

static int parse_base(struct ag3_lctx *c, const struct ag3_yaml_node *it, struct ag3_xdyn_base *b)
{
	static const char *const keys[] = {"name",	    "host_path", "description",
					   "max_mode",	    "authorization", "subpath_restrictions",
					   "optional",	    NULL};
	static const char *const akeys[] = {"mode", "allowed_users", NULL};
	static const char *const skeys[] = {"mode", "allowed", "blocked", "exceptions", NULL};
	const struct ag3_yaml_node *a, *s;
	size_t saved = c->plen;
	int r;
	if (it->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, it, "a dynamic base (a mapping with name and host_path)");
	if ((r = check_keys(c, it, keys)) < 0 ||
	    (r = parse_named(c, it, &b->name, &b->host_path, &b->description, true, "")) < 0)
		return r;
	struct ag3_pint mm = {0};
	if ((r = field_enum(c, it, "max_mode", &mm, 1, modes)) < 0)
		return r;
	b->max_ro.meta = mm.meta;
	b->max_ro.v = mm.v == 1;
	if ((r = field_bool(c, it, "optional", &b->optional, true)) < 0)
		return r;

	b->authorization.mode.v = AG3_DYN_AUTH_ALLOWLIST;
	r = section_begin(c, it, "authorization", &b->authorization.meta, akeys, &a);
	if (r == 0 && a &&
	    (r = field_enum(c, a, "mode", &b->authorization.mode, AG3_DYN_AUTH_ALLOWLIST,
			    auth_modes)) == 0)
		r = field_strlist(c, a, "allowed_users", &b->authorization.allowed_users, NULL,
				  check_user_item);
	ag3_lctx_pop(c, saved);
	if (r < 0)
		return r;
	if (b->authorization.mode.v == AG3_DYN_AUTH_ALLOWLIST && !b->authorization.allowed_users.n)
		return ag3_lctx_fail(c, a ? a : it,
				     "authorization mode allowlist needs a non-empty "
				     "authorization.allowed_users (names, \"*\" or \"{self}\")");
	if (b->authorization.mode.v == AG3_DYN_AUTH_SELF_ONLY && !has_username(b->host_path.v))
		return ag3_lctx_fail(c, ag3_yaml_map_get(it, "host_path"),
				     "authorization mode self_only needs {username} in host_path "
				     "(otherwise every user gets the same directory)");

	b->subpath_restrictions.mode.v = AG3_DYN_SUBPATH_BLOCKLIST;
	r = section_begin(c, it, "subpath_restrictions", &b->subpath_restrictions.meta, skeys, &s);
	if (r == 0 && s &&
	    (r = field_enum(c, s, "mode", &b->subpath_restrictions.mode, AG3_DYN_SUBPATH_BLOCKLIST,
			    subpath_modes)) == 0 &&
	    (r = field_strlist(c, s, "allowed", &b->subpath_restrictions.allowed, NULL,
			       check_pattern_item)) == 0 &&
	    (r = field_strlist(c, s, "blocked", &b->subpath_restrictions.blocked, NULL,
			       check_pattern_item)) == 0)
		r = field_strlist(c, s, "exceptions", &b->subpath_restrictions.exceptions, NULL,
				  check_pattern_item);
	ag3_lctx_pop(c, saved);
	return r;
}

static int parse_bases(struct ag3_lctx *c, const struct ag3_yaml_node *d, struct ag3_xdyn_bases *l)
{
	const struct ag3_yaml_node *v;
	size_t saved = c->plen;
	int r = list_begin(c, d, "bases", &l->meta, "a list of dynamic bases", "bases", &v);
	if (r == 0 && v && v->n && !(l->items = calloc(v->n, sizeof(*l->items))))
		r = ag3_lctx_oom(c);
	for (size_t i = 0; r == 0 && v && i < v->n; i++) {
		struct ag3_xdyn_base *b = &l->items[l->n++];
		size_t s2 = ag3_lctx_push_index(c, i);
		set_meta(&b->meta, v->items[i], v->items[i]);
		if ((r = record_key(c, &b->key, "dynamic.bases[%zu]", i)) == 0)
			r = parse_base(c, v->items[i], b);
		ag3_lctx_pop(c, s2);
	}
	ag3_lctx_pop(c, saved);
	return r;
}

static int parse_dynamic(struct ag3_lctx *c, const struct ag3_yaml_node *root,
			 struct ag3_mounts_config *cfg)
{
	static const char *const keys[] = {"enabled", "security", "bases", NULL};
	static const char *const skeys[] = {"max_mounts_per_session", "max_subpath_depth",
					    "global_blocked_subpaths", NULL};
	const struct ag3_yaml_node *d, *s;
	size_t saved = c->plen;
	cfg->dynamic.security.max_mounts_per_session.v = 10;
	cfg->dynamic.security.max_subpath_depth.v = 10;
	int r = section_begin(c, root, "dynamic", &cfg->dynamic.meta, keys, &d);
	if (r < 0 || !d)
		goto out;
	if ((r = field_bool(c, d, "enabled", &cfg->dynamic.enabled, false)) < 0)
		goto out;
	size_t s2 = c->plen;
	r = section_begin(c, d, "security", &cfg->dynamic.security.meta, skeys, &s);
	if (r == 0 && s &&
	    (r = field_u64(c, s, "max_mounts_per_session",
			   &cfg->dynamic.security.max_mounts_per_session, 10, 0,
			   AG3_XMOUNT_SESSION_MAX)) == 0 &&
	    (r = field_u64(c, s, "max_subpath_depth", &cfg->dynamic.security.max_subpath_depth, 10,
			   1, AG3_XMOUNT_DEPTH_MAX)) == 0)
		r = field_strlist(c, s, "global_blocked_subpaths",
				  &cfg->dynamic.security.global_blocked_subpaths, NULL,
				  check_pattern_item);
	ag3_lctx_pop(c, s2);
	if (r == 0)
		r = parse_bases(c, d, &cfg->dynamic.bases);
out:
	ag3_lctx_pop(c, saved);
	return r;
}

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
				return ag3_error_set_at(
					c->reterr, EINVAL, c->file, e[i].meta->loc.line,
					e[i].meta->loc.col,
					"%s.name: '%s' is already used by %s (line %u); mount names "
					"are unique across global, per_user and dynamic (they share "
					"/mounts/<name>)",
					e[i].key, e[i].name, e[j].key, e[j].meta->loc.line);

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
	static const char *const keys[] = {"global", "per_user", "dynamic", "original_paths", NULL};
	static const char *const okeys[] = {"ro", "rw", NULL};
	int r;

	cfg->dynamic.security.max_mounts_per_session.v = 10;
	cfg->dynamic.security.max_subpath_depth.v = 10;
	if (!root || ag3_yaml_is_null(root))
		return 0; /* an empty file: no external mounts */
	if (root->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, root,
				       "a mapping (global, per_user, dynamic, original_paths)");
	if ((r = check_keys(c, root, keys)) < 0)
		return r;
	if ((r = parse_ro_rw(c, root, "global", &cfg->global.meta, &cfg->global.ro,
			     &cfg->global.rw, false)) < 0)
		return r;
	if ((r = parse_ro_rw(c, root, "per_user", &cfg->per_user.meta, &cfg->per_user.ro,
			     &cfg->per_user.rw, true)) < 0)
		return r;
	if ((r = parse_dynamic(c, root, cfg)) < 0)
		return r;
	const struct ag3_yaml_node *o;
	size_t saved = c->plen;
	r = section_begin(c, root, "original_paths", &cfg->original_paths.meta, okeys, &o);
	if (r == 0 && o && (r = parse_origs(c, o, "ro", &cfg->original_paths.ro)) == 0)
		r = parse_origs(c, o, "rw", &cfg->original_paths.rw);
	ag3_lctx_pop(c, saved);
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
