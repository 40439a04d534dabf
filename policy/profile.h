/* SPDX-License-Identifier: MIT */
/*
 * The profile: the agent platform's permissions.yaml schema plus our
 * extensions, loaded strictly from YAML (libyaml). See README.md, "Profiles".
 */
#pragma once

#include <stddef.h>

#include "runtime/util/error.h"

struct ag3_profile;

/* Loads a profile file. Errors name file:line:column, the key path and what was expected. */
int ag3_profile_load_file(const char *path, struct ag3_profile **ret, struct ag3_error **reterr);
/* Loads a profile from memory; `name` is used as the file name in errors. */
int ag3_profile_load_buffer(const char *name, const char *buf, size_t len, struct ag3_profile **ret,
			    struct ag3_error **reterr);
/* Loads the embedded default profile (profiles/default.yaml). */
int ag3_profile_load_default(struct ag3_profile **ret, struct ag3_error **reterr);

void ag3_profile_free(struct ag3_profile *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_profile *, ag3_profile_free)
