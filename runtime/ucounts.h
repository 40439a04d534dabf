/* SPDX-License-Identifier: MIT */
/* The sandbox's share of the kernel's per-user pools (see ucounts.c). */
#pragma once

#include <stdbool.h>

#include "runtime/spec.h"
#include "runtime/util/error.h"

/* A sandbox's user namespace gets at most 1/AG3_UCOUNTS_SHARE of the host's
 * per-user inotify and fanotify limits (e.g. 32 of 128 inotify instances). */
#define AG3_UCOUNTS_SHARE 4

/*
 * Lowers the per-user-namespace limits of the caller's user namespace, which
 * must be the sandbox's own (never the initial one: there they are global):
 * inotify/fanotify to a share of the host's, namespaces to 0 when seccomp
 * denies making them anyway (for a session's sandbox: pid and ipc namespaces to
 * AG3_SESSION_MAX_COMMANDS, one each per running command). Needs CAP_SYS_RESOURCE in that namespace and a
 * pid namespace of its own (it makes a detached proc). 0 or -errno.
 */
int ag3_ucounts_bound(const struct ag3_spec *spec, bool session, struct ag3_error **reterr);

/* The commands a session runs at once, at most (each has its own pid and ipc
 * namespace, which `session` lets the sandbox's user namespace hold). */
#define AG3_SESSION_MAX_COMMANDS 256
