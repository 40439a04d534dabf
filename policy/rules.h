/* SPDX-License-Identifier: MIT */
/*
 * Tool-permission rules: the agent loop's can_use_tool decision (reference
 * section 5), with the platform's matcher bugs fixed.
 *
 * The flow, as the platform has it: a truthy `dangerouslyDisableSandbox` in
 * the input is a security violation (deny, interrupt); otherwise the call
 * string `Name(value)` is built (`mcp__ag3ntum__X` -> `Ag3ntumX`, the value
 * from the first parameter of TOOL_PARAM_MAP present), the deny list is
 * searched first, then the allow list, then the permission mode decides
 * (`bypassPermissions` allows, anything else denies).
 *
 * What differs from the platform (its section 8, item 17):
 *  - rule names are normalized like call names, so `mcp__ag3ntum__Bash(*)`
 *    matches `Ag3ntumBash(...)`; the Ag3ntum file tools carry their path
 *    (the platform's map had no entry for them, so path rules never applied);
 *  - `Bash(git:*)` is a prefix rule: `git`, `git status`, not `gitk`;
 *  - Bash and Ag3ntumBash share one shell-aware matcher: a command line is
 *    split into its simple commands (on && || ; | |& & newlines, inside
 *    $(...), `...`, <(...), >(...) and (...), respecting quotes and
 *    escapes); a deny rule matching any of them denies the whole line, and
 *    the line is allowed only when every one of them is allowed. Deny rules
 *    also see through assignments and wrappers (`FOO=1 sudo env rm` is `rm`),
 *    quoting (`"r"m`), paths (`/bin/rm`), and into the lines `sh -c` and
 *    `eval` run;
 *  - path rules are real globs anchored at the workspace: `*` and `?` stop
 *    at '/', `**` as a whole component spans any number of them
 *    (a "secrets" directory at any depth, every .py file below src), a
 *    pattern also covers what is under what it matches; paths and patterns
 *    are resolved (relative ones against the workspace, `..` folded, the
 *    host workspace mapped to the sandbox's), so an absolute deny pattern
 *    holds for workspace paths too.
 *
 * Inputs are hostile: values longer than AG3_RULES_MAX_INPUT, substitutions
 * nested deeper than AG3_RULES_MAX_DEPTH and lines of more than
 * AG3_RULES_MAX_PARTS commands are denied as uncheckable (unless no rule
 * needs to look inside them). Time is O(input x pattern) per rule; nothing
 * recurses deeper than AG3_RULES_MAX_DEPTH.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy/profile-model.h"
#include "runtime/util/error.h"

#define AG3_RULES_MAX_INPUT (64u << 10) /* bytes of a call's value           */
#define AG3_RULES_MAX_DEPTH 32          /* nested $( ` <( (                   */
#define AG3_RULES_MAX_PARTS 1024        /* simple commands in one line        */
#define AG3_RULES_MAX_PATTERN 4096      /* bytes of one rule                  */
#define AG3_RULES_MAX_SHELLS 4          /* `sh -c` nested in `sh -c` ...      */
#define AG3_RULES_MAX_RULES 4096        /* rules in one list                  */

#define AG3_MAX_DENIALS_PER_TOOL 3 /* max_denials_before_interrupt */
#define AG3_MAX_DENIALS_TOTAL 6

/* The sandbox's workspace, where relative paths in calls and rules point. */
#define AG3_RULES_WORKSPACE "/workspace"

enum ag3_rule_list {
	AG3_RULE_DENY,
	AG3_RULE_ALLOW,
};

struct ag3_rule {
	enum ag3_rule_list list;
	char *pattern; /* as written ({workspace} replaced in session rules) */
	char *key;     /* "session_workspace.deny[0]"; NULL when built by hand */
	unsigned line; /* of the list item in the profile; 0 when unknown */
	unsigned col;
	/* parsed */
	char *name;     /* the name part, normalized ("Ag3ntumBash") */
	char *raw_name; /* the name part as written ("mcp__ag3ntum__Bash") */
	char *arg;      /* inside the parentheses; NULL: no parentheses */
	bool malformed; /* '(' without a closing ')' at the end (matched leniently) */
};

struct ag3_rules {
	char *file;   /* the profile's file, for messages; may be NULL */
	bool session; /* session_workspace's rules are in effect */
	int mode;     /* enum ag3_permission_mode */
	struct ag3_rule *deny;
	size_t n_deny;
	struct ag3_rule *allow;
	size_t n_allow;
	char *workspace;      /* sandbox path of the workspace (AG3_RULES_WORKSPACE) */
	char *host_workspace; /* the host's path of it, mapped to `workspace`; or NULL */
};

struct ag3_rules_options {
	/*
	 * Whether a session is active: then `session_workspace` (when the profile
	 * has one) replaces `permissions`, and `{workspace}` in its rules becomes
	 * "." (the platform's _build_session_profile). The agent loop always has
	 * one.
	 */
	bool session;
	const char *host_workspace; /* --workspace: mapped to AG3_RULES_WORKSPACE; may be NULL */
};

/* The rules a profile puts in effect. 0, -EINVAL (a rule too long) or -ENOMEM. */
int ag3_rules_from_profile(const struct ag3_profile *p, const struct ag3_rules_options *o,
			   struct ag3_rules **ret, struct ag3_error **reterr);
/* An empty rule set in `mode` (enum ag3_permission_mode), for building by hand. NULL on ENOMEM. */
struct ag3_rules *ag3_rules_new(int mode);
/* Appends a rule. 0, -EINVAL (too long, too many) or -ENOMEM. */
int ag3_rules_add(struct ag3_rules *r, enum ag3_rule_list list, const char *pattern,
		  const char *key, unsigned line, unsigned col);
/* Sets the host workspace path (absolute; copied; NULL clears). 0, -EINVAL or -ENOMEM. */
int ag3_rules_set_host_workspace(struct ag3_rules *r, const char *path);
void ag3_rules_free(struct ag3_rules *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_rules *, ag3_rules_free)

/* Parses one rule pattern into `name`, `raw_name`, `arg`, `malformed`. 0 or -ENOMEM. */
int ag3_rule_parse(const char *pattern, struct ag3_rule *ret);
void ag3_rule_clear(struct ag3_rule *r);

/* `mcp__ag3ntum__X` -> `Ag3ntumX`; other names unchanged. A new string or NULL (ENOMEM). */
char *ag3_tool_name_normalize(const char *name);

/* ------------------------------------------------------------ tool calls -- */

struct ag3_tool_call {
	char *tool;          /* as the SDK names it ("mcp__ag3ntum__Bash") */
	char *name;          /* normalized ("Ag3ntumBash") */
	char *arg;           /* the parameter's value; NULL: the tool has none (bare name) */
	bool bypass_attempt; /* a truthy dangerouslyDisableSandbox */
};

void ag3_tool_call_clear(struct ag3_tool_call *c);

/*
 * Builds a call from the tool's name and its input (JSON text, which must be
 * one object; duplicate top-level keys are refused, since the platform's
 * Python would take the last and cJSON the first). 0, -EINVAL with an error,
 * -ENOMEM.
 */
int ag3_tool_call_from_json(const char *tool, const char *json, size_t len,
			    struct ag3_tool_call *ret, struct ag3_error **reterr);
/* Parses a call string "Name(value)" or "Name". 0, -EINVAL with an error, -ENOMEM. */
int ag3_tool_call_parse(const char *text, struct ag3_tool_call *ret, struct ag3_error **reterr);
/* The call string: "Name(value)", or "Name" when it has no value. NULL on ENOMEM. */
char *ag3_tool_call_string(const struct ag3_tool_call *c);
/* The TOOL_PARAM_MAP keys for a normalized name, in order, NULL-terminated; NULL: none. */
const char *const *ag3_tool_param_keys(const char *name);
/* Whether the normalized name gets the shell-aware matcher (Bash, Ag3ntumBash). */
bool ag3_tool_is_shell(const char *name);
/* Whether it gets path matching (Read Write Edit MultiEdit Glob Grep LS and Ag3ntum*). */
bool ag3_tool_is_path(const char *name);

/* -------------------------------------------------------------- decision -- */

enum ag3_decision_reason {
	AG3_REASON_SANDBOX_BYPASS, /* dangerouslyDisableSandbox: deny, interrupt     */
	AG3_REASON_DENY_RULE,      /* a deny rule matched (the call or one part)     */
	AG3_REASON_ALLOW_RULE,     /* allow rules matched (every part)               */
	AG3_REASON_MODE_ALLOW,     /* bypassPermissions allowed what no rule did     */
	AG3_REASON_DEFAULT_DENY,   /* no allow rule (for the call, or for one part)  */
	AG3_REASON_UNCHECKABLE,    /* too long / too deeply nested / too many parts  */
	_AG3_REASON_MAX,
};

const char *ag3_decision_reason_to_string(enum ag3_decision_reason r);

struct ag3_decision {
	bool allow;
	enum ag3_decision_reason reason;
	const struct ag3_rule *rule; /* the deciding rule, or NULL (mode, default, bypass) */
	char *part;     /* the simple command the rule matched or no rule allowed; NULL: the call */
	size_t n_parts; /* simple commands checked (shell tools; 0 when not split) */
	char *detail;   /* for UNCHECKABLE: why */
};

void ag3_decision_clear(struct ag3_decision *d);

/* Decides a call. 0 or -ENOMEM. */
int ag3_rules_decide(const struct ag3_rules *r, const struct ag3_tool_call *c,
		     struct ag3_decision *ret);

/* Whether one rule matches a call (name and value; compound lines: any part). -ENOMEM, 0, 1. */
int ag3_rule_matches(const struct ag3_rules *r, const struct ag3_rule *rule,
		     const struct ag3_tool_call *c);

/*
 * Splits a shell command line into its simple commands (trimmed, blanks
 * collapsed, empty ones dropped; a line with none gives one ""). 0 with a
 * NULL-terminated array in *ret (free with ag3_strv_free), -E2BIG (longer
 * than AG3_RULES_MAX_INPUT or more than AG3_RULES_MAX_PARTS parts), -ELOOP
 * (nested deeper than AG3_RULES_MAX_DEPTH) or -ENOMEM.
 */
int ag3_shell_split(const char *line, size_t len, char ***ret, size_t *ret_n);
void ag3_strv_free(char **v);

/*
 * Glob matching. ag3_glob_match: fnmatch without flags (`*` and `?` match
 * any character, `[...]` classes with `!`/`^` and ranges), `**` same as `*`.
 * ag3_path_glob_match: `*`, `?` and classes stop at '/', a `**` component
 * matches zero or more components; both sides are absolute and normalized.
 */
bool ag3_glob_match(const char *pattern, const char *text);
bool ag3_path_glob_match(const char *pattern, const char *path);

/* ---------------------------------------------------------------- denials -- */

/* The per-tool and total denial counts of one agent run (5.4). */
struct ag3_denial_tracker {
	struct ag3_denial_count {
		char *tool; /* normalized */
		unsigned n;
	} * tools;
	size_t n_tools;
	unsigned total;
	unsigned violations; /* security violations (not counted above) */
	bool interrupted;    /* an interrupting denial happened */
};

void ag3_denial_tracker_clear(struct ag3_denial_tracker *t);

struct ag3_denial {
	char *message; /* what the agent gets */
	bool interrupt;
	bool penultimate; /* count_for_tool == 2: the FINAL WARNING was added */
	unsigned count;   /* this tool's denials so far, this one included */
	unsigned total;   /* all denials so far */
	bool security_violation;
};

void ag3_denial_clear(struct ag3_denial *d);

/*
 * Records a denial and builds its message exactly as the platform does:
 * "<Tool> command '<first 50>...' is not permitted." (Bash, Ag3ntumBash) or
 * "<Tool> for '<value[:50]>' is not permitted.", then " Allowed patterns for
 * <Tool>: 'p1', ... (at most 5)." or " No <Tool> operations are allowed in
 * this security context.", " FINAL WARNING: Agent will be stopped if this
 * tool is denied again." on the second denial of a tool, and on the
 * interrupting one (3 for a tool, or 6 in all) the prefix "TASK STOPPED:
 * Maximum permission failures exceeded (<n>/3 denials for <Tool>). Last
 * error: ". A sandbox-bypass attempt gets "Security violation: sandbox
 * bypass attempted. Agent stopped." and always interrupts. 0 or -ENOMEM.
 */
int ag3_denial_record(struct ag3_denial_tracker *t, const struct ag3_rules *r,
		      const struct ag3_tool_call *c, const struct ag3_decision *d,
		      struct ag3_denial *ret);
