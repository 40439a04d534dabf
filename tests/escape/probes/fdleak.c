/* SPDX-License-Identifier: MIT */
/*
 * Checks: README step 4, "every fd but 0, 1 and 2 closed (close_range)". The
 * test runs this probe with extra host fds open in the caller (a directory
 * and files); an fd that leaked into the sandbox would reach the host's
 * filesystem from outside the new root. Lists /proc/self/fd and reports any
 * fd other than 0, 1, 2 and the listing's own directory fd, with its target.
 */
#include <dirent.h>
#include <fcntl.h>

#include "probe.h"

int main(int argc, char **argv)
{
	const char *name = "fd-leak";
	alarm(60);
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		probe_error(name, "opendir /proc/self/fd: %s", ename(errno));
	int self = dirfd(d), n = 0;
	struct dirent *e;
	char leaks[1024] = "";
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd == self)
			continue;
		n++;
		if (fd <= 2)
			continue;
		char path[64], target[256] = "?";
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t l = readlink(path, target, sizeof(target) - 1);
		if (l >= 0)
			target[l] = 0;
		size_t len = strlen(leaks);
		snprintf(leaks + len, sizeof(leaks) - len, "%s%d -> %s", len ? ", " : "", fd,
			 target);
	}
	closedir(d);
	if (leaks[0])
		escaped(name, "leaked fds: %s", leaks);
	blocked(name, "only fds 0, 1, 2 are open (%d)", n);
}
