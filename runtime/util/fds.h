/* SPDX-License-Identifier: MIT */
/* Closing every fd of a process but a few: close_range, or /proc/self/fd before 5.9. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Every fd above 2 that /proc/self/fd lists, but those in `keep`, closed
 * (close_them) or marked close-on-exec. 0 or -errno.
 */
int ag3_fds_walk(const int *keep, size_t n_keep, bool close_them);
/*
 * Closes every fd above 2 but those in `keep` (at most 8 of them count; others,
 * and -1 or 0-2, are ignored): close_range over the gaps, the walk above when
 * the kernel has no close_range. 0 or -errno.
 */
int ag3_fds_close_except(const int *keep, size_t n_keep);
