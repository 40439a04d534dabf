/* SPDX-License-Identifier: MIT */
/*
 * The command's init, from the moment everything but the command is in place
 * (see cinit.h), and the command itself up to execve. Linked into the library
 * and into the static init binary: libc and runtime/util only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cinit.h"
#include "runtime/execdiag.h"
#include "runtime/util/error.h"
#include "runtime/util/fds.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static void copy_str(char *dst, size_t len, const char *src)
{
	if (!src)
		src = "";
	size_t n = strnlen(src, len - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

void ag3_msg_send(int fd, const struct ag3_msg *m)
{
	ssize_t r;
	do
		r = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
}

static void send_error(int fd, unsigned applied, const char *stage, int err, const char *path,
		       const char *text)
{
	struct ag3_msg m = {
		.type = MSG_SETUP_ERROR, .err = err < 0 ? -err : err, .applied = applied};
	copy_str(m.stage, sizeof(m.stage), stage);
	copy_str(m.path, sizeof(m.path), path);
	copy_str(m.text, sizeof(m.text), text);
	ag3_msg_send(fd, &m);
}

void ag3_msg_send_error(int fd, const char *stage, int err, const char *path, const char *text)
{
	send_error(fd, 0, stage, err, path, text);
}

/* ag3_die_errno, saying what the command's process had applied (AG3_APPLIED_*). */
static _Noreturn void die_applied(int fd, unsigned applied, const char *stage, int err,
				  const char *path, const char *what)
{
	char text[768];
	snprintf(text, sizeof(text), "%s: %s%s%s: %s (%s)", stage, path ? path : "",
		 path ? ": " : "", what, strerror(err), ag3_errno_name(err));
	send_error(fd, applied, stage, err, path, text);
	_exit(125);
}

_Noreturn void ag3_die_errno(int fd, const char *stage, int err, const char *path, const char *what)
{
	die_applied(fd, 0, stage, err, path, what);
}

/* ---- /proc/1 hygiene ---------------------------------------------------------------------- */

/*
 * init is a fork of the caller (or the init binary, exec'd with the command's
 * argv and environment), so /proc/1/cmdline would show the caller's whole argv
 * (host paths, profile names: bwrap's /proc/self leaked its --setenv secrets
 * this way). Overwrite the argv and environment areas.
 */
void ag3_scrub_proc_title(void)
{
	char buf[4096];
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return;
	/* Fields after the comm start at field 3; arg_start..env_end are fields 48..51. */
	unsigned long long v[52] = {0};
	int field = 3;
	for (char *tok = strtok(p + 2, " "); tok && field <= 51; tok = strtok(NULL, " "), field++)
		v[field] = strtoull(tok, NULL, 10);
	if (field <= 51)
		return;
	unsigned long long as = v[48], ae = v[49], es = v[50], ee = v[51];
	if (es > ee || as > ae || ae - as > (1u << 24) || ee - es > (1u << 24))
		return;
	if (ee > es)
		memset((void *)(uintptr_t)es, 0, ee - es);
	if (ae > as) {
		memset((void *)(uintptr_t)as, 0, ae - as);
		static const char title[] = "ag3ntum-init";
		if (ae - as > sizeof(title))
			memcpy((void *)(uintptr_t)as, title, sizeof(title));
	}
	prctl(PR_SET_NAME, "ag3ntum-init", 0, 0, 0);
}

char **ag3_strv_copy(char *const *v)
{
	size_t n = 0;
	while (v[n])
		n++;
	char **c = calloc(n + 1, sizeof(char *));
	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(c[i] = strdup(v[i])))
			return NULL;
	return c;
}

/* ---- the init binary's inputs -------------------------------------------------------------- */

int ag3_init_fields_parse(const char *s, long long *v)
{
	for (int i = 0; i < AG3_INIT_N_FIELDS; i++) {
		if (i > 0 && *s++ != ' ')
			return -EINVAL;
		bool neg = *s == '-';
		if (neg)
			s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		unsigned long long x = 0;
		while (*s >= '0' && *s <= '9') {
			if (x > (ULLONG_MAX - 9) / 10)
				return -EINVAL;
			x = x * 10 + (unsigned)(*s++ - '0');
		}
		if (neg ? x != 1 : x > (unsigned long long)LLONG_MAX)
			return -EINVAL;
		v[i] = neg ? -1 : (long long)x;
	}
	return *s == 0 ? 0 : -EINVAL;
}

/* n instructions at `off` of fd, into a new array (NULL for none). 0 or -errno. */
static int read_insns(int fd, size_t n, off_t off, struct sock_filter **ret)
{
	*ret = NULL;
	if (!n)
		return 0;
	size_t size = n * sizeof(struct sock_filter);
	struct sock_filter *v = malloc(size);
	if (!v)
		return -ENOMEM;
	if (pread(fd, v, size, off) != (ssize_t)size) {
		free(v);
		return -EIO;
	}
	*ret = v;
	return 0;
}

int ag3_init_bpf_read(int fd, struct ag3_seccomp_prog *prog)
{
	uint32_t hdr[2];
	*prog = (struct ag3_seccomp_prog){0};
	if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return -EIO;
	if (hdr[0] > BPF_MAXINSNS || hdr[1] > BPF_MAXINSNS)
		return -EINVAL;
	struct stat st;
	size_t total = ((size_t)hdr[0] + hdr[1]) * sizeof(struct sock_filter);
	if (fstat(fd, &st) < 0 || st.st_size < 0 || (size_t)st.st_size != sizeof(hdr) + total)
		return -EINVAL;
	struct ag3_seccomp_prog p = {.n_insns = hdr[0], .n_extra_insns = hdr[1]};
	int r = read_insns(fd, hdr[0], sizeof(hdr), &p.insns);
	if (r == 0)
		r = read_insns(fd, hdr[1],
			       (off_t)(sizeof(hdr) + hdr[0] * sizeof(struct sock_filter)),
			       &p.extra_insns);
	if (r < 0) {
		free(p.insns);
		return r;
	}
	*prog = p;
	return 0;
}

/* ---- the filters ---------------------------------------------------------------------------- */

static int load_one(struct sock_filter *insns, size_t n)
{
	if (!n)
		return 0;
	if (n > BPF_MAXINSNS)
		return -EINVAL;
	struct sock_fprog fp = {.len = (unsigned short)n, .filter = insns};
	/* prctl, not seccomp(2): the same load (no flags), and an earlier filter of the
	 * caller's (bwrap's --add-seccomp-fd: systemd's @default allowlist) lets
	 * prctl through where it may not know seccomp(2). */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) < 0)
		return -errno;
	return 0;
}

/* The program's filters [from, to) of its two (insns, then extra_insns). */
static int load_filters(const struct ag3_seccomp_prog *prog, int from, int to)
{
	int r = 0;
	if (from <= 0 && to > 0)
		r = load_one(prog->insns, prog->n_insns);
	if (r == 0 && from <= 1 && to > 1)
		r = load_one(prog->extra_insns, prog->n_extra_insns);
	return r;
}

int ag3_seccomp_load(const struct ag3_seccomp_prog *prog)
{
	return load_filters(prog, 0, 2);
}

/* ---- ids and capabilities ------------------------------------------------------------------- */

int ag3_cinit_set_ids(uid_t uid, gid_t gid, const char **what)
{
	/* Raw calls: glibc's wrappers would signal every thread of the process to
	 * change theirs too, and a vfork-style child shares the caller's threads' list. */
	if (syscall(SYS_setresgid, gid, gid, gid) < 0) {
		*what = "setresgid";
		return -errno;
	}
	if (syscall(SYS_setresuid, uid, uid, uid) < 0) {
		*what = "setresuid";
		return -errno;
	}
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	if (syscall(SYS_capset, &h, d) < 0) {
		*what = "capset (clearing every capability)";
		return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		*what = "clearing the ambient capabilities";
		return -errno;
	}
	h.pid = 0;
	if (syscall(SYS_capget, &h, d) < 0) {
		*what = "capget";
		return -errno;
	}
	for (int i = 0; i < 2; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable) {
			*what = "a capability left after clearing them";
			return -EPERM;
		}
	return 0;
}

int ag3_cinit_root_caps(uint64_t keep, bool set, const char **what)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (syscall(SYS_getresuid, &ru, &eu, &su) < 0 ||
	    syscall(SYS_getresgid, &rg, &eg, &sg) < 0) {
		*what = "getresuid";
		return -errno;
	}
	if (ru || eu || su || rg || eg || sg) {
		*what = "a root command whose ids are not all 0";
		return -EPERM;
	}
	if (!set)
		return 0;
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	for (int i = 0; i < 2; i++)
		d[i].effective = d[i].permitted = d[i].inheritable = (uint32_t)(keep >> (32 * i));
	if (syscall(SYS_capset, &h, d) < 0) {
		*what = "capset (the kept capabilities)";
		return -errno;
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
		*what = "clearing the ambient capabilities";
		return -errno;
	}
	for (unsigned c = 0; c < 64; c++)
		if ((keep >> c & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 &&
		    errno != EINVAL) {
			*what = "raising an ambient capability";
			return -errno;
		}
	/* Read back: exactly `keep` in the three sets. */
	h.pid = 0;
	if (syscall(SYS_capget, &h, d) < 0) {
		*what = "capget";
		return -errno;
	}
	for (int i = 0; i < 2; i++) {
		uint32_t want = (uint32_t)(keep >> (32 * i));
		if (d[i].effective != want || d[i].permitted != want || d[i].inheritable != want) {
			*what = "the capability sets differ from the kept ones";
			return -EPERM;
		}
	}
	return 0;
}

/* ---- the command ---------------------------------------------------------------------------- */

/* PATH as the command gets it (its environment), else the usual default. */
static const char *env_path(char *const *envp)
{
	for (size_t i = 0; envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	return "/usr/local/bin:/usr/bin:/bin";
}

/* execve of `file` with a PATH search in the command's PATH (not the caller's).
 * Returns the errno; `found` gets the first file that exists but whose execve
 * said ENOENT (its interpreter is missing), else "". */
static int exec_command(const char *file, char *const *argv, char *const *envp, char *found,
			size_t flen)
{
	found[0] = 0;
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		int e = errno;
		if (e == ENOENT && access(file, F_OK) == 0)
			snprintf(found, flen, "%s", file);
		return e;
	}
	int saved = ENOENT;
	const char *p = env_path(envp);
	char full[PATH_MAX];
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		if (n > 0 && n + 1 + strlen(file) < sizeof(full)) {
			memcpy(full, p, n);
			full[n] = '/';
			strcpy(full + n + 1, file);
			execve(full, argv, envp);
			if (errno == ENOENT && !found[0] && access(full, F_OK) == 0)
				snprintf(found, flen, "%s", full);
			if (errno == EACCES)
				saved = EACCES;
			else if (errno != ENOENT && errno != ENOTDIR && saved != EACCES)
				saved = errno;
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return saved;
}

/* The command from init's drop to its execve. errfd: where a failure goes (its
 * closing at execve is how success shows); with ci->as_pid_1 it is the
 * supervisor's socket, and MSG_STARTED goes there just before the execve. */
static _Noreturn void command_main(const struct ag3_cinit *ci, int errfd)
{
	/* A new session: no controlling terminal, so TIOCSTI into the caller's is gone. */
	if (setsid() < 0)
		ag3_die_errno(errfd, "setsid", errno, NULL, "setsid");

	/* Handlers reset themselves at execve; an ignored signal would stay ignored.
	 * Only the classic signals are checked: nobody ignores realtime ones. */
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < 32; s++) {
		struct sigaction old;
		if (s != SIGKILL && s != SIGSTOP && sigaction(s, NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			signal(s, SIG_DFL);
	}
	sigprocmask(SIG_SETMASK, &none, NULL);

	for (int i = 0; i < 3; i++) {
		int from = ci->pty_mask & (1u << i) ? ci->pty_slave : ci->stdio[i];
		if (from >= 0 && from != i && dup2(from, i) < 0)
			ag3_die_errno(errfd, "stdio", errno, NULL, "dup2");
	}
	/* The sandbox's own pty is the command's controlling terminal: job control
	 * works, and what the command does to its terminal stays in the sandbox. */
	if (ci->pty_slave >= 0 && ioctl(ci->pty_slave, TIOCSCTTY, 0) < 0)
		ag3_die_errno(errfd, "pty", errno, NULL, "ioctl(TIOCSCTTY)");

	/* init dropped to the command's ids, groups, rlimits and an empty bounding set
	 * before starting it: the command inherits them, never holding more than init.
	 * Setting the same ids again is a no-op that fails if they are not what they
	 * must be; the capability sets are cleared and read back. */
	const char *what = NULL;
	int r = ci->root_caps >= 0 ? ag3_cinit_root_caps(ci->caps_keep, ci->root_caps & 1, &what)
				   : ag3_cinit_set_ids(ci->uid, ci->gid, &what);
	if (r < 0)
		ag3_die_errno(errfd, "identity", -r, NULL, what);
	/* From here a failure says what is in force (the result record's enforcement). */
	unsigned applied = ci->root_caps < 0 ? AG3_APPLIED_CAPS : 0;
	/* pid 1 dies with the supervisor as init does (a credential change may have
	 * reset it): the kernel then ends the sandbox. */
	if (ci->as_pid_1 && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_applied(errfd, applied, "init", errno, NULL, "prctl(PR_SET_PDEATHSIG)");

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_applied(errfd, applied, "no_new_privs", errno, NULL,
			    "prctl(PR_SET_NO_NEW_PRIVS)");
	applied |= AG3_APPLIED_NNP;

	/* Landlock: the filesystem as the mount list grants it, beneath the mounts themselves. */
	if (ci->landlock_rs >= 0) {
		if (syscall(SYS_landlock_restrict_self, ci->landlock_rs, 0) < 0)
			die_applied(errfd, applied, "landlock", errno, NULL, "restrict_self");
		applied |= AG3_APPLIED_LANDLOCK;
	}

	/* Seccomp last: after it, only close_range and execve are left to do. bwrap's
	 * --assert-userns-disabled is checked between the spec's filters (which carry
	 * its --disable-userns) and the caller's own: a new user namespace must be
	 * refused by then. Success would leave this process in one; it exits at once. */
	const int split = ci->assert_userns >= 0 ? ci->assert_userns : 2;
	r = load_filters(ci->seccomp, 0, split);
	if (r == 0 && ci->assert_userns >= 0 && syscall(SYS_unshare, CLONE_NEWUSER) == 0) {
		send_error(errfd, applied | (ci->seccomp->n_insns ? AG3_APPLIED_SECCOMP : 0),
			   "userns", EEXIST, NULL,
			   "creation of new user namespaces was not disabled as requested");
		_exit(125);
	}
	if (r == 0)
		r = load_filters(ci->seccomp, split, 2);
	if (r < 0)
		die_applied(errfd, applied, "seccomp", -r, NULL, "loading the filter");
	if (ci->seccomp->n_insns)
		applied |= AG3_APPLIED_SECCOMP;

	/* Every fd but 0, 1, 2 goes at execve (errfd too: it is how exec's success shows). */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0 &&
	    ag3_fds_walk(NULL, 0, false) < 0)
		die_applied(errfd, applied, "fds", errno, "/proc/self/fd",
			    "marking fds close-on-exec");

	/* Without a cgroup to enforce them, memory and pids fall back to rlimits: set
	 * last, so nothing of ours has to allocate under the address-space cap. */
	const struct {
		int res;
		uint64_t v;
	} fb[] = {{RLIMIT_AS, ci->fallback_as}, {RLIMIT_NPROC, ci->fallback_nproc}};
	for (size_t i = 0; i < sizeof(fb) / sizeof(fb[0]); i++) {
		struct rlimit rl = {.rlim_cur = fb[i].v, .rlim_max = fb[i].v};
		if (fb[i].v && setrlimit(fb[i].res, &rl) < 0)
			die_applied(errfd, applied, "rlimits", errno, NULL, "fallback limit");
	}

	if (ci->as_pid_1) {
		struct ag3_msg started = {.type = MSG_STARTED};
		ag3_msg_send(errfd, &started);
	}
	const char *file = ci->file ? ci->file : ci->argv[0];
	char found[PATH_MAX], why[640];
	int e = exec_command(file, ci->argv, ci->envp, found, sizeof(found));
	char text[768];
	/* ENOENT of a file that is there: its loader or #! interpreter is what is missing */
	if (e == ENOENT && found[0] && ag3_exec_diagnose_enoent(found, why, sizeof(why)))
		snprintf(text, sizeof(text), "exec: %s: %s", found, why);
	else
		snprintf(text, sizeof(text), "exec: %s: %s (%s)", file, strerror(e),
			 ag3_errno_name(e));
	send_error(errfd, applied, "exec", e, file, text);
	_exit(e == ENOENT ? 127 : 126);
}

struct cmd_args {
	const struct ag3_cinit *ci;
	int errfd;
	int close_fds[3];
};

static int command_trampoline(void *arg)
{
	struct cmd_args *ca = arg;
	for (size_t i = 0; i < sizeof(ca->close_fds) / sizeof(ca->close_fds[0]); i++)
		close(ca->close_fds[i]); /* the fd table is the command's own (no CLONE_FILES) */
	command_main(ca->ci, ca->errfd);
}

/* ---- init ------------------------------------------------------------------------------------ */

static void noop_handler(int sig)
{
	(void)sig;
}

int ag3_cinit_signals(int sock)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	struct sigaction sa = {.sa_handler = noop_handler};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* SIGCHLD as the caller left it could be ignored (exec keeps SIG_IGN) or carry
	 * SA_NOCLDWAIT (a fork keeps it): the kernel would then reap the command
	 * unseen and send no SIGCHLD, and init would wait for it forever. */
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	if (sigaction(SIGCHLD, &dfl, NULL) < 0)
		ag3_die_errno(sock, "init", errno, NULL, "sigaction(SIGCHLD)");
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		ag3_die_errno(sock, "init", errno, NULL, "sigprocmask");
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		ag3_die_errno(sock, "init", errno, NULL, "signalfd");
	return sfd;
}

/* Waits until pfd[0] or pfd[1] has something; a failing poll ends init. */
static void wait_for(struct pollfd *pfd)
{
	while (poll(pfd, 2, -1) < 0)
		if (errno != EINTR)
			_exit(125);
}

_Noreturn void ag3_cinit_run(const struct ag3_cinit *ci, int sock, int sfd)
{
	if (ci->as_pid_1) {
		/* No reaper: init becomes the command (cinit.h). Its signals' handlers
		 * reset at execve, and command_main unblocks them. */
		if (sfd >= 0)
			close(sfd);
		command_main(ci, sock);
	}
	if (sfd < 0)
		sfd = ag3_cinit_signals(sock);

	int pipefd[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pipefd) < 0)
		ag3_die_errno(sock, "init", errno, NULL, "socketpair");
	/*
	 * The command is started posix_spawn-style: CLONE_VM | CLONE_VFORK on a stack
	 * of its own, so init's page tables are not copied; init waits (vfork) until
	 * the command has exec'd or failed, and the command touches init's memory
	 * only for what it needs before execve.
	 */
	struct cmd_args ca = {.ci = ci, .errfd = pipefd[1], .close_fds = {pipefd[0], sock, sfd}};
	const size_t stack_size = 256 * 1024;
	char here;
	void *stack = AG3_VFORK_ON_CALLER_STACK
			      ? NULL
			      : mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		ag3_die_errno(sock, "init", errno, NULL, "mmap of the command's stack");
	pid_t pid = clone(command_trampoline,
			  stack ? (char *)stack + stack_size : AG3_CALLER_STACK_TOP(&here),
			  CLONE_VM | CLONE_VFORK | SIGCHLD, &ca);
	if (pid < 0 && errno == EAGAIN)
		ag3_die_errno(sock, "init", errno, NULL,
			      "clone of the command: no process left (the sandbox's processes use "
			      "up its pids limit)");
	if (pid < 0)
		ag3_die_errno(sock, "init", errno, NULL, "clone of the command");
	if (stack)
		munmap(stack, stack_size);
	close(pipefd[1]);
	if (ci->pty_slave >= 0)
		close(ci->pty_slave); /* the command holds it: its last close is the pty's EOF */

	/* The command's setup result: EOF means execve succeeded (the socket was CLOEXEC). */
	struct ag3_msg m = {0};
	ssize_t n;
	do
		n = recv(pipefd[0], &m, sizeof(m), 0);
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	bool exec_failed = n == (ssize_t)sizeof(m) && m.type == MSG_SETUP_ERROR;
	/* A root command (bwrap's root mode) may keep CAP_SYS_PTRACE, which passes init's
	 * non-dumpable flag: it could make init, its pid 1, run what the filters deny it.
	 * With bwrap's --unshare-pid, init goes under them too, as bwrap's own init does
	 * (after the command started: the filters need not allow init's setup of it); a
	 * filter that denies what init needs then ends the sandbox, as it ends bwrap's.
	 * Without it, as bwrap's monitor process, init stays unfiltered (README). */
	if (!exec_failed && ci->root_caps >= 0 && (ci->root_caps & 2)) {
		int r = ag3_seccomp_load(ci->seccomp);
		if (r < 0) {
			kill(pid, SIGKILL);
			ag3_die_errno(sock, "seccomp", -r, NULL, "loading the filter in init");
		}
	}
	if (exec_failed) {
		ag3_msg_send(sock, &m);
	} else {
		struct ag3_msg started = {.type = MSG_STARTED};
		ag3_msg_send(sock, &started);
	}

	struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = sock, .events = POLLIN}};
	for (;;) {
		wait_for(pfd);
		/* The supervisor is gone (or wrote what it never writes): end the sandbox. */
		if (pfd[1].revents)
			_exit(125);
		if (!(pfd[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		n = read(sfd, &si, sizeof(si));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n != (ssize_t)sizeof(si))
			_exit(125);
		if (si.ssi_signo != SIGCHLD) {
			/* Passed on to everything in the sandbox (kill(-1) skips init itself). */
			kill(-1, (int)si.ssi_signo);
			continue;
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p != pid)
				continue;
			if (!exec_failed) {
				struct ag3_msg done = {.type = MSG_EXITED, .wstatus = st};
				getrusage(RUSAGE_CHILDREN, &done.rusage);
				ag3_msg_send(sock, &done);
			}
			/* Background children die with init: the kernel kills the pid namespace. */
			_exit(0);
		}
	}
}
