/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "agent/resolve.h"
#include "cli.h"
#include "cli_options.h"

const char cli_resolve_help[] =
	"Usage: " PROG " resolve [OPTIONS] OPERATION PATH\n"
	"\n"
	"Decides whether the agent platform's file tools (Read, Write, Edit, Glob, Grep,\n"
	"LS) may use PATH for OPERATION in the session the options describe, with the\n"
	"platform's PathValidator rules computed from the same compiled spec `exec` would\n"
	"run: a path is readable when a bind of the spec covers it (the longest target\n"
	"wins) and writable only when that bind is read-write. PATH is what the agent\n"
	"wrote: /workspace/..., relative to the sandbox's working directory,\n"
	"./external/{ro,rw,user-ro,user-rw,dynamic}/NAME/..., ./persistent/..., an original\n"
	"host path, or a host path under a bind's source. Then the blocklist, the\n"
	"workspace's read-only prefixes and the cross-user and cross-session refusals.\n"
	"The object is opened beneath the bind's host source (openat2 RESOLVE_BENEATH, so\n"
	"a symlink out of the mount is refused) and the rules are checked again on where\n"
	"it really is.\n"
	"\n"
	"OPERATION is read, write, edit, delete, list, glob or grep (the platform's Read,\n"
	"Write, Edit/MultiEdit, LS = list, Glob, Grep). list, glob and grep need\n"
	"--allow-directory for a directory, as the platform's tools pass it.\n"
	"\n"
	"The CLI only prints the decision: the opened fd is closed when it exits. A\n"
	"program that will use the file calls ag3_resolve() (agent/resolve.h), which\n"
	"returns the fd (or, for write and delete, the parent directory's fd and the\n"
	"final name, to be used with O_NOFOLLOW / unlinkat) so nothing is resolved\n"
	"again after the check.\n"
	"\n"
	"%s"
	"\n"
	"The platform's PathValidatorConfig lists (each option repeatable; given, it\n"
	"replaces the default list):\n"
	"  --blocklist PATTERN          a blocklist glob (default: *.env .env.* *.key\n"
	"                               .git/** __pycache__/** *.pyc .secrets/** *.pem *.p12\n"
	"                               *.pfx **/node_modules/**)\n"
	"  --blocklist-exemption NAME   a basename the name patterns spare (default:\n"
	"                               .env.example .env.sample .env.template .env.defaults)\n"
	"  --readonly-prefix PREFIX     a workspace-relative read-only prefix, whole\n"
	"                               components (default: skills/ .claude/ external/ro/\n"
	"                               external/user-ro/)\n"
	"\n"
	"Output options:\n"
	"  --json             one JSON object: allowed, reason, message, operation, path,\n"
	"                     sandbox_path, host_path, readonly, is_directory, origin\n"
	"  --allow-directory  a directory is an acceptable answer (LS, Glob, Grep)\n"
	"  -h, --help         this text\n"
	"\n"
	"Text output: one line, tab-separated: allow|deny, the reason code, the message,\n"
	"the sandbox path, the host path (\"-\" when not known), ro|rw.\n"
	"\n"
	"Reason codes: ALLOWED, PATH_INVALID, PATH_TRAVERSAL, CROSS_USER_ACCESS_BLOCKED,\n"
	"CROSS_SESSION_ACCESS_BLOCKED, OUTSIDE_ALLOWED, SANDBOX_PRIVATE, BLOCKLIST, READ_ONLY,\n"
	"SYMLINK_ESCAPE, NOT_FOUND, IS_A_DIRECTORY, NOT_A_DIRECTORY, NOT_A_REGULAR_FILE,\n"
	"OPEN_FAILED (README \"Resolving paths for file tools\"). A PATH that starts with\n"
	"'-' goes after '--'.\n"
	"\n"
	"Exit status: 0 allowed; 1 denied; 2 a usage error (nothing was resolved); 125 the\n"
	"profile, session or spec is invalid.\n";

#define RESOLVE_MAX_LIST 64

/* A repeatable option's values, NULL-terminated (for struct ag3_resolve_session). */
struct str_list {
	const char *opt;
	const char *v[RESOLVE_MAX_LIST + 1];
	size_t n;
};

static int add_to_list(void *dst, const char *arg)
{
	struct str_list *l = dst;
	if (!*arg || strlen(arg) > 255) {
		cli_error("--%s: '%s' is not a pattern (1 to 255 bytes)", l->opt, arg);
		return -1;
	}
	if (l->n == RESOLVE_MAX_LIST) {
		cli_error("--%s: at most %d are accepted", l->opt, RESOLVE_MAX_LIST);
		return -1;
	}
	l->v[l->n++] = arg;
	return 0;
}

int cli_resolve(int argc, char **argv)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *vars = ag3_vars_new();
	if (!vars) {
		cli_error("out of memory");
		return 125;
	}
	struct cli_source src = {.vars = vars};
	bool json = false, allow_dir = false;
	struct str_list block = {.opt = "blocklist"}, exempt = {.opt = "blocklist-exemption"},
			ro = {.opt = "readonly-prefix"};
	const struct cli_opt opts[] = {
		{"blocklist", 0, CLI_OPT_CALL, &block, .call = add_to_list},
		{"blocklist-exemption", 0, CLI_OPT_CALL, &exempt, .call = add_to_list},
		{"readonly-prefix", 0, CLI_OPT_CALL, &ro, .call = add_to_list},
		{"json", 0, CLI_OPT_FLAG, &json, .value = true},
		{"allow-directory", 0, CLI_OPT_FLAG, &allow_dir, .value = true},
		{0},
	};
	const struct cli_command_options co = {.cmd = "resolve",
					       .help = cli_resolve_help,
					       .source = &src,
					       .permute = true,
					       .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	if (cli_refuse_operands("resolve", argc, argv, first + 2) < 0)
		return CLI_EXIT_USAGE;
	if (argc - first != 2) {
		cli_error("resolve: expected OPERATION PATH, got %d argument%s", argc - first,
			  argc - first == 1 ? "" : "s");
		fputs("Try '" PROG " resolve --help'.\n", stderr);
		return CLI_EXIT_USAGE;
	}
	enum ag3_resolve_op op = ag3_resolve_op_from_string(argv[first]);
	if (op < 0) {
		cli_error("resolve: unknown operation '%s' (read, write, edit, delete, list, glob, "
			  "grep)",
			  argv[first]);
		return CLI_EXIT_USAGE;
	}
	const char *path = argv[first + 1];
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	if (cli_source_spec(&src, &spec) < 0)
		return 125;
	struct ag3_resolve_session rs = {.username = vars->username,
					 .session_id = vars->session_id,
					 .blocklist = block.n ? block.v : NULL,
					 .exemptions = exempt.n ? exempt.v : NULL,
					 .readonly_prefixes = ro.n ? ro.v : NULL};
	struct ag3_resolution res = AG3_RESOLUTION_INIT;
	int r = ag3_resolve(spec, &rs, path, op, allow_dir, &res);
	if (r < 0) {
		cli_error("resolve: %s", strerror(-r));
		ag3_resolution_clear(&res);
		return 125;
	}
	rc = res.allowed ? 0 : 1;
	if (json) {
		char *s = NULL;
		if (ag3_resolution_to_json(&res, op, path, &s) < 0) {
			cli_error("resolve: out of memory");
			rc = 125;
		} else {
			if (cli_print_json(stdout, s) < 0)
				rc = 125;
			free(s);
		}
	} else {
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", res.allowed ? "allow" : "deny",
		       ag3_resolve_reason_to_string(res.reason),
		       cli_esc(res.message ? res.message : ""),
		       res.sandbox_path ? cli_esc(res.sandbox_path) : "-",
		       res.host_path ? cli_esc(res.host_path) : "-", res.readonly ? "ro" : "rw");
	}
	ag3_resolution_clear(&res);
	if (fflush(stdout) != 0)
		rc = 125;
	return rc;
}
