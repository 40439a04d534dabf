/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the table-driven YAML walker (policy/yamlwalk.c) on a
 * schema of its own: each row type, defaults, null, ranges, bounds, unknown
 * keys (did-you-mean, hint, valid keys), required keys, the two reading
 * orders, check rows, and where errors point (file:line:col, key path).
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "policy/yamlwalk.h"

#include "helpers.h"

struct item {
	struct ag3_pmeta meta;
	char *key;
	struct ag3_pstr id;
	struct ag3_pu64 weight;
};

struct items {
	struct ag3_pmeta meta;
	struct item *items;
	size_t n;
};

struct conf {
	struct ag3_pstr name;
	struct ag3_pbool on;
	struct ag3_pu64 count, size;
	struct ag3_pint color;
	struct ag3_pstrlist tags;
	struct {
		struct ag3_pmeta meta;
		struct ag3_pbool deep;
		struct ag3_pstr label;
	} inner;
	struct items list;
	struct ag3_pu64 twice;
};

static const char *const colors[] = {"red", "green", "blue", NULL};
static const char *const tag_default[] = {"a", "b", NULL};

static int fn_twice(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		    const struct ag3_yw_row *row)
{
	uint64_t x;
	if (ag3_yaml_get_uint(v, &x) < 0)
		return ag3_lctx_expect(c, v, "a small number");
	((struct ag3_pu64 *)dst)->v = 2 * x;
	return 0;
}

static int check_no_x(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst)
{
	return strchr(v->str, 'x') ? ag3_lctx_fail(c, v, "no x here") : 0;
}

static int item_init(struct ag3_lctx *c, const struct ag3_yaml_node *v, void *dst,
		     const struct ag3_yw_row *row)
{
	struct item *it = dst;
	return (it->key = strdup(c->path)) ? 0 : ag3_lctx_oom(c);
}

static int check_weight(struct ag3_lctx *c, const struct ag3_yaml_node *map, void *dst,
			const struct ag3_yw_row *row)
{
	const struct item *it = dst;
	return it->weight.v == 13 ? ag3_lctx_fail(c, map, "unlucky") : 0;
}

static void hint(const struct ag3_lctx *c, const char *key, char *buf, size_t size)
{
	if (!strcmp(key, "elsewhere"))
		snprintf(buf, size, ": it lives elsewhere");
}

static const struct ag3_yw_row inner_rows[] = {
	{.key = "deep",
	 .type = AG3_YW_BOOL,
	 .off = offsetof(struct conf, inner.deep) - offsetof(struct conf, inner)},
	{.key = "label",
	 .type = AG3_YW_STR,
	 .dflt_str = "none",
	 .off = offsetof(struct conf, inner.label) - offsetof(struct conf, inner)},
	{0},
};
static const struct ag3_yw_map inner_map = {inner_rows, .hint = hint};

static const struct ag3_yw_row item_rows[] = {
	{.key = "id",
	 .type = AG3_YW_STR,
	 .flags = AG3_YW_REQUIRED | AG3_YW_NONEMPTY,
	 .off = offsetof(struct item, id),
	 .what = "an id"},
	{.key = "weight",
	 .type = AG3_YW_UINT,
	 .flags = AG3_YW_NULL_DEFAULT | AG3_YW_EXPECT_RANGE,
	 .min = 1,
	 .max = 99,
	 .dflt = 7,
	 .off = offsetof(struct item, weight)},
	{.type = AG3_YW_CHECK, .fn = check_weight},
	{0},
};
static const struct ag3_yw_map item_map = {item_rows, AG3_YW_TABLE_ORDER, .what = "an item",
					   .hint = hint};

static const struct ag3_yw_row conf_rows[] = {
	{.key = "name",
	 .type = AG3_YW_STR,
	 .flags = AG3_YW_REQUIRED | AG3_YW_NONEMPTY,
	 .off = offsetof(struct conf, name),
	 .check = check_no_x},
	{.key = "on", .type = AG3_YW_BOOL, .dflt = true, .off = offsetof(struct conf, on)},
	{.key = "count",
	 .type = AG3_YW_UINT,
	 .flags = AG3_YW_UNLIMITED_ZERO,
	 .min = 1,
	 .max = 10,
	 .dflt = 3,
	 .off = offsetof(struct conf, count)},
	{.key = "size",
	 .type = AG3_YW_SIZE,
	 .min = 1024,
	 .max = 1ull << 30,
	 .dflt = 4096,
	 .off = offsetof(struct conf, size)},
	{.key = "color",
	 .type = AG3_YW_ENUM,
	 .names = colors,
	 .dflt = 2,
	 .off = offsetof(struct conf, color)},
	{.key = "tags",
	 .type = AG3_YW_STRLIST,
	 .max = 3,
	 .dflt_list = tag_default,
	 .off = offsetof(struct conf, tags)},
	{.key = "inner",
	 .type = AG3_YW_SECTION,
	 .flags = AG3_YW_NULL_UNSETS,
	 .sub = &inner_map,
	 .off = offsetof(struct conf, inner)},
	{.key = "list",
	 .type = AG3_YW_SEQ,
	 .sub = &item_map,
	 .item_size = sizeof(struct item),
	 .fn = item_init,
	 .max = 2,
	 .what = "a list of items",
	 .items = "items",
	 .off = offsetof(struct conf, list)},
	{.key = "twice", .type = AG3_YW_FN, .fn = fn_twice, .off = offsetof(struct conf, twice)},
	{0},
};
static const struct ag3_yw_map conf_map = {conf_rows, .hint = hint};
static const struct ag3_yw_map conf_table_map = {conf_rows, AG3_YW_TABLE_ORDER, .hint = hint};

static void conf_free(struct conf *c)
{
	free(c->name.v);
	ag3_pstrlist_clear(&c->tags);
	free(c->inner.label.v);
	for (size_t i = 0; i < c->list.n; i++) {
		free(c->list.items[i].key);
		free(c->list.items[i].id.v);
	}
	free(c->list.items);
}

/* Walks `yaml` with `map`: 0 or the error (message and place in *e). */
static int walk(const char *yaml, const struct ag3_yw_map *map, struct conf *out,
		struct ag3_error **e)
{
	_cleanup_(ag3_yaml_doc_freep) struct ag3_yaml_doc *doc = NULL;
	int r = ag3_yaml_parse("w.yaml", yaml, strlen(yaml), &doc, e);
	cr_assert_eq(r, 0, "the test YAML does not parse");
	memset(out, 0, sizeof(*out));
	cr_assert_eq(ag3_yw_defaults(out, map), 0);
	struct ag3_lctx c = {.file = "w.yaml", .reterr = e};
	return ag3_yw_map(&c, doc->root, out, map);
}

static void walk_fail(const char *yaml, const struct ag3_yw_map *map, unsigned line, unsigned col,
		      const char *msg)
{
	struct conf out;
	struct ag3_error *e = NULL;
	int r = walk(yaml, map, &out, &e);
	conf_free(&out);
	cr_assert_eq(r, -EINVAL, "expected an error '%s'", msg);
	cr_assert_not_null(e);
	cr_assert_str_eq(e->msg, msg);
	cr_assert_str_eq(e->file, "w.yaml");
	cr_assert_eq(e->line, line, "line %u != %u for '%s'", e->line, line, msg);
	cr_assert_eq(e->col, col, "col %u != %u for '%s'", e->col, col, msg);
	ag3_error_free(e);
}

Test(yamlwalk, reads_every_row_type)
{
	struct conf c;
	struct ag3_error *e = NULL;
	int r = walk(
		"name: n1\non: false\ncount: 5\nsize: 2K\ncolor: green\ntags: [x, y]\n"
		"inner: {deep: true}\nlist:\n  - id: i0\n  - {id: i1, weight: 42}\ntwice: 21\n",
		&conf_map, &c, &e);
	cr_assert_eq(r, 0);
	cr_assert_str_eq(c.name.v, "n1");
	cr_assert_eq(c.on.v, false);
	cr_assert_eq(c.count.v, 5);
	cr_assert_eq(c.size.v, 2048);
	cr_assert_eq(c.color.v, 1);
	cr_assert_eq(c.tags.n, 2);
	cr_assert_str_eq(c.tags.items[1].v, "y");
	cr_assert(c.tags.items[1].meta.set);
	cr_assert_eq(c.tags.items[1].meta.loc.line, 6);
	cr_assert(c.inner.meta.set);
	cr_assert(c.inner.deep.v);
	cr_assert_str_eq(c.inner.label.v, "none"); /* the section's default */
	cr_assert_eq(c.list.n, 2);
	cr_assert_str_eq(c.list.items[0].key, "list[0]"); /* the SEQ init saw the key path */
	cr_assert_eq(c.list.items[0].weight.v, 7);        /* the item's default */
	cr_assert_eq(c.list.items[1].weight.v, 42);
	cr_assert_eq(c.list.items[1].meta.loc.line, 10);
	cr_assert_eq(c.twice.v, 42);
	/* where each key was */
	cr_assert(c.count.meta.set);
	cr_assert_eq(c.count.meta.loc.key_line, 3);
	cr_assert_eq(c.count.meta.loc.key_col, 1);
	cr_assert_eq(c.count.meta.loc.col, 8);
	conf_free(&c);
}

Test(yamlwalk, defaults_and_null)
{
	struct conf c;
	struct ag3_error *e = NULL;
	cr_assert_eq(walk("name: n\ninner: null\n", &conf_map, &c, &e), 0);
	cr_assert_eq(c.on.v, true);
	cr_assert_eq(c.count.v, 3);
	cr_assert_eq(c.size.v, 4096);
	cr_assert_eq(c.color.v, 2);
	cr_assert_eq(c.tags.n, 2);
	cr_assert_not(c.tags.meta.set);
	cr_assert_not(c.inner.meta.set); /* NULL_UNSETS: null counts as absent */
	cr_assert_str_eq(c.inner.label.v, "none");
	cr_assert_eq(c.list.n, 0);
	conf_free(&c);

	/* a null list is [] (the row has no NULL_DEFAULT); null keeps an item's default */
	cr_assert_eq(
		walk("name: n\ntags: null\nlist: [{id: a, weight: null}]\n", &conf_map, &c, &e), 0);
	cr_assert_eq(c.tags.n, 0);
	cr_assert(c.tags.meta.set);
	cr_assert_eq(c.list.items[0].weight.v, 7);
	conf_free(&c);

	/* unlimited means 0 on a row that says so */
	cr_assert_eq(walk("name: n\ncount: unlimited\n", &conf_map, &c, &e), 0);
	cr_assert_eq(c.count.v, 0);
	conf_free(&c);
}

Test(yamlwalk, value_errors)
{
	walk_fail("name: n\non: yes\n", &conf_map, 2, 5,
		  "on: expected true or false, got 'yes' (YAML 1.1 booleans like yes/no/on/off are "
		  "ambiguous: write true or false)");
	walk_fail("name: n\non: null\n", &conf_map, 2, 5, "on: expected true or false, got null");
	walk_fail("name: n\ncount: 11\n", &conf_map, 2, 8, "count: 11 is out of range (1..10)");
	walk_fail("name: n\ncount: 010\n", &conf_map, 2, 8,
		  "count: '010' is ambiguous: YAML 1.1 reads a leading 0 as octal (write 0o10 or "
		  "drop the 0)");
	walk_fail("name: n\ncount: -1\n", &conf_map, 2, 8, "count: -1 is out of range");
	walk_fail(
		"name: n\nsize: 12Q\n", &conf_map, 2, 7,
		"size: expected a size (bytes, or a number with a K, M, G or T suffix), got '12Q'");
	walk_fail("name: n\nsize: 1\n", &conf_map, 2, 7,
		  "size: 1 bytes is out of range (1024..1073741824 bytes)");
	walk_fail("name: n\ncolor: gren\n", &conf_map, 2, 8,
		  "color: expected one of red, green, blue, got 'gren' (did you mean 'green'?)");
	walk_fail("name: n\ncolor: Green\n", &conf_map, 2, 8,
		  "color: expected one of red, green, blue, got 'Green' (did you mean 'green'?)");
	walk_fail("name: ''\n", &conf_map, 1, 7, "name: expected a non-empty string");
	walk_fail("name: true\n", &conf_map, 1, 7,
		  "name: expected a string, got the boolean true (quote it if you mean the text)");
	walk_fail("name: box\n", &conf_map, 1, 7, "name: no x here"); /* the row's check */
	walk_fail("name: n\ntags: [a, [b]]\n", &conf_map, 2, 11,
		  "tags[1]: expected a string, got a sequence");
	walk_fail("name: n\ntwice: many\n", &conf_map, 2, 8,
		  "twice: expected a small number, got 'many'");
	walk_fail("name: n\ninner: 3\n", &conf_map, 2, 8, "inner: expected a mapping, got 3");
	walk_fail("name: n\ninner: {deep: 1}\n", &conf_map, 2, 15,
		  "inner.deep: expected true or false, got 1");
	walk_fail("name: n\nlist: [3]\n", &conf_map, 2, 8, "list[0]: expected an item, got 3");
	walk_fail("name: n\nlist: [{id: a, weight: 100}]\n", &conf_map, 2, 24,
		  "list[0].weight: expected an integer from 1 to 99, got 100");
	walk_fail("name: n\nlist: [{id: ''}]\n", &conf_map, 2, 13,
		  "list[0].id: expected an id, got an empty string");
	walk_fail("name: n\nlist: [{id: a, weight: 13}]\n", &conf_map, 2, 8,
		  "list[0]: unlucky"); /* a check row */
}

Test(yamlwalk, lists_are_bounded)
{
	walk_fail("name: n\ntags: [a, b, c, d]\n", &conf_map, 2, 7, "tags: more than 3 items");
	walk_fail("name: n\nlist: [{id: a}, {id: b}, {id: c}]\n", &conf_map, 2, 7,
		  "list: more than 2 items");
	walk_fail("name: n\ntags: a\n", &conf_map, 2, 7,
		  "tags: expected a list of strings, got 'a'");
}

Test(yamlwalk, unknown_and_missing_keys)
{
	/* a did-you-mean first, then the map's hint, else the valid keys */
	walk_fail("name: n\ncolour: red\n", &conf_map, 2, 1,
		  "unknown top-level key 'colour' (did you mean 'color'?)");
	walk_fail("name: n\nelsewhere: 1\n", &conf_map, 2, 1,
		  "unknown top-level key 'elsewhere': it lives elsewhere");
	walk_fail("name: n\nzzzzzz: 1\n", &conf_map, 2, 1,
		  "unknown top-level key 'zzzzzz' (valid keys here: name, on, count, size, color, "
		  "tags, inner, list, twice)");
	walk_fail("name: n\ninner: {deeper: 1}\n", &conf_map, 2, 9,
		  "inner: unknown key 'deeper' (did you mean 'deep'?)");
	walk_fail("on: true\n", &conf_map, 1, 1, "missing required key 'name'");
	walk_fail("name: n\nlist: [{weight: 3}]\n", &conf_map, 2, 8,
		  "list[0]: missing required key 'id'");
}

Test(yamlwalk, reading_order)
{
	/* document order: the first bad key in the file */
	walk_fail("count: 99\nname: n\ncolour: red\n", &conf_map, 1, 8,
		  "count: 99 is out of range (1..10)");
	/* table order: every key is checked first, then the rows in their order */
	walk_fail("count: 99\nname: n\ncolour: red\n", &conf_table_map, 3, 1,
		  "unknown top-level key 'colour' (did you mean 'color'?)");
	walk_fail("color: pink\ncount: 99\nname: n\n", &conf_table_map, 2, 8,
		  "count: 99 is out of range (1..10)");
	walk_fail("count: 1\n", &conf_table_map, 1, 1, "missing required key 'name'");
}

Test(yamlwalk, find_key_for_hints)
{
	char where[64] = "";
	cr_assert_eq(ag3_yw_find_key(&conf_map, "deep", "", where, sizeof(where)), 1);
	cr_assert_str_eq(where, "inner");
	where[0] = 0;
	cr_assert_eq(ag3_yw_find_key(&conf_map, "name", "", where, sizeof(where)), 0);
	cr_assert_str_eq(where, "");
}

Test(yamlwalk, parse_size)
{
	uint64_t v;
	cr_assert_eq(ag3_parse_size("16M", &v), 0);
	cr_assert_eq(v, 16ull << 20);
	cr_assert_eq(ag3_parse_size("1GiB", &v), 0);
	cr_assert_eq(v, 1ull << 30);
	cr_assert_eq(ag3_parse_size("100B", &v), 0);
	cr_assert_eq(v, 100);
	cr_assert_eq(ag3_parse_size("99999999999999999999", &v), -ERANGE);
	cr_assert_eq(ag3_parse_size("16000000000000E", &v), -ERANGE);
	cr_assert_eq(ag3_parse_size("M", &v), -EINVAL);
	cr_assert_eq(ag3_parse_size("1MX", &v), -EINVAL);
}
