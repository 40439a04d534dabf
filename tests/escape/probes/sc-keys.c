/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of the kernel keyring calls (keyctl, add_key,
 * request_key). Keyrings are not namespaced: a sandbox must not see or plant
 * keys. The calls use arguments the kernel rejects before touching any
 * keyring (an unknown keyctl operation: EOPNOTSUPP; a NULL key type: EFAULT),
 * so nothing is created even if the rule is gone, and the probe then prints
 * ESCAPED.
 */
#include <sys/syscall.h>

#include "probe.h"

static void p_keyctl(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_keyctl, 9999, 0, 0, 0, 0);
	expect_eperm(name, r, errno);
}

static void p_add_key(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_add_key, NULL, "ag3-probe", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */);
	expect_eperm(name, r, errno);
}

static void p_request_key(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_request_key, NULL, "ag3-probe", NULL, 0);
	expect_eperm(name, r, errno);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"keyctl", p_keyctl},
		{"add_key", p_add_key},
		{"request_key", p_request_key},
	};
	return RUN_VARIANTS(tab);
}
