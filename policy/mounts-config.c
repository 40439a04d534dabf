/* SPDX-License-Identifier: MIT */
/*
 * The external-mounts loader: external-mounts.yaml (both schemas) -> the
 * model in mounts-config.h. Strict like the profile loader: unknown keys are
 * errors with a did-you-mean suggestion, every error names file:line:col and
 * the key path. After the loader: the dynamic-request validator and the
 * per-user plan the compiler turns into spec mounts.
 */
#include "mounts-config.h"

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

static const char *pv(const char *s, char *buf, size_t size)
{
	return ag3_yaml_preview(s, strlen(s), buf, size);
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

static size_t path_depth(const char *norm)
{
	size_t d = 0;
	for (const char *s = norm; *s; s++)
		if (*s == '/' && s[1])
			d++;
	return d;
}

/* The fixed reserved path `norm` is (under), or NULL. "/" is reserved only as itself. */
static const char *fixed_reserved(const char *norm)
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
	if (r == 0 && (res = fixed_reserved(norm)))
		r = !strcmp(res, norm)
			    ? ag3_lctx_fail(c, pn,
					    "'%s' is a reserved path (%s is the sandbox's own)",
					    pv(norm, b, sizeof(b)), res)
			    : ag3_lctx_fail(
				      c, pn,
				      "'%s' is under the reserved path %s (binding there would "
				      "cover or write into the sandbox's own %s)",
				      pv(norm, b, sizeof(b)), res, res);
	if (r == 0 && path_depth(norm) < 2)
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

/* ------------------------------------------------ dynamic mount requests -- */

static const char *const dyn_codes[_AG3_DYN_CODE_MAX] = {
	[AG3_DYN_OK] = "OK",
	[AG3_DYN_FEATURE_DISABLED] = "FEATURE_DISABLED",
	[AG3_DYN_BASE_NOT_FOUND] = "BASE_NOT_FOUND",
	[AG3_DYN_NOT_AUTHORIZED] = "NOT_AUTHORIZED",
	[AG3_DYN_DANGEROUS_PATTERN] = "DANGEROUS_PATTERN",
	[AG3_DYN_INVALID_CHARACTERS] = "INVALID_CHARACTERS",
	[AG3_DYN_MAX_DEPTH_EXCEEDED] = "MAX_DEPTH_EXCEEDED",
	[AG3_DYN_GLOBAL_BLOCKED] = "GLOBAL_BLOCKED",
	[AG3_DYN_NOT_IN_ALLOWLIST] = "NOT_IN_ALLOWLIST",
	[AG3_DYN_BLOCKED_BY_BASE] = "BLOCKED_BY_BASE",
	[AG3_DYN_MODE_EXCEEDS_MAX] = "MODE_EXCEEDS_MAX",
	[AG3_DYN_PATH_NOT_FOUND] = "PATH_NOT_FOUND",
	[AG3_DYN_PATH_ESCAPE] = "PATH_ESCAPE",
	[AG3_DYN_RESOLUTION_FAILED] = "RESOLUTION_FAILED",
	[AG3_DYN_MAX_MOUNTS_EXCEEDED] = "MAX_MOUNTS_EXCEEDED",
	[AG3_DYN_INVALID_ALIAS] = "INVALID_ALIAS",
	[AG3_DYN_INVALID_REQUEST] = "INVALID_REQUEST",
	[AG3_DYN_SYMLINK_IN_PATH] = "SYMLINK_IN_PATH",
};

const char *ag3_dyn_code_to_string(enum ag3_dyn_code code)
{
	return (int)code >= 0 && code < _AG3_DYN_CODE_MAX ? dyn_codes[code] : NULL;
}

void ag3_dyn_request_clear(struct ag3_dyn_request *r)
{
	free(r->base);
	free(r->subpath);
	free(r->alias);
	*r = (struct ag3_dyn_request){.mode = -1};
}

void ag3_dyn_mount_clear(struct ag3_dyn_mount *m)
{
	free(m->base);
	free(m->host_path);
	free(m->container_path);
	free(m->origin);
	*m = (struct ag3_dyn_mount){0};
}

int ag3_dyn_request_parse(const char *arg, struct ag3_dyn_request *ret,
			  struct ag3_error **reterr)
{
	struct ag3_dyn_request r = {.mode = -1};
	char b[160];
	if (!arg || !*arg)
		return ag3_error_set(reterr, EINVAL,
				     "--dynamic: expected BASE[/SUBPATH][:ro|rw][=ALIAS]");
	_cleanup_free_ char *s = strdup(arg);
	if (!s)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	char *eq = strchr(s, '=');
	if (eq) {
		*eq = '\0';
		if (!(r.alias = strdup(eq + 1)))
			goto oom;
	}
	char *colon = strrchr(s, ':');
	if (colon) {
		if (!strcmp(colon + 1, "ro"))
			r.mode = 0;
		else if (!strcmp(colon + 1, "rw"))
			r.mode = 1;
		else {
			ag3_dyn_request_clear(&r);
			return ag3_error_set(reterr, EINVAL,
					     "--dynamic %s: the mode after ':' must be ro or rw",
					     pv(arg, b, sizeof(b)));
		}
		*colon = '\0';
	}
	char *slash = strchr(s, '/');
	if (slash) {
		*slash = '\0';
		if (!(r.subpath = strdup(slash + 1)))
			goto oom;
	}
	if (!*s) {
		ag3_dyn_request_clear(&r);
		return ag3_error_set(reterr, EINVAL,
				     "--dynamic %s: no base name (expected "
				     "BASE[/SUBPATH][:ro|rw][=ALIAS])",
				     pv(arg, b, sizeof(b)));
	}
	if (!(r.base = strdup(s)))
		goto oom;
	*ret = r;
	return 0;
oom:
	ag3_dyn_request_clear(&r);
	return ag3_error_set(reterr, ENOMEM, "out of memory");
}

/* A path split into components (no empty or "." ones). */
struct comps {
	char *buf;
	char **v;
	size_t n;
};

static void comps_free(struct comps *c)
{
	free(c->buf);
	free(c->v);
	*c = (struct comps){0};
}

static int comps_split(const char *s, struct comps *ret)
{
	struct comps c = {0};
	size_t len = strlen(s);
	if (!(c.buf = strdup(s)) || !(c.v = calloc(len / 2 + 2, sizeof(char *)))) {
		comps_free(&c);
		return -ENOMEM;
	}
	for (char *save = NULL, *t = strtok_r(c.buf, "/", &save); t; t = strtok_r(NULL, "/", &save))
		if (strcmp(t, ".") != 0)
			c.v[c.n++] = t;
	*ret = c;
	return 0;
}

/* Whether the pattern's components match sub's components [at, at + n_pattern). */
static bool match_at(const struct comps *pat, const struct comps *sub, size_t at, int flags)
{
	if (!pat->n || at + pat->n > sub->n)
		return false;
	for (size_t j = 0; j < pat->n; j++)
		if (fnmatch(pat->v[j], sub->v[at + j], flags) != 0)
			return false;
	return true;
}

/*
 * The first place (any depth) a pattern of the list matches: 1 with *ret_at
 * and *ret_end (component span) and *ret_pat, 0 if none, -ENOMEM. With
 * `excused`, a match lying entirely inside an exception's span is skipped.
 */
static int match_any_depth(const struct ag3_pstrlist *pats, const struct comps *sub,
			   const struct ag3_pstrlist *exceptions, const char **ret_pat)
{
	for (size_t i = 0; i < pats->n; i++) {
		struct comps pc;
		if (comps_split(pats->items[i].v, &pc) < 0)
			return -ENOMEM;
		for (size_t at = 0; at < sub->n; at++) {
			if (!match_at(&pc, sub, at, 0))
				continue;
			bool excused = false;
			for (size_t e = 0; exceptions && e < exceptions->n && !excused; e++) {
				struct comps ec;
				if (comps_split(exceptions->items[e].v, &ec) < 0) {
					comps_free(&pc);
					return -ENOMEM;
				}
				excused = match_at(&ec, sub, 0, FNM_PERIOD) &&
					  at + pc.n <= ec.n;
				comps_free(&ec);
			}
			if (!excused) {
				comps_free(&pc);
				*ret_pat = pats->items[i].v;
				return 1;
			}
		}
		comps_free(&pc);
	}
	return 0;
}

/* Whether an allowlist pattern matches the leading components of sub. */
static int match_prefix(const struct ag3_pstrlist *pats, const struct comps *sub)
{
	for (size_t i = 0; i < pats->n; i++) {
		struct comps pc;
		if (comps_split(pats->items[i].v, &pc) < 0)
			return -ENOMEM;
		bool m = match_at(&pc, sub, 0, FNM_PERIOD);
		comps_free(&pc);
		if (m)
			return 1;
	}
	return 0;
}

static char *join_root(const char *host_root, const char *path)
{
	char *s = NULL;
	if (!host_root || !*host_root || !strcmp(host_root, "/"))
		return strdup(path);
	size_t n = strlen(host_root);
	while (n > 1 && host_root[n - 1] == '/')
		n--;
	return asprintf(&s, "%.*s%s", (int)n, host_root, path) < 0 ? NULL : s;
}

_printf_(3, 4) static int deny(struct ag3_error **reterr, enum ag3_dyn_code code,
			       const char *fmt, ...)
{
	int e = code == AG3_DYN_NOT_AUTHORIZED || code == AG3_DYN_FEATURE_DISABLED ||
				code == AG3_DYN_MAX_MOUNTS_EXCEEDED
			? EPERM
		: code == AG3_DYN_PATH_NOT_FOUND || code == AG3_DYN_BASE_NOT_FOUND ? ENOENT
										   : EINVAL;
	va_list ap;
	va_start(ap, fmt);
	int r = ag3_error_set_atv(reterr, e, NULL, 0, 0, dyn_codes[code], fmt, ap);
	va_end(ap);
	return r == -ENOMEM ? r : (int)code; /* the message could not be formatted */
}

int ag3_dyn_validate(const struct ag3_mounts_config *cfg, const struct ag3_dyn_request *req,
		     const char *username, size_t n_granted, const char *host_root,
		     struct ag3_dyn_mount *ret, struct ag3_error **reterr)
{
	char b[160], b2[160];
	const struct ag3_xdyn_base *base = NULL;
	struct comps sub = {0};
	_cleanup_free_ char *hb = NULL, *hbn = NULL, *rel = NULL, *container = NULL;
	_cleanup_free_ char *hroot = NULL, *host = NULL;
	_cleanup_close_ int rootfd = -1, bfd = -1, sfd = -1;
	const char *pat = NULL;
	bool exists = true;
	int r;

	/* 1. the feature */
	if (!cfg || !cfg->dynamic.enabled.v)
		return deny(reterr, AG3_DYN_FEATURE_DISABLED,
			    "dynamic mounts are not enabled (dynamic.enabled: true in the mounts "
			    "config%s)",
			    cfg ? "" : ", given with --mounts");
	if (!req || !req->base)
		return deny(reterr, AG3_DYN_INVALID_REQUEST, "no base given");
	/* 2. the base */
	for (size_t i = 0; i < cfg->dynamic.bases.n && !base; i++)
		if (!strcmp(cfg->dynamic.bases.items[i].name.v, req->base))
			base = &cfg->dynamic.bases.items[i];
	if (!base)
		return deny(reterr, AG3_DYN_BASE_NOT_FOUND, "no dynamic base named '%s' in %s",
			    pv(req->base, b, sizeof(b)), cfg->file);
	/* 3. authorization */
	if (!username)
		return deny(reterr, AG3_DYN_NOT_AUTHORIZED,
			    "base '%s': no user given (--user), and dynamic mounts are per user",
			    base->name.v);
	if (!ag3_path_component_valid(username))
		return deny(reterr, AG3_DYN_INVALID_REQUEST,
			    "the user name '%s' cannot be used in a path", pv(username, b, sizeof(b)));
	switch (base->authorization.mode.v) {
	case AG3_DYN_AUTH_ROLE:
		return deny(reterr, AG3_DYN_NOT_AUTHORIZED,
			    "base '%s' uses authorization mode 'role', which has no role "
			    "source here (the platform denied every such request too); use "
			    "allowlist or self_only",
			    base->name.v);
	case AG3_DYN_AUTH_SELF_ONLY:
		break; /* its host path holds {username}: the user's own directory */
	default:
		if (!ag3_xmount_users_match(&base->authorization.allowed_users, username, true))
			return deny(reterr, AG3_DYN_NOT_AUTHORIZED,
				    "user '%s' is not in base '%s' authorization.allowed_users",
				    pv(username, b, sizeof(b)), base->name.v);
	}
	/* 4. the subpath */
	const char *sp = req->subpath ? req->subpath : "";
	if (strstr(sp, "..") || strchr(sp, '\\'))
		return deny(reterr, AG3_DYN_DANGEROUS_PATTERN,
			    "subpath '%s' contains '..' or '\\'", pv(sp, b, sizeof(b)));
	for (const char *p = sp; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_.-", *p))
			return deny(reterr, AG3_DYN_INVALID_CHARACTERS,
				    "subpath '%s' has characters other than letters, digits, "
				    "'/', '_', '.' and '-'",
				    pv(sp, b, sizeof(b)));
	if (comps_split(sp, &sub) < 0)
		goto oom;
	if (sub.n > cfg->dynamic.security.max_subpath_depth.v) {
		r = deny(reterr, AG3_DYN_MAX_DEPTH_EXCEEDED,
			 "subpath '%s' has %zu components, more than max_subpath_depth %llu",
			 pv(sp, b, sizeof(b)), sub.n,
			 (unsigned long long)cfg->dynamic.security.max_subpath_depth.v);
		goto out;
	}
	r = match_any_depth(&cfg->dynamic.security.global_blocked_subpaths, &sub, NULL, &pat);
	if (r < 0)
		goto oom;
	if (r > 0) {
		r = deny(reterr, AG3_DYN_GLOBAL_BLOCKED,
			 "subpath '%s' matches the globally blocked pattern '%s'",
			 pv(sp, b, sizeof(b)), pv(pat, b2, sizeof(b2)));
		goto out;
	}
	const __typeof__(base->subpath_restrictions) *sr = &base->subpath_restrictions;
	if (sr->mode.v == AG3_DYN_SUBPATH_ALLOWLIST) {
		r = match_prefix(&sr->allowed, &sub);
		if (r < 0)
			goto oom;
		if (r == 0 && match_prefix(&sr->exceptions, &sub) == 0) {
			r = deny(reterr, AG3_DYN_NOT_IN_ALLOWLIST,
				 "subpath '%s' is not in base '%s' subpath_restrictions.allowed",
				 pv(sp, b, sizeof(b)), base->name.v);
			goto out;
		}
	}
	r = match_any_depth(&sr->blocked, &sub, &sr->exceptions, &pat);
	if (r < 0)
		goto oom;
	if (r > 0) {
		r = deny(reterr, AG3_DYN_BLOCKED_BY_BASE,
			 "subpath '%s' matches base '%s' blocked pattern '%s'", pv(sp, b, sizeof(b)),
			 base->name.v, pv(pat, b2, sizeof(b2)));
		goto out;
	}
	/* 5. the mode */
	bool ro = req->mode != 1;
	if (!ro && base->max_ro.v) {
		r = deny(reterr, AG3_DYN_MODE_EXCEEDS_MAX,
			 "rw was requested and base '%s' allows at most ro", base->name.v);
		goto out;
	}
	/* the session's budget */
	if (n_granted >= cfg->dynamic.security.max_mounts_per_session.v) {
		r = deny(reterr, AG3_DYN_MAX_MOUNTS_EXCEEDED,
			 "this session already has %zu dynamic mounts (max_mounts_per_session "
			 "%llu)",
			 n_granted,
			 (unsigned long long)cfg->dynamic.security.max_mounts_per_session.v);
		goto out;
	}
	/* the alias names /mounts/<alias>: valid, and not another mount's name */
	if (req->alias) {
		bool taken = false;
		const struct ag3_xmounts *ls[4] = {&cfg->global.ro, &cfg->global.rw,
						   &cfg->per_user.ro, &cfg->per_user.rw};
		for (size_t l = 0; l < 4; l++)
			for (size_t i = 0; i < ls[l]->n; i++)
				taken |= !strcmp(ls[l]->items[i].name.v, req->alias);
		for (size_t i = 0; i < cfg->dynamic.bases.n; i++)
			taken |= &cfg->dynamic.bases.items[i] != base &&
				 !strcmp(cfg->dynamic.bases.items[i].name.v, req->alias);
		if (!ag3_xmount_name_valid(req->alias) || taken) {
			r = deny(reterr, AG3_DYN_INVALID_ALIAS,
				 "alias '%s' is %s", pv(req->alias, b, sizeof(b)),
				 taken ? "the name of another configured mount"
				       : "not a valid mount name (^[a-zA-Z0-9_-]{1,64}$, not "
					 "reserved)");
			goto out;
		}
	}

	/* 6. the paths */
	hb = ag3_placeholder_subst_username(base->host_path.v, username);
	if (!hb || ag3_path_normalize(hb, &hbn) < 0)
		goto oom;
	size_t rl = 1;
	for (size_t i = 0; i < sub.n; i++)
		rl += strlen(sub.v[i]) + 1;
	if (!(rel = calloc(1, rl)))
		goto oom;
	for (size_t i = 0; i < sub.n; i++) {
		if (i)
			strcat(rel, "/");
		strcat(rel, sub.v[i]);
	}
	if (asprintf(&container, AG3_XMOUNT_ROOT "/%s%s%s",
		     req->alias ? req->alias : base->name.v, *rel ? "/" : "", rel) < 0) {
		container = NULL;
		goto oom;
	}
	/* 7./8. existence and containment: the base's host path and the subpath beneath
	 * it are opened following no symlink at all, as the runtime opens bind sources.
	 * A link that stays beneath the base is refused too: the checks above ran on the
	 * subpath as written, and a link the user planted (through an rw mount of the
	 * base) would bind what they name, unchecked (projects/s -> ../.ssh). */
	hroot = join_root(host_root, hbn);
	if (!hroot)
		goto oom;
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = rootfd < 0 ? -errno : ag3_mounts_open_beneath_nofollow(rootfd, hroot + 1, &bfd);
	if (r == 0 && sub.n)
		r = ag3_mounts_open_beneath_nofollow(bfd, rel, &sfd);
	if (r == -ELOOP || r == -EXDEV) {
		r = deny(reterr, AG3_DYN_SYMLINK_IN_PATH,
			 "'%s%s%s' goes through a symlink: dynamic mounts follow none, not even "
			 "one inside base '%s'; request the real path",
			 pv(hbn, b, sizeof(b)), *rel ? "/" : "", pv(rel, b2, sizeof(b2)),
			 base->name.v);
		goto out;
	}
	if (r < 0 && r != -ENOENT && r != -ENOTDIR) {
		r = deny(reterr, AG3_DYN_RESOLUTION_FAILED, "'%s%s%s' of base '%s': %s",
			 pv(hbn, b, sizeof(b)), *rel ? "/" : "", pv(rel, b2, sizeof(b2)),
			 base->name.v, strerror(-r));
		goto out;
	}
	exists = r == 0;
	if (!exists && !base->optional.v) {
		r = deny(reterr, AG3_DYN_PATH_NOT_FOUND, "'%s%s%s' does not exist on this host",
			 pv(hbn, b, sizeof(b)), *rel ? "/" : "", pv(rel, b2, sizeof(b2)));
		goto out;
	}
	if (!*rel)
		host = strdup(hbn);
	else if (asprintf(&host, "%s/%s", strcmp(hbn, "/") ? hbn : "", rel) < 0)
		host = NULL;
	if (!host)
		goto oom;
	if (ag3_path_check_normalized(host) < 0 || ag3_path_check_normalized(container) < 0) {
		r = deny(reterr, AG3_DYN_INVALID_REQUEST, "the resulting path is too long");
		goto out;
	}
	struct ag3_dyn_mount dm = {.ro = ro, .optional = base->optional.v, .exists = exists};
	dm.origin = NULL;
	if (!(dm.base = strdup(base->name.v)) ||
	    asprintf(&dm.origin, "dynamic %s%s%s%s%s", base->name.v, *rel ? "/" : "", rel,
		     req->alias ? "=" : "", req->alias ? req->alias : "") < 0) {
		dm.origin = NULL;
		ag3_dyn_mount_clear(&dm);
		goto oom;
	}
	dm.host_path = TAKE_PTR(host);
	dm.container_path = TAKE_PTR(container);
	*ret = dm;
	r = AG3_DYN_OK;
	goto out;
oom:
	r = -ENOMEM;
	ag3_error_set(reterr, ENOMEM, "out of memory");
out:
	comps_free(&sub);
	return r;
}

/* ------------------------------------------------------------- the plan -- */

static const char *const skip_names[] = {
	[AG3_XPLAN_SKIP_NONE] = "none",
	[AG3_XPLAN_SKIP_NOT_AUTHORIZED] = "not-authorized",
	[AG3_XPLAN_SKIP_RESERVED] = "reserved",
	[AG3_XPLAN_SKIP_MISSING] = "missing",
	[AG3_XPLAN_SKIP_NO_USERNAME] = "no-username",
	[AG3_XPLAN_SKIP_DUPLICATE] = "duplicate",
};

const char *ag3_xplan_skip_to_string(enum ag3_xplan_skip s)
{
	return (int)s >= 0 && (size_t)s < ELEMENTSOF(skip_names) ? skip_names[s] : NULL;
}

void ag3_xplan_free(struct ag3_xplan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].origin);
		free(p->items[i].source);
		free(p->items[i].target);
		free(p->items[i].skip_reason);
	}
	free(p->items);
	free(p);
}

struct pctx {
	const struct ag3_mounts_config *cfg;
	const char *username; /* NULL: none given */
	const char *host_root;
	char **reserved; /* the profile's targets (+ the persistent path) */
	size_t n_reserved;
	struct ag3_xplan *plan;
	struct ag3_error **reterr;
	size_t cap;
};

static struct ag3_xplan_entry *plan_add(struct pctx *c, enum ag3_xplan_kind kind)
{
	if (c->plan->n == c->cap) {
		size_t nc = c->cap ? c->cap * 2 : 16;
		struct ag3_xplan_entry *n = realloc(c->plan->items, nc * sizeof(*n));
		if (!n)
			return NULL;
		c->plan->items = n;
		c->cap = nc;
	}
	struct ag3_xplan_entry *e = &c->plan->items[c->plan->n++];
	*e = (struct ag3_xplan_entry){.kind = kind, .file = c->cfg ? c->cfg->file : NULL};
	return e;
}

_printf_(3, 4) static int skip(struct ag3_xplan_entry *e, enum ag3_xplan_skip why,
			       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&e->skip_reason, fmt, ap);
	va_end(ap);
	e->skip = why;
	if (r < 0) {
		e->skip_reason = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* 1 exists, 0 missing, or -errno (other errors), beneath host_root. */
static int host_exists(const char *host_root, const char *path)
{
	_cleanup_free_ char *hp = join_root(host_root, path);
	struct stat st;
	if (!hp)
		return -ENOMEM;
	if (stat(hp, &st) == 0)
		return 1;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
}

/*
 * An existing host path that goes through a symlink: the runtime binds only
 * symlink-free sources (a link swapped in later must not redirect a bind), so
 * this is refused at compile time, where the YAML entry can be named, instead
 * of at exec time. The path it resolves to is given, for the message.
 */
static int symlinked(struct pctx *c, const struct ag3_pmeta *meta, const char *what,
		     const char *path)
{
	_cleanup_free_ char *hp = join_root(c->host_root, path);
	_cleanup_free_ char *root = realpath(c->host_root && *c->host_root ? c->host_root : "/",
					     NULL);
	if (!hp || !root)
		return -ENOMEM;
	_cleanup_free_ char *real = realpath(hp, NULL);
	if (!real)
		return 0; /* vanished meanwhile: the runtime says so */
	size_t rn = strcmp(root, "/") ? strlen(root) : 0;
	const char *inside = !strncmp(real, root, rn) && (real[rn] == '/' || !real[rn])
				     ? (real[rn] ? real + rn : "/")
				     : NULL;
	if (inside && !strcmp(inside, path))
		return 0;
	char b[160], b2[160];
	return ag3_error_set_at(c->reterr, ELOOP, c->cfg->file, meta->loc.line, meta->loc.col,
				"%s: '%s' goes through a symlink (to '%s'): bind sources must be "
				"symlink-free; name the real path",
				what, pv(path, b, sizeof(b)),
				pv(inside ? inside : real, b2, sizeof(b2)));
}

/* The reserved path `norm` is (under), or NULL: the fixed set, then the profile's targets. */
static const char *reserved_for(const struct pctx *c, const char *norm)
{
	const char *r = fixed_reserved(norm);
	if (r)
		return r;
	for (size_t i = 0; i < c->n_reserved; i++)
		if (strcmp(c->reserved[i], "/") != 0 && ag3_path_is_under(norm, c->reserved[i]))
			return c->reserved[i];
	return NULL;
}

static int missing_required(struct pctx *c, const struct ag3_pmeta *meta, const char *what,
			    const char *path, int e)
{
	char b[160];
	if (e == 0)
		return ag3_error_set_at(c->reterr, ENOENT, c->cfg->file, meta->loc.line,
					meta->loc.col,
					"%s: '%s' does not exist on this host, and the mount is "
					"required (optional: false); refusing to run without it",
					what, pv(path, b, sizeof(b)));
	return ag3_error_set_at(c->reterr, -e, c->cfg->file, meta->loc.line, meta->loc.col,
				"%s: cannot check '%s': %s", what, pv(path, b, sizeof(b)),
				strerror(-e));
}

static int plan_records(struct pctx *c, const struct ag3_xmounts *l)
{
	char b[160];
	for (size_t i = 0; i < l->n; i++) {
		const struct ag3_xmount *m = &l->items[i];
		struct ag3_xplan_entry *e = plan_add(c, AG3_XPLAN_MOUNT);
		_cleanup_free_ char *sub = NULL;
		if (!e)
			return -ENOMEM;
		e->ro = m->ro;
		e->optional = m->optional.v;
		e->loc = m->meta.loc;
		if (asprintf(&e->origin, "%s %s", m->key, m->name.v) < 0 ||
		    asprintf(&e->target, AG3_XMOUNT_ROOT "/%s", m->name.v) < 0)
			return -ENOMEM;
		if (m->per_user && !c->username) {
			if (skip(e, AG3_XPLAN_SKIP_NO_USERNAME,
				 "a per_user mount, and no user was given (--user)") < 0)
				return -ENOMEM;
			continue;
		}
		if (m->per_user && !ag3_xmount_users_match(&m->users, c->username, false)) {
			if (skip(e, AG3_XPLAN_SKIP_NOT_AUTHORIZED, "user '%s' is not in its users",
				 pv(c->username, b, sizeof(b))) < 0)
				return -ENOMEM;
			continue;
		}
		if (!(sub = ag3_placeholder_subst_username(m->host_path.v, c->username)) ||
		    ag3_path_normalize(sub, &e->source) < 0)
			return -ENOMEM;
		int x = host_exists(c->host_root, e->source);
		if (x == -ENOMEM)
			return -ENOMEM;
		if (x > 0 || !m->optional.v) {
			_cleanup_free_ char *what = NULL;
			if (asprintf(&what, "%s (%s).host_path", m->key, m->name.v) < 0)
				return -ENOMEM;
			if (x <= 0)
				return missing_required(c, &m->host_path.meta, what, e->source, x);
			int k = symlinked(c, &m->host_path.meta, what, e->source);
			if (k < 0)
				return k;
		}
		if (x <= 0 && skip(e, AG3_XPLAN_SKIP_MISSING,
				   "'%s' does not exist on this host (optional)",
				   pv(e->source, b, sizeof(b))) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Whether an earlier bound entry already targets `target`; its origin in *ret. */
static bool target_taken(const struct pctx *c, const char *target, size_t upto,
			 const char **ret)
{
	for (size_t i = 0; i < upto; i++) {
		const struct ag3_xplan_entry *e = &c->plan->items[i];
		if (e->skip == AG3_XPLAN_SKIP_NONE && e->target && !strcmp(e->target, target)) {
			*ret = e->origin;
			return true;
		}
	}
	return false;
}

static int plan_original_paths(struct pctx *c, const struct ag3_xorigs *l)
{
	char b[160];
	for (size_t i = 0; i < l->n; i++) {
		const struct ag3_xorig *o = &l->items[i];
		const char *res = reserved_for(c, o->path.v);
		if (res)
			return ag3_error_set_at(
				c->reterr, EINVAL, c->cfg->file, o->path.meta.loc.line,
				o->path.meta.loc.col,
				"%s.path: '%s' %s the profile's mount target %s (binding there would "
				"cover it or write into it)",
				o->key, pv(o->path.v, b, sizeof(b)),
				strcmp(res, o->path.v) ? "is under" : "is", res);
		struct ag3_xplan_entry *e = plan_add(c, AG3_XPLAN_ORIGINAL_PATH);
		if (!e)
			return -ENOMEM;
		e->ro = o->ro;
		e->optional = o->optional.v;
		e->loc = o->meta.loc;
		if (!(e->origin = strdup(o->key)) || !(e->source = strdup(o->path.v)) ||
		    !(e->target = strdup(o->path.v)))
			return -ENOMEM;
		if (!ag3_xmount_users_match(&o->allowed_users, c->username, false)) {
			int k = c->username ? skip(e, AG3_XPLAN_SKIP_NOT_AUTHORIZED,
						   "user '%s' is not in its allowed_users",
						   pv(c->username, b, sizeof(b)))
					    : skip(e, AG3_XPLAN_SKIP_NO_USERNAME,
						   "its allowed_users names users, and no user was "
						   "given (--user)");
			if (k < 0)
				return -ENOMEM;
			continue;
		}
		int x = host_exists(c->host_root, e->source);
		if (x == -ENOMEM)
			return -ENOMEM;
		if (x > 0 || !o->optional.v) {
			_cleanup_free_ char *what = NULL;
			if (asprintf(&what, "%s.path", o->key) < 0)
				return -ENOMEM;
			if (x <= 0)
				return missing_required(c, &o->path.meta, what, e->source, x);
			int k = symlinked(c, &o->path.meta, what, e->source);
			if (k < 0)
				return k;
		}
		if (x <= 0 && skip(e, AG3_XPLAN_SKIP_MISSING,
				   "'%s' does not exist on this host (optional)",
				   pv(e->source, b, sizeof(b))) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The original-path exposure of a bound entry's host path. */
static int plan_exposure(struct pctx *c, size_t idx)
{
	char b[160];
	/* copy what we need: plan_add may move the array */
	const struct ag3_xplan_entry src = c->plan->items[idx];
	size_t upto = c->plan->n;
	struct ag3_xplan_entry *e = plan_add(c, AG3_XPLAN_ORIGINAL_OF);
	if (!e)
		return -ENOMEM;
	e->ro = src.ro;
	e->optional = true; /* as the platform: optional=True */
	e->loc = src.loc;
	if (asprintf(&e->origin, "original-path of %s", src.origin) < 0 ||
	    !(e->source = strdup(src.source)) || !(e->target = strdup(src.source)))
		return -ENOMEM;
	const char *res = reserved_for(c, e->target), *by = NULL;
	if (res)
		return skip(e, AG3_XPLAN_SKIP_RESERVED,
			    "'%s' %s the reserved path %s: not exposed at its original path (the "
			    "platform did not check this)",
			    pv(e->target, b, sizeof(b)), strcmp(res, e->target) ? "is under" : "is",
			    res);
	if (path_depth(e->target) < 2)
		return skip(e, AG3_XPLAN_SKIP_RESERVED,
			    "'%s' has fewer than 2 components: not exposed at its original path "
			    "(it would cover a top-level directory)",
			    pv(e->target, b, sizeof(b)));
	if (target_taken(c, e->target, upto, &by))
		return skip(e, AG3_XPLAN_SKIP_DUPLICATE, "'%s' is already bound by %s",
			    pv(e->target, b, sizeof(b)), by);
	return 0;
}

/* The request as written, from a dynamic mount's origin ("dynamic logs/x=a"). */
static const char *dyn_arg(const struct ag3_dyn_mount *d)
{
	return strncmp(d->origin, "dynamic ", 8) ? d->origin : d->origin + 8;
}

int ag3_mounts_config_plan(const struct ag3_mounts_config *cfg,
			   const struct ag3_profile *profile, const struct ag3_session *session,
			   const struct ag3_dyn_mount *dyn, size_t n_dyn, const char *host_root,
			   struct ag3_xplan **ret, struct ag3_error **reterr)
{
	_cleanup_(ag3_xplan_freep) struct ag3_xplan *plan = calloc(1, sizeof(*plan));
	struct pctx c = {.cfg = cfg, .host_root = host_root, .plan = plan, .reterr = reterr};
	_cleanup_free_ char *persistent = NULL;
	char b[160];
	int r = 0;

	if (!plan)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	if (!cfg) {
		*ret = TAKE_PTR(plan);
		return 0;
	}
	c.username = session && session->username && *session->username ? session->username
									  : NULL;
	if (c.username && !ag3_path_component_valid(c.username))
		return ag3_error_set(reterr, EINVAL,
				     "session: the user name '%s' cannot be used in a path (it "
				     "must be one path component)",
				     pv(c.username, b, sizeof(b)));
	if (profile && ag3_profile_mount_targets(profile, session, &c.reserved) < 0)
		goto oom;
	while (c.reserved && c.reserved[c.n_reserved])
		c.n_reserved++;
	if (c.username &&
	    asprintf(&persistent, "/users/%s/ag3ntum/persistent", c.username) < 0) {
		persistent = NULL;
		goto oom;
	}
	if (persistent) {
		char **n = realloc(c.reserved, (c.n_reserved + 2) * sizeof(char *));
		if (!n)
			goto oom;
		c.reserved = n;
		if (!(c.reserved[c.n_reserved] = strdup(persistent)))
			goto oom;
		c.reserved[++c.n_reserved] = NULL;
	}

	/* 1. the mask */
	struct ag3_xplan_entry *e = plan_add(&c, AG3_XPLAN_MASK);
	if (!e || !(e->origin = strdup("tmpfs mask " AG3_XMOUNT_ROOT " (external mounts)")) ||
	    !(e->target = strdup(AG3_XMOUNT_ROOT)))
		goto oom;
	e->loc = (struct ag3_ploc){0};

	/* 2. the persistent directory at its own path, so ./persistent symlinks resolve */
	if (!(e = plan_add(&c, AG3_XPLAN_PERSISTENT)) ||
	    !(e->origin = strdup("persistent storage (same path)")))
		goto oom;
	e->optional = true;
	e->file = NULL;
	if (!persistent) {
		if (!(e->target = strdup("/users/{username}/ag3ntum/persistent")) ||
		    skip(e, AG3_XPLAN_SKIP_NO_USERNAME, "no user was given (--user)") < 0)
			goto oom;
	} else {
		if (!(e->source = strdup(persistent)) || !(e->target = strdup(persistent)))
			goto oom;
		r = host_exists(host_root, persistent);
		if (r == -ENOMEM)
			goto oom;
		if (r <= 0 && skip(e, AG3_XPLAN_SKIP_MISSING,
				   "'%s' does not exist on this host", persistent) < 0)
			goto oom;
		r = 0;
	}

	/* 3. the records, at /mounts/<name> */
	const struct ag3_xmounts *ls[4] = {&cfg->global.ro, &cfg->global.rw, &cfg->per_user.ro,
					   &cfg->per_user.rw};
	size_t start[5];
	for (size_t l = 0; l < 4; l++) {
		start[l] = plan->n;
		if ((r = plan_records(&c, ls[l])) < 0)
			goto fail;
	}
	start[4] = plan->n;

	/* 4. dynamic requests */
	size_t first_dyn = plan->n;
	for (size_t i = 0; i < n_dyn; i++) {
		const struct ag3_dyn_mount *d = &dyn[i];
		const char *by = NULL;
		if (target_taken(&c, d->container_path, plan->n, &by)) {
			r = ag3_error_set(reterr, EINVAL, "--dynamic %s: %s is already mounted by %s",
					  dyn_arg(d), d->container_path, by);
			goto fail;
		}
		/* nested under (or over) another dynamic mount: only where the host layout
		 * is the same, else the runtime would create the mount point inside the other
		 * mount's host directory, or hide it */
		for (size_t j = first_dyn; j < plan->n; j++) {
			const struct ag3_xplan_entry *o = &plan->items[j];
			const struct ag3_xplan_entry *outer = NULL;
			const char *inner_src = NULL, *inner_tgt = NULL;
			if (o->skip != AG3_XPLAN_SKIP_NONE)
				continue;
			if (ag3_path_is_under(d->container_path, o->target)) {
				outer = o;
				inner_src = d->host_path;
				inner_tgt = d->container_path;
			} else if (ag3_path_is_under(o->target, d->container_path)) {
				inner_src = o->source;
				inner_tgt = o->target;
			} else
				continue;
			const char *osrc = outer ? outer->source : d->host_path;
			const char *otgt = outer ? outer->target : d->container_path;
			_cleanup_free_ char *want = NULL;
			if (asprintf(&want, "%s%s", strcmp(osrc, "/") ? osrc : "",
				     inner_tgt + strlen(otgt)) < 0) {
				want = NULL;
				goto oom;
			}
			if (strcmp(want, inner_src) != 0) {
				r = ag3_error_set(reterr, EINVAL,
						  "--dynamic %s: %s and %s (from %s) nest, but their host "
						  "directories do not; use another alias",
						  dyn_arg(d), d->container_path, o->target, o->origin);
				goto fail;
			}
		}
		if (!(e = plan_add(&c, AG3_XPLAN_DYNAMIC)))
			goto oom;
		e->ro = d->ro;
		e->optional = d->optional;
		e->file = NULL;
		if (!(e->origin = strdup(d->origin)) || !(e->source = strdup(d->host_path)) ||
		    !(e->target = strdup(d->container_path)))
			goto oom;
		if (!d->exists && skip(e, AG3_XPLAN_SKIP_MISSING,
				       "'%s' does not exist on this host (the base is optional)",
				       pv(d->host_path, b, sizeof(b))) < 0)
			goto oom;
	}
	size_t end_dyn = plan->n;

	/* 5. original_paths for the user */
	if ((r = plan_original_paths(&c, &cfg->original_paths.ro)) < 0 ||
	    (r = plan_original_paths(&c, &cfg->original_paths.rw)) < 0)
		goto fail;

	/* 6. exposures: ro (global, per_user), rw (global, per_user), then dynamic */
	static const size_t order[4] = {0, 2, 1, 3};
	for (size_t k = 0; k < 4; k++)
		for (size_t i = start[order[k]]; i < start[order[k] + 1]; i++)
			if (plan->items[i].skip == AG3_XPLAN_SKIP_NONE &&
			    (r = plan_exposure(&c, i)) < 0)
				goto fail;
	for (size_t i = first_dyn; i < end_dyn; i++)
		if (plan->items[i].skip == AG3_XPLAN_SKIP_NONE && (r = plan_exposure(&c, i)) < 0)
			goto fail;

	for (size_t i = 0; i < c.n_reserved; i++)
		free(c.reserved[i]);
	free(c.reserved);
	*ret = TAKE_PTR(plan);
	return 0;
oom:
	r = ag3_error_set(reterr, ENOMEM, "out of memory");
fail:
	if (r == -ENOMEM)
		ag3_error_set(reterr, ENOMEM, "out of memory");
	for (size_t i = 0; i < c.n_reserved; i++)
		free(c.reserved[i]);
	free(c.reserved);
	return r;
}
