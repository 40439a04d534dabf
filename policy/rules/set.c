/* SPDX-License-Identifier: MIT */
/* Rule sets: parsing one rule, building a set by hand or from a profile. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mounts/mount.h"

void ag3_rule_clear(struct ag3_rule *r)
{
	free(r->pattern);
	free(r->key);
	free(r->name);
	free(r->raw_name);
	free(r->arg);
	*r = (struct ag3_rule){0};
}

int ag3_rule_parse(const char *pattern, struct ag3_rule *ret)
{
	const char *open = strchr(pattern, '(');
	size_t len = strlen(pattern);

	ret->malformed = false;
	ret->arg = NULL;
	ret->raw_name = open ? strndup(pattern, (size_t)(open - pattern)) : strdup(pattern);
	if (!ret->raw_name)
		return -ENOMEM;
	if (open) {
		size_t start = (size_t)(open - pattern) + 1, end = len;
		if (len > start && pattern[len - 1] == ')')
			end = len - 1;
		else
			ret->malformed = true;
		if (!(ret->arg = strndup(pattern + start, end - start)))
			return -ENOMEM;
	}
	ret->name = ag3_tool_name_normalize(ret->raw_name);
	return ret->name ? 0 : -ENOMEM;
}

struct ag3_rules *ag3_rules_new(int mode)
{
	struct ag3_rules *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->mode = mode;
	if (!(r->workspace = strdup(AG3_RULES_WORKSPACE))) {
		free(r);
		return NULL;
	}
	return r;
}

void ag3_rules_free(struct ag3_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_deny; i++)
		ag3_rule_clear(&r->deny[i]);
	for (size_t i = 0; i < r->n_allow; i++)
		ag3_rule_clear(&r->allow[i]);
	free(r->deny);
	free(r->allow);
	free(r->file);
	free(r->workspace);
	free(r->host_workspace);
	free(r);
}

int ag3_rules_add(struct ag3_rules *r, enum ag3_rule_list list, const char *pattern,
		  const char *key, unsigned line, unsigned col)
{
	struct ag3_rule **v = list == AG3_RULE_DENY ? &r->deny : &r->allow;
	size_t *n = list == AG3_RULE_DENY ? &r->n_deny : &r->n_allow;

	if (strlen(pattern) > AG3_RULES_MAX_PATTERN || *n >= AG3_RULES_MAX_RULES)
		return -EINVAL;
	struct ag3_rule *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	struct ag3_rule *rule = &nv[*n];
	*rule = (struct ag3_rule){.list = list, .line = line, .col = col};
	if (!(rule->pattern = strdup(pattern)) || (key && !(rule->key = strdup(key))) ||
	    ag3_rule_parse(pattern, rule) < 0) {
		ag3_rule_clear(rule);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

int ag3_rules_set_host_workspace(struct ag3_rules *r, const char *path)
{
	free(r->host_workspace);
	r->host_workspace = NULL;
	if (!path)
		return 0;
	if (path[0] != '/')
		return -EINVAL;
	return ag3_path_normalize(path, &r->host_workspace);
}

/* Replaces every "{workspace}" with "." (the platform's workspace_path). */
static char *replace_workspace(const char *s)
{
	static const char ph[] = "{workspace}";
	size_t n = 0;
	for (const char *p = strstr(s, ph); p; p = strstr(p + 1, ph))
		n++;
	char *out = malloc(strlen(s) + 1);
	if (!out)
		return NULL;
	char *w = out;
	while (*s) {
		if (n && !strncmp(s, ph, sizeof(ph) - 1)) {
			*w++ = '.';
			s += sizeof(ph) - 1;
			continue;
		}
		*w++ = *s++;
	}
	*w = '\0';
	return out;
}

static int add_list(struct ag3_rules *r, enum ag3_rule_list list, const struct ag3_pstrlist *l,
		    const char *section, bool session, struct ag3_error **reterr)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ag3_pstr *it = &l->items[i];
		_cleanup_free_ char *pat = session ? replace_workspace(it->v) : strdup(it->v);
		char key[96];
		if (!pat)
			return ag3_error_set(reterr, ENOMEM, "out of memory");
		snprintf(key, sizeof(key), "%s.%s[%zu]", section,
			 list == AG3_RULE_DENY ? "deny" : "allow", i);
		unsigned line = it->meta.loc.line ? it->meta.loc.line : it->meta.loc.key_line;
		unsigned col = it->meta.loc.line ? it->meta.loc.col : it->meta.loc.key_col;
		int k = ag3_rules_add(r, list, pat, key, line, col);
		if (k == -ENOMEM)
			return ag3_error_set(reterr, ENOMEM, "out of memory");
		if (k < 0)
			return ag3_error_set_at(reterr, EINVAL, r->file, line, col,
						"%s: a rule longer than %u bytes, or more than %u "
						"rules",
						key, AG3_RULES_MAX_PATTERN, AG3_RULES_MAX_RULES);
	}
	return 0;
}

int ag3_rules_from_profile(const struct ag3_profile *p, const struct ag3_rules_options *o,
			   struct ag3_rules **ret, struct ag3_error **reterr)
{
	_cleanup_(ag3_rules_freep) struct ag3_rules *r = ag3_rules_new(p->default_mode.v);
	bool session = o && o->session && p->session_workspace.meta.set;
	int k;

	if (!r || (p->file && !(r->file = strdup(p->file))))
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	r->session = session;
	const struct ag3_pstrlist *deny =
		session ? &p->session_workspace.deny : &p->permissions.deny;
	const struct ag3_pstrlist *allow =
		session ? &p->session_workspace.allow : &p->permissions.allow;
	const char *section = session ? "session_workspace" : "permissions";
	k = add_list(r, AG3_RULE_DENY, deny, section, session, reterr);
	if (k == 0)
		k = add_list(r, AG3_RULE_ALLOW, allow, section, session, reterr);
	if (k < 0)
		return k;
	if (o && o->host_workspace) {
		k = ag3_rules_set_host_workspace(r, o->host_workspace);
		if (k < 0)
			return ag3_error_set(reterr, -k,
					     "the workspace '%s' is not an absolute path",
					     o->host_workspace);
	}
	*ret = TAKE_PTR(r);
	return 0;
}
