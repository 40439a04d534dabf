/* SPDX-License-Identifier: MIT */
/*
 * The spec's JSON form, schema "ag3ntum.spec/1", both ways.
 *
 * Reading. cJSON checks the syntax and builds the tree, but it keeps a number
 * only as a double, which cannot hold every uint64_t (2^53 + 1 already rounds).
 * So before cJSON runs, scan_text() walks the raw text once and:
 *   - records every number token (offset and length) in document order;
 *   - enforces the limits: nesting depth (MAX_DEPTH), array length
 *     (MAX_ARRAY_ENTRIES, counted by commas) and the number of values in the
 *     document (MAX_VALUES: a 16 MiB "[1,1,1,..." would otherwise cost cJSON
 *     half a gigabyte), before cJSON allocates anything;
 *   - refuses "\u0000" (cJSON would silently cut the string there), raw control
 *     characters and invalid UTF-8 inside strings.
 * Each of those errors carries line:column. A raw NUL byte anywhere is refused
 * before that. After a successful parse, a pre-order walk of the tree visits
 * the number nodes in the same document order, and each one's `valueint` is
 * overwritten with the index of its token. Integers are then read from the
 * token text with exact uint64_t arithmetic, never through a double: fractions
 * and exponents ("1.5", "1.0", "1e3") are refused, as are negative values (no
 * field is signed) and values that do not fit the C field or its documented
 * range (uid/gid <= 4294967294, mode <= 07777, umask <= 0777, ports <= 65535).
 *
 * Writing. A small serializer of our own, not cJSON_Print: integers printed
 * with PRIu64, keys in the fixed schema order, every key always present,
 * strings as UTF-8 with only the escapes JSON requires (" \ and control
 * characters). Without AG3_JSON_PRETTY the output is one line with no
 * whitespace at all, then "\n"; with it, two-space indentation, one key or
 * array element per line, "key": value, empty arrays as [], then "\n". So
 * equal specs give equal bytes. JSON has no octal: mode and umask are decimal
 * (0755 is 493). An rlimit equal to AG3_RLIM_INFINITY is written "unlimited";
 * on input both "unlimited" and 18446744073709551615 mean it.
 *
 * Required members on input: "schema" and "version" at the top; "op" and
 * "target" in a mount; "name" and "value" in an env entry; "name", "soft" and
 * "hard" in an rlimit; "syscall" in a seccomp rule; "index", "op" and "value"
 * in a rule argument. Only "name", "identity.uid/gid" and a mount's "source",
 * "content" and "origin" may be null. Everything else omitted keeps
 * ag3_spec_new()'s default.
 *
 * Errors name the JSON path ("mounts[3].tagret: unknown field (did you mean
 * 'target'?)"). With a filename they are set with ag3_error_set_at(), so the
 * CLI prints "file: msg" or, for syntax and encoding errors, "file:line:col:
 * msg"; without one, the position goes into the message.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "spec_json.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/util/suggest.h"
#include "runtime/util/text.h"

#define MAX_INPUT_BYTES ((size_t)16 << 20)
#define MAX_DEPTH 64 /* the schema itself needs 7 */
#define MAX_ARRAY_ENTRIES 100000
#define MAX_VALUES 2000000 /* cJSON spends ~64 bytes a value: at most ~128 MiB of nodes */
#define JPATH_MAX 256
#define ID_MAX ((uint64_t)UINT32_MAX - 1) /* (uid_t)-1 means "no change" to the kernel */

DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete)

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

static _printf_(6, 7) int fail_at_offset(struct ag3_error **reterr, const char *filename,
					 const char *buf, size_t len, size_t off, const char *fmt,
					 ...)
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

/*
 * Copies `s` into `out` for an error message: at most 64 bytes (cut on a
 * character boundary, "..." appended), control characters shown as '?'.
 */
#define SHOWN_MAX 64
static void sanitize(char out[static SHOWN_MAX + 4], const char *s)
{
	size_t n = strlen(s), i;
	bool cut = n > SHOWN_MAX;

	if (cut) {
		n = SHOWN_MAX;
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

struct num_tok {
	uint32_t off; /* the input is at most 16 MiB */
	uint32_t len;
};

struct scan {
	const char *buf;
	size_t len;
	struct num_tok *nums;
	size_t n_nums, cap_nums;
	size_t values;	      /* strings, numbers, literals and containers, less keys */
	size_t err_off;	      /* on -EINVAL: where */
	const char *err_what; /* on -EINVAL: what (a literal) */
};

static void scan_done(struct scan *sc)
{
	free(sc->nums);
	sc->nums = NULL;
}

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
		struct num_tok *n = reallocarray(sc->nums, cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		sc->nums = n;
		sc->cap_nums = cap;
	}
	sc->nums[sc->n_nums++] = (struct num_tok){.off = (uint32_t)off, .len = (uint32_t)len};
	return 0;
}

/* Counts a value (a key is taken back at its ':'). */
static int scan_value(struct scan *sc, size_t off)
{
	if (++sc->values > MAX_VALUES + 1)
		return scan_fail(sc, off, "more than 2000000 values in the document");
	return 0;
}

/*
 * One pass over the raw text (see the top of the file). It need not judge the
 * syntax, cJSON does that next; on text cJSON accepts, the number tokens found
 * here are exactly cJSON's number nodes, in order: outside strings, a '-' or a
 * digit can only start a number.
 */
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
			for (i++; i < n && s[i] != '"';) {
				if (s[i] == '\\') {
					if (i + 5 < n && s[i + 1] == 'u' &&
					    memcmp(s + i + 2, "0000", 4) == 0)
						return scan_fail(sc, i,
								 "a string contains \\u0000 (NUL), "
								 "which is not allowed");
					i += 2;
				} else if (s[i] < 0x20) {
					return scan_fail(sc, i,
							 "a control character in a string must be "
							 "escaped");
				} else {
					size_t l = ag3_utf8_seq_len(s + i, n - i);
					if (l == 0)
						return scan_fail(sc, i,
								 "a string is not valid UTF-8");
					i += l;
				}
			}
			i++; /* the closing quote */
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
			    ++stack[depth - 1].commas >= MAX_ARRAY_ENTRIES)
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

/* ---------------------------------------------------------------------------------------- */
/* The decoder                                                                               */

struct dec {
	const char *buf;
	const struct num_tok *nums;
	size_t n_nums;
	const char *filename;
	struct ag3_error **reterr;
	char path[JPATH_MAX]; /* the JSON path of what is being read */
	size_t plen;
};

static size_t path_append(struct dec *d, int n)
{
	size_t old = d->plen;
	if (n > 0)
		d->plen += (size_t)n;
	if (d->plen >= sizeof(d->path))
		d->plen = sizeof(d->path) - 1;
	d->path[d->plen] = '\0';
	return old;
}

static size_t path_key(struct dec *d, const char *key)
{
	return path_append(d, snprintf(d->path + d->plen, sizeof(d->path) - d->plen, "%s%s",
				       d->plen ? "." : "", key));
}

static size_t path_index(struct dec *d, size_t i)
{
	return path_append(d, snprintf(d->path + d->plen, sizeof(d->path) - d->plen, "[%zu]", i));
}

/* Enters an object member (by its key); array elements are entered with path_index. */
static size_t path_enter(struct dec *d, const cJSON *it)
{
	return it->string ? path_key(d, it->string) : d->plen;
}

static void path_leave(struct dec *d, size_t old)
{
	d->plen = old;
	d->path[old] = '\0';
}

static _printf_(2, 3) int dec_fail(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = ag3_error_set_atv(d->reterr, EINVAL, d->filename, 0, 0, d->plen ? d->path : NULL,
				  fmt, ap);
	va_end(ap);
	return r;
}

static int dec_oom(struct dec *d)
{
	return ag3_error_set(d->reterr, ENOMEM, "out of memory");
}

static const char *json_type(const cJSON *it)
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

static int dec_unknown_field(struct dec *d, const char *key, const char *const *names, size_t n)
{
	char shown[SHOWN_MAX + 4], list[512];
	const char *best = NULL;
	size_t best_dist = SIZE_MAX;

	sanitize(shown, key);
	path_key(d, shown);
	if (strlen(key) <= SHOWN_MAX)
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
		return dec_fail(d, "unknown field (did you mean '%s'?)", best);
	ag3_join_names(list, sizeof(list), names, n);
	return dec_fail(d, "unknown field (known fields: %s)", list);
}

/*
 * Checks that `it` (already entered) is an object whose keys are all among
 * `names`, each at most once, and sets out[i] to the member named names[i]
 * (NULL when absent).
 */
static int dec_object(struct dec *d, const cJSON *it, const char *const *names, size_t n,
		      const cJSON **out)
{
	if (!cJSON_IsObject(it))
		return dec_fail(d, "expected an object, got %s", json_type(it));
	for (size_t i = 0; i < n; i++)
		out[i] = NULL;
	for (const cJSON *c = it->child; c; c = c->next) {
		const char *key = c->string ? c->string : "";
		size_t i = 0;
		while (i < n && strcmp(key, names[i]) != 0)
			i++;
		if (i == n)
			return dec_unknown_field(d, key, names, n);
		if (out[i]) {
			path_key(d, names[i]);
			return dec_fail(d, "duplicate key");
		}
		out[i] = c;
	}
	return 0;
}

static int dec_required(struct dec *d, const cJSON *const *fields, const char *const *names,
			size_t n, const unsigned *required, size_t n_required)
{
	for (size_t i = 0; i < n_required; i++)
		if (!fields[required[i]]) {
			path_key(d, names[required[i]]);
			return dec_fail(d, "missing (a required field)");
		}
	return 0;
}

/* Checks that `it` (already entered) is an array; its length in *ret. */
static int dec_array(struct dec *d, const cJSON *it, size_t *ret)
{
	size_t n = 0;

	if (!cJSON_IsArray(it))
		return dec_fail(d, "expected an array, got %s", json_type(it));
	for (const cJSON *c = it->child; c; c = c->next)
		if (++n > MAX_ARRAY_ENTRIES)
			return dec_fail(d, "more than %d entries", MAX_ARRAY_ENTRIES);
	*ret = n;
	return 0;
}

/* Reads the integer of number node `it` (already entered) from its token text. */
static int dec_integer(struct dec *d, const cJSON *it, uint64_t max, uint64_t *ret)
{
	if (!cJSON_IsNumber(it))
		return dec_fail(d, "expected an integer, got %s", json_type(it));

	size_t idx = (size_t)it->valueint;
	if (it->valueint < 0 || idx >= d->n_nums)
		return dec_fail(d, "internal error: no text for this number");

	const char *p = d->buf + d->nums[idx].off;
	size_t n = d->nums[idx].len, i = p[0] == '-';
	int shown = n > 32 ? 32 : (int)n;
	const char *more = n > 32 ? "..." : "";
	uint64_t v = 0;

	if (i == n)
		return dec_fail(d, "expected an integer, got %.*s%s", shown, p, more);
	for (size_t j = i; j < n; j++)
		if (p[j] < '0' || p[j] > '9')
			return dec_fail(d, "expected an integer, got %.*s%s", shown, p, more);
	if (i > 0)
		return dec_fail(d, "expected a non-negative integer, got %.*s%s", shown, p, more);
	for (; i < n; i++) {
		unsigned digit = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - digit) / 10)
			return dec_fail(d, "%.*s%s is out of range (0..%" PRIu64 ")", shown, p,
					more, max);
		v = v * 10 + digit;
	}
	if (v > max)
		return dec_fail(d, "%.*s%s is out of range (0..%" PRIu64 ")", shown, p, more, max);
	*ret = v;
	return 0;
}

/* Each dec_<type> below reads member `it` into *dst and leaves *dst alone when `it` is NULL. */

static int dec_uint(struct dec *d, const cJSON *it, uint64_t max, uint64_t *dst)
{
	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	int r = dec_integer(d, it, max, dst);
	if (r < 0)
		return r;
	path_leave(d, old);
	return 0;
}

/* dec_uint into a narrower lvalue. */
#define DEC_UINT(d, it, max, lvalue)                                                               \
	({                                                                                         \
		uint64_t _v = (lvalue);                                                            \
		int _r = dec_uint((d), (it), (max), &_v);                                          \
		if (_r >= 0)                                                                       \
			(lvalue) = (__typeof__(lvalue))_v;                                         \
		_r;                                                                                \
	})

static int dec_bool(struct dec *d, const cJSON *it, bool *dst)
{
	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if (!cJSON_IsBool(it))
		return dec_fail(d, "expected a boolean, got %s", json_type(it));
	*dst = cJSON_IsTrue(it);
	path_leave(d, old);
	return 0;
}

/* A string (or null, when `nullable`) into a newly allocated *dst, freeing the old one. */
static int dec_string(struct dec *d, const cJSON *it, bool nullable, char **dst)
{
	char *copy = NULL;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if (!(nullable && cJSON_IsNull(it))) {
		if (!cJSON_IsString(it) || !it->valuestring)
			return dec_fail(d, "expected a string%s, got %s",
					nullable ? " or null" : "", json_type(it));
		if (!utf8_valid(it->valuestring)) /* the scanner already checked the raw text */
			return dec_fail(d, "not valid UTF-8");
		copy = strdup(it->valuestring);
		if (!copy)
			return dec_oom(d);
	}
	free(*dst);
	*dst = copy;
	path_leave(d, old);
	return 0;
}

typedef const char *(*enum_name_fn)(int v);

static int dec_enum(struct dec *d, const cJSON *it, enum_name_fn name, int max, int *dst)
{
	const char *names[16];
	char shown[SHOWN_MAX + 4], list[256];
	size_t n = 0;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if (!cJSON_IsString(it) || !it->valuestring)
		return dec_fail(d, "expected a string, got %s", json_type(it));
	for (int i = 0; i < max; i++) {
		const char *s = name(i);
		if (s && strcmp(s, it->valuestring) == 0) {
			*dst = i;
			path_leave(d, old);
			return 0;
		}
		if (s && n < ELEMENTSOF(names))
			names[n++] = s;
	}
	sanitize(shown, it->valuestring);
	ag3_join_names(list, sizeof(list), names, n);
	return dec_fail(d, "'%s' is not one of: %s", shown, list);
}

#define DEC_ENUM(d, it, name, max, lvalue)                                                         \
	({                                                                                         \
		int _v = (int)(lvalue);                                                            \
		int _r = dec_enum((d), (it), (name), (max), &_v);                                  \
		if (_r >= 0)                                                                       \
			(lvalue) = (__typeof__(lvalue))_v;                                         \
		_r;                                                                                \
	})

static const char *userns_name(int v)
{
	return ag3_userns_to_string((enum ag3_userns)v);
}

static const char *net_mode_name(int v)
{
	return ag3_net_mode_to_string((enum ag3_net_mode)v);
}

static const char *action_name(int v)
{
	return ag3_seccomp_action_to_string((enum ag3_seccomp_action)v);
}

static const char *cmp_name(int v)
{
	return ag3_seccomp_cmp_to_string((enum ag3_seccomp_cmp)v);
}

static const char *mount_op_name(int v)
{
	return ag3_mount_op_to_string((enum ag3_mount_op)v);
}

/* An array of integers (each at most `max`) into a new array of `size`-byte elements. */
static int dec_uint_array(struct dec *d, const cJSON *it, uint64_t max, size_t size, void **dst,
			  size_t *n_dst)
{
	size_t n, i = 0;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	int r = dec_array(d, it, &n);
	if (r < 0)
		return r;
	_cleanup_free_ unsigned char *a = n ? calloc(n, size) : NULL;
	if (n && !a)
		return dec_oom(d);
	for (const cJSON *c = it->child; c; c = c->next, i++) {
		uint64_t v;
		size_t o = path_index(d, i);
		r = dec_integer(d, c, max, &v);
		if (r < 0)
			return r;
		path_leave(d, o);
		if (size == sizeof(uint16_t))
			((uint16_t *)(void *)a)[i] = (uint16_t)v;
		else
			((uint32_t *)(void *)a)[i] = (uint32_t)v;
	}
	free(*dst);
	*dst = TAKE_PTR(a);
	*n_dst = n;
	path_leave(d, old);
	return 0;
}

/* --- namespaces ------------------------------------------------------------------------- */

enum { NS_USER, NS_MOUNT, NS_PID, NS_NET, NS_IPC, NS_UTS, NS_CGROUP, _NS_MAX };
static const char *const ns_keys[_NS_MAX] = {
	[NS_USER] = "user", [NS_MOUNT] = "mount", [NS_PID] = "pid",	  [NS_NET] = "net",
	[NS_IPC] = "ipc",   [NS_UTS] = "uts",	  [NS_CGROUP] = "cgroup",
};

static int dec_namespaces(struct dec *d, const cJSON *it, struct ag3_spec *s)
{
	const cJSON *f[_NS_MAX];
	int r;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if ((r = dec_object(d, it, ns_keys, _NS_MAX, f)) < 0 ||
	    (r = DEC_ENUM(d, f[NS_USER], userns_name, _AG3_USERNS_MAX, s->namespaces.user)) < 0 ||
	    (r = dec_bool(d, f[NS_MOUNT], &s->namespaces.mount)) < 0 ||
	    (r = dec_bool(d, f[NS_PID], &s->namespaces.pid)) < 0 ||
	    (r = dec_bool(d, f[NS_NET], &s->namespaces.net)) < 0 ||
	    (r = dec_bool(d, f[NS_IPC], &s->namespaces.ipc)) < 0 ||
	    (r = dec_bool(d, f[NS_UTS], &s->namespaces.uts)) < 0 ||
	    (r = dec_bool(d, f[NS_CGROUP], &s->namespaces.cgroup)) < 0)
		return r;
	path_leave(d, old);
	return 0;
}

/* --- identity --------------------------------------------------------------------------- */

enum { ID_UID, ID_GID, ID_GROUPS, _ID_MAX };
static const char *const id_keys[_ID_MAX] = {
	[ID_UID] = "uid",
	[ID_GID] = "gid",
	[ID_GROUPS] = "groups",
};

/* An id or null (not set). */
static int dec_id(struct dec *d, const cJSON *it, bool *set, uint32_t *id)
{
	uint64_t v;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if (cJSON_IsNull(it)) {
		*set = false;
		*id = 0;
	} else if (cJSON_IsNumber(it)) {
		int r = dec_integer(d, it, ID_MAX, &v);
		if (r < 0)
			return r;
		*set = true;
		*id = (uint32_t)v;
	} else {
		return dec_fail(d, "expected an integer or null, got %s", json_type(it));
	}
	path_leave(d, old);
	return 0;
}

static int dec_identity(struct dec *d, const cJSON *it, struct ag3_spec *s)
{
	const cJSON *f[_ID_MAX];
	void *groups = s->identity.groups;
	uint32_t uid = s->identity.uid, gid = s->identity.gid;
	int r;

	_Static_assert(sizeof(uid_t) == sizeof(uint32_t) && sizeof(gid_t) == sizeof(uint32_t),
		       "ids are 32-bit");
	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if ((r = dec_object(d, it, id_keys, _ID_MAX, f)) < 0 ||
	    (r = dec_id(d, f[ID_UID], &s->identity.uid_set, &uid)) < 0 ||
	    (r = dec_id(d, f[ID_GID], &s->identity.gid_set, &gid)) < 0)
		return r;
	s->identity.uid = uid;
	s->identity.gid = gid;
	r = dec_uint_array(d, f[ID_GROUPS], ID_MAX, sizeof(gid_t), &groups, &s->identity.n_groups);
	s->identity.groups = groups;
	if (r < 0)
		return r;
	path_leave(d, old);
	return 0;
}

/* --- mounts ----------------------------------------------------------------------------- */

enum {
	M_OP,
	M_SOURCE,
	M_TARGET,
	M_CONTENT,
	M_RO,
	M_OPTIONAL,
	M_NOSUID,
	M_NODEV,
	M_NOEXEC,
	M_SIZE,
	M_MODE,
	M_ORIGIN,
	_M_MAX
};
static const char *const mount_keys[_M_MAX] = {
	[M_OP] = "op",		 [M_SOURCE] = "source", [M_TARGET] = "target",
	[M_CONTENT] = "content", [M_RO] = "ro",		[M_OPTIONAL] = "optional",
	[M_NOSUID] = "nosuid",	 [M_NODEV] = "nodev",	[M_NOEXEC] = "noexec",
	[M_SIZE] = "size",	 [M_MODE] = "mode",	[M_ORIGIN] = "origin",
};
static const unsigned mount_required[] = {M_OP, M_TARGET};

static int dec_mount(struct dec *d, const cJSON *it, struct ag3_mount *m)
{
	const cJSON *f[_M_MAX];
	int r;

	if ((r = dec_object(d, it, mount_keys, _M_MAX, f)) < 0 ||
	    (r = dec_required(d, f, mount_keys, _M_MAX, mount_required,
			      ELEMENTSOF(mount_required))) < 0 ||
	    (r = DEC_ENUM(d, f[M_OP], mount_op_name, _AG3_MOUNT_OP_MAX, m->op)) < 0 ||
	    (r = dec_string(d, f[M_SOURCE], true, &m->source)) < 0 ||
	    (r = dec_string(d, f[M_TARGET], false, &m->target)) < 0 ||
	    (r = dec_string(d, f[M_CONTENT], true, &m->content)) < 0 ||
	    (r = dec_bool(d, f[M_RO], &m->ro)) < 0 ||
	    (r = dec_bool(d, f[M_OPTIONAL], &m->optional)) < 0 ||
	    (r = dec_bool(d, f[M_NOSUID], &m->nosuid)) < 0 ||
	    (r = dec_bool(d, f[M_NODEV], &m->nodev)) < 0 ||
	    (r = dec_bool(d, f[M_NOEXEC], &m->noexec)) < 0 ||
	    (r = dec_uint(d, f[M_SIZE], UINT64_MAX, &m->size)) < 0 ||
	    (r = DEC_UINT(d, f[M_MODE], 07777, m->mode)) < 0 ||
	    (r = dec_string(d, f[M_ORIGIN], true, &m->origin)) < 0)
		return r;
	return 0;
}

static int dec_mounts(struct dec *d, const cJSON *it, struct ag3_spec *s)
{
	size_t n, i = 0;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	int r = dec_array(d, it, &n);
	if (r < 0)
		return r;
	/* Owned by the spec at once (zeroed entries free cleanly), so errors leak nothing. */
	struct ag3_mount *a = n ? calloc(n, sizeof(*a)) : NULL;
	if (n && !a)
		return dec_oom(d);
	for (size_t j = 0; j < s->n_mounts; j++)
		ag3_mount_clear(&s->mounts[j]);
	free(s->mounts);
	s->mounts = a;
	s->n_mounts = n;
	for (const cJSON *c = it->child; c; c = c->next, i++) {
		size_t o = path_index(d, i);
		if ((r = dec_mount(d, c, &a[i])) < 0)
			return r;
		path_leave(d, o);
	}
	path_leave(d, old);
	return 0;
}

/* --- process ---------------------------------------------------------------------------- */

enum { P_CWD, P_ENV, P_UMASK, P_HOSTNAME, P_RLIMITS, _P_MAX };
static const char *const process_keys[_P_MAX] = {
	[P_CWD] = "cwd",	   [P_ENV] = "env",	    [P_UMASK] = "umask",
	[P_HOSTNAME] = "hostname", [P_RLIMITS] = "rlimits",
};

enum { E_NAME, E_VALUE, E_SECRET, _E_MAX };
static const char *const env_keys[_E_MAX] = {
	[E_NAME] = "name",
	[E_VALUE] = "value",
	[E_SECRET] = "secret",
};
static const unsigned env_required[] = {E_NAME, E_VALUE};

enum { R_NAME, R_SOFT, R_HARD, _R_MAX };
static const char *const rlimit_keys[_R_MAX] = {
	[R_NAME] = "name",
	[R_SOFT] = "soft",
	[R_HARD] = "hard",
};
static const unsigned rlimit_required[] = {R_NAME, R_SOFT, R_HARD};

static int dec_env(struct dec *d, const cJSON *it, struct ag3_spec *s)
{
	size_t n, i = 0;
	int r;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if ((r = dec_array(d, it, &n)) < 0)
		return r;
	struct ag3_env_var *a = n ? calloc(n, sizeof(*a)) : NULL;
	if (n && !a)
		return dec_oom(d);
	/* The default environment is empty, so there is nothing to free. */
	free(s->process.env);
	s->process.env = a;
	s->process.n_env = n;
	for (const cJSON *c = it->child; c; c = c->next, i++) {
		const cJSON *f[_E_MAX];
		size_t o = path_index(d, i);
		if ((r = dec_object(d, c, env_keys, _E_MAX, f)) < 0 ||
		    (r = dec_required(d, f, env_keys, _E_MAX, env_required,
				      ELEMENTSOF(env_required))) < 0 ||
		    (r = dec_string(d, f[E_NAME], false, &a[i].name)) < 0 ||
		    (r = dec_string(d, f[E_VALUE], false, &a[i].value)) < 0 ||
		    (r = dec_bool(d, f[E_SECRET], &a[i].secret)) < 0)
			return r;
		path_leave(d, o);
	}
	path_leave(d, old);
	return 0;
}

/* An rlimit value: an integer or "unlimited". */
static int dec_rlim_value(struct dec *d, const cJSON *it, uint64_t *dst)
{
	size_t old = path_enter(d, it);
	if (cJSON_IsString(it) && it->valuestring && strcmp(it->valuestring, "unlimited") == 0) {
		*dst = AG3_RLIM_INFINITY;
	} else if (cJSON_IsNumber(it)) {
		int r = dec_integer(d, it, UINT64_MAX, dst);
		if (r < 0)
			return r;
	} else {
		return dec_fail(d, "expected an integer or \"unlimited\", got %s", json_type(it));
	}
	path_leave(d, old);
	return 0;
}

static int dec_rlimits(struct dec *d, const cJSON *it, struct ag3_spec *s)
{
	size_t n, i = 0;
	unsigned seen = 0; /* by RLIMIT_* number, all below 16 */
	int r;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if ((r = dec_array(d, it, &n)) < 0)
		return r;
	struct ag3_rlimit *a = n ? calloc(n, sizeof(*a)) : NULL;
	if (n && !a)
		return dec_oom(d);
	free(s->process.rlimits); /* empty by default */
	s->process.rlimits = a;
	s->process.n_rlimits = n;
	for (const cJSON *c = it->child; c; c = c->next, i++) {
		const cJSON *f[_R_MAX];
		size_t o = path_index(d, i);
		if ((r = dec_object(d, c, rlimit_keys, _R_MAX, f)) < 0 ||
		    (r = dec_required(d, f, rlimit_keys, _R_MAX, rlimit_required,
				      ELEMENTSOF(rlimit_required))) < 0 ||
		    (r = dec_string(d, f[R_NAME], false, &a[i].name)) < 0)
			return r;
		int res = ag3_rlimit_resource_from_name(a[i].name);
		if (res < 0 || res >= 32) {
			char shown[SHOWN_MAX + 4];
			sanitize(shown, a[i].name);
			path_key(d, "name");
			return dec_fail(d, "unknown resource '%s'", shown);
		}
		if (seen & (1u << res)) {
			path_key(d, "name");
			return dec_fail(d, "'%s' is set twice", a[i].name);
		}
		seen |= 1u << res;
		if ((r = dec_rlim_value(d, f[R_SOFT], &a[i].soft)) < 0 ||
		    (r = dec_rlim_value(d, f[R_HARD], &a[i].hard)) < 0)
			return r;
		path_leave(d, o);
	}
	path_leave(d, old);
	return 0;
}

static int dec_process(struct dec *d, const cJSON *it, struct ag3_spec *s)
{
	const cJSON *f[_P_MAX];
	int r;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if ((r = dec_object(d, it, process_keys, _P_MAX, f)) < 0 ||
	    (r = dec_string(d, f[P_CWD], false, &s->process.cwd)) < 0 ||
	    (r = dec_env(d, f[P_ENV], s)) < 0 ||
	    (r = DEC_UINT(d, f[P_UMASK], 0777, s->process.umask)) < 0 ||
	    (r = dec_string(d, f[P_HOSTNAME], false, &s->process.hostname)) < 0 ||
	    (r = dec_rlimits(d, f[P_RLIMITS], s)) < 0)
		return r;
	path_leave(d, old);
	return 0;
}

/* --- security --------------------------------------------------------------------------- */

enum { S_NNP, S_CAPS, S_SECCOMP, S_LANDLOCK, S_MINIMUM, _S_MAX };
static const char *const security_keys[_S_MAX] = {
	[S_NNP] = "no_new_privs",  [S_CAPS] = "caps_keep",  [S_SECCOMP] = "seccomp",
	[S_LANDLOCK] = "landlock", [S_MINIMUM] = "minimum",
};

enum { SC_ENABLED, SC_DEFAULT_LIST, SC_DENY_ACTION, SC_DENY_ERRNO, SC_RULES, _SC_MAX };
static const char *const seccomp_keys[_SC_MAX] = {
	[SC_ENABLED] = "enabled",
	[SC_DEFAULT_LIST] = "default_list",
	[SC_DENY_ACTION] = "deny_action",
	[SC_DENY_ERRNO] = "deny_errno",
	[SC_RULES] = "rules",
};

enum { RU_SYSCALL, RU_ACTION, RU_ERRNO, RU_ARGS, _RU_MAX };
static const char *const rule_keys[_RU_MAX] = {
	[RU_SYSCALL] = "syscall",
	[RU_ACTION] = "action",
	[RU_ERRNO] = "errno",
	[RU_ARGS] = "args",
};
static const unsigned rule_required[] = {RU_SYSCALL};

enum { A_INDEX, A_OP, A_VALUE, A_MASK, _A_MAX };
static const char *const arg_keys[_A_MAX] = {
	[A_INDEX] = "index",
	[A_OP] = "op",
	[A_VALUE] = "value",
	[A_MASK] = "mask",
};
static const unsigned arg_required[] = {A_INDEX, A_OP, A_VALUE};

enum { L_ENABLED, L_BIND, L_CONNECT, _L_MAX };
static const char *const landlock_keys[_L_MAX] = {
	[L_ENABLED] = "enabled",
	[L_BIND] = "net_bind_ports",
	[L_CONNECT] = "net_connect_ports",
};

enum { MIN_USERNS, MIN_SECCOMP, MIN_CGROUP, MIN_LANDLOCK_ABI, _MIN_MAX };
static const char *const minimum_keys[_MIN_MAX] = {
	[MIN_USERNS] = "userns",
	[MIN_SECCOMP] = "seccomp",
	[MIN_CGROUP] = "cgroup",
	[MIN_LANDLOCK_ABI] = "landlock_abi",
};

static int dec_rule_args(struct dec *d, const cJSON *it, struct ag3_seccomp_rule *rule)
{
	size_t n, i = 0;
	int r;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if ((r = dec_array(d, it, &n)) < 0)
		return r;
	if (n > ELEMENTSOF(rule->args))
		return dec_fail(d, "more than %zu arguments", ELEMENTSOF(rule->args));
	for (const cJSON *c = it->child; c; c = c->next, i++) {
		const cJSON *f[_A_MAX];
		struct ag3_seccomp_arg *a = &rule->args[i];
		size_t o = path_index(d, i);
		if ((r = dec_object(d, c, arg_keys, _A_MAX, f)) < 0 ||
		    (r = dec_required(d, f, arg_keys, _A_MAX, arg_required,
				      ELEMENTSOF(arg_required))) < 0 ||
		    (r = DEC_UINT(d, f[A_INDEX], UINT_MAX, a->index)) < 0 ||
		    (r = DEC_ENUM(d, f[A_OP], cmp_name, _AG3_CMP_MAX, a->op)) < 0 ||
		    (r = dec_uint(d, f[A_VALUE], UINT64_MAX, &a->value)) < 0 ||
		    (r = dec_uint(d, f[A_MASK], UINT64_MAX, &a->mask)) < 0)
			return r;
		path_leave(d, o);
	}
	rule->n_args = n;
	path_leave(d, old);
	return 0;
}

static int dec_rules(struct dec *d, const cJSON *it, struct ag3_spec *s)
{
	size_t n, i = 0;
	int r;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if ((r = dec_array(d, it, &n)) < 0)
		return r;
	struct ag3_seccomp_rule *a = n ? calloc(n, sizeof(*a)) : NULL;
	if (n && !a)
		return dec_oom(d);
	free(s->security.seccomp.rules); /* none by default */
	s->security.seccomp.rules = a;
	s->security.seccomp.n_rules = n;
	for (const cJSON *c = it->child; c; c = c->next, i++) {
		const cJSON *f[_RU_MAX];
		size_t o = path_index(d, i);
		a[i].action = AG3_SECCOMP_ERRNO;
		if ((r = dec_object(d, c, rule_keys, _RU_MAX, f)) < 0 ||
		    (r = dec_required(d, f, rule_keys, _RU_MAX, rule_required,
				      ELEMENTSOF(rule_required))) < 0 ||
		    (r = dec_string(d, f[RU_SYSCALL], false, &a[i].syscall)) < 0 ||
		    (r = DEC_ENUM(d, f[RU_ACTION], action_name, _AG3_SECCOMP_ACTION_MAX,
				  a[i].action)) < 0 ||
		    (r = DEC_UINT(d, f[RU_ERRNO], INT_MAX, a[i].errno_value)) < 0 ||
		    (r = dec_rule_args(d, f[RU_ARGS], &a[i])) < 0)
			return r;
		path_leave(d, o);
	}
	path_leave(d, old);
	return 0;
}

static int dec_security(struct dec *d, const cJSON *it, struct ag3_spec *s)
{
	const cJSON *f[_S_MAX], *sc[_SC_MAX], *ll[_L_MAX], *mn[_MIN_MAX];
	void *bind = s->security.landlock.net_bind_ports;
	void *conn = s->security.landlock.net_connect_ports;
	size_t o;
	int r;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if ((r = dec_object(d, it, security_keys, _S_MAX, f)) < 0 ||
	    (r = dec_bool(d, f[S_NNP], &s->security.no_new_privs)) < 0 ||
	    (r = dec_uint(d, f[S_CAPS], UINT64_MAX, &s->security.caps_keep)) < 0)
		return r;

	if (f[S_SECCOMP]) {
		o = path_enter(d, f[S_SECCOMP]);
		if ((r = dec_object(d, f[S_SECCOMP], seccomp_keys, _SC_MAX, sc)) < 0 ||
		    (r = dec_bool(d, sc[SC_ENABLED], &s->security.seccomp.enabled)) < 0 ||
		    (r = dec_bool(d, sc[SC_DEFAULT_LIST], &s->security.seccomp.use_default_list)) <
			    0 ||
		    (r = DEC_ENUM(d, sc[SC_DENY_ACTION], action_name, _AG3_SECCOMP_ACTION_MAX,
				  s->security.seccomp.deny_action)) < 0 ||
		    (r = DEC_UINT(d, sc[SC_DENY_ERRNO], INT_MAX, s->security.seccomp.deny_errno)) <
			    0 ||
		    (r = dec_rules(d, sc[SC_RULES], s)) < 0)
			return r;
		path_leave(d, o);
	}

	if (f[S_LANDLOCK]) {
		o = path_enter(d, f[S_LANDLOCK]);
		if ((r = dec_object(d, f[S_LANDLOCK], landlock_keys, _L_MAX, ll)) < 0 ||
		    (r = dec_bool(d, ll[L_ENABLED], &s->security.landlock.enabled)) < 0)
			return r;
		r = dec_uint_array(d, ll[L_BIND], UINT16_MAX, sizeof(uint16_t), &bind,
				   &s->security.landlock.n_net_bind_ports);
		s->security.landlock.net_bind_ports = bind;
		if (r < 0)
			return r;
		r = dec_uint_array(d, ll[L_CONNECT], UINT16_MAX, sizeof(uint16_t), &conn,
				   &s->security.landlock.n_net_connect_ports);
		s->security.landlock.net_connect_ports = conn;
		if (r < 0)
			return r;
		path_leave(d, o);
	}

	if (f[S_MINIMUM]) {
		o = path_enter(d, f[S_MINIMUM]);
		if ((r = dec_object(d, f[S_MINIMUM], minimum_keys, _MIN_MAX, mn)) < 0 ||
		    (r = dec_bool(d, mn[MIN_USERNS], &s->security.minimum.userns)) < 0 ||
		    (r = dec_bool(d, mn[MIN_SECCOMP], &s->security.minimum.seccomp)) < 0 ||
		    (r = dec_bool(d, mn[MIN_CGROUP], &s->security.minimum.cgroup)) < 0 ||
		    (r = DEC_UINT(d, mn[MIN_LANDLOCK_ABI], UINT_MAX,
				  s->security.minimum.landlock_abi)) < 0)
			return r;
		path_leave(d, o);
	}
	path_leave(d, old);
	return 0;
}

/* --- network and limits ----------------------------------------------------------------- */

enum { N_MODE, N_DOMAINS, N_LOCALHOST, _N_MAX };
static const char *const network_keys[_N_MAX] = {
	[N_MODE] = "mode",
	[N_DOMAINS] = "domains",
	[N_LOCALHOST] = "allow_localhost",
};

static int dec_network(struct dec *d, const cJSON *it, struct ag3_spec *s)
{
	const cJSON *f[_N_MAX];
	size_t n, i = 0;
	int r;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if ((r = dec_object(d, it, network_keys, _N_MAX, f)) < 0 ||
	    (r = DEC_ENUM(d, f[N_MODE], net_mode_name, _AG3_NET_MAX, s->network.mode)) < 0 ||
	    (r = dec_bool(d, f[N_LOCALHOST], &s->network.allow_localhost)) < 0)
		return r;
	if (f[N_DOMAINS]) {
		size_t o = path_enter(d, f[N_DOMAINS]);
		if ((r = dec_array(d, f[N_DOMAINS], &n)) < 0)
			return r;
		char **a = n ? calloc(n, sizeof(*a)) : NULL;
		if (n && !a)
			return dec_oom(d);
		free(s->network.domains); /* none by default */
		s->network.domains = a;
		s->network.n_domains = n;
		for (const cJSON *c = f[N_DOMAINS]->child; c; c = c->next, i++) {
			size_t oi = path_index(d, i);
			if ((r = dec_string(d, c, false, &a[i])) < 0)
				return r;
			path_leave(d, oi);
		}
		path_leave(d, o);
	}
	path_leave(d, old);
	return 0;
}

enum {
	LI_TIMEOUT,
	LI_GRACE,
	LI_MEMORY,
	LI_PIDS,
	LI_CPU_WEIGHT,
	LI_CPU_QUOTA,
	LI_CPU_PERIOD,
	LI_OUTPUT,
	_LI_MAX
};
static const char *const limits_keys[_LI_MAX] = {
	[LI_TIMEOUT] = "timeout_ms",	   [LI_GRACE] = "kill_grace_ms",
	[LI_MEMORY] = "memory_bytes",	   [LI_PIDS] = "pids",
	[LI_CPU_WEIGHT] = "cpu_weight",	   [LI_CPU_QUOTA] = "cpu_quota_us",
	[LI_CPU_PERIOD] = "cpu_period_us", [LI_OUTPUT] = "output_bytes",
};

static int dec_limits(struct dec *d, const cJSON *it, struct ag3_spec *s)
{
	const cJSON *f[_LI_MAX];
	int r;

	if (!it)
		return 0;
	size_t old = path_enter(d, it);
	if ((r = dec_object(d, it, limits_keys, _LI_MAX, f)) < 0 ||
	    (r = dec_uint(d, f[LI_TIMEOUT], UINT64_MAX, &s->limits.timeout_ms)) < 0 ||
	    (r = dec_uint(d, f[LI_GRACE], UINT64_MAX, &s->limits.kill_grace_ms)) < 0 ||
	    (r = dec_uint(d, f[LI_MEMORY], UINT64_MAX, &s->limits.memory_bytes)) < 0 ||
	    (r = dec_uint(d, f[LI_PIDS], UINT64_MAX, &s->limits.pids)) < 0 ||
	    (r = DEC_UINT(d, f[LI_CPU_WEIGHT], UINT32_MAX, s->limits.cpu_weight)) < 0 ||
	    (r = dec_uint(d, f[LI_CPU_QUOTA], UINT64_MAX, &s->limits.cpu_quota_us)) < 0 ||
	    (r = dec_uint(d, f[LI_CPU_PERIOD], UINT64_MAX, &s->limits.cpu_period_us)) < 0 ||
	    (r = dec_uint(d, f[LI_OUTPUT], UINT64_MAX, &s->limits.output_bytes)) < 0)
		return r;
	path_leave(d, old);
	return 0;
}

/* --- the top level ---------------------------------------------------------------------- */

enum {
	T_SCHEMA,
	T_VERSION,
	T_NAME,
	T_NAMESPACES,
	T_IDENTITY,
	T_MOUNTS,
	T_PROCESS,
	T_SECURITY,
	T_NETWORK,
	T_LIMITS,
	_T_MAX
};
static const char *const top_keys[_T_MAX] = {
	[T_SCHEMA] = "schema",	       [T_VERSION] = "version",	  [T_NAME] = "name",
	[T_NAMESPACES] = "namespaces", [T_IDENTITY] = "identity", [T_MOUNTS] = "mounts",
	[T_PROCESS] = "process",       [T_SECURITY] = "security", [T_NETWORK] = "network",
	[T_LIMITS] = "limits",
};

/* Schema and version first: a file of another schema gets that error, not "unknown field". */
static int dec_header(struct dec *d, const cJSON *root, struct ag3_spec *s)
{
	const cJSON *schema = NULL, *version = NULL;
	char shown[SHOWN_MAX + 4];
	uint64_t v;
	int r;

	for (const cJSON *c = root->child; c; c = c->next) {
		if (!schema && c->string && strcmp(c->string, "schema") == 0)
			schema = c;
		if (!version && c->string && strcmp(c->string, "version") == 0)
			version = c;
	}
	if (!schema)
		return dec_fail(d, "schema: missing (expected \"%s\")", AG3_SPEC_SCHEMA);
	size_t old = path_enter(d, schema);
	if (!cJSON_IsString(schema) || !schema->valuestring)
		return dec_fail(d, "expected a string, got %s", json_type(schema));
	if (strcmp(schema->valuestring, AG3_SPEC_SCHEMA) != 0) {
		sanitize(shown, schema->valuestring);
		return dec_fail(d, "'%s' is not supported (expected '%s')", shown, AG3_SPEC_SCHEMA);
	}
	path_leave(d, old);

	if (!version)
		return dec_fail(d, "version: missing (expected %d)", AG3_SPEC_VERSION);
	old = path_enter(d, version);
	if ((r = dec_integer(d, version, UINT64_MAX, &v)) < 0)
		return r;
	if (v != AG3_SPEC_VERSION)
		return dec_fail(d, "%" PRIu64 " is not supported (this runtime reads %d)", v,
				AG3_SPEC_VERSION);
	s->version = (unsigned)v;
	path_leave(d, old);
	return 0;
}

static int dec_spec(struct dec *d, const cJSON *root, struct ag3_spec *s)
{
	const cJSON *f[_T_MAX];
	int r;

	if (!cJSON_IsObject(root))
		return dec_fail(d, "expected a JSON object at the top level, got %s",
				json_type(root));
	if ((r = dec_header(d, root, s)) < 0 ||
	    (r = dec_object(d, root, top_keys, _T_MAX, f)) < 0 ||
	    (r = dec_string(d, f[T_NAME], true, &s->name)) < 0 ||
	    (r = dec_namespaces(d, f[T_NAMESPACES], s)) < 0 ||
	    (r = dec_identity(d, f[T_IDENTITY], s)) < 0 ||
	    (r = dec_mounts(d, f[T_MOUNTS], s)) < 0 || (r = dec_process(d, f[T_PROCESS], s)) < 0 ||
	    (r = dec_security(d, f[T_SECURITY], s)) < 0 ||
	    (r = dec_network(d, f[T_NETWORK], s)) < 0 || (r = dec_limits(d, f[T_LIMITS], s)) < 0)
		return r;
	return 0;
}

int ag3_spec_from_json(const char *buf, size_t len, const char *filename, struct ag3_spec **ret,
		       struct ag3_error **reterr)
{
	_cleanup_(scan_done) struct scan sc = {.buf = buf, .len = len};
	_cleanup_free_ char *copy = NULL;
	_cleanup_(cJSON_Deletep) cJSON *root = NULL;
	_cleanup_(ag3_spec_freep) struct ag3_spec *s = NULL;
	_cleanup_(ag3_error_freep) struct ag3_error *verr = NULL;
	const char *end = NULL, *nul;
	size_t idx = 0;
	int r;

	if (!ret || (!buf && len > 0))
		return ag3_error_set(reterr, EINVAL, "ag3_spec_from_json: invalid arguments");
	if (!buf)
		buf = sc.buf = "";
	if (len > MAX_INPUT_BYTES)
		return ag3_error_set_at(reterr, EINVAL, filename, 0, 0,
					"the spec is larger than 16 MiB (%zu bytes)", len);
	nul = memchr(buf, '\0', len);
	if (nul)
		return fail_at_offset(reterr, filename, buf, len, (size_t)(nul - buf),
				      "the input contains a NUL byte");

	r = scan_text(&sc);
	if (r == -ENOMEM)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	if (r < 0)
		return fail_at_offset(reterr, filename, buf, len, sc.err_off, "%s", sc.err_what);

	/* cJSON wants the terminating NUL inside `len` when it must reach the end. */
	copy = malloc(len + 1);
	if (!copy)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	memcpy(copy, buf, len);
	copy[len] = '\0';
	root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, true);
	if (!root) {
		size_t off = (end && end >= copy && end <= copy + len) ? (size_t)(end - copy) : len;
		unsigned char c = off < len ? (unsigned char)buf[off] : 0;
		if (off >= len)
			return fail_at_offset(reterr, filename, buf, len, off,
					      "invalid JSON: unexpected end of input");
		if (c > 0x20 && c < 0x7f)
			return fail_at_offset(reterr, filename, buf, len, off,
					      "invalid JSON: syntax error at '%c'", c);
		return fail_at_offset(reterr, filename, buf, len, off,
				      "invalid JSON: syntax error");
	}
	if (attach_numbers(root, sc.n_nums, &idx) < 0 || idx != sc.n_nums)
		return ag3_error_set(reterr, EINVAL,
				     "internal error: the number tokens do not "
				     "match the parse");

	s = ag3_spec_new();
	if (!s)
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	struct dec d = {
		.buf = buf,
		.nums = sc.nums,
		.n_nums = sc.n_nums,
		.filename = filename,
		.reterr = reterr,
	};
	r = dec_spec(&d, root, s);
	if (r < 0)
		return r;

	r = ag3_spec_validate(s, &verr);
	if (r < 0)
		return ag3_error_set_at(reterr, verr ? verr->err : -r, filename, 0, 0, "%s",
					verr && verr->msg ? verr->msg : "invalid spec");
	*ret = TAKE_PTR(s);
	return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* The writer                                                                                */

struct wframe {
	size_t plen;  /* the path length of the container itself */
	size_t count; /* members written so far */
	bool array;
};

struct writer {
	char *buf;
	size_t len, cap;
	bool pretty, redact;
	int err; /* the first error; later writes do nothing */
	struct ag3_error **reterr;
	struct wframe st[8]; /* the schema nests 7 deep */
	unsigned depth;
	char path[JPATH_MAX];
	size_t plen;
};

static void w_put(struct writer *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + n + 1)
			cap *= 2;
		char *b = realloc(w->buf, cap);
		if (!b) {
			w->err = ag3_error_set(w->reterr, ENOMEM, "out of memory");
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void w_puts(struct writer *w, const char *s)
{
	w_put(w, s, strlen(s));
}

static _printf_(2, 3) void w_fail(struct writer *w, const char *fmt, ...)
{
	va_list ap;

	if (w->err)
		return;
	va_start(ap, fmt);
	w->err = ag3_error_set_atv(w->reterr, EINVAL, NULL, 0, 0, w->path, fmt, ap);
	va_end(ap);
}

static void w_path(struct writer *w, const char *key, size_t index)
{
	size_t base = w->st[w->depth - 1].plen;
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
static void w_sep(struct writer *w)
{
	struct wframe *f = &w->st[w->depth - 1];

	if (f->count++ > 0)
		w_put(w, ",", 1);
	if (w->pretty) {
		w_put(w, "\n", 1);
		for (unsigned i = 0; i < w->depth; i++)
			w_put(w, "  ", 2);
	}
}

static void w_string(struct writer *w, const char *s);

static void w_key(struct writer *w, const char *key)
{
	w_sep(w);
	w_path(w, key, 0);
	w_string(w, key);
	w_puts(w, w->pretty ? ": " : ":");
}

static void w_elem(struct writer *w)
{
	w_sep(w);
	w_path(w, NULL, w->st[w->depth - 1].count - 1);
}

static void w_open(struct writer *w, char c)
{
	if (w->depth == ELEMENTSOF(w->st)) {
		w_fail(w, "nested too deep");
		return;
	}
	w_put(w, &c, 1);
	w->st[w->depth++] = (struct wframe){.plen = w->plen, .array = c == '['};
}

static void w_close(struct writer *w)
{
	if (w->depth == 0)
		return;
	struct wframe f = w->st[--w->depth];
	if (f.count > 0 && w->pretty) {
		w_put(w, "\n", 1);
		for (unsigned i = 0; i < w->depth; i++)
			w_put(w, "  ", 2);
	}
	w_put(w, f.array ? "]" : "}", 1);
	w->plen = f.plen;
	w->path[w->plen] = '\0';
}

static void w_u64(struct writer *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);
	w_put(w, b, (size_t)n);
}

static void w_bool(struct writer *w, bool v)
{
	w_puts(w, v ? "true" : "false");
}

static void w_null(struct writer *w)
{
	w_puts(w, "null");
}

static void w_string(struct writer *w, const char *s)
{
	const char *run = s, *p;

	if (!s) {
		w_fail(w, "missing (NULL)");
		return;
	}
	if (!utf8_valid(s)) {
		w_fail(w, "not valid UTF-8");
		return;
	}
	w_put(w, "\"", 1);
	for (p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		const char *esc = NULL;
		char u[8];

		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			if (c < 0x20) {
				snprintf(u, sizeof(u), "\\u%04x", c);
				esc = u;
			}
			break;
		}
		if (esc) {
			w_put(w, run, (size_t)(p - run));
			w_puts(w, esc);
			run = p + 1;
		}
	}
	w_put(w, run, (size_t)(p - run));
	w_put(w, "\"", 1);
}

static void w_kv_str(struct writer *w, const char *key, const char *v)
{
	w_key(w, key);
	w_string(w, v);
}

static void w_kv_str_or_null(struct writer *w, const char *key, const char *v)
{
	w_key(w, key);
	if (v)
		w_string(w, v);
	else
		w_null(w);
}

static void w_kv_u64(struct writer *w, const char *key, uint64_t v)
{
	w_key(w, key);
	w_u64(w, v);
}

static void w_kv_bool(struct writer *w, const char *key, bool v)
{
	w_key(w, key);
	w_bool(w, v);
}

static void w_kv_enum(struct writer *w, const char *key, const char *name, int v)
{
	w_key(w, key);
	if (name)
		w_string(w, name);
	else
		w_fail(w, "invalid value %d", v);
}

static void w_kv_id(struct writer *w, const char *key, bool set, uint32_t v)
{
	w_key(w, key);
	if (set)
		w_u64(w, v);
	else
		w_null(w);
}

static void w_kv_rlim(struct writer *w, const char *key, uint64_t v)
{
	w_key(w, key);
	if (v == AG3_RLIM_INFINITY)
		w_string(w, "unlimited");
	else
		w_u64(w, v);
}

static void w_kv_ports(struct writer *w, const char *key, const uint16_t *ports, size_t n)
{
	w_key(w, key);
	w_open(w, '[');
	for (size_t i = 0; i < n; i++) {
		w_elem(w);
		w_u64(w, ports[i]);
	}
	w_close(w);
}

static void w_mount(struct writer *w, const struct ag3_mount *m)
{
	w_open(w, '{');
	w_kv_enum(w, "op", ag3_mount_op_to_string(m->op), (int)m->op);
	w_kv_str_or_null(w, "source", m->source);
	w_kv_str(w, "target", m->target);
	w_kv_str_or_null(w, "content", m->content);
	w_kv_bool(w, "ro", m->ro);
	w_kv_bool(w, "optional", m->optional);
	w_kv_bool(w, "nosuid", m->nosuid);
	w_kv_bool(w, "nodev", m->nodev);
	w_kv_bool(w, "noexec", m->noexec);
	w_kv_u64(w, "size", m->size);
	w_kv_u64(w, "mode", m->mode);
	w_kv_str_or_null(w, "origin", m->origin);
	w_close(w);
}

static void w_process(struct writer *w, const struct ag3_spec *s)
{
	w_key(w, "process");
	w_open(w, '{');
	w_kv_str(w, "cwd", s->process.cwd);
	w_key(w, "env");
	w_open(w, '[');
	for (size_t i = 0; i < s->process.n_env; i++) {
		const struct ag3_env_var *e = &s->process.env[i];
		w_elem(w);
		w_open(w, '{');
		w_kv_str(w, "name", e->name);
		w_kv_str(w, "value", e->secret && w->redact ? "<redacted>" : e->value);
		w_kv_bool(w, "secret", e->secret);
		w_close(w);
	}
	w_close(w);
	w_kv_u64(w, "umask", s->process.umask);
	w_kv_str(w, "hostname", s->process.hostname);
	w_key(w, "rlimits");
	w_open(w, '[');
	for (size_t i = 0; i < s->process.n_rlimits; i++) {
		const struct ag3_rlimit *l = &s->process.rlimits[i];
		w_elem(w);
		w_open(w, '{');
		w_kv_str(w, "name", l->name);
		w_kv_rlim(w, "soft", l->soft);
		w_kv_rlim(w, "hard", l->hard);
		w_close(w);
	}
	w_close(w);
	w_close(w);
}

static void w_rule(struct writer *w, const struct ag3_seccomp_rule *r)
{
	w_open(w, '{');
	w_kv_str(w, "syscall", r->syscall);
	w_kv_enum(w, "action", ag3_seccomp_action_to_string(r->action), (int)r->action);
	w_key(w, "errno");
	if (r->errno_value < 0)
		w_fail(w, "%d is negative", r->errno_value);
	else
		w_u64(w, (uint64_t)r->errno_value);
	w_key(w, "args");
	if (r->n_args > ELEMENTSOF(r->args))
		w_fail(w, "more than %zu arguments", ELEMENTSOF(r->args));
	w_open(w, '[');
	for (size_t a = 0; a < r->n_args && a < ELEMENTSOF(r->args); a++) {
		w_elem(w);
		w_open(w, '{');
		w_kv_u64(w, "index", r->args[a].index);
		w_kv_enum(w, "op", ag3_seccomp_cmp_to_string(r->args[a].op), (int)r->args[a].op);
		w_kv_u64(w, "value", r->args[a].value);
		w_kv_u64(w, "mask", r->args[a].mask);
		w_close(w);
	}
	w_close(w);
	w_close(w);
}

static void w_security(struct writer *w, const struct ag3_spec *s)
{
	w_key(w, "security");
	w_open(w, '{');
	w_kv_bool(w, "no_new_privs", s->security.no_new_privs);
	w_kv_u64(w, "caps_keep", s->security.caps_keep);

	w_key(w, "seccomp");
	w_open(w, '{');
	w_kv_bool(w, "enabled", s->security.seccomp.enabled);
	w_kv_bool(w, "default_list", s->security.seccomp.use_default_list);
	w_kv_enum(w, "deny_action", ag3_seccomp_action_to_string(s->security.seccomp.deny_action),
		  (int)s->security.seccomp.deny_action);
	w_key(w, "deny_errno");
	if (s->security.seccomp.deny_errno < 0)
		w_fail(w, "%d is negative", s->security.seccomp.deny_errno);
	else
		w_u64(w, (uint64_t)s->security.seccomp.deny_errno);
	w_key(w, "rules");
	w_open(w, '[');
	for (size_t i = 0; i < s->security.seccomp.n_rules; i++) {
		w_elem(w);
		w_rule(w, &s->security.seccomp.rules[i]);
	}
	w_close(w);
	w_close(w);

	w_key(w, "landlock");
	w_open(w, '{');
	w_kv_bool(w, "enabled", s->security.landlock.enabled);
	w_kv_ports(w, "net_bind_ports", s->security.landlock.net_bind_ports,
		   s->security.landlock.n_net_bind_ports);
	w_kv_ports(w, "net_connect_ports", s->security.landlock.net_connect_ports,
		   s->security.landlock.n_net_connect_ports);
	w_close(w);

	w_key(w, "minimum");
	w_open(w, '{');
	w_kv_bool(w, "userns", s->security.minimum.userns);
	w_kv_bool(w, "seccomp", s->security.minimum.seccomp);
	w_kv_bool(w, "cgroup", s->security.minimum.cgroup);
	w_kv_u64(w, "landlock_abi", s->security.minimum.landlock_abi);
	w_close(w);
	w_close(w);
}

int ag3_spec_to_json(const struct ag3_spec *s, unsigned flags, char **ret,
		     struct ag3_error **reterr)
{
	struct writer w = {
		.pretty = flags & AG3_JSON_PRETTY,
		.redact = flags & AG3_JSON_REDACT_SECRETS,
		.reterr = reterr,
	};

	if (!s || !ret)
		return ag3_error_set(reterr, EINVAL, "ag3_spec_to_json: invalid arguments");

	w_open(&w, '{');
	w_kv_str(&w, "schema", AG3_SPEC_SCHEMA);
	w_kv_u64(&w, "version", s->version);
	w_kv_str_or_null(&w, "name", s->name);

	w_key(&w, "namespaces");
	w_open(&w, '{');
	w_kv_enum(&w, "user", ag3_userns_to_string(s->namespaces.user), (int)s->namespaces.user);
	w_kv_bool(&w, "mount", s->namespaces.mount);
	w_kv_bool(&w, "pid", s->namespaces.pid);
	w_kv_bool(&w, "net", s->namespaces.net);
	w_kv_bool(&w, "ipc", s->namespaces.ipc);
	w_kv_bool(&w, "uts", s->namespaces.uts);
	w_kv_bool(&w, "cgroup", s->namespaces.cgroup);
	w_close(&w);

	w_key(&w, "identity");
	w_open(&w, '{');
	w_kv_id(&w, "uid", s->identity.uid_set, s->identity.uid);
	w_kv_id(&w, "gid", s->identity.gid_set, s->identity.gid);
	w_key(&w, "groups");
	w_open(&w, '[');
	for (size_t i = 0; i < s->identity.n_groups; i++) {
		w_elem(&w);
		w_u64(&w, s->identity.groups[i]);
	}
	w_close(&w);
	w_close(&w);

	w_key(&w, "mounts");
	w_open(&w, '[');
	for (size_t i = 0; i < s->n_mounts; i++) {
		w_elem(&w);
		w_mount(&w, &s->mounts[i]);
	}
	w_close(&w);

	w_process(&w, s);
	w_security(&w, s);

	w_key(&w, "network");
	w_open(&w, '{');
	w_kv_enum(&w, "mode", ag3_net_mode_to_string(s->network.mode), (int)s->network.mode);
	w_key(&w, "domains");
	w_open(&w, '[');
	for (size_t i = 0; i < s->network.n_domains; i++) {
		w_elem(&w);
		w_string(&w, s->network.domains[i]);
	}
	w_close(&w);
	w_kv_bool(&w, "allow_localhost", s->network.allow_localhost);
	w_close(&w);

	w_key(&w, "limits");
	w_open(&w, '{');
	w_kv_u64(&w, "timeout_ms", s->limits.timeout_ms);
	w_kv_u64(&w, "kill_grace_ms", s->limits.kill_grace_ms);
	w_kv_u64(&w, "memory_bytes", s->limits.memory_bytes);
	w_kv_u64(&w, "pids", s->limits.pids);
	w_kv_u64(&w, "cpu_weight", s->limits.cpu_weight);
	w_kv_u64(&w, "cpu_quota_us", s->limits.cpu_quota_us);
	w_kv_u64(&w, "cpu_period_us", s->limits.cpu_period_us);
	w_kv_u64(&w, "output_bytes", s->limits.output_bytes);
	w_close(&w);

	w_close(&w);
	w_put(&w, "\n", 1);

	if (w.err < 0) {
		free(w.buf);
		return w.err;
	}
	*ret = w.buf;
	return 0;
}
