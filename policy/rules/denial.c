/* SPDX-License-Identifier: MIT */
/* Denials: per-tool and total counting, interrupts, the messages the agent gets. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ag3_denial_tracker_clear(struct ag3_denial_tracker *t)
{
	for (size_t i = 0; i < t->n_tools; i++)
		free(t->tools[i].tool);
	free(t->tools);
	*t = (struct ag3_denial_tracker){0};
}

void ag3_denial_clear(struct ag3_denial *d)
{
	free(d->message);
	*d = (struct ag3_denial){0};
}

/* The first `n` characters (code points) of a UTF-8 string, like Python's s[:n]. */
static size_t utf8_prefix(const char *s, size_t n)
{
	size_t i = 0;
	for (size_t chars = 0; s[i] && chars < n; chars++) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

static unsigned *tool_counter(struct ag3_denial_tracker *t, const char *tool)
{
	for (size_t i = 0; i < t->n_tools; i++)
		if (!strcmp(t->tools[i].tool, tool))
			return &t->tools[i].n;
	struct ag3_denial_count *v = realloc(t->tools, (t->n_tools + 1) * sizeof(*v));
	if (!v)
		return NULL;
	t->tools = v;
	if (!(v[t->n_tools].tool = strdup(tool)))
		return NULL;
	v[t->n_tools].n = 0;
	return &v[t->n_tools++].n;
}

int ag3_denial_record(struct ag3_denial_tracker *t, const struct ag3_rules *r,
		      const struct ag3_tool_call *c, const struct ag3_decision *d,
		      struct ag3_denial *ret)
{
	struct ag3_denial out = {0};
	_cleanup_free_ char *msg = NULL;
	size_t size = 0;
	FILE *m;

	if (d->reason == AG3_REASON_SANDBOX_BYPASS) {
		t->violations++;
		t->interrupted = true;
		out = (struct ag3_denial){
			.interrupt = true, .security_violation = true, .total = t->total};
		if (!(out.message = strdup("Security violation: sandbox bypass attempted. Agent "
					   "stopped.")))
			return -ENOMEM;
		*ret = out;
		return 0;
	}
	unsigned *cnt = tool_counter(t, c->name);
	if (!cnt)
		return -ENOMEM;
	out.count = ++*cnt;
	out.total = ++t->total;
	out.penultimate = out.count == AG3_MAX_DENIALS_PER_TOOL - 1;
	out.interrupt = out.count >= AG3_MAX_DENIALS_PER_TOOL || out.total >= AG3_MAX_DENIALS_TOTAL;
	if (out.interrupt)
		t->interrupted = true;

	if (!(m = open_memstream(&msg, &size)))
		return -ENOMEM;
	const char *val = c->arg ? c->arg : "";
	int cut = (int)utf8_prefix(val, 50);
	if (out.interrupt)
		fprintf(m,
			"TASK STOPPED: Maximum permission failures exceeded (%u/%u denials for "
			"%s). "
			"Last error: ",
			out.count, AG3_MAX_DENIALS_PER_TOOL, c->name);
	if (ag3_tool_is_shell(c->name))
		fprintf(m, "%s command '%.*s...' is not permitted.", c->name, cut, val);
	else
		fprintf(m, "%s for '%.*s' is not permitted.", c->name, cut, val);
	size_t shown = 0;
	for (size_t i = 0; r && i < r->n_allow && shown < 5; i++) {
		if (strcmp(r->allow[i].name, c->name))
			continue;
		if (!shown++)
			fprintf(m, " Allowed patterns for %s: ", c->name);
		else
			fputs(", ", m);
		fprintf(m, "'%s'", r->allow[i].pattern);
	}
	if (shown)
		fputc('.', m);
	else
		fprintf(m, " No %s operations are allowed in this security context.", c->name);
	if (out.penultimate)
		fputs(" FINAL WARNING: Agent will be stopped if this tool is denied again.", m);
	if (fclose(m) != 0)
		return -ENOMEM;
	out.message = TAKE_PTR(msg);
	*ret = out;
	return 0;
}
