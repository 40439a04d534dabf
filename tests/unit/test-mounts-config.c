/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the external mounts file (policy/mounts-config*.c): the
 * loader, paths, the per-user plan and how the compiler puts the plan into a
 * spec. Host paths live beneath fake roots built in temporary directories
 * (ag3_compile_options.host_root). Dynamic requests, secrets and the uid
 * policy are tested in test-context-inputs.c.
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
#include "policy/vars.h"

#include "helpers.h"
#include "mounts-helpers.h"

/* ------------------------------------------------------------ helpers -- */

/* Expects a load error at line:col (0: any) whose message has `substr`. */
static void mload_fail(const char *yaml, unsigned line, unsigned col, const char *substr)
{
	struct ag3_mounts_config *c = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_mounts_config_load_buffer("m.yaml", yaml, strlen(yaml), &c, &e);
	cr_assert_lt(r, 0, "expected a load error containing '%s'", substr);
	cr_assert_null(c);
	cr_assert_not_null(e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_not_null(strstr(e->msg, substr), "message '%s' lacks '%s'", m, substr);
	cr_assert_str_eq(e->file, "m.yaml", "%s", m);
	if (line)
		cr_assert_eq(e->line, line, "line %u != %u in '%s'", e->line, line, m);
	if (col)
		cr_assert_eq(e->col, col, "col %u != %u in '%s'", e->col, col, m);
	ag3_error_free(e);
}

static bool has_target(const struct ag3_spec *spec, const char *target)
{
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (!strcmp(spec->mounts[i].target, target))
			return true;
	return false;
}

/* ------------------------------------------------- the example files -- */

Test(loader, head_example_loads_with_the_reference_defaults)
{
	_cleanup_free_ char *path = fixture("v-48de794/external-mounts.yaml.example");
	struct ag3_mounts_config *c = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_mounts_config_load_file(path, &c, &e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_eq(r, 0, "%s", m);
	cr_assert_not(c->newer_schema);
	cr_assert_eq(c->global.ro.n, 2);
	cr_assert_eq(c->global.rw.n, 1);
	cr_assert_eq(c->per_user.ro.n, 2);
	cr_assert_eq(c->per_user.rw.n, 2);
	const struct ag3_xmount *ds = &c->global.ro.items[0];
	cr_assert_str_eq(ds->name.v, "datasets");
	cr_assert_str_eq(ds->host_path.v, "/data/ml-datasets");
	cr_assert_str_eq(ds->key, "global.ro[0]");
	cr_assert(ds->ro && !ds->per_user && !ds->optional.v && ds->optional.meta.set);
	cr_assert_eq(ds->meta.loc.line, 29);
	cr_assert_eq(ds->host_path.meta.loc.line, 30);
	cr_assert(c->global.rw.items[0].optional.v && !c->global.rw.items[0].ro);
	const struct ag3_xmount *ud = &c->per_user.ro.items[0];
	cr_assert_str_eq(ud->host_path.v, "/home/{username}/data");
	cr_assert_eq(ud->users.n, 1);
	cr_assert_str_eq(ud->users.items[0].v, "*");
	cr_assert_str_eq(c->per_user.rw.items[1].key, "per_user.rw[1]");
	cr_assert_eq(c->per_user.rw.items[1].users.n, 3);
	cr_assert_not(c->per_user.rw.items[1].optional.v);
	cr_assert_not(c->dynamic.enabled.v);
	cr_assert_eq(c->dynamic.security.max_subpath_depth.v, 10);
	cr_assert_eq(c->dynamic.security.max_mounts_per_session.v, 10);
	ag3_mounts_config_free(c);
}

Test(loader, newer_example_loads)
{
	_cleanup_free_ char *path = fixture("v-92aa603/external-mounts.yaml.example");
	struct ag3_mounts_config *c = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_mounts_config_load_file(path, &c, &e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_eq(r, 0, "%s", m);
	cr_assert(c->newer_schema);
	cr_assert(c->original_paths.meta.set);
	cr_assert_eq(c->original_paths.ro.n, 0);
	cr_assert_eq(c->original_paths.rw.n, 0);
	cr_assert_eq(c->global.ro.n + c->global.rw.n + c->per_user.ro.n + c->per_user.rw.n, 7);
	ag3_mounts_config_free(c);
}

Test(loader, missing_file_and_empty_file)
{
	struct ag3_mounts_config *c = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_mounts_config_load_file("/nonexistent/m.yaml", &c, &e), -ENOENT);
	cr_assert_str_eq(e->file, "/nonexistent/m.yaml");
	ag3_error_free(e);
	c = mload_ok("");
	cr_assert_eq(c->global.ro.n, 0);
	ag3_mounts_config_free(c);
	c = mload_ok("# nothing\nglobal:\nper_user: {ro: [], rw: null}\n");
	cr_assert(c->global.meta.set);
	ag3_mounts_config_free(c);
}

/* ------------------------------------------------------ loader errors -- */

Test(loader, unknown_keys_suggest_or_list)
{
	mload_fail("global:\n  ro:\n    - name: a\n      host_pth: /x/y\n", 4, 7,
		   "global.ro[0]: unknown key 'host_pth' (did you mean 'host_path'?)");
	mload_fail("globl: {}\n", 1, 1, "unknown top-level key 'globl' (did you mean 'global'?)");
	mload_fail("global:\n  ro:\n    - {name: a, host_path: /x/y, users: ['*']}\n", 3, 34,
		   "'users' is only for per_user mounts");
	mload_fail("original_paths:\n  ro:\n    - {host_path: /var/log}\n", 3, 8,
		   "original_paths entries use 'path'");
	mload_fail("global:\n  ro: []\n  xx: []\n", 3, 3, "valid keys here: ro, rw");
	mload_fail("dynamic:\n  bases:\n    - {name: l, host_path: /var/log, authorization: "
		   "{mode: allowlist, allowed_users: ['*'], rolez: [a]}}\n",
		   3, 0, "dynamic.bases[0].authorization: unknown key 'rolez'");
}

Test(loader, types_are_checked)
{
	mload_fail("[]\n", 1, 1, "expected a mapping");
	mload_fail("global: 3\n", 1, 9, "global: expected a mapping, got 3");
	mload_fail("global:\n  ro: {name: a}\n", 2, 7,
		   "global.ro: expected a list of mount records");
	mload_fail("global:\n  ro: [x]\n", 2, 8, "expected a mount record");
	mload_fail("global:\n  ro:\n    - {name: a, host_path: /x/y, optional: yes}\n", 3, 44,
		   "YAML 1.1 booleans");
	mload_fail("global:\n  ro:\n    - {name: a, host_path: /x/y, optional: 1}\n", 3, 44,
		   "expected true or false");
	mload_fail("global:\n  ro:\n    - {name: true, host_path: /x/y}\n", 3, 14,
		   "the boolean true");
	mload_fail("global:\n  ro:\n    - {host_path: /x/y}\n", 3, 7,
		   "missing required key 'name'");
	mload_fail("global:\n  ro:\n    - {name: a}\n", 3, 7, "missing required key 'host_path'");
	mload_fail("global:\n  ro:\n    - {name: a, host_path: ''}\n", 3, 28,
		   "got an empty string");
	mload_fail("per_user:\n  ro:\n    - {name: a, host_path: /x/y, users: '*'}\n", 3, 41,
		   "expected a list of strings");
	mload_fail("per_user:\n  ro:\n    - {name: a, host_path: /x/y, users: ['']}\n", 3, 42,
		   "non-empty string");
	mload_fail("dynamic:\n  security: {max_subpath_depth: 0}\n", 2, 33,
		   "expected an integer from 1 to 64");
	mload_fail("dynamic:\n  security: {max_mounts_per_session: -1}\n", 2, 38,
		   "an integer from 0 to 1024");
	mload_fail("dynamic:\n  enabled: maybe\n", 2, 12, "expected true or false");
	mload_fail("dynamic:\n  bases: {a: 1}\n", 2, 10, "a list of dynamic bases");
	/* the YAML layer's rules hold here too */
	mload_fail("a: &x 1\nb: *x\n", 1, 0, "anchor");
	mload_fail("global: {}\nglobal: {}\n", 2, 1, "duplicate");
}

Test(loader, names_follow_the_platform_rule)
{
	mload_fail("global:\n  ro:\n    - {name: 'a b', host_path: /x/y}\n", 3, 14,
		   "not a valid mount name");
	mload_fail("global:\n  ro:\n    - {name: a/b, host_path: /x/y}\n", 3, 14,
		   "not a valid mount name");
	static const char *const reserved[] = {"paths",   "persistent", "external", "ro",     "rw",
					       "user-ro", "user-rw",    "dynamic",  "Dynamic"};
	for (size_t i = 0; i < ELEMENTSOF(reserved); i++) {
		char y[256];
		snprintf(y, sizeof(y), "global:\n  rw:\n    - {name: %s, host_path: /x/y}\n",
			 reserved[i]);
		mload_fail(y, 3, 14, "is a reserved name");
	}
	char y[512], name[80];
	memset(name, 'n', 65);
	name[65] = '\0';
	snprintf(y, sizeof(y), "global:\n  ro:\n    - {name: %s, host_path: /x/y}\n", name);
	mload_fail(y, 3, 14, "longer than 64");
	name[64] = '\0';
	snprintf(y, sizeof(y), "global:\n  ro:\n    - {name: %s, host_path: /x/y}\n", name);
	ag3_mounts_config_free(mload_ok(y));
	/* a number is a name too */
	struct ag3_mounts_config *c =
		mload_ok("global:\n  ro:\n    - {name: 2024, host_path: /x/y}\n");
	cr_assert_str_eq(c->global.ro.items[0].name.v, "2024");
	ag3_mounts_config_free(c);
}

Test(loader, names_are_unique_across_every_category)
{
	mload_fail("global:\n  ro:\n    - {name: a, host_path: /x/y}\n  rw:\n    - {name: a, "
		   "host_path: /x/z}\n",
		   5, 14, "global.rw[0].name: 'a' is already used by global.ro[0] (line 3)");
	mload_fail("global:\n  ro:\n    - {name: a, host_path: /x/y}\nper_user:\n  rw:\n    - "
		   "{name: a, host_path: /x/z, users: ['*']}\n",
		   6, 14, "already used by global.ro[0]");
	mload_fail("per_user:\n  ro:\n    - {name: logs, host_path: /x/y, users: ['*']}\n"
		   "dynamic:\n  bases:\n    - {name: logs, host_path: /var/log, authorization: "
		   "{allowed_users: ['*']}}\n",
		   6, 14, "dynamic.bases[0].name: 'logs' is already used by per_user.ro[0]");
	/* case matters on Linux: Data and data are different directories */
	ag3_mounts_config_free(mload_ok("global:\n  ro:\n    - {name: data, host_path: /x/y}\n    "
					"- {name: Data, host_path: /x/z}\n"));
}

Test(loader, host_paths_are_checked)
{
	mload_fail("global:\n  ro:\n    - {name: a, host_path: data/x}\n", 3, 28,
		   "global.ro[0].host_path: 'data/x' is not an absolute path");
	mload_fail("global:\n  ro:\n    - {name: a, host_path: /data/../etc}\n", 3, 28,
		   "'..' component");
	mload_fail("global:\n  ro:\n    - {name: a, host_path: /}\n", 3, 28,
		   "binding the host's root directory is not allowed");
	mload_fail("global:\n  ro:\n    - {name: a, host_path: //./}\n", 3, 28,
		   "host's root directory");
	mload_fail("global:\n  ro:\n    - {name: a, host_path: /proc/1}\n", 3, 28, "under /proc");
	mload_fail("global:\n  ro:\n    - {name: a, host_path: '/home/{username}'}\n", 3, 28,
		   "{username} is only substituted in per_user and dynamic host paths");
	mload_fail("per_user:\n  ro:\n    - {name: a, host_path: '/home/{user}', users: ['*']}\n",
		   3, 28, "unknown placeholder {user}");
	mload_fail("per_user:\n  ro:\n    - {name: a, host_path: /x/y}\n", 3, 7,
		   "missing required key 'users'");
	mload_fail("per_user:\n  ro:\n    - {name: a, host_path: /x/y, users: [a/b]}\n", 3, 42,
		   "not a user name");
	/* braces that are not placeholders are just characters */
	ag3_mounts_config_free(mload_ok("global:\n  ro:\n    - {name: a, host_path: '/x/{}/y'}\n"));
	ag3_mounts_config_free(mload_ok(
		"per_user:\n  ro:\n    - {name: a, host_path: '/home/{username}/d', users: []}\n"));
}

Test(loader, original_paths_rules)
{
	struct ag3_mounts_config *c =
		mload_ok("original_paths:\n  ro:\n    - path: /var//log/./x/..\n  rw:\n"
			 "    - {path: /var/www/html, optional: false, allowed_users: [alice]}\n");
	cr_assert_eq(c->original_paths.ro.n, 1);
	const struct ag3_xorig *o = &c->original_paths.ro.items[0];
	cr_assert_str_eq(o->path.v, "/var/log");
	cr_assert(o->ro && o->optional.v && !o->optional.meta.set);
	cr_assert_eq(o->allowed_users.n, 1);
	cr_assert_str_eq(o->allowed_users.items[0].v, "*");
	cr_assert_str_eq(o->key, "original_paths.ro[0]");
	const struct ag3_xorig *w = &c->original_paths.rw.items[0];
	cr_assert(!w->ro && !w->optional.v);
	cr_assert_str_eq(w->allowed_users.items[0].v, "alice");
	ag3_mounts_config_free(c);

	mload_fail("original_paths:\n  ro:\n    - path: var/log\n", 3, 13, "not an absolute path");
	mload_fail("original_paths:\n  ro:\n    - path: /var\n", 3, 13, "fewer than 2 components");
	mload_fail("original_paths:\n  ro:\n    - path: /var/log/..\n", 3, 13,
		   "fewer than 2 components");
	mload_fail("original_paths:\n  ro:\n    - path: '/home/{username}'\n", 3, 13,
		   "placeholders are not substituted");
	/* equal to, or under, a reserved path (the platform only refused exact matches) */
	static const char *const bad[] = {
		"/etc",         "/etc/nginx",    "/usr/local/share", "/proc/self",
		"/sys/kernel",  "/dev/shm",      "/tmp/x",           "/root/.ssh",
		"/workspace/a", "/mounts/x",     "/lib64/x",         "/venv/bin",
		"/skills/s",    "/persistent/p", "/sbin/x",          "/bin/x"};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char y[256];
		snprintf(y, sizeof(y), "original_paths:\n  rw:\n    - path: %s\n", bad[i]);
		mload_fail(y, 3, 13, "reserved path");
	}
	mload_fail("original_paths:\n  rw:\n    - path: /etc/../usr/x\n", 3, 13,
		   "under the reserved path /usr");
	mload_fail("original_paths:\n  ro:\n    - path: /var/log\n  rw:\n    - path: /var/log/\n",
		   5, 13,
		   "original_paths.rw[0].path: '/var/log' is already configured by "
		   "original_paths.ro[0]");
	mload_fail("original_paths:\n  ro:\n    - {path: /var/log, users: [a]}\n", 3, 24,
		   "unknown key 'users'");
}

Test(loader, dynamic_section)
{
	struct ag3_mounts_config *c =
		mload_ok("dynamic:\n"
			 "  enabled: true\n"
			 "  security:\n"
			 "    max_mounts_per_session: 3\n"
			 "    max_subpath_depth: 4\n"
			 "    global_blocked_subpaths: ['.ssh', '*.key']\n"
			 "  bases:\n"
			 "    - name: logs\n"
			 "      host_path: /var/log\n"
			 "      max_mode: RO\n"
			 "      authorization: {mode: allowlist, allowed_users: ['*']}\n"
			 "      subpath_restrictions: {mode: blocklist, blocked: [audit]}\n"
			 "      optional: false\n"
			 "    - name: home\n"
			 "      host_path: '/home/{username}'\n"
			 "      max_mode: rw\n"
			 "      authorization: {mode: self_only}\n"
			 "    - name: team\n"
			 "      host_path: /srv/team\n"
			 "      authorization: {mode: role}\n");
	cr_assert(c->dynamic.enabled.v);
	cr_assert_eq(c->dynamic.security.max_mounts_per_session.v, 3);
	cr_assert_eq(c->dynamic.security.max_subpath_depth.v, 4);
	cr_assert_eq(c->dynamic.security.global_blocked_subpaths.n, 2);
	cr_assert_eq(c->dynamic.bases.n, 3);
	const struct ag3_xdyn_base *l = &c->dynamic.bases.items[0];
	cr_assert(l->max_ro.v && !l->optional.v);
	cr_assert_eq(l->authorization.mode.v, AG3_DYN_AUTH_ALLOWLIST);
	cr_assert_eq(l->subpath_restrictions.mode.v, AG3_DYN_SUBPATH_BLOCKLIST);
	const struct ag3_xdyn_base *h = &c->dynamic.bases.items[1];
	cr_assert(!h->max_ro.v && h->optional.v);
	cr_assert_eq(h->authorization.mode.v, AG3_DYN_AUTH_SELF_ONLY);
	cr_assert_eq(c->dynamic.bases.items[2].authorization.mode.v, AG3_DYN_AUTH_ROLE);
	cr_assert(c->dynamic.bases.items[2].max_ro.v); /* default ro */
	ag3_mounts_config_free(c);

	mload_fail("dynamic:\n  bases:\n    - {name: l, host_path: /var/log}\n", 3, 7,
		   "authorization mode allowlist needs a non-empty authorization.allowed_users");
	mload_fail("dynamic:\n  bases:\n    - {name: l, host_path: /var/log, authorization: "
		   "{mode: allowlist, allowed_users: []}}\n",
		   3, 53, "needs a non-empty");
	mload_fail("dynamic:\n  bases:\n    - {name: l, host_path: /var/log, authorization: "
		   "{mode: self_only}}\n",
		   3, 28, "self_only needs {username} in host_path");
	mload_fail("dynamic:\n  bases:\n    - {name: l, host_path: /var/log, max_mode: rx, "
		   "authorization: {allowed_users: ['*']}}\n",
		   3, 48, "expected one of rw, ro, got 'rx' (did you mean 'rw'?)");
	mload_fail("dynamic:\n  bases:\n    - {name: l, host_path: /var/log, authorization: "
		   "{mode: allowlst, allowed_users: ['*']}}\n",
		   3, 0, "did you mean 'allowlist'?");
	mload_fail("dynamic:\n  bases:\n    - {name: l, host_path: /var/log, authorization: "
		   "{allowed_users: ['*']}, subpath_restrictions: {mode: denylist}}\n",
		   3, 0, "expected one of allowlist, blocklist");
	mload_fail("dynamic:\n  bases:\n    - {name: ro, host_path: /var/log, authorization: "
		   "{allowed_users: ['*']}}\n",
		   3, 14, "reserved name");
	mload_fail("dynamic:\n  security: {global_blocked_subpaths: ['/']}\n", 2, 40,
		   "not a subpath pattern");
}

Test(loader, hostile_input_is_bounded)
{
	/* more list items than allowed */
	size_t n = AG3_XMOUNT_LIST_MAX + 1;
	size_t cap = 64 + n * 8;
	char *y = malloc(cap);
	size_t o = (size_t)snprintf(y, cap,
				    "per_user:\n  ro:\n    - {name: a, host_path: /x/y, users: [");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(y + o, cap - o, "%su", i ? "," : "");
	snprintf(y + o, cap - o, "]}\n");
	mload_fail(y, 3, 0, "more than 1024 items");
	free(y);
	/* control characters in names are refused, and previewed safely */
	mload_fail("global:\n  ro:\n    - {name: \"a\\x01\", host_path: /x/y}\n", 3, 14,
		   "not a valid mount name");
}

/* --------------------------------------------------------- helpers -- */

Test(paths, normalize_and_under)
{
	char *s = NULL;
	cr_assert_eq(ag3_path_normalize("/a//b/./c/../d/", &s), 0);
	cr_assert_str_eq(s, "/a/b/d");
	free(s);
	cr_assert_eq(ag3_path_normalize("/../..", &s), 0);
	cr_assert_str_eq(s, "/");
	free(s);
	cr_assert_eq(ag3_path_normalize("a/b", &s), -EINVAL);
	cr_assert(ag3_path_is_under("/etc", "/etc"));
	cr_assert(ag3_path_is_under("/etc/x", "/etc"));
	cr_assert_not(ag3_path_is_under("/etcx", "/etc"));
	cr_assert(ag3_path_is_under("/anything", "/"));
	cr_assert(ag3_xmount_name_valid("user-data_2"));
	cr_assert_not(ag3_xmount_name_valid("user-rw"));
	cr_assert_not(ag3_xmount_name_valid(""));
}

/* ---------------------------------------------------------- the plan -- */

static const char plan_mounts[] =
	"global:\n"
	"  ro:\n"
	"    - {name: datasets, host_path: /data/ml-datasets}\n"
	"    - {name: docs, host_path: /data/docs, optional: true}\n"
	"    - {name: conf, host_path: /etc/app-config, optional: true}\n"
	"  rw:\n"
	"    - {name: shared-output, host_path: /data/shared-output, optional: true}\n"
	"per_user:\n"
	"  ro:\n"
	"    - {name: user-data, host_path: '/home/{username}/data', users: ['*']}\n"
	"    - {name: admin-logs, host_path: /var/log/app, users: [admin]}\n"
	"  rw:\n"
	"    - {name: project, host_path: /projects/main, users: [alice, bob], optional: false}\n"
	"    - {name: same, host_path: /data/ml-datasets, users: ['*']}\n"
	"original_paths:\n"
	"  ro:\n"
	"    - path: /var/log/nginx\n"
	"  rw:\n"
	"    - {path: /var/www/html, allowed_users: [bob]}\n";

static char *plan_root(void)
{
	char *t = new_root();
	mkdir_p(t, "data/ml-datasets");
	mkdir_p(t, "data/shared-output");
	mkdir_p(t, "etc/app-config");
	mkdir_p(t, "home/alice/data");
	mkdir_p(t, "home/bob/data");
	mkdir_p(t, "var/log/app");
	mkdir_p(t, "var/log/nginx");
	mkdir_p(t, "var/www/html");
	mkdir_p(t, "projects/main");
	mkdir_p(t, "users/alice/ag3ntum/persistent");
	return t;
}

Test(plan, alice_gets_what_she_is_authorized_for_in_order)
{
	char *root = plan_root();
	struct compiled c = compile_with(small_profile, plan_mounts, "alice", root, NULL, 0);
	_cleanup_free_ char *m = fmt_err(c.err);
	cr_assert_eq(c.r, 0, "%s", m);
	const struct ag3_spec *s = c.spec;

	const struct ag3_mount *mask = find_origin(s, "tmpfs mask /mounts (external mounts)");
	cr_assert_not_null(mask);
	cr_assert_eq(mask->op, AG3_MOUNT_TMPFS);
	cr_assert_str_eq(mask->target, "/mounts");

	static const struct {
		const char *origin, *source, *target;
		bool ro;
	} want[] = {
		{"tmpfs mask /mounts (external mounts)", NULL, "/mounts", false},
		{"persistent storage (same path)", "/users/alice/ag3ntum/persistent",
		 "/users/alice/ag3ntum/persistent", false},
		{"global.ro[0] datasets", "/data/ml-datasets", "/mounts/datasets", true},
		{"global.ro[2] conf", "/etc/app-config", "/mounts/conf", true},
		{"global.rw[0] shared-output", "/data/shared-output", "/mounts/shared-output",
		 false},
		{"per_user.ro[0] user-data", "/home/alice/data", "/mounts/user-data", true},
		{"per_user.rw[0] project", "/projects/main", "/mounts/project", false},
		{"per_user.rw[1] same", "/data/ml-datasets", "/mounts/same", false},
		{"original_paths.ro[0]", "/var/log/nginx", "/var/log/nginx", true},
		{"original-path of global.ro[0] datasets", "/data/ml-datasets", "/data/ml-datasets",
		 true},
		{"original-path of per_user.ro[0] user-data", "/home/alice/data",
		 "/home/alice/data", true},
		{"original-path of global.rw[0] shared-output", "/data/shared-output",
		 "/data/shared-output", false},
		{"original-path of per_user.rw[0] project", "/projects/main", "/projects/main",
		 false},
	};
	ssize_t first = index_of(s, want[0].origin);
	cr_assert_geq(first, 0);
	/* after the profile's session mounts */
	cr_assert_gt(first, index_of(s, "sandbox.session_mounts.workspace"));
	cr_assert_eq(s->n_mounts, (size_t)first + ELEMENTSOF(want), "%zu mounts", s->n_mounts);
	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		const struct ag3_mount *x = &s->mounts[first + (ssize_t)i];
		cr_assert_str_eq(x->origin, want[i].origin, "mount %zu", i);
		cr_assert_str_eq(x->target, want[i].target, "%s", want[i].origin);
		if (want[i].source) {
			cr_assert_eq(x->op, AG3_MOUNT_BIND);
			cr_assert_str_eq(x->source, want[i].source, "%s", want[i].origin);
			cr_assert_eq(x->ro, want[i].ro, "%s", want[i].origin);
			cr_assert(x->nosuid && x->nodev);
		}
	}
	/* not for alice: admin-logs; /var/www/html is bob's; /etc/app-config is reserved;
	 * docs is missing (optional) */
	cr_assert_null(find_origin(s, "per_user.ro[1] admin-logs"));
	cr_assert_not(has_target(s, "/var/www/html"));
	cr_assert_not(has_target(s, "/etc/app-config"));
	cr_assert_not(has_target(s, "/mounts/docs"));
	ag3_spec_free(c.spec);
	drop_root(root);
}

Test(plan, skipped_entries_say_why)
{
	char *root = plan_root();
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = pload_ok(small_profile);
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *m = mload_ok(plan_mounts);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("bob");
	struct ag3_xplan *plan = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_mounts_config_plan(m, p, s, NULL, 0, root, &plan, &e);
	_cleanup_free_ char *msg = fmt_err(e);
	cr_assert_eq(r, 0, "%s", msg);
	size_t found = 0;
	for (size_t i = 0; i < plan->n; i++) {
		const struct ag3_xplan_entry *x = &plan->items[i];
		if (!strcmp(x->origin, "per_user.ro[1] admin-logs")) {
			cr_assert_eq(x->skip, AG3_XPLAN_SKIP_NOT_AUTHORIZED);
			cr_assert_not_null(strstr(x->skip_reason, "'bob' is not in its users"));
			cr_assert_str_eq(x->file, "m.yaml");
			cr_assert_eq(x->loc.line, 11);
			found++;
		} else if (!strcmp(x->origin, "global.ro[1] docs")) {
			cr_assert_eq(x->skip, AG3_XPLAN_SKIP_MISSING);
			cr_assert_not_null(strstr(x->skip_reason, "does not exist"));
			found++;
		} else if (!strcmp(x->origin, "original-path of global.ro[2] conf")) {
			cr_assert_eq(x->skip, AG3_XPLAN_SKIP_RESERVED);
			cr_assert_not_null(strstr(x->skip_reason, "under the reserved path /etc"),
					   "%s", x->skip_reason);
			found++;
		} else if (!strcmp(x->origin, "original-path of per_user.rw[1] same")) {
			cr_assert_eq(x->skip, AG3_XPLAN_SKIP_DUPLICATE);
			cr_assert_not_null(strstr(x->skip_reason,
						  "already bound by original-path of "
						  "global.ro[0] datasets"));
			found++;
		} else if (!strcmp(x->origin, "persistent storage (same path)")) {
			/* bob has none */
			cr_assert_eq(x->skip, AG3_XPLAN_SKIP_MISSING);
			found++;
		} else if (!strcmp(x->origin, "original_paths.rw[0]")) {
			cr_assert_eq(x->skip, AG3_XPLAN_SKIP_NONE); /* bob's */
			cr_assert_not(x->ro);
			found++;
		} else if (!strcmp(x->origin, "per_user.ro[0] user-data")) {
			cr_assert_str_eq(x->source, "/home/bob/data");
			found++;
		}
	}
	cr_assert_eq(found, 7);
	ag3_xplan_free(plan);
	drop_root(root);
}

Test(plan, no_user_means_no_per_user_mounts)
{
	char *root = plan_root();
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = pload_ok(small_profile);
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *m = mload_ok(plan_mounts);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for(NULL);
	struct ag3_xplan *plan = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_mounts_config_plan(m, p, s, NULL, 0, root, &plan, &e), 0);
	size_t bound = 0;
	for (size_t i = 0; i < plan->n; i++) {
		const struct ag3_xplan_entry *x = &plan->items[i];
		if (x->kind == AG3_XPLAN_MOUNT && strstr(x->origin, "per_user"))
			cr_assert_eq(x->skip, AG3_XPLAN_SKIP_NO_USERNAME, "%s", x->origin);
		if (x->kind == AG3_XPLAN_PERSISTENT)
			cr_assert_eq(x->skip, AG3_XPLAN_SKIP_NO_USERNAME);
		if (!strcmp(x->origin, "original_paths.rw[0]"))
			cr_assert_eq(x->skip, AG3_XPLAN_SKIP_NO_USERNAME);
		bound += x->skip == AG3_XPLAN_SKIP_NONE;
	}
	cr_assert_gt(bound, 3);
	ag3_xplan_free(plan);
	/* no config: an empty plan */
	cr_assert_eq(ag3_mounts_config_plan(NULL, p, s, NULL, 0, root, &plan, &e), 0);
	cr_assert_eq(plan->n, 0);
	ag3_xplan_free(plan);
	drop_root(root);
}

Test(plan, a_missing_required_source_names_its_yaml_entry)
{
	char *root = new_root();
	struct compiled c = compile_with(small_profile, plan_mounts, "alice", root, NULL, 0);
	cr_assert_lt(c.r, 0);
	_cleanup_free_ char *m = fmt_err(c.err);
	cr_assert_str_eq(c.err->file, "m.yaml");
	cr_assert_eq(c.err->line, 3, "%s", m);
	cr_assert_eq(c.err->col, 35, "%s", m);
	cr_assert_not_null(strstr(c.err->msg, "global.ro[0] (datasets).host_path: "
					      "'/data/ml-datasets' does not exist on this host"),
			   "%s", m);
	cr_assert_eq(c.err->err, ENOENT);
	ag3_error_free(c.err);
	/* a required mount the user is not authorized for does not matter */
	mkdir_p(root, "data/ml-datasets");
	mkdir_p(root, "home/carol/data");
	c = compile_with(small_profile, plan_mounts, "carol", root, NULL, 0);
	_cleanup_free_ char *m2 = fmt_err(c.err);
	cr_assert_eq(c.r, 0, "%s", m2);
	cr_assert_null(find_origin(c.spec, "per_user.rw[0] project"));
	ag3_spec_free(c.spec);
	/* a required original path */
	c = compile_with(small_profile,
			 "original_paths:\n  ro:\n    - {path: /srv/need, optional: false}\n",
			 "alice", root, NULL, 0);
	cr_assert_lt(c.r, 0);
	cr_assert_not_null(
		strstr(c.err->msg, "original_paths.ro[0].path: '/srv/need' does not exist"));
	cr_assert_eq(c.err->line, 3);
	ag3_error_free(c.err);
	drop_root(root);
}

Test(plan, original_paths_under_a_profile_target_are_refused)
{
	char *root = new_root();
	struct compiled c =
		compile_with(small_profile, "original_paths:\n  ro:\n    - path: /user-skills/x\n",
			     "alice", root, NULL, 0);
	cr_assert_lt(c.r, 0);
	_cleanup_free_ char *m = fmt_err(c.err);
	cr_assert_not_null(strstr(c.err->msg, "original_paths.ro[0].path: '/user-skills/x' is "
					      "under the profile's mount target /user-skills"),
			   "%s", m);
	cr_assert_eq(c.err->line, 3);
	cr_assert_eq(c.err->col, 13);
	ag3_error_free(c.err);
	/* the persistent same-path bind is reserved too */
	c = compile_with(small_profile,
			 "original_paths:\n  ro:\n    - path: /users/alice/ag3ntum/persistent/x\n",
			 "alice", root, NULL, 0);
	cr_assert_lt(c.r, 0);
	cr_assert_not_null(strstr(c.err->msg, "/users/alice/ag3ntum/persistent"));
	ag3_error_free(c.err);
	/* exposures under a profile target are skipped, not errors */
	mkdir_p(root, "user-skills/tools");
	c = compile_with(small_profile,
			 "global:\n  ro:\n    - {name: t, host_path: /user-skills/tools}\n",
			 "alice", root, NULL, 0);
	_cleanup_free_ char *m3 = fmt_err(c.err);
	cr_assert_eq(c.r, 0, "%s", m3);
	cr_assert_not_null(find_origin(c.spec, "global.ro[0] t"));
	cr_assert_null(find_origin(c.spec, "original-path of global.ro[0] t"));
	ag3_spec_free(c.spec);
	drop_root(root);
}

Test(plan, top_level_exposures_are_skipped)
{
	char *root = new_root();
	mkdir_p(root, "data");
	struct compiled c =
		compile_with(small_profile, "global:\n  ro:\n    - {name: d, host_path: /data}\n",
			     "alice", root, NULL, 0);
	cr_assert_eq(c.r, 0);
	cr_assert_not_null(find_origin(c.spec, "global.ro[0] d"));
	cr_assert_not(has_target(c.spec, "/data"));
	ag3_spec_free(c.spec);
	drop_root(root);
}

/* A host path through a symlink would only fail at exec (bind sources are opened
 * without following links), without the YAML entry: refused at compile time. */
Test(plan, a_symlinked_host_path_names_its_yaml_entry)
{
	char *root = new_root();
	mkdir_p(root, "etc/nginx");
	mkdir_p(root, "srv/real");
	char *lnk = NULL, *lnk2 = NULL;
	cr_assert_gt(asprintf(&lnk, "%s/srv/lnk", root), 0);
	cr_assert_eq(symlink("../etc", lnk), 0);
	cr_assert_gt(asprintf(&lnk2, "%s/srv/d", root), 0);
	cr_assert_eq(symlink("real", lnk2), 0);
	struct compiled c = compile_with(small_profile,
					 "original_paths:\n  ro:\n    - {path: /srv/lnk/nginx}\n",
					 "alice", root, NULL, 0);
	cr_assert_lt(c.r, 0);
	_cleanup_free_ char *m = fmt_err(c.err);
	cr_assert_eq(c.err->line, 3, "%s", m);
	cr_assert_not_null(strstr(m, "original_paths.ro[0].path: '/srv/lnk/nginx' goes through a "
				     "symlink (to '/etc/nginx')"),
			   "%s", m);
	ag3_error_free(c.err);
	c = compile_with(small_profile,
			 "global:\n  ro:\n    - {name: d, host_path: /srv/d, optional: true}\n",
			 "alice", root, NULL, 0);
	cr_assert_lt(c.r, 0);
	_cleanup_free_ char *m2 = fmt_err(c.err);
	cr_assert_not_null(strstr(m2, "global.ro[0] (d).host_path: '/srv/d' goes through a "
				      "symlink (to '/srv/real')"),
			   "%s", m2);
	ag3_error_free(c.err);
	/* the real path compiles */
	c = compile_with(small_profile, "global:\n  ro:\n    - {name: d, host_path: /srv/real}\n",
			 "alice", root, NULL, 0);
	cr_assert_eq(c.r, 0);
	ag3_spec_free(c.spec);
	free(lnk);
	free(lnk2);
	drop_root(root);
}

Test(plan, star_without_username_placeholder_still_compiles)
{
	char *root = new_root();
	mkdir_p(root, "srv/shared");
	struct compiled c = compile_with(
		small_profile,
		"per_user:\n  rw:\n    - {name: s, host_path: /srv/shared, users: ['*']}\n",
		"alice", root, NULL, 0);
	cr_assert_eq(c.r, 0);
	const struct ag3_mount *x = find_origin(c.spec, "per_user.rw[0] s");
	cr_assert_not_null(x);
	cr_assert_not(x->ro);
	ag3_spec_free(c.spec);
	drop_root(root);
}

Test(compile, no_mounts_config_means_no_mounts_mask)
{
	char *root = new_root();
	struct compiled c = compile_with(small_profile, NULL, "alice", root, NULL, 0);
	cr_assert_eq(c.r, 0);
	cr_assert_not(has_target(c.spec, "/mounts"));
	/* ag3_compile_ex without options is "no external mounts" */
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = pload_ok(small_profile);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, "/tmp"), 0);
	struct ag3_spec *spec = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_compile_ex(p, s, NULL, &spec, &e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_eq(r, 0, "%s", m);
	cr_assert_not(has_target(spec, "/mounts"));
	ag3_spec_free(spec);
	ag3_spec_free(c.spec);
	drop_root(root);
}

Test(compile, prefix_sources_prefixes_every_bind_source_only)
{
	char *root = plan_root();
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = pload_ok(small_profile);
	_cleanup_(ag3_mounts_config_freep) struct ag3_mounts_config *m = mload_ok(plan_mounts);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, "/ws"), 0);
	struct ag3_spec *spec = NULL;
	struct ag3_error *e = NULL;
	char rootslash[4096];
	snprintf(rootslash, sizeof(rootslash), "%s/", root);
	struct ag3_compile_options o = {
		.host_root = rootslash, .prefix_sources = true, .mounts = m};
	int r = ag3_compile_ex(p, s, &o, &spec, &e);
	_cleanup_free_ char *msg = fmt_err(e);
	cr_assert_eq(r, 0, "%s", msg);
	size_t binds = 0;
	for (size_t i = 0; i < spec->n_mounts; i++) {
		const struct ag3_mount *x = &spec->mounts[i];
		if (x->op == AG3_MOUNT_BIND) {
			binds++;
			cr_assert(!strncmp(x->source, root, strlen(root)) &&
					  x->source[strlen(root)] == '/',
				  "%s: %s", x->origin, x->source);
			cr_assert(strncmp(x->target, root, strlen(root)) != 0);
		}
		if (x->op == AG3_MOUNT_SYMLINK)
			cr_assert_eq(x->source[0] != '/', true, "symlink text stays: %s",
				     x->source);
	}
	cr_assert_gt(binds, 8);
	const struct ag3_mount *ds = find_origin(spec, "original-path of global.ro[0] datasets");
	cr_assert_not_null(ds);
	cr_assert_str_eq(ds->target, "/data/ml-datasets");
	ag3_spec_free(spec);
	drop_root(root);
}

/*
 * Static mounts are resolved at compile time (system paths go through links),
 * but only fixed ones: a source holding {workspace_dir} is partly the user's,
 * who could plant the link (ws/tools -> /etc), and stays as written for the
 * runtime, which binds no symlink.
 */
Test(compile, static_sources_with_placeholders_are_not_resolved)
{
	char *root = new_root();
	symlink_at(root, "ws/tools", "/etc");
	symlink_at(root, "etc2", "etc");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		pload_ok("name: s\n"
			 "sandbox:\n"
			 "  static_mounts:\n"
			 "    tools: {source: '{workspace_dir}/tools', target: /tools}\n"
			 "    etc2: {source: /etc2, target: /etc2}\n");
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, "/ws"), 0);
	struct ag3_spec *spec = NULL;
	struct ag3_error *e = NULL;
	struct ag3_compile_options o = {.host_root = root, .prefix_sources = true};
	int r = ag3_compile_ex(p, s, &o, &spec, &e);
	_cleanup_free_ char *msg = fmt_err(e);
	cr_assert_eq(r, 0, "%s", msg);
	_cleanup_free_ char *want_tools = NULL, *want_etc = NULL, *real = realpath(root, NULL);
	cr_assert_gt(asprintf(&want_tools, "%s/ws/tools", root), 0);
	cr_assert_gt(asprintf(&want_etc, "%s/etc", real), 0);
	const struct ag3_mount *t = find_origin(spec, "sandbox.static_mounts.tools");
	const struct ag3_mount *x = find_origin(spec, "sandbox.static_mounts.etc2");
	cr_assert(t && x);
	cr_assert_str_eq(t->source, want_tools);
	cr_assert_str_eq(x->source, want_etc);
	ag3_spec_free(spec);
	drop_root(root);
}
