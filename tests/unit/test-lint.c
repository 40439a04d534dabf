/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policy/lint.c: the catalogue, one input that triggers each
 * rule and one near miss that does not (tests/unit/data/lint/<id>-bad.yaml,
 * <id>-good.yaml, and <id>-*.mounts.yaml for the rules that need the
 * external-mounts file), and the platform's own profiles, on which the
 * linter must report the platform's real bugs.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/lint.h"
#include "policy/mounts-config.h"
#include "policy/profile-model.h"

#include "helpers.h"

static char *data(const char *name)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/tests/unit/data/lint/%s", source_root(), name) > 0);
	return p;
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Lints a profile file (and a mounts file), like the CLI: a file that does not load is AG3L000. */
static void lint_files(const char *profile, const char *mounts, const char *host_root,
		       struct ag3_lint_report *rep)
{
	struct ag3_error *e = NULL;
	struct ag3_mounts_config *x = NULL;
	if (mounts && ag3_mounts_config_load_file(mounts, &x, &e) < 0) {
		cr_assert_eq(ag3_lint_add_load_error(rep, mounts, e), 0);
		ag3_error_free(e);
		e = NULL;
	}
	struct ag3_profile *p = NULL;
	if (ag3_profile_load_file(profile, &p, &e) < 0) {
		cr_assert_eq(ag3_lint_add_load_error(rep, profile, e), 0);
		ag3_error_free(e);
	} else {
		struct ag3_lint_options o = {.host_root = host_root, .arch = "x86_64", .mounts = x};
		cr_assert_eq(ag3_lint_profile(p, &o, rep), 0);
		ag3_profile_free(p);
	}
	ag3_mounts_config_free(x);
	ag3_lint_report_sort(rep);
}

static char *ids_of(const struct ag3_lint_report *rep)
{
	size_t size = 0;
	char *s = NULL;
	FILE *m = open_memstream(&s, &size);
	for (size_t i = 0; i < rep->n; i++)
		fprintf(m, "%s%s", i ? " " : "", rep->v[i].rule->id);
	fclose(m);
	return s;
}

static size_t count_id(const struct ag3_lint_report *rep, const char *id)
{
	size_t n = 0;
	for (size_t i = 0; i < rep->n; i++)
		n += !strcmp(rep->v[i].rule->id, id);
	return n;
}

/* ------------------------------------------------------------ catalogue -- */

Test(lint, catalogue)
{
	size_t n;
	const struct ag3_lint_rule *v = ag3_lint_rules(&n);
	cr_assert_geq(n, 25);
	for (size_t i = 0; i < n; i++) {
		char id[32];
		snprintf(id, sizeof(id), "AG3L%03u", (unsigned)i);
		cr_expect_str_eq(v[i].id, id, "ids are stable and in order");
		cr_expect(v[i].name && *v[i].name && v[i].summary && *v[i].summary && v[i].hint &&
			  *v[i].hint);
		cr_expect_not_null(ag3_lint_severity_to_string(v[i].severity));
		cr_expect_eq(ag3_lint_rule_find(v[i].id), &v[i]);
		cr_expect_eq(ag3_lint_rule_find(v[i].name), &v[i]);
		for (size_t j = 0; j < i; j++)
			cr_expect_str_neq(v[i].name, v[j].name);
	}
	cr_expect_null(ag3_lint_rule_find("AG3L999"));
}

/* One input that triggers each rule, one near miss that does not. */
Test(lint, every_rule_has_a_trigger_and_a_near_miss)
{
	size_t n;
	const struct ag3_lint_rule *v = ag3_lint_rules(&n);
	for (size_t i = 0; i < n; i++) {
		static const char *const kinds[2] = {"bad", "good"};
		for (size_t k = 0; k < 2; k++) {
			char name[64];
			snprintf(name, sizeof(name), "%s-%s.yaml", v[i].id, kinds[k]);
			_cleanup_free_ char *profile = data(name);
			snprintf(name, sizeof(name), "%s-%s.mounts.yaml", v[i].id, kinds[k]);
			_cleanup_free_ char *mounts = data(name);
			if (!exists(profile)) {
				cr_assert(v[i].needs_mounts, "%s: no test input %s", v[i].id,
					  profile);
				free(profile);
				profile = data("clean.yaml");
			}
			if (v[i].needs_mounts)
				cr_assert(exists(mounts), "%s: no test input %s", v[i].id, mounts);
			struct ag3_lint_report rep = {0};
			lint_files(profile, v[i].needs_mounts ? mounts : NULL, NULL, &rep);
			_cleanup_free_ char *ids = ids_of(&rep);
			if (k == 0)
				cr_expect(ag3_lint_report_has(&rep, v[i].id),
					  "%s: %s not reported: [%s]", profile, v[i].id, ids);
			else
				cr_expect_not(ag3_lint_report_has(&rep, v[i].id),
					      "%s: %s reported: [%s]", profile, v[i].id, ids);
			/* every finding points into a file, with a message */
			for (size_t f = 0; f < rep.n; f++)
				cr_expect(rep.v[f].file && rep.v[f].message && *rep.v[f].message);
			ag3_lint_report_clear(&rep);
		}
	}
}

Test(lint, clean_profile_is_clean)
{
	_cleanup_free_ char *p = data("clean.yaml");
	struct ag3_lint_report rep = {0};
	lint_files(p, NULL, NULL, &rep);
	_cleanup_free_ char *ids = ids_of(&rep);
	cr_expect_eq(rep.n, 0, "findings: %s", ids);
	ag3_lint_report_clear(&rep);
}

/* ------------------------------------------------------ the platform's -- */

static char root_dir[] = "/tmp/ag3-lint-root.XXXXXX";

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* A host root with what the platform's container has: /usr /lib /bin /etc/ssl /skills ... */
static void make_root(void)
{
	cr_assert_not_null(mkdtemp(root_dir));
	static const char *const dirs[] = {"usr",    "lib",    "bin",       "etc",      "etc/ssl",
					   "skills", "mounts", "mounts/ro", "mounts/rw"};
	char p[256];
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		snprintf(p, sizeof(p), "%s/%s", root_dir, dirs[i]);
		cr_assert_eq(mkdir(p, 0755), 0, "%s", p);
	}
	snprintf(p, sizeof(p), "%s/etc/resolv.conf", root_dir);
	int fd = open(p, O_WRONLY | O_CREAT, 0644);
	cr_assert_geq(fd, 0);
	close(fd);
}

static void drop_root(void)
{
	nftw(root_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

struct expect {
	const char *id;
	size_t n;
};

static void expect_fixture(const char *rel, const char *mounts, const struct expect *want,
			   size_t n_want)
{
	_cleanup_free_ char *path = fixture(rel);
	_cleanup_free_ char *mpath = mounts ? fixture(mounts) : NULL;
	struct ag3_lint_report rep = {0};
	lint_files(path, mpath, root_dir, &rep);
	_cleanup_free_ char *ids = ids_of(&rep);
	size_t total = 0;
	for (size_t i = 0; i < n_want; i++) {
		cr_expect_eq(count_id(&rep, want[i].id), want[i].n, "%s: %zu x %s, want %zu: [%s]",
			     rel, count_id(&rep, want[i].id), want[i].id, want[i].n, ids);
		total += want[i].n;
	}
	cr_expect_eq(rep.n, total, "%s: unexpected findings: [%s]", rel, ids);
	ag3_lint_report_clear(&rep);
}

Test(lint, platform_head_profile, .init = make_root, .fini = drop_root)
{
	static const struct expect want[] = {
		{"AG3L016", 11}, /* mcp__ag3ntum__X(*) allow rules never matched Ag3ntumX(...) */
		{"AG3L018", 10}, /* deny rules on disabled native tools */
		{"AG3L027", 1},  /* bwrap_path: "sudo bwrap" */
		{"AG3L031", 1},  /* user_ssh: /users/{username}/.ssh at /root/.ssh (bug 22) */
		{"AG3L032", 2},  /* /mounts/user-rw, /mounts/user-ro: listed, never mounted */
		{"AG3L034", 1},  /* no /lib64: every exec failed (bug 4) */
		{"AG3L036", 1},  /* no limits (bug 16: none at all on the platform) */
		{"AG3L038", 1},  /* no minimum_isolation */
		{"AG3L050", 1},  /* network.enabled with no domains: none, said so */
		{"AG3L048", 1},  /* allow_localhost without localhost_ports: nothing forwarded */
	};
	expect_fixture("v-48de794/permissions.yaml", NULL, want, ELEMENTSOF(want));
}

Test(lint, platform_intermediate_profile, .init = make_root, .fini = drop_root)
{
	static const struct expect want[] = {
		{"AG3L016", 11}, {"AG3L018", 10}, {"AG3L027", 1}, {"AG3L031", 1},
		{"AG3L032", 1}, /* /mounts listed writable, mounted read-only */
		{"AG3L036", 1},  {"AG3L038", 1},  {"AG3L046", 1}, /* external_mounts: the whole /mounts, every user's (bug 14) */
		{"AG3L050", 1}, /* network.enabled with no domains: none, said so */
		{"AG3L048", 1}, /* allow_localhost without localhost_ports: nothing forwarded */
	};
	expect_fixture("v-4b187e8/permissions.yaml", NULL, want, ELEMENTSOF(want));
}

Test(lint, platform_newer_profile, .init = make_root, .fini = drop_root)
{
	static const struct expect want[] = {
		{"AG3L016", 11}, {"AG3L018", 10}, {"AG3L027", 1}, {"AG3L031", 1},
		{"AG3L036", 1},  {"AG3L038", 1},  {"AG3L050", 1}, /* network.enabled with no domains: none, said so */
		{"AG3L048", 1}, /* allow_localhost without localhost_ports: nothing forwarded */
	};
	expect_fixture("v-92aa603/permissions.yaml", NULL, want, ELEMENTSOF(want));
}

Test(lint, platform_newer_profile_with_mounts, .init = make_root, .fini = drop_root)
{
	static const struct expect want[] = {
		{"AG3L016", 11}, {"AG3L018", 10}, {"AG3L027", 1}, {"AG3L031", 1},
		{"AG3L036", 1},  {"AG3L038", 1},  {"AG3L039", 2}, /* required global.ro datasets,
								     per_user.rw shared-project:
								     missing */
		{"AG3L042", 1},                                   /* admin-logs: /var/log/app */
		{"AG3L050", 1}, /* network.enabled with no domains: none, said so */
		{"AG3L048", 1}, /* allow_localhost without localhost_ports: nothing forwarded */
	};
	expect_fixture("v-92aa603/permissions.yaml", "v-92aa603/external-mounts.yaml.example", want,
		       ELEMENTSOF(want));
}

Test(lint, platform_head_profile_with_newer_mounts, .init = make_root, .fini = drop_root)
{
	/* HEAD's /mounts/ro and /mounts/rw binds under the newer /mounts mask: hidden */
	static const struct expect want[] = {
		{"AG3L016", 11}, {"AG3L018", 10}, {"AG3L027", 1}, {"AG3L031", 1}, {"AG3L032", 4},
		{"AG3L034", 1},  {"AG3L036", 1},  {"AG3L038", 1}, {"AG3L009", 2}, {"AG3L039", 2},
		{"AG3L042", 1},  {"AG3L050", 1}, /* network.enabled with no domains: none, said so */
		{"AG3L048", 1}, /* allow_localhost without localhost_ports: nothing forwarded */
	};
	expect_fixture("v-48de794/permissions.yaml", "v-92aa603/external-mounts.yaml.example", want,
		       ELEMENTSOF(want));
}

Test(lint, platform_test_profiles, .init = make_root, .fini = drop_root)
{
	/* no sandbox section: the platform ran every command unsandboxed */
	static const struct expect want[] = {{"AG3L001", 1}, {"AG3L016", 9}, {"AG3L018", 9}};
	expect_fixture("platform-tests/permissions.yaml", NULL, want, ELEMENTSOF(want));
	expect_fixture("platform-tests/permissions.user.permissive.yaml", NULL, want,
		       ELEMENTSOF(want));
}

Test(lint, shipped_default_profile_is_clean)
{
	char *p = NULL;
	cr_assert(asprintf(&p, "%s/profiles/default.yaml", source_root()) > 0);
	struct ag3_lint_report rep = {0};
	lint_files(p, NULL, NULL, &rep);
	_cleanup_free_ char *ids = ids_of(&rep);
	cr_expect_eq(rep.n, 0, "findings: %s", ids);
	ag3_lint_report_clear(&rep);
	free(p);
}

Test(lint, required_sources_on_an_empty_host, .init = make_root, .fini = drop_root)
{
	/* the HEAD profile on a host that has none of its sources */
	char empty[300];
	snprintf(empty, sizeof(empty), "%s/skills", root_dir); /* an empty directory */
	_cleanup_free_ char *path = fixture("v-48de794/permissions.yaml");
	struct ag3_lint_report rep = {0};
	lint_files(path, NULL, empty, &rep);
	/* /usr /lib /bin /etc/resolv.conf /etc/ssl {skills_dir} */
	cr_expect_eq(count_id(&rep, "AG3L039"), 6);
	ag3_lint_report_clear(&rep);
}

/* ------------------------------------------------------------ locations -- */

static const struct ag3_lint_finding *find(const struct ag3_lint_report *rep, const char *id)
{
	for (size_t i = 0; i < rep->n; i++)
		if (!strcmp(rep->v[i].rule->id, id))
			return &rep->v[i];
	return NULL;
}

Test(lint, findings_point_at_the_yaml)
{
	static const struct {
		const char *file, *id;
		unsigned line, col;
		const char *substr;
	} v[] = {
		{"AG3L012-bad.yaml", "AG3L012", 20, 17, "/tmp:size=100M"},
		{"AG3L002-bad.yaml", "AG3L002", 6, 12, "enabled: false"},
		{"AG3L004-bad.yaml", "AG3L004", 17, 52, "/etc"},
		{"AG3L016-bad.yaml", "AG3L016", 6, 11, "Ag3ntumBash"},
		{"AG3L023-bad.yaml", "AG3L023", 4, 14, "bypassPermissions"},
		{"AG3L036-bad.yaml", "AG3L036", 5, 1, "limits"},
		{"AG3L001-bad.yaml", "AG3L001", 1, 1, "no `sandbox:` section"},
		{"AG3L000-bad.yaml", "AG3L000", 3, 0, ""},
	};
	for (size_t i = 0; i < ELEMENTSOF(v); i++) {
		_cleanup_free_ char *p = data(v[i].file);
		struct ag3_lint_report rep = {0};
		lint_files(p, NULL, NULL, &rep);
		const struct ag3_lint_finding *f = find(&rep, v[i].id);
		cr_assert_not_null(f, "%s: no %s", v[i].file, v[i].id);
		cr_expect_str_eq(f->file, p);
		cr_expect_eq(f->line, v[i].line, "%s: line %u", v[i].file, f->line);
		if (v[i].col)
			cr_expect_eq(f->col, v[i].col, "%s: col %u", v[i].file, f->col);
		cr_expect(strstr(f->message, v[i].substr), "%s: '%s'", v[i].file, f->message);
		ag3_lint_report_clear(&rep);
	}
}

Test(lint, report_helpers)
{
	struct ag3_lint_report rep = {0};
	struct ag3_error e = {
		.err = EINVAL, .msg = (char *)"bad", .file = (char *)"b.yaml", .line = 3, .col = 2};
	cr_assert_eq(ag3_lint_add_load_error(&rep, "b.yaml", &e), 0);
	e.file = (char *)"a.yaml";
	e.line = 9;
	cr_assert_eq(ag3_lint_add_load_error(&rep, "a.yaml", &e), 0);
	e.file = (char *)"b.yaml";
	e.line = 1;
	cr_assert_eq(ag3_lint_add_load_error(&rep, "b.yaml", &e), 0);
	ag3_lint_report_sort(&rep);
	/* files in order of first appearance, then lines */
	cr_expect_str_eq(rep.v[0].file, "b.yaml");
	cr_expect_eq(rep.v[0].line, 1);
	cr_expect_eq(rep.v[1].line, 3);
	cr_expect_str_eq(rep.v[2].file, "a.yaml");
	cr_expect_eq(ag3_lint_report_count(&rep, AG3_LINT_ERROR), 3);
	cr_expect_eq(ag3_lint_report_count(&rep, AG3_LINT_WARNING), 0);
	cr_expect(ag3_lint_report_has(&rep, "AG3L000"));
	ag3_lint_report_clear(&rep);
}
