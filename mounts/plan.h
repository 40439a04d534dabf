/* SPDX-License-Identifier: MIT */
/*
 * The mount plan: the ordered list of mount ops a sandbox gets, as data.
 *
 * The policy layer makes the entries (from a profile, the external mounts,
 * the session) and says which slot each belongs to; this module owns the
 * rest, written once for the compiler, the linter and `explain`: the order of
 * the slots, entries skipped with a reason, which entry already binds a
 * target (dedupe), and what is at a path (the last op covering it, and the
 * earlier ones it shadows).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mounts/mount.h"

/* The mount order: the slots, first applied first. */
enum ag3_mount_slot {
	AG3_SLOT_SYSTEM,          /* the profile's static (system) mounts                  */
	AG3_SLOT_LIB64,           /* the host's /lib64, when no mount targets it           */
	AG3_SLOT_BUILTIN,         /* /tmp, /proc, /dev: the sandbox always gets them       */
	AG3_SLOT_SESSION,         /* the profile's session mounts                          */
	AG3_SLOT_TMPFS,           /* the profile's tmpfs_paths                             */
	AG3_SLOT_EXT_MASK,        /* the tmpfs mask over /mounts (external mounts)         */
	AG3_SLOT_DYNAMIC,         /* the profile's dynamic mounts                          */
	AG3_SLOT_EXT_PERSISTENT,  /* persistent storage at its own path                    */
	AG3_SLOT_EXT_MOUNT,       /* external records at /mounts/<name>                    */
	AG3_SLOT_EXT_DYNAMIC,     /* dynamic mount requests                                */
	AG3_SLOT_ORIGINAL,        /* the profile's original-path mounts                    */
	AG3_SLOT_EXT_ORIGINAL,    /* external original_paths records                       */
	AG3_SLOT_EXT_ORIGINAL_OF, /* bound external host paths at their own path           */
	_AG3_SLOT_MAX,
};

/* Why an entry is not in the spec. */
enum ag3_mount_skip {
	AG3_MOUNT_SKIP_NONE,
	AG3_MOUNT_SKIP_NOT_AUTHORIZED, /* the user is not allowed it                     */
	AG3_MOUNT_SKIP_RESERVED,       /* its target is (under) a reserved path           */
	AG3_MOUNT_SKIP_MISSING,        /* optional and its source does not exist          */
	AG3_MOUNT_SKIP_NO_USERNAME,    /* needs a user name and none was given            */
	AG3_MOUNT_SKIP_DUPLICATE,      /* same target as an earlier entry                 */
	_AG3_MOUNT_SKIP_MAX,
};

const char *ag3_mount_skip_to_string(enum ag3_mount_skip s); /* "not-authorized" ... */

struct ag3_mount_plan_entry {
	struct ag3_mount m;          /* op, source, target, flags, origin (owned)       */
	enum ag3_mount_slot slot;
	enum ag3_mount_skip skip;    /* NONE: applied                                    */
	char *skip_reason;           /* when skipped: why, for lint and explain          */
	const char *file;            /* where the entry was written (not owned), or NULL */
	unsigned line, col;
	const void *ref;             /* the maker's own reference (not owned)            */
};

struct ag3_mount_plan {
	struct ag3_mount_plan_entry *items;
	size_t n, cap;
};

void ag3_mount_plan_clear(struct ag3_mount_plan *p);

/* Appends a copy of `m` in `slot`: the new entry, or NULL on ENOMEM. */
struct ag3_mount_plan_entry *ag3_mount_plan_add(struct ag3_mount_plan *p, enum ag3_mount_slot slot,
						const struct ag3_mount *m);

/* Puts the entries in the mount order: by slot, and in the order added within one. -ENOMEM. */
int ag3_mount_plan_order(struct ag3_mount_plan *p);

/* The first applied entry of items[0..upto) whose target is `target`, or NULL. */
const struct ag3_mount_plan_entry *ag3_mount_plan_find_target(const struct ag3_mount_plan *p,
							      const char *target, size_t upto);

/*
 * What is at a path: the index of the last of `n` mount ops (`stride` bytes
 * apart, from v) whose target is `path` or an ancestor of it, or -1. Only
 * ops with an absolute target that cover what is beneath them count (bind,
 * tmpfs, proc, dev, mask, symlink; not dir or file). `path` is normalized.
 */
ssize_t ag3_mount_lookup(const struct ag3_mount *v, size_t n, size_t stride, const char *path);

/* The ops before `upto` that `path` is at or below: the ones the provider shadows. */
int ag3_mount_shadowed(const struct ag3_mount *v, size_t upto, size_t stride, const char *path,
		       size_t **ret, size_t *ret_n);

/* The first op after `i` whose target is v[i]'s target or an ancestor: what hides it, or -1. */
ssize_t ag3_mount_hidden_by(const struct ag3_mount *v, size_t n, size_t stride, size_t i);
