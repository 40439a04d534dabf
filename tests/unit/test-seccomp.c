/* SPDX-License-Identifier: MIT */
/*
 * The seccomp layer, without privileges: each test runs in its own process
 * (Criterion forks), sets no_new_privs, loads the filter the runtime would
 * load, and tries the calls. Every denied call is harmless if it got through
 * (arguments that would fail anyway, or bounded children).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "runtime/seccomp.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static void load(const struct ag3_spec *spec)
{
	struct ag3_seccomp_prog prog;
	struct ag3_error *err = NULL;
	cr_assert_eq(ag3_seccomp_compile(spec, &prog, &err), 0, "%s", err ? err->msg : "");
	cr_assert_gt(prog.n_insns, 0);
	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(ag3_seccomp_load(&prog), 0);
	ag3_seccomp_prog_clear(&prog);
}

static void load_default(void)
{
	struct ag3_spec *spec = ag3_spec_new();
	load(spec);
	ag3_spec_free(spec);
}

/* Asserts that `expr` returned -1 with errno `e`. */
#define DENIED(expr, e)                                                                            \
	do {                                                                                       \
		errno = 0;                                                                         \
		long _r = (long)(expr);                                                            \
		cr_assert(_r == -1 && errno == (e), #expr ": got %ld errno %d (%s), want %s", _r,  \
			  errno, strerror(errno), strerror(e));                                    \
	} while (0)

/* ------------------------------------------------------------------------------------------ */
/*
 * A classic-BPF interpreter for the filter, over a seccomp_data the test makes
 * up: what the kernel would decide for calls this machine cannot issue (another
 * arch, i386 and x32 numbers). Only the instructions libseccomp emits are
 * known; any other fails the test, so the simulation cannot pass by skipping.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

struct sim_data {
	uint32_t nr, arch;
	uint64_t ip, args[6];
};

static uint32_t sim_run(const struct ag3_seccomp_prog *p, const struct sim_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
	const uint8_t *raw = (const uint8_t *)d;
	for (size_t pc = 0, steps = 0; pc < p->n_insns && steps < 100000; pc++, steps++) {
		const struct sock_filter *f = &p->insns[pc];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert_leq(f->k + 4, sizeof(*d), "load past seccomp_data at %zu", pc);
			memcpy(&a, raw + f->k, 4);
			break;
		case BPF_LD | BPF_MEM:
			a = mem[f->k % BPF_MEMWORDS];
			break;
		case BPF_LDX | BPF_MEM:
			x = mem[f->k % BPF_MEMWORDS];
			break;
		case BPF_ST:
			mem[f->k % BPF_MEMWORDS] = a;
			break;
		case BPF_STX:
			mem[f->k % BPF_MEMWORDS] = x;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= f->k;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & f->k) ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		case BPF_RET | BPF_A:
			return a;
		default:
			cr_assert_fail("instruction %#x at %zu: unknown to the simulator", f->code,
				       pc);
		}
	}
	cr_assert_fail("the filter ran off its end or looped");
	return 0;
}

static uint32_t sim(const struct ag3_seccomp_prog *p, uint32_t arch, uint32_t nr, uint64_t a0,
		    uint64_t a1)
{
	struct sim_data d = {.nr = nr, .arch = arch, .args = {a0, a1}};
	return sim_run(p, &d);
}

#define RET_EPERM (SECCOMP_RET_ERRNO | EPERM)
#define RET_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)
#define X32(n) (0x40000000u + (n))

Test(seccomp, simulated_every_arch)
{
	struct ag3_spec *spec = ag3_spec_new();
	struct ag3_seccomp_prog prog;
	struct ag3_error *err = NULL;
	cr_assert_eq(ag3_seccomp_compile(spec, &prog, &err), 0);
	const uint32_t x64 = AUDIT_ARCH_X86_64, i386 = AUDIT_ARCH_I386;
	/* x86_64: ptrace (101) denied, read (0) allowed, clone3 (435) ENOSYS */
	cr_expect_eq(sim(&prog, x64, 101, 0, 0), RET_EPERM);
	cr_expect_eq(sim(&prog, x64, 0, 0, 0), SECCOMP_RET_ALLOW);
	cr_expect_eq(sim(&prog, x64, 435, 0, 0), RET_ENOSYS);
	/* clone (56) with CLONE_NEWUSER in its flags (arg0), and with high bits only */
	cr_expect_eq(sim(&prog, x64, 56, 0x10000000, 0), RET_EPERM);
	cr_expect_eq(sim(&prog, x64, 56, 0x10000000ull | (1ull << 40), 0), RET_EPERM);
	cr_expect_eq(sim(&prog, x64, 56, 0x11 /* SIGCHLD */, 0), SECCOMP_RET_ALLOW);
	/* socket (41): the family's high bits never pass */
	cr_expect_eq(sim(&prog, x64, 41, 40 | (1ull << 32), 1), RET_EPERM);
	cr_expect_eq(sim(&prog, x64, 41, 2 | (1ull << 32), 1), RET_EPERM);
	cr_expect_eq(sim(&prog, x64, 41, 2, 1), SECCOMP_RET_ALLOW);
	/* ioctl (16) TIOCSTI with high bits in the request */
	cr_expect_eq(sim(&prog, x64, 16, 0, 0x5412 | (0xdeadull << 32)), RET_EPERM);
	/* i386: ptrace (26), kexec_load (283), socketcall(SOCKET) (102, call 1) */
	cr_expect_eq(sim(&prog, i386, 26, 0, 0), RET_EPERM);
	cr_expect_eq(sim(&prog, i386, 283, 0, 0), RET_EPERM);
	cr_expect_eq(sim(&prog, i386, 102, 1, 0), RET_EPERM);
	cr_expect_eq(sim(&prog, i386, 3 /* read */, 0, 0), SECCOMP_RET_ALLOW);
	/* x32 (x86_64 arch, numbers with bit 30): ptrace (521), bpf (321); read allowed */
	cr_expect_eq(sim(&prog, x64, X32(521), 0, 0), RET_EPERM);
	cr_expect_eq(sim(&prog, x64, X32(321), 0, 0), RET_EPERM);
	cr_expect_eq(sim(&prog, x64, X32(0), 0, 0), SECCOMP_RET_ALLOW);
	/* an arch the filter does not know: the process is killed, never allowed */
	cr_expect_eq(sim(&prog, AUDIT_ARCH_AARCH64, 0, 0, 0), SECCOMP_RET_KILL_PROCESS);
	cr_expect_eq(sim(&prog, AUDIT_ARCH_ARM, 26, 0, 0), SECCOMP_RET_KILL_PROCESS);
	ag3_seccomp_prog_clear(&prog);
	ag3_spec_free(spec);
}

Test(seccomp, precompiled_default_equals_a_fresh_compile)
{
	cr_assert_gt(ag3_seccomp_default_n, 0, "the build did not embed the default filter");
	struct ag3_spec *spec = ag3_spec_new();
	cr_assert(ag3_seccomp_is_default(spec));
	struct ag3_seccomp_prog pre, fresh;
	cr_assert_eq(ag3_seccomp_compile(spec, &pre, NULL), 0);
	cr_assert_eq(ag3_seccomp_compile_fresh(spec, &fresh, NULL), 0);
	cr_assert_eq(pre.n_insns, fresh.n_insns);
	cr_assert_eq(memcmp(pre.insns, fresh.insns, pre.n_insns * sizeof(*pre.insns)), 0);
	ag3_seccomp_prog_clear(&pre);
	ag3_seccomp_prog_clear(&fresh);
	ag3_spec_free(spec);
}

Test(seccomp, non_default_settings_are_compiled_not_precompiled)
{
	struct ag3_spec *spec = ag3_spec_new();
	spec->security.seccomp.deny_errno = EACCES;
	cr_assert_not(ag3_seccomp_is_default(spec));
	ag3_spec_free(spec);
}

Test(seccomp, disabled_gives_no_filter)
{
	struct ag3_spec *spec = ag3_spec_new();
	spec->security.seccomp.enabled = false;
	struct ag3_seccomp_prog p;
	cr_assert_eq(ag3_seccomp_compile(spec, &p, NULL), 0);
	cr_assert_eq(p.n_insns, 0);
	ag3_spec_free(spec);
}

Test(seccomp, namespaces_denied)
{
	load_default();
	DENIED(unshare(CLONE_NEWUSER), EPERM);
	DENIED(unshare(CLONE_NEWNS), EPERM);
	DENIED(setns(0, CLONE_NEWNET), EPERM);
	/* clone with a namespace flag: the child would _exit at once if it got through */
	long r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
	if (r == 0)
		_exit(0);
	cr_assert(r == -1 && errno == EPERM, "clone(CLONE_NEWUSER): %ld %s", r, strerror(errno));
	struct clone_args ca = {.flags = 0, .exit_signal = SIGCHLD};
	r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == 0)
		_exit(0);
	cr_assert(r == -1 && errno == ENOSYS, "clone3 must fail with ENOSYS: %ld %s", r,
		  strerror(errno));
	/* a plain fork still works */
	pid_t p = fork();
	if (p == 0)
		_exit(7);
	int st;
	cr_assert_eq(waitpid(p, &st, 0), p);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

Test(seccomp, tiocsti_low_and_high_bits)
{
	load_default();
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	char c = 'x';
	/* Without the filter these fail with ENOTTY (/dev/null is no tty). */
	DENIED(ioctl(fd, TIOCSTI, &c), EPERM);
	DENIED(syscall(SYS_ioctl, fd, (0x123UL << 32) | TIOCSTI, &c), EPERM);
	DENIED(syscall(SYS_ioctl, fd, (0xffffUL << 32) | TIOCLINUX, &c), EPERM);
	int ld = 0; /* N_TTY */
	DENIED(ioctl(fd, TIOCSETD, &ld), EPERM);
	DENIED(syscall(SYS_ioctl, fd, (0x77UL << 32) | TIOCSETD, &ld), EPERM);
	/* other ioctls pass through */
	struct termios t;
	DENIED(ioctl(fd, TCGETS, &t), ENOTTY);
	close(fd);
}

Test(seccomp, sockets)
{
	load_default();
	DENIED(socket(AF_VSOCK, SOCK_STREAM, 0), EPERM);
	DENIED(socket(AF_PACKET, SOCK_RAW, 0), EPERM);
	DENIED(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, 1), EPERM);
	DENIED(socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK, 58), EPERM);
	/* the family's high 32 bits are ignored by the kernel: never by the filter */
	DENIED(syscall(SYS_socket, (long)AF_VSOCK | (1L << 32), (long)SOCK_STREAM, 0L), EPERM);
	DENIED(syscall(SYS_socket, (long)AF_INET | (1L << 32), (long)SOCK_STREAM, 0L), EPERM);
	/* families outside the allowlist, for socket and socketpair */
	DENIED(socket(38 /* AF_ALG */, SOCK_SEQPACKET, 0), EPERM);
	DENIED(socket(30 /* AF_TIPC */, SOCK_RDM, 0), EPERM);
	DENIED(socket(3 /* AF_AX25 */, SOCK_DGRAM, 0), EPERM);
	int sv[2];
	DENIED(socketpair(AF_VSOCK, SOCK_STREAM, 0, sv), EPERM);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0, "socketpair(AF_UNIX): %s",
		     strerror(errno));
	close(sv[0]);
	close(sv[1]);
	int nl = socket(AF_NETLINK, SOCK_RAW, 0 /* NETLINK_ROUTE */);
	cr_assert_geq(nl, 0, "netlink was denied: %s", strerror(errno));
	close(nl);
	int ok[] = {socket(AF_UNIX, SOCK_STREAM, 0), socket(AF_INET, SOCK_STREAM, 0),
		    socket(AF_INET, SOCK_DGRAM, 0)};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_geq(ok[i], 0, "an ordinary socket was denied: %s", strerror(errno));
		close(ok[i]);
	}
}

/*
 * socket(AF_INET, SOCK_PACKET) is the obsolete spelling of an AF_PACKET socket:
 * without the rule only the missing CAP_NET_RAW stops it, and a test run as root
 * would create it. The simulator gives the filter's verdict whatever the
 * capabilities; the live calls add an invalid flag bit (0x10) so the kernel,
 * were the call let through, would answer EINVAL before any capability check.
 */
Test(seccomp, packet_sockets_denied_whatever_the_capabilities)
{
	struct ag3_spec *spec = ag3_spec_new();
	struct ag3_seccomp_prog prog;
	cr_assert_eq(ag3_seccomp_compile(spec, &prog, NULL), 0);
	const uint32_t x64 = AUDIT_ARCH_X86_64;
	const uint64_t flags[] = {0,    SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC,
				  0x10, 1ull << 32};
	for (size_t f = 0; f < ELEMENTSOF(flags); f++)
		for (uint64_t fam = AF_INET; fam <= AF_INET6; fam += AF_INET6 - AF_INET) {
			/* socket (41), socketpair (53) */
			cr_expect_eq(sim(&prog, x64, 41, fam, SOCK_PACKET | flags[f]), RET_EPERM,
				     "socket(%lu, SOCK_PACKET | %#lx)", (unsigned long)fam,
				     (unsigned long)flags[f]);
			cr_expect_eq(sim(&prog, x64, 53, fam, SOCK_PACKET | flags[f]), RET_EPERM,
				     "socketpair(%lu, SOCK_PACKET | %#lx)", (unsigned long)fam,
				     (unsigned long)flags[f]);
			cr_expect_eq(sim(&prog, x64, 53, fam, SOCK_RAW | flags[f]), RET_EPERM,
				     "socketpair(%lu, SOCK_RAW | %#lx)", (unsigned long)fam,
				     (unsigned long)flags[f]);
		}
	/* the ordinary types still pass */
	cr_expect_eq(sim(&prog, x64, 41, AF_INET, SOCK_STREAM | SOCK_CLOEXEC), SECCOMP_RET_ALLOW);
	cr_expect_eq(sim(&prog, x64, 41, AF_INET6, SOCK_DGRAM), SECCOMP_RET_ALLOW);
	ag3_seccomp_prog_clear(&prog);
	ag3_spec_free(spec);

	load_default();
	DENIED(socket(AF_INET, SOCK_PACKET | 0x10, 0), EPERM);
	DENIED(socket(AF_INET6, SOCK_PACKET | 0x10, 0), EPERM);
	int sv[2];
	DENIED(socketpair(AF_INET, SOCK_PACKET | 0x10, 0, sv), EPERM);
}

Test(seccomp, kernel_surface)
{
	load_default();
	DENIED(syscall(SYS_io_uring_setup, 1, NULL), EPERM);
	DENIED(syscall(SYS_bpf, 0, NULL, 0), EPERM);
	DENIED(syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
	DENIED(syscall(SYS_userfaultfd, 0), EPERM);
	DENIED(syscall(SYS_keyctl, 0, 0, 0, 0, 0), EPERM);
	DENIED(syscall(SYS_ptrace, 0 /* TRACEME */, 0, 0, 0), EPERM);
	DENIED(syscall(SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0), EPERM);
	DENIED(syscall(SYS_open_by_handle_at, -1, NULL, 0), EPERM);
	DENIED(mount("none", "/nonexistent", "tmpfs", 0, NULL), EPERM);
	DENIED(syscall(SYS_fsopen, "tmpfs", 0), EPERM);
	DENIED(syscall(SYS_pivot_root, "/nonexistent", "/nonexistent"), EPERM);
	DENIED(personality(ADDR_NO_RANDOMIZE), EPERM);
	DENIED(personality(READ_IMPLIES_EXEC), EPERM);
	cr_assert_geq(personality(PER_LINUX), 0, "plain PER_LINUX must stay allowed");
	cr_assert_gt(getpid(), 0);
}

Test(seccomp, kill_action, .signal = SIGSYS)
{
	struct ag3_spec *spec = ag3_spec_new();
	spec->security.seccomp.deny_action = AG3_SECCOMP_KILL;
	load(spec);
	unshare(CLONE_NEWUSER); /* killed here with SIGSYS */
}

Test(seccomp, profile_rules_with_arguments)
{
	struct ag3_spec *spec = ag3_spec_new();
	struct ag3_seccomp_rule rules[3] = {
		{.syscall = strdup("uname"), .action = AG3_SECCOMP_ERRNO, .errno_value = EACCES},
		{.syscall = strdup("dup"),
		 .action = AG3_SECCOMP_ERRNO,
		 .errno_value = EMFILE,
		 .args = {{.index = 0, .op = AG3_CMP_EQ, .value = 0}},
		 .n_args = 1},
		/* ptrace taken out of the default list: no longer EPERM from seccomp */
		{.syscall = strdup("ptrace"), .action = AG3_SECCOMP_ALLOW},
	};
	spec->security.seccomp.rules = rules;
	spec->security.seccomp.n_rules = 3;
	load(spec);
	struct utsname u;
	DENIED(uname(&u), EACCES);
	DENIED(dup(0), EMFILE);
	int fd = dup(1);
	cr_assert_geq(fd, 0, "dup(1) does not match the rule's argument");
	close(fd);
	errno = 0;
	long r = syscall(SYS_ptrace, 0x4206 /* PTRACE_SEIZE */, 0, 0, 0);
	cr_assert(r == -1 && errno != EPERM, "ptrace is still denied by seccomp: %s",
		  strerror(errno));
	DENIED(unshare(CLONE_NEWUSER), EPERM); /* the rest of the list holds */
	spec->security.seccomp.rules = NULL;
	spec->security.seccomp.n_rules = 0;
	for (int i = 0; i < 3; i++)
		free(rules[i].syscall);
	ag3_spec_free(spec);
}

Test(seccomp, unknown_syscall_in_rules_is_an_error)
{
	struct ag3_spec *spec = ag3_spec_new();
	struct ag3_seccomp_rule rule = {.syscall = (char *)"no_such_call",
					.action = AG3_SECCOMP_KILL};
	spec->security.seccomp.rules = &rule;
	spec->security.seccomp.n_rules = 1;
	struct ag3_seccomp_prog p;
	struct ag3_error *err = NULL;
	cr_assert_lt(ag3_seccomp_compile(spec, &p, &err), 0);
	cr_assert_not_null(err);
	cr_assert(strstr(err->msg, "no_such_call"), "%s", err->msg);
	ag3_error_free(err);
	spec->security.seccomp.rules = NULL;
	spec->security.seccomp.n_rules = 0;
	ag3_spec_free(spec);
}

Test(seccomp, dump_lists_every_arch)
{
	struct ag3_spec *spec = ag3_spec_new();
	FILE *f = tmpfile();
	cr_assert_eq(ag3_seccomp_dump(spec, f, NULL), 0);
	fflush(f);
	rewind(f);
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	cr_assert(strstr(buf, "arch x86_64") || strstr(buf, "aarch64"), "no native arch");
#if defined(__x86_64__)
	cr_assert(strstr(buf, "filter for arch x86 "), "i386 is not in the filter");
	cr_assert(strstr(buf, "filter for arch x32"), "x32 is not in the filter");
#endif
	ag3_spec_free(spec);
}

/* ------------------------------------------------------------------------------------------ */
/* A profile's own deny rules on calls outside the default list: the precompiled default
 * filter plus a second filter of only those rules, deciding as the single filter does. */

/* What the kernel returns for two stacked filters: the strictest action; on a tie, the
 * filter loaded last (`second`) speaks. Actions compare as signed (KILL_PROCESS first). */
static uint32_t stacked(uint32_t first, uint32_t second)
{
	return (int32_t)(first & SECCOMP_RET_ACTION_FULL) <
			       (int32_t)(second & SECCOMP_RET_ACTION_FULL)
		       ? first
		       : second;
}

static void set_rules(struct ag3_spec *spec, struct ag3_seccomp_rule *rules, size_t n)
{
	spec->security.seccomp.rules = rules;
	spec->security.seccomp.n_rules = n;
}

Test(seccomp, deny_rules_stack_on_the_precompiled_default)
{
	cr_assert_gt(ag3_seccomp_default_n, 0, "the build did not embed the default filter");
	struct ag3_spec *spec = ag3_spec_new();
	struct ag3_seccomp_rule rules[3] = {
		{.syscall = (char *)"uname", .action = AG3_SECCOMP_ERRNO, .errno_value = EACCES},
		{.syscall = (char *)"dup",
		 .action = AG3_SECCOMP_ERRNO,
		 .errno_value = EMFILE,
		 .args = {{.index = 0, .op = AG3_CMP_EQ, .value = 0}},
		 .n_args = 1},
		{.syscall = (char *)"mknod", .action = AG3_SECCOMP_KILL},
	};
	set_rules(spec, rules, 3);
	struct ag3_seccomp_prog st, whole;
	struct ag3_error *err = NULL;
	cr_assert_eq(ag3_seccomp_compile(spec, &st, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(ag3_seccomp_compile_fresh(spec, &whole, &err), 0, "%s", err ? err->msg : "");
	cr_assert_eq(whole.n_extra_insns, 0);
	/* the first program is the precompiled one, the second holds only the rules */
	cr_assert_eq(st.n_insns, ag3_seccomp_default_n, "the default filter was recompiled");
	cr_assert_eq(memcmp(st.insns, ag3_seccomp_default_insns, st.n_insns * sizeof(*st.insns)),
		     0);
	cr_assert_gt(st.n_extra_insns, 0, "no second filter");
	cr_assert_lt(st.n_extra_insns, st.n_insns / 4, "the second filter is not small");
	/* every call decided alike: the rules', the default list's, others, on every arch */
	const uint32_t x64 = AUDIT_ARCH_X86_64, i386 = AUDIT_ARCH_I386;
	const struct {
		uint32_t arch, nr;
		uint64_t a0, a1;
	} calls[] = {
		{x64, 63 /* uname */, 0, 0},
		{x64, 32 /* dup */, 0, 0},
		{x64, 32, 1, 0},
		{x64, 32, 1ull << 32, 0},
		{x64, 133 /* mknod */, 0, 0},
		{x64, 101 /* ptrace */, 0, 0},
		{x64, 56 /* clone */, 0x10000000, 0},
		{x64, 56, 0x11, 0},
		{x64, 41 /* socket */, 40, 1},
		{x64, 41, 2, 1},
		{x64, 0 /* read */, 0, 0},
		{x64, 435 /* clone3 */, 0, 0},
		{x64, X32(63), 0, 0},
		{x64, X32(32), 0, 0},
		{x64, X32(133), 0, 0},
		{x64, X32(521), 0, 0},
		{i386, 122 /* uname */, 0, 0},
		{i386, 41 /* dup */, 0, 0},
		{i386, 14 /* mknod */, 0, 0},
		{i386, 26 /* ptrace */, 0, 0},
		{i386, 102 /* socketcall */, 1, 0},
		{i386, 3, 0, 0},
		{AUDIT_ARCH_AARCH64, 0, 0, 0},
	};
	for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
		struct sim_data d = {.nr = calls[i].nr,
				     .arch = calls[i].arch,
				     .args = {calls[i].a0, calls[i].a1}};
		struct ag3_seccomp_prog second = {.insns = st.extra_insns,
						  .n_insns = st.n_extra_insns};
		uint32_t got = stacked(sim_run(&st, &d), sim_run(&second, &d));
		cr_expect_eq(got, sim_run(&whole, &d), "call %zu (arch %#x nr %u): %#x, want %#x",
			     i, calls[i].arch, calls[i].nr, got, sim_run(&whole, &d));
	}
	ag3_seccomp_prog_clear(&st);
	ag3_seccomp_prog_clear(&whole);
	cr_assert_null(st.extra_insns);
	cr_assert_eq(st.n_extra_insns, 0);
	/* and loaded, both hold */
	load(spec);
	struct utsname u;
	DENIED(uname(&u), EACCES);
	DENIED(dup(0), EMFILE);
	int fd = dup(1);
	cr_assert_geq(fd, 0);
	close(fd);
	DENIED(unshare(CLONE_NEWUSER), EPERM);
	set_rules(spec, NULL, 0);
	ag3_spec_free(spec);
}

/* What a second filter cannot express, or could decide differently, is compiled whole. */
Test(seccomp, rules_a_second_filter_cannot_hold_compile_whole)
{
	struct ag3_seccomp_rule allow = {.syscall = (char *)"ptrace", .action = AG3_SECCOMP_ALLOW},
				on_default = {.syscall = (char *)"socket",
					      .action = AG3_SECCOMP_ERRNO,
					      .errno_value = EACCES,
					      .args = {{.index = 0, .op = AG3_CMP_EQ, .value = 2}},
					      .n_args = 1},
				on_listed = {.syscall = (char *)"bpf", .action = AG3_SECCOMP_LOG},
				mux = {.syscall = (char *)"socketcall", .action = AG3_SECCOMP_KILL},
				plain = {.syscall = (char *)"uname",
					 .action = AG3_SECCOMP_ERRNO,
					 .errno_value = EACCES};
	struct ag3_seccomp_rule *cases[] = {&allow, &on_default, &on_listed, &mux, &plain, &plain};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct ag3_spec *spec = ag3_spec_new();
		set_rules(spec, cases[i], 1);
		if (i == 4)
			spec->security.seccomp.deny_errno = EACCES; /* not the default settings */
		if (i == 5)
			spec->security.seccomp.deny_action = AG3_SECCOMP_KILL;
		struct ag3_seccomp_prog p, whole;
		struct ag3_error *err = NULL, *werr = NULL;
		int r = ag3_seccomp_compile(spec, &p, &err);
		cr_assert_eq(r, ag3_seccomp_compile_fresh(spec, &whole, &werr), "case %zu", i);
		if (r < 0) { /* libseccomp refuses this rule beside the default list's: both do */
			cr_assert(err && werr && !strcmp(err->msg, werr->msg), "case %zu", i);
			ag3_error_free(err);
			ag3_error_free(werr);
			set_rules(spec, NULL, 0);
			ag3_spec_free(spec);
			continue;
		}
		cr_assert_eq(p.n_extra_insns, 0, "case %zu was stacked", i);
		cr_assert_eq(p.n_insns, whole.n_insns, "case %zu", i);
		cr_assert_eq(memcmp(p.insns, whole.insns, p.n_insns * sizeof(*p.insns)), 0,
			     "case %zu", i);
		ag3_seccomp_prog_clear(&p);
		ag3_seccomp_prog_clear(&whole);
		set_rules(spec, NULL, 0);
		ag3_spec_free(spec);
	}
}
