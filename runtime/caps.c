/* SPDX-License-Identifier: MIT */
#include "caps.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/vfs.h>

#include "runtime/util/cleanup.h"

static void cap_freep(cap_t *c)
{
	if (*c)
		cap_free(*c);
}

int ag3_caps_drop_bounding(uint64_t keep, bool read_back, struct ag3_error **reterr)
{
	/* Drop without reading first: one prctl per capability the kernel knows. */
	cap_value_t last = cap_max_bits();
	for (cap_value_t c = 0; c < last; c++)
		if (!(c < 64 && (keep >> c & 1)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
		    errno != EINVAL)
			return ag3_error_set_stage(
				reterr, errno, "capabilities", NULL,
				"capabilities: dropping %s from the bounding set: %m",
				cap_to_name(c));
	/* A root command (read_back) never reaches ag3_caps_clear_all, which reads the
	 * set back for everything else: read it here, one capability at a time (no
	 * /proc to trust yet), and fail closed on anything left that it must not keep
	 * (--cap-drop ALL keeps none) or on a read that fails. */
	for (cap_value_t c = 0; read_back && c < last; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0 && errno != EINVAL)
			return ag3_error_set_stage(
				reterr, errno, "capabilities", NULL,
				"capabilities: reading %s in the bounding set: %m", cap_to_name(c));
		if (r > 0 && !(c < 64 && (keep >> c & 1)))
			return ag3_error_set_stage(
				reterr, EPERM, "capabilities", NULL,
				"capabilities: %s is still in the bounding set after the drop",
				cap_to_name(c));
	}
	if (!keep && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return ag3_error_set_stage(reterr, errno, "capabilities", NULL,
					   "capabilities: clearing the ambient set: %m");
	return 0;
}

/* The bounding and ambient sets from /proc/self/status; -errno when unreadable,
 * or when what is there is not procfs's (a file mounted over it by the sandbox's
 * own mounts: the check must not read what the spec or a bwrap argv put there). */
static int read_status_sets(uint64_t *bnd, uint64_t *amb)
{
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		return -EPERM;
	}
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	char *b = strstr(buf, "\nCapBnd:\t"), *a = strstr(buf, "\nCapAmb:\t");
	if (!b || !a)
		return -EIO;
	*bnd = strtoull(b + 9, NULL, 16);
	*amb = strtoull(a + 9, NULL, 16);
	return 0;
}

int ag3_caps_clear_all(struct ag3_error **reterr)
{
	_cleanup_(cap_freep) cap_t empty = cap_init();
	if (!empty)
		return ag3_error_set(reterr, ENOMEM, "capabilities: out of memory");
	if (cap_set_proc(empty) < 0)
		return ag3_error_set_stage(reterr, errno, "capabilities", NULL,
					   "capabilities: clearing the process sets: %m");
	/* Verify rather than trust: every set must now be empty. */
	_cleanup_(cap_freep) cap_t now = cap_get_proc();
	if (!now)
		return ag3_error_set_stage(reterr, errno, "capabilities", NULL,
					   "capabilities: reading back: %m");
	cap_value_t last = cap_max_bits();
	for (cap_value_t c = 0; c < last; c++) {
		cap_flag_value_t e = CAP_CLEAR, p = CAP_CLEAR, i = CAP_CLEAR;
		cap_get_flag(now, c, CAP_EFFECTIVE, &e);
		cap_get_flag(now, c, CAP_PERMITTED, &p);
		cap_get_flag(now, c, CAP_INHERITABLE, &i);
		if (e || p || i)
			return ag3_error_set_stage(reterr, EPERM, "capabilities", NULL,
						   "capabilities: %s is still set after the drop",
						   cap_to_name(c));
	}
	/* The bounding and ambient sets: one read of /proc/self/status where a proc is
	 * mounted, one prctl per capability otherwise. */
	uint64_t bnd = 0, amb = 0;
	if (read_status_sets(&bnd, &amb) < 0) {
		for (cap_value_t c = 0; c < last; c++) {
			if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) > 0)
				bnd |= 1ULL << c;
			if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) > 0)
				amb |= 1ULL << c;
		}
	}
	if (bnd || amb)
		return ag3_error_set_stage(reterr, EPERM, "capabilities", NULL,
					   "capabilities: the %s set is not empty after the drop "
					   "(%#llx)",
					   bnd ? "bounding" : "ambient",
					   (unsigned long long)(bnd ? bnd : amb));
	return 0;
}
