/* SPDX-License-Identifier: MIT */
/*
 * The one option parser of the subcommands: getopt_long over the shared
 * profile-and-session options (cli_source, when the command takes them) and a
 * command's own table, with -h/--help, "given twice" errors, strict numbers,
 * and the "Try 'ag3ntum-sandbox CMD --help'." line after an unknown option.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct cli_source;

enum cli_opt_kind {
	CLI_OPT_FLAG,     /* no argument: *(bool *)dst = value */
	CLI_OPT_STRING,   /* *(const char **)dst = the argument (into argv) */
	CLI_OPT_ABS_PATH, /* CLI_OPT_STRING that must be an absolute path */
	CLI_OPT_U64,      /* *(unsigned long long *)dst = the argument, 0..max */
	CLI_OPT_CALL,     /* call(dst, arg): 0, or -1 with the message printed */
};

struct cli_opt {
	const char *name; /* the long option, without "--" */
	int short_name;   /* 'o', or 0 */
	enum cli_opt_kind kind;
	void *dst;
	bool value;             /* FLAG: the value it stores */
	bool once;              /* STRING: a second one is "--NAME given twice ('a', then 'b')" */
	unsigned long long max; /* U64 */
	const char *invalid;    /* U64: "--NAME: 'ARG' <invalid>" on a bad number */
	bool *given;            /* U64, STRING: set when the option is seen (may be NULL) */
	int (*call)(void *dst, const char *arg); /* CALL */
};

#define CLI_MAX_OPTS 16 /* a command's own options */

/*
 * The exit status of a usage error in every subcommand: an unknown option, a bad
 * option value, a missing or a stray operand. (exec's 125 is for a sandbox that
 * could not be set up, never for a mistyped command line.)
 */
#define CLI_EXIT_USAGE 2

struct cli_command_options {
	const char *cmd;            /* "exec": the "Try" line names it */
	const char *help;           /* printed by -h/--help (see cli_print_help) */
	struct cli_source *source;  /* takes the shared options into it; NULL: none */
	bool permute;               /* operands may come before options (getopt's default) */
	const struct cli_opt *opts; /* terminated by a zero entry; at most CLI_MAX_OPTS */
};

/*
 * Parses argv (argv[0] is the command's name). 1: go on, the operands start
 * at *first; 0: stop and exit with *code (help printed: 0; a bad option,
 * message printed: CLI_EXIT_USAGE).
 */
int cli_parse_options(const struct cli_command_options *c, int argc, char **argv, int *first,
		      int *code);

/*
 * Refuses the operands from argv[at] on, which `cmd` does not take: 0 when there
 * is none; else -1 with "CMD: unexpected argument 'ARG'" (the first of them) and
 * the "Try" line printed. The caller exits with CLI_EXIT_USAGE.
 */
int cli_refuse_operands(const char *cmd, int argc, char **argv, int at);

/* Prints a help text whose one "%s" (if any) stands for the shared options' help. */
void cli_print_help(FILE *f, const char *help);

/* Strict number parsing: the whole string, base 10, in [0, max]. 0 or -1. */
int cli_parse_u64(const char *s, unsigned long long max, unsigned long long *ret);

/* An option that takes one value: a second one is "OPTION given twice ('a', then 'b')".
 * 1, or -1 with the error printed. */
int cli_set_once(const char **slot, const char *option, const char *arg);

/* Did-you-mean (cli_suggest.c). Words longer than this get no suggestion. */
#define CLI_SUGGEST_MAX_LEN 64

/* The optimal string alignment distance between a[0..n) and b[0..m) (an adjacent
 * swap costs 1); SIZE_MAX when either is longer than CLI_SUGGEST_MAX_LEN. */
size_t cli_edit_distance(const char *a, size_t n, const char *b, size_t m);

/* The known word nearest to word[0..len) (the first of equals), if it is near
 * enough to be a typo of it: at most a third of len away (1 or 2), and nearer than
 * its own length. NULL when none is (NULL entries of `known` are skipped). */
const char *cli_suggest(const char *word, size_t len, const char *const *known, size_t n);
