/* SPDX-License-Identifier: MIT */
/*
 * The profile loader: YAML document (policy/yaml.c) -> profile model
 * (policy/profile-model.h), table-driven and strict. Unknown keys are errors
 * with a did-you-mean suggestion (the platform's pydantic models silently
 * dropped them); every error names file:line:col, the key path and what was
 * expected.
 */
#include "profile-model.h"

#include <ctype.h>
#include <seccomp.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"

/* profiles/embed.py generates these from profiles/default.yaml. */
__attribute__((visibility("hidden"))) extern const char ag3_profile_default[];
__attribute__((visibility("hidden"))) extern const size_t ag3_profile_default_len;

#define EMBEDDED_NAME "<embedded default profile>"

struct field;
typedef int (*field_fn)(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			const struct field *f);

enum {
	F_REQUIRED = 1 << 0,
	F_NONEMPTY = 1 << 1,         /* strings: "" is an error                       */
	F_NULL_KEEPS_DEFAULT = 1 << 2, /* lists: null keeps the default, not []     */
	F_UNLIMITED_ZERO = 1 << 3,   /* numbers: "unlimited" means 0                  */
	F_UNLIMITED_INF = 1 << 4,    /* numbers: "unlimited" means AG3_RLIM_INFINITY  */
};

struct field {
	const char *key;
	field_fn fn;
	size_t off;               /* of the field's struct (it starts with ag3_pmeta) */
	const struct field *sub;  /* sections, mounts, rules: the keys inside */
	uint64_t min, max;        /* numbers (after unit conversion) */
	const char *const *names; /* enums: NULL-terminated, indexed by value */
	unsigned flags;
};

/* ---------------------------------------------------------------- helpers -- */

static void pstr_clear(struct ag3_pstr *s)
{
	free(s->v);
	s->v = NULL;
}

static int strlist_set_default(struct ag3_pstrlist *l, const char *const *v, size_t n)
{
	ag3_pstrlist_clear(l);
	if (!n)
		return 0;
	l->items = calloc(n, sizeof(*l->items));
	if (!l->items)
		return -ENOMEM;
	for (l->n = 0; l->n < n; l->n++)
		if (ag3_pstr_set(&l->items[l->n], v[l->n]) < 0)
			return -ENOMEM;
	return 0;
}

static void mount_clear(struct ag3_pmount *m)
{
	free(m->name);
	free(m->key);
	pstr_clear(&m->source);
	pstr_clear(&m->target);
}

static void mounts_clear(struct ag3_pmounts *l)
{
	for (size_t i = 0; i < l->n; i++)
		mount_clear(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static void envmap_clear(struct ag3_penvmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		pstr_clear(&m->items[i].name);
		if (m->items[i].value.v)
			explicit_bzero(m->items[i].value.v, strlen(m->items[i].value.v));
		pstr_clear(&m->items[i].value);
	}
	free(m->items);
	m->items = NULL;
	m->n = 0;
}

static void rules_clear(struct ag3_pseccomp_rules *r)
{
	for (size_t i = 0; i < r->n; i++)
		pstr_clear(&r->items[i].syscall);
	free(r->items);
	r->items = NULL;
	r->n = 0;
}

/* Whether a string node holds the text `word` (any case). */
static bool is_word(const struct ag3_yaml_node *v, const char *word)
{
	return v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_STR &&
	       !strcasecmp(v->str, word);
}

/* ----------------------------------------------------------- the walker -- */

static int parse_map(struct ag3_lctx *c, const struct ag3_yaml_node *n, void *base,
		     const struct field *fields);

static int fn_section(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		      const struct field *f);

/*
 * Counts the sections anywhere in the schema that have `key`, and writes the
 * path of the first one found into `first` (which starts empty).
 */
static size_t find_elsewhere(const struct field *fields, const char *key, const char *prefix,
			     char *first, size_t fsize)
{
	size_t found = 0;
	for (const struct field *f = fields; f->key; f++) {
		char sub[256];
		if (f->fn != fn_section || !f->sub)
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", prefix, *prefix ? "." : "", f->key);
		for (const struct field *g = f->sub; g->key; g++)
			if (!strcmp(g->key, key) && !found++ && !*first)
				snprintf(first, fsize, "%s", sub);
		found += find_elsewhere(f->sub, key, sub, first, fsize);
	}
	return found;
}

static const struct field top_fields[];

static int unknown_key(struct ag3_lctx *c, const struct ag3_yaml_node *k,
		       const struct field *fields)
{
	char where[256] = "", hint[300] = "";
	const char *names[64];
	size_t n = 0;
	for (; fields[n].key && n < ELEMENTSOF(names); n++)
		names[n] = fields[n].key;
	if (find_elsewhere(top_fields, k->str, "", where, sizeof(where)) == 1 &&
	    strcmp(where, c->path) != 0)
		snprintf(hint, sizeof(hint), " (it belongs under '%s')",
			 *where ? where : "the top level");
	return ag3_lctx_unknown_key(c, k, names, n, *hint ? hint : NULL);
}

static int parse_map(struct ag3_lctx *c, const struct ag3_yaml_node *n, void *base,
		     const struct field *fields)
{
	if (n->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, n, "a mapping");
	for (size_t i = 0; i < n->n; i++) {
		const struct ag3_yaml_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		const struct field *f = fields;
		while (f->key && strcmp(f->key, k->str) != 0)
			f++;
		if (!f->key)
			return unknown_key(c, k, fields);
		struct ag3_pmeta *m = (struct ag3_pmeta *)((char *)base + f->off);
		size_t saved = ag3_lctx_push(c, f->key);
		m->set = true;
		m->loc = ag3_ploc_of(k, v);
		int r = f->fn(c, v, m, f);
		ag3_lctx_pop(c, saved);
		if (r < 0)
			return r;
	}
	for (const struct field *f = fields; f->key; f++) {
		const struct ag3_pmeta *m = (const struct ag3_pmeta *)((char *)base + f->off);
		if ((f->flags & F_REQUIRED) && !m->set)
			return ag3_lctx_fail(c, n, "missing required key '%s'", f->key);
	}
	return 0;
}

/* ------------------------------------------------------------- scalars -- */

static int fn_str(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		  const struct field *f)
{
	struct ag3_pstr *s = dst;
	int r = ag3_lctx_text(c, v, true, "a string");
	if (r < 0)
		return r;
	if ((f->flags & F_NONEMPTY) && v->len == 0)
		return ag3_lctx_fail(c, v, "expected a non-empty string");
	return ag3_pstr_set(s, v->str) < 0 ? ag3_lctx_oom(c) : 0;
}

static int fn_hostname(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		       const struct field *f)
{
	int r = fn_str(c, v, dst, f);
	if (r < 0)
		return r;
	const char *h = ((struct ag3_pstr *)dst)->v;
	bool ok = *h && strlen(h) <= 64;
	for (const char *p = h; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '-' || *p == '.';
	if (!ok)
		return ag3_lctx_expect(c, v, "a host name (1-64 of A-Z a-z 0-9 . -)");
	return 0;
}

static int fn_bool(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		   const struct field *f)
{
	static const char *const yaml11[] = {"yes", "no", "on", "off", "y", "n"};
	struct ag3_pbool *b = dst;
	char d[96];
	if (ag3_yaml_get_bool(v, &b->v) == 0)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(yaml11); i++)
		if (is_word(v, yaml11[i]) && v->plain)
			return ag3_lctx_fail(
				c, v,
				"expected true or false, got %s (YAML 1.1 booleans like "
				"yes/no/on/off are ambiguous: write true or false)",
				ag3_yaml_describe(v, d, sizeof(d)));
	return ag3_lctx_expect(c, v, "true or false");
}

static int fn_enum(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		   const struct field *f)
{
	struct ag3_pint *e = dst;

	if (v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_STR)
		for (size_t n = 0; f->names[n]; n++)
			if (!strcmp(v->str, f->names[n])) {
				e->v = (int)n;
				return 0;
			}
	return ag3_lctx_bad_enum(c, v, f->names);
}

static int check_range(struct ag3_lctx *c, const struct ag3_yaml_node *v, const struct field *f,
		       uint64_t x, const char *unit)
{
	if (x == AG3_RLIM_INFINITY && (f->flags & F_UNLIMITED_INF))
		return 0;
	if (x == 0 && (f->flags & F_UNLIMITED_ZERO))
		return 0;
	if (x < f->min || x > f->max)
		return ag3_lctx_fail(c, v, "%llu%s is out of range (%llu..%llu%s)",
				     (unsigned long long)x, unit, (unsigned long long)f->min,
				     (unsigned long long)f->max, unit);
	return 0;
}

static bool unlimited(const struct ag3_yaml_node *v, const struct field *f, uint64_t *ret)
{
	if (!(f->flags & (F_UNLIMITED_ZERO | F_UNLIMITED_INF)) ||
	    !(is_word(v, "unlimited") || is_word(v, "max") || is_word(v, "infinity")))
		return false;
	*ret = (f->flags & F_UNLIMITED_INF) ? AG3_RLIM_INFINITY : 0;
	return true;
}

static int uint_error(struct ag3_lctx *c, const struct ag3_yaml_node *v, int r, const char *what)
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

static int fn_count(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		    const struct field *f)
{
	struct ag3_pu64 *u = dst;
	const char *what = (f->flags & (F_UNLIMITED_ZERO | F_UNLIMITED_INF))
				   ? "an integer or 'unlimited'"
				   : "an integer";
	if (unlimited(v, f, &u->v))
		return 0;
	int r = ag3_yaml_get_uint(v, &u->v);
	if (r < 0)
		return uint_error(c, v, r, what);
	return check_range(c, v, f, u->v, "");
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

static int fn_size(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		   const struct field *f)
{
	struct ag3_pu64 *u = dst;
	const char *what = "a size (bytes, or a number with a K, M, G or T suffix)";
	int r;
	if (unlimited(v, f, &u->v))
		return 0;
	if (v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_INT) {
		r = ag3_yaml_get_uint(v, &u->v);
		if (r < 0)
			return uint_error(c, v, r, what);
	} else if (v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_STR) {
		r = ag3_parse_size(v->str, &u->v);
		if (r == -ERANGE)
			return ag3_lctx_fail(c, v, "%s is out of range", v->str);
		if (r < 0)
			return ag3_lctx_expect(c, v, what);
	} else
		return ag3_lctx_expect(c, v, what);
	return check_range(c, v, f, u->v, " bytes");
}

/* A fixed-point decimal ("12", "1.5", "0.250") scaled by 10^`digits`. */
static int parse_decimal(const char *s, unsigned digits, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned frac = 0;
	bool dot = false, any = false;
	for (; *s; s++) {
		if (*s == '.' && !dot) {
			dot = true;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		if (dot && ++frac > digits)
			return -EINVAL;
		if (v > (UINT64_MAX / 10) - 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
		any = true;
	}
	if (!any)
		return -EINVAL;
	for (; frac < digits; frac++) {
		if (v > UINT64_MAX / 10)
			return -ERANGE;
		v *= 10;
	}
	*ret = v;
	return 0;
}

/* Seconds (an integer or a decimal with up to 3 places), stored as milliseconds. */
static int fn_seconds(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		      const struct field *f)
{
	struct ag3_pu64 *u = dst;
	const char *what = "a number of seconds";
	int r;
	if (!v || v->type != AG3_YAML_SCALAR || !(v->kind == AG3_YAML_INT || v->plain))
		return ag3_lctx_expect(c, v, what);
	if (v->kind == AG3_YAML_INT) {
		uint64_t s;
		r = ag3_yaml_get_uint(v, &s);
		if (r < 0)
			return uint_error(c, v, r, what);
		if (s > UINT64_MAX / 1000)
			return ag3_lctx_fail(c, v, "%s is out of range", v->str);
		u->v = s * 1000;
	} else {
		r = parse_decimal(v->str, 3, &u->v);
		if (r < 0)
			return ag3_lctx_expect(c, v,
					       "a number of seconds (at most 3 decimal places)");
	}
	if (u->v < f->min || u->v > f->max)
		return ag3_lctx_fail(c, v, "%s seconds is out of range (%llu..%llu)", v->str,
				     (unsigned long long)(f->min / 1000),
				     (unsigned long long)(f->max / 1000));
	return 0;
}

/* cpu_max: "50%" of one CPU, "200%" for two; stored as the quota of a 100 ms period. */
static int fn_percent(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		      const struct field *f)
{
	struct ag3_pu64 *u = dst;
	const char *what = "a percentage of one CPU like \"50%\" or \"200%\", or 'unlimited'";
	uint64_t milli;
	if (unlimited(v, f, &u->v))
		return 0;
	if (!v || v->type != AG3_YAML_SCALAR || v->kind != AG3_YAML_STR || v->len < 2 ||
	    v->str[v->len - 1] != '%')
		return ag3_lctx_expect(c, v, what);
	_cleanup_free_ char *num = strndup(v->str, v->len - 1);
	if (!num)
		return ag3_lctx_oom(c);
	if (parse_decimal(num, 3, &milli) < 0)
		return ag3_lctx_expect(c, v, what);
	/* 1% of a 100000 us period is 1000 us: quota = percent * 1000 = milli-percent */
	u->v = milli;
	if (u->v < f->min || u->v > f->max)
		return ag3_lctx_fail(c, v, "%s is out of range (1%%..%llu%%)", v->str,
				     (unsigned long long)(f->max / 1000));
	return 0;
}

static int fn_errno(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		    const struct field *f)
{
	struct ag3_pint *e = dst;
	const char *what = "an errno name like EPERM, or a number 1..4095";
	if (v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_INT) {
		uint64_t x;
		if (ag3_yaml_get_uint(v, &x) < 0 || x < 1 || x > 4095)
			return ag3_lctx_expect(c, v, what);
		e->v = (int)x;
		return 0;
	}
	if (v && v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_STR)
		for (int i = 1; i < 4096; i++) {
			const char *name = strerrorname_np(i);
			if (name && !strcmp(name, v->str)) {
				e->v = i;
				return 0;
			}
		}
	return ag3_lctx_expect(c, v, what);
}

/* -------------------------------------------------------------- lists -- */

static int list_of_text(struct ag3_lctx *c, const struct ag3_yaml_node *v, struct ag3_pstrlist *l,
			const struct field *f, const char *what)
{
	if (ag3_yaml_is_null(v)) {
		/* the platform's convert_none_to_list (auto_checkpoint_tools: the default) */
		if (!(f->flags & F_NULL_KEEPS_DEFAULT))
			ag3_pstrlist_clear(l);
		return 0;
	}
	int r = ag3_lctx_seq(c, v, what, AG3_LIST_MAX, "items");
	if (r < 0)
		return r;
	ag3_pstrlist_clear(l);
	if (v->n && !(l->items = calloc(v->n, sizeof(*l->items))))
		return ag3_lctx_oom(c);
	for (size_t i = 0; i < v->n; i++) {
		const struct ag3_yaml_node *it = v->items[i];
		size_t saved = ag3_lctx_push_index(c, i);
		r = ag3_lctx_text(c, it, true, "a string");
		ag3_lctx_pop(c, saved);
		if (r < 0)
			return r;
		struct ag3_pstr *s = &l->items[l->n];
		if (ag3_pstr_set(s, it->str) < 0)
			return ag3_lctx_oom(c);
		l->n++;
		s->meta.set = true;
		s->meta.loc = ag3_ploc_of(it, it);
	}
	return 0;
}

static int fn_strlist(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		      const struct field *f)
{
	return list_of_text(c, v, dst, f, "a list of strings");
}

/* Lower-cases and strips a domain (as the platform did), then checks it. */
static bool domain_normalize(char *s)
{
	size_t n = strlen(s), b = 0;
	while (b < n && isspace((unsigned char)s[b]))
		b++;
	while (n > b && isspace((unsigned char)s[n - 1]))
		n--;
	memmove(s, s + b, n - b);
	s[n - b] = '\0';
	n -= b;
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	const char *p = s;
	if (!strncmp(p, "*.", 2))
		p += 2;
	if (!*p || strlen(s) > 253)
		return false;
	size_t label = 0;
	for (; *p; p++) {
		if (*p == '.') {
			if (!label)
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || *p == '-') || ++label > 63)
			return false;
	}
	return label > 0;
}

static int fn_domains(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		      const struct field *f)
{
	struct ag3_pstrlist *l = dst;
	int r = list_of_text(c, v, l, f, "a list of domain names");
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n; i++)
		if (!domain_normalize(l->items[i].v)) {
			size_t saved = ag3_lctx_push_index(c, i);
			r = ag3_lctx_expect(c, v->items[i],
					    "a domain name (\"example.com\" or \"*.example.com\")");
			ag3_lctx_pop(c, saved);
			return r;
		}
	return 0;
}

static int fn_ports(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		    const struct field *f)
{
	struct ag3_pports *p = dst;
	free(p->v);
	p->v = NULL;
	p->n = 0;
	if (ag3_yaml_is_null(v))
		return 0;
	if (v->type != AG3_YAML_SEQUENCE)
		return ag3_lctx_expect(c, v, "a list of TCP ports");
	if (v->n > 65535)
		return ag3_lctx_fail(c, v, "too many ports");
	if (v->n && !(p->v = calloc(v->n, sizeof(*p->v))))
		return ag3_lctx_oom(c);
	_cleanup_free_ uint8_t *seen = calloc(65536 / 8, 1);
	if (!seen)
		return ag3_lctx_oom(c);
	for (size_t i = 0; i < v->n; i++) {
		uint64_t x;
		size_t saved = ag3_lctx_push_index(c, i);
		int r = 0;
		if (ag3_yaml_get_uint(v->items[i], &x) < 0 || x < 1 || x > 65535)
			r = ag3_lctx_expect(c, v->items[i], "a TCP port 1..65535");
		else if (seen[x / 8] & (1u << (x % 8)))
			r = ag3_lctx_fail(c, v->items[i], "port %llu is listed twice",
					  (unsigned long long)x);
		else
			seen[x / 8] |= (uint8_t)(1u << (x % 8));
		ag3_lctx_pop(c, saved);
		if (r < 0)
			return r;
		p->v[p->n++] = (uint16_t)x;
	}
	return 0;
}

static int fn_envmap(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		     const struct field *f)
{
	struct ag3_penvmap *m = dst;
	envmap_clear(m);
	if (ag3_yaml_is_null(v))
		return 0;
	if (v->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, v, "a mapping of NAME: value");
	if (v->n > AG3_LIST_MAX)
		return ag3_lctx_fail(c, v, "more than %d variables", AG3_LIST_MAX);
	if (v->n && !(m->items = calloc(v->n, sizeof(*m->items))))
		return ag3_lctx_oom(c);
	for (size_t i = 0; i < v->n; i++) {
		const struct ag3_yaml_node *k = v->pairs[i].key, *val = v->pairs[i].value;
		struct ag3_penv *e = &m->items[m->n];
		if (val->type != AG3_YAML_SCALAR) {
			size_t saved = ag3_lctx_push(c, k->str);
			int r = ag3_lctx_expect(c, val, "a string");
			ag3_lctx_pop(c, saved);
			return r;
		}
		m->n++;
		if (ag3_pstr_set(&e->name, k->str) < 0 ||
		    ag3_pstr_set(&e->value, val->kind == AG3_YAML_NULL ? "" : val->str) < 0)
			return ag3_lctx_oom(c);
		e->name.meta = (struct ag3_pmeta){true, ag3_ploc_of(k, k)};
		e->value.meta = (struct ag3_pmeta){true, ag3_ploc_of(k, val)};
	}
	return 0;
}

/* ------------------------------------------------------------- mounts -- */

static const struct field mount_fields[];

static int fn_mode(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		   const struct field *f)
{
	struct ag3_pbool *ro = dst;
	char d[96];
	/* the platform's validator: lower-cased; None or empty means ro */
	if (ag3_yaml_is_null(v) || (v->type == AG3_YAML_SCALAR && v->len == 0)) {
		ro->v = true;
		return 0;
	}
	if (v->type == AG3_YAML_SCALAR && v->kind == AG3_YAML_STR) {
		if (!strcasecmp(v->str, "ro") || !strcasecmp(v->str, "rw")) {
			ro->v = tolower((unsigned char)v->str[1]) == 'o';
			return 0;
		}
	}
	return ag3_lctx_fail(c, v, "expected 'ro' or 'rw', got %s",
			     ag3_yaml_describe(v, d, sizeof(d)));
}

static bool mount_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > AG3_MOUNT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

static int parse_mount(struct ag3_lctx *c, const struct ag3_yaml_node *k,
		       const struct ag3_yaml_node *v, struct ag3_pmount *m)
{
	m->meta = (struct ag3_pmeta){true, ag3_ploc_of(k, v)};
	m->ro.v = true;
	if (!(m->key = strdup(c->path)) || (k && !(m->name = strdup(k->str))))
		return ag3_lctx_oom(c);
	if (v->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, v,
				       "a mount (a mapping with source, target, mode, optional)");
	return parse_map(c, v, m, mount_fields);
}

static int fn_mountmap(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		       const struct field *f)
{
	struct ag3_pmounts *l = dst;
	char pv[96];
	mounts_clear(l);
	if (ag3_yaml_is_null(v))
		return 0;
	if (v->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, v, "a mapping of mount names to mounts");
	if (v->n > AG3_LIST_MAX)
		return ag3_lctx_fail(c, v, "more than %d mounts", AG3_LIST_MAX);
	if (v->n && !(l->items = calloc(v->n, sizeof(*l->items))))
		return ag3_lctx_oom(c);
	for (size_t i = 0; i < v->n; i++) {
		const struct ag3_yaml_node *k = v->pairs[i].key;
		if (!mount_name_valid(k->str, k->len))
			return ag3_lctx_fail(
				c, k,
				"mount name '%s' is not valid (1-64 of A-Z a-z 0-9 _ -, the "
				"platform's mount-name rule)",
				ag3_yaml_preview(k->str, k->len, pv, sizeof(pv)));
		size_t saved = ag3_lctx_push(c, k->str);
		int r = parse_mount(c, k, v->pairs[i].value, &l->items[l->n++]);
		ag3_lctx_pop(c, saved);
		if (r < 0)
			return r;
	}
	return 0;
}

static int fn_mountlist(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			const struct field *f)
{
	struct ag3_pmounts *l = dst;
	mounts_clear(l);
	if (ag3_yaml_is_null(v))
		return 0;
	int r = ag3_lctx_seq(c, v, "a list of mounts", AG3_LIST_MAX, "mounts");
	if (r < 0)
		return r;
	if (v->n && !(l->items = calloc(v->n, sizeof(*l->items))))
		return ag3_lctx_oom(c);
	for (size_t i = 0; i < v->n; i++) {
		size_t saved = ag3_lctx_push_index(c, i);
		r = parse_mount(c, NULL, v->items[i], &l->items[l->n++]);
		ag3_lctx_pop(c, saved);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ------------------------------------------------------------ seccomp -- */

static const struct field seccomp_rule_fields[];
static const struct field seccomp_arg_fields[];

static int fn_arg_value(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			const struct field *f)
{
	struct ag3_pu64 *u = dst;
	int64_t s;
	if (ag3_yaml_get_uint(v, &u->v) == 0)
		return 0;
	/* a negative value compares as its two's complement, as in C */
	if (ag3_yaml_get_int(v, &s) == 0) {
		u->v = (uint64_t)s;
		return 0;
	}
	return ag3_lctx_expect(c, v, "an integer (64 bits)");
}

static int fn_seccomp_args(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			   const struct field *f)
{
	struct ag3_pseccomp_args *a = dst;
	a->n = 0;
	if (ag3_yaml_is_null(v))
		return 0;
	if (v->type != AG3_YAML_SEQUENCE)
		return ag3_lctx_expect(c, v, "a list of argument comparisons");
	if (v->n > 6)
		return ag3_lctx_fail(c, v, "at most 6 argument comparisons (one per argument)");
	for (size_t i = 0; i < v->n; i++) {
		const struct ag3_yaml_node *it = v->items[i];
		struct ag3_pseccomp_arg *arg = &a->items[a->n];
		size_t saved = ag3_lctx_push_index(c, i);
		int r;
		memset(arg, 0, sizeof(*arg));
		arg->meta = (struct ag3_pmeta){true, ag3_ploc_of(it, it)};
		r = parse_map(c, it, arg, seccomp_arg_fields);
		if (r == 0 && arg->op.v == AG3_CMP_MASKED_EQ && !arg->mask.meta.set)
			r = ag3_lctx_fail(c, it, "op masked_eq needs a 'mask'");
		if (r == 0 && arg->op.v != AG3_CMP_MASKED_EQ && arg->mask.meta.set)
			r = ag3_lctx_fail(c, it, "'mask' is only meaningful with op: masked_eq");
		for (size_t j = 0; r == 0 && j < a->n; j++)
			if (a->items[j].index.v == arg->index.v)
				r = ag3_lctx_fail(c, it, "argument %llu is compared twice",
						  (unsigned long long)arg->index.v);
		ag3_lctx_pop(c, saved);
		if (r < 0)
			return r;
		a->n++;
	}
	return 0;
}

static int fn_seccomp_rules(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			    const struct field *f)
{
	struct ag3_pseccomp_rules *l = dst;
	rules_clear(l);
	if (ag3_yaml_is_null(v))
		return 0;
	int r = ag3_lctx_seq(c, v, "a list of rules", AG3_SECCOMP_RULES_MAX, "rules");
	if (r < 0)
		return r;
	if (v->n && !(l->items = calloc(v->n, sizeof(*l->items))))
		return ag3_lctx_oom(c);
	for (size_t i = 0; i < v->n; i++) {
		const struct ag3_yaml_node *it = v->items[i];
		struct ag3_pseccomp_rule *rule = &l->items[l->n++];
		size_t saved = ag3_lctx_push_index(c, i);
		rule->meta = (struct ag3_pmeta){true, ag3_ploc_of(it, it)};
		rule->action.v = AG3_SECCOMP_ERRNO;
		r = parse_map(c, it, rule, seccomp_rule_fields);
		if (r == 0) {
			const char *s = rule->syscall.v;
			bool ok = *s && strlen(s) <= 64;
			for (; ok && *s; s++)
				ok = islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
				     *s == '_';
			/* A name libseccomp does not know would only fail at exec time. */
			if (ok && seccomp_syscall_resolve_name(rule->syscall.v) == __NR_SCMP_ERROR)
				ok = false;
			if (!ok) {
				size_t k = ag3_lctx_push(c, "syscall");
				r = ag3_lctx_expect(c, ag3_yaml_map_get(it, "syscall"),
						    "a system call name this libseccomp knows, like "
						    "'ptrace'");
				ag3_lctx_pop(c, k);
			}
		}
		if (r == 0 && rule->errno_value.meta.set && rule->action.v != AG3_SECCOMP_ERRNO)
			r = ag3_lctx_fail(c, it, "'errno' is only meaningful with action: errno");
		ag3_lctx_pop(c, saved);
		if (r < 0)
			return r;
	}
	return 0;
}

/* -------------------------------------------------------------- schema -- */

static const char *const permission_modes[] = {
	[AG3_PERM_DEFAULT] = "default", [AG3_PERM_ACCEPT_EDITS] = "acceptEdits",
	[AG3_PERM_PLAN] = "plan", [AG3_PERM_BYPASS] = "bypassPermissions", NULL};
static const char *const userns_names[] = {"auto", "always", "never", NULL};
static const char *const deny_actions[] = {"errno", "kill", "log", NULL};
static const char *const rule_actions[] = {"errno", "kill", "log", "allow", NULL};
static const char *const cmp_names[] = {"eq", "ne", "lt", "le", "gt", "ge", "masked_eq", NULL};

#define SECTION(k, T, member, subtable)                                                           \
	{.key = k, .fn = fn_section, .off = offsetof(T, member), .sub = subtable}
#define FIELD(k, fun, T, member, ...) {.key = k, .fn = fun, .off = offsetof(T, member), __VA_ARGS__}
/* A field of an anonymous section struct `sec` inside T. */
#define SUBOFF(T, sec, member) (offsetof(T, sec.member) - offsetof(T, sec))
#define SUBFIELD(k, fun, T, sec, member, ...)                                                     \
	{.key = k, .fn = fun, .off = SUBOFF(T, sec, member), __VA_ARGS__}

static const struct field mount_fields[] = {
	FIELD("source", fn_str, struct ag3_pmount, source, .flags = F_REQUIRED | F_NONEMPTY),
	FIELD("target", fn_str, struct ag3_pmount, target, .flags = F_REQUIRED | F_NONEMPTY),
	FIELD("mode", fn_mode, struct ag3_pmount, ro),
	FIELD("optional", fn_bool, struct ag3_pmount, optional),
	{0},
};

static const struct field seccomp_arg_fields[] = {
	FIELD("index", fn_count, struct ag3_pseccomp_arg, index, .min = 0, .max = 5,
	      .flags = F_REQUIRED),
	FIELD("op", fn_enum, struct ag3_pseccomp_arg, op, .names = cmp_names,
	      .flags = F_REQUIRED),
	FIELD("value", fn_arg_value, struct ag3_pseccomp_arg, value, .flags = F_REQUIRED),
	FIELD("mask", fn_arg_value, struct ag3_pseccomp_arg, mask),
	{0},
};

static const struct field seccomp_rule_fields[] = {
	FIELD("syscall", fn_str, struct ag3_pseccomp_rule, syscall,
	      .flags = F_REQUIRED | F_NONEMPTY),
	FIELD("action", fn_enum, struct ag3_pseccomp_rule, action, .names = rule_actions),
	FIELD("errno", fn_errno, struct ag3_pseccomp_rule, errno_value),
	FIELD("args", fn_seccomp_args, struct ag3_pseccomp_rule, args),
	{0},
};

#define SB struct ag3_profile_sandbox

static const struct field network_fields[] = {
	SUBFIELD("enabled", fn_bool, SB, network, enabled),
	SUBFIELD("allowed_domains", fn_domains, SB, network, allowed_domains),
	SUBFIELD("allow_localhost", fn_bool, SB, network, allow_localhost),
	{0},
};

static const struct field environment_fields[] = {
	SUBFIELD("home", fn_str, SB, environment, home, .flags = F_NONEMPTY),
	SUBFIELD("path", fn_str, SB, environment, path),
	SUBFIELD("clear_env", fn_bool, SB, environment, clear_env),
	SUBFIELD("custom_env", fn_envmap, SB, environment, custom_env),
	{0},
};

static const struct field proc_filtering_fields[] = {
	SUBFIELD("enabled", fn_bool, SB, proc_filtering, enabled),
	SUBFIELD("allowed_entries", fn_strlist, SB, proc_filtering, allowed_entries),
	{0},
};

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define TiB (1024ull * 1024 * MiB)

static const struct field limits_fields[] = {
	SUBFIELD("timeout", fn_seconds, SB, limits, timeout_ms, .min = 0,
		 .max = 7ull * 24 * 3600 * 1000),
	SUBFIELD("kill_grace", fn_seconds, SB, limits, kill_grace_ms, .min = 0,
		 .max = 3600ull * 1000),
	SUBFIELD("memory", fn_size, SB, limits, memory, .min = MiB, .max = 1024 * TiB,
		 .flags = F_UNLIMITED_ZERO),
	SUBFIELD("pids", fn_count, SB, limits, pids, .min = 1, .max = 4194304,
		 .flags = F_UNLIMITED_ZERO),
	SUBFIELD("cpu_weight", fn_count, SB, limits, cpu_weight, .min = 1, .max = 10000),
	SUBFIELD("cpu_max", fn_percent, SB, limits, cpu_quota_us, .min = 1000,
		 .max = 100000ull * 1000, .flags = F_UNLIMITED_ZERO),
	SUBFIELD("output", fn_size, SB, limits, output, .min = 1, .max = AG3_OUTPUT_MAX,
		 .flags = F_UNLIMITED_ZERO),
	SUBFIELD("tmp_size", fn_size, SB, limits, tmp_size, .min = 4 * KiB, .max = 1024 * TiB),
	SUBFIELD("nofile", fn_count, SB, limits, nofile, .min = 1, .max = 1ull << 30,
		 .flags = F_UNLIMITED_INF),
	SUBFIELD("nproc", fn_count, SB, limits, nproc, .min = 1, .max = 4194304,
		 .flags = F_UNLIMITED_INF),
	SUBFIELD("fsize", fn_size, SB, limits, fsize, .min = 0, .max = UINT64_MAX - 1,
		 .flags = F_UNLIMITED_INF),
	SUBFIELD("core", fn_size, SB, limits, core, .min = 0, .max = UINT64_MAX - 1,
		 .flags = F_UNLIMITED_INF),
	{0},
};

static const struct field seccomp_fields[] = {
	SUBFIELD("enabled", fn_bool, SB, seccomp, enabled),
	SUBFIELD("default_list", fn_bool, SB, seccomp, default_list),
	SUBFIELD("action", fn_enum, SB, seccomp, action, .names = deny_actions),
	SUBFIELD("errno", fn_errno, SB, seccomp, errno_value),
	SUBFIELD("rules", fn_seccomp_rules, SB, seccomp, rules),
	{0},
};

static const struct field landlock_fields[] = {
	SUBFIELD("enabled", fn_bool, SB, landlock, enabled),
	SUBFIELD("net_bind_ports", fn_ports, SB, landlock, net_bind_ports),
	SUBFIELD("net_connect_ports", fn_ports, SB, landlock, net_connect_ports),
	{0},
};

static const struct field minimum_fields[] = {
	SUBFIELD("user_namespace", fn_bool, SB, minimum_isolation, user_namespace),
	SUBFIELD("seccomp", fn_bool, SB, minimum_isolation, seccomp),
	SUBFIELD("landlock_abi", fn_count, SB, minimum_isolation, landlock_abi, .min = 0,
		 .max = 64),
	SUBFIELD("cgroup", fn_bool, SB, minimum_isolation, cgroup),
	{0},
};

static const struct field sandbox_fields[] = {
	FIELD("enabled", fn_bool, SB, enabled),
	FIELD("file_sandboxing", fn_bool, SB, file_sandboxing),
	FIELD("network_sandboxing", fn_bool, SB, network_sandboxing),
	FIELD("bwrap_path", fn_str, SB, bwrap_path),
	FIELD("use_tmpfs_root", fn_bool, SB, use_tmpfs_root),
	FIELD("static_mounts", fn_mountmap, SB, static_mounts),
	FIELD("session_mounts", fn_mountmap, SB, session_mounts),
	FIELD("dynamic_mounts", fn_mountlist, SB, dynamic_mounts),
	FIELD("original_path_mounts", fn_mountlist, SB, original_path_mounts),
	FIELD("tmpfs_paths", fn_strlist, SB, tmpfs_paths),
	SECTION("network", SB, network, network_fields),
	SECTION("environment", SB, environment, environment_fields),
	SECTION("proc_filtering", SB, proc_filtering, proc_filtering_fields),
	FIELD("writable_paths", fn_strlist, SB, writable_paths),
	FIELD("readonly_paths", fn_strlist, SB, readonly_paths),
	FIELD("hostname", fn_hostname, SB, hostname),
	FIELD("user_namespace", fn_enum, SB, user_namespace, .names = userns_names),
	SECTION("limits", SB, limits, limits_fields),
	SECTION("seccomp", SB, seccomp, seccomp_fields),
	SECTION("landlock", SB, landlock, landlock_fields),
	SECTION("minimum_isolation", SB, minimum_isolation, minimum_fields),
	{0},
};

#define P struct ag3_profile

static const struct field tools_fields[] = {
	SUBFIELD("enabled", fn_strlist, P, tools, enabled),
	SUBFIELD("disabled", fn_strlist, P, tools, disabled),
	SUBFIELD("permission_checked", fn_strlist, P, tools, permission_checked),
	{0},
};

static const struct field permissions_fields[] = {
	SUBFIELD("allow", fn_strlist, P, permissions, allow),
	SUBFIELD("deny", fn_strlist, P, permissions, deny),
	SUBFIELD("ask", fn_strlist, P, permissions, ask),
	SUBFIELD("allowed_dirs", fn_strlist, P, permissions, allowed_dirs),
	{0},
};

static const struct field session_workspace_fields[] = {
	SUBFIELD("description", fn_str, P, session_workspace, description),
	SUBFIELD("allow", fn_strlist, P, session_workspace, allow),
	SUBFIELD("deny", fn_strlist, P, session_workspace, deny),
	SUBFIELD("allowed_dirs", fn_strlist, P, session_workspace, allowed_dirs),
	{0},
};

static const struct field checkpointing_fields[] = {
	SUBFIELD("auto_checkpoint_tools", fn_strlist, P, checkpointing, auto_checkpoint_tools,
		 .flags = F_NULL_KEEPS_DEFAULT),
	{0},
};

static const struct field top_fields[] = {
	FIELD("name", fn_str, P, name, .flags = F_REQUIRED | F_NONEMPTY),
	FIELD("description", fn_str, P, description),
	FIELD("defaultMode", fn_enum, P, default_mode, .names = permission_modes),
	SECTION("tools", P, tools, tools_fields),
	SECTION("permissions", P, permissions, permissions_fields),
	SECTION("session_workspace", P, session_workspace, session_workspace_fields),
	SECTION("checkpointing", P, checkpointing, checkpointing_fields),
	SECTION("sandbox", P, sandbox, sandbox_fields),
	{0},
};

static int fn_section(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		      const struct field *f)
{
	struct ag3_pmeta *m = dst;
	if (ag3_yaml_is_null(v)) {
		/* `sandbox: null` is the platform's "no sandbox"; others keep defaults */
		m->set = false;
		return 0;
	}
	if (v->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(c, v, "a mapping");
	return parse_map(c, v, dst, f->sub);
}

/* ------------------------------------------------------ load and free -- */

const char *ag3_permission_mode_to_string(enum ag3_permission_mode m)
{
	return (int)m >= 0 && m < _AG3_PERM_MAX ? permission_modes[m] : NULL;
}

static int profile_defaults(struct ag3_profile *p)
{
	static const char *const checkpoint_tools[] = {"Write", "Edit"};
	static const char *const proc_entries[] = {"/proc/self", "/proc/cpuinfo", "/proc/meminfo",
						   "/proc/uptime", "/proc/version"};
	struct ag3_profile_sandbox *s = &p->sandbox;

	p->default_mode.v = AG3_PERM_DEFAULT;
	s->enabled.v = s->file_sandboxing.v = s->network_sandboxing.v = true;
	s->use_tmpfs_root.v = true;
	s->proc_filtering.enabled.v = true;
	s->environment.clear_env.v = true;
	s->user_namespace.v = AG3_USERNS_AUTO;
	s->limits.timeout_ms.v = AG3_DEFAULT_TIMEOUT_MS;
	s->limits.kill_grace_ms.v = AG3_DEFAULT_KILL_GRACE_MS;
	s->limits.memory.v = AG3_DEFAULT_MEMORY;
	s->limits.pids.v = AG3_DEFAULT_PIDS;
	s->limits.output.v = AG3_DEFAULT_OUTPUT;
	s->limits.tmp_size.v = AG3_DEFAULT_TMP_SIZE;
	s->limits.nofile.v = AG3_DEFAULT_NOFILE;
	s->limits.nproc.v = AG3_RLIM_INFINITY;
	s->limits.fsize.v = AG3_RLIM_INFINITY;
	s->limits.core.v = AG3_DEFAULT_CORE;
	s->seccomp.enabled.v = s->seccomp.default_list.v = true;
	s->seccomp.action.v = AG3_SECCOMP_ERRNO;
	s->seccomp.errno_value.v = EPERM;
	s->landlock.enabled.v = true;
	if (ag3_pstr_set(&p->description, "") < 0 ||
	    ag3_pstr_set(&p->session_workspace.description, "") < 0 ||
	    ag3_pstr_set(&s->bwrap_path, "bwrap") < 0 ||
	    ag3_pstr_set(&s->environment.home, "/workspace") < 0 ||
	    ag3_pstr_set(&s->environment.path, "/usr/bin:/bin") < 0 ||
	    ag3_pstr_set(&s->hostname, AG3_DEFAULT_HOSTNAME) < 0 ||
	    strlist_set_default(&p->checkpointing.auto_checkpoint_tools, checkpoint_tools,
				ELEMENTSOF(checkpoint_tools)) < 0 ||
	    strlist_set_default(&s->proc_filtering.allowed_entries, proc_entries,
				ELEMENTSOF(proc_entries)) < 0)
		return -ENOMEM;
	return 0;
}

void ag3_profile_free(struct ag3_profile *p)
{
	if (!p)
		return;
	struct ag3_profile_sandbox *s = &p->sandbox;
	free(p->file);
	ag3_yaml_doc_free(p->doc);
	pstr_clear(&p->name);
	pstr_clear(&p->description);
	ag3_pstrlist_clear(&p->tools.enabled);
	ag3_pstrlist_clear(&p->tools.disabled);
	ag3_pstrlist_clear(&p->tools.permission_checked);
	ag3_pstrlist_clear(&p->permissions.allow);
	ag3_pstrlist_clear(&p->permissions.deny);
	ag3_pstrlist_clear(&p->permissions.ask);
	ag3_pstrlist_clear(&p->permissions.allowed_dirs);
	pstr_clear(&p->session_workspace.description);
	ag3_pstrlist_clear(&p->session_workspace.allow);
	ag3_pstrlist_clear(&p->session_workspace.deny);
	ag3_pstrlist_clear(&p->session_workspace.allowed_dirs);
	ag3_pstrlist_clear(&p->checkpointing.auto_checkpoint_tools);
	pstr_clear(&s->bwrap_path);
	mounts_clear(&s->static_mounts);
	mounts_clear(&s->session_mounts);
	mounts_clear(&s->dynamic_mounts);
	mounts_clear(&s->original_path_mounts);
	ag3_pstrlist_clear(&s->tmpfs_paths);
	ag3_pstrlist_clear(&s->network.allowed_domains);
	pstr_clear(&s->environment.home);
	pstr_clear(&s->environment.path);
	envmap_clear(&s->environment.custom_env);
	ag3_pstrlist_clear(&s->proc_filtering.allowed_entries);
	ag3_pstrlist_clear(&s->writable_paths);
	ag3_pstrlist_clear(&s->readonly_paths);
	pstr_clear(&s->hostname);
	rules_clear(&s->seccomp.rules);
	free(s->landlock.net_bind_ports.v);
	free(s->landlock.net_connect_ports.v);
	free(p);
}

int ag3_profile_load_buffer(const char *name, const char *buf, size_t len,
			    struct ag3_profile **ret, struct ag3_error **reterr)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = calloc(1, sizeof(*p));
	int r;

	if (!p || !(p->file = strdup(name ? name : "<buffer>")) || profile_defaults(p) < 0)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	r = ag3_yaml_parse(p->file, buf, len, &p->doc, reterr);
	if (r < 0)
		return r;
	struct ag3_lctx c = {.file = p->file, .reterr = reterr};
	const struct ag3_yaml_node *root = p->doc->root;
	if (!root || ag3_yaml_is_null(root))
		return ag3_error_set_at(reterr, EINVAL, p->file, root ? root->line : 1,
					root ? root->col : 1,
					"the profile is empty (expected a mapping with at least "
					"'name' and 'sandbox')");
	if (root->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(&c, root, "a mapping at the top level of the profile");
	r = parse_map(&c, root, p, top_fields);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int ag3_profile_load_file(const char *path, struct ag3_profile **ret, struct ag3_error **reterr)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ag3_error_set_at(reterr, errno, path, 0, 0, "cannot open the profile: %m");
	if (fstat(fd, &st) < 0)
		return ag3_error_set_at(reterr, errno, path, 0, 0, "cannot stat the profile: %m");
	if (!S_ISREG(st.st_mode))
		return ag3_error_set_at(reterr, EINVAL, path, 0, 0, "not a regular file");
	/* read at most one byte more than allowed, whatever st_size claims */
	buf = malloc(AG3_YAML_MAX_DOCUMENT + 1);
	if (!buf)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	int r = ag3_read_max(fd, buf, AG3_YAML_MAX_DOCUMENT + 1, &len);
	if (r < 0)
		return ag3_error_set_at(reterr, -r, path, 0, 0, "cannot read the profile: %s",
					strerror(-r));
	if (len > AG3_YAML_MAX_DOCUMENT)
		return ag3_error_set_at(reterr, EFBIG, path, 0, 0,
					"larger than %u MiB: not a profile",
					AG3_YAML_MAX_DOCUMENT >> 20);
	return ag3_profile_load_buffer(path, buf, len, ret, reterr);
}

int ag3_profile_load_default(struct ag3_profile **ret, struct ag3_error **reterr)
{
	return ag3_profile_load_buffer(EMBEDDED_NAME, ag3_profile_default,
				       ag3_profile_default_len, ret, reterr);
}

int ag3_yaml_locate(const struct ag3_yaml_doc *doc, const char *keypath, struct ag3_ploc *ret)
{
	const struct ag3_yaml_node *n = doc ? doc->root : NULL, *key = NULL;
	const char *s = keypath;

	while (n && *s) {
		if (*s == '[') {
			char *end;
			unsigned long i = strtoul(s + 1, &end, 10);
			if (end == s + 1 || *end != ']' || n->type != AG3_YAML_SEQUENCE || i >= n->n)
				return -ENOENT;
			n = key = n->items[i];
			s = end + 1;
		} else {
			if (*s == '.')
				s++;
			size_t len = strcspn(s, ".[");
			const struct ag3_yaml_node *next = NULL;
			if (!len || n->type != AG3_YAML_MAPPING)
				return -ENOENT;
			for (size_t i = 0; i < n->n && !next; i++)
				if (n->pairs[i].key->len == len &&
				    !memcmp(n->pairs[i].key->str, s, len)) {
					key = n->pairs[i].key;
					next = n->pairs[i].value;
				}
			n = next;
			s += len;
		}
	}
	if (!n || *s)
		return -ENOENT;
	*ret = ag3_ploc_of(key ? key : n, n);
	return 0;
}

int ag3_profile_locate(const struct ag3_profile *p, const char *keypath, struct ag3_ploc *ret)
{
	return ag3_yaml_locate(p ? p->doc : NULL, keypath, ret);
}
