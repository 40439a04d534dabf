/* SPDX-License-Identifier: MIT */
/*
 * `explain`: what the sandboxed command sees at a path (which mount op, from
 * which YAML key), or which rule decides a tool call. Also the pieces `check`
 * shares (tools/cli_policy.h).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_diag.h"
#include "cli_options.h"
#include "cli_policy.h"
#include "policy/explain.h"
#include "policy/mounts-config.h"
#include "policy/profile-model.h"
#include "runtime/spec_json.h"

const char cli_explain_help[] =
	"Usage: " PROG " explain [OPTIONS] PATH\n"
	"       " PROG " explain [OPTIONS] TOOL-CALL\n"
	"       " PROG " explain [OPTIONS] --tool NAME --input JSON\n"
	"       " PROG " explain [OPTIONS] --env\n"
	"\n"
	"PATH (absolute, inside the sandbox): compiles the profile and session like\n"
	"`compile` and says what a sandboxed command sees there: the mount op that provides\n"
	"it (the last one whose target is the path or one of its parents: a later mask or\n"
	"tmpfs hides what was mounted before it), the profile key it came from with its\n"
	"file:line:column, read-only or read-write, the host path a bind shows, and what\n"
	"it hides; or that the path is masked, or absent. Symlink ops on the way are\n"
	"followed.\n"
	"\n"
	"/etc/passwd and /etc/group: the runtime's own files when the profile names the\n"
	"command's user (sandbox.user), whatever /etc gives.\n"
	"\n"
	"--env: the command's environment (secrets redacted), each variable with the\n"
	"profile key that sets it and where, and the command's user by name.\n"
	"\n"
	"TOOL-CALL ('Bash(git status)', 'Read(./src/a.py)', 'Task'), or --tool and --input:\n"
	"the decision on that call (as `check` makes it), the rule that decides it, every\n"
	"rule that matches it, and the commands a shell line splits into.\n"
	"\n"
	"Nothing is run: no sandbox is entered.\n"
	"\n"
	"%s"
	"\n"
	"Options:\n"
	"  --tool NAME        the tool's name (with --input)\n"
	"  --input JSON       the tool's input, a JSON object\n"
	"  --no-session       tool calls: the profile's permissions: rules (no session)\n"
	"  --env              the command's environment and user, with their profile keys\n"
	"  --json             print one JSON object\n"
	"  -h, --help         this text\n"
	"\n"
	"Exit status: 0 explained (a tool call: allowed), 1 a tool call that is denied,\n"
	"2 error.\n";

/* ------------------------------------------------------ shared helpers -- */

int cli_policy_rules(struct cli_source *src, const char *cmd, bool session,
		     struct ag3_profile **ret_profile, struct ag3_rules **ret_rules)
{
	struct ag3_error *err = NULL;
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = NULL;
	if (src->spec_path) {
		cli_error("%s: --spec holds no permission rules; give --profile", cmd);
		return -1;
	}
	if (cli_source_profile(src, &p, &err) < 0) {
		cli_print_error(NULL, err);
		ag3_error_free(err);
		return -1;
	}
	struct ag3_rules_options o = {.session = session,
				      .host_workspace = src->vars->dirs[AG3_DIR_WORKSPACE]};
	if (ag3_rules_from_profile(p, &o, ret_rules, &err) < 0) {
		cli_print_error(NULL, err);
		ag3_error_free(err);
		return -1;
	}
	*ret_profile = TAKE_PTR(p);
	return 0;
}

/* Prints `o` (NULL: it could not be built) and frees it. 0, or -1 with the error printed. */
static int print_json(cJSON *o)
{
	char *s = o ? cJSON_Print(o) : NULL;
	cJSON_Delete(o);
	if (!s) {
		cli_error("out of memory");
		return -1;
	}
	cli_print_json(stdout, s);
	free(s);
	return 0;
}

/* Adds the string `s`, or null when it is NULL. */
static void add_string_or_null(cJSON *o, const char *name, const char *s)
{
	if (s)
		cJSON_AddStringToObject(o, name, s);
	else
		cJSON_AddNullToObject(o, name);
}

/* A rule's YAML key and file:line:column. */
static void add_rule_where(cJSON *o, const struct ag3_rules *r, const struct ag3_rule *rule)
{
	add_string_or_null(o, "key", rule->key);
	add_string_or_null(o, "file", r->file);
	cJSON_AddNumberToObject(o, "line", rule->line);
	cJSON_AddNumberToObject(o, "column", rule->col);
}

static cJSON *rule_json(const struct ag3_rules *r, const struct ag3_rule *rule)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "rule", rule->pattern);
	cJSON_AddStringToObject(o, "list", rule->list == AG3_RULE_DENY ? "deny" : "allow");
	add_rule_where(o, r, rule);
	return o;
}

/* The decision as a JSON object (check's output; explain adds to it). */
cJSON *cli_policy_decision_json(const struct ag3_rules *r, const struct ag3_tool_call *c,
				const struct ag3_decision *d, const struct ag3_denial *den)
{
	cJSON *o = cJSON_CreateObject();
	_cleanup_free_ char *call = ag3_tool_call_string(c);
	if (!o || !call) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddStringToObject(o, "decision", d->allow ? "allow" : "deny");
	cJSON_AddStringToObject(o, "reason", ag3_decision_reason_to_string(d->reason));
	if (d->rule) {
		cJSON_AddStringToObject(o, "rule", d->rule->pattern);
		add_rule_where(o, r, d->rule);
	} else {
		cJSON_AddNullToObject(o, "rule");
		cJSON_AddNullToObject(o, "key");
		cJSON_AddNullToObject(o, "file");
		cJSON_AddNullToObject(o, "line");
		cJSON_AddNullToObject(o, "column");
	}
	add_string_or_null(o, "message", den ? den->message : NULL);
	cJSON_AddBoolToObject(o, "interrupt", den && den->interrupt);
	cJSON_AddStringToObject(o, "call", call);
	cJSON_AddStringToObject(o, "tool", c->tool ? c->tool : c->name);
	add_string_or_null(o, "part", d->part);
	if (d->detail)
		cJSON_AddStringToObject(o, "detail", d->detail);
	cJSON_AddStringToObject(o, "mode", ag3_permission_mode_to_string(r->mode));
	cJSON_AddStringToObject(o, "rules", r->session ? "session_workspace" : "permissions");
	return o;
}

static const char *reason_text(const struct ag3_decision *d, const struct ag3_rules *r)
{
	switch (d->reason) {
	case AG3_REASON_SANDBOX_BYPASS:
		return "dangerouslyDisableSandbox is set: a security violation";
	case AG3_REASON_DENY_RULE:
		return "a deny rule matches";
	case AG3_REASON_ALLOW_RULE:
		return "allow rules match";
	case AG3_REASON_MODE_ALLOW:
		return "no rule matches, and defaultMode is bypassPermissions";
	case AG3_REASON_DEFAULT_DENY:
		return r->mode == AG3_PERM_BYPASS ? "no rule matches"
						  : "no allow rule matches (default deny)";
	case AG3_REASON_UNCHECKABLE:
		return "it cannot be checked";
	default:
		return "";
	}
}

static void print_decision_text(const struct ag3_rules *r, const struct ag3_tool_call *c,
				const struct ag3_decision *d, const struct ag3_denial *den)
{
	_cleanup_free_ char *call = ag3_tool_call_string(c);
	printf("%s: %s\n", d->allow ? "allow" : "deny", cli_esc(call ? call : c->name));
	printf("  reason:    %s%s%s\n", reason_text(d, r), d->detail ? ": " : "",
	       d->detail ? cli_esc(d->detail) : "");
	if (d->rule)
		printf("  rule:      '%s' (%s, %s:%u:%u)\n", cli_esc(d->rule->pattern),
		       cli_esc(d->rule->key ? d->rule->key : "?"), cli_esc(r->file ? r->file : "?"),
		       d->rule->line, d->rule->col);
	if (d->part)
		printf("  command:   '%s' (one of %zu in the line)\n", cli_esc(d->part),
		       d->n_parts);
	printf("  rules:     %s, defaultMode %s\n",
	       r->session ? "session_workspace (a session is active)" : "permissions",
	       ag3_permission_mode_to_string(r->mode));
	if (den) {
		printf("  message:   %s\n", cli_esc(den->message));
		printf("  interrupt: %s\n", den->interrupt ? "yes" : "no");
	}
}

int cli_policy_print_decision(const struct ag3_rules *r, const struct ag3_tool_call *c,
			      const struct ag3_decision *d, const struct ag3_denial *den, bool json)
{
	if (!json) {
		print_decision_text(r, c, d, den);
		return 0;
	}
	return print_json(cli_policy_decision_json(r, c, d, den));
}

cJSON *cli_policy_path_denial_json(const struct ag3_rules *r, const struct ag3_tool_call *c,
				   const struct ag3_decision *d, const struct ag3_resolution *res,
				   enum ag3_resolve_op op)
{
	_cleanup_free_ char *rs = NULL;
	cJSON *o = cli_policy_decision_json(r, c, d, NULL), *path = NULL;
	if (o && ag3_resolution_to_json(res, op, c->arg, &rs) == 0)
		path = cJSON_Parse(rs);
	if (!o || !path) {
		cJSON_Delete(o);
		cJSON_Delete(path);
		return NULL;
	}
	cJSON_ReplaceItemInObject(o, "decision", cJSON_CreateString("deny"));
	cJSON_ReplaceItemInObject(o, "reason",
				  cJSON_CreateString(ag3_resolve_reason_to_string(res->reason)));
	cJSON_ReplaceItemInObject(o, "message",
				  cJSON_CreateString(res->message ? res->message : ""));
	static const char *const unset[] = {"rule", "key", "file", "line", "column"};
	for (size_t i = 0; i < ELEMENTSOF(unset); i++)
		cJSON_ReplaceItemInObject(o, unset[i], cJSON_CreateNull());
	cJSON_AddStringToObject(o, "rules_decision", ag3_decision_reason_to_string(d->reason));
	cJSON_AddItemToObject(o, "path", path);
	return o;
}

int cli_policy_print_path_denial(const struct ag3_rules *r, const struct ag3_tool_call *c,
				 const struct ag3_decision *d, const struct ag3_resolution *res,
				 enum ag3_resolve_op op, bool json)
{
	if (!json) {
		_cleanup_free_ char *call = ag3_tool_call_string(c);
		printf("deny: %s\n", cli_esc(call ? call : c->name));
		printf("  reason:    %s: the path is refused (%s; the tool rules allow the call: "
		       "%s)\n",
		       ag3_resolve_reason_to_string(res->reason), ag3_resolve_op_to_string(op),
		       reason_text(d, r));
		if (res->sandbox_path)
			printf("  path:      %s\n", cli_esc(res->sandbox_path));
		printf("  rules:     %s, defaultMode %s\n",
		       r->session ? "session_workspace (a session is active)" : "permissions",
		       ag3_permission_mode_to_string(r->mode));
		printf("  message:   %s\n", cli_esc(res->message ? res->message : ""));
		printf("  interrupt: no\n");
		return 0;
	}
	return print_json(cli_policy_path_denial_json(r, c, d, res, op));
}

/* ------------------------------------------------------------- a path -- */

static cJSON *mount_json(const struct ag3_spec *spec, size_t i, const struct ag3_profile *p,
			 const struct ag3_mounts_config *x)
{
	const struct ag3_mount *m = &spec->mounts[i];
	struct ag3_explain_origin ol;
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	ag3_explain_origin_locate(p, x, m->origin, &ol);
	cJSON_AddNumberToObject(o, "index", (double)i);
	cJSON_AddStringToObject(o, "op", ag3_mount_op_to_string(m->op));
	add_string_or_null(o, "source", m->source);
	cJSON_AddStringToObject(o, "target", m->target);
	cJSON_AddBoolToObject(o, "ro", m->ro);
	cJSON_AddBoolToObject(o, "optional", m->optional);
	add_string_or_null(o, "origin", m->origin);
	add_string_or_null(o, "key", ol.key);
	if (ol.file) {
		cJSON_AddStringToObject(o, "file", ol.file);
		cJSON_AddNumberToObject(o, "line", ol.loc.key_line);
		cJSON_AddNumberToObject(o, "column", ol.loc.key_col);
	} else {
		cJSON_AddNullToObject(o, "file");
		cJSON_AddNullToObject(o, "line");
		cJSON_AddNullToObject(o, "column");
	}
	free(ol.key);
	return o;
}

static void print_mount_text(const char *label, const struct ag3_spec *spec, size_t i,
			     const struct ag3_profile *p, const struct ag3_mounts_config *x)
{
	const struct ag3_mount *m = &spec->mounts[i];
	struct ag3_explain_origin ol;
	ag3_explain_origin_locate(p, x, m->origin, &ol);
	printf("  %-10s #%zu %s", label, i, ag3_mount_op_to_string(m->op));
	if (m->op == AG3_MOUNT_BIND)
		printf(" %s -> %s (%s)", cli_esc(m->source), cli_esc(m->target),
		       m->ro ? "ro" : "rw");
	else if (m->op == AG3_MOUNT_SYMLINK)
		printf(" %s -> %s", cli_esc(m->target), cli_esc(m->source));
	else
		printf(" %s%s", cli_esc(m->target), m->ro ? " (ro)" : "");
	printf(", from %s", cli_esc(m->origin ? m->origin : "?"));
	if (ol.file)
		printf(" (%s:%u:%u)", cli_esc(ol.file), ol.loc.key_line, ol.loc.key_col);
	putchar('\n');
	free(ol.key);
}

/* Whether the command may write a read-write bind's host path, and the fix. */
static const char *ha_verdict(const struct cli_host_access *ha)
{
	if (ha->writable > 0)
		return "can write it";
	if (ha->writable < 0)
		return "may or may not write it (it could not be checked)";
	if (!ha->ids.privileged)
		return "cannot write it (give that uid write access)";
	return ha->uid ? "cannot write it (chown it to that uid, or pass --uid/--gid of its owner)"
		       : "cannot write it (chown it to that uid)";
}

/* The profile key that sets an environment variable of a compiled profile. */
static const char *env_key(const struct ag3_env_var *v)
{
	static const struct {
		const char *name, *key;
	} keys[] = {
		{"HOME", "sandbox.environment.home"},
		{"PATH", "sandbox.environment.path"},
		{"USER", "sandbox.user.name"},
		{"LOGNAME", "sandbox.user.name"},
		{"SHELL", "sandbox.user.shell"},
		{"LANG", "sandbox.environment.lang"},
		{"LC_ALL", "sandbox.environment.lang"},
		{"TERM", "sandbox.environment.term"},
		{"TMPDIR", "sandbox.environment.tmpdir"},
		{"GIT_AUTHOR_NAME", "sandbox.user.git_name"},
		{"GIT_COMMITTER_NAME", "sandbox.user.git_name"},
		{"GIT_AUTHOR_EMAIL", "sandbox.user.git_email"},
		{"GIT_COMMITTER_EMAIL", "sandbox.user.git_email"},
	};
	if (v->secret)
		return NULL; /* the session's (--secrets, sandboxed_envs) */
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (!strcmp(v->name, keys[i].name))
			return keys[i].key;
	return NULL;
}

static cJSON *user_json(const struct ag3_spec *spec)
{
	if (!spec->identity.name)
		return cJSON_CreateNull();
	cJSON *u = cJSON_CreateObject();
	if (!u)
		return NULL;
	cJSON_AddStringToObject(u, "name", spec->identity.name);
	cJSON_AddStringToObject(u, "group", spec->identity.group);
	cJSON_AddStringToObject(u, "home", spec->identity.home);
	cJSON_AddStringToObject(u, "shell", spec->identity.shell);
	return u;
}

/* `explain --env`: every variable, its value (secrets redacted) and the key that sets it. */
static int explain_env(struct cli_source *src, bool json)
{
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = NULL;
	struct ag3_error *err = NULL;
	if (cli_source_spec(src, &spec) < 0)
		return 2;
	if (!src->spec_path && cli_source_profile(src, &p, &err) < 0)
		p = NULL;
	ag3_error_free(err);
	cJSON *o = json ? cJSON_CreateObject() : NULL, *a = NULL;
	if (json && (!o || !cJSON_AddItemToObject(o, "env", a = cJSON_CreateArray())))
		goto oom;
	if (!json)
		printf("environment (nothing else reaches the command):\n");
	for (size_t i = 0; i < spec->process.n_env; i++) {
		const struct ag3_env_var *v = &spec->process.env[i];
		const char *key = p ? env_key(v) : NULL;
		const char *value = v->secret ? "<redacted>" : v->value;
		struct ag3_ploc loc = {0};
		const bool located = key && ag3_profile_locate(p, key, &loc) == 0;
		const char *from = key                                   ? key
				   : v->secret                           ? "the session (secrets)"
				   : !p                                  ? "the spec"
				   : !strcmp(v->name, "AG3NTUM_CONTEXT") ? "builtin"
									 : "the session";
		if (json) {
			cJSON *e = cJSON_CreateObject();
			if (!e || !cJSON_AddItemToArray(a, e))
				goto oom;
			cJSON_AddStringToObject(e, "name", v->name);
			cJSON_AddStringToObject(e, "value", value);
			cJSON_AddBoolToObject(e, "secret", v->secret);
			cJSON_AddStringToObject(e, "from", from);
			add_string_or_null(e, "file", located ? p->file : NULL);
			if (located) {
				cJSON_AddNumberToObject(e, "line", loc.key_line);
				cJSON_AddNumberToObject(e, "column", loc.key_col);
			} else {
				cJSON_AddNullToObject(e, "line");
				cJSON_AddNullToObject(e, "column");
			}
			continue;
		}
		printf("  %s=%s  (%s", cli_esc(v->name), cli_esc(value), cli_esc(from));
		if (located)
			printf(", %s:%u:%u", cli_esc(p->file), loc.key_line, loc.key_col);
		else if (key)
			printf(", the default");
		if (!strcmp(v->name, "TERM") && spec->process.term_from_caller)
			printf("; the caller's TERM when its stdio is a terminal");
		printf(")\n");
	}
	if (json) {
		cJSON_AddBoolToObject(o, "term_from_caller", spec->process.term_from_caller);
		cJSON_AddItemToObject(o, "user", user_json(spec));
		return print_json(o) < 0 ? 2 : 0;
	}
	if (spec->identity.name)
		printf("user: %s (group %s, home %s, shell %s) with the command's uid and gid, in "
		       "/etc/passwd and /etc/group the runtime writes (read-only; root, the user "
		       "and nobody only)\n",
		       cli_esc(spec->identity.name), cli_esc(spec->identity.group),
		       cli_esc(spec->identity.home), cli_esc(spec->identity.shell));
	else
		printf("user: no generated /etc/passwd (sandbox.user.passwd: false): the names "
		       "are what the mounts give\n");
	return 0;
oom:
	cJSON_Delete(o);
	cli_error("out of memory");
	return 2;
}

static int explain_path(struct cli_source *src, const char *path, bool json)
{
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = NULL;
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *x = NULL;
	struct ag3_explain_path e = {0};
	struct ag3_error *err = NULL;

	if (cli_source_spec(src, &spec) < 0)
		return 2;
	if (!src->spec_path) {
		/* the spec came from this profile: load it again, to point at its lines */
		int r = cli_source_profile(src, &p, &err);
		ag3_error_free(err);
		err = NULL;
		if (r < 0)
			p = NULL;
		if (cli_source_load_mounts(src, &x) < 0)
			return 2;
	}
	if (ag3_explain_path(spec, path, &e, &err) < 0) {
		cli_print_error("explain", err);
		ag3_error_free(err);
		return 2;
	}
	const struct ag3_mount *m = e.mount >= 0 ? &spec->mounts[e.mount] : NULL;
	/* a read-write bind: whether the command's ids may write what is there */
	struct cli_host_access ha = {0};
	if (m && m->op == AG3_MOUNT_BIND && !e.ro && e.host_path && e.host_exists)
		cli_host_access(spec, e.host_path, &ha);
	/* the runtime's own files, over whatever the mounts put there */
	const bool generated = spec->identity.name && (!strcmp(e.resolved, "/etc/passwd") ||
						       !strcmp(e.resolved, "/etc/group"));
	struct ag3_explain_absent why[16] = {0};
	size_t n_why = 0;
	if ((e.state == AG3_EXPLAIN_ABSENT || e.state == AG3_EXPLAIN_CREATED) &&
	    ag3_explain_absent(spec, p, x, src->vars, src->host_root, e.resolved, why,
			       ELEMENTSOF(why), &n_why) < 0)
		goto oom;
	if (json) {
		cJSON *o = cJSON_CreateObject(), *a;
		if (!o)
			goto oom;
		cJSON_AddStringToObject(o, "path", e.path);
		cJSON_AddStringToObject(o, "resolved", e.resolved);
		cJSON_AddStringToObject(
			o, "state", generated ? "generated" : ag3_explain_state_to_string(e.state));
		cJSON_AddStringToObject(o, "access", e.ro || generated ? "ro" : "rw");
		cJSON_AddItemToObject(o, "user", generated ? user_json(spec) : cJSON_CreateNull());
		cJSON_AddItemToObject(o, "mount",
				      m ? mount_json(spec, (size_t)e.mount, p, x)
					: cJSON_CreateNull());
		if (e.host_path) {
			cJSON_AddStringToObject(o, "host_path", e.host_path);
			cJSON_AddBoolToObject(o, "host_exists", e.host_exists);
			cJSON *ow = ha.known ? cJSON_AddObjectToObject(o, "host_owner") : NULL;
			if (ow) {
				cJSON_AddNumberToObject(ow, "uid", ha.uid);
				cJSON_AddNumberToObject(ow, "gid", ha.gid);
				cJSON_AddNumberToObject(ow, "mode", ha.mode & 07777);
				cJSON_AddNumberToObject(ow, "sandbox_uid", ha.ids.uid);
				if (ha.writable >= 0)
					cJSON_AddBoolToObject(ow, "writable", ha.writable);
				else
					cJSON_AddNullToObject(ow, "writable");
			}
		} else {
			cJSON_AddNullToObject(o, "host_path");
			cJSON_AddNullToObject(o, "host_exists");
		}
		cJSON_AddItemToObject(o, "holder",
				      e.holder >= 0 ? mount_json(spec, (size_t)e.holder, p, x)
						    : cJSON_CreateNull());
		cJSON_AddItemToObject(o, "shadowed", a = cJSON_CreateArray());
		for (size_t i = 0; a && i < e.n_shadowed; i++)
			cJSON_AddItemToArray(a, mount_json(spec, e.shadowed[i], p, x));
		cJSON_AddItemToObject(o, "symlinks", a = cJSON_CreateArray());
		for (size_t i = 0; a && i < e.n_hops; i++) {
			cJSON *h = cJSON_CreateObject();
			cJSON_AddStringToObject(h, "from", e.hops[i].from);
			cJSON_AddStringToObject(h, "to", e.hops[i].to);
			cJSON_AddItemToObject(h, "mount", mount_json(spec, e.hops[i].mount, p, x));
			cJSON_AddItemToArray(a, h);
		}
		cJSON_AddItemToObject(o, "not_mounted", a = cJSON_CreateArray());
		for (size_t i = 0; a && i < n_why; i++) {
			cJSON *w = cJSON_CreateObject();
			cJSON_AddStringToObject(w, "origin", why[i].what);
			cJSON_AddStringToObject(w, "target", why[i].target);
			cJSON_AddStringToObject(w, "reason", why[i].why);
			cJSON_AddItemToArray(a, w);
		}
		print_json(o);
		ag3_explain_absent_clear(why, n_why);
		ag3_explain_path_clear(&e);
		return 0;
	}

	for (size_t i = 0; i < e.n_hops; i++)
		printf("%s -> %s (a symlink: #%zu, from %s)\n", cli_esc(e.hops[i].from),
		       cli_esc(e.hops[i].to), e.hops[i].mount,
		       cli_esc(spec->mounts[e.hops[i].mount].origin));
	if (generated)
		printf("%s: the runtime's own file, read-only, written for each sandbox: root, %s "
		       "(the command's %s, home %s, shell %s) and %s, never the host's list "
		       "(sandbox.user), mounted over:\n",
		       cli_esc(e.resolved), cli_esc(spec->identity.name),
		       !strcmp(e.resolved, "/etc/passwd") ? "uid" : "gid",
		       cli_esc(spec->identity.home), cli_esc(spec->identity.shell),
		       !strcmp(e.resolved, "/etc/passwd") ? "nobody" : "nogroup");
	switch (e.state) {
	case AG3_EXPLAIN_MOUNTED:
		printf("%s: %s, %s\n", cli_esc(e.resolved),
		       !m                         ? "the sandbox's root (an empty tmpfs)"
		       : m->op == AG3_MOUNT_BIND  ? "a bind of the host"
		       : m->op == AG3_MOUNT_TMPFS ? "a tmpfs"
		       : m->op == AG3_MOUNT_PROC  ? "the sandbox's own /proc"
						  : "the sandbox's minimal /dev",
		       e.ro ? "read-only"
		       : ha.known && ha.writable == 0
			       ? "mounted read-write, but the sandbox's uid cannot write it"
			       : "read-write");
		break;
	case AG3_EXPLAIN_MASKED:
		printf("%s: masked (an empty read-only tmpfs, or /dev/null for a file)\n",
		       cli_esc(e.resolved));
		break;
	case AG3_EXPLAIN_CREATED:
		printf("%s: an empty %s made by the mount list, %s\n", cli_esc(e.resolved),
		       spec->mounts[e.holder].op == AG3_MOUNT_FILE ? "file" : "directory",
		       e.ro ? "read-only" : "read-write");
		break;
	case AG3_EXPLAIN_ABSENT:
	default:
		printf("%s: absent (nothing is mounted or created there; it is inside %s, "
		       "%s)\n",
		       cli_esc(e.resolved), m ? "a tmpfs" : "the sandbox's empty root",
		       e.ro ? "read-only" : "read-write: a command can create it");
		break;
	}
	if (m)
		print_mount_text("mount:", spec, (size_t)e.mount, p, x);
	else
		printf("  %-10s the root tmpfs (read-only)\n", "mount:");
	if (e.host_path)
		printf("  %-10s %s%s\n", "host path:", cli_esc(e.host_path),
		       e.host_exists ? "" : " (does not exist on this host now)");
	if (ha.known)
		printf("  %-10s uid %u, gid %u, mode %04o: the sandbox's %s %u (gid %u) on this "
		       "host %s\n",
		       "owner:", (unsigned)ha.uid, (unsigned)ha.gid, (unsigned)(ha.mode & 07777),
		       ha.ids.privileged ? "uid" : "user is your own uid", (unsigned)ha.ids.uid,
		       (unsigned)ha.ids.gid, ha_verdict(&ha));
	if (e.holder >= 0)
		print_mount_text("made for:", spec, (size_t)e.holder, p, x);
	for (size_t i = 0; i < e.n_shadowed; i++)
		print_mount_text("hides:", spec, e.shadowed[i], p, x);
	for (size_t i = 0; i < n_why; i++)
		printf("  %-10s %s at %s: %s\n", "not here:", cli_esc(why[i].what),
		       cli_esc(why[i].target), cli_esc(why[i].why));
	ag3_explain_absent_clear(why, n_why);
	ag3_explain_path_clear(&e);
	return 0;
oom:
	ag3_explain_absent_clear(why, n_why);
	ag3_explain_path_clear(&e);
	cli_error("out of memory");
	return 2;
}

/* -------------------------------------------------------- a tool call -- */

static int explain_call(struct cli_source *src, bool session, const char *text, const char *tool,
			const char *input, bool json)
{
	_cleanup_(ag3_rules_freep) struct ag3_rules *rules = NULL;
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = NULL;
	struct ag3_tool_call c = {0};
	struct ag3_explain_call e = {0};
	struct ag3_denial den = {0};
	struct ag3_denial_tracker t = {0};
	struct ag3_error *err = NULL;
	int rc = 2;

	if (cli_policy_rules(src, "explain", session, &p, &rules) < 0)
		return 2;
	int r = text ? ag3_tool_call_parse(text, &c, &err)
		     : ag3_tool_call_from_json(tool, input, strlen(input), &c, &err);
	if (r < 0) {
		cli_print_error("explain", err);
		ag3_error_free(err);
		return 2;
	}
	if (ag3_explain_call(rules, &c, &e) < 0 ||
	    (!e.decision.allow && ag3_denial_record(&t, rules, &c, &e.decision, &den) < 0)) {
		cli_error("out of memory");
		goto out;
	}
	if (json) {
		cJSON *o = cli_policy_decision_json(rules, &c, &e.decision,
						    e.decision.allow ? NULL : &den),
		      *a;
		if (!o) {
			cli_error("out of memory");
			goto out;
		}
		cJSON_AddItemToObject(o, "matching", a = cJSON_CreateArray());
		for (size_t i = 0; a && i < e.n_matching; i++)
			cJSON_AddItemToArray(a, rule_json(rules, e.matching[i]));
		if (e.parts) {
			cJSON_AddItemToObject(o, "commands", a = cJSON_CreateArray());
			for (size_t i = 0; a && i < e.n_parts; i++)
				cJSON_AddItemToArray(a, cJSON_CreateString(e.parts[i]));
		} else {
			cJSON_AddNullToObject(o, "commands");
		}
		print_json(o);
	} else {
		print_decision_text(rules, &c, &e.decision, e.decision.allow ? NULL : &den);
		if (e.parts && e.n_parts > 1)
			for (size_t i = 0; i < e.n_parts; i++)
				printf("  %-10s %s\n", i ? "" : "commands:", cli_esc(e.parts[i]));
		if (!e.n_matching)
			printf("  matching:  no rule\n");
		for (size_t i = 0; i < e.n_matching; i++)
			printf("  %-10s %s '%s' (%s, %s:%u:%u)\n", i ? "" : "matching:",
			       e.matching[i]->list == AG3_RULE_DENY ? "deny " : "allow",
			       cli_esc(e.matching[i]->pattern),
			       cli_esc(e.matching[i]->key ? e.matching[i]->key : "?"),
			       cli_esc(rules->file ? rules->file : "?"), e.matching[i]->line,
			       e.matching[i]->col);
	}
	rc = e.decision.allow ? 0 : 1;
out:
	ag3_denial_tracker_clear(&t);
	ag3_denial_clear(&den);
	ag3_explain_call_clear(&e);
	ag3_tool_call_clear(&c);
	return rc;
}

int cli_explain(int argc, char **argv)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *vars = ag3_vars_new();
	if (!vars) {
		cli_error("out of memory");
		return 2;
	}
	struct cli_source src = {.vars = vars};
	bool json = false, no_session = false, env = false;
	const char *tool = NULL, *input = NULL;
	const struct cli_opt opts[] = {
		{"json", 0, CLI_OPT_FLAG, &json, .value = true},
		{"env", 0, CLI_OPT_FLAG, &env, .value = true},
		{"tool", 0, CLI_OPT_STRING, &tool},
		{"input", 0, CLI_OPT_STRING, &input},
		{"no-session", 0, CLI_OPT_FLAG, &no_session, .value = true},
		{0},
	};
	const struct cli_command_options co = {.cmd = "explain",
					       .help = cli_explain_help,
					       .source = &src,
					       .permute = true,
					       .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	if (env) {
		if (tool || input || first != argc) {
			cli_error("explain: --env takes no PATH, TOOL-CALL, --tool or --input");
			return 2;
		}
		return explain_env(&src, json);
	}
	if (tool || input) {
		if (tool && input && cli_refuse_operands("explain", argc, argv, first) < 0)
			return CLI_EXIT_USAGE;
		if (!tool || !input || first != argc) {
			cli_error(
				"explain: --tool and --input go together, with no other argument");
			return 2;
		}
		return explain_call(&src, !no_session, NULL, tool, input, json);
	}
	if (cli_refuse_operands("explain", argc, argv, first + 1) < 0)
		return CLI_EXIT_USAGE;
	if (argc - first != 1) {
		cli_error("explain: expected one PATH or TOOL-CALL (see '" PROG
			  " explain --help')");
		return 2;
	}
	const char *arg = argv[first];
	if (arg[0] == '/')
		return explain_path(&src, arg, json);
	/* `dir/file`, `./x`: meant as a path, and sandbox paths are absolute */
	if (!strchr(arg, '(') && (strchr(arg, '/') || arg[0] == '.')) {
		cli_error("explain: '%s': a PATH must be absolute (a path inside the sandbox, like "
			  "/workspace/%s)",
			  arg, arg[0] == '.' && arg[1] == '/' ? arg + 2 : arg);
		return 2;
	}
	return explain_call(&src, !no_session, arg, NULL, NULL, json);
}
