/* SPDX-License-Identifier: MIT */
/*
 * The per-user external-mount plan: what the compiler binds from the
 * external mounts and the dynamic requests, and what it skips and why
 * (mounts-config.h, ag3_mounts_config_plan).
 */
#include "mounts-config.h"
#include "mounts-config-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "placeholders.h"

void ag3_xplan_free(struct ag3_mount_plan *p)
{
	if (!p)
		return;
	ag3_mount_plan_clear(p);
	free(p);
}

struct pctx {
	const struct ag3_mounts_config *cfg;
	const char *username; /* NULL: none given */
	const char *host_root;
	char **reserved; /* the profile's targets (+ the persistent path) */
	size_t n_reserved;
	struct ag3_mount_plan *plan;
	struct ag3_error **reterr;
};

/* A new entry in `slot`: a bind (nosuid, nodev) written in the config, to fill in. */
static struct ag3_mount_plan_entry *plan_add(struct pctx *c, enum ag3_mount_slot slot)
{
	struct ag3_mount_plan_entry *e = ag3_mount_plan_add(
		c->plan, slot,
		&(struct ag3_mount){.op = AG3_MOUNT_BIND, .nosuid = true, .nodev = true});
	if (e)
		e->file = c->cfg ? c->cfg->file : NULL;
	return e;
}

static struct ag3_mount_loc loc_of(const struct ag3_pmeta *m)
{
	return (struct ag3_mount_loc){.line = m->loc.line, .col = m->loc.col};
}

_printf_(3, 4) static int skip(struct ag3_mount_plan_entry *e, enum ag3_mount_skip why,
			       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&e->skip_reason, fmt, ap);
	va_end(ap);
	e->skip = why;
	if (r < 0) {
		e->skip_reason = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* 1 exists, 0 missing, or -errno (other errors), beneath host_root. */
static int host_exists(const char *host_root, const char *path)
{
	_cleanup_free_ char *hp = ag3_xmount_join_root(host_root, path);
	struct stat st;
	if (!hp)
		return -ENOMEM;
	if (stat(hp, &st) == 0)
		return 1;
	return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
}

/*
 * An existing host path that goes through a symlink: the runtime binds only
 * symlink-free sources (a link swapped in later must not redirect a bind), so
 * this is refused at compile time, where the YAML entry can be named, instead
 * of at exec time. The path it resolves to is given, for the message.
 */
static int symlinked(struct pctx *c, const struct ag3_pmeta *meta, const char *what,
		     const char *path)
{
	_cleanup_free_ char *hp = ag3_xmount_join_root(c->host_root, path);
	_cleanup_free_ char *root =
		realpath(c->host_root && *c->host_root ? c->host_root : "/", NULL);
	if (!hp || !root)
		return -ENOMEM;
	_cleanup_free_ char *real = realpath(hp, NULL);
	if (!real)
		return 0; /* vanished meanwhile: the runtime says so */
	size_t rn = strcmp(root, "/") ? strlen(root) : 0;
	const char *inside = !strncmp(real, root, rn) && (real[rn] == '/' || !real[rn])
				     ? (real[rn] ? real + rn : "/")
				     : NULL;
	if (inside && !strcmp(inside, path))
		return 0;
	char b[160], b2[160];
	return ag3_error_set_at(c->reterr, ELOOP, c->cfg->file, meta->loc.line, meta->loc.col,
				"%s: '%s' goes through a symlink (to '%s'): bind sources must be "
				"symlink-free; name the real path",
				what, pv(path, b, sizeof(b)),
				pv(inside ? inside : real, b2, sizeof(b2)));
}

/* The reserved path `norm` is (under), or NULL: the fixed set, then the profile's targets. */
static const char *reserved_for(const struct pctx *c, const char *norm)
{
	const char *r = ag3_xmount_fixed_reserved(norm);
	if (r)
		return r;
	for (size_t i = 0; i < c->n_reserved; i++)
		if (strcmp(c->reserved[i], "/") != 0 && ag3_path_is_under(norm, c->reserved[i]))
			return c->reserved[i];
	return NULL;
}

static int missing_required(struct pctx *c, const struct ag3_pmeta *meta, const char *what,
			    const char *path, int e)
{
	char b[160];
	if (e == 0)
		return ag3_error_set_at(c->reterr, ENOENT, c->cfg->file, meta->loc.line,
					meta->loc.col,
					"%s: '%s' does not exist on this host, and the mount is "
					"required (optional: false); refusing to run without it",
					what, pv(path, b, sizeof(b)));
	return ag3_error_set_at(c->reterr, -e, c->cfg->file, meta->loc.line, meta->loc.col,
				"%s: cannot check '%s': %s", what, pv(path, b, sizeof(b)),
				strerror(-e));
}

/*
 * An entry's host source (e->source) on this host: a required one that is missing,
 * or any present one that goes through a symlink, is an error naming `what` at
 * `meta`; a missing optional one is skipped. 0, or a negative errno.
 */
static int check_source(struct pctx *c, struct ag3_mount_plan_entry *e,
			const struct ag3_pmeta *meta, const char *what)
{
	char b[160];
	int x = host_exists(c->host_root, e->source);
	if (x == -ENOMEM)
		return -ENOMEM;
	if (x <= 0 && !e->optional)
		return missing_required(c, meta, what, e->source, x);
	if (x > 0)
		return symlinked(c, meta, what, e->source);
	return skip(e, AG3_MOUNT_SKIP_MISSING, "'%s' does not exist on this host (optional)",
		    pv(e->source, b, sizeof(b))) < 0
		       ? -ENOMEM
		       : 0;
}

static int plan_records(struct pctx *c, const struct ag3_xmounts *l)
{
	char b[160];
	for (size_t i = 0; i < l->n; i++) {
		const struct ag3_xmount *m = &l->items[i];
		struct ag3_mount_plan_entry *e = plan_add(c, AG3_SLOT_EXT_MOUNT);
		_cleanup_free_ char *sub = NULL;
		if (!e)
			return -ENOMEM;
		e->ro = m->ro;
		e->optional = m->optional.v;
		e->loc = loc_of(&m->meta);
		if (asprintf(&e->origin, "%s %s", m->key, m->name.v) < 0 ||
		    asprintf(&e->target, AG3_XMOUNT_ROOT "/%s", m->name.v) < 0)
			return -ENOMEM;
		if (m->per_user && !c->username) {
			if (skip(e, AG3_MOUNT_SKIP_NO_USERNAME,
				 "a per_user mount, and no user was given (--user)") < 0)
				return -ENOMEM;
			continue;
		}
		if (m->per_user && !ag3_xmount_users_match(&m->users, c->username, false)) {
			if (skip(e, AG3_MOUNT_SKIP_NOT_AUTHORIZED, "user '%s' is not in its users",
				 pv(c->username, b, sizeof(b))) < 0)
				return -ENOMEM;
			continue;
		}
		if (!(sub = ag3_placeholder_subst_username(m->host_path.v, c->username)) ||
		    ag3_path_normalize(sub, &e->source) < 0)
			return -ENOMEM;
		_cleanup_free_ char *what = NULL;
		if (asprintf(&what, "%s (%s).host_path", m->key, m->name.v) < 0)
			return -ENOMEM;
		int k = check_source(c, e, &m->host_path.meta, what);
		if (k < 0)
			return k;
	}
	return 0;
}

static int plan_original_paths(struct pctx *c, const struct ag3_xorigs *l)
{
	char b[160];
	for (size_t i = 0; i < l->n; i++) {
		const struct ag3_xorig *o = &l->items[i];
		const char *res = reserved_for(c, o->path.v);
		if (res)
			return ag3_error_set_at(c->reterr, EINVAL, c->cfg->file,
						o->path.meta.loc.line, o->path.meta.loc.col,
						"%s.path: '%s' %s the profile's mount target %s "
						"(binding there would "
						"cover it or write into it)",
						o->key, pv(o->path.v, b, sizeof(b)),
						strcmp(res, o->path.v) ? "is under" : "is", res);
		struct ag3_mount_plan_entry *e = plan_add(c, AG3_SLOT_EXT_ORIGINAL);
		if (!e)
			return -ENOMEM;
		e->ro = o->ro;
		e->optional = o->optional.v;
		e->loc = loc_of(&o->meta);
		if (!(e->origin = strdup(o->key)) || !(e->source = strdup(o->path.v)) ||
		    !(e->target = strdup(o->path.v)))
			return -ENOMEM;
		if (!ag3_xmount_users_match(&o->allowed_users, c->username, false)) {
			int k = c->username ? skip(e, AG3_MOUNT_SKIP_NOT_AUTHORIZED,
						   "user '%s' is not in its allowed_users",
						   pv(c->username, b, sizeof(b)))
					    : skip(e, AG3_MOUNT_SKIP_NO_USERNAME,
						   "its allowed_users names users, and no user was "
						   "given (--user)");
			if (k < 0)
				return -ENOMEM;
			continue;
		}
		_cleanup_free_ char *what = NULL;
		if (asprintf(&what, "%s.path", o->key) < 0)
			return -ENOMEM;
		int k = check_source(c, e, &o->path.meta, what);
		if (k < 0)
			return k;
	}
	return 0;
}

/* The original-path exposure of a bound entry's host path. */
static int plan_exposure(struct pctx *c, size_t idx)
{
	char b[160];
	/* copy what we need: plan_add may move the array */
	const struct ag3_mount_plan_entry src = c->plan->items[idx];
	size_t upto = c->plan->n;
	struct ag3_mount_plan_entry *e = plan_add(c, AG3_SLOT_EXT_ORIGINAL_OF);
	if (!e)
		return -ENOMEM;
	e->ro = src.ro;
	e->optional = true; /* as the platform: optional=True */
	e->loc = src.loc;
	if (asprintf(&e->origin, "original-path of %s", src.origin) < 0 ||
	    !(e->source = strdup(src.source)) || !(e->target = strdup(src.source)))
		return -ENOMEM;
	const char *res = reserved_for(c, e->target);
	if (res)
		return skip(e, AG3_MOUNT_SKIP_RESERVED,
			    "'%s' %s the reserved path %s: not exposed at its original path (the "
			    "platform did not check this)",
			    pv(e->target, b, sizeof(b)), strcmp(res, e->target) ? "is under" : "is",
			    res);
	if (ag3_xmount_path_depth(e->target) < 2)
		return skip(e, AG3_MOUNT_SKIP_RESERVED,
			    "'%s' has fewer than 2 components: not exposed at its original path "
			    "(it would cover a top-level directory)",
			    pv(e->target, b, sizeof(b)));
	const struct ag3_mount_plan_entry *by =
		ag3_mount_plan_find_target(c->plan, e->target, upto);
	if (by)
		return skip(e, AG3_MOUNT_SKIP_DUPLICATE, "'%s' is already bound by %s",
			    pv(e->target, b, sizeof(b)), by->origin);
	return 0;
}

/* The request as written, from a dynamic mount's origin ("dynamic logs/x=a"). */
static const char *dyn_arg(const struct ag3_dyn_mount *d)
{
	return strncmp(d->origin, "dynamic ", 8) ? d->origin : d->origin + 8;
}

int ag3_mounts_config_plan(const struct ag3_mounts_config *cfg, const struct ag3_profile *profile,
			   const struct ag3_vars *vars, const struct ag3_dyn_mount *dyn,
			   size_t n_dyn, const char *host_root, struct ag3_mount_plan **ret,
			   struct ag3_error **reterr)
{
	_cleanup_(ag3_xplan_freep) struct ag3_mount_plan *plan = calloc(1, sizeof(*plan));
	struct pctx c = {.cfg = cfg, .host_root = host_root, .plan = plan, .reterr = reterr};
	_cleanup_free_ char *persistent = NULL;
	char b[160];
	int r = 0;

	if (!plan)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	if (!cfg) {
		*ret = TAKE_PTR(plan);
		return 0;
	}
	c.username = vars && vars->username && *vars->username ? vars->username : NULL;
	if (c.username && !ag3_path_component_valid(c.username))
		return ag3_error_set(reterr, EINVAL,
				     "session: the user name '%s' cannot be used in a path (it "
				     "must be one path component)",
				     pv(c.username, b, sizeof(b)));
	if (profile && ag3_profile_mount_targets(profile, vars, &c.reserved) < 0)
		goto oom;
	while (c.reserved && c.reserved[c.n_reserved])
		c.n_reserved++;
	if (c.username && asprintf(&persistent, "/users/%s/ag3ntum/persistent", c.username) < 0) {
		persistent = NULL;
		goto oom;
	}
	if (persistent) {
		char **n = realloc(c.reserved, (c.n_reserved + 2) * sizeof(char *));
		if (!n)
			goto oom;
		c.reserved = n;
		if (!(c.reserved[c.n_reserved] = strdup(persistent)))
			goto oom;
		c.reserved[++c.n_reserved] = NULL;
	}

	/* 1. the mask: a private tmpfs the binds below go into, read-only (the runtime
	 * makes a read-only tmpfs read-only after the mount points inside it are made, so
	 * even a command that owns it, in a user namespace, cannot chmod its way into
	 * adding entries) */
	struct ag3_mount_plan_entry *e = plan_add(&c, AG3_SLOT_EXT_MASK);
	if (!e || !(e->origin = strdup("tmpfs mask " AG3_XMOUNT_ROOT " (external mounts)")) ||
	    !(e->target = strdup(AG3_XMOUNT_ROOT)))
		goto oom;
	e->m = (struct ag3_mount){.op = AG3_MOUNT_TMPFS,
				  .target = e->target,
				  .ro = true,
				  .nosuid = true,
				  .nodev = true,
				  .noexec = true,
				  .mode = 0555,
				  .size = AG3_XMOUNT_MASK_SIZE,
				  .origin = e->origin};

	/* 2. the persistent directory at its own path, so ./persistent symlinks resolve */
	if (!(e = plan_add(&c, AG3_SLOT_EXT_PERSISTENT)) ||
	    !(e->origin = strdup("persistent storage (same path)")))
		goto oom;
	e->optional = true;
	e->file = NULL;
	if (!persistent) {
		if (!(e->target = strdup("/users/{username}/ag3ntum/persistent")) ||
		    skip(e, AG3_MOUNT_SKIP_NO_USERNAME, "no user was given (--user)") < 0)
			goto oom;
	} else {
		if (!(e->source = strdup(persistent)) || !(e->target = strdup(persistent)))
			goto oom;
		r = host_exists(host_root, persistent);
		if (r == -ENOMEM)
			goto oom;
		if (r <= 0 && skip(e, AG3_MOUNT_SKIP_MISSING, "'%s' does not exist on this host",
				   persistent) < 0)
			goto oom;
		r = 0;
	}

	/* 3. the records, at /mounts/<name> */
	const struct ag3_xmounts *ls[4] = {&cfg->global.ro, &cfg->global.rw, &cfg->per_user.ro,
					   &cfg->per_user.rw};
	size_t start[5];
	for (size_t l = 0; l < 4; l++) {
		start[l] = plan->n;
		if ((r = plan_records(&c, ls[l])) < 0)
			goto fail;
	}
	start[4] = plan->n;

	/* 4. dynamic requests */
	size_t first_dyn = plan->n;
	for (size_t i = 0; i < n_dyn; i++) {
		const struct ag3_dyn_mount *d = &dyn[i];
		const struct ag3_mount_plan_entry *by =
			ag3_mount_plan_find_target(plan, d->container_path, plan->n);
		if (by) {
			r = ag3_error_set(reterr, EINVAL,
					  "--dynamic %s: %s is already mounted by %s", dyn_arg(d),
					  d->container_path, by->origin);
			goto fail;
		}
		/* nested under (or over) another dynamic mount: only where the host layout
		 * is the same, else the runtime would create the mount point inside the other
		 * mount's host directory, or hide it */
		for (size_t j = first_dyn; j < plan->n; j++) {
			const struct ag3_mount_plan_entry *o = &plan->items[j];
			const struct ag3_mount_plan_entry *outer = NULL;
			const char *inner_src = NULL, *inner_tgt = NULL;
			if (o->skip != AG3_MOUNT_SKIP_NONE)
				continue;
			if (ag3_path_is_under(d->container_path, o->target)) {
				outer = o;
				inner_src = d->host_path;
				inner_tgt = d->container_path;
			} else if (ag3_path_is_under(o->target, d->container_path)) {
				inner_src = o->source;
				inner_tgt = o->target;
			} else
				continue;
			const char *osrc = outer ? outer->source : d->host_path;
			const char *otgt = outer ? outer->target : d->container_path;
			_cleanup_free_ char *want = NULL;
			if (asprintf(&want, "%s%s", strcmp(osrc, "/") ? osrc : "",
				     inner_tgt + strlen(otgt)) < 0) {
				want = NULL;
				goto oom;
			}
			if (strcmp(want, inner_src) != 0) {
				r = ag3_error_set(
					reterr, EINVAL,
					"--dynamic %s: %s and %s (from %s) nest, but their host "
					"directories do not; use another alias",
					dyn_arg(d), d->container_path, o->target, o->origin);
				goto fail;
			}
		}
		if (!(e = plan_add(&c, AG3_SLOT_EXT_DYNAMIC)))
			goto oom;
		e->ro = d->ro;
		e->optional = d->optional;
		e->file = NULL;
		if (!(e->origin = strdup(d->origin)) || !(e->source = strdup(d->host_path)) ||
		    !(e->target = strdup(d->container_path)))
			goto oom;
		if (!d->exists && skip(e, AG3_MOUNT_SKIP_MISSING,
				       "'%s' does not exist on this host (the base is optional)",
				       pv(d->host_path, b, sizeof(b))) < 0)
			goto oom;
	}
	size_t end_dyn = plan->n;

	/* 5. original_paths for the user */
	if ((r = plan_original_paths(&c, &cfg->original_paths.ro)) < 0 ||
	    (r = plan_original_paths(&c, &cfg->original_paths.rw)) < 0)
		goto fail;

	/* 6. exposures: ro (global, per_user), rw (global, per_user), then dynamic */
	static const size_t order[4] = {0, 2, 1, 3};
	for (size_t k = 0; k < 4; k++)
		for (size_t i = start[order[k]]; i < start[order[k] + 1]; i++)
			if (plan->items[i].skip == AG3_MOUNT_SKIP_NONE &&
			    (r = plan_exposure(&c, i)) < 0)
				goto fail;
	for (size_t i = first_dyn; i < end_dyn; i++)
		if (plan->items[i].skip == AG3_MOUNT_SKIP_NONE && (r = plan_exposure(&c, i)) < 0)
			goto fail;

	for (size_t i = 0; i < c.n_reserved; i++)
		free(c.reserved[i]);
	free(c.reserved);
	*ret = TAKE_PTR(plan);
	return 0;
oom:
	r = ag3_error_set(reterr, ENOMEM, "out of memory");
fail:
	if (r == -ENOMEM)
		ag3_error_set(reterr, ENOMEM, "out of memory");
	for (size_t i = 0; i < c.n_reserved; i++)
		free(c.reserved[i]);
	free(c.reserved);
	return r;
}
