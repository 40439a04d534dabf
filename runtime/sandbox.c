/* SPDX-License-Identifier: MIT */
/* The supervisor: clone into new namespaces, write the id maps, wait, time out, report. */
#include "sandbox.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "runtime/internal.h"
#include "runtime/landlock.h"
#include "runtime/relay.h"
#include "runtime/streams.h"

static void setup_failed(struct ag3_result *res, int err, const char *stage, const char *path,
			 const char *text)
{
	res->status = AG3_STATUS_SETUP_FAILED;
	ag3_error_free(res->setup_error);
	res->setup_error = NULL;
	ag3_error_set_stage(&res->setup_error, err, stage, path && *path ? path : NULL, "%s",
			    text && *text ? text : strerror(err));
}

/* Privileged: CAP_SYS_ADMIN (plus the id capabilities) in the initial user namespace. */
static bool is_privileged(void)
{
	if (geteuid() != 0)
		return false;
	cap_t c = cap_get_proc();
	if (!c)
		return false;
	bool ok = true;
	const cap_value_t need[] = {CAP_SYS_ADMIN, CAP_SETUID, CAP_SETGID, CAP_SETPCAP};
	for (size_t i = 0; i < ELEMENTSOF(need); i++) {
		cap_flag_value_t v = CAP_CLEAR;
		cap_get_flag(c, need[i], CAP_EFFECTIVE, &v);
		ok = ok && v == CAP_SET;
	}
	cap_free(c);
	return ok;
}

static int write_proc_file(pid_t pid, const char *name, const char *content)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(content);
	ssize_t w = write(fd, content, len);
	int e = errno;
	close(fd);
	if (w < 0)
		return -e;
	return (size_t)w == len ? 0 : -EIO;
}

static pid_t clone_child(unsigned long flags)
{
	struct clone_args args = {.flags = flags, .exit_signal = SIGCHLD};
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r >= 0 || errno != ENOSYS)
		return (pid_t)r;
	/* Kernels before 5.3 (or clone3 filtered): the classic call, fork-like. */
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static int setup_userns_maps(pid_t pid, const struct ag3_child_ctx *ctx, char *why, size_t wlen)
{
	char map[64];
	int r;
	/* Privileged: ids map one to one and setgroups stays usable (groups are cleared).
	 * Rootless: the caller's own ids, alone; setgroups must be denied first. */
	if (!ctx->privileged && (r = write_proc_file(pid, "setgroups", "deny")) < 0) {
		snprintf(why, wlen, "setgroups");
		return r;
	}
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)ctx->uid,
		 ctx->privileged ? (unsigned)ctx->uid : (unsigned)geteuid());
	if ((r = write_proc_file(pid, "uid_map", map)) < 0) {
		snprintf(why, wlen, "uid_map");
		return r;
	}
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)ctx->gid,
		 ctx->privileged ? (unsigned)ctx->gid : (unsigned)getegid());
	if ((r = write_proc_file(pid, "gid_map", map)) < 0) {
		snprintf(why, wlen, "gid_map");
		return r;
	}
	return 0;
}

static void fill_from_wstatus(struct ag3_result *res, int st)
{
	if (WIFEXITED(st)) {
		res->status = AG3_STATUS_EXITED;
		res->exit_code = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		res->status = AG3_STATUS_SIGNALED;
		res->signal = WTERMSIG(st);
	}
}

static int run_child(const struct ag3_spec *spec, const struct ag3_run_opts *opts,
		     struct ag3_result *res, struct ag3_child_ctx *pctx, uint64_t start);

static bool spec_has_rlimit(const struct ag3_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->process.n_rlimits; i++)
		if (strcmp(spec->process.rlimits[i].name, name) == 0)
			return true;
	return false;
}

int ag3_sandbox_run(const struct ag3_spec *spec, const struct ag3_run_opts *opts,
		    struct ag3_result *res)
{
	if (!opts || !opts->argv || !opts->argv[0] || !*opts->argv[0])
		return -EINVAL;
	uint64_t start = ag3_now_ms();
	struct ag3_error *verr = NULL;
	if (ag3_spec_validate(spec, &verr) < 0) {
		res->status = AG3_STATUS_SETUP_FAILED;
		res->setup_error = verr;
		ag3_error_wrap(&res->setup_error, "spec");
		free(res->setup_error->stage);
		res->setup_error->stage = strdup("spec");
		return 0;
	}

	struct ag3_child_ctx ctx = {.spec = spec, .opts = opts, .sock = -1};
	ctx.privileged = is_privileged();
	switch (spec->namespaces.user) {
	case AG3_USERNS_ALWAYS:
		ctx.userns = true;
		break;
	case AG3_USERNS_NEVER:
		if (!ctx.privileged) {
			setup_failed(
				res, EPERM, "namespaces", NULL,
				"namespaces: user_namespace is 'never' but this process is not "
				"privileged (root mode needs root with CAP_SYS_ADMIN)");
			return 0;
		}
		ctx.userns = false;
		break;
	default:
		/* minimum_isolation.user_namespace: a user namespace even in root mode. */
		ctx.userns = !ctx.privileged || spec->security.minimum.userns;
		break;
	}
	if (spec->namespaces.user == AG3_USERNS_NEVER && spec->security.minimum.userns) {
		setup_failed(
			res, EINVAL, "namespaces", NULL,
			"namespaces: user_namespace is 'never' but minimum_isolation requires one");
		return 0;
	}

	/* Landlock: refuse below the required ABI, otherwise record a downgrade. */
	if (spec->security.landlock.enabled) {
		int abi = ag3_landlock_abi();
		unsigned need = spec->security.minimum.landlock_abi;
		if (need && (unsigned)abi < need) {
			char text[160];
			snprintf(
				text, sizeof(text),
				"landlock: minimum_isolation requires landlock ABI %u, this kernel "
				"has %d",
				need, abi);
			setup_failed(res, ENOTSUP, "landlock", NULL, text);
			return 0;
		}
		if (abi == 0)
			ag3_result_add_degraded(res, "landlock: not available on this kernel");
		ctx.landlock_abi = abi;
		if (abi > 0 && abi < 4 &&
		    (spec->security.landlock.n_net_bind_ports ||
		     spec->security.landlock.n_net_connect_ports))
			ag3_result_add_degraded(res, "landlock: TCP port rules need ABI 4");
	} else if (spec->security.minimum.landlock_abi) {
		setup_failed(res, EINVAL, "landlock", NULL,
			     "landlock: the profile turns landlock off but its minimum_isolation "
			     "requires it");
		return 0;
	}
	if (spec->network.mode == AG3_NET_ALLOWLIST)
		/* Stricter than asked, not looser: nothing leaves the sandbox's network. */
		ag3_result_add_degraded(res,
					"network: allowlist mode has no egress proxy yet, so the "
					"allowed domains are not reachable either: all egress "
					"is blocked");
	if (spec->security.caps_keep) {
		setup_failed(res, ENOTSUP, "capabilities", NULL,
			     "capabilities: keeping capabilities (caps_keep) is not supported");
		return 0;
	}
	ctx.uid = spec->identity.uid_set ? spec->identity.uid : ctx.privileged ? 65534 : geteuid();
	ctx.gid = spec->identity.gid_set ? spec->identity.gid : ctx.privileged ? 65534 : getegid();
	if (ctx.uid == 0 || ctx.gid == 0) {
		setup_failed(res, EPERM, "identity", NULL,
			     "identity: the command would run as uid or gid 0; pass --uid/--gid");
		return 0;
	}
	if (!spec->security.seccomp.enabled && spec->security.minimum.seccomp) {
		setup_failed(res, EPERM, "seccomp", NULL,
			     "seccomp: the profile turns seccomp off but its minimum_isolation "
			     "requires it");
		return 0;
	}
	/* Limits: a cgroup (v2 when one is delegated to us, v1 on hybrid hosts in root
	 * mode), else rlimits; every fallback is recorded. */
	struct ag3_cgroup cg = {.dirfd = -1, .v1_mem_fd = -1, .v1_pids_fd = -1, .v1_cpu_fd = -1};
	struct ag3_cgroup_info cgi;
	ag3_cgroup_detect(&cgi);
	char why[9000] = "";
	int cr = ag3_cgroup_create(spec, &cgi, &cg, why, sizeof(why));
	if (cr < 0) {
		char text[9200];
		snprintf(text, sizeof(text),
			 "cgroup: creating the sandbox's cgroup under %s: %s (%s)",
			 cgi.mount[0] ? cgi.self : "the cgroup v1 hierarchies", strerror(-cr),
			 ag3_errno_name(-cr));
		setup_failed(res, -cr, "cgroup", cgi.self, text);
		return 0;
	}
	const bool want_mem = spec->limits.memory_bytes > 0, want_pids = spec->limits.pids > 0,
		   want_cpu = spec->limits.cpu_weight || spec->limits.cpu_quota_us;
	char mem_why[9300], pids_why[9300];
	ag3_cgroup_why(&cgi, "memory", why, mem_why, sizeof(mem_why));
	ag3_cgroup_why(&cgi, "pids", why, pids_why, sizeof(pids_why));
	if (spec->security.minimum.cgroup &&
	    ((want_mem && !cg.memory) || (want_pids && !cg.pids))) {
		char text[9400];
		snprintf(text, sizeof(text),
			 "cgroup: minimum_isolation requires cgroup limits, but "
			 "there is %s",
			 want_mem && !cg.memory ? mem_why : pids_why);
		ag3_cgroup_destroy(&cg);
		setup_failed(res, ENOTSUP, "cgroup", NULL, text);
		return 0;
	}
	char text[10700];
	if (want_mem && !cg.memory && !spec_has_rlimit(spec, "as")) {
		ctx.fallback_as = spec->limits.memory_bytes;
		char bounds[1200];
		ag3_memory_bounds_text(AG3_MEM_RLIMITS, bounds, sizeof(bounds));
		snprintf(text, sizeof(text),
			 "memory: %s; RLIMIT_AS (per process) applied instead. %s", mem_why,
			 bounds);
		ag3_result_add_degraded(res, text);
	}
	if (want_pids && !cg.pids && !spec_has_rlimit(spec, "nproc")) {
		ctx.fallback_nproc = spec->limits.pids;
		/* RLIMIT_NPROC counts a uid's processes per user namespace: without one
		 * (root mode) it would count every process of that uid on the host, and
		 * sandboxes sharing a uid would starve each other. */
		const char *scope = "in the sandbox's own user namespace";
		if (!ctx.userns && spec->namespaces.user == AG3_USERNS_AUTO)
			ctx.userns = true;
		else if (!ctx.userns)
			scope = "counting every process of the uid on the host (user_namespace: "
				"never)";
		snprintf(text, sizeof(text), "pids: %s; RLIMIT_NPROC applied instead, %s", pids_why,
			 scope);
		ag3_result_add_degraded(res, text);
	}
	if (want_cpu && !cg.cpu) {
		snprintf(text, sizeof(text),
			 "cpu: no writable cgroup (v2 or v1) cpu controller; "
			 "no cpu limit applied");
		ag3_result_add_degraded(res, text);
	}
	ctx.cgroup = cr == 1 ? &cg : NULL;
	res->enforcement.userns = ctx.userns;

	if (spec->security.seccomp.enabled && spec->security.seccomp.deny_action == AG3_SECCOMP_LOG)
		ag3_result_add_degraded(res,
					"seccomp: deny_action is log: the calls the filter lists "
					"are logged and then allowed, not denied");
	struct ag3_error *serr = NULL;
	if (ag3_seccomp_compile(spec, &ctx.seccomp, &serr) < 0) {
		ag3_cgroup_destroy(&cg);
		res->status = AG3_STATUS_SETUP_FAILED;
		res->setup_error = serr;
		return 0;
	}
	int rc = run_child(spec, opts, res, &ctx, start);
	ag3_seccomp_prog_clear(&ctx.seccomp);
	ag3_cgroup_destroy(&cg);
	return rc;
}

/* One message from init, and the fd it carries if any (the pty's master). */
static ssize_t recv_msg(int sock, struct ag3_msg *m, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = {.iov_base = m, .iov_len = sizeof(*m)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	*fd = -1;
	if (n < 0)
		return n;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0 && k == 1)
				*fd = f;
			else
				close(f);
		}
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	return n;
}

static int run_child(const struct ag3_spec *spec, const struct ag3_run_opts *opts,
		     struct ag3_result *res, struct ag3_child_ctx *pctx, uint64_t start)
{
	struct ag3_child_ctx ctx = *pctx;
	ctx.can_setgroups = ctx.privileged;
	if (!ctx.can_setgroups && spec->identity.n_groups) {
		setup_failed(res, EPERM, "identity", NULL,
			     "identity: supplementary groups need root mode");
		return 0;
	}
	if (ctx.userns && spec->identity.n_groups) {
		setup_failed(
			res, ENOTSUP, "identity", NULL,
			"identity: supplementary groups cannot be mapped into a user namespace");
		return 0;
	}
	res->enforcement.root_mode = ctx.privileged;
	res->enforcement.userns = ctx.userns;
	res->enforcement.uid = ctx.uid;
	res->enforcement.gid = ctx.gid;
	res->enforcement.net = spec->namespaces.net;
	res->enforcement.ipc = spec->namespaces.ipc;
	res->enforcement.uts = spec->namespaces.uts;
	res->enforcement.cgroup_ns = spec->namespaces.cgroup;

	/* The command's stdio: the caller's, captured, relayed, or a pty of its own. */
	struct ag3_run_opts copts = *opts;
	struct ag3_streams io;
	const char *io_why = NULL;
	int ior = ag3_streams_setup(&io, spec, opts, &copts, &io_why);
	if (ior < 0) {
		setup_failed(res, -ior, "supervisor", NULL, io_why);
		return 0;
	}
	ctx.opts = &copts;

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		setup_failed(res, errno, "supervisor", NULL, "supervisor: socketpair failed");
		ag3_streams_clear(&io);
		return 0;
	}
	ctx.sock = sv[1];

	unsigned long flags = CLONE_NEWNS | CLONE_NEWPID;
	if (ctx.userns)
		flags |= CLONE_NEWUSER;
	if (spec->namespaces.net)
		flags |= CLONE_NEWNET;
	if (spec->namespaces.ipc)
		flags |= CLONE_NEWIPC;
	if (spec->namespaces.uts)
		flags |= CLONE_NEWUTS;
	/* The cgroup namespace is made by init after "go", once the supervisor has moved
	 * it into the sandbox's cgroup: its root is then that cgroup, not the caller's. */

	fflush(NULL);
	pid_t pid = clone_child(flags);
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		ag3_streams_clear(&io);
		char text[256];
		snprintf(text, sizeof(text), "namespaces: clone with new namespaces: %s (%s)%s",
			 strerror(e), ag3_errno_name(e),
			 ctx.userns && errno_is_privilege(e)
				 ? "; are unprivileged user namespaces disabled?"
				 : "");
		setup_failed(res, e, "namespaces", NULL, text);
		return 0;
	}
	if (pid == 0) {
		close(sv[0]);
		ag3_init_main(&ctx);
	}
	close(sv[1]);
	ag3_streams_child_started(&io); /* the sandbox holds the command's ends now */
	int sock = sv[0];

	if (ctx.userns) {
		char why[32] = "";
		int r = setup_userns_maps(pid, &ctx, why, sizeof(why));
		if (r < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(sock);
			ag3_streams_clear(&io);
			char text[256];
			snprintf(text, sizeof(text), "userns: writing %s of the sandbox: %s (%s)",
				 why, strerror(-r), ag3_errno_name(-r));
			setup_failed(res, -r, "userns", why, text);
			return 0;
		}
	}
	if (ctx.cgroup) {
		int r = ag3_cgroup_attach(ctx.cgroup, pid);
		if (r < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(sock);
			ag3_streams_clear(&io);
			char text[9000];
			snprintf(text, sizeof(text), "cgroup: moving the sandbox into %s: %s (%s)",
				 ctx.cgroup->path, strerror(-r), ag3_errno_name(-r));
			setup_failed(res, -r, "cgroup", ctx.cgroup->path, text);
			return 0;
		}
	}
	char go = 1;
	if (send(sock, &go, 1, MSG_NOSIGNAL) != 1) {
		/* init died already; its status below says how */
	}

	uint64_t timeout = spec->limits.timeout_ms;
	uint64_t deadline = timeout ? start + timeout : 0;
	uint64_t kill_at = 0;
	bool timed_out = false, cancelled = false, got_exit = false, started = false;
	int wstatus_cmd = 0;
	struct ag3_msg setup_err = {0};
	bool have_setup_err = false;

	for (;;) {
		int wait_ms = -1;
		uint64_t now = ag3_now_ms();
		if (kill_at) {
			if (now >= kill_at) {
				kill(pid, SIGKILL);
				kill_at = 0;
				wait_ms = -1;
			} else {
				wait_ms = (int)(kill_at - now);
			}
		} else if (deadline && !timed_out) {
			if (now >= deadline) {
				timed_out = true;
				/* init passes SIGTERM on to the whole tree, then SIGKILL after the grace. */
				kill(pid, SIGTERM);
				kill_at = now + spec->limits.kill_grace_ms;
				if (!spec->limits.kill_grace_ms) {
					kill(pid, SIGKILL);
					kill_at = 0;
				}
				continue;
			}
			wait_ms = (int)(deadline - now);
		}
		struct pollfd pfd[2 + AG3_STREAMS_MAX_POLL] = {
			{.fd = sock, .events = POLLIN},
			{.fd = cancelled ? -1 : opts->cancel_fd, .events = POLLIN}};
		size_t npfd = 2 + ag3_streams_pollfds(&io, pfd + 2);
		int pr = poll(pfd, npfd, wait_ms);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			break;
		}
		if (pr == 0)
			continue;
		ag3_streams_step(&io);
		if (pfd[1].revents & POLLIN) {
			cancelled = true;
			kill(pid, SIGTERM);
			if (!kill_at)
				kill_at = ag3_now_ms() + spec->limits.kill_grace_ms;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			struct ag3_msg m;
			int mfd = -1;
			ssize_t n = recv_msg(sock, &m, &mfd);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0)
				break; /* init is gone */
			if (n != (ssize_t)sizeof(m)) {
				if (mfd >= 0)
					close(mfd);
				continue;
			}
			if (m.type == MSG_PTY && mfd >= 0) {
				if (started || ag3_streams_take_pty(&io, mfd) < 0)
					kill(pid,
					     SIGKILL); /* not asked for, or twice: not init speaking */
				mfd = -1;
			} else if (mfd >= 0) {
				close(mfd);
				mfd = -1;
			}
			if (m.type == MSG_SETUP_ERROR) {
				setup_err = m;
				setup_err.stage[sizeof(setup_err.stage) - 1] = 0;
				setup_err.path[sizeof(setup_err.path) - 1] = 0;
				setup_err.text[sizeof(setup_err.text) - 1] = 0;
				have_setup_err = true;
			} else if (m.type == MSG_STARTED) {
				started = true;
			} else if (m.type == MSG_EXITED) {
				got_exit = true;
				wstatus_cmd = m.wstatus;
			}
		}
	}
	close(sock);

	/* What the sandbox wrote is drained and passed on, bounded in time: the
	 * caller's reader may be stuck, the supervisor never is. */
	ag3_streams_finish(&io, AG3_FLUSH_MS, res);

	int st = 0;
	struct rusage ru = {0};
	while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	res->rusage = ru;
	res->peak_memory = (uint64_t)ru.ru_maxrss * 1024;
	res->duration_ms = ag3_now_ms() - start;

	uint64_t oom_kills = 0, peak = 0;
	if (ctx.cgroup) {
		ag3_cgroup_stats(ctx.cgroup, &oom_kills, &peak);
		if (peak)
			res->peak_memory = peak;
		res->oom_kills = oom_kills;
	}
	if (have_setup_err) {
		setup_failed(res, setup_err.err, setup_err.stage, setup_err.path, setup_err.text);
	} else if (timed_out) {
		res->status = AG3_STATUS_TIMEOUT;
		res->signal =
			got_exit && WIFSIGNALED(wstatus_cmd) ? WTERMSIG(wstatus_cmd) : SIGKILL;
	} else if (got_exit) {
		fill_from_wstatus(res, wstatus_cmd);
		if (oom_kills && res->status == AG3_STATUS_SIGNALED && res->signal == SIGKILL)
			res->status = AG3_STATUS_OOM;
	} else if (!started) {
		char text[128];
		snprintf(text, sizeof(text),
			 "init: the sandbox's init ended before the command "
			 "started (wait status %#x)",
			 st);
		setup_failed(res, EIO, "init", NULL, text);
	} else {
		/* init was killed (SIGKILL after a cancel, or from outside): so was the command. */
		res->status = AG3_STATUS_SIGNALED;
		res->signal = WIFSIGNALED(st) ? WTERMSIG(st) : SIGKILL;
		/* the memory limit's OOM killer chose init (cgroup v1 can) */
		if (oom_kills && res->signal == SIGKILL)
			res->status = AG3_STATUS_OOM;
	}
	if (res->status != AG3_STATUS_SETUP_FAILED) {
		res->enforcement.caps_dropped = true;
		res->enforcement.no_new_privs = true;
		res->enforcement.seccomp = ctx.seccomp.n_insns > 0;
		res->enforcement.landlock_abi = ctx.landlock_abi;
	}
	return 0;
}
