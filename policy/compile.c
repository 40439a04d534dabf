/* SPDX-License-Identifier: MIT */
/*
 * The compiler: profile + session -> spec.
 *
 * Deterministic: it reads the profile, the session and (for mount sources
 * and /lib64) the host's file system, nothing else; no clock, no randomness,
 * no hash order. Everything the platform did fail-open we refuse, and what it
 * only pretended to enforce we enforce (reference sections 8 and 10).
 */
#include "compile.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts-config.h"
#include "mounts/plan.h"
#include "placeholders.h"
#include "runtime/identity.h"
#include "profile-model.h"
#include "uid-policy.h"

#define TMPFS_PATH_SIZE (1ull << 20)

struct cctx {
	const struct ag3_profile *p;
	const struct ag3_vars *s;
	const char *file;
	char *host_root;                    /* NULL: "/" */
	const struct ag3_mount_plan *xplan; /* external mounts; NULL: none */
	struct ag3_mount_plan plan;         /* the spec's mounts, before they are put in order */
	struct ag3_error **reterr;
	struct ag3_spec *spec;
	struct ag3_placeholders ph; /* the session's placeholder values */
};

/* A profile mount with its paths resolved. */
struct resolved {
	const struct ag3_pmount *m;
	char *source; /* NULL when ephemeral */
	char *target;
	bool ephemeral; /* {workspace_dir} source without a workspace: a tmpfs */
};

struct rlist {
	struct resolved *v;
	size_t n;
};

static void rlist_clear(struct rlist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].source);
		free(l->v[i].target);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

_printf_(3, 4) static int cerr(struct cctx *c, const struct ag3_pmeta *meta, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = ag3_error_set_atv(c->reterr, EINVAL, c->file, meta ? meta->loc.line : 0,
				  meta ? meta->loc.col : 0, NULL, fmt, ap);
	va_end(ap);
	return r;
}

static int oom(struct cctx *c)
{
	return ag3_error_set(c->reterr, ENOMEM, "out of memory");
}

static const char *pv(const char *s, char *buf, size_t size)
{
	return ag3_yaml_preview(s, strlen(s), buf, size);
}

/* ------------------------------------------------------------- paths -- */

/* A sandbox path that may not be a mount target or a bind source. */
static int check_reserved(struct cctx *c, const struct ag3_pmeta *meta, const char *what,
			  const char *path, bool source)
{
	if (!strcmp(path, "/"))
		return cerr(c, meta,
			    source ? "%s: binding the host's root directory is not allowed"
				   : "%s: the sandbox root itself cannot be a mount target",
			    what);
	if (ag3_path_is_under(path, "/proc"))
		return cerr(
			c, meta,
			"%s: '%s' is under /proc: the sandbox always gets its own /proc for its "
			"pid namespace (binding host /proc entries exposed other processes' "
			"argv and secrets on the platform)",
			what, path);
	return 0;
}

static char *host_path(struct cctx *c, const char *p)
{
	char *s = NULL;
	if (!c->host_root)
		return strdup(p);
	return asprintf(&s, "%s%s", c->host_root, p) < 0 ? NULL : s;
}

/*
 * When `path` on the host is a symlink whose text is relative and resolves
 * inside /usr (merged /usr: /bin -> usr/bin), puts the text in *ret and
 * returns 1; 0 when not; -ENOMEM.
 */
static int usr_symlink(struct cctx *c, const char *path, char **ret)
{
	_cleanup_free_ char *hp = host_path(c, path), *text = NULL, *res = NULL;
	struct stat st;
	if (!hp)
		return -ENOMEM;
	if (lstat(hp, &st) < 0 || !S_ISLNK(st.st_mode))
		return 0;
	text = malloc(PATH_MAX);
	if (!text)
		return -ENOMEM;
	ssize_t n = readlink(hp, text, PATH_MAX - 1);
	if (n <= 0 || text[0] == '/')
		return 0;
	text[n] = '\0';
	/* resolve lexically against the link's directory */
	res = malloc(strlen(path) + (size_t)n + 3);
	if (!res)
		return -ENOMEM;
	strcpy(res, path);
	*strrchr(res, '/') = '\0';
	for (const char *s = text; *s;) {
		size_t len = strcspn(s, "/");
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			char *slash = strrchr(res, '/');
			if (slash)
				*slash = '\0';
		} else if (len && !(len == 1 && s[0] == '.')) {
			size_t o = strlen(res);
			res[o] = '/';
			memcpy(res + o + 1, s, len);
			res[o + 1 + len] = '\0';
		}
		s += len;
		while (*s == '/')
			s++;
	}
	if (!ag3_path_is_under(res, "/usr"))
		return 0;
	*ret = TAKE_PTR(text);
	return 1;
}

/* ------------------------------------------------------------- mounts -- */

static int resolve_mount(struct cctx *c, const struct ag3_pmount *m, struct resolved *out)
{
	_cleanup_free_ char *what = NULL, *src = NULL, *tgt = NULL;
	int r;

	out->m = m;
	if (asprintf(&what, "%s.source", m->key) < 0)
		return oom(c);
	r = ag3_placeholders_substitute(&c->ph, &m->source, what, &out->ephemeral, false, &src);
	if (r < 0)
		return r;
	if (src) {
		r = ag3_placeholders_normalize(&c->ph, &m->source.meta, what, src, &out->source);
		if (r < 0)
			return r;
		r = check_reserved(c, &m->source.meta, what, out->source, true);
		if (r < 0)
			return r;
	}
	strcpy(what + strlen(m->key), ".target");
	r = ag3_placeholders_substitute(&c->ph, &m->target, what, NULL, false, &tgt);
	if (r < 0)
		return r;
	r = ag3_placeholders_normalize(&c->ph, &m->target.meta, what, tgt, &out->target);
	if (r < 0)
		return r;
	return check_reserved(c, &m->target.meta, what, out->target, false);
}

static int resolve_mounts(struct cctx *c, const struct ag3_pmounts *l, struct rlist *out)
{
	if (!l->n)
		return 0;
	out->v = calloc(l->n, sizeof(*out->v));
	if (!out->v)
		return oom(c);
	for (size_t i = 0; i < l->n; i++) {
		int r = resolve_mount(c, &l->items[i], &out->v[out->n++]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Adds an op to the mount plan, in `slot` (mounts/plan.h has the order). */
static int add_mount(struct cctx *c, enum ag3_mount_slot slot, const struct ag3_mount *m)
{
	return ag3_mount_plan_add(&c->plan, slot, m) ? 0 : oom(c);
}

/* Whether `origin` is a static mount whose source, as written, has no placeholder. */
static bool static_fixed(const struct cctx *c, const char *origin)
{
	const struct ag3_pmounts *l = &c->p->sandbox.static_mounts;
	for (size_t i = 0; origin && i < l->n; i++)
		if (l->items[i].key && !strcmp(l->items[i].key, origin))
			return !strchr(l->items[i].source.v, '{');
	return false;
}

/*
 * Emits one profile mount: a tmpfs when ephemeral, a symlink for a merged-/usr
 * system link, else a bind (after checking its source exists on the host).
 */
static int emit_mount(struct cctx *c, const struct resolved *r, enum ag3_mount_slot slot)
{
	const struct ag3_pmount *pm = r->m;
	bool system = slot == AG3_SLOT_SYSTEM;
	struct ag3_mount m = {
		.op = AG3_MOUNT_BIND,
		.source = r->source,
		.target = r->target,
		.ro = pm->ro.v,
		.optional = pm->optional.v,
		.nosuid = true,
		.nodev = true,
		.origin = pm->key,
	};
	char b[160];

	if (r->ephemeral) {
		_cleanup_free_ char *origin = NULL;
		if (asprintf(&origin, "%s (ephemeral: no --workspace)", pm->key) < 0)
			return oom(c);
		m = (struct ag3_mount){
			.op = AG3_MOUNT_TMPFS,
			.target = r->target,
			.ro = pm->ro.v,
			.nosuid = true,
			.nodev = true,
			.size = c->p->sandbox.limits.tmp_size.v,
			.mode = 01777,
			.origin = origin,
		};
		return add_mount(c, slot, &m);
	}
	if (system && !strcmp(r->source, r->target)) {
		_cleanup_free_ char *text = NULL;
		int k = usr_symlink(c, r->source, &text);
		if (k < 0)
			return oom(c);
		if (k > 0) {
			m = (struct ag3_mount){.op = AG3_MOUNT_SYMLINK,
					       .source = text,
					       .target = r->target,
					       .origin = pm->key};
			return add_mount(c, slot, &m);
		}
	}
	_cleanup_free_ char *hp = host_path(c, r->source);
	struct stat st;
	if (!hp)
		return oom(c);
	/* The runtime opens bind sources without following any symlink (a user who
	 * swaps a directory of theirs for a symlink must not get another one bound).
	 * Static mounts are the operator's system paths, which may legitimately go
	 * through symlinks (/etc/resolv.conf): they are resolved here, once; but only
	 * a fixed path: one holding {workspace_dir}, {username} ... is partly the
	 * user's, who could plant the link, and is bound only if symlink-free. */
	_cleanup_free_ char *resolved = NULL;
	if (system && !c->host_root && static_fixed(c, pm->key) &&
	    (resolved = realpath(hp, NULL)) && strcmp(resolved, r->source) != 0)
		m.source = resolved;
	if (stat(hp, &st) < 0) {
		int e = errno;
		if (pm->optional.v)
			return 0; /* optional and missing: omitted */
		if (e == ENOENT || e == ENOTDIR)
			return cerr(c, &pm->source.meta,
				    "%s.source: '%s' does not exist on this host, and the mount is "
				    "required (optional: false); refusing to run without it",
				    pm->key, pv(r->source, b, sizeof(b)));
		return ag3_error_set_at(c->reterr, e, c->file, pm->source.meta.loc.line,
					pm->source.meta.loc.col, "%s.source: cannot check '%s': %s",
					pm->key, pv(r->source, b, sizeof(b)), strerror(e));
	}
	return add_mount(c, slot, &m);
}

static bool any_target(const struct rlist *lists, size_t n, const char *target)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < lists[i].n; j++)
			if (!strcmp(lists[i].v[j].target, target))
				return true;
	return false;
}

/* Adds the external-mount plan's applied entries, each in its slot. */
static int emit_xplan(struct cctx *c)
{
	if (!c->xplan)
		return 0;
	for (size_t i = 0; i < c->xplan->n; i++) {
		const struct ag3_mount_plan_entry *e = &c->xplan->items[i];
		if (e->skip != AG3_MOUNT_SKIP_NONE)
			continue;
		int r = add_mount(c, e->slot, &e->m);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The host's /lib64 when no mount targets it (the platform's HEAD profile lacked it). */
static int emit_lib64(struct cctx *c)
{
	static const char origin[] = "builtin /lib64 (host has it)";
	_cleanup_free_ char *text = NULL, *hp = host_path(c, "/lib64");
	struct stat st;
	if (!hp)
		return oom(c);
	if (lstat(hp, &st) < 0)
		return 0;
	int k = usr_symlink(c, "/lib64", &text);
	if (k < 0)
		return oom(c);
	if (k > 0)
		return add_mount(c, AG3_SLOT_LIB64,
				 &(struct ag3_mount){.op = AG3_MOUNT_SYMLINK,
						     .source = text,
						     .target = (char *)"/lib64",
						     .origin = (char *)origin});
	if (stat(hp, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return add_mount(c, AG3_SLOT_LIB64,
			 &(struct ag3_mount){.op = AG3_MOUNT_BIND,
					     .source = (char *)"/lib64",
					     .target = (char *)"/lib64",
					     .ro = true,
					     .nosuid = true,
					     .nodev = true,
					     .origin = (char *)origin});
}

/* Whether a profile mount or a tmpfs_paths entry targets `path` or one of its parents. */
static bool covered(const struct rlist *lists, size_t n, char **tmpfs, size_t n_tmpfs,
		    const char *path)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < lists[i].n; j++)
			if (ag3_path_is_under(path, lists[i].v[j].target))
				return true;
	for (size_t i = 0; i < n_tmpfs; i++)
		if (ag3_path_is_under(path, tmpfs[i]))
			return true;
	return false;
}

/* Whether the profile binds the host's /usr at /usr (the dpkg database describes it). */
static bool host_usr_bound(const struct cctx *c, const struct rlist *sys)
{
	for (size_t i = 0; i < sys->n; i++)
		if (sys->v[i].source && !strcmp(sys->v[i].source, "/usr") &&
		    !strcmp(sys->v[i].target, "/usr"))
			for (size_t k = 0; k < c->plan.n; k++)
				if (c->plan.items[k].m.op == AG3_MOUNT_BIND &&
				    !strcmp(c->plan.items[k].m.target, "/usr"))
					return true;
	return false;
}

/*
 * A private tmpfs at /var/tmp (sandbox.var_tmp), and the host's /var/lib/dpkg
 * read-only (sandbox.dpkg_database: auto when the host's /usr is bound and the host
 * has it), each unless a profile mount already covers the path.
 */
static int emit_var(struct cctx *c, const struct rlist *lists, size_t n, char **tmpfs,
		    size_t n_tmpfs)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	int r = 0;
	if (sb->var_tmp.v && !covered(lists, n, tmpfs, n_tmpfs, "/var/tmp"))
		r = add_mount(c, AG3_SLOT_BUILTIN,
			      &(struct ag3_mount){.op = AG3_MOUNT_TMPFS,
						  .target = (char *)"/var/tmp",
						  .nosuid = true,
						  .nodev = true,
						  .mode = 01777,
						  .size = sb->limits.tmp_size.v,
						  .origin = (char *)"sandbox.var_tmp"});
	const enum ag3_tristate want = sb->dpkg_database.v;
	if (r < 0 || want == AG3_TRI_NEVER || covered(lists, n, tmpfs, n_tmpfs, "/var/lib/dpkg") ||
	    (want == AG3_TRI_AUTO && !host_usr_bound(c, &lists[0])))
		return r;
	_cleanup_free_ char *hp = host_path(c, "/var/lib/dpkg"), *real = NULL;
	struct stat st;
	if (!hp)
		return oom(c);
	if (stat(hp, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (want == AG3_TRI_AUTO)
			return 0;
		return cerr(c, &sb->dpkg_database.meta,
			    "sandbox.dpkg_database: always, but this host has no /var/lib/dpkg "
			    "directory");
	}
	/* a system path of the operator's, resolved once as static mounts are */
	if (!c->host_root && (real = realpath(hp, NULL)) && !strcmp(real, "/"))
		return 0;
	return add_mount(
		c, AG3_SLOT_BUILTIN,
		&(struct ag3_mount){.op = AG3_MOUNT_BIND,
				    .source = real ? real : (char *)"/var/lib/dpkg",
				    .target = (char *)"/var/lib/dpkg",
				    .ro = true,
				    .nosuid = true,
				    .nodev = true,
				    .noexec = true,
				    .origin = want == AG3_TRI_AUTO
						      ? (char *)"sandbox.dpkg_database "
								"(auto: the host's /usr is "
								"bound)"
						      : (char *)"sandbox.dpkg_database"});
}

static int compile_mounts(struct cctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	struct rlist lists[4] = {0};
	char **tmpfs = NULL;
	size_t n_tmpfs = 0;
	int r = 0;

	const struct ag3_pmounts *sections[4] = {&sb->static_mounts, &sb->session_mounts,
						 &sb->dynamic_mounts, &sb->original_path_mounts};
	for (size_t i = 0; i < 4 && r == 0; i++)
		r = resolve_mounts(c, sections[i], &lists[i]);
	if (r == 0 && sb->tmpfs_paths.n && !(tmpfs = calloc(sb->tmpfs_paths.n, sizeof(*tmpfs))))
		r = oom(c);
	for (size_t i = 0; r == 0 && i < sb->tmpfs_paths.n; i++) {
		const struct ag3_pstr *t = &sb->tmpfs_paths.items[i];
		char what[64];
		snprintf(what, sizeof(what), "sandbox.tmpfs_paths[%zu]", i);
		for (const char *s = strchr(t->v, '{'); s && r == 0; s = strchr(s + 1, '{'))
			if (ag3_placeholder_len(s))
				r = cerr(c, &t->meta,
					 "%s: placeholders are not resolved in tmpfs_paths (nor "
					 "were "
					 "they on the platform); write the path itself",
					 what);
		if (r == 0)
			r = ag3_placeholders_normalize(&c->ph, &t->meta, what, t->v,
						       &tmpfs[n_tmpfs]);
		if (r == 0)
			n_tmpfs++;
		if (r == 0)
			r = check_reserved(c, &t->meta, what, tmpfs[n_tmpfs - 1], false);
	}

	/* The entries, each in its slot of the mount order (mounts/plan.h): the
	 * profile's mounts, in YAML order (a missing required source is an error) */
	static const enum ag3_mount_slot slots[4] = {AG3_SLOT_SYSTEM, AG3_SLOT_SESSION,
						     AG3_SLOT_DYNAMIC, AG3_SLOT_ORIGINAL};
	for (size_t k = 0; k < 4; k++)
		for (size_t i = 0; r == 0 && i < lists[k].n; i++)
			r = emit_mount(c, &lists[k].v[i], slots[k]);
	/* the host's /lib64 when none has it */
	if (r == 0 && !any_target(lists, 4, "/lib64")) {
		bool in_tmpfs = false;
		for (size_t i = 0; i < n_tmpfs; i++)
			in_tmpfs |= !strcmp(tmpfs[i], "/lib64");
		if (!in_tmpfs)
			r = emit_lib64(c);
	}

	/* the builtins */
	if (r == 0)
		r = add_mount(c, AG3_SLOT_BUILTIN,
			      &(struct ag3_mount){.op = AG3_MOUNT_TMPFS,
						  .target = (char *)"/tmp",
						  .nosuid = true,
						  .nodev = true,
						  .mode = 01777,
						  .size = sb->limits.tmp_size.v,
						  .origin = (char *)"builtin /tmp"});
	/* a real proc for the sandbox's own pid namespace, whatever proc_filtering says:
	 * the platform's bind of /proc/self showed bwrap's argv, secrets included */
	if (r == 0)
		r = add_mount(c, AG3_SLOT_BUILTIN,
			      &(struct ag3_mount){.op = AG3_MOUNT_PROC,
						  .target = (char *)"/proc",
						  .nosuid = true,
						  .nodev = true,
						  .noexec = true,
						  .origin = (char *)"builtin /proc"});
	if (r == 0)
		r = add_mount(c, AG3_SLOT_BUILTIN,
			      &(struct ag3_mount){.op = AG3_MOUNT_DEV,
						  .target = (char *)"/dev",
						  .nosuid = true,
						  .noexec = true,
						  .origin = (char *)"builtin /dev"});
	/* /var/tmp and the dpkg database (README "What a sandbox is") */
	if (r == 0)
		r = emit_var(c, lists, 4, tmpfs, n_tmpfs);

	/* tmpfs_paths (before the dynamic binds that go on top) */
	for (size_t i = 0; r == 0 && i < n_tmpfs; i++) {
		char origin[64];
		snprintf(origin, sizeof(origin), "sandbox.tmpfs_paths[%zu]", i);
		r = add_mount(c, AG3_SLOT_TMPFS,
			      &(struct ag3_mount){.op = AG3_MOUNT_TMPFS,
						  .target = tmpfs[i],
						  .nosuid = true,
						  .nodev = true,
						  .mode = 0755,
						  .size = TMPFS_PATH_SIZE,
						  .origin = origin});
	}
	/* the external mounts: the mask over /mounts, the persistent same-path bind, the
	 * authorized records, the dynamic requests, the original paths */
	if (r == 0)
		r = emit_xplan(c);

	/* in order, into the spec */
	if (r == 0 && ag3_mount_plan_order(&c->plan) < 0)
		r = oom(c);
	for (size_t i = 0; r == 0 && i < c->plan.n; i++)
		if (ag3_spec_add_mount(c->spec, &c->plan.items[i].m) < 0)
			r = oom(c);

	for (size_t i = 0; i < 4; i++)
		rlist_clear(&lists[i]);
	for (size_t i = 0; i < n_tmpfs; i++)
		free(tmpfs[i]);
	free(tmpfs);
	return r;
}

/* ----------------------------------------------------- the rest of it -- */

static int refuse_fail_open(struct cctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	const struct ag3_yaml_node *root = c->p->doc ? c->p->doc->root : NULL;
	static const char consequence[] =
		"the agent platform ran commands UNSANDBOXED in that case (fail-open), with the "
		"API's whole environment; ag3ntum-sandbox refuses to";

	if (!sb->meta.set) {
		if (sb->meta.loc.key_line)
			return ag3_error_set_at(
				c->reterr, EINVAL, c->file, sb->meta.loc.key_line,
				sb->meta.loc.key_col,
				"sandbox: is null, which means no sandbox: %s. Give "
				"it a sandbox section (see profiles/default.yaml)",
				consequence);
		return ag3_error_set_at(c->reterr, EINVAL, c->file, root ? root->line : 1,
					root ? root->col : 1,
					"the profile has no 'sandbox' section: %s. Add one (see "
					"profiles/default.yaml)",
					consequence);
	}
	if (!sb->enabled.v)
		return cerr(c, &sb->enabled.meta,
			    "sandbox.enabled: false: %s. Remove the key or set it to true",
			    consequence);
	if (!sb->file_sandboxing.v)
		return cerr(c, &sb->file_sandboxing.meta,
			    "sandbox.file_sandboxing: false: %s. Remove the key or set it to true",
			    consequence);
	return 0;
}

/*
 * The platform's keys onto the three modes (README "Network"): network_sandboxing
 * false is the host's network; otherwise network.enabled with allowed domains, or
 * with forwarded localhost ports, is the allowlist; anything else is none.
 */
static int compile_network(struct cctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	struct ag3_spec *spec = c->spec;

	if (!sb->network_sandboxing.v) {
		spec->network.mode = AG3_NET_HOST;
		spec->namespaces.net = false;
		return 0;
	}
	spec->namespaces.net = true;
	spec->network.mode = AG3_NET_NONE;
	if (sb->network.max_connections.meta.set)
		spec->network.max_connections = (uint32_t)sb->network.max_connections.v;
	if (sb->network.max_connection_bytes.meta.set)
		spec->network.max_connection_bytes = sb->network.max_connection_bytes.v;
	if (sb->network.idle_timeout_ms.meta.set)
		spec->network.idle_timeout_ms = sb->network.idle_timeout_ms.v;
	const bool forward = sb->network.allow_localhost.v && sb->network.localhost_ports.n;
	if (!sb->network.enabled.v || (!sb->network.allowed_domains.n && !forward))
		return 0;
	spec->network.mode = AG3_NET_ALLOWLIST;
	spec->network.allow_localhost = sb->network.allow_localhost.v;
	spec->network.allow_private = sb->network.allow_private_destinations.v;
	if (forward) {
		const struct ag3_pports *pp = &sb->network.localhost_ports;
		if (!(spec->network.localhost_ports = calloc(pp->n, sizeof(uint16_t))))
			return oom(c);
		memcpy(spec->network.localhost_ports, pp->v, pp->n * sizeof(uint16_t));
		spec->network.n_localhost_ports = pp->n;
	}
	if (sb->network.allowed_domains.n &&
	    !(spec->network.domains = calloc(sb->network.allowed_domains.n, sizeof(char *))))
		return oom(c);
	for (size_t i = 0; i < sb->network.allowed_domains.n; i++) {
		const char *d = sb->network.allowed_domains.items[i].v;
		bool dup = false;
		for (size_t j = 0; j < spec->network.n_domains && !dup; j++)
			dup = !strcmp(spec->network.domains[j], d);
		if (dup)
			continue;
		if (!(spec->network.domains[spec->network.n_domains] = strdup(d)))
			return oom(c);
		spec->network.n_domains++;
	}
	return 0;
}

/*
 * The command's user (sandbox.user) and the environment a shell expects: USER,
 * LOGNAME, SHELL, LANG, LC_ALL, TERM, TMPDIR, the git identity; and the spec's
 * identity, from which the runtime writes /etc/passwd and /etc/group.
 */
static int compile_user(struct cctx *c, const char *home)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	struct ag3_spec *spec = c->spec;
	_cleanup_free_ char *name = NULL, *group = NULL, *tmpdir = NULL;
	char b[160];
	const struct {
		const struct ag3_pstr *f;
		const char *key;
		char **out;
	} names[] = {{&sb->user.name, "sandbox.user.name", &name},
		     {&sb->user.group, "sandbox.user.group", &group}};
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		const char *v = names[i].f->v;
		if (strstr(v, "{username}") && (!c->s->username || !*c->s->username))
			return cerr(c, &names[i].f->meta,
				    "%s: '%s' needs the session's user name (--user)", names[i].key,
				    v);
		if (!(*names[i].out = ag3_placeholder_subst_username(v, c->s->username)))
			return oom(c);
		if (!ag3_account_name_valid(*names[i].out))
			return cerr(c, &names[i].f->meta,
				    "%s: '%s' is not a user or group name the generated "
				    "/etc/passwd can hold (1-32 of A-Z a-z 0-9 _ . -, not "
				    "starting with '-' or '.', not a number, not root)",
				    names[i].key, pv(*names[i].out, b, sizeof(b)));
	}
	/* a HOME that would break the passwd entry's fields is not its home there */
	if (!ag3_account_path_valid(home))
		home = "/";
	if (sb->user.passwd.v) {
		if (!(spec->identity.name = strdup(name)) ||
		    !(spec->identity.group = strdup(group)) ||
		    !(spec->identity.home = strdup(home)) ||
		    !(spec->identity.shell = strdup(sb->user.shell.v)))
			return oom(c);
		if (ag3_spec_set_env(spec, "USER", name, false) < 0 ||
		    ag3_spec_set_env(spec, "LOGNAME", name, false) < 0)
			return oom(c);
	}
	if (ag3_spec_set_env(spec, "SHELL", sb->user.shell.v, false) < 0)
		return oom(c);
	const char *lang = sb->environment.lang.v, *term = sb->environment.term.v;
	if (*lang && (ag3_spec_set_env(spec, "LANG", lang, false) < 0 ||
		      ag3_spec_set_env(spec, "LC_ALL", lang, false) < 0))
		return oom(c);
	spec->process.term_from_caller = !strcmp(term, "auto");
	if (*term && ag3_spec_set_env(spec, "TERM", spec->process.term_from_caller ? "dumb" : term,
				      false) < 0)
		return oom(c);
	if (*sb->environment.tmpdir.v) {
		int r = ag3_placeholders_normalize(&c->ph, &sb->environment.tmpdir.meta,
						   "sandbox.environment.tmpdir",
						   sb->environment.tmpdir.v, &tmpdir);
		if (r < 0)
			return r;
		if (ag3_spec_set_env(spec, "TMPDIR", tmpdir, false) < 0)
			return oom(c);
	}
	const char *git[2] = {sb->user.git_name.v, sb->user.git_email.v};
	static const char *const vars[2][2] = {{"GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"},
					       {"GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"}};
	for (size_t i = 0; i < 2; i++)
		if (*git[i] && (ag3_spec_set_env(spec, vars[i][0], git[i], false) < 0 ||
				ag3_spec_set_env(spec, vars[i][1], git[i], false) < 0))
			return oom(c);
	return 0;
}

static int compile_env(struct cctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	struct ag3_spec *spec = c->spec;
	_cleanup_free_ char *home = NULL;
	char b[160];
	int r;

	r = ag3_placeholders_normalize(&c->ph, &sb->environment.home.meta,
				       "sandbox.environment.home", sb->environment.home.v, &home);
	if (r < 0)
		return r;
	if (ag3_path_is_under(home, "/proc"))
		return cerr(c, &sb->environment.home.meta,
			    "sandbox.environment.home: '%s' is under /proc", home);
	/*
	 * The environment is always cleared, whatever clear_env says: the
	 * platform's non-clearing mode handed the API's secrets (its whole
	 * os.environ) to every command. custom_env is ignored: the platform reset
	 * it to {} and filled it from the session's sandboxed_envs, as we do.
	 */
	if (ag3_spec_set_env(spec, "HOME", home, false) < 0 ||
	    ag3_spec_set_env(spec, "PATH", sb->environment.path.v, false) < 0 ||
	    ag3_spec_set_env(spec, "AG3NTUM_CONTEXT", "sandbox", false) < 0)
		return oom(c);
	r = compile_user(c, home);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->s->n_env; i++) {
		const struct ag3_env_var *e = &c->s->env[i];
		r = ag3_spec_set_env(spec, e->name, e->value, true);
		if (r == -ENOMEM)
			return oom(c);
		if (r < 0)
			return ag3_error_set(c->reterr, EINVAL,
					     "session environment: '%s' is not a valid variable "
					     "name, or has no value",
					     e->name ? pv(e->name, b, sizeof(b)) : "");
	}
	free(spec->process.cwd);
	spec->process.cwd = TAKE_PTR(home);
	return 0;
}

static int compile_security(struct cctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	struct ag3_spec *spec = c->spec;

	spec->security.seccomp.enabled = sb->seccomp.enabled.v;
	spec->security.seccomp.use_default_list = sb->seccomp.default_list.v;
	spec->security.seccomp.deny_action = sb->seccomp.action.v;
	spec->security.seccomp.deny_errno = sb->seccomp.errno_value.v;
	if (sb->seccomp.rules.n) {
		spec->security.seccomp.rules =
			calloc(sb->seccomp.rules.n, sizeof(*spec->security.seccomp.rules));
		if (!spec->security.seccomp.rules)
			return oom(c);
	}
	for (size_t i = 0; i < sb->seccomp.rules.n; i++) {
		const struct ag3_pseccomp_rule *pr = &sb->seccomp.rules.items[i];
		struct ag3_seccomp_rule *sr =
			&spec->security.seccomp.rules[spec->security.seccomp.n_rules];
		if (!(sr->syscall = strdup(pr->syscall.v)))
			return oom(c);
		spec->security.seccomp.n_rules++;
		sr->action = pr->action.v;
		sr->errno_value = pr->errno_value.v;
		sr->n_args = pr->args.n;
		for (size_t a = 0; a < pr->args.n; a++)
			sr->args[a] = (struct ag3_seccomp_arg){
				.index = (unsigned)pr->args.items[a].index.v,
				.op = pr->args.items[a].op.v,
				.value = pr->args.items[a].value.v,
				.mask = pr->args.items[a].mask.v,
			};
	}

	spec->security.landlock.enabled = sb->landlock.enabled.v;
	const struct ag3_pports *ports[2] = {&sb->landlock.net_bind_ports,
					     &sb->landlock.net_connect_ports};
	uint16_t **dst[2] = {&spec->security.landlock.net_bind_ports,
			     &spec->security.landlock.net_connect_ports};
	size_t *dst_n[2] = {&spec->security.landlock.n_net_bind_ports,
			    &spec->security.landlock.n_net_connect_ports};
	for (size_t k = 0; k < 2; k++) {
		if (!ports[k]->n)
			continue;
		if (!(*dst[k] = malloc(ports[k]->n * sizeof(uint16_t))))
			return oom(c);
		memcpy(*dst[k], ports[k]->v, ports[k]->n * sizeof(uint16_t));
		*dst_n[k] = ports[k]->n;
	}

	spec->security.minimum.userns = sb->minimum_isolation.user_namespace.v;
	spec->security.minimum.seccomp = sb->minimum_isolation.seccomp.v;
	spec->security.minimum.cgroup = sb->minimum_isolation.cgroup.v;
	spec->security.minimum.landlock_abi = (unsigned)sb->minimum_isolation.landlock_abi.v;
	return 0;
}

static int compile_limits(struct cctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	struct ag3_spec *spec = c->spec;

	spec->limits.timeout_ms = sb->limits.timeout_ms.v;
	spec->limits.kill_grace_ms = sb->limits.kill_grace_ms.v;
	spec->limits.memory_bytes = sb->limits.memory.v;
	spec->limits.pids = sb->limits.pids.v;
	spec->limits.cpu_weight = (uint32_t)sb->limits.cpu_weight.v;
	spec->limits.cpu_quota_us = sb->limits.cpu_quota_us.v;
	spec->limits.cpu_period_us = sb->limits.cpu_quota_us.v ? AG3_CPU_PERIOD_US : 0;
	spec->limits.output_bytes = sb->limits.output.v;

	const struct {
		const char *name;
		const struct ag3_pu64 *v;
		bool always;
	} rl[] = {
		{"nofile", &sb->limits.nofile, true},
		{"nproc", &sb->limits.nproc, false},
		{"fsize", &sb->limits.fsize, false},
		{"core", &sb->limits.core, true},
	};
	for (size_t i = 0; i < ELEMENTSOF(rl); i++) {
		if (!rl[i].always && !rl[i].v->meta.set)
			continue;
		int r = ag3_spec_set_rlimit(spec, rl[i].name, rl[i].v->v, rl[i].v->v);
		if (r < 0)
			return r == -ENOMEM ? oom(c)
					    : cerr(c, &rl[i].v->meta, "sandbox.limits.%s: invalid",
						   rl[i].name);
	}
	return 0;
}

/* writable_paths / readonly_paths are informational: only their placeholder names are checked. */
static int check_info_paths(struct cctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	const struct {
		const char *key;
		const struct ag3_pstrlist *l;
	} lists[] = {{"sandbox.writable_paths", &sb->writable_paths},
		     {"sandbox.readonly_paths", &sb->readonly_paths}};
	for (size_t k = 0; k < ELEMENTSOF(lists); k++)
		for (size_t i = 0; i < lists[k].l->n; i++) {
			char what[64];
			char *unused = NULL;
			snprintf(what, sizeof(what), "%s[%zu]", lists[k].key, i);
			int r = ag3_placeholders_substitute(&c->ph, &lists[k].l->items[i], what,
							    NULL, true, &unused);
			if (r < 0)
				return r;
		}
	return 0;
}

/* The uid/gid policy, for ids given explicitly (0 is left to ag3_spec_validate, which
 * refuses it whatever the policy). */
static int check_ids(struct cctx *c, const struct ag3_uid_policy *policy)
{
	int r = 0;
	if (c->s->uid_set && c->s->uid != 0)
		r = ag3_uid_policy_check(policy, "identity.uid", (unsigned long)c->s->uid,
					 c->reterr);
	if (r == 0 && c->s->gid_set && c->s->gid != 0)
		r = ag3_uid_policy_check(policy, "identity.gid", (unsigned long)c->s->gid,
					 c->reterr);
	return r;
}

/* Validates the dynamic requests and plans the external mounts. */
static int plan_external(struct cctx *c, const struct ag3_compile_options *opts,
			 struct ag3_mount_plan **ret)
{
	struct ag3_dyn_mount *dm = NULL;
	size_t n = 0;
	int r = 0;
	if (opts->n_dynamic && !(dm = calloc(opts->n_dynamic, sizeof(*dm))))
		return oom(c);
	for (; n < opts->n_dynamic; n++) {
		const struct ag3_dyn_request *q = &opts->dynamic[n];
		r = ag3_dyn_validate(opts->mounts, q, c->s->username, n, c->host_root, &dm[n],
				     c->reterr);
		if (r != AG3_DYN_OK) {
			if (r > 0)
				r = ag3_error_wrap(c->reterr, "--dynamic %s%s%s%s%s%s",
						   q->base ? q->base : "", q->subpath ? "/" : "",
						   q->subpath ? q->subpath : "",
						   q->mode < 0 ? ""
						   : q->mode   ? ":rw"
							       : ":ro",
						   q->alias ? "=" : "", q->alias ? q->alias : "");
			break;
		}
	}
	if (r == 0)
		r = ag3_mounts_config_plan(opts->mounts, c->p, c->s, dm, n, c->host_root, ret,
					   c->reterr);
	for (size_t i = 0; i < n; i++)
		ag3_dyn_mount_clear(&dm[i]);
	free(dm);
	return r;
}

/* --host-root: every bind source in the spec beneath it. */
static int prefix_sources(struct cctx *c)
{
	for (size_t i = 0; i < c->spec->n_mounts; i++) {
		struct ag3_mount *m = &c->spec->mounts[i];
		char *s = NULL;
		if (m->op != AG3_MOUNT_BIND || !m->source)
			continue;
		if (asprintf(&s, "%s%s", c->host_root, m->source) < 0)
			return oom(c);
		free(m->source);
		m->source = s;
		/* Static mounts are system paths: resolved once, here, as emit_mount does
		 * without a host root (the runtime follows no symlink in a bind source). */
		if (static_fixed(c, m->origin)) {
			char *r = realpath(m->source, NULL);
			if (r) {
				free(m->source);
				m->source = r;
			}
		}
	}
	return 0;
}

int ag3_compile_ex(const struct ag3_profile *p, const struct ag3_vars *s,
		   const struct ag3_compile_options *opts, struct ag3_spec **ret,
		   struct ag3_error **reterr)
{
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	_cleanup_(ag3_xplan_freep) struct ag3_mount_plan *xplan = NULL;
	struct ag3_vars empty = {0};
	struct cctx c = {.p = p, .s = s ? s : &empty, .file = p->file, .reterr = reterr};
	int r;

	r = refuse_fail_open(&c);
	if (r < 0)
		return r;
	if (opts && opts->host_root && strcmp(opts->host_root, "/") != 0) {
		size_t n = strlen(opts->host_root);
		while (n > 1 && opts->host_root[n - 1] == '/')
			n--;
		if (!(c.host_root = strndup(opts->host_root, n)))
			return oom(&c);
	}
	spec = ag3_spec_new();
	if (!spec) {
		r = oom(&c);
		goto out;
	}
	c.spec = spec;

	c.ph = (struct ag3_placeholders){.s = c.s, .file = c.file, .reterr = reterr};
	r = ag3_placeholders_resolve(&c.ph);
	if (r == 0)
		r = check_info_paths(&c);
	if (r == 0)
		r = check_ids(&c, opts ? opts->uid_policy : NULL);
	if (r == 0 && opts && (opts->mounts || opts->n_dynamic))
		r = plan_external(&c, opts, &xplan);
	c.xplan = xplan;
	if (r == 0)
		r = compile_mounts(&c);
	if (r == 0 && opts && opts->prefix_sources && c.host_root)
		r = prefix_sources(&c);
	if (r == 0)
		r = compile_network(&c);
	if (r == 0)
		r = compile_env(&c);
	if (r == 0)
		r = compile_limits(&c);
	if (r == 0)
		r = compile_security(&c);
	if (r < 0)
		goto out;

	free(spec->process.hostname);
	spec->process.hostname = strdup(p->sandbox.hostname.v);
	spec->name = strdup(p->name.v);
	if (!spec->name || !spec->process.hostname) {
		r = oom(&c);
		goto out;
	}
	spec->namespaces.user = p->sandbox.user_namespace.v;
	spec->identity.uid_set = c.s->uid_set;
	spec->identity.uid = c.s->uid;
	spec->identity.gid_set = c.s->gid_set;
	spec->identity.gid = c.s->gid;

	r = ag3_spec_validate(spec, reterr);
	if (r < 0) {
		ag3_error_wrap(reterr, "%s: the profile '%s' compiles to an invalid spec", c.file,
			       p->name.v);
		goto out;
	}
	*ret = TAKE_PTR(spec);
out:
	ag3_placeholders_clear(&c.ph);
	ag3_mount_plan_clear(&c.plan);
	free(c.host_root);
	return r;
}
