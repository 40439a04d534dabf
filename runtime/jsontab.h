/* SPDX-License-Identifier: MIT */
/*
 * JSON by descriptor tables: one reader and one writer for C structs.
 *
 * A struct's JSON form is a table of fields (struct ag3_jt_field): the JSON
 * name, where the value lives (offsetof), its type, range, default and flags.
 * The reader (ag3_jt_decode) checks a parsed object against the table:
 * unknown keys (with a "did you mean" hint), duplicate keys, missing required
 * fields and ill-typed or out-of-range values are errors naming the JSON path
 * ("mounts[2].ro: expected a boolean, got a number"). The writer
 * (ag3_jt_encode) prints every field in table order, so equal structs give
 * equal bytes. A new field is one table row.
 *
 * Exact integers. cJSON keeps a number only as a double, which cannot hold
 * every uint64_t. ag3_jt_parse() therefore scans the raw text first, records
 * every number token and, after cJSON has built the tree, stores each number
 * node's token index in its `valueint`; integers are then read from the token
 * text with exact uint64_t arithmetic. Fractions, exponents and negative
 * values are refused. The scan also bounds the nesting depth, array lengths
 * and the number of values before cJSON allocates anything, and refuses
 * "\u0000", raw control characters and invalid UTF-8 inside strings.
 *
 * The writer primitives (ag3_jw_*) are public too, for records that are not a
 * plain table (runtime/result.c): same escaping, same number format.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/util/error.h"

typedef struct cJSON cJSON;

#define AG3_JT_PATH_MAX 256
#define AG3_JT_MAX_ARRAY_ENTRIES 100000

enum ag3_jt_type {
	AG3_JT_BOOL,   /* bool                                                              */
	AG3_JT_UINT,   /* an unsigned integer of .size bytes (1, 2, 4 or 8) in min..max      */
	AG3_JT_INT,    /* int in min..max (min >= 0); a negative value cannot be written     */
	AG3_JT_STRING, /* char *, valid UTF-8; NULL is null (only with AG3_JT_NULLABLE)     */
	AG3_JT_CONST,  /* no storage: the string .text, on output; on input checked by a hook */
	AG3_JT_ENUM,   /* an int-sized enum, by name: .enum_name(0 .. .enum_max - 1)         */
	AG3_JT_OBJECT, /* a struct at .offset, fields .sub                                   */
	AG3_JT_ARRAY,  /* a T * at .offset and its size_t count at .count_offset; T is .elem */
};

enum {
	AG3_JT_REQUIRED = 1 << 0,    /* input: must be present                                */
	AG3_JT_NULLABLE = 1 << 1,    /* STRING: null is NULL; UINT: null clears .flag_offset  */
	AG3_JT_SECRET = 1 << 2,      /* STRING: "<redacted>" on output with AG3_JW_REDACT when
				      * the bool at .flag_offset is true                      */
	AG3_JT_DECODE_LAST = 1 << 3, /* input: read after the other fields (error precedence) */
	AG3_JT_INLINE = 1 << 4,      /* ARRAY: the elements are inline at .offset, at most
				      * .max_items of them ("more than N .items_name")       */
};

struct ag3_jt_dec;
struct ag3_jt_table;

/*
 * A check run right after a field was read, its path still entered: `obj` is
 * the struct holding it; `array` and `index` locate `obj` when it is an array
 * element (else NULL, 0). Returns 0 or an error from ag3_jt_fail().
 */
typedef int (*ag3_jt_check_fn)(struct ag3_jt_dec *d, const void *obj, const void *array,
			       size_t index);

struct ag3_jt_field {
	const char *name;
	enum ag3_jt_type type;
	unsigned flags;
	size_t offset;
	size_t size;                     /* UINT: bytes; ARRAY: bytes of one element      */
	uint64_t min, max;               /* UINT, INT: the range accepted on input        */
	uint64_t def;                    /* BOOL, UINT, INT, ENUM: in a new array element */
	const char *text;                /* CONST: the string; UINT: the word for max     */
	const char *(*enum_name)(int v); /* ENUM: NULL for a hole                         */
	int enum_max;                    /* ENUM: the number of values                    */
	const struct ag3_jt_table *sub;  /* OBJECT: its fields                            */
	const struct ag3_jt_field *elem; /* ARRAY: one element (offset 0)                 */
	size_t count_offset;             /* ARRAY: where the size_t count is              */
	size_t flag_offset;              /* NULLABLE UINT: bool "set"; SECRET: bool       */
	size_t max_items;                /* INLINE ARRAY                                  */
	const char *items_name;          /* INLINE ARRAY: "arguments"                     */
	ag3_jt_check_fn check;
};

struct ag3_jt_table {
	const struct ag3_jt_field *fields;
	size_t n;
	size_t size; /* sizeof the struct */
};

#define AG3_JT_TABLE(fields_, type_)                                                               \
	{                                                                                          \
		.fields = (fields_), .n = sizeof(fields_) / sizeof((fields_)[0]),                  \
		.size = sizeof(type_)                                                              \
	}

/* ------------------------------------------------------------------------------------------ */
/* Reading                                                                                     */

struct ag3_jt_num; /* a number token */

struct ag3_jt_doc {
	cJSON *root;
	char *copy;
	const char *buf;
	size_t len;
	struct ag3_jt_num *nums;
	size_t n_nums;
};

void ag3_jt_doc_done(struct ag3_jt_doc *doc);

/*
 * Scans and parses `buf` (no NUL byte allowed; the caller bounds `len`).
 * Syntax and encoding errors carry line:column (ag3_error_set_at with
 * `filename`, or "line L, column C" in the message without one).
 */
int ag3_jt_parse(const char *buf, size_t len, const char *filename, struct ag3_jt_doc *doc,
		 struct ag3_error **reterr);

/* Sets an error "file:line:col: msg" (or "msg (line L, column C)") at byte `off` of `buf`. */
int ag3_jt_fail_at_offset(struct ag3_error **reterr, const char *filename, const char *buf,
			  size_t len, size_t off, const char *fmt, ...) _printf_(6, 7);

struct ag3_jt_dec {
	const struct ag3_jt_doc *doc;
	const char *filename;
	struct ag3_error **reterr;
	char path[AG3_JT_PATH_MAX]; /* the JSON path of what is being read */
	size_t plen;
};

/* Path bookkeeping: each returns the old length for ag3_jt_path_leave. */
size_t ag3_jt_path_key(struct ag3_jt_dec *d, const char *key);
size_t ag3_jt_path_index(struct ag3_jt_dec *d, size_t i);
size_t ag3_jt_path_enter(struct ag3_jt_dec *d, const cJSON *it);
void ag3_jt_path_leave(struct ag3_jt_dec *d, size_t old);

/* An error at the current path ("path: msg"); returns -EINVAL. */
int ag3_jt_fail(struct ag3_jt_dec *d, const char *fmt, ...) _printf_(2, 3);
/* "null", "a boolean", "a number", "a string", "an array", "an object" */
const char *ag3_jt_type_name(const cJSON *it);
/* Reads number node `it` (already entered) as an integer in 0..max. */
int ag3_jt_integer(struct ag3_jt_dec *d, const cJSON *it, uint64_t max, uint64_t *ret);

/*
 * Reads object `it` (already entered) into `obj` by `t`. Absent fields keep
 * what `obj` holds; a field read replaces it (an array is freed and replaced
 * as a whole, its new elements zeroed, then given their defaults).
 */
int ag3_jt_decode(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_table *t, void *obj);

/* Reads one member `it` (already entered) of `obj` by its row `f`. */
int ag3_jt_decode_field(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_field *f,
			void *obj);

/* Sets the fields' defaults (.def) in `obj`; arrays, strings and objects are left alone. */
void ag3_jt_defaults(const struct ag3_jt_table *t, void *obj);
/* Frees the strings and arrays `obj` holds by `t` (not `obj`), and zeroes them. */
void ag3_jt_free(const struct ag3_jt_table *t, void *obj);

/* Copies `s` for an error message: at most 64 bytes (then "..."), controls shown as '?'. */
#define AG3_JT_SHOWN_MAX 64
void ag3_jt_shown(char out[static AG3_JT_SHOWN_MAX + 4], const char *s);

/* ------------------------------------------------------------------------------------------ */
/* Writing                                                                                     */

enum {
	AG3_JW_PRETTY = 1 << 0, /* two-space indentation, one key or element per line, "k": v */
	AG3_JW_REDACT = 1 << 1, /* AG3_JT_SECRET strings become "<redacted>"                */
};

struct ag3_jw_frame {
	size_t plen;  /* the path length of the container itself */
	size_t count; /* members written so far */
	bool array;
};

/*
 * Compact output has no whitespace at all. Errors (ENOMEM, a NULL where a
 * string must be, invalid UTF-8 in a strict string, a value out of range) are
 * kept in `err`, with the path of the value, and make later calls no-ops.
 */
struct ag3_jw {
	char *buf;
	size_t len, cap;
	unsigned flags;
	int err;
	struct ag3_error **reterr;
	struct ag3_jw_frame st[8];
	unsigned depth;
	char path[AG3_JT_PATH_MAX];
	size_t plen;
};

void ag3_jw_put(struct ag3_jw *w, const char *s, size_t n);
/* Makes room for `n` more bytes at once (for a big string of known size). */
void ag3_jw_reserve(struct ag3_jw *w, size_t n);
void ag3_jw_fail(struct ag3_jw *w, const char *fmt, ...) _printf_(2, 3);
void ag3_jw_open(struct ag3_jw *w, char c); /* '{' or '[' */
void ag3_jw_close(struct ag3_jw *w);
void ag3_jw_key(struct ag3_jw *w, const char *key);
void ag3_jw_elem(struct ag3_jw *w);
/* A string that must be valid UTF-8 (an error otherwise, or if NULL). */
void ag3_jw_string(struct ag3_jw *w, const char *s);
/* Bytes from outside (a command's output, a path): invalid UTF-8 and NUL become U+FFFD. */
void ag3_jw_text(struct ag3_jw *w, const char *p, size_t n);
/* The length ag3_jw_text would write between the quotes. */
size_t ag3_jw_text_len(const char *p, size_t n);
void ag3_jw_u64(struct ag3_jw *w, uint64_t v);
void ag3_jw_i64(struct ag3_jw *w, int64_t v);
/* A double as cJSON prints it (%d when integral, else %1.15g or %1.17g). */
void ag3_jw_double(struct ag3_jw *w, double v);
void ag3_jw_bool(struct ag3_jw *w, bool v);
void ag3_jw_null(struct ag3_jw *w);

/* Writes the fields of `obj` by `t` as an object's members (the caller opens and closes it). */
void ag3_jw_fields(struct ag3_jw *w, const struct ag3_jt_table *t, const void *obj);

/* Ends the output: on success *ret gets the text (NUL-terminated); else the error. */
int ag3_jw_finish(struct ag3_jw *w, char **ret);
