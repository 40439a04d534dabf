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
 *   struct ag3_session *s = ag3_session_new();
 *   ag3_session_set_user(s, "alice", "20260127_101500_1a2b3c4d");
 *   ag3_session_set_ids(s, 50001, 50001);
 *   ag3_session_set_workspace(s, "/users/alice/sessions/.../workspace");
 *   struct ag3_spec *spec = NULL;
 *   ag3_compile(profile, s, &spec, &err);
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

struct ag3_error;
struct ag3_profile;
struct ag3_session;
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

/* The session context. Setters copy their arguments; 0, -EINVAL or -ENOMEM. */
struct ag3_session *ag3_session_new(void);
void ag3_session_free(struct ag3_session *s);
int ag3_session_set_user(struct ag3_session *s, const char *username, const char *session_id);
int ag3_session_set_ids(struct ag3_session *s, uid_t uid, gid_t gid);
int ag3_session_set_workspace(struct ag3_session *s, const char *host_path);

/* profile + session -> spec. -EINVAL with a message naming the profile key on error. */
int ag3_compile(const struct ag3_profile *profile, const struct ag3_session *session,
		struct ag3_spec **ret, struct ag3_error **err);

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
 * not executable / not found), or -EINVAL for an empty argv. When
 * result_json is not NULL it receives the result record (free() it).
 */
int ag3_run(const struct ag3_spec *spec, char *const *argv, char **result_json);

#ifdef __cplusplus
}
#endif

#endif
