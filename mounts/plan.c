/* SPDX-License-Identifier: MIT */
/*
 * The mount plan: the order of the slots, skipped entries, dedupe and
 * "what is at this path", once for compile, lint and explain.
 */
#include "plan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *const skip_names[_AG3_MOUNT_SKIP_MAX] = {
	[AG3_MOUNT_SKIP_NONE] = "none",
	[AG3_MOUNT_SKIP_NOT_AUTHORIZED] = "not-authorized",
	[AG3_MOUNT_SKIP_RESERVED] = "reserved",
	[AG3_MOUNT_SKIP_MISSING] = "missing",
	[AG3_MOUNT_SKIP_NO_USERNAME] = "no-username",
	[AG3_MOUNT_SKIP_DUPLICATE] = "duplicate",
};

const char *ag3_mount_skip_to_string(enum ag3_mount_skip s)
{
	return (int)s >= 0 && s < _AG3_MOUNT_SKIP_MAX ? skip_names[s] : NULL;
}

void ag3_mount_plan_clear(struct ag3_mount_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		ag3_mount_clear(&p->items[i].m);
		free(p->items[i].skip_reason);
	}
	free(p->items);
	*p = (struct ag3_mount_plan){0};
}

static int dup_or_null(const char *s, char **ret)
{
	*ret = NULL;
	return s && !(*ret = strdup(s)) ? -ENOMEM : 0;
}

struct ag3_mount_plan_entry *ag3_mount_plan_add(struct ag3_mount_plan *p, enum ag3_mount_slot slot,
						const struct ag3_mount *m)
{
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 16;
		struct ag3_mount_plan_entry *v = realloc(p->items, nc * sizeof(*v));
		if (!v)
			return NULL;
		p->items = v;
		p->cap = nc;
	}
	struct ag3_mount_plan_entry *e = &p->items[p->n];
	*e = (struct ag3_mount_plan_entry){.m = *m, .slot = slot};
	if (dup_or_null(m->source, &e->m.source) < 0 || dup_or_null(m->target, &e->m.target) < 0 ||
	    dup_or_null(m->content, &e->m.content) < 0 ||
	    dup_or_null(m->origin, &e->m.origin) < 0) {
		ag3_mount_clear(&e->m);
		return NULL;
	}
	p->n++;
	return e;
}

int ag3_mount_plan_order(struct ag3_mount_plan *p)
{
	/* a stable counting sort by slot: the order added stays within a slot */
	size_t start[_AG3_SLOT_MAX + 1] = {0};
	if (p->n < 2)
		return 0;
	struct ag3_mount_plan_entry *v = malloc(p->n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++)
		start[p->items[i].slot + 1]++;
	for (size_t s = 1; s <= _AG3_SLOT_MAX; s++)
		start[s] += start[s - 1];
	for (size_t i = 0; i < p->n; i++)
		v[start[p->items[i].slot]++] = p->items[i];
	free(p->items);
	p->items = v;
	p->cap = p->n;
	return 0;
}

const struct ag3_mount_plan_entry *ag3_mount_plan_find_target(const struct ag3_mount_plan *p,
							      const char *target, size_t upto)
{
	for (size_t i = 0; i < upto && i < p->n; i++) {
		const struct ag3_mount_plan_entry *e = &p->items[i];
		if (e->skip == AG3_MOUNT_SKIP_NONE && e->m.target && !strcmp(e->m.target, target))
			return e;
	}
	return NULL;
}

/* Whether op `m` covers `path`: it is at its target or below, and the op hides what is there. */
static bool covers(const struct ag3_mount *m, const char *path)
{
	switch (m->op) {
	case AG3_MOUNT_BIND:
	case AG3_MOUNT_TMPFS:
	case AG3_MOUNT_PROC:
	case AG3_MOUNT_DEV:
	case AG3_MOUNT_MASK:
	case AG3_MOUNT_SYMLINK:
		break;
	default:
		return false;
	}
	return m->target && m->target[0] == '/' && path[0] == '/' &&
	       ag3_path_is_under(path, m->target);
}

void ag3_mount_at_clear(struct ag3_mount_at *a)
{
	free(a->shadowed);
	*a = (struct ag3_mount_at){.provider = -1};
}

/* A list of ops to look in: a plan (applied entries only) or a plain array. */
struct oplist {
	const struct ag3_mount_plan *plan;
	const struct ag3_mount *v;
	size_t n;
};

/* Op i, or NULL when it is not applied. */
static const struct ag3_mount *op_at(const struct oplist *l, size_t i)
{
	if (!l->plan)
		return &l->v[i];
	const struct ag3_mount_plan_entry *e = &l->plan->items[i];
	return e->skip == AG3_MOUNT_SKIP_NONE ? &e->m : NULL;
}

static int lookup(const struct oplist *l, const char *path, struct ag3_mount_at *ret)
{
	struct ag3_mount_at a = {.provider = -1};
	for (size_t i = 0; i < l->n; i++) {
		const struct ag3_mount *m = op_at(l, i);
		if (!m || !covers(m, path))
			continue;
		if (a.provider >= 0) {
			size_t *nv = realloc(a.shadowed, (a.n_shadowed + 1) * sizeof(*nv));
			if (!nv) {
				ag3_mount_at_clear(&a);
				return -ENOMEM;
			}
			a.shadowed = nv;
			nv[a.n_shadowed++] = (size_t)a.provider;
		}
		a.provider = (ssize_t)i;
	}
	*ret = a;
	return 0;
}

int ag3_mount_plan_lookup(const struct ag3_mount_plan *p, const char *path,
			  struct ag3_mount_at *ret)
{
	return lookup(&(struct oplist){.plan = p, .n = p->n}, path, ret);
}

int ag3_mounts_lookup(const struct ag3_mount *v, size_t n, const char *path,
		      struct ag3_mount_at *ret)
{
	return lookup(&(struct oplist){.v = v, .n = n}, path, ret);
}

bool ag3_mounts_remounted_ro(const struct ag3_mount *v, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n && v[i].target; j++) {
		if (v[j].op == AG3_MOUNT_REMOUNT_RO && v[j].target &&
		    !strcmp(v[j].target, v[i].target))
			return true;
		if (covers(&v[j], v[i].target))
			return false; /* a later remount is that mount's */
	}
	return false;
}

ssize_t ag3_mount_plan_hidden_by(const struct ag3_mount_plan *p, size_t i, size_t upto)
{
	const struct ag3_mount *a = &p->items[i].m;
	if (p->items[i].skip != AG3_MOUNT_SKIP_NONE || !a->target || a->target[0] != '/')
		return -1;
	for (size_t j = i + 1; j < upto && j < p->n; j++)
		if (p->items[j].skip == AG3_MOUNT_SKIP_NONE && covers(&p->items[j].m, a->target))
			return (ssize_t)j;
	return -1;
}
