/* SPDX-License-Identifier: MIT */
#include "runtime/util/fds.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>

#include "runtime/util/cleanup.h"

/*
 * close_range's fallback (kernels before 5.9). The directory is read by fd number, so acting on an fd while reading is safe.
 */
int ag3_fds_walk(const int *keep, size_t n_keep, bool close_them)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	struct dirent *e;
	int r = 0;
	while (r == 0 && (e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		if (*end || e->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
			continue;
		bool kept = false;
		for (size_t i = 0; i < n_keep; i++)
			kept |= fd == keep[i];
		if (kept)
			continue;
		if (close_them)
			close((int)fd);
		else if (fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
			r = -errno;
	}
	closedir(d);
	return r;
}

/* close_range over the gaps between the sorted fds kept (see fds.h). */
int ag3_fds_close_except(const int *keep, size_t n_keep)
{
	int k[8];
	size_t n = 0;
	for (size_t i = 0; i < n_keep && n < ELEMENTSOF(k); i++)
		if (keep[i] >= 3)
			k[n++] = keep[i];
	for (size_t i = 1; i < n; i++) /* sort: n is tiny */
		for (size_t j = i; j > 0 && k[j - 1] > k[j]; j--) {
			int t = k[j];
			k[j] = k[j - 1];
			k[j - 1] = t;
		}
	unsigned lo = 3;
	bool ok = true;
	for (size_t i = 0; i <= n && ok; i++) {
		unsigned hi = i < n ? (unsigned)k[i] : ~0U;
		if (hi > lo && syscall(SYS_close_range, lo, hi - 1, 0U) < 0)
			ok = false;
		if (i < n)
			lo = (unsigned)k[i] + 1;
	}
	return ok ? 0 : ag3_fds_walk(k, n, true);
}
