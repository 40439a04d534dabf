/* SPDX-License-Identifier: MIT */
/*
 * Helpers the profile tests share (test-profile.c, test-profile-compile.c):
 * profiles loaded from YAML text and compiled, each asserting (Criterion)
 * instead of returning errors.
 */
#pragma once

#include "policy/compile.h"
#include "policy/profile-model.h"
#include "policy/vars.h"

/* A small valid profile; `extra` goes inside `sandbox:` (indented by 2). */
#define SANDBOXED(extra) "name: t\nsandbox:\n  enabled: true\n" extra

/* A new string: the path of `rel` in tests/unit/data/. */
char *data_file(const char *rel);
/* The profile `yaml` loads (as t.yaml); asserts it does. */
struct ag3_profile *load_ok(const char *yaml);
/* The spec p and s compile to with host paths beneath `root`; asserts it compiles. */
struct ag3_spec *compile_ok(const struct ag3_profile *p, const struct ag3_vars *s,
			    const char *root);
/* Expects compiling p and s to fail with `substr` in the message; returns the error. */
struct ag3_error *compile_fail(const struct ag3_profile *p, const struct ag3_vars *s,
			       const char *root, const char *substr);
/* The variable `name` of the spec's environment, or NULL. */
const struct ag3_env_var *env_find(const struct ag3_spec *spec, const char *name);
