/* SPDX-License-Identifier: MIT */
/*
 * The plan (runtime/plan.c): spec + host -> namespaces, ids, landlock ABI,
 * refusals and downgrades. Pure, so every host is a struct here.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "runtime/plan.h"

static const struct ag3_host root_host = {
	.privileged = true, .euid = 0, .egid = 0, .landlock_abi = 7};
static const struct ag3_host user_host = {
	.euid = 1001, .egid = 1002, .ruid = 1001, .rgid = 1002, .landlock_abi = 7};

static struct ag3_spec *spec_new(void)
{
	struct ag3_spec *s = ag3_spec_new();
	cr_assert_not_null(s);
	s->security.landlock.enabled = true;
	return s;
}

/* Refused: status setup_failed, the errno and stage, and words of the message. */
static void refused(const struct ag3_spec *s, const struct ag3_host *h, int err, const char *stage,
		    const char *words)
{
	struct ag3_result res = {0};
	struct ag3_plan plan;
	cr_assert_eq(ag3_plan_make(s, h, &plan, &res), 1);
	cr_assert_eq(res.status, AG3_STATUS_SETUP_FAILED);
	cr_assert_eq(res.setup_error->err, err);
	cr_assert_str_eq(res.setup_error->stage, stage);
	cr_assert_not_null(strstr(res.setup_error->msg, words), "%s", res.setup_error->msg);
	ag3_result_clear(&res);
}

static struct ag3_plan planned(const struct ag3_spec *s, const struct ag3_host *h,
			       struct ag3_result *res)
{
	struct ag3_plan plan;
	cr_assert_eq(ag3_plan_make(s, h, &plan, res), 0);
	return plan;
}

Test(plan, root_and_rootless_defaults)
{
	struct ag3_spec *s = spec_new();
	struct ag3_result res = {0};
	struct ag3_plan p = planned(s, &root_host, &res);
	cr_assert(p.privileged && !p.userns && p.can_setgroups);
	cr_assert_eq(p.uid, 65534u);
	cr_assert_eq(p.landlock_abi, 7);
	p = planned(s, &user_host, &res);
	cr_assert(!p.privileged && p.userns && !p.can_setgroups);
	cr_assert_eq(p.uid, 1001u);
	cr_assert_eq(p.gid, 1002u);
	cr_assert_eq(res.enforcement.n_degraded, 0u);
	s->security.minimum.userns = true;
	p = planned(s, &root_host, &res);
	cr_assert(p.userns, "minimum_isolation.user_namespace: one even in root mode");
	ag3_spec_free(s);
}

Test(plan, refusals)
{
	struct ag3_spec *s = spec_new();
	s->namespaces.user = AG3_USERNS_NEVER;
	refused(s, &user_host, EPERM, "namespaces", "not privileged");
	s->security.minimum.userns = true;
	refused(s, &root_host, EINVAL, "namespaces", "requires one");
	s->namespaces.user = AG3_USERNS_AUTO;
	s->security.minimum.userns = false;

	s->security.minimum.landlock_abi = 8;
	refused(s, &root_host, ENOTSUP, "landlock", "ABI 8, this kernel has 7");
	s->security.landlock.enabled = false;
	refused(s, &root_host, EINVAL, "landlock", "turns landlock off");
	s->security.landlock.enabled = true;
	s->security.minimum.landlock_abi = 0;

	s->security.caps_keep = 1;
	refused(s, &root_host, ENOTSUP, "capabilities", "caps_keep");
	s->security.caps_keep = 0;

	s->identity.uid_set = true;
	s->identity.uid = 0;
	refused(s, &root_host, EPERM, "identity", "uid or gid 0");
	s->identity.uid_set = false;
	struct ag3_host root_euid = user_host;
	root_euid.euid = 0; /* root without the capabilities: rootless, as uid 0 */
	refused(s, &root_euid, EPERM, "identity", "uid or gid 0");

	s->security.seccomp.enabled = false;
	s->security.minimum.seccomp = true;
	refused(s, &root_host, EPERM, "seccomp", "turns seccomp off");
	s->security.seccomp.enabled = true;

	gid_t g = 100;
	s->identity.groups = &g;
	s->identity.n_groups = 1;
	refused(s, &user_host, EPERM, "identity", "need root mode");
	s->security.minimum.userns = true;
	refused(s, &root_host, ENOTSUP, "identity", "cannot be mapped");
	s->identity.groups = NULL;
	s->identity.n_groups = 0;
	ag3_spec_free(s);
}

/* bwrap's root mode: uid 0 with the kept capabilities, for a root caller only. */
Test(plan, root_command)
{
	struct ag3_spec *s = spec_new();
	s->security.root_command = true;
	s->security.caps_keep = 1u << 5; /* CAP_KILL */
	struct ag3_result res = {0};
	struct ag3_plan p = planned(s, &root_host, &res);
	cr_assert(p.root_command && !p.userns && !p.can_setgroups);
	cr_assert_eq(p.uid, 0u);
	cr_assert_eq(p.gid, 0u);
	s->namespaces.user = AG3_USERNS_ALWAYS; /* --unshare-user: 0 mapped to 0 */
	p = planned(s, &root_host, &res);
	cr_assert(p.root_command && p.userns);
	s->namespaces.user = AG3_USERNS_AUTO;

	refused(s, &user_host, EPERM, "identity", "the caller is not root");
	struct ag3_host setuid_root = root_host;
	setuid_root.ruid = 1000; /* a setuid binary's effective root */
	refused(s, &setuid_root, EPERM, "identity", "the caller is not root");
	setuid_root = root_host;
	setuid_root.rgid = 1000;
	refused(s, &setuid_root, EPERM, "identity", "the caller is not root");
	struct ag3_host no_caps = root_host;
	no_caps.privileged = false;
	refused(s, &no_caps, EPERM, "identity", "the caller is not root");
	gid_t g = 100;
	s->identity.groups = &g;
	s->identity.n_groups = 1;
	refused(s, &root_host, EPERM, "identity", "uid 0, gid 0");
	s->identity.groups = NULL;
	s->identity.n_groups = 0;
	ag3_result_clear(&res);
	ag3_spec_free(s);
}

Test(plan, downgrades_are_recorded)
{
	struct ag3_spec *s = spec_new();
	struct ag3_host old = root_host;
	old.landlock_abi = 0;
	struct ag3_result res = {0};
	struct ag3_plan p = planned(s, &old, &res);
	cr_assert_eq(p.landlock_abi, 0);
	cr_assert_eq(res.enforcement.n_degraded, 1u);
	cr_assert_str_eq(res.enforcement.degraded[0], "landlock: not available on this kernel");
	ag3_result_clear(&res);

	old.landlock_abi = 3;
	uint16_t port = 443;
	s->security.landlock.net_connect_ports = &port;
	s->security.landlock.n_net_connect_ports = 1;
	s->network.mode = AG3_NET_ALLOWLIST;
	p = planned(s, &old, &res);
	cr_assert_eq(p.landlock_abi, 3);
	/* Allowlist mode is enforced (its relay): no downgrade of its own any more. */
	cr_assert_eq(res.enforcement.n_degraded, 1u);
	cr_assert_not_null(strstr(res.enforcement.degraded[0], "need ABI 4"));
	s->security.landlock.net_connect_ports = NULL;
	s->security.landlock.n_net_connect_ports = 0;
	ag3_result_clear(&res);
	ag3_spec_free(s);
}
