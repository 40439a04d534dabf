/* SPDX-License-Identifier: MIT */
/*
 * Checks: the "shocker" attack. A file handle (name_to_handle_at) names an
 * inode on the host filesystem independently of the mount it was reached
 * through; open_by_handle_at with a guessed handle can open any file of that
 * filesystem, beyond the bind mount's root. It must fail: seccomp denies
 * open_by_handle_at and the command has no CAP_DAC_READ_SEARCH.
 * The probe takes the handle of /etc/passwd (which it may read anyway) and
 * only checks whether the handle opens; it reads nothing.
 */
#include <fcntl.h>
#include <sys/syscall.h>

#include "probe.h"

int main(int argc, char **argv)
{
	const char *name = "open-by-handle";
	struct {
		struct file_handle fh;
		unsigned char buf[MAX_HANDLE_SZ];
	} h;
	int mount_id;
	alarm(60);
	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(AT_FDCWD, "/etc/passwd", &h.fh, &mount_id, 0) < 0) {
		if (errno == EOPNOTSUPP)
			skip(name, "the filesystem of /etc has no file handles");
		/* Not being able to name a handle closes the door as well. */
		blocked(name, "name_to_handle_at: %s", ename(errno));
	}
	int mfd = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		probe_error(name, "open /etc: %s", ename(errno));
	long fd = syscall(SYS_open_by_handle_at, mfd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close((int)fd);
		escaped(name, "open_by_handle_at opened /etc/passwd's handle");
	}
	int e = errno;
	long fd2 = syscall(SYS_open_by_handle_at, mfd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd2 >= 0) {
		close((int)fd2);
		escaped(name, "open_by_handle_at(O_PATH) opened /etc/passwd's handle");
	}
	blocked(name, "open_by_handle_at: %s, with O_PATH: %s", ename(e), ename(errno));
}
