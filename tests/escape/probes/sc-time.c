/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of the calls that change host-wide identity or time
 * (sethostname, setdomainname, clock_settime, settimeofday, adjtimex,
 * clock_adjtime). Harmless by construction: the names are set to what they
 * already are, clock_settime uses an invalid clock id and settimeofday an
 * invalid microsecond value (the kernel answers EINVAL before any privilege
 * check, so those probes fail as soon as the rule is gone), adjtimex and
 * clock_adjtime only read (modes 0: the kernel would succeed unprivileged).
 * sethostname/setdomainname are also refused by the kernel without
 * CAP_SYS_ADMIN: those two guard seccomp and the capability drop together.
 */
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/utsname.h>

#include "probe.h"

static void p_sethostname(const char *name, int argc, char **argv)
{
	struct utsname u;
	if (uname(&u) < 0)
		probe_error(name, "uname: %s", ename(errno));
	long r = syscall(SYS_sethostname, u.nodename, strlen(u.nodename));
	expect_eperm(name, r, errno);
}

static void p_setdomainname(const char *name, int argc, char **argv)
{
	struct utsname u;
	if (uname(&u) < 0)
		probe_error(name, "uname: %s", ename(errno));
	long r = syscall(SYS_setdomainname, u.domainname, strlen(u.domainname));
	expect_eperm(name, r, errno);
}

static void p_clock_settime(const char *name, int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long r = syscall(SYS_clock_settime, 123456, &ts); /* no such clock */
	expect_eperm(name, r, errno);
}

static void p_settimeofday(const char *name, int argc, char **argv)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	tv.tv_usec = 2000000; /* invalid: EINVAL before the capability check */
	long r = syscall(SYS_settimeofday, &tv, NULL);
	expect_eperm(name, r, errno);
}

static void p_adjtimex(const char *name, int argc, char **argv)
{
	struct timex tx;
	memset(&tx, 0, sizeof(tx)); /* modes 0: read only */
	long r = syscall(SYS_adjtimex, &tx);
	expect_eperm(name, r, errno);
}

static void p_clock_adjtime(const char *name, int argc, char **argv)
{
	struct timex tx;
	memset(&tx, 0, sizeof(tx));
	long r = syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
	expect_eperm(name, r, errno);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"sethostname", p_sethostname},     {"setdomainname", p_setdomainname},
		{"clock_settime", p_clock_settime}, {"settimeofday", p_settimeofday},
		{"adjtimex", p_adjtimex},           {"clock_adjtime", p_clock_adjtime},
	};
	return RUN_VARIANTS(tab);
}
