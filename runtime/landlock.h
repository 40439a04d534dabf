/* SPDX-License-Identifier: MIT */
/*
 * Landlock, as defense in depth under the mount namespace: the command may
 * reach exactly what the spec's mount list grants (read-only where a mount is
 * read-only, writes only where it is read-write), TCP bind/connect only on
 * the spec's ports when it lists any (ABI >= 4), and (ABI >= 6) no signals or
 * abstract unix sockets outside its own domain.
 */
#pragma once

#include "runtime/spec.h"

/* The kernel's landlock ABI version; 0 when landlock is unavailable. */
int ag3_landlock_abi(void);

/*
 * Restricts the calling thread (after pivot_root, with no_new_privs set).
 * `abi` is from ag3_landlock_abi() and > 0. 0 or -errno with a message.
 */
int ag3_landlock_apply(const struct ag3_spec *spec, int abi, struct ag3_error **reterr);

/* The two halves of ag3_landlock_apply: the ruleset with every rule (paths are
 * resolved now, as the caller; an O_CLOEXEC fd), and restricting the caller
 * with it (no_new_privs must be set). A session's spare command init prepares
 * ahead of its request; the command restricts itself. */
int ag3_landlock_prepare(const struct ag3_spec *spec, int abi, int *ret_fd,
			 struct ag3_error **reterr);
int ag3_landlock_restrict(int ruleset, struct ag3_error **reterr);
