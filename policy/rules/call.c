/* SPDX-License-Identifier: MIT */
/*
 * Tool calls: tool names (normalized, their parameter map, which get the
 * shell and the path matchers) and the call itself, from the SDK's JSON
 * input or a call string.
 */
#include "internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MCP_PREFIX "mcp__ag3ntum__"
#define AG3_PREFIX "Ag3ntum"
#define JSON_MAX (1u << 20) /* bytes of a tool input */

/* ------------------------------------------------------------- names -- */

char *ag3_tool_name_normalize(const char *name)
{
	char *s = NULL;
	size_t n = strlen(MCP_PREFIX);
	if (!strncmp(name, MCP_PREFIX, n))
		return asprintf(&s, AG3_PREFIX "%s", name + n) < 0 ? NULL : s;
	return strdup(name);
}

static const struct {
	const char *name;
	const char *keys[3];
} param_map[] = {
	/* the platform's TOOL_PARAM_MAP */
	{"Read", {"file_path", "path", NULL}},
	{"Write", {"file_path", "path", NULL}},
	{"Edit", {"file_path", "path", NULL}},
	{"MultiEdit", {"file_path", "path", NULL}},
	{"Glob", {"path", "cwd", NULL}},
	{"Grep", {"path", "file", NULL}},
	{"LS", {"path", "dir", NULL}},
	{"Bash", {"command", NULL, NULL}},
	{"Ag3ntumBash", {"command", NULL, NULL}},
	{"WebFetch", {"url", NULL, NULL}},
	{"WebSearch", {"query", NULL, NULL}},
	/* ours: the Ag3ntum tools that replace the native ones carry the same value */
	{"Ag3ntumRead", {"file_path", "path", NULL}},
	{"Ag3ntumReadDocument", {"file_path", "path", NULL}},
	{"Ag3ntumWrite", {"file_path", "path", NULL}},
	{"Ag3ntumEdit", {"file_path", "path", NULL}},
	{"Ag3ntumMultiEdit", {"file_path", "path", NULL}},
	{"Ag3ntumGlob", {"path", "cwd", NULL}},
	{"Ag3ntumGrep", {"path", "file", NULL}},
	{"Ag3ntumLS", {"path", "dir", NULL}},
	{"Ag3ntumWebFetch", {"url", NULL, NULL}},
};

const char *const *ag3_tool_param_keys(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(param_map); i++)
		if (!strcmp(param_map[i].name, name))
			return param_map[i].keys;
	return NULL;
}

bool ag3_tool_is_shell(const char *name)
{
	return !strcmp(name, "Bash") || !strcmp(name, "Ag3ntumBash");
}

bool ag3_tool_is_path(const char *name)
{
	static const char *const path_tools[] = {"Read", "Write", "Edit", "MultiEdit",
						 "Glob", "Grep",  "LS",   "ReadDocument"};
	if (!strncmp(name, AG3_PREFIX, strlen(AG3_PREFIX)))
		name += strlen(AG3_PREFIX);
	for (size_t i = 0; i < ELEMENTSOF(path_tools); i++)
		if (!strcmp(path_tools[i], name))
			return true;
	return false;
}

/* -------------------------------------------------------------- calls -- */

void ag3_tool_call_clear(struct ag3_tool_call *c)
{
	free(c->tool);
	free(c->name);
	free(c->arg);
	*c = (struct ag3_tool_call){0};
}

/* Python's truthiness of a JSON value. */
static bool json_truthy(const cJSON *v)
{
	if (cJSON_IsTrue(v))
		return true;
	if (cJSON_IsNumber(v))
		return v->valuedouble != 0;
	if (cJSON_IsString(v))
		return v->valuestring && v->valuestring[0];
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		return v->child != NULL;
	return false;
}

/* A value as the platform's f-string would show it (close enough for non-strings). */
static char *json_text(const cJSON *v)
{
	if (cJSON_IsString(v))
		return strdup(v->valuestring ? v->valuestring : "");
	if (cJSON_IsNull(v))
		return strdup("");
	if (cJSON_IsBool(v))
		return strdup(cJSON_IsTrue(v) ? "True" : "False");
	return cJSON_PrintUnformatted(v);
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ag3_tool_call_from_json(const char *tool, const char *json, size_t len,
			    struct ag3_tool_call *ret, struct ag3_error **reterr)
{
	struct ag3_tool_call c = {0};
	const char *end = NULL;
	cJSON *in = NULL;
	int r = 0;

	if (!tool || !*tool)
		return ag3_error_set(reterr, EINVAL, "the tool name is empty");
	if (len > JSON_MAX)
		return ag3_error_set(reterr, E2BIG, "the tool input is larger than %u bytes",
				     JSON_MAX);
	if (memchr(json, '\0', len))
		return ag3_error_set(reterr, EINVAL, "the tool input holds a NUL byte");
	/* A \u0000 escape would end the C string early: `ls\u0000; rm x` checked as `ls`. */
	for (size_t i = 0; i + 1 < len; i++)
		if (json[i] == '\\') {
			if (json[i + 1] == 'u' && i + 5 < len &&
			    !strncasecmp(json + i + 2, "0000", 4))
				return ag3_error_set(
					reterr, EINVAL,
					"the tool input holds a NUL character (\\u0000 "
					"at byte %zu): it cannot be checked",
					i);
			i++;
		}
	in = cJSON_ParseWithLengthOpts(json, len, &end, false);
	if (!in) {
		size_t at = end && end >= json ? (size_t)(end - json) : 0;
		return ag3_error_set(reterr, EINVAL,
				     "the tool input is not valid JSON (at byte %zu)", at);
	}
	for (; end && (size_t)(end - json) < len; end++)
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			r = ag3_error_set(reterr, EINVAL,
					  "the tool input has text after the JSON value (at byte "
					  "%zu)",
					  (size_t)(end - json));
			goto out;
		}
	if (!cJSON_IsObject(in)) {
		r = ag3_error_set(reterr, EINVAL, "the tool input must be a JSON object");
		goto out;
	}
	size_t n = 0;
	for (const cJSON *it = in->child; it; it = it->next)
		n++;
	if (n > 1) {
		const char **keys = malloc(n * sizeof(*keys));
		if (!keys) {
			r = ag3_error_set(reterr, ENOMEM, "out of memory");
			goto out;
		}
		size_t i = 0;
		for (const cJSON *it = in->child; it; it = it->next)
			keys[i++] = it->string ? it->string : "";
		qsort(keys, n, sizeof(*keys), key_cmp);
		for (i = 1; i < n && r == 0; i++)
			if (!strcmp(keys[i - 1], keys[i]))
				r = ag3_error_set(reterr, EINVAL,
						  "the tool input has the key '%.64s' twice",
						  keys[i]);
		free(keys);
		if (r < 0)
			goto out;
	}
	if (!(c.tool = strdup(tool)) || !(c.name = ag3_tool_name_normalize(tool)))
		goto oom;
	c.bypass_attempt =
		json_truthy(cJSON_GetObjectItemCaseSensitive(in, "dangerouslyDisableSandbox"));
	const char *const *keys = ag3_tool_param_keys(c.name);
	if (keys) {
		const cJSON *v = NULL;
		for (size_t i = 0; keys[i] && !v; i++)
			v = cJSON_GetObjectItemCaseSensitive(in, keys[i]);
		if (!(c.arg = v ? json_text(v) : strdup("")))
			goto oom;
	}
	cJSON_Delete(in);
	*ret = c;
	return 0;
oom:
	r = ag3_error_set(reterr, ENOMEM, "out of memory");
out:
	cJSON_Delete(in);
	ag3_tool_call_clear(&c);
	return r;
}

int ag3_tool_call_parse(const char *text, struct ag3_tool_call *ret, struct ag3_error **reterr)
{
	struct ag3_tool_call c = {0};
	const char *open = strchr(text, '(');
	size_t len = strlen(text), nlen = open ? (size_t)(open - text) : len;

	if (!nlen)
		return ag3_error_set(reterr, EINVAL,
				     "'%.64s' is not a tool call (Name or Name(value))", text);
	for (size_t i = 0; i < nlen; i++) {
		char ch = text[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return ag3_error_set(
				reterr, EINVAL,
				"'%.64s' is not a tool call: the name may hold letters, "
				"digits, '_', '-' and '.'",
				text);
	}
	if (open && text[len - 1] != ')')
		return ag3_error_set(reterr, EINVAL, "'%.64s' is not a tool call: no closing ')'",
				     text);
	if (open && len - nlen - 2 > AG3_RULES_MAX_INPUT)
		return ag3_error_set(reterr, E2BIG, "the call's value is longer than %u bytes",
				     AG3_RULES_MAX_INPUT);
	if (!(c.tool = strndup(text, nlen)) || !(c.name = ag3_tool_name_normalize(c.tool)) ||
	    (open && !(c.arg = strndup(open + 1, len - nlen - 2)))) {
		ag3_tool_call_clear(&c);
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	}
	*ret = c;
	return 0;
}

char *ag3_tool_call_string(const struct ag3_tool_call *c)
{
	char *s = NULL;
	if (!c->arg)
		return strdup(c->name);
	return asprintf(&s, "%s(%s)", c->name, c->arg) < 0 ? NULL : s;
}
