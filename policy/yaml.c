/* SPDX-License-Identifier: MIT */
#include "yaml.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define STD_TAG_PREFIX "tag:yaml.org,2002:"

/* An explicit tag on a node, after the check in tag_parse(). */
enum tag {
	TAG_NONE,
	TAG_NONSPECIFIC, /* "!": the scalar is a string */
	TAG_STR,
	TAG_INT,
	TAG_BOOL,
	TAG_NULL,
	TAG_SEQ,
	TAG_MAP,
};

struct frame {
	struct ag3_yaml_node *node;
	size_t cap; /* allocated items or pairs */
};

struct builder {
	const char *file;
	const char *buf;
	size_t len;
	struct ag3_error **reterr;
	struct ag3_yaml_doc *doc;
	struct frame stack[AG3_YAML_MAX_DEPTH];
	unsigned depth;
	unsigned n_docs;
};

static void node_free(struct ag3_yaml_node *n)
{
	if (!n)
		return;
	/* recursion depth is bounded by AG3_YAML_MAX_DEPTH */
	for (size_t i = 0; n->items && i < n->n; i++)
		node_free(n->items[i]);
	for (size_t i = 0; n->pairs && i < n->n; i++) {
		node_free(n->pairs[i].key);
		node_free(n->pairs[i].value);
	}
	free(n->items);
	free(n->pairs);
	free(n->str);
	free(n);
}

void ag3_yaml_doc_free(struct ag3_yaml_doc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->file);
	free(doc);
}

/*
 * The key path of where the builder is ("sandbox.network", "rules[2]"): each
 * open collection's last entry leads to the next. The innermost mapping's last
 * key counts only while its value is still being read, not when the next key is.
 */
static void key_path(const struct builder *b, char *out, size_t len)
{
	size_t o = 0;
	out[0] = 0;
	for (unsigned i = 0; i < b->depth && o < len; i++) {
		const struct ag3_yaml_node *n = b->stack[i].node;
		bool top = i + 1 == b->depth;
		int w = 0;
		if (n->type == AG3_YAML_MAPPING && n->n) {
			const struct ag3_yaml_node *k = n->pairs[n->n - 1].key;
			if (top && n->pairs[n->n - 1].value)
				break; /* a new key: not under the previous one */
			char pv[80];
			w = snprintf(out + o, len - o, "%s%s", o ? "." : "",
				     ag3_yaml_preview(k->str, k->len, pv, sizeof(pv)));
		} else if (n->type == AG3_YAML_SEQUENCE && !top && n->n) {
			w = snprintf(out + o, len - o, "[%zu]", n->n - 1);
		} else if (n->type == AG3_YAML_SEQUENCE && top) {
			w = snprintf(out + o, len - o, "[%zu]", n->n);
		}
		if (w < 0)
			break;
		o += (size_t)w;
	}
	if (o >= len)
		out[len - 1] = 0;
}

_printf_(3, 4) static int fail_at(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return -ENOMEM;
	char path[512];
	key_path(b, path, sizeof(path));
	return ag3_error_set_at(b->reterr, EINVAL, b->file, m ? (unsigned)m->line + 1 : 0,
				m ? (unsigned)m->column + 1 : 0, "%s%s%s", path,
				path[0] ? ": " : "", msg);
}

const char *ag3_yaml_preview(const char *s, size_t len, char *buf, size_t size)
{
	if (size < 8) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	size_t max = size - 4, o = 0;
	bool cut = len > max;
	size_t n = cut ? max : len;
	if (cut)
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--; /* do not split a UTF-8 sequence */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[o++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (cut) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *ag3_yaml_describe(const struct ag3_yaml_node *n, char *buf, size_t size)
{
	const char *fixed = NULL;
	if (!n)
		fixed = "nothing";
	else if (n->type == AG3_YAML_MAPPING)
		fixed = "a mapping";
	else if (n->type == AG3_YAML_SEQUENCE)
		fixed = "a sequence";
	else if (n->kind == AG3_YAML_NULL)
		fixed = "null";
	if (fixed) {
		snprintf(buf, size, "%s", fixed);
		return buf;
	}
	if (n->kind == AG3_YAML_STR && size > 8) {
		buf[0] = '\'';
		ag3_yaml_preview(n->str, n->len, buf + 1, size - 2);
		strcat(buf, "'");
		return buf;
	}
	return ag3_yaml_preview(n->str, n->len, buf, size);
}

static bool is_null_text(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int bool_text(const char *s)
{
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return 0;
	return -1;
}

/* [-+]?[0-9]+ | 0x[0-9a-fA-F]+ | 0o[0-7]+ */
static bool int_text(const char *s)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		bool hex = s[1] == 'x';
		if (!s[2])
			return false;
		for (const char *c = s + 2; *c; c++)
			if (hex ? !isxdigit((unsigned char)*c) : (*c < '0' || *c > '7'))
				return false;
		return true;
	}
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static enum ag3_yaml_kind resolve_plain(const char *s)
{
	if (is_null_text(s))
		return AG3_YAML_NULL;
	if (bool_text(s) >= 0)
		return AG3_YAML_BOOL;
	if (int_text(s))
		return AG3_YAML_INT;
	return AG3_YAML_STR;
}

static int tag_parse(struct builder *b, const yaml_char_t *t, const yaml_mark_t *m, enum tag *ret)
{
	static const struct {
		const char *name;
		enum tag tag;
	} std[] = {
		{"str", TAG_STR},   {"int", TAG_INT}, {"bool", TAG_BOOL},
		{"null", TAG_NULL}, {"seq", TAG_SEQ}, {"map", TAG_MAP},
	};
	const char *s = (const char *)t;
	char pv[80];

	if (!s) {
		*ret = TAG_NONE;
		return 0;
	}
	if (!strcmp(s, "!")) {
		*ret = TAG_NONSPECIFIC;
		return 0;
	}
	if (!strncmp(s, STD_TAG_PREFIX, strlen(STD_TAG_PREFIX))) {
		const char *rest = s + strlen(STD_TAG_PREFIX);
		for (size_t i = 0; i < ELEMENTSOF(std); i++)
			if (!strcmp(rest, std[i].name)) {
				*ret = std[i].tag;
				return 0;
			}
		return fail_at(b, m,
			       "YAML tag '!!%s' is not allowed (only !!str, !!int, !!bool, !!null, "
			       "!!seq and !!map)",
			       ag3_yaml_preview(rest, strlen(rest), pv, sizeof(pv)));
	}
	return fail_at(b, m,
		       "YAML tag '%s' is not allowed (only !!str, !!int, !!bool, !!null, !!seq "
		       "and !!map)",
		       ag3_yaml_preview(s, strlen(s), pv, sizeof(pv)));
}

static int check_anchor(struct builder *b, const yaml_char_t *anchor, const yaml_mark_t *m)
{
	char pv[80];
	if (!anchor)
		return 0;
	return fail_at(b, m, "YAML aliases are not allowed, so neither are anchors (&%s)",
		       ag3_yaml_preview((const char *)anchor, strlen((const char *)anchor), pv,
					sizeof(pv)));
}

static struct ag3_yaml_node *node_new(struct builder *b, enum ag3_yaml_type type,
				      const yaml_mark_t *m, int *r)
{
	if (b->doc->n_nodes >= AG3_YAML_MAX_NODES) {
		*r = fail_at(b, m, "more than %u YAML nodes", AG3_YAML_MAX_NODES);
		return NULL;
	}
	struct ag3_yaml_node *n = calloc(1, sizeof(*n));
	if (!n) {
		*r = -ENOMEM;
		return NULL;
	}
	b->doc->n_nodes++;
	n->type = type;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	return n;
}

static int grow(void **p, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 8;
	void *q = reallocarray(*p, c, elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* Puts `n` into the tree (root, sequence item, mapping key or value). Frees it on failure. */
static int attach(struct builder *b, struct ag3_yaml_node *n, const yaml_mark_t *m)
{
	int r;
	if (b->depth == 0) {
		b->doc->root = n;
		return 0;
	}
	struct frame *f = &b->stack[b->depth - 1];
	struct ag3_yaml_node *top = f->node;
	if (top->type == AG3_YAML_SEQUENCE) {
		r = grow((void **)&top->items, &f->cap, top->n, sizeof(*top->items));
		if (r < 0)
			goto fail;
		top->items[top->n++] = n;
		return 0;
	}
	if (top->n == 0 || top->pairs[top->n - 1].value) {
		/* a key */
		if (n->type != AG3_YAML_SCALAR) {
			r = fail_at(b, m, "a mapping key must be a scalar, not %s",
				    n->type == AG3_YAML_MAPPING ? "a mapping" : "a sequence");
			goto fail;
		}
		if (n->kind == AG3_YAML_NULL) {
			r = fail_at(b, m, "a mapping key cannot be empty or null");
			goto fail;
		}
		r = grow((void **)&top->pairs, &f->cap, top->n, sizeof(*top->pairs));
		if (r < 0)
			goto fail;
		top->pairs[top->n++] = (struct ag3_yaml_pair){.key = n};
		return 0;
	}
	top->pairs[top->n - 1].value = n;
	return 0;
fail:
	node_free(n);
	return r;
}

struct keyref {
	const char *s;
	size_t len;
	size_t idx;
};

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	int c = memcmp(x->s, y->s, x->len);
	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Rejects a mapping that has the same key twice; names the first repeat in document order. */
static int check_duplicates(struct builder *b, const struct ag3_yaml_node *map)
{
	size_t dup = SIZE_MAX, first = 0;
	if (map->n < 2)
		return 0;
	if (map->n <= 16) {
		for (size_t i = 1; i < map->n && dup == SIZE_MAX; i++)
			for (size_t j = 0; j < i; j++)
				if (map->pairs[i].key->len == map->pairs[j].key->len &&
				    !memcmp(map->pairs[i].key->str, map->pairs[j].key->str,
					    map->pairs[i].key->len)) {
					dup = i;
					first = j;
					break;
				}
	} else {
		_cleanup_free_ struct keyref *refs = calloc(map->n, sizeof(*refs));
		if (!refs)
			return -ENOMEM;
		for (size_t i = 0; i < map->n; i++)
			refs[i] =
				(struct keyref){map->pairs[i].key->str, map->pairs[i].key->len, i};
		qsort(refs, map->n, sizeof(*refs), keyref_cmp);
		for (size_t i = 1; i < map->n; i++)
			if (refs[i].len == refs[i - 1].len &&
			    !memcmp(refs[i].s, refs[i - 1].s, refs[i].len) && refs[i].idx < dup) {
				dup = refs[i].idx;
				/* the group's first member is the first occurrence */
				size_t g = i - 1;
				while (g > 0 && refs[g - 1].len == refs[i].len &&
				       !memcmp(refs[g - 1].s, refs[i].s, refs[i].len))
					g--;
				first = refs[g].idx;
			}
	}
	if (dup == SIZE_MAX)
		return 0;
	const struct ag3_yaml_node *k = map->pairs[dup].key;
	char pv[80];
	yaml_mark_t m = {.line = k->line - 1, .column = k->col - 1};
	b->depth++; /* the path of the mapping itself (it was just closed) */
	return fail_at(b, &m, "duplicate key '%s' (first at line %u, column %u)",
		       ag3_yaml_preview(k->str, k->len, pv, sizeof(pv)),
		       map->pairs[first].key->line, map->pairs[first].key->col);
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	const yaml_mark_t *m = &ev->start_mark;
	size_t len = ev->data.scalar.length;
	const char *v = (const char *)ev->data.scalar.value;
	enum tag tag;
	int r;

	r = check_anchor(b, ev->data.scalar.anchor, m);
	if (r < 0)
		return r;
	r = tag_parse(b, ev->data.scalar.tag, m, &tag);
	if (r < 0)
		return r;
	if (tag == TAG_SEQ || tag == TAG_MAP)
		return fail_at(b, m, "a scalar cannot be tagged !!%s",
			       tag == TAG_SEQ ? "seq" : "map");
	if (len > AG3_YAML_MAX_SCALAR)
		return fail_at(b, m, "a scalar of %zu bytes (at most %u KiB are allowed)", len,
			       AG3_YAML_MAX_SCALAR >> 10);
	if (memchr(v, '\0', len))
		return fail_at(b, m, "a NUL character in a string is not allowed");

	struct ag3_yaml_node *n = node_new(b, AG3_YAML_SCALAR, m, &r);
	if (!n)
		return r;
	n->str = strndup(v, len);
	if (!n->str) {
		node_free(n);
		return -ENOMEM;
	}
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == TAG_NONE;
	if (tag == TAG_STR || tag == TAG_NONSPECIFIC)
		n->kind = AG3_YAML_STR;
	else if (tag == TAG_NONE)
		n->kind = n->plain ? resolve_plain(n->str) : AG3_YAML_STR;
	else {
		static const enum ag3_yaml_kind want[] = {[TAG_INT] = AG3_YAML_INT,
							  [TAG_BOOL] = AG3_YAML_BOOL,
							  [TAG_NULL] = AG3_YAML_NULL};
		static const char *const names[] = {
			[TAG_INT] = "int", [TAG_BOOL] = "bool", [TAG_NULL] = "null"};
		n->kind = resolve_plain(n->str);
		if (n->kind != want[tag]) {
			char pv[80];
			r = fail_at(b, m, "'%s' is not a valid !!%s",
				    ag3_yaml_preview(n->str, n->len, pv, sizeof(pv)), names[tag]);
			node_free(n);
			return r;
		}
	}
	return attach(b, n, m);
}

static int on_collection_start(struct builder *b, const yaml_event_t *ev)
{
	bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
	const yaml_mark_t *m = &ev->start_mark;
	const yaml_char_t *anchor =
		seq ? ev->data.sequence_start.anchor : ev->data.mapping_start.anchor;
	const yaml_char_t *t = seq ? ev->data.sequence_start.tag : ev->data.mapping_start.tag;
	enum tag tag;
	int r;

	r = check_anchor(b, anchor, m);
	if (r < 0)
		return r;
	r = tag_parse(b, t, m, &tag);
	if (r < 0)
		return r;
	if (tag != TAG_NONE && tag != TAG_NONSPECIFIC && tag != (seq ? TAG_SEQ : TAG_MAP))
		return fail_at(b, m, "a %s cannot carry that tag", seq ? "sequence" : "mapping");
	if (b->depth >= AG3_YAML_MAX_DEPTH)
		return fail_at(b, m, "nesting deeper than %d levels", AG3_YAML_MAX_DEPTH);
	struct ag3_yaml_node *n = node_new(b, seq ? AG3_YAML_SEQUENCE : AG3_YAML_MAPPING, m, &r);
	if (!n)
		return r;
	r = attach(b, n, m);
	if (r < 0)
		return r;
	b->stack[b->depth++] = (struct frame){.node = n};
	return 0;
}

static unsigned offset_line_col(const char *buf, size_t len, size_t off, unsigned *col)
{
	unsigned line = 1;
	size_t start = 0;
	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++)
		if (buf[i] == '\n') {
			line++;
			start = i + 1;
		}
	*col = (unsigned)(off - start) + 1;
	return line;
}

/*
 * The column of the tab a syntax error at line:col (1-based, col in characters)
 * is about: one in the line's indentation (YAML never indents with tabs, and
 * libyaml's message is then "found character that cannot start any token"), or
 * the character at col itself. 0 when the error is not about a tab.
 */
static unsigned tab_column(const char *buf, size_t len, unsigned line, unsigned col)
{
	size_t i = len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3) ? 3 : 0;
	for (unsigned l = 1; l < line; l++) {
		const char *nl = memchr(buf + i, '\n', len - i);
		if (!nl)
			return 0;
		i = (size_t)(nl - buf) + 1;
	}
	for (size_t k = i; k < len && (buf[k] == ' ' || buf[k] == '\t'); k++)
		if (buf[k] == '\t')
			return (unsigned)(k - i) + 1;
	size_t k = i;
	for (unsigned c = 1; c < col && k < len && buf[k] != '\n'; c++)
		for (k++; k < len && ((unsigned char)buf[k] & 0xc0) == 0x80; k++)
			;
	return k < len && buf[k] == '\t' ? col : 0;
}

static int parser_error(struct builder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	if (p->error == YAML_MEMORY_ERROR)
		return ag3_error_set_at(b->reterr, ENOMEM, b->file, 0, 0, "out of memory");
	if (p->error == YAML_READER_ERROR) {
		unsigned col, line = offset_line_col(b->buf, b->len, p->problem_offset, &col);
		if (p->problem_value != -1)
			return ag3_error_set_at(
				b->reterr, EINVAL, b->file, line, col,
				"invalid input: %s (byte 0x%02x): a profile must be "
				"UTF-8 text",
				problem, (unsigned)p->problem_value & 0xff);
		return ag3_error_set_at(b->reterr, EINVAL, b->file, line, col,
					"invalid input: %s: a profile must be UTF-8 text", problem);
	}
	unsigned line = (unsigned)p->problem_mark.line + 1;
	unsigned tab =
		b->buf ? tab_column(b->buf, b->len, line, (unsigned)p->problem_mark.column + 1) : 0;
	if (tab)
		return ag3_error_set_at(b->reterr, EINVAL, b->file, line, tab,
					"YAML syntax error: a tab; YAML indents with spaces, never "
					"tabs (%s)",
					problem);
	if (p->context)
		return ag3_error_set_at(b->reterr, EINVAL, b->file,
					(unsigned)p->problem_mark.line + 1,
					(unsigned)p->problem_mark.column + 1,
					"YAML syntax error: %s %s (started at line %u, column %u)",
					problem, p->context, (unsigned)p->context_mark.line + 1,
					(unsigned)p->context_mark.column + 1);
	return ag3_error_set_at(b->reterr, EINVAL, b->file, (unsigned)p->problem_mark.line + 1,
				(unsigned)p->problem_mark.column + 1, "YAML syntax error: %s",
				problem);
}

static int on_event(struct builder *b, const yaml_event_t *ev, bool *done)
{
	switch (ev->type) {
	case YAML_STREAM_START_EVENT:
	case YAML_NO_EVENT:
		return 0;
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	case YAML_DOCUMENT_START_EVENT:
		if (b->n_docs++ > 0)
			return fail_at(b, &ev->start_mark,
				       "multiple YAML documents are not allowed (one profile per "
				       "file)");
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		return 0;
	case YAML_ALIAS_EVENT: {
		char pv[80];
		const char *a = (const char *)ev->data.alias.anchor;
		return fail_at(b, &ev->start_mark, "YAML aliases are not allowed (*%s)",
			       ag3_yaml_preview(a, strlen(a), pv, sizeof(pv)));
	}
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return on_collection_start(b, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		if (b->depth == 0)
			return fail_at(b, &ev->start_mark, "unbalanced collection end");
		struct ag3_yaml_node *n = b->stack[--b->depth].node;
		if (n->type == AG3_YAML_MAPPING) {
			if (n->n && !n->pairs[n->n - 1].value)
				return fail_at(b, &ev->start_mark, "a mapping key without a value");
			return check_duplicates(b, n);
		}
		return 0;
	}
	}
	return 0;
}

int ag3_yaml_parse(const char *file, const char *buf, size_t len, struct ag3_yaml_doc **ret,
		   struct ag3_error **reterr)
{
	_cleanup_(ag3_yaml_doc_freep) struct ag3_yaml_doc *doc = NULL;
	struct builder b = {
		.file = file ? file : "<input>", .buf = buf, .len = len, .reterr = reterr};
	yaml_parser_t parser;
	bool done = false;
	int r = 0;

	if (len > AG3_YAML_MAX_DOCUMENT)
		return ag3_error_set_at(reterr, EFBIG, b.file, 0, 0,
					"%zu bytes: a profile may have at most %u MiB", len,
					AG3_YAML_MAX_DOCUMENT >> 20);
	doc = calloc(1, sizeof(*doc));
	if (!doc || !(doc->file = strdup(b.file)))
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	b.doc = doc;

	if (!yaml_parser_initialize(&parser))
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	/* A UTF-8 byte order mark (editors on Windows write one) is not content:
	 * libyaml, told the encoding, would read it as a stray character. */
	if (buf && len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		buf += 3;
		len -= 3;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)(buf ? buf : ""), len);
	/* no UTF-16/32 detection: anything that is not UTF-8 fails in the reader */
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			r = parser_error(&b, &parser);
			break;
		}
		r = on_event(&b, &ev, &done);
		yaml_event_delete(&ev);
		if (r < 0)
			break;
	}
	yaml_parser_delete(&parser);
	if (r < 0) {
		if (r == -ENOMEM)
			ag3_error_set(reterr, ENOMEM, "out of memory");
		return r;
	}
	*ret = TAKE_PTR(doc);
	return 0;
}

const struct ag3_yaml_node *ag3_yaml_map_get(const struct ag3_yaml_node *map, const char *key)
{
	if (!map || map->type != AG3_YAML_MAPPING)
		return NULL;
	size_t kl = strlen(key);
	for (size_t i = 0; i < map->n; i++)
		if (map->pairs[i].key->len == kl && !memcmp(map->pairs[i].key->str, key, kl))
			return map->pairs[i].value;
	return NULL;
}

int ag3_yaml_get_bool(const struct ag3_yaml_node *n, bool *ret)
{
	if (!n || n->type != AG3_YAML_SCALAR || n->kind != AG3_YAML_BOOL)
		return -EINVAL;
	*ret = bool_text(n->str) == 1;
	return 0;
}

/* Parses the magnitude of an int scalar. */
static int int_parse(const struct ag3_yaml_node *n, bool *neg, uint64_t *mag)
{
	const char *s;
	unsigned base = 10;
	uint64_t v = 0;

	if (!n || n->type != AG3_YAML_SCALAR || n->kind != AG3_YAML_INT)
		return -EINVAL;
	s = n->str;
	*neg = false;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
		base = s[1] == 'x' ? 16 : 8;
		s += 2;
	} else {
		if (*s == '-' || *s == '+')
			*neg = *s++ == '-';
		if (s[0] == '0' && s[1])
			return -EINVAL; /* 0755: octal in YAML 1.1, decimal in 1.2 */
	}
	for (; *s; s++) {
		unsigned d = isdigit((unsigned char)*s)
				     ? (unsigned)(*s - '0')
				     : (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*mag = v;
	return 0;
}

int ag3_yaml_get_uint(const struct ag3_yaml_node *n, uint64_t *ret)
{
	bool neg;
	uint64_t v;
	int r = int_parse(n, &neg, &v);
	if (r < 0)
		return r;
	if (neg && v)
		return -ERANGE;
	*ret = v;
	return 0;
}

int ag3_yaml_get_int(const struct ag3_yaml_node *n, int64_t *ret)
{
	bool neg;
	uint64_t v;
	int r = int_parse(n, &neg, &v);
	if (r < 0)
		return r;
	if (neg) {
		if (v > (uint64_t)INT64_MAX + 1)
			return -ERANGE;
		*ret = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else {
		if (v > (uint64_t)INT64_MAX)
			return -ERANGE;
		*ret = (int64_t)v;
	}
	return 0;
}
