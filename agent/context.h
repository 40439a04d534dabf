/* SPDX-License-Identifier: MIT */
/*
 * The context: everything that goes into a spec besides the profile itself
 * (the session, external mounts, dynamic mount requests, secrets files, the
 * host root) and the uid policy every explicitly given id goes through. The
 * one way from a profile, or a precompiled spec, to a spec that may run: the
 * CLI and the embedding API (ag3_context_*, ag3_run) both go through it, so
 * neither can skip a check.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy/uid-policy.h"
#include "policy/vars.h"
#include "runtime/spec.h"
#include "runtime/util/error.h"

struct ag3_context {
	char *profile_path;   /* NULL: the embedded default profile */
	char *mounts_path;    /* external-mounts.yaml; NULL: none */
	char **secrets_paths; /* in order: the first is global, later ones per-user */
	size_t n_secrets;
	char **dynamic_args; /* dynamic mount requests, as given (BASE[/SUB][:ro|rw][=ALIAS]) */
	size_t n_dynamic;
	char *host_root; /* absolute; NULL: none */
	struct ag3_uid_policy uid_policy;
	struct ag3_vars *vars; /* ids, user, directories; secrets are loaded into it */
	bool owns_vars;
};

/* A context with the default uid policy, holding `vars` (borrowed: the caller
 * frees it after the context) or, when NULL, a new one of its own. NULL on ENOMEM. */
struct ag3_context *ag3_context_new_with(struct ag3_vars *vars);
void ag3_context_free(struct ag3_context *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_context *, ag3_context_free)

/* Setters copy their argument; 0, -EINVAL or -ENOMEM. */
int ag3_context_set_profile_file(struct ag3_context *c, const char *path);
int ag3_context_set_mounts_file(struct ag3_context *c, const char *path);
int ag3_context_add_secrets_file(struct ag3_context *c, const char *path);
int ag3_context_add_dynamic(struct ag3_context *c, const char *request);
int ag3_context_set_host_root(struct ag3_context *c, const char *dir);

/* Whether any session value (user, session id, ids, a directory) is set. */
bool ag3_context_vars_given(const struct ag3_context *c);

/*
 * Loads the profile (or the default), the secrets files into the session, the
 * external mounts, parses the dynamic requests, and compiles under the uid
 * policy. 0, or -errno with *reterr set.
 */
int ag3_context_compile(struct ag3_context *c, struct ag3_spec **ret, struct ag3_error **reterr);

/*
 * Loads a precompiled spec (JSON) from `path`: refused when the context holds a
 * profile, mounts, secrets, dynamic requests, a host root or session values
 * (the spec is compiled already); every id in it is checked as in
 * ag3_context_check_spec_ids. 0, or -errno with *reterr set.
 */
int ag3_context_load_spec(const struct ag3_context *c, const char *path, struct ag3_spec **ret,
			  struct ag3_error **reterr);

/*
 * Every id of a spec (uid, gid, each supplementary group) through the uid
 * policy, as explicitly given ids are at compile time. `name` (a file name, or
 * NULL) prefixes the message. 0 or -EPERM with *reterr set.
 */
int ag3_context_check_spec_ids(const struct ag3_context *c, const struct ag3_spec *spec,
			       const char *name, struct ag3_error **reterr);
