/* SPDX-License-Identifier: MIT */
#include "profile-helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

char *data_file(const char *rel)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/tests/unit/data/%s", source_root(), rel) > 0);
	return p;
}

struct ag3_profile *load_ok(const char *yaml)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_profile_load_buffer("t.yaml", yaml, strlen(yaml), &p, &e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_eq(r, 0, "load failed: %s", m);
	cr_assert_not_null(p);
	ag3_error_free(e);
	return p;
}

struct ag3_spec *compile_ok(const struct ag3_profile *p, const struct ag3_vars *s, const char *root)
{
	struct ag3_spec *spec = NULL;
	struct ag3_error *e = NULL;
	struct ag3_compile_options o = {.host_root = root};
	int r = ag3_compile_ex(p, s, &o, &spec, &e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_eq(r, 0, "compile failed: %s", m);
	cr_assert_not_null(spec);
	ag3_error_free(e);
	return spec;
}

struct ag3_error *compile_fail(const struct ag3_profile *p, const struct ag3_vars *s,
			       const char *root, const char *substr)
{
	struct ag3_spec *spec = NULL;
	struct ag3_error *e = NULL;
	struct ag3_compile_options o = {.host_root = root};
	int r = ag3_compile_ex(p, s, &o, &spec, &e);
	cr_assert_lt(r, 0, "expected a compile error containing '%s'", substr);
	cr_assert_null(spec);
	cr_assert_not_null(e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_not_null(strstr(e->msg, substr), "message '%s' lacks '%s'", m, substr);
	return e;
}

const struct ag3_env_var *env_find(const struct ag3_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->process.n_env; i++)
		if (!strcmp(spec->process.env[i].name, name))
			return &spec->process.env[i];
	return NULL;
}
