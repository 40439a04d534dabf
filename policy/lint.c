/* SPDX-License-Identifier: MIT */
/*
 * The profile linter. Each check reads the profile model (and the external
 * mounts model), never the YAML text; findings point at the key or value the
 * model recorded. Paths are compared with the directory placeholders at their
 * defaults ({skills_dir} is /skills ...), {username}, {session_id} and
 * {workspace_dir} kept as they are.
 */
#include "lint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "compile.h"
#include "lint-catalogue.h"
#include "mounts/plan.h"
#include "rules.h"

void ag3_lint_report_clear(struct ag3_lint_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->v[i].file);
		free(rep->v[i].message);
	}
	free(rep->v);
	*rep = (struct ag3_lint_report){0};
}

size_t ag3_lint_report_count(const struct ag3_lint_report *rep, enum ag3_lint_severity s)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->n; i++)
		n += rep->v[i].rule->severity == s;
	return n;
}

bool ag3_lint_report_has(const struct ag3_lint_report *rep, const char *id)
{
	for (size_t i = 0; i < rep->n; i++)
		if (!strcmp(rep->v[i].rule->id, id))
			return true;
	return false;
}

static int report_add(struct ag3_lint_report *rep, const struct ag3_lint_rule *rule,
		      const char *file, unsigned line, unsigned col, char *msg)
{
	struct ag3_lint_finding *v = realloc(rep->v, (rep->n + 1) * sizeof(*v));
	if (!v) {
		free(msg);
		return -ENOMEM;
	}
	rep->v = v;
	v[rep->n] =
		(struct ag3_lint_finding){.rule = rule, .line = line, .col = col, .message = msg};
	if (file && !(v[rep->n].file = strdup(file))) {
		free(msg);
		return -ENOMEM;
	}
	rep->n++;
	return 0;
}

int ag3_lint_add_load_error(struct ag3_lint_report *rep, const char *file,
			    const struct ag3_error *e)
{
	char *msg = strdup(e && e->msg ? e->msg : "cannot be loaded");
	if (!msg)
		return -ENOMEM;
	return report_add(rep, &ag3_lint_catalogue[R_LOAD], e && e->file ? e->file : file,
			  e ? e->line : 0, e ? e->col : 0, msg);
}

static size_t file_rank(const struct ag3_lint_report *sort_rep, const char *f)
{
	for (size_t i = 0; i < sort_rep->n; i++) {
		const char *g = sort_rep->v[i].file;
		if ((!f && !g) || (f && g && !strcmp(f, g)))
			return i;
	}
	return SIZE_MAX;
}

/* Compares two indices into the original findings: file (first appearance), line, column, id. */
static int finding_cmp(const void *a, const void *b, void *ctx)
{
	const struct ag3_lint_report *sort_rep = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct ag3_lint_finding *x = &sort_rep->v[i], *y = &sort_rep->v[j];
	size_t fx = file_rank(sort_rep, x->file), fy = file_rank(sort_rep, y->file);
	if (fx != fy)
		return fx < fy ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	int k = strcmp(x->rule->id, y->rule->id);
	if (k)
		return k;
	return i < j ? -1 : i > j; /* stable */
}

void ag3_lint_report_sort(struct ag3_lint_report *rep)
{
	if (rep->n < 2)
		return;
	struct ag3_lint_report orig = {.v = malloc(rep->n * sizeof(*rep->v)), .n = rep->n};
	size_t *idx = malloc(rep->n * sizeof(*idx));
	if (orig.v && idx) {
		memcpy(orig.v, rep->v, rep->n * sizeof(*rep->v));
		for (size_t i = 0; i < rep->n; i++)
			idx[i] = i;
		qsort_r(idx, rep->n, sizeof(*idx), finding_cmp, &orig);
		for (size_t i = 0; i < rep->n; i++)
			rep->v[i] = orig.v[idx[i]];
	}
	free(idx);
	free(orig.v);
}

/* ---------------------------------------------------------------- context -- */

enum lkind {
	LK_PROFILE,  /* a profile mount (static, session, dynamic, original-path) */
	LK_BUILTIN,  /* /tmp, /proc, /dev: the compiler's own                     */
	LK_MASK,     /* a tmpfs_paths entry, or the external-mounts /mounts mask  */
	LK_EXTERNAL, /* an external-mounts record or original path               */
};

struct lmount {
	enum lkind kind;
	const struct ag3_pmount *pm; /* LK_PROFILE */
	const char *label;           /* the key, or "builtin /tmp" */
	const char *source;          /* resolved; NULL for filesystems */
	const char *target;          /* resolved (may be relative if a placeholder stays) */
	bool ro;
	const char *file;
	unsigned line, col;
};

struct lctx {
	struct ag3_mount_plan plan; /* the mounts, in the compiler's order (mounts/plan.h) */
	const struct ag3_profile *p;
	const struct ag3_lint_options *o;
	const struct ag3_mounts_config *x;
	struct ag3_lint_report *rep;
	int err;          /* sticky -ENOMEM */
	struct lmount *m; /* a view of `plan`, in order */
	size_t n;
	char *home;
};

_printf_(6, 0) static void vadd(struct lctx *c, int rule, const char *file, unsigned line,
				unsigned col, const char *fmt, va_list ap)
{
	char *msg = NULL;
	if (c->err)
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	if (!msg || report_add(c->rep, &ag3_lint_catalogue[rule], file, line, col, msg) < 0)
		c->err = -ENOMEM;
}

_printf_(6, 7) static void add(struct lctx *c, int rule, const char *file, unsigned line,
			       unsigned col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vadd(c, rule, file, line, col, fmt, ap);
	va_end(ap);
}

/* The position of a value (or its key when the value has none). */
static void at(const struct ag3_pmeta *m, unsigned *line, unsigned *col)
{
	*line = m->loc.line ? m->loc.line : m->loc.key_line;
	*col = m->loc.line ? m->loc.col : m->loc.key_col;
}

/* The position of a key (or its value). */
static void at_key(const struct ag3_pmeta *m, unsigned *line, unsigned *col)
{
	*line = m->loc.key_line ? m->loc.key_line : m->loc.line;
	*col = m->loc.key_line ? m->loc.key_col : m->loc.col;
}

/* add() at a value's position (add_k: at its key's). */
_printf_(5, 6) static void add_v(struct lctx *c, int rule, const char *file,
				 const struct ag3_pmeta *m, const char *fmt, ...);
_printf_(5, 6) static void add_k(struct lctx *c, int rule, const char *file,
				 const struct ag3_pmeta *m, const char *fmt, ...);

static void add_v(struct lctx *c, int rule, const char *file, const struct ag3_pmeta *m,
		  const char *fmt, ...)
{
	unsigned line, col;
	va_list ap;
	at(m, &line, &col);
	va_start(ap, fmt);
	vadd(c, rule, file, line, col, fmt, ap);
	va_end(ap);
}

static void add_k(struct lctx *c, int rule, const char *file, const struct ag3_pmeta *m,
		  const char *fmt, ...)
{
	unsigned line, col;
	va_list ap;
	at_key(m, &line, &col);
	va_start(ap, fmt);
	vadd(c, rule, file, line, col, fmt, ap);
	va_end(ap);
}

/* The sandbox section's key, or the top of the file. */
static void at_sandbox(const struct lctx *c, unsigned *line, unsigned *col)
{
	at_key(&c->p->sandbox.meta, line, col);
	if (!*line)
		*line = *col = 1;
}

/*
 * A profile path with the directory placeholders at their defaults,
 * normalized when absolute. NULL on ENOMEM.
 */
static char *lpath(const char *s)
{
	static const struct {
		const char *ph, *val;
	} dirs[] = {
		{"{agent_dir}", "/"},
		{"{sessions_dir}", "/sessions"},
		{"{session_dir}", "/sessions/{session_id}"},
		{"{config_dir}", "/config"},
		{"{skills_dir}", "/skills"},
		{"{logs_dir}", "/logs"},
		{"{data_dir}", "/data"},
	};
	_cleanup_free_ char *out = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&out, &size);
	if (!m)
		return NULL;
	while (*s) {
		size_t k;
		for (k = 0; k < ELEMENTSOF(dirs); k++)
			if (!strncmp(s, dirs[k].ph, strlen(dirs[k].ph)))
				break;
		if (k < ELEMENTSOF(dirs)) {
			fputs(dirs[k].val, m);
			s += strlen(dirs[k].ph);
		} else {
			fputc(*s++, m);
		}
	}
	if (fclose(m) != 0)
		return NULL;
	if (out[0] != '/')
		return TAKE_PTR(out);
	char *norm = NULL;
	return ag3_path_normalize(out, &norm) < 0 ? NULL : norm;
}

static bool abs_under(const char *p, const char *dir)
{
	return p && p[0] == '/' && ag3_path_is_under(p, dir);
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* ------------------------------------------------------ the mount list -- */

static void lmounts_free(struct lctx *c)
{
	free(c->m);
	c->m = NULL;
	c->n = 0;
	ag3_mount_plan_clear(&c->plan);
}

/* Where each slot's entries stand for the checks. */
static enum lkind slot_kind(enum ag3_mount_slot s)
{
	switch (s) {
	case AG3_SLOT_BUILTIN:
		return LK_BUILTIN;
	case AG3_SLOT_TMPFS:
	case AG3_SLOT_EXT_MASK:
		return LK_MASK;
	case AG3_SLOT_SYSTEM:
	case AG3_SLOT_SESSION:
	case AG3_SLOT_DYNAMIC:
	case AG3_SLOT_ORIGINAL:
		return LK_PROFILE;
	default:
		return LK_EXTERNAL;
	}
}

/* An entry of the plan, its paths with the directory placeholders at their defaults. */
static struct ag3_mount_plan_entry *lm_add(struct lctx *c, enum ag3_mount_slot slot,
					   enum ag3_mount_op op, const char *label,
					   const char *source, const char *target, bool ro)
{
	if (c->err)
		return NULL;
	_cleanup_free_ char *src = source ? lpath(source) : NULL, *tgt = lpath(target);
	struct ag3_mount_plan_entry *e = NULL;
	if ((!source || src) && tgt)
		e = ag3_mount_plan_add(&c->plan, slot,
				       &(struct ag3_mount){.op = op,
							   .source = src,
							   .target = tgt,
							   .ro = ro,
							   .origin = (char *)label});
	if (!e) {
		c->err = -ENOMEM;
		return NULL;
	}
	e->file = c->p->file;
	return e;
}

static void lm_profile(struct lctx *c, enum ag3_mount_slot slot, const struct ag3_pmounts *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ag3_pmount *pm = &l->items[i];
		struct ag3_mount_plan_entry *e = lm_add(c, slot, AG3_MOUNT_BIND, pm->key,
							pm->source.v, pm->target.v, pm->ro.v);
		if (e) {
			e->ref = pm;
			at_key(&pm->meta, &e->loc.line, &e->loc.col);
		}
	}
}

static void lm_external(struct lctx *c, const struct ag3_xmounts *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ag3_xmount *x = &l->items[i];
		char target[AG3_XMOUNT_NAME_MAX + 16], label[128];
		snprintf(target, sizeof(target), AG3_XMOUNT_ROOT "/%s", x->name.v);
		snprintf(label, sizeof(label), "%s (%s)", x->key, x->name.v);
		struct ag3_mount_plan_entry *e = lm_add(c, AG3_SLOT_EXT_MOUNT, AG3_MOUNT_BIND,
							label, x->host_path.v, target, x->ro);
		if (e) {
			e->file = c->x->file;
			at_key(&x->meta, &e->loc.line, &e->loc.col);
		}
	}
}

static void lm_original(struct lctx *c, const struct ag3_xorigs *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ag3_xorig *x = &l->items[i];
		struct ag3_mount_plan_entry *e = lm_add(c, AG3_SLOT_EXT_ORIGINAL, AG3_MOUNT_BIND,
							x->key, x->path.v, x->path.v, x->ro);
		if (e) {
			e->file = c->x->file;
			at_key(&x->meta, &e->loc.line, &e->loc.col);
		}
	}
}

/* The mount list: each entry in its slot, in the compiler's order (the plan's). */
static void build_mounts(struct lctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	lm_profile(c, AG3_SLOT_SYSTEM, &sb->static_mounts);
	lm_profile(c, AG3_SLOT_SESSION, &sb->session_mounts);
	lm_profile(c, AG3_SLOT_DYNAMIC, &sb->dynamic_mounts);
	lm_profile(c, AG3_SLOT_ORIGINAL, &sb->original_path_mounts);
	lm_add(c, AG3_SLOT_BUILTIN, AG3_MOUNT_TMPFS, "builtin /tmp", NULL, "/tmp", false);
	lm_add(c, AG3_SLOT_BUILTIN, AG3_MOUNT_PROC, "builtin /proc", NULL, "/proc", false);
	lm_add(c, AG3_SLOT_BUILTIN, AG3_MOUNT_DEV, "builtin /dev", NULL, "/dev", false);
	for (size_t i = 0; i < sb->tmpfs_paths.n; i++) {
		char label[64];
		snprintf(label, sizeof(label), "sandbox.tmpfs_paths[%zu]", i);
		struct ag3_mount_plan_entry *e = lm_add(c, AG3_SLOT_TMPFS, AG3_MOUNT_TMPFS, label,
							NULL, sb->tmpfs_paths.items[i].v, false);
		if (e)
			at(&sb->tmpfs_paths.items[i].meta, &e->loc.line, &e->loc.col);
	}
	if (c->x) {
		lm_add(c, AG3_SLOT_EXT_MASK, AG3_MOUNT_TMPFS,
		       "the external-mounts mask " AG3_XMOUNT_ROOT, NULL, AG3_XMOUNT_ROOT, true);
		lm_external(c, &c->x->global.ro);
		lm_external(c, &c->x->global.rw);
		lm_external(c, &c->x->per_user.ro);
		lm_external(c, &c->x->per_user.rw);
		lm_original(c, &c->x->original_paths.ro);
		lm_original(c, &c->x->original_paths.rw);
	}
	if (c->err || ag3_mount_plan_order(&c->plan) < 0 ||
	    (c->plan.n && !(c->m = calloc(c->plan.n, sizeof(*c->m))))) {
		c->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < c->plan.n; i++) {
		const struct ag3_mount_plan_entry *e = &c->plan.items[i];
		c->m[i] = (struct lmount){.kind = slot_kind(e->slot),
					  .pm = e->ref,
					  .label = e->m.origin,
					  .source = e->m.source,
					  .target = e->m.target,
					  .ro = e->m.ro,
					  .file = e->file,
					  .line = e->loc.line,
					  .col = e->loc.col};
	}
	c->n = c->plan.n;
}

/* "sandbox.static_mounts.x (file:line)" for messages. */
static const char *where(const struct lctx *c, const struct lmount *m, char *buf, size_t size)
{
	if (m->line)
		snprintf(buf, size, "%s (%s:%u)", m->label, m->file ? m->file : c->p->file,
			 m->line);
	else
		snprintf(buf, size, "%s", m->label);
	return buf;
}

/* ------------------------------------------------------ the fail-open -- */

static bool check_fail_open(struct lctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	const char *f = c->p->file;
	unsigned line, col;
	if (!sb->meta.set) {
		at_sandbox(c, &line, &col);
		if (sb->meta.loc.key_line)
			add(c, R_SANDBOX_MISSING, f, line, col,
			    "`sandbox: null` means no sandbox: the platform ran every command "
			    "unsandboxed, with the API's whole environment (its API keys "
			    "included); "
			    "ag3ntum-sandbox refuses the profile");
		else
			add(c, R_SANDBOX_MISSING, f, line, col,
			    "the profile has no `sandbox:` section: the platform ran every command "
			    "unsandboxed, with the API's whole environment (its API keys "
			    "included); "
			    "ag3ntum-sandbox refuses the profile");
		return false;
	}
	if (!sb->enabled.v)
		add_v(c, R_SANDBOX_DISABLED, f, &sb->enabled.meta,
		      "`enabled: false`: the platform ran every command unsandboxed (fail-open); "
		      "ag3ntum-sandbox refuses the profile");
	if (!sb->file_sandboxing.v)
		add_v(c, R_FILE_SANDBOXING_OFF, f, &sb->file_sandboxing.meta,
		      "`file_sandboxing: false`: the platform built no sandbox at all (fail-open); "
		      "ag3ntum-sandbox refuses the profile");
	return true;
}

/* ------------------------------------------------------------- mounts -- */

static bool is_system_dir(const char *p)
{
	static const char *const trees[] = {"/usr",   "/etc",   "/bin",    "/sbin", "/lib",
					    "/lib32", "/lib64", "/libx32", "/boot", NULL};
	static const char *const exact[] = {
		"/",        "/var",     "/opt",       "/root",      "/home",    "/srv", "/run",
		"/var/lib", "/var/run", "/var/spool", "/var/cache", "/var/log", NULL};
	if (!p || p[0] != '/')
		return false;
	for (size_t i = 0; trees[i]; i++)
		if (ag3_path_is_under(p, trees[i]))
			return true;
	return strv_contains(exact, p);
}

static bool is_socket_path(const char *p)
{
	if (!p || p[0] != '/')
		return false;
	const char *b = basename_of(p);
	size_t n = strlen(b);
	return (n > 5 && !strcmp(b + n - 5, ".sock")) || (n > 7 && !strcmp(b + n - 7, ".socket")) ||
	       strstr(p, "docker.sock") || strstr(p, "containerd") ||
	       ag3_path_is_under(p, "/run") || ag3_path_is_under(p, "/var/run");
}

static bool is_credentials_path(const char *p)
{
	static const char *const comps[] = {".ssh",
					    ".gnupg",
					    ".aws",
					    ".azure",
					    ".kube",
					    ".docker",
					    ".netrc",
					    ".git-credentials",
					    ".pgpass",
					    "credentials",
					    ".password-store",
					    NULL};
	if (!p)
		return false;
	for (const char *s = p; *s;) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		for (size_t i = 0; n && comps[i]; i++)
			if (strlen(comps[i]) == n && !strncmp(s, comps[i], n))
				return true;
		if (n >= 6 &&
		    (!strncmp(s, "id_rsa", 6) || !strncmp(s, "id_ed25519", n < 10 ? n : 10) ||
		     !strncmp(s, "id_ecdsa", n < 8 ? n : 8)))
			return true;
		if (!strncmp(s, ".config/gcloud", 14) && (s[14] == '/' || !s[14]))
			return true;
		s += n;
	}
	const char *b = basename_of(p);
	size_t n = strlen(b);
	return (n > 4 && (!strcmp(b + n - 4, ".pem") || !strcmp(b + n - 4, ".key")));
}

static bool is_shell_rc(const char *p)
{
	static const char *const rc[] = {".bashrc",     ".bash_profile",
					 ".bash_login", ".bash_logout",
					 ".profile",    ".zshrc",
					 ".zprofile",   ".zshenv",
					 ".zlogin",     ".inputrc",
					 ".kshrc",      ".cshrc",
					 ".tcshrc",     NULL};
	if (!p || p[0] != '/')
		return false;
	return strv_contains(rc, basename_of(p)) || ag3_path_is_under(p, "/etc/profile.d") ||
	       !strcmp(p, "/etc/profile") || !strcmp(p, "/etc/bash.bashrc") ||
	       !strcmp(p, "/etc/environment") || !strcmp(p, "/etc/zsh");
}

/* The position of a mount's mode (rw), or of the mount. */
static void mode_at(const struct lmount *m, unsigned *line, unsigned *col)
{
	*line = m->line;
	*col = m->col;
	if (m->pm && m->pm->ro.meta.set)
		at(&m->pm->ro.meta, line, col);
}

static void target_at(const struct lmount *m, unsigned *line, unsigned *col)
{
	*line = m->line;
	*col = m->col;
	if (m->pm)
		at(&m->pm->target.meta, line, col);
}

static void source_at(const struct lmount *m, unsigned *line, unsigned *col)
{
	*line = m->line;
	*col = m->col;
	if (m->pm)
		at(&m->pm->source.meta, line, col);
}

static void check_mount_paths(struct lctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	_cleanup_free_ char *path = strdup(sb->environment.path.v);
	unsigned line, col;
	char *save = NULL;
	char **pathdirs = NULL;
	size_t npath = 0;

	if (!path) {
		c->err = -ENOMEM;
		return;
	}
	for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		char **v = realloc(pathdirs, (npath + 1) * sizeof(*v));
		if (!v)
			break;
		pathdirs = v;
		v[npath++] = d;
	}
	for (size_t i = 0; i < c->n; i++) {
		const struct lmount *m = &c->m[i];
		if (m->kind == LK_BUILTIN || m->kind == LK_MASK)
			continue;
		bool bind_rw = !m->ro;
		if (bind_rw && (is_system_dir(m->source) || is_system_dir(m->target))) {
			mode_at(m, &line, &col);
			add(c, R_WRITABLE_SYSTEM_DIR, m->file, line, col,
			    "%s binds '%s' read-write at '%s': a system directory the sandboxed "
			    "command could rewrite",
			    m->label, m->source ? m->source : "", m->target);
		}
		for (size_t k = 0; bind_rw && k < npath; k++)
			if (pathdirs[k][0] == '/' && abs_under(pathdirs[k], m->target)) {
				mode_at(m, &line, &col);
				add(c, R_WRITABLE_ON_PATH, m->file, line, col,
				    "%s is read-write at '%s', which holds '%s' of the sandbox's "
				    "PATH: a command there can be replaced by the agent",
				    m->label, m->target, pathdirs[k]);
				break;
			}
		if (bind_rw && is_shell_rc(m->target)) {
			mode_at(m, &line, &col);
			add(c, R_WRITABLE_SHELL_RC, m->file, line, col,
			    "%s is read-write at '%s', a shell startup file: whatever is written "
			    "there runs in later shells",
			    m->label, m->target);
		}
		if (m->kind == LK_PROFILE && m->source &&
		    (abs_under("/mounts", m->source) || abs_under("/mounts/user-ro", m->source) ||
		     abs_under("/mounts/user-rw", m->source))) {
			source_at(m, &line, &col);
			add(c, R_ALL_USERS_MOUNTS, m->file, line, col,
			    "%s binds '%s': the platform's external mounts of every user, per-user "
			    "ones included, in every user's sandbox (its bug 14)",
			    m->label, m->source);
		}
		if (is_socket_path(m->source) || is_socket_path(m->target)) {
			source_at(m, &line, &col);
			add(c, R_SOCKET_MOUNT, m->file, line, col,
			    "%s binds '%s' at '%s': a daemon socket (or /run) in the sandbox lets "
			    "the agent talk to that daemon (a docker socket is root on the host)",
			    m->label, m->source ? m->source : "", m->target);
		}
		if (is_credentials_path(m->source) || is_credentials_path(m->target)) {
			source_at(m, &line, &col);
			add(c, R_CREDENTIALS_MOUNT, m->file, line, col,
			    "%s mounts credentials ('%s' at '%s') into the sandbox, where every "
			    "command the agent runs can read them%s",
			    m->label, m->source ? m->source : "", m->target,
			    abs_under(m->target, "/root")
				    ? " (at /root: ssh and git look in the passwd home of the "
				      "sandbox's uid, not /root, so on the platform it did not "
				      "even work)"
				    : "");
		}
		if (m->kind == LK_PROFILE && m->pm->source.v &&
		    (strstr(m->pm->source.v, "{session_dir}") ||
		     strstr(m->pm->source.v, "{sessions_dir}"))) {
			source_at(m, &line, &col);
			add(c, R_SESSION_DIR_PLACEHOLDER, m->file, line, col,
			    "%s.source '%s': {session_dir} and {sessions_dir} are the global "
			    "sessions directory ({agent_dir}/sessions), not the user's "
			    "/users/<user>/sessions",
			    m->label, m->pm->source.v);
		}
	}
	free(pathdirs);
}

static bool has_option(const char *p)
{
	const char *colon = strchr(p, ':');
	if (colon && strchr(colon, '='))
		return true;
	return strstr(p, ",size=") || strstr(p, ",mode=");
}

static void check_targets(struct lctx *c)
{
	unsigned line, col;
	for (size_t i = 0; i < c->n; i++) {
		const struct lmount *m = &c->m[i];
		if (m->kind == LK_BUILTIN)
			continue;
		target_at(m, &line, &col);
		if (abs_under(m->target, "/proc") || abs_under(m->target, "/sys") ||
		    abs_under(m->target, "/dev"))
			add(c, R_KERNEL_FS_TARGET, m->file, line, col,
			    "%s targets '%s': the sandbox gets its own /proc and a minimal /dev, "
			    "and never /sys%s",
			    m->label, m->target,
			    abs_under(m->target, "/proc") ? " (the compiler refuses /proc targets)"
							  : "");
		if (has_option(m->target))
			add(c, R_TMPFS_OPTION_IN_PATH, m->file, line, col,
			    "%s is '%s': options do not go in paths; bwrap created a directory "
			    "literally named so, and there was no size-limited mount at all",
			    m->label, m->target);
	}
}

/* Masks shadowed, mounts hidden, targets used twice: the order of the list decides. */
static void check_order(struct lctx *c)
{
	char b1[320], b2[320];
	unsigned line, col;
	size_t n = c->n < 2048 ? c->n : 2048;
	for (size_t i = 0; i < n; i++) {
		const struct lmount *a = &c->m[i];
		ssize_t j = ag3_mount_plan_hidden_by(&c->plan, i, n);
		if (j >= 0) {
			const struct lmount *b = &c->m[j];
			bool same = !strcmp(a->target, b->target);
			if (a->kind == LK_MASK) {
				add(c, R_MASK_SHADOWED, a->file, a->line, a->col,
				    "%s masks '%s', and %s, which comes later, mounts over it at "
				    "'%s': the mask hides nothing",
				    a->label, a->target, where(c, b, b2, sizeof(b2)), b->target);
			} else if (same && a->kind != LK_BUILTIN && b->kind != LK_BUILTIN &&
				   b->kind != LK_MASK) {
				target_at(b, &line, &col);
				add(c, R_DUPLICATE_TARGET, b->file, line, col,
				    "%s and %s both mount on '%s': only the last one is visible",
				    where(c, a, b1, sizeof(b1)), b->label, b->target);
			} else if (a->kind == LK_BUILTIN) {
				target_at(b, &line, &col);
				add(c, R_MOUNT_HIDDEN, b->file, line, col,
				    "%s mounts on '%s' and hides the %s the sandbox always gets%s",
				    b->label, b->target, a->label,
				    !strcmp(a->target, "/tmp") ? " (a size-limited tmpfs)" : "");
			} else {
				target_at(a, &line, &col);
				add(c, R_MOUNT_HIDDEN, a->file, line, col,
				    "%s on '%s' is hidden by %s, a later %s on '%s'", a->label,
				    a->target, where(c, b, b2, sizeof(b2)),
				    b->kind == LK_MASK      ? "mask"
				    : b->kind == LK_BUILTIN ? "builtin"
							    : "mount",
				    b->target);
			}
		} /* one finding per mount */
	}
}

static void check_sources(struct lctx *c)
{
	const char *root =
		c->o && c->o->host_root && strcmp(c->o->host_root, "/") ? c->o->host_root : "";
	unsigned line, col;
	for (size_t i = 0; i < c->n; i++) {
		const struct lmount *m = &c->m[i];
		bool optional = true;
		if (m->kind == LK_PROFILE)
			optional = m->pm->optional.v;
		if (optional || !m->source || m->source[0] != '/' || strchr(m->source, '{'))
			continue;
		_cleanup_free_ char *hp = NULL;
		struct stat st;
		if (asprintf(&hp, "%s%s", root, m->source) < 0) {
			c->err = -ENOMEM;
			return;
		}
		if (stat(hp, &st) == 0)
			continue;
		source_at(m, &line, &col);
		add(c, R_REQUIRED_SOURCE_MISSING, m->file, line, col,
		    "%s: '%s' does not exist on this host, and the mount is required: every "
		    "command would be refused",
		    m->label, m->source);
	}
	/* external records: global ones default to required */
	if (!c->x)
		return;
	const struct ag3_xmounts *lists[4] = {&c->x->global.ro, &c->x->global.rw,
					      &c->x->per_user.ro, &c->x->per_user.rw};
	for (size_t l = 0; l < 4; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			const struct ag3_xmount *x = &lists[l]->items[i];
			_cleanup_free_ char *hp = NULL;
			struct stat st;
			if (x->optional.v || strchr(x->host_path.v, '{'))
				continue;
			if (asprintf(&hp, "%s%s", root, x->host_path.v) < 0) {
				c->err = -ENOMEM;
				return;
			}
			if (stat(hp, &st) == 0)
				continue;
			add_v(c, R_REQUIRED_SOURCE_MISSING, c->x->file, &x->host_path.meta,
			      "%s (%s): host_path '%s' does not exist on this host, and the mount "
			      "is "
			      "required",
			      x->key, x->name.v, x->host_path.v);
		}
}

/* /usr without /lib (AG3L052), or /lib without /lib64 on x86_64 (AG3L034). */
static void check_lib64(struct lctx *c)
{
	const char *arch = c->o ? c->o->arch : NULL;
	struct utsname u;
	bool system = false;
	if (!arch)
		arch = uname(&u) == 0 ? u.machine : "";
	bool lib = false, lib64 = false;
	for (size_t i = 0; i < c->n; i++) {
		const struct lmount *m = &c->m[i];
		if (m->kind != LK_PROFILE)
			continue;
		lib64 |= !strcmp(m->target, "/lib64");
		lib |= !strcmp(m->target, "/lib") || !strcmp(m->target, "/");
		system |= !strcmp(m->target, "/usr");
	}
	const struct ag3_pmounts *sm = &c->p->sandbox.static_mounts;
	/* /usr without /lib: the loader /lib64 names lives in /lib (merged /usr: its
	 * link goes on to /lib/x86_64-linux-gnu/), and so does libc; not /lib64's fault */
	if (system && !lib) {
		add_k(c, R_LIB_MISSING, c->p->file, &sm->meta,
		      "the system mounts bind /usr but not /lib: the dynamic loader (on x86_64 "
		      "/lib64/ld-linux-x86-64.so.2, a link into /lib) and the C library are not in "
		      "the sandbox, so every dynamically linked program fails with \"No such file "
		      "or directory\"");
		return;
	}
	if (!lib || lib64 || strcmp(arch, "x86_64"))
		return;
	add_k(c, R_LIB64_MISSING, c->p->file, &sm->meta,
	      "the system mounts bind /lib and /usr but not /lib64: on x86_64 the dynamic loader "
	      "is /lib64/ld-linux-x86-64.so.2, so on the platform every dynamically linked "
	      "program failed to start (ag3ntum-sandbox adds the host's /lib64 itself)");
}

/* The last mount covering `p` (not a mask), or NULL; *masked when a mask is last. */
static const struct lmount *provider(struct lctx *c, const char *p, bool *masked)
{
	struct ag3_mount_at at = {.provider = -1};
	if (ag3_mount_plan_lookup(&c->plan, p, &at) < 0) {
		c->err = -ENOMEM;
		*masked = false;
		return NULL;
	}
	ssize_t i = at.provider;
	ag3_mount_at_clear(&at);
	*masked = i >= 0 && c->m[i].kind == LK_MASK;
	return i < 0 || *masked ? NULL : &c->m[i];
}

static void check_info_paths(struct lctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	const struct {
		const struct ag3_pstrlist *l;
		const char *key;
		bool writable;
	} lists[] = {{&sb->writable_paths, "writable_paths", true},
		     {&sb->readonly_paths, "readonly_paths", false}};
	for (size_t k = 0; k < ELEMENTSOF(lists); k++)
		for (size_t i = 0; i < lists[k].l->n; i++) {
			const struct ag3_pstr *it = &lists[k].l->items[i];
			_cleanup_free_ char *p = lpath(it->v);
			bool masked;
			if (!p) {
				c->err = -ENOMEM;
				return;
			}
			if (p[0] != '/')
				continue;
			const struct lmount *m = provider(c, p, &masked);
			if (!m)
				add_v(c, R_INFO_PATH_MISMATCH, c->p->file, &it->meta,
				      "sandbox.%s[%zu] '%s' is not mounted%s: the agent is told it "
				      "exists and is %s",
				      lists[k].key, i, it->v, masked ? " (a mask covers it)" : "",
				      lists[k].writable ? "writable" : "readable");
			else if (lists[k].writable && m->ro)
				add_v(c, R_INFO_PATH_MISMATCH, c->p->file, &it->meta,
				      "sandbox.%s[%zu] '%s' is mounted read-only by %s: the agent "
				      "is "
				      "told it is writable",
				      lists[k].key, i, it->v, m->label);
			else if (!lists[k].writable && !m->ro && m->kind != LK_BUILTIN)
				add_v(c, R_INFO_PATH_MISMATCH, c->p->file, &it->meta,
				      "sandbox.%s[%zu] '%s' is mounted read-write by %s: the agent "
				      "is "
				      "told it is read-only, and nothing enforces that",
				      lists[k].key, i, it->v, m->label);
		}
}

static void check_home(struct lctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	unsigned line, col;
	bool masked;
	_cleanup_free_ char *home = lpath(sb->environment.home.v);
	if (!home) {
		c->err = -ENOMEM;
		return;
	}
	if (home[0] != '/' || provider(c, home, &masked))
		return;
	const struct ag3_pmeta *meta =
		sb->environment.home.meta.set ? &sb->environment.home.meta : &sb->environment.meta;
	if (!meta->loc.key_line)
		at_sandbox(c, &line, &col);
	else
		at(meta, &line, &col);
	add(c, R_HOME_NOT_MOUNTED, c->p->file, line, col,
	    "environment.home '%s' (the working directory and HOME) is not inside any mount%s: "
	    "commands would start in a directory that does not exist",
	    sb->environment.home.v, masked ? " (only a mask covers it)" : "");
}

/* ------------------------------------------------------ network, env -- */

static bool broad_domain(const char *rule)
{
	static const char *const sld[] = {"co",  "com", "org", "net", "ac",
					  "gov", "edu", "or",  "ne",  NULL};
	char d[256]; /* the name without its ":port" */
	snprintf(d, sizeof(d), "%.*s", (int)strcspn(rule, ":"), rule);
	size_t n = strlen(d), skip = n >= 2 && d[0] == '*' && d[1] == '.' ? 2 : 0;
	if (!strcmp(d, "*"))
		return true;
	if (!strcmp(d, "localhost"))
		return false;
	const char *rest = d + skip;
	size_t rn = n - skip;
	const char *dot = memchr(rest, '.', rn);
	if (!dot)
		return true; /* a TLD, or "*.com" */
	size_t tail = rn - (size_t)(dot - rest) - 1;
	if (skip && tail == 2 && !memchr(dot + 1, '.', tail)) {
		_cleanup_free_ char *first = strndup(rest, (size_t)(dot - rest));
		return first && strv_contains(sld, first); /* "*.co.uk" */
	}
	return false;
}

static void check_network(struct lctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	const struct ag3_pstrlist *dl = &sb->network.allowed_domains;
	const char *f = c->p->file;
	if (dl->n && !sb->network_sandboxing.v)
		add_v(c, R_DOMAINS_NOT_ISOLATED, f, &sb->network_sandboxing.meta,
		      "network.allowed_domains lists %zu domain(s), but `network_sandboxing: "
		      "false` "
		      "gives the sandbox the host's network: nothing is restricted (the platform "
		      "never enforced the list either)",
		      dl->n);
	else if (dl->n && !sb->network.enabled.v)
		add_v(c, R_DOMAINS_NETWORK_DISABLED, f,
		      sb->network.enabled.meta.set ? &sb->network.enabled.meta : &dl->meta,
		      "network.allowed_domains lists %zu domain(s), but the network is not "
		      "enabled: "
		      "the sandbox has no network, and the domains are ignored",
		      dl->n);
	if (sb->network_sandboxing.meta.set && !sb->network_sandboxing.v)
		add_v(c, R_HOST_NETWORK, f, &sb->network_sandboxing.meta,
		      "`network_sandboxing: false`: commands run in the host's network namespace "
		      "and reach every service listening on its localhost");
	const bool isolated = sb->network_sandboxing.v && sb->network.enabled.v;
	const struct ag3_pports *lp = &sb->network.localhost_ports;
	if (sb->network.allow_localhost.v && !lp->n)
		add_v(c, R_LOCALHOST_NO_PORTS, f, &sb->network.allow_localhost.meta,
		      "`allow_localhost: true` forwards nothing without network.localhost_ports: "
		      "the host's localhost services (the API, redis) stay unreachable");
	if (lp->n && (!sb->network.allow_localhost.v || !isolated))
		add_v(c, R_LOCALHOST_PORTS_IGNORED, f, &lp->meta,
		      "network.localhost_ports lists %zu port(s), but %s: none is forwarded", lp->n,
		      !sb->network_sandboxing.v ? "`network_sandboxing: false` shares the host's "
						  "network instead"
		      : !sb->network.enabled.v  ? "the network is not enabled"
						: "allow_localhost is not true");
	if (isolated && !dl->n && !(lp->n && sb->network.allow_localhost.v))
		add_v(c, R_NETWORK_EMPTY_ALLOWLIST, f,
		      sb->network.enabled.meta.set ? &sb->network.enabled.meta : &dl->meta,
		      "`network.enabled: true` but allowed_domains is empty: commands get a "
		      "network namespace with only loopback");
	if (sb->network.allow_private_destinations.v && isolated)
		add_v(c, R_PRIVATE_DESTINATIONS, f, &sb->network.allow_private_destinations.meta,
		      "allow_private_destinations: an allowed name resolving to a private or "
		      "metadata address (169.254.169.254) is reachable");
	for (size_t i = 0; i < dl->n; i++)
		if (broad_domain(dl->items[i].v))
			add_v(c, R_BROAD_DOMAIN, f, &dl->items[i].meta,
			      "allowed domain '%s' allows (nearly) every host", dl->items[i].v);
}

static void check_sandbox_keys(struct lctx *c)
{
	const struct ag3_profile_sandbox *sb = &c->p->sandbox;
	const char *f = c->p->file;
	unsigned line, col;
	if (sb->bwrap_path.meta.set)
		add_v(c, R_BWRAP_PATH, f, &sb->bwrap_path.meta,
		      "bwrap_path '%s' is ignored: ag3ntum-sandbox runs no bwrap%s",
		      sb->bwrap_path.v,
		      !strncmp(sb->bwrap_path.v, "sudo", 4) ? "; `sudo bwrap` with the platform's "
							      "NOPASSWD sudoers rule let the API "
							      "user (and whoever took it over) run "
							      "bwrap as root with any arguments"
							    : "");
	if (sb->environment.custom_env.n)
		add_k(c, R_CUSTOM_ENV_IGNORED, f, &sb->environment.custom_env.meta,
		      "environment.custom_env (%zu variable(s)) is discarded: the platform reset "
		      "it to "
		      "{} on every session, and so does ag3ntum-sandbox",
		      sb->environment.custom_env.n);
	if (sb->environment.clear_env.meta.set && !sb->environment.clear_env.v)
		add_v(c, R_CLEAR_ENV_FALSE, f, &sb->environment.clear_env.meta,
		      "`clear_env: false` is ignored: the environment is always cleared (the "
		      "platform "
		      "handed the API's whole environment, secrets included, to every command)");
	if (sb->proc_filtering.enabled.meta.set && !sb->proc_filtering.enabled.v)
		add_v(c, R_PROC_FILTERING_OFF, f, &sb->proc_filtering.enabled.meta,
		      "`proc_filtering.enabled: false`: the platform bound the host's whole /proc "
		      "(every process's command line and environment); ag3ntum-sandbox mounts the "
		      "sandbox's own /proc whatever this says");
	if (sb->use_tmpfs_root.meta.set && !sb->use_tmpfs_root.v)
		add_v(c, R_TMPFS_ROOT_OFF, f, &sb->use_tmpfs_root.meta,
		      "`use_tmpfs_root: false` has no effect: the root is always a fresh tmpfs "
		      "(bwrap's "
		      "was too)");
	if (!sb->limits.meta.set) {
		at_sandbox(c, &line, &col);
		add(c, R_LIMITS_MISSING, f, line, col,
		    "no sandbox.limits: the defaults apply (timeout 300 s, kill grace 10 s, memory "
		    "2 GiB, 512 pids, 1 MiB output per stream, /tmp 256 MiB)");
	}
	if (!sb->seccomp.enabled.v)
		add_v(c, R_SECCOMP_OFF, f, &sb->seccomp.enabled.meta,
		      "seccomp is disabled: io_uring, ptrace, bpf, kernel keyrings, mount and the "
		      "rest of the default deny list are open to the command");
	else if (!sb->seccomp.default_list.v)
		add_v(c, R_SECCOMP_OFF, f, &sb->seccomp.default_list.meta,
		      "the default seccomp deny list is off: only the profile's %zu rule(s) apply",
		      sb->seccomp.rules.n);
	if (!sb->minimum_isolation.meta.set) {
		at_sandbox(c, &line, &col);
		add(c, R_MINIMUM_ISOLATION_MISSING, f, line, col,
		    "no sandbox.minimum_isolation: on a host without seccomp (or landlock, or a "
		    "user namespace) commands run with less isolation instead of being refused");
	}
}

/* -------------------------------------------------------------- rules -- */

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static bool in_tools(const struct ag3_pstrlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_free_ char *n = ag3_tool_name_normalize(l->items[i].v);
		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

static bool native_path_tool(const char *name)
{
	static const char *const t[] = {"Read", "Write", "Edit", "MultiEdit", "Glob", "Grep", NULL};
	return strv_contains(t, name);
}

/* Whether a path pattern has `**` where the platform's splitter did not take it. */
static bool mid_globstar(const char *arg)
{
	const char *s = strstr(arg, "**");
	if (!s || !strcmp(arg, "**"))
		return false;
	size_t n = strlen(arg);
	/* a single trailing slash-globstar was the only form that worked */
	return !(n >= 3 && !strcmp(arg + n - 3, "/**") && s == arg + n - 2);
}

static void check_rule(struct lctx *c, const char *key, size_t i, const struct ag3_pstr *it,
		       bool deny, bool allow)
{
	const struct ag3_profile *p = c->p;
	const char *f = p->file;
	struct ag3_rule r = {0};
	unsigned line, col;
	if (ag3_rule_parse(it->v, &r) < 0) {
		c->err = -ENOMEM;
		ag3_rule_clear(&r);
		return;
	}
	at(&it->meta, &line, &col);
	bool specific = r.arg && strcmp(r.arg, "*") && strcmp(r.arg, "**");
	if (r.malformed || !*r.raw_name || strpbrk(r.raw_name, " \t"))
		add(c, R_MALFORMED_RULE, f, line, col,
		    "%s[%zu] '%s' is not Name or Name(pattern)%s", key, i, it->v,
		    r.malformed ? ": the ')' at the end is missing" : "");
	if (!strncmp(r.raw_name, "mcp__ag3ntum__", 14))
		add(c, R_MCP_RULE_NEVER_MATCHED, f, line, col,
		    "%s[%zu] '%s': the platform named calls %s(...), so this rule never matched "
		    "there%s; ag3ntum-sandbox normalizes names, so it %s now",
		    key, i, it->v, r.name,
		    allow ? " (the tool was only usable because it was pre-approved)" : "",
		    deny    ? "denies"
		    : allow ? "allows"
			    : "applies");
	if (r.arg && specific) {
		size_t n = strlen(r.arg);
		bool prefix = n >= 2 && !strcmp(r.arg + n - 2, ":*");
		if (prefix && !strcmp(r.name, "Bash"))
			add(c, R_PREFIX_RULE_PLATFORM, f, line, col,
			    "%s[%zu] '%s': the platform compared '%s' with the command's first "
			    "word, "
			    "so this prefix rule never matched; it does now ('%.*s' and '%.*s "
			    "...')",
			    key, i, it->v, r.arg, (int)(n - 2), r.arg, (int)(n - 2), r.arg);
		else if (prefix && !strcmp(r.name, "Ag3ntumBash"))
			add(c, R_PREFIX_RULE_PLATFORM, f, line, col,
			    "%s[%zu] '%s': the platform read '%s' as the glob '%.*s*' (so '%.*sX' "
			    "matched too); it is a prefix rule now",
			    key, i, it->v, r.arg, (int)(n - 2), r.arg, (int)(n - 2), r.arg);
		if (deny && ag3_tool_is_shell(r.name))
			add(c, R_DENY_COMPOUND_BYPASS, f, line, col,
			    "%s[%zu] '%s': on the platform a compound command ('x; %s', 'x && "
			    "...', "
			    "'$(...)') never matched a deny rule and slipped past it; every "
			    "command "
			    "of a line is checked now",
			    key, i, it->v, r.arg);
		if (deny && native_path_tool(r.name) && r.arg[0] == '/')
			add(c, R_DENY_ABSOLUTE_WORKSPACE, f, line, col,
			    "%s[%zu] '%s': the platform never matched an absolute pattern against "
			    "workspace paths (./x), so it did not hold there; it does now",
			    key, i, it->v);
		if (native_path_tool(r.name) && mid_globstar(r.arg))
			add(c, R_MID_PATH_GLOBSTAR, f, line, col,
			    "%s[%zu] '%s': the platform took this '**' for a directory named '**' "
			    "and "
			    "never matched; it is a real glob now",
			    key, i, it->v);
		if (!strncmp(r.name, "Ag3ntum", 7) && strcmp(r.name, "Ag3ntumBash") &&
		    ag3_tool_param_keys(r.name))
			add(c, R_PLATFORM_BARE_CALL, f, line, col,
			    "%s[%zu] '%s': the platform's call string for %s had no value (its "
			    "TOOL_PARAM_MAP had no entry), so this pattern never matched; it is "
			    "matched against the %s now",
			    key, i, it->v, r.name, ag3_tool_is_path(r.name) ? "path" : "URL");
	}
	if (deny && !has_glob(r.name) && in_tools(&p->tools.disabled, r.name))
		add(c, R_DENY_DISABLED_TOOL, f, line, col,
		    "%s[%zu] '%s': %s is in tools.disabled, so it is never offered and this rule "
		    "never decides anything",
		    key, i, it->v, r.name);
	if (allow && p->tools.enabled.n && !has_glob(r.name) && strcmp(r.name, "Skill")) {
		bool disabled = in_tools(&p->tools.disabled, r.name);
		if (disabled || !in_tools(&p->tools.enabled, r.name))
			add(c, R_ALLOW_TOOL_NOT_ENABLED, f, line, col,
			    "%s[%zu] '%s': %s is %s, so this rule never applies", key, i, it->v,
			    r.name, disabled ? "in tools.disabled" : "not in tools.enabled");
	}
	ag3_rule_clear(&r);
}

static void check_rules(struct lctx *c)
{
	const struct ag3_profile *p = c->p;
	const char *f = p->file;
	const struct {
		const char *key;
		const struct ag3_pstrlist *l;
		bool deny, allow;
	} lists[] = {
		{"permissions.allow", &p->permissions.allow, false, true},
		{"permissions.deny", &p->permissions.deny, true, false},
		{"permissions.ask", &p->permissions.ask, false, false},
		{"session_workspace.allow", &p->session_workspace.allow, false, true},
		{"session_workspace.deny", &p->session_workspace.deny, true, false},
	};
	for (size_t k = 0; k < ELEMENTSOF(lists); k++)
		for (size_t i = 0; i < lists[k].l->n && !c->err; i++)
			check_rule(c, lists[k].key, i, &lists[k].l->items[i], lists[k].deny,
				   lists[k].allow);
	if (p->default_mode.v == AG3_PERM_BYPASS)
		add_v(c, R_BYPASS_PERMISSIONS, f, &p->default_mode.meta,
		      "`defaultMode: bypassPermissions`: every tool call no deny rule matches is "
		      "allowed, whatever the allow rules say");
	size_t nperm = p->permissions.allow.n + p->permissions.deny.n + p->permissions.ask.n;
	if (p->permissions.meta.set && nperm && p->session_workspace.meta.set)
		add_k(c, R_PERMISSIONS_IGNORED, f, &p->permissions.meta,
		      "the %zu rule(s) under permissions: never apply: the profile has "
		      "session_workspace:, whose rules replace them as soon as a session starts "
		      "(and the agent always runs in one)",
		      nperm);
	if (p->permissions.ask.n)
		add_k(c, R_ASK_UNUSED, f, &p->permissions.ask.meta,
		      "permissions.ask (%zu rule(s)): the platform's can_use_tool never consulted "
		      "the "
		      "ask list; neither does ag3ntum-sandbox",
		      p->permissions.ask.n);
}

/* ---------------------------------------------------- external mounts -- */

static bool sensitive_external(const char *p)
{
	return abs_under(p, "/etc") || abs_under(p, "/var/log") || abs_under(p, "/root") ||
	       abs_under(p, "/private/etc") || strstr(p, "/.ssh");
}

static void check_external(struct lctx *c)
{
	const struct ag3_mounts_config *x = c->x;
	const char *f = x->file;
	const struct ag3_xmounts *lists[4] = {&x->global.ro, &x->global.rw, &x->per_user.ro,
					      &x->per_user.rw};
	for (size_t l = 0; l < 4; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			const struct ag3_xmount *m = &lists[l]->items[i];
			const char *hp = m->host_path.v;
			if (m->per_user && !strstr(hp, "{username}")) {
				bool all = false;
				for (size_t u = 0; u < m->users.n; u++)
					all |= !strcmp(m->users.items[u].v, "*");
				if (all)
					add_v(c, R_PER_USER_SHARED, f, &m->host_path.meta,
					      "%s (%s) is for every user ('*') but its host_path "
					      "'%s' "
					      "has no {username}: all users share one directory",
					      m->key, m->name.v, hp);
			}
			if (sensitive_external(hp))
				add_v(c, R_SENSITIVE_EXTERNAL_PATH, f, &m->host_path.meta,
				      "%s (%s) mounts '%s', a sensitive host path, into every "
				      "authorized sandbox (%s)",
				      m->key, m->name.v, hp, m->ro ? "read-only" : "read-write");
		}
	for (size_t i = 0; i < x->dynamic.bases.n; i++) {
		const struct ag3_xdyn_base *b = &x->dynamic.bases.items[i];
		if (b->authorization.mode.v == AG3_DYN_AUTH_SELF_ONLY &&
		    !strstr(b->host_path.v, "{username}"))
			add_v(c, R_PER_USER_SHARED, f, &b->host_path.meta,
			      "%s (%s) is self_only, but its host_path '%s' has no {username}: "
			      "every "
			      "user gets the same directory (the platform substituted {username} "
			      "into "
			      "/mounts/<name>, which has none)",
			      b->key, b->name.v, b->host_path.v);
		if (sensitive_external(b->host_path.v))
			add_v(c, R_SENSITIVE_EXTERNAL_PATH, f, &b->host_path.meta,
			      "%s (%s) offers '%s', a sensitive host path, as a dynamic mount base",
			      b->key, b->name.v, b->host_path.v);
	}
	const struct ag3_xorigs *ol[2] = {&x->original_paths.ro, &x->original_paths.rw};
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < ol[l]->n; i++) {
			const struct ag3_xorig *o = &ol[l]->items[i];
			for (size_t k = 0; k < c->n; k++) {
				const struct lmount *m = &c->m[k];
				if (m->kind != LK_PROFILE && m->kind != LK_BUILTIN)
					continue;
				if (m->target[0] != '/' || !abs_under(o->path.v, m->target))
					continue;
				add_v(c, R_ORIGINAL_PATH_RESERVED, f, &o->path.meta,
				      "%s '%s' is %s '%s', which %s mounts: the platform only "
				      "refused "
				      "exact matches",
				      o->key, o->path.v,
				      strcmp(o->path.v, m->target) ? "under" : "", m->target,
				      m->label);
				break;
			}
			if (sensitive_external(o->path.v))
				add_v(c, R_SENSITIVE_EXTERNAL_PATH, f, &o->path.meta,
				      "%s mounts '%s', a sensitive host path, at its own path (%s)",
				      o->key, o->path.v, o->ro ? "read-only" : "read-write");
		}
}

/* ------------------------------------------------------------ compile -- */

static void check_compile(struct lctx *c)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	struct ag3_spec *spec = NULL;
	struct ag3_error *e = NULL;
	if (!s || ag3_vars_set_username(s, "user") < 0 ||
	    ag3_vars_set_session_id(s, "session") < 0) {
		c->err = -ENOMEM;
		return;
	}
	struct ag3_compile_options o = {.host_root = c->o ? c->o->host_root : NULL};
	int r = ag3_compile_ex(c->p, s, &o, &spec, &e);
	ag3_spec_free(spec);
	if (r == 0 || r == -ENOMEM) {
		if (r == -ENOMEM)
			c->err = r;
		ag3_error_free(e);
		return;
	}
	/*
	 * What another rule already reported at that line is not repeated, and a
	 * missing mount source is not the profile's fault here: the session is a
	 * placeholder (required-source-missing checks the sources it can).
	 */
	bool dup = e && e->msg && strstr(e->msg, "does not exist on this host");
	for (size_t i = 0; e && i < c->rep->n && !dup; i++)
		dup = c->rep->v[i].rule->severity == AG3_LINT_ERROR && e->line &&
		      c->rep->v[i].line == e->line && c->rep->v[i].file && e->file &&
		      !strcmp(c->rep->v[i].file, e->file);
	if (!dup)
		add(c, R_DOES_NOT_COMPILE, e && e->file ? e->file : c->p->file, e ? e->line : 0,
		    e ? e->col : 0, "%s", e && e->msg ? e->msg : "the profile does not compile");
	ag3_error_free(e);
}

int ag3_lint_profile(const struct ag3_profile *p, const struct ag3_lint_options *o,
		     struct ag3_lint_report *rep)
{
	struct lctx c = {.p = p, .o = o, .x = o ? o->mounts : NULL, .rep = rep};
	size_t before = rep->n;

	if (check_fail_open(&c)) {
		build_mounts(&c);
		if (!c.err) {
			check_mount_paths(&c);
			check_targets(&c);
			check_order(&c);
			check_sources(&c);
			check_lib64(&c);
			check_info_paths(&c);
			check_home(&c);
		}
		check_network(&c);
		check_sandbox_keys(&c);
	}
	check_rules(&c);
	if (c.x && !c.err)
		check_external(&c);
	if (p->sandbox.meta.set && p->sandbox.enabled.v && p->sandbox.file_sandboxing.v && !c.err)
		check_compile(&c);
	lmounts_free(&c);
	if (c.err) {
		while (rep->n > before) {
			rep->n--;
			free(rep->v[rep->n].file);
			free(rep->v[rep->n].message);
		}
		return c.err;
	}
	return 0;
}
