/* SPDX-License-Identifier: MIT */
/*
 * ag3ntum-sandbox: the public embedding API (libag3ntum-sandbox.so, pkg-config
 * "ag3ntum-sandbox").
 *
 * Usage:
 *
 *   struct ag3_error *err = NULL;
 *   struct ag3_profile *profile = NULL;
 *   ag3_profile_load_file("permissions.yaml", &profile, &err);   // or _load_default
 *   struct ag3_context *ctx = ag3_context_new();
 *   ag3_context_set_user(ctx, "alice", "20260127_101500_1a2b3c4d");
 *   ag3_context_set_ids(ctx, 50001, 50001);
 *   ag3_context_set_workspace(ctx, "/users/alice/sessions/.../workspace");
 *   struct ag3_spec *spec = NULL;
 *   ag3_compile(profile, ctx, &spec, &err);
 *   char *result_json = NULL;
 *   int code = ag3_run(spec, (char *[]){"bash", "-c", "ls -la", NULL}, &result_json);
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure; where they take `struct ag3_error **err` they leave a
 * message there on failure (free it with ag3_error_free). The library never
 * prints, logs or exits. Every object is freed by its own _free function,
 * which accepts NULL.
 */
#ifndef AG3NTUM_SANDBOX_H
#define AG3NTUM_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ag3_context;
struct ag3_error;
struct ag3_profile;
struct ag3_spec;

/* "0.1.0" */
const char *ag3_version(void);

/* Errors. ag3_error_format returns a malloc'ed "file:line:col: message" (or NULL). */
void ag3_error_free(struct ag3_error *e);
char *ag3_error_format(const struct ag3_error *e);

/* Profiles: -EINVAL (with file:line:col) for anything malformed or unknown, -errno for I/O. */
int ag3_profile_load_file(const char *path, struct ag3_profile **ret, struct ag3_error **err);
int ag3_profile_load_default(struct ag3_profile **ret, struct ag3_error **err);
void ag3_profile_free(struct ag3_profile *p);

/*
 * profile + the context's session values (user, session id, ids, workspace:
 * the setters below) -> spec. Nothing else of the context is used: no file it
 * names is read (profile, mounts, dynamic requests, secrets) and its uid
 * policy is not applied (explicitly given ids go through the default one);
 * ag3_context_compile uses them all (the secrets it loads stay in the
 * session values). ctx NULL: no session values. -EINVAL with a message naming
 * the profile key on error.
 */
int ag3_compile(const struct ag3_profile *profile, const struct ag3_context *ctx,
		struct ag3_spec **ret, struct ag3_error **err);

/*
 * The context: a profile file, the session's values, and what else goes into a spec
 * (external mounts, dynamic mount requests, secrets files), with the uid policy
 * every explicitly given id goes through (the CLI's --profile, --mounts,
 * --dynamic, --secrets, --uid-mode, --api-uid, --host-root; README.md explains
 * each). The CLI compiles and loads specs through it, with the same checks.
 *
 *   struct ag3_context *ctx = ag3_context_new();
 *   ag3_context_set_profile_file(ctx, "permissions.yaml");
 *   ag3_context_set_mounts_file(ctx, "external-mounts.yaml");
 *   ag3_context_set_user(ctx, "alice", "s1");
 *   ag3_context_compile(ctx, &spec, &err);
 *
 * Setters copy their arguments: 0, -EINVAL or -ENOMEM. The uid mode is
 * "isolated" (the default: 50000-60000, and 2000-49999), "direct" (1000-65533)
 * or "any" (every id but 0 and the API uid); the API uid defaults to 45045.
 */
struct ag3_context *ag3_context_new(void);
void ag3_context_free(struct ag3_context *ctx);
/* The session's values: the user name and session id ({username}, {session_id}; NULL
 * clears, "" is -EINVAL), the ids (neither 0 nor -1), the workspace (an absolute host path). */
int ag3_context_set_user(struct ag3_context *ctx, const char *username, const char *session_id);
int ag3_context_set_ids(struct ag3_context *ctx, uid_t uid, gid_t gid);
int ag3_context_set_workspace(struct ag3_context *ctx, const char *host_path);
int ag3_context_set_profile_file(struct ag3_context *ctx, const char *path); /* NULL: default */
int ag3_context_set_mounts_file(struct ag3_context *ctx, const char *path);
int ag3_context_add_secrets_file(struct ag3_context *ctx, const char *path); /* first: global */
int ag3_context_add_dynamic(struct ag3_context *ctx,
			    const char *request); /* BASE[/SUB][:ro|rw][=ALIAS] */
int ag3_context_set_uid_mode(struct ag3_context *ctx, const char *mode);
int ag3_context_set_api_uid(struct ag3_context *ctx, uid_t api_uid);
int ag3_context_set_host_root(struct ag3_context *ctx, const char *dir);
/* Loads everything the context names and compiles it. 0, or -errno with *err set. */
int ag3_context_compile(struct ag3_context *ctx, struct ag3_spec **ret, struct ag3_error **err);
/*
 * Loads a compiled spec (JSON) from a file, for a context with no profile, no
 * session values and nothing else set; every id in it goes through the
 * context's uid policy. 0, or -errno (-EPERM for a refused id) with *err set.
 */
int ag3_context_load_spec(const struct ag3_context *ctx, const char *path, struct ag3_spec **ret,
			  struct ag3_error **err);
/* Every id of `spec` (uid, gid, supplementary groups) through the context's uid policy:
 * 0 or -EPERM with *err set. */
int ag3_context_check_spec(const struct ag3_context *ctx, const struct ag3_spec *spec,
			   struct ag3_error **err);

/* The spec's JSON form ("ag3ntum.spec/1"). flags: 1 = pretty, 2 = redact secrets. */
int ag3_spec_from_json(const char *buf, size_t len, const char *filename, struct ag3_spec **ret,
		       struct ag3_error **err);
int ag3_spec_to_json(const struct ag3_spec *spec, unsigned flags, char **ret,
		     struct ag3_error **err);
void ag3_spec_free(struct ag3_spec *spec);

/*
 * Runs argv (NULL-terminated) in a fresh sandbox built from `spec`, with the
 * caller's stdin/stdout/stderr (the command can write to them: do not give it
 * the fds a protocol runs on).
 *
 * Threads: the sandbox's first process is created with clone3 directly, so
 * glibc's fork handlers do not run in it; a lock another thread held at that
 * moment (malloc's, stdio's) stays held there. Call ag3_run from a process
 * that has no other thread (a helper process the agent loop keeps, or the
 * CLI), not from a multi-threaded program. Returns the exit code the CLI would use (the
 * command's own; 128+N for a signal; 124 timeout; 125 setup failed; 126/127
 * not executable / not found), -EINVAL for an empty argv, or -EPERM when an id
 * of the spec is refused by the default uid policy (a spec from JSON is checked
 * as the CLI checks `exec --spec`; nothing runs). When result_json is not NULL
 * it receives the result record (free() it).
 */
int ag3_run(const struct ag3_spec *spec, char *const *argv, char **result_json);
/* ag3_run with the ids checked by the context's uid policy instead of the default. */
int ag3_context_run(const struct ag3_context *ctx, const struct ag3_spec *spec, char *const *argv,
		    char **result_json);

#ifdef __cplusplus
}
#endif

#endif
