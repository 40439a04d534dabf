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
	/* A second filter, loaded after the first, or NULL/0: the profile's own
	 * rules when they are stacked on the precompiled default filter. */
	struct sock_filter *extra_insns;
	size_t n_extra_insns;
};

/*
 * The spec's filter as BPF. With seccomp disabled, *ret is left empty (0 insns).
 * A spec that asks for exactly the defaults (the built-in list, EPERM, no
 * rules) gets the table precompiled at build time. A spec with the default
 * settings plus rules of its own that deny (errno, kill, log) calls the default
 * list has no rule for gets the precompiled table plus a small second filter
 * holding only those rules (filters stack, and on calls only one of them
 * decides, the result is the single filter's). Any other is compiled whole.
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

/* Loads a compiled filter (both programs) into the calling thread (no_new_privs
 * must be set). -errno; on a failure of the second, the first may be loaded: the
 * caller must not run the command. */
int ag3_seccomp_load(const struct ag3_seccomp_prog *prog);

void ag3_seccomp_prog_clear(struct ag3_seccomp_prog *prog);

/* The names in the built-in deny list, NULL-terminated (for docs and tests). */
extern const char *const ag3_seccomp_default_names[];
