/* SPDX-License-Identifier: MIT */
/* The decision on a call: deny rules first, then allow rules, then the mode. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ag3_decision_clear(struct ag3_decision *d)
{
	free(d->part);
	free(d->detail);
	*d = (struct ag3_decision){0};
}

const char *ag3_decision_reason_to_string(enum ag3_decision_reason r)
{
	static const char *const names[_AG3_REASON_MAX] = {
		[AG3_REASON_SANDBOX_BYPASS] = "sandbox-bypass",
		[AG3_REASON_DENY_RULE] = "deny-rule",
		[AG3_REASON_ALLOW_RULE] = "allow-rule",
		[AG3_REASON_MODE_ALLOW] = "mode-allow",
		[AG3_REASON_DEFAULT_DENY] = "default-deny",
		[AG3_REASON_UNCHECKABLE] = "uncheckable",
	};
	return (int)r >= 0 && r < _AG3_REASON_MAX ? names[r] : NULL;
}

/* Whether any rule of a list that names this tool needs to look at the value. */
static bool needs_value(const struct ag3_rule *v, size_t n, const struct ag3_tool_call *c)
{
	for (size_t i = 0; i < n; i++)
		if (!ag3_rule_arg_matches_all(&v[i]) && ag3_rule_name_matches(&v[i], c))
			return true;
	return false;
}

static int uncheckable(struct ag3_decision *d, const char *why)
{
	d->allow = false;
	d->reason = AG3_REASON_UNCHECKABLE;
	return (d->detail = strdup(why)) ? 0 : -ENOMEM;
}

int ag3_rules_decide(const struct ag3_rules *r, const struct ag3_tool_call *c,
		     struct ag3_decision *ret)
{
	struct ag3_decision d = {0};
	struct split_line l = {0};
	const char *val = c->arg ? c->arg : "";
	bool shell = ag3_tool_is_shell(c->name);
	bool bypass = r->mode == AG3_PERM_BYPASS;
	ssize_t part;
	int k = 0;

	if (c->bypass_attempt) {
		d.reason = AG3_REASON_SANDBOX_BYPASS;
		goto done;
	}
	bool inspect = needs_value(r->deny, r->n_deny, c) || needs_value(r->allow, r->n_allow, c);
	if (inspect && strlen(val) > AG3_RULES_MAX_INPUT) {
		k = uncheckable(&d, "the value is longer than 64 KiB: too long to check");
		goto done;
	}
	if (inspect && shell) {
		k = ag3_split_line(val, &l);
		if (k == -E2BIG) {
			k = uncheckable(&d, "the command line holds more than 1024 commands");
			goto done;
		}
		if (k == -ELOOP) {
			k = uncheckable(&d,
					"the command line nests substitutions more than 32 deep");
			goto done;
		}
		if (k < 0)
			goto done;
		d.n_parts = l.n;
	}

	/* 1. deny rules first: one matching the call, or any command of a line */
	for (size_t i = 0; i < r->n_deny; i++) {
		k = ag3_rule_match_line(r, &r->deny[i], c, l.parts ? &l : NULL, &part);
		if (k < 0)
			goto done;
		if (k) {
			d.reason = AG3_REASON_DENY_RULE;
			d.rule = &r->deny[i];
			if (part >= 0 && l.n > 1 && !(d.part = strdup(l.parts[part].raw)))
				k = -ENOMEM;
			goto done;
		}
	}

	/* 2. allow rules: for a line, every command needs one (or the mode) */
	size_t n = shell && l.parts ? l.n : 1;
	bool by_mode = false;
	for (size_t p = 0; p < n; p++) {
		const struct ag3_rule *hit = NULL;
		if (shell && l.parts && l.parts[p].deny_only)
			continue; /* what `sh -c` runs: its own part had to be allowed */
		for (size_t i = 0; i < r->n_allow && !hit; i++) {
			const struct ag3_rule *rule = &r->allow[i];
			if (!ag3_rule_name_matches(rule, c))
				continue;
			if (ag3_rule_arg_matches_all(rule))
				k = 1;
			else if (shell)
				k = l.parts ? ag3_rule_forms_match(rule, &l.parts[p], false) : 0;
			else
				k = ag3_rule_value_matches(r, rule, c);
			if (k < 0)
				goto done;
			if (k)
				hit = rule;
		}
		k = 0;
		if (hit) {
			if (!d.rule)
				d.rule = hit;
			continue;
		}
		if (bypass) {
			by_mode = true;
			continue;
		}
		d.reason = AG3_REASON_DEFAULT_DENY;
		d.rule = NULL;
		if (n > 1 && !(d.part = strdup(l.parts[p].raw)))
			k = -ENOMEM;
		goto done;
	}
	/* A command no rule can see into (its name computed when it runs, a shell fed
	 * from its input) could be any command: with deny rules to honour, it is denied, even where
	 * allow rules (or the mode) would let it run. */
	if (shell && l.parts && needs_value(r->deny, r->n_deny, c)) {
		for (size_t p = 0; p < l.n; p++) {
			if (!l.parts[p].opaque)
				continue;
			_cleanup_free_ char *why = NULL;
			if (asprintf(&why,
				     "'%s': %s, so the deny rules cannot be checked against it",
				     l.parts[p].raw, l.parts[p].opaque) < 0) {
				k = -ENOMEM;
				goto done;
			}
			d.rule = NULL;
			k = uncheckable(&d, why);
			if (k == 0 && l.n > 1 && !(d.part = strdup(l.parts[p].raw)))
				k = -ENOMEM;
			goto done;
		}
	}

	d.allow = true;
	d.reason = by_mode ? AG3_REASON_MODE_ALLOW : AG3_REASON_ALLOW_RULE;
	if (by_mode && n == 1)
		d.rule = NULL;
done:
	ag3_split_line_clear(&l);
	if (k < 0) {
		ag3_decision_clear(&d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}
