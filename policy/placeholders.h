/* SPDX-License-Identifier: MIT */
/*
 * Placeholders in profile paths: {agent_dir}, {sessions_dir}, {session_dir},
 * {workspace_dir}, {config_dir}, {skills_dir}, {logs_dir}, {data_dir},
 * {username}, {session_id}, resolved for one session, and the checks every
 * profile path goes through (absolute, no '..', no control character, no
 * bwrap mount option). Below the compiler and the external mounts, which
 * both use it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy/profile-model.h"
#include "policy/profile.h"
#include "policy/vars.h"
#include "runtime/util/error.h"

/*
 * The placeholder `{name}` (letters, digits, '_') starting at s (s[0] ==
 * '{'): the length of the name, or 0 when it is not one.
 */
size_t ag3_placeholder_len(const char *s);
/* `{name` without its closing brace: the length of `name`, else 0. */
size_t ag3_placeholder_unterminated(const char *s);
/* Whether a user name or session id is usable as one path component. */
bool ag3_path_component_valid(const char *s);
/* `s` with every {username} replaced (NULL username: by ""); NULL on ENOMEM. */
char *ag3_placeholder_subst_username(const char *s, const char *username);

/* The placeholder values of one session. */
struct ag3_placeholders {
	const struct ag3_vars *s;
	const char *file; /* the profile's file, for errors */
	struct ag3_error **reterr;
	char *dirs[_AG3_DIR_MAX]; /* resolved and normalized; NULL: no value */
};

/*
 * Checks the session's user name and session id (one path component each)
 * and resolves its directories. ph->s, ph->file and ph->reterr are set by the
 * caller. On an error the directories resolved so far stay. 0 or -errno.
 */
int ag3_placeholders_resolve(struct ag3_placeholders *ph);
void ag3_placeholders_clear(struct ag3_placeholders *ph);

/*
 * Replaces the placeholders in a profile string. With `ephemeral` non-NULL, a
 * {workspace_dir} without a workspace sets *ephemeral instead of failing (and
 * *ret is then NULL). With `check_only`, only unknown names are errors.
 */
int ag3_placeholders_substitute(struct ag3_placeholders *ph, const struct ag3_pstr *f,
				const char *what, bool *ephemeral, bool check_only, char **ret);

/*
 * Normalizes an absolute profile path: runs of '/' and "." components
 * collapse, a trailing '/' goes; ".." components are refused (never resolved
 * lexically: that is how "/users/{username}/.." escapes).
 */
int ag3_placeholders_normalize(struct ag3_placeholders *ph, const struct ag3_pmeta *meta,
			       const char *what, const char *in, char **ret);

/*
 * The profile's mount targets (static, session, dynamic and original-path
 * mounts, and tmpfs_paths), placeholders resolved for `vars` and
 * normalized, in YAML order; targets that cannot be resolved (a placeholder
 * with no value) are left out. For the reserved-path rule of external mounts.
 * 0 with a new NULL-terminated array (free each string, then the array), or
 * -ENOMEM.
 */
int ag3_profile_mount_targets(const struct ag3_profile *profile, const struct ag3_vars *vars,
			      char ***ret);
