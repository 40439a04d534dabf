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
#include <stdint.h>
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

/* Where an entry was written (the YAML entry), for lint and explain. */
struct ag3_mount_loc {
	unsigned line, col;
};

struct ag3_mount_plan_entry {
	/* The op, owned: e->m, or its members by name (e->target is e->m.target). */
	union {
		struct ag3_mount m;
		struct {
			enum ag3_mount_op op;
			char *source, *target, *content;
			bool ro, optional, nosuid, nodev, noexec;
			uint64_t size;
			uint32_t mode;
			char *origin;
		};
	};
	/* Its slot; `kind` is the same, the external-mounts plan's name for it. */
	union {
		enum ag3_mount_slot slot;
		enum ag3_mount_slot kind;
	};
	enum ag3_mount_skip skip; /* NONE: applied                                    */
	char *skip_reason;        /* when skipped: why, for lint and explain          */
	const char *file;         /* where the entry was written (not owned), or NULL */
	struct ag3_mount_loc loc; /* there (0:0: nowhere)                             */
	const void *ref;          /* the maker's own reference (not owned)            */
};

/* The members by name are e->m's: the same offsets and sizes (checked here). */
#define AG3__PLAN_ALIAS(f)                                                                         \
	_Static_assert(offsetof(struct ag3_mount_plan_entry, f) ==                                 \
				       offsetof(struct ag3_mount_plan_entry, m.f) &&               \
			       sizeof(((struct ag3_mount_plan_entry *)0)->f) ==                    \
				       sizeof(((struct ag3_mount_plan_entry *)0)->m.f),            \
		       "struct ag3_mount_plan_entry: " #f " is not m." #f)
AG3__PLAN_ALIAS(op);
AG3__PLAN_ALIAS(source);
AG3__PLAN_ALIAS(target);
AG3__PLAN_ALIAS(content);
AG3__PLAN_ALIAS(ro);
AG3__PLAN_ALIAS(optional);
AG3__PLAN_ALIAS(nosuid);
AG3__PLAN_ALIAS(nodev);
AG3__PLAN_ALIAS(noexec);
AG3__PLAN_ALIAS(size);
AG3__PLAN_ALIAS(mode);
AG3__PLAN_ALIAS(origin);
#undef AG3__PLAN_ALIAS

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
 * What is at a path: the op providing it (the last one whose target is the
 * path or an ancestor of it) and the earlier ones covering it, which it
 * shadows. Only ops with an absolute target that cover what is beneath them
 * count (bind, tmpfs, proc, dev, mask, symlink; not dir or file), and in a
 * plan only the applied entries. `path` is normalized.
 */
struct ag3_mount_at {
	ssize_t provider; /* its index, or -1: nothing covers it (the root)        */
	size_t *shadowed; /* the indices of the ones it shadows, in order, or NULL */
	size_t n_shadowed;
};

void ag3_mount_at_clear(struct ag3_mount_at *a);

/* In a plan (indices into p->items). 0 or -ENOMEM. */
int ag3_mount_plan_lookup(const struct ag3_mount_plan *p, const char *path,
			  struct ag3_mount_at *ret);
/* In a list of ops (a spec's mounts). 0 or -ENOMEM. */
int ag3_mounts_lookup(const struct ag3_mount *v, size_t n, const char *path,
		      struct ag3_mount_at *ret);
/* Whether op i's mount is made read-only by a later remount_ro at its target (before
 * anything else is mounted there). */
bool ag3_mounts_remounted_ro(const struct ag3_mount *v, size_t n, size_t i);

/* The first applied entry of items(i..upto) covering items[i]'s target: what hides it, or -1. */
ssize_t ag3_mount_plan_hidden_by(const struct ag3_mount_plan *p, size_t i, size_t upto);
