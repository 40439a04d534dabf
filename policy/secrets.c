/* SPDX-License-Identifier: MIT */
#include "secrets.h"

#include <ctype.h>
#include <inttypes.h>
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

/* A value as the platform's str() made it: strings as they are, True/False, integers. */
static int secret_value(struct ag3_lctx *c, const struct ag3_yaml_node *v, char **ret)
{
	char d[96];
	if (v->type != AG3_YAML_SCALAR)
		return ag3_lctx_expect(c, v, "a string");
	if (v->kind == AG3_YAML_BOOL) {
		bool x = false;
		ag3_yaml_get_bool(v, &x);
		*ret = strdup(x ? "True" : "False"); /* Python's str(bool) */
	} else if (v->kind == AG3_YAML_INT) {
		int64_t x;
		if (ag3_yaml_get_int(v, &x) < 0)
			return ag3_lctx_fail(c, v, "the number %s is out of range (quote it)",
					     ag3_yaml_describe(v, d, sizeof(d)));
		if (asprintf(ret, "%" PRId64, x) < 0)
			*ret = NULL;
	} else
		*ret = strdup(v->str);
	return *ret ? 0 : ag3_lctx_oom(c);
}

int ag3_secrets_load_buffer(struct ag3_session *s, const char *name, const char *buf,
			    size_t len, bool per_user, struct ag3_error **reterr)
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

int ag3_secrets_load_file(struct ag3_session *s, const char *path, bool per_user,
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
