/* SPDX-License-Identifier: MIT */
/*
 * Scaffolding the unit tests share (tests/unit/helpers.c): where the source
 * tree and the fixtures are, errors as text, files beneath fake host roots,
 * the test session. Each helper asserts (Criterion) instead of returning
 * errors.
 */
#pragma once

#include "policy/vars.h"
#include "runtime/util/error.h"

#define SESSION_ID "20260127_101500_1a2b3c4d"

/* The source tree: $AG3_SOURCE_ROOT, else the one the tests were built from. */
const char *source_root(void);
/* A new string: the path of `rel` in the platform's fixtures (../shared/fixtures/ag3ntum/). */
char *fixture(const char *rel);
/* A new string: the error as ag3_error_format() renders it, or "(no error)". */
char *fmt_err(const struct ag3_error *e);

/* Creates root/rel and its missing parents (an existing one is fine). */
void mkdir_p(const char *root, const char *rel);
/* Creates the symlink root/rel with the text `text`. */
void symlink_at(const char *root, const char *rel, const char *text);
/* Creates (or truncates) the file root/rel with `content`. */
void write_at(const char *root, const char *rel, const char *content);
/* Removes root and everything beneath it, as far as it can. */
void rm_tree(const char *root);

/* A session for `user` (NULL: no user name), SESSION_ID, uid/gid 50001. */
struct ag3_vars *vars_for(const char *user);
