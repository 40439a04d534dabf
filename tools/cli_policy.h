/* SPDX-License-Identifier: MIT */
/* Pieces `check` and `explain` share (defined in cli_explain.c). */
#pragma once

#include <stdbool.h>

#include "cli.h"
#include "agent/resolve.h"
#include "policy/rules.h"

/*
 * Loads the profile of `src` (--profile, or the embedded default; --spec is
 * an error, `cmd` names the command in it) and the rules it puts in effect
 * (session: session_workspace's when it has them); --workspace maps to the
 * sandbox's /workspace. Prints errors; 0 or -1.
 */
int cli_policy_rules(struct cli_source *src, const char *cmd, bool session,
		     struct ag3_profile **ret_profile, struct ag3_rules **ret_rules);

/*
 * Prints a decision: text, or one JSON object {decision, reason, rule, key, file,
 * line, column, message, interrupt, call, tool, part}. `den` is the denial (NULL
 * when allowed). 0 or -1.
 */
int cli_policy_print_decision(const struct ag3_rules *r, const struct ag3_tool_call *c,
			      const struct ag3_decision *d, const struct ag3_denial *den,
			      bool json);

/*
 * Prints `check`'s decision on a file-tool call the rules allow but the path
 * resolver (agent/resolve.h) refuses: text, or the JSON object above with
 * decision "deny", reason the resolver's code, message its line, rule null,
 * and "path": the resolution (`resolve --json`'s object). 0 or -1.
 */
int cli_policy_print_path_denial(const struct ag3_rules *r, const struct ag3_tool_call *c,
				 const struct ag3_decision *d, const struct ag3_resolution *res,
				 enum ag3_resolve_op op, bool json);

/*
 * `check`'s decision for one call (cli_check.c): the rules, then, when denied, the
 * denial with its message after `denials` earlier denials of this tool and
 * `other_denials` of others. 0 or -ENOMEM; the caller clears d, den and t.
 */
int cli_check_decide(const struct ag3_rules *rules, const struct ag3_tool_call *call,
		     unsigned denials, unsigned other_denials, struct ag3_decision *d,
		     struct ag3_denial *den, struct ag3_denial_tracker *t);

/* The decision as `check --json` prints it (cli_explain.c); NULL on ENOMEM. */
struct cJSON;
struct cJSON *cli_policy_decision_json(const struct ag3_rules *r, const struct ag3_tool_call *c,
				       const struct ag3_decision *d, const struct ag3_denial *den);

/* The path refusal's JSON object (printed by cli_policy_print_path_denial); NULL on ENOMEM. */
struct cJSON *cli_policy_path_denial_json(const struct ag3_rules *r, const struct ag3_tool_call *c,
					  const struct ag3_decision *d,
					  const struct ag3_resolution *res, enum ag3_resolve_op op);

/*
 * `check`'s second step for a file tool's call the rules allow (cli_check.c):
 * the resolver on `spec`. 1: a policy refusal, *res filled and *op set (the
 * caller clears res); 0: not a file tool's call with a path, or not refused
 * by policy (an absent file is the tool's business); -ENOMEM.
 */
int cli_check_path(const struct ag3_spec *spec, const struct ag3_resolve_session *rs,
		   const struct ag3_tool_call *call, struct ag3_resolution *res,
		   enum ag3_resolve_op *op);
/* Whether `call` is a file tool's call with a path (cli_check_path needs a spec for it). */
bool cli_check_is_path_call(const struct ag3_tool_call *call);
