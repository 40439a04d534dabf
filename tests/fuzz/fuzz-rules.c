/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the tool-permission rules: the call builders, the
 * shell command splitter, the globs and the decision. Never a crash, a leak,
 * unbounded time or a decision that contradicts the rules.
 *
 * Input: the first byte picks the tool and the mode; then rules, one per
 * line ('!' first: a deny rule), up to a line "--"; the rest is the call's
 * value (a command line, a path, a URL). Seed corpus: tests/fuzz/corpus/rules/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/explain.h"
#include "policy/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const tools[] = {
	"Bash", "mcp__ag3ntum__Bash", "Read", "mcp__ag3ntum__Write", "WebFetch", "Task", "Glob",
	"Grep"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	char *text = strndup((const char *)data + 1, size - 1);
	if (!text)
		return 0;
	struct ag3_rules *r = ag3_rules_new((sel & 0x80) ? AG3_PERM_BYPASS : AG3_PERM_DEFAULT);
	if (!r) {
		free(text);
		return 0;
	}
	if (sel & 0x40)
		ag3_rules_set_host_workspace(r, "/users/alice/sessions/s/workspace");
	char *value = text, *sep = strstr(text, "\n--\n");
	if (sep) {
		*sep = '\0';
		value = sep + 4;
		for (char *line = text, *next; line; line = next) {
			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			if (!*line)
				continue;
			bool deny = line[0] == '!';
			ag3_rules_add(r, deny ? AG3_RULE_DENY : AG3_RULE_ALLOW, line + deny, NULL,
				      0, 0);
		}
	}

	/* the splitter on its own */
	char **parts = NULL;
	size_t n = 0;
	if (ag3_shell_split(value, strlen(value), &parts, &n) == 0) {
		if (n == 0 || n > AG3_RULES_MAX_PARTS)
			__builtin_trap();
		ag3_strv_free(parts);
	}
	/* the globs on their own */
	for (size_t i = 0; i < r->n_allow && i < 4; i++)
		if (r->allow[i].arg) {
			(void)ag3_glob_match(r->allow[i].arg, value);
			if (value[0] == '/' && r->allow[i].arg[0] == '/')
				(void)ag3_path_glob_match(r->allow[i].arg, value);
		}

	/* the decision, and what it must agree with */
	const char *tool = tools[sel % ELEMENTSOF(tools)];
	struct ag3_tool_call c = {.tool = strdup(tool),
				  .name = ag3_tool_name_normalize(tool),
				  .arg = strcmp(tool, "Task") ? strdup(value) : NULL,
				  .bypass_attempt = (sel & 0x20) != 0};
	struct ag3_decision d = {0};
	if (c.tool && c.name && ag3_rules_decide(r, &c, &d) == 0) {
		if (c.bypass_attempt && (d.allow || d.reason != AG3_REASON_SANDBOX_BYPASS))
			__builtin_trap();
		if (d.allow)
			for (size_t i = 0; i < r->n_deny; i++)
				if (ag3_rule_matches(r, &r->deny[i], &c) == 1)
					__builtin_trap();
		if (d.reason == AG3_REASON_DENY_RULE && (!d.rule || d.allow))
			__builtin_trap();
		struct ag3_denial_tracker t = {0};
		for (int k = 0; k < 4 && !d.allow; k++) {
			struct ag3_denial den = {0};
			if (ag3_denial_record(&t, r, &c, &d, &den) == 0 && !den.message)
				__builtin_trap();
			ag3_denial_clear(&den);
		}
		ag3_denial_tracker_clear(&t);
		struct ag3_explain_call e = {0};
		if (ag3_explain_call(r, &c, &e) == 0)
			ag3_explain_call_clear(&e);
	}
	ag3_decision_clear(&d);
	ag3_tool_call_clear(&c);

	/* the call builders */
	struct ag3_tool_call p = {0};
	struct ag3_error *err = NULL;
	if (ag3_tool_call_parse(value, &p, &err) == 0) {
		char *s = ag3_tool_call_string(&p);
		free(s);
	}
	ag3_tool_call_clear(&p);
	ag3_error_free(err);
	err = NULL;
	if (ag3_tool_call_from_json(tool, value, strlen(value), &p, &err) == 0)
		ag3_tool_call_clear(&p);
	ag3_error_free(err);

	ag3_rules_free(r);
	free(text);
	return 0;
}
