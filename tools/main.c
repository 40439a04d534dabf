/* SPDX-License-Identifier: MIT */
/* ag3ntum-sandbox: the command line. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

static const char main_help[] =
	"Usage: " PROG " COMMAND [OPTIONS] ...\n"
	"\n"
	"A sandbox runtime and policy engine for AI-agent tool commands: it compiles the\n"
	"agent platform's permission profiles and session into a sandbox spec and runs\n"
	"commands inside it with native namespaces, mounts, capability drop, seccomp and\n"
	"landlock. A drop-in replacement for the platform's `sudo bwrap` wrapping.\n"
	"\n"
	"Commands:\n"
	"  exec      run a command in a fresh sandbox        (" PROG " exec --help)\n"
	"  compile   print the spec a profile and session compile into\n"
	"  lint      check profiles (and external mounts) before deployment\n"
	"  explain   what the sandbox shows at a path, or which rule decides a tool call\n"
	"  check     the agent loop's can_use_tool decision for one tool call\n"
	"  doctor    what this machine supports (namespaces, seccomp, landlock, cgroups)\n"
	"  help      help on a command: " PROG " help exec\n"
	"\n"
	"Options:\n"
	"  -h, --help      this text\n"
	"  --version       the version\n"
	"\n"
	"Run as root (root mode: the command's uid is set with setresuid, no user namespace\n"
	"needed) or as any user (rootless mode: a user namespace maps your ids). See\n"
	"README.md for profiles, the spec and the result record.\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(main_help, stderr);
		return 2;
	}
	const char *cmd = argv[1];
	char *hargv[3] = {NULL, (char *)"--help", NULL};
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(main_help, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf(PROG " %s\n", AG3_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "help")) {
		if (argc < 3) {
			fputs(main_help, stdout);
			return 0;
		}
		hargv[0] = argv[2];
		argv = hargv;
		argc = 2;
		cmd = argv[0];
	} else {
		argv++;
		argc--;
	}
	if (!strcmp(cmd, "exec"))
		return cli_exec(argc, argv);
	if (!strcmp(cmd, "compile"))
		return cli_compile(argc, argv);
	if (!strcmp(cmd, "doctor"))
		return cli_doctor(argc, argv);
	if (!strcmp(cmd, "lint"))
		return cli_lint(argc, argv);
	if (!strcmp(cmd, "check"))
		return cli_check(argc, argv);
	if (!strcmp(cmd, "explain"))
		return cli_explain(argc, argv);
	cli_error("unknown command '%s'", cmd);
	fprintf(stderr, "Try '" PROG " --help'.\n");
	return 2;
}
