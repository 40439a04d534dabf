/* SPDX-License-Identifier: MIT */
/*
 * Tool-permission rules: call strings, the matcher (globs, paths, the
 * shell-aware command splitter), the decision, denial messages and interrupt
 * counting. See rules.h for what differs from the platform and why.
 */
#include "rules.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdint.h>
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

const char *ag3_decision_reason_to_string(enum ag3_decision_reason r)
{
	static const char *const names[_AG3_REASON_MAX] = {
		[AG3_REASON_SANDBOX_BYPASS] = "sandbox-bypass",
		[AG3_REASON_DENY_RULE] = "deny-rule",
		[AG3_REASON_ALLOW_RULE] = "allow-rule",
		[AG3_REASON_MODE_ALLOW] = "mode-allow",
		[AG3_REASON_DEFAULT_DENY] = "default-deny",
		[AG3_REASON_UNCHECKABLE] = "uncheckable",
	};
	return (int)r >= 0 && r < _AG3_REASON_MAX ? names[r] : NULL;
}

/* ------------------------------------------------------------- rules -- */

void ag3_rule_clear(struct ag3_rule *r)
{
	free(r->pattern);
	free(r->key);
	free(r->name);
	free(r->raw_name);
	free(r->arg);
	*r = (struct ag3_rule){0};
}

int ag3_rule_parse(const char *pattern, struct ag3_rule *ret)
{
	const char *open = strchr(pattern, '(');
	size_t len = strlen(pattern);

	ret->malformed = false;
	ret->arg = NULL;
	ret->raw_name = open ? strndup(pattern, (size_t)(open - pattern)) : strdup(pattern);
	if (!ret->raw_name)
		return -ENOMEM;
	if (open) {
		size_t start = (size_t)(open - pattern) + 1, end = len;
		if (len > start && pattern[len - 1] == ')')
			end = len - 1;
		else
			ret->malformed = true;
		if (!(ret->arg = strndup(pattern + start, end - start)))
			return -ENOMEM;
	}
	ret->name = ag3_tool_name_normalize(ret->raw_name);
	return ret->name ? 0 : -ENOMEM;
}

struct ag3_rules *ag3_rules_new(int mode)
{
	struct ag3_rules *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->mode = mode;
	if (!(r->workspace = strdup(AG3_RULES_WORKSPACE))) {
		free(r);
		return NULL;
	}
	return r;
}

void ag3_rules_free(struct ag3_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_deny; i++)
		ag3_rule_clear(&r->deny[i]);
	for (size_t i = 0; i < r->n_allow; i++)
		ag3_rule_clear(&r->allow[i]);
	free(r->deny);
	free(r->allow);
	free(r->file);
	free(r->workspace);
	free(r->host_workspace);
	free(r);
}

int ag3_rules_add(struct ag3_rules *r, enum ag3_rule_list list, const char *pattern,
		  const char *key, unsigned line, unsigned col)
{
	struct ag3_rule **v = list == AG3_RULE_DENY ? &r->deny : &r->allow;
	size_t *n = list == AG3_RULE_DENY ? &r->n_deny : &r->n_allow;

	if (strlen(pattern) > AG3_RULES_MAX_PATTERN || *n >= AG3_RULES_MAX_RULES)
		return -EINVAL;
	struct ag3_rule *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	struct ag3_rule *rule = &nv[*n];
	*rule = (struct ag3_rule){.list = list, .line = line, .col = col};
	if (!(rule->pattern = strdup(pattern)) || (key && !(rule->key = strdup(key))) ||
	    ag3_rule_parse(pattern, rule) < 0) {
		ag3_rule_clear(rule);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

int ag3_rules_set_host_workspace(struct ag3_rules *r, const char *path)
{
	free(r->host_workspace);
	r->host_workspace = NULL;
	if (!path)
		return 0;
	if (path[0] != '/')
		return -EINVAL;
	return ag3_path_normalize(path, &r->host_workspace);
}

/* Replaces every "{workspace}" with "." (the platform's workspace_path). */
static char *replace_workspace(const char *s)
{
	static const char ph[] = "{workspace}";
	size_t n = 0;
	for (const char *p = strstr(s, ph); p; p = strstr(p + 1, ph))
		n++;
	char *out = malloc(strlen(s) + 1);
	if (!out)
		return NULL;
	char *w = out;
	while (*s) {
		if (n && !strncmp(s, ph, sizeof(ph) - 1)) {
			*w++ = '.';
			s += sizeof(ph) - 1;
			continue;
		}
		*w++ = *s++;
	}
	*w = '\0';
	return out;
}

static int add_list(struct ag3_rules *r, enum ag3_rule_list list, const struct ag3_pstrlist *l,
		    const char *section, bool session, struct ag3_error **reterr)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ag3_pstr *it = &l->items[i];
		_cleanup_free_ char *pat = session ? replace_workspace(it->v) : strdup(it->v);
		char key[96];
		if (!pat)
			return ag3_error_set(reterr, ENOMEM, "out of memory");
		snprintf(key, sizeof(key), "%s.%s[%zu]", section,
			 list == AG3_RULE_DENY ? "deny" : "allow", i);
		unsigned line = it->meta.loc.line ? it->meta.loc.line : it->meta.loc.key_line;
		unsigned col = it->meta.loc.line ? it->meta.loc.col : it->meta.loc.key_col;
		int k = ag3_rules_add(r, list, pat, key, line, col);
		if (k == -ENOMEM)
			return ag3_error_set(reterr, ENOMEM, "out of memory");
		if (k < 0)
			return ag3_error_set_at(reterr, EINVAL, r->file, line, col,
						"%s: a rule longer than %u bytes, or more than %u "
						"rules",
						key, AG3_RULES_MAX_PATTERN, AG3_RULES_MAX_RULES);
	}
	return 0;
}

int ag3_rules_from_profile(const struct ag3_profile *p, const struct ag3_rules_options *o,
			   struct ag3_rules **ret, struct ag3_error **reterr)
{
	_cleanup_(ag3_rules_freep) struct ag3_rules *r = ag3_rules_new(p->default_mode.v);
	bool session = o && o->session && p->session_workspace.meta.set;
	int k;

	if (!r || (p->file && !(r->file = strdup(p->file))))
		return ag3_error_set(reterr, ENOMEM, "out of memory");
	r->session = session;
	const struct ag3_pstrlist *deny =
		session ? &p->session_workspace.deny : &p->permissions.deny;
	const struct ag3_pstrlist *allow =
		session ? &p->session_workspace.allow : &p->permissions.allow;
	const char *section = session ? "session_workspace" : "permissions";
	k = add_list(r, AG3_RULE_DENY, deny, section, session, reterr);
	if (k == 0)
		k = add_list(r, AG3_RULE_ALLOW, allow, section, session, reterr);
	if (k < 0)
		return k;
	if (o && o->host_workspace) {
		k = ag3_rules_set_host_workspace(r, o->host_workspace);
		if (k < 0)
			return ag3_error_set(reterr, -k,
					     "the workspace '%s' is not an absolute path",
					     o->host_workspace);
	}
	*ret = TAKE_PTR(r);
	return 0;
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
			if (json[i + 1] == 'u' && i + 5 < len && !strncasecmp(json + i + 2, "0000", 4))
				return ag3_error_set(reterr, EINVAL,
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

/* -------------------------------------------------------------- globs -- */

/*
 * Matches the class at p (p[0] == '['), Python fnmatch style. Returns the
 * length of the class (past ']'), or 0 when it is not a class (no ']': the
 * '[' is a literal).
 */
static size_t class_match(const char *p, size_t pn, unsigned char c, bool *matched)
{
	size_t i = 1;
	bool neg = false, hit = false;
	if (i < pn && (p[i] == '!' || p[i] == '^')) {
		neg = true;
		i++;
	}
	size_t first = i;
	for (; i < pn; i++) {
		if (p[i] == ']' && i > first)
			break;
		unsigned char lo = (unsigned char)p[i];
		if (i + 2 < pn && p[i + 1] == '-' && p[i + 2] != ']') {
			unsigned char hi = (unsigned char)p[i + 2];
			if (lo <= c && c <= hi)
				hit = true;
			i += 2;
		} else if (lo == c) {
			hit = true;
		}
	}
	if (i >= pn)
		return 0;
	*matched = hit != neg;
	return i + 1;
}

/*
 * fnmatch over [p, p+pn) and [t, t+tn): '*' any run, '?' one character,
 * classes; with `stop_slash`, none of them matches '/'. The greedy algorithm
 * with one backtrack point: O(pn * tn), no recursion.
 */
static bool glob_n(const char *p, size_t pn, const char *t, size_t tn, bool stop_slash)
{
	size_t pi = 0, ti = 0, star_p = SIZE_MAX, star_t = 0;
	while (ti < tn) {
		if (pi < pn && p[pi] == '*') {
			while (pi < pn && p[pi] == '*')
				pi++;
			star_p = pi;
			star_t = ti;
			continue;
		}
		if (pi < pn) {
			unsigned char c = (unsigned char)t[ti];
			size_t adv = 1;
			bool ok;
			if (p[pi] == '?') {
				ok = !(stop_slash && c == '/');
			} else if (p[pi] == '[' && (adv = class_match(p + pi, pn - pi, c, &ok))) {
				ok = ok && !(stop_slash && c == '/');
			} else {
				adv = 1;
				ok = (unsigned char)p[pi] == c;
			}
			if (ok) {
				pi += adv;
				ti++;
				continue;
			}
		}
		if (star_p != SIZE_MAX && !(stop_slash && t[star_t] == '/')) {
			ti = ++star_t;
			pi = star_p;
			continue;
		}
		return false;
	}
	while (pi < pn && p[pi] == '*')
		pi++;
	return pi == pn;
}

bool ag3_glob_match(const char *pattern, const char *text)
{
	return glob_n(pattern, strlen(pattern), text, strlen(text), false);
}

struct seg {
	const char *s;
	size_t n;
};

/* Splits an absolute path into its components. Returns the count, or SIZE_MAX on ENOMEM. */
static size_t segs_of(const char *p, struct seg **ret)
{
	size_t n = 0;
	for (const char *s = p; *s; s++)
		if (*s == '/' && s[1] && s[1] != '/')
			n++;
	if (p[0] != '/' && p[0])
		n++;
	*ret = calloc(n + 1, sizeof(**ret));
	if (!*ret)
		return SIZE_MAX;
	size_t i = 0;
	for (const char *s = p; *s && i < n + 1;) {
		while (*s == '/')
			s++;
		size_t len = strcspn(s, "/");
		if (!len)
			break;
		(*ret)[i++] = (struct seg){s, len};
		s += len;
	}
	return i;
}

static bool is_globstar(const struct seg *s)
{
	return s->n == 2 && s->s[0] == '*' && s->s[1] == '*';
}

/* Component-wise matching: `**` components are the stars of the greedy algorithm. */
static bool path_glob_segs(const struct seg *p, size_t pn, const struct seg *t, size_t tn)
{
	size_t pi = 0, ti = 0, star_p = SIZE_MAX, star_t = 0;
	while (ti < tn) {
		if (pi < pn && is_globstar(&p[pi])) {
			while (pi < pn && is_globstar(&p[pi]))
				pi++;
			star_p = pi;
			star_t = ti;
			continue;
		}
		if (pi < pn && glob_n(p[pi].s, p[pi].n, t[ti].s, t[ti].n, true)) {
			pi++;
			ti++;
			continue;
		}
		if (star_p != SIZE_MAX) {
			ti = ++star_t;
			pi = star_p;
			continue;
		}
		return false;
	}
	while (pi < pn && is_globstar(&p[pi]))
		pi++;
	return pi == pn;
}

bool ag3_path_glob_match(const char *pattern, const char *path)
{
	_cleanup_free_ struct seg *ps = NULL, *ts = NULL;
	size_t pn = segs_of(pattern, &ps), tn = segs_of(path, &ts);
	if (pn == SIZE_MAX || tn == SIZE_MAX)
		return false;
	return path_glob_segs(ps, pn, ts, tn);
}

/* --------------------------------------------------- the shell splitter -- */

enum lvl_type {
	L_TOP,
	L_CMDSUB,   /* $( ... )                     */
	L_SUBSHELL, /* ( ... )                      */
	L_PROCSUB,  /* <( ... ), >( ... )           */
	L_ARITH,    /* $(( ... )), (( ... ))        */
};

struct level {
	enum lvl_type type;
	bool dq;            /* inside "..." */
	size_t part_start;  /* where the current simple command began */
	size_t open_at;     /* arith: the inner '(' (for the re-parse as commands) */
	unsigned parens;    /* arith: open parentheses inside */
	enum lvl_type conv; /* arith: what it is when it turns out not to be arithmetic */
	size_t redir_at;    /* the last unquoted '<' or '>' (SIZE_MAX: none) */
};

struct splitter {
	char **parts;
	size_t n, cap;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Appends a simple command: line continuations dropped, blanks collapsed, trimmed. */
static int emit(struct splitter *s, const char *p, size_t len)
{
	char *out = malloc(len + 1), *w = out;
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\\' && i + 1 < len && p[i + 1] == '\n') {
			i++;
			continue;
		}
		if (p[i] == '\\' && i + 1 < len) { /* keep escapes whole: "\ " is not a blank */
			*w++ = p[i++];
			*w++ = p[i];
			continue;
		}
		if (is_blank(p[i])) {
			if (w > out && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = p[i];
	}
	while (w > out && w[-1] == ' ' && !(w - 1 > out && w[-2] == '\\'))
		w--;
	*w = '\0';
	if (w == out) {
		free(out);
		return 0;
	}
	if (s->n >= AG3_RULES_MAX_PARTS) {
		free(out);
		return -E2BIG;
	}
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **v = realloc(s->parts, cap * sizeof(*v));
		if (!v) {
			free(out);
			return -ENOMEM;
		}
		s->parts = v;
		s->cap = cap;
	}
	s->parts[s->n++] = out;
	s->parts[s->n] = NULL;
	return 0;
}

static int split_rec(struct splitter *s, const char *t, size_t len, unsigned depth);

/* The text of a `...` substitution with one level of escaping removed, split as commands. */
static int split_backtick(struct splitter *s, const char *t, size_t len, unsigned depth)
{
	_cleanup_free_ char *u = malloc(len + 1);
	size_t n = 0;
	if (!u)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		if (t[i] == '\\' && i + 1 < len &&
		    (t[i + 1] == '`' || t[i + 1] == '\\' || t[i + 1] == '$'))
			i++;
		u[n++] = t[i];
	}
	return split_rec(s, u, n, depth);
}

static int split_rec(struct splitter *s, const char *t, size_t len, unsigned depth)
{
	struct level st[AG3_RULES_MAX_DEPTH + 1];
	/* positions of "((" that turned out not to be arithmetic (set once each) */
	_cleanup_free_ uint8_t *notarith = NULL;
	size_t sp = 0, i = 0;
	int r = 0;

	if (depth > AG3_RULES_MAX_DEPTH)
		return -ELOOP;
	st[0] = (struct level){.type = L_TOP, .redir_at = SIZE_MAX};

#define PUSH(ty, start)                                                                            \
	do {                                                                                       \
		if (depth + sp + 1 > AG3_RULES_MAX_DEPTH)                                          \
			return -ELOOP;                                                             \
		st[++sp] =                                                                         \
			(struct level){.type = (ty), .part_start = (start), .redir_at = SIZE_MAX}; \
	} while (0)
#define EMIT_TO(end)                                                                               \
	do {                                                                                       \
		if (L->type != L_ARITH &&                                                          \
		    (r = emit(s, t + L->part_start, (end)-L->part_start)) < 0)                     \
			return r;                                                                  \
	} while (0)
#define NOTARITH(pos) (notarith && (notarith[(pos) / 8] & (1u << ((pos) % 8))))

	for (;;) {
		if (i >= len) {
			/* an unterminated "((": read it again as commands */
			size_t k = sp;
			while (k > 0 && st[k].type != L_ARITH)
				k--;
			if (k == 0)
				break;
			sp = k;
			goto not_arith;
		}
		struct level *L = &st[sp];
		char c = t[i], nx = i + 1 < len ? t[i + 1] : '\0';

		if (c == '\\') { /* an escaped character (or a line continuation) */
			i += 2;
			continue;
		}
		if (c == '`') {
			size_t j = i + 1;
			while (j < len && t[j] != '`')
				j += t[j] == '\\' ? 2 : 1;
			if (j > len)
				j = len;
			r = split_backtick(s, t + i + 1, j - i - 1, depth + (unsigned)sp + 1);
			if (r < 0)
				return r;
			i = j + 1;
			continue;
		}
		if (c == '$' && nx == '(') {
			if (i + 2 < len && t[i + 2] == '(' && !NOTARITH(i + 1)) {
				PUSH(L_ARITH, i + 3);
				st[sp].open_at = i + 1;
				st[sp].conv = L_CMDSUB;
				i += 3;
			} else {
				PUSH(L_CMDSUB, i + 2);
				i += 2;
			}
			continue;
		}
		if (L->dq) {
			if (c == '"')
				L->dq = false;
			i++;
			continue;
		}
		if (c == '\'') { /* nothing is special up to the next quote */
			const char *q = memchr(t + i + 1, '\'', len - i - 1);
			i = q ? (size_t)(q - t) + 1 : len;
			continue;
		}
		if (c == '$' && nx == '\'') { /* $'...': backslash escapes the quote */
			size_t j = i + 2;
			while (j < len && t[j] != '\'')
				j += t[j] == '\\' ? 2 : 1;
			i = j + 1;
			continue;
		}
		if (c == '"') {
			L->dq = true;
			i++;
			continue;
		}
		if ((c == '<' || c == '>') && nx == '(') {
			PUSH(L_PROCSUB, i + 2);
			i += 2;
			continue;
		}
		if (L->type == L_ARITH) {
			if (c == '(') {
				L->parens++;
			} else if (c == ')' && L->parens) {
				L->parens--;
			} else if (c == ')' && nx == ')') {
				if (L->conv == L_SUBSHELL) /* `((...))` ends a command */
					st[sp - 1].part_start = i + 2;
				sp--;
				i += 2;
				continue;
			} else if (c == ')') {
				/* `$((a) b)`: not arithmetic after all, but commands in a subshell
				 */
				goto not_arith;
			}
			i++;
			continue;
		}
		if (c == '(') {
			EMIT_TO(i);
			L->part_start = i + 1;
			if (nx == '(' && !NOTARITH(i)) {
				PUSH(L_ARITH, i + 2);
				st[sp].open_at = i;
				st[sp].conv = L_SUBSHELL;
				i += 2;
			} else {
				PUSH(L_SUBSHELL, i + 1);
				i++;
			}
			continue;
		}
		if (c == ')') {
			EMIT_TO(i);
			if (sp > 0 && st[sp--].type == L_SUBSHELL) /* `(...)` ends a command */
				st[sp].part_start = i + 1;
			else if (sp == 0)
				L->part_start =
					i + 1; /* a stray ')' (case patterns): a separator */
			i++;
			continue;
		}
		if (c == '<' || c == '>') {
			L->redir_at = i;
			i++;
			continue;
		}
		bool sep = c == ';' || c == '\n' || c == '|';
		if (c == '&')
			/* `>&`, `<&` and `&>` are redirections, anything else runs in the
			 * background */
			sep = !(L->redir_at != SIZE_MAX && L->redir_at + 1 == i) && nx != '>';
		if (sep) {
			EMIT_TO(i);
			L->part_start = i + 1;
		}
		i++;
		continue;

	not_arith:
		/*
		 * The "((" at st[sp].open_at was not arithmetic: it becomes what bash
		 * then makes of it ($( ( or ( ( ), and everything from its second '('
		 * is read again. Each position is re-read at most once this way.
		 */
		if (!notarith && !(notarith = calloc(len / 8 + 1, 1)))
			return -ENOMEM;
		L = &st[sp];
		notarith[L->open_at / 8] |= (uint8_t)(1u << (L->open_at % 8));
		L->type = L->conv;
		L->dq = false;
		L->parens = 0;
		L->redir_at = SIZE_MAX;
		L->part_start = L->open_at + 1;
		i = L->open_at + 1;
	}
	/* unterminated constructs: what was read is checked anyway */
	for (;; sp--) {
		struct level *L = &st[sp];
		EMIT_TO(len);
		if (!sp)
			break;
	}
#undef PUSH
#undef EMIT_TO
#undef NOTARITH
	return 0;
}

void ag3_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int ag3_shell_split(const char *line, size_t len, char ***ret, size_t *ret_n)
{
	struct splitter s = {0};
	int r;

	if (len > AG3_RULES_MAX_INPUT)
		return -E2BIG;
	r = split_rec(&s, line, len, 0);
	if (r == 0 && s.n == 0) {
		s.parts = calloc(2, sizeof(char *));
		if (!s.parts || !(s.parts[0] = strdup("")))
			r = -ENOMEM;
		else
			s.n = 1;
	}
	if (r < 0) {
		for (size_t i = 0; i < s.n; i++)
			free(s.parts[i]);
		free(s.parts);
		return r;
	}
	*ret = s.parts;
	if (ret_n)
		*ret_n = s.n;
	return 0;
}

/* ------------------------------------------- the forms of one command -- */

struct word {
	size_t start; /* in the part's text */
	char *text;   /* quotes and escapes removed */
	bool plain;   /* written without quotes or escapes */
	/* what the shell makes of it is only known when it runs: an expansion ($x,
	 * ${x}, $(..), `..`), a glob (* ? [), a brace expansion, an ANSI-C $'..' */
	bool dynamic;
};

/* Splits a (normalized) simple command into words, shell-style. Returns the count or -ENOMEM. */
static ssize_t words_of(const char *p, struct word **ret)
{
	size_t len = strlen(p), n = 0;
	struct word *w = calloc(len / 2 + 2, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (size_t i = 0; i < len;) {
		while (i < len && p[i] == ' ')
			i++;
		if (i >= len)
			break;
		char *out = malloc(len - i + 1), *o = out;
		if (!out) {
			for (size_t k = 0; k < n; k++)
				free(w[k].text);
			free(w);
			return -ENOMEM;
		}
		w[n] = (struct word){.start = i, .text = out, .plain = true};
		while (i < len && p[i] != ' ') {
			char c = p[i];
			if (c == '\\' && i + 1 < len) {
				*o++ = p[i + 1];
				i += 2;
				w[n].plain = false;
			} else if (c == '\'') {
				w[n].plain = false;
				for (i++; i < len && p[i] != '\''; i++)
					*o++ = p[i];
				i++;
			} else if (c == '$' && i + 1 < len && p[i + 1] == '\'') {
				w[n].plain = false;
				w[n].dynamic = true;
				for (i += 2; i < len && p[i] != '\''; i++) {
					if (p[i] == '\\' && i + 1 < len)
						i++;
					*o++ = p[i];
				}
				i++;
			} else if (c == '"') {
				w[n].plain = false;
				for (i++; i < len && p[i] != '"'; i++) {
					if (p[i] == '\\' && i + 1 < len &&
					    strchr("\"\\$`", p[i + 1]))
						i++;
					else if (p[i] == '$' || p[i] == '`')
						w[n].dynamic = true;
					*o++ = p[i];
				}
				i++;
			} else {
				if (strchr("$`*?[{", c) && !(c == '{' && i == w[n].start &&
							     (i + 1 >= len || p[i + 1] == ' ')))
					w[n].dynamic = true;
				*o++ = c;
				i++;
			}
		}
		*o = '\0';
		if (!strcmp(out, "[") || !strcmp(out, "[[")) /* test, not a glob */
			w[n].dynamic = false;
		n++;
	}
	*ret = w;
	return (ssize_t)n;
}

static void words_free(struct word *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i].text);
	free(w);
}

/* (`time` is a wrapper below: its -p is an option, not the command) */
static const char *const reserved_words[] = {"!",    "{",    "}",  "(",    ")",    "if",
					     "then", "elif", "else", "do", "while", "until",
					     "fi",   "done", "esac", NULL};

static bool is_assignment(const char *w)
{
	if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') || *w == '_'))
		return false;
	for (w++; *w && *w != '=' && *w != '[' && *w != '+'; w++)
		if (!((*w >= 'a' && *w <= 'z') || (*w >= 'A' && *w <= 'Z') ||
		      (*w >= '0' && *w <= '9') || *w == '_'))
			return false;
	return *w == '=' || *w == '[' || (*w == '+' && w[1] == '=');
}

/* Commands that run the command after them; the options that take an argument. */
static const struct {
	const char *name;
	const char *argopts; /* letters of -X options followed by an argument */
	bool skip_number;    /* a leading number (duration, priority, mask) follows the options */
	unsigned operands;   /* words before the command (flock's file, chroot's directory) */
} wrappers[] = {
	{"command", "", false, 0},
	{"builtin", "", false, 0},
	{"exec", "a", false, 0},
	{"nohup", "", false, 0},
	{"env", "uCS", false, 0},
	{"sudo", "ugCDhprtUT", false, 0},
	{"doas", "uC", false, 0},
	{"nice", "n", true, 0},
	{"ionice", "cnp", false, 0},
	{"setsid", "", false, 0},
	{"stdbuf", "ioe", false, 0},
	{"timeout", "sk", true, 0},
	{"xargs", "IndPLsEaC", false, 0},
	{"time", "fo", false, 0},
	{"chrt", "", true, 0},
	{"taskset", "", true, 0},
	{"coproc", "", false, 0},
	{"busybox", "", false, 0},
	{"flock", "wE", false, 1},
	{"chroot", "", false, 1},
	{"strace", "abeEIoOpPsSuUX", false, 0},
	{"ltrace", "aeEnopsSuX", false, 0},
	{"unbuffer", "", false, 0},
	{"nsenter", "tSGw", false, 0},
	{"unshare", "", false, 0},
	{"setpriv", "", false, 0},
	{"runuser", "ugG", false, 0},
	{"catchsegv", "", false, 0},
	{"valgrind", "", false, 0},
	{"faketime", "f", false, 1},
	{"proxychains", "f", false, 0},
	{"torsocks", "", false, 0},
	{"firejail", "", false, 0},
};

/* A redirection word (`>x`, `2>/dev/null`, `<<<`, `&>`): 1 when its target is in
 * the word, 2 when it is the next word, 0 when it is not a redirection. */
static int redirection(const char *part, const struct word *w)
{
	const char *p = part + w->start;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '{') { /* {fd}>x */
		const char *e = strchr(p, '}');
		if (e && (e[1] == '<' || e[1] == '>'))
			p = e + 1;
	}
	if (*p == '&' && p[1] == '>')
		p++;
	if (*p != '<' && *p != '>')
		return 0;
	while (*p == '<' || *p == '>' || *p == '&' || *p == '|' || *p == '-')
		p++;
	return *p && *p != ' ' ? 1 : 2;
}

static bool is_number_like(const char *w)
{
	if (!(*w >= '0' && *w <= '9'))
		return false;
	for (; *w; w++)
		if (!strchr("0123456789abcdefABCDEFx.,:-smhd", *w))
			return false;
	return true;
}

/* The index of the first word after `VAR=x` assignments, redirections, wrappers,
 * reserved words and function headers. */
static size_t core_start(const char *part, const struct word *w, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (strv_contains(reserved_words, w[i].text) || is_assignment(w[i].text)) {
			i++;
			continue;
		}
		int rd = redirection(part, &w[i]);
		if (rd) {
			i += (size_t)rd;
			continue;
		}
		if (w[i].plain && !strcmp(w[i].text, "function")) { /* function NAME [()] { */
			i += 2;
			if (i < n && !strcmp(w[i].text, "()"))
				i++;
			continue;
		}
		if (w[i].plain && !strcmp(w[i].text, "coproc") && i + 2 < n &&
		    (!strcmp(w[i + 2].text, "{") || !strcmp(w[i + 2].text, "("))) {
			i += 2; /* coproc NAME { ...; } */
			continue;
		}
		size_t k, wi = i;
		for (k = 0; k < ELEMENTSOF(wrappers); k++)
			if (!strcmp(w[i].text, wrappers[k].name))
				break;
		if (k == ELEMENTSOF(wrappers))
			break;
		for (i++; i < n; i++) {
			const char *o = w[i].text;
			if (!strcmp(o, "--")) {
				i++;
				break;
			}
			if (is_assignment(o))
				continue;
			if (o[0] != '-' || !o[1])
				break;
			/* env -S TEXT runs a command line of its own: env is the command */
			if (!strcmp(wrappers[k].name, "env") &&
			    (!strncmp(o, "-S", 2) || !strncmp(o, "--split-string", 14)))
				return wi;
			if (o[1] != '-' && !o[2] && strchr(wrappers[k].argopts, o[1]) && i + 1 < n)
				i++;
		}
		if (wrappers[k].skip_number && i < n && is_number_like(w[i].text))
			i++;
		i += wrappers[k].operands;
		/* flock FILE -c TEXT: flock runs the line itself */
		if (wrappers[k].operands && i < n &&
		    (!strcmp(w[i].text, "-c") || !strcmp(w[i].text, "--command")))
			return wi;
	}
	return i;
}

/* The forms of one simple command the rules are matched against. */
struct cmd_forms {
	char *raw;  /* the normalized text */
	char *safe; /* from the first word that is not a reserved word ("" when none) */
	char *core; /* dequoted, from the command word (assignments and wrappers dropped) */
	char *base; /* core with the command word's directory dropped; NULL when the same */
	char *inner;    /* `sh -c TEXT`, `eval TEXT...`: the command line it runs, or NULL */
	bool deny_only; /* from an `inner` line: checked against deny rules only */
	const char *opaque; /* why no rule can tell what it runs (static), or NULL */
};

static void forms_clear(struct cmd_forms *f)
{
	free(f->raw);
	free(f->safe);
	free(f->core);
	free(f->base);
	free(f->inner);
	*f = (struct cmd_forms){0};
}

/* Shells: `-c TEXT` is a command line they run; with no operand they read one. */
static const char *const shells[] = {"sh",  "bash", "dash", "zsh", "ksh", "mksh",
				     "ash", "fish", "tcsh", "csh", NULL};

/* A command word without its directory (`/bin/sh` is `sh`). */
static const char *command_name(const struct word *w)
{
	const char *slash = strrchr(w->text, '/');
	return slash ? slash + 1 : w->text;
}

/* The words [from, to) joined by single blanks (an empty string when none). */
static char *join_words(const struct word *w, size_t from, size_t to)
{
	size_t total = 1;
	for (size_t i = from; i < to; i++)
		total += strlen(w[i].text) + 1;
	char *o = calloc(1, total), *ret = o;
	if (!o)
		return NULL;
	for (size_t i = from; i < to; i++) {
		size_t len = strlen(w[i].text);
		if (i > from)
			*o++ = ' ';
		memcpy(o, w[i].text, len);
		o += len;
	}
	return ret;
}

/* The index of the first word after command c's options (those in `argopts` take one). */
static size_t after_options(const struct word *w, size_t n, size_t c, const char *argopts)
{
	size_t i = c + 1;
	for (; i < n; i++) {
		const char *o = w[i].text;
		if (!strcmp(o, "--"))
			return i + 1;
		if (o[0] != '-' || !o[1])
			break;
		if (o[1] != '-' && !o[2] && strchr(argopts, o[1]))
			i++;
	}
	return i;
}

/*
 * The command line that command c makes a shell run from its words, or NULL:
 * `sh -c TEXT`, `su -c TEXT`, `flock F -c TEXT`; `eval WORDS`, `watch WORDS`,
 * `ssh HOST WORDS` (joined, as the shell that runs them sees them); `trap TEXT
 * SIG`; `env -S TEXT`; `find ... -exec WORDS ;`. Its commands are checked
 * against the deny rules like the line's own.
 */
static int inner_of(const struct word *w, size_t n, size_t c, char **ret)
{
	static const char *const dash_c_anywhere[] = {"su", "runuser", "sg", "flock", NULL};
	*ret = NULL;
	if (c >= n)
		return 0;
	const char *cmd = command_name(&w[c]);
	size_t from = SIZE_MAX, to = n;
	if (!strcmp(cmd, "eval")) {
		from = c + 1;
	} else if (!strcmp(cmd, "watch")) {
		from = after_options(w, n, c, "nd");
	} else if (!strcmp(cmd, "ssh")) {
		from = after_options(w, n, c, "bcDEeFIiJLlmOopQRSWw") + 1; /* after the host */
	} else if (!strcmp(cmd, "trap")) {
		from = after_options(w, n, c, "");
		to = from < n ? from + 1 : n;
	} else if (!strcmp(cmd, "find")) {
		for (size_t i = c + 1; i < n && from == SIZE_MAX; i++)
			if (!strcmp(w[i].text, "-exec") || !strcmp(w[i].text, "-execdir") ||
			    !strcmp(w[i].text, "-ok") || !strcmp(w[i].text, "-okdir")) {
				from = i + 1;
				for (to = from; to < n; to++)
					if (!strcmp(w[to].text, ";") || !strcmp(w[to].text, "+"))
						break;
			}
	} else if (!strcmp(cmd, "env")) {
		for (size_t i = c + 1; i < n && w[i].text[0] == '-'; i++) {
			if (!strcmp(w[i].text, "-S") && i + 1 < n)
				return (*ret = strdup(w[i + 1].text)) ? 0 : -ENOMEM;
			if (!strncmp(w[i].text, "--split-string=", 15))
				return (*ret = strdup(w[i].text + 15)) ? 0 : -ENOMEM;
			if (!strncmp(w[i].text, "-S", 2) && w[i].text[2])
				return (*ret = strdup(w[i].text + 2)) ? 0 : -ENOMEM;
		}
		return 0;
	} else if (strv_contains(shells, cmd) || strv_contains(dash_c_anywhere, cmd)) {
		bool anywhere = strv_contains(dash_c_anywhere, cmd);
		for (size_t i = c + 1; i + 1 < n; i++) {
			const char *o = w[i].text;
			if (!anywhere && (o[0] != '-' || !strcmp(o, "--")))
				break;
			if (!strcmp(o, "--command") || (o[0] == '-' && o[1] != '-' && strchr(o, 'c'))) {
				size_t k = i + 1;
				if (!strcmp(w[k].text, "--") && k + 1 < n)
					k++;
				return (*ret = strdup(w[k].text)) ? 0 : -ENOMEM;
			}
			if (!strncmp(o, "--command=", 10))
				return (*ret = strdup(o + 10)) ? 0 : -ENOMEM;
		}
		return 0;
	}
	if (from == SIZE_MAX || from >= to)
		return 0;
	return (*ret = join_words(w, from, to)) ? 0 : -ENOMEM;
}

/*
 * Why rules cannot tell what command c runs (a static string), or NULL: its
 * name is computed when it runs, or it is a shell reading its commands from
 * its input, or a command builder whose commands are not on the line.
 */
static const char *opaque_reason(const char *part, const struct word *w, size_t n, size_t c)
{
	if (c >= n)
		return NULL;
	if (w[c].dynamic)
		return "its command name is only known when it runs (an expansion, a glob, a brace "
		       "or an ANSI-C quote)";
	const char *cmd = command_name(&w[c]);
	if (!strcmp(cmd, "parallel"))
		return "GNU parallel builds the commands it runs from its input";
	if (strv_contains(shells, cmd)) {
		for (size_t i = c + 1; i < n; i++) {
			const char *o = w[i].text;
			int rd = redirection(part, &w[i]);
			if (rd) { /* `sh <<< TEXT`, `sh < file`: still its input */
				i += (size_t)rd - 1;
				continue;
			}
			if (!strcmp(o, "--")) {
				if (i + 1 < n)
					return NULL; /* a script */
				break;
			}
			if (o[0] != '-' && o[0] != '+')
				return NULL; /* a script file: runs what the file says */
			if (o[1] != '-' && strchr(o, 'c'))
				return NULL; /* -c TEXT: checked as the inner line */
			if (o[1] != '-' && strchr(o, 's'))
				break;
			if ((o[1] == 'o' || o[1] == 'O') && !o[2])
				i++; /* -o OPTION */
		}
		return "a shell reading its commands from its input";
	}
	return NULL;
}

static int forms_of(const char *part, struct cmd_forms *f)
{
	struct word *w = NULL;
	ssize_t n = words_of(part, &w);
	if (n < 0)
		return -ENOMEM;
	size_t s = 0;
	while (s < (size_t)n && w[s].plain && strv_contains(reserved_words, w[s].text))
		s++;
	/* `for x in ...`, `select ...`, `case ... in x`: headers run nothing themselves (their
	 * substitutions are commands of their own) */
	static const char *const headers[] = {"for", "select", "case", NULL};
	if (s < (size_t)n && w[s].plain && strv_contains(headers, w[s].text))
		s = (size_t)n;
	size_t c = core_start(part, w, (size_t)n);
	f->raw = strdup(part);
	f->safe = strdup(s < (size_t)n ? part + w[s].start : "");
	f->core = join_words(w, c, (size_t)n);
	f->opaque = opaque_reason(part, w, (size_t)n, c);
	if (!f->raw || !f->safe || !f->core || inner_of(w, (size_t)n, c, &f->inner) < 0) {
		words_free(w, (size_t)n);
		forms_clear(f);
		return -ENOMEM;
	}
	words_free(w, (size_t)n);
	const char *slash = NULL;
	for (const char *p = f->core; *p && *p != ' '; p++)
		if (*p == '/')
			slash = p;
	if (slash && slash[1] && slash[1] != ' ' && !(f->base = strdup(slash + 1))) {
		forms_clear(f);
		return -ENOMEM;
	}
	return 0;
}

/* ----------------------------------------------------------- matching -- */

static bool arg_matches_all(const struct ag3_rule *rule)
{
	return !rule->arg || !strcmp(rule->arg, "*") || !strcmp(rule->arg, "**");
}

static bool name_matches(const struct ag3_rule *rule, const struct ag3_tool_call *c)
{
	if (rule->arg)
		return !strcmp(rule->name, c->name);
	/* a bare pattern globs the name, normalized or as the SDK spells it */
	return ag3_glob_match(rule->name, c->name) ||
	       (c->tool && ag3_glob_match(rule->raw_name, c->tool));
}

/* Blanks collapsed, trimmed. NULL on ENOMEM. */
static char *collapse(const char *s)
{
	char *out = malloc(strlen(s) + 1), *w = out;
	if (!out)
		return NULL;
	for (; *s; s++) {
		if (is_blank(*s)) {
			if (w > out && w[-1] != ' ')
				*w++ = ' ';
			continue;
		}
		*w++ = *s;
	}
	while (w > out && w[-1] == ' ')
		w--;
	*w = '\0';
	return out;
}

/* A shell rule's value against one form of a command: `prefix:*` or a glob. */
static int shell_arg_match(const char *arg, const char *cmd)
{
	_cleanup_free_ char *p = collapse(arg);
	if (!p)
		return -ENOMEM;
	size_t n = strlen(p);
	if (n >= 2 && p[n - 2] == ':' && p[n - 1] == '*') {
		p[n - 2] = '\0';
		n -= 2;
		while (n && p[n - 1] == ' ')
			p[--n] = '\0';
		return !strcmp(cmd, p) || (!strncmp(cmd, p, n) && cmd[n] == ' ');
	}
	return glob_n(p, n, cmd, strlen(cmd), false);
}

static int generic_arg_match(const char *arg, const char *val)
{
	size_t n = strlen(arg);
	if (n >= 2 && arg[n - 2] == ':' && arg[n - 1] == '*')
		return !strncmp(val, arg, n - 2);
	return glob_n(arg, n, val, strlen(val), false);
}

/*
 * A path (or a path pattern) in the sandbox's view: relative ones joined to
 * the workspace (a pattern without '/' matches at any depth below it), ".."
 * folded, the host's workspace path replaced by the sandbox's. Patterns get
 * a final "/" plus globstar appended: they cover what is under what they match.
 */
static char *resolve(const struct ag3_rules *r, const char *s, bool pattern)
{
	_cleanup_free_ char *raw = NULL, *j = NULL;
	const char *ws = r->workspace ? r->workspace : AG3_RULES_WORKSPACE;
	size_t n = strlen(s);
	while (n > 1 && s[n - 1] == '/')
		n--;
	if (s[0] == '/')
		raw = strndup(s, n);
	else if (pattern && !memchr(s, '/', n))
		raw = asprintf(&raw, "%s/**/%.*s", ws, (int)n, s) < 0 ? NULL : raw;
	else
		raw = asprintf(&raw, "%s/%.*s", ws, (int)n, s) < 0 ? NULL : raw;
	if (!raw || ag3_path_normalize(raw, &j) < 0)
		return NULL;
	if (r->host_workspace && strcmp(r->host_workspace, "/") &&
	    ag3_path_is_under(j, r->host_workspace)) {
		char *m = NULL;
		if (asprintf(&m, "%s%s", ws, j + strlen(r->host_workspace)) < 0)
			return NULL;
		free(j);
		j = m;
	}
	if (pattern) {
		char *m = NULL;
		if (asprintf(&m, "%s/**", strcmp(j, "/") ? j : "") < 0)
			return NULL;
		free(j);
		j = m;
	}
	return TAKE_PTR(j);
}

static int path_arg_match(const struct ag3_rules *r, const char *arg, const char *val)
{
	if (!*val || !*arg)
		return !*val && !*arg;
	_cleanup_free_ char *p = resolve(r, arg, true), *v = resolve(r, val, false);
	if (!p || !v)
		return -ENOMEM;
	return ag3_path_glob_match(p, v);
}

/* A call's value against a rule of a tool that is not a shell. */
static int value_matches(const struct ag3_rules *r, const struct ag3_rule *rule,
			 const struct ag3_tool_call *c)
{
	const char *val = c->arg ? c->arg : "";
	if (arg_matches_all(rule))
		return 1;
	if (ag3_tool_is_path(c->name))
		return path_arg_match(r, rule->arg, val);
	return generic_arg_match(rule->arg, val);
}

/* Whether a shell rule matches one command (the forms `deny` says). */
static int forms_match(const struct ag3_rule *rule, const struct cmd_forms *f, bool deny)
{
	const char *forms[4] = {f->raw, f->safe, deny ? f->core : NULL, deny ? f->base : NULL};
	for (size_t i = 0; i < 4; i++) {
		if (!forms[i] || (i > 0 && !strcmp(forms[i], f->raw)))
			continue;
		int k = shell_arg_match(rule->arg, forms[i]);
		if (k != 0)
			return k;
	}
	return 0;
}

/* ----------------------------------------------------------- decision -- */

void ag3_decision_clear(struct ag3_decision *d)
{
	free(d->part);
	free(d->detail);
	*d = (struct ag3_decision){0};
}

struct split_line {
	char *whole; /* the line, blanks collapsed */
	struct cmd_forms *parts;
	size_t n;
};

static void split_line_clear(struct split_line *l)
{
	free(l->whole);
	for (size_t i = 0; i < l->n; i++)
		forms_clear(&l->parts[i]);
	free(l->parts);
	*l = (struct split_line){0};
}

static int split_into(const char *val, struct split_line *l, bool inner, unsigned depth);

/* Appends one command (and, for `sh -c`, the commands of its line). */
static int add_part(struct split_line *l, const char *text, bool inner, bool only,
		    unsigned depth)
{
	struct cmd_forms f = {0};
	int r = forms_of(text, &f);
	if (r < 0)
		return r;
	if (!*f.safe && !only) { /* `fi`, `done`, `}`: nothing runs */
		forms_clear(&f);
		return 0;
	}
	if (l->n >= AG3_RULES_MAX_PARTS) {
		forms_clear(&f);
		return -E2BIG;
	}
	struct cmd_forms *v = realloc(l->parts, (l->n + 1) * sizeof(*v));
	if (!v) {
		forms_clear(&f);
		return -ENOMEM;
	}
	l->parts = v;
	f.deny_only = inner;
	v[l->n++] = f;
	const char *in = f.inner;
	if (!in)
		return 0;
	if (depth >= AG3_RULES_MAX_SHELLS)
		return -ELOOP;
	_cleanup_free_ char *copy = strdup(in);
	return copy ? split_into(copy, l, true, depth + 1) : -ENOMEM;
}

static int split_into(const char *val, struct split_line *l, bool inner, unsigned depth)
{
	char **v = NULL;
	size_t n = 0;
	int r = ag3_shell_split(val, strlen(val), &v, &n);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = add_part(l, v[i], inner, n == 1, depth);
	ag3_strv_free(v);
	return r;
}

/*
 * Splits a shell tool's value and computes each command's forms; the lines
 * `sh -c` and `eval` run are split too, their commands checked against deny
 * rules. 0, -E2BIG, -ELOOP, -ENOMEM.
 */
static int split_line(const char *val, struct split_line *ret)
{
	struct split_line l = {.whole = collapse(val)};
	int r = l.whole ? split_into(val, &l, false, 0) : -ENOMEM;
	if (r == 0 && l.n == 0) /* only reserved words: one empty command */
		r = add_part(&l, "", false, true, 0);
	if (r < 0) {
		split_line_clear(&l);
		return r;
	}
	*ret = l;
	return 0;
}

/* Whether a rule matches: -ENOMEM, 0, or 1 with the matching part's index in *part (-1: all). */
static int rule_match_line(const struct ag3_rules *r, const struct ag3_rule *rule,
			   const struct ag3_tool_call *c, const struct split_line *l, ssize_t *part)
{
	*part = -1;
	if (!name_matches(rule, c))
		return 0;
	if (arg_matches_all(rule))
		return 1;
	if (!ag3_tool_is_shell(c->name))
		return value_matches(r, rule, c);
	if (!l)
		return 0;
	int k = shell_arg_match(rule->arg, l->whole);
	if (k != 0)
		return k;
	for (size_t i = 0; i < l->n; i++) {
		k = forms_match(rule, &l->parts[i], true);
		if (k != 0) {
			*part = (ssize_t)i;
			return k;
		}
	}
	return 0;
}

/* Whether any rule of a list that names this tool needs to look at the value. */
static bool needs_value(const struct ag3_rule *v, size_t n, const struct ag3_tool_call *c)
{
	for (size_t i = 0; i < n; i++)
		if (!arg_matches_all(&v[i]) && name_matches(&v[i], c))
			return true;
	return false;
}

static int uncheckable(struct ag3_decision *d, const char *why)
{
	d->allow = false;
	d->reason = AG3_REASON_UNCHECKABLE;
	return (d->detail = strdup(why)) ? 0 : -ENOMEM;
}

int ag3_rules_decide(const struct ag3_rules *r, const struct ag3_tool_call *c,
		     struct ag3_decision *ret)
{
	struct ag3_decision d = {0};
	struct split_line l = {0};
	const char *val = c->arg ? c->arg : "";
	bool shell = ag3_tool_is_shell(c->name);
	bool bypass = r->mode == AG3_PERM_BYPASS;
	ssize_t part;
	int k = 0;

	if (c->bypass_attempt) {
		d.reason = AG3_REASON_SANDBOX_BYPASS;
		goto done;
	}
	bool inspect = needs_value(r->deny, r->n_deny, c) || needs_value(r->allow, r->n_allow, c);
	if (inspect && strlen(val) > AG3_RULES_MAX_INPUT) {
		k = uncheckable(&d, "the value is longer than 64 KiB: too long to check");
		goto done;
	}
	if (inspect && shell) {
		k = split_line(val, &l);
		if (k == -E2BIG) {
			k = uncheckable(&d, "the command line holds more than 1024 commands");
			goto done;
		}
		if (k == -ELOOP) {
			k = uncheckable(&d,
					"the command line nests substitutions more than 32 deep");
			goto done;
		}
		if (k < 0)
			goto done;
		d.n_parts = l.n;
	}

	/* 1. deny rules first: one matching the call, or any command of a line */
	for (size_t i = 0; i < r->n_deny; i++) {
		k = rule_match_line(r, &r->deny[i], c, l.parts ? &l : NULL, &part);
		if (k < 0)
			goto done;
		if (k) {
			d.reason = AG3_REASON_DENY_RULE;
			d.rule = &r->deny[i];
			if (part >= 0 && l.n > 1 && !(d.part = strdup(l.parts[part].raw)))
				k = -ENOMEM;
			goto done;
		}
	}

	/* 2. allow rules: for a line, every command needs one (or the mode) */
	size_t n = shell && l.parts ? l.n : 1;
	bool by_mode = false;
	for (size_t p = 0; p < n; p++) {
		const struct ag3_rule *hit = NULL;
		if (shell && l.parts && l.parts[p].deny_only)
			continue; /* what `sh -c` runs: its own part had to be allowed */
		for (size_t i = 0; i < r->n_allow && !hit; i++) {
			const struct ag3_rule *rule = &r->allow[i];
			if (!name_matches(rule, c))
				continue;
			if (arg_matches_all(rule))
				k = 1;
			else if (shell)
				k = l.parts ? forms_match(rule, &l.parts[p], false) : 0;
			else
				k = value_matches(r, rule, c);
			if (k < 0)
				goto done;
			if (k)
				hit = rule;
		}
		k = 0;
		if (hit) {
			if (!d.rule)
				d.rule = hit;
			continue;
		}
		if (bypass) {
			by_mode = true;
			continue;
		}
		d.reason = AG3_REASON_DEFAULT_DENY;
		d.rule = NULL;
		if (n > 1 && !(d.part = strdup(l.parts[p].raw)))
			k = -ENOMEM;
		goto done;
	}
	/* A command no rule can see into (its name computed when it runs, a shell fed
	 * from its input) could be any command: with deny rules to honour, it is denied, even where
	 * allow rules (or the mode) would let it run. */
	if (shell && l.parts && needs_value(r->deny, r->n_deny, c)) {
		for (size_t p = 0; p < l.n; p++) {
			if (!l.parts[p].opaque)
				continue;
			_cleanup_free_ char *why = NULL;
			if (asprintf(&why, "'%s': %s, so the deny rules cannot be checked against it",
				     l.parts[p].raw, l.parts[p].opaque) < 0) {
				k = -ENOMEM;
				goto done;
			}
			d.rule = NULL;
			k = uncheckable(&d, why);
			if (k == 0 && l.n > 1 && !(d.part = strdup(l.parts[p].raw)))
				k = -ENOMEM;
			goto done;
		}
	}

	d.allow = true;
	d.reason = by_mode ? AG3_REASON_MODE_ALLOW : AG3_REASON_ALLOW_RULE;
	if (by_mode && n == 1)
		d.rule = NULL;
done:
	split_line_clear(&l);
	if (k < 0) {
		ag3_decision_clear(&d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

int ag3_rule_matches(const struct ag3_rules *r, const struct ag3_rule *rule,
		     const struct ag3_tool_call *c)
{
	struct split_line l = {0};
	ssize_t part;
	const char *val = c->arg ? c->arg : "";
	if (ag3_tool_is_shell(c->name) && !arg_matches_all(rule) && name_matches(rule, c) &&
	    strlen(val) <= AG3_RULES_MAX_INPUT) {
		int k = split_line(val, &l);
		if (k == -ENOMEM)
			return k;
	}
	int k = rule_match_line(r, rule, c, l.parts ? &l : NULL, &part);
	split_line_clear(&l);
	return k;
}

/* ------------------------------------------------------------ denials -- */

void ag3_denial_tracker_clear(struct ag3_denial_tracker *t)
{
	for (size_t i = 0; i < t->n_tools; i++)
		free(t->tools[i].tool);
	free(t->tools);
	*t = (struct ag3_denial_tracker){0};
}

void ag3_denial_clear(struct ag3_denial *d)
{
	free(d->message);
	*d = (struct ag3_denial){0};
}

/* The first `n` characters (code points) of a UTF-8 string, like Python's s[:n]. */
static size_t utf8_prefix(const char *s, size_t n)
{
	size_t i = 0;
	for (size_t chars = 0; s[i] && chars < n; chars++) {
		i++;
		while (((unsigned char)s[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

static unsigned *tool_counter(struct ag3_denial_tracker *t, const char *tool)
{
	for (size_t i = 0; i < t->n_tools; i++)
		if (!strcmp(t->tools[i].tool, tool))
			return &t->tools[i].n;
	struct ag3_denial_count *v = realloc(t->tools, (t->n_tools + 1) * sizeof(*v));
	if (!v)
		return NULL;
	t->tools = v;
	if (!(v[t->n_tools].tool = strdup(tool)))
		return NULL;
	v[t->n_tools].n = 0;
	return &v[t->n_tools++].n;
}

int ag3_denial_record(struct ag3_denial_tracker *t, const struct ag3_rules *r,
		      const struct ag3_tool_call *c, const struct ag3_decision *d,
		      struct ag3_denial *ret)
{
	struct ag3_denial out = {0};
	_cleanup_free_ char *msg = NULL;
	size_t size = 0;
	FILE *m;

	if (d->reason == AG3_REASON_SANDBOX_BYPASS) {
		t->violations++;
		t->interrupted = true;
		out = (struct ag3_denial){
			.interrupt = true, .security_violation = true, .total = t->total};
		if (!(out.message = strdup("Security violation: sandbox bypass attempted. Agent "
					   "stopped.")))
			return -ENOMEM;
		*ret = out;
		return 0;
	}
	unsigned *cnt = tool_counter(t, c->name);
	if (!cnt)
		return -ENOMEM;
	out.count = ++*cnt;
	out.total = ++t->total;
	out.penultimate = out.count == AG3_MAX_DENIALS_PER_TOOL - 1;
	out.interrupt = out.count >= AG3_MAX_DENIALS_PER_TOOL || out.total >= AG3_MAX_DENIALS_TOTAL;
	if (out.interrupt)
		t->interrupted = true;

	if (!(m = open_memstream(&msg, &size)))
		return -ENOMEM;
	const char *val = c->arg ? c->arg : "";
	int cut = (int)utf8_prefix(val, 50);
	if (out.interrupt)
		fprintf(m,
			"TASK STOPPED: Maximum permission failures exceeded (%u/%u denials for "
			"%s). "
			"Last error: ",
			out.count, AG3_MAX_DENIALS_PER_TOOL, c->name);
	if (ag3_tool_is_shell(c->name))
		fprintf(m, "%s command '%.*s...' is not permitted.", c->name, cut, val);
	else
		fprintf(m, "%s for '%.*s' is not permitted.", c->name, cut, val);
	size_t shown = 0;
	for (size_t i = 0; r && i < r->n_allow && shown < 5; i++) {
		if (strcmp(r->allow[i].name, c->name))
			continue;
		if (!shown++)
			fprintf(m, " Allowed patterns for %s: ", c->name);
		else
			fputs(", ", m);
		fprintf(m, "'%s'", r->allow[i].pattern);
	}
	if (shown)
		fputc('.', m);
	else
		fprintf(m, " No %s operations are allowed in this security context.", c->name);
	if (out.penultimate)
		fputs(" FINAL WARNING: Agent will be stopped if this tool is denied again.", m);
	if (fclose(m) != 0)
		return -ENOMEM;
	out.message = TAKE_PTR(msg);
	*ret = out;
	return 0;
}
