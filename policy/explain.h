/* SPDX-License-Identifier: MIT */
/*
 * `explain`: what a compiled spec shows at a path inside the sandbox, and
 * which rule decides a tool call. Pure computation over the spec (plus an
 * lstat of the host path a bind would show): no sandbox is entered.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "policy/profile-model.h"
#include "policy/profile.h"
#include "policy/rules.h"
#include "policy/vars.h"
#include "policy/yaml.h"
#include "runtime/spec.h"

struct ag3_mounts_config;

#define AG3_EXPLAIN_MAX_SYMLINKS 40 /* like the kernel's MAXSYMLINKS */

enum ag3_explain_state {
	AG3_EXPLAIN_MOUNTED, /* a mount provides it: a bind (the host path), a tmpfs, proc, dev */
	AG3_EXPLAIN_MASKED,  /* a mask hides it (an empty read-only tmpfs, or /dev/null)      */
	AG3_EXPLAIN_CREATED, /* an empty directory (or file, symlink) the mount list makes:
				a `dir`/`file` op, or a parent made to hold a later mount      */
	AG3_EXPLAIN_ABSENT,  /* nothing: it is below an empty tmpfs (or the root) and nothing
				creates it                                                     */
	_AG3_EXPLAIN_STATE_MAX,
};

const char *ag3_explain_state_to_string(enum ag3_explain_state s);

struct ag3_explain_hop {
	size_t mount; /* the symlink op */
	char *from;   /* the path before */
	char *to;     /* after replacing the link */
};

struct ag3_explain_path {
	char *path;     /* as asked, lexically normalized */
	char *resolved; /* after following symlink ops of the mount list */
	enum ag3_explain_state state;
	bool ro;        /* writes fail (read-only mount, or nothing there to write to) */
	ssize_t mount;  /* the op that provides it (the last one covering it); -1: the root tmpfs */
	ssize_t holder; /* CREATED: the op it is made for (a later mount below it, or a dir/file op)
			 */
	char *host_path;  /* bind: the host path shown there */
	bool host_exists; /* bind: whether host_path exists on this host now */
	size_t *shadowed; /* earlier ops covering the path, hidden by `mount` (spec order) */
	size_t n_shadowed;
	struct ag3_explain_hop *hops; /* symlinks followed, in order */
	size_t n_hops;
};

void ag3_explain_path_clear(struct ag3_explain_path *e);

/*
 * Explains `path` (absolute) in a compiled spec: the last mount op whose
 * target is the path or one of its ancestors provides it (later ones cover
 * earlier ones: a mask or tmpfs hides what was mounted before it), symlink
 * ops on the way are followed. 0, -EINVAL with an error (not absolute),
 * -ELOOP (too many symlinks), -ENOMEM.
 */
int ag3_explain_path(const struct ag3_spec *spec, const char *path, struct ag3_explain_path *ret,
		     struct ag3_error **reterr);

/*
 * The YAML key path in a mount's origin ("sandbox.static_mounts.system_usr",
 * "original-path of global.ro[0] datasets" -> "global.ro[0]"), or NULL when
 * it names none ("builtin /tmp"). A new string in *ret; 0 or -ENOMEM.
 */
int ag3_explain_origin_key(const char *origin, char **ret);

/* Where a mount's origin was written: its YAML key, in the profile or the mounts config. */
struct ag3_explain_origin {
	char *key;        /* the YAML key in the origin, or NULL (the caller frees it) */
	const char *file; /* where it is, or NULL when not found */
	struct ag3_ploc loc;
};

void ag3_explain_origin_locate(const struct ag3_profile *p, const struct ag3_mounts_config *x,
			       const char *origin, struct ag3_explain_origin *ret);

/* A mount of the profile or the external-mounts plan that would cover a path but
 * is not in the spec, and why: for an absent path. */
struct ag3_explain_absent {
	char *what; /* the YAML key (and name) */
	char *why;
	char *target;
};

void ag3_explain_absent_clear(struct ag3_explain_absent *v, size_t n);

/*
 * The skipped mounts covering `path` (at most `cap`, in *n): the profile's
 * static and session mounts not in `spec`, and the external-mount plan's
 * skipped entries for `vars` (x NULL: none). 0 or -ENOMEM.
 */
int ag3_explain_absent(const struct ag3_spec *spec, const struct ag3_profile *p,
		       const struct ag3_mounts_config *x, const struct ag3_vars *vars,
		       const char *host_root, const char *path, struct ag3_explain_absent *v,
		       size_t cap, size_t *n);

/* ----------------------------------------------------------- tool calls -- */

struct ag3_explain_call {
	struct ag3_decision decision;
	const struct ag3_rule **matching; /* every rule that matches (deny list, then allow) */
	size_t n_matching;
	char **parts; /* shell tools: the commands the line splits into; NULL otherwise */
	size_t n_parts;
};

void ag3_explain_call_clear(struct ag3_explain_call *e);

/* The decision on a call and every rule that matches it. 0 or -ENOMEM. */
int ag3_explain_call(const struct ag3_rules *r, const struct ag3_tool_call *c,
		     struct ag3_explain_call *ret);
