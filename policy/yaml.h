/* SPDX-License-Identifier: MIT */
/*
 * A small, strict YAML document layer over libyaml's event parser.
 *
 * It builds a plain tree of scalars, sequences and mappings, each node with
 * its 1-based line and column, and refuses whatever a configuration file has
 * no business containing: anchors and aliases (no alias bombs), tags other
 * than the standard ones, duplicate mapping keys, non-scalar or null keys,
 * more than one document, invalid UTF-8 (and any other encoding), NUL bytes
 * in strings. Nesting depth, scalar length, node count and document size are
 * bounded, so memory and time are bounded by the input size.
 *
 * Scalars are typed here once (the YAML 1.2 core schema, with the plain
 * style deciding): null (~, null, Null, NULL, empty), bool (true, True, TRUE,
 * false, False, FALSE), int (decimal, 0x hex, 0o octal), else a string.
 * Quoted, block and !!str scalars are always strings.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/util/error.h"

#define AG3_YAML_MAX_DOCUMENT (4u << 20) /* bytes of input            */
#define AG3_YAML_MAX_DEPTH 64            /* nested collections         */
#define AG3_YAML_MAX_SCALAR (64u << 10)  /* bytes of one scalar        */
#define AG3_YAML_MAX_NODES 200000u       /* scalars + collections      */

enum ag3_yaml_type {
	AG3_YAML_SCALAR,
	AG3_YAML_SEQUENCE,
	AG3_YAML_MAPPING,
};

/* What a scalar means. */
enum ag3_yaml_kind {
	AG3_YAML_NULL,
	AG3_YAML_BOOL,
	AG3_YAML_INT,
	AG3_YAML_STR,
};

struct ag3_yaml_node;

struct ag3_yaml_pair {
	struct ag3_yaml_node *key; /* always a scalar that is not null */
	struct ag3_yaml_node *value;
};

struct ag3_yaml_node {
	enum ag3_yaml_type type;
	unsigned line, col; /* 1-based position of the node's first character */
	/* scalars */
	enum ag3_yaml_kind kind;
	bool plain; /* written in the plain style (unquoted), with no tag */
	char *str;  /* NUL-terminated, no NUL inside */
	size_t len;
	/* sequences: items; mappings: pairs, in document order */
	size_t n;
	struct ag3_yaml_node **items;
	struct ag3_yaml_pair *pairs;
};

struct ag3_yaml_doc {
	char *file;                 /* the name used in errors */
	struct ag3_yaml_node *root; /* NULL for an empty stream */
	size_t n_nodes;
};

/*
 * Parses one YAML document. `file` names the input in errors. 0 or -EINVAL
 * (-ENOMEM) with an error at file:line:col. *ret is set only on success.
 */
int ag3_yaml_parse(const char *file, const char *buf, size_t len, struct ag3_yaml_doc **ret,
		   struct ag3_error **reterr);
void ag3_yaml_doc_free(struct ag3_yaml_doc *doc);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ag3_yaml_doc *, ag3_yaml_doc_free)

/* The value of `key` in a mapping, or NULL. */
const struct ag3_yaml_node *ag3_yaml_map_get(const struct ag3_yaml_node *map, const char *key);

static inline bool ag3_yaml_is_null(const struct ag3_yaml_node *n)
{
	return !n || (n->type == AG3_YAML_SCALAR && n->kind == AG3_YAML_NULL);
}

/* A bool scalar's value. 0 or -EINVAL (not a bool). */
int ag3_yaml_get_bool(const struct ag3_yaml_node *n, bool *ret);
/*
 * An int scalar's value: 0, -EINVAL (not an int, or an ambiguous YAML 1.1
 * octal like 0755) or -ERANGE (negative, or more than 64 bits).
 */
int ag3_yaml_get_uint(const struct ag3_yaml_node *n, uint64_t *ret);
/* Like ag3_yaml_get_uint, for a signed value (int64 range). */
int ag3_yaml_get_int(const struct ag3_yaml_node *n, int64_t *ret);

/*
 * Describes a node for an error message: "a mapping", "a sequence", "null",
 * "true", "42" or 'text' (quoted, truncated, control characters replaced).
 * Writes into buf (size >= 16) and returns it.
 */
const char *ag3_yaml_describe(const struct ag3_yaml_node *n, char *buf, size_t size);
/* A printable, truncated copy of a string for messages. Returns buf. */
const char *ag3_yaml_preview(const char *s, size_t len, char *buf, size_t size);
