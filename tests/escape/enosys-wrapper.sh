#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The runtime as on an older kernel: openat2, mount_setattr, clone3,
# landlock_create_ruleset and close_range all fail with ENOSYS. The escape
# suite run through this must still pass (fallbacks) or see refusals.
exec "${AG3_ENOSYS:?}" openat2,mount_setattr,clone3,landlock_create_ruleset,close_range -- \
	"${AG3_REAL:?}" "$@"
