/* SPDX-License-Identifier: MIT */
/*
 * Golden specs: the platform's own profiles and external-mounts examples,
 * compiled for a fixed session, compared byte for byte with the checked-in
 * JSON under tests/golden/.
 *
 * The session: user alice, session 20260127_101500_1a2b3c4d, uid/gid 50001,
 * workspace /users/alice/sessions/20260127_101500_1a2b3c4d/workspace, one
 * sandboxed env OPENAI_API_KEY (redacted in the JSON). Host paths are looked
 * up beneath a fake host root this test builds (merged /usr like Debian; the
 * directories the profiles and mounts name, except /data/documentation, which
 * is missing to show an optional mount being skipped), so the result does not
 * depend on the machine running the test.
 *
 * To rewrite the goldens after an intended change:
 *
 *     AG3_UPDATE_GOLDEN=1 build/tests/test-compile-golden
 *
 * then read the diff (git diff tests/golden/) against reference sections 4.4
 * and 4.5 before committing it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/compile.h"
#include "policy/mounts-config.h"
#include "policy/profile-model.h"
#include "policy/vars.h"
#include "runtime/spec_json.h"

#include "helpers.h"

/* The fake host: the platform's container layout, as Debian 12 would have it. */
static char *fake_host(void)
{
	char *t = strdup("/tmp/ag3-golden.XXXXXX");
	cr_assert_not_null(mkdtemp(t));
	static const char *const dirs[] = {
		"usr/bin",
		"usr/lib",
		"usr/lib64",
		"usr/sbin",
		"etc/ssl",
		"proc/self",
		"skills",
		"users/alice/sessions/" SESSION_ID "/workspace",
		"users/alice/venv",
		"users/alice/.claude/skills",
		"users/alice/ag3ntum/persistent",
		/* external mounts (not data/documentation: an optional one, missing) */
		"data/ml-datasets",
		"data/shared-output",
		"home/alice/data",
		"home/alice/workspace",
		"var/log/app",
		"projects/main-repo",
	};
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
		mkdir_p(t, dirs[i]);
	write_at(t, "etc/resolv.conf", "");
	static const char *const procs[] = {"cpuinfo", "meminfo", "uptime", "version"};
	for (size_t i = 0; i < ELEMENTSOF(procs); i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "proc/%s", procs[i]);
		write_at(t, rel, "");
	}
	symlink_at(t, "bin", "usr/bin");
	symlink_at(t, "lib", "usr/lib");
	symlink_at(t, "lib64", "usr/lib64");
	symlink_at(t, "sbin", "usr/sbin");
	return t;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t size = 0;
	FILE *m = open_memstream(&buf, &size);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	*len = size;
	return buf;
}

/* Compiles profile + mounts (paths relative to the fixtures or the source tree) for alice. */
static void golden(const char *profile_rel, const char *mounts_rel, const char *golden_name)
{
	char *root = fake_host();
	char *ppath = fixture(profile_rel), *mpath = NULL, *gpath = NULL;
	cr_assert(asprintf(&mpath, "%s/%s", source_root(), mounts_rel) > 0);
	cr_assert(asprintf(&gpath, "%s/tests/golden/%s", source_root(), golden_name) > 0);

	struct ag3_profile *p = NULL;
	struct ag3_mounts_config *m = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_profile_load_file(ppath, &p, &e);
	_cleanup_free_ char *m1 = fmt_err(e);
	cr_assert_eq(r, 0, "%s", m1);
	r = ag3_mounts_config_load_file(mpath, &m, &e);
	_cleanup_free_ char *m2 = fmt_err(e);
	cr_assert_eq(r, 0, "%s", m2);

	struct ag3_vars *s = ag3_vars_new();
	cr_assert_eq(ag3_vars_set_username(s, "alice"), 0);
	cr_assert_eq(ag3_vars_set_session_id(s, SESSION_ID), 0);
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_WORKSPACE,
				      "/users/alice/sessions/" SESSION_ID "/workspace"),
		     0);
	cr_assert_eq(ag3_vars_set_env(s, "OPENAI_API_KEY", "sk-XXX"), 0);
	s->uid_set = s->gid_set = true;
	s->uid = s->gid = 50001;

	struct ag3_spec *spec = NULL;
	struct ag3_compile_options o = {.host_root = root, .mounts = m};
	r = ag3_compile_ex(p, s, &o, &spec, &e);
	rm_tree(root); /* only the compile reads the fake host: gone before any assert can end the test */
	_cleanup_free_ char *m3 = fmt_err(e);
	cr_assert_eq(r, 0, "%s", m3);
	char *json = NULL;
	cr_assert_eq(ag3_spec_to_json(spec, AG3_JSON_PRETTY | AG3_JSON_REDACT_SECRETS, &json, &e),
		     0);
	cr_assert_null(strstr(json, "sk-XXX"));
	cr_assert_null(strstr(json, root), "the fake root leaked into the spec");

	const char *upd = getenv("AG3_UPDATE_GOLDEN");
	if (upd && !strcmp(upd, "1")) {
		FILE *f = fopen(gpath, "w");
		cr_assert_not_null(f, "%s: %m", gpath);
		fputs(json, f);
		cr_assert_eq(fclose(f), 0);
		cr_log_warn("rewrote %s", gpath);
	} else {
		size_t len = 0;
		char *want = read_all(gpath, &len);
		cr_assert_not_null(want, "%s: %m (AG3_UPDATE_GOLDEN=1 writes it)", gpath);
		if (strlen(json) != len || memcmp(json, want, len) != 0) {
			/* the first differing line, for the failure message */
			size_t i = 0, line = 1;
			while (i < len && json[i] && json[i] == want[i]) {
				if (json[i] == '\n')
					line++;
				i++;
			}
			cr_assert_fail(
				"%s differs from the compiled spec at line %zu; got:\n%.300s\n"
				"(AG3_UPDATE_GOLDEN=1 rewrites it: then read the diff)",
				gpath, line, json + (i > 120 ? i - 120 : 0));
		}
		free(want);
	}
	free(json);
	ag3_spec_free(spec);
	ag3_vars_free(s);
	ag3_mounts_config_free(m);
	ag3_profile_free(p);
	free(root);
	free(ppath);
	free(mpath);
	free(gpath);
}

Test(golden, v_48de794_with_its_external_mounts_example)
{
	golden("v-48de794/permissions.yaml",
	       "../shared/fixtures/ag3ntum/v-48de794/external-mounts.yaml.example",
	       "v-48de794-alice.json");
}

Test(golden, v_92aa603_with_its_external_mounts_example)
{
	golden("v-92aa603/permissions.yaml",
	       "../shared/fixtures/ag3ntum/v-92aa603/external-mounts.yaml.example",
	       "v-92aa603-alice.json");
}

/* The reference's 4.5 newer example: datasets, shared-output, user-data, original /var/log. */
Test(golden, v_92aa603_reference_4_5_example)
{
	golden("v-92aa603/permissions.yaml", "tests/golden/reference-4.5-mounts.yaml",
	       "v-92aa603-reference-4.5-alice.json");
}
