/* SPDX-License-Identifier: MIT */
/*
 * No precompiled default filter: linked only into tools/gen-seccomp-default,
 * the build-time program that generates the real table (every other build uses
 * the generated seccomp_default.c).
 */
#include "runtime/seccomp.h"

const struct sock_filter ag3_seccomp_default_insns[1];
const size_t ag3_seccomp_default_n = 0;
