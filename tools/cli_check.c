/* SPDX-License-Identifier: MIT */
/* `check`: the agent loop's can_use_tool decision for one tool call. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_options.h"
#include "cli_policy.h"
#include "policy/profile-model.h"
#include "policy/rules.h"

const char cli_check_help[] =
	"Usage: " PROG " check [OPTIONS] TOOL INPUT_JSON\n"
	"\n"
	"Decides one tool call the way the agent loop's can_use_tool does: a truthy\n"
	"dangerouslyDisableSandbox is a security violation; else the call string is built\n"
	"(mcp__ag3ntum__X is named Ag3ntumX, the value comes from the tool's parameter:\n"
	"command, file_path, path, url ...), deny rules are searched first, then allow\n"
	"rules, then defaultMode decides (bypassPermissions allows, anything else denies).\n"
	"A shell command line (Bash, Ag3ntumBash) is split into its commands: a deny rule\n"
	"matching any of them denies it, and it is allowed only when every one is allowed.\n"
	"`Bash(git:*)` is a prefix rule; path rules are globs where ** spans directories.\n"
	"\n"
	"It prints the decision, the rule that decided it (with the profile's\n"
	"file:line:column), and the message the agent would get. TOOL is the name the SDK\n"
	"uses (mcp__ag3ntum__Bash, Read ...); INPUT_JSON its input, a JSON object ('-':\n"
	"read it from stdin). The agent always runs in a session, so session_workspace's\n"
	"rules (when the profile has them) replace permissions', with {workspace} = \".\".\n"
	"\n"
	"A file tool's call the rules allow (Read, ReadDocument, Write, Edit, MultiEdit,\n"
	"Glob, Grep, LS, and their mcp__ag3ntum__ forms) is then checked as `resolve`\n"
	"checks its path, on the spec the same options compile (so the session's values\n"
	"are needed: --user, --session-id, --workspace ... as the profile's mounts use\n"
	"them): a path the file tools may not use (PATH_TRAVERSAL, CROSS_USER_ACCESS_BLOCKED,\n"
	"BLOCKLIST, READ_ONLY, OUTSIDE_ALLOWED ... see `resolve --help`) is denied with\n"
	"that code as the reason and the resolver's one-line message. Whether the object\n"
	"exists (NOT_FOUND, IS_A_DIRECTORY ...) is left to the tool. --no-session skips\n"
	"this step (there is no session to resolve against).\n"
	"\n"
	"%s"
	"\n"
	"Options:\n"
	"  --no-session       decide with the profile's permissions: rules (no session)\n"
	"  --denials N        this tool was already denied N times in this run, 0..2 (the\n"
	"                     message then carries the final warning, or the interrupt)\n"
	"  --other-denials N  other tools were denied N times in this run, 0..5 (at 6\n"
	"                     denials in all the agent is stopped)\n"
	"  --json             print one JSON object: {decision, reason, rule, key, file, line,\n"
	"                     column, message, interrupt, call, tool, part}; a path refusal\n"
	"                     also has path (resolve --json's object) and rules_decision\n"
	"  -h, --help         this text\n"
	"\n"
	"Exit status: 0 allowed, 1 denied, 2 error (bad options, the profile does not load,\n"
	"INPUT_JSON is not a JSON object).\n";

/* --denials N: at AG3_MAX_DENIALS_PER_TOOL the agent was already stopped */
static int parse_denials(void *dst, const char *arg)
{
	if (cli_parse_u64(arg, AG3_MAX_DENIALS_PER_TOOL - 1, dst) < 0) {
		cli_error("--denials: '%s' is not a number from 0 to %d (at %d the "
			  "agent was stopped already)",
			  arg, AG3_MAX_DENIALS_PER_TOOL - 1, AG3_MAX_DENIALS_PER_TOOL);
		return -1;
	}
	return 0;
}

static int parse_other_denials(void *dst, const char *arg)
{
	if (cli_parse_u64(arg, AG3_MAX_DENIALS_TOTAL - 1, dst) < 0) {
		cli_error("--other-denials: '%s' is not a number from 0 to %d (at %d "
			  "denials in all the agent was stopped already)",
			  arg, AG3_MAX_DENIALS_TOTAL - 1, AG3_MAX_DENIALS_TOTAL);
		return -1;
	}
	return 0;
}

/* Reads INPUT_JSON: the argument, or stdin for "-". */
static char *read_input(const char *arg, size_t *len)
{
	if (strcmp(arg, "-")) {
		*len = strlen(arg);
		return strdup(arg);
	}
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		if (n == cap) {
			if (cap >= (1u << 20)) {
				cli_error("check: the input on stdin is larger than 1 MiB");
				free(buf);
				return NULL;
			}
			char *nb = realloc(buf, cap * 2 + 1);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0) {
				cli_error("check: reading stdin: %m");
				free(buf);
				return NULL;
			}
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		n += (size_t)r;
	}
	free(buf);
	cli_error("out of memory");
	return NULL;
}

bool cli_check_is_path_call(const struct ag3_tool_call *call)
{
	return call->arg && ag3_resolve_op_for_tool(call->name, NULL) >= 0;
}

int cli_check_path(const struct ag3_spec *spec, const struct ag3_resolve_session *rs,
		   const struct ag3_tool_call *call, struct ag3_resolution *res,
		   enum ag3_resolve_op *op)
{
	bool allow_dir = false;
	*op = ag3_resolve_op_for_tool(call->name, &allow_dir);
	if (*op < 0 || !call->arg)
		return 0;
	int r = ag3_resolve(spec, rs, call->arg, *op, allow_dir, res);
	if (r < 0)
		return r;
	if (res->allowed || !ag3_resolve_reason_is_policy(res->reason)) {
		ag3_resolution_clear(res);
		return 0;
	}
	return 1;
}

/*
 * A file tool's path, once the rules allow the call: the resolver's decision on
 * the spec the options compile. -ENOENT: the rules' decision stands; else the
 * exit status, the decision printed.
 */
static int check_path(struct cli_source *src, const struct ag3_rules *rules,
		      const struct ag3_tool_call *call, const struct ag3_decision *d, bool json)
{
	if (!cli_check_is_path_call(call))
		return -ENOENT;
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	if (cli_source_spec(src, &spec) < 0) {
		cli_error(
			"check: %s's path is checked against the session's mounts, and the "
			"profile did not compile with the options given (above): give the "
			"session's values (--user, --session-id, --workspace ...), or --no-session",
			call->name);
		return 2;
	}
	struct ag3_resolve_session rs = {.username = src->vars->username,
					 .session_id = src->vars->session_id};
	struct ag3_resolution res = AG3_RESOLUTION_INIT;
	enum ag3_resolve_op op;
	int r = cli_check_path(spec, &rs, call, &res, &op);
	if (r < 0) {
		cli_error("check: resolving the path: %s", strerror(-r));
		r = 2;
	} else if (r == 0) {
		r = -ENOENT;
	} else {
		r = cli_policy_print_path_denial(rules, call, d, &res, op, json) < 0 ? 2 : 1;
	}
	ag3_resolution_clear(&res);
	return r;
}

int cli_check_decide(const struct ag3_rules *rules, const struct ag3_tool_call *call,
		     unsigned denials, unsigned other_denials, struct ag3_decision *d,
		     struct ag3_denial *den, struct ag3_denial_tracker *t)
{
	if (ag3_rules_decide(rules, call, d) < 0)
		return -ENOMEM;
	if (d->allow)
		return 0;
	/* earlier denials of other tools count towards the total only */
	t->total = other_denials;
	/* earlier denials of this tool, as if they had just happened */
	for (unsigned i = 0; i < denials; i++) {
		struct ag3_decision prior = {.reason = AG3_REASON_DEFAULT_DENY};
		struct ag3_denial x = {0};
		if (ag3_denial_record(t, rules, call, &prior, &x) < 0)
			return -ENOMEM;
		ag3_denial_clear(&x);
	}
	return ag3_denial_record(t, rules, call, d, den) < 0 ? -ENOMEM : 0;
}

int cli_check(int argc, char **argv)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *vars = ag3_vars_new();
	if (!vars) {
		cli_error("out of memory");
		return 2;
	}
	struct cli_source src = {.vars = vars};
	bool json = false, no_session = false;
	unsigned long long denials = 0, other_denials = 0;
	const struct cli_opt opts[] = {
		{"json", 0, CLI_OPT_FLAG, &json, .value = true},
		{"no-session", 0, CLI_OPT_FLAG, &no_session, .value = true},
		{"denials", 0, CLI_OPT_CALL, &denials, .call = parse_denials},
		{"other-denials", 0, CLI_OPT_CALL, &other_denials, .call = parse_other_denials},
		{0},
	};
	const struct cli_command_options co = {.cmd = "check",
					       .help = cli_check_help,
					       .source = &src,
					       .permute = true,
					       .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	if (cli_refuse_operands("check", argc, argv, first + 2) < 0)
		return CLI_EXIT_USAGE;
	if (argc - first != 2) {
		cli_error("check: expected TOOL and INPUT_JSON (see '" PROG " check --help')");
		return 2;
	}
	_cleanup_(ag3_rules_freep) struct ag3_rules *rules = NULL;
	_cleanup_(ag3_profile_freep) struct ag3_profile *profile = NULL;
	if (cli_policy_rules(&src, "check", !no_session, &profile, &rules) < 0)
		return 2;

	size_t len = 0;
	_cleanup_free_ char *input = read_input(argv[first + 1], &len);
	if (!input)
		return 2;
	struct ag3_tool_call call = {0};
	struct ag3_error *err = NULL;
	if (ag3_tool_call_from_json(argv[first], input, len, &call, &err) < 0) {
		cli_print_error("check: INPUT_JSON", err);
		ag3_error_free(err);
		return 2;
	}
	int r;
	struct ag3_decision d = {0};
	struct ag3_denial den = {0};
	struct ag3_denial_tracker t = {0};
	rc = 2;
	if (cli_check_decide(rules, &call, (unsigned)denials, (unsigned)other_denials, &d, &den,
			     &t) < 0)
		goto oom;
	if (d.allow && !no_session) {
		r = check_path(&src, rules, &call, &d, json);
		if (r != -ENOENT) {
			rc = r;
			goto out;
		}
	}
	rc = cli_policy_print_decision(rules, &call, &d, d.allow ? NULL : &den, json) < 0
		     ? 2
		     : !d.allow;
	goto out;
oom:
	cli_error("out of memory");
out:
	ag3_denial_tracker_clear(&t);
	ag3_denial_clear(&den);
	ag3_decision_clear(&d);
	ag3_tool_call_clear(&call);
	return rc;
}
