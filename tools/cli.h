/* SPDX-License-Identifier: MIT */
/* The CLI's shared pieces: session/profile options, messages, subcommands. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "policy/profile.h"
#include "policy/session.h"
#include "runtime/spec.h"

#define PROG "ag3ntum-sandbox"

/* Options shared by compile and exec (and later explain, check). */
struct cli_source {
	const char *profile_path; /* NULL: the embedded default */
	const char *spec_path;    /* a compiled spec instead of a profile */
	struct ag3_session *session;
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
	OPT_DIR_FIRST, /* OPT_DIR_FIRST + enum ag3_dir: --agent-dir ... --data-dir */
	OPT_LOCAL_FIRST = OPT_DIR_FIRST + 16,
};

/* The long options for struct cli_source, terminated by a zero entry; `extra` is appended. */
struct option;
struct option *cli_source_options(const struct option *extra);

/* Handles one shared option: 1 if it was one, 0 if not, -1 on a bad value (message printed). */
int cli_source_handle(struct cli_source *src, int opt, const char *arg);

/* Loads the profile (or spec) and compiles it. Prints errors; returns 0 or -1. */
int cli_source_spec(struct cli_source *src, struct ag3_spec **ret);

/* The help text block for the shared options. */
extern const char cli_source_help[];

/* Replaces control characters (terminal escapes from hostile input) with '?'. */
void cli_sanitize(char *s);

/* Prints "ag3ntum-sandbox: <msg>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints an ag3_error ("ag3ntum-sandbox: file:line:col: msg"), prefixed by `what` if not NULL. */
void cli_print_error(const char *what, const struct ag3_error *e);

/* Reads a whole file (at most `max` bytes). 0 or -errno; message printed. */
int cli_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Strict number parsing: the whole string, base 10, in [min, max]. 0 or -1. */
int cli_parse_u64(const char *s, unsigned long long max, unsigned long long *ret);

int cli_exec(int argc, char **argv);
int cli_compile(int argc, char **argv);
int cli_lint(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_explain(int argc, char **argv);
int cli_doctor(int argc, char **argv);
