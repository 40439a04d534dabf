/* SPDX-License-Identifier: MIT */
#include "secrets.h"

#include <ctype.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"
#include "mounts-config.h"
#include "yaml.h"

static const char *const reserved_names[] = {"HOME", "PATH", "AG3NTUM_CONTEXT"};

struct kv {
	const char *name;
	char *value;
};

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

static void kvs_free(struct kv *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].value) {
			explicit_bzero(v[i].value, strlen(v[i].value));
			free(v[i].value);
		}
	free(v);
}

/*
 * The platform read secrets files with PyYAML (YAML 1.1) and stringified each
 * value with str(). For a plain (unquoted) scalar that means: yes/no/on/off
 * and true/false in three casings are True/False; integers are written in
 * decimal whatever their YAML 1.1 form (017 octal, 0x1f, 0b11, 1_000, the
 * sexagesimal 1:30); anything PyYAML would have made a float or a date
 * cannot be reproduced exactly and is refused ("quote it").
 */
/* dec (decimal digits, most significant first, `*n` of them) = dec * base + digit */
static void dec_muladd(char *dec, size_t *n, unsigned base, unsigned digit)
{
	unsigned carry = digit;
	for (size_t i = *n; i-- > 0;) {
		unsigned v = (unsigned)(dec[i] - '0') * base + carry;
		dec[i] = (char)('0' + v % 10);
		carry = v / 10;
	}
	while (carry) {
		memmove(dec + 1, dec, *n);
		dec[0] = (char)('0' + carry % 10);
		carry /= 10;
		(*n)++;
	}
}

#define SECRET_INT_MAX_DIGITS 256

/* The sexagesimal 1:30 (= 90), 190:20:30: each part after the first is 0..59. */
static int yaml11_sexagesimal(const char *digits, bool neg, char **ret)
{
	unsigned long long total = 0, cur = 0;
	for (const char *c = digits; *c; c++) {
		if (*c == '_')
			continue;
		if (*c == ':') {
			if (!c[1] || c[1] == ':')
				return 0;
			total = (total + cur) * 60;
			cur = 0;
		} else if (*c >= '0' && *c <= '9') {
			cur = cur * 10 + (unsigned)(*c - '0');
		} else {
			return 0;
		}
		if (total > (1ull << 60) || cur > (1ull << 60))
			return 0;
	}
	/* every part after the first must be below 60 */
	for (const char *c = strchr(digits, ':'); c; c = strchr(c + 1, ':')) {
		unsigned p = 0;
		for (const char *e = c + 1; *e && *e != ':'; e++)
			if (*e != '_')
				p = p * 10 + (unsigned)(*e - '0');
		if (p > 59)
			return 0;
	}
	total += cur;
	return asprintf(ret, "%s%llu", neg && total ? "-" : "", total) < 0 ? -ENOMEM : 1;
}

/* 1: *ret is the decimal text of a YAML 1.1 integer; 0: not one; -ENOMEM. */
static int yaml11_int(const char *s, char **ret)
{
	bool neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	unsigned base = 10;
	const char *digits = s;
	if (s[0] == '0' && s[1] == 'b')
		base = 2, digits = s + 2;
	else if (s[0] == '0' && s[1] == 'x')
		base = 16, digits = s + 2;
	else if (s[0] == '0' && s[1])
		base = 8, digits = s + 1;
	else if (s[0] >= '1' && s[0] <= '9' && strchr(s, ':'))
		return yaml11_sexagesimal(s, neg, ret);
	if (!*digits || strlen(digits) > SECRET_INT_MAX_DIGITS)
		return 0;
	char dec[SECRET_INT_MAX_DIGITS * 2] = "0";
	size_t n = 1;
	bool any = false;
	for (const char *c = digits; *c; c++) {
		if (*c == '_')
			continue;
		unsigned v;
		if (*c >= '0' && *c <= '9')
			v = (unsigned)(*c - '0');
		else if (base == 16 && *c >= 'a' && *c <= 'f')
			v = (unsigned)(*c - 'a' + 10);
		else if (base == 16 && *c >= 'A' && *c <= 'F')
			v = (unsigned)(*c - 'A' + 10);
		else
			return 0;
		if (v >= base)
			return 0;
		dec_muladd(dec, &n, base, v);
		any = true;
	}
	if (!any)
		return 0;
	bool zero = n == 1 && dec[0] == '0';
	return asprintf(ret, "%s%.*s", neg && !zero ? "-" : "", (int)n, dec) < 0 ? -ENOMEM : 1;
}

/* What PyYAML would have made a float or a timestamp of (so str() is not the text):
 * its resolver's patterns for those two tags, as POSIX extended expressions. */
static bool yaml11_float_or_date(const char *s)
{
	static const char *const patterns[] = {
		/* float */
		"^([-+]?[0-9][0-9_]*\\.[0-9_]*([eE][-+][0-9]+)?"
		"|\\.[0-9_]+([eE][-+][0-9]+)?"
		"|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
		"|[-+]?\\.(inf|Inf|INF)"
		"|\\.(nan|NaN|NAN))$",
		/* timestamp */
		"^([0-9]{4}-[0-9]{2}-[0-9]{2}"
		"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ "
		"\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?"
		"([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)$",
	};
	for (size_t i = 0; i < ELEMENTSOF(patterns); i++) {
		regex_t re;
		if (regcomp(&re, patterns[i], REG_EXTENDED | REG_NOSUB) != 0)
			return true; /* cannot tell: refuse rather than guess */
		bool m = regexec(&re, s, 0, NULL, 0) == 0;
		regfree(&re);
		if (m)
			return true;
	}
	return false;
}

static int secret_value(struct ag3_lctx *c, const struct ag3_yaml_node *v, char **ret)
{
	static const char *const yes[] = {"yes",  "Yes", "YES", "true", "True",
					  "TRUE", "on",  "On",  "ON",   NULL};
	static const char *const no[] = {"no",    "No",  "NO",  "false", "False",
					 "FALSE", "off", "Off", "OFF",   NULL};
	char d[96];
	if (v->type != AG3_YAML_SCALAR)
		return ag3_lctx_expect(c, v, "a string");
	*ret = NULL;
	if (!v->plain) {
		*ret = strdup(v->str); /* quoted or tagged: the text itself */
	} else if (strv_contains(yes, v->str) || strv_contains(no, v->str)) {
		*ret = strdup(strv_contains(yes, v->str) ? "True"
							 : "False"); /* Python's str(bool) */
	} else {
		int k = yaml11_int(v->str, ret);
		if (k < 0)
			return ag3_lctx_oom(c);
		if (k == 0 && yaml11_float_or_date(v->str))
			return ag3_lctx_fail(
				c, v,
				"%s: the platform read this as a float or a date, whose "
				"text it changed; quote it to mean the text",
				ag3_yaml_describe(v, d, sizeof(d)));
		if (k == 0)
			*ret = strdup(v->str);
	}
	return *ret ? 0 : ag3_lctx_oom(c);
}

int ag3_secrets_load_buffer(struct ag3_vars *s, const char *name, const char *buf, size_t len,
			    bool per_user, struct ag3_error **reterr)
{
	_cleanup_(ag3_yaml_doc_freep) struct ag3_yaml_doc *doc = NULL;
	struct ag3_lctx c = {.file = name, .reterr = reterr};
	char b[96];
	int r = ag3_yaml_parse(name, buf, len, &doc, reterr);
	if (r < 0)
		return r;
	const struct ag3_yaml_node *root = doc->root;
	if (ag3_yaml_is_null(root))
		return 0;
	if (root->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(&c, root, "a mapping (with sandboxed_envs)");
	const struct ag3_yaml_node *envs = ag3_yaml_map_get(root, "sandboxed_envs");
	if (ag3_yaml_is_null(envs))
		return 0;
	ag3_lctx_push(&c, "sandboxed_envs");
	if (envs->type != AG3_YAML_MAPPING)
		return ag3_lctx_expect(&c, envs, "a mapping of NAME: value");
	if (envs->n > AG3_SECRETS_MAX)
		return ag3_lctx_fail(&c, envs, "more than %d variables", AG3_SECRETS_MAX);

	struct kv *kvs = calloc(envs->n ? envs->n : 1, sizeof(*kvs));
	size_t n = 0;
	if (!kvs)
		return ag3_lctx_oom(&c);
	for (size_t i = 0; i < envs->n; i++) {
		const struct ag3_yaml_node *k = envs->pairs[i].key, *v = envs->pairs[i].value;
		size_t saved = ag3_lctx_push(&c, ag3_yaml_preview(k->str, k->len, b, sizeof(b)));
		char *val = NULL;
		r = 0;
		if (!ag3_env_name_valid(k->str))
			r = ag3_lctx_fail(&c, k,
					  "not a valid environment variable name (letters, digits "
					  "and '_', not starting with a digit)");
		for (size_t j = 0; r == 0 && j < ELEMENTSOF(reserved_names); j++)
			if (!strcmp(k->str, reserved_names[j]))
				r = ag3_lctx_fail(
					&c, k,
					"set by the profile (sandbox.environment), not by "
					"secrets");
		if (r == 0 && !ag3_yaml_is_null(v))
			r = secret_value(&c, v, &val);
		ag3_lctx_pop(&c, saved);
		if (r < 0)
			goto fail;
		if (!val)
			continue; /* the platform dropped None values */
		if (per_user && blank(val)) {
			/* empty per-user values do not override the global ones */
			explicit_bzero(val, strlen(val));
			free(val);
			continue;
		}
		kvs[n].name = k->str;
		kvs[n++].value = val;
	}
	/* all or nothing: stage every value, then commit */
	struct ag3_env_var *old = s->env;
	size_t old_n = s->n_env;
	struct ag3_env_var *nv = calloc(old_n + n + 1, sizeof(*nv));
	char **names = NULL;
	if (!nv) {
		r = ag3_error_set(reterr, ENOMEM, "out of memory");
		goto fail;
	}
	if (old_n)
		memcpy(nv, old, old_n * sizeof(*nv));
	/* the names, before anything changes */
	names = calloc(n + 1, sizeof(char *));
	if (!names) {
		free(nv);
		r = ag3_error_set(reterr, ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (!(names[i] = strdup(kvs[i].name))) {
			for (size_t j = 0; j < i; j++)
				free(names[j]);
			free(names);
			free(nv);
			r = ag3_error_set(reterr, ENOMEM, "out of memory");
			goto fail;
		}
	size_t nn = old_n;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < nn && strcmp(nv[j].name, names[i]) != 0)
			j++;
		if (j < nn) {
			free(names[i]);
			explicit_bzero(nv[j].value, strlen(nv[j].value));
			free(nv[j].value);
		} else {
			nv[j].name = names[i];
			nv[j].secret = true;
			nn++;
		}
		nv[j].value = kvs[i].value;
		kvs[i].value = NULL;
	}
	free(names);
	free(old);
	s->env = nv;
	s->n_env = nn;
	kvs_free(kvs, n);
	return 0;
fail:
	kvs_free(kvs, n);
	return r;
}

int ag3_secrets_load_file(struct ag3_vars *s, const char *path, bool per_user,
			  struct ag3_error **reterr)
{
	char *buf = NULL;
	size_t len = 0;
	int r = ag3_config_read_file(path, "the secrets file", &buf, &len, reterr);
	if (r < 0)
		return r;
	r = ag3_secrets_load_buffer(s, path, buf, len, per_user, reterr);
	explicit_bzero(buf, len);
	free(buf);
	return r;
}
