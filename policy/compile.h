/* SPDX-License-Identifier: MIT */
/*
 * The compiler: profile + session -> spec. Deterministic: the same inputs on
 * the same host give a byte-identical spec.
 */
#pragma once

#include "policy/profile.h"
#include "policy/session.h"
#include "runtime/spec.h"

int ag3_compile(const struct ag3_profile *profile, const struct ag3_session *session,
		struct ag3_spec **ret, struct ag3_error **reterr);

struct ag3_compile_options {
	/*
	 * Host paths (mount sources, /lib64) are looked up beneath this directory
	 * instead of "/": their existence and the merged-/usr symlinks. The spec
	 * still names them as written. NULL or "/" = the real root. For tests,
	 * and for compiling against another machine's file-system layout.
	 */
	const char *host_root;
};

/* ag3_compile with options (opts may be NULL). */
int ag3_compile_ex(const struct ag3_profile *profile, const struct ag3_session *session,
		   const struct ag3_compile_options *opts, struct ag3_spec **ret,
		   struct ag3_error **reterr);
