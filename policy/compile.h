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
