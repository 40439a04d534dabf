/* SPDX-License-Identifier: MIT */
/*
 * What the YAML loaders (the profile, the external mounts) share: the key
 * path of what is being read, errors at file:line:col that start with it
 * ("sandbox.limits.memory: expected ..."), and the checks both make the same
 * way. Internal to policy/.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy/profile-model.h"
#include "policy/yaml.h"
#include "runtime/util/error.h"

struct ag3_lctx {
	const char *file; /* names the input in errors */
	struct ag3_error **reterr;
	char path[512]; /* the key path of what is being read */
	size_t plen;
};

/* Appends ".key" (or "key" at the top) to the key path; returns the length to pop back to. */
size_t ag3_lctx_push(struct ag3_lctx *c, const char *key);
/* Appends "[i]" to the key path; returns the length to pop back to. */
size_t ag3_lctx_push_index(struct ag3_lctx *c, size_t i);
void ag3_lctx_pop(struct ag3_lctx *c, size_t old);

/* An error at node n (its line:col; 0:0 without one): "keypath: message". Returns -EINVAL. */
int ag3_lctx_fail(struct ag3_lctx *c, const struct ag3_yaml_node *n, const char *fmt, ...)
	_printf_(3, 4);
/* "expected <what>, got <what n is>". */
int ag3_lctx_expect(struct ag3_lctx *c, const struct ag3_yaml_node *n, const char *what);
/* ENOMEM "out of memory". */
int ag3_lctx_oom(struct ag3_lctx *c);

/*
 * Checks that `v` is a scalar usable as text: a string or (with `allow_int`)
 * an integer; not null, a boolean or a collection.
 */
int ag3_lctx_text(struct ag3_lctx *c, const struct ag3_yaml_node *v, bool allow_int,
		  const char *what);

/* Checks that `v` is a sequence ("expected <what>") of at most `max` items ("more than ..."). */
int ag3_lctx_seq(struct ag3_lctx *c, const struct ag3_yaml_node *v, const char *what, size_t max,
		 const char *items);

/*
 * The error for key `k`, which is not among `names` (n of them, or up to a
 * NULL entry): "unknown key 'k'" ("unknown top-level key" at the top) with a
 * did-you-mean suggestion; else followed by `hint` when not NULL (it is
 * appended as it is); else with the valid keys.
 */
int ag3_lctx_unknown_key(struct ag3_lctx *c, const struct ag3_yaml_node *k,
			 const char *const *names, size_t n, const char *hint);

/* The error for `v`, not one of `names` (NULL-terminated): the valid ones, a suggestion. */
int ag3_lctx_bad_enum(struct ag3_lctx *c, const struct ag3_yaml_node *v, const char *const *names);

/* Where a key (or list item) `k` with value `v` is; NULL nodes give 0:0. */
struct ag3_ploc ag3_ploc_of(const struct ag3_yaml_node *k, const struct ag3_yaml_node *v);

/* Replaces the string with a copy of `v`. 0 or -ENOMEM. */
int ag3_pstr_set(struct ag3_pstr *s, const char *v);
/* Frees the items of a string list and empties it. */
void ag3_pstrlist_clear(struct ag3_pstrlist *l);

/*
 * Reads `fd` until its end or until `size` bytes are in buf (read one byte
 * more than a file may have to see that it is too large). 0, or -errno; the
 * length read (so far) in *len either way.
 */
int ag3_read_max(int fd, char *buf, size_t size, size_t *len);
