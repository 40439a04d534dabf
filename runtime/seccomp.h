/* SPDX-License-Identifier: MIT */
/*
 * Seccomp: the built-in deny list plus the profile's rules, compiled once by
 * the supervisor (libseccomp, every arch the kernel runs: on x86_64 also i386
 * and x32) to BPF, and loaded last in the command, just before execve.
 */
#pragma once

#include <linux/filter.h>
#include <stddef.h>
#include <stdio.h>

#include "runtime/spec.h"

struct ag3_seccomp_prog {
	struct sock_filter *insns;
	size_t n_insns;
};

/*
 * The spec's filter as BPF. With seccomp disabled, *ret is left empty (0 insns).
 * A spec that asks for exactly the defaults (the built-in list, EPERM, no
 * rules) gets the table precompiled at build time; any other is compiled.
 */
int ag3_seccomp_compile(const struct ag3_spec *spec, struct ag3_seccomp_prog *ret,
			struct ag3_error **reterr);
/* Always compiles with libseccomp (the build-time generator and the tests use it). */
int ag3_seccomp_compile_fresh(const struct ag3_spec *spec, struct ag3_seccomp_prog *ret,
			      struct ag3_error **reterr);
/* Whether the filter denies making namespaces (the default list is on and the
 * profile allows none of unshare, clone, clone3, setns). */
bool ag3_seccomp_denies_namespaces(const struct ag3_spec *spec);
/* Whether the spec's seccomp settings are exactly the defaults. */
bool ag3_seccomp_is_default(const struct ag3_spec *spec);

/* The default filter, compiled at build time (n = 0 in the generator itself). */
extern const struct sock_filter ag3_seccomp_default_insns[];
extern const size_t ag3_seccomp_default_n;

/* Writes libseccomp's pseudo filter code (a readable dump of the filter) to `f`. */
int ag3_seccomp_dump(const struct ag3_spec *spec, FILE *f, struct ag3_error **reterr);

/* Loads a compiled filter into the calling thread (no_new_privs must be set). -errno. */
int ag3_seccomp_load(const struct ag3_seccomp_prog *prog);

void ag3_seccomp_prog_clear(struct ag3_seccomp_prog *prog);

/* The names in the built-in deny list, NULL-terminated (for docs and tests). */
extern const char *const ag3_seccomp_default_names[];
