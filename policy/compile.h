/* SPDX-License-Identifier: MIT */
/*
 * The compiler: profile + session (+ external mounts, dynamic mount requests)
 * -> spec. Deterministic: the same inputs on the same host give a
 * byte-identical spec.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy/profile.h"
#include "policy/vars.h"
#include "runtime/spec.h"

struct ag3_mounts_config;
struct ag3_dyn_request;
struct ag3_uid_policy;

struct ag3_compile_options {
	/*
	 * Host paths (mount sources, /lib64) are looked up beneath this directory
	 * instead of "/": their existence and the merged-/usr symlinks. The spec
	 * still names them as written, unless prefix_sources is set. NULL or "/"
	 * = the real root. For tests, and for compiling against another machine's
	 * file-system layout.
	 */
	const char *host_root;
	/*
	 * Also prefix every bind source in the spec with host_root (the CLI's
	 * --host-root: a testing/staging aid, so that the sandbox really binds a
	 * layout built beneath a directory). Targets are unchanged.
	 */
	bool prefix_sources;
	/* External mounts (external-mounts.yaml); NULL = none. */
	const struct ag3_mounts_config *mounts;
	/* Dynamic mount requests (--dynamic), validated against `mounts`. */
	const struct ag3_dyn_request *dynamic;
	size_t n_dynamic;
	/* The uid/gid policy for explicitly given ids; NULL = the default (isolated). */
	const struct ag3_uid_policy *uid_policy;
};

/* profile + vars -> spec. opts NULL: no external mounts, the default uid policy. */
int ag3_compile_ex(const struct ag3_profile *profile, const struct ag3_vars *vars,
		   const struct ag3_compile_options *opts, struct ag3_spec **ret,
		   struct ag3_error **reterr);
