/* SPDX-License-Identifier: MIT */
#include "seccomp.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Calls denied outright: escapes, kernel attack surface, host-wide effects. */
/* The lists stay packed, several names a line. */
/* clang-format off */
static const char *const deny_plain[] = {
	/* io_uring bypasses every other filter (IORING_OP_SOCKET, openat...) */
	"io_uring_setup", "io_uring_enter", "io_uring_register",
	/* other processes' memory */
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
	/* kernel attack surface */
	"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
	"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
	"lookup_dcookie", "vm86", "vm86old", "uselib", "nfsservctl", "quotactl",
	"quotactl_fd", "syslog", "iopl", "ioperm",
	/* the mount table and the root */
	"mount", "umount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
	"open_tree", "mount_setattr", "pivot_root", "chroot",
	/* namespaces: no nested user namespace, no joining another */
	"unshare", "setns",
	/* host-wide effects */
	"reboot", "swapon", "swapoff", "acct", "settimeofday", "clock_settime", "clock_adjtime",
	"adjtimex", "sethostname", "setdomainname",
	/* file handles bypass the mount namespace (the shocker exploit) */
	"open_by_handle_at",
	NULL,
};
/* clang-format on */

/* clone3's flags live in memory seccomp cannot read: fail it with ENOSYS so libc
 * falls back to clone(2), whose flags the rules below check. */
static const char *const enosys_plain[] = {"clone3", NULL};

#define NS_FLAGS                                                                                   \
	(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
	 CLONE_NEWCGROUP | CLONE_NEWTIME)

/* clang-format off */
const char *const ag3_seccomp_default_names[] = {
	"io_uring_setup", "io_uring_enter", "io_uring_register", "ptrace", "process_vm_readv",
	"process_vm_writev", "kcmp", "pidfd_getfd", "bpf", "perf_event_open", "userfaultfd",
	"keyctl", "add_key", "request_key", "kexec_load", "kexec_file_load", "init_module",
	"finit_module", "delete_module", "lookup_dcookie", "vm86", "vm86old", "uselib",
	"nfsservctl", "quotactl", "quotactl_fd", "syslog", "iopl", "ioperm", "mount", "umount",
	"umount2", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	"mount_setattr", "pivot_root", "chroot", "unshare", "setns", "reboot", "swapon",
	"swapoff", "acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"sethostname", "setdomainname", "open_by_handle_at", "clone3 (ENOSYS)",
	"clone (namespace flags)", "ioctl (TIOCSTI, TIOCLINUX, TIOCSETD)",
	"socket (AF_VSOCK, AF_PACKET, raw and SOCK_PACKET AF_INET/AF_INET6)",
	"personality (exploit-enabling flags)", NULL,
};
/* clang-format on */

static void release(scmp_filter_ctx *c)
{
	if (*c)
		seccomp_release(*c);
}

static uint32_t action_of(enum ag3_seccomp_action a, int err)
{
	switch (a) {
	case AG3_SECCOMP_KILL:
		return SCMP_ACT_KILL_PROCESS;
	case AG3_SECCOMP_LOG:
		return SCMP_ACT_LOG;
	case AG3_SECCOMP_ALLOW:
		return SCMP_ACT_ALLOW;
	case AG3_SECCOMP_ERRNO:
	default:
		return SCMP_ACT_ERRNO((uint32_t)err);
	}
}

static bool allowed_by_profile(const struct ag3_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->security.seccomp.n_rules; i++) {
		const struct ag3_seccomp_rule *r = &spec->security.seccomp.rules[i];
		if (r->action == AG3_SECCOMP_ALLOW && strcmp(r->syscall, name) == 0)
			return true;
	}
	return false;
}

bool ag3_seccomp_denies_namespaces(const struct ag3_spec *spec)
{
	if (!spec->security.seccomp.enabled || !spec->security.seccomp.use_default_list)
		return false;
	static const char *const calls[] = {"unshare", "clone", "clone3", "setns"};
	for (size_t i = 0; i < ELEMENTSOF(calls); i++)
		if (allowed_by_profile(spec, calls[i]))
			return false;
	return true;
}

/* Adds a rule unless the name is unknown on every arch of the filter (e.g. vm86 on x86_64). */
static int add(scmp_filter_ctx ctx, const struct ag3_spec *spec, uint32_t action, const char *name,
	       unsigned n, const struct scmp_arg_cmp *args, struct ag3_error **reterr)
{
	if (allowed_by_profile(spec, name))
		return 0;
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0;
	int r = seccomp_rule_add_array(ctx, action, nr, n, args);
	if (r < 0 && r != -EDOM)
		return ag3_error_set_stage(reterr, -r, "seccomp", NULL,
					   "seccomp: adding the rule for %s: %s", name,
					   strerror(-r));
	return 0;
}

/* An empty filter (default: allow) for every arch this kernel can run. */
static int new_ctx(scmp_filter_ctx *ret, struct ag3_error **reterr)
{
	_cleanup_(release) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return ag3_error_set_stage(reterr, ENOMEM, "seccomp", NULL,
					   "seccomp: out of memory");
	/* Every arch this kernel can run, so a 32-bit or x32 binary meets the same filter. */
	uint32_t native = seccomp_arch_native();
	if (native == SCMP_ARCH_X86_64) {
		int r;
		if ((r = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 && r != -EEXIST)
			return ag3_error_set_stage(reterr, -r, "seccomp", NULL,
						   "seccomp: adding i386");
		if ((r = seccomp_arch_add(ctx, SCMP_ARCH_X32)) < 0 && r != -EEXIST)
			return ag3_error_set_stage(reterr, -r, "seccomp", NULL,
						   "seccomp: adding x32");
	} else if (native == SCMP_ARCH_AARCH64) {
		int r = seccomp_arch_add(ctx, SCMP_ARCH_ARM);
		if (r < 0 && r != -EEXIST)
			return ag3_error_set_stage(reterr, -r, "seccomp", NULL,
						   "seccomp: adding arm");
	}
	/* A call from an arch the filter does not know is killed, never allowed. */
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	*ret = TAKE_PTR(ctx);
	return 0;
}

static int add_profile_rules(scmp_filter_ctx ctx, const struct ag3_spec *spec,
			     struct ag3_error **reterr);

static int build(const struct ag3_spec *spec, scmp_filter_ctx *ret, struct ag3_error **reterr)
{
	const int deny_errno = spec->security.seccomp.deny_errno;
	const uint32_t deny = action_of(spec->security.seccomp.deny_action, deny_errno);
	_cleanup_(release) scmp_filter_ctx ctx = NULL;
	int r = new_ctx(&ctx, reterr);
	if (r < 0)
		return r;
	if (spec->security.seccomp.use_default_list) {
		for (const char *const *n = deny_plain; *n; n++)
			if ((r = add(ctx, spec, deny, *n, 0, NULL, reterr)) < 0)
				return r;
		for (const char *const *n = enosys_plain; *n; n++)
			if ((r = add(ctx, spec, SCMP_ACT_ERRNO(ENOSYS), *n, 0, NULL, reterr)) < 0)
				return r;
		/* clone with any namespace flag: one rule per flag (seccomp tests bits by equality). */
		for (unsigned bit = 0; bit < 32; bit++) {
			unsigned long f = 1UL << bit;
			if (!(NS_FLAGS & f))
				continue;
			struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_MASKED_EQ, f, f);
			if ((r = add(ctx, spec, deny, "clone", 1, &a, reterr)) < 0)
				return r;
		}
		/* Terminal injection: compare only the low 32 bits of the request, so
		 * high bits set in the 64-bit argument do not slip past (CVE-2019-10063). */
		/* TIOCSETD: a line discipline other than the tty's own can make the
		 * kernel load its module (dev.tty.ldisc_autoload), old attack surface. */
		const unsigned long ioctls[] = {0x5412 /* TIOCSTI */, 0x541C /* TIOCLINUX */,
						0x5423 /* TIOCSETD */};
		for (size_t i = 0; i < ELEMENTSOF(ioctls); i++) {
			struct scmp_arg_cmp a =
				SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffUL, ioctls[i]);
			if ((r = add(ctx, spec, deny, "ioctl", 1, &a, reterr)) < 0)
				return r;
		}
		/*
		 * Socket families: an allowlist. Only AF_UNIX (1), AF_INET (2), AF_INET6
		 * (10) and AF_NETLINK (16) are created; everything else (AF_VSOCK reaches
		 * the hypervisor past the network namespace, AF_PACKET and raw sockets
		 * craft packets, AF_ALG, AF_TIPC, AF_RDS ... are kernel attack surface)
		 * fails. The kernel reads the family as an int: the rules compare only
		 * its low 32 bits (the CVE-2019-10063 lesson), and any value with high
		 * bits set is above 16, so the `> 16` rule catches `AF_INET | 1 << 32`
		 * as well as every family past AF_NETLINK.
		 */
		const unsigned long refused[] = {0, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15};
		for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
			struct scmp_arg_cmp a =
				SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffUL, refused[i]);
			if ((r = add(ctx, spec, deny, "socket", 1, &a, reterr)) < 0 ||
			    (r = add(ctx, spec, deny, "socketpair", 1, &a, reterr)) < 0)
				return r;
		}
		struct scmp_arg_cmp above = SCMP_A0(SCMP_CMP_GT, AF_NETLINK);
		if ((r = add(ctx, spec, deny, "socket", 1, &above, reterr)) < 0 ||
		    (r = add(ctx, spec, deny, "socketpair", 1, &above, reterr)) < 0)
			return r;
		/*
		 * Raw and packet sockets of the inet families: SOCK_RAW, and SOCK_PACKET,
		 * which the kernel turns into an AF_PACKET socket for AF_INET (the
		 * obsolete `(PF_INET, SOCK_PACKET)`), so it must not pass where AF_PACKET
		 * does not. The type is compared on its low 4 bits (SOCK_TYPE_MASK), so
		 * SOCK_NONBLOCK, SOCK_CLOEXEC or any other flag bit does not hide it.
		 */
		const unsigned long inet[] = {AF_INET, AF_INET6};
		const unsigned long raw_types[] = {SOCK_RAW, SOCK_PACKET};
		const char *const calls[] = {"socket", "socketpair"};
		for (size_t i = 0; i < ELEMENTSOF(inet); i++)
			for (size_t t = 0; t < ELEMENTSOF(raw_types); t++)
				for (size_t c = 0; c < ELEMENTSOF(calls); c++) {
					struct scmp_arg_cmp a[2] = {
						SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffUL, inet[i]),
						SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, raw_types[t])};
					if ((r = add(ctx, spec, deny, calls[c], 2, a, reterr)) < 0)
						return r;
				}
		/* personality flags that switch off ASLR or make data executable. */
		const unsigned long pers[] = {
			0x0040000 /* ADDR_NO_RANDOMIZE */, 0x0400000 /* READ_IMPLIES_EXEC */,
			0x0100000 /* MMAP_PAGE_ZERO */, 0x0200000 /* ADDR_COMPAT_LAYOUT */};
		for (size_t i = 0; i < ELEMENTSOF(pers); i++) {
			struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_MASKED_EQ, pers[i], pers[i]);
			if ((r = add(ctx, spec, deny, "personality", 1, &a, reterr)) < 0)
				return r;
		}
	}
	if ((r = add_profile_rules(ctx, spec, reterr)) < 0)
		return r;
	*ret = TAKE_PTR(ctx);
	return 0;
}

/* The profile's own rules (allow rules only took names out of the default list). */
static int add_profile_rules(scmp_filter_ctx ctx, const struct ag3_spec *spec,
			     struct ag3_error **reterr)
{
	const int deny_errno = spec->security.seccomp.deny_errno;
	for (size_t i = 0; i < spec->security.seccomp.n_rules; i++) {
		int r;
		const struct ag3_seccomp_rule *rule = &spec->security.seccomp.rules[i];
		if (rule->action == AG3_SECCOMP_ALLOW)
			continue;
		int nr = seccomp_syscall_resolve_name(rule->syscall);
		if (nr == __NR_SCMP_ERROR)
			return ag3_error_set_stage(reterr, EINVAL, "seccomp", NULL,
						   "seccomp: rules[%zu]: unknown system call '%s'",
						   i, rule->syscall);
		struct scmp_arg_cmp args[6];
		static const enum scmp_compare ops[_AG3_CMP_MAX] = {
			[AG3_CMP_EQ] = SCMP_CMP_EQ,
			[AG3_CMP_NE] = SCMP_CMP_NE,
			[AG3_CMP_LT] = SCMP_CMP_LT,
			[AG3_CMP_LE] = SCMP_CMP_LE,
			[AG3_CMP_GT] = SCMP_CMP_GT,
			[AG3_CMP_GE] = SCMP_CMP_GE,
			[AG3_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
		};
		for (size_t a = 0; a < rule->n_args; a++) {
			const struct ag3_seccomp_arg *x = &rule->args[a];
			args[a] = (struct scmp_arg_cmp){
				.arg = x->index,
				.op = ops[x->op],
				.datum_a = x->op == AG3_CMP_MASKED_EQ ? x->mask : x->value,
				.datum_b = x->op == AG3_CMP_MASKED_EQ ? x->value : 0,
			};
		}
		int e = rule->errno_value ? rule->errno_value : deny_errno;
		r = seccomp_rule_add_array(ctx, action_of(rule->action, e), nr,
					   (unsigned)rule->n_args, args);
		if (r < 0)
			return ag3_error_set_stage(reterr, -r, "seccomp", NULL,
						   "seccomp: rules[%zu] (%s): %s", i, rule->syscall,
						   strerror(-r));
	}
	return 0;
}

bool ag3_seccomp_is_default(const struct ag3_spec *spec)
{
	const __typeof__(spec->security.seccomp) *s = &spec->security.seccomp;
	return s->enabled && s->use_default_list && s->deny_action == AG3_SECCOMP_ERRNO &&
	       s->deny_errno == EPERM && s->n_rules == 0;
}

/* Calls the default list has argument rules for, and socketcall, which carries
 * socket and socketpair on i386. */
static const char *const default_arg_calls[] = {"clone",       "ioctl",      "socket", "socketpair",
						"personality", "socketcall", NULL};

/* Whether the default list has a rule for the call `name` (by name or number). */
static bool in_default_list(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	const char *const *lists[] = {deny_plain, enosys_plain, default_arg_calls};
	for (size_t l = 0; l < ELEMENTSOF(lists); l++)
		for (const char *const *n = lists[l]; *n; n++)
			if (strcmp(*n, name) == 0 ||
			    (nr != __NR_SCMP_ERROR && seccomp_syscall_resolve_name(*n) == nr))
				return true;
	return false;
}

/*
 * Whether the profile's rules can go in a filter of their own stacked on the
 * precompiled default one with the effect of one filter holding both: the
 * default settings otherwise, no allow rule (an allow takes a call out of the
 * default list, which a second filter cannot undo), and no rule on a call the
 * default list has a rule for. Then every call is decided by at most one of the
 * two filters, the other allowing it, and the kernel's "strictest action wins"
 * gives what the single filter would.
 */
static bool stackable(const struct ag3_spec *spec)
{
	const __typeof__(spec->security.seccomp) *s = &spec->security.seccomp;
	if (!s->enabled || !s->use_default_list || s->deny_action != AG3_SECCOMP_ERRNO ||
	    s->deny_errno != EPERM || s->n_rules == 0 || ag3_seccomp_default_n == 0)
		return false;
	for (size_t i = 0; i < s->n_rules; i++)
		if (s->rules[i].action == AG3_SECCOMP_ALLOW || in_default_list(s->rules[i].syscall))
			return false;
	return true;
}

static int copy_default(struct ag3_seccomp_prog *ret, struct ag3_error **reterr)
{
	size_t bytes = ag3_seccomp_default_n * sizeof(struct sock_filter);
	if (!(ret->insns = malloc(bytes)))
		return ag3_error_set_stage(reterr, ENOMEM, "seccomp", NULL,
					   "seccomp: out of memory");
	memcpy(ret->insns, ag3_seccomp_default_insns, bytes);
	ret->n_insns = ag3_seccomp_default_n;
	return 0;
}

/* The filter as BPF, through a memfd (libseccomp exports to an fd). */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **insns, size_t *n,
		      struct ag3_error **reterr)
{
	_cleanup_close_ int fd = memfd_create("ag3-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return ag3_error_set_stage(reterr, errno, "seccomp", NULL, "seccomp: memfd: %m");
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return ag3_error_set_stage(reterr, -r, "seccomp", NULL,
					   "seccomp: exporting BPF: %s", strerror(-r));
	off_t len = lseek(fd, 0, SEEK_END);
	if (len <= 0 || len % (off_t)sizeof(struct sock_filter) || len > (1 << 20))
		return ag3_error_set_stage(reterr, EIO, "seccomp", NULL,
					   "seccomp: exported filter has a bad size");
	struct sock_filter *p = malloc((size_t)len);
	if (!p)
		return ag3_error_set_stage(reterr, ENOMEM, "seccomp", NULL,
					   "seccomp: out of memory");
	if (pread(fd, p, (size_t)len, 0) != len) {
		free(p);
		return ag3_error_set_stage(reterr, EIO, "seccomp", NULL,
					   "seccomp: reading the exported filter");
	}
	*insns = p;
	*n = (size_t)len / sizeof(struct sock_filter);
	return 0;
}

int ag3_seccomp_compile(const struct ag3_spec *spec, struct ag3_seccomp_prog *ret,
			struct ag3_error **reterr)
{
	memset(ret, 0, sizeof(*ret));
	if (!spec->security.seccomp.enabled)
		return 0;
	if (ag3_seccomp_is_default(spec) && ag3_seccomp_default_n > 0)
		return copy_default(ret, reterr);
	if (!stackable(spec))
		return ag3_seccomp_compile_fresh(spec, ret, reterr);
	_cleanup_(release) scmp_filter_ctx ctx = NULL;
	int r = new_ctx(&ctx, reterr);
	if (r < 0 || (r = add_profile_rules(ctx, spec, reterr)) < 0 ||
	    (r = export_bpf(ctx, &ret->extra_insns, &ret->n_extra_insns, reterr)) < 0 ||
	    (r = copy_default(ret, reterr)) < 0) {
		ag3_seccomp_prog_clear(ret);
		return r;
	}
	return 0;
}

int ag3_seccomp_compile_fresh(const struct ag3_spec *spec, struct ag3_seccomp_prog *ret,
			      struct ag3_error **reterr)
{
	memset(ret, 0, sizeof(*ret));
	if (!spec->security.seccomp.enabled)
		return 0;
	_cleanup_(release) scmp_filter_ctx ctx = NULL;
	int r = build(spec, &ctx, reterr);
	if (r < 0)
		return r;
	return export_bpf(ctx, &ret->insns, &ret->n_insns, reterr);
}

int ag3_seccomp_dump(const struct ag3_spec *spec, FILE *f, struct ag3_error **reterr)
{
	_cleanup_(release) scmp_filter_ctx ctx = NULL;
	int r = build(spec, &ctx, reterr);
	if (r < 0)
		return r;
	fflush(f);
	r = seccomp_export_pfc(ctx, fileno(f));
	return r < 0 ? ag3_error_set(reterr, -r, "seccomp: export: %s", strerror(-r)) : 0;
}

void ag3_seccomp_prog_clear(struct ag3_seccomp_prog *prog)
{
	free(prog->insns);
	free(prog->extra_insns);
	*prog = (struct ag3_seccomp_prog){0};
}
