/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policy/: the strict YAML layer, the profile loader (hostile
 * input, the schema) and the session values (policy/vars.c). No privileges needed. The
 * compiler's tests are in test-profile-compile.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy/compile.h"
#include "policy/profile-model.h"
#include "policy/vars.h"
#include "policy/yaml.h"
#include "runtime/util/suggest.h"

#include "helpers.h"
#include "profile-helpers.h"

/* ------------------------------------------------------------ helpers -- */

/*
 * Loads `yaml` (len may be 0 for strlen), expects -EINVAL at line:col (0: any)
 * with `substr` in the message. Returns the error for further checks.
 */
static struct ag3_error *load_fail_n(const char *yaml, size_t len, unsigned line, unsigned col,
				     const char *substr)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	int r = ag3_profile_load_buffer("t.yaml", yaml, len ? len : strlen(yaml), &p, &e);
	cr_assert_lt(r, 0, "expected a load error containing '%s'", substr);
	cr_assert_null(p);
	cr_assert_not_null(e);
	cr_assert_eq(r, -e->err);
	_cleanup_free_ char *m = fmt_err(e);
	cr_assert_not_null(strstr(e->msg, substr), "message '%s' lacks '%s'", m, substr);
	cr_assert_str_eq(e->file, "t.yaml");
	if (line)
		cr_assert_eq(e->line, line, "line %u != %u in '%s'", e->line, line, m);
	if (col)
		cr_assert_eq(e->col, col, "col %u != %u in '%s'", e->col, col, m);
	return e;
}

static void load_fail(const char *yaml, unsigned line, unsigned col, const char *substr)
{
	ag3_error_free(load_fail_n(yaml, 0, line, col, substr));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------- hostile YAML -- */

Test(hostile, billion_laughs_fails_at_once)
{
	_cleanup_free_ char *path = data_file("billion-laughs.yaml");
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	double t0 = now_s();
	int r = ag3_profile_load_file(path, &p, &e);
	cr_assert_lt(now_s() - t0, 0.5);
	cr_assert_eq(r, -EINVAL);
	cr_assert_not_null(strstr(e->msg, "YAML aliases are not allowed"), "%s", e->msg);
	cr_assert_eq(e->line, 4);
	cr_assert_eq(e->col, 4);
	ag3_error_free(e);
	/* a bare alias too */
	load_fail("name: x\ndescription: *a\n", 2, 14, "YAML aliases are not allowed (*a)");
}

Test(hostile, deep_nesting)
{
	char buf[512];
	size_t o = (size_t)snprintf(buf, sizeof(buf), "name: x\ndescription: ");
	for (int i = 0; i < 100; i++)
		buf[o++] = '[';
	for (int i = 0; i < 100; i++)
		buf[o++] = ']';
	buf[o++] = '\n';
	buf[o] = '\0';
	double t0 = now_s();
	/* the root mapping is the first level */
	load_fail(buf, 2, 13 + 64, "nesting deeper than 64 levels");
	cr_assert_lt(now_s() - t0, 0.5);
}

Test(hostile, huge_scalar)
{
	size_t n = 1u << 20;
	char *buf = malloc(n + 64);
	size_t o = (size_t)sprintf(buf, "name: ");
	memset(buf + o, 'a', n);
	strcpy(buf + o + n, "\n");
	double t0 = now_s();
	load_fail(buf, 1, 7, "at most 64 KiB");
	cr_assert_lt(now_s() - t0, 1.0);
	free(buf);
}

Test(hostile, too_many_nodes)
{
	size_t n = AG3_YAML_MAX_NODES + 10, o = 0;
	char *buf = malloc(2 * n + 64);
	o = (size_t)sprintf(buf, "name: x\ndescription: [");
	for (size_t i = 0; i < n; i++) {
		buf[o++] = '1';
		buf[o++] = ',';
	}
	strcpy(buf + o, "1]\n");
	double t0 = now_s();
	load_fail(buf, 2, 0, "more than 200000 YAML nodes");
	cr_assert_lt(now_s() - t0, 2.0);
	free(buf);
}

Test(hostile, oversized_document)
{
	size_t n = AG3_YAML_MAX_DOCUMENT + 1;
	char *buf = malloc(n);
	memset(buf, '#', n);
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_profile_load_buffer("big.yaml", buf, n, &p, &e), -EFBIG);
	cr_assert_not_null(strstr(e->msg, "at most 4 MiB"));
	ag3_error_free(e);
	free(buf);
}

Test(hostile, invalid_utf8)
{
	static const char yaml[] = "name: caf\xc3\n";
	load_fail(yaml, 1, 11, "UTF-8");
	static const char yaml2[] = "name: ok\ndescription: \xff\xfe\n";
	load_fail(yaml2, 2, 14, "UTF-8");
}

Test(hostile, utf16_is_refused)
{
	static const char yaml[] = "\xff\xfen\0a\0m\0e\0:\0 \0x\0\n\0";
	ag3_error_free(load_fail_n(yaml, sizeof(yaml) - 1, 1, 1, "UTF-8"));
}

Test(hostile, utf8_bom_and_markers_are_fine)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok("\xef\xbb\xbfname: bom\n");
	cr_assert_str_eq(p->name.v, "bom");
	/* more than one key after the mark (a one-key file hid that the mark broke the rest) */
	_cleanup_(ag3_profile_freep) struct ag3_profile *p2 =
		load_ok("\xef\xbb\xbfname: bom2\ndescription: d\nsandbox:\n  enabled: true\n");
	cr_assert_str_eq(p2->name.v, "bom2");
	load_fail("\xef\xbb\xbfname: x\nsandbox:\n  enabeld: true\n", 3, 3, "enabled");
	_cleanup_(ag3_profile_freep) struct ag3_profile *q =
		load_ok("%YAML 1.1\n---\nname: v\n...\n");
	cr_assert_str_eq(q->name.v, "v");
	load_fail("name: x\ndescription: !!float 1.5\n", 2, 14,
		  "YAML tag '!!float' is not allowed");
}

Test(hostile, nul_bytes)
{
	static const char yaml[] = "name: a\0b\n";
	ag3_error_free(load_fail_n(yaml, sizeof(yaml) - 1, 0, 0, "not allowed"));
	load_fail("name: \"a\\0b\"\n", 1, 7, "a NUL character in a string is not allowed");
}

Test(hostile, duplicate_key)
{
	load_fail("name: a\ndescription: x\nname: b\n", 3, 1,
		  "duplicate key 'name' (first at line 1, column 1)");
	/* in a nested mapping, and in a big one (the sorted path) */
	load_fail(SANDBOXED("  static_mounts:\n    a: {source: /a, target: /a}\n"
			    "    a: {source: /b, target: /b}\n"),
		  6, 5, "sandbox.static_mounts: duplicate key 'a'");
	/* the key path of anything the YAML layer refuses */
	load_fail(SANDBOXED("  seccomp:\n    rules:\n      - {syscall: kill}\n      - &x {syscall: "
			    "kill}\n"),
		  7, 9, "sandbox.seccomp.rules[1]: YAML aliases are not allowed");
	char big[8192];
	size_t o = (size_t)sprintf(big, "name: x\ndescription: {");
	for (int i = 0; i < 100; i++)
		o += (size_t)sprintf(big + o, "k%d: 1, ", i);
	sprintf(big + o, "k42: 2}\n");
	load_fail(big, 2, 0, "duplicate key 'k42'");
}

Test(hostile, two_documents)
{
	load_fail("name: a\n---\nname: b\n", 2, 1, "multiple YAML documents are not allowed");
}

Test(hostile, python_object_tag)
{
	_cleanup_free_ char *path = data_file("python-tag.yaml");
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_profile_load_file(path, &p, &e), -EINVAL);
	cr_assert_not_null(
		strstr(e->msg, "YAML tag '!!python/object/apply:os.system' is not allowed"), "%s",
		e->msg);
	cr_assert_eq(e->line, 2);
	cr_assert_eq(e->col, 14);
	ag3_error_free(e);
	load_fail("name: !foo x\n", 1, 7, "YAML tag '!foo' is not allowed");
	/* standard tags are fine, and !!str makes a string */
	_cleanup_(ag3_profile_freep) struct ag3_profile *ok =
		load_ok("name: !!str 123\ndescription: !!str true\n");
	cr_assert_str_eq(ok->description.v, "true");
	load_fail("name: !!int abc\n", 1, 7, "is not a valid !!int");
}

Test(hostile, complex_and_null_keys)
{
	load_fail("name: x\n? [a, b]\n: c\n", 2, 3, "a mapping key must be a scalar");
	load_fail("name: x\n~: c\n", 2, 1, "a mapping key cannot be empty or null");
}

Test(hostile, syntax_errors_have_positions)
{
	struct ag3_error *e = load_fail_n("name: x\nsandbox:\n  enabled: true\n bad\n", 0, 4, 0,
					  "YAML syntax error");
	ag3_error_free(e);
	load_fail("name: \"unterminated\n", 2, 0, "YAML syntax error");
}

/* ------------------------------------------------------------- schema -- */

Test(schema, typo_in_a_top_level_key)
{
	load_fail("name: t\nsandbx:\n  enabled: true\n", 2, 1,
		  "unknown top-level key 'sandbx' (did you mean 'sandbox'?)");
	load_fail("name: t\ndefaultmode: plan\n", 2, 1, "did you mean 'defaultMode'?");
}

Test(schema, typo_in_a_mount_key)
{
	_cleanup_free_ char *path = data_file("typo.yaml");
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_profile_load_file(path, &p, &e), -EINVAL);
	cr_assert_str_eq(e->msg, "sandbox.static_mounts.system_usr: unknown key 'targte' (did you "
				 "mean 'target'?)");
	cr_assert_eq(e->line, 7);
	cr_assert_eq(e->col, 7);
	_cleanup_free_ char *f = ag3_error_format(e);
	cr_assert_not_null(strstr(f, "typo.yaml:7:7: sandbox.static_mounts.system_usr: unknown"));
	ag3_error_free(e);
}

Test(schema, key_in_the_wrong_section)
{
	load_fail("name: t\nstatic_mounts: {}\n", 2, 1,
		  "unknown top-level key 'static_mounts' (it belongs under 'sandbox')");
	load_fail(SANDBOXED("  timeout: 30\n"), 4, 3,
		  "sandbox: unknown key 'timeout' (it belongs under 'sandbox.limits')");
}

Test(schema, unknown_key_lists_valid_ones)
{
	load_fail(SANDBOXED("  network:\n    zzzzzzzz: 1\n"), 5, 5,
		  "sandbox.network: unknown key 'zzzzzzzz' (valid keys here: enabled, "
		  "allowed_domains, allow_localhost, localhost_ports, allow_private_destinations, "
		  "max_connections, max_connection_bytes, idle_timeout)");
}

Test(schema, mount_mode)
{
	load_fail(SANDBOXED("  static_mounts:\n    usr:\n      source: /usr\n      target: /usr\n"
			    "      mode: rx\n"),
		  8, 13, "sandbox.static_mounts.usr.mode: expected 'ro' or 'rw', got 'rx'");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  static_mounts:\n"
				  "    a: {source: /a, target: /a, mode: RW}\n"
				  "    b: {source: /b, target: /b, mode: }\n"
				  "    c: {source: /c, target: /c, mode: \"\"}\n"
				  "    d: {source: /d, target: /d}\n"
				  "    e: {source: /e, target: /e, mode: Ro, optional: true}\n"));
	const struct ag3_pmounts *m = &p->sandbox.static_mounts;
	cr_assert_eq(m->n, 5);
	cr_assert_not(m->items[0].ro.v);
	cr_assert(m->items[1].ro.v && m->items[2].ro.v && m->items[3].ro.v && m->items[4].ro.v);
	cr_assert(m->items[4].optional.v);
	cr_assert_not(m->items[3].optional.v);
	load_fail(SANDBOXED("  static_mounts:\n    a: {source: /a, target: /a, mode: [rw]}\n"), 5,
		  0, "expected 'ro' or 'rw', got a sequence");
}

Test(schema, required_keys)
{
	load_fail("description: no name\n", 1, 1, "missing required key 'name'");
	load_fail("name: \"\"\n", 1, 7, "name: expected a non-empty string");
	load_fail(SANDBOXED("  static_mounts:\n    usr:\n      source: /usr\n"), 6, 7,
		  "sandbox.static_mounts.usr: missing required key 'target'");
	load_fail(SANDBOXED("  dynamic_mounts:\n    - {target: /x}\n"), 5, 7,
		  "sandbox.dynamic_mounts[0]: missing required key 'source'");
	load_fail(SANDBOXED("  static_mounts:\n    usr: null\n"), 5, 10,
		  "sandbox.static_mounts.usr: expected a mount");
	load_fail(SANDBOXED("  static_mounts:\n    bad.name: {source: /a, target: /a}\n"), 5, 5,
		  "mount name 'bad.name' is not valid");
}

Test(schema, types_are_checked)
{
	load_fail("name: [a]\n", 1, 7, "name: expected a string, got a sequence");
	load_fail("name: true\n", 1, 7, "the boolean true (quote it if you mean the text)");
	load_fail(SANDBOXED("  network_sandboxing: yes\n"), 4, 23,
		  "YAML 1.1 booleans like yes/no/on/off are ambiguous");
	load_fail(SANDBOXED("  enabled: 1\n"), 4, 3,
		  "duplicate key 'enabled' (first at line 3, column 3)");
	load_fail("name: t\nsandbox:\n  use_tmpfs_root: 1\n", 3, 19,
		  "sandbox.use_tmpfs_root: expected true or false, got 1");
	load_fail("name: t\ntools:\n  enabled: Bash\n", 3, 12,
		  "tools.enabled: expected a list of strings, got 'Bash'");
	load_fail("name: t\ntools:\n  enabled: [Bash, null]\n", 3, 19,
		  "tools.enabled[1]: expected a string, got null");
	load_fail("- a\n- b\n", 1, 1, "expected a mapping at the top level");
	load_fail("", 1, 1, "the profile is empty");
	load_fail("# only a comment\n", 1, 1, "the profile is empty");
}

Test(schema, enums)
{
	load_fail("name: t\ndefaultMode: acceptedits\n", 2, 14,
		  "defaultMode: expected one of default, acceptEdits, plan, bypassPermissions, got "
		  "'acceptedits' (did you mean 'acceptEdits'?)");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok("name: t\ndefaultMode: bypassPermissions\n");
	cr_assert_eq(p->default_mode.v, AG3_PERM_BYPASS);
	cr_assert_str_eq(ag3_permission_mode_to_string(p->default_mode.v), "bypassPermissions");
	load_fail(SANDBOXED("  user_namespace: sometimes\n"), 4, 19,
		  "expected one of auto, always, never");
	load_fail(SANDBOXED("  seccomp:\n    action: allow\n"), 5, 13,
		  "sandbox.seccomp.action: expected one of errno, kill, log");
}

Test(schema, null_lists_are_empty_except_checkpoint_tools)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok("name: t\ntools:\n  enabled: null\n  disabled:\n"
			"permissions:\n  allow: ~\ncheckpointing:\n  auto_checkpoint_tools: null\n"
			"sandbox:\n  static_mounts:\n  tmpfs_paths: null\n"
			"  proc_filtering: {allowed_entries: null}\n");
	cr_assert_eq(p->tools.enabled.n, 0);
	cr_assert(p->tools.enabled.meta.set);
	cr_assert_eq(p->tools.disabled.n, 0);
	cr_assert(p->permissions.meta.set);
	cr_assert_eq(p->permissions.allow.n, 0);
	cr_assert_eq(p->checkpointing.auto_checkpoint_tools.n, 2);
	cr_assert_str_eq(p->checkpointing.auto_checkpoint_tools.items[0].v, "Write");
	cr_assert_str_eq(p->checkpointing.auto_checkpoint_tools.items[1].v, "Edit");
	cr_assert_eq(p->sandbox.static_mounts.n, 0);
	cr_assert_eq(p->sandbox.proc_filtering.allowed_entries.n, 0);
	/* absent: the defaults */
	_cleanup_(ag3_profile_freep) struct ag3_profile *q = load_ok("name: t\n");
	cr_assert_eq(q->checkpointing.auto_checkpoint_tools.n, 2);
	cr_assert_eq(q->sandbox.proc_filtering.allowed_entries.n, 5);
	cr_assert_not(q->sandbox.meta.set);
	cr_assert_not(q->permissions.meta.set);
}

Test(schema, sizes)
{
	uint64_t v;
	cr_assert_eq(ag3_parse_size("256M", &v), 0);
	cr_assert_eq(v, 256ull << 20);
	cr_assert_eq(ag3_parse_size("2G", &v), 0);
	cr_assert_eq(v, 2ull << 30);
	cr_assert_eq(ag3_parse_size("1KiB", &v), 0);
	cr_assert_eq(v, 1024);
	cr_assert_eq(ag3_parse_size("3tb", &v), 0);
	cr_assert_eq(v, 3ull << 40);
	cr_assert_eq(ag3_parse_size("512B", &v), 0);
	cr_assert_eq(v, 512);
	cr_assert_eq(ag3_parse_size("12Q", &v), -EINVAL);
	cr_assert_eq(ag3_parse_size("M", &v), -EINVAL);
	cr_assert_eq(ag3_parse_size("-1M", &v), -EINVAL);
	cr_assert_eq(ag3_parse_size("1 M", &v), -EINVAL);
	cr_assert_eq(ag3_parse_size("1MM", &v), -EINVAL);
	cr_assert_eq(ag3_parse_size("16777216T", &v), -ERANGE);
	cr_assert_eq(ag3_parse_size("99999999999999999999", &v), -ERANGE);

	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  limits:\n    memory: 256M\n    tmp_size: 1048576\n"
				  "    output: unlimited\n    core: unlimited\n"));
	cr_assert_eq(p->sandbox.limits.memory.v, 256ull << 20);
	cr_assert_eq(p->sandbox.limits.tmp_size.v, 1ull << 20);
	cr_assert_eq(p->sandbox.limits.output.v, 0);
	cr_assert_eq(p->sandbox.limits.core.v, AG3_RLIM_INFINITY);
	load_fail(SANDBOXED("  limits:\n    memory: 12Q\n"), 5, 13,
		  "sandbox.limits.memory: expected a size (bytes, or a number with a K, M, G or T "
		  "suffix), got '12Q'");
	load_fail(SANDBOXED("  limits:\n    memory: 100\n"), 5, 13, "100 bytes is out of range");
	load_fail(SANDBOXED("  limits:\n    tmp_size: unlimited\n"), 5, 15, "expected a size");
}

Test(schema, numbers)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  limits:\n    timeout: 1.5\n    kill_grace: 0\n    pids: 0x40\n"
				  "    cpu_max: \"12.5%\"\n    nofile: 0o400\n"));
	cr_assert_eq(p->sandbox.limits.timeout_ms.v, 1500);
	cr_assert_eq(p->sandbox.limits.kill_grace_ms.v, 0);
	cr_assert_eq(p->sandbox.limits.pids.v, 64);
	cr_assert_eq(p->sandbox.limits.cpu_quota_us.v, 12500);
	cr_assert_eq(p->sandbox.limits.nofile.v, 256);
	load_fail(SANDBOXED("  limits:\n    pids: 0755\n"), 5, 11, "ambiguous");
	load_fail(SANDBOXED("  limits:\n    pids: -1\n"), 5, 11, "out of range");
	load_fail(SANDBOXED("  limits:\n    pids: \"512\"\n"), 5, 11,
		  "expected an integer or "
		  "'unlimited', got '512'");
	load_fail(SANDBOXED("  limits:\n    timeout: 1.2345\n"), 5, 14, "at most 3 decimal places");
	load_fail(SANDBOXED("  limits:\n    timeout: 999999999\n"), 5, 14, "out of range");
	load_fail(SANDBOXED("  limits:\n    cpu_weight: 0\n"), 5, 17,
		  "0 is out of range (1..10000)");
	load_fail(SANDBOXED("  limits:\n    cpu_max: 50\n"), 5, 14, "expected a percentage");
	load_fail(SANDBOXED("  limits:\n    cpu_max: 0.5%\n"), 5, 14, "out of range");
	load_fail(SANDBOXED("  limits:\n    nofile: 99999999999999999999\n"), 5, 13,
		  "out of range");
}

Test(schema, seccomp_rules)
{
	load_fail(SANDBOXED("  seccomp:\n    errno: EFOO\n"), 5, 12,
		  "expected an errno name like EPERM, or a number 1..4095, got 'EFOO'");
	load_fail(SANDBOXED("  seccomp:\n    rules:\n      - syscall: Bad-Name\n"), 6, 18,
		  "sandbox.seccomp.rules[0].syscall: expected a system call name");
	load_fail(SANDBOXED("  seccomp:\n    rules:\n      - syscall: notacall\n"), 6, 18,
		  "sandbox.seccomp.rules[0].syscall: expected a system call name this libseccomp "
		  "knows, like 'ptrace', got 'notacall'");
	load_fail(SANDBOXED("  seccomp:\n    rules:\n      - {syscall: kill, action: kill, errno: "
			    "1}\n"),
		  6, 9, "'errno' is only meaningful with action: errno");
	load_fail(SANDBOXED("  seccomp:\n    rules:\n      - syscall: kill\n        args:\n"
			    "          - {index: 0, op: masked_eq, value: 1}\n"),
		  8, 13, "sandbox.seccomp.rules[0].args[0]: op masked_eq needs a 'mask'");
	load_fail(SANDBOXED("  seccomp:\n    rules:\n      - syscall: kill\n        args:\n"
			    "          - {index: 6, op: eq, value: 1}\n"),
		  8, 21, "sandbox.seccomp.rules[0].args[0].index: 6 is out of range (0..5)");
	load_fail(SANDBOXED("  seccomp:\n    rules:\n      - syscall: kill\n        args:\n"
			    "          - {index: 1, op: eq, value: 1}\n"
			    "          - {index: 1, op: ne, value: 2}\n"),
		  9, 13, "argument 1 is compared twice");
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  seccomp:\n    rules:\n      - syscall: kill\n        args:\n"
				  "          - {index: 1, op: lt, value: -1}\n"));
	cr_assert_eq(p->sandbox.seccomp.rules.items[0].args.items[0].value.v, UINT64_MAX);
	cr_assert_eq(p->sandbox.seccomp.rules.items[0].action.v, AG3_SECCOMP_ERRNO);
}

Test(schema, network_domains_and_ports)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok(
		SANDBOXED("  network:\n    enabled: true\n    allowed_domains: [\" PyPI.Org \", "
			  "\"*.GitHub.com\", \"api.example.org:8443\"]\n"
			  "    localhost_ports: [8080]\n    idle_timeout: 30\n"
			  "  landlock:\n    net_connect_ports: [443, 80]\n"));
	cr_assert_str_eq(p->sandbox.network.allowed_domains.items[0].v, "pypi.org");
	cr_assert_str_eq(p->sandbox.network.allowed_domains.items[1].v, "*.github.com");
	cr_assert_str_eq(p->sandbox.network.allowed_domains.items[2].v, "api.example.org:8443");
	cr_assert_eq(p->sandbox.network.localhost_ports.n, 1);
	cr_assert_eq(p->sandbox.network.localhost_ports.v[0], 8080);
	cr_assert_eq(p->sandbox.network.idle_timeout_ms.v, 30000u);
	cr_assert_eq(p->sandbox.landlock.net_connect_ports.n, 2);
	cr_assert_eq(p->sandbox.landlock.net_connect_ports.v[0], 443);
	load_fail(SANDBOXED("  network:\n    allowed_domains: [\"bad domain\"]\n"), 5, 23,
		  "sandbox.network.allowed_domains[0]: 'bad domain':");
	load_fail(SANDBOXED("  network:\n    allowed_domains: [\"*\"]\n"), 5, 23,
		  "expected \"example.com\", \"*.example.com\"");
	load_fail(SANDBOXED("  network:\n    allowed_domains: [\"https://pypi.org/\"]\n"), 5, 23,
		  "'https://pypi.org/':");
	load_fail(SANDBOXED("  network:\n    allowed_domains: [\"pypi.org:0\"]\n"), 5, 23,
		  "'pypi.org:0':");
	load_fail(SANDBOXED("  network:\n    allowed_domains: [\"10.0.0.1\"]\n"), 5, 23,
		  "'10.0.0.1':");
	load_fail(SANDBOXED("  network:\n    max_connections: 0\n"), 5, 22, "out of range");
	load_fail(SANDBOXED("  network:\n    localhost_ports: [0]\n"), 5, 23,
		  "expected a TCP port 1..65535");
	load_fail(SANDBOXED("  landlock:\n    net_bind_ports: [80, 80]\n"), 5, 26,
		  "port 80 is listed twice");
	load_fail(SANDBOXED("  landlock:\n    net_bind_ports: [70000]\n"), 5, 22,
		  "expected a TCP port 1..65535");
	load_fail(SANDBOXED("  hostname: \"bad host\"\n"), 4, 13, "expected a host name");
}

Test(schema, custom_env_and_clear_env_are_accepted)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p =
		load_ok(SANDBOXED("  environment:\n    clear_env: false\n"
				  "    custom_env: {A: b, N: 3, E: null}\n"));
	cr_assert_not(p->sandbox.environment.clear_env.v);
	cr_assert_eq(p->sandbox.environment.custom_env.n, 3);
	cr_assert_str_eq(p->sandbox.environment.custom_env.items[1].value.v, "3");
	cr_assert_eq(p->sandbox.environment.custom_env.items[0].name.meta.loc.key_line, 6);
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = compile_ok(p, s, NULL);
	/* still a clean environment (HOME PATH AG3NTUM_CONTEXT USER LOGNAME SHELL LANG LC_ALL
	 * TERM TMPDIR), and custom_env is not in it */
	cr_assert_eq(spec->process.n_env, 10);
	cr_assert_null(env_find(spec, "A"));
}

Test(schema, load_file_errors)
{
	struct ag3_profile *p = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_profile_load_file("/nonexistent/p.yaml", &p, &e), -ENOENT);
	cr_assert_str_eq(e->file, "/nonexistent/p.yaml");
	cr_assert_not_null(strstr(e->msg, "cannot open the profile"));
	ag3_error_free(e);
	e = NULL;
	cr_assert_eq(ag3_profile_load_file("/tmp", &p, &e), -EINVAL);
	cr_assert_not_null(strstr(e->msg, "not a regular file"));
	ag3_error_free(e);
}

/* ------------------------------------------------------------ session -- */

Test(session, directory_defaults)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	static const char *const want[_AG3_DIR_MAX] = {
		[AG3_DIR_AGENT] = "/",        [AG3_DIR_SESSIONS] = "/sessions",
		[AG3_DIR_CONFIG] = "/config", [AG3_DIR_SKILLS] = "/skills",
		[AG3_DIR_LOGS] = "/logs",     [AG3_DIR_DATA] = "/data",
	};
	for (int d = 0; d < _AG3_DIR_MAX; d++) {
		char *v = NULL;
		int r = ag3_vars_get_dir(s, d, &v);
		if (!want[d]) {
			cr_assert_eq(r, -ENODATA, "%s", ag3_dir_to_string(d));
			continue;
		}
		cr_assert_eq(r, 0);
		cr_assert_str_eq(v, want[d]);
		free(v);
	}
	char *v = NULL;
	cr_assert_eq(ag3_vars_set_session_id(s, SESSION_ID), 0);
	cr_assert_eq(ag3_vars_get_dir(s, AG3_DIR_SESSION, &v), 0);
	cr_assert_str_eq(v, "/sessions/" SESSION_ID);
	free(v);
	/* everything follows {agent_dir} unless set */
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_AGENT, "/opt/ag3ntum/"), 0);
	cr_assert_eq(ag3_vars_get_dir(s, AG3_DIR_SESSION, &v), 0);
	cr_assert_str_eq(v, "/opt/ag3ntum/sessions/" SESSION_ID);
	free(v);
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_SESSIONS, "/var/s"), 0);
	cr_assert_eq(ag3_vars_get_dir(s, AG3_DIR_SESSION, &v), 0);
	cr_assert_str_eq(v, "/var/s/" SESSION_ID);
	free(v);
	cr_assert_eq(ag3_vars_get_dir(s, AG3_DIR_CONFIG, &v), 0);
	cr_assert_str_eq(v, "/opt/ag3ntum/config");
	free(v);
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, ""), 0);
	cr_assert_eq(ag3_vars_get_dir(s, AG3_DIR_WORKSPACE, &v), -EINVAL);
	cr_assert_eq(ag3_vars_set_dir(s, AG3_DIR_WORKSPACE, NULL), 0);
	cr_assert_eq(ag3_vars_get_dir(s, AG3_DIR_WORKSPACE, &v), -ENODATA);
	cr_assert_eq(ag3_vars_set_dir(s, _AG3_DIR_MAX, "/x"), -EINVAL);
}

Test(session, dir_names)
{
	for (int d = 0; d < _AG3_DIR_MAX; d++)
		cr_assert_eq(ag3_dir_from_string(ag3_dir_to_string(d)), d);
	cr_assert_str_eq(ag3_dir_to_string(AG3_DIR_WORKSPACE), "workspace_dir");
	cr_assert_eq(ag3_dir_from_string("workspace"), _AG3_DIR_INVALID);
	cr_assert_eq(ag3_dir_from_string(NULL), _AG3_DIR_INVALID);
	cr_assert_null(ag3_dir_to_string(_AG3_DIR_MAX));
}

Test(session, relative_session_dirs_are_refused)
{
	_cleanup_(ag3_profile_freep) struct ag3_profile *p = load_ok(SANDBOXED(""));
	_cleanup_(ag3_vars_freep) struct ag3_vars *s = ag3_vars_new();
	ag3_vars_set_dir(s, AG3_DIR_SKILLS, "skills");
	ag3_error_free(compile_fail(p, s, NULL,
				    "session: {skills_dir} 'skills' is not an absolute "
				    "path"));
	ag3_vars_set_dir(s, AG3_DIR_SKILLS, "/a/../b");
	ag3_error_free(compile_fail(p, s, NULL, "has a '..' component"));
}

/* --------------------------------------------------------------- yaml -- */

Test(yaml, scalars_are_typed_once)
{
	static const char doc[] = "a: ~\nb: True\nc: 0x1F\nd: \"true\"\ne: 'null'\nf: -12\n"
				  "g: yes\nh: |\n  text\n";
	_cleanup_(ag3_yaml_doc_freep) struct ag3_yaml_doc *d = NULL;
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_yaml_parse("x", doc, strlen(doc), &d, &e), 0);
	const struct ag3_yaml_node *r = d->root;
	cr_assert(ag3_yaml_is_null(ag3_yaml_map_get(r, "a")));
	bool b;
	cr_assert_eq(ag3_yaml_get_bool(ag3_yaml_map_get(r, "b"), &b), 0);
	cr_assert(b);
	uint64_t u;
	cr_assert_eq(ag3_yaml_get_uint(ag3_yaml_map_get(r, "c"), &u), 0);
	cr_assert_eq(u, 31);
	cr_assert_eq(ag3_yaml_map_get(r, "d")->kind, AG3_YAML_STR);
	cr_assert_eq(ag3_yaml_map_get(r, "e")->kind, AG3_YAML_STR);
	int64_t i;
	cr_assert_eq(ag3_yaml_get_uint(ag3_yaml_map_get(r, "f"), &u), -ERANGE);
	cr_assert_eq(ag3_yaml_get_int(ag3_yaml_map_get(r, "f"), &i), 0);
	cr_assert_eq(i, -12);
	cr_assert_eq(ag3_yaml_map_get(r, "g")->kind, AG3_YAML_STR);
	cr_assert_str_eq(ag3_yaml_map_get(r, "h")->str, "text\n");
	cr_assert_eq(ag3_yaml_map_get(r, "h")->line, 8);
	cr_assert_eq(ag3_yaml_map_get(r, "h")->col, 4);
	cr_assert_null(ag3_yaml_map_get(r, "zz"));
	cr_assert_eq(d->n_nodes, 17);
}

Test(yaml, describe_and_preview_sanitize)
{
	char buf[32];
	cr_assert_str_eq(ag3_yaml_preview("a\x1b[31mb", 7, buf, sizeof(buf)), "a?[31mb");
	cr_assert_str_eq(ag3_yaml_preview("abcdefghijklmnopqrstuvwxyz0123456789", 36, buf, 16),
			 "abcdefghijkl...");
	/* never split a UTF-8 sequence */
	cr_assert_str_eq(ag3_yaml_preview("abcdefghijk\xc3\xa9xyz", 16, buf, 16), "abcdefghijk...");
	cr_assert_eq(ag3_edit_distance("sandbx", "sandbox", AG3_EDIT_FOLD_CASE), 1);
	cr_assert_eq(ag3_edit_distance("targte", "target", AG3_EDIT_FOLD_CASE), 2);
	cr_assert_eq(ag3_edit_distance("DefaultMode", "defaultMode", AG3_EDIT_FOLD_CASE), 0);
	cr_assert_eq(ag3_edit_distance("", "abc", AG3_EDIT_FOLD_CASE), 3);
}
