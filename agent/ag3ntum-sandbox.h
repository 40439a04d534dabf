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
 * Many commands, from any thread (see "Sessions" below):
 *
 *   struct ag3_session *s = NULL;
 *   ag3_session_open(ctx, &s, &err);
 *   struct ag3_command *c = ag3_command_new();
 *   ag3_command_set_shell(c, "ls -la");
 *   ag3_command_set_capture(c, 0);
 *   struct ag3_exec_result *r = NULL;
 *   ag3_session_exec(s, c, &r, &err);   // r->status, r->exit_code, r->stdout_data, r->json
 *   ag3_exec_result_free(r);
 *   ag3_command_free(c);
 *   ag3_session_close(s);
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * errno on failure; where they take `struct ag3_error **err` they leave a
 * message there on failure (free it with ag3_error_free). The library never
 * prints, logs or exits. Every object is freed by its own _free function,
 * which accepts NULL.
 */
#ifndef AG3NTUM_SANDBOX_H
#define AG3NTUM_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
 * CLI), not from a multi-threaded program (there: ag3_session_open). Returns the exit code the CLI would use (the
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

/*
 * Sessions: one warm sandbox for many commands, from any thread.
 *
 *   struct ag3_session *s = NULL;
 *   ag3_session_open(ctx, &s, &err);             // or ag3_session_open_spec(ctx, spec, ...)
 *   struct ag3_command *c = ag3_command_new();
 *   ag3_command_set_shell(c, "make test");       // or ag3_command_set_argv
 *   ag3_command_set_capture(c, 0);               // stdout/stderr into the result
 *   struct ag3_exec_result *r = NULL;
 *   ag3_session_exec(s, c, &r, &err);            // from as many threads as you like
 *   printf("%d %.*s", ag3_exec_result_exit_code(r), (int)r->stdout_len, r->stdout_data);
 *   ag3_exec_result_free(r);
 *   ag3_command_free(c);
 *   ag3_session_close(s);                        // after every exec has returned
 *
 * The sandbox is built and kept by a broker: the CLI binary
 * (`ag3ntum-sandbox session serve`, from $AG3NTUM_SANDBOX_BIN, else the installed
 * one), started with posix_spawn (no fork of the calling process: safe in a
 * multi-threaded program), with its signals at their defaults, an empty signal
 * mask, a session of its own, stdio on /dev/null and no fd of the caller's but
 * its control socket and the spec. It re-checks the spec's ids with the
 * context's uid policy. Each command gets a connection of its own, handed over
 * the control socket; the calling thread supervises it (no signal, no wait on
 * any child: an embedder's SIGCHLD handler, or SIGCHLD ignored, changes
 * nothing). The session ends, with every process of it, when it is closed or
 * when the process that opened it ends (the control socket's end).
 *
 * ag3_session_open: compiles ctx (ag3_context_compile) and opens the result.
 * ag3_session_open_spec: opens a spec; ctx (NULL: the default) gives only the uid
 * policy its ids are checked with (-EPERM, nothing starts). Both return when the
 * sandbox is ready: 0, or -errno with *err saying why (a setup failure included).
 * ag3_session_close: ends the session and waits until the broker and every
 * process of the session are gone (a broker that does not end within 30 s is
 * killed). Call it once no ag3_session_exec on `s` is running. NULL is fine.
 */
struct ag3_session;
struct ag3_command;

int ag3_session_open(struct ag3_context *ctx, struct ag3_session **ret, struct ag3_error **err);
int ag3_session_open_spec(const struct ag3_context *ctx, const struct ag3_spec *spec,
			  struct ag3_session **ret, struct ag3_error **err);
int ag3_session_close(struct ag3_session *s);
/*
 * What the open session enforces, as the result record's "enforcement" object
 * (JSON text: mode, uid, gid, namespaces, seccomp, landlock_abi, and "degraded",
 * the list of what this machine could not give and the profile allowed to go
 * without; capabilities_dropped and no_new_privs are each command's, in its
 * result record). Valid until ag3_session_close; NULL for NULL.
 */
const char *ag3_session_enforcement(const struct ag3_session *s);

/*
 * A command's settings (copied; 0, -EINVAL or -ENOMEM; reusable for many execs,
 * not changed by them; one command object is not to be changed while an exec
 * reads it).
 *   set_argv        argv[0] looked up in the spec's PATH; replaces a shell script
 *   set_shell       /bin/sh -c SCRIPT; replaces argv
 *   set_cwd         the working directory inside the sandbox (default: the spec's)
 *   add_env         NAME=VALUE over the spec's environment (NAME: no '=', not empty)
 *   set_stdin       these bytes on stdin, then EOF; at most 1 MiB (-E2BIG), fed
 *                   through a pipe sized to hold them (an exec fails with -E2BIG
 *                   if the kernel refuses that pipe size: fs.pipe-max-size); len 0:
 *                   an empty stdin. Replaces set_fds' `in`.
 *   set_fds         the caller's fds as the command's stdin, stdout, stderr (the
 *                   command gets duplicates; -1: /dev/null); `in` replaces set_stdin
 *   set_capture     stdout and stderr captured into the result, each capped (the
 *                   first and last halves kept, `truncated` set) at the spec's
 *                   limits.output_bytes, or at max_bytes when that is lower (0: the
 *                   spec's cap); replaces set_fds' `out` and `err`
 *   set_timeout_ms  this command's limit instead of the spec's limits.timeout_ms (0:
 *                   none); the command is killed and its status is "timeout"
 *   set_cancel_fd   when this fd becomes readable (an eventfd, a pipe), the command
 *                   is stopped (SIGTERM, the spec's kill grace, SIGKILL) and its
 *                   status is "signaled" (SIGTERM when it had not started yet); borrowed
 * Without set_fds or set_capture, stdin, stdout and stderr are /dev/null: the
 * library never hands the command the calling program's own stdio unless given.
 */
struct ag3_command *ag3_command_new(void);
void ag3_command_free(struct ag3_command *c);
int ag3_command_set_argv(struct ag3_command *c, char *const *argv);
int ag3_command_set_shell(struct ag3_command *c, const char *script);
int ag3_command_set_cwd(struct ag3_command *c, const char *dir);
int ag3_command_add_env(struct ag3_command *c, const char *name, const char *value);
int ag3_command_set_stdin(struct ag3_command *c, const void *data, size_t len);
int ag3_command_set_fds(struct ag3_command *c, int in, int out, int err);
int ag3_command_set_capture(struct ag3_command *c, size_t max_bytes);
int ag3_command_set_timeout_ms(struct ag3_command *c, uint64_t ms);
int ag3_command_set_cancel_fd(struct ag3_command *c, int fd);

/* How a command ended (the result record's "status"). */
enum ag3_exec_status {
	AG3_EXEC_EXITED,       /* exit_code is its own                                  */
	AG3_EXEC_SIGNALED,     /* killed by `signal` (a cancel included)                */
	AG3_EXEC_TIMEOUT,      /* ran past its timeout and was killed                   */
	AG3_EXEC_OOM,          /* the memory limit's OOM killer ended it                */
	AG3_EXEC_SETUP_FAILED, /* it never ran: `error` says why (not found: exec stage) */
};

/* One command's result. Strings and data belong to it (ag3_exec_result_free). */
struct ag3_exec_result {
	enum ag3_exec_status status;
	const char *status_name; /* "exited", "signaled", "timeout", "oom", "setup_failed" */
	int exit_code;           /* the command's own exit status (exited), else 0          */
	int signal;              /* the killing signal (signaled, timeout), else 0          */
	uint64_t duration_ms;
	/* captured output (set_capture), NUL-terminated for convenience (the data may hold
	 * NULs: use the length); NULL and 0 when not captured */
	const char *stdout_data, *stderr_data;
	size_t stdout_len, stderr_len;
	uint64_t stdout_total, stderr_total; /* bytes the command wrote */
	bool stdout_truncated, stderr_truncated;
	const char *error; /* setup_failed: the reason; else NULL */
	const char *json;  /* the result record, as `exec --json` prints it (one object) */
};

/*
 * Runs `c` in the session and waits for its end, in the calling thread. Returns 0
 * with *ret set whenever the command was tried (whatever its status: a session
 * whose sandbox is gone gives "setup_failed" with the reason, never an
 * unsandboxed run); -EINVAL (no argv), -E2BIG (stdin bytes), -ENOMEM or -errno
 * with *err set, and *ret NULL, when it was not.
 */
int ag3_session_exec(struct ag3_session *s, const struct ag3_command *c,
		     struct ag3_exec_result **ret, struct ag3_error **err);
/* The exit code the CLI would use: the command's own; 128+N for signal N; 124 timeout;
 * 125 setup failed; 126/127 not executable / not found. */
int ag3_exec_result_exit_code(const struct ag3_exec_result *r);
void ag3_exec_result_free(struct ag3_exec_result *r);

/*
 * Paths for the agent platform's file tools (Read, Write, Edit, Glob, Grep, LS),
 * which run outside the sandbox: may the tool use `path` for `operation` ("read",
 * "write", "edit", "delete", "list", "glob", "grep") in the session `spec` was
 * compiled for? The platform's PathValidator rules (areas, blocklist, read-only
 * prefixes, cross-user and cross-session refusal) on the spec's own mount table,
 * and when allowed, the object opened beneath its bind's host source without
 * following a symlink out of it, so the caller uses exactly what was checked.
 * README "Resolving paths for file tools" has the rules and reason codes.
 *
 *   struct ag3_path *p = NULL;
 *   ag3_resolve_path(spec, "alice", "s1", NULL, "read", "src/main.c", 0, &p, &err);
 *   if (p->allowed) read(p->fd, ...); else tell_the_model(p->reason, p->message);
 *   ag3_path_free(p);
 *
 * The fds are opened with the CALLER's credentials (often root), not the sandbox
 * uid's. username/session_id NULL: taken from the workspace bind's source
 * (.../users/<u>/sessions/<sid>/...). rules NULL (or a NULL list): the platform's
 * newest defaults. flags: AG3_PATH_ALLOW_DIRECTORY (LS, Glob, Grep pass it).
 * Returns 0 with *ret set whenever a decision was made (allowed or not), -EINVAL
 * (an unknown operation or flag, a NULL argument) or -ENOMEM with *err set.
 */
struct ag3_path_rules {
	const char *const *blocklist;         /* NULL-terminated globs               */
	const char *const *exemptions;        /* basenames the name patterns spare   */
	const char *const *readonly_prefixes; /* workspace-relative, whole components */
};

#define AG3_PATH_ALLOW_DIRECTORY 1u

struct ag3_path {
	bool allowed;
	const char *reason;       /* "ALLOWED", "PATH_TRAVERSAL", "BLOCKLIST" ...          */
	const char *message;      /* one line a model can act on                            */
	const char *sandbox_path; /* what the agent sees (/workspace/x); NULL when unmapped */
	const char *host_path;    /* the object on the host; NULL when unknown               */
	bool readonly;            /* the area is read-only for file tools                    */
	bool is_directory;
	/*
	 * Allowed: read/list/glob/grep -> fd (O_RDONLY); edit -> fd (O_RDWR);
	 * write/delete -> dir_fd (the parent, O_PATH) + name, for openat(dir_fd, name,
	 * O_WRONLY|O_CREAT|O_NOFOLLOW|O_NONBLOCK) then fstat, refusing anything but a
	 * regular file (the sandbox may swap a fifo in) / unlinkat (a file bind's
	 * write: fd O_RDWR).
	 * -1 when unused. ag3_path_free closes them: set them to -1 to keep one.
	 */
	int fd, dir_fd;
	const char *name;
	const char *json; /* the decision as `resolve --json` prints it */
};

int ag3_resolve_path(const struct ag3_spec *spec, const char *username, const char *session_id,
		     const struct ag3_path_rules *rules, const char *operation, const char *path,
		     unsigned flags, struct ag3_path **ret, struct ag3_error **err);
void ag3_path_free(struct ag3_path *p);

#ifdef __cplusplus
}
#endif

#endif
