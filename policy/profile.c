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
#include "runtime/identity.h"
#include "runtime/netrules.h"
#include "yamlwalk.h"

/* profiles/embed.py generates these from profiles/default.yaml. */
__attribute__((visibility("hidden"))) extern const char ag3_profile_default[];
__attribute__((visibility("hidden"))) extern const size_t ag3_profile_default_len;

#define EMBEDDED_NAME "<embedded default profile>"

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
/* ------------------------------------------------- the odd value types -- */

static const struct ag3_yw_map top_map;

/* An unknown key that exists in exactly one other section: " (it belongs under 'x')". */
static void profile_hint(const struct ag3_lctx *c, const char *key, char *buf, size_t size)
{
	char where[256] = "";
	if (ag3_yw_find_key(&top_map, key, "", where, sizeof(where)) == 1 &&
	    strcmp(where, c->path) != 0)
		snprintf(buf, size, " (it belongs under '%s')", *where ? where : "the top level");
}

static int check_hostname(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	const char *h = ((struct ag3_pstr *)dst)->v;
	bool ok = *h && strlen(h) <= 64;
	for (const char *p = h; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '-' || *p == '.';
	if (!ok)
		return ag3_lctx_expect(c, v, "a host name (1-64 of A-Z a-z 0-9 . -)");
	return 0;
}

/* sandbox.user.name and .group: a name the generated files can hold, or {username}. */
static int check_account(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	const char *s = ((struct ag3_pstr *)dst)->v;
	if (!strcmp(s, "{username}") || ag3_account_name_valid(s))
		return 0;
	return ag3_lctx_expect(c, v,
			       "a user or group name (1-32 of A-Z a-z 0-9 _ . -, not starting "
			       "with '-' or '.', not a number, not root) or {username}");
}

static int check_shell(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	if (ag3_account_path_valid(((struct ag3_pstr *)dst)->v))
		return 0;
	return ag3_lctx_expect(c, v, "an absolute path without ':' or control characters");
}

/* A git name or email: printable, no '<' '>' (git's own delimiters), "" for none. */
static int check_git(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	const char *s = ((struct ag3_pstr *)dst)->v;
	bool ok = strlen(s) <= 256;
	for (const unsigned char *p = (const unsigned char *)s; ok && *p; p++)
		ok = *p >= 0x20 && *p != 0x7f && *p != '<' && *p != '>';
	if (!ok)
		return ag3_lctx_expect(c, v,
				       "text of at most 256 bytes without control characters, "
				       "'<' or '>' (or \"\" for none)");
	return 0;
}

/* LANG and TERM values: a locale or terminal name, "" for none. */
static int check_envword(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	const char *s = ((struct ag3_pstr *)dst)->v;
	bool ok = strlen(s) <= 64;
	for (const char *p = s; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || strchr("_.-+@", *p);
	if (!ok)
		return ag3_lctx_expect(c, v, "a name of at most 64 of A-Z a-z 0-9 _ . - + @");
	return 0;
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
		      const struct ag3_yw_row *f)
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
			return ag3_yw_uint_error(c, v, r, what);
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
		      const struct ag3_yw_row *f)
{
	struct ag3_pu64 *u = dst;
	const char *what = "a percentage of one CPU like \"50%\" or \"200%\", or 'unlimited'";
	uint64_t milli;
	if (ag3_yw_unlimited(v, f, &u->v))
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
		    const struct ag3_yw_row *f)
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

/* Lower-cases and strips a domain (as the platform did), then checks it as an
 * allowlist rule: "name", "*.name", either with ":port" (runtime/netrules.h). */
static bool domain_normalize(char *s, const char **why)
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
	struct ag3_net_rule rule;
	return ag3_net_rule_parse(s, &rule, why) == 0;
}

static int fn_domains(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		      const struct ag3_yw_row *f)
{
	struct ag3_pstrlist *l = dst;
	struct ag3_yw_row list = *f;
	list.type = AG3_YW_STRLIST;
	int r = ag3_yw_value(c, v, l, &list);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n; i++) {
		const char *why = "not a domain name";
		if (!domain_normalize(l->items[i].v, &why)) {
			size_t saved = ag3_lctx_push_index(c, i);
			r = ag3_lctx_fail(c, v->items[i],
					  "'%s': %s (expected \"example.com\", \"*.example.com\", "
					  "either optionally with \":port\")",
					  v->items[i]->str ? v->items[i]->str : "", why);
			ag3_lctx_pop(c, saved);
			return r;
		}
	}
	return 0;
}

static int fn_ports(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		    const struct ag3_yw_row *f)
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

/* For the other configuration files (yamlwalk.h): the same values, read the same way. */
#define SHARED_READER(name, fn)                                                                    \
	int name(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,                     \
		 const struct ag3_yw_row *f)                                                       \
	{                                                                                          \
		return fn(c, v, dst, f);                                                           \
	}
SHARED_READER(ag3_yw_read_seconds, fn_seconds)
SHARED_READER(ag3_yw_read_percent, fn_percent)
SHARED_READER(ag3_yw_read_errno, fn_errno)
SHARED_READER(ag3_yw_read_domains, fn_domains)
SHARED_READER(ag3_yw_read_ports, fn_ports)

static int fn_envmap(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		     const struct ag3_yw_row *f)
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

static const struct ag3_yw_map mount_map;

static int fn_mode(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		   const struct ag3_yw_row *f)
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
	return ag3_yw_map(c, v, m, &mount_map);
}

static int fn_mountmap(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		       const struct ag3_yw_row *f)
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
			const struct ag3_yw_row *f)
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

static const struct ag3_yw_map seccomp_rule_map;
static const struct ag3_yw_map seccomp_arg_map;

static int fn_arg_value(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			const struct ag3_yw_row *f)
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
			   const struct ag3_yw_row *f)
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
		r = ag3_yw_map(c, it, arg, &seccomp_arg_map);
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
			    const struct ag3_yw_row *f)
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
		r = ag3_yw_map(c, it, rule, &seccomp_rule_map);
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
				r = ag3_lctx_expect(
					c, ag3_yaml_map_get(it, "syscall"),
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

static const char *const permission_modes[] = {[AG3_PERM_DEFAULT] = "default",
					       [AG3_PERM_ACCEPT_EDITS] = "acceptEdits",
					       [AG3_PERM_PLAN] = "plan",
					       [AG3_PERM_BYPASS] = "bypassPermissions",
					       NULL};
static const char *const userns_names[] = {"auto", "always", "never", NULL};
static const char *const tristate_names[] = {
	[AG3_TRI_AUTO] = "auto", [AG3_TRI_ALWAYS] = "always", [AG3_TRI_NEVER] = "never", NULL};
static const char *const deny_actions[] = {"errno", "kill", "log", NULL};
static const char *const rule_actions[] = {"errno", "kill", "log", "allow", NULL};
static const char *const cmp_names[] = {"eq", "ne", "lt", "le", "gt", "ge", "masked_eq", NULL};

/* `sandbox: null` is the platform's "no sandbox"; a null section keeps the defaults. */
#define SECTION(k, T, member, map)                                                                 \
	{                                                                                          \
		.key = k, .type = AG3_YW_SECTION, .flags = AG3_YW_NULL_UNSETS,                     \
		.off = offsetof(T, member), .sub = &map                                            \
	}
#define FIELD(k, t, T, member, ...)                                                                \
	{                                                                                          \
		.key = k, .type = t, .off = offsetof(T, member), __VA_ARGS__                       \
	}
/* A field of an anonymous section struct `sec` inside T. */
#define SUBOFF(T, sec, member) (offsetof(T, sec.member) - offsetof(T, sec))
#define SUBFIELD(k, t, T, sec, member, ...)                                                        \
	{                                                                                          \
		.key = k, .type = t, .off = SUBOFF(T, sec, member), __VA_ARGS__                    \
	}
#define MAP(name) static const struct ag3_yw_map name##_map = {name##_rows, .hint = profile_hint}

static const struct ag3_yw_row mount_rows[] = {
	FIELD("source", AG3_YW_STR, struct ag3_pmount, source,
	      .flags = AG3_YW_REQUIRED | AG3_YW_NONEMPTY),
	FIELD("target", AG3_YW_STR, struct ag3_pmount, target,
	      .flags = AG3_YW_REQUIRED | AG3_YW_NONEMPTY),
	FIELD("mode", AG3_YW_FN, struct ag3_pmount, ro, .fn = fn_mode),
	FIELD("optional", AG3_YW_BOOL, struct ag3_pmount, optional),
	{0},
};
MAP(mount);

static const struct ag3_yw_row seccomp_arg_rows[] = {
	FIELD("index", AG3_YW_UINT, struct ag3_pseccomp_arg, index, .min = 0, .max = 5,
	      .flags = AG3_YW_REQUIRED),
	FIELD("op", AG3_YW_ENUM, struct ag3_pseccomp_arg, op, .names = cmp_names,
	      .flags = AG3_YW_REQUIRED),
	FIELD("value", AG3_YW_FN, struct ag3_pseccomp_arg, value, .fn = fn_arg_value,
	      .flags = AG3_YW_REQUIRED),
	FIELD("mask", AG3_YW_FN, struct ag3_pseccomp_arg, mask, .fn = fn_arg_value),
	{0},
};
MAP(seccomp_arg);

static const struct ag3_yw_row seccomp_rule_rows[] = {
	FIELD("syscall", AG3_YW_STR, struct ag3_pseccomp_rule, syscall,
	      .flags = AG3_YW_REQUIRED | AG3_YW_NONEMPTY),
	FIELD("action", AG3_YW_ENUM, struct ag3_pseccomp_rule, action, .names = rule_actions),
	FIELD("errno", AG3_YW_FN, struct ag3_pseccomp_rule, errno_value, .fn = fn_errno),
	FIELD("args", AG3_YW_FN, struct ag3_pseccomp_rule, args, .fn = fn_seccomp_args),
	{0},
};
MAP(seccomp_rule);

#define SB struct ag3_profile_sandbox

static const struct ag3_yw_row network_rows[] = {
	SUBFIELD("enabled", AG3_YW_BOOL, SB, network, enabled),
	SUBFIELD("allowed_domains", AG3_YW_FN, SB, network, allowed_domains, .fn = fn_domains,
		 .what = "a list of domain names"),
	SUBFIELD("allow_localhost", AG3_YW_BOOL, SB, network, allow_localhost),
	SUBFIELD("localhost_ports", AG3_YW_FN, SB, network, localhost_ports, .fn = fn_ports),
	SUBFIELD("allow_private_destinations", AG3_YW_BOOL, SB, network,
		 allow_private_destinations),
	SUBFIELD("max_connections", AG3_YW_UINT, SB, network, max_connections, .min = 1,
		 .max = 4096),
	SUBFIELD("max_connection_bytes", AG3_YW_SIZE, SB, network, max_connection_bytes, .min = 0,
		 .max = UINT64_MAX - 1),
	SUBFIELD("idle_timeout", AG3_YW_FN, SB, network, idle_timeout_ms, .fn = fn_seconds,
		 .min = 1000, .max = 86400ull * 1000),
	{0},
};
MAP(network);

static const struct ag3_yw_row environment_rows[] = {
	SUBFIELD("home", AG3_YW_STR, SB, environment, home, .flags = AG3_YW_NONEMPTY),
	SUBFIELD("path", AG3_YW_STR, SB, environment, path),
	SUBFIELD("clear_env", AG3_YW_BOOL, SB, environment, clear_env),
	SUBFIELD("custom_env", AG3_YW_FN, SB, environment, custom_env, .fn = fn_envmap),
	SUBFIELD("lang", AG3_YW_STR, SB, environment, lang,
		 .flags = AG3_YW_NULL_EMPTY | AG3_YW_NO_INT, .check = check_envword),
	SUBFIELD("term", AG3_YW_STR, SB, environment, term,
		 .flags = AG3_YW_NULL_EMPTY | AG3_YW_NO_INT, .check = check_envword),
	SUBFIELD("tmpdir", AG3_YW_STR, SB, environment, tmpdir, .flags = AG3_YW_NULL_EMPTY),
	{0},
};
MAP(environment);

static const struct ag3_yw_row proc_filtering_rows[] = {
	SUBFIELD("enabled", AG3_YW_BOOL, SB, proc_filtering, enabled),
	SUBFIELD("allowed_entries", AG3_YW_STRLIST, SB, proc_filtering, allowed_entries),
	{0},
};
MAP(proc_filtering);

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define TiB (1024ull * 1024 * MiB)

static const struct ag3_yw_row limits_rows[] = {
	SUBFIELD("timeout", AG3_YW_FN, SB, limits, timeout_ms, .fn = fn_seconds, .min = 0,
		 .max = 7ull * 24 * 3600 * 1000),
	SUBFIELD("kill_grace", AG3_YW_FN, SB, limits, kill_grace_ms, .fn = fn_seconds, .min = 0,
		 .max = 3600ull * 1000),
	SUBFIELD("memory", AG3_YW_SIZE, SB, limits, memory, .min = MiB, .max = 1024 * TiB,
		 .flags = AG3_YW_UNLIMITED_ZERO),
	SUBFIELD("pids", AG3_YW_UINT, SB, limits, pids, .min = 1, .max = 4194304,
		 .flags = AG3_YW_UNLIMITED_ZERO),
	SUBFIELD("cpu_weight", AG3_YW_UINT, SB, limits, cpu_weight, .min = 1, .max = 10000),
	SUBFIELD("cpu_max", AG3_YW_FN, SB, limits, cpu_quota_us, .fn = fn_percent, .min = 1000,
		 .max = 100000ull * 1000, .flags = AG3_YW_UNLIMITED_ZERO),
	SUBFIELD("output", AG3_YW_SIZE, SB, limits, output, .min = 1, .max = AG3_OUTPUT_MAX,
		 .flags = AG3_YW_UNLIMITED_ZERO),
	SUBFIELD("tmp_size", AG3_YW_SIZE, SB, limits, tmp_size, .min = 4 * KiB, .max = 1024 * TiB),
	SUBFIELD("nofile", AG3_YW_UINT, SB, limits, nofile, .min = 1, .max = 1ull << 30,
		 .flags = AG3_YW_UNLIMITED_INF),
	SUBFIELD("nproc", AG3_YW_UINT, SB, limits, nproc, .min = 1, .max = 4194304,
		 .flags = AG3_YW_UNLIMITED_INF),
	SUBFIELD("fsize", AG3_YW_SIZE, SB, limits, fsize, .min = 0, .max = UINT64_MAX - 1,
		 .flags = AG3_YW_UNLIMITED_INF),
	SUBFIELD("core", AG3_YW_SIZE, SB, limits, core, .min = 0, .max = UINT64_MAX - 1,
		 .flags = AG3_YW_UNLIMITED_INF),
	{0},
};
MAP(limits);

static const struct ag3_yw_row seccomp_rows[] = {
	SUBFIELD("enabled", AG3_YW_BOOL, SB, seccomp, enabled),
	SUBFIELD("default_list", AG3_YW_BOOL, SB, seccomp, default_list),
	SUBFIELD("action", AG3_YW_ENUM, SB, seccomp, action, .names = deny_actions),
	SUBFIELD("errno", AG3_YW_FN, SB, seccomp, errno_value, .fn = fn_errno),
	SUBFIELD("rules", AG3_YW_FN, SB, seccomp, rules, .fn = fn_seccomp_rules),
	{0},
};
MAP(seccomp);

static const struct ag3_yw_row landlock_rows[] = {
	SUBFIELD("enabled", AG3_YW_BOOL, SB, landlock, enabled),
	SUBFIELD("net_bind_ports", AG3_YW_FN, SB, landlock, net_bind_ports, .fn = fn_ports),
	SUBFIELD("net_connect_ports", AG3_YW_FN, SB, landlock, net_connect_ports, .fn = fn_ports),
	{0},
};
MAP(landlock);

static const struct ag3_yw_row minimum_rows[] = {
	SUBFIELD("user_namespace", AG3_YW_BOOL, SB, minimum_isolation, user_namespace),
	SUBFIELD("seccomp", AG3_YW_BOOL, SB, minimum_isolation, seccomp),
	SUBFIELD("landlock_abi", AG3_YW_UINT, SB, minimum_isolation, landlock_abi, .min = 0,
		 .max = 64),
	SUBFIELD("cgroup", AG3_YW_BOOL, SB, minimum_isolation, cgroup),
	{0},
};
MAP(minimum);

static const struct ag3_yw_row user_rows[] = {
	SUBFIELD("name", AG3_YW_STR, SB, user, name, .flags = AG3_YW_NONEMPTY | AG3_YW_NO_INT,
		 .check = check_account),
	SUBFIELD("group", AG3_YW_STR, SB, user, group, .flags = AG3_YW_NONEMPTY | AG3_YW_NO_INT,
		 .check = check_account),
	SUBFIELD("shell", AG3_YW_STR, SB, user, shell, .flags = AG3_YW_NONEMPTY,
		 .check = check_shell),
	SUBFIELD("passwd", AG3_YW_BOOL, SB, user, passwd),
	SUBFIELD("git_name", AG3_YW_STR, SB, user, git_name, .flags = AG3_YW_NULL_EMPTY,
		 .check = check_git),
	SUBFIELD("git_email", AG3_YW_STR, SB, user, git_email, .flags = AG3_YW_NULL_EMPTY,
		 .check = check_git),
	{0},
};
MAP(user);

static const struct ag3_yw_row sandbox_rows[] = {
	FIELD("enabled", AG3_YW_BOOL, SB, enabled),
	FIELD("file_sandboxing", AG3_YW_BOOL, SB, file_sandboxing),
	FIELD("network_sandboxing", AG3_YW_BOOL, SB, network_sandboxing),
	FIELD("bwrap_path", AG3_YW_STR, SB, bwrap_path),
	FIELD("use_tmpfs_root", AG3_YW_BOOL, SB, use_tmpfs_root),
	FIELD("static_mounts", AG3_YW_FN, SB, static_mounts, .fn = fn_mountmap),
	FIELD("session_mounts", AG3_YW_FN, SB, session_mounts, .fn = fn_mountmap),
	FIELD("dynamic_mounts", AG3_YW_FN, SB, dynamic_mounts, .fn = fn_mountlist),
	FIELD("original_path_mounts", AG3_YW_FN, SB, original_path_mounts, .fn = fn_mountlist),
	FIELD("tmpfs_paths", AG3_YW_STRLIST, SB, tmpfs_paths),
	SECTION("network", SB, network, network_map),
	SECTION("environment", SB, environment, environment_map),
	SECTION("proc_filtering", SB, proc_filtering, proc_filtering_map),
	FIELD("writable_paths", AG3_YW_STRLIST, SB, writable_paths),
	FIELD("readonly_paths", AG3_YW_STRLIST, SB, readonly_paths),
	SECTION("user", SB, user, user_map),
	FIELD("var_tmp", AG3_YW_BOOL, SB, var_tmp),
	FIELD("dpkg_database", AG3_YW_ENUM, SB, dpkg_database, .names = tristate_names),
	FIELD("hostname", AG3_YW_STR, SB, hostname, .check = check_hostname),
	FIELD("user_namespace", AG3_YW_ENUM, SB, user_namespace, .names = userns_names),
	SECTION("limits", SB, limits, limits_map),
	SECTION("seccomp", SB, seccomp, seccomp_map),
	SECTION("landlock", SB, landlock, landlock_map),
	SECTION("minimum_isolation", SB, minimum_isolation, minimum_map),
	{0},
};
MAP(sandbox);

#define P struct ag3_profile

static const struct ag3_yw_row tools_rows[] = {
	SUBFIELD("enabled", AG3_YW_STRLIST, P, tools, enabled),
	SUBFIELD("disabled", AG3_YW_STRLIST, P, tools, disabled),
	SUBFIELD("permission_checked", AG3_YW_STRLIST, P, tools, permission_checked),
	{0},
};
MAP(tools);

static const struct ag3_yw_row permissions_rows[] = {
	SUBFIELD("allow", AG3_YW_STRLIST, P, permissions, allow),
	SUBFIELD("deny", AG3_YW_STRLIST, P, permissions, deny),
	SUBFIELD("ask", AG3_YW_STRLIST, P, permissions, ask),
	SUBFIELD("allowed_dirs", AG3_YW_STRLIST, P, permissions, allowed_dirs),
	{0},
};
MAP(permissions);

static const struct ag3_yw_row session_workspace_rows[] = {
	SUBFIELD("description", AG3_YW_STR, P, session_workspace, description),
	SUBFIELD("allow", AG3_YW_STRLIST, P, session_workspace, allow),
	SUBFIELD("deny", AG3_YW_STRLIST, P, session_workspace, deny),
	SUBFIELD("allowed_dirs", AG3_YW_STRLIST, P, session_workspace, allowed_dirs),
	{0},
};
MAP(session_workspace);

static const struct ag3_yw_row checkpointing_rows[] = {
	SUBFIELD("auto_checkpoint_tools", AG3_YW_STRLIST, P, checkpointing, auto_checkpoint_tools,
		 .flags = AG3_YW_NULL_DEFAULT),
	{0},
};
MAP(checkpointing);

static const struct ag3_yw_row top_rows[] = {
	FIELD("name", AG3_YW_STR, P, name, .flags = AG3_YW_REQUIRED | AG3_YW_NONEMPTY),
	FIELD("description", AG3_YW_STR, P, description),
	FIELD("defaultMode", AG3_YW_ENUM, P, default_mode, .names = permission_modes),
	SECTION("tools", P, tools, tools_map),
	SECTION("permissions", P, permissions, permissions_map),
	SECTION("session_workspace", P, session_workspace, session_workspace_map),
	SECTION("checkpointing", P, checkpointing, checkpointing_map),
	SECTION("sandbox", P, sandbox, sandbox_map),
	{0},
};
static const struct ag3_yw_map top_map = {top_rows, .hint = profile_hint};

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
	s->user.passwd.v = true;
	s->var_tmp.v = true;
	s->dpkg_database.v = AG3_TRI_AUTO;
	if (ag3_pstr_set(&p->description, "") < 0 ||
	    ag3_pstr_set(&p->session_workspace.description, "") < 0 ||
	    ag3_pstr_set(&s->bwrap_path, "bwrap") < 0 ||
	    ag3_pstr_set(&s->environment.home, "/workspace") < 0 ||
	    ag3_pstr_set(&s->environment.path, "/usr/bin:/bin") < 0 ||
	    ag3_pstr_set(&s->hostname, AG3_DEFAULT_HOSTNAME) < 0 ||
	    ag3_pstr_set(&s->environment.lang, AG3_DEFAULT_LANG) < 0 ||
	    ag3_pstr_set(&s->environment.term, "auto") < 0 ||
	    ag3_pstr_set(&s->environment.tmpdir, "/tmp") < 0 ||
	    ag3_pstr_set(&s->user.name, AG3_DEFAULT_USER) < 0 ||
	    ag3_pstr_set(&s->user.group, AG3_DEFAULT_USER) < 0 ||
	    ag3_pstr_set(&s->user.shell, AG3_DEFAULT_SHELL) < 0 ||
	    ag3_pstr_set(&s->user.git_name, "") < 0 || ag3_pstr_set(&s->user.git_email, "") < 0 ||
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
	pstr_clear(&s->environment.lang);
	pstr_clear(&s->environment.term);
	pstr_clear(&s->environment.tmpdir);
	pstr_clear(&s->user.name);
	pstr_clear(&s->user.group);
	pstr_clear(&s->user.shell);
	pstr_clear(&s->user.git_name);
	pstr_clear(&s->user.git_email);
	pstr_clear(&s->hostname);
	rules_clear(&s->seccomp.rules);
	free(s->landlock.net_bind_ports.v);
	free(s->landlock.net_connect_ports.v);
	free(s->network.localhost_ports.v);
	free(p);
}

int ag3_profile_load_buffer(const char *name, const char *buf, size_t len, struct ag3_profile **ret,
			    struct ag3_error **reterr)
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
	r = ag3_yw_map(&c, root, p, &top_map);
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
	return ag3_profile_load_buffer(EMBEDDED_NAME, ag3_profile_default, ag3_profile_default_len,
				       ret, reterr);
}

int ag3_yaml_locate(const struct ag3_yaml_doc *doc, const char *keypath, struct ag3_ploc *ret)
{
	const struct ag3_yaml_node *n = doc ? doc->root : NULL, *key = NULL;
	const char *s = keypath;

	while (n && *s) {
		if (*s == '[') {
			char *end;
			unsigned long i = strtoul(s + 1, &end, 10);
			if (end == s + 1 || *end != ']' || n->type != AG3_YAML_SEQUENCE ||
			    i >= n->n)
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
