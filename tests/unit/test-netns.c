/* SPDX-License-Identifier: MIT */
/*
 * Bringing lo up (runtime/netns.c), in a network namespace of the test's own:
 * a new user+network namespace (any user), or a new network namespace when
 * user namespaces are off and the test runs as root. The host's lo is never
 * touched. Each body runs in a forked child: Criterion's worker has threads,
 * and unshare(CLONE_NEWUSER) refuses a multi-threaded caller.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/netns.h"

#define SKIP 77

static int msg_fd = -1;

/* In the child: the reason, to the parent, and the exit code. */
_printf_(2, 3) static int say(int code, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(msg_fd, buf, strlen(buf)) < 0)
		return 2;
	return code;
}

/* Runs body in a child process and turns its exit code into pass, skip or failure. */
static void in_child(int (*body)(void))
{
	int p[2];
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		msg_fd = p[1];
		_exit(body());
	}
	close(p[1]);
	char msg[512] = "";
	ssize_t n = read(p[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "the child died: status %#x", st);
	if (WEXITSTATUS(st) == SKIP)
		cr_skip("%s", msg);
	else
		cr_assert_eq(WEXITSTATUS(st), 0, "%s", msg);
}

static int put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * Enters a network namespace of the test's own: 0, or SKIP. In a new user
 * namespace the caller's ids are mapped (to 0), so that a nested one can be made.
 */
static int own_netns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0) {
		char map[64];
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
		if (put("/proc/self/uid_map", map) < 0 || put("/proc/self/setgroups", "deny") < 0)
			return say(1, "mapping the uid: %s", strerror(errno));
		snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
		if (put("/proc/self/gid_map", map) < 0)
			return say(1, "mapping the gid: %s", strerror(errno));
		return 0;
	}
	int e = errno;
	if (geteuid() == 0 && unshare(CLONE_NEWNET) == 0)
		return 0;
	return say(SKIP, "SKIP: no network namespace of our own (user namespaces: %s)",
		   strerror(e));
}

/* lo's flags, or -1. */
static int lo_flags(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, "lo");
	int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	close(fd);
	return r < 0 ? -1 : (unsigned short)ifr.ifr_flags;
}

/* Every AF_NETLINK socket() fails with EAFNOSUPPORT from here on. */
static int deny_netlink_sockets(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
			     SCMP_A0(SCMP_CMP_EQ, AF_NETLINK)) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || seccomp_load(ctx) < 0)
		return say(1, "loading the netlink filter failed");
	seccomp_release(ctx);
	if (socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0) >= 0)
		return say(1, "the netlink filter does not deny");
	return 0;
}

/* lo up needs no netlink socket (one ioctl, not libnl's 13 syscalls). */
static int lo_up_without_netlink(void)
{
	int r = own_netns();
	if (r)
		return r;
	if (lo_flags() < 0 || (lo_flags() & IFF_UP))
		return say(1, "lo of a new namespace: flags %d", lo_flags());
	r = deny_netlink_sockets();
	if (r)
		return r;
	struct ag3_error *err = NULL;
	if (ag3_netns_loopback_up(&err) < 0)
		return say(1, "%s", err->msg);
	int f = lo_flags();
	if (f < 0 || !(f & IFF_UP) || !(f & IFF_LOOPBACK))
		return say(1, "lo is not up: flags %#x", f);
	return 0;
}
Test(netns, lo_up_without_netlink)
{
	in_child(lo_up_without_netlink);
}

static int lo_up_twice(void)
{
	int r = own_netns();
	if (r)
		return r;
	struct ag3_error *err = NULL;
	if (ag3_netns_loopback_up(&err) < 0 || ag3_netns_loopback_up(&err) < 0)
		return say(1, "%s", err->msg);
	return lo_flags() & IFF_UP ? 0 : say(1, "lo is not up");
}
Test(netns, lo_up_twice)
{
	in_child(lo_up_twice);
}

/*
 * Without CAP_NET_ADMIN over the namespace (a nested user namespace does not
 * own it): -EPERM, the error names the stage, lo stays down.
 */
static int lo_up_without_the_right(void)
{
	int r = own_netns();
	if (r)
		return r;
	if (unshare(CLONE_NEWUSER) < 0)
		return say(SKIP, "SKIP: no nested user namespace (%s)", strerror(errno));
	struct ag3_error *err = NULL;
	r = ag3_netns_loopback_up(&err);
	if (r != -EPERM || !err || !err->stage || strcmp(err->stage, "network"))
		return say(1, "r=%d, error %s", r, err ? err->msg : "(none)");
	return lo_flags() & IFF_UP ? say(1, "lo went up") : 0;
}
Test(netns, lo_up_without_the_right_fails)
{
	in_child(lo_up_without_the_right);
}
