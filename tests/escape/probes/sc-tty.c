/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of ioctl(TIOCSTI), ioctl(TIOCLINUX) and ioctl(TIOCSETD), comparing only
 * the low 32 bits of the request so the CVE-2019-10063 variant (high bits set,
 * which the kernel truncates away) is caught too.
 * The probe opens a new pty from /dev/ptmx and makes its slave the probe's
 * controlling terminal (the command is a session leader without one), which is
 * exactly the case where the kernel lets an unprivileged TIOCSTI through: it
 * would push one byte into the probe's own pty's input (harmless). Without the
 * rule TIOCSTI succeeds (or fails EIO when dev.tty.legacy_tiocsti=0) and
 * TIOCLINUX on a pty answers ENOTTY/EINVAL: anything but EPERM is ESCAPED.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "probe.h"

static int open_pty_slave(const char *name)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0) {
		if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
			skip(name, "no usable /dev/ptmx (%s)", ename(errno));
		probe_error(name, "posix_openpt: %s", ename(errno));
	}
	if (grantpt(m) < 0 || unlockpt(m) < 0)
		probe_error(name, "grantpt/unlockpt: %s", ename(errno));
	char *pts = ptsname(m);
	if (!pts)
		probe_error(name, "ptsname: %s", ename(errno));
	setsid();                              /* already a session leader: EPERM, fine */
	int s = open(pts, O_RDWR | O_CLOEXEC); /* no O_NOCTTY: becomes the controlling tty */
	if (s < 0)
		probe_error(name, "open %s: %s", pts, ename(errno));
	ioctl(s, TIOCSCTTY, 0);
	return s;
}

static void p_tiocsti(const char *name, int argc, char **argv)
{
	int s = open_pty_slave(name);
	char c = '\n';
	long r = ioctl(s, TIOCSTI, &c);
	expect_eperm(name, r, errno);
}

static void p_tiocsti_highbit(const char *name, int argc, char **argv)
{
	int s = open_pty_slave(name);
	char c = '\n';
	long r = syscall(SYS_ioctl, s, (0x123UL << 32) | (unsigned long)TIOCSTI, &c);
	expect_eperm(name, r, errno);
}

static void p_tioclinux(const char *name, int argc, char **argv)
{
	int s = open_pty_slave(name);
	char sub = 12; /* TIOCL_GETFGCONSOLE: a query */
	long r = ioctl(s, TIOCLINUX, &sub);
	expect_eperm(name, r, errno);
}

static void p_tioclinux_highbit(const char *name, int argc, char **argv)
{
	int s = open_pty_slave(name);
	char sub = 12;
	long r = syscall(SYS_ioctl, s, (0x456UL << 32) | (unsigned long)TIOCLINUX, &sub);
	expect_eperm(name, r, errno);
}

/* N_TTY, the discipline the pty has already: harmless if it goes through. */
static void p_tiocsetd(const char *name, int argc, char **argv)
{
	int s = open_pty_slave(name);
	int ld = 0;
	long r = ioctl(s, TIOCSETD, &ld);
	expect_eperm(name, r, errno);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"tiocsti", p_tiocsti},     {"tiocsti-highbit", p_tiocsti_highbit},
		{"tioclinux", p_tioclinux}, {"tioclinux-highbit", p_tioclinux_highbit},
		{"tiocsetd", p_tiocsetd},
	};
	return RUN_VARIANTS(tab);
}
