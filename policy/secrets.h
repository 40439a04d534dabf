/* SPDX-License-Identifier: MIT */
/*
 * Session secrets: the platform's `sandboxed_envs` (reference 2.6), read
 * from config/secrets.yaml (global) and /users/{u}/ag3ntum/secrets.yaml
 * (per user), later files overriding earlier ones.
 *
 *   sandboxed_envs: {NAME: value}
 *
 * Values are stringified as the platform did (integers in decimal, booleans
 * as True/False); a null value drops the key. In a per-user file (every file
 * after the first, for the CLI) empty or whitespace-only values are dropped
 * so that they do not override global ones. Names must be identifiers and
 * not HOME, PATH or AG3NTUM_CONTEXT (the profile sets those): where the
 * platform logged a warning and skipped the variable, this is an error at
 * file:line:col. Other top-level keys (the API's own secrets) are ignored,
 * never read into the sandbox. The values become secret environment
 * variables of the spec: redacted when it is printed, never on any argv.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy/vars.h"
#include "runtime/util/error.h"

#define AG3_SECRETS_MAX 1024 /* variables in one file */

/* Loads a secrets file into the session: all of it, or nothing (on error). */
int ag3_secrets_load_file(struct ag3_vars *s, const char *path, bool per_user,
			  struct ag3_error **reterr);
/* The same from memory; `name` is used as the file name in errors. */
int ag3_secrets_load_buffer(struct ag3_vars *s, const char *name, const char *buf, size_t len,
			    bool per_user, struct ag3_error **reterr);
