/* SPDX-License-Identifier: MIT */
/* `serve`'s `check` (serve.h): a tool call's decision, as `check --json` prints it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_policy.h"
#include "runtime/util/cleanup.h"
#include "policy/rules.h"
#include "serve.h"

void serve_policy_free(struct ag3_profile *p, struct ag3_rules *r)
{
	ag3_rules_free(r);
	ag3_profile_free(p);
}

/* The rules `check` decides with: session_workspace's, as the agent loop's. */
int serve_load_rules(const struct cli_source *src, struct ag3_profile **ret_p,
		     struct ag3_rules **ret_r, struct ag3_error **err)
{
	int r = cli_source_profile(src, ret_p, err);
	if (r < 0)
		return r;
	struct ag3_rules_options o = {.session = true,
				      .host_workspace = src->vars->dirs[AG3_DIR_WORKSPACE]};
	return ag3_rules_from_profile(*ret_p, &o, ret_r, err);
}

/*
 * A file tool's call the rules allow: the resolver on the session's spec (or
 * the request's open keys compiled), as `check` does. The reply line.
 */
static char *check_path(struct job *j, const struct ag3_rules *rules,
			const struct ag3_tool_call *call, const struct ag3_decision *d)
{
	const struct serve_req *q = &j->req;
	struct ag3_spec *own = NULL;
	const struct ag3_spec *spec = j->s ? j->s->spec : NULL;
	char *why = NULL, *line = NULL;
	if (!spec && serve_compile(q, &own, &why) < 0) {
		_cleanup_free_ char *msg = NULL;
		if (asprintf(&msg,
			     "%s's path is checked against the session's mounts, and the open "
			     "keys did not compile: %s",
			     call->name, why ? why : "out of memory") < 0)
			msg = NULL;
		free(why);
		return serve_error_line(q->id, "OPEN_FAILED", msg ? msg : "out of memory");
	}
	struct ag3_resolve_session rs = {
		.username = j->s ? j->s->username : q->source.vars->username,
		.session_id = j->s ? j->s->session_id : q->source.vars->session_id,
	};
	struct ag3_resolution res = AG3_RESOLUTION_INIT;
	enum ag3_resolve_op op;
	int r = cli_check_path(spec ? spec : own, &rs, call, &res, &op);
	cJSON *o = serve_reply_new(q->id, "decision"),
	      *dj = r < 0    ? NULL
		    : r == 1 ? cli_policy_path_denial_json(rules, call, d, &res, op)
			     : cli_policy_decision_json(rules, call, d, NULL);
	if (o && dj) {
		serve_merge(o, dj);
		line = serve_reply_line(o);
	} else {
		cJSON_Delete(o);
		cJSON_Delete(dj);
	}
	ag3_resolution_clear(&res);
	ag3_spec_free(own);
	return line ? line : serve_error_line(q->id, "INTERNAL", "out of memory");
}

void serve_job_check(struct job *j)
{
	const struct serve_req *q = &j->req;
	struct ag3_profile *p = NULL;
	struct ag3_rules *own = NULL;
	const struct ag3_rules *rules = j->s ? j->s->rules : NULL;
	struct ag3_error *err = NULL;
	char *why = NULL;
	if (!j->s && q->source.spec_path) {
		j->reply = serve_error_line(q->id, "NO_RULES",
					    "a compiled spec holds no permission rules");
		return;
	}
	if (j->s && !rules) {
		j->reply = serve_error_line(
			q->id, "NO_RULES",
			"this session was opened from a spec: it has no permission "
			"rules; give the open keys (profile ...) instead of session");
		return;
	}
	struct ag3_tool_call call = {0};
	struct ag3_decision d = {0};
	struct ag3_denial den = {0};
	struct ag3_denial_tracker t = {0};
	if (!j->s && serve_load_rules(&q->source, &p, &own, &err) < 0) {
		why = err ? ag3_error_format(err) : NULL;
		j->reply = serve_error_line(q->id, "OPEN_FAILED",
					    why ? why : "the profile did not load");
	} else if (!rules && !(rules = own)) {
		j->reply = serve_error_line(q->id, "INTERNAL", "no rules");
	} else if (ag3_tool_call_from_json(q->tool, q->input, strlen(q->input), &call, &err) < 0) {
		why = err ? ag3_error_format(err) : NULL;
		j->reply =
			serve_error_line(q->id, SERVE_BAD_REQUEST, why ? why : "'input': invalid");
	} else if (cli_check_decide(rules, &call, q->denials, q->other_denials, &d, &den, &t) < 0) {
		j->reply = serve_error_line(q->id, "INTERNAL", "out of memory");
	} else if (d.allow && cli_check_is_path_call(&call)) {
		j->reply = check_path(j, rules, &call, &d);
	} else {
		cJSON *o = serve_reply_new(q->id, "decision"),
		      *dj = cli_policy_decision_json(rules, &call, &d, d.allow ? NULL : &den);
		if (o && dj) {
			serve_merge(o, dj);
			j->reply = serve_reply_line(o);
		} else {
			cJSON_Delete(o);
			cJSON_Delete(dj);
			j->reply = serve_error_line(q->id, "INTERNAL", "out of memory");
		}
	}
	ag3_denial_tracker_clear(&t);
	ag3_denial_clear(&den);
	ag3_decision_clear(&d);
	ag3_tool_call_clear(&call);
	free(why);
	ag3_error_free(err);
	ag3_rules_free(own);
	ag3_profile_free(p);
}
