/* SPDX-License-Identifier: MIT */
/* `serve`'s jobs (serve.h): opening a session, running a command, resolving a path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/context.h"
#include "agent/resolve.h"
#include "runtime/util/cleanup.h"
#include "runtime/util/text.h"
#include "serve.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void serve_merge(cJSON *to, cJSON *from)
{
	for (cJSON *it = from ? from->child : NULL; it;) {
		cJSON *next = it->next;
		cJSON_AddItemToObject(to, it->string, cJSON_DetachItemViaPointer(from, it));
		it = next;
	}
	cJSON_Delete(from);
}

/* {"id":ID,"type":TYPE}: the start of every reply. */
cJSON *serve_reply_new(const cJSON *id, const char *type)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddItemToObject(o, "id", id ? cJSON_Duplicate(id, true) : cJSON_CreateNull());
	cJSON_AddStringToObject(o, "type", type);
	return o;
}

/* The object as one line (ag3_escape_json's: no raw control or bidi character), freed. */
char *serve_reply_line(cJSON *o)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	char *e = s ? ag3_escape_json(s) : NULL;
	free(s);
	return e;
}

char *serve_error_line(const cJSON *id, const char *code, const char *msg)
{
	cJSON *o = serve_reply_new(id, "error");
	if (o) {
		cJSON_AddStringToObject(o, "code", code);
		cJSON_AddStringToObject(o, "message", msg ? msg : "out of memory");
	}
	return serve_reply_line(o);
}

/* Compiles the request's open keys (a spec, or a profile and the session). */
int serve_compile(const struct serve_req *q, struct ag3_spec **spec, char **why)
{
	struct ag3_error *err = NULL;
	int r = cli_source_compile(&q->source, spec, &err);
	if (r < 0) {
		*why = err ? ag3_error_format(err) : NULL;
		if (!*why)
			*why = strdup(err && err->msg ? err->msg : "out of memory");
	}
	ag3_error_free(err);
	return r;
}

void serve_job_open(struct job *j)
{
	struct sess *s = j->s;
	const struct serve_req *q = &j->req;
	char *why = NULL;
	struct ag3_error *err = NULL;
	int r = serve_compile(q, &s->spec, &why);
	if (r == 0 && !q->source.spec_path)
		r = serve_load_rules(&q->source, &s->profile, &s->rules, &err);
	/* the uid policy of the request's context checks the spec's ids again */
	_cleanup_(ag3_context_freep) struct ag3_context *ctx =
		r == 0 ? cli_source_context(&q->source) : NULL;
	if (r == 0 && !ctx)
		r = ag3_error_set(&err, ENOMEM, "out of memory");
	if (r == 0 && serve_socket_path) {
		/* a socket a session could reach is refused (as `session open` refuses it) */
		for (size_t i = 0; i < s->spec->n_mounts; i++) {
			const struct ag3_mount *m = &s->spec->mounts[i];
			_cleanup_free_ char *src = m->op == AG3_MOUNT_BIND && m->source
							   ? realpath(m->source, NULL)
							   : NULL;
			size_t n = src ? strlen(src) : 0;
			if (src && (!strcmp(src, "/") || (!strncmp(serve_socket_path, src, n) &&
							  serve_socket_path[n] == '/'))) {
				r = ag3_error_set(
					&err, EPERM,
					"the sandbox would reach serve's socket %s (bound "
					"from %s at %s)",
					serve_socket_path, m->source, m->target);
				break;
			}
		}
	}
	if (r == 0)
		r = ag3_session_open_spec(ctx, s->spec, &s->s, &err);
	if (r == 0) {
		s->username = q->source.vars->username ? strdup(q->source.vars->username) : NULL;
		s->session_id =
			q->source.vars->session_id ? strdup(q->source.vars->session_id) : NULL;
		cJSON *o = serve_reply_new(q->id, "opened");
		if (o) {
			const struct ag3_spec *sp = s->spec;
			bool root = geteuid() == 0;
			cJSON_AddStringToObject(o, "session", s->name);
			cJSON_AddStringToObject(o, "network",
						ag3_net_mode_to_string(sp->network.mode));
			cJSON_AddNumberToObject(o, "uid",
						sp->identity.uid_set ? sp->identity.uid
						: root               ? 65534
								     : getuid());
			cJSON_AddNumberToObject(o, "gid",
						sp->identity.gid_set ? sp->identity.gid
						: root               ? 65534
								     : getgid());
			cJSON_AddStringToObject(o, "cwd", sp->process.cwd ? sp->process.cwd : "/");
			/* what the sandbox enforces, downgrades included: the agent is told */
			cJSON *e = cJSON_Parse(ag3_session_enforcement(s->s));
			cJSON *d = cJSON_GetObjectItemCaseSensitive(e, "degraded");
			cJSON_AddItemToObject(o, "degraded",
					      d ? cJSON_Duplicate(d, true) : cJSON_CreateArray());
			cJSON_AddItemToObject(o, "enforcement", e ? e : cJSON_CreateNull());
		}
		j->reply = serve_reply_line(o);
	} else {
		if (!why && err)
			why = ag3_error_format(err);
		j->failed = true;
		j->reply = serve_error_line(q->id, "OPEN_FAILED", why ? why : "out of memory");
	}
	free(why);
	ag3_error_free(err);
}

void serve_job_exec(struct job *j)
{
	struct exec *e = j->e;
	const struct serve_req *q = &j->req;
	struct ag3_command *c = ag3_command_new();
	struct ag3_error *err = NULL;
	int r = c ? 0 : -ENOMEM;
	if (r == 0)
		r = q->argv ? ag3_command_set_argv(c, q->argv) : ag3_command_set_shell(c, q->shell);
	if (r == 0 && q->cwd)
		r = ag3_command_set_cwd(c, q->cwd);
	for (size_t i = 0; r == 0 && i < q->n_env; i++)
		r = ag3_command_add_env(c, q->env[2 * i], q->env[2 * i + 1]);
	if (r == 0 && q->capture)
		r = ag3_command_set_capture(c, 0);
	else if (r == 0)
		r = ag3_command_set_fds(c, -1, e->wr[0], q->merge ? e->wr[0] : e->wr[1]);
	if (r == 0 && q->have_stdin)
		r = ag3_command_set_stdin(c, q->stdin_data ? (const void *)q->stdin_data : "",
					  q->stdin_len);
	if (r == 0 && q->timeout_set)
		r = ag3_command_set_timeout_ms(c, q->timeout_ms);
	if (r == 0)
		r = ag3_command_set_cancel_fd(c, e->cancel_fd);
	if (r == 0)
		r = ag3_session_exec(e->s->s, c, &e->res, &err);
	if (r < 0)
		e->fail = err && err->msg ? strdup(err->msg) : strdup(strerror(-r));
	ag3_error_free(err);
	ag3_command_free(c);
	/* the command's ends are gone: the pipes reach EOF once drained */
	close_fd(&e->wr[0]);
	close_fd(&e->wr[1]);
}

void serve_job_resolve(struct job *j, bool fd_passing)
{
	const struct serve_req *q = &j->req;
	struct ag3_spec *own = NULL;
	const struct ag3_spec *spec = j->s ? j->s->spec : NULL;
	char *why = NULL;
	if (!spec && serve_compile(q, &own, &why) < 0) {
		j->reply = serve_error_line(q->id, "OPEN_FAILED", why ? why : "out of memory");
		free(why);
		return;
	}
	if (!spec)
		spec = own;
	struct ag3_resolve_session rs = {
		.username = j->s ? j->s->username : q->source.vars->username,
		.session_id = j->s ? j->s->session_id : q->source.vars->session_id,
		.blocklist = q->blocklist,
		.exemptions = q->exemptions,
		.readonly_prefixes = q->readonly_prefixes,
	};
	struct ag3_resolution res = AG3_RESOLUTION_INIT;
	char *json = NULL;
	int r = ag3_resolve(spec, &rs, q->path, q->rop, q->allow_directory, &res);
	if (r == 0)
		r = ag3_resolution_to_json(&res, q->rop, q->path, &json);
	cJSON *parsed = r == 0 ? cJSON_Parse(json) : NULL,
	      *o = serve_reply_new(q->id, "resolution");
	if (!parsed || !o) {
		cJSON_Delete(o);
		j->reply =
			serve_error_line(q->id, "INTERNAL",
					 r < 0 ? strerror(-r) : "the resolution has no JSON form");
		goto out;
	}
	serve_merge(o, TAKE_PTR(parsed));
	if (res.allowed && q->want_fd && fd_passing && (res.fd >= 0 || res.dir_fd >= 0)) {
		cJSON *fds = cJSON_AddArrayToObject(o, "fds");
		if (res.fd >= 0) {
			cJSON_AddItemToArray(fds, cJSON_CreateString("fd"));
			j->fds[j->nfds++] = res.fd;
			res.fd = -1;
		}
		if (res.dir_fd >= 0) {
			cJSON_AddItemToArray(fds, cJSON_CreateString("dir_fd"));
			j->fds[j->nfds++] = res.dir_fd;
			res.dir_fd = -1;
		}
	}
	if (res.allowed && res.name)
		cJSON_AddStringToObject(o, "name", res.name);
	j->reply = serve_reply_line(o);
out:
	cJSON_Delete(parsed);
	free(json);
	ag3_resolution_clear(&res);
	ag3_spec_free(own);
}
