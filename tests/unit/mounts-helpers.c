/* SPDX-License-Identifier: MIT */
#include "mounts-helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/vars.h"

#include "helpers.h"

struct ag3_mounts_config *mload_ok(const char *yaml)
{
	struct ag3_mounts_config *c = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_mounts_config_load_buffer("m.yaml", yaml, strlen(yaml), &c, &e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_eq(r, 0, "load failed: %s", m);
	cr_assert_not_null(c);
	ag3_error_free(e);
	return c;
}

struct ag3_profile *pload_ok(const char *yaml)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_profile_load_buffer("p.yaml", yaml, strlen(yaml), &p, &e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_eq(r, 0, "profile load failed: %s", m);
	ag3_error_free(e);
	return p;
}

char *new_root(void)
{
	char *t = strdup("/tmp/ag3-mtest.XXXXXX");
	cr_assert_not_null(mkdtemp(t));
	mkdir_p(t, "usr/bin");
	mkdir_p(t, "usr/lib");
	mkdir_p(t, "etc");
	symlink_at(t, "bin", "usr/bin");
	symlink_at(t, "lib", "usr/lib");
	mkdir_p(t, "ws");
	return t;
}

void drop_root(char *t)
{
	rm_tree(t);
	free(t);
}

/* A small profile: system dirs, a workspace, a user-skills mount. */
const char small_profile[] =
	"name: small\n"
	"sandbox:\n"
	"  static_mounts:\n"
	"    usr: {source: /usr, target: /usr}\n"
	"    bin: {source: /bin, target: /bin}\n"
	"    lib: {source: /lib, target: /lib}\n"
	"  session_mounts:\n"
	"    workspace: {source: '{workspace_dir}', target: /workspace, mode: rw}\n"
	"    skills: {source: /skills, target: /user-skills, optional: true}\n";

struct compiled compile_with(const char *profile_yaml, const char *mounts_yaml, const char *user,
			     const char *root, const struct ag3_dyn_request *dyn, size_t n_dyn)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = pload_ok(profile_yaml);
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *m =
		mounts_yaml ? mload_ok(mounts_yaml) : NULL;
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for(user);
	char ws[4096];
	snprintf(ws, sizeof(ws), "/ws");
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, ws), 0);
	struct compiled c = {0};
	struct ag3_compile_options o = {
		.host_root = root, .mounts = m, .dynamic = dyn, .n_dynamic = n_dyn};
	c.r = ag3_compile_ex(p, s, &o, &c.spec, &c.err);
	return c;
}

const struct ag3_mount *find_origin(const struct ag3_spec *spec, const char *origin)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].origin && !strcmp(spec->mounts[i].origin, origin))
			return &spec->mounts[i];
	return NULL;
}

ssize_t index_of(const struct ag3_spec *spec, const char *origin)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].origin && !strcmp(spec->mounts[i].origin, origin))
			return (ssize_t)i;
	return -1;
}
