/* SPDX-License-Identifier: MIT */
/*
 * The session's values, what placeholders read: who runs (user name, ids),
 * in which session (its id), with which directories and sandboxed environment
 * variables. Together with a profile (and external mounts), they compile into
 * a spec. The public API sets them through struct ag3_context.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/spec.h"

/* The directory placeholders ({agent_dir} ...) a profile may use. */
enum ag3_dir {
	AG3_DIR_AGENT,     /* {agent_dir}     default "/"                            */
	AG3_DIR_SESSIONS,  /* {sessions_dir}  default "/sessions"                    */
	AG3_DIR_SESSION,   /* {session_dir}   default {sessions_dir}/{session_id}    */
	AG3_DIR_WORKSPACE, /* {workspace_dir} --workspace; NULL = ephemeral tmpfs   */
	AG3_DIR_CONFIG,    /* {config_dir}    default "/config"                      */
	AG3_DIR_SKILLS,    /* {skills_dir}    default "/skills"                      */
	AG3_DIR_LOGS,      /* {logs_dir}      default "/logs"                        */
	AG3_DIR_DATA,      /* {data_dir}      default "/data"                        */
	_AG3_DIR_MAX,
	_AG3_DIR_INVALID = -EINVAL,
};

struct ag3_vars {
	char *username;   /* {username}; NULL = not given */
	char *session_id; /* {session_id}; NULL = not given */
	bool uid_set;
	uid_t uid;
	bool gid_set;
	gid_t gid;
	char *dirs[_AG3_DIR_MAX]; /* NULL = the default above */
	/* sandboxed_envs after the platform's global < per-user override rules */
	struct ag3_env_var *env;
	size_t n_env;
};

struct ag3_vars *ag3_vars_new(void);
void ag3_vars_free(struct ag3_vars *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_vars *, ag3_vars_free)

/* "agent_dir" ... "data_dir" (the placeholder's name without braces). */
const char *ag3_dir_to_string(enum ag3_dir d);
enum ag3_dir ag3_dir_from_string(const char *s);

/* Sets a string field (copying it). 0 or -ENOMEM. */
int ag3_vars_set_dir(struct ag3_vars *s, enum ag3_dir d, const char *path);

/* Sets username / session id (copying; NULL clears). 0 or -ENOMEM. */
int ag3_vars_set_username(struct ag3_vars *s, const char *username);
int ag3_vars_set_session_id(struct ag3_vars *s, const char *session_id);
/* Adds (or replaces) a sandboxed environment variable, copied. 0, -EINVAL (bad name) or -ENOMEM. */
int ag3_vars_set_env(struct ag3_vars *s, const char *name, const char *value);

/*
 * The effective value of a directory placeholder: the one set, or its
 * default ({agent_dir}/sessions, {sessions_dir}/{session_id}, {agent_dir}/config...),
 * "//" collapsed. 0 with a new string in *ret; -ENODATA when it has no value
 * (workspace_dir not given; session_dir without a session id); -EINVAL when
 * it is set to ""; -ENOMEM.
 */
int ag3_vars_get_dir(const struct ag3_vars *s, enum ag3_dir d, char **ret);
