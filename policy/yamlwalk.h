/* SPDX-License-Identifier: MIT */
/*
 * The table-driven YAML walker both loaders use (the profile, the external
 * mounts): one table of rows per mapping says which keys exist, what each
 * holds and where it goes, so a new field is one row.
 *
 * Strictness is the walker's: an unknown key is an error with a did-you-mean
 * suggestion (or the map's hint, or the valid keys); a required key that is
 * missing is an error; every error is at file:line:col and starts with the
 * key path (struct ag3_lctx). Duplicate keys, aliases and the size bounds are
 * refused by policy/yaml.c before the walker runs; lists are bounded by their
 * row's `max`.
 *
 * Every present key sets its field's ag3_pmeta (set, where) before the value
 * is read, so each field type starts with a struct ag3_pmeta. Internal to
 * policy/.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/loader.h"
#include "policy/profile-model.h"
#include "policy/yaml.h"

enum ag3_yw_type {
	AG3_YW_END = 0, /* ends a table */
	AG3_YW_BOOL,    /* struct ag3_pbool: true or false                              */
	AG3_YW_UINT,    /* struct ag3_pu64: an integer min..max                           */
	AG3_YW_SIZE,    /* struct ag3_pu64: bytes, or a number with K, M, G, T (min..max) */
	AG3_YW_STR,     /* struct ag3_pstr                                                */
	AG3_YW_ENUM,    /* struct ag3_pint: the index of the value in `names`             */
	AG3_YW_STRLIST, /* struct ag3_pstrlist: a sequence of strings                     */
	AG3_YW_SECTION, /* a nested mapping `sub`, read into the struct at `off`          */
	AG3_YW_SEQ,     /* a sequence of mappings `sub`: struct ag3_yw_list at `off`      */
	AG3_YW_FN,      /* the odd cases: `fn` reads the value into the field at `off`    */
	AG3_YW_CHECK,   /* no key: `fn` checks the mapping at this point (table order)    */
};

enum {
	AG3_YW_REQUIRED = 1 << 0,       /* a missing key is an error ("missing required key") */
	AG3_YW_NONEMPTY = 1 << 1,       /* STR, STRLIST items: "" is an error                 */
	AG3_YW_NULL_DEFAULT = 1 << 2,   /* null keeps the default (BOOL, UINT, ENUM, STRLIST)
					 * rather than being an error (or [] for a list)      */
	AG3_YW_NULL_EMPTY = 1 << 3,     /* STR: null gives ""                                 */
	AG3_YW_NO_INT = 1 << 4,         /* STR: an integer is not text here                   */
	AG3_YW_UNLIMITED_ZERO = 1 << 5, /* UINT, SIZE: "unlimited" (max, infinity) means 0    */
	AG3_YW_UNLIMITED_INF = 1 << 6,  /* UINT, SIZE: ... means AG3_RLIM_INFINITY            */
	AG3_YW_EXPECT_RANGE = 1 << 7,   /* UINT: any error is "expected an integer from min
					 * to max" (the external mounts' wording)             */
	AG3_YW_NOCASE = 1 << 8,         /* ENUM: the value is compared ignoring case          */
	AG3_YW_NO_YN = 1 << 9,          /* BOOL: only yes/no/on/off (not y, n) are named as
					 * YAML 1.1 booleans (the external mounts' wording)   */
	AG3_YW_NULL_UNSETS = 1 << 10,   /* SECTION: null counts as absent (meta.set false)    */
};

/* A sequence of records: every list type a SEQ row fills has this layout. */
struct ag3_yw_list {
	struct ag3_pmeta meta;
	void *items; /* each item starts with a struct ag3_pmeta */
	size_t n;
};

struct ag3_yw_row;
struct ag3_yw_map;

/*
 * FN rows: reads `v` into the field `dst`. CHECK rows: checks the mapping `v`
 * whose struct is `dst`. SEQ rows (`fn`, optional): prepares the item `dst`
 * (node `v`) before it is read, with the item's index on the key path.
 */
typedef int (*ag3_yw_fn)(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			 const struct ag3_yw_row *row);
/* A further check of a value that was read: STR (dst the field), STRLIST (each item). */
typedef int (*ag3_yw_check_fn)(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst);
/* Writes a hint for unknown key `key` (appended to the message as it is), or nothing. */
typedef void (*ag3_yw_hint_fn)(const struct ag3_lctx *c, const char *key, char *buf, size_t size);

struct ag3_yw_row {
	const char *key;
	enum ag3_yw_type type;
	unsigned flags;
	size_t off;                   /* of the field in the mapping's struct           */
	uint64_t min, max;            /* UINT, SIZE: the range; STRLIST, SEQ: items     */
	uint64_t dflt;                /* BOOL, UINT, SIZE, ENUM: ag3_yw_defaults()      */
	const char *dflt_str;         /* STR: the default (else "")                     */
	const char *const *dflt_list; /* STRLIST: NULL-terminated, or NULL for none     */
	const char *const *names;     /* ENUM: NULL-terminated, indexed by value        */
	const char *what;             /* STR, STRLIST, SEQ: "expected <what>"           */
	const char *items;            /* STRLIST, SEQ: "more than N <items>"            */
	const char *missing;          /* REQUIRED: appended to "missing required key"  */
	const struct ag3_yw_map *sub; /* SECTION, SEQ                                   */
	size_t item_size;             /* SEQ                                            */
	ag3_yw_fn fn;
	ag3_yw_check_fn check;
};

enum {
	/*
	 * Reads the keys in table order (first checking that every key is known)
	 * rather than in document order; CHECK rows run only in this order.
	 */
	AG3_YW_TABLE_ORDER = 1 << 0,
};

struct ag3_yw_map {
	const struct ag3_yw_row *rows; /* ends with a row of type AG3_YW_END */
	unsigned flags;
	const char *what;         /* "expected <what>" for a node that is no mapping */
	const char *const *names; /* the valid keys in messages, if not the rows'    */
	ag3_yw_hint_fn hint;      /* for unknown keys, or NULL                      */
};

/*
 * The profile's readers of odd values (policy/profile.c), shared by the other
 * configuration files: seconds (an integer or up to 3 decimals; into a struct
 * ag3_pu64 in ms, row min..max), a CPU percentage ("50%": struct ag3_pu64),
 * an errno (name or number: struct ag3_pint), allowlist rules (struct
 * ag3_pstrlist, normalized) and TCP ports (struct ag3_pports).
 */
int ag3_yw_read_seconds(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			const struct ag3_yw_row *f);
int ag3_yw_read_percent(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			const struct ag3_yw_row *f);
int ag3_yw_read_errno(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		      const struct ag3_yw_row *f);
int ag3_yw_read_domains(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
			const struct ag3_yw_row *f);
int ag3_yw_read_ports(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		      const struct ag3_yw_row *f);

/* Reads the mapping `n` into `base` as `map` says. 0 or -EINVAL/-ENOMEM with the error set. */
int ag3_yw_map(struct ag3_lctx *c, const struct ag3_yaml_node *n, void *base,
	       const struct ag3_yw_map *map);

/* Reads one value (the key already on the key path) into `dst` as `row` says. */
int ag3_yw_value(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		 const struct ag3_yw_row *row);

/*
 * Gives the fields of `base` their rows' defaults, and those of nested
 * sections. 0 or -ENOMEM.
 */
int ag3_yw_defaults(void *base, const struct ag3_yw_map *map);

/*
 * Counts the sections anywhere below `map` (not `map` itself) that have
 * `key`; writes the key path of the first one, after `prefix`, into `first`
 * (which starts empty). For "it belongs under ..." hints.
 */
size_t ag3_yw_find_key(const struct ag3_yw_map *map, const char *key, const char *prefix,
		       char *first, size_t size);

/* Whether `v` is a string with the text `word`, ignoring case. */
bool ag3_yw_is_word(const struct ag3_yaml_node *v, const char *word);

/* The error for an integer ag3_yaml_get_uint refused (r): out of range, a 0755, or not one. */
int ag3_yw_uint_error(struct ag3_lctx *c, const struct ag3_yaml_node *v, int r, const char *what);

/* "unlimited", "max" or "infinity" on a row that allows it: *ret its value, true. */
bool ag3_yw_unlimited(const struct ag3_yaml_node *v, const struct ag3_yw_row *row, uint64_t *ret);
