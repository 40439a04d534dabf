/* SPDX-License-Identifier: MIT */
/*
 * Helpers the mounts tests share (test-mounts-config.c,
 * test-context-inputs.c): mounts files and profiles loaded from YAML text,
 * fake host roots, compiles with a mounts file and dynamic requests. Each
 * asserts (Criterion) instead of returning errors.
 */
#pragma once

#include <sys/types.h>

#include "policy/compile.h"
#include "policy/mounts-config.h"
#include "policy/profile-model.h"

/* The mounts file `yaml` loads (as m.yaml); asserts it does. */
struct ag3_mounts_config *mload_ok(const char *yaml);
/* The profile `yaml` loads (as p.yaml); asserts it does. */
struct ag3_profile *pload_ok(const char *yaml);
/* A new fake host root in /tmp: usr/{bin,lib}, etc, bin and lib -> usr/..., ws. */
char *new_root(void);
/* Removes the root new_root() made and frees its name. */
void drop_root(char *t);

/* A small profile: system dirs, a workspace, a user-skills mount. */
extern const char small_profile[];

struct compiled {
	struct ag3_spec *spec;
	struct ag3_error *err;
	int r;
};

/*
 * Compiles profile_yaml with mounts_yaml (NULL: none) for `user`, the
 * workspace /ws, host paths beneath `root` and the n_dyn dynamic requests
 * `dyn`; the result says how it went.
 */
struct compiled compile_with(const char *profile_yaml, const char *mounts_yaml, const char *user,
			     const char *root, const struct ag3_dyn_request *dyn, size_t n_dyn);
/* The spec's first mount with this origin, or NULL. */
const struct ag3_mount *find_origin(const struct ag3_spec *spec, const char *origin);
/* The index of the spec's first mount with this origin, or -1. */
ssize_t index_of(const struct ag3_spec *spec, const char *origin);
