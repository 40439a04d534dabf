/* SPDX-License-Identifier: MIT */
/*
 * The sandbox's side: init (pid 1) and the command it starts.
 *
 * Order, as DESIGN.md fixes it: (namespaces and id maps are done by the time
 * init runs) mounts and pivot_root, hostname, network; then init itself drops
 * (rlimits, groups/gid/uid with the bounding set emptied first, every
 * capability cleared and checked, no_new_privs) and starts the command, which
 * inherits that and does setsid, umask, landlock, seccomp last, every fd but
 * 0-2 closed, execve. init is non-dumpable, without capabilities, with its
 * argv and environment scrubbed from /proc/1, before the command exists.
 * DESIGN lists setsid before the uid drop: setsid concerns the command's
 * session only, so doing it in the command after init's drop changes nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "mounts/executor.h"
#include "runtime/caps.h"
#include "runtime/internal.h"
#include "runtime/landlock.h"
#include "runtime/netns.h"
#include "runtime/ucounts.h"
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

static void send_msg(int fd, const struct ag3_msg *m)
{
	ssize_t r;
	do
		r = send(fd, m, sizeof(*m), MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
}

void ag3_msg_send_error(int fd, const char *stage, int err, const char *path, const char *text)
{
	struct ag3_msg m = {.type = MSG_SETUP_ERROR, .err = err < 0 ? -err : err};
	copy_str(m.stage, sizeof(m.stage), stage);
	copy_str(m.path, sizeof(m.path), path);
	copy_str(m.text, sizeof(m.text), text);
	send_msg(fd, &m);
}

static _Noreturn void die_error(int fd, struct ag3_error *e, const char *stage)
{
	ag3_msg_send_error(fd, e && e->stage ? e->stage : stage, e ? e->err : EIO,
			   e ? e->path : NULL, e ? e->msg : NULL);
	_exit(125);
}

static _Noreturn void die_errno(int fd, const char *stage, int err, const char *path,
				const char *what)
{
	char text[768];
	snprintf(text, sizeof(text), "%s: %s%s%s: %s (%s)", stage, path ? path : "",
		 path ? ": " : "", what, strerror(err), ag3_errno_name(err));
	ag3_msg_send_error(fd, stage, err, path, text);
	_exit(125);
}

/* ---- /proc/1 hygiene ---------------------------------------------------------------------- */

/*
 * init is a fork of the caller, so /proc/1/cmdline would show the caller's
 * whole argv (host paths, profile names: bwrap's /proc/self leaked its
 * --setenv secrets this way). Overwrite the argv and environment areas.
 */
static void scrub_proc_title(void)
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

/* ---- the command --------------------------------------------------------------------------- */

/* The spec's environment with the command's own settings over it (same name: the
 * command's value; a new name: added). */
static char **build_env(const struct ag3_spec *spec, char *const *extra)
{
	size_t n_extra = 0;
	while (extra && extra[n_extra])
		n_extra++;
	char **env = calloc(spec->process.n_env + n_extra + 1, sizeof(char *));
	if (!env)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < spec->process.n_env; i++) {
		const char *name = spec->process.env[i].name;
		size_t len = strlen(name);
		bool overridden = false;
		for (size_t j = 0; j < n_extra && !overridden; j++)
			overridden = strncmp(extra[j], name, len) == 0 && extra[j][len] == '=';
		if (!overridden &&
		    asprintf(&env[n++], "%s=%s", name, spec->process.env[i].value) < 0)
			return NULL;
	}
	for (size_t j = 0; j < n_extra; j++)
		if (!(env[n++] = strdup(extra[j])))
			return NULL;
	return env;
}

/* PATH as the command gets it (its environment), else the usual default. */
static const char *env_path(char *const *envp)
{
	for (size_t i = 0; envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			return envp[i] + 5;
	return "/usr/local/bin:/usr/bin:/bin";
}

/* execve with a PATH search in the command's PATH (not the caller's). Returns the errno. */
static int exec_command(char *const *argv, char **envp)
{
	const char *file = argv[0];
	if (strchr(file, '/')) {
		execve(file, argv, envp);
		return errno;
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

/* The session's gid and uid (real, effective, saved), then every capability set
 * cleared and read back; on failure, the setup error goes to `fd`. */
static void set_ids_and_clear_caps(const struct ag3_child_ctx *ctx, int fd)
{
	struct ag3_error *err = NULL;
	if (setresgid(ctx->gid, ctx->gid, ctx->gid) < 0)
		die_errno(fd, "identity", errno, NULL, "setresgid");
	if (setresuid(ctx->uid, ctx->uid, ctx->uid) < 0)
		die_errno(fd, "identity", errno, NULL, "setresuid");
	if (ag3_caps_clear_all(&err) < 0)
		die_error(fd, err, "capabilities");
}

/*
 * init's drop, before it starts the command (which inherits all of it): the
 * spec's rlimits (while raising one is still allowed), the bounding set
 * emptied (it needs CAP_SETPCAP), supplementary groups, gid, uid, every
 * capability set cleared and read back, no_new_privs. A credential change
 * resets dumpable and the parent-death signal: both are set again.
 */
static void drop_privileges(struct ag3_child_ctx *ctx, int fd)
{
	const struct ag3_spec *spec = ctx->spec;
	struct ag3_error *err = NULL;
	for (size_t i = 0; i < spec->process.n_rlimits; i++) {
		const struct ag3_rlimit *l = &spec->process.rlimits[i];
		struct rlimit rl = {
			.rlim_cur = l->soft == AG3_RLIM_INFINITY ? RLIM_INFINITY : l->soft,
			.rlim_max = l->hard == AG3_RLIM_INFINITY ? RLIM_INFINITY : l->hard,
		};
		if (setrlimit(ag3_rlimit_resource_from_name(l->name), &rl) < 0)
			die_errno(fd, "rlimits", errno, NULL, l->name);
	}
	if (ag3_caps_drop_bounding(&err) < 0)
		die_error(fd, err, "capabilities");
	if (ctx->can_setgroups && setgroups(spec->identity.n_groups, spec->identity.groups) < 0)
		die_errno(fd, "identity", errno, NULL, "setgroups");
	set_ids_and_clear_caps(ctx, fd);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno(fd, "no_new_privs", errno, NULL, "prctl(PR_SET_NO_NEW_PRIVS)");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno(fd, "init", errno, NULL, "prctl after the credential change");
}

static _Noreturn void command_main(struct ag3_child_ctx *ctx, const struct ag3_cmd *cmd, int errfd,
				   int pty_slave)
{
	const struct ag3_spec *spec = ctx->spec;
	char *const *argv = cmd->argv;
	struct ag3_error *err = NULL;

	/* A new session: no controlling terminal, so TIOCSTI into the caller's is gone. */
	if (setsid() < 0)
		die_errno(errfd, "setsid", errno, NULL, "setsid");

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
		int from = cmd->pty_mask & (1u << i) ? pty_slave : cmd->stdio[i];
		if (from >= 0 && from != i && dup2(from, i) < 0)
			die_errno(errfd, "stdio", errno, NULL, "dup2");
	}
	/* The sandbox's own pty is the command's controlling terminal: job control
	 * works, and what the command does to its terminal stays in the sandbox. */
	if (pty_slave >= 0 && ioctl(pty_slave, TIOCSCTTY, 0) < 0)
		die_errno(errfd, "pty", errno, NULL, "ioctl(TIOCSCTTY)");

	umask(spec->process.umask);

	/* init dropped to the command's ids, groups, rlimits and an empty bounding set
	 * before starting it (see drop_privileges): the command inherits them, never
	 * holding more than init. Setting the same ids again is a no-op that fails if
	 * they are not what they must be; the capability sets are cleared and read back. */
	set_ids_and_clear_caps(ctx, errfd);

	/* As the command's own uid: a workspace it cannot enter is an error, not root's
	 * business. Resolved without following any symlink (nor /proc magic links): a
	 * link the sandboxed user planted on the way cannot move the working directory. */
	{
		const char *cwd = cmd->cwd ? cmd->cwd : spec->process.cwd;
		int cwd_fd = -1;
		int r = ag3_mounts_open_dir_nofollow(cwd, &cwd_fd);
		if (r < 0)
			die_errno(errfd, "cwd", -r, cwd,
				  r == -ELOOP ? "a symlink on the way (not followed)" : "open");
		if (fchdir(cwd_fd) < 0)
			die_errno(errfd, "cwd", errno, cwd, "chdir");
		close(cwd_fd);
	}

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno(errfd, "no_new_privs", errno, NULL, "prctl(PR_SET_NO_NEW_PRIVS)");

	/* Landlock: the filesystem as the mount list grants it, beneath the mounts themselves
	 * (the ruleset made ahead of time by a session's spare, or now). */
	if (ctx->landlock_rs >= 0 ? ag3_landlock_restrict(ctx->landlock_rs, &err) < 0
				  : ctx->landlock_abi > 0 &&
					    ag3_landlock_apply(spec, ctx->landlock_abi, &err) < 0)
		die_error(errfd, err, "landlock");

	/* Seccomp last: after it, only close_range and execve are left to do. */
	int r = ag3_seccomp_load(&ctx->seccomp);
	if (r < 0)
		die_errno(errfd, "seccomp", -r, NULL, "loading the filter");

	char **envp = build_env(spec, cmd->env);
	if (!envp)
		die_errno(errfd, "environment", ENOMEM, NULL, "building the environment");

	/* Every fd but 0, 1, 2 goes at execve (errfd too: it is how exec's success shows). */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0 &&
	    ag3_fds_walk(NULL, 0, false) < 0)
		die_errno(errfd, "fds", errno, "/proc/self/fd", "marking fds close-on-exec");

	/* Without a cgroup to enforce them, memory and pids fall back to rlimits: set
	 * last, so nothing of ours has to allocate under the address-space cap. */
	const struct {
		int res;
		uint64_t v;
	} fb[] = {{RLIMIT_AS, ctx->fallback_as}, {RLIMIT_NPROC, ctx->fallback_nproc}};
	for (size_t i = 0; i < ELEMENTSOF(fb); i++) {
		struct rlimit rl = {.rlim_cur = fb[i].v, .rlim_max = fb[i].v};
		if (fb[i].v && setrlimit(fb[i].res, &rl) < 0)
			die_errno(errfd, "rlimits", errno, NULL, "fallback limit");
	}

	int e = exec_command(argv, envp);
	char text[768];
	snprintf(text, sizeof(text), "exec: %s: %s (%s)", argv[0], strerror(e), ag3_errno_name(e));
	ag3_msg_send_error(errfd, "exec", e, argv[0], text);
	_exit(e == ENOENT ? 127 : 126);
}

struct cmd_args {
	struct ag3_child_ctx *ctx;
	const struct ag3_cmd *cmd;
	int errfd;
	int close_fds[3];
	int pty_slave;
};

static int command_trampoline(void *arg)
{
	struct cmd_args *ca = arg;
	for (size_t i = 0; i < ELEMENTSOF(ca->close_fds); i++)
		close(ca->close_fds[i]); /* the fd table is the command's own (no CLONE_FILES) */
	command_main(ca->ctx, ca->cmd, ca->errfd, ca->pty_slave);
}

/* ---- init ----------------------------------------------------------------------------------- */

/*
 * A pty of the sandbox's own devpts instance (its size bounded there), set to the
 * caller's terminal's modes and size; its master goes to the supervisor, which
 * relays. Returns the slave; on failure the setup fails (no fallback to the
 * caller's terminal).
 */
static int open_pty(const struct ag3_cmd *cmd, int sock)
{
	int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		die_errno(sock, "pty", errno, "/dev/pts/ptmx", "open");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		die_errno(sock, "pty", errno, NULL, "ioctl(TIOCSPTLCK)");
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		/* Before 4.13: by name, in this sandbox's own /dev/pts, without following links. */
		unsigned n = 0;
		char path[64];
		if (ioctl(master, TIOCGPTN, &n) < 0)
			die_errno(sock, "pty", errno, NULL, "ioctl(TIOCGPTN)");
		snprintf(path, sizeof(path), "/dev/pts/%u", n);
		slave = open(path, O_RDWR | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
		if (slave < 0)
			die_errno(sock, "pty", errno, path, "open");
	}
	if (cmd->have_termios && tcsetattr(slave, TCSANOW, &cmd->termios) < 0)
		die_errno(sock, "pty", errno, NULL, "tcsetattr");
	if (cmd->have_winsize && ioctl(slave, TIOCSWINSZ, &cmd->winsize) < 0)
		die_errno(sock, "pty", errno, NULL, "ioctl(TIOCSWINSZ)");

	struct ag3_msg m = {.type = MSG_PTY};
	if (ag3_msg_send_fd(sock, &m, master) < 0)
		die_errno(sock, "pty", errno, NULL, "passing the pty to the supervisor");
	close(master);
	return slave;
}

static void noop_handler(int sig)
{
	(void)sig;
}

static char **copy_argv(char *const *argv)
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **c = calloc(n + 1, sizeof(char *));
	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(c[i] = strdup(argv[i])))
			return NULL;
	return c;
}

/*
 * First thing in a new process of ours inside the sandbox: die with the parent,
 * and keep nothing of the parent's fds but `keep` (the socket and the command's
 * stdio). Of 0-2, those the command does not get from here are /dev/null.
 *
 * init is a copy of the supervisor: it inherits every fd the supervisor (or the
 * program embedding the library) has open, O_CLOEXEC or not: cgroup directory
 * fds, capture pipes, the embedder's sockets. close_range(CLOEXEC) only acts at
 * execve, but the command resolves its working directory before that, and a
 * cwd through /proc/self/fd/N of a host directory is outside the root (runc's
 * CVE-2024-21626). So init closes everything but `keep` first thing.
 */
static void own_fds_only(int sock, const int *stdio, unsigned pty_mask)
{
	const int keep[] = {sock, stdio[0], stdio[1], stdio[2]};
	int cr = ag3_fds_close_except(keep, ELEMENTSOF(keep));
	if (cr < 0)
		die_errno(sock, "fds", -cr, "/proc/self/fd", "closing the supervisor's fds");
	/* The caller's own 0-2 where the command gets something else (a pty, a relay
	 * pipe): init holds /dev/null there instead, not the caller's terminal. */
	for (int i = 0; i < 3; i++) {
		bool used = false;
		for (int j = 0; j < 3; j++)
			used |= !(pty_mask & (1u << j)) && (stdio[j] < 0 ? j : stdio[j]) == i;
		if (used)
			continue;
		int null = open("/dev/null", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (null < 0 || dup2(null, i) < 0)
			die_errno(sock, "fds", errno, "/dev/null", "replacing the caller's stdio");
		if (null != i)
			close(null);
	}
}

/* The sandbox itself: namespaces' contents, the root, hostname, loopback. */
static void build_sandbox(struct ag3_child_ctx *ctx, int sock)
{
	const struct ag3_spec *spec = ctx->spec;
	struct ag3_error *err = NULL;
	if (spec->namespaces.cgroup && unshare(CLONE_NEWCGROUP) < 0)
		die_errno(sock, "namespaces", errno, NULL, "unshare(CLONE_NEWCGROUP)");
	/* The sandbox's own user namespace bounds its share of the per-user kernel pools
	 * (never without one: the limits would be the host's). */
	if (ctx->userns && ag3_ucounts_bound(spec, ctx->session, &err) < 0)
		die_error(sock, err, "ucounts");

	/* Root mode with a user namespace: only the session's ids are mapped (host root
	 * is not), so the root is built with them as the fs ids; init keeps its
	 * capabilities in the namespace to mount. */
	if (ctx->userns && ctx->privileged) {
		setfsgid(ctx->gid);
		setfsuid(ctx->uid);
		if ((uid_t)setfsuid((uid_t)-1) != ctx->uid ||
		    (gid_t)setfsgid((gid_t)-1) != ctx->gid)
			die_errno(sock, "identity", EPERM, NULL,
				  "setting the fs ids for the build");
	}

	_cleanup_(ag3_mounts_plan_freep) struct ag3_mounts_plan *plan = NULL;
	if (ag3_mounts_prepare(spec->mounts, spec->n_mounts, &plan, &err) < 0)
		die_error(sock, err, "mount-source");
	if (ag3_mounts_enter(plan, &err) < 0)
		die_error(sock, err, "mount");
	ag3_mounts_plan_free(TAKE_PTR(plan));

	if (spec->namespaces.uts &&
	    sethostname(spec->process.hostname, strlen(spec->process.hostname)) < 0)
		die_errno(sock, "hostname", errno, NULL, "sethostname");
	if (spec->namespaces.net && ag3_netns_loopback_up(&err) < 0)
		die_error(sock, err, "network");

	/* Nothing of init can be read or ptraced by the command from here on. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno(sock, "init", errno, NULL, "prctl(PR_SET_DUMPABLE)");
	scrub_proc_title();
}

static int init_signals(int sock)
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
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		die_errno(sock, "init", errno, NULL, "sigprocmask");
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		die_errno(sock, "init", errno, NULL, "signalfd");
	return sfd;
}

/*
 * The command's init: drops, starts the command, passes signals on, reaps, and
 * reports over `sock`. In fresh mode this is the sandbox's pid 1; in a session,
 * the pid 1 of the command's own pid namespace. Either way every process the
 * command left behind is killed by the kernel when this one exits.
 */
/* Waits until the signalfd or the socket of pfd[2] has something (an init has no
 * other way on: a failing poll ends it, and with it its sandbox). */
static void wait_for(struct pollfd *pfd)
{
	while (poll(pfd, 2, -1) < 0)
		if (errno != EINTR)
			_exit(125);
}

/* What a command init does before it knows its command: its signals, then its drop
 * (init becomes the command's own uid, so it can pass signals on without keeping
 * CAP_KILL, and keeps nothing else, before the command exists: there is no moment
 * when the command runs beside a privileged init). Returns the signalfd. */
static int cinit_prepare(struct ag3_child_ctx *ctx, int sock)
{
	int sfd = init_signals(sock);
	drop_privileges(ctx, sock);
	return sfd;
}

/* sfd: from cinit_prepare when it was done ahead of time, else -1. */
static _Noreturn void command_init(struct ag3_child_ctx *ctx, const struct ag3_cmd *cmd, int sock,
				   int sfd)
{
	if (sfd < 0)
		sfd = cinit_prepare(ctx, sock);

	/* As the command's uid, so the pty's slave is the command's own. */
	int pty_slave = cmd->pty_mask ? open_pty(cmd, sock) : -1;

	int pipefd[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pipefd) < 0)
		die_errno(sock, "init", errno, NULL, "socketpair");
	/*
	 * The command is started posix_spawn-style: CLONE_VM | CLONE_VFORK on a stack
	 * of its own, so init's page tables are not copied; init waits (vfork) until
	 * the command has exec'd or failed, and the command touches init's memory
	 * only for what it needs before execve.
	 */
	struct cmd_args ca = {.ctx = ctx,
			      .cmd = cmd,
			      .errfd = pipefd[1],
			      .close_fds = {pipefd[0], sock, sfd},
			      .pty_slave = pty_slave};
	const size_t stack_size = 256 * 1024;
	void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		die_errno(sock, "init", errno, NULL, "mmap of the command's stack");
	pid_t pid = clone(command_trampoline, (char *)stack + stack_size,
			  CLONE_VM | CLONE_VFORK | SIGCHLD, &ca);
	if (pid < 0 && errno == EAGAIN)
		die_errno(sock, "init", errno, NULL,
			  "clone of the command: no process left (the sandbox's processes use up "
			  "its pids limit)");
	if (pid < 0)
		die_errno(sock, "init", errno, NULL, "clone of the command");
	munmap(stack, stack_size);
	close(pipefd[1]);
	if (pty_slave >= 0)
		close(pty_slave); /* the command holds it: its last close is the pty's EOF */

	/* The command's setup result: EOF means execve succeeded (the socket was CLOEXEC). */
	struct ag3_msg m = {0};
	ssize_t n;
	do
		n = recv(pipefd[0], &m, sizeof(m), 0);
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	bool exec_failed = n == (ssize_t)sizeof(m) && m.type == MSG_SETUP_ERROR;
	if (exec_failed) {
		send_msg(sock, &m);
	} else {
		struct ag3_msg started = {.type = MSG_STARTED};
		send_msg(sock, &started);
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
				send_msg(sock, &done);
			}
			/* Background children die with init: the kernel kills the pid namespace. */
			_exit(0);
		}
	}
}

/* ---- a session's holder ---------------------------------------------------------------------- */

struct cinit_args {
	struct ag3_child_ctx *ctx;
	int conn;  /* the client's connection, or -1: a spare waiting on zsock */
	int zsock; /* a spare's socket to the holder, or -1 */
};

/*
 * The client's connection: our pidfd to the client first (so it can stop us
 * whatever happens next), then its request, read and checked before anything
 * can fail (a socket closed with unread data resets its peer, which then loses
 * the reason sent before).
 */
static void take_request(int conn, struct ag3_cmd *cmd)
{
	int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	struct ag3_msg pm = {.type = MSG_PIDFD};
	if (self < 0 || ag3_msg_send_fd(conn, &pm, self) < 0)
		_exit(125); /* the client is gone or cannot be told how to stop us */
	close(self);
	char why[256] = "";
	int r = ag3_cmdreq_recv(conn, cmd, why, sizeof(why));
	if (r < 0)
		die_errno(conn, "request", -r, NULL, why);
}

/*
 * A session's command, in its own pid, mount, ipc and network namespaces: its
 * own /proc, /dev/pts, /dev/shm and loopback, its drop and landlock ruleset, its
 * request read from the client's connection and checked, then the same command
 * init as fresh mode.
 *
 * The holder keeps one such init ready ahead of time (a spare: conn = -1): it
 * has done everything but the request when the next one comes, and waits on
 * zsock for the connection.
 */
static int command_init_session(void *arg)
{
	struct cinit_args *a = arg;
	struct ag3_child_ctx *ctx = a->ctx;
	int conn = a->conn;
	struct ag3_error *err = NULL;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(125);
	const int none[3] = {-1, -1, -1};
	own_fds_only(conn >= 0 ? conn : a->zsock, none, 7);
	struct ag3_cmd cmd;
	if (conn >= 0)
		take_request(conn, &cmd);
	/*
	 * Everything that does not depend on the request: its own /proc, /dev/pts,
	 * /dev/shm and loopback-only network, its signals, its drop, its landlock
	 * ruleset. A spare does it ahead of time, and a failure there only ends the
	 * spare (its errors go to the holder, which ignores them): the request then
	 * starts an init of its own, which meets the same failure and tells its client.
	 */
	int err_to = conn >= 0 ? conn : a->zsock;
	if (ag3_mounts_renew(ctx->spec->mounts, ctx->spec->n_mounts, &err) < 0)
		die_error(err_to, err, "mount");
	if (ctx->spec->namespaces.net && ag3_netns_loopback_up(&err) < 0)
		die_error(err_to, err, "network");
	int sfd = cinit_prepare(ctx, err_to);
	if (ctx->landlock_abi > 0 &&
	    ag3_landlock_prepare(ctx->spec, ctx->landlock_abi, &ctx->landlock_rs, &err) < 0)
		die_error(err_to, err, "landlock");
	if (conn < 0) {
		struct ag3_msg m;
		ssize_t n;
		do
			n = ag3_msg_recv(a->zsock, &m, &conn, 0);
		while (n < 0 && errno == EINTR);
		if (n != (ssize_t)sizeof(m) || m.type != MSG_ATTACH || conn < 0)
			_exit(0); /* the holder is gone, or this spare is not needed */
		close(a->zsock);
		take_request(conn, &cmd);
	}
	/* Its stdio is what the client passed: none of it may be our socket. */
	command_init(ctx, &cmd, conn, sfd);
}

struct holder {
	struct ag3_child_ctx *ctx;
	unsigned long flags;
	int spare; /* the holder's end of the spare's socket, or -1 */
};

static pid_t start_cinit(struct holder *h, int conn, int zsock)
{
	/* The child's own stack; fork-style (no CLONE_VM): it lives as long as its
	 * command, beside the holder. */
	const size_t stack_size = 256 * 1024;
	void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return -1;
	struct cinit_args a = {.ctx = h->ctx, .conn = conn, .zsock = zsock};
	pid_t pid = clone(command_init_session, (char *)stack + stack_size, (int)h->flags | SIGCHLD,
			  &a);
	int e = errno;
	munmap(stack, stack_size);
	errno = e;
	return pid;
}

/* A spare command init, ready for the next request (best effort: without one,
 * the next request starts its init itself). */
static void start_spare(struct holder *h)
{
	int zs[2];
	if (h->spare >= 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, zs) < 0)
		return;
	if (start_cinit(h, -1, zs[1]) < 0) {
		close(zs[0]);
		close(zs[1]);
		return;
	}
	close(zs[1]);
	h->spare = zs[0];
}

/* One request: to the spare if there is one alive, else to a new command init. */
static void attach(struct holder *h, int conn)
{
	struct ag3_msg m = {.type = MSG_ATTACH};
	if (h->spare >= 0) {
		int r = ag3_msg_send_fd(h->spare, &m, conn);
		close(h->spare);
		h->spare = -1;
		if (r == 0)
			return;
	}
	if (start_cinit(h, conn, -1) >= 0)
		return;
	int e = errno;
	char text[256];
	if (e == ENOSPC)
		snprintf(text, sizeof(text),
			 "session: too many commands at once (at most %d run at once in a "
			 "session): %s (%s)",
			 AG3_SESSION_MAX_COMMANDS, strerror(e), ag3_errno_name(e));
	else if (e == EAGAIN)
		snprintf(text, sizeof(text),
			 "session: no process left for the command's init: the session's "
			 "processes use up its pids limit (or the host's): %s (%s)",
			 strerror(e), ag3_errno_name(e));
	else
		snprintf(text, sizeof(text),
			 "session: the holder could not start the command's init: %s (%s)",
			 strerror(e), ag3_errno_name(e));
	/* the request is taken off first: see command_init_session */
	char drop[1];
	(void)!recv(conn, drop, sizeof(drop), MSG_DONTWAIT | MSG_TRUNC);
	ag3_msg_send_error(conn, "namespaces", e, NULL, text);
}

/*
 * The holder: pid 1 of the session's pid namespace, in the built sandbox. It
 * keeps the namespaces and the mount tree alive and starts one command init per
 * MSG_ATTACH; it reaps them. It ends (and with it every command, by the
 * kernel) when its socket to the session's server closes.
 */
static _Noreturn void holder_main(struct ag3_child_ctx *ctx, int sock)
{
	int sfd = init_signals(sock);
	struct holder h = {.ctx = ctx, .flags = CLONE_NEWPID | CLONE_NEWNS, .spare = -1};
	if (ctx->spec->namespaces.ipc)
		h.flags |= CLONE_NEWIPC;
	/* A network namespace per command too: two commands running at once must not
	 * reach (or squat) each other's sockets, nor see them in /proc/net. */
	if (ctx->spec->namespaces.net)
		h.flags |= CLONE_NEWNET;
	start_spare(&h);
	struct ag3_msg ready = {.type = MSG_READY};
	send_msg(sock, &ready);
	struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = sock, .events = POLLIN}};
	for (;;) {
		wait_for(pfd);
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			ssize_t n = read(sfd, &si, sizeof(si));
			if (n == (ssize_t)sizeof(si) && si.ssi_signo != SIGCHLD)
				_exit(0); /* told to stop: the kernel ends every command */
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
		if (!pfd[1].revents)
			continue;
		struct ag3_msg m;
		int conn = -1;
		ssize_t n = ag3_msg_recv(sock, &m, &conn, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0); /* the server is gone: so is the session */
		if (n == (ssize_t)sizeof(m) && m.type == MSG_ATTACH && conn >= 0)
			attach(&h, conn);
		if (conn >= 0)
			close(conn);
		start_spare(&h);
	}
}

_Noreturn void ag3_init_main(struct ag3_child_ctx *ctx)
{
	int sock = ctx->sock;

	/* Die with the supervisor. If it is already gone, the socket says so below. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(125);
	/* Nothing of the supervisor's but the socket and the command's stdio. */
	own_fds_only(sock, ctx->cmd.stdio, ctx->session ? 7 : ctx->cmd.pty_mask);
	char go;
	ssize_t n;
	do
		n = recv(sock, &go, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(125); /* the supervisor died before the maps were written */

	/* argv may live in the caller's argument area, which the build scrubs. */
	if (!ctx->session && !(ctx->cmd.argv = copy_argv(ctx->cmd.argv)))
		die_errno(sock, "init", ENOMEM, NULL, "copying argv");
	build_sandbox(ctx, sock);
	if (ctx->session)
		holder_main(ctx, sock);
	command_init(ctx, &ctx->cmd, sock, -1);
}
