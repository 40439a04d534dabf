/* SPDX-License-Identifier: MIT */
/*
 * External mounts: the platform's config/external-mounts.yaml, in both its
 * HEAD schema (global.ro/rw, per_user.ro/rw) and the newer one (plus
 * `dynamic` bases and `original_paths`), loaded strictly like a profile
 * (policy/yaml.h: file:line:col errors, unknown keys with did-you-mean,
 * bounded input), then planned per user for the compiler, the linter and
 * `explain`.
 *
 * The model follows policy/profile-model.h: every value carries `meta`
 * (whether the YAML had it, and the key's and value's line:col), values the
 * YAML did not set hold their defaults, order is the YAML order.
 *
 * Defaults (the platform's reference, 3.1 / 3.2):
 *   global.ro/rw[].optional          false
 *   per_user.ro/rw[].optional        true
 *   original_paths.ro/rw[].optional  true;  allowed_users ["*"]
 *   dynamic.enabled                  false
 *   dynamic.security.max_mounts_per_session 10, max_subpath_depth 10,
 *                    global_blocked_subpaths []
 *   dynamic.bases[].optional true, max_mode ro, authorization.mode allowlist
 *                    (allowed_users required in allowlist mode),
 *                    subpath_restrictions.mode blocklist
 *
 * Validation at load time: names ^[A-Za-z0-9_-]{1,64}$, not reserved
 * (AG3_XMOUNT_RESERVED_NAMES), unique across every category (global,
 * per_user and dynamic bases share one namespace); host_path / path
 * absolute, no NUL, `{username}` the only placeholder; original_paths[].path
 * lexically normalized (the model holds the normalized form), at least two
 * components, and neither equal to nor under a reserved path
 * (AG3_XMOUNT_RESERVED_PATHS). The profile's static/session mount targets are
 * reserved too: ag3_mounts_config_plan checks those, since they depend on
 * the profile.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mounts/plan.h"
#include "policy/profile-model.h"
#include "policy/vars.h"
#include "runtime/util/error.h"

#define AG3_XMOUNT_NAME_MAX 64
#define AG3_XMOUNT_LIST_MAX 1024    /* items in any mounts list / bases list  */
#define AG3_XMOUNT_DEPTH_MAX 64     /* max_subpath_depth upper bound           */
#define AG3_XMOUNT_SESSION_MAX 1024 /* max_mounts_per_session upper bound   */

/* NULL-terminated lists (mounts-config.c). */
extern const char *const
	AG3_XMOUNT_RESERVED_NAMES[]; /* paths persistent external ro rw user-ro user-rw dynamic */
extern const char *const AG3_XMOUNT_RESERVED_PATHS
	[]; /* / /proc /sys /dev /tmp /root /bin /sbin /lib /lib64 /usr /etc /workspace /mounts /persistent /skills /venv */

/* Where external mounts appear in the sandbox. */
#define AG3_XMOUNT_ROOT "/mounts"

/* A global.ro/rw or per_user.ro/rw record. */
struct ag3_xmount {
	struct ag3_pmeta meta;       /* the list item */
	char *key;                   /* "global.ro[0]", "per_user.rw[1]" */
	bool per_user;               /* per_user section */
	bool ro;                     /* the ro list */
	struct ag3_pstr name;        /* required */
	struct ag3_pstr host_path;   /* required; as written (may contain {username}) */
	struct ag3_pstr description; /* default "" */
	struct ag3_pbool optional;   /* global: default false; per_user: default true */
	struct ag3_pstrlist users;   /* per_user: required, non-empty; global: not allowed */
};

struct ag3_xmounts {
	struct ag3_pmeta meta;
	struct ag3_xmount *items;
	size_t n;
};

/* An original_paths.ro/rw record. */
struct ag3_xorig {
	struct ag3_pmeta meta;
	char *key; /* "original_paths.ro[0]" */
	bool ro;
	struct ag3_pstr path;              /* required; lexically normalized */
	struct ag3_pstr description;       /* default "" */
	struct ag3_pbool optional;         /* default true */
	struct ag3_pstrlist allowed_users; /* default ["*"] */
};

struct ag3_xorigs {
	struct ag3_pmeta meta;
	struct ag3_xorig *items;
	size_t n;
};

enum ag3_dyn_auth_mode {
	AG3_DYN_AUTH_ALLOWLIST, /* allowed_users: names, "*", "{self}"            */
	AG3_DYN_AUTH_ROLE,      /* accepted; every request is denied (no roles)     */
	AG3_DYN_AUTH_SELF_ONLY, /* everyone (the host path should hold {username}) */
	_AG3_DYN_AUTH_MAX,
};

enum ag3_dyn_subpath_mode {
	AG3_DYN_SUBPATH_ALLOWLIST, /* only `allowed` (minus `blocked`, plus exceptions) */
	AG3_DYN_SUBPATH_BLOCKLIST, /* all but `blocked`, `exceptions` re-allowed         */
	_AG3_DYN_SUBPATH_MAX,
};

/* A dynamic.bases[] record. */
struct ag3_xdyn_base {
	struct ag3_pmeta meta;
	char *key;                   /* "dynamic.bases[0]" */
	struct ag3_pstr name;        /* required */
	struct ag3_pstr host_path;   /* required; may contain {username} */
	struct ag3_pstr description; /* default "" */
	struct ag3_pbool max_ro;     /* from max_mode: ro (default) = true, rw = false */
	struct {
		struct ag3_pmeta meta;
		struct ag3_pint mode; /* enum ag3_dyn_auth_mode; default allowlist */
		struct ag3_pstrlist allowed_users;
	} authorization;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pint mode; /* enum ag3_dyn_subpath_mode; default blocklist */
		struct ag3_pstrlist allowed, blocked, exceptions; /* glob patterns */
	} subpath_restrictions;
	struct ag3_pbool optional; /* default true */
};

struct ag3_xdyn_bases {
	struct ag3_pmeta meta;
	struct ag3_xdyn_base *items;
	size_t n;
};

struct ag3_mounts_config {
	char *file;               /* the name used in errors */
	struct ag3_yaml_doc *doc; /* the parsed document */
	bool newer_schema;        /* it has `dynamic` or `original_paths` */

	struct {
		struct ag3_pmeta meta;
		struct ag3_xmounts ro, rw;
	} global, per_user;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pbool enabled; /* default false */
		struct {
			struct ag3_pmeta meta;
			struct ag3_pu64 max_mounts_per_session; /* default 10 */
			struct ag3_pu64 max_subpath_depth;      /* default 10 */
			struct ag3_pstrlist global_blocked_subpaths;
		} security;
		struct ag3_xdyn_bases bases;
	} dynamic;
	struct {
		struct ag3_pmeta meta;
		struct ag3_xorigs ro, rw;
	} original_paths;
};

/* Loads external-mounts.yaml. Errors name file:line:col, the key path and what was expected. */
int ag3_mounts_config_load_file(const char *path, struct ag3_mounts_config **ret,
				struct ag3_error **reterr);
/* From memory; `name` is used as the file name in errors. */
int ag3_mounts_config_load_buffer(const char *name, const char *buf, size_t len,
				  struct ag3_mounts_config **ret, struct ag3_error **reterr);
void ag3_mounts_config_free(struct ag3_mounts_config *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_mounts_config *, ag3_mounts_config_free)

/* Whether `name` matches ^[A-Za-z0-9_-]{1,64}$ and is not reserved. */
bool ag3_xmount_name_valid(const char *name);
/* Whether a user list (per_user users, allowed_users) grants `username`
 * ("*", the exact name; "{self}" too when allow_self). NULL username: only "*". */
bool ag3_xmount_users_match(const struct ag3_pstrlist *users, const char *username,
			    bool allow_self);

/*
 * Reads a configuration file (a regular file, at most AG3_YAML_MAX_DOCUMENT
 * bytes). `what` names it in errors ("the mounts config"). 0 with a
 * NUL-terminated buffer, or -errno with an error at path:0:0.
 */
int ag3_config_read_file(const char *path, const char *what, char **ret, size_t *ret_len,
			 struct ag3_error **reterr);

/* ------------------------------------------------------------------------ */
/* The per-user plan: what the compiler binds, and what it skips and why.   */

/*
 * The plan is a mount plan (mounts/plan.h): each entry an op (a bind; the
 * mask a tmpfs) in its slot, skipped entries with a reason (AG3_MOUNT_SKIP_*),
 * the entry's origin ("global.ro[0] datasets", "original-path of global.ro[0]
 * datasets", "original_paths.ro[0]", "tmpfs mask /mounts (external mounts)"),
 * and where it was written: `file` (the config's; NULL for the persistent bind
 * and the dynamic mounts) and `loc`. The compiler adds the applied entries to
 * its own plan; lint and explain read the skipped ones.
 *
 * The names below are the plan's older ones, kept for its users.
 */
#define ag3_xplan ag3_mount_plan
#define ag3_xplan_entry ag3_mount_plan_entry

#define AG3_XPLAN_MASK AG3_SLOT_EXT_MASK               /* the tmpfs over /mounts          */
#define AG3_XPLAN_PERSISTENT AG3_SLOT_EXT_PERSISTENT   /* persistent at its own path      */
#define AG3_XPLAN_MOUNT AG3_SLOT_EXT_MOUNT             /* a record at /mounts/<name>      */
#define AG3_XPLAN_DYNAMIC AG3_SLOT_EXT_DYNAMIC         /* a --dynamic request             */
#define AG3_XPLAN_ORIGINAL_PATH AG3_SLOT_EXT_ORIGINAL  /* an original_paths record        */
#define AG3_XPLAN_ORIGINAL_OF AG3_SLOT_EXT_ORIGINAL_OF /* a host path at its own path     */

#define AG3_XPLAN_SKIP_NONE AG3_MOUNT_SKIP_NONE
#define AG3_XPLAN_SKIP_NOT_AUTHORIZED AG3_MOUNT_SKIP_NOT_AUTHORIZED
#define AG3_XPLAN_SKIP_RESERVED AG3_MOUNT_SKIP_RESERVED
#define AG3_XPLAN_SKIP_MISSING AG3_MOUNT_SKIP_MISSING
#define AG3_XPLAN_SKIP_NO_USERNAME AG3_MOUNT_SKIP_NO_USERNAME
#define AG3_XPLAN_SKIP_DUPLICATE AG3_MOUNT_SKIP_DUPLICATE

/* The size of the tmpfs mask over /mounts. */
#define AG3_XMOUNT_MASK_SIZE (1ull << 20)

/* Frees the plan ag3_mounts_config_plan made. */
void ag3_xplan_free(struct ag3_mount_plan *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_mount_plan *, ag3_xplan_free)

/* ------------------------------------------------------------------------ */
/* Dynamic mount requests (the platform's DynamicMountService).             */

enum ag3_dyn_code {
	AG3_DYN_OK,
	AG3_DYN_FEATURE_DISABLED,
	AG3_DYN_BASE_NOT_FOUND,
	AG3_DYN_NOT_AUTHORIZED,
	AG3_DYN_DANGEROUS_PATTERN,
	AG3_DYN_INVALID_CHARACTERS,
	AG3_DYN_MAX_DEPTH_EXCEEDED,
	AG3_DYN_GLOBAL_BLOCKED,
	AG3_DYN_NOT_IN_ALLOWLIST,
	AG3_DYN_BLOCKED_BY_BASE,
	AG3_DYN_MODE_EXCEEDS_MAX,
	AG3_DYN_PATH_NOT_FOUND,
	AG3_DYN_PATH_ESCAPE, /* the platform's; no longer produced (no link followed) */
	AG3_DYN_RESOLUTION_FAILED,
	/* ours: */
	AG3_DYN_MAX_MOUNTS_EXCEEDED, /* dynamic.security.max_mounts_per_session      */
	AG3_DYN_INVALID_ALIAS,       /* alias not a valid, unreserved, unused name   */
	AG3_DYN_INVALID_REQUEST,     /* malformed --dynamic argument                 */
	AG3_DYN_SYMLINK_IN_PATH,     /* a symlink in the base's path or the subpath  */
	_AG3_DYN_CODE_MAX,
};

const char *ag3_dyn_code_to_string(enum ag3_dyn_code c); /* "FEATURE_DISABLED" ... */

struct ag3_dyn_request {
	char *base;    /* required */
	char *subpath; /* NULL or "" = the whole base */
	char *alias;   /* NULL = the base name */
	int mode;      /* -1 = not given (ro), 0 = ro, 1 = rw */
};

void ag3_dyn_request_clear(struct ag3_dyn_request *r);

/* Parses "BASE[/SUBPATH][:ro|rw][=ALIAS]". 0 or -EINVAL with an error; -ENOMEM. */
int ag3_dyn_request_parse(const char *arg, struct ag3_dyn_request *ret, struct ag3_error **reterr);

struct ag3_dyn_mount {
	char *base;           /* the base name */
	char *host_path;      /* base host path ({username} substituted) [+ "/" subpath],
				 symlink-free (checked) */
	char *container_path; /* /mounts/<alias|base>[/<subpath>] */
	bool ro;
	bool optional; /* the base's optional (the path may be missing) */
	bool exists;   /* the host path exists (beneath host_root) */
	char *origin;  /* "dynamic logs/nginx", "dynamic logs/nginx=ngx" */
};

void ag3_dyn_mount_clear(struct ag3_dyn_mount *m);

/*
 * Validates one request for `username` (NULL: no user, so every
 * authorization fails and {username} cannot be substituted), like the
 * platform's validate_mount_request, in its order, with its bugs fixed:
 * blocked patterns match a run of components at any depth (allowed and
 * exceptions patterns the leading ones), `role` is denied with a reason,
 * max_mounts_per_session counts `n_granted` (requests already granted in
 * this session), and the base's host path and the subpath are opened
 * following no symlink at all (SYMLINK_IN_PATH), so the path bound is the
 * path checked (host paths are looked up beneath host_root; NULL = "/").
 *
 * Returns the code (AG3_DYN_OK: *ret filled) and, when not OK, a reason in
 * *reterr (EPERM / ENOENT / EINVAL). -ENOMEM on allocation failure.
 */
int ag3_dyn_validate(const struct ag3_mounts_config *cfg, const struct ag3_dyn_request *req,
		     const char *username, size_t n_granted, const char *host_root,
		     struct ag3_dyn_mount *ret, struct ag3_error **reterr);

/*
 * The external-mount plan for one session, in spec order (reference 4.4 and
 * the 4.5 newer argv, with our fixes). The compiler puts the MASK entry after
 * the profile's tmpfs_paths, the PERSISTENT, MOUNT and DYNAMIC entries after
 * the profile's dynamic_mounts, the ORIGINAL_* entries after the profile's
 * original_path_mounts:
 *   1. the tmpfs mask over /mounts,
 *   2. the persistent directory /users/{u}/ag3ntum/persistent at its own path
 *      (when it exists; skipped otherwise),
 *   3. the records the user is authorized for, global ro, global rw, per_user
 *      ro, per_user rw, each at /mounts/<name> from its host path,
 *   4. the dynamic mounts (dyn[0..n_dyn), validated by ag3_dyn_validate),
 *   5. original_paths ro then rw for the user, at their own path,
 *   6. the original-path exposure of every bound record's host path (global
 *      ro, per_user ro, global rw, per_user rw, then the dynamic ones),
 *      skipped (with the reason) when the path is reserved.
 * Unauthorized records appear too, skipped, so lint/explain can say why.
 *
 * `profile` supplies the reserved mount targets (its static/session mount
 * targets with placeholders resolved for `vars`); original_paths entries
 * equal to or under one are an error. Existence is looked up beneath
 * host_root (NULL = "/"). A missing required source is an error naming the
 * YAML entry (file:line:col). 0, -EINVAL / -ENOENT with an error, -ENOMEM.
 */
int ag3_mounts_config_plan(const struct ag3_mounts_config *cfg, const struct ag3_profile *profile,
			   const struct ag3_vars *vars, const struct ag3_dyn_mount *dyn,
			   size_t n_dyn, const char *host_root, struct ag3_mount_plan **ret,
			   struct ag3_error **reterr);
