/* SPDX-License-Identifier: MIT */
/*
 * `explain`: which mount op provides a path in a spec, and which rules match
 * a tool call.
 */
#include "explain.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mounts/executor.h"
#include "mounts/plan.h"
#include "mounts-config.h"

const char *ag3_explain_state_to_string(enum ag3_explain_state s)
{
	static const char *const names[_AG3_EXPLAIN_STATE_MAX] = {
		[AG3_EXPLAIN_MOUNTED] = "mounted",
		[AG3_EXPLAIN_MASKED] = "masked",
		[AG3_EXPLAIN_CREATED] = "created",
		[AG3_EXPLAIN_ABSENT] = "absent",
	};
	return (int)s >= 0 && s < _AG3_EXPLAIN_STATE_MAX ? names[s] : NULL;
}

void ag3_explain_path_clear(struct ag3_explain_path *e)
{
	free(e->path);
	free(e->resolved);
	free(e->host_path);
	free(e->shadowed);
	for (size_t i = 0; i < e->n_hops; i++) {
		free(e->hops[i].from);
		free(e->hops[i].to);
	}
	free(e->hops);
	*e = (struct ag3_explain_path){0};
}

/* Whether p is dir or below it (both normalized). */
static bool under(const char *p, const char *dir)
{
	if (!strcmp(dir, "/"))
		return true;
	size_t n = strlen(dir);
	return !strncmp(p, dir, n) && (p[n] == '\0' || p[n] == '/');
}

/* The path a symlink op at `target` with text `text` turns `p` (at or below target) into. */
static char *follow(const char *target, const char *text, const char *p)
{
	_cleanup_free_ char *j = NULL;
	const char *rest = p + strlen(target);
	if (text[0] == '/') {
		if (asprintf(&j, "%s%s", text, rest) < 0)
			return NULL;
	} else {
		const char *slash = strrchr(target, '/');
		int dl = slash ? (int)(slash - target) : 0;
		if (asprintf(&j, "%.*s/%s%s", dl, target, text, rest) < 0)
			return NULL;
	}
	char *out;
	return ag3_path_normalize(j, &out) < 0 ? NULL : out;
}

int ag3_explain_path(const struct ag3_spec *spec, const char *path, struct ag3_explain_path *ret,
		     struct ag3_error **reterr)
{
	struct ag3_explain_path e = {.mount = -1, .holder = -1};
	struct ag3_mount_at at = {.provider = -1};
	ssize_t last;

	if (!path || path[0] != '/')
		return ag3_error_set(reterr, EINVAL, "'%s' is not an absolute path",
				     path ? path : "");
	if (ag3_path_normalize(path, &e.path) < 0 || !(e.resolved = strdup(e.path)))
		goto oom;
	for (;;) {
		ag3_mount_at_clear(&at);
		if (ag3_mounts_lookup(spec->mounts, spec->n_mounts, e.resolved, &at) < 0)
			goto oom;
		last = at.provider;
		if (last < 0 || spec->mounts[last].op != AG3_MOUNT_SYMLINK)
			break;
		const struct ag3_mount *m = &spec->mounts[last];
		if (e.n_hops >= AG3_EXPLAIN_MAX_SYMLINKS) {
			ag3_mount_at_clear(&at);
			ag3_explain_path_clear(&e);
			return ag3_error_set(reterr, ELOOP,
					     "%s: more than %d symlinks on the way (a loop?)", path,
					     AG3_EXPLAIN_MAX_SYMLINKS);
		}
		char *to = follow(m->target, m->source ? m->source : "", e.resolved);
		struct ag3_explain_hop *h = realloc(e.hops, (e.n_hops + 1) * sizeof(*h));
		if (!to || !h) {
			free(to);
			if (h)
				e.hops = h;
			goto oom;
		}
		e.hops = h;
		h[e.n_hops++] = (struct ag3_explain_hop){
			.mount = (size_t)last, .from = e.resolved, .to = to};
		if (!(e.resolved = strdup(to)))
			goto oom;
	}
	e.mount = last;
	e.shadowed = TAKE_PTR(at.shadowed);
	/* a later remount_ro of this mount: read-only wherever it is (set again below) */
	const bool remounted =
		last >= 0 && ag3_mounts_remounted_ro(spec->mounts, spec->n_mounts, (size_t)last);
	e.n_shadowed = at.n_shadowed;

	const struct ag3_mount *m = last >= 0 ? &spec->mounts[last] : NULL;
	bool at_target = m ? !strcmp(m->target, e.resolved) : !strcmp(e.resolved, "/");
	if (m && m->op == AG3_MOUNT_MASK) {
		e.state = AG3_EXPLAIN_MASKED;
		e.ro = true;
	} else if (m && m->op == AG3_MOUNT_BIND) {
		struct stat st;
		e.state = AG3_EXPLAIN_MOUNTED;
		e.ro = m->ro || remounted;
		if (asprintf(&e.host_path, "%s%s", m->source, e.resolved + strlen(m->target)) < 0) {
			e.host_path = NULL;
			goto oom;
		}
		e.host_exists = lstat(e.host_path, &st) == 0;
	} else if (m && (m->op == AG3_MOUNT_PROC || m->op == AG3_MOUNT_DEV)) {
		e.state = AG3_EXPLAIN_MOUNTED;
		e.ro = m->ro;
		if (m->op == AG3_MOUNT_PROC && strcmp(e.resolved, m->target)) {
			/* the runtime masks or write-protects some entries of every /proc */
			const char *rel =
				e.resolved + strlen(m->target) + (strcmp(m->target, "/") != 0);
			size_t n = strcspn(rel, "/");
			for (size_t i = 0; ag3_proc_masked[i]; i++)
				if (strlen(ag3_proc_masked[i]) == n &&
				    !strncmp(rel, ag3_proc_masked[i], n))
					e.state = AG3_EXPLAIN_MASKED, e.ro = true;
			for (size_t i = 0; ag3_proc_readonly[i]; i++)
				if (strlen(ag3_proc_readonly[i]) == n &&
				    !strncmp(rel, ag3_proc_readonly[i], n))
					e.ro = true;
		}
		if (m->op ==
		    AG3_MOUNT_DEV) { /* populated, then read-only; pts and shm stay writable */
			char shm[PATH_MAX], pts[PATH_MAX];
			snprintf(shm, sizeof(shm), "%s/shm", m->target);
			snprintf(pts, sizeof(pts), "%s/pts", m->target);
			e.ro = !under(e.resolved, shm) && !under(e.resolved, pts);
		}
	} else if (at_target) {
		e.state = AG3_EXPLAIN_MOUNTED; /* the tmpfs (or the root) itself */
		e.ro = m ? m->ro || remounted : true;
	} else {
		/* below a tmpfs or the root: only what the list creates is there */
		e.state = AG3_EXPLAIN_ABSENT;
		e.ro = m ? m->ro || remounted : true;
		for (size_t i = (size_t)(last + 1); i < spec->n_mounts; i++) {
			/* a dir/file op there, or any op below it (its parents are made; a
			 * chmod or a remount_ro makes nothing) */
			const enum ag3_mount_op op = spec->mounts[i].op;
			if (op != AG3_MOUNT_CHMOD && op != AG3_MOUNT_REMOUNT_RO &&
			    under(spec->mounts[i].target, e.resolved)) {
				e.state = AG3_EXPLAIN_CREATED;
				e.holder = (ssize_t)i;
				break;
			}
		}
	}
	*ret = e;
	return 0;
oom:
	ag3_mount_at_clear(&at);
	ag3_explain_path_clear(&e);
	return ag3_error_set(reterr, ENOMEM, "out of memory");
}

int ag3_explain_origin_key(const char *origin, char **ret)
{
	*ret = NULL;
	for (const char *s = origin; s && *s;) {
		while (*s == ' ')
			s++;
		size_t n = strcspn(s, " ");
		if (n && s[0] != '/' && s[0] != '(' && (memchr(s, '.', n) || memchr(s, '[', n))) {
			/* "sandbox.tmpfs_paths[0]" or "sandbox.static_mounts.x"; not "a.b)" */
			while (n && (s[n - 1] == ',' || s[n - 1] == ')' || s[n - 1] == ':'))
				n--;
			if (!(*ret = strndup(s, n)))
				return -ENOMEM;
			return 0;
		}
		s += n;
	}
	return 0;
}

void ag3_explain_origin_locate(const struct ag3_profile *p, const struct ag3_mounts_config *x,
			       const char *origin, struct ag3_explain_origin *ret)
{
	*ret = (struct ag3_explain_origin){0};
	if (!origin || ag3_explain_origin_key(origin, &ret->key) < 0 || !ret->key)
		return;
	if (p && ag3_yaml_locate(p->doc, ret->key, &ret->loc) == 0)
		ret->file = p->file;
	else if (x && ag3_yaml_locate(x->doc, ret->key, &ret->loc) == 0)
		ret->file = x->file;
}

void ag3_explain_absent_clear(struct ag3_explain_absent *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].what);
		free(v[i].why);
		free(v[i].target);
	}
}

static bool covers_path(const char *target, const char *path)
{
	return target && target[0] == '/' && ag3_path_is_under(path, target);
}

int ag3_explain_absent(const struct ag3_spec *spec, const struct ag3_profile *p,
		       const struct ag3_mounts_config *x, const struct ag3_vars *vars,
		       const char *host_root, const char *path, struct ag3_explain_absent *v,
		       size_t cap, size_t *n)
{
	*n = 0;
	/* profile mounts that were skipped: optional, and the source is missing */
	const struct ag3_pmounts *lists[] = {p ? &p->sandbox.static_mounts : NULL,
					     p ? &p->sandbox.session_mounts : NULL};
	for (size_t l = 0; l < ELEMENTSOF(lists); l++)
		for (size_t i = 0; lists[l] && i < lists[l]->n && *n < cap; i++) {
			const struct ag3_pmount *pm = &lists[l]->items[i];
			if (!pm->target.v || strchr(pm->target.v, '{') ||
			    !covers_path(pm->target.v, path))
				continue;
			bool in_spec = false;
			for (size_t k = 0; k < spec->n_mounts && !in_spec; k++)
				in_spec = spec->mounts[k].origin &&
					  !strcmp(spec->mounts[k].origin, pm->key);
			if (in_spec)
				continue;
			v[*n] = (struct ag3_explain_absent){
				.what = strdup(pm->key),
				.why = strdup(pm->optional.v
						      ? "optional, and its source is missing on "
							"this host: skipped"
						      : "not compiled in"),
				.target = strdup(pm->target.v)};
			if (!v[*n].what || !v[*n].why || !v[*n].target)
				return -ENOMEM;
			(*n)++;
		}
	/* external mounts the user is not authorized for, missing, or reserved */
	if (!x || !p)
		return 0;
	struct ag3_mount_plan *plan = NULL;
	struct ag3_error *err = NULL;
	if (ag3_mounts_config_plan(x, p, vars, NULL, 0, host_root, &plan, &err) < 0) {
		ag3_error_free(err);
		return 0; /* the spec compiled: whatever fails here is not about this path */
	}
	for (size_t i = 0; i < plan->n && *n < cap; i++) {
		const struct ag3_mount_plan_entry *e = &plan->items[i];
		if (e->skip == AG3_MOUNT_SKIP_NONE || !covers_path(e->target, path))
			continue;
		v[*n] = (struct ag3_explain_absent){
			.what = strdup(e->origin),
			.why = strdup(e->skip_reason ? e->skip_reason : "skipped"),
			.target = strdup(e->target)};
		if (!v[*n].what || !v[*n].why || !v[*n].target) {
			ag3_xplan_free(plan);
			return -ENOMEM;
		}
		(*n)++;
	}
	ag3_xplan_free(plan);
	return 0;
}

/* ----------------------------------------------------------- tool calls -- */

void ag3_explain_call_clear(struct ag3_explain_call *e)
{
	ag3_decision_clear(&e->decision);
	free(e->matching);
	ag3_strv_free(e->parts);
	*e = (struct ag3_explain_call){0};
}

int ag3_explain_call(const struct ag3_rules *r, const struct ag3_tool_call *c,
		     struct ag3_explain_call *ret)
{
	struct ag3_explain_call e = {0};
	int k = ag3_rules_decide(r, c, &e.decision);
	if (k < 0)
		return k;
	const struct ag3_rule *lists[2] = {r->deny, r->allow};
	size_t ns[2] = {r->n_deny, r->n_allow};
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < ns[l]; i++) {
			k = ag3_rule_matches(r, &lists[l][i], c);
			if (k < 0)
				goto fail;
			if (!k)
				continue;
			const struct ag3_rule **v =
				realloc(e.matching, (e.n_matching + 1) * sizeof(*v));
			if (!v)
				goto fail;
			e.matching = v;
			v[e.n_matching++] = &lists[l][i];
		}
	if (ag3_tool_is_shell(c->name) && c->arg && strlen(c->arg) <= AG3_RULES_MAX_INPUT) {
		k = ag3_shell_split(c->arg, strlen(c->arg), &e.parts, &e.n_parts);
		if (k == -ENOMEM)
			goto fail;
		if (k < 0) { /* too deep or too many: the decision says so */
			e.parts = NULL;
			e.n_parts = 0;
		}
	}
	*ret = e;
	return 0;
fail:
	ag3_explain_call_clear(&e);
	return -ENOMEM;
}
