/* SPDX-License-Identifier: MIT */
/* The CLI's shared pieces: session/profile options, messages, subcommands. */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "policy/mounts-config.h"
#include "policy/profile.h"
#include "policy/uid-policy.h"
#include "policy/vars.h"
#include "runtime/spec.h"

#define PROG "ag3ntum-sandbox"

#define CLI_MAX_SECRETS 16 /* --secrets files */
#define CLI_MAX_DYNAMIC 64 /* --dynamic requests */

/*
 * Options shared by compile and exec (and lint, explain, check). Zero-
 * initialize it and set `vars`; nothing in it needs freeing (the strings
 * point into argv).
 */
struct cli_source {
	const char *profile_path; /* NULL: the embedded default */
	const char *spec_path;    /* a compiled spec instead of a profile */
	struct ag3_vars *vars;
	const char *mounts_path;                    /* --mounts: external-mounts.yaml; NULL: none */
	const char *secrets_paths[CLI_MAX_SECRETS]; /* --secrets, in order (first: global) */
	size_t n_secrets;
	const char *dynamic_args[CLI_MAX_DYNAMIC]; /* --dynamic, as given */
	size_t n_dynamic;
	enum ag3_uid_mode uid_mode; /* --uid-mode; 0 = isolated */
	bool api_uid_set;           /* --api-uid; default AG3_API_UID_DEFAULT */
	uid_t api_uid;
	const char *host_root;      /* --host-root: absolute; NULL: none */
	const char *session_socket; /* --session PATH (with a '/'): exec in an open session */
};

/* getopt_long option codes >= 256 for the shared options. */
enum {
	OPT_PROFILE = 256,
	OPT_SPEC,
	OPT_WORKSPACE,
	OPT_UID,
	OPT_GID,
	OPT_USER,
	OPT_SESSION,
	OPT_SESSION_ID,
	OPT_DIR_FIRST, /* OPT_DIR_FIRST + enum ag3_dir: --agent-dir ... --data-dir */
	OPT_MOUNTS = OPT_DIR_FIRST + 16,
	OPT_SECRETS,
	OPT_DYNAMIC,
	OPT_UID_MODE,
	OPT_API_UID,
	OPT_HOST_ROOT,
	OPT_LOCAL_FIRST = OPT_DIR_FIRST + 32,
};

/* The shared options' getopt_long table (codes above), for cli_parse_options. */
#define CLI_SOURCE_N_OPTIONS 21
extern const struct option cli_source_options[CLI_SOURCE_N_OPTIONS];

/* Handles one shared option: 1 if it was one, 0 if not, -1 on a bad value (message printed). */
int cli_source_handle(struct cli_source *src, int opt, const char *arg);

/* The library's context step (agent/context.h): compiles the profile, or loads --spec,
 * every id through the uid policy. Prints errors; returns 0 or -1. */
int cli_source_spec(struct cli_source *src, struct ag3_spec **ret);
/* cli_source_spec without printing (and without the --session check): 0, or -errno
 * with *err set. */
int cli_source_compile(const struct cli_source *src, struct ag3_spec **ret, struct ag3_error **err);

/* The library's context for `src`: its session, its files, its uid policy (nothing is
 * loaded yet, nothing printed). NULL on ENOMEM or an invalid value. */
struct ag3_context *cli_source_context(const struct cli_source *src);

/* Loads --profile, or the embedded default. 0, or -errno with *reterr set (nothing printed). */
int cli_source_profile(const struct cli_source *src, struct ag3_profile **ret,
		       struct ag3_error **reterr);

/* Loads --mounts into *ret (NULL when not given). Prints errors; returns 0 or -1. */
int cli_source_load_mounts(const struct cli_source *src, struct ag3_mounts_config **ret);

/* The help text block for the shared options. */
extern const char cli_source_help[];

/*
 * Every untrusted string the CLI prints (a tool input, a rule, a path, argv, a
 * profile's or a spec's value, a setup error) goes through cli_esc, or is a JSON
 * document printed by cli_print_json: ag3_escape_text's \xHH for control
 * characters (C0, DEL, C1 as UTF-8 or raw bytes), bidi controls and invalid UTF-8.
 *
 * cli_esc returns the escaped copy, valid until CLI_ESC_SLOTS more calls (so one
 * printf can take several); never NULL.
 */
#define CLI_ESC_SLOTS 16
const char *cli_esc(const char *s);

/* Prints JSON text (and a newline if it does not end in one), escaped by
 * ag3_escape_json: the same value, valid JSON, no raw DEL, C1 or bidi control.
 * 0, or -1 (message printed). */
int cli_print_json(FILE *f, const char *json);

/* Prints "ag3ntum-sandbox: <msg>" to stderr, the message escaped with cli_esc. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints an ag3_error ("ag3ntum-sandbox: file:line:col: msg"), prefixed by `what` if not NULL. */
void cli_print_error(const char *what, const struct ag3_error *e);

/*
 * Writes `len` bytes to `path` as a new file: created with `mode` (O_EXCL, a random
 * name) in the path's directory, which is resolved without following any symlink,
 * then renamed over `path`. Whatever was at `path` (another user's file, a symlink,
 * a hard link) is replaced, never opened or written through; on failure nothing is
 * left and `path` is unchanged. 0 or -errno.
 */
int cli_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/*
 * cli_write_file_atomic in two steps: the directory opened first (resolved
 * without following any symlink, and held: the file goes to that directory
 * whatever is renamed or planted on the path meanwhile), the file written later.
 * With `probe`, what the write would fail on is found at the open: `path` a
 * directory (EISDIR), no file can be made in the directory (a file is made there
 * and removed at once; whatever is at `path` is left alone). 0 or -errno.
 */
struct cli_target {
	int dirfd;
	char *abs;
	const char *name; /* in abs */
};
int cli_target_open(const char *path, bool probe, struct cli_target *t);
int cli_target_write(const struct cli_target *t, const void *data, size_t len, mode_t mode);
void cli_target_close(struct cli_target *t);

/*
 * A listening unix socket's path (`session open --socket`, `serve --socket`): its
 * directory must be the caller's or root's and not writable by others without the
 * sticky bit, and (spec not NULL) out of the spec's binds. Prints errors; 0 with
 * *ret_abs the absolute path, or -1.
 */
int cli_socket_check_dir(const char *path, const struct ag3_spec *spec, char **ret_abs);
/* Binds and listens on a new socket of `type` at `path` (an existing file is an error),
 * created with `mode`; its inode in *dev, *ino. Prints errors; the fd or -1. */
int cli_socket_listen(const char *path, int type, mode_t mode, dev_t *dev, ino_t *ino);
/* SIGTERM, SIGINT, SIGHUP blocked and read from the returned signalfd; SIGPIPE ignored. */
int cli_stop_signals(void);

/* The subcommands (argv[0] is the command's name) and their help texts (cli_print_help). */
int cli_exec(int argc, char **argv);
int cli_session(int argc, char **argv);
/* Whether any --*-dir option was given. */
bool cli_vars_dirs_given(const struct ag3_vars *v);
int cli_compile(int argc, char **argv);
int cli_lint(int argc, char **argv);
/* `--version [--json]` (argv[0] is "--version"): the version and the build's features. */
int cli_version(int argc, char **argv);
struct ag3_lint_report;
/* A lint report as a SARIF 2.1.0 log on stdout (cli_lint_sarif.c). 0, or -1 with the
 * error printed. */
int cli_lint_print_sarif(const struct ag3_lint_report *rep);
/* Prints `json` (NULL: allocation failed) indented, escaped, on stdout and deletes it.
 * 0, or -1 with the error printed. */
struct cJSON;
int cli_lint_print_cjson(struct cJSON *json);
int cli_check(int argc, char **argv);
int cli_explain(int argc, char **argv);
int cli_doctor(int argc, char **argv);
int cli_resolve(int argc, char **argv);
int cli_serve(int argc, char **argv);
/* bubblewrap's command line (argv without the program name; `prog` for usage). */
int cli_bwrap(int argc, char **argv, const char *prog);
int cli_bwrap_cmd(int argc, char **argv);
extern const char cli_bwrap_help[];
extern const char cli_session_help[];
extern const char cli_exec_help[], cli_compile_help[], cli_lint_help[], cli_check_help[],
	cli_explain_help[], cli_doctor_help[], cli_resolve_help[], cli_serve_help[];
