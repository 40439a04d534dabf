/* SPDX-License-Identifier: MIT */
#include "result.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/jsontab.h"

static const char *const status_names[_AG3_STATUS_MAX] = {
	[AG3_STATUS_EXITED] = "exited",
	[AG3_STATUS_SIGNALED] = "signaled",
	[AG3_STATUS_TIMEOUT] = "timeout",
	[AG3_STATUS_OOM] = "oom",
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
	for (size_t i = 0; i < r->network.n_events; i++)
		free(r->network.events[i].name);
	free(r->network.events);
	for (size_t i = 0; i < r->network.n_dests; i++)
		free(r->network.dests[i].name);
	free(r->network.dests);
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

static double ms_of(struct timeval tv)
{
	return (double)tv.tv_sec * 1000.0 + (double)tv.tv_usec / 1000.0;
}

/* A string from outside (argv, a path, a message quoting them): invalid UTF-8 becomes U+FFFD. */
static void w_text(struct ag3_jw *w, const char *key, const char *s)
{
	ag3_jw_key(w, key);
	if (s)
		ag3_jw_text(w, s, strlen(s));
	else
		ag3_jw_null(w);
}

static void w_setup_error(struct ag3_jw *w, const struct ag3_error *se)
{
	ag3_jw_key(w, "setup_error");
	if (!se) {
		ag3_jw_null(w);
		return;
	}
	ag3_jw_open(w, '{');
	w_text(w, "stage", se->stage);
	ag3_jw_key(w, "errno");
	ag3_jw_i64(w, se->err);
	w_text(w, "errno_name", ag3_errno_name(se->err));
	w_text(w, "path", se->path);
	w_text(w, "message", se->msg ? se->msg : strerror(se->err));
	ag3_jw_close(w);
}

static void w_rusage(struct ag3_jw *w, const struct rusage *ru)
{
	const struct {
		const char *key;
		long v;
	} counts[] = {
		{"max_rss_kb", ru->ru_maxrss},           {"minor_faults", ru->ru_minflt},
		{"major_faults", ru->ru_majflt},         {"voluntary_switches", ru->ru_nvcsw},
		{"involuntary_switches", ru->ru_nivcsw},
	};

	ag3_jw_key(w, "rusage");
	ag3_jw_open(w, '{');
	ag3_jw_key(w, "user_ms");
	ag3_jw_double(w, ms_of(ru->ru_utime));
	ag3_jw_key(w, "system_ms");
	ag3_jw_double(w, ms_of(ru->ru_stime));
	for (size_t i = 0; i < ELEMENTSOF(counts); i++) {
		ag3_jw_key(w, counts[i].key);
		ag3_jw_i64(w, counts[i].v);
	}
	ag3_jw_close(w);
}

/*
 * A captured stream's text (up to 256 MiB, its JSON form up to 6 times that)
 * is escaped straight into the record's buffer, never copied first; the
 * buffer is sized once for both streams (see ag3_result_to_json).
 */
static void w_output(struct ag3_jw *w, const char *key, const struct ag3_output *out)
{
	ag3_jw_key(w, key);
	if (!out->captured) {
		ag3_jw_null(w);
		return;
	}
	ag3_jw_open(w, '{');
	ag3_jw_key(w, "bytes");
	ag3_jw_u64(w, out->total);
	ag3_jw_key(w, "truncated");
	ag3_jw_bool(w, out->truncated);
	ag3_jw_key(w, "text");
	ag3_jw_text(w, out->data, out->data ? out->len : 0);
	ag3_jw_close(w);
}

static void w_enforcement(struct ag3_jw *w, const struct ag3_result *r)
{
	const struct {
		bool on;
		const char *name;
	} nss[] = {{r->enforcement.userns, "user"},
		   {true, "mount"},
		   {true, "pid"},
		   {r->enforcement.net, "net"},
		   {r->enforcement.ipc, "ipc"},
		   {r->enforcement.uts, "uts"},
		   {r->enforcement.cgroup_ns, "cgroup"}};

	ag3_jw_key(w, "enforcement");
	ag3_jw_open(w, '{');
	const bool built = !r->enforcement.unbuilt;
	ag3_jw_key(w, "mode");
	if (built)
		ag3_jw_string(w, r->enforcement.root_mode ? "root" : "rootless");
	else
		ag3_jw_null(w);
	ag3_jw_key(w, "uid");
	if (built)
		ag3_jw_u64(w, r->enforcement.uid);
	else
		ag3_jw_null(w);
	ag3_jw_key(w, "gid");
	if (built)
		ag3_jw_u64(w, r->enforcement.gid);
	else
		ag3_jw_null(w);
	ag3_jw_key(w, "namespaces");
	ag3_jw_open(w, '[');
	for (size_t i = 0; built && i < ELEMENTSOF(nss); i++)
		if (nss[i].on) {
			ag3_jw_elem(w);
			ag3_jw_string(w, nss[i].name);
		}
	ag3_jw_close(w);
	ag3_jw_key(w, "capabilities_dropped");
	ag3_jw_bool(w, r->enforcement.caps_dropped);
	ag3_jw_key(w, "no_new_privs");
	ag3_jw_bool(w, r->enforcement.no_new_privs);
	ag3_jw_key(w, "seccomp");
	ag3_jw_bool(w, r->enforcement.seccomp);
	ag3_jw_key(w, "landlock_abi");
	ag3_jw_i64(w, r->enforcement.landlock_abi);
	ag3_jw_key(w, "degraded");
	ag3_jw_open(w, '[');
	for (size_t i = 0; i < r->enforcement.n_degraded; i++) {
		ag3_jw_elem(w);
		ag3_jw_text(w, r->enforcement.degraded[i], strlen(r->enforcement.degraded[i]));
	}
	ag3_jw_close(w);
	ag3_jw_close(w);
}

static void w_network(struct ag3_jw *w, const struct ag3_result *r)
{
	if (!r->network.relayed)
		return;
	ag3_jw_key(w, "network");
	ag3_jw_open(w, '{');
	ag3_jw_key(w, "mode");
	ag3_jw_string(w, "allowlist");
	ag3_jw_key(w, "events");
	ag3_jw_open(w, '[');
	for (size_t i = 0; i < r->network.n_events; i++) {
		const struct ag3_net_event *e = &r->network.events[i];
		ag3_jw_elem(w);
		ag3_jw_open(w, '{');
		ag3_jw_key(w, "kind");
		ag3_jw_string(w, e->kind);
		ag3_jw_key(w, "name");
		ag3_jw_text(w, e->name, strlen(e->name));
		ag3_jw_key(w, "port");
		if (e->port >= 0)
			ag3_jw_i64(w, e->port);
		else
			ag3_jw_null(w);
		ag3_jw_key(w, "reason");
		ag3_jw_string(w, e->reason);
		ag3_jw_close(w);
	}
	ag3_jw_close(w);
	ag3_jw_key(w, "events_dropped");
	ag3_jw_u64(w, r->network.events_dropped);
	ag3_jw_key(w, "destinations");
	ag3_jw_open(w, '[');
	for (size_t i = 0; i < r->network.n_dests; i++) {
		const struct ag3_net_dest *d = &r->network.dests[i];
		ag3_jw_elem(w);
		ag3_jw_open(w, '{');
		ag3_jw_key(w, "name");
		ag3_jw_text(w, d->name, strlen(d->name));
		ag3_jw_key(w, "port");
		ag3_jw_u64(w, d->port);
		ag3_jw_key(w, "connections");
		ag3_jw_u64(w, d->connections);
		ag3_jw_key(w, "bytes_out");
		ag3_jw_u64(w, d->bytes_out);
		ag3_jw_key(w, "bytes_in");
		ag3_jw_u64(w, d->bytes_in);
		ag3_jw_close(w);
	}
	ag3_jw_close(w);
	ag3_jw_key(w, "destinations_dropped");
	ag3_jw_u64(w, r->network.dests_dropped);
	ag3_jw_close(w);
}

/* The escaped size of the texts from outside, so the buffer is allocated once. */
static size_t texts_len(const struct ag3_result *r)
{
	const struct ag3_output *outs[2] = {&r->out, &r->err};
	const struct ag3_error *se = r->setup_error;
	size_t n = 0;

	for (int k = 0; k < 2; k++)
		if (outs[k]->captured && outs[k]->data)
			n += ag3_jw_text_len(outs[k]->data, outs[k]->len);
	if (se) {
		const char *msg = se->msg ? se->msg : strerror(se->err);
		n += ag3_jw_text_len(msg, strlen(msg));
		if (se->stage)
			n += ag3_jw_text_len(se->stage, strlen(se->stage));
		if (se->path)
			n += ag3_jw_text_len(se->path, strlen(se->path));
	}
	for (size_t i = 0; i < r->enforcement.n_degraded; i++)
		n += ag3_jw_text_len(r->enforcement.degraded[i],
				     strlen(r->enforcement.degraded[i])) +
		     3;
	for (size_t i = 0; i < r->network.n_events; i++)
		n += ag3_jw_text_len(r->network.events[i].name, strlen(r->network.events[i].name)) +
		     96;
	for (size_t i = 0; i < r->network.n_dests; i++)
		n += ag3_jw_text_len(r->network.dests[i].name, strlen(r->network.dests[i].name)) +
		     128;
	return n;
}

int ag3_result_to_json(const struct ag3_result *r, char **ret)
{
	struct ag3_jw w = {0};
	const char *status = ag3_status_to_string(r->status);

	ag3_jw_reserve(&w, texts_len(r) + 1024); /* the rest is ~700 bytes */
	ag3_jw_open(&w, '{');
	if (status) { /* an invalid status leaves the key out, as it always did */
		ag3_jw_key(&w, "status");
		ag3_jw_string(&w, status);
	}
	ag3_jw_key(&w, "exit_code");
	if (r->status == AG3_STATUS_EXITED)
		ag3_jw_i64(&w, r->exit_code);
	else
		ag3_jw_null(&w);
	ag3_jw_key(&w, "signal");
	if (r->signal)
		ag3_jw_i64(&w, r->signal);
	else
		ag3_jw_null(&w);
	ag3_jw_key(&w, "cli_exit_code");
	ag3_jw_i64(&w, ag3_result_exit_code(r));
	w_setup_error(&w, r->setup_error);
	ag3_jw_key(&w, "duration_ms");
	ag3_jw_u64(&w, r->duration_ms);
	w_rusage(&w, &r->rusage);
	ag3_jw_key(&w, "peak_memory");
	ag3_jw_u64(&w, r->peak_memory);
	ag3_jw_key(&w, "oom_kills");
	ag3_jw_u64(&w, r->oom_kills);
	w_output(&w, "stdout", &r->out);
	w_output(&w, "stderr", &r->err);
	w_enforcement(&w, r);
	w_network(&w, r);
	ag3_jw_close(&w);
	return ag3_jw_finish(&w, ret);
}

void ag3_result_setup_failed(struct ag3_result *res, int err, const char *stage, const char *path,
			     const char *text)
{
	res->status = AG3_STATUS_SETUP_FAILED;
	ag3_error_free(res->setup_error);
	res->setup_error = NULL;
	ag3_error_set_stage(&res->setup_error, err, stage, path && *path ? path : NULL, "%s",
			    text && *text ? text : strerror(err));
}
