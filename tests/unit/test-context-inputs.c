/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for what a context brings to a compile besides the profile and
 * the mounts file: dynamic mount requests (policy/mounts-dynamic.c), session
 * secrets (policy/secrets.c) and the uid policy (policy/uid-policy.c). Host
 * paths live beneath fake roots built in temporary directories
 * (ag3_compile_options.host_root). The mounts file's own tests are in
 * test-mounts-config.c.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/compile.h"
#include "policy/mounts-config.h"
#include "policy/profile-model.h"
#include "policy/secrets.h"
#include "policy/uid-policy.h"
#include "policy/vars.h"
#include "runtime/spec_json.h"

#include "helpers.h"
#include "mounts-helpers.h"

/* --------------------------------------------------- dynamic requests -- */

static const char dyn_mounts[] =
	"global:\n"
	"  ro:\n"
	"    - {name: datasets, host_path: /data/ml-datasets, optional: true}\n"
	"dynamic:\n"
	"  enabled: true\n"
	"  security:\n"
	"    max_mounts_per_session: 2\n"
	"    max_subpath_depth: 3\n"
	"    global_blocked_subpaths: ['.ssh', '*.key', '*_rsa']\n"
	"  bases:\n"
	"    - name: logs\n"
	"      host_path: /var/log\n"
	"      max_mode: ro\n"
	"      authorization: {mode: allowlist, allowed_users: ['*']}\n"
	"      subpath_restrictions: {mode: blocklist, blocked: [audit, 'secure*']}\n"
	"      optional: false\n"
	"    - name: home\n"
	"      host_path: '/home/{username}'\n"
	"      max_mode: rw\n"
	"      authorization: {mode: self_only}\n"
	"      subpath_restrictions:\n"
	"        mode: blocklist\n"
	"        blocked: ['.*']\n"
	"        exceptions: ['.local/share/myapp']\n"
	"    - name: projects\n"
	"      host_path: /srv/projects\n"
	"      max_mode: rw\n"
	"      authorization: {mode: allowlist, allowed_users: [alice, '{self}x']}\n"
	"      subpath_restrictions: {mode: allowlist, allowed: ['web-*', 'docs/public']}\n"
	"    - name: team\n"
	"      host_path: /srv/team\n"
	"      authorization: {mode: role}\n"
	"    - name: vip\n"
	"      host_path: /srv/vip\n"
	"      authorization: {mode: allowlist, allowed_users: [admin]}\n"
	"    - name: gone\n"
	"      host_path: /srv/gone\n"
	"      authorization: {mode: allowlist, allowed_users: ['{self}']}\n";

static char *dyn_root(void)
{
	char *t = new_root();
	mkdir_p(t, "var/log/nginx");
	mkdir_p(t, "var/log/audit");
	mkdir_p(t, "var/log/app/keys");
	write_at(t, "var/log/app/keys/x.key", "k");
	mkdir_p(t, "home/alice/.local/share/myapp");
	mkdir_p(t, "home/alice/.local/share/other");
	mkdir_p(t, "home/alice/src");
	mkdir_p(t, "srv/projects/web-shop/.git");
	mkdir_p(t, "srv/projects/docs/public");
	mkdir_p(t, "srv/projects/docs/private");
	mkdir_p(t, "srv/projects/api");
	mkdir_p(t, "srv/team");
	mkdir_p(t, "srv/vip");
	mkdir_p(t, "outside");
	symlink_at(t, "var/log/escape", "/etc");
	symlink_at(t, "var/log/up", "../../outside");
	symlink_at(t, "var/log/inside", "nginx");
	return t;
}

struct dyn_case {
	const char *arg;
	const char *user;
	size_t granted;
	enum ag3_dyn_code code;
	const char *msg;  /* substring of the reason, or for OK: the container path */
	const char *host; /* for OK: the host path */
};

static void run_dyn(const struct ag3_mounts_config *cfg, const char *root, const struct dyn_case *k)
{
	struct ag3_dyn_request q;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_dyn_request_parse(k->arg, &q, &e), 0, "%s", k->arg);
	struct ag3_dyn_mount m = {0};
	int r = ag3_dyn_validate(cfg, &q, k->user, k->granted, root, &m, &e);
	_cleanup_free_ char *msg = fmt_err(e);
	cr_assert_eq(r, (int)k->code, "%s: got %s (%s), want %s", k->arg, ag3_dyn_code_to_string(r),
		     msg, ag3_dyn_code_to_string(k->code));
	if (k->code == AG3_DYN_OK) {
		cr_assert_str_eq(m.container_path, k->msg, "%s", k->arg);
		if (k->host)
			cr_assert_str_eq(m.host_path, k->host, "%s", k->arg);
		cr_assert_null(e);
	} else {
		cr_assert_not_null(e);
		cr_assert_not_null(strstr(e->msg, ag3_dyn_code_to_string(k->code)), "%s", msg);
		cr_assert_not_null(strstr(e->msg, k->msg), "%s: '%s' lacks '%s'", k->arg, msg,
				   k->msg);
	}
	ag3_error_free(e);
	ag3_dyn_mount_clear(&m);
	ag3_dyn_request_clear(&q);
}

Test(dynamic, every_code)
{
	char *root = dyn_root();
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *cfg = mload_ok(dyn_mounts);
	const struct dyn_case cases[] = {
		{"logs", "alice", 0, AG3_DYN_OK, "/mounts/logs", "/var/log"},
		{"logs/nginx", "alice", 0, AG3_DYN_OK, "/mounts/logs/nginx", "/var/log/nginx"},
		{"logs//nginx/.:ro=ngx", "alice", 0, AG3_DYN_OK, "/mounts/ngx/nginx",
		 "/var/log/nginx"},
		/* a symlink is never followed, even one that stays inside the base */
		{"logs/inside", "alice", 0, AG3_DYN_SYMLINK_IN_PATH, "goes through a symlink",
		 NULL},
		{"nope", "alice", 0, AG3_DYN_BASE_NOT_FOUND, "no dynamic base named 'nope'", NULL},
		{"logs", NULL, 0, AG3_DYN_NOT_AUTHORIZED, "no user given", NULL},
		{"vip", "alice", 0, AG3_DYN_NOT_AUTHORIZED, "'alice' is not in base 'vip'", NULL},
		{"team", "alice", 0, AG3_DYN_NOT_AUTHORIZED, "authorization mode 'role'", NULL},
		{"projects/web-shop", "bob", 0, AG3_DYN_NOT_AUTHORIZED, "'bob' is not in", NULL},
		{"logs/../etc", "alice", 0, AG3_DYN_DANGEROUS_PATTERN, "'..'", NULL},
		{"logs/a\\b", "alice", 0, AG3_DYN_DANGEROUS_PATTERN, "'\\'", NULL},
		{"logs/a b", "alice", 0, AG3_DYN_INVALID_CHARACTERS, "subpath 'a b'", NULL},
		{"logs/a;b", "alice", 0, AG3_DYN_INVALID_CHARACTERS, "letters, digits", NULL},
		{"logs/a/b/c/d", "alice", 0, AG3_DYN_MAX_DEPTH_EXCEEDED,
		 "more than max_subpath_depth 3", NULL},
		{"logs/.ssh", "alice", 0, AG3_DYN_GLOBAL_BLOCKED, "'.ssh'", NULL},
		/* at any depth: the platform only matched the first component */
		{"logs/app/keys/x.key", "alice", 0, AG3_DYN_GLOBAL_BLOCKED, "'*.key'", NULL},
		{"logs/nginx/id_rsa", "alice", 0, AG3_DYN_GLOBAL_BLOCKED, "'*_rsa'", NULL},
		{"logs/audit", "alice", 0, AG3_DYN_BLOCKED_BY_BASE, "blocked pattern 'audit'",
		 NULL},
		{"logs/nginx/audit", "alice", 0, AG3_DYN_BLOCKED_BY_BASE, "'audit'", NULL},
		{"logs/secure.1", "alice", 0, AG3_DYN_BLOCKED_BY_BASE, "'secure*'", NULL},
		{"home/.local/share/other", "alice", 0, AG3_DYN_BLOCKED_BY_BASE, "'.*'", NULL},
		{"home/.local/share/myapp", "alice", 0, AG3_DYN_OK,
		 "/mounts/home/.local/share/myapp", "/home/alice/.local/share/myapp"},
		{"home/src:rw", "alice", 0, AG3_DYN_OK, "/mounts/home/src", "/home/alice/src"},
		{"projects/web-shop:rw", "alice", 0, AG3_DYN_OK, "/mounts/projects/web-shop",
		 "/srv/projects/web-shop"},
		{"projects/docs/public", "alice", 0, AG3_DYN_OK, "/mounts/projects/docs/public",
		 NULL},
		{"projects/docs/private", "alice", 0, AG3_DYN_NOT_IN_ALLOWLIST,
		 "not in base 'projects' subpath_restrictions.allowed", NULL},
		{"projects/docs", "alice", 0, AG3_DYN_NOT_IN_ALLOWLIST, "'docs'", NULL},
		{"projects", "alice", 0, AG3_DYN_NOT_IN_ALLOWLIST, "subpath ''", NULL},
		/* blocked patterns apply in allowlist mode too (global ones at least) */
		{"projects/web-shop/.ssh", "alice", 0, AG3_DYN_GLOBAL_BLOCKED, "'.ssh'", NULL},
		{"logs/nginx:rw", "alice", 0, AG3_DYN_MODE_EXCEEDS_MAX, "allows at most ro", NULL},
		{"logs/nginx", "alice", 2, AG3_DYN_MAX_MOUNTS_EXCEEDED,
		 "already has 2 dynamic mounts (max_mounts_per_session 2)", NULL},
		{"logs/missing", "alice", 0, AG3_DYN_PATH_NOT_FOUND, "/var/log/missing", NULL},
		{"logs/escape", "alice", 0, AG3_DYN_SYMLINK_IN_PATH, "'/var/log/escape'", NULL},
		{"logs/escape/passwd", "alice", 0, AG3_DYN_SYMLINK_IN_PATH, "symlink", NULL},
		{"logs/up", "alice", 0, AG3_DYN_SYMLINK_IN_PATH, "symlink", NULL},
		{"logs=datasets", "alice", 0, AG3_DYN_INVALID_ALIAS, "another configured mount",
		 NULL},
		{"logs=home", "alice", 0, AG3_DYN_INVALID_ALIAS, "another configured mount", NULL},
		{"logs=ro", "alice", 0, AG3_DYN_INVALID_ALIAS, "not a valid mount name", NULL},
		{"logs=a.b", "alice", 0, AG3_DYN_INVALID_ALIAS, "not a valid mount name", NULL},
		{"logs=logs", "alice", 0, AG3_DYN_OK, "/mounts/logs", NULL},
		/* optional base whose path is missing: granted, and marked as not existing */
		{"gone/x", "alice", 0, AG3_DYN_OK, "/mounts/gone/x", "/srv/gone/x"},
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		run_dyn(cfg, root, &cases[i]);

	/* FEATURE_DISABLED: no config, or not enabled */
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *off =
		mload_ok("dynamic:\n  bases:\n    - {name: logs, host_path: /var/log, "
			 "authorization: {allowed_users: ['*']}}\n");
	const struct dyn_case dis = {
		"logs", "alice", 0, AG3_DYN_FEATURE_DISABLED, "dynamic.enabled: true", NULL};
	run_dyn(off, root, &dis);
	run_dyn(NULL, root, &dis);
	drop_root(root);
}

/*
 * Issue 7: a user with home/projects:rw plants links there, then requests them.
 * The checks run on the subpath as written: following a link (even one that
 * stays beneath the base) would bind .ssh, or the whole base, unchecked.
 */
Test(dynamic, symlinks_are_never_followed)
{
	char *root = dyn_root();
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *cfg = mload_ok(dyn_mounts);
	mkdir_p(root, "home/alice/.ssh");
	write_at(root, "home/alice/.ssh/authorized_keys", "ssh-ed25519 AAAA host");
	mkdir_p(root, "home/alice/projects");
	mkdir_p(root, "home/alice/src/x");
	symlink_at(root, "home/alice/projects/s", "../.ssh");
	symlink_at(root, "home/alice/projects/r", "..");
	symlink_at(root, "home/alice/projects/sib", "../src");
	symlink_at(root, "home/alice/projects/mid", "../src");
	symlink_at(root, "home/alice/projects/abs", "/home/alice/.ssh");
	symlink_at(root, "home/alice/projects/k", "../.ssh/authorized_keys");
	symlink_at(root, "home/carol", "alice"); /* the base's own path */
	const struct dyn_case cases[] = {
		{"home/projects:rw", "alice", 0, AG3_DYN_OK, "/mounts/home/projects",
		 "/home/alice/projects"},
		{"home/src/x", "alice", 0, AG3_DYN_OK, "/mounts/home/src/x", "/home/alice/src/x"},
		{"home/projects/s:rw", "alice", 0, AG3_DYN_SYMLINK_IN_PATH,
		 "'/home/alice/projects/s' goes through a symlink", NULL},
		{"home/projects/s", "alice", 0, AG3_DYN_SYMLINK_IN_PATH, "symlink", NULL},
		{"home/projects/r:rw", "alice", 0, AG3_DYN_SYMLINK_IN_PATH, "symlink", NULL},
		{"home/projects/sib", "alice", 0, AG3_DYN_SYMLINK_IN_PATH, "symlink", NULL},
		{"home/projects/mid/x", "alice", 0, AG3_DYN_SYMLINK_IN_PATH,
		 "'/home/alice/projects/mid/x' goes through", NULL},
		{"home/projects/abs", "alice", 0, AG3_DYN_SYMLINK_IN_PATH, "symlink", NULL},
		{"home/projects/k:rw", "alice", 0, AG3_DYN_SYMLINK_IN_PATH, "symlink", NULL},
		{"home/projects", "carol", 0, AG3_DYN_SYMLINK_IN_PATH,
		 "'/home/carol/projects' goes through", NULL},
		{"home", "carol", 0, AG3_DYN_SYMLINK_IN_PATH, "'/home/carol' goes through", NULL},
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		run_dyn(cfg, root, &cases[i]);

	/* the same through the compiler: nothing of .ssh reaches the spec */
	struct ag3_dyn_request q;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_dyn_request_parse("home/projects/s:rw", &q, &e), 0);
	struct compiled c = compile_with(small_profile, dyn_mounts, "alice", root, &q, 1);
	_cleanup_free_ char *m = fmt_err(c.err);
	cr_assert_lt(c.r, 0);
	cr_assert_null(c.spec);
	cr_assert_not_null(strstr(m, "--dynamic home/projects/s:rw: SYMLINK_IN_PATH"), "%s", m);
	ag3_error_free(c.err);
	ag3_dyn_request_clear(&q);
	drop_root(root);
}

Test(dynamic, request_parse)
{
	struct ag3_dyn_request q;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_dyn_request_parse("logs", &q, &e), 0);
	cr_assert_str_eq(q.base, "logs");
	cr_assert_null(q.subpath);
	cr_assert_null(q.alias);
	cr_assert_eq(q.mode, -1);
	ag3_dyn_request_clear(&q);
	cr_assert_eq(ag3_dyn_request_parse("logs/a/b:rw=x", &q, &e), 0);
	cr_assert_str_eq(q.subpath, "a/b");
	cr_assert_str_eq(q.alias, "x");
	cr_assert_eq(q.mode, 1);
	ag3_dyn_request_clear(&q);
	cr_assert_eq(ag3_dyn_request_parse("logs:ro", &q, &e), 0);
	cr_assert_eq(q.mode, 0);
	ag3_dyn_request_clear(&q);
	cr_assert_eq(ag3_dyn_request_parse("logs:rx", &q, &e), -EINVAL);
	cr_assert_not_null(strstr(e->msg, "must be ro or rw"));
	ag3_error_free(TAKE_PTR(e));
	cr_assert_eq(ag3_dyn_request_parse("/x", &q, &e), -EINVAL);
	cr_assert_not_null(strstr(e->msg, "no base name"));
	ag3_error_free(TAKE_PTR(e));
	cr_assert_eq(ag3_dyn_request_parse("", &q, &e), -EINVAL);
	ag3_error_free(TAKE_PTR(e));
	cr_assert_str_eq(ag3_dyn_code_to_string(AG3_DYN_PATH_ESCAPE), "PATH_ESCAPE");
	cr_assert_str_eq(ag3_dyn_code_to_string(AG3_DYN_SYMLINK_IN_PATH), "SYMLINK_IN_PATH");
	cr_assert_null(ag3_dyn_code_to_string(_AG3_DYN_CODE_MAX));
}

static struct ag3_dyn_request req(const char *arg)
{
	struct ag3_dyn_request q;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_dyn_request_parse(arg, &q, &e), 0);
	return q;
}

/* Compiles with the dynamic requests `args` (n of them) and expects an error with `substr`. */
static void dyn_compile_fail(const char *root, const char *const *args, size_t n,
			     const char *substr)
{
	struct ag3_dyn_request q[4];
	cr_assert_leq(n, ELEMENTSOF(q));
	for (size_t i = 0; i < n; i++)
		q[i] = req(args[i]);
	struct compiled c = compile_with(small_profile, dyn_mounts, "alice", root, q, n);
	cr_assert_lt(c.r, 0);
	cr_assert_not_null(strstr(c.err->msg, substr), "%s", c.err->msg);
	ag3_error_free(c.err);
	for (size_t i = 0; i < n; i++)
		ag3_dyn_request_clear(&q[i]);
}

Test(dynamic, compiled_into_the_spec_with_exposures)
{
	char *root = dyn_root();
	struct ag3_dyn_request q[2] = {req("logs/nginx"), req("home/src:rw")};
	struct compiled c = compile_with(small_profile, dyn_mounts, "alice", root, q, 2);
	_cleanup_free_ char *m = fmt_err(c.err);
	cr_assert_eq(c.r, 0, "%s", m);
	const struct ag3_mount *a = find_origin(c.spec, "dynamic logs/nginx");
	cr_assert_not_null(a);
	cr_assert_str_eq(a->source, "/var/log/nginx");
	cr_assert_str_eq(a->target, "/mounts/logs/nginx");
	cr_assert(a->ro);
	const struct ag3_mount *b = find_origin(c.spec, "dynamic home/src");
	cr_assert_not_null(b);
	cr_assert_not(b->ro);
	const struct ag3_mount *x = find_origin(c.spec, "original-path of dynamic logs/nginx");
	cr_assert_not_null(x);
	cr_assert_str_eq(x->target, "/var/log/nginx");
	cr_assert(index_of(c.spec, "dynamic home/src") <
		  index_of(c.spec, "original-path of dynamic logs/nginx"));
	ag3_spec_free(c.spec);
	for (size_t i = 0; i < 2; i++)
		ag3_dyn_request_clear(&q[i]);

	/* over budget: the third request fails with its code, naming the request */
	dyn_compile_fail(root, (const char *const[]){"logs/nginx", "logs/app", "logs=l2"}, 3,
			 "--dynamic logs=l2: MAX_MOUNTS_EXCEEDED");

	/* the same target twice */
	dyn_compile_fail(root, (const char *const[]){"logs/nginx", "logs/nginx"}, 2,
			 "is already mounted by dynamic logs/nginx");

	/* nested dynamic mounts: fine when the host layout agrees, refused when not */
	struct ag3_dyn_request n2[2] = {req("logs"), req("logs/nginx")};
	c = compile_with(small_profile, dyn_mounts, "alice", root, n2, 2);
	_cleanup_free_ char *mn = fmt_err(c.err);
	cr_assert_eq(c.r, 0, "%s", mn);
	ag3_spec_free(c.spec);
	for (size_t i = 0; i < 2; i++)
		ag3_dyn_request_clear(&n2[i]);
	dyn_compile_fail(root, (const char *const[]){"logs=foo", "home/src=foo"}, 2,
			 "--dynamic home/src=foo: /mounts/foo/src and "
			 "/mounts/foo (from dynamic logs=foo) nest");
	dyn_compile_fail(root, (const char *const[]){"home/src=foo", "logs=foo"}, 2,
			 "nest, but their host directories do not");

	/* a denied one */
	dyn_compile_fail(root, (const char *const[]){"logs/audit"}, 1,
			 "--dynamic logs/audit: BLOCKED_BY_BASE");
	drop_root(root);
}

/* ------------------------------------------------------------ secrets -- */

static int sload(struct ag3_vars *s, const char *yaml, bool per_user, struct ag3_error **e)
{
	return ag3_secrets_load_buffer(s, "s.yaml", yaml, strlen(yaml), per_user, e);
}

static const char *env_of(const struct ag3_vars *s, const char *name)
{
	for (size_t i = 0; i < s->n_env; i++)
		if (!strcmp(s->env[i].name, name))
			return s->env[i].value;
	return NULL;
}

Test(secrets, user_secrets_example_sets_nothing)
{
	_cleanup_free_ char *path = fixture("v-48de794/user_secrets.yaml.example");
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	struct ag3_error *e = NULL;
	int r = ag3_secrets_load_file(s, path, true, &e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_eq(r, 0, "%s", m);
	cr_assert_eq(s->n_env, 0);
	/* as a global file, empty values are set (the platform only dropped None) */
	cr_assert_eq(ag3_secrets_load_file(s, path, false, &e), 0);
	cr_assert_eq(s->n_env, 3);
	cr_assert_str_eq(env_of(s, "OPENAI_API_KEY"), "");
}

Test(secrets, per_user_overrides_global_and_blank_does_not)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	struct ag3_error *e = NULL;
	cr_assert_eq(sload(s,
			   "anthropic_api_key: sk-api-own\n"
			   "sandboxed_envs:\n  OPENAI_API_KEY: sk-global\n  KEEP: g\n  N: 42\n"
			   "  HEX: 0x10\n  B: true\n  GONE: null\n  SPACE: '  '\n",
			   false, &e),
		     0);
	cr_assert_str_eq(env_of(s, "OPENAI_API_KEY"), "sk-global");
	cr_assert_str_eq(env_of(s, "N"), "42");
	cr_assert_str_eq(env_of(s, "HEX"), "16");
	cr_assert_str_eq(env_of(s, "B"), "True");
	cr_assert_str_eq(env_of(s, "SPACE"), "  ");
	cr_assert_null(env_of(s, "GONE"));
	cr_assert_null(env_of(s, "anthropic_api_key"));
	for (size_t i = 0; i < s->n_env; i++)
		cr_assert(s->env[i].secret);
	cr_assert_eq(
		sload(s,
		      "sandboxed_envs:\n  OPENAI_API_KEY: sk-alice\n  KEEP: ''\n  SPACE: ' \t'\n"
		      "  NEW: v\n  B: false\n",
		      true, &e),
		0);
	cr_assert_str_eq(env_of(s, "OPENAI_API_KEY"), "sk-alice");
	cr_assert_str_eq(env_of(s, "KEEP"), "g");
	cr_assert_str_eq(env_of(s, "SPACE"), "  ");
	cr_assert_str_eq(env_of(s, "NEW"), "v");
	cr_assert_str_eq(env_of(s, "B"), "False");
	cr_assert_eq(s->n_env, 7);
}

/* PyYAML (YAML 1.1) then str(): each expected text checked against PyYAML 6. */
Test(secrets, values_are_stringified_like_pyyaml)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	struct ag3_error *e = NULL;
	cr_assert_eq(
		sload(s,
		      "sandboxed_envs:\n  A: yes\n  B: 007\n  C: 0o17\n  D: 0x1F\n  E: 1_000\n"
		      "  F: 1:30\n  G: \"007\"\n  H: 123456789012345678901234567890\n  I: Off\n"
		      "  J: -0b101\n  K: plain text\n  L: 42\n  M: 'yes'\n  N: -0\n  O: 190:20:30\n"
		      "  P: 1:75\n  Q: 08\n  R: 1e+3\n  S: -.5\n  T: 99999999999999999999\n",
		      false, &e),
		0);
	static const char *const want[][2] = {
		{"A", "True"},       {"B", "7"},
		{"C", "0o17"},       {"D", "31"},
		{"E", "1000"},       {"F", "90"},
		{"G", "007"},        {"H", "123456789012345678901234567890"},
		{"I", "False"},      {"J", "-5"},
		{"K", "plain text"}, {"L", "42"},
		{"M", "yes"},        {"N", "0"},
		{"O", "685230"},     {"P", "1:75"},
		{"Q", "08"},         {"R", "1e+3"},
		{"S", "-.5"},        {"T", "99999999999999999999"},
	};
	for (size_t i = 0; i < ELEMENTSOF(want); i++)
		cr_expect_str_eq(env_of(s, want[i][0]), want[i][1], "%s", want[i][0]);
	/* what PyYAML made a float or a date is refused: its str() is not the text */
	static const char *const refused[] = {"1.5",    ".5",         ".inf",
					      "1:30.5", "2026-12-03", "2026-12-03 10:00:00",
					      "1.0e-5", ".NaN",       "-1_0.0"};
	for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
		char yaml[64];
		snprintf(yaml, sizeof(yaml), "sandboxed_envs:\n  X: %s\n", refused[i]);
		cr_expect_lt(sload(s, yaml, false, &e), 0, "%s accepted", refused[i]);
		cr_expect(e && strstr(e->msg, "quote it"), "%s: %s", refused[i], e ? e->msg : "");
		ag3_error_free(e);
		e = NULL;
	}
}

Test(secrets, errors_name_the_place_and_change_nothing)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	struct ag3_error *e = NULL;
	cr_assert_eq(sload(s, "sandboxed_envs: {A: 1}\n", false, &e), 0);
	static const struct {
		const char *yaml;
		unsigned line, col;
		const char *msg;
	} bad[] = {
		{"sandboxed_envs:\n  B: x\n  1BAD: y\n", 3, 3,
		 "sandboxed_envs.1BAD: not a valid environment variable name"},
		{"sandboxed_envs:\n  B: x\n  'MY-KEY': y\n", 3, 3, "not a valid environment"},
		{"sandboxed_envs:\n  PATH: /evil\n", 2, 3,
		 "sandboxed_envs.PATH: set by the profile"},
		{"sandboxed_envs:\n  HOME: /x\n", 2, 3, "set by the profile"},
		{"sandboxed_envs:\n  B: [1, 2]\n", 2, 6, "expected a string, got a sequence"},
		{"sandboxed_envs: [A]\n", 1, 17, "expected a mapping of NAME: value"},
		{"- a\n", 1, 1, "expected a mapping (with sandboxed_envs)"},
		{"sandboxed_envs:\n  B: 1.5\n", 2, 6, "read this as a float or a date"},
		{"sandboxed_envs: {A: 1, A: 2}\n", 1, 0, "duplicate"},
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		int r = sload(s, bad[i].yaml, i % 2, &e);
		cr_assert_lt(r, 0, "%s", bad[i].yaml);
		_cleanup_free_ char *m = fmt_err(e);
		cr_assert_not_null(strstr(e->msg, bad[i].msg), "'%s' lacks '%s'", m, bad[i].msg);
		cr_assert_str_eq(e->file, "s.yaml");
		cr_assert_eq(e->line, bad[i].line, "%s", m);
		if (bad[i].col)
			cr_assert_eq(e->col, bad[i].col, "%s", m);
		ag3_error_free(TAKE_PTR(e));
		/* nothing half-applied */
		cr_assert_eq(s->n_env, 1);
		cr_assert_null(env_of(s, "B"));
	}
	cr_assert_eq(sload(s, "", false, &e), 0);
	cr_assert_eq(sload(s, "other: 1\n", false, &e), 0);
	cr_assert_eq(sload(s, "sandboxed_envs:\n", false, &e), 0);
	cr_assert_eq(s->n_env, 1);
	cr_assert_lt(ag3_secrets_load_file(s, "/nonexistent/secrets.yaml", false, &e), 0);
	cr_assert_str_eq(e->file, "/nonexistent/secrets.yaml");
	ag3_error_free(e);
}

Test(secrets, compiled_secret_and_redacted)
{
	char *root = new_root();
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = pload_ok(small_profile);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, "/ws"), 0);
	struct ag3_error *e = NULL;
	cr_assert_eq(sload(s, "sandboxed_envs: {OPENAI_API_KEY: sk-XXX}\n", false, &e), 0);
	struct ag3_spec *spec = NULL;
	struct ag3_compile_options o = {.host_root = root};
	cr_assert_eq(ag3_compile_ex(p, s, &o, &spec, &e), 0);
	bool found = false;
	for (size_t i = 0; i < spec->process.n_env; i++)
		if (!strcmp(spec->process.env[i].name, "OPENAI_API_KEY")) {
			cr_assert(spec->process.env[i].secret);
			cr_assert_str_eq(spec->process.env[i].value, "sk-XXX");
			found = true;
		}
	cr_assert(found);
	char *json = NULL;
	cr_assert_eq(ag3_spec_to_json(spec, AG3_JSON_REDACT_SECRETS, &json, &e), 0);
	cr_assert_null(strstr(json, "sk-XXX"));
	free(json);
	ag3_spec_free(spec);
	drop_root(root);
}

/* --------------------------------------------------------- uid policy -- */

static void uid_ok(enum ag3_uid_mode mode, unsigned long id)
{
	struct ag3_uid_policy p = AG3_UID_POLICY_DEFAULT;
	p.mode = mode;
	struct ag3_error *e = NULL;
	int r = ag3_uid_policy_check(&p, "identity.uid", id, &e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_eq(r, 0, "%s %lu: %s", ag3_uid_mode_to_string(mode), id, m);
}

static void uid_bad(enum ag3_uid_mode mode, unsigned long id, const char *msg)
{
	struct ag3_uid_policy p = AG3_UID_POLICY_DEFAULT;
	p.mode = mode;
	struct ag3_error *e = NULL;
	int r = ag3_uid_policy_check(&p, "identity.uid", id, &e);
	cr_assert_eq(r, -EPERM, "%s %lu accepted", ag3_uid_mode_to_string(mode), id);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_not_null(strstr(e->msg, msg), "'%s' lacks '%s'", m, msg);
	ag3_error_free(e);
}

Test(uid_policy, rules)
{
	uid_ok(AG3_UID_MODE_ISOLATED, 50000);
	uid_ok(AG3_UID_MODE_ISOLATED, 60000);
	uid_ok(AG3_UID_MODE_ISOLATED, 2000);  /* legacy */
	uid_ok(AG3_UID_MODE_ISOLATED, 49999); /* legacy */
	uid_bad(AG3_UID_MODE_ISOLATED, 60001, "outside the isolated range 50000-60000");
	uid_bad(AG3_UID_MODE_ISOLATED, 1999, "outside the isolated range");
	uid_bad(AG3_UID_MODE_ISOLATED, 0, "0 is not allowed");
	uid_bad(AG3_UID_MODE_ISOLATED, 999, "is a system id");
	uid_bad(AG3_UID_MODE_ISOLATED, 1, "is a system id");
	uid_bad(AG3_UID_MODE_ISOLATED, 45045, "the API's own uid");
	uid_ok(AG3_UID_MODE_DIRECT, 1000);
	uid_ok(AG3_UID_MODE_DIRECT, 65533);
	uid_bad(AG3_UID_MODE_DIRECT, 65534, "outside the direct range 1000-65533");
	uid_bad(AG3_UID_MODE_DIRECT, 999, "system id");
	uid_bad(AG3_UID_MODE_DIRECT, 45045, "API's own uid");
	uid_bad(AG3_UID_MODE_ANY, 1, "is a system id");
	uid_bad(AG3_UID_MODE_ANY, 999, "is a system id");
	uid_ok(AG3_UID_MODE_ANY, 1000);
	uid_ok(AG3_UID_MODE_ANY, 65534);
	uid_ok(AG3_UID_MODE_ANY, 100000);
	uid_bad(AG3_UID_MODE_ANY, 0, "0 is not allowed");
	uid_bad(AG3_UID_MODE_ANY, 45045, "API's own uid");
	uid_bad(AG3_UID_MODE_ANY, 0xffffffffUL, "not a valid id");

	struct ag3_uid_policy p = AG3_UID_POLICY_DEFAULT;
	p.allow_legacy = false;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_uid_policy_check(&p, "identity.uid", 5000, &e), -EPERM);
	ag3_error_free(TAKE_PTR(e));
	p.api_uid = 50001;
	cr_assert_eq(ag3_uid_policy_check(&p, "identity.uid", 50001, &e), -EPERM);
	ag3_error_free(TAKE_PTR(e));
	cr_assert_eq(ag3_uid_policy_check(NULL, "identity.uid", 50001, &e), 0);
	cr_assert_eq(ag3_uid_mode_from_string("direct"), AG3_UID_MODE_DIRECT);
	cr_assert_lt((int)ag3_uid_mode_from_string("Direct"), 0);
}

Test(uid_policy, applied_at_compile_time_to_given_ids)
{
	char *root = new_root();
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = pload_ok(small_profile);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, "/ws"), 0);
	struct ag3_spec *spec = NULL;
	struct ag3_error *e = NULL;
	struct ag3_compile_options o = {.host_root = root};
	s->uid = 1000;
	cr_assert_lt(ag3_compile_ex(p, s, &o, &spec, &e), 0);
	cr_assert_not_null(strstr(e->msg, "identity.uid: 1000 is outside the isolated range"));
	ag3_error_free(TAKE_PTR(e));
	struct ag3_uid_policy direct = AG3_UID_POLICY_DEFAULT;
	direct.mode = AG3_UID_MODE_DIRECT;
	o.uid_policy = &direct;
	cr_assert_eq(ag3_compile_ex(p, s, &o, &spec, &e), 0);
	ag3_spec_free(TAKE_PTR(spec));
	s->gid = 100;
	cr_assert_lt(ag3_compile_ex(p, s, &o, &spec, &e), 0);
	cr_assert_not_null(strstr(e->msg, "identity.gid: 100 is a system id"));
	ag3_error_free(TAKE_PTR(e));
	/* ids not given are not checked (the runtime's defaults) */
	s->uid_set = s->gid_set = false;
	o.uid_policy = NULL;
	cr_assert_eq(ag3_compile_ex(p, s, &o, &spec, &e), 0);
	ag3_spec_free(spec);
	drop_root(root);
}
