/* SPDX-License-Identifier: MIT */
/*
 * JSON by descriptor tables (see jsontab.h).
 *
 * Reading: scan_text() walks the raw text once, before cJSON, and records
 * every number token (offset, length) in document order; after cJSON's parse a
 * pre-order walk of the tree visits the number nodes in that same order and
 * stores each one's token index in `valueint`. On text cJSON accepts, the
 * tokens found are exactly cJSON's number nodes: outside strings, a '-' or a
 * digit can only start a number.
 *
 * Writing: integers with PRIu64, strings as UTF-8 with only the escapes JSON
 * requires (" \ and control characters, \u00xx in lower case). Without
 * AG3_JW_PRETTY no whitespace at all; with it two-space indentation, one key
 * or element per line, "key": value, empty containers as [] and {}.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "jsontab.h"

#include <cjson/cJSON.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util/cleanup.h"
#include "runtime/util/suggest.h"
#include "runtime/util/text.h"

#define MAX_DEPTH 64
#define MAX_VALUES 2000000 /* cJSON spends ~64 bytes a value: at most ~128 MiB of nodes */
#define MAX_FIELDS 32      /* in one table */

struct ag3_jt_num {
	uint32_t off; /* the caller bounds the input (16 MiB for a spec) */
	uint32_t len;
};

/* ---------------------------------------------------------------------------------------- */
/* Shared helpers                                                                            */

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	while (n > 0) {
		size_t l = ag3_utf8_seq_len(p, n);
		if (l == 0)
			return false;
		p += l;
		n -= l;
	}
	return true;
}

/* 1-based line and column (in characters) of byte `off` of `buf`. */
static void offset_to_line_col(const char *buf, size_t len, size_t off, unsigned *line,
			       unsigned *col)
{
	unsigned l = 1, c = 1;

	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
			c++;
		}
	}
	*line = l;
	*col = c;
}

int ag3_jt_fail_at_offset(struct ag3_error **reterr, const char *filename, const char *buf,
			  size_t len, size_t off, const char *fmt, ...)
{
	char where[64];
	unsigned line, col;
	va_list ap;

	offset_to_line_col(buf, len, off, &line, &col);
	snprintf(where, sizeof(where), "line %u, column %u", line, col);
	va_start(ap, fmt);
	int r = ag3_error_set_atv(reterr, EINVAL, filename, line, col, filename ? NULL : where, fmt,
				  ap);
	va_end(ap);
	return r;
}

void ag3_jt_shown(char out[static AG3_JT_SHOWN_MAX + 4], const char *s)
{
	size_t n = strlen(s), i;
	bool cut = n > AG3_JT_SHOWN_MAX;

	if (cut) {
		n = AG3_JT_SHOWN_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (cut) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
}

/* ---------------------------------------------------------------------------------------- */
/* The raw-text scanner                                                                      */

struct scan {
	const char *buf;
	size_t len;
	struct ag3_jt_num *nums;
	size_t n_nums, cap_nums;
	size_t values;        /* strings, numbers, literals and containers, less keys */
	size_t err_off;       /* on -EINVAL: where */
	const char *err_what; /* on -EINVAL: what (a literal) */
};

static int scan_fail(struct scan *sc, size_t off, const char *what)
{
	sc->err_off = off;
	sc->err_what = what;
	return -EINVAL;
}

static int scan_push_number(struct scan *sc, size_t off, size_t len)
{
	if (sc->n_nums == sc->cap_nums) {
		size_t cap = sc->cap_nums ? sc->cap_nums * 2 : 64;
		struct ag3_jt_num *n = reallocarray(sc->nums, cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		sc->nums = n;
		sc->cap_nums = cap;
	}
	sc->nums[sc->n_nums++] = (struct ag3_jt_num){.off = (uint32_t)off, .len = (uint32_t)len};
	return 0;
}

/* Counts a value (a key is taken back at its ':'). */
static int scan_value(struct scan *sc, size_t off)
{
	if (++sc->values > MAX_VALUES + 1)
		return scan_fail(sc, off, "more than 2000000 values in the document");
	return 0;
}

static int scan_string(struct scan *sc, size_t *pi)
{
	const unsigned char *s = (const unsigned char *)sc->buf;
	size_t n = sc->len, i = *pi;

	for (i++; i < n && s[i] != '"';) {
		if (s[i] == '\\') {
			if (i + 5 < n && s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0)
				return scan_fail(sc, i,
						 "a string contains \\u0000 (NUL), which is not "
						 "allowed");
			i += 2;
		} else if (s[i] < 0x20) {
			return scan_fail(sc, i, "a control character in a string must be escaped");
		} else {
			size_t l = ag3_utf8_seq_len(s + i, n - i);
			if (l == 0)
				return scan_fail(sc, i, "a string is not valid UTF-8");
			i += l;
		}
	}
	*pi = i + 1; /* past the closing quote */
	return 0;
}

/* One pass over the raw text; cJSON judges the syntax next. */
static int scan_text(struct scan *sc)
{
	const unsigned char *s = (const unsigned char *)sc->buf;
	size_t n = sc->len, i = 0;
	struct {
		bool array;
		size_t commas;
	} stack[MAX_DEPTH];
	unsigned depth = 0;

	while (i < n) {
		unsigned char c = s[i];

		if (c == '"' || c == '{' || c == '[' || c == '-' || (c >= '0' && c <= '9') ||
		    c == 't' || c == 'f' || c == 'n') {
			/* each starts a value or a key (the letters only outside strings) */
			if (scan_value(sc, i) < 0)
				return -EINVAL;
		}
		if (c == '"') {
			if (scan_string(sc, &i) < 0)
				return -EINVAL;
		} else if (c == '{' || c == '[') {
			if (depth == MAX_DEPTH)
				return scan_fail(sc, i, "nested deeper than 64 levels");
			stack[depth].array = c == '[';
			stack[depth].commas = 0;
			depth++;
			i++;
		} else if (c == '}' || c == ']') {
			if (depth > 0)
				depth--;
			i++;
		} else if (c == ':') {
			if (sc->values > 0)
				sc->values--;
			i++;
		} else if (c == ',') {
			if (depth > 0 && stack[depth - 1].array &&
			    ++stack[depth - 1].commas >= AG3_JT_MAX_ARRAY_ENTRIES)
				return scan_fail(sc, i, "an array has more than 100000 entries");
			i++;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			size_t start = i;
			while (i < n && s[i] && strchr("0123456789+-.eE", s[i]))
				i++;
			if (scan_push_number(sc, start, i - start) < 0)
				return -ENOMEM;
		} else {
			i++;
		}
	}
	return 0;
}

/* Numbers each number node with the index of its token, in document order. */
static int attach_numbers(cJSON *node, size_t n_nums, size_t *idx)
{
	for (; node; node = node->next) {
		if (cJSON_IsNumber(node)) {
			if (*idx >= n_nums)
				return -EINVAL;
			node->valueint = (int)(*idx)++;
		}
		if (node->child) {
			int r = attach_numbers(node->child, n_nums, idx);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

void ag3_jt_doc_done(struct ag3_jt_doc *doc)
{
	cJSON_Delete(doc->root);
	free(doc->copy);
	free(doc->nums);
	*doc = (struct ag3_jt_doc){0};
}

int ag3_jt_parse(const char *buf, size_t len, const char *filename, struct ag3_jt_doc *doc,
		 struct ag3_error **reterr)
{
	struct scan sc = {.buf = buf, .len = len};
	const char *end = NULL;
	size_t idx = 0;
	int r;

	*doc = (struct ag3_jt_doc){.buf = buf, .len = len};
	r = scan_text(&sc);
	doc->nums = sc.nums;
	doc->n_nums = sc.n_nums;
	if (r == -ENOMEM)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	if (r < 0)
		return ag3_jt_fail_at_offset(reterr, filename, buf, len, sc.err_off, "%s",
					     sc.err_what);

	/* cJSON wants the terminating NUL inside `len` when it must reach the end. */
	doc->copy = malloc(len + 1);
	if (!doc->copy)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	memcpy(doc->copy, buf, len);
	doc->copy[len] = '\0';
	doc->root = cJSON_ParseWithLengthOpts(doc->copy, len + 1, &end, true);
	if (!doc->root) {
		const char *copy = doc->copy;
		size_t off = (end && end >= copy && end <= copy + len) ? (size_t)(end - copy) : len;
		unsigned char c = off < len ? (unsigned char)buf[off] : 0;
		if (off >= len)
			return ag3_jt_fail_at_offset(reterr, filename, buf, len, off,
						     "invalid JSON: unexpected end of input");
		if (c > 0x20 && c < 0x7f)
			return ag3_jt_fail_at_offset(reterr, filename, buf, len, off,
						     "invalid JSON: syntax error at '%c'", c);
		return ag3_jt_fail_at_offset(reterr, filename, buf, len, off,
					     "invalid JSON: syntax error");
	}
	if (attach_numbers(doc->root, doc->n_nums, &idx) < 0 || idx != doc->n_nums)
		return ag3_error_set(reterr, EINVAL,
				     "internal error: the number tokens do not "
				     "match the parse");
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The decoder                                                                               */

static size_t path_append(struct ag3_jt_dec *d, int n)
{
	size_t old = d->plen;
	if (n > 0)
		d->plen += (size_t)n;
	if (d->plen >= sizeof(d->path))
		d->plen = sizeof(d->path) - 1;
	d->path[d->plen] = '\0';
	return old;
}

size_t ag3_jt_path_key(struct ag3_jt_dec *d, const char *key)
{
	return path_append(d, snprintf(d->path + d->plen, sizeof(d->path) - d->plen, "%s%s",
				       d->plen ? "." : "", key));
}

size_t ag3_jt_path_index(struct ag3_jt_dec *d, size_t i)
{
	return path_append(d, snprintf(d->path + d->plen, sizeof(d->path) - d->plen, "[%zu]", i));
}

size_t ag3_jt_path_enter(struct ag3_jt_dec *d, const cJSON *it)
{
	return it->string ? ag3_jt_path_key(d, it->string) : d->plen;
}

void ag3_jt_path_leave(struct ag3_jt_dec *d, size_t old)
{
	d->plen = old;
	d->path[old] = '\0';
}

int ag3_jt_fail(struct ag3_jt_dec *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = ag3_error_set_atv(d->reterr, EINVAL, d->filename, 0, 0, d->plen ? d->path : NULL,
				  fmt, ap);
	va_end(ap);
	return r;
}

static int dec_oom(struct ag3_jt_dec *d)
{
	return ag3_error_set(d->reterr, ENOMEM, "out of memory");
}

const char *ag3_jt_type_name(const cJSON *it)
{
	if (cJSON_IsNull(it))
		return "null";
	if (cJSON_IsBool(it))
		return "a boolean";
	if (cJSON_IsNumber(it))
		return "a number";
	if (cJSON_IsString(it))
		return "a string";
	if (cJSON_IsArray(it))
		return "an array";
	if (cJSON_IsObject(it))
		return "an object";
	return "an unknown value";
}

static int dec_unknown_field(struct ag3_jt_dec *d, const char *key, const char *const *names,
			     size_t n)
{
	char shown[AG3_JT_SHOWN_MAX + 4], list[512];
	const char *best = NULL;
	size_t best_dist = SIZE_MAX;

	ag3_jt_shown(shown, key);
	ag3_jt_path_key(d, shown);
	if (strlen(key) <= AG3_JT_SHOWN_MAX)
		for (size_t i = 0; i < n; i++) {
			size_t dist = ag3_edit_distance(key, names[i], AG3_EDIT_TRANSPOSE);
			size_t limit = strlen(names[i]) > 4 ? 2 : 1;
			size_t kl = strlen(key), nl = strlen(names[i]);
			size_t shorter = kl < nl ? kl : nl;
			/* "timeout" for "timeout_ms": a 4+ character prefix, as a last resort */
			if (dist > limit)
				dist = shorter >= 4 && strncmp(key, names[i], shorter) == 0
					       ? limit + 1
					       : SIZE_MAX;
			if (dist != SIZE_MAX && dist < best_dist) {
				best = names[i];
				best_dist = dist;
			}
		}
	if (best)
		return ag3_jt_fail(d, "unknown field (did you mean '%s'?)", best);
	ag3_join_names(list, sizeof(list), names, n);
	return ag3_jt_fail(d, "unknown field (known fields: %s)", list);
}

static int integer_in(struct ag3_jt_dec *d, const cJSON *it, uint64_t min, uint64_t max,
		      uint64_t *ret)
{
	if (!cJSON_IsNumber(it))
		return ag3_jt_fail(d, "expected an integer, got %s", ag3_jt_type_name(it));

	size_t idx = (size_t)it->valueint;
	if (it->valueint < 0 || idx >= d->doc->n_nums)
		return ag3_jt_fail(d, "internal error: no text for this number");

	const char *p = d->doc->buf + d->doc->nums[idx].off;
	size_t n = d->doc->nums[idx].len, i = p[0] == '-';
	int shown = n > 32 ? 32 : (int)n;
	const char *more = n > 32 ? "..." : "";
	uint64_t v = 0;

	if (i == n)
		return ag3_jt_fail(d, "expected an integer, got %.*s%s", shown, p, more);
	for (size_t j = i; j < n; j++)
		if (p[j] < '0' || p[j] > '9')
			return ag3_jt_fail(d, "expected an integer, got %.*s%s", shown, p, more);
	if (i > 0)
		return ag3_jt_fail(d, "expected a non-negative integer, got %.*s%s", shown, p,
				   more);
	for (; i < n; i++) {
		unsigned digit = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - digit) / 10) {
			v = UINT64_MAX;
			break;
		}
		v = v * 10 + digit;
	}
	if (i < n || v > max || v < min)
		return ag3_jt_fail(d, "%.*s%s is out of range (%" PRIu64 "..%" PRIu64 ")", shown, p,
				   more, min, max);
	*ret = v;
	return 0;
}

int ag3_jt_integer(struct ag3_jt_dec *d, const cJSON *it, uint64_t max, uint64_t *ret)
{
	return integer_in(d, it, 0, max, ret);
}

static uint64_t get_uint(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

static void set_uint(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)p = (uint32_t)v;
		break;
	default:
		*(uint64_t *)p = v;
		break;
	}
}

static int dec_uint(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_field *f, char *obj)
{
	void *dst = obj + f->offset;
	uint64_t v;
	int r;

	if (f->flags & AG3_JT_NULLABLE) {
		bool *set = (bool *)(obj + f->flag_offset);
		if (cJSON_IsNull(it)) {
			*set = false;
			set_uint(dst, f->size, 0);
			return 0;
		}
		if (!cJSON_IsNumber(it))
			return ag3_jt_fail(d, "expected an integer or null, got %s",
					   ag3_jt_type_name(it));
		if ((r = integer_in(d, it, f->min, f->max, &v)) < 0)
			return r;
		*set = true;
	} else if (f->text) {
		if (cJSON_IsString(it) && it->valuestring && strcmp(it->valuestring, f->text) == 0)
			v = f->max;
		else if (!cJSON_IsNumber(it))
			return ag3_jt_fail(d, "expected an integer or \"%s\", got %s", f->text,
					   ag3_jt_type_name(it));
		else if ((r = integer_in(d, it, f->min, f->max, &v)) < 0)
			return r;
	} else if ((r = integer_in(d, it, f->min, f->max, &v)) < 0) {
		return r;
	}
	set_uint(dst, f->size, v);
	return 0;
}

static int dec_string(struct ag3_jt_dec *d, const cJSON *it, bool nullable, char **dst)
{
	char *copy = NULL;

	if (!(nullable && cJSON_IsNull(it))) {
		if (!cJSON_IsString(it) || !it->valuestring)
			return ag3_jt_fail(d, "expected a string%s, got %s",
					   nullable ? " or null" : "", ag3_jt_type_name(it));
		if (!utf8_valid(it->valuestring)) /* the scanner already checked the raw text */
			return ag3_jt_fail(d, "not valid UTF-8");
		copy = strdup(it->valuestring);
		if (!copy)
			return dec_oom(d);
	}
	free(*dst);
	*dst = copy;
	return 0;
}

static int dec_enum(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_field *f, int *dst)
{
	const char *names[16];
	char shown[AG3_JT_SHOWN_MAX + 4], list[256];
	size_t n = 0;

	if (!cJSON_IsString(it) || !it->valuestring)
		return ag3_jt_fail(d, "expected a string, got %s", ag3_jt_type_name(it));
	for (int i = 0; i < f->enum_max; i++) {
		const char *s = f->enum_name(i);
		if (s && strcmp(s, it->valuestring) == 0) {
			*dst = i;
			return 0;
		}
		if (s && n < ELEMENTSOF(names))
			names[n++] = s;
	}
	ag3_jt_shown(shown, it->valuestring);
	ag3_join_names(list, sizeof(list), names, n);
	return ag3_jt_fail(d, "'%s' is not one of: %s", shown, list);
}

static int dec_const(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_field *f)
{
	char shown[AG3_JT_SHOWN_MAX + 4];

	if (!cJSON_IsString(it) || !it->valuestring)
		return ag3_jt_fail(d, "expected a string, got %s", ag3_jt_type_name(it));
	if (strcmp(it->valuestring, f->text) != 0) {
		ag3_jt_shown(shown, it->valuestring);
		return ag3_jt_fail(d, "'%s' is not supported (expected '%s')", shown, f->text);
	}
	return 0;
}

/* Frees one value of field `f` held in `obj` and zeroes it. */
static void free_value(const struct ag3_jt_field *f, char *obj)
{
	if (f->type == AG3_JT_STRING) {
		char **s = (char **)(void *)(obj + f->offset);
		free(*s);
		*s = NULL;
	} else if (f->type == AG3_JT_OBJECT) {
		ag3_jt_free(f->sub, obj + f->offset);
	} else if (f->type == AG3_JT_ARRAY) {
		size_t *n = (size_t *)(void *)(obj + f->count_offset);
		char *a = (f->flags & AG3_JT_INLINE) ? obj + f->offset
						     : *(char **)(void *)(obj + f->offset);
		for (size_t i = 0; a && i < *n && i < (size_t)-1 / f->size; i++)
			free_value(f->elem, a + i * f->size);
		if (!(f->flags & AG3_JT_INLINE)) {
			free(a);
			*(char **)(void *)(obj + f->offset) = NULL;
		}
		*n = 0;
	}
}

void ag3_jt_free(const struct ag3_jt_table *t, void *obj)
{
	for (size_t i = 0; i < t->n; i++)
		free_value(&t->fields[i], obj);
}

void ag3_jt_defaults(const struct ag3_jt_table *t, void *obj)
{
	char *o = obj;

	for (size_t i = 0; i < t->n; i++) {
		const struct ag3_jt_field *f = &t->fields[i];
		switch (f->type) {
		case AG3_JT_BOOL:
			*(bool *)(o + f->offset) = f->def != 0;
			break;
		case AG3_JT_UINT:
			set_uint(o + f->offset, f->size, f->def);
			break;
		case AG3_JT_INT:
		case AG3_JT_ENUM:
			*(int *)(void *)(o + f->offset) = (int)f->def;
			break;
		default:
			break;
		}
	}
}

static int dec_object(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_table *t,
		      void *obj, const void *array, size_t index);

/* A fresh element `el` of array field `f`, read from `c` (already entered). */
static int dec_value(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_field *f, char *obj,
		     const void *array, size_t index);

static int dec_array(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_field *f, char *obj)
{
	size_t n = 0, i = 0;
	char *a;
	int r;

	if (!cJSON_IsArray(it))
		return ag3_jt_fail(d, "expected an array, got %s", ag3_jt_type_name(it));
	for (const cJSON *c = it->child; c; c = c->next)
		if (++n > AG3_JT_MAX_ARRAY_ENTRIES)
			return ag3_jt_fail(d, "more than %d entries", AG3_JT_MAX_ARRAY_ENTRIES);
	if ((f->flags & AG3_JT_INLINE) && n > f->max_items)
		return ag3_jt_fail(d, "more than %zu %s", f->max_items, f->items_name);

	/* Owned by `obj` at once (zeroed elements free cleanly), so errors leak nothing. */
	free_value(f, obj);
	if (f->flags & AG3_JT_INLINE) {
		a = obj + f->offset;
		memset(a, 0, f->max_items * f->size);
	} else {
		a = n ? calloc(n, f->size) : NULL;
		if (n && !a)
			return dec_oom(d);
		*(char **)(void *)(obj + f->offset) = a;
	}
	*(size_t *)(void *)(obj + f->count_offset) = n;

	for (const cJSON *c = it->child; c; c = c->next, i++) {
		char *el = a + i * f->size;
		size_t o = ag3_jt_path_index(d, i);
		if (f->elem->type == AG3_JT_OBJECT) {
			ag3_jt_defaults(f->elem->sub, el);
			r = dec_object(d, c, f->elem->sub, el, a, i);
		} else {
			r = dec_value(d, c, f->elem, el, a, i);
		}
		if (r < 0)
			return r;
		ag3_jt_path_leave(d, o);
	}
	return 0;
}

static int dec_value(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_field *f, char *obj,
		     const void *array, size_t index)
{
	uint64_t v;
	int r = 0, e;

	switch (f->type) {
	case AG3_JT_BOOL:
		if (!cJSON_IsBool(it))
			return ag3_jt_fail(d, "expected a boolean, got %s", ag3_jt_type_name(it));
		*(bool *)(obj + f->offset) = cJSON_IsTrue(it);
		break;
	case AG3_JT_UINT:
		r = dec_uint(d, it, f, obj);
		break;
	case AG3_JT_INT:
		if ((r = integer_in(d, it, f->min, f->max, &v)) >= 0)
			*(int *)(void *)(obj + f->offset) = (int)v;
		break;
	case AG3_JT_STRING:
		r = dec_string(d, it, f->flags & AG3_JT_NULLABLE,
			       (char **)(void *)(obj + f->offset));
		break;
	case AG3_JT_CONST:
		r = dec_const(d, it, f);
		break;
	case AG3_JT_ENUM:
		if ((r = dec_enum(d, it, f, &e)) >= 0)
			*(int *)(void *)(obj + f->offset) = e;
		break;
	case AG3_JT_OBJECT:
		r = dec_object(d, it, f->sub, obj + f->offset, NULL, 0);
		break;
	case AG3_JT_ARRAY:
		r = dec_array(d, it, f, obj);
		break;
	}
	if (r >= 0 && f->check)
		r = f->check(d, obj, array, index);
	return r;
}

static int dec_object(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_table *t,
		      void *obj, const void *array, size_t index)
{
	const char *names[MAX_FIELDS];
	const cJSON *got[MAX_FIELDS] = {0};
	int r;

	if (!cJSON_IsObject(it))
		return ag3_jt_fail(d, "expected an object, got %s", ag3_jt_type_name(it));
	if (t->n > MAX_FIELDS)
		return ag3_jt_fail(d, "internal error: more than %d fields", MAX_FIELDS);
	for (size_t i = 0; i < t->n; i++)
		names[i] = t->fields[i].name;
	for (const cJSON *c = it->child; c; c = c->next) {
		const char *key = c->string ? c->string : "";
		size_t i = 0;
		while (i < t->n && strcmp(key, names[i]) != 0)
			i++;
		if (i == t->n)
			return dec_unknown_field(d, key, names, t->n);
		if (got[i]) {
			ag3_jt_path_key(d, names[i]);
			return ag3_jt_fail(d, "duplicate key");
		}
		got[i] = c;
	}
	for (size_t i = 0; i < t->n; i++)
		if ((t->fields[i].flags & AG3_JT_REQUIRED) && !got[i]) {
			ag3_jt_path_key(d, names[i]);
			return ag3_jt_fail(d, "missing (a required field)");
		}
	for (unsigned last = 0; last < 2; last++)
		for (size_t i = 0; i < t->n; i++) {
			const struct ag3_jt_field *f = &t->fields[i];
			if (!got[i] || !(f->flags & AG3_JT_DECODE_LAST) != !last)
				continue;
			size_t o = ag3_jt_path_enter(d, got[i]);
			if ((r = dec_value(d, got[i], f, obj, array, index)) < 0)
				return r;
			ag3_jt_path_leave(d, o);
		}
	return 0;
}

int ag3_jt_decode(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_table *t, void *obj)
{
	return dec_object(d, it, t, obj, NULL, 0);
}

int ag3_jt_decode_field(struct ag3_jt_dec *d, const cJSON *it, const struct ag3_jt_field *f,
			void *obj)
{
	return dec_value(d, it, f, obj, NULL, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* The writer                                                                                */

static bool grow(struct ag3_jw *w, size_t need, bool exact)
{
	if (need <= w->cap)
		return true;
	size_t cap = w->cap ? w->cap : 4096;
	if (exact)
		cap = need;
	while (cap < need)
		cap *= 2;
	char *b = realloc(w->buf, cap);
	if (!b) {
		w->err = ag3_error_set(w->reterr, ENOMEM, "out of memory");
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

void ag3_jw_reserve(struct ag3_jw *w, size_t n)
{
	if (!w->err)
		grow(w, w->len + n + 1, true);
}

void ag3_jw_put(struct ag3_jw *w, const char *s, size_t n)
{
	if (w->err || !grow(w, w->len + n + 1, false))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void w_puts(struct ag3_jw *w, const char *s)
{
	ag3_jw_put(w, s, strlen(s));
}

void ag3_jw_fail(struct ag3_jw *w, const char *fmt, ...)
{
	va_list ap;

	if (w->err)
		return;
	va_start(ap, fmt);
	w->err = ag3_error_set_atv(w->reterr, EINVAL, NULL, 0, 0, w->path, fmt, ap);
	va_end(ap);
}

static void w_path(struct ag3_jw *w, const char *key, size_t index)
{
	size_t base = w->depth ? w->st[w->depth - 1].plen : 0;
	int n;

	if (key)
		n = snprintf(w->path + base, sizeof(w->path) - base, "%s%s", base ? "." : "", key);
	else
		n = snprintf(w->path + base, sizeof(w->path) - base, "[%zu]", index);
	w->plen = base + (n > 0 ? (size_t)n : 0);
	if (w->plen >= sizeof(w->path))
		w->plen = sizeof(w->path) - 1;
	w->path[w->plen] = '\0';
}

/* The separator and, when pretty, the line break and indentation before a member. */
static void w_sep(struct ag3_jw *w)
{
	if (w->depth == 0)
		return;
	struct ag3_jw_frame *f = &w->st[w->depth - 1];

	if (f->count++ > 0)
		ag3_jw_put(w, ",", 1);
	if (w->flags & AG3_JW_PRETTY) {
		ag3_jw_put(w, "\n", 1);
		for (unsigned i = 0; i < w->depth; i++)
			ag3_jw_put(w, "  ", 2);
	}
}

void ag3_jw_key(struct ag3_jw *w, const char *key)
{
	w_sep(w);
	w_path(w, key, 0);
	ag3_jw_string(w, key);
	w_puts(w, (w->flags & AG3_JW_PRETTY) ? ": " : ":");
}

void ag3_jw_elem(struct ag3_jw *w)
{
	w_sep(w);
	w_path(w, NULL, w->depth ? w->st[w->depth - 1].count - 1 : 0);
}

void ag3_jw_open(struct ag3_jw *w, char c)
{
	if (w->depth == ELEMENTSOF(w->st)) {
		ag3_jw_fail(w, "nested too deep");
		return;
	}
	ag3_jw_put(w, &c, 1);
	w->st[w->depth++] = (struct ag3_jw_frame){.plen = w->plen, .array = c == '['};
}

void ag3_jw_close(struct ag3_jw *w)
{
	if (w->depth == 0)
		return;
	struct ag3_jw_frame f = w->st[--w->depth];
	if (f.count > 0 && (w->flags & AG3_JW_PRETTY)) {
		ag3_jw_put(w, "\n", 1);
		for (unsigned i = 0; i < w->depth; i++)
			ag3_jw_put(w, "  ", 2);
	}
	ag3_jw_put(w, f.array ? "]" : "}", 1);
	w->plen = f.plen;
	w->path[w->plen] = '\0';
}

void ag3_jw_u64(struct ag3_jw *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);
	ag3_jw_put(w, b, (size_t)n);
}

void ag3_jw_i64(struct ag3_jw *w, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, v);
	ag3_jw_put(w, b, (size_t)n);
}

static bool same_double(double a, double b)
{
	double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	return fabs(a - b) <= m * DBL_EPSILON;
}

void ag3_jw_double(struct ag3_jw *w, double v)
{
	char b[32];
	double back = 0.0;
	int n, i = v >= INT_MAX ? INT_MAX : v <= (double)INT_MIN ? INT_MIN : (int)v;

	if (isnan(v) || isinf(v)) {
		n = snprintf(b, sizeof(b), "null");
	} else if (v == (double)i) {
		n = snprintf(b, sizeof(b), "%d", i);
	} else {
		/* 15 digits when they give the value back, else 17 (as cJSON prints) */
		n = snprintf(b, sizeof(b), "%1.15g", v);
		if (sscanf(b, "%lg", &back) != 1 || !same_double(back, v))
			n = snprintf(b, sizeof(b), "%1.17g", v);
	}
	ag3_jw_put(w, b, (size_t)n);
}

void ag3_jw_bool(struct ag3_jw *w, bool v)
{
	w_puts(w, v ? "true" : "false");
}

void ag3_jw_null(struct ag3_jw *w)
{
	w_puts(w, "null");
}

/*
 * The JSON string body (no quotes) of bytes p[0..n): '"', '\' and control
 * characters escaped; with `lenient`, NUL and invalid UTF-8 become U+FFFD
 * (otherwise the caller has checked). Writes to `out` when not NULL; returns
 * the length.
 */
static size_t body(const char *p, size_t n, bool lenient, char *out)
{
	static const char hex[] = "0123456789abcdef";
	static const char short_esc[32] = {
		['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)p[i];
		size_t len = lenient && c == 0 ? 0
			     : lenient ? ag3_utf8_seq_len((const unsigned char *)p + i, n - i)
				       : 1;
		const char *src = p + i;
		size_t k = len;
		char esc[6];

		if (!len) {
			src = "\xef\xbf\xbd";
			k = 3;
			len = 1;
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			src = esc;
			k = 2;
		} else if (c < 0x20) {
			esc[0] = '\\';
			if (short_esc[c]) {
				esc[1] = short_esc[c];
				k = 2;
			} else {
				memcpy(esc + 1, "u00", 3);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				k = 6;
			}
			src = esc;
		}
		if (out)
			memcpy(out + o, src, k);
		o += k;
		i += len;
	}
	return o;
}

size_t ag3_jw_text_len(const char *p, size_t n)
{
	return body(p, n, true, NULL);
}

static void w_body(struct ag3_jw *w, const char *p, size_t n, bool lenient)
{
	size_t k = body(p, n, lenient, NULL);

	ag3_jw_put(w, "\"", 1);
	if (!w->err && grow(w, w->len + k + 1, false)) {
		w->len += body(p, n, lenient, w->buf + w->len);
		w->buf[w->len] = '\0';
	}
	ag3_jw_put(w, "\"", 1);
}

void ag3_jw_string(struct ag3_jw *w, const char *s)
{
	if (!s) {
		ag3_jw_fail(w, "missing (NULL)");
		return;
	}
	if (!utf8_valid(s)) {
		ag3_jw_fail(w, "not valid UTF-8");
		return;
	}
	w_body(w, s, strlen(s), false);
}

void ag3_jw_text(struct ag3_jw *w, const char *p, size_t n)
{
	w_body(w, p ? p : "", p ? n : 0, true);
}

static void w_value(struct ag3_jw *w, const struct ag3_jt_field *f, const char *obj);

static void w_array(struct ag3_jw *w, const struct ag3_jt_field *f, const char *obj)
{
	size_t n = *(const size_t *)(const void *)(obj + f->count_offset);
	const char *a = (f->flags & AG3_JT_INLINE)
				? obj + f->offset
				: *(char *const *)(const void *)(obj + f->offset);

	if ((f->flags & AG3_JT_INLINE) && n > f->max_items) {
		ag3_jw_fail(w, "more than %zu %s", f->max_items, f->items_name);
		n = f->max_items;
	}
	ag3_jw_open(w, '[');
	for (size_t i = 0; i < n; i++) {
		ag3_jw_elem(w);
		w_value(w, f->elem, a + i * f->size);
	}
	ag3_jw_close(w);
}

static void w_value(struct ag3_jw *w, const struct ag3_jt_field *f, const char *obj)
{
	const void *p = obj + f->offset;

	switch (f->type) {
	case AG3_JT_BOOL:
		ag3_jw_bool(w, *(const bool *)p);
		break;
	case AG3_JT_UINT: {
		uint64_t v = get_uint(p, f->size);
		if ((f->flags & AG3_JT_NULLABLE) && !*(const bool *)(obj + f->flag_offset))
			ag3_jw_null(w);
		else if (f->text && v == f->max)
			ag3_jw_string(w, f->text);
		else
			ag3_jw_u64(w, v);
		break;
	}
	case AG3_JT_INT: {
		int v = *(const int *)p;
		if (v < 0)
			ag3_jw_fail(w, "%d is negative", v);
		else
			ag3_jw_u64(w, (uint64_t)v);
		break;
	}
	case AG3_JT_STRING: {
		const char *s = *(char *const *)p;
		if (!s && (f->flags & AG3_JT_NULLABLE))
			ag3_jw_null(w);
		else if ((f->flags & AG3_JT_SECRET) && (w->flags & AG3_JW_REDACT) &&
			 *(const bool *)(obj + f->flag_offset))
			ag3_jw_string(w, "<redacted>");
		else
			ag3_jw_string(w, s);
		break;
	}
	case AG3_JT_CONST:
		ag3_jw_string(w, f->text);
		break;
	case AG3_JT_ENUM: {
		int v = *(const int *)p;
		const char *name = v >= 0 && v < f->enum_max ? f->enum_name(v) : NULL;
		if (name)
			ag3_jw_string(w, name);
		else
			ag3_jw_fail(w, "invalid value %d", v);
		break;
	}
	case AG3_JT_OBJECT:
		ag3_jw_open(w, '{');
		ag3_jw_fields(w, f->sub, p);
		ag3_jw_close(w);
		break;
	case AG3_JT_ARRAY:
		w_array(w, f, obj);
		break;
	}
}

void ag3_jw_fields(struct ag3_jw *w, const struct ag3_jt_table *t, const void *obj)
{
	for (size_t i = 0; i < t->n; i++) {
		ag3_jw_key(w, t->fields[i].name);
		w_value(w, &t->fields[i], obj);
	}
}

int ag3_jw_finish(struct ag3_jw *w, char **ret)
{
	if (!w->err && !w->buf)
		ag3_jw_put(w, "", 0);
	if (w->err < 0) {
		free(w->buf);
		w->buf = NULL;
		return w->err;
	}
	*ret = w->buf;
	w->buf = NULL;
	return 0;
}
