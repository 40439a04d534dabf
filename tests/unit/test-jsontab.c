/* SPDX-License-Identifier: MIT */
/*
 * The descriptor-table JSON codec (runtime/jsontab.c) on a small struct of its
 * own: every field type, defaults, ranges, exact integers, required, nullable,
 * secret, inline arrays, check hooks, the error paths, and the writer's
 * format (compact and pretty) and escaping.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/jsontab.h"

struct item {
	char *name;
	uint64_t big;
	bool secret;
};

struct pair {
	uint16_t a;
	int b;
};

enum color { RED, GREEN, BLUE, _COLOR_MAX };

struct thing {
	bool on;
	uint8_t small;
	uint32_t mid;
	bool id_set;
	uint32_t id;
	uint64_t lim;
	int count;
	char *label;
	char *note;
	enum color color;
	struct {
		bool x;
	} sub;
	struct item *items;
	size_t n_items;
	uint16_t *ports;
	size_t n_ports;
	struct pair pairs[2];
	size_t n_pairs;
};

static const char *color_name(int v)
{
	static const char *const names[] = {"red", "green", "blue"};
	return v >= 0 && v < _COLOR_MAX ? names[v] : NULL;
}

static int check_name(struct ag3_jt_dec *d, const void *obj, const void *array, size_t index)
{
	const struct item *it = obj, *all = array;
	for (size_t j = 0; j < index; j++)
		if (strcmp(all[j].name, it->name) == 0)
			return ag3_jt_fail(d, "'%s' twice", it->name);
	return 0;
}

typedef __typeof__(((struct thing *)0)->sub) sub_t;
static const struct ag3_jt_field sub_fields[] = {
	{.name = "x", .type = AG3_JT_BOOL, .offset = offsetof(sub_t, x)},
};
static const struct ag3_jt_table sub_table = AG3_JT_TABLE(sub_fields, sub_t);

static const struct ag3_jt_field item_fields[] = {
	{.name = "name",
	 .type = AG3_JT_STRING,
	 .flags = AG3_JT_REQUIRED | AG3_JT_SECRET,
	 .offset = offsetof(struct item, name),
	 .flag_offset = offsetof(struct item, secret),
	 .check = check_name},
	{.name = "big",
	 .type = AG3_JT_UINT,
	 .offset = offsetof(struct item, big),
	 .size = 8,
	 .max = UINT64_MAX,
	 .def = 7},
	{.name = "secret", .type = AG3_JT_BOOL, .offset = offsetof(struct item, secret)},
};
static const struct ag3_jt_table item_table = AG3_JT_TABLE(item_fields, struct item);
static const struct ag3_jt_field item_elem = {.type = AG3_JT_OBJECT, .sub = &item_table};

static const struct ag3_jt_field pair_fields[] = {
	{.name = "a",
	 .type = AG3_JT_UINT,
	 .offset = offsetof(struct pair, a),
	 .size = 2,
	 .max = 1000,
	 .min = 10,
	 .def = 10},
	{.name = "b", .type = AG3_JT_INT, .offset = offsetof(struct pair, b), .max = INT_MAX},
};
static const struct ag3_jt_table pair_table = AG3_JT_TABLE(pair_fields, struct pair);
static const struct ag3_jt_field pair_elem = {.type = AG3_JT_OBJECT, .sub = &pair_table};
static const struct ag3_jt_field port_elem = {.type = AG3_JT_UINT, .size = 2, .max = UINT16_MAX};

static const struct ag3_jt_field thing_fields[] = {
	{.name = "kind", .type = AG3_JT_CONST, .text = "thing/1"},
	{.name = "on", .type = AG3_JT_BOOL, .offset = offsetof(struct thing, on)},
	{.name = "small",
	 .type = AG3_JT_UINT,
	 .offset = offsetof(struct thing, small),
	 .size = 1,
	 .max = 200},
	{.name = "mid",
	 .type = AG3_JT_UINT,
	 .offset = offsetof(struct thing, mid),
	 .size = 4,
	 .max = UINT32_MAX},
	{.name = "id",
	 .type = AG3_JT_UINT,
	 .flags = AG3_JT_NULLABLE,
	 .offset = offsetof(struct thing, id),
	 .size = 4,
	 .max = UINT32_MAX - 1,
	 .flag_offset = offsetof(struct thing, id_set)},
	{.name = "lim",
	 .type = AG3_JT_UINT,
	 .offset = offsetof(struct thing, lim),
	 .size = 8,
	 .max = UINT64_MAX,
	 .text = "unlimited"},
	{.name = "count",
	 .type = AG3_JT_INT,
	 .offset = offsetof(struct thing, count),
	 .max = INT_MAX},
	{.name = "label", .type = AG3_JT_STRING, .offset = offsetof(struct thing, label)},
	{.name = "note",
	 .type = AG3_JT_STRING,
	 .flags = AG3_JT_NULLABLE,
	 .offset = offsetof(struct thing, note)},
	{.name = "color",
	 .type = AG3_JT_ENUM,
	 .offset = offsetof(struct thing, color),
	 .enum_name = color_name,
	 .enum_max = _COLOR_MAX},
	{.name = "sub",
	 .type = AG3_JT_OBJECT,
	 .offset = offsetof(struct thing, sub),
	 .sub = &sub_table},
	{.name = "items",
	 .type = AG3_JT_ARRAY,
	 .flags = AG3_JT_DECODE_LAST,
	 .offset = offsetof(struct thing, items),
	 .size = sizeof(struct item),
	 .count_offset = offsetof(struct thing, n_items),
	 .elem = &item_elem},
	{.name = "ports",
	 .type = AG3_JT_ARRAY,
	 .offset = offsetof(struct thing, ports),
	 .size = sizeof(uint16_t),
	 .count_offset = offsetof(struct thing, n_ports),
	 .elem = &port_elem},
	{.name = "pairs",
	 .type = AG3_JT_ARRAY,
	 .flags = AG3_JT_INLINE,
	 .offset = offsetof(struct thing, pairs),
	 .size = sizeof(struct pair),
	 .count_offset = offsetof(struct thing, n_pairs),
	 .elem = &pair_elem,
	 .max_items = 2,
	 .items_name = "pairs"},
};
static const struct ag3_jt_table thing_table = AG3_JT_TABLE(thing_fields, struct thing);

/* Decodes `json` into `t` (which the caller set up); 0 or the error's message in *msg. */
static int decode(const char *json, struct thing *t, char **msg)
{
	struct ag3_error *e = NULL;
	struct ag3_jt_doc doc;
	int r = ag3_jt_parse(json, strlen(json), NULL, &doc, &e);
	if (r >= 0) {
		struct ag3_jt_dec d = {.doc = &doc, .reterr = &e};
		r = ag3_jt_decode(&d, doc.root, &thing_table, t);
	}
	ag3_jt_doc_done(&doc);
	if (r < 0) {
		cr_assert_not_null(e);
		*msg = strdup(e->msg);
		ag3_error_free(e);
	} else {
		cr_assert_null(e);
	}
	return r;
}

static void expect_error(const char *json, const char *want)
{
	struct thing t = {0};
	char *msg = NULL;
	cr_assert_eq(decode(json, &t, &msg), -EINVAL, "accepted: %s", json);
	cr_expect_str_eq(msg, want, "for %s", json);
	free(msg);
	ag3_jt_free(&thing_table, &t);
}

static char *encode(const struct thing *t, unsigned flags)
{
	struct ag3_jw w = {.flags = flags};
	char *out = NULL;
	ag3_jw_open(&w, '{');
	ag3_jw_fields(&w, &thing_table, t);
	ag3_jw_close(&w);
	cr_assert_eq(ag3_jw_finish(&w, &out), 0);
	return out;
}

#define FULL                                                                                       \
	"{\"kind\":\"thing/1\",\"on\":true,\"small\":200,\"mid\":4294967295,\"id\":5,"             \
	"\"lim\":\"unlimited\",\"count\":3,\"label\":\"a\\\"\\\\\\n\\u0001\xc3\xa9\","             \
	"\"note\":null,\"color\":\"blue\",\"sub\":{\"x\":true},"                                   \
	"\"items\":[{\"name\":\"k\",\"big\":18446744073709551615,\"secret\":true},"                \
	"{\"name\":\"j\",\"big\":7,\"secret\":false}],\"ports\":[1,65535],"                        \
	"\"pairs\":[{\"a\":10,\"b\":0},{\"a\":1000,\"b\":2147483647}]}"

Test(jsontab, round_trip_is_byte_identical)
{
	struct thing t = {0};
	char *msg = NULL;
	cr_assert_eq(decode(FULL, &t, &msg), 0, "%s", msg);
	cr_expect(t.on);
	cr_expect_eq(t.small, 200);
	cr_expect_eq(t.mid, UINT32_MAX);
	cr_expect(t.id_set);
	cr_expect_eq(t.id, 5);
	cr_expect_eq(t.lim, UINT64_MAX);
	cr_expect_eq(t.color, BLUE);
	cr_expect(t.sub.x);
	cr_assert_eq(t.n_items, 2);
	cr_expect_eq(t.items[0].big, UINT64_MAX, "exact, not through a double");
	cr_expect_eq(t.items[1].big, 7, "an element's default when the field is absent");
	cr_assert_eq(t.n_ports, 2);
	cr_expect_eq(t.ports[1], 65535);
	cr_assert_eq(t.n_pairs, 2);
	cr_expect_eq(t.pairs[1].b, INT_MAX);
	char *out = encode(&t, 0);
	cr_expect_str_eq(out, FULL);
	free(out);
	ag3_jt_free(&thing_table, &t);
	cr_expect_null(t.items);
	cr_expect_eq(t.n_items, 0);
}

Test(jsontab, input_json_with_default_element_written_out)
{
	struct thing t = {0};
	char *msg = NULL;
	cr_assert_eq(decode("{\"items\":[{\"name\":\"q\"}],\"pairs\":[{}]}", &t, &msg), 0, "%s",
		     msg);
	cr_expect_eq(t.items[0].big, 7);
	cr_expect_eq(t.pairs[0].a, 10);
	ag3_jt_free(&thing_table, &t);
}

Test(jsontab, pretty_and_redacted)
{
	char secret[] = "s3cr3t", l[] = "l";
	struct item items[] = {{.name = secret, .big = 1, .secret = true}};
	struct thing t = {.label = l, .items = items, .n_items = 1, .id_set = false, .lim = 9};
	char *out = encode(&t, AG3_JW_PRETTY | AG3_JW_REDACT);
	cr_expect_str_eq(out, "{\n"
			      "  \"kind\": \"thing/1\",\n"
			      "  \"on\": false,\n"
			      "  \"small\": 0,\n"
			      "  \"mid\": 0,\n"
			      "  \"id\": null,\n"
			      "  \"lim\": 9,\n"
			      "  \"count\": 0,\n"
			      "  \"label\": \"l\",\n"
			      "  \"note\": null,\n"
			      "  \"color\": \"red\",\n"
			      "  \"sub\": {\n"
			      "    \"x\": false\n"
			      "  },\n"
			      "  \"items\": [\n"
			      "    {\n"
			      "      \"name\": \"<redacted>\",\n"
			      "      \"big\": 1,\n"
			      "      \"secret\": true\n"
			      "    }\n"
			      "  ],\n"
			      "  \"ports\": [],\n"
			      "  \"pairs\": []\n"
			      "}");
	free(out);
}

Test(jsontab, decode_errors_name_the_path)
{
	expect_error("{\"kind\":\"thing/2\"}",
		     "kind: 'thing/2' is not supported (expected 'thing/1')");
	expect_error("{\"on\":1}", "on: expected a boolean, got a number");
	expect_error("{\"small\":201}", "small: 201 is out of range (0..200)");
	expect_error("{\"small\":1.0}", "small: expected an integer, got 1.0");
	expect_error("{\"small\":-1}", "small: expected a non-negative integer, got -1");
	expect_error("{\"mid\":99999999999999999999}",
		     "mid: 99999999999999999999 is out of range (0..4294967295)");
	expect_error("{\"id\":\"x\"}", "id: expected an integer or null, got a string");
	expect_error("{\"id\":4294967295}", "id: 4294967295 is out of range (0..4294967294)");
	expect_error("{\"lim\":\"lots\"}",
		     "lim: expected an integer or \"unlimited\", got a string");
	expect_error("{\"label\":null}", "label: expected a string, got null");
	expect_error("{\"note\":1}", "note: expected a string or null, got a number");
	expect_error("{\"color\":\"pink\"}", "color: 'pink' is not one of: red, green, blue");
	expect_error("{\"sub\":[]}", "sub: expected an object, got an array");
	expect_error("{\"sub\":{\"yyy\":1}}", "sub.yyy: unknown field (known fields: x)");
	expect_error("{\"colour\":1}", "colour: unknown field (did you mean 'color'?)");
	expect_error("{\"on\":true,\"on\":false}", "on: duplicate key");
	expect_error("{\"items\":[{\"big\":1}]}", "items[0].name: missing (a required field)");
	expect_error("{\"items\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", "items[1].name: 'a' twice");
	expect_error("{\"ports\":[1,65536]}", "ports[1]: 65536 is out of range (0..65535)");
	expect_error("{\"pairs\":[{},{},{}]}", "pairs: more than 2 pairs");
	expect_error("{\"pairs\":[{\"a\":9}]}", "pairs[0].a: 9 is out of range (10..1000)");
	/* DECODE_LAST: items is read after the fields that follow it */
	expect_error("{\"items\":5,\"ports\":5}", "ports: expected an array, got a number");
}

Test(jsontab, parse_errors_carry_the_position)
{
	struct ag3_error *e = NULL;
	struct ag3_jt_doc doc;
	cr_assert_eq(ag3_jt_parse("{\n \"a\": tru }", 13, "f.json", &doc, &e), -EINVAL);
	cr_expect_str_eq(e->file, "f.json");
	cr_expect_eq(e->line, 2);
	ag3_error_free(e);
	ag3_jt_doc_done(&doc);
	e = NULL;
	cr_assert_eq(ag3_jt_parse("[\"\\u0000\"]", 10, NULL, &doc, &e), -EINVAL);
	cr_expect(strstr(e->msg, "\\u0000") != NULL, "%s", e->msg);
	ag3_error_free(e);
	ag3_jt_doc_done(&doc);
}

Test(jsontab, writer_refuses_what_it_cannot_write)
{
	char x[] = "x";
	struct ag3_error *e = NULL;
	struct thing t = {.label = NULL};
	struct ag3_jw w = {.reterr = &e};
	char *out = NULL;
	ag3_jw_open(&w, '{');
	ag3_jw_fields(&w, &thing_table, &t);
	ag3_jw_close(&w);
	cr_expect_eq(ag3_jw_finish(&w, &out), -EINVAL);
	cr_expect_null(out);
	cr_expect_str_eq(e->msg, "label: missing (NULL)");
	ag3_error_free(e);

	e = NULL;
	t = (struct thing){.label = x, .count = -1};
	w = (struct ag3_jw){.reterr = &e};
	ag3_jw_open(&w, '{');
	ag3_jw_fields(&w, &thing_table, &t);
	cr_expect_eq(ag3_jw_finish(&w, &out), -EINVAL);
	cr_expect_str_eq(e->msg, "count: -1 is negative");
	ag3_error_free(e);

	e = NULL;
	t = (struct thing){.label = x, .color = (enum color)7};
	w = (struct ag3_jw){.reterr = &e};
	ag3_jw_open(&w, '{');
	ag3_jw_fields(&w, &thing_table, &t);
	cr_expect_eq(ag3_jw_finish(&w, &out), -EINVAL);
	cr_expect_str_eq(e->msg, "color: invalid value 7");
	ag3_error_free(e);
}

Test(jsontab, text_replaces_invalid_utf8_and_escapes)
{
	static const char raw[] = "a\0\"\\\x01\x7f\xff\xed\xa0\x80\xe2\x82\xac";
	struct ag3_jw w = {0};
	char *out = NULL;
	ag3_jw_text(&w, raw, sizeof(raw) - 1);
	cr_assert_eq(ag3_jw_finish(&w, &out), 0);
	cr_expect_str_eq(out,
			 "\"a\xef\xbf\xbd\\\"\\\\\\u0001\x7f\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
			 "\xef\xbf\xbd\xe2\x82\xac\"");
	cr_expect_eq(ag3_jw_text_len(raw, sizeof(raw) - 1), strlen(out) - 2);
	free(out);
}

Test(jsontab, doubles_print_as_cjson_does)
{
	const double vals[] = {0, 3, -7, 12.345, 0.1, 1e300, 2147483648.0, 1.0 / 3};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct ag3_jw w = {0};
		char *out = NULL, *want;
		cJSON *n = cJSON_CreateNumber(vals[i]);
		want = cJSON_PrintUnformatted(n);
		ag3_jw_double(&w, vals[i]);
		cr_assert_eq(ag3_jw_finish(&w, &out), 0);
		cr_expect_str_eq(out, want, "for %g", vals[i]);
		free(out);
		free(want);
		cJSON_Delete(n);
	}
}
