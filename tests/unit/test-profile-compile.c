/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policy/: profiles compiled to specs (the platform's
 * profiles, the default profile, the compiler). No privileges needed. Host
 * paths are looked up beneath fake roots built in temporary directories
 * (ag3_compile_options.host_root), so the expected mount lists do not depend
 * on the machine running the tests.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/compile.h"
#include "policy/profile-model.h"
#include "policy/vars.h"
#include "runtime/spec_json.h"

#include "helpers.h"
#include "profile-helpers.h"

/* ------------------------------------------------------------ helpers -- */

static struct ag3_profile *load_file_ok(const char *path)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_profile_load_file(path, &p, &e);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_eq(r, 0, "%s: load failed: %s", path, m);
	ag3_error_free(e);
	return p;
}

/*
 * A fake host: /usr/{bin,lib,lib64,sbin}, /etc, the platform's /users/alice
 * layout and /skills; merged: /bin -> usr/bin (and lib, lib64, sbin), else
 * real directories.
 */
static char *fake_root(bool merged)
{
	char *root = strdup("/tmp/ag3-test-root-XXXXXX");
	cr_assert_not_null(mkdtemp(root));
	static const char *const dirs[] = {
		"usr/bin",          "usr/lib", "usr/lib64",
		"usr/sbin",         "etc",     "users/alice/sessions/" SESSION_ID "/workspace",
		"users/alice/venv", "skills"};
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		mkdir_p(root, dirs[i]);
	static const char *const sys[] = {"bin", "lib", "lib64", "sbin"};
	for (size_t i = 0; i < ELEMENTSOF(sys); i++) {
		char text[32];
		snprintf(text, sizeof(text), "usr/%s", sys[i]);
		if (merged)
			symlink_at(root, sys[i], text);
		else
			mkdir_p(root, sys[i]);
	}
	return root;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void rm_rf(char *root)
{
	if (root)
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(root);
}

static void expect_mount(const struct ag3_spec *spec, size_t i, enum ag3_mount_op op,
			 const char *source, const char *target, bool ro, const char *origin)
{
	cr_assert_lt(i, spec->n_mounts, "no mount %zu (only %zu)", i, spec->n_mounts);
	const struct ag3_mount *m = &spec->mounts[i];
	cr_assert_eq(m->op, op, "mounts[%zu] (%s): op %s, expected %s", i, m->target,
		     ag3_mount_op_to_string(m->op), ag3_mount_op_to_string(op));
	cr_assert_str_eq(m->target, target, "mounts[%zu].target", i);
	if (source)
		cr_assert_str_eq(m->source, source, "mounts[%zu].source", i);
	else
		cr_assert_null(m->source, "mounts[%zu].source", i);
	cr_assert_eq(m->ro, ro, "mounts[%zu] (%s).ro", i, target);
	cr_assert_str_eq(m->origin, origin, "mounts[%zu].origin", i);
}

static const struct ag3_env_var *env_get(const struct ag3_spec *spec, const char *name)
{
	static const struct ag3_env_var none = {.name = (char *)"", .value = (char *)""};
	const struct ag3_env_var *v = env_find(spec, name);
	cr_assert_not_null(v, "no %s in the environment", name);
	return v ? v : &none;
}

static const struct ag3_rlimit *rlimit_find(const struct ag3_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->process.n_rlimits; i++)
		if (!strcmp(spec->process.rlimits[i].name, name))
			return &spec->process.rlimits[i];
	return NULL;
}

static const struct ag3_rlimit *rlimit_get(const struct ag3_spec *spec, const char *name)
{
	static const struct ag3_rlimit none;
	const struct ag3_rlimit *v = rlimit_find(spec, name);
	cr_assert_not_null(v, "no rlimit %s", name);
	return v ? v : &none;
}

/* ---------------------------------------------------------- fixtures -- */

Test(fixtures, every_platform_permissions_yaml_loads)
{
	_cleanup_free_ char *pattern = fixture("*/permissions*.yaml");
	glob_t g;
	cr_assert_eq(glob(pattern, 0, NULL, &g), 0, "no fixtures at %s", pattern);
	cr_assert_geq(g.gl_pathc, 5, "expected at least 5 fixtures, found %zu", g.gl_pathc);
	for (size_t i = 0; i < g.gl_pathc; i++)
		ag3_profile_free(load_file_ok(g.gl_pathv[i]));
	globfree(&g);
}

Test(fixtures, head_48de794_model)
{
	_cleanup_free_ char *path = fixture("v-48de794/permissions.yaml");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_file_ok(path);
	static const char *const statics[] = {"system_usr", "system_lib", "system_bin",
					      "etc_resolv", "etc_ssl"};
	cr_assert_str_eq(p->name.v, "user");
	cr_assert_str_eq(p->sandbox.bwrap_path.v, "sudo bwrap");
	cr_assert_eq(p->sandbox.static_mounts.n, ELEMENTSOF(statics));
	for (size_t i = 0; i < ELEMENTSOF(statics); i++)
		cr_assert_str_eq(p->sandbox.static_mounts.items[i].name, statics[i]);
	cr_assert_eq(p->sandbox.session_mounts.n, 9);
	const struct ag3_pmount *ws = &p->sandbox.session_mounts.items[0];
	cr_assert_str_eq(ws->key, "sandbox.session_mounts.workspace");
	cr_assert_str_eq(ws->source.v, "/users/{username}/sessions/{session_id}/workspace");
	cr_assert_not(ws->ro.v);
	cr_assert_not(ws->optional.v);
	cr_assert(p->sandbox.session_mounts.items[3].optional.v); /* user_skills */
	cr_assert(p->sandbox.network.enabled.v);
	cr_assert(p->sandbox.network.allow_localhost.v);
	cr_assert_eq(p->sandbox.proc_filtering.allowed_entries.n, 5);
}

Test(fixtures, v_92aa603_model_and_positions)
{
	_cleanup_free_ char *path = fixture("v-92aa603/permissions.yaml");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_file_ok(path);
	static const char *const statics[] = {"system_usr", "system_lib", "system_lib64",
					      "system_bin", "system_etc"};
	cr_assert_eq(p->sandbox.static_mounts.n, ELEMENTSOF(statics));
	for (size_t i = 0; i < ELEMENTSOF(statics); i++)
		cr_assert_str_eq(p->sandbox.static_mounts.items[i].name, statics[i]);
	cr_assert(p->sandbox.static_mounts.items[2].optional.v);
	cr_assert_eq(p->tools.enabled.n, 17);
	cr_assert_eq(p->tools.disabled.n, 10);
	cr_assert_eq(p->tools.permission_checked.n, 0);
	cr_assert(p->tools.permission_checked.meta.set);
	cr_assert_eq(p->session_workspace.allowed_dirs.n, 1);
	cr_assert_str_eq(p->session_workspace.allowed_dirs.items[0].v, "{workspace}");
	cr_assert_eq(p->checkpointing.auto_checkpoint_tools.n, 3);
	cr_assert_str_eq(p->checkpointing.auto_checkpoint_tools.items[2].v, "MultiEdit");
	cr_assert_eq(p->sandbox.writable_paths.n, 2);
	cr_assert_eq(p->sandbox.dynamic_mounts.n, 0);
	cr_assert(p->sandbox.dynamic_mounts.meta.set);
	/* system_usr: key at 152:5; its mode value at 155:13 */
	const struct ag3_pmount *usr = &p->sandbox.static_mounts.items[0];
	cr_assert_eq(usr->meta.loc.key_line, 152);
	cr_assert_eq(usr->meta.loc.key_col, 5);
	cr_assert_eq(usr->ro.meta.loc.key_line, 155);
	cr_assert_eq(usr->ro.meta.loc.line, 155);
	cr_assert_eq(usr->ro.meta.loc.col, 13);
	struct ag3_ploc loc;
	cr_assert_eq(ag3_profile_locate(p, "sandbox.static_mounts.system_usr.mode", &loc), 0);
	cr_assert_eq(loc.line, 155);
	cr_assert_eq(loc.col, 13);
	cr_assert_eq(ag3_profile_locate(p, "sandbox.writable_paths[1]", &loc), 0);
	cr_assert_eq(loc.line, 293);
	cr_assert_eq(ag3_profile_locate(p, "sandbox.nope", &loc), -ENOENT);
	cr_assert_eq(ag3_profile_locate(p, "sandbox.writable_paths[7]", &loc), -ENOENT);
}

Test(fixtures, platform_tests_profiles_load_but_compile_refuses_fail_open)
{
	static const char *const files[] = {"platform-tests/permissions.yaml",
					    "platform-tests/permissions.user.permissive.yaml"};
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *path = fixture(files[i]);
		_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_file_ok(path);
		_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
		cr_assert_not(p->sandbox.meta.set);
		struct ag3_error *e = compile_fail(p, s, NULL, "UNSANDBOXED");
		cr_assert_not_null(strstr(e->msg, "no 'sandbox' section"));
		cr_assert_str_eq(e->file, path);
		cr_assert_gt(e->line, 0);
		ag3_error_free(e);
	}
}

Test(fixtures, v_92aa603_compiles_to_the_expected_mounts)
{
	_cleanup_free_ char *path = fixture("v-92aa603/permissions.yaml");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_file_ok(path);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	char *root = fake_root(true);
	mkdir_p(root, "users/alice/ag3ntum/persistent"); /* optional, present */
	mkdir_p(root, "var/lib/dpkg");                   /* /usr is bound: dpkg's database */
	_cleanup_free_ char *ws = strdup("/tmp/ag3-test-ws-XXXXXX");
	cr_assert_not_null(mkdtemp(ws));
	ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, ws); /* unused by this profile */

	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, s, root);
	size_t i = 0;
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/usr", "/usr", true,
		     "sandbox.static_mounts.system_usr");
	expect_mount(spec, i++, AG3_MOUNT_SYMLINK, "usr/lib", "/lib", false,
		     "sandbox.static_mounts.system_lib");
	expect_mount(spec, i++, AG3_MOUNT_SYMLINK, "usr/lib64", "/lib64", false,
		     "sandbox.static_mounts.system_lib64");
	expect_mount(spec, i++, AG3_MOUNT_SYMLINK, "usr/bin", "/bin", false,
		     "sandbox.static_mounts.system_bin");
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/etc", "/etc", true,
		     "sandbox.static_mounts.system_etc");
	expect_mount(spec, i++, AG3_MOUNT_TMPFS, NULL, "/tmp", false, "builtin /tmp");
	expect_mount(spec, i++, AG3_MOUNT_PROC, NULL, "/proc", false, "builtin /proc");
	expect_mount(spec, i++, AG3_MOUNT_DEV, NULL, "/dev", false, "builtin /dev");
	expect_mount(spec, i++, AG3_MOUNT_TMPFS, NULL, "/var/tmp", false, "sandbox.var_tmp");
	cr_assert_eq(spec->mounts[i - 1].mode, 01777);
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/var/lib/dpkg", "/var/lib/dpkg", true,
		     "sandbox.dpkg_database (auto: the host's /usr is bound)");
	cr_assert(spec->mounts[i - 1].nosuid && spec->mounts[i - 1].nodev &&
		  spec->mounts[i - 1].noexec);
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/users/alice/sessions/" SESSION_ID "/workspace",
		     "/workspace", false, "sandbox.session_mounts.workspace");
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/users/alice/venv", "/venv", true,
		     "sandbox.session_mounts.user_venv");
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/skills", "/skills", true,
		     "sandbox.session_mounts.global_skills");
	/* user_skills, user_ssh, user_gitconfig: optional and missing: omitted */
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/users/alice/ag3ntum/persistent", "/persistent",
		     false, "sandbox.session_mounts.persistent_storage");
	cr_assert_eq(spec->n_mounts, i);
	cr_assert(spec->mounts[13].optional);
	for (size_t k = 0; k < spec->n_mounts; k++)
		if (spec->mounts[k].op == AG3_MOUNT_BIND)
			cr_assert(spec->mounts[k].nosuid && spec->mounts[k].nodev);
	cr_assert_eq(spec->mounts[5].size, 256ull << 20);
	cr_assert_eq(spec->mounts[5].mode, 01777);
	cr_assert(spec->mounts[6].noexec && spec->mounts[6].nosuid && spec->mounts[6].nodev);

	cr_assert_str_eq(spec->name, "user");
	cr_assert(spec->identity.uid_set && spec->identity.gid_set);
	cr_assert_eq(spec->identity.uid, 50001);
	cr_assert_eq(spec->identity.gid, 50001);
	/* network.enabled with no domains: an empty network namespace */
	cr_assert_eq(spec->network.mode, AG3_NET_NONE);
	cr_assert(spec->namespaces.net);
	cr_assert_str_eq(env_get(spec, "PATH")->value, "/venv/bin:/usr/bin:/bin");
	cr_assert_str_eq(env_get(spec, "HOME")->value, "/workspace");
	cr_assert_str_eq(spec->process.cwd, "/workspace");
	cr_assert_eq(spec->limits.kill_grace_ms, 10000);
	rmdir(ws);
	rm_rf(root);
}

Test(fixtures, v_92aa603_on_this_host_names_the_missing_workspace)
{
	_cleanup_free_ char *path = fixture("v-92aa603/permissions.yaml");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_file_ok(path);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	char *root = fake_root(true);
	rm_rf(strdup(root)); /* an empty host: even /usr is missing */
	mkdir(root, 0755);
	struct ag3_error *e = compile_fail(p, s, root, "does not exist on this host");
	cr_assert_not_null(strstr(e->msg, "sandbox.static_mounts.system_usr.source: '/usr'"));
	cr_assert_eq(e->line, 153);
	cr_assert_eq(e->col, 15);
	ag3_error_free(e);

	/* with the system in place, the first missing one is the session workspace */
	rmdir(root);
	free(root);
	root = fake_root(true);
	char ws[4096];
	snprintf(ws, sizeof(ws), "%s/users/alice/sessions/" SESSION_ID "/workspace", root);
	cr_assert_eq(rmdir(ws), 0);
	e = compile_fail(
		p, s, root,
		"sandbox.session_mounts.workspace.source: '/users/alice/sessions/" SESSION_ID
		"/workspace' does not exist on this host");
	cr_assert_eq(e->line, 183);
	cr_assert_eq(e->col, 15);
	cr_assert_str_eq(e->file, path);
	ag3_error_free(e);
	rm_rf(root);
}

Test(fixtures, head_profile_gets_the_hosts_lib64)
{
	/* HEAD has no /lib64 mount: every exec failed on x86_64 (reference 4.6 f) */
	_cleanup_free_ char *path = fixture("v-48de794/permissions.yaml");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_file_ok(path);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	char *root = fake_root(true);
	char f[4096];
	snprintf(f, sizeof(f), "%s/etc/resolv.conf", root);
	cr_assert_eq(close(open(f, O_CREAT | O_WRONLY, 0644)), 0);
	mkdir_p(root, "etc/ssl");
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, s, root);
	expect_mount(spec, 3, AG3_MOUNT_BIND, "/etc/resolv.conf", "/etc/resolv.conf", true,
		     "sandbox.static_mounts.etc_resolv");
	expect_mount(spec, 5, AG3_MOUNT_SYMLINK, "usr/lib64", "/lib64", false,
		     "builtin /lib64 (host has it)");
	expect_mount(spec, 6, AG3_MOUNT_TMPFS, NULL, "/tmp", false, "builtin /tmp");
	rm_rf(root);

	/* a host whose /lib64 is a real directory gets a read-only bind */
	root = fake_root(false);
	snprintf(f, sizeof(f), "%s/etc/resolv.conf", root);
	cr_assert_eq(close(open(f, O_CREAT | O_WRONLY, 0644)), 0);
	mkdir_p(root, "etc/ssl");
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec2 = compile_ok(p, s, root);
	expect_mount(spec2, 1, AG3_MOUNT_BIND, "/lib", "/lib", true,
		     "sandbox.static_mounts.system_lib");
	expect_mount(spec2, 2, AG3_MOUNT_BIND, "/bin", "/bin", true,
		     "sandbox.static_mounts.system_bin");
	expect_mount(spec2, 5, AG3_MOUNT_BIND, "/lib64", "/lib64", true,
		     "builtin /lib64 (host has it)");
	cr_assert(spec2->mounts[5].nosuid && spec2->mounts[5].nodev);
	rm_rf(root);

	/* and a host without /lib64 (arm64) gets none */
	root = fake_root(false);
	snprintf(f, sizeof(f), "%s/etc/resolv.conf", root);
	cr_assert_eq(close(open(f, O_CREAT | O_WRONLY, 0644)), 0);
	mkdir_p(root, "etc/ssl");
	snprintf(f, sizeof(f), "%s/lib64", root);
	cr_assert_eq(rmdir(f), 0);
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec3 = compile_ok(p, s, root);
	expect_mount(spec3, 5, AG3_MOUNT_TMPFS, NULL, "/tmp", false, "builtin /tmp");
	rm_rf(root);
}

Test(fixtures, every_versioned_profile_compiles_on_a_platform_like_host)
{
	static const char *const versions[] = {"v-48de794", "v-4b187e8", "v-92aa603"};
	char *root = fake_root(true);
	char f[4096];
	snprintf(f, sizeof(f), "%s/etc/resolv.conf", root);
	cr_assert_eq(close(open(f, O_CREAT | O_WRONLY, 0644)), 0);
	mkdir_p(root, "etc/ssl");
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	for (size_t i = 0; i < ELEMENTSOF(versions); i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "%s/permissions.yaml", versions[i]);
		_cleanup_free_ char *path = fixture(rel);
		_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_file_ok(path);
		_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, s, root);
		bool lib64 = false, tmp = false, ws = false;
		for (size_t k = 0; k < spec->n_mounts; k++) {
			lib64 |= !strcmp(spec->mounts[k].target, "/lib64");
			tmp |= !strcmp(spec->mounts[k].target, "/tmp") &&
			       spec->mounts[k].op == AG3_MOUNT_TMPFS;
			ws |= !strcmp(spec->mounts[k].target, "/workspace") &&
			      spec->mounts[k].op == AG3_MOUNT_BIND && !spec->mounts[k].ro;
			/* 4b187e8's optional /mounts is missing on this host: omitted */
			cr_assert_str_neq(spec->mounts[k].target, "/mounts");
		}
		cr_assert(lib64 && tmp && ws, "%s", versions[i]);
	}
	rm_rf(root);
}

/* ---------------------------------------------------- default profile -- */

Test(default_profile, loads_with_our_extensions)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_profile_load_default(&p, &e), 0);
	cr_assert_str_eq(p->file, "<embedded default profile>");
	cr_assert_str_eq(p->name.v, "default");
	cr_assert_eq(p->sandbox.limits.kill_grace_ms.v, 2000);
	cr_assert_eq(p->sandbox.limits.memory.v, 2ull << 30);
	cr_assert_eq(p->sandbox.limits.fsize.v, 1ull << 30);
	cr_assert(p->sandbox.limits.fsize.meta.set);
	cr_assert_eq(p->sandbox.seccomp.errno_value.v, EPERM);
	cr_assert(p->sandbox.minimum_isolation.seccomp.v);
	ag3_profile_free(p);
}

Test(default_profile, compiles_on_this_host)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_profile_load_default(&p, &e), 0);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, s, NULL);
	struct stat st;
	/* /bin is a symlink op on a merged-/usr host, a bind elsewhere */
	bool merged = lstat("/bin", &st) == 0 && S_ISLNK(st.st_mode);
	cr_assert_eq(spec->mounts[1].op, merged ? AG3_MOUNT_SYMLINK : AG3_MOUNT_BIND);
	cr_assert_str_eq(spec->mounts[1].target, "/bin");
	/* no workspace: /workspace is a private tmpfs */
	const struct ag3_mount *last = &spec->mounts[spec->n_mounts - 1];
	cr_assert_eq(last->op, AG3_MOUNT_TMPFS);
	cr_assert_str_eq(last->target, "/workspace");
	cr_assert_str_eq(last->origin,
			 "sandbox.session_mounts.workspace (ephemeral: no --workspace)");
	cr_assert_eq(last->mode, 01777);
	cr_assert_eq(last->size, 256ull << 20);
	cr_assert_not(last->ro);
	cr_assert_str_eq(spec->process.hostname, "ag3ntum");
	cr_assert_eq(spec->namespaces.user, AG3_USERNS_AUTO);
	cr_assert_eq(spec->network.mode, AG3_NET_NONE);
	cr_assert_eq(spec->limits.timeout_ms, 300000);
	cr_assert_eq(spec->limits.kill_grace_ms, 2000);
	cr_assert_eq(spec->limits.cpu_weight, 100);
	cr_assert_eq(rlimit_get(spec, "fsize")->hard, 1ull << 30);
	cr_assert_null(rlimit_find(spec, "nproc"));
	cr_assert(spec->security.seccomp.enabled && spec->security.seccomp.use_default_list);
	cr_assert(spec->security.landlock.enabled);
	cr_assert(spec->security.minimum.seccomp);
	cr_assert_eq(spec->process.n_env, 10);
	cr_assert_str_eq(env_get(spec, "AG3NTUM_CONTEXT")->value, "sandbox");
	cr_assert_str_eq(env_get(spec, "USER")->value, "agent");
	cr_assert_str_eq(spec->identity.home, "/workspace");
	ag3_profile_free(p);
}

Test(default_profile, workspace_binds_the_given_directory)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_profile_load_default(&p, &e), 0);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	char *root = fake_root(true);
	mkdir_p(root, "work/space");
	ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, "/work//space/");
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, s, root);
	const struct ag3_mount *last = &spec->mounts[spec->n_mounts - 1];
	expect_mount(spec, spec->n_mounts - 1, AG3_MOUNT_BIND, "/work/space", "/workspace", false,
		     "sandbox.session_mounts.workspace");
	cr_assert_not(last->optional);
	/* the workspace is given but missing: a clear error, no tmpfs */
	ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, "/not/there");
	ag3_error_free(compile_fail(p, s, root, "'/not/there' does not exist on this host"));
	ag3_profile_free(p);
	rm_rf(root);
}

Test(default_profile, compile_is_deterministic)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_profile_load_default(&p, &e), 0);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	ag3_vars_set_env(s, "OPENAI_API_KEY", "sk-XXX");
	_cleanup_(ag3_spec_freep) struct ag3_spec *a = compile_ok(p, s, NULL);
	_cleanup_(ag3_spec_freep) struct ag3_spec *b = compile_ok(p, s, NULL);
	_cleanup_free_ char *ja = NULL, *jb = NULL;
	cr_assert_eq(ag3_spec_to_json(a, AG3_JSON_PRETTY, &ja, &e), 0);
	cr_assert_eq(ag3_spec_to_json(b, AG3_JSON_PRETTY, &jb, &e), 0);
	cr_assert_str_eq(ja, jb);
	/* and field by field, for what JSON might not show */
	cr_assert_eq(a->n_mounts, b->n_mounts);
	for (size_t i = 0; i < a->n_mounts; i++) {
		cr_assert_str_eq(a->mounts[i].target, b->mounts[i].target);
		cr_assert_str_eq(a->mounts[i].origin, b->mounts[i].origin);
		cr_assert_eq(a->mounts[i].op, b->mounts[i].op);
	}
	cr_assert_eq(a->process.n_env, b->process.n_env);
	for (size_t i = 0; i < a->process.n_env; i++) {
		cr_assert_str_eq(a->process.env[i].name, b->process.env[i].name);
		cr_assert_str_eq(a->process.env[i].value, b->process.env[i].value);
	}
	cr_assert_eq(memcmp(&a->limits, &b->limits, sizeof(a->limits)), 0);
	/* the secret is marked so, and redacted in the printed form */
	cr_assert(env_get(a, "OPENAI_API_KEY")->secret);
	_cleanup_free_ char *red = NULL;
	cr_assert_eq(ag3_spec_to_json(a, AG3_JSON_REDACT_SECRETS, &red, &e), 0);
	cr_assert_null(strstr(red, "sk-XXX"));
	ag3_profile_free(p);
}

/* -------------------------------------------------------- the compiler -- */

Test(compile, refuses_fail_open_profiles)
{
	static const struct {
		const char *yaml;
		unsigned line, col;
		const char *msg;
	} cases[] = {
		{"name: t\nsandbox:\n  enabled: false\n", 3, 12,
		 "sandbox.enabled: false: the agent"},
		{"name: t\nsandbox:\n  file_sandboxing: false\n", 3, 20,
		 "sandbox.file_sandboxing: false"},
		{"name: t\nsandbox: null\n", 2, 1, "sandbox: is null, which means no sandbox"},
		{"# c\nname: t\n", 2, 1, "the profile has no 'sandbox' section"},
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok(cases[i].yaml);
		struct ag3_error *e = compile_fail(p, NULL, NULL, cases[i].msg);
		cr_assert_not_null(strstr(e->msg, "UNSANDBOXED"));
		cr_assert_eq(e->line, cases[i].line, "case %zu", i);
		cr_assert_eq(e->col, cases[i].col, "case %zu", i);
		ag3_error_free(e);
	}
}

Test(compile, placeholders_resolve)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok(SANDBOXED(
		"  session_mounts:\n"
		"    a: {source: \"{skills_dir}\", target: /skills}\n"
		"    b: {source: \"{session_dir}/x\", target: \"/s/{username}/{session_id}\"}\n"
		"    c: {source: \"{agent_dir}//{config_dir}\", target: /c, optional: true}\n"
		"    d: {source: \"{data_dir}/./{logs_dir}\", target: /d, optional: true}\n"
		"    e: {source: \"{sessions_dir}\", target: \"/e/\"}\n"));
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	char *root = fake_root(true);
	mkdir_p(root, "opt/skills");
	mkdir_p(root, "sessions/" SESSION_ID "/x");
	ag3_vars_set_dir(s, AG3_DIR_SKILLS, "/opt/skills/");
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, s, root);
	/* 3 builtins, /var/tmp and /lib64 come first (no /usr bound: no dpkg database) */
	expect_mount(spec, 5, AG3_MOUNT_BIND, "/opt/skills", "/skills", true,
		     "sandbox.session_mounts.a");
	expect_mount(spec, 6, AG3_MOUNT_BIND, "/sessions/" SESSION_ID "/x", "/s/alice/" SESSION_ID,
		     true, "sandbox.session_mounts.b");
	expect_mount(spec, 7, AG3_MOUNT_BIND, "/sessions", "/e", true, "sandbox.session_mounts.e");
	cr_assert_eq(spec->n_mounts, 8);
	rm_rf(root);
}

Test(compile, unknown_placeholder_is_an_error)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok(SANDBOXED(
		"  session_mounts:\n    a:\n      source: \"/x/{home_dir}\"\n      target: /a\n"));
	struct ag3_error *e = compile_fail(p, NULL, NULL,
					   "sandbox.session_mounts.a.source: unknown placeholder "
					   "{home_dir}");
	cr_assert_eq(e->line, 6);
	cr_assert_eq(e->col, 15);
	cr_assert_str_eq(e->file, "t.yaml");
	ag3_error_free(e);
	_cleanup_(ag3_profile_freep) struct ag3_profile *q = load_ok(
		SANDBOXED("  session_mounts:\n    a: {source: \"{workspace}\", target: /a}\n"));
	ag3_error_free(compile_fail(q, NULL, NULL, "write {workspace_dir}"));
	/* braces that are not a placeholder are literal */
	_cleanup_(ag3_profile_freep) struct ag3_profile *r = load_ok(SANDBOXED(
		"  session_mounts:\n    a: {source: \"/x/{a b}\", target: /a, optional: true}\n"));
	ag3_spec_free(compile_ok(r, NULL, NULL));
	/* in informational paths too */
	_cleanup_(ag3_profile_freep) struct ag3_profile *w =
		load_ok(SANDBOXED("  writable_paths: [\"{workspace_dir}\", \"/p/{nope}\"]\n"));
	e = compile_fail(w, NULL, NULL, "sandbox.writable_paths[1]: unknown placeholder {nope}");
	cr_assert_eq(e->line, 4);
	cr_assert_eq(e->col, 39);
	ag3_error_free(e);
	/* a known placeholder without its closing brace was kept literally by the platform */
	_cleanup_(ag3_profile_freep) struct ag3_profile *u = load_ok(SANDBOXED(
		"  session_mounts:\n    a: {source: \"/users/{username/ws\", target: /a}\n"));
	ag3_error_free(compile_fail(
		u, NULL, NULL, "sandbox.session_mounts.a.source: '{username' has no closing '}'"));
}

Test(compile, missing_username_or_session_is_an_error)
{
	_cleanup_free_ char *path = fixture("v-92aa603/permissions.yaml");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_file_ok(path);
	char *root = fake_root(true);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	struct ag3_error *e = compile_fail(p, s, root,
					   "{username} is used by sandbox.session_mounts.workspace."
					   "source but no --user was given");
	cr_assert_eq(e->line, 183);
	ag3_error_free(e);
	ag3_vars_set_username(s, "");
	ag3_error_free(compile_fail(p, s, root, "but no --user was given"));
	ag3_vars_set_username(s, "alice");
	ag3_error_free(
		compile_fail(p, s, root,
			     "{session_id} is used by sandbox.session_mounts.workspace.source "
			     "but no --session was given"));
	ag3_vars_set_session_id(s, "../../etc");
	ag3_error_free(compile_fail(p, s, root,
				    "cannot be used in a path (it must be one path "
				    "component)"));
	ag3_vars_set_session_id(s, "..");
	ag3_error_free(compile_fail(p, s, root, "cannot be used in a path"));
	ag3_vars_set_session_id(s, SESSION_ID);
	ag3_vars_set_username(s, "al/ice");
	ag3_error_free(compile_fail(p, s, root, "'al/ice' cannot be used in a path"));
	rm_rf(root);

	_cleanup_(ag3_profile_freep) struct ag3_profile *q = load_ok(
		SANDBOXED("  session_mounts:\n    a: {source: \"{session_dir}\", target: /a}\n"));
	ag3_error_free(
		compile_fail(q, NULL, NULL,
			     "{session_dir} is used by sandbox.session_mounts.a.source but no "
			     "--session was given"));
}

Test(compile, paths_are_normalized_and_checked)
{
	static const struct {
		const char *mount;
		const char *msg;
	} bad[] = {
		{"{source: /a/../etc, target: /a}", "has a '..' component"},
		{"{source: /a, target: \"/{username}/..\"}", "has a '..' component"},
		{"{source: relative, target: /a}", "'relative' is not an absolute path"},
		{"{source: /a, target: /}", "the sandbox root itself cannot be a mount target"},
		{"{source: /, target: /host}", "binding the host's root directory is not allowed"},
		{"{source: /proc/self, target: /x}", "is under /proc"},
		{"{source: /a, target: /proc/cpuinfo}", "is under /proc"},
		{"{source: \"{workspace_dir}\", target: \"{workspace_dir}\"}",
		 "{workspace_dir} is used by sandbox.session_mounts.m.target but no --workspace"},
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char yaml[512];
		snprintf(yaml, sizeof(yaml), SANDBOXED("  session_mounts:\n    m: %s\n"),
			 bad[i].mount);
		_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok(yaml);
		_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
		struct ag3_error *e = compile_fail(p, s, NULL, bad[i].msg);
		cr_assert_eq(e->line, 5, "case %zu", i);
		ag3_error_free(e);
	}
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok(
		SANDBOXED("  session_mounts:\n    m: {source: //usr///./bin/, target: /x//y/}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, NULL, NULL);
	const struct ag3_mount *m = &spec->mounts[spec->n_mounts - 1];
	cr_assert_str_eq(m->source, "/usr/bin");
	cr_assert_str_eq(m->target, "/x/y");
}

Test(compile, required_and_optional_sources)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  static_mounts:\n"
				  "    gone: {source: /gone, target: /gone, optional: true}\n"
				  "    need:\n      source: /needed\n      target: /needed\n"));
	char *root = fake_root(true);
	struct ag3_error *e = compile_fail(p, NULL, root,
					   "sandbox.static_mounts.need.source: '/needed' does not "
					   "exist on this host, and the mount is required");
	cr_assert_eq(e->line, 7);
	cr_assert_eq(e->col, 15);
	ag3_error_free(e);
	mkdir_p(root, "needed");
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, NULL, root);
	expect_mount(spec, 0, AG3_MOUNT_BIND, "/needed", "/needed", true,
		     "sandbox.static_mounts.need");
	rm_rf(root);
}

Test(compile, merged_usr_rules)
{
	char *root = fake_root(true);
	mkdir_p(root, "opt/real");
	symlink_at(root, "abs", "/usr/bin");         /* absolute text: a bind */
	symlink_at(root, "out", "opt/real");         /* outside /usr: a bind */
	symlink_at(root, "up", "./usr/../usr/sbin"); /* relative, inside /usr: a symlink */
	mkdir_p(root, "usr/share");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  static_mounts:\n"
				  "    a: {source: /abs, target: /abs}\n"
				  "    b: {source: /out, target: /out}\n"
				  "    c: {source: /up, target: /up}\n"
				  "    d: {source: /bin, target: /mybin}\n"
				  "  session_mounts:\n"
				  "    e: {source: /bin, target: /bin}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, NULL, root);
	expect_mount(spec, 0, AG3_MOUNT_BIND, "/abs", "/abs", true, "sandbox.static_mounts.a");
	expect_mount(spec, 1, AG3_MOUNT_BIND, "/out", "/out", true, "sandbox.static_mounts.b");
	expect_mount(spec, 2, AG3_MOUNT_SYMLINK, "./usr/../usr/sbin", "/up", false,
		     "sandbox.static_mounts.c");
	/* target != source: a bind (which follows the link) */
	expect_mount(spec, 3, AG3_MOUNT_BIND, "/bin", "/mybin", true, "sandbox.static_mounts.d");
	expect_mount(spec, 4, AG3_MOUNT_SYMLINK, "usr/lib64", "/lib64", false,
		     "builtin /lib64 (host has it)");
	/* only static (system) mounts become symlinks (after /tmp /proc /dev /var/tmp) */
	expect_mount(spec, 9, AG3_MOUNT_BIND, "/bin", "/bin", true, "sandbox.session_mounts.e");
	rm_rf(root);
}

Test(compile, mount_order_and_kinds)
{
	_cleanup_free_ char *path = data_file("extensions.yaml");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_file_ok(path);
	char *root = fake_root(true);
	mkdir_p(root, "data");
	mkdir_p(root, "ws");
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, "/ws");
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, s, root);
	size_t i = 0;
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/usr", "/usr", true,
		     "sandbox.static_mounts.system_usr");
	expect_mount(spec, i++, AG3_MOUNT_SYMLINK, "usr/lib64", "/lib64", false,
		     "builtin /lib64 (host has it)");
	expect_mount(spec, i++, AG3_MOUNT_TMPFS, NULL, "/tmp", false, "builtin /tmp");
	cr_assert_eq(spec->mounts[i - 1].size, 32ull << 20);
	expect_mount(spec, i++, AG3_MOUNT_PROC, NULL, "/proc", false, "builtin /proc");
	expect_mount(spec, i++, AG3_MOUNT_DEV, NULL, "/dev", false, "builtin /dev");
	/* the size of /tmp; no /var/lib/dpkg on this fake host */
	expect_mount(spec, i++, AG3_MOUNT_TMPFS, NULL, "/var/tmp", false, "sandbox.var_tmp");
	cr_assert_eq(spec->mounts[i - 1].size, 32ull << 20);
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/ws", "/workspace", false,
		     "sandbox.session_mounts.workspace");
	expect_mount(spec, i++, AG3_MOUNT_TMPFS, NULL, "/mounts", false, "sandbox.tmpfs_paths[0]");
	cr_assert_eq(spec->mounts[i - 1].mode, 0755);
	cr_assert_eq(spec->mounts[i - 1].size, 1ull << 20);
	cr_assert(spec->mounts[i - 1].nosuid && spec->mounts[i - 1].nodev);
	expect_mount(spec, i++, AG3_MOUNT_TMPFS, NULL, "/scratch/x", false,
		     "sandbox.tmpfs_paths[1]");
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/data", "/mounts/data", true,
		     "sandbox.dynamic_mounts[0]");
	cr_assert(spec->mounts[i - 1].optional);
	expect_mount(spec, i++, AG3_MOUNT_BIND, "/data", "/srv/original/data", false,
		     "sandbox.original_path_mounts[0]");
	cr_assert_eq(spec->n_mounts, i);
	rm_rf(root);
}

Test(compile, extensions_reach_the_spec)
{
	_cleanup_free_ char *path = data_file("extensions.yaml");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_file_ok(path);
	char *root = fake_root(true);
	mkdir_p(root, "data");
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, NULL, root);
	cr_assert_str_eq(spec->name, "extensions");
	cr_assert_str_eq(spec->process.hostname, "box-1.example");
	cr_assert_eq(spec->namespaces.user, AG3_USERNS_ALWAYS);
	cr_assert_eq(spec->limits.timeout_ms, 1500);
	cr_assert_eq(spec->limits.kill_grace_ms, 3000);
	cr_assert_eq(spec->limits.memory_bytes, 512ull << 20);
	cr_assert_eq(spec->limits.pids, 64);
	cr_assert_eq(spec->limits.cpu_weight, 50);
	cr_assert_eq(spec->limits.cpu_quota_us, 150000);
	cr_assert_eq(spec->limits.cpu_period_us, 100000);
	cr_assert_eq(spec->limits.output_bytes, 64 << 10);
	cr_assert_eq(rlimit_get(spec, "nofile")->soft, 256);
	cr_assert_eq(rlimit_get(spec, "nofile")->hard, 256);
	cr_assert_eq(rlimit_get(spec, "nproc")->hard, AG3_RLIM_INFINITY);
	cr_assert_eq(rlimit_get(spec, "fsize")->hard, 1ull << 30);
	cr_assert_eq(rlimit_get(spec, "core")->hard, 0);
	cr_assert(spec->security.seccomp.enabled);
	cr_assert_not(spec->security.seccomp.use_default_list);
	cr_assert_eq(spec->security.seccomp.deny_action, AG3_SECCOMP_KILL);
	cr_assert_eq(spec->security.seccomp.deny_errno, EACCES);
	cr_assert_eq(spec->security.seccomp.n_rules, 3);
	const struct ag3_seccomp_rule *r1 = &spec->security.seccomp.rules[1];
	cr_assert_str_eq(r1->syscall, "personality");
	cr_assert_eq(r1->errno_value, 22);
	cr_assert_eq(r1->n_args, 1);
	cr_assert_eq(r1->args[0].op, AG3_CMP_MASKED_EQ);
	cr_assert_eq(r1->args[0].value, 0x400000);
	cr_assert_eq(r1->args[0].mask, 0xffffffff);
	cr_assert_eq(spec->security.seccomp.rules[0].action, AG3_SECCOMP_ERRNO);
	cr_assert_eq(spec->security.seccomp.rules[2].action, AG3_SECCOMP_ALLOW);
	cr_assert_eq(spec->security.landlock.n_net_bind_ports, 0);
	cr_assert_eq(spec->security.landlock.n_net_connect_ports, 2);
	cr_assert_eq(spec->security.landlock.net_connect_ports[1], 80);
	cr_assert(spec->security.minimum.userns && spec->security.minimum.seccomp &&
		  spec->security.minimum.cgroup);
	cr_assert_eq(spec->security.minimum.landlock_abi, 3);
	/* allowlist, lower-cased, stripped, deduplicated */
	cr_assert_eq(spec->network.mode, AG3_NET_ALLOWLIST);
	cr_assert(spec->namespaces.net);
	cr_assert(spec->network.allow_localhost);
	cr_assert_eq(spec->network.n_domains, 2);
	cr_assert_str_eq(spec->network.domains[0], "pypi.org");
	cr_assert_str_eq(spec->network.domains[1], "*.github.com");
	/* no workspace: the rw workspace is an ephemeral tmpfs */
	cr_assert_eq(spec->mounts[6].op, AG3_MOUNT_TMPFS);
	cr_assert_str_eq(spec->mounts[6].target, "/workspace");
	rm_rf(root);
}

Test(compile, network_sandboxing_false_is_host_network)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  network_sandboxing: false\n  network: {enabled: true, "
				  "allowed_domains: [a.com]}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, NULL, NULL);
	cr_assert_eq(spec->network.mode, AG3_NET_HOST);
	cr_assert_not(spec->namespaces.net);
	cr_assert_eq(spec->network.n_domains, 0);
	/* network disabled: none, even with domains */
	_cleanup_(ag3_profile_freep) struct ag3_profile *q =
		load_ok(SANDBOXED("  network: {enabled: false, allowed_domains: [a.com]}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *s2 = compile_ok(q, NULL, NULL);
	cr_assert_eq(s2->network.mode, AG3_NET_NONE);
}

/* README "Network": the platform's keys onto the three modes. */
Test(compile, network_keys_map_onto_the_modes)
{
	/* enabled with an empty list (the platform's fixtures): none, the ports ignored
	 * without allow_localhost */
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok(SANDBOXED(
		"  network: {enabled: true, allowed_domains: [], localhost_ports: [8080]}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *s1 = compile_ok(p, NULL, NULL);
	cr_assert_eq(s1->network.mode, AG3_NET_NONE);
	cr_assert(s1->namespaces.net);
	cr_assert_eq(s1->network.n_localhost_ports, 0);
	/* forwarded ports alone make an allowlist with no names */
	_cleanup_(ag3_profile_freep) struct ag3_profile *q = load_ok(
		SANDBOXED("  network: {enabled: true, allow_localhost: true, localhost_ports: "
			  "[8080, 5432], max_connections: 8, idle_timeout: 2.5, "
			  "max_connection_bytes: 10M, allow_private_destinations: true}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *s2 = compile_ok(q, NULL, NULL);
	cr_assert_eq(s2->network.mode, AG3_NET_ALLOWLIST);
	cr_assert_eq(s2->network.n_domains, 0);
	cr_assert_eq(s2->network.n_localhost_ports, 2);
	cr_assert_eq(s2->network.localhost_ports[1], 5432);
	cr_assert_eq(s2->network.max_connections, 8);
	cr_assert_eq(s2->network.idle_timeout_ms, 2500);
	cr_assert_eq(s2->network.max_connection_bytes, 10u << 20);
	cr_assert(s2->network.allow_private);
	/* allow_localhost alone forwards nothing: none */
	_cleanup_(ag3_profile_freep) struct ag3_profile *r =
		load_ok(SANDBOXED("  network: {enabled: true, allow_localhost: true}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *s3 = compile_ok(r, NULL, NULL);
	cr_assert_eq(s3->network.mode, AG3_NET_NONE);
	/* rules with ports, kept as written (lower-cased) */
	_cleanup_(ag3_profile_freep) struct ag3_profile *t = load_ok(
		SANDBOXED("  network: {enabled: true, allowed_domains: [\"API.example.org:8443\", "
			  "\"*.pythonhosted.org\"]}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *s4 = compile_ok(t, NULL, NULL);
	cr_assert_eq(s4->network.mode, AG3_NET_ALLOWLIST);
	cr_assert_str_eq(s4->network.domains[0], "api.example.org:8443");
	cr_assert_eq(s4->network.max_connections, 64);
	cr_assert_not(s4->network.allow_private);
}

Test(compile, environment_and_identity)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  environment: {home: /home/agent/, path: /bin}\n"));
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	cr_assert_eq(ag3_vars_set_env(s, "OPENAI_API_KEY", "sk-1"), 0);
	cr_assert_eq(ag3_vars_set_env(s, "OPENAI_API_KEY", "sk-2"), 0);
	cr_assert_eq(ag3_vars_set_env(s, "1BAD", "x"), -EINVAL);
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, s, NULL);
	/* HOME PATH AG3NTUM_CONTEXT, then USER LOGNAME SHELL LANG LC_ALL TERM TMPDIR, then
	 * the session's */
	cr_assert_eq(spec->process.n_env, 11);
	cr_assert_str_eq(spec->process.env[0].name, "HOME");
	cr_assert_str_eq(spec->process.env[0].value, "/home/agent");
	cr_assert_not(spec->process.env[0].secret);
	cr_assert_str_eq(spec->process.env[1].value, "/bin");
	cr_assert_str_eq(spec->process.env[2].name, "AG3NTUM_CONTEXT");
	cr_assert_str_eq(spec->process.env[10].name, "OPENAI_API_KEY");
	cr_assert_str_eq(spec->process.env[10].value, "sk-2");
	cr_assert(spec->process.env[10].secret);
	cr_assert_str_eq(spec->process.cwd, "/home/agent");
	cr_assert_eq(spec->identity.uid, 50001);
	/* the user's defaults: agent, /bin/sh, C.UTF-8, TERM from the caller or dumb */
	cr_assert_str_eq(env_get(spec, "USER")->value, "agent");
	cr_assert_str_eq(env_get(spec, "LOGNAME")->value, "agent");
	cr_assert_str_eq(env_get(spec, "SHELL")->value, "/bin/sh");
	cr_assert_str_eq(env_get(spec, "LANG")->value, "C.UTF-8");
	cr_assert_str_eq(env_get(spec, "LC_ALL")->value, "C.UTF-8");
	cr_assert_str_eq(env_get(spec, "TERM")->value, "dumb");
	cr_assert_str_eq(env_get(spec, "TMPDIR")->value, "/tmp");
	cr_assert(spec->process.term_from_caller);
	cr_assert_null(env_find(spec, "GIT_AUTHOR_NAME"));
	cr_assert_str_eq(spec->identity.name, "agent");
	cr_assert_str_eq(spec->identity.group, "agent");
	cr_assert_str_eq(spec->identity.home, "/home/agent");
	cr_assert_str_eq(spec->identity.shell, "/bin/sh");
	/* the defaults for a profile that says nothing (the platform's fixtures) */
	cr_assert_eq(spec->limits.timeout_ms, 300000);
	cr_assert_eq(spec->limits.kill_grace_ms, 10000);
	cr_assert_eq(spec->limits.memory_bytes, 2ull << 30);
	cr_assert_eq(spec->limits.pids, 512);
	cr_assert_eq(spec->limits.output_bytes, 1 << 20);
	cr_assert_eq(spec->limits.cpu_quota_us, 0);
	cr_assert_eq(rlimit_get(spec, "nofile")->hard, 1024);
	cr_assert_eq(rlimit_get(spec, "core")->hard, 0);
	cr_assert_eq(spec->process.n_rlimits, 2);
	cr_assert(spec->security.seccomp.enabled && spec->security.seccomp.use_default_list);
	cr_assert_eq(spec->security.seccomp.deny_errno, EPERM);
	cr_assert(spec->security.landlock.enabled);
	cr_assert_str_eq(spec->process.hostname, "ag3ntum");

	_cleanup_(ag3_profile_freep) struct ag3_profile *q =
		load_ok(SANDBOXED("  environment: {home: workspace}\n"));
	struct ag3_error *e = compile_fail(
		q, NULL, NULL, "sandbox.environment.home: 'workspace' is not an absolute path");
	cr_assert_eq(e->line, 4);
	ag3_error_free(e);
}

Test(compile, root_uid_is_refused_by_validation)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok(SANDBOXED(""));
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	s->uid_set = true;
	s->uid = 0;
	struct ag3_error *e = compile_fail(p, s, NULL, "identity.uid: 0 is not allowed");
	cr_assert_not_null(strstr(e->msg, "t.yaml: the profile 't' compiles to an invalid spec"));
	ag3_error_free(e);
}

Test(compile, tmpfs_paths_are_not_templated)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  tmpfs_paths: [/ok, \"/users/{username}\"]\n"));
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	struct ag3_error *e =
		compile_fail(p, s, NULL,
			     "sandbox.tmpfs_paths[1]: placeholders are not resolved in "
			     "tmpfs_paths");
	cr_assert_eq(e->line, 4);
	cr_assert_eq(e->col, 22);
	ag3_error_free(e);
	_cleanup_(ag3_profile_freep) struct ag3_profile *q =
		load_ok(SANDBOXED("  tmpfs_paths: [mounts]\n"));
	ag3_error_free(compile_fail(q, s, NULL, "'mounts' is not an absolute path"));
	/* the platform's /tmp:size=100M, and control characters, in any path */
	_cleanup_(ag3_profile_freep) struct ag3_profile *o =
		load_ok(SANDBOXED("  tmpfs_paths: [\"/tmp:size=100M\"]\n"));
	ag3_error_free(compile_fail(
		o, s, NULL, "sandbox.tmpfs_paths[0]: '/tmp:size=100M' has a mount option in it"));
	_cleanup_(ag3_profile_freep) struct ag3_profile *nl =
		load_ok(SANDBOXED("  static_mounts:\n    x: {source: /usr, target: \"/a\\nb\"}\n"));
	ag3_error_free(compile_fail(nl, s, NULL, "holds a control character"));
}

/* sandbox.user and the environment keys: each reaches the spec; a profile's values win
 * over the defaults; off switches leave nothing behind. */
Test(compile, user_and_environment_keys)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok(
		SANDBOXED("  user: {name: \"{username}\", group: staff, shell: /bin/bash,\n"
			  "         git_name: Alice Agent, git_email: alice@example.org}\n"
			  "  environment: {lang: en_US.UTF-8, term: xterm, tmpdir: /var/tmp}\n"
			  "  var_tmp: false\n"
			  "  dpkg_database: never\n"));
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("alice");
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, s, NULL);
	cr_assert_str_eq(spec->identity.name, "alice");
	cr_assert_str_eq(spec->identity.group, "staff");
	cr_assert_str_eq(spec->identity.shell, "/bin/bash");
	cr_assert_str_eq(env_get(spec, "USER")->value, "alice");
	cr_assert_str_eq(env_get(spec, "SHELL")->value, "/bin/bash");
	cr_assert_str_eq(env_get(spec, "LANG")->value, "en_US.UTF-8");
	cr_assert_str_eq(env_get(spec, "LC_ALL")->value, "en_US.UTF-8");
	cr_assert_str_eq(env_get(spec, "TERM")->value, "xterm");
	cr_assert_not(spec->process.term_from_caller);
	cr_assert_str_eq(env_get(spec, "TMPDIR")->value, "/var/tmp");
	cr_assert_str_eq(env_get(spec, "GIT_AUTHOR_NAME")->value, "Alice Agent");
	cr_assert_str_eq(env_get(spec, "GIT_COMMITTER_NAME")->value, "Alice Agent");
	cr_assert_str_eq(env_get(spec, "GIT_AUTHOR_EMAIL")->value, "alice@example.org");
	cr_assert_str_eq(env_get(spec, "GIT_COMMITTER_EMAIL")->value, "alice@example.org");
	for (size_t i = 0; i < spec->n_mounts; i++)
		cr_assert(strncmp(spec->mounts[i].target, "/var", 4), "mounts[%zu]: %s", i,
			  spec->mounts[i].target);

	/* passwd: false, lang "" and term "": no files, no USER, LANG or TERM */
	_cleanup_(ag3_profile_freep) struct ag3_profile *q = load_ok(
		SANDBOXED("  user: {passwd: false}\n  environment: {lang: \"\", term: \"\", "
			  "tmpdir: null}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *t = compile_ok(q, NULL, NULL);
	cr_assert_null(t->identity.name);
	cr_assert_null(env_find(t, "USER"));
	cr_assert_null(env_find(t, "LOGNAME"));
	cr_assert_null(env_find(t, "LANG"));
	cr_assert_null(env_find(t, "LC_ALL"));
	cr_assert_null(env_find(t, "TERM"));
	cr_assert_null(env_find(t, "TMPDIR"));
	cr_assert_not(t->process.term_from_caller);
	cr_assert_str_eq(env_get(t, "SHELL")->value, "/bin/sh");

	/* {username} without a session user name */
	_cleanup_(ag3_profile_freep) struct ag3_profile *r =
		load_ok(SANDBOXED("  user: {name: \"{username}\"}\n"));
	ag3_error_free(compile_fail(
		r, NULL, NULL, "sandbox.user.name: '{username}' needs the session's user name"));
}

/* A session user name that the generated /etc/passwd cannot hold is refused. */
Test(compile, username_placeholder_checked_as_a_passwd_name)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  user: {name: \"{username}\"}\n"));
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = vars_for("12345");
	ag3_error_free(compile_fail(p, s, NULL, "sandbox.user.name: '12345' is not a user"));
}

/* dpkg_database: always on a host without /var/lib/dpkg is an error; a profile mount
 * over /var/tmp keeps the builtin out. */
Test(compile, var_keys)
{
	char *root = fake_root(true);
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  dpkg_database: always\n"));
	ag3_error_free(compile_fail(p, NULL, root, "sandbox.dpkg_database: always, but this host"));
	mkdir_p(root, "scratch");
	_cleanup_(ag3_profile_freep) struct ag3_profile *q = load_ok(SANDBOXED(
		"  session_mounts:\n    vt: {source: /scratch, target: /var/tmp, mode: rw}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(q, NULL, root);
	size_t n = 0;
	for (size_t i = 0; i < spec->n_mounts; i++)
		n += !strcmp(spec->mounts[i].target, "/var/tmp");
	cr_assert_eq(n, 1);
	rm_rf(root);
}

/* A HOME that would add a passwd field stays HOME, and the passwd entry's home is "/". */
Test(compile, home_with_a_colon_is_not_the_passwd_home)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  environment: {home: \"/workspace/a:0:0::\"}\n"));
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, NULL, NULL);
	cr_assert_str_eq(env_get(spec, "HOME")->value, "/workspace/a:0:0::");
	cr_assert_str_eq(spec->identity.home, "/");
}
