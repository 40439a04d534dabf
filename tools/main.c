/* SPDX-License-Identifier: MIT */
/* ag3ntum-sandbox: the command line. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_options.h"
#include "config.h"

static const char help_help[] =
	"Usage: " PROG " help [COMMAND]\n"
	"\n"
	"Prints COMMAND's help, the same as `" PROG " COMMAND --help`;\n"
	"without COMMAND, the list of commands. `" PROG " help help` prints this text.\n"
	"\n"
	"Exit status: 0; 2 for an unknown COMMAND or an argument after it.\n";

/* The commands: `help` has no function of its own (main handles it). */
static const struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* its line in the main help */
	const char *help;
} commands[] = {
	{"exec", cli_exec, "run a command in a fresh sandbox        (" PROG " exec --help)",
	 cli_exec_help},
	{"session", cli_session,
	 "open or close a warm sandbox for many commands (" PROG " session --help)",
	 cli_session_help},
	{"compile", cli_compile, "print the spec a profile and session compile into",
	 cli_compile_help},
	{"lint", cli_lint, "check profiles (and external mounts) before deployment", cli_lint_help},
	{"explain", cli_explain,
	 "what the sandbox shows at a path, or which rule decides a tool call", cli_explain_help},
	{"check", cli_check, "the agent loop's can_use_tool decision for one tool call",
	 cli_check_help},
	{"resolve", cli_resolve, "whether the file tools may use a path, and where it is",
	 cli_resolve_help},
	{"serve", cli_serve,
	 "serve sessions, commands, checks and paths as JSON lines (" PROG " serve --help)",
	 cli_serve_help},
	{"bwrap", cli_bwrap_cmd,
	 "bubblewrap's command line on this runtime (also as a `bwrap` symlink)", cli_bwrap_help},
	{"doctor", cli_doctor,
	 "what this machine supports (namespaces, seccomp, landlock, cgroups)", cli_doctor_help},
	{"help", NULL, "help on a command: " PROG " help exec", help_help},
};

static void main_help(FILE *f)
{
	fputs("Usage: " PROG " COMMAND [OPTIONS] ...\n"
	      "\n"
	      "A sandbox runtime and policy engine for AI-agent tool commands: it compiles the\n"
	      "agent platform's permission profiles and session into a sandbox spec and runs\n"
	      "commands inside it with native namespaces, mounts, capability drop, seccomp and\n"
	      "landlock. A drop-in replacement for the platform's `sudo bwrap` wrapping.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < ELEMENTSOF(commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	      "Options:\n"
	      "  -h, --help      this text\n"
	      "  --version       the version and the build's features, one per line\n"
	      "                  (--version --json: one JSON object)\n"
	      "\n"
	      "Run as root (root mode: the command's uid is set with setresuid, no user namespace\n"
	      "needed) or as any user (rootless mode: a user namespace maps your ids). See\n"
	      "README.md for profiles, the spec and the result record.\n",
	      f);
}

/* The command `name`, or NULL with the error printed (and the command it is
 * probably a typo of). */
static const struct cli_command *find_command(const char *name)
{
	const char *names[ELEMENTSOF(commands)];
	for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
		if (!strcmp(commands[i].name, name))
			return &commands[i];
		names[i] = commands[i].name;
	}
	const char *s = cli_suggest(name, strlen(name), names, ELEMENTSOF(names));
	if (s)
		cli_error("unknown command '%s'; did you mean '%s'?", name, s);
	else
		cli_error("unknown command '%s'", name);
	fprintf(stderr, "Try '" PROG " --help'.\n");
	return NULL;
}

/* `help [COMMAND]` (argv[0] is "help"). */
static int help_command(int argc, char **argv)
{
	if (argc < 2) {
		main_help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		cli_print_help(stdout, help_help);
		return 0;
	}
	const struct cli_command *c = find_command(argv[1]);
	if (!c)
		return CLI_EXIT_USAGE;
	if (argc > 2) {
		cli_error("help: unexpected argument '%s' (" PROG " help [COMMAND])", argv[2]);
		return CLI_EXIT_USAGE;
	}
	cli_print_help(stdout, c->help);
	return 0;
}

int main(int argc, char **argv)
{
	/* Installed as `bwrap` (a symlink): bubblewrap's command line. */
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : argc > 0 ? argv[0] : "";
	if (!strcmp(base, "bwrap"))
		return cli_bwrap(argc - 1, argv + 1, argv[0]);
	if (argc < 2) {
		main_help(stderr);
		return CLI_EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		main_help(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version"))
		return cli_version(argc - 1, argv + 1);
	const struct cli_command *c = find_command(cmd);
	if (!c)
		return CLI_EXIT_USAGE;
	return c->run ? c->run(argc - 1, argv + 1) : help_command(argc - 1, argv + 1);
}
