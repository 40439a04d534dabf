/* SPDX-License-Identifier: MIT */
/*
 * Dynamic mount requests (--dynamic BASE[/SUBPATH][:ro|rw][=ALIAS]): parsed
 * and validated against the external mounts' `dynamic` bases, like the
 * platform's DynamicMountService, with its bugs fixed (mounts-config.h).
 */
#include "mounts-config.h"
#include "mounts-config-internal.h"

#include <ctype.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mounts/executor.h"
#include "placeholders.h"

static const char *const dyn_codes[_AG3_DYN_CODE_MAX] = {
	[AG3_DYN_OK] = "OK",
	[AG3_DYN_FEATURE_DISABLED] = "FEATURE_DISABLED",
	[AG3_DYN_BASE_NOT_FOUND] = "BASE_NOT_FOUND",
	[AG3_DYN_NOT_AUTHORIZED] = "NOT_AUTHORIZED",
	[AG3_DYN_DANGEROUS_PATTERN] = "DANGEROUS_PATTERN",
	[AG3_DYN_INVALID_CHARACTERS] = "INVALID_CHARACTERS",
	[AG3_DYN_MAX_DEPTH_EXCEEDED] = "MAX_DEPTH_EXCEEDED",
	[AG3_DYN_GLOBAL_BLOCKED] = "GLOBAL_BLOCKED",
	[AG3_DYN_NOT_IN_ALLOWLIST] = "NOT_IN_ALLOWLIST",
	[AG3_DYN_BLOCKED_BY_BASE] = "BLOCKED_BY_BASE",
	[AG3_DYN_MODE_EXCEEDS_MAX] = "MODE_EXCEEDS_MAX",
	[AG3_DYN_PATH_NOT_FOUND] = "PATH_NOT_FOUND",
	[AG3_DYN_PATH_ESCAPE] = "PATH_ESCAPE",
	[AG3_DYN_RESOLUTION_FAILED] = "RESOLUTION_FAILED",
	[AG3_DYN_MAX_MOUNTS_EXCEEDED] = "MAX_MOUNTS_EXCEEDED",
	[AG3_DYN_INVALID_ALIAS] = "INVALID_ALIAS",
	[AG3_DYN_INVALID_REQUEST] = "INVALID_REQUEST",
	[AG3_DYN_SYMLINK_IN_PATH] = "SYMLINK_IN_PATH",
};

const char *ag3_dyn_code_to_string(enum ag3_dyn_code code)
{
	return (int)code >= 0 && code < _AG3_DYN_CODE_MAX ? dyn_codes[code] : NULL;
}

void ag3_dyn_request_clear(struct ag3_dyn_request *r)
{
	free(r->base);
	free(r->subpath);
	free(r->alias);
	*r = (struct ag3_dyn_request){.mode = -1};
}

void ag3_dyn_mount_clear(struct ag3_dyn_mount *m)
{
	free(m->base);
	free(m->host_path);
	free(m->container_path);
	free(m->origin);
	*m = (struct ag3_dyn_mount){0};
}

int ag3_dyn_request_parse(const char *arg, struct ag3_dyn_request *ret, struct ag3_error **reterr)
{
	struct ag3_dyn_request r = {.mode = -1};
	char b[160];
	if (!arg || !*arg)
		return ag3_error_set(reterr, EINVAL,
				     "--dynamic: expected BASE[/SUBPATH][:ro|rw][=ALIAS]");
	_cleanup_free_ char *s = strdup(arg);
	if (!s)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	char *eq = strchr(s, '=');
	if (eq) {
		*eq = '\0';
		if (!(r.alias = strdup(eq + 1)))
			goto oom;
	}
	char *colon = strrchr(s, ':');
	if (colon) {
		if (!strcmp(colon + 1, "ro"))
			r.mode = 0;
		else if (!strcmp(colon + 1, "rw"))
			r.mode = 1;
		else {
			ag3_dyn_request_clear(&r);
			return ag3_error_set(reterr, EINVAL,
					     "--dynamic %s: the mode after ':' must be ro or rw",
					     pv(arg, b, sizeof(b)));
		}
		*colon = '\0';
	}
	char *slash = strchr(s, '/');
	if (slash) {
		*slash = '\0';
		if (!(r.subpath = strdup(slash + 1)))
			goto oom;
	}
	if (!*s) {
		ag3_dyn_request_clear(&r);
		return ag3_error_set(reterr, EINVAL,
				     "--dynamic %s: no base name (expected "
				     "BASE[/SUBPATH][:ro|rw][=ALIAS])",
				     pv(arg, b, sizeof(b)));
	}
	if (!(r.base = strdup(s)))
		goto oom;
	*ret = r;
	return 0;
oom:
	ag3_dyn_request_clear(&r);
	return ag3_error_set(reterr, ENOMEM, "out of memory");
}

/* A path split into components (no empty or "." ones). */
struct comps {
	char *buf;
	char **v;
	size_t n;
};

static void comps_free(struct comps *c)
{
	free(c->buf);
	free(c->v);
	*c = (struct comps){0};
}

static int comps_split(const char *s, struct comps *ret)
{
	struct comps c = {0};
	size_t len = strlen(s);
	if (!(c.buf = strdup(s)) || !(c.v = calloc(len / 2 + 2, sizeof(char *)))) {
		comps_free(&c);
		return -ENOMEM;
	}
	for (char *save = NULL, *t = strtok_r(c.buf, "/", &save); t; t = strtok_r(NULL, "/", &save))
		if (strcmp(t, ".") != 0)
			c.v[c.n++] = t;
	*ret = c;
	return 0;
}

/* Whether the pattern's components match sub's components [at, at + n_pattern). */
static bool match_at(const struct comps *pat, const struct comps *sub, size_t at, int flags)
{
	if (!pat->n || at + pat->n > sub->n)
		return false;
	for (size_t j = 0; j < pat->n; j++)
		if (fnmatch(pat->v[j], sub->v[at + j], flags) != 0)
			return false;
	return true;
}

/*
 * The first place (any depth) a pattern of the list matches: 1 with *ret_at
 * and *ret_end (component span) and *ret_pat, 0 if none, -ENOMEM. With
 * `excused`, a match lying entirely inside an exception's span is skipped.
 */
static int match_any_depth(const struct ag3_pstrlist *pats, const struct comps *sub,
			   const struct ag3_pstrlist *exceptions, const char **ret_pat)
{
	for (size_t i = 0; i < pats->n; i++) {
		struct comps pc;
		if (comps_split(pats->items[i].v, &pc) < 0)
			return -ENOMEM;
		for (size_t at = 0; at < sub->n; at++) {
			if (!match_at(&pc, sub, at, 0))
				continue;
			bool excused = false;
			for (size_t e = 0; exceptions && e < exceptions->n && !excused; e++) {
				struct comps ec;
				if (comps_split(exceptions->items[e].v, &ec) < 0) {
					comps_free(&pc);
					return -ENOMEM;
				}
				excused = match_at(&ec, sub, 0, FNM_PERIOD) && at + pc.n <= ec.n;
				comps_free(&ec);
			}
			if (!excused) {
				comps_free(&pc);
				*ret_pat = pats->items[i].v;
				return 1;
			}
		}
		comps_free(&pc);
	}
	return 0;
}

/* Whether an allowlist pattern matches the leading components of sub. */
static int match_prefix(const struct ag3_pstrlist *pats, const struct comps *sub)
{
	for (size_t i = 0; i < pats->n; i++) {
		struct comps pc;
		if (comps_split(pats->items[i].v, &pc) < 0)
			return -ENOMEM;
		bool m = match_at(&pc, sub, 0, FNM_PERIOD);
		comps_free(&pc);
		if (m)
			return 1;
	}
	return 0;
}

char *ag3_xmount_join_root(const char *host_root, const char *path)
{
	char *s = NULL;
	if (!host_root || !*host_root || !strcmp(host_root, "/"))
		return strdup(path);
	size_t n = strlen(host_root);
	while (n > 1 && host_root[n - 1] == '/')
		n--;
	return asprintf(&s, "%.*s%s", (int)n, host_root, path) < 0 ? NULL : s;
}

_printf_(3, 4) static int deny(struct ag3_error **reterr, enum ag3_dyn_code code, const char *fmt,
			       ...)
{
	int e = code == AG3_DYN_NOT_AUTHORIZED || code == AG3_DYN_FEATURE_DISABLED ||
				code == AG3_DYN_MAX_MOUNTS_EXCEEDED
			? EPERM
		: code == AG3_DYN_PATH_NOT_FOUND || code == AG3_DYN_BASE_NOT_FOUND ? ENOENT
										   : EINVAL;
	va_list ap;
	va_start(ap, fmt);
	int r = ag3_error_set_atv(reterr, e, NULL, 0, 0, dyn_codes[code], fmt, ap);
	va_end(ap);
	return r == -ENOMEM ? r : (int)code; /* the message could not be formatted */
}

int ag3_dyn_validate(const struct ag3_mounts_config *cfg, const struct ag3_dyn_request *req,
		     const char *username, size_t n_granted, const char *host_root,
		     struct ag3_dyn_mount *ret, struct ag3_error **reterr)
{
	char b[160], b2[160];
	const struct ag3_xdyn_base *base = NULL;
	struct comps sub = {0};
	_cleanup_free_ char *hb = NULL, *hbn = NULL, *rel = NULL, *container = NULL;
	_cleanup_free_ char *hroot = NULL, *host = NULL;
	_cleanup_close_ int rootfd = -1, bfd = -1, sfd = -1;
	const char *pat = NULL;
	bool exists = true;
	int r;

	/* 1. the feature */
	if (!cfg || !cfg->dynamic.enabled.v)
		return deny(reterr, AG3_DYN_FEATURE_DISABLED,
			    "dynamic mounts are not enabled (dynamic.enabled: true in the mounts "
			    "config%s)",
			    cfg ? "" : ", given with --mounts");
	if (!req || !req->base)
		return deny(reterr, AG3_DYN_INVALID_REQUEST, "no base given");
	/* 2. the base */
	for (size_t i = 0; i < cfg->dynamic.bases.n && !base; i++)
		if (!strcmp(cfg->dynamic.bases.items[i].name.v, req->base))
			base = &cfg->dynamic.bases.items[i];
	if (!base)
		return deny(reterr, AG3_DYN_BASE_NOT_FOUND, "no dynamic base named '%s' in %s",
			    pv(req->base, b, sizeof(b)), cfg->file);
	/* 3. authorization */
	if (!username)
		return deny(reterr, AG3_DYN_NOT_AUTHORIZED,
			    "base '%s': no user given (--user), and dynamic mounts are per user",
			    base->name.v);
	if (!ag3_path_component_valid(username))
		return deny(reterr, AG3_DYN_INVALID_REQUEST,
			    "the user name '%s' cannot be used in a path",
			    pv(username, b, sizeof(b)));
	switch (base->authorization.mode.v) {
	case AG3_DYN_AUTH_ROLE:
		return deny(reterr, AG3_DYN_NOT_AUTHORIZED,
			    "base '%s' uses authorization mode 'role', which has no role "
			    "source here (the platform denied every such request too); use "
			    "allowlist or self_only",
			    base->name.v);
	case AG3_DYN_AUTH_SELF_ONLY:
		break; /* its host path holds {username}: the user's own directory */
	default:
		if (!ag3_xmount_users_match(&base->authorization.allowed_users, username, true))
			return deny(reterr, AG3_DYN_NOT_AUTHORIZED,
				    "user '%s' is not in base '%s' authorization.allowed_users",
				    pv(username, b, sizeof(b)), base->name.v);
	}
	/* 4. the subpath */
	const char *sp = req->subpath ? req->subpath : "";
	if (strstr(sp, "..") || strchr(sp, '\\'))
		return deny(reterr, AG3_DYN_DANGEROUS_PATTERN, "subpath '%s' contains '..' or '\\'",
			    pv(sp, b, sizeof(b)));
	for (const char *p = sp; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_.-", *p))
			return deny(reterr, AG3_DYN_INVALID_CHARACTERS,
				    "subpath '%s' has characters other than letters, digits, "
				    "'/', '_', '.' and '-'",
				    pv(sp, b, sizeof(b)));
	if (comps_split(sp, &sub) < 0)
		goto oom;
	if (sub.n > cfg->dynamic.security.max_subpath_depth.v) {
		r = deny(reterr, AG3_DYN_MAX_DEPTH_EXCEEDED,
			 "subpath '%s' has %zu components, more than max_subpath_depth %llu",
			 pv(sp, b, sizeof(b)), sub.n,
			 (unsigned long long)cfg->dynamic.security.max_subpath_depth.v);
		goto out;
	}
	r = match_any_depth(&cfg->dynamic.security.global_blocked_subpaths, &sub, NULL, &pat);
	if (r < 0)
		goto oom;
	if (r > 0) {
		r = deny(reterr, AG3_DYN_GLOBAL_BLOCKED,
			 "subpath '%s' matches the globally blocked pattern '%s'",
			 pv(sp, b, sizeof(b)), pv(pat, b2, sizeof(b2)));
		goto out;
	}
	const __typeof__(base->subpath_restrictions) *sr = &base->subpath_restrictions;
	if (sr->mode.v == AG3_DYN_SUBPATH_ALLOWLIST) {
		r = match_prefix(&sr->allowed, &sub);
		if (r < 0)
			goto oom;
		if (r == 0 && match_prefix(&sr->exceptions, &sub) == 0) {
			r = deny(reterr, AG3_DYN_NOT_IN_ALLOWLIST,
				 "subpath '%s' is not in base '%s' subpath_restrictions.allowed",
				 pv(sp, b, sizeof(b)), base->name.v);
			goto out;
		}
	}
	r = match_any_depth(&sr->blocked, &sub, &sr->exceptions, &pat);
	if (r < 0)
		goto oom;
	if (r > 0) {
		r = deny(reterr, AG3_DYN_BLOCKED_BY_BASE,
			 "subpath '%s' matches base '%s' blocked pattern '%s'",
			 pv(sp, b, sizeof(b)), base->name.v, pv(pat, b2, sizeof(b2)));
		goto out;
	}
	/* 5. the mode */
	bool ro = req->mode != 1;
	if (!ro && base->max_ro.v) {
		r = deny(reterr, AG3_DYN_MODE_EXCEEDS_MAX,
			 "rw was requested and base '%s' allows at most ro", base->name.v);
		goto out;
	}
	/* the session's budget */
	if (n_granted >= cfg->dynamic.security.max_mounts_per_session.v) {
		r = deny(reterr, AG3_DYN_MAX_MOUNTS_EXCEEDED,
			 "this session already has %zu dynamic mounts (max_mounts_per_session "
			 "%llu)",
			 n_granted,
			 (unsigned long long)cfg->dynamic.security.max_mounts_per_session.v);
		goto out;
	}
	/* the alias names /mounts/<alias>: valid, and not another mount's name */
	if (req->alias) {
		bool taken = false;
		const struct ag3_xmounts *ls[4] = {&cfg->global.ro, &cfg->global.rw,
						   &cfg->per_user.ro, &cfg->per_user.rw};
		for (size_t l = 0; l < 4; l++)
			for (size_t i = 0; i < ls[l]->n; i++)
				taken |= !strcmp(ls[l]->items[i].name.v, req->alias);
		for (size_t i = 0; i < cfg->dynamic.bases.n; i++)
			taken |= &cfg->dynamic.bases.items[i] != base &&
				 !strcmp(cfg->dynamic.bases.items[i].name.v, req->alias);
		if (!ag3_xmount_name_valid(req->alias) || taken) {
			r = deny(reterr, AG3_DYN_INVALID_ALIAS, "alias '%s' is %s",
				 pv(req->alias, b, sizeof(b)),
				 taken ? "the name of another configured mount"
				       : "not a valid mount name (^[a-zA-Z0-9_-]{1,64}$, not "
					 "reserved)");
			goto out;
		}
	}

	/* 6. the paths */
	hb = ag3_placeholder_subst_username(base->host_path.v, username);
	if (!hb || ag3_path_normalize(hb, &hbn) < 0)
		goto oom;
	size_t rl = 1;
	for (size_t i = 0; i < sub.n; i++)
		rl += strlen(sub.v[i]) + 1;
	if (!(rel = calloc(1, rl)))
		goto oom;
	for (size_t i = 0; i < sub.n; i++) {
		if (i)
			strcat(rel, "/");
		strcat(rel, sub.v[i]);
	}
	if (asprintf(&container, AG3_XMOUNT_ROOT "/%s%s%s", req->alias ? req->alias : base->name.v,
		     *rel ? "/" : "", rel) < 0) {
		container = NULL;
		goto oom;
	}
	/* 7./8. existence and containment: the base's host path and the subpath beneath
	 * it are opened following no symlink at all, as the runtime opens bind sources.
	 * A link that stays beneath the base is refused too: the checks above ran on the
	 * subpath as written, and a link the user planted (through an rw mount of the
	 * base) would bind what they name, unchecked (projects/s -> ../.ssh). */
	hroot = ag3_xmount_join_root(host_root, hbn);
	if (!hroot)
		goto oom;
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = rootfd < 0 ? -errno : ag3_mounts_open_beneath_nofollow(rootfd, hroot + 1, &bfd);
	if (r == 0 && sub.n)
		r = ag3_mounts_open_beneath_nofollow(bfd, rel, &sfd);
	if (r == -ELOOP || r == -EXDEV) {
		r = deny(reterr, AG3_DYN_SYMLINK_IN_PATH,
			 "'%s%s%s' goes through a symlink: dynamic mounts follow none, not even "
			 "one inside base '%s'; request the real path",
			 pv(hbn, b, sizeof(b)), *rel ? "/" : "", pv(rel, b2, sizeof(b2)),
			 base->name.v);
		goto out;
	}
	if (r < 0 && r != -ENOENT && r != -ENOTDIR) {
		r = deny(reterr, AG3_DYN_RESOLUTION_FAILED, "'%s%s%s' of base '%s': %s",
			 pv(hbn, b, sizeof(b)), *rel ? "/" : "", pv(rel, b2, sizeof(b2)),
			 base->name.v, strerror(-r));
		goto out;
	}
	exists = r == 0;
	if (!exists && !base->optional.v) {
		r = deny(reterr, AG3_DYN_PATH_NOT_FOUND, "'%s%s%s' does not exist on this host",
			 pv(hbn, b, sizeof(b)), *rel ? "/" : "", pv(rel, b2, sizeof(b2)));
		goto out;
	}
	if (!*rel)
		host = strdup(hbn);
	else if (asprintf(&host, "%s/%s", strcmp(hbn, "/") ? hbn : "", rel) < 0)
		host = NULL;
	if (!host)
		goto oom;
	if (ag3_path_check_normalized(host) < 0 || ag3_path_check_normalized(container) < 0) {
		r = deny(reterr, AG3_DYN_INVALID_REQUEST, "the resulting path is too long");
		goto out;
	}
	struct ag3_dyn_mount dm = {.ro = ro, .optional = base->optional.v, .exists = exists};
	dm.origin = NULL;
	if (!(dm.base = strdup(base->name.v)) ||
	    asprintf(&dm.origin, "dynamic %s%s%s%s%s", base->name.v, *rel ? "/" : "", rel,
		     req->alias ? "=" : "", req->alias ? req->alias : "") < 0) {
		dm.origin = NULL;
		ag3_dyn_mount_clear(&dm);
		goto oom;
	}
	dm.host_path = TAKE_PTR(host);
	dm.container_path = TAKE_PTR(container);
	*ret = dm;
	r = AG3_DYN_OK;
	goto out;
oom:
	r = -ENOMEM;
	ag3_error_set(reterr, ENOMEM, "out of memory");
out:
	comps_free(&sub);
	return r;
}
