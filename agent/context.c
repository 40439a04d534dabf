/* SPDX-License-Identifier: MIT */
/* The context -> spec step, and the uid policy over every id (agent/context.h). */
#include "agent/context.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/compile.h"
#include "policy/mounts-config.h"
#include "policy/profile.h"
#include "policy/secrets.h"
#include "runtime/spec_json.h"

#define SPEC_MAX_BYTES (16u << 20)

struct ag3_context *ag3_context_new_with(struct ag3_vars *vars)
{
	struct ag3_context *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->uid_policy = AG3_UID_POLICY_DEFAULT;
	c->vars = vars;
	if (!vars) {
		c->vars = ag3_vars_new();
		c->owns_vars = true;
		if (!c->vars) {
			free(c);
			return NULL;
		}
	}
	return c;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void ag3_context_free(struct ag3_context *c)
{
	if (!c)
		return;
	free(c->profile_path);
	free(c->mounts_path);
	free_strv(c->secrets_paths, c->n_secrets);
	free_strv(c->dynamic_args, c->n_dynamic);
	free(c->host_root);
	if (c->owns_vars)
		ag3_vars_free(c->vars);
	free(c);
}

static int set_copy(char **dst, const char *v)
{
	char *s = NULL;
	if (v && !(s = strdup(v)))
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int append_copy(char ***v, size_t *n, const char *s)
{
	if (!s)
		return -EINVAL;
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

int ag3_context_set_profile_file(struct ag3_context *c, const char *path)
{
	return c ? set_copy(&c->profile_path, path) : -EINVAL;
}

int ag3_context_set_mounts_file(struct ag3_context *c, const char *path)
{
	return c ? set_copy(&c->mounts_path, path) : -EINVAL;
}

int ag3_context_add_secrets_file(struct ag3_context *c, const char *path)
{
	return c ? append_copy(&c->secrets_paths, &c->n_secrets, path) : -EINVAL;
}

int ag3_context_add_dynamic(struct ag3_context *c, const char *request)
{
	return c ? append_copy(&c->dynamic_args, &c->n_dynamic, request) : -EINVAL;
}

int ag3_context_set_host_root(struct ag3_context *c, const char *dir)
{
	if (!c || (dir && dir[0] != '/'))
		return -EINVAL;
	return set_copy(&c->host_root, dir);
}

bool ag3_context_vars_given(const struct ag3_context *c)
{
	const struct ag3_vars *s = c->vars;
	if (s->username || s->session_id || s->uid_set || s->gid_set)
		return true;
	for (int d = 0; d < _AG3_DIR_MAX; d++)
		if (s->dirs[d])
			return true;
	return false;
}

int ag3_context_check_spec_ids(const struct ag3_context *c, const struct ag3_spec *spec,
			       const char *name, struct ag3_error **reterr)
{
	const struct ag3_uid_policy *p = &c->uid_policy;
	int r = 0;
	if (spec->identity.uid_set)
		r = ag3_uid_policy_check(p, "identity.uid", (unsigned long)spec->identity.uid,
					 reterr);
	if (r == 0 && spec->identity.gid_set)
		r = ag3_uid_policy_check(p, "identity.gid", (unsigned long)spec->identity.gid,
					 reterr);
	for (size_t i = 0; r == 0 && i < spec->identity.n_groups; i++) {
		char what[48];
		snprintf(what, sizeof(what), "identity.groups[%zu]", i);
		r = ag3_uid_policy_check(p, what, (unsigned long)spec->identity.groups[i], reterr);
	}
	if (r < 0 && name)
		ag3_error_wrap(reterr, "%s", name);
	return r;
}

/* A whole file of at most `max` bytes: 0, or -errno with *reterr set. */
static int read_file(const char *path, size_t max, char **ret, size_t *ret_len,
		     struct ag3_error **reterr)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return ag3_error_set(reterr, e, "%s: %s", path, strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return ag3_error_set(reterr, EINVAL, "%s: not a regular file", path);
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap + 1);
	for (;;) {
		if (!buf)
			return ag3_error_set(reterr, ENOMEM, "out of memory");
		if (len == cap) {
			if (cap >= max)
				return ag3_error_set(reterr, EFBIG, "%s: larger than %zu bytes",
						     path, max);
			cap *= 2;
			char *n = realloc(buf, cap + 1);
			if (!n) {
				explicit_bzero(buf, len);
				free(buf);
			}
			buf = n;
			continue;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			explicit_bzero(buf, len);
			return ag3_error_set(reterr, e, "%s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = 0;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int ag3_context_load_spec(const struct ag3_context *c, const char *path, struct ag3_spec **ret,
			  struct ag3_error **reterr)
{
	if (!c || !path || !ret)
		return ag3_error_set(reterr, EINVAL, "no spec file given");
	if (c->profile_path)
		return ag3_error_set(reterr, EINVAL,
				     "--spec and --profile cannot be used together");
	if (c->mounts_path || c->n_secrets || c->n_dynamic || c->host_root)
		return ag3_error_set(
			reterr, EINVAL,
			"--spec is already compiled: --mounts, --secrets, --dynamic and "
			"--host-root cannot change it; compile again instead");
	if (ag3_context_vars_given(c))
		return ag3_error_set(reterr, EINVAL,
				     "--spec is already compiled: session options (--workspace, "
				     "--uid, --user ...) cannot change it; compile again instead");
	char *buf = NULL;
	size_t len = 0;
	int r = read_file(path, SPEC_MAX_BYTES, &buf, &len, reterr);
	if (r < 0)
		return r;
	struct ag3_spec *spec = NULL;
	r = ag3_spec_from_json(buf, len, path, &spec, reterr);
	explicit_bzero(buf, len); /* its secrets */
	free(buf);
	if (r < 0)
		return r;
	r = ag3_context_check_spec_ids(c, spec, path, reterr);
	if (r < 0) {
		ag3_spec_free(spec);
		return r;
	}
	*ret = spec;
	return 0;
}

static int load_secrets(struct ag3_context *c, struct ag3_error **reterr)
{
	for (size_t i = 0; i < c->n_secrets; i++) {
		/* the first file is the global one; every later one is per-user */
		int r = ag3_secrets_load_file(c->vars, c->secrets_paths[i], i > 0, reterr);
		if (r < 0)
			return r;
	}
	return 0;
}

int ag3_context_compile(struct ag3_context *c, struct ag3_spec **ret, struct ag3_error **reterr)
{
	if (!c || !ret)
		return ag3_error_set(reterr, EINVAL, "no context given");
	_cleanup_(ag3_profile_freep) struct ag3_profile *profile = NULL;
	int r = c->profile_path ? ag3_profile_load_file(c->profile_path, &profile, reterr)
				: ag3_profile_load_default(&profile, reterr);
	if (r < 0)
		return r;
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *mounts = NULL;
	r = load_secrets(c, reterr);
	if (r == 0 && c->mounts_path)
		r = ag3_mounts_config_load_file(c->mounts_path, &mounts, reterr);
	if (r < 0)
		return r;
	if (c->n_dynamic && !mounts)
		return ag3_error_set(
			reterr, EINVAL,
			"--dynamic needs --mounts (the config with the dynamic bases)");
	struct ag3_dyn_request *dyn = c->n_dynamic ? calloc(c->n_dynamic, sizeof(*dyn)) : NULL;
	if (c->n_dynamic && !dyn)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	size_t n_dyn = 0;
	for (; r == 0 && n_dyn < c->n_dynamic; n_dyn++)
		if ((r = ag3_dyn_request_parse(c->dynamic_args[n_dyn], &dyn[n_dyn], reterr)) < 0)
			break;
	if (r == 0) {
		struct ag3_compile_options o = {
			.host_root = c->host_root,
			.prefix_sources = c->host_root != NULL,
			.mounts = mounts,
			.dynamic = dyn,
			.n_dynamic = n_dyn,
			.uid_policy = &c->uid_policy,
		};
		r = ag3_compile_ex(profile, c->vars, &o, ret, reterr);
	}
	for (size_t i = 0; i < n_dyn; i++)
		ag3_dyn_request_clear(&dyn[i]);
	free(dyn);
	return r;
}
