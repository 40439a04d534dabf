/* SPDX-License-Identifier: MIT */
#include "yamlwalk.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NAMES_MAX 64 /* keys of one mapping */

bool ag3_yw_is_word(const struct ag3_yaml_node *v, const char *word)
{
	return v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_STR &&
	       !strcasecmp(v->str, word);
}

static struct ag3_pmeta *field_at(void *base, const struct ag3_yw_row *row)
{
	return (struct ag3_pmeta *)((char *)base + row->off);
}

/* ------------------------------------------------------------- scalars -- */

static int read_bool(struct ag3_lctx *c, const struct ag3_yaml_node *v, struct ag3_pbool *b,
		     const struct ag3_yw_row *row)
{
	static const char *const yaml11[] = {"yes", "no", "on", "off", "y", "n"};
	size_t n = (row->flags & AG3_YW_NO_YN) ? 4 : ELEMENTSOF(yaml11);
	char d[96];
	if ((row->flags & AG3_YW_NULL_DEFAULT) && ag3_yaml_is_null(v))
		return 0; /* null: the default, like pydantic's Optional */
	if (ag3_yaml_get_bool(v, &b->v) == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (ag3_yw_is_word(v, yaml11[i]) && v->plain)
			return ag3_lctx_fail(
				c, v,
				"expected true or false, got %s (YAML 1.1 booleans like "
				"yes/no/on/off are ambiguous: write true or false)",
				ag3_yaml_describe(v, d, sizeof(d)));
	return ag3_lctx_expect(c, v, "true or false");
}

static int check_range(struct ag3_lctx *c, const struct ag3_yaml_node *v,
		       const struct ag3_yw_row *row, uint64_t x, const char *unit)
{
	if (x == AG3_RLIM_INFINITY && (row->flags & AG3_YW_UNLIMITED_INF))
		return 0;
	if (x == 0 && (row->flags & AG3_YW_UNLIMITED_ZERO))
		return 0;
	if (x < row->min || x > row->max)
		return ag3_lctx_fail(c, v, "%llu%s is out of range (%llu..%llu%s)",
				     (unsigned long long)x, unit, (unsigned long long)row->min,
				     (unsigned long long)row->max, unit);
	return 0;
}

bool ag3_yw_unlimited(const struct ag3_yaml_node *v, const struct ag3_yw_row *row, uint64_t *ret)
{
	if (!(row->flags & (AG3_YW_UNLIMITED_ZERO | AG3_YW_UNLIMITED_INF)) ||
	    !(ag3_yw_is_word(v, "unlimited") || ag3_yw_is_word(v, "max") ||
	      ag3_yw_is_word(v, "infinity")))
		return false;
	*ret = (row->flags & AG3_YW_UNLIMITED_INF) ? AG3_RLIM_INFINITY : 0;
	return true;
}

int ag3_yw_uint_error(struct ag3_lctx *c, const struct ag3_yaml_node *v, int r, const char *what)
{
	if (r == -ERANGE)
		return ag3_lctx_fail(c, v, "%s is out of range", v->str);
	if (v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_INT)
		return ag3_lctx_fail(
			c, v,
			"'%s' is ambiguous: YAML 1.1 reads a leading 0 as octal (write 0o%s "
			"or drop the 0)",
			v->str, v->str + 1);
	return ag3_lctx_expect(c, v, what);
}

static int read_uint(struct ag3_lctx *c, const struct ag3_yaml_node *v, struct ag3_pu64 *u,
		     const struct ag3_yw_row *row)
{
	const char *what = (row->flags & (AG3_YW_UNLIMITED_ZERO | AG3_YW_UNLIMITED_INF))
				   ? "an integer or 'unlimited'"
				   : "an integer";
	if ((row->flags & AG3_YW_NULL_DEFAULT) && ag3_yaml_is_null(v))
		return 0;
	if (row->flags & AG3_YW_EXPECT_RANGE) {
		uint64_t x;
		if (ag3_yaml_get_uint(v, &x) < 0 || x < row->min || x > row->max) {
			char range[64];
			snprintf(range, sizeof(range), "an integer from %llu to %llu",
				 (unsigned long long)row->min, (unsigned long long)row->max);
			return ag3_lctx_expect(c, v, range);
		}
		u->v = x;
		return 0;
	}
	if (ag3_yw_unlimited(v, row, &u->v))
		return 0;
	int r = ag3_yaml_get_uint(v, &u->v);
	if (r < 0)
		return ag3_yw_uint_error(c, v, r, what);
	return check_range(c, v, row, u->v, "");
}

int ag3_parse_size(const char *s, uint64_t *ret)
{
	uint64_t v = 0, mult = 1;
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p) {
		static const char units[] = "KMGTPE";
		const char *u = strchr(units, toupper((unsigned char)*p));
		if (toupper((unsigned char)*p) == 'B' && !p[1]) {
			*ret = v;
			return 0;
		}
		if (!u || !*u)
			return -EINVAL;
		mult = 1ull << (10 * (unsigned)(u - units + 1));
		p++;
		if (*p == 'i')
			p++;
		if (*p == 'B' || *p == 'b')
			p++;
		if (*p)
			return -EINVAL;
	}
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*ret = v * mult;
	return 0;
}

static int read_size(struct ag3_lctx *c, const struct ag3_yaml_node *v, struct ag3_pu64 *u,
		     const struct ag3_yw_row *row)
{
	const char *what = "a size (bytes, or a number with a K, M, G or T suffix)";
	int r;
	if (ag3_yw_unlimited(v, row, &u->v))
		return 0;
	if (v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_INT) {
		r = ag3_yaml_get_uint(v, &u->v);
		if (r < 0)
			return ag3_yw_uint_error(c, v, r, what);
	} else if (v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_STR) {
		r = ag3_parse_size(v->str, &u->v);
		if (r == -ERANGE)
			return ag3_lctx_fail(c, v, "%s is out of range", v->str);
		if (r < 0)
			return ag3_lctx_expect(c, v, what);
	} else
		return ag3_lctx_expect(c, v, what);
	return check_range(c, v, row, u->v, " bytes");
}

static int read_str(struct ag3_lctx *c, const struct ag3_yaml_node *v, struct ag3_pstr *s,
		    const struct ag3_yw_row *row)
{
	const char *what = row->what ? row->what : "a string";
	int r;
	if ((row->flags & AG3_YW_NULL_EMPTY) && ag3_yaml_is_null(v))
		return ag3_pstr_set(s, "") < 0 ? ag3_lctx_oom(c) : 0;
	r = ag3_lctx_text(c, v, !(row->flags & AG3_YW_NO_INT), what);
	if (r < 0)
		return r;
	if ((row->flags & AG3_YW_NONEMPTY) && v->len == 0)
		return row->what ? ag3_lctx_fail(c, v, "expected %s, got an empty string", what)
				 : ag3_lctx_fail(c, v, "expected a non-empty string");
	if (ag3_pstr_set(s, v->str) < 0)
		return ag3_lctx_oom(c);
	return row->check ? row->check(c, v, s) : 0;
}

static int read_enum(struct ag3_lctx *c, const struct ag3_yaml_node *v, struct ag3_pint *e,
		     const struct ag3_yw_row *row)
{
	bool nocase = row->flags & AG3_YW_NOCASE;
	if ((row->flags & AG3_YW_NULL_DEFAULT) && ag3_yaml_is_null(v))
		return 0;
	if (v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_STR)
		for (size_t n = 0; row->names[n]; n++)
			if (!(nocase ? strcasecmp : strcmp)(v->str, row->names[n])) {
				e->v = (int)n;
				return 0;
			}
	return ag3_lctx_bad_enum(c, v, row->names);
}

/* -------------------------------------------------------------- lists -- */

static size_t list_max(const struct ag3_yw_row *row)
{
	return row->max ? (size_t)row->max : AG3_LIST_MAX;
}

static int read_strlist(struct ag3_lctx *c, const struct ag3_yaml_node *v, struct ag3_pstrlist *l,
			const struct ag3_yw_row *row)
{
	bool nonempty = row->flags & AG3_YW_NONEMPTY;
	if (ag3_yaml_is_null(v)) {
		/* the platform's convert_none_to_list keeps the default; else [] */
		if (!(row->flags & AG3_YW_NULL_DEFAULT))
			ag3_pstrlist_clear(l);
		return 0;
	}
	int r = ag3_lctx_seq(c, v, row->what ? row->what : "a list of strings", list_max(row),
			     row->items ? row->items : "items");
	if (r < 0)
		return r;
	ag3_pstrlist_clear(l);
	if (v->n && !(l->items = calloc(v->n, sizeof(*l->items))))
		return ag3_lctx_oom(c);
	for (size_t i = 0; i < v->n; i++) {
		const struct ag3_yaml_node *it = v->items[i];
		struct ag3_pstr *s = &l->items[l->n];
		size_t saved = ag3_lctx_push_index(c, i);
		r = ag3_lctx_text(c, it, true, nonempty ? "a non-empty string" : "a string");
		if (r == 0 && nonempty && it->len == 0)
			r = ag3_lctx_fail(c, it, "expected a non-empty string");
		if (r == 0 && row->check)
			r = row->check(c, it, s);
		ag3_lctx_pop(c, saved);
		if (r < 0)
			return r;
		if (ag3_pstr_set(s, it->str) < 0)
			return ag3_lctx_oom(c);
		l->n++;
		s->meta = (struct ag3_pmeta){true, ag3_ploc_of(it, it)};
	}
	return 0;
}

static int read_seq(struct ag3_lctx *c, const struct ag3_yaml_node *v, struct ag3_yw_list *l,
		    const struct ag3_yw_row *row)
{
	if (ag3_yaml_is_null(v))
		return 0;
	int r = ag3_lctx_seq(c, v, row->what, list_max(row), row->items);
	if (r < 0)
		return r;
	if (v->n && !(l->items = calloc(v->n, row->item_size)))
		return ag3_lctx_oom(c);
	for (size_t i = 0; i < v->n; i++) {
		const struct ag3_yaml_node *it = v->items[i];
		struct ag3_pmeta *item =
			(struct ag3_pmeta *)((char *)l->items + i * row->item_size);
		size_t saved = ag3_lctx_push_index(c, i);
		l->n++;
		*item = (struct ag3_pmeta){true, ag3_ploc_of(it, it)};
		r = ag3_yw_defaults(item, row->sub) < 0 ? ag3_lctx_oom(c) : 0;
		if (r == 0 && row->fn)
			r = row->fn(c, it, item, row);
		if (r == 0)
			r = ag3_yw_map(c, it, item, row->sub);
		ag3_lctx_pop(c, saved);
		if (r < 0)
			return r;
	}
	return 0;
}

int ag3_yw_value(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		 const struct ag3_yw_row *row)
{
	switch (row->type) {
	case AG3_YW_BOOL:
		return read_bool(c, v, dst, row);
	case AG3_YW_UINT:
		return read_uint(c, v, dst, row);
	case AG3_YW_SIZE:
		return read_size(c, v, dst, row);
	case AG3_YW_STR:
		return read_str(c, v, dst, row);
	case AG3_YW_ENUM:
		return read_enum(c, v, dst, row);
	case AG3_YW_STRLIST:
		return read_strlist(c, v, dst, row);
	case AG3_YW_SECTION:
		if (ag3_yaml_is_null(v)) {
			/* the profile's `sandbox: null` is "no sandbox"; others keep defaults */
			if (row->flags & AG3_YW_NULL_UNSETS)
				((struct ag3_pmeta *)dst)->set = false;
			return 0;
		}
		return ag3_yw_map(c, v, dst, row->sub);
	case AG3_YW_SEQ:
		return read_seq(c, v, dst, row);
	case AG3_YW_FN:
		return row->fn(c, v, dst, row);
	case AG3_YW_END:
	case AG3_YW_CHECK:
		break;
	}
	return ag3_lctx_fail(c, v, "internal error: no reader for '%s'", row->key);
}

/* ------------------------------------------------------------ mappings -- */

static const struct ag3_yw_row *find_row(const struct ag3_yw_map *map, const char *key)
{
	for (const struct ag3_yw_row *row = map->rows; row->type != AG3_YW_END; row++)
		if (row->key && !strcmp(row->key, key))
			return row;
	return NULL;
}

static int unknown_key(struct ag3_lctx *c, const struct ag3_yaml_node *k,
		       const struct ag3_yw_map *map)
{
	const char *names[NAMES_MAX];
	char hint[300] = "";
	size_t n = 0;
	if (map->names)
		for (; map->names[n] && n < ELEMENTSOF(names); n++)
			names[n] = map->names[n];
	else
		for (const struct ag3_yw_row *row = map->rows;
		     row->type != AG3_YW_END && n < ELEMENTSOF(names); row++)
			if (row->key)
				names[n++] = row->key;
	if (map->hint)
		map->hint(c, k->str, hint, sizeof(hint));
	return ag3_lctx_unknown_key(c, k, names, n, *hint ? hint : NULL);
}

static int read_pair(struct ag3_lctx *c, const struct ag3_yaml_pair *p, void *base,
		     const struct ag3_yw_row *row)
{
	struct ag3_pmeta *m = field_at(base, row);
	size_t saved = ag3_lctx_push(c, row->key);
	m->set = true;
	m->loc = ag3_ploc_of(p->key, p->value);
	int r = ag3_yw_value(c, p->value, m, row);
	ag3_lctx_pop(c, saved);
	return r;
}

static int missing(struct ag3_lctx *c, const struct ag3_yaml_node *n, const struct ag3_yw_row *row)
{
	return ag3_lctx_fail(c, n, "missing required key '%s'%s", row->key,
			     row->missing ? row->missing : "");
}

static const struct ag3_yaml_pair *find_pair(const struct ag3_yaml_node *n, const char *key)
{
	for (size_t i = 0; i < n->n; i++)
		if (!strcmp(n->pairs[i].key->str, key))
			return &n->pairs[i];
	return NULL;
}

/* Every key known first, then the rows in table order (CHECK rows where they are). */
static int map_table_order(struct ag3_lctx *c, const struct ag3_yaml_node *n, void *base,
			   const struct ag3_yw_map *map)
{
	int r;
	for (size_t i = 0; i < n->n; i++)
		if (!find_row(map, n->pairs[i].key->str))
			return unknown_key(c, n->pairs[i].key, map);
	for (const struct ag3_yw_row *row = map->rows; row->type != AG3_YW_END; row++) {
		if (row->type == AG3_YW_CHECK) {
			r = row->fn(c, n, base, row);
		} else {
			const struct ag3_yaml_pair *p = find_pair(n, row->key);
			if (p)
				r = read_pair(c, p, base, row);
			else
				r = (row->flags & AG3_YW_REQUIRED) ? missing(c, n, row) : 0;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* The keys in document order, then whether the required ones were there. */
static int map_document_order(struct ag3_lctx *c, const struct ag3_yaml_node *n, void *base,
			      const struct ag3_yw_map *map)
{
	for (size_t i = 0; i < n->n; i++) {
		const struct ag3_yw_row *row = find_row(map, n->pairs[i].key->str);
		if (!row)
			return unknown_key(c, n->pairs[i].key, map);
		int r = read_pair(c, &n->pairs[i], base, row);
		if (r < 0)
			return r;
	}
	for (const struct ag3_yw_row *row = map->rows; row->type != AG3_YW_END; row++)
		if ((row->flags & AG3_YW_REQUIRED) && !field_at(base, row)->set)
			return missing(c, n, row);
	return 0;
}

int ag3_yw_map(struct ag3_lctx *c, const struct ag3_yaml_node *n, void *base,
	       const struct ag3_yw_map *map)
{
	if (!n || n->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, n, map->what ? map->what : "a mapping");
	if (map->flags & AG3_YW_TABLE_ORDER)
		return map_table_order(c, n, base, map);
	return map_document_order(c, n, base, map);
}

/* ------------------------------------------------------------ defaults -- */

static int strlist_default(struct ag3_pstrlist *l, const char *const *v)
{
	size_t n = 0;
	ag3_pstrlist_clear(l);
	while (v && v[n])
		n++;
	if (!n)
		return 0;
	if (!(l->items = calloc(n, sizeof(*l->items))))
		return -ENOMEM;
	for (; l->n < n; l->n++)
		if (ag3_pstr_set(&l->items[l->n], v[l->n]) < 0)
			return -ENOMEM;
	return 0;
}

int ag3_yw_defaults(void *base, const struct ag3_yw_map *map)
{
	for (const struct ag3_yw_row *row = map->rows; row->type != AG3_YW_END; row++) {
		void *dst = (char *)base + row->off;
		int r = 0;
		switch (row->type) {
		case AG3_YW_BOOL:
			((struct ag3_pbool *)dst)->v = row->dflt != 0;
			break;
		case AG3_YW_UINT:
		case AG3_YW_SIZE:
			((struct ag3_pu64 *)dst)->v = row->dflt;
			break;
		case AG3_YW_ENUM:
			((struct ag3_pint *)dst)->v = (int)row->dflt;
			break;
		case AG3_YW_STR:
			r = ag3_pstr_set(dst, row->dflt_str ? row->dflt_str : "");
			break;
		case AG3_YW_STRLIST:
			r = strlist_default(dst, row->dflt_list);
			break;
		case AG3_YW_SECTION:
			r = ag3_yw_defaults(dst, row->sub);
			break;
		case AG3_YW_END:
		case AG3_YW_SEQ:
		case AG3_YW_FN:
		case AG3_YW_CHECK:
			break;
		}
		if (r < 0)
			return -ENOMEM;
	}
	return 0;
}

size_t ag3_yw_find_key(const struct ag3_yw_map *map, const char *key, const char *prefix,
		       char *first, size_t size)
{
	size_t found = 0;
	for (const struct ag3_yw_row *row = map->rows; row->type != AG3_YW_END; row++) {
		char sub[256];
		if (row->type != AG3_YW_SECTION || !row->sub)
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", prefix, *prefix ? "." : "", row->key);
		if (find_row(row->sub, key) && !found++ && !*first)
			snprintf(first, size, "%s", sub);
		found += ag3_yw_find_key(row->sub, key, sub, first, size);
	}
	return found;
}
