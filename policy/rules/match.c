/* SPDX-License-Identifier: MIT */
/*
 * Matching one rule against a call: names, values, paths, and a shell
 * line split into its commands and their forms.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mounts/mount.h"

bool ag3_rule_arg_matches_all(const struct ag3_rule *rule)
{
	return !rule->arg || !strcmp(rule->arg, "*") || !strcmp(rule->arg, "**");
}

bool ag3_rule_name_matches(const struct ag3_rule *rule, const struct ag3_tool_call *c)
{
	if (rule->arg)
		return !strcmp(rule->name, c->name);
	/* a bare pattern globs the name, normalized or as the SDK spells it */
	return ag3_glob_match(rule->name, c->name) ||
	       (c->tool && ag3_glob_match(rule->raw_name, c->tool));
}

/* Blanks collapsed, trimmed. NULL on ENOMEM. */
static char *collapse(const char *s)
{
	char *out = malloc(strlen(s) + 1), *w = out;
	if (!out)
		return NULL;
	for (; *s; s++) {
		if (ag3_shell_is_blank(*s)) {
			if (w > out && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = *s;
	}
	while (w > out && w[-1] == ' ')
		w--;
	*w = '\0';
	return out;
}

/* A shell rule's value against one form of a command: `prefix:*` or a glob. */
static int shell_arg_match(const char *arg, const char *cmd)
{
	_cleanup_free_ char *p = collapse(arg);
	if (!p)
		return -ENOMEM;
	size_t n = strlen(p);
	if (n >= 2 && p[n - 2] == ':' && p[n - 1] == '*') {
		p[n - 2] = '\0';
		n -= 2;
		while (n && p[n - 1] == ' ')
			p[--n] = '\0';
		return !strcmp(cmd, p) || (!strncmp(cmd, p, n) && cmd[n] == ' ');
	}
	return ag3_glob_n(p, n, cmd, strlen(cmd), false);
}

static int generic_arg_match(const char *arg, const char *val)
{
	size_t n = strlen(arg);
	if (n >= 2 && arg[n - 2] == ':' && arg[n - 1] == '*')
		return !strncmp(val, arg, n - 2);
	return ag3_glob_n(arg, n, val, strlen(val), false);
}

/*
 * A path (or a path pattern) in the sandbox's view: relative ones joined to
 * the workspace (a pattern without '/' matches at any depth below it), ".."
 * folded, the host's workspace path replaced by the sandbox's. Patterns get
 * a final "/" plus globstar appended: they cover what is under what they match.
 */
static char *resolve(const struct ag3_rules *r, const char *s, bool pattern)
{
	_cleanup_free_ char *raw = NULL, *j = NULL;
	const char *ws = r->workspace ? r->workspace : AG3_RULES_WORKSPACE;
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		n--;
	if (s[0] == '/')
		raw = strndup(s, n);
	else if (pattern && !memchr(s, '/', n))
		raw = asprintf(&raw, "%s/**/%.*s", ws, (int)n, s) < 0 ? NULL : raw;
	else
		raw = asprintf(&raw, "%s/%.*s", ws, (int)n, s) < 0 ? NULL : raw;
	if (!raw || ag3_path_normalize(raw, &j) < 0)
		return NULL;
	if (r->host_workspace && strcmp(r->host_workspace, "/") &&
	    ag3_path_is_under(j, r->host_workspace)) {
		char *m = NULL;
		if (asprintf(&m, "%s%s", ws, j + strlen(r->host_workspace)) < 0)
			return NULL;
		free(j);
		j = m;
	}
	if (pattern) {
		char *m = NULL;
		if (asprintf(&m, "%s/**", strcmp(j, "/") ? j : "") < 0)
			return NULL;
		free(j);
		j = m;
	}
	return TAKE_PTR(j);
}

static int path_arg_match(const struct ag3_rules *r, const char *arg, const char *val)
{
	if (!*val || !*arg)
		return !*val && !*arg;
	_cleanup_free_ char *p = resolve(r, arg, true), *v = resolve(r, val, false);
	if (!p || !v)
		return -ENOMEM;
	return ag3_path_glob_match(p, v);
}

/* A call's value against a rule of a tool that is not a shell. */
int ag3_rule_value_matches(const struct ag3_rules *r, const struct ag3_rule *rule,
			   const struct ag3_tool_call *c)
{
	const char *val = c->arg ? c->arg : "";
	if (ag3_rule_arg_matches_all(rule))
		return 1;
	if (ag3_tool_is_path(c->name))
		return path_arg_match(r, rule->arg, val);
	return generic_arg_match(rule->arg, val);
}

/* Whether a shell rule matches one command (the forms `deny` says). */
int ag3_rule_forms_match(const struct ag3_rule *rule, const struct cmd_forms *f, bool deny)
{
	const char *forms[4] = {f->raw, f->safe, deny ? f->core : NULL, deny ? f->base : NULL};
	for (size_t i = 0; i < 4; i++) {
		if (!forms[i] || (i > 0 && !strcmp(forms[i], f->raw)))
			continue;
		int k = shell_arg_match(rule->arg, forms[i]);
		if (k != 0)
			return k;
	}
	return 0;
}
void ag3_split_line_clear(struct split_line *l)
{
	free(l->whole);
	for (size_t i = 0; i < l->n; i++)
		ag3_cmd_forms_clear(&l->parts[i]);
	free(l->parts);
	*l = (struct split_line){0};
}

static int split_into(const char *val, struct split_line *l, bool inner, unsigned depth);

/* Appends one command (and, for `sh -c`, the commands of its line). */
static int add_part(struct split_line *l, const char *text, bool inner, bool only, unsigned depth)
{
	struct cmd_forms f = {0};
	int r = ag3_cmd_forms_of(text, &f);
	if (r < 0)
		return r;
	if (!*f.safe && !only) { /* `fi`, `done`, `}`: nothing runs */
		ag3_cmd_forms_clear(&f);
		return 0;
	}
	if (l->n >= AG3_RULES_MAX_PARTS) {
		ag3_cmd_forms_clear(&f);
		return -E2BIG;
	}
	struct cmd_forms *v = realloc(l->parts, (l->n + 1) * sizeof(*v));
	if (!v) {
		ag3_cmd_forms_clear(&f);
		return -ENOMEM;
	}
	l->parts = v;
	f.deny_only = inner;
	v[l->n++] = f;
	const char *in = f.inner;
	if (!in)
		return 0;
	if (depth >= AG3_RULES_MAX_SHELLS)
		return -ELOOP;
	_cleanup_free_ char *copy = strdup(in);
	return copy ? split_into(copy, l, true, depth + 1) : -ENOMEM;
}

static int split_into(const char *val, struct split_line *l, bool inner, unsigned depth)
{
	char **v = NULL;
	size_t n = 0;
	int r = ag3_shell_split(val, strlen(val), &v, &n);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_part(l, v[i], inner, n == 1, depth);
	ag3_strv_free(v);
	return r;
}

/*
 * Splits a shell tool's value and computes each command's forms; the lines
 * `sh -c` and `eval` run are split too, their commands checked against deny
 * rules. 0, -E2BIG, -ELOOP, -ENOMEM.
 */
int ag3_split_line(const char *val, struct split_line *ret)
{
	struct split_line l = {.whole = collapse(val)};
	int r = l.whole ? split_into(val, &l, false, 0) : -ENOMEM;
	if (r == 0 && l.n == 0) /* only reserved words: one empty command */
		r = add_part(&l, "", false, true, 0);
	if (r < 0) {
		ag3_split_line_clear(&l);
		return r;
	}
	*ret = l;
	return 0;
}

/* Whether a rule matches: -ENOMEM, 0, or 1 with the matching part's index in *part (-1: all). */
int ag3_rule_match_line(const struct ag3_rules *r, const struct ag3_rule *rule,
			const struct ag3_tool_call *c, const struct split_line *l, ssize_t *part)
{
	*part = -1;
	if (!ag3_rule_name_matches(rule, c))
		return 0;
	if (ag3_rule_arg_matches_all(rule))
		return 1;
	if (!ag3_tool_is_shell(c->name))
		return ag3_rule_value_matches(r, rule, c);
	if (!l)
		return 0;
	int k = shell_arg_match(rule->arg, l->whole);
	if (k != 0)
		return k;
	for (size_t i = 0; i < l->n; i++) {
		k = ag3_rule_forms_match(rule, &l->parts[i], true);
		if (k != 0) {
			*part = (ssize_t)i;
			return k;
		}
	}
	return 0;
}

int ag3_rule_matches(const struct ag3_rules *r, const struct ag3_rule *rule,
		     const struct ag3_tool_call *c)
{
	struct split_line l = {0};
	ssize_t part;
	const char *val = c->arg ? c->arg : "";
	if (ag3_tool_is_shell(c->name) && !ag3_rule_arg_matches_all(rule) &&
	    ag3_rule_name_matches(rule, c) && strlen(val) <= AG3_RULES_MAX_INPUT) {
		int k = ag3_split_line(val, &l);
		if (k == -ENOMEM)
			return k;
	}
	int k = ag3_rule_match_line(r, rule, c, l.parts ? &l : NULL, &part);
	ag3_split_line_clear(&l);
	return k;
}
