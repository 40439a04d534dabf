/* SPDX-License-Identifier: MIT */
#include "runtime/plan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>

#include "runtime/landlock.h"
#include "runtime/util/cleanup.h"

/* CAP_SYS_ADMIN and the id capabilities, effective, in this process's user namespace. */
static bool has_admin_caps(void)
{
	cap_t c = cap_get_proc();
	if (!c)
		return false;
	bool ok = true;
	const cap_value_t need[] = {CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID, CAP_SETPCAP};
	for (size_t i = 0; i < ELEMENTSOF(need); i++) {
		cap_flag_value_t v = CAP_CLEAR;
		cap_get_flag(c, need[i], CAP_EFFECTIVE, &v);
		ok = ok && v == CAP_SET;
	}
	cap_free(c);
	return ok;
}

void ag3_host_probe(struct ag3_host *h)
{
	h->caps_in_userns = has_admin_caps();
	/* Privileged: root with those capabilities. */
	h->privileged = geteuid() == 0 && h->caps_in_userns;
	h->euid = geteuid();
	h->egid = getegid();
	h->ruid = getuid();
	h->rgid = getgid();
	h->landlock_abi = ag3_landlock_abi();
	ag3_cgroup_detect(&h->cgroup);
}

int ag3_plan_make(const struct ag3_spec *spec, const struct ag3_host *host, struct ag3_plan *plan,
		  struct ag3_result *res)
{
	struct ag3_plan ctx = {.privileged = host->privileged};
	/* A joined user namespace (bwrap's --userns): the ids the caller has there,
	 * with every capability in it, are root mode's kind without uid 0. */
	if (spec->namespaces.joined_user) {
		if (!host->caps_in_userns) {
			ag3_result_setup_failed(
				res, EPERM, "namespaces", NULL,
				"namespaces: the joined user namespace gave this process no "
				"CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID and CAP_SETPCAP there");
			return 1;
		}
		ctx.privileged = true;
	}
	switch (spec->namespaces.user) {
	case AG3_USERNS_ALWAYS:
		ctx.userns = true;
		break;
	case AG3_USERNS_NEVER:
		if (!ctx.privileged) {
			ag3_result_setup_failed(
				res, EPERM, "namespaces", NULL,
				"namespaces: user_namespace is 'never' but this process is not "
				"privileged (root mode needs root with CAP_SYS_ADMIN)");
			return 1;
		}
		ctx.userns = false;
		break;
	default:
		/* minimum_isolation.user_namespace: a user namespace even in root mode. */
		ctx.userns = !ctx.privileged || spec->security.minimum.userns;
		break;
	}
	if (spec->namespaces.user == AG3_USERNS_NEVER && spec->security.minimum.userns) {
		ag3_result_setup_failed(
			res, EINVAL, "namespaces", NULL,
			"namespaces: user_namespace is 'never' but minimum_isolation requires one");
		return 1;
	}

	/* Landlock: refuse below the required ABI, otherwise record a downgrade. */
	if (spec->security.landlock.enabled) {
		int abi = host->landlock_abi;
		unsigned need = spec->security.minimum.landlock_abi;
		if (need && (unsigned)abi < need) {
			char text[160];
			snprintf(
				text, sizeof(text),
				"landlock: minimum_isolation requires landlock ABI %u, this kernel "
				"has %d",
				need, abi);
			ag3_result_setup_failed(res, ENOTSUP, "landlock", NULL, text);
			return 1;
		}
		if (abi == 0)
			ag3_result_add_degraded(res, "landlock: not available on this kernel");
		ctx.landlock_abi = abi;
		if (abi > 0 && abi < 4 &&
		    (spec->security.landlock.n_net_bind_ports ||
		     spec->security.landlock.n_net_connect_ports))
			ag3_result_add_degraded(res, "landlock: TCP port rules need ABI 4");
	} else if (spec->security.minimum.landlock_abi) {
		ag3_result_setup_failed(
			res, EINVAL, "landlock", NULL,
			"landlock: the profile turns landlock off but its minimum_isolation "
			"requires it");
		return 1;
	}
	if (spec->security.root_command) {
		/* bwrap's root mode: the command keeps what its caller has, so only a caller
		 * that is root, really (not a setuid binary's effective root), may ask. In
		 * a user namespace (root mode's kind), uid 0 is mapped to itself. */
		const char *why = NULL;
		if (!ctx.privileged || host->euid != 0 || host->ruid != 0 || host->rgid != 0)
			why = "the caller is not root (real and effective uid 0 with "
			      "CAP_SYS_ADMIN)";
		else if ((spec->identity.uid_set && spec->identity.uid != 0) ||
			 (spec->identity.gid_set && spec->identity.gid != 0) ||
			 spec->identity.n_groups)
			why = "its ids are uid 0, gid 0 and the caller's groups";
		if (why) {
			char text[200];
			snprintf(text, sizeof(text), "identity: a root command is refused: %s",
				 why);
			ag3_result_setup_failed(res, EPERM, "identity", NULL, text);
			return 1;
		}
		ctx.root_command = true;
		ctx.uid = 0;
		ctx.gid = 0;
	} else if (spec->security.caps_keep) {
		ag3_result_setup_failed(
			res, ENOTSUP, "capabilities", NULL,
			"capabilities: keeping capabilities (caps_keep) is not supported");
		return 1;
	} else {
		ctx.uid = spec->identity.uid_set ? spec->identity.uid
			  : ctx.privileged       ? 65534
						 : host->euid;
		ctx.gid = spec->identity.gid_set ? spec->identity.gid
			  : ctx.privileged       ? 65534
						 : host->egid;
	}
	if (!ctx.root_command && (ctx.uid == 0 || ctx.gid == 0)) {
		ag3_result_setup_failed(
			res, EPERM, "identity", NULL,
			"identity: the command would run as uid or gid 0; pass --uid/--gid");
		return 1;
	}
	if (!spec->security.seccomp.enabled && spec->security.minimum.seccomp) {
		ag3_result_setup_failed(
			res, EPERM, "seccomp", NULL,
			"seccomp: the profile turns seccomp off but its minimum_isolation "
			"requires it");
		return 1;
	}
	/* In a joined user namespace, setgroups may be denied (its creator's choice)
	 * and the caller's groups are not the namespace's to give away. */
	ctx.can_setgroups = ctx.privileged && !ctx.root_command && !spec->namespaces.joined_user;
	if (!ctx.can_setgroups && spec->identity.n_groups) {
		ag3_result_setup_failed(res, EPERM, "identity", NULL,
					"identity: supplementary groups need root mode");
		return 1;
	}
	if (ctx.userns && spec->identity.n_groups) {
		ag3_result_setup_failed(
			res, ENOTSUP, "identity", NULL,
			"identity: supplementary groups cannot be mapped into a user namespace");
		return 1;
	}
	*plan = ctx;
	return 0;
}
