/* SPDX-License-Identifier: MIT */
/* `serve`'s request parser and checker (serve-proto.h). */
#include "serve-proto.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/resolve.h"
#include "policy/rules.h"
#include "policy/uid-policy.h"
#include "policy/vars.h"

struct parse {
	struct serve_req *r;
	const char **code;
	char **msg;
};

__attribute__((format(printf, 3, 4))) static int bad(struct parse *p, const char *code,
						     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(*p->msg);
	if (vasprintf(p->msg, fmt, ap) < 0)
		*p->msg = NULL;
	va_end(ap);
	*p->code = code;
	return -1;
}

/* An integral JSON number in [min, max] (|v| <= 2^53: exact in a double). */
static int get_int(struct parse *p, const cJSON *it, double min, double max, double *ret)
{
	double v = it->valuedouble;
	if (!cJSON_IsNumber(it) || !isfinite(v) || v != floor(v) || v < min || v > max)
		return bad(p, SERVE_BAD_REQUEST, "'%s': not an integer from %.0f to %.0f",
			   it->string, min, max);
	*ret = v;
	return 0;
}

static int get_bool(struct parse *p, const cJSON *it, bool *ret)
{
	if (!cJSON_IsBool(it))
		return bad(p, SERVE_BAD_REQUEST, "'%s': not true or false", it->string);
	*ret = cJSON_IsTrue(it);
	return 0;
}

/* A non-empty string; `abs`: an absolute path. */
static int get_str(struct parse *p, const cJSON *it, bool abs, const char **ret)
{
	if (!cJSON_IsString(it) || !it->valuestring[0])
		return bad(p, SERVE_BAD_REQUEST, "'%s': not a non-empty string", it->string);
	if (abs && it->valuestring[0] != '/')
		return bad(p, SERVE_BAD_REQUEST, "'%s': '%s' is not an absolute path", it->string,
			   it->valuestring);
	*ret = it->valuestring;
	return 0;
}

/* An array of at most `max` non-empty strings: a NULL-terminated array (its own). */
static int get_strv(struct parse *p, const cJSON *it, size_t max, const char ***ret)
{
	if (!cJSON_IsArray(it))
		return bad(p, SERVE_BAD_REQUEST, "'%s': not an array of strings", it->string);
	int n = cJSON_GetArraySize(it);
	if ((size_t)n > max)
		return bad(p, SERVE_BAD_REQUEST, "'%s': more than %zu entries", it->string, max);
	const char **v = calloc((size_t)n + 1, sizeof(*v));
	if (!v)
		return bad(p, "INTERNAL", "out of memory");
	int i = 0;
	const cJSON *e;
	cJSON_ArrayForEach(e, it)
	{
		if (!cJSON_IsString(e)) {
			free(v);
			return bad(p, SERVE_BAD_REQUEST, "'%s'[%d]: not a string", it->string, i);
		}
		v[i++] = e->valuestring;
	}
	*ret = v;
	return 0;
}

static const signed char b64val[256] = {
	['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,
	['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
	['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
	['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
	['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
	['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
	['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
	['/'] = 64,
}; /* value + 1; 0: not in the alphabet */

/* Strict base64: padded, no whitespace, at most `max` bytes decoded. */
static int get_base64(struct parse *p, const cJSON *it, size_t max, unsigned char **ret,
		      size_t *len)
{
	if (!cJSON_IsString(it))
		return bad(p, SERVE_BAD_REQUEST, "'%s': not a base64 string", it->string);
	const unsigned char *s = (const unsigned char *)it->valuestring;
	size_t n = strlen(it->valuestring);
	if (n / 4 * 3 > max + 2)
		return bad(p, SERVE_BAD_REQUEST, "'%s': more than %zu bytes", it->string, max);
	if (n % 4)
		return bad(p, SERVE_BAD_REQUEST,
			   "'%s': not base64 (its length is not a multiple of 4)", it->string);
	unsigned char *out = malloc(n / 4 * 3 + 1);
	if (!out)
		return bad(p, "INTERNAL", "out of memory");
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int pad = 0;
		uint32_t v = 0;
		for (int k = 0; k < 4; k++) {
			unsigned char c = s[i + k];
			if (c == '=' && i + 4 == n && k >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (!b64val[c] || pad) {
				free(out);
				return bad(p, SERVE_BAD_REQUEST, "'%s': not base64 (at byte %zu)",
					   it->string, i + (size_t)k);
			}
			v = v << 6 | (uint32_t)(b64val[c] - 1);
		}
		out[o++] = (unsigned char)(v >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(v >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)v;
	}
	if (o > max) {
		free(out);
		return bad(p, SERVE_BAD_REQUEST, "'%s': more than %zu bytes", it->string, max);
	}
	*ret = out;
	*len = o;
	return 0;
}

char *serve_base64(const void *data, size_t len)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *d = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)d[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)d[i + 1] << 8;
		if (i + 2 < len)
			v |= d[i + 2];
		*o++ = a[v >> 18 & 63];
		*o++ = a[v >> 12 & 63];
		*o++ = i + 1 < len ? a[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? a[v & 63] : '=';
	}
	*o = 0;
	return out;
}

bool serve_id_equal(const cJSON *a, const cJSON *b)
{
	return a && b && cJSON_Compare(a, b, true);
}

/* An id: an integer, or a string of at most SERVE_MAX_ID bytes. */
static int check_id(struct parse *p, const cJSON *it)
{
	if (cJSON_IsString(it) && strlen(it->valuestring) <= SERVE_MAX_ID)
		return 0;
	double v;
	if (cJSON_IsNumber(it) && get_int(p, it, -9007199254740992.0, 9007199254740992.0, &v) == 0)
		return 0;
	return bad(p, SERVE_BAD_REQUEST, "'%s': not an integer or a string of at most %d bytes",
		   it->string, SERVE_MAX_ID);
}

/* The `open` keys (the CLI's session options): 1 handled, 0 not one, -1 bad. */
static int open_key(struct parse *p, const cJSON *it)
{
	struct cli_source *src = &p->r->source;
	struct ag3_vars *v = src->vars;
	const char *k = it->string, *s = NULL;
	double d;
	int r = 0;
	if (!strcmp(k, "profile"))
		r = get_str(p, it, false, &src->profile_path);
	else if (!strcmp(k, "spec"))
		r = get_str(p, it, false, &src->spec_path);
	else if (!strcmp(k, "mounts"))
		r = get_str(p, it, false, &src->mounts_path);
	else if (!strcmp(k, "host_root"))
		r = get_str(p, it, true, &src->host_root);
	else if (!strcmp(k, "user") || !strcmp(k, "session_id")) {
		if ((r = get_str(p, it, false, &s)) == 0) {
			char **dst = k[0] == 'u' ? &v->username : &v->session_id;
			if (!(*dst = strdup(s)))
				r = bad(p, "INTERNAL", "out of memory");
		}
	} else if (!strcmp(k, "uid") || !strcmp(k, "gid")) {
		if ((r = get_int(p, it, 1, 4294967294.0, &d)) == 0) {
			if (k[0] == 'u')
				v->uid_set = true, v->uid = (uid_t)d;
			else
				v->gid_set = true, v->gid = (gid_t)d;
		}
	} else if (!strcmp(k, "api_uid")) {
		if ((r = get_int(p, it, 1, 4294967294.0, &d)) == 0)
			src->api_uid_set = true, src->api_uid = (uid_t)d;
	} else if (!strcmp(k, "uid_mode")) {
		if ((r = get_str(p, it, false, &s)) == 0) {
			int m = (int)ag3_uid_mode_from_string(s);
			if (m < 0)
				r = bad(p, SERVE_BAD_REQUEST,
					"'uid_mode': '%s' is not isolated, direct or any", s);
			else
				src->uid_mode = (enum ag3_uid_mode)m;
		}
	} else if (!strcmp(k, "workspace")) {
		if ((r = get_str(p, it, true, &s)) == 0 &&
		    ag3_vars_set_dir(v, AG3_DIR_WORKSPACE, s) < 0)
			r = bad(p, "INTERNAL", "out of memory");
	} else if (!strcmp(k, "dynamic") || !strcmp(k, "secrets")) {
		bool dyn = k[0] == 'd';
		const char **list = NULL;
		size_t max = dyn ? CLI_MAX_DYNAMIC : CLI_MAX_SECRETS;
		if ((r = get_strv(p, it, max, &list)) == 0) {
			for (size_t i = 0; r == 0 && list[i]; i++) {
				if (!list[i][0])
					r = bad(p, SERVE_BAD_REQUEST, "'%s'[%zu]: empty", k, i);
				else if (dyn)
					src->dynamic_args[src->n_dynamic++] = list[i];
				else
					src->secrets_paths[src->n_secrets++] = list[i];
			}
			free(list);
		}
	} else if (!strcmp(k, "dirs")) {
		if (!cJSON_IsObject(it))
			return bad(p, SERVE_BAD_REQUEST, "'dirs': not an object");
		const cJSON *e;
		cJSON_ArrayForEach(e, it)
		{
			int dir = (int)ag3_dir_from_string(e->string);
			if (dir < 0 || dir == AG3_DIR_WORKSPACE)
				return bad(p, SERVE_BAD_REQUEST, "'dirs': unknown key '%s'",
					   e->string);
			if (v->dirs[dir])
				return bad(p, SERVE_BAD_REQUEST, "'dirs': '%s' given twice",
					   e->string);
			if (cJSON_IsNull(e))
				continue;
			if (get_str(p, e, true, &s) < 0)
				return -1;
			if (ag3_vars_set_dir(v, (enum ag3_dir)dir, s) < 0)
				return bad(p, "INTERNAL", "out of memory");
		}
	} else {
		return 0;
	}
	if (r == 0)
		p->r->has_source = true;
	return r < 0 ? -1 : 1;
}

static int exec_key(struct parse *p, const cJSON *it)
{
	struct serve_req *r = p->r;
	const char *k = it->string, *s = NULL;
	double d;
	if (!strcmp(k, "argv")) {
		const char **v = NULL;
		if (get_strv(p, it, SERVE_MAX_ARGV, &v) < 0)
			return -1;
		r->argv = (char **)v;
		if (!v[0])
			return bad(p, SERVE_BAD_REQUEST, "'argv': empty");
		return 1;
	}
	if (!strcmp(k, "shell"))
		return get_str(p, it, false, &r->shell) < 0 ? -1 : 1;
	if (!strcmp(k, "cwd"))
		return get_str(p, it, true, &r->cwd) < 0 ? -1 : 1;
	if (!strcmp(k, "stdin")) {
		r->have_stdin = true;
		return get_base64(p, it, SERVE_MAX_STDIN, &r->stdin_data, &r->stdin_len) < 0 ? -1
											     : 1;
	}
	if (!strcmp(k, "timeout_ms")) {
		if (get_int(p, it, 0, 9007199254740992.0, &d) < 0)
			return -1;
		r->timeout_set = true;
		r->timeout_ms = (uint64_t)d;
		return 1;
	}
	if (!strcmp(k, "capture"))
		return get_bool(p, it, &r->capture) < 0 ? -1 : 1;
	if (!strcmp(k, "stderr")) {
		if (get_str(p, it, false, &s) < 0)
			return -1;
		if (strcmp(s, "merge") && strcmp(s, "separate"))
			return bad(p, SERVE_BAD_REQUEST, "'stderr': '%s' is not separate or merge",
				   s);
		r->merge = !strcmp(s, "merge");
		return 1;
	}
	if (!strcmp(k, "env")) {
		if (!cJSON_IsObject(it))
			return bad(p, SERVE_BAD_REQUEST, "'env': not an object of strings");
		int n = cJSON_GetArraySize(it);
		if (n > SERVE_MAX_ENV)
			return bad(p, SERVE_BAD_REQUEST, "'env': more than %d variables",
				   SERVE_MAX_ENV);
		r->env = calloc((size_t)n * 2 + 1, sizeof(*r->env));
		if (!r->env)
			return bad(p, "INTERNAL", "out of memory");
		const cJSON *e;
		cJSON_ArrayForEach(e, it)
		{
			if (!e->string[0] || strchr(e->string, '='))
				return bad(p, SERVE_BAD_REQUEST,
					   "'env': '%s' is not a variable name (empty, or has '=')",
					   e->string);
			if (!cJSON_IsString(e))
				return bad(p, SERVE_BAD_REQUEST, "'env': '%s' is not a string",
					   e->string);
			r->env[2 * r->n_env] = e->string;
			r->env[2 * r->n_env + 1] = e->valuestring;
			r->n_env++;
		}
		return 1;
	}
	return 0;
}

static int resolve_key(struct parse *p, const cJSON *it)
{
	struct serve_req *r = p->r;
	const char *k = it->string, *s = NULL;
	if (!strcmp(k, "operation")) {
		if (get_str(p, it, false, &s) < 0)
			return -1;
		int op = (int)ag3_resolve_op_from_string(s);
		if (op < 0)
			return bad(p, SERVE_BAD_REQUEST,
				   "'operation': '%s' is not read, write, edit, delete, list, glob "
				   "or grep",
				   s);
		r->rop = op;
		return 1;
	}
	if (!strcmp(k, "path")) {
		/* the resolver refuses an empty path itself, with its reason code */
		if (!cJSON_IsString(it))
			return bad(p, SERVE_BAD_REQUEST, "'path': not a string");
		r->path = it->valuestring;
		return 1;
	}
	if (!strcmp(k, "allow_directory"))
		return get_bool(p, it, &r->allow_directory) < 0 ? -1 : 1;
	if (!strcmp(k, "fd"))
		return get_bool(p, it, &r->want_fd) < 0 ? -1 : 1;
	const char ***list = !strcmp(k, "blocklist")           ? &r->blocklist
			     : !strcmp(k, "exemptions")        ? &r->exemptions
			     : !strcmp(k, "readonly_prefixes") ? &r->readonly_prefixes
							       : NULL;
	if (!list)
		return 0;
	return get_strv(p, it, SERVE_MAX_LIST, list) < 0 ? -1 : 1;
}

static const struct {
	const char *name;
	enum serve_op op;
} ops[] = {
	{"open", SERVE_OP_OPEN},   {"exec", SERVE_OP_EXEC},   {"cancel", SERVE_OP_CANCEL},
	{"close", SERVE_OP_CLOSE}, {"check", SERVE_OP_CHECK}, {"resolve", SERVE_OP_RESOLVE},
};

/* The keys of each op (besides op and id). */
static const char *const open_keys[] = {"profile",    "spec",    "mounts",  "host_root", "user",
					"session_id", "uid",     "gid",     "api_uid",   "uid_mode",
					"workspace",  "dynamic", "secrets", "dirs",      NULL};
static const char *const op_keys[][10] = {
	[SERVE_OP_OPEN] = {NULL},
	[SERVE_OP_EXEC] = {"session", "argv", "shell", "cwd", "stdin", "timeout_ms", "capture",
			   "stderr", "env", NULL},
	[SERVE_OP_CANCEL] = {"exec", NULL},
	[SERVE_OP_CLOSE] = {"session", NULL},
	[SERVE_OP_CHECK] = {"session", "tool", "input", "denials", "other_denials", NULL},
	[SERVE_OP_RESOLVE] = {"session", "operation", "path", "allow_directory", "fd", "blocklist",
			      "exemptions", "readonly_prefixes", NULL},
};

static bool in_list(const char *const *l, const char *k)
{
	for (; *l; l++)
		if (!strcmp(*l, k))
			return true;
	return false;
}

static bool key_known(enum serve_op op, const char *k)
{
	if (!strcmp(k, "op") || !strcmp(k, "id") || in_list(op_keys[op], k))
		return true;
	return (op == SERVE_OP_OPEN || op == SERVE_OP_CHECK || op == SERVE_OP_RESOLVE) &&
	       in_list(open_keys, k);
}

/* One key of the request: 1 handled, 0 not a key of this op, -1 bad. */
static int one_key(struct parse *p, const cJSON *it)
{
	struct serve_req *r = p->r;
	const char *k = it->string;
	enum serve_op op = r->op;
	if (!strcmp(k, "op") || !strcmp(k, "id"))
		return 1; /* read before */
	if (!strcmp(k, "session"))
		return get_str(p, it, false, &r->session) < 0 ? -1 : 1;
	if (op == SERVE_OP_OPEN || op == SERVE_OP_CHECK || op == SERVE_OP_RESOLVE) {
		int h = open_key(p, it);
		if (h)
			return h;
	}
	switch (op) {
	case SERVE_OP_EXEC:
		return exec_key(p, it);
	case SERVE_OP_CANCEL:
		if (strcmp(k, "exec"))
			return 0;
		if (check_id(p, it) < 0)
			return -1;
		r->exec_id = (cJSON *)it;
		return 1;
	case SERVE_OP_CHECK:
		if (!strcmp(k, "tool"))
			return get_str(p, it, false, &r->tool) < 0 ? -1 : 1;
		if (!strcmp(k, "input")) {
			if (!cJSON_IsObject(it))
				return bad(p, SERVE_BAD_REQUEST, "'input': not a JSON object");
			r->input = cJSON_PrintUnformatted(it);
			return r->input ? 1 : bad(p, "INTERNAL", "out of memory");
		}
		if (!strcmp(k, "denials") || !strcmp(k, "other_denials")) {
			/* as check's options: earlier denials in this agent run (at the
			 * maximum the agent was stopped already) */
			bool own = !strcmp(k, "denials");
			double d;
			if (get_int(p, it, 0,
				    own ? AG3_MAX_DENIALS_PER_TOOL - 1 : AG3_MAX_DENIALS_TOTAL - 1,
				    &d) < 0)
				return -1;
			*(own ? &r->denials : &r->other_denials) = (unsigned)d;
			return 1;
		}
		return 0;
	case SERVE_OP_RESOLVE:
		return resolve_key(p, it);
	default:
		return 0;
	}
}

static bool dirs_given(const struct ag3_vars *v)
{
	for (int d = 0; d < _AG3_DIR_MAX; d++)
		if (v->dirs[d])
			return true;
	return false;
}

/* What each op requires, once every key was read. */
static int check_required(struct parse *p)
{
	struct serve_req *r = p->r;
	const char *need = NULL;
	switch (r->op) {
	case SERVE_OP_OPEN:
		if (r->source.spec_path &&
		    (r->source.profile_path || r->source.mounts_path || r->source.n_secrets ||
		     r->source.n_dynamic || r->source.host_root || r->source.vars->username ||
		     r->source.vars->session_id || r->source.vars->uid_set ||
		     r->source.vars->gid_set || dirs_given(r->source.vars)))
			return bad(p, SERVE_BAD_REQUEST,
				   "'spec': a compiled spec takes no profile or session key "
				   "(only uid_mode and api_uid)");
		break;
	case SERVE_OP_EXEC:
		if (!r->session)
			need = "session";
		else if (!!r->argv == !!r->shell)
			return bad(p, SERVE_BAD_REQUEST,
				   "exactly one of 'argv' and 'shell' is needed");
		break;
	case SERVE_OP_CANCEL:
		if (!r->exec_id)
			need = "exec";
		break;
	case SERVE_OP_CLOSE:
		if (!r->session)
			need = "session";
		break;
	case SERVE_OP_CHECK:
	case SERVE_OP_RESOLVE:
		if (r->session && r->has_source)
			return bad(p, SERVE_BAD_REQUEST,
				   "'session' and the open keys exclude each other");
		if (r->op == SERVE_OP_CHECK)
			need = !r->tool ? "tool" : !r->input ? "input" : NULL;
		else
			need = !cJSON_GetObjectItemCaseSensitive(r->root, "operation") ? "operation"
			       : !r->path                                              ? "path"
										       : NULL;
		break;
	}
	if (need)
		return bad(p, SERVE_BAD_REQUEST, "'%s' is missing", need);
	return 0;
}

int serve_req_parse(const char *line, size_t len, struct serve_req *r, const char **code,
		    char **msg)
{
	struct parse p = {.r = r, .code = code, .msg = msg};
	*msg = NULL;
	*r = (struct serve_req){0};
	if (memchr(line, 0, len))
		return bad(&p, SERVE_BAD_JSON, "the line holds a NUL byte");
	r->root = cJSON_ParseWithLength(line, len);
	if (!r->root || !cJSON_IsObject(r->root))
		return bad(&p, SERVE_BAD_JSON, "the line is not a JSON object");
	/* cJSON ends a C string at a \u0000: a path would be cut short there */
	if (memmem(line, len, "\\u0000", 6))
		return bad(&p, SERVE_BAD_REQUEST, "a string holds \\u0000");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r->root, "id");
	if (id && !cJSON_IsNull(id)) {
		if (check_id(&p, id) < 0)
			return -1;
		if (!(r->id = cJSON_Duplicate(id, true)))
			return bad(&p, "INTERNAL", "out of memory");
	}
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(r->root, "op");
	if (!op)
		return bad(&p, SERVE_BAD_REQUEST, "'op' is missing");
	if (!cJSON_IsString(op))
		return bad(&p, SERVE_BAD_REQUEST, "'op': not a string");
	size_t i = 0;
	while (i < sizeof(ops) / sizeof(ops[0]) && strcmp(ops[i].name, op->valuestring))
		i++;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return bad(&p, SERVE_UNKNOWN_OP,
			   "'%.64s' is not open, exec, cancel, close, check or resolve",
			   op->valuestring);
	r->op = ops[i].op;
	if (!(r->source.vars = ag3_vars_new()))
		return bad(&p, "INTERNAL", "out of memory");
	/* every key once (a duplicate could mean two things to two readers); no op has
	 * more than SERVE_MAX_KEYS keys: the quadratic check below stays small */
	if (cJSON_GetArraySize(r->root) > SERVE_MAX_KEYS)
		return bad(&p, SERVE_BAD_REQUEST, "more than %d keys", SERVE_MAX_KEYS);
	const cJSON *it;
	cJSON_ArrayForEach(it, r->root)
	{
		for (const cJSON *prev = r->root->child; prev != it; prev = prev->next)
			if (!strcmp(prev->string, it->string))
				return bad(&p, SERVE_BAD_REQUEST, "'%.64s' given twice",
					   it->string);
		if (!key_known(r->op, it->string))
			return bad(&p, SERVE_BAD_REQUEST, "unknown key '%.64s' for '%s'",
				   it->string, ops[i].name);
		if (cJSON_IsNull(it))
			continue; /* null: as if absent */
		if (one_key(&p, it) < 0)
			return -1;
	}
	return check_required(&p);
}

void serve_req_clear(struct serve_req *r)
{
	cJSON_Delete(r->root);
	cJSON_Delete(r->id);
	ag3_vars_free(r->source.vars);
	free(r->argv);
	free(r->env);
	free(r->stdin_data);
	free(r->input);
	free(r->blocklist);
	free(r->exemptions);
	free(r->readonly_prefixes);
	*r = (struct serve_req){0};
}
