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
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "mounts/executor.h"
#include "runtime/caps.h"
#include "runtime/cinit.h"
#include "runtime/internal.h"
#include "runtime/landlock.h"
#include "runtime/netns.h"
#include "runtime/ucounts.h"
#include "runtime/util/fds.h"

/* Frees `e` before it exits: a vfork-style child's heap is its caller's. */
static _Noreturn void die_error(int fd, struct ag3_error *e, const char *stage)
{
	ag3_msg_send_error(fd, e && e->stage ? e->stage : stage, e ? e->err : EIO,
			   e ? e->path : NULL, e ? e->msg : NULL);
	ag3_error_free(e);
	_exit(125);
}

static _Noreturn void die_errno(int fd, const char *stage, int err, const char *path,
				const char *what)
{
	ag3_die_errno(fd, stage, err, path, what);
}

/* ---- the command --------------------------------------------------------------------------- */

/* The spec's environment with the command's own settings over it (same name: the
 * command's value; a new name: added). */
/* Allowlist mode's proxy settings: the relay's proxy for the programs that use one
 * (any other value would name a proxy the sandbox has no route to). */
static const char *const proxy_env[] = {
	"HTTP_PROXY=" AG3_NET_PROXY_URL,    "HTTPS_PROXY=" AG3_NET_PROXY_URL,
	"http_proxy=" AG3_NET_PROXY_URL,    "https_proxy=" AG3_NET_PROXY_URL,
	"ALL_PROXY=" AG3_NET_PROXY_URL,     "all_proxy=" AG3_NET_PROXY_URL,
	"NO_PROXY=localhost,127.0.0.1,::1", "no_proxy=localhost,127.0.0.1,::1",
};

static bool is_proxy_var(const char *entry, size_t len)
{
	for (size_t i = 0; i < ELEMENTSOF(proxy_env); i++)
		if (!strncmp(proxy_env[i], entry, len) && proxy_env[i][len] == '=')
			return true;
	return false;
}

char **ag3_cmd_env(const struct ag3_spec *spec, const struct ag3_cmd *cmd)
{
	const bool proxy = spec->network.mode == AG3_NET_ALLOWLIST;
	char *const *extra = cmd->env;
	/* the caller's TERM where the spec takes it, over the spec's (its settings win) */
	const char *term =
		spec->process.term_from_caller && ag3_term_name_valid(cmd->term) ? cmd->term : NULL;
	size_t n_extra = 0;
	while (extra && extra[n_extra])
		n_extra++;
	char **env =
		calloc(spec->process.n_env + n_extra + ELEMENTSOF(proxy_env) + 2, sizeof(char *));
	if (!env)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < spec->process.n_env; i++) {
		const char *name = spec->process.env[i].name;
		size_t len = strlen(name);
		bool overridden = proxy && is_proxy_var(name, len);
		for (size_t j = 0; j < n_extra && !overridden; j++)
			overridden = strncmp(extra[j], name, len) == 0 && extra[j][len] == '=';
		if (term && !overridden && !strcmp(name, "TERM")) {
			if (asprintf(&env[n++], "TERM=%s", term) < 0)
				return NULL;
			term = NULL;
			continue;
		}
		if (!overridden &&
		    asprintf(&env[n++], "%s=%s", name, spec->process.env[i].value) < 0)
			return NULL;
	}
	bool extra_term = false;
	for (size_t j = 0; j < n_extra; j++)
		extra_term |= !strncmp(extra[j], "TERM=", 5);
	if (term && !extra_term && asprintf(&env[n++], "TERM=%s", term) < 0)
		return NULL;
	for (size_t j = 0; j < n_extra; j++) {
		const char *eq = strchr(extra[j], '=');
		if (proxy && eq && is_proxy_var(extra[j], (size_t)(eq - extra[j])))
			continue;
		if (!(env[n++] = strdup(extra[j])))
			return NULL;
	}
	for (size_t i = 0; proxy && i < ELEMENTSOF(proxy_env); i++)
		if (!(env[n++] = strdup(proxy_env[i])))
			return NULL;
	return env;
}

/* The session's gid and uid (real, effective, saved), then every capability set
 * cleared and read back; on failure, the setup error goes to `fd`. */
static void set_ids_and_clear_caps(const struct ag3_child_ctx *ctx, int fd)
{
	struct ag3_error *err = NULL;
	const char *what = NULL;
	int r = ag3_cinit_set_ids(ctx->uid, ctx->gid, &what);
	if (r < 0)
		die_errno(fd, "identity", -r, NULL, what);
	/* And libcap's reading of every set, the ambient and bounding ones included. */
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
	if (ag3_caps_drop_bounding(ctx->root_command ? spec->security.caps_keep : 0,
				   ctx->root_command, &err) < 0)
		die_error(fd, err, "capabilities");
	if (ctx->root_command) {
		/* bwrap's root mode: ids, groups and capability sets stay the caller's
		 * (init starts the command, which inherits them), or become caps_keep. */
		const char *what = NULL;
		int r = ag3_cinit_root_caps(spec->security.caps_keep, spec->security.caps_set,
					    &what);
		if (r < 0)
			die_errno(fd, "identity", -r, NULL, what);
	} else {
		/* Raw: glibc's setgroups would change every thread of a vfork-style child's
		 * parent. */
		if (ctx->can_setgroups &&
		    syscall(SYS_setgroups, spec->identity.n_groups, spec->identity.groups) < 0)
			die_errno(fd, "identity", errno, NULL, "setgroups");
		set_ids_and_clear_caps(ctx, fd);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno(fd, "no_new_privs", errno, NULL, "prctl(PR_SET_NO_NEW_PRIVS)");
	/* A vfork-style child shares its caller's address space, whose dumpable flag this
	 * is: the caller puts its own back after the clone (sandbox.c), and the init
	 * binary sets its own first thing. Not dumpable meanwhile: the uid change above
	 * set it to fs.suid_dumpable, and at 1 a host process of the sandbox's uid could
	 * otherwise open this process's memory, which is the caller's. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		die_errno(fd, "init", errno, NULL, "prctl after the credential change");
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
static void own_fds_only(int sock, const int *stdio, unsigned pty_mask, int also)
{
	const int keep[] = {sock, stdio[0], stdio[1], stdio[2], also};
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
	if (ag3_mounts_enter(plan, &err) < 0) {
		ag3_mounts_plan_free(TAKE_PTR(plan));
		die_error(sock, err, "mount");
	}
	ag3_mounts_plan_free(TAKE_PTR(plan));

	if (spec->namespaces.uts &&
	    sethostname(spec->process.hostname, strlen(spec->process.hostname)) < 0)
		die_errno(sock, "hostname", errno, NULL, "sethostname");
	if (spec->namespaces.net && ag3_netns_loopback_up(&err) < 0)
		die_error(sock, err, "network");
	if (spec->network.mode == AG3_NET_ALLOWLIST) {
		struct ag3_net_socks ns;
		if (ag3_netns_relay_open(&spec->network, &ns, &err) < 0)
			die_error(sock, err, "network");
		ag3_netns_relay_send(sock, &ns);
	}

	/* The built root for the caller's hook (fresh mode, when asked): before any
	 * process of the sandbox runs, so it is the root init made. */
	if (!ctx->session && ctx->opts && ctx->opts->on_built) {
		int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		struct ag3_msg m = {.type = MSG_ROOT};
		if (root < 0 || ag3_msg_send_fd(sock, &m, root) < 0)
			die_errno(sock, "init", errno, "/", "passing the sandbox's root");
		close(root);
	}

	/* Nothing of init can be read or ptraced by the command from here on (a vfork-style
	 * child's caller puts its own flag back after the clone). Its argv area is the
	 * caller's: the init binary scrubs its own. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		die_errno(sock, "init", errno, NULL, "prctl(PR_SET_DUMPABLE)");
	if (ctx->init_exe < 0)
		ag3_scrub_proc_title();
}

/* What a command init does before it knows its command: its signals, then its drop
 * (init becomes the command's own uid, so it can pass signals on without keeping
 * CAP_KILL, and keeps nothing else, before the command exists: there is no moment
 * when the command runs beside a privileged init). Returns the signalfd. */
static int cinit_prepare(struct ag3_child_ctx *ctx, int sock)
{
	int sfd = ag3_cinit_signals(sock);
	drop_privileges(ctx, sock);
	return sfd;
}

/*
 * What the command gets from its init, beyond the drop: its umask and working
 * directory (resolved as the command's uid, without following any symlink nor
 * /proc magic link: a link the sandboxed user planted on the way cannot move
 * it), its environment (envp, or the spec's with the command's settings over
 * it), its landlock ruleset (made ahead of time by a session's spare, or now).
 */
static void command_setup(struct ag3_child_ctx *ctx, const struct ag3_cmd *cmd, int sock,
			  int pty_slave, char **envp, struct ag3_cinit *ci)
{
	const struct ag3_spec *spec = ctx->spec;
	struct ag3_error *err = NULL;
	umask(spec->process.umask);
	const char *cwd = cmd->cwd ? cmd->cwd : spec->process.cwd;
	int cwd_fd = -1;
	int r = ag3_mounts_open_dir_nofollow(cwd, &cwd_fd);
	if (r < 0)
		die_errno(sock, "cwd", -r, cwd,
			  r == -ELOOP ? "a symlink on the way (not followed)" : "open");
	if (fchdir(cwd_fd) < 0)
		die_errno(sock, "cwd", errno, cwd, "chdir");
	close(cwd_fd);
	if (!envp && !(envp = ag3_cmd_env(spec, cmd)))
		die_errno(sock, "environment", ENOMEM, NULL, "building the environment");
	if (ctx->landlock_rs < 0 && ctx->landlock_abi > 0 &&
	    ag3_landlock_prepare(spec, ctx->landlock_abi, &ctx->landlock_rs, &err) < 0)
		die_error(sock, err, "landlock");
	*ci = (struct ag3_cinit){
		.argv = cmd->argv,
		.file = cmd->file,
		.envp = envp,
		.stdio = {cmd->stdio[0], cmd->stdio[1], cmd->stdio[2]},
		.pty_mask = cmd->pty_mask,
		.pty_slave = pty_slave,
		.uid = ctx->uid,
		.gid = ctx->gid,
		.landlock_rs = ctx->landlock_rs,
		.seccomp = &ctx->seccomp,
		.fallback_as = ctx->fallback_as,
		.fallback_nproc = ctx->fallback_nproc,
		.root_caps = !ctx->root_command
				     ? -1
				     : (spec->security.caps_set ? 1 : 0) |
					       (ctx->opts && ctx->opts->filter_init ? 2 : 0),
		.caps_keep = ctx->root_command ? spec->security.caps_keep : 0,
		.as_pid_1 = !ctx->session && ctx->opts && ctx->opts->as_pid_1,
		.assert_userns = !ctx->session && ctx->opts && ctx->opts->assert_no_userns
					 ? ctx->seccomp_own
					 : -1,
	};
}

/* sfd: from cinit_prepare when it was done ahead of time, else -1. */
static _Noreturn void command_init(struct ag3_child_ctx *ctx, const struct ag3_cmd *cmd, int sock,
				   int sfd)
{
	if (sfd < 0)
		sfd = cinit_prepare(ctx, sock);
	/* As the command's uid, so the pty's slave is the command's own. */
	int pty_slave = cmd->pty_mask ? open_pty(cmd, sock) : -1;
	struct ag3_cinit ci;
	command_setup(ctx, cmd, sock, pty_slave, NULL, &ci);
	ag3_cinit_run(&ci, sock, sfd);
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
	own_fds_only(conn >= 0 ? conn : a->zsock, none, 7, -1);
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
	/* The relay's sockets in the command's own network namespace: its client
	 * serves them (the session's stub and relay, for this command). */
	struct ag3_net_socks ns = {.n = 0};
	if (ctx->spec->network.mode == AG3_NET_ALLOWLIST &&
	    ag3_netns_relay_open(&ctx->spec->network, &ns, &err) < 0)
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
	ag3_netns_relay_send(conn, &ns);
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
	int sfd = ag3_cinit_signals(sock);
	struct holder h = {.ctx = ctx, .flags = CLONE_NEWPID | CLONE_NEWNS, .spare = -1};
	if (ctx->spec->namespaces.ipc)
		h.flags |= CLONE_NEWIPC;
	/* A network namespace per command too: two commands running at once must not
	 * reach (or squat) each other's sockets, nor see them in /proc/net. */
	if (ctx->spec->namespaces.net)
		h.flags |= CLONE_NEWNET;
	start_spare(&h);
	struct ag3_msg ready = {.type = MSG_READY};
	ag3_msg_send(sock, &ready);
	struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN}, {.fd = sock, .events = POLLIN}};
	/*
	 * The next spare is made once the holder is idle: when a command init ends
	 * (the usual case: an agent's commands come one after another, seconds
	 * apart), else after SPARE_IDLE_MS without anything to do (a long command,
	 * or several at once). Made the moment its predecessor was taken, it would
	 * compete with that command for the CPU, on the command's own path
	 * (measured: about 2 ms of a warm /bin/true on 2 CPUs).
	 */
	enum { SPARE_IDLE_MS = 20 };
	for (;;) {
		int pr;
		while ((pr = poll(pfd, 2, h.spare < 0 ? SPARE_IDLE_MS : -1)) < 0)
			if (errno != EINTR)
				_exit(125);
		if (pr == 0) {
			start_spare(&h);
			continue;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			ssize_t n = read(sfd, &si, sizeof(si));
			if (n == (ssize_t)sizeof(si) && si.ssi_signo != SIGCHLD)
				_exit(0); /* told to stop: the kernel ends every command */
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			start_spare(&h); /* a command ended (or a spare died) */
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
	}
}

_Noreturn void ag3_init_main(struct ag3_child_ctx *ctx)
{
	int sock = ctx->sock;

	/* Die with the supervisor. If it is already gone, the socket says so below. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(125);
	/* Nothing of the supervisor's but the socket and the command's stdio. */
	own_fds_only(sock, ctx->cmd.stdio, ctx->session ? 7 : ctx->cmd.pty_mask, -1);
	char go;
	ssize_t n;
	do
		n = recv(sock, &go, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1)
		_exit(125); /* the supervisor died before the maps were written */

	/* argv may live in the caller's argument area, which the build scrubs. */
	if (!ctx->session && (!(ctx->cmd.argv = ag3_strv_copy(ctx->cmd.argv)) ||
			      (ctx->cmd.file && !(ctx->cmd.file = strdup(ctx->cmd.file)))))
		die_errno(sock, "init", ENOMEM, NULL, "copying argv");
	build_sandbox(ctx, sock);
	if (ctx->session)
		holder_main(ctx, sock);
	command_init(ctx, &ctx->cmd, sock, -1);
}

/* ---- fresh mode through the init binary -------------------------------------------------------- */

/* The seccomp program for the init binary: a memfd with both filters (see init-bin.c). */
static int seccomp_memfd(const struct ag3_seccomp_prog *prog, int sock)
{
	if (!prog->n_insns && !prog->n_extra_insns)
		return -1;
	int fd = (int)syscall(SYS_memfd_create, "ag3-seccomp", 0U);
	if (fd < 0)
		die_errno(sock, "seccomp", errno, NULL, "memfd_create");
	uint32_t hdr[2] = {(uint32_t)prog->n_insns, (uint32_t)prog->n_extra_insns};
	struct iovec iov[3] = {
		{hdr, sizeof(hdr)},
		{prog->insns, prog->n_insns * sizeof(struct sock_filter)},
		{prog->extra_insns, prog->n_extra_insns * sizeof(struct sock_filter)}};
	size_t total = iov[0].iov_len + iov[1].iov_len + iov[2].iov_len;
	if (writev(fd, iov, 3) != (ssize_t)total)
		die_errno(sock, "seccomp", errno ? errno : EIO, NULL, "writing the filter's memfd");
	return fd;
}

/*
 * Runs in a CLONE_VM | CLONE_VFORK child: it shares its caller's memory (the
 * caller waits until the execveat below, or until this child exits), so it
 * writes nothing of the caller's but what the caller handed it (ctx), keeps its
 * own fd table, signal handlers and credentials, changes ids with raw system
 * calls only (cinit.c), and leaves its caller's argv area alone. The binary it
 * execs has an address space of its own: from the exec on, init holds nothing of
 * the caller's, and nothing the command could reach in init is the caller's.
 */
int ag3_init_exec_child(void *arg)
{
	struct ag3_child_ctx *ctx = arg;
	struct ag3_cmd *cmd = &ctx->cmd;
	int sock = ctx->sock;
	/* Signals came blocked; the caller's handlers go before any could run here. They
	 * stay blocked through the exec: init reads the ones it acts on from a signalfd,
	 * and the command starts with none blocked. */
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sig != SIGKILL && sig != SIGSTOP && sigaction(sig, NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN)
			signal(sig, SIG_DFL);
	}
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(125);
	/* Into the sandbox's cgroup first (its fds are the caller's, closed next), before
	 * the cgroup namespace, so that the namespace's root is that cgroup. */
	if (ctx->cgroup) {
		int r = ag3_cgroup_join_self(ctx->cgroup);
		if (r < 0)
			die_errno(sock, "cgroup", -r, ctx->cgroup->path,
				  "moving the sandbox into its cgroup");
	}
	own_fds_only(sock, cmd->stdio, cmd->pty_mask, ctx->init_exe);
	/* Rootless, it maps its own ids: one each, the caller's (what an unprivileged
	 * process may map in a namespace it owns), setgroups denied first. */
	const char *why = NULL;
	int r = ctx->userns ? ag3_userns_maps_write(0, ctx, &why) : 0;
	if (r < 0)
		die_errno(sock, "userns", -r, why, "writing the id map");
	build_sandbox(ctx, sock);
	drop_privileges(ctx, sock);
	int pty_slave = cmd->pty_mask ? open_pty(cmd, sock) : -1;
	struct ag3_cinit ci;
	command_setup(ctx, cmd, sock, pty_slave, ctx->envp, &ci);
	int bpf = seccomp_memfd(&ctx->seccomp, sock);

	/* What init keeps goes through the exec. */
	const int pass[] = {sock, ci.stdio[0], ci.stdio[1], ci.stdio[2], pty_slave, ci.landlock_rs};
	for (size_t i = 0; i < ELEMENTSOF(pass); i++)
		if (pass[i] >= 0 && fcntl(pass[i], F_SETFD, 0) < 0)
			die_errno(sock, "fds", errno, NULL, "passing an fd to init");
	snprintf(ctx->init_fields, sizeof(ctx->init_fields),
		 "%d %zu %d %d %d %d %u %d %u %u %d %d %llu %llu %d %llu %d %d %d",
		 AG3_INIT_FIELDS_VERSION, ctx->init_argc, sock, ci.stdio[0], ci.stdio[1],
		 ci.stdio[2], ci.pty_mask, pty_slave, (unsigned)ci.uid, (unsigned)ci.gid,
		 ci.landlock_rs, bpf, (unsigned long long)ci.fallback_as,
		 (unsigned long long)ci.fallback_nproc, ci.root_caps,
		 (unsigned long long)ci.caps_keep, ci.file != NULL, ci.as_pid_1, ci.assert_userns);
	/* An empty environment: the command's follows its argv (nothing of it, GLIBC_TUNABLES
	 * say, is read by the init binary's libc at start-up). */
	char *const no_env[] = {NULL};
	syscall(SYS_execveat, ctx->init_exe, "", ctx->init_argv, no_env, AT_EMPTY_PATH);
	die_errno(sock, "init", errno, NULL, "exec of ag3ntum-init (the sandbox's init binary)");
}
