/* SPDX-License-Identifier: MIT */
#include "result.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[_AG3_STATUS_MAX] = {
	[AG3_STATUS_EXITED] = "exited",	  [AG3_STATUS_SIGNALED] = "signaled",
	[AG3_STATUS_TIMEOUT] = "timeout", [AG3_STATUS_OOM] = "oom",
	[AG3_STATUS_SETUP_FAILED] = "setup_failed",
};

const char *ag3_status_to_string(enum ag3_status s)
{
	if ((int)s < 0 || s >= _AG3_STATUS_MAX)
		return NULL;
	return status_names[s];
}

void ag3_result_clear(struct ag3_result *r)
{
	free(r->out.data);
	free(r->err.data);
	ag3_error_free(r->setup_error);
	for (size_t i = 0; i < r->enforcement.n_degraded; i++)
		free(r->enforcement.degraded[i]);
	memset(r, 0, sizeof(*r));
}

void ag3_result_add_degraded(struct ag3_result *r, const char *what)
{
	if (r->enforcement.n_degraded >= AG3_MAX_DEGRADED)
		return;
	char *s = strdup(what);
	if (s)
		r->enforcement.degraded[r->enforcement.n_degraded++] = s;
}

int ag3_result_exit_code(const struct ag3_result *r)
{
	switch (r->status) {
	case AG3_STATUS_EXITED:
		return r->exit_code;
	case AG3_STATUS_SIGNALED:
	case AG3_STATUS_OOM:
		return 128 + r->signal;
	case AG3_STATUS_TIMEOUT:
		return 124;
	case AG3_STATUS_SETUP_FAILED:
		if (r->setup_error && r->setup_error->stage &&
		    strcmp(r->setup_error->stage, "exec") == 0)
			return r->setup_error->err == ENOENT ? 127 : 126;
		return 125;
	default:
		return 125;
	}
}

/* The length of the valid UTF-8 sequence (no NUL, no overlong form, no surrogate)
 * at p[i], or 0 if the byte there starts none. */
static size_t utf8_seq(const char *p, size_t n, size_t i)
{
	unsigned char c = (unsigned char)p[i];
	size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
	bool ok = len > 0 && c != 0 && i + len <= n;
	for (size_t k = 1; ok && k < len; k++)
		ok = ((unsigned char)p[i + k] >> 6) == 2;
	if (ok && len == 2 && c < 0xc2)
		ok = false; /* overlong */
	if (ok && len == 3) {
		unsigned cp = ((c & 0x0fu) << 12) | (((unsigned char)p[i + 1] & 0x3fu) << 6) |
			      ((unsigned char)p[i + 2] & 0x3fu);
		ok = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
	}
	if (ok && len == 4) {
		unsigned cp = ((c & 0x07u) << 18) | (((unsigned char)p[i + 1] & 0x3fu) << 12) |
			      (((unsigned char)p[i + 2] & 0x3fu) << 6) | ((unsigned char)p[i + 3] & 0x3fu);
		ok = cp >= 0x10000 && cp <= 0x10ffff;
	}
	return ok ? len : 0;
}

/*
 * The bytes as the body of a JSON string (no quotes), valid UTF-8: invalid
 * sequences and NUL become U+FFFD, '"', '\' and control characters are escaped
 * as cJSON escapes them. Writes to `w` if it is not NULL; returns the length.
 */
static size_t json_body(const char *p, size_t n, char *w)
{
	static const char hex[] = "0123456789abcdef";
	size_t out = 0;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(p, n, i);
		unsigned char c = (unsigned char)p[i];
		char esc[6];
		const char *src = p + i;
		size_t k = len;
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
			static const char short_esc[32] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
							   ['\r'] = 'r', ['\t'] = 't'};
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
		if (w)
			memcpy(w + out, src, k);
		out += k;
		i += len;
	}
	return out;
}

/* Adds a string from outside (argv, a path, a message quoting them) as valid UTF-8. */
static cJSON *text_item(const char *s)
{
	size_t n = strlen(s), i = 0, w = 0;
	char *t = malloc(n * 3 + 1);
	if (!t)
		return cJSON_CreateString("");
	while (i < n) {
		size_t len = utf8_seq(s, n, i);
		memcpy(t + w, len ? s + i : "\xef\xbf\xbd", len ? len : 3);
		w += len ? len : 3;
		i += len ? len : 1;
	}
	t[w] = 0;
	cJSON *item = cJSON_CreateString(t);
	free(t);
	return item;
}

static void add_text(cJSON *o, const char *key, const char *s)
{
	cJSON_AddItemToObject(o, key, text_item(s));
}

/*
 * A captured stream's text is not copied into the cJSON tree (it can be 256 MiB,
 * and its JSON form up to 6 times that): the tree gets a raw placeholder, a
 * control byte that cJSON's output never holds, and the text is escaped straight
 * into the final record (see ag3_result_to_json).
 */
#define PLACEHOLDER_OUT "\x01"
#define PLACEHOLDER_ERR "\x02"

static void add_output(cJSON *o, const char *key, const struct ag3_output *out,
		       const char *placeholder)
{
	if (!out->captured) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	cJSON *s = cJSON_AddObjectToObject(o, key);
	cJSON_AddNumberToObject(s, "bytes", (double)out->total);
	cJSON_AddBoolToObject(s, "truncated", out->truncated);
	cJSON_AddRawToObject(s, "text", placeholder);
}

/* Replaces each placeholder in `printed` by its stream's text as a JSON string. */
static char *fill_outputs(const char *printed, const struct ag3_result *r)
{
	const struct ag3_output *outs[2] = {&r->out, &r->err};
	size_t lens[2] = {0, 0}, total = strlen(printed);
	for (int k = 0; k < 2; k++)
		if (outs[k]->captured) {
			lens[k] = json_body(outs[k]->data ? outs[k]->data : "", outs[k]->len, NULL);
			total += lens[k] + 2;
		}
	char *s = malloc(total + 1), *w = s;
	if (!s)
		return NULL;
	for (const char *p = printed; *p; p++) {
		int k = *p == PLACEHOLDER_OUT[0] ? 0 : *p == PLACEHOLDER_ERR[0] ? 1 : -1;
		if (k < 0) {
			*w++ = *p;
			continue;
		}
		*w++ = '"';
		w += json_body(outs[k]->data ? outs[k]->data : "", outs[k]->len, w);
		*w++ = '"';
	}
	*w = 0;
	return s;
}

static double ms_of(struct timeval tv)
{
	return (double)tv.tv_sec * 1000.0 + (double)tv.tv_usec / 1000.0;
}

int ag3_result_to_json(const struct ag3_result *r, char **ret)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return -ENOMEM;
	cJSON_AddStringToObject(o, "status", ag3_status_to_string(r->status));
	if (r->status == AG3_STATUS_EXITED)
		cJSON_AddNumberToObject(o, "exit_code", r->exit_code);
	else
		cJSON_AddNullToObject(o, "exit_code");
	if (r->signal)
		cJSON_AddNumberToObject(o, "signal", r->signal);
	else
		cJSON_AddNullToObject(o, "signal");
	cJSON_AddNumberToObject(o, "cli_exit_code", ag3_result_exit_code(r));
	if (r->setup_error) {
		cJSON *e = cJSON_AddObjectToObject(o, "setup_error");
		const struct ag3_error *se = r->setup_error;
		if (se->stage)
			add_text(e, "stage", se->stage);
		else
			cJSON_AddNullToObject(e, "stage");
		cJSON_AddNumberToObject(e, "errno", se->err);
		cJSON_AddStringToObject(e, "errno_name", ag3_errno_name(se->err));
		if (se->path)
			add_text(e, "path", se->path);
		else
			cJSON_AddNullToObject(e, "path");
		add_text(e, "message", se->msg ? se->msg : strerror(se->err));
	} else {
		cJSON_AddNullToObject(o, "setup_error");
	}
	cJSON_AddNumberToObject(o, "duration_ms", (double)r->duration_ms);
	cJSON *ru = cJSON_AddObjectToObject(o, "rusage");
	cJSON_AddNumberToObject(ru, "user_ms", ms_of(r->rusage.ru_utime));
	cJSON_AddNumberToObject(ru, "system_ms", ms_of(r->rusage.ru_stime));
	cJSON_AddNumberToObject(ru, "max_rss_kb", (double)r->rusage.ru_maxrss);
	cJSON_AddNumberToObject(ru, "minor_faults", (double)r->rusage.ru_minflt);
	cJSON_AddNumberToObject(ru, "major_faults", (double)r->rusage.ru_majflt);
	cJSON_AddNumberToObject(ru, "voluntary_switches", (double)r->rusage.ru_nvcsw);
	cJSON_AddNumberToObject(ru, "involuntary_switches", (double)r->rusage.ru_nivcsw);
	cJSON_AddNumberToObject(o, "peak_memory", (double)r->peak_memory);
	cJSON_AddNumberToObject(o, "oom_kills", (double)r->oom_kills);
	add_output(o, "stdout", &r->out, PLACEHOLDER_OUT);
	add_output(o, "stderr", &r->err, PLACEHOLDER_ERR);
	cJSON *en = cJSON_AddObjectToObject(o, "enforcement");
	cJSON_AddStringToObject(en, "mode", r->enforcement.root_mode ? "root" : "rootless");
	cJSON_AddNumberToObject(en, "uid", r->enforcement.uid);
	cJSON_AddNumberToObject(en, "gid", r->enforcement.gid);
	cJSON *ns = cJSON_AddArrayToObject(en, "namespaces");
	const struct {
		bool on;
		const char *name;
	} nss[] = {{r->enforcement.userns, "user"}, {true, "mount"},
		   {true, "pid"},		    {r->enforcement.net, "net"},
		   {r->enforcement.ipc, "ipc"},	    {r->enforcement.uts, "uts"},
		   {r->enforcement.cgroup_ns, "cgroup"}};
	for (size_t i = 0; i < ELEMENTSOF(nss); i++)
		if (nss[i].on)
			cJSON_AddItemToArray(ns, cJSON_CreateString(nss[i].name));
	cJSON_AddBoolToObject(en, "capabilities_dropped", r->enforcement.caps_dropped);
	cJSON_AddBoolToObject(en, "no_new_privs", r->enforcement.no_new_privs);
	cJSON_AddBoolToObject(en, "seccomp", r->enforcement.seccomp);
	cJSON_AddNumberToObject(en, "landlock_abi", r->enforcement.landlock_abi);
	cJSON *dg = cJSON_AddArrayToObject(en, "degraded");
	for (size_t i = 0; i < r->enforcement.n_degraded; i++)
		cJSON_AddItemToArray(dg, text_item(r->enforcement.degraded[i]));
	char *printed = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!printed)
		return -ENOMEM;
	char *s = fill_outputs(printed, r);
	free(printed);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}
