/* SPDX-License-Identifier: MIT */
/* Unit tests for tools/cli_options.c: the subcommands' one option parser. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli.h"
#include "tools/cli_options.h"

static const char help[] = "Usage: x [OPTIONS]\n%s-h, --help\n";

struct vals {
	bool flag, off;
	const char *str, *once, *path;
	unsigned long long n;
	bool n_given;
	int called;
};

static int call_twice_fails(void *dst, const char *arg)
{
	struct vals *v = dst;
	if (v->called++) {
		cli_error("--call: '%s' once only", arg);
		return -1;
	}
	return 0;
}

/* Parses argv (NULL-terminated) with a command table over `v`; returns what
 * cli_parse_options returns, *first and *code set. */
static int parse(struct vals *v, struct cli_source *src, bool permute, char **argv, int *first,
		 int *code)
{
	v->off = true;
	const struct cli_opt opts[] = {
		{"flag", 0, CLI_OPT_FLAG, &v->flag, .value = true},
		{"no-off", 0, CLI_OPT_FLAG, &v->off, .value = false},
		{"str", 's', CLI_OPT_STRING, &v->str},
		{"once", 0, CLI_OPT_STRING, &v->once, .once = true},
		{"path", 0, CLI_OPT_ABS_PATH, &v->path},
		{"num", 0, CLI_OPT_U64, &v->n, .max = 10, .invalid = "is not a number from 0 to 10",
		 .given = &v->n_given},
		{"call", 0, CLI_OPT_CALL, v, .call = call_twice_fails},
		{0},
	};
	const struct cli_command_options c = {
		.cmd = "x", .help = help, .source = src, .permute = permute, .opts = opts};
	int argc = 0;
	while (argv[argc])
		argc++;
	*first = -1;
	*code = -1;
	int r = cli_parse_options(&c, argc, argv, first, code);
	fflush(stdout);
	fflush(stderr);
	return r;
}

/* A writable argv (getopt permutes its pointers) of string literals; the test's
 * process ends with it. */
static char **argv_of(const char *const *v)
{
	size_t n = 0;
	while (v[n])
		n++;
	char **a = calloc(n + 1, sizeof(*a));
	cr_assert_not_null(a);
	for (size_t i = 0; i < n; i++)
		a[i] = (char *)v[i];
	return a;
}
#define ARGV(...) argv_of((const char *const[]){__VA_ARGS__, NULL})

Test(cli_options, values_and_operands)
{
	struct vals v = {0};
	int first, code;
	char **argv = ARGV("x", "--flag", "--no-off", "-s", "a", "--str=b", "--once", "o", "--path",
			   "/p", "--num", "10", "--call", "c", "op1", "op2");
	cr_assert_eq(parse(&v, NULL, false, argv, &first, &code), 1);
	cr_assert(v.flag);
	cr_assert(!v.off);
	cr_assert_str_eq(v.str, "b"); /* a plain string: the last one */
	cr_assert_str_eq(v.once, "o");
	cr_assert_str_eq(v.path, "/p");
	cr_assert_eq(v.n, 10);
	cr_assert(v.n_given);
	cr_assert_eq(v.called, 1);
	cr_assert_eq(first, 14);
	cr_assert_str_eq(argv[first], "op1");
}

Test(cli_options, abbreviations)
{
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "--fl", "--nu", "3"), &first, &code), 1);
	cr_assert(v.flag);
	cr_assert_eq(v.n, 3);
}

Test(cli_options, stop_at_first_operand_unless_permute)
{
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "cmd", "--flag"), &first, &code), 1);
	cr_assert(!v.flag);
	cr_assert_eq(first, 1);

	struct vals w = {0};
	char **argv = ARGV("x", "op", "--flag");
	cr_assert_eq(parse(&w, NULL, true, argv, &first, &code), 1);
	cr_assert(w.flag);
	cr_assert_eq(first, 2); /* getopt moved the operand after the options */
	cr_assert_str_eq(argv[first], "op");
}

Test(cli_options, help_with_shared_options, .init = cr_redirect_stdout)
{
	struct vals v = {0};
	int first, code;
	cr_assert_eq(
		parse(&v, NULL, false, ARGV("x", "--flag", "--help", "--bogus"), &first, &code), 0);
	cr_assert_eq(code, 0);
	char want[8192];
	snprintf(want, sizeof(want), "Usage: x [OPTIONS]\n%s-h, --help\n", cli_source_help);
	cr_assert_stdout_eq_str(want);
}

Test(cli_options, short_help, .init = cr_redirect_stdout)
{
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "-h"), &first, &code), 0);
	cr_assert_eq(code, 0);
	cli_print_help(stdout, "no placeholder: 100%\n");
	fflush(stdout);
	char want[8192];
	snprintf(want, sizeof(want), "Usage: x [OPTIONS]\n%s-h, --help\nno placeholder: 100%%\n",
		 cli_source_help);
	cr_assert_stdout_eq_str(want);
}

Test(cli_options, unknown_option, .init = cr_redirect_stderr)
{
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "--bogus"), &first, &code), 0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_stderr_eq_str("x: unrecognized option '--bogus'\n"
				"Try '" PROG " x --help'.\n");
}

/* A near miss names the option meant: the command's own, the shared ones; a
 * value after '=' is not part of the name; an ambiguous prefix gets getopt's list. */
Test(cli_options, unknown_option_did_you_mean, .init = cr_redirect_stderr)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	struct cli_source src = {.vars = s};
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "--flga"), &first, &code), 0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_eq(parse(&v, &src, true, ARGV("x", "op", "--worksapce=/w"), &first, &code), 0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "--n"), &first, &code), 0);
	cr_assert_stderr_eq_str(
		"x: unrecognized option '--flga'; did you mean '--flag'?\n"
		"Try '" PROG " x --help'.\n"
		"x: unrecognized option '--worksapce=/w'; did you mean '--workspace'?\n"
		"Try '" PROG " x --help'.\n"
		"x: option '--n' is ambiguous; possibilities: '--no-off' '--num'\n"
		"Try '" PROG " x --help'.\n");
}

Test(cli_options, missing_argument, .init = cr_redirect_stderr)
{
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "--num"), &first, &code), 0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_stderr_eq_str("x: option '--num' requires an argument\n"
				"Try '" PROG " x --help'.\n");
}

Test(cli_options, given_twice, .init = cr_redirect_stderr)
{
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "--once", "a", "--once", "b"), &first, &code),
		     0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_stderr_eq_str(PROG ": --once given twice ('a', then 'b')\n");
}

Test(cli_options, bad_number, .init = cr_redirect_stderr)
{
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "--num", "11"), &first, &code), 0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert(!v.n_given);
	cr_assert_stderr_eq_str(PROG ": --num: '11' is not a number from 0 to 10\n");
}

Test(cli_options, relative_path, .init = cr_redirect_stderr)
{
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "--path", "rel"), &first, &code), 0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_null(v.path);
	cr_assert_stderr_eq_str(PROG ": --path: 'rel' is not an absolute path\n");
}

Test(cli_options, call_fails, .init = cr_redirect_stderr)
{
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, NULL, false, ARGV("x", "--call", "a", "--call", "b"), &first, &code),
		     0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_stderr_eq_str(PROG ": --call: 'b' once only\n");
}

Test(cli_options, shared_options)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	struct cli_source src = {.vars = s};
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, &src, false,
			   ARGV("x", "--uid", "50001", "--profile", "p.yaml", "--flag", "--secrets",
				"a", "--secrets", "b", "--uid-mode", "any", "--workspace", "/w",
				"--gid", "50002", "op"),
			   &first, &code),
		     1);
	cr_assert(s->uid_set);
	cr_assert_eq(s->uid, 50001);
	cr_assert(s->gid_set);
	cr_assert_eq(s->gid, 50002);
	cr_assert_str_eq(src.profile_path, "p.yaml");
	cr_assert_eq(src.n_secrets, 2);
	cr_assert_eq(src.uid_mode, AG3_UID_MODE_ANY);
	cr_assert_str_eq(s->dirs[AG3_DIR_WORKSPACE], "/w");
	cr_assert(v.flag);
	cr_assert_eq(first, 16);
}

/* One id without the other: a usage error that says what to add. */
Test(cli_options, uid_without_gid, .init = cr_redirect_stderr)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	_cleanup_(ag3_vars_freep) struct ag3_vars *g = ag3_vars_new();
	struct cli_source src = {.vars = s}, src_g = {.vars = g};
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, &src, false, ARGV("x", "--uid", "50001", "op"), &first, &code), 0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_eq(parse(&v, &src_g, true, ARGV("x", "op", "--gid", "50003"), &first, &code), 0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_stderr_eq_str(
		PROG ": --uid 50001 given without --gid: give both (the platform's session users "
		     "have a group of the same number: --gid 50001)\n"
		     "Try '" PROG " x --help'.\n" PROG
		     ": --gid 50003 given without --uid: give both (the platform's session users "
		     "have a group of the same number: --uid 50003)\n"
		     "Try '" PROG " x --help'.\n");
}

Test(cli_options, shared_option_errors, .init = cr_redirect_stderr)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	struct cli_source src = {.vars = s};
	struct vals v = {0};
	int first, code;
	cr_assert_eq(parse(&v, &src, false, ARGV("x", "--spec", "a", "--spec", "b"), &first, &code),
		     0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_eq(parse(&v, &src, false, ARGV("x", "--gid", "0"), &first, &code), 0);
	cr_assert_eq(code, CLI_EXIT_USAGE);
	cr_assert_stderr_eq_str(PROG ": --spec given twice ('a', then 'b')\n" PROG
				     ": --gid: 0 is not allowed: the command never runs as root\n");
}

Test(cli_options, parse_u64)
{
	unsigned long long v = 99;
	cr_assert_eq(cli_parse_u64("0", 5, &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(cli_parse_u64("5", 5, &v), 0);
	cr_assert_eq(v, 5);
	const char *bad[] = {"", "6", "-1", "+1", " 1", "1 ", "1x", "0x10", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_assert_eq(cli_parse_u64(bad[i], 5, &v), -1, "'%s' accepted", bad[i]);
	cr_assert_eq(v, 5);
	cr_assert_eq(cli_parse_u64(NULL, 5, &v), -1);
}
