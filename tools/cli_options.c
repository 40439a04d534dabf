/* SPDX-License-Identifier: MIT */
/* The subcommands' option parser (cli_options.h). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_options.h"

int cli_parse_u64(const char *s, unsigned long long max, unsigned long long *ret)
{
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*ret = v;
	return 0;
}

/* Keeping the last of two values silently hid mistakes. */
int cli_set_once(const char **slot, const char *option, const char *arg)
{
	if (*slot) {
		cli_error("%s given twice ('%s', then '%s')", option, *slot, arg);
		return -1;
	}
	*slot = arg;
	return 1;
}

int cli_refuse_operands(const char *cmd, int argc, char **argv, int at)
{
	if (at >= argc)
		return 0;
	cli_error("%s: unexpected argument '%s'", cmd, argv[at]);
	fprintf(stderr, "Try '" PROG " %s --help'.\n", cmd);
	return -1;
}

void cli_print_help(FILE *f, const char *help)
{
	const char *at = strstr(help, "%s");
	if (!at) {
		fputs(help, f);
		return;
	}
	fwrite(help, 1, (size_t)(at - help), f);
	fputs(cli_source_help, f);
	fputs(at + 2, f);
}

/* The long option's code: its short name, else OPT_LOCAL_FIRST + its index. */
static int opt_code(const struct cli_opt *o, size_t i)
{
	return o->short_name ? o->short_name : OPT_LOCAL_FIRST + (int)i;
}

static int apply(const struct cli_opt *o, const char *arg)
{
	char option[64];
	switch (o->kind) {
	case CLI_OPT_FLAG:
		*(bool *)o->dst = o->value;
		return 0;
	case CLI_OPT_ABS_PATH:
		if (arg[0] != '/') {
			cli_error("--%s: '%s' is not an absolute path", o->name, arg);
			return -1;
		}
		__attribute__((fallthrough));
	case CLI_OPT_STRING:
		if (o->once) {
			snprintf(option, sizeof(option), "--%s", o->name);
			if (cli_set_once(o->dst, option, arg) < 0)
				return -1;
		} else {
			*(const char **)o->dst = arg;
		}
		break;
	case CLI_OPT_U64:
		if (cli_parse_u64(arg, o->max, o->dst) < 0) {
			cli_error("--%s: '%s' %s", o->name, arg, o->invalid);
			return -1;
		}
		break;
	case CLI_OPT_CALL:
		return o->call(o->dst, arg);
	}
	if (o->given)
		*o->given = true;
	return 0;
}

/*
 * "; did you mean '--NAME'?" when getopt_long has just refused argv[optind - 1] as
 * an unrecognized long option (optopt 0) and its name (up to a '=') is near one
 * of lo's, but a prefix of none (an ambiguous abbreviation: getopt_long lists the
 * candidates itself). "" otherwise.
 */
static const char *option_hint(int argc, char **argv, const struct option *lo, char *buf,
			       size_t size)
{
	if (optopt != 0 || optind < 1 || optind > argc || strncmp(argv[optind - 1], "--", 2))
		return "";
	const char *word = argv[optind - 1] + 2;
	size_t len = strcspn(word, "=");
	const char *names[CLI_SOURCE_N_OPTIONS + CLI_MAX_OPTS + 1];
	size_t n = 0;
	for (; lo[n].name && n < ELEMENTSOF(names); n++) {
		if (!strncmp(lo[n].name, word, len))
			return "";
		names[n] = lo[n].name;
	}
	const char *s = cli_suggest(word, len, names, n);
	if (!s)
		return "";
	snprintf(buf, size, "; did you mean '--%s'?", s);
	return buf;
}

/*
 * getopt_long, with its own error messages ("unrecognized option '--...'") caught
 * and printed escaped: they quote argv, and an agent-chosen string (a tool name,
 * a path starting with '-') can be taken for an option. glibc writes them to
 * the stream `stderr` names at the time, so it names a memory stream meanwhile.
 */
static int next_option(int argc, char **argv, const char *optstring, const struct option *lo)
{
	char *msg = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&msg, &len);
	FILE *saved = stderr;
	if (mem)
		stderr = mem;
	int ch = getopt_long(argc, argv, optstring, lo, NULL);
	if (mem) {
		stderr = saved;
		fclose(mem);
	}
	if (msg && len) {
		char hint[96];
		if (msg[len - 1] == '\n')
			msg[len - 1] = 0;
		fprintf(stderr, "%s%s\n", cli_esc(msg),
			ch == '?' ? option_hint(argc, argv, lo, hint, sizeof(hint)) : "");
	}
	free(msg);
	return ch;
}

int cli_parse_options(const struct cli_command_options *c, int argc, char **argv, int *first,
		      int *code)
{
	/* the shared options first, then the command's own, then help: as getopt_long
	 * lists the candidates of an ambiguous abbreviation in this order */
	struct option lo[CLI_SOURCE_N_OPTIONS + CLI_MAX_OPTS + 2] = {0};
	char optstring[3 + 2 * CLI_MAX_OPTS + 1] = "";
	size_t n = 0, k = 0, m = 0;
	while (c->opts && c->opts[m].name)
		m++;
	if (m > CLI_MAX_OPTS) {
		cli_error("internal error: more than %d options", CLI_MAX_OPTS);
		*code = CLI_EXIT_USAGE;
		return 0;
	}
	if (c->source)
		for (; n < CLI_SOURCE_N_OPTIONS; n++)
			lo[n] = cli_source_options[n];
	if (!c->permute)
		optstring[k++] = '+';
	optstring[k++] = 'h';
	for (size_t i = 0; i < m; i++) {
		const struct cli_opt *o = &c->opts[i];
		bool arg = o->kind != CLI_OPT_FLAG;
		lo[n++] = (struct option){o->name, arg ? required_argument : no_argument, NULL,
					  opt_code(o, i)};
		if (o->short_name) {
			optstring[k++] = (char)o->short_name;
			if (arg)
				optstring[k++] = ':';
		}
	}
	lo[n] = (struct option){"help", no_argument, NULL, 'h'};

	optind = 0; /* 0, not 1: glibc then reads the optstring's '+' again */
	int ch;
	while ((ch = next_option(argc, argv, optstring, lo)) != -1) {
		int h = c->source ? cli_source_handle(c->source, ch, optarg) : 0;
		if (h < 0) {
			*code = CLI_EXIT_USAGE;
			return 0;
		}
		if (h > 0)
			continue;
		if (ch == 'h') {
			cli_print_help(stdout, c->help);
			*code = 0;
			return 0;
		}
		size_t i = 0;
		while (i < m && opt_code(&c->opts[i], i) != ch)
			i++;
		if (i == m) {
			fprintf(stderr, "Try '" PROG " %s --help'.\n", c->cmd);
			*code = CLI_EXIT_USAGE;
			return 0;
		}
		if (apply(&c->opts[i], optarg) < 0) {
			*code = CLI_EXIT_USAGE;
			return 0;
		}
	}
	/* One id of the two would leave the other at its default (65534 in root mode,
	 * the caller's rootless): a session uid with nobody's group. */
	const struct ag3_vars *v = c->source ? c->source->vars : NULL;
	if (v && v->uid_set != v->gid_set) {
		cli_error("--%s %u given without --%s: give both (the platform's session users "
			  "have a group of the same number: --%s %u)",
			  v->uid_set ? "uid" : "gid", v->uid_set ? v->uid : v->gid,
			  v->uid_set ? "gid" : "uid", v->uid_set ? "gid" : "uid",
			  v->uid_set ? v->uid : v->gid);
		fprintf(stderr, "Try '" PROG " %s --help'.\n", c->cmd);
		*code = CLI_EXIT_USAGE;
		return 0;
	}
	*first = optind;
	return 1;
}
