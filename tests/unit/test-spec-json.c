/* SPDX-License-Identifier: MIT */
/*
 * The spec's JSON form (runtime/spec_json.c): round trips, defaults, limits
 * and every kind of input error, with the JSON path in the message.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "runtime/spec.h"
#include "runtime/spec_json.h"

#define HDR "{\"schema\":\"ag3ntum.spec/1\",\"version\":1"
#define TWO_POW_60 (UINT64_C(1) << 60)
#define TWO_POW_53_PLUS_1 ((UINT64_C(1) << 53) + 1)

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

static char *to_json(const struct ag3_spec *s, unsigned flags)
{
	struct ag3_error *e = NULL;
	char *out = NULL;
	int r = ag3_spec_to_json(s, flags, &out, &e);
	cr_assert_eq(r, 0, "ag3_spec_to_json: %s", e && e->msg ? e->msg : "?");
	cr_assert_null(e);
	cr_assert_not_null(out);
	return out;
}

static struct ag3_spec *parse_ok_len(const char *json, size_t len)
{
	struct ag3_error *e = NULL;
	struct ag3_spec *s = NULL;
	int r = ag3_spec_from_json(json, len, "t.json", &s, &e);
	cr_assert_eq(r, 0, "ag3_spec_from_json: %s", e && e->msg ? e->msg : "?");
	cr_assert_null(e);
	cr_assert_not_null(s);
	return s;
}

static struct ag3_spec *parse_ok(const char *json)
{
	return parse_ok_len(json, strlen(json));
}

/*
 * Parses `json` (of `len` bytes) expecting -EINVAL; checks that *ret was not
 * touched and returns the error (the caller frees it).
 */
static struct ag3_error *parse_err_len(const char *json, size_t len, const char *filename)
{
	struct ag3_error *e = NULL;
	struct ag3_spec *sentinel = (struct ag3_spec *)(uintptr_t)0x1234;
	struct ag3_spec *s = sentinel;
	int r = ag3_spec_from_json(json, len, filename, &s, &e);
	cr_assert_eq(r, -EINVAL, "expected -EINVAL, got %d for: %.200s", r, json);
	cr_assert_eq(s, sentinel, "*ret was touched on failure");
	cr_assert_not_null(e);
	cr_assert_not_null(e->msg);
	cr_assert_eq(e->err, EINVAL);
	return e;
}

/* Expects `json` to fail with a message containing `want` (and `want2`, when not NULL). */
static void expect_err(const char *json, const char *want, const char *want2)
{
	struct ag3_error *e = parse_err_len(json, strlen(json), NULL);
	cr_assert(strstr(e->msg, want), "message '%s' lacks '%s'", e->msg, want);
	if (want2)
		cr_assert(strstr(e->msg, want2), "message '%s' lacks '%s'", e->msg, want2);
	ag3_error_free(e);
}

static struct ag3_mount mnt(enum ag3_mount_op op, const char *source, const char *target)
{
	return (struct ag3_mount){.op = op, .source = (char *)source, .target = (char *)target};
}

/* A spec with every field away from its default. */
static struct ag3_spec *full_spec(void)
{
	struct ag3_spec *s = ag3_spec_new();
	cr_assert_not_null(s);

	s->name = strdup("full-profile \"quoted\" \xc3\xa9");
	s->namespaces.user = AG3_USERNS_ALWAYS;
	s->namespaces.net = true; /* network.mode allowlist */
	s->namespaces.ipc = false;
	s->namespaces.uts = false;
	s->namespaces.cgroup = false;

	s->identity.uid_set = true;
	s->identity.uid = 1000;
	s->identity.gid_set = true;
	s->identity.gid = 4294967294u;
	s->identity.groups = calloc(3, sizeof(gid_t));
	s->identity.groups[0] = 5;
	s->identity.groups[1] = 100;
	s->identity.groups[2] = 4294967294u;
	s->identity.n_groups = 3;
	s->identity.name = strdup("agent");
	s->identity.group = strdup("staff");
	s->identity.home = strdup("/workspace");
	s->identity.shell = strdup("/bin/bash");
	s->process.term_from_caller = true;

	struct ag3_mount m = mnt(AG3_MOUNT_BIND, "/usr", "/usr");
	m.ro = m.optional = m.nosuid = m.nodev = m.noexec = true;
	m.origin = (char *)"fs.ro[0]";
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);
	m = mnt(AG3_MOUNT_TMPFS, NULL, "/tmp");
	m.size = TWO_POW_60;
	m.mode = 01777;
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);
	m = mnt(AG3_MOUNT_PROC, NULL, "/proc");
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);
	m = mnt(AG3_MOUNT_DEV, NULL, "/dev");
	m.size = UINT64_MAX;
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);
	m = mnt(AG3_MOUNT_DIR, NULL, "/work");
	m.mode = 0700;
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);
	m = mnt(AG3_MOUNT_SYMLINK, "../usr/bin", "/bin");
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);
	m = mnt(AG3_MOUNT_MASK, NULL, "/etc/shadow");
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);
	m = mnt(AG3_MOUNT_FILE, NULL, "/etc/motd");
	m.content =
		(char *)"line1\n\"q\"\t\\ \x01\x1f\x7f caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80/";
	m.mode = 0644;
	m.origin = (char *)"files[\"motd\"]";
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);

	free(s->process.cwd);
	s->process.cwd = strdup("/work");
	cr_assert_eq(ag3_spec_set_env(s, "PATH", "/usr/bin:/bin", false), 0);
	cr_assert_eq(ag3_spec_set_env(s, "API_KEY", "sk-very-secret", true), 0);
	cr_assert_eq(ag3_spec_set_env(s, "EMPTY", "", false), 0);
	s->process.umask = 077;
	free(s->process.hostname);
	s->process.hostname = strdup("box.local");
	cr_assert_eq(ag3_spec_set_rlimit(s, "nofile", 1024, 4096), 0);
	cr_assert_eq(ag3_spec_set_rlimit(s, "core", 0, 0), 0);
	cr_assert_eq(ag3_spec_set_rlimit(s, "as", AG3_RLIM_INFINITY, AG3_RLIM_INFINITY), 0);
	cr_assert_eq(ag3_spec_set_rlimit(s, "fsize", TWO_POW_60, AG3_RLIM_INFINITY), 0);
	cr_assert_eq(ag3_spec_set_rlimit(s, "stack", UINT64_MAX - 1, UINT64_MAX - 1), 0);

	s->security.caps_keep = (UINT64_C(1) << 40) | 1;
	s->security.seccomp.enabled = false;
	s->security.seccomp.use_default_list = false;
	s->security.seccomp.deny_action = AG3_SECCOMP_KILL;
	s->security.seccomp.deny_errno = ENOSYS;
	s->security.seccomp.rules = calloc(3, sizeof(struct ag3_seccomp_rule));
	s->security.seccomp.n_rules = 3;
	s->security.seccomp.rules[0] =
		(struct ag3_seccomp_rule){.syscall = strdup("ptrace"), .action = AG3_SECCOMP_KILL};
	s->security.seccomp.rules[1] = (struct ag3_seccomp_rule){
		.syscall = strdup("personality"), .action = AG3_SECCOMP_ERRNO, .errno_value = 22};
	s->security.seccomp.rules[2] = (struct ag3_seccomp_rule){
		.syscall = strdup("ioctl"), .action = AG3_SECCOMP_LOG, .errno_value = 4095};
	struct ag3_seccomp_rule *r = &s->security.seccomp.rules[1];
	for (unsigned i = 0; i < 6; i++)
		r->args[i] = (struct ag3_seccomp_arg){.index = i,
						      .op = (enum ag3_seccomp_cmp)i,
						      .value = UINT64_MAX - i,
						      .mask = TWO_POW_53_PLUS_1 + i};
	r->args[5].op = AG3_CMP_MASKED_EQ;
	r->n_args = 6;
	s->security.seccomp.rules[2].args[0] =
		(struct ag3_seccomp_arg){.index = 1, .op = AG3_CMP_EQ, .value = 0x5401};
	s->security.seccomp.rules[2].n_args = 1;

	s->security.landlock.enabled = false;
	s->security.landlock.net_bind_ports = calloc(3, sizeof(uint16_t));
	s->security.landlock.net_bind_ports[0] = 8080;
	s->security.landlock.net_bind_ports[1] = 65535;
	s->security.landlock.net_bind_ports[2] = 0;
	s->security.landlock.n_net_bind_ports = 3;
	s->security.landlock.net_connect_ports = calloc(1, sizeof(uint16_t));
	s->security.landlock.net_connect_ports[0] = 443;
	s->security.landlock.n_net_connect_ports = 1;
	s->security.minimum.userns = true;
	s->security.minimum.seccomp = true;
	s->security.minimum.cgroup = true;
	s->security.minimum.landlock_abi = 4;

	s->network.mode = AG3_NET_ALLOWLIST;
	s->network.domains = calloc(2, sizeof(char *));
	s->network.domains[0] = strdup("pypi.org");
	s->network.domains[1] = strdup("*.githubusercontent.com:8443");
	s->network.n_domains = 2;
	s->network.allow_localhost = true;
	s->network.localhost_ports = calloc(2, sizeof(uint16_t));
	s->network.localhost_ports[0] = 8080;
	s->network.localhost_ports[1] = 65535;
	s->network.n_localhost_ports = 2;
	s->network.allow_private = true;
	s->network.max_connections = 4096;
	s->network.max_connection_bytes = UINT64_MAX;
	s->network.idle_timeout_ms = 86400000;

	s->limits.timeout_ms = UINT64_C(7) * 24 * 3600 * 1000;
	s->limits.kill_grace_ms = 3600 * 1000;
	s->limits.memory_bytes = TWO_POW_60;
	s->limits.pids = TWO_POW_53_PLUS_1;
	s->limits.cpu_weight = 10000;
	s->limits.cpu_quota_us = UINT64_MAX;
	s->limits.cpu_period_us = 250000;
	s->limits.output_bytes = AG3_OUTPUT_MAX;

	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_spec_validate(s, &e), 0, "full spec invalid: %s", e ? e->msg : "");
	return s;
}

static void assert_str_eq(const char *a, const char *b, const char *what)
{
	if (!a || !b)
		cr_assert(a == b, "%s: one is NULL", what);
	else
		cr_assert_str_eq(a, b, "%s differs", what);
}

static void assert_spec_equal(const struct ag3_spec *a, const struct ag3_spec *b)
{
	cr_assert_eq(a->version, b->version);
	assert_str_eq(a->name, b->name, "name");
	cr_assert_eq(a->namespaces.user, b->namespaces.user);
	cr_assert_eq(a->namespaces.mount, b->namespaces.mount);
	cr_assert_eq(a->namespaces.pid, b->namespaces.pid);
	cr_assert_eq(a->namespaces.net, b->namespaces.net);
	cr_assert_eq(a->namespaces.ipc, b->namespaces.ipc);
	cr_assert_eq(a->namespaces.uts, b->namespaces.uts);
	cr_assert_eq(a->namespaces.cgroup, b->namespaces.cgroup);

	cr_assert_eq(a->identity.uid_set, b->identity.uid_set);
	cr_assert_eq(a->identity.uid, b->identity.uid);
	cr_assert_eq(a->identity.gid_set, b->identity.gid_set);
	cr_assert_eq(a->identity.gid, b->identity.gid);
	cr_assert_eq(a->identity.n_groups, b->identity.n_groups);
	for (size_t i = 0; i < a->identity.n_groups; i++)
		cr_assert_eq(a->identity.groups[i], b->identity.groups[i], "groups[%zu]", i);
	assert_str_eq(a->identity.name, b->identity.name, "identity.name");
	assert_str_eq(a->identity.group, b->identity.group, "identity.group");
	assert_str_eq(a->identity.home, b->identity.home, "identity.home");
	assert_str_eq(a->identity.shell, b->identity.shell, "identity.shell");
	cr_assert_eq(a->process.term_from_caller, b->process.term_from_caller);

	cr_assert_eq(a->n_mounts, b->n_mounts);
	for (size_t i = 0; i < a->n_mounts; i++) {
		const struct ag3_mount *x = &a->mounts[i], *y = &b->mounts[i];
		cr_assert_eq(x->op, y->op, "mounts[%zu].op", i);
		assert_str_eq(x->source, y->source, "mount source");
		assert_str_eq(x->target, y->target, "mount target");
		assert_str_eq(x->content, y->content, "mount content");
		assert_str_eq(x->origin, y->origin, "mount origin");
		cr_assert_eq(x->ro, y->ro);
		cr_assert_eq(x->optional, y->optional);
		cr_assert_eq(x->nosuid, y->nosuid);
		cr_assert_eq(x->nodev, y->nodev);
		cr_assert_eq(x->noexec, y->noexec);
		cr_assert_eq(x->size, y->size, "mounts[%zu].size", i);
		cr_assert_eq(x->mode, y->mode, "mounts[%zu].mode", i);
	}

	assert_str_eq(a->process.cwd, b->process.cwd, "cwd");
	cr_assert_eq(a->process.n_env, b->process.n_env);
	for (size_t i = 0; i < a->process.n_env; i++) {
		assert_str_eq(a->process.env[i].name, b->process.env[i].name, "env name");
		assert_str_eq(a->process.env[i].value, b->process.env[i].value, "env value");
		cr_assert_eq(a->process.env[i].secret, b->process.env[i].secret);
	}
	cr_assert_eq(a->process.umask, b->process.umask);
	assert_str_eq(a->process.hostname, b->process.hostname, "hostname");
	cr_assert_eq(a->process.n_rlimits, b->process.n_rlimits);
	for (size_t i = 0; i < a->process.n_rlimits; i++) {
		assert_str_eq(a->process.rlimits[i].name, b->process.rlimits[i].name, "rlimit");
		cr_assert_eq(a->process.rlimits[i].soft, b->process.rlimits[i].soft);
		cr_assert_eq(a->process.rlimits[i].hard, b->process.rlimits[i].hard);
	}

	cr_assert_eq(a->security.no_new_privs, b->security.no_new_privs);
	cr_assert_eq(a->security.caps_keep, b->security.caps_keep);
	cr_assert_eq(a->security.seccomp.enabled, b->security.seccomp.enabled);
	cr_assert_eq(a->security.seccomp.use_default_list, b->security.seccomp.use_default_list);
	cr_assert_eq(a->security.seccomp.deny_action, b->security.seccomp.deny_action);
	cr_assert_eq(a->security.seccomp.deny_errno, b->security.seccomp.deny_errno);
	cr_assert_eq(a->security.seccomp.n_rules, b->security.seccomp.n_rules);
	for (size_t i = 0; i < a->security.seccomp.n_rules; i++) {
		const struct ag3_seccomp_rule *x = &a->security.seccomp.rules[i];
		const struct ag3_seccomp_rule *y = &b->security.seccomp.rules[i];
		assert_str_eq(x->syscall, y->syscall, "syscall");
		cr_assert_eq(x->action, y->action);
		cr_assert_eq(x->errno_value, y->errno_value);
		cr_assert_eq(x->n_args, y->n_args);
		for (size_t j = 0; j < x->n_args; j++) {
			cr_assert_eq(x->args[j].index, y->args[j].index);
			cr_assert_eq(x->args[j].op, y->args[j].op);
			cr_assert_eq(x->args[j].value, y->args[j].value, "rules[%zu].args[%zu]", i,
				     j);
			cr_assert_eq(x->args[j].mask, y->args[j].mask);
		}
	}
	cr_assert_eq(a->security.landlock.enabled, b->security.landlock.enabled);
	cr_assert_eq(a->security.landlock.n_net_bind_ports, b->security.landlock.n_net_bind_ports);
	for (size_t i = 0; i < a->security.landlock.n_net_bind_ports; i++)
		cr_assert_eq(a->security.landlock.net_bind_ports[i],
			     b->security.landlock.net_bind_ports[i]);
	cr_assert_eq(a->security.landlock.n_net_connect_ports,
		     b->security.landlock.n_net_connect_ports);
	for (size_t i = 0; i < a->security.landlock.n_net_connect_ports; i++)
		cr_assert_eq(a->security.landlock.net_connect_ports[i],
			     b->security.landlock.net_connect_ports[i]);
	cr_assert_eq(a->security.minimum.userns, b->security.minimum.userns);
	cr_assert_eq(a->security.minimum.seccomp, b->security.minimum.seccomp);
	cr_assert_eq(a->security.minimum.cgroup, b->security.minimum.cgroup);
	cr_assert_eq(a->security.minimum.landlock_abi, b->security.minimum.landlock_abi);

	cr_assert_eq(a->network.mode, b->network.mode);
	cr_assert_eq(a->network.n_domains, b->network.n_domains);
	for (size_t i = 0; i < a->network.n_domains; i++)
		assert_str_eq(a->network.domains[i], b->network.domains[i], "domain");
	cr_assert_eq(a->network.allow_localhost, b->network.allow_localhost);
	cr_assert_eq(a->network.n_localhost_ports, b->network.n_localhost_ports);
	for (size_t i = 0; i < a->network.n_localhost_ports; i++)
		cr_assert_eq(a->network.localhost_ports[i], b->network.localhost_ports[i]);
	cr_assert_eq(a->network.allow_private, b->network.allow_private);
	cr_assert_eq(a->network.max_connections, b->network.max_connections);
	cr_assert_eq(a->network.max_connection_bytes, b->network.max_connection_bytes);
	cr_assert_eq(a->network.idle_timeout_ms, b->network.idle_timeout_ms);

	cr_assert_eq(a->limits.timeout_ms, b->limits.timeout_ms);
	cr_assert_eq(a->limits.kill_grace_ms, b->limits.kill_grace_ms);
	cr_assert_eq(a->limits.memory_bytes, b->limits.memory_bytes);
	cr_assert_eq(a->limits.pids, b->limits.pids);
	cr_assert_eq(a->limits.cpu_weight, b->limits.cpu_weight);
	cr_assert_eq(a->limits.cpu_quota_us, b->limits.cpu_quota_us);
	cr_assert_eq(a->limits.cpu_period_us, b->limits.cpu_period_us);
	cr_assert_eq(a->limits.output_bytes, b->limits.output_bytes);
}

/* The defaults' JSON, byte for byte. */
static const char golden_defaults[] =
	"{\"schema\":\"ag3ntum.spec/1\",\"version\":1,\"name\":null,"
	"\"namespaces\":{\"user\":\"auto\",\"mount\":true,\"pid\":true,\"net\":true,\"ipc\":true,"
	"\"uts\":true,\"cgroup\":true},"
	"\"identity\":{\"uid\":null,\"gid\":null,\"groups\":[],\"name\":null,\"group\":null,"
	"\"home\":null,\"shell\":null},"
	"\"mounts\":[],"
	"\"process\":{\"cwd\":\"/\",\"env\":[],\"umask\":18,\"hostname\":\"ag3ntum\","
	"\"rlimits\":[],\"term_from_caller\":false},"
	"\"security\":{\"no_new_privs\":true,\"caps_keep\":0,"
	"\"seccomp\":{\"enabled\":true,\"default_list\":true,\"deny_action\":\"errno\","
	"\"deny_errno\":1,\"rules\":[]},"
	"\"landlock\":{\"enabled\":true,\"net_bind_ports\":[],\"net_connect_ports\":[]},"
	"\"minimum\":{\"userns\":false,\"seccomp\":false,\"cgroup\":false,\"landlock_abi\":0}},"
	"\"network\":{\"mode\":\"none\",\"domains\":[],\"allow_localhost\":false,"
	"\"localhost_ports\":[],\"allow_private\":false,\"max_connections\":64,"
	"\"max_connection_bytes\":1073741824,\"idle_timeout_ms\":300000},"
	"\"limits\":{\"timeout_ms\":0,\"kill_grace_ms\":2000,\"memory_bytes\":0,\"pids\":0,"
	"\"cpu_weight\":0,\"cpu_quota_us\":0,\"cpu_period_us\":0,\"output_bytes\":0}}\n";

/* ------------------------------------------------------------------------------------------ */
/* Round trips and output format                                                               */

Test(spec_json, roundtrip_full_compact)
{
	struct ag3_spec *a = full_spec();
	char *j1 = to_json(a, 0);
	struct ag3_spec *b = parse_ok(j1);
	char *j2 = to_json(b, 0);

	cr_assert_str_eq(j1, j2);
	assert_spec_equal(a, b);
	/* Every field really is away from its default. */
	struct ag3_spec *d = ag3_spec_new();
	char *jd = to_json(d, 0);
	cr_assert_str_neq(j1, jd);
	cr_assert(strstr(j1, "\"uid\":1000"));
	cr_assert(strstr(j1, "\"gid\":4294967294"));
	cr_assert(strstr(j1, "\"mode\":1023"), "01777 is written in decimal");
	free(jd);
	ag3_spec_free(d);
	free(j1);
	free(j2);
	ag3_spec_free(a);
	ag3_spec_free(b);
}

Test(spec_json, roundtrip_full_pretty)
{
	struct ag3_spec *a = full_spec();
	char *p1 = to_json(a, AG3_JSON_PRETTY);
	struct ag3_spec *b = parse_ok(p1);
	char *p2 = to_json(b, AG3_JSON_PRETTY);
	char *c1 = to_json(a, 0), *c2 = to_json(b, 0);

	cr_assert_str_eq(p1, p2);
	cr_assert_str_eq(c1, c2);
	cr_assert_str_neq(p1, c1);
	assert_spec_equal(a, b);
	free(p1);
	free(p2);
	free(c1);
	free(c2);
	ag3_spec_free(a);
	ag3_spec_free(b);
}

Test(spec_json, golden_defaults_compact)
{
	struct ag3_spec *s = ag3_spec_new();
	char *j = to_json(s, 0);

	cr_assert_str_eq(j, golden_defaults);
	cr_assert_eq(strchr(j, '\n'), j + strlen(j) - 1, "one line plus a trailing newline");
	free(j);
	ag3_spec_free(s);
}

Test(spec_json, pretty_format)
{
	struct ag3_spec *s = ag3_spec_new();
	cr_assert_eq(ag3_spec_set_env(s, "A", "b", false), 0);
	char *j = to_json(s, AG3_JSON_PRETTY);
	const char *head = "{\n"
			   "  \"schema\": \"ag3ntum.spec/1\",\n"
			   "  \"version\": 1,\n"
			   "  \"name\": null,\n"
			   "  \"namespaces\": {\n"
			   "    \"user\": \"auto\",\n";
	const char *env = "    \"env\": [\n"
			  "      {\n"
			  "        \"name\": \"A\",\n"
			  "        \"value\": \"b\",\n"
			  "        \"secret\": false\n"
			  "      }\n"
			  "    ],\n";
	const char *tail = "    \"output_bytes\": 0\n  }\n}\n";

	cr_assert_eq(strncmp(j, head, strlen(head)), 0, "got: %.120s", j);
	cr_assert(strstr(j, env), "env block not as expected:\n%s", j);
	cr_assert(strstr(j, "    \"groups\": [],\n"), "empty arrays are []");
	cr_assert_str_eq(j + strlen(j) - strlen(tail), tail);
	free(j);
	ag3_spec_free(s);
}

Test(spec_json, key_order_fixed)
{
	struct ag3_spec *s = full_spec();
	char *j = to_json(s, 0);
	static const char *const keys[] = {
		"\"schema\"", "\"version\"", "\"name\"",     "\"namespaces\"", "\"identity\"",
		"\"mounts\"", "\"process\"", "\"security\"", "\"network\"",    "\"limits\"",
	};
	const char *prev = j;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *p = strstr(prev, keys[i]);
		cr_assert_not_null(p, "%s missing or out of order", keys[i]);
		prev = p;
	}
	cr_assert(strstr(j, "{\"op\":\"bind\",\"source\":\"/usr\",\"target\":\"/usr\",\"content\":"
			    "null,\"ro\":true,\"optional\":true,\"nosuid\":true,\"nodev\":true,"
			    "\"noexec\":true,\"size\":0,\"mode\":0,\"origin\":\"fs.ro[0]\"}"),
		  "mount key order: %s", j);
	free(j);
	ag3_spec_free(s);
}

Test(spec_json, deterministic)
{
	struct ag3_spec *a = full_spec(), *b = full_spec();
	char *j1 = to_json(a, 0), *j2 = to_json(a, 0), *j3 = to_json(b, 0);
	char *p1 = to_json(a, AG3_JSON_PRETTY), *p2 = to_json(b, AG3_JSON_PRETTY);

	cr_assert_str_eq(j1, j2);
	cr_assert_str_eq(j1, j3);
	cr_assert_str_eq(p1, p2);
	free(j1);
	free(j2);
	free(j3);
	free(p1);
	free(p2);
	ag3_spec_free(a);
	ag3_spec_free(b);
}

Test(spec_json, string_escapes_roundtrip)
{
	char all[64];
	size_t n = 0;
	for (int c = 1; c < 0x20; c++)
		all[n++] = (char)c;
	memcpy(all + n, "\"\\/\x7f\xc3\xa9", 7);
	n += 7;
	all[n] = '\0';

	struct ag3_spec *s = ag3_spec_new();
	cr_assert_eq(ag3_spec_set_env(s, "X", all, false), 0);
	char *j = to_json(s, 0);
	cr_assert(strstr(j, "\\u0001\\u0002"), "controls are \\u escaped: %s", j);
	cr_assert(strstr(j, "\\b\\t\\n\\u000b\\f\\r"), "short escapes: %s", j);
	cr_assert(strstr(j, "\\\"\\\\/"), "quote and backslash escaped, slash not: %s", j);
	struct ag3_spec *b = parse_ok(j);
	cr_assert_str_eq(b->process.env[0].value, all);
	/* Escapes written by other producers are decoded too. */
	struct ag3_spec *c = parse_ok(HDR ",\"name\":\"\\u0041\\u00e9\\ud83d\\ude00\\/\"}");
	cr_assert_str_eq(c->name, "A\xc3\xa9\xf0\x9f\x98\x80/");
	free(j);
	ag3_spec_free(s);
	ag3_spec_free(b);
	ag3_spec_free(c);
}

/* ------------------------------------------------------------------------------------------ */
/* Defaults                                                                                    */

Test(spec_json, minimal_input_gives_defaults)
{
	struct ag3_spec *s = parse_ok(HDR "}");
	struct ag3_spec *d = ag3_spec_new();
	char *j = to_json(s, 0);

	assert_spec_equal(s, d);
	cr_assert_str_eq(j, golden_defaults);
	free(j);
	ag3_spec_free(s);
	ag3_spec_free(d);
}

Test(spec_json, partial_objects_keep_defaults)
{
	struct ag3_spec *s = parse_ok(HDR ",\"namespaces\":{\"ipc\":false},"
					  "\"limits\":{\"pids\":5},\"security\":{\"seccomp\":"
					  "{\"deny_errno\":13}},\"identity\":{}}");

	cr_assert_eq(s->namespaces.ipc, false);
	cr_assert_eq(s->namespaces.uts, true);
	cr_assert_eq(s->namespaces.user, AG3_USERNS_AUTO);
	cr_assert_eq(s->limits.pids, 5);
	cr_assert_eq(s->limits.kill_grace_ms, 2000);
	cr_assert_eq(s->security.seccomp.deny_errno, 13);
	cr_assert_eq(s->security.seccomp.enabled, true);
	cr_assert_eq(s->security.seccomp.deny_action, AG3_SECCOMP_ERRNO);
	cr_assert_eq(s->security.landlock.enabled, true);
	cr_assert_eq(s->identity.uid_set, false);
	cr_assert_str_eq(s->process.cwd, "/");
	cr_assert_str_eq(s->process.hostname, "ag3ntum");
	cr_assert_eq(s->process.umask, 022);
	ag3_spec_free(s);
}

Test(spec_json, optional_members_in_entries)
{
	struct ag3_spec *s =
		parse_ok(HDR ",\"mounts\":[{\"op\":\"tmpfs\",\"target\":\"/tmp\"}],"
			     "\"process\":{\"env\":[{\"name\":\"A\",\"value\":\"1\"}]},"
			     "\"security\":{\"seccomp\":{\"rules\":[{\"syscall\":\"ptrace\"}]}}}");

	cr_assert_eq(s->n_mounts, 1);
	cr_assert_eq(s->mounts[0].op, AG3_MOUNT_TMPFS);
	cr_assert_null(s->mounts[0].source);
	cr_assert_eq(s->mounts[0].ro, false);
	cr_assert_eq(s->mounts[0].mode, 0);
	cr_assert_eq(s->process.env[0].secret, false);
	cr_assert_eq(s->security.seccomp.rules[0].action, AG3_SECCOMP_ERRNO);
	cr_assert_eq(s->security.seccomp.rules[0].n_args, 0);
	ag3_spec_free(s);
}

/* ------------------------------------------------------------------------------------------ */
/* Integers                                                                                    */

Test(spec_json, big_integers_exact)
{
	struct ag3_spec *s = parse_ok(
		HDR
		",\"limits\":{\"memory_bytes\":1152921504606846976,\"pids\":9007199254740993,"
		"\"cpu_quota_us\":18446744073709551615,\"cpu_period_us\":18446744073709551614},"
		"\"security\":{\"seccomp\":{\"rules\":[{\"syscall\":\"x\",\"args\":[{\"index\":0,"
		"\"op\":\"masked_eq\",\"value\":18446744073709551615,"
		"\"mask\":9223372036854775809}]}]}}}");

	cr_assert_eq(s->limits.memory_bytes, TWO_POW_60);
	cr_assert_eq(s->limits.pids, TWO_POW_53_PLUS_1);
	cr_assert_eq(s->limits.cpu_quota_us, UINT64_MAX);
	cr_assert_eq(s->limits.cpu_period_us, UINT64_MAX - 1);
	cr_assert_eq(s->security.seccomp.rules[0].args[0].value, UINT64_MAX);
	cr_assert_eq(s->security.seccomp.rules[0].args[0].mask, (UINT64_C(1) << 63) + 1);
	char *j = to_json(s, 0);
	cr_assert(strstr(j, "\"memory_bytes\":1152921504606846976,"));
	cr_assert(strstr(j, "\"pids\":9007199254740993,"));
	cr_assert(strstr(j, "\"cpu_quota_us\":18446744073709551615,"));
	cr_assert(strstr(j, "\"value\":18446744073709551615,\"mask\":9223372036854775809"));
	free(j);
	ag3_spec_free(s);
}

Test(spec_json, rlimit_unlimited)
{
	struct ag3_spec *s = parse_ok(
		HDR
		",\"process\":{\"rlimits\":[{\"name\":\"as\",\"soft\":\"unlimited\","
		"\"hard\":\"unlimited\"},{\"name\":\"nofile\",\"soft\":18446744073709551614,"
		"\"hard\":18446744073709551615},{\"name\":\"fsize\",\"soft\":1152921504606846976,"
		"\"hard\":\"unlimited\"}]}}");

	cr_assert_eq(s->process.rlimits[0].soft, AG3_RLIM_INFINITY);
	cr_assert_eq(s->process.rlimits[0].hard, AG3_RLIM_INFINITY);
	cr_assert_eq(s->process.rlimits[1].soft, UINT64_MAX - 1);
	cr_assert_eq(s->process.rlimits[1].hard, AG3_RLIM_INFINITY);
	cr_assert_eq(s->process.rlimits[2].soft, TWO_POW_60);
	char *j = to_json(s, 0);
	cr_assert(strstr(j, "{\"name\":\"as\",\"soft\":\"unlimited\",\"hard\":\"unlimited\"}"),
		  "%s", j);
	cr_assert(strstr(j, "{\"name\":\"nofile\",\"soft\":18446744073709551614,"
			    "\"hard\":\"unlimited\"}"),
		  "%s", j);
	cr_assert(strstr(j, "\"soft\":1152921504606846976,"));
	struct ag3_spec *b = parse_ok(j);
	assert_spec_equal(s, b);
	free(j);
	ag3_spec_free(s);
	ag3_spec_free(b);
}

Test(spec_json, integer_overflow)
{
	expect_err(HDR ",\"limits\":{\"memory_bytes\":18446744073709551616}}",
		   "limits.memory_bytes: 18446744073709551616 is out of range", NULL);
	expect_err(HDR ",\"limits\":{\"pids\":99999999999999999999999999999999999999999}}",
		   "limits.pids: ", "is out of range");
	expect_err(HDR ",\"limits\":{\"cpu_weight\":4294967296}}",
		   "limits.cpu_weight: ", "out of range (0..4294967295)");
	expect_err(HDR ",\"security\":{\"seccomp\":{\"rules\":[{\"syscall\":\"x\","
		       "\"errno\":2147483648}]}}}",
		   "security.seccomp.rules[0].errno: 2147483648 is out of range", NULL);
}

Test(spec_json, non_integers_rejected)
{
	expect_err(HDR ",\"limits\":{\"pids\":1.5}}", "limits.pids: expected an integer, got 1.5",
		   NULL);
	expect_err(HDR ",\"limits\":{\"pids\":1.0}}", "limits.pids: expected an integer", NULL);
	expect_err(HDR ",\"limits\":{\"pids\":1e3}}", "limits.pids: expected an integer", NULL);
	expect_err(HDR ",\"process\":{\"umask\":\"022\"}}",
		   "process.umask: expected an integer, got a string", NULL);
	expect_err(HDR ",\"limits\":{\"pids\":true}}",
		   "limits.pids: expected an integer, got a boolean", NULL);
}

Test(spec_json, negatives_rejected)
{
	expect_err(HDR ",\"process\":{\"umask\":-1}}",
		   "process.umask: expected a non-negative integer, got -1", NULL);
	expect_err(HDR ",\"identity\":{\"groups\":[5,-5]}}",
		   "identity.groups[1]: ", "non-negative");
	expect_err(HDR ",\"security\":{\"seccomp\":{\"deny_errno\":-1}}}",
		   "security.seccomp.deny_errno: expected a non-negative integer", NULL);
}

Test(spec_json, id_ranges_and_null)
{
	expect_err(HDR ",\"identity\":{\"uid\":4294967295}}",
		   "identity.uid: 4294967295 is out of range (0..4294967294)", NULL);
	expect_err(HDR ",\"identity\":{\"gid\":4294967296}}", "identity.gid: ", "out of range");
	expect_err(HDR ",\"identity\":{\"uid\":\"1000\"}}",
		   "identity.uid: expected an integer or null, got a string", NULL);

	struct ag3_spec *s = parse_ok(HDR ",\"identity\":{\"uid\":4294967294,\"gid\":null}}");
	cr_assert(s->identity.uid_set);
	cr_assert_eq(s->identity.uid, 4294967294u);
	cr_assert_not(s->identity.gid_set);
	ag3_spec_free(s);
}

Test(spec_json, field_ranges)
{
	expect_err(HDR ",\"mounts\":[{\"op\":\"dir\",\"target\":\"/a\",\"mode\":4096}]}",
		   "mounts[0].mode: 4096 is out of range (0..4095)", NULL);
	expect_err(HDR ",\"process\":{\"umask\":512}}", "process.umask: 512 is out of range", NULL);
	expect_err(HDR ",\"security\":{\"landlock\":{\"net_bind_ports\":[80,65536]}}}",
		   "security.landlock.net_bind_ports[1]: 65536 is out of range (0..65535)", NULL);

	/* a setuid or setgid file or directory made by root in the sandbox's tree: never */
	expect_err(HDR ",\"mounts\":[{\"op\":\"file\",\"target\":\"/a\",\"content\":\"x\","
		       "\"mode\":2541}]}",
		   "mounts[0].mode: 4755 has the setuid or setgid bit", NULL);
	expect_err(HDR ",\"mounts\":[{\"op\":\"dir\",\"target\":\"/a\",\"mode\":1512}]}",
		   "mounts[0].mode: 2750 has the setuid or setgid bit", NULL);

	struct ag3_spec *s =
		parse_ok(HDR ",\"mounts\":[{\"op\":\"dir\",\"target\":\"/a\",\"mode\":1023}],"
			     "\"process\":{\"umask\":511}}");
	cr_assert_eq(s->mounts[0].mode, 01777);
	cr_assert_eq(s->process.umask, 0777);
	ag3_spec_free(s);
}

/* ------------------------------------------------------------------------------------------ */
/* Shape errors                                                                                */

Test(spec_json, unknown_field_suggestion)
{
	expect_err(HDR ",\"mounts\":[{\"op\":\"proc\",\"target\":\"/proc\"},"
		       "{\"op\":\"dir\",\"tagret\":\"/a\"}]}",
		   "mounts[1].tagret: unknown field (did you mean 'target'?)", NULL);
	expect_err(HDR ",\"nmae\":\"x\"}", "nmae: unknown field (did you mean 'name'?)", NULL);
	expect_err(HDR ",\"security\":{\"seccomp\":{\"rules\":[{\"syscall\":\"x\",\"args\":"
		       "[{\"index\":0,\"op\":\"eq\",\"value\":1,\"maks\":2}]}]}}}",
		   "security.seccomp.rules[0].args[0].maks: unknown field (did you mean 'mask'?)",
		   NULL);
	expect_err(HDR ",\"limits\":{\"timeout\":5}}",
		   "limits.timeout: unknown field (did you mean 'timeout_ms'?)", NULL);
}

/* bwrap's root mode is the front end's alone: a JSON spec (a session's hello, serve's
 * clients, `exec --spec`) cannot ask for it, and validation keeps its ids at 0. */
Test(spec_json, root_command_is_not_json)
{
	expect_err(HDR ",\"security\":{\"root_command\":true}}", "root_command: unknown field",
		   NULL);
	expect_err(HDR ",\"security\":{\"caps_set\":true}}", "caps_set: unknown field", NULL);
	struct ag3_spec *s = ag3_spec_new();
	cr_assert_not_null(s);
	struct ag3_error *e = NULL;
	s->identity.uid_set = true;
	s->identity.uid = 0;
	cr_assert_eq(ag3_spec_validate(s, &e), -EINVAL);
	cr_assert(strstr(e->msg, "never root"), "%s", e->msg);
	ag3_error_free(e);
	e = NULL;
	s->security.root_command = true;
	cr_assert_eq(ag3_spec_validate(s, &e), 0, "%s", e ? e->msg : "");
	s->identity.uid = 5;
	cr_assert_eq(ag3_spec_validate(s, &e), -EINVAL);
	cr_assert(strstr(e->msg, "a root command runs as uid 0"), "%s", e->msg);
	ag3_error_free(e);
	e = NULL;
	s->identity.uid = 0;
	s->security.root_command = false;
	s->identity.uid_set = false;
	s->security.caps_set = true;
	cr_assert_eq(ag3_spec_validate(s, &e), -EINVAL);
	cr_assert(strstr(e->msg, "caps_set"), "%s", e->msg);
	ag3_error_free(e);
	ag3_spec_free(s);
}

/* An overlay is the bwrap front end's: JSON has no way to give its lowers. */
Test(spec_json, overlay_is_not_json)
{
	expect_err(HDR ",\"mounts\":[{\"op\":\"overlay\",\"target\":\"/x\"}]}",
		   "mounts[0].op: 'overlay' is not one of", NULL);
	/* and a spec built in C without its lowers does not validate */
	struct ag3_spec *s = ag3_spec_new();
	cr_assert_not_null(s);
	struct ag3_mount m = {.op = AG3_MOUNT_OVERLAY, .target = (char *)"/x"};
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);
	struct ag3_error *e = NULL;
	cr_assert_eq(ag3_spec_validate(s, &e), -EINVAL);
	cr_assert(strstr(e->msg, "an overlay needs its lower directories"), "%s", e->msg);
	ag3_error_free(e);
	ag3_spec_free(s);
}

/* bwrap's --chmod, --remount-ro and --mqueue as spec ops: a chmod's mode is exact
 * (0 too), only these two may name the root besides a first bind, and the bwrap
 * front end's own fields (parent modes, a --bind-fd source's inode) are not JSON. */
Test(spec_json, chmod_remount_ro_mqueue)
{
	struct ag3_spec *s = parse_ok(HDR ",\"mounts\":[{\"op\":\"tmpfs\",\"target\":\"/w\"},"
					  "{\"op\":\"chmod\",\"target\":\"/w\",\"mode\":0},"
					  "{\"op\":\"remount_ro\",\"target\":\"/w\"},"
					  "{\"op\":\"mqueue\",\"target\":\"/dev/mqueue\"},"
					  "{\"op\":\"chmod\",\"target\":\"/\",\"mode\":493},"
					  "{\"op\":\"remount_ro\",\"target\":\"/\"}]}");
	cr_assert_eq(s->n_mounts, 6);
	cr_assert_eq(s->mounts[1].op, AG3_MOUNT_CHMOD);
	cr_assert_eq(s->mounts[1].mode, 0);
	cr_assert_eq(s->mounts[2].op, AG3_MOUNT_REMOUNT_RO);
	cr_assert_eq(s->mounts[3].op, AG3_MOUNT_MQUEUE);
	cr_assert_eq(s->mounts[4].mode, 0755);
	char *j = to_json(s, 0);
	cr_assert(strstr(j, "\"op\":\"remount_ro\""), "%s", j);
	free(j);
	ag3_spec_free(s);
	expect_err(HDR ",\"mounts\":[{\"op\":\"mqueue\",\"target\":\"/\"}]}",
		   "mounts[0].target: the root itself", NULL);
	expect_err(HDR ",\"mounts\":[{\"op\":\"chmod\",\"source\":\"/a\",\"target\":\"/b\"}]}",
		   "mounts[0].source: not allowed for op 'chmod'", NULL);
	expect_err(HDR ",\"mounts\":[{\"op\":\"chmod\",\"target\":\"/b\",\"mode\":2541}]}",
		   "has the setuid or setgid bit", NULL);
	expect_err(HDR ",\"mounts\":[{\"op\":\"dir\",\"target\":\"/b\",\"parent_mode\":448}]}",
		   "mounts[0].parent_mode: unknown field", NULL);
	expect_err(HDR ",\"mounts\":[{\"op\":\"bind\",\"source\":\"/a\",\"target\":\"/b\","
		       "\"source_id\":true}]}",
		   "mounts[0].source_id: unknown field", NULL);
}

/* The supervisor keeps each captured stream in its own memory: the cap is bounded. */
Test(spec_json, output_cap_bounded)
{
	expect_err(HDR ",\"limits\":{\"output_bytes\":4611686018427387904}}",
		   "limits.output_bytes: more than 268435456 (256 MiB) per stream", NULL);
	expect_err(HDR ",\"limits\":{\"output_bytes\":268435457}}",
		   "limits.output_bytes: more than", NULL);
}

Test(spec_json, unknown_field_without_suggestion)
{
	expect_err(HDR ",\"xyzzy\":1}", "xyzzy: unknown field (known fields: schema, version, ",
		   "limits)");
	expect_err(HDR ",\"network\":{\"proxy\":\"x\"}}", "network.proxy: unknown field",
		   "mode, domains, allow_localhost");
	/* Control characters in a key are not echoed raw. */
	struct ag3_error *e =
		parse_err_len(HDR ",\"a\\u001b[2Jb\":1}", strlen(HDR ",\"a\\u001b[2Jb\":1}"), NULL);
	cr_assert(strstr(e->msg, "a?[2Jb: unknown field"), "%s", e->msg);
	cr_assert_null(strchr(e->msg, '\x1b'));
	ag3_error_free(e);
}

Test(spec_json, wrong_types)
{
	expect_err(HDR ",\"mounts\":[{\"op\":\"dir\",\"target\":\"/a\",\"ro\":\"yes\"}]}",
		   "mounts[0].ro: expected a boolean, got a string", NULL);
	expect_err(HDR ",\"namespaces\":[]}", "namespaces: expected an object, got an array", NULL);
	expect_err(HDR ",\"namespaces\":null}", "namespaces: expected an object, got null", NULL);
	expect_err(HDR ",\"process\":{\"cwd\":5}}", "process.cwd: expected a string, got a number",
		   NULL);
	expect_err(HDR ",\"process\":{\"cwd\":null}}", "process.cwd: expected a string, got null",
		   NULL);
	expect_err(HDR ",\"mounts\":{}}", "mounts: expected an array, got an object", NULL);
	expect_err(HDR ",\"mounts\":[5]}", "mounts[0]: expected an object, got a number", NULL);
	expect_err(HDR ",\"name\":[]}", "name: expected a string or null, got an array", NULL);
	expect_err(HDR ",\"network\":{\"domains\":[\"a\",null]}}",
		   "network.domains[1]: expected a string, got null", NULL);
	expect_err(HDR ",\"process\":{\"rlimits\":[{\"name\":\"nofile\",\"soft\":\"lots\","
		       "\"hard\":1}]}}",
		   "process.rlimits[0].soft: expected an integer or \"unlimited\", got a string",
		   NULL);
}

Test(spec_json, duplicate_keys)
{
	expect_err(HDR ",\"name\":\"a\",\"name\":\"b\"}", "name: duplicate key", NULL);
	expect_err(HDR ",\"process\":{\"umask\":18,\"umask\":18}}", "process.umask: duplicate key",
		   NULL);
	expect_err(HDR ",\"mounts\":[{\"op\":\"proc\",\"target\":\"/proc\"},"
		       "{\"op\":\"dir\",\"target\":\"/a\",\"target\":\"/b\"}]}",
		   "mounts[1].target: duplicate key", NULL);
	expect_err(HDR ",\"schema\":\"ag3ntum.spec/1\"}", "schema: duplicate key", NULL);
}

Test(spec_json, schema_errors)
{
	expect_err("{\"version\":1}", "schema: missing", "ag3ntum.spec/1");
	expect_err("{\"schema\":\"ag3ntum.spec/2\",\"version\":1}",
		   "schema: 'ag3ntum.spec/2' is not supported (expected 'ag3ntum.spec/1')", NULL);
	expect_err("{\"schema\":1,\"version\":1}", "schema: expected a string, got a number", NULL);
	/* The schema is checked before anything else, even unknown fields. */
	expect_err("{\"frobnicate\":1,\"schema\":\"other/9\"}",
		   "schema: 'other/9' is not supported", NULL);
}

Test(spec_json, version_errors)
{
	expect_err("{\"schema\":\"ag3ntum.spec/1\"}", "version: missing", NULL);
	expect_err("{\"schema\":\"ag3ntum.spec/1\",\"version\":2}",
		   "version: 2 is not supported (this runtime reads 1)", NULL);
	expect_err("{\"schema\":\"ag3ntum.spec/1\",\"version\":\"1\"}",
		   "version: expected an integer, got a string", NULL);
	expect_err("{\"schema\":\"ag3ntum.spec/1\",\"version\":1.0}",
		   "version: expected an integer, got 1.0", NULL);
	expect_err("{\"schema\":\"ag3ntum.spec/1\",\"version\":0}", "version: 0 is not supported",
		   NULL);
}

Test(spec_json, required_members)
{
	expect_err(HDR ",\"mounts\":[{\"target\":\"/a\"}]}", "mounts[0].op: missing", NULL);
	expect_err(HDR ",\"mounts\":[{\"op\":\"dir\"}]}", "mounts[0].target: missing", NULL);
	expect_err(HDR ",\"process\":{\"env\":[{\"name\":\"A\"}]}}",
		   "process.env[0].value: missing", NULL);
	expect_err(HDR ",\"process\":{\"env\":[{\"value\":\"x\"}]}}",
		   "process.env[0].name: missing", NULL);
	expect_err(HDR ",\"process\":{\"rlimits\":[{\"name\":\"core\",\"soft\":0}]}}",
		   "process.rlimits[0].hard: missing", NULL);
	expect_err(HDR ",\"security\":{\"seccomp\":{\"rules\":[{\"action\":\"kill\"}]}}}",
		   "security.seccomp.rules[0].syscall: missing", NULL);
	expect_err(HDR ",\"security\":{\"seccomp\":{\"rules\":[{\"syscall\":\"x\",\"args\":"
		       "[{\"index\":0,\"value\":1}]}]}}}",
		   "security.seccomp.rules[0].args[0].op: missing", NULL);
}

Test(spec_json, enum_errors)
{
	expect_err(HDR ",\"network\":{\"mode\":\"bridge\"}}",
		   "network.mode: 'bridge' is not one of: none, host, allowlist", NULL);
	expect_err(HDR ",\"mounts\":[{\"op\":\"overlay\",\"target\":\"/a\"}]}",
		   "mounts[0].op: 'overlay' is not one of: bind, tmpfs, proc, dev, dir, symlink, "
		   "mask, file",
		   NULL);
	expect_err(HDR ",\"namespaces\":{\"user\":\"sometimes\"}}",
		   "namespaces.user: 'sometimes' is not one of: auto, always, never", NULL);
	expect_err(HDR ",\"namespaces\":{\"user\":true}}",
		   "namespaces.user: expected a string, got a boolean", NULL);
	expect_err(HDR ",\"security\":{\"seccomp\":{\"rules\":[{\"syscall\":\"x\",\"args\":"
		       "[{\"index\":0,\"op\":\"EQ\",\"value\":1}]}]}}}",
		   "security.seccomp.rules[0].args[0].op: 'EQ' is not one of", NULL);
}

Test(spec_json, seccomp_args_limit)
{
	const char *arg = "{\"index\":0,\"op\":\"eq\",\"value\":0}";
	char buf[1024];
	int n = snprintf(buf, sizeof(buf),
			 HDR ",\"security\":{\"seccomp\":{\"rules\":[{\"syscall\":\"x\",\"args\":"
			     "[%s,%s,%s,%s,%s,%s,%s]}]}}}",
			 arg, arg, arg, arg, arg, arg, arg);
	cr_assert_lt(n, (int)sizeof(buf));
	expect_err(buf, "security.seccomp.rules[0].args: more than 6 arguments", NULL);
	/* Exactly 6 is fine, and an out-of-range index is left to ag3_spec_validate. */
	expect_err(HDR ",\"security\":{\"seccomp\":{\"rules\":[{\"syscall\":\"x\",\"args\":"
		       "[{\"index\":6,\"op\":\"eq\",\"value\":0}]}]}}}",
		   "security.seccomp.rules[0].args[0].index: 0..5", NULL);
}

Test(spec_json, rlimit_names)
{
	expect_err(HDR ",\"process\":{\"rlimits\":[{\"name\":\"bogus\",\"soft\":1,\"hard\":1}]}}",
		   "process.rlimits[0].name: unknown resource 'bogus'", NULL);
	expect_err(HDR ",\"process\":{\"rlimits\":[{\"name\":\"nofile\",\"soft\":1,\"hard\":1},"
		       "{\"name\":\"nofile\",\"soft\":2,\"hard\":2}]}}",
		   "process.rlimits[1].name: 'nofile' is set twice", NULL);
	expect_err(HDR ",\"process\":{\"rlimits\":[{\"name\":\"nofile\",\"soft\":2,\"hard\":1}]}}",
		   "process.rlimits.nofile: soft limit above the hard limit", NULL);
}

Test(spec_json, top_level_not_object)
{
	expect_err("[]", "expected a JSON object at the top level, got an array", NULL);
	expect_err("\"ag3ntum.spec/1\"", "expected a JSON object at the top level, got a string",
		   NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Encoding, syntax and limits                                                                 */

Test(spec_json, nul_rejected)
{
	expect_err(HDR ",\"name\":\"ab\\u0000cd\"}", "\\u0000", "line 1, column");
	expect_err(HDR ",\"process\":{\"env\":[{\"name\":\"A\",\"value\":\"x\\u0000\"}]}}",
		   "\\u0000 (NUL)", NULL);

	static const char raw[] = HDR ",\"name\":\"ab\0cd\"}";
	struct ag3_error *e = parse_err_len(raw, sizeof(raw) - 1, "s.json");
	cr_assert(strstr(e->msg, "NUL byte"), "%s", e->msg);
	cr_assert_str_eq(e->file, "s.json");
	cr_assert_eq(e->line, 1);
	cr_assert_eq(e->col, strlen(HDR) + 12);
	ag3_error_free(e);
	/* A NUL after a complete document is not "the end" either. */
	static const char tail[] = HDR "}\0garbage";
	e = parse_err_len(tail, sizeof(tail) - 1, NULL);
	cr_assert(strstr(e->msg, "NUL byte"), "%s", e->msg);
	ag3_error_free(e);
}

Test(spec_json, invalid_utf8_rejected)
{
	expect_err(HDR ",\"name\":\"\xff\"}", "not valid UTF-8", NULL);
	expect_err(HDR ",\"name\":\"\xc0\xaf\"}", "not valid UTF-8", NULL);     /* overlong '/' */
	expect_err(HDR ",\"name\":\"\xed\xa0\x80\"}", "not valid UTF-8", NULL); /* surrogate */
	expect_err(HDR ",\"name\":\"\xf4\x90\x80\x80\"}", "not valid UTF-8", NULL); /* > 10FFFF */
	expect_err(HDR ",\"name\":\"\xe2\x9c\"}", "not valid UTF-8", NULL);         /* truncated */

	const char *j =
		"{\n\"schema\": \"ag3ntum.spec/1\",\n\"version\": 1,\n\"name\": \"ok \xfe\"\n}";
	struct ag3_error *e = parse_err_len(j, strlen(j), "u.json");
	cr_assert_eq(e->line, 4);
	cr_assert_eq(e->col, 13);
	char *f = ag3_error_format(e);
	cr_assert_str_eq(f, "u.json:4:13: a string is not valid UTF-8");
	free(f);
	ag3_error_free(e);

	struct ag3_spec *s = parse_ok(HDR ",\"name\":\"\xf0\x9f\x98\x80 \xe2\x9c\x93\"}");
	cr_assert_str_eq(s->name, "\xf0\x9f\x98\x80 \xe2\x9c\x93");
	ag3_spec_free(s);
}

Test(spec_json, raw_control_character_rejected)
{
	expect_err(HDR ",\"name\":\"a\tb\"}", "control character in a string must be escaped",
		   NULL);
	expect_err(HDR ",\"name\":\"a\nb\"}", "control character", "line 1, column");
}

Test(spec_json, nesting_limit)
{
	char buf[256];
	size_t n = (size_t)snprintf(buf, sizeof(buf), HDR ",\"name\":");
	for (int i = 0; i < 64; i++)
		buf[n++] = '[';
	buf[n] = '\0';
	expect_err(buf, "nested deeper than 64 levels", NULL);

	/* Far beyond cJSON's own limit (1000): still our clear error, no crash. */
	size_t big = 100000;
	char *deep = malloc(big * 2 + 64);
	n = (size_t)sprintf(deep, HDR ",\"name\":");
	memset(deep + n, '[', big);
	memset(deep + n + big, ']', big);
	strcpy(deep + n + 2 * big, "}");
	expect_err(deep, "nested deeper than 64 levels", NULL);
	free(deep);

	/* 63 levels inside the top object parse (and fail only on the type). */
	n = (size_t)snprintf(buf, sizeof(buf), HDR ",\"name\":");
	for (int i = 0; i < 63; i++)
		buf[n++] = '[';
	for (int i = 0; i < 63; i++)
		buf[n++] = ']';
	buf[n++] = '}';
	buf[n] = '\0';
	expect_err(buf, "name: expected a string or null, got an array", NULL);
}

static char *domains_json(size_t count)
{
	size_t cap = strlen(HDR) + 64 + count * 4;
	char *j = malloc(cap);
	size_t n = (size_t)sprintf(j, HDR ",\"network\":{\"mode\":\"allowlist\",\"domains\":[");
	for (size_t i = 0; i < count; i++) {
		memcpy(j + n, i ? ",\"a\"" : "\"a\"", i ? 4 : 3);
		n += i ? 4 : 3;
	}
	strcpy(j + n, "]}}");
	return j;
}

Test(spec_json, array_length_limit)
{
	/* 1024 domains is the validator's bound; 100000 passes the parser's array cap
	 * and is then refused by validation, 100001 is refused by the parser itself. */
	char *ok = domains_json(1024);
	struct ag3_spec *s = parse_ok(ok);
	cr_assert_eq(s->network.n_domains, 1024);
	cr_assert_str_eq(s->network.domains[1023], "a");
	ag3_spec_free(s);
	free(ok);

	char *big = domains_json(100000);
	expect_err(big, "network.domains: more than 1024 domains", NULL);
	free(big);

	char *bad = domains_json(100001);
	expect_err(bad, "an array has more than 100000 entries", NULL);
	free(bad);
}

/* {"name":[[1,1,...],...]}: `outer` arrays of `inner` numbers, plus the array values. */
static char *number_bomb(size_t outer, size_t inner)
{
	char *j = malloc(strlen(HDR) + 32 + outer * (inner * 2 + 2));
	size_t n = (size_t)sprintf(j, HDR ",\"name\":[");
	for (size_t o = 0; o < outer; o++) {
		if (o)
			j[n++] = ',';
		j[n++] = '[';
		for (size_t i = 0; i < inner; i++) {
			if (i)
				j[n++] = ',';
			j[n++] = '1';
		}
		j[n++] = ']';
	}
	strcpy(j + n, "]}");
	return j;
}

Test(spec_json, value_count_limit)
{
	/* 19 x 99999 numbers + 20 arrays + 2 header values + the top object: under 2000000. */
	char *ok = number_bomb(19, 99999);
	expect_err(ok, "name: expected a string or null, got an array", NULL);
	free(ok);

	char *bad = number_bomb(21, 99999);
	expect_err(bad, "more than 2000000 values in the document", "line 1, column");
	free(bad);
}

Test(spec_json, input_size_limit)
{
	size_t len = ((size_t)16 << 20) + 1;
	char *big = malloc(len);
	memset(big, ' ', len);
	memcpy(big, HDR "}", strlen(HDR "}"));
	struct ag3_error *e = parse_err_len(big, len, "big.json");
	cr_assert(strstr(e->msg, "larger than 16 MiB"), "%s", e->msg);
	cr_assert_str_eq(e->file, "big.json");
	ag3_error_free(e);

	/* Exactly 16 MiB is accepted (trailing whitespace). */
	struct ag3_spec *s = parse_ok_len(big, len - 1);
	cr_assert_eq(s->version, 1);
	ag3_spec_free(s);
	free(big);
}

Test(spec_json, syntax_error_position_with_file)
{
	const char *j = "{\n  \"schema\": \"ag3ntum.spec/1\",\n  oops\n}";
	struct ag3_error *e = parse_err_len(j, strlen(j), "spec.json");

	cr_assert_str_eq(e->file, "spec.json");
	cr_assert_eq(e->line, 3);
	cr_assert(e->col >= 3 && e->col <= 6, "col %u", e->col);
	cr_assert(strstr(e->msg, "invalid JSON"), "%s", e->msg);
	char *f = ag3_error_format(e);
	cr_assert(strncmp(f, "spec.json:3:", 12) == 0, "%s", f);
	free(f);
	ag3_error_free(e);
}

Test(spec_json, syntax_errors_without_file)
{
	expect_err("{\n\n  \"schema\": tru }", "line 3, column", "invalid JSON");
	expect_err(HDR "} trailing", "invalid JSON: syntax error at 't'", NULL);
	expect_err(HDR, "invalid JSON: unexpected end of input", NULL);
	expect_err("", "unexpected end of input", "line 1, column 1");
	expect_err("   \n  ", "unexpected end of input", "line 2, column 3");

	struct ag3_error *e = NULL;
	struct ag3_spec *s = NULL;
	cr_assert_eq(ag3_spec_from_json(NULL, 0, NULL, &s, &e), -EINVAL);
	cr_assert_null(s);
	ag3_error_free(e);
}

Test(spec_json, semantic_error_names_file)
{
	const char *j = HDR ",\"mounts\":[{\"op\":\"dir\",\"target\":\"/a\",\"ro\":1}]}";
	struct ag3_error *e = parse_err_len(j, strlen(j), "prof.json");

	cr_assert_str_eq(e->file, "prof.json");
	cr_assert_eq(e->line, 0);
	char *f = ag3_error_format(e);
	cr_assert_str_eq(f, "prof.json: mounts[0].ro: expected a boolean, got a number");
	free(f);
	ag3_error_free(e);
}

Test(spec_json, validate_errors_propagate)
{
	const char *j = HDR ",\"namespaces\":{\"mount\":false}}";
	struct ag3_error *e = parse_err_len(j, strlen(j), "v.json");
	cr_assert(strstr(e->msg, "namespaces.mount: must be true"), "%s", e->msg);
	cr_assert_str_eq(e->file, "v.json");
	ag3_error_free(e);

	expect_err(HDR ",\"network\":{\"mode\":\"host\"}}", "namespaces.net: must be false", NULL);
	/* The network section: rules are rules, and only where a relay reads them. */
	expect_err(HDR ",\"network\":{\"mode\":\"allowlist\",\"domains\":[\"10.0.0.1\"]}}",
		   "network.domains[0]:", NULL);
	expect_err(HDR ",\"network\":{\"mode\":\"allowlist\",\"domains\":[\"a.org:99999\"]}}",
		   "network.domains[0]:", NULL);
	expect_err(HDR ",\"network\":{\"mode\":\"none\",\"domains\":[\"pypi.org\"]}}",
		   "only in allowlist mode", NULL);
	expect_err(HDR ",\"network\":{\"mode\":\"allowlist\",\"localhost_ports\":[8080]}}",
		   "allow_localhost is false", NULL);
	expect_err(HDR ",\"network\":{\"mode\":\"allowlist\",\"max_connections\":0}}",
		   "network.max_connections: must be 1..4096", NULL);
	expect_err(HDR ",\"network\":{\"mode\":\"allowlist\",\"idle_timeout_ms\":10}}",
		   "network.idle_timeout_ms", NULL);
	expect_err(HDR
		   ",\"network\":{\"mode\":\"allowlist\",\"domains\":[\"a.org:1\",\"a.org:2\","
		   "\"a.org:3\",\"a.org:4\",\"a.org:5\",\"a.org:6\",\"a.org:7\",\"a.org:8\",\"a."
		   "org:9\","
		   "\"a.org:10\",\"a.org:11\",\"a.org:12\",\"a.org:13\",\"a.org:14\",\"a.org:15\","
		   "\"a.org:16\",\"a.org:17\",\"a.org:18\",\"a.org:19\",\"a.org:20\",\"a.org:21\","
		   "\"a.org:22\",\"a.org:23\",\"a.org:24\",\"a.org:25\",\"a.org:26\",\"a.org:27\","
		   "\"a.org:28\",\"a.org:29\",\"a.org:30\",\"a.org:31\",\"a.org:32\"]}}",
		   "more than 31 distinct ports", NULL);
	expect_err(HDR ",\"mounts\":[{\"op\":\"dir\",\"target\":\"/a/../b\"}]}",
		   "mounts[0].target: '/a/../b' is not an absolute, normalized path", NULL);
	expect_err(HDR ",\"identity\":{\"uid\":0}}", "identity.uid: 0 is not allowed", NULL);
	/* The generated passwd's fields: a ':' or a newline would add a field or a user. */
	expect_err(HDR ",\"identity\":{\"name\":\"a:b\",\"group\":\"g\",\"home\":\"/w\","
		       "\"shell\":\"/bin/sh\"}}",
		   "identity.name: 'a:b' is not a user name", NULL);
	expect_err(HDR ",\"identity\":{\"name\":\"a\",\"group\":\"g\\nroot\",\"home\":\"/w\","
		       "\"shell\":\"/bin/sh\"}}",
		   "identity.group:", NULL);
	expect_err(HDR ",\"identity\":{\"name\":\"a\",\"group\":\"g\",\"home\":\"/w:0:0\","
		       "\"shell\":\"/bin/sh\"}}",
		   "identity.home: '/w:0:0' is not an absolute path", NULL);
	expect_err(HDR ",\"identity\":{\"name\":\"a\",\"group\":\"g\",\"home\":\"/w\"}}",
		   "identity.shell: '(missing)'", NULL);
	expect_err(HDR ",\"identity\":{\"shell\":\"/bin/sh\"}}", "identity.name: '(missing)'",
		   NULL);
	expect_err(HDR ",\"identity\":{\"name\":\"root\",\"group\":\"g\",\"home\":\"/w\","
		       "\"shell\":\"/bin/sh\"}}",
		   "identity.name: 'root'", NULL);
	expect_err(HDR ",\"process\":{\"env\":[{\"name\":\"1X\",\"value\":\"v\"}]}}",
		   "process.env[0]: '1X' is not a valid variable name", NULL);
}

Test(spec_json, failure_frees_partial_state)
{
	/* Deep into the decode (after mounts, env and rules were allocated). */
	const char *j = HDR ",\"mounts\":[{\"op\":\"bind\",\"source\":\"/a\",\"target\":\"/a\","
			    "\"origin\":\"o\"}],\"process\":{\"env\":[{\"name\":\"S\",\"value\":"
			    "\"secret\",\"secret\":true}]},\"security\":{\"seccomp\":{\"rules\":"
			    "[{\"syscall\":\"x\"}]},\"landlock\":{\"net_bind_ports\":[1]}},"
			    "\"limits\":{\"pids\":-1}}";
	struct ag3_error *e = parse_err_len(j, strlen(j), NULL);
	cr_assert(strstr(e->msg, "limits.pids"), "%s", e->msg);
	ag3_error_free(e); /* leaks, if any, are reported by the sanitizer build */

	/* reterr may be NULL. */
	struct ag3_spec *s = NULL;
	cr_assert_eq(ag3_spec_from_json(j, strlen(j), NULL, &s, NULL), -EINVAL);
	cr_assert_null(s);
}

/* ------------------------------------------------------------------------------------------ */
/* Output options and output errors                                                            */

Test(spec_json, redact_secrets)
{
	struct ag3_spec *s = full_spec();
	char *plain = to_json(s, 0);
	char *red = to_json(s, AG3_JSON_REDACT_SECRETS);
	char *red_pretty = to_json(s, AG3_JSON_REDACT_SECRETS | AG3_JSON_PRETTY);

	cr_assert(strstr(plain, "sk-very-secret"));
	cr_assert_null(strstr(red, "sk-very-secret"));
	cr_assert_null(strstr(red_pretty, "sk-very-secret"));
	cr_assert(strstr(red, "{\"name\":\"API_KEY\",\"value\":\"<redacted>\",\"secret\":true}"),
		  "%s", red);
	cr_assert(strstr(red, "{\"name\":\"PATH\",\"value\":\"/usr/bin:/bin\",\"secret\":false}"));
	/* The spec itself is untouched. */
	cr_assert_str_eq(s->process.env[1].value, "sk-very-secret");
	free(plain);
	free(red);
	free(red_pretty);
	ag3_spec_free(s);
}

Test(spec_json, to_json_refuses_unrepresentable)
{
	struct ag3_spec *s = ag3_spec_new();
	struct ag3_error *e = NULL;
	char *out = (char *)"untouched";

	cr_assert_eq(ag3_spec_set_env(s, "A", "ok", false), 0);
	cr_assert_eq(ag3_spec_set_env(s, "B", "bad \xff", false), 0);
	cr_assert_eq(ag3_spec_to_json(s, 0, &out, &e), -EINVAL);
	cr_assert_str_eq(out, "untouched");
	cr_assert_str_eq(e->msg, "process.env[1].value: not valid UTF-8");
	ag3_error_free(e);
	e = NULL;
	ag3_spec_free(s);

	s = ag3_spec_new();
	s->network.mode = (enum ag3_net_mode)7;
	cr_assert_eq(ag3_spec_to_json(s, 0, &out, &e), -EINVAL);
	cr_assert_str_eq(e->msg, "network.mode: invalid value 7");
	ag3_error_free(e);
	e = NULL;
	ag3_spec_free(s);

	s = ag3_spec_new();
	struct ag3_mount m = mnt(AG3_MOUNT_TMPFS, NULL, NULL);
	cr_assert_eq(ag3_spec_add_mount(s, &m), 0);
	cr_assert_eq(ag3_spec_to_json(s, 0, &out, &e), -EINVAL);
	cr_assert_str_eq(e->msg, "mounts[0].target: missing (NULL)");
	ag3_error_free(e);
	ag3_spec_free(s);
}
