/* SPDX-License-Identifier: MIT */
/*
 * Checks: the generated /etc/passwd and /etc/group (README "What a sandbox is",
 * the command's user) are the runtime's read-only files: the command can
 * neither write them (open for writing, through /proc/self/fd too, truncate,
 * chmod), nor move, remove, unmount or remount them, nor replace /etc/passwd
 * by renaming another file over it; and they list only root, nobody/nogroup
 * and the command's own ids, nothing of the host's user list.
 * If an attack succeeded it would change only the sandbox's own tmpfs file or
 * mount (nothing on the host); the probe then prints ESCAPED.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "probe.h"

static const char *const files[] = {"/etc/passwd", "/etc/group"};

static void p_write(const char *name, int argc, char **argv)
{
	for (size_t i = 0; i < 2; i++) {
		const char *f = files[i];
		int fd = open(f, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (fd >= 0)
			escaped(name, "%s opened for writing", f);
		if (open(f, O_RDWR | O_CLOEXEC) >= 0)
			escaped(name, "%s opened read-write", f);
		int rfd = open(f, O_RDONLY | O_CLOEXEC);
		if (rfd < 0)
			probe_error(name, "open %s: %s", f, ename(errno));
		char via[64];
		snprintf(via, sizeof(via), "/proc/self/fd/%d", rfd);
		if (open(via, O_WRONLY | O_CLOEXEC) >= 0)
			escaped(name, "%s reopened for writing through %s", f, via);
		if (ftruncate(rfd, 0) == 0)
			escaped(name, "%s truncated", f);
		close(rfd);
		if (truncate(f, 0) == 0)
			escaped(name, "%s truncated by path", f);
		if (chmod(f, 0666) == 0)
			escaped(name, "chmod 0666 of %s succeeded", f);
	}
	blocked(name, "neither file can be written, truncated or chmodded (%s)", ename(errno));
}

static void p_replace(const char *name, int argc, char **argv)
{
	/* a file of ours to move over it, in the writable workspace */
	const char *mine = "/workspace/etcfiles-mine";
	int fd = open(mine, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		probe_error(name, "creating %s: %s", mine, ename(errno));
	if (write(fd, "x:x:0:0::/:/bin/sh\n", 19) != 19)
		probe_error(name, "writing %s: %s", mine, ename(errno));
	close(fd);
	for (size_t i = 0; i < 2; i++) {
		const char *f = files[i];
		char moved[64];
		snprintf(moved, sizeof(moved), "%s-moved", f);
		if (rename(f, moved) == 0)
			escaped(name, "%s renamed to %s", f, moved);
		if (rename(mine, f) == 0)
			escaped(name, "a file renamed over %s", f);
		if (unlink(f) == 0)
			escaped(name, "%s removed", f);
		if (syscall(SYS_umount2, f, MNT_DETACH) == 0)
			escaped(name, "%s unmounted", f);
		if (syscall(SYS_mount, NULL, f, NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
			escaped(name, "%s remounted read-write", f);
		if (syscall(SYS_mount, NULL, "/etc", NULL, MS_REMOUNT | MS_BIND, NULL) == 0)
			escaped(name, "/etc remounted read-write");
	}
	unlink(mine);
	blocked(name, "neither file can be moved, replaced, removed, unmounted or remounted");
}

/* Every line's id (the third field) is 0, 65534 or the command's own. */
static void p_own(const char *name, int argc, char **argv)
{
	const unsigned ids[2] = {(unsigned)getuid(), (unsigned)getgid()};
	size_t total = 0;
	for (size_t i = 0; i < 2; i++) {
		FILE *fp = fopen(files[i], "re");
		if (!fp)
			probe_error(name, "open %s: %s", files[i], ename(errno));
		char line[4096];
		size_t n = 0;
		while (fgets(line, sizeof(line), fp)) {
			char *p = line;
			for (int k = 0; k < 2 && p; k++)
				p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL;
			if (!p)
				escaped(name, "%s holds a line that is not an entry: %s", files[i],
					line);
			unsigned id = (unsigned)strtoul(p, NULL, 10);
			if (id != 0 && id != 65534 && id != ids[i])
				escaped(name, "%s lists id %u, not the command's: %s", files[i], id,
					line);
			n++;
		}
		fclose(fp);
		if (n > 3)
			escaped(name, "%s holds %zu entries (at most root, nobody and the user)",
				files[i], n);
		total += n;
	}
	blocked(name, "%zu entries, only root, nobody/nogroup and uid %u/gid %u", total, ids[0],
		ids[1]);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"etc-passwd-write", p_write},
		{"etc-passwd-replace", p_replace},
		{"etc-passwd-own-users", p_own},
	};
	return RUN_VARIANTS(tab);
}
