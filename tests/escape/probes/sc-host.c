/* SPDX-License-Identifier: MIT */
/*
 * Checks: seccomp's deny of the calls that act on the whole host: loading a
 * kernel or a module (kexec_load, kexec_file_load, init_module, finit_module,
 * delete_module), reboot, swapon, swapoff, acct.
 * All arguments are bogus or harmless, so nothing happens even if a call is
 * let through: an invalid reboot magic, an invalid swap flag, no module image,
 * a module name that does not exist, acct(NULL) (accounting off).
 * For most of these the kernel's own check (a capability the sandbox drops)
 * also answers EPERM, so a probe guards seccomp and the capability drop
 * together; swapon's invalid flag is checked before the capability, so that
 * probe fails as soon as the seccomp rule is gone. Kernels built without
 * kexec or modules answer ENOSYS, which makes those probes fail as well
 * without the rule.
 */
#include <fcntl.h>
#include <linux/reboot.h>
#include <sys/syscall.h>

#include "probe.h"

static void p_kexec_load(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0xdead0000UL);
	expect_eperm(name, r, errno);
}

static void p_kexec_file_load(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, 0xdead0000UL);
	expect_eperm(name, r, errno);
}

static void p_init_module(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_init_module, NULL, 0UL, "");
	expect_eperm(name, r, errno);
}

static void p_finit_module(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_finit_module, -1, "", 0);
	expect_eperm(name, r, errno);
}

static void p_delete_module(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_delete_module, "ag3_no_such_module", O_NONBLOCK);
	expect_eperm(name, r, errno);
}

static void p_reboot(const char *name, int argc, char **argv)
{
	/* Invalid magic: even a privileged caller gets EINVAL. */
	long r = syscall(SYS_reboot, 0xbad, 0xbad, LINUX_REBOOT_CMD_CAD_OFF, NULL);
	expect_eperm(name, r, errno);
}

static void p_swapon(const char *name, int argc, char **argv)
{
	/* An invalid flag: the kernel answers EINVAL before any other check. */
	long r = syscall(SYS_swapon, "/ag3-nonexistent-swap", 1 << 30);
	expect_eperm(name, r, errno);
}

static void p_swapoff(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_swapoff, "/ag3-nonexistent-swap");
	expect_eperm(name, r, errno);
}

static void p_acct(const char *name, int argc, char **argv)
{
	long r = syscall(SYS_acct, NULL);
	expect_eperm(name, r, errno);
}

int main(int argc, char **argv)
{
	static const struct variant tab[] = {
		{"kexec_load", p_kexec_load},
		{"kexec_file_load", p_kexec_file_load},
		{"init_module", p_init_module},
		{"finit_module", p_finit_module},
		{"delete_module", p_delete_module},
		{"reboot", p_reboot},
		{"swapon", p_swapon},
		{"swapoff", p_swapoff},
		{"acct", p_acct},
	};
	return RUN_VARIANTS(tab);
}
