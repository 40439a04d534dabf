/* SPDX-License-Identifier: MIT */
#include "helpers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AG3_SOURCE_ROOT
#define AG3_SOURCE_ROOT "."
#endif

const char *source_root(void)
{
	const char *e = getenv("AG3_SOURCE_ROOT");
	return e && *e ? e : AG3_SOURCE_ROOT;
}

char *fixture(const char *rel)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/../shared/fixtures/ag3ntum/%s", source_root(), rel) > 0);
	return p;
}

char *fmt_err(const struct ag3_error *e)
{
	char *s = e ? ag3_error_format(e) : NULL;
	return s ? s : strdup("(no error)");
}

void mkdir_p(const char *root, const char *rel)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *s = path + strlen(root) + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(path, 0755);
			*s = '/';
		}
	cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s: %m", path);
}

void symlink_at(const char *root, const char *rel, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	cr_assert(symlink(text, path) == 0, "symlink %s: %m", path);
}

void write_at(const char *root, const char *rel, const char *content)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s: %m", path);
	fputs(content, f);
	fclose(f);
}

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(p);
	return 0;
}

void rm_tree(const char *root)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct ag3_vars *vars_for(const char *user)
{
	struct ag3_vars *s = ag3_vars_new();
	cr_assert_not_null(s);
	if (user)
		cr_assert_eq(ag3_vars_set_username(s, user), 0);
	cr_assert_eq(ag3_vars_set_session_id(s, SESSION_ID), 0);
	s->uid_set = s->gid_set = true;
	s->uid = s->gid = 50001;
	return s;
}
