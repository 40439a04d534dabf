/* SPDX-License-Identifier: MIT */
/* The supervisor: clone into new namespaces, write the id maps, wait, time out, report. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "runtime/cgroup.h"
#include "runtime/egress.h"
#include "runtime/identity.h"
#include "runtime/cinit.h"
#include "runtime/internal.h"
#include "runtime/landlock.h"
#include "runtime/plan.h"
#include "runtime/relay.h"
#include "runtime/session.h"
#include "runtime/streams.h"

/* Writes /proc/PID/NAME (PID 0: /proc/self). */
static int write_proc_file(pid_t pid, const char *name, const char *content)
{
	char path[64];
	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", name);
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

int ag3_userns_maps_write(pid_t pid, const struct ag3_child_ctx *ctx, const char **why)
{
	char map[64];
	int r;
	/* Privileged: ids map one to one and setgroups stays usable (groups are cleared).
	 * Rootless: the caller's own ids, alone; setgroups must be denied first. */
	if (!ctx->privileged && (r = write_proc_file(pid, "setgroups", "deny")) < 0) {
		*why = "setgroups";
		return r;
	}
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)ctx->uid,
		 ctx->privileged ? (unsigned)ctx->uid : (unsigned)ctx->host_euid);
	if ((r = write_proc_file(pid, "uid_map", map)) < 0) {
		*why = "uid_map";
		return r;
	}
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)ctx->gid,
		 ctx->privileged ? (unsigned)ctx->gid : (unsigned)ctx->host_egid);
	if ((r = write_proc_file(pid, "gid_map", map)) < 0) {
		*why = "gid_map";
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

static bool spec_has_rlimit(const struct ag3_spec *spec, const char *name)
{
	for (size_t i = 0; i < spec->process.n_rlimits; i++)
		if (strcmp(spec->process.rlimits[i].name, name) == 0)
			return true;
	return false;
}

/* The sandbox: its child (fresh mode's init, or a session's holder) and what it owns. */
struct ag3_sandbox {
	struct ag3_child_ctx ctx;
	struct ag3_cgroup cg;
	pid_t pid;
	int pidfd, sock;
	/* The spec as built, its mounts followed by the runtime's own files: in
	 * allowlist mode /etc/resolv.conf and /etc/hosts, with identity.name set
	 * /etc/passwd and /etc/group (ctx.spec points here then). */
	struct ag3_spec net_spec;
	struct ag3_mount *net_mounts;
	char *passwd, *group; /* the generated files' text */
};

/*
 * Names resolve only through the stub: the sandbox's resolv.conf names it, and its
 * hosts file holds only the localhost names, so neither the host's own entries
 * nor its internal names are seen (or used to reach around the allowlist).
 */
static const struct ag3_mount net_files[] = {
	{.op = AG3_MOUNT_FILE,
	 .target = (char *)"/etc/resolv.conf",
	 .content = (char *)"# ag3ntum-sandbox: names resolve through the allowlist's stub only\n"
			    "nameserver " AG3_NET_STUB_ADDR "\noptions timeout:2 attempts:2\n",
	 .mode = 0444,
	 .overlay = true,
	 .origin = (char *)"network (allowlist): the DNS stub"},
	{.op = AG3_MOUNT_FILE,
	 .target = (char *)"/etc/hosts",
	 .content = (char *)"127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
	 .mode = 0444,
	 .overlay = true,
	 .origin = (char *)"network (allowlist): only the localhost names"},
};

/*
 * ctx.spec when the runtime adds files of its own: `spec` with, after its mounts,
 * the network files (allowlist mode) and the identity's /etc/passwd and /etc/group
 * for the command's ids (read-only, over what the mounts put there). 0 (ctx.spec
 * stays `spec` when there is nothing to add), -EINVAL (identity fields the
 * validation let through cannot make the files) or -ENOMEM.
 */
static int own_files_make(struct ag3_sandbox *sb, const struct ag3_spec *spec, uid_t uid, gid_t gid,
			  const struct ag3_spec **ret)
{
	const bool net = spec->network.mode == AG3_NET_ALLOWLIST, id = spec->identity.name;
	*ret = spec;
	if (!net && !id)
		return 0;
	if (id) {
		int r = ag3_identity_files(spec->identity.name, spec->identity.group, uid, gid,
					   spec->identity.home, spec->identity.shell, &sb->passwd,
					   &sb->group);
		if (r < 0)
			return r;
	}
	const struct ag3_mount idf[] = {
		{.op = AG3_MOUNT_FILE,
		 .target = (char *)"/etc/passwd",
		 .content = sb->passwd,
		 .mode = 0444,
		 .overlay = true,
		 .origin = (char *)"identity: the command's user (generated)"},
		{.op = AG3_MOUNT_FILE,
		 .target = (char *)"/etc/group",
		 .content = sb->group,
		 .mode = 0444,
		 .overlay = true,
		 .origin = (char *)"identity: the command's group (generated)"},
	};
	const size_t n_net = net ? ELEMENTSOF(net_files) : 0, n_id = id ? ELEMENTSOF(idf) : 0;
	const size_t n = spec->n_mounts + n_net + n_id;
	if (!(sb->net_mounts = calloc(n, sizeof(*sb->net_mounts))))
		return -ENOMEM;
	if (spec->n_mounts)
		memcpy(sb->net_mounts, spec->mounts, spec->n_mounts * sizeof(*sb->net_mounts));
	if (n_net)
		memcpy(sb->net_mounts + spec->n_mounts, net_files, sizeof(net_files));
	if (n_id)
		memcpy(sb->net_mounts + spec->n_mounts + n_net, idf, sizeof(idf));
	sb->net_spec = *spec; /* shallow: everything but the mounts is the caller's */
	sb->net_spec.mounts = sb->net_mounts;
	sb->net_spec.n_mounts = n;
	*ret = &sb->net_spec;
	return 0;
}

/*
 * Everything decided before a sandbox is made, for both modes: the spec checked,
 * the namespaces and ids chosen, every downgrade refused or recorded, the cgroup
 * created, the seccomp program compiled. 0, or 1 with `res` a setup failure
 * (nothing is left to undo then).
 */
static int prepare(struct ag3_sandbox *sb, const struct ag3_spec *spec, struct ag3_result *res)
{
	struct ag3_child_ctx *pctx = &sb->ctx;
	struct ag3_cgroup *pcg = &sb->cg;
	struct ag3_error *verr = NULL;
	if (ag3_spec_validate(spec, &verr) < 0) {
		res->status = AG3_STATUS_SETUP_FAILED;
		res->setup_error = verr;
		ag3_error_wrap(&res->setup_error, "spec");
		free(res->setup_error->stage);
		res->setup_error->stage = strdup("spec");
		return 1;
	}

	struct ag3_child_ctx ctx = {.spec = spec,
				    .sock = -1,
				    .landlock_rs = -1,
				    .init_exe = -1,
				    .host_euid = geteuid(),
				    .host_egid = getegid()};
	/* The texts below are long (cgroup paths): on the heap, not a thread's stack. */
	struct texts {
		struct ag3_host host;
		char why[9000], text[10700], mem_why[9300], pids_why[9300], bounds[1200];
	} *t = calloc(1, sizeof(*t));
	if (!t) {
		ag3_result_setup_failed(res, ENOMEM, "supervisor", NULL, "out of memory");
		return 1;
	}
	ag3_host_probe(&t->host);
	struct ag3_plan plan;
	if (ag3_plan_make(spec, &t->host, &plan, res)) {
		free(t);
		return 1;
	}
	int fr = own_files_make(sb, spec, plan.uid, plan.gid, &spec);
	if (fr < 0) {
		ag3_result_setup_failed(res, -fr, "supervisor", NULL,
					fr == -ENOMEM ? "out of memory"
						      : "identity: cannot write /etc/passwd for "
							"these values");
		free(t);
		return 1;
	}
	ctx.spec = spec;
	ctx.privileged = plan.privileged;
	/* the record's mode: root only for root (a joined user namespace's capabilities
	 * make an unprivileged caller's plan privileged, not its run root mode) */
	const bool root_mode = t->host.privileged;
	ctx.userns = plan.userns;
	ctx.uid = plan.uid;
	ctx.gid = plan.gid;
	ctx.can_setgroups = plan.can_setgroups;
	ctx.root_command = plan.root_command;
	ctx.landlock_abi = plan.landlock_abi;
	/* Limits: a cgroup (v2 when one is delegated to us, v1 on hybrid hosts in root
	 * mode), else rlimits; every fallback is recorded. */
	struct ag3_cgroup *cg = pcg;
	*cg = (struct ag3_cgroup){.dirfd = -1, .v1_mem_fd = -1, .v1_pids_fd = -1, .v1_cpu_fd = -1};
	int cr = ag3_cgroup_create(spec, &t->host.cgroup, cg, t->why, sizeof(t->why));
	if (cr < 0) {
		snprintf(t->text, sizeof(t->text),
			 "cgroup: creating the sandbox's cgroup under %s: %s (%s)",
			 t->host.cgroup.mount[0] ? t->host.cgroup.self
						 : "the cgroup v1 hierarchies",
			 strerror(-cr), ag3_errno_name(-cr));
		ag3_result_setup_failed(res, -cr, "cgroup", t->host.cgroup.self, t->text);
		free(t);
		return 1;
	}
	const bool want_mem = spec->limits.memory_bytes > 0, want_pids = spec->limits.pids > 0,
		   want_cpu = spec->limits.cpu_weight || spec->limits.cpu_quota_us;
	ag3_cgroup_why(&t->host.cgroup, "memory", t->why, t->mem_why, sizeof(t->mem_why));
	ag3_cgroup_why(&t->host.cgroup, "pids", t->why, t->pids_why, sizeof(t->pids_why));
	if (spec->security.minimum.cgroup &&
	    ((want_mem && !cg->memory) || (want_pids && !cg->pids))) {
		snprintf(t->text, sizeof(t->text),
			 "cgroup: minimum_isolation requires cgroup limits, but "
			 "there is %s",
			 want_mem && !cg->memory ? t->mem_why : t->pids_why);
		ag3_cgroup_destroy(cg);
		ag3_result_setup_failed(res, ENOTSUP, "cgroup", NULL, t->text);
		free(t);
		return 1;
	}
	if (want_mem && !cg->memory && !spec_has_rlimit(spec, "as")) {
		ctx.fallback_as = spec->limits.memory_bytes;
		ag3_memory_bounds_text(AG3_MEM_RLIMITS, t->bounds, sizeof(t->bounds));
		snprintf(t->text, sizeof(t->text),
			 "memory: %s; RLIMIT_AS (per process) applied instead. %s", t->mem_why,
			 t->bounds);
		ag3_result_add_degraded(res, t->text);
	}
	if (want_pids && !cg->pids && !spec_has_rlimit(spec, "nproc")) {
		ctx.fallback_nproc = spec->limits.pids;
		/* RLIMIT_NPROC counts a uid's processes per user namespace: without one
		 * (root mode) it would count every process of that uid on the host, and
		 * sandboxes sharing a uid would starve each other. */
		const char *scope = "in the sandbox's own user namespace";
		if (!ctx.userns && spec->namespaces.user == AG3_USERNS_AUTO && !ctx.root_command)
			ctx.userns = true;
		else if (spec->namespaces.joined_user)
			scope = "counting the uid's processes in the joined user namespace";
		else if (!ctx.userns)
			scope = "counting every process of the uid on the host (user_namespace: "
				"never)";
		snprintf(t->text, sizeof(t->text), "pids: %s; RLIMIT_NPROC applied instead, %s",
			 t->pids_why, scope);
		ag3_result_add_degraded(res, t->text);
	}
	if (want_cpu && !cg->cpu) {
		snprintf(t->text, sizeof(t->text),
			 "cpu: no writable cgroup (v2 or v1) cpu controller; "
			 "no cpu limit applied");
		ag3_result_add_degraded(res, t->text);
	}
	free(t);
	ctx.cgroup = cr == 1 ? cg : NULL;
	res->enforcement.userns = ctx.userns;

	if (spec->security.seccomp.enabled && spec->security.seccomp.deny_action == AG3_SECCOMP_LOG)
		ag3_result_add_degraded(res,
					"seccomp: deny_action is log: the calls the filter lists "
					"are logged and then allowed, not denied");
	struct ag3_error *serr = NULL;
	if (ag3_seccomp_compile(spec, &ctx.seccomp, &serr) < 0) {
		ag3_cgroup_destroy(cg);
		res->status = AG3_STATUS_SETUP_FAILED;
		res->setup_error = serr;
		return 1;
	}
	res->enforcement.root_mode = root_mode;
	/* in a user namespace, made or joined (bwrap's --userns): the ids are its own */
	res->enforcement.userns = ctx.userns || spec->namespaces.joined_user;
	res->enforcement.uid = ctx.uid;
	res->enforcement.gid = ctx.gid;
	res->enforcement.net = spec->namespaces.net;
	res->enforcement.ipc = spec->namespaces.ipc;
	res->enforcement.uts = spec->namespaces.uts;
	res->enforcement.cgroup_ns = spec->namespaces.cgroup;
	*pctx = ctx;
	return 0;
}

static void sandbox_free(struct ag3_sandbox *sb)
{
	if (!sb)
		return;
	if (sb->sock >= 0)
		close(sb->sock);
	if (sb->pidfd >= 0)
		close(sb->pidfd);
	ag3_seccomp_prog_clear(&sb->ctx.seccomp);
	ag3_cgroup_destroy(&sb->cg);
	free(sb->net_mounts);
	free(sb->passwd);
	free(sb->group);
	free(sb);
}

static struct ag3_sandbox *sandbox_new(void)
{
	struct ag3_sandbox *sb = calloc(1, sizeof(*sb));
	if (!sb)
		return NULL;
	sb->pid = -1;
	sb->pidfd = sb->sock = -1;
	sb->cg = (struct ag3_cgroup){
		.dirfd = -1, .v1_mem_fd = -1, .v1_pids_fd = -1, .v1_cpu_fd = -1};
	return sb;
}

/* A prepared sandbox (see prepare), or NULL with `res` the setup failure. */
/* The caller's own BPF programs (opts->bpf) into the filters' free slots, after
 * the spec's: the init binary's memfd and the loader carry two. 0, or 1 with
 * `res` a setup failure. */
static int add_caller_filters(struct ag3_seccomp_prog *prog, const struct ag3_run_opts *opts,
			      struct ag3_result *res)
{
	for (size_t i = 0; i < opts->n_bpf; i++) {
		const struct ag3_bpf_prog *b = &opts->bpf[i];
		if (!b->insns || b->n == 0 || b->n > BPF_MAXINSNS) {
			ag3_result_setup_failed(
				res, EINVAL, "seccomp", NULL,
				"seccomp: a caller's program is empty or longer than "
				"BPF_MAXINSNS instructions");
			return 1;
		}
		struct sock_filter **slot = NULL;
		size_t *n = NULL;
		if (!prog->n_insns)
			slot = &prog->insns, n = &prog->n_insns;
		else if (!prog->n_extra_insns)
			slot = &prog->extra_insns, n = &prog->n_extra_insns;
		if (!slot) {
			ag3_result_setup_failed(res, E2BIG, "seccomp", NULL,
						"seccomp: at most two filters in all (the spec's "
						"own count)");
			return 1;
		}
		if (!(*slot = malloc(b->n * sizeof(struct sock_filter)))) {
			ag3_result_setup_failed(res, ENOMEM, "supervisor", NULL, "out of memory");
			return 1;
		}
		memcpy(*slot, b->insns, b->n * sizeof(struct sock_filter));
		*n = b->n;
	}
	return 0;
}

static struct ag3_sandbox *sandbox_prepared(const struct ag3_spec *spec, struct ag3_result *res)
{
	struct ag3_sandbox *sb = sandbox_new();
	if (!sb) {
		ag3_result_setup_failed(res, ENOMEM, "supervisor", NULL, "out of memory");
		return NULL;
	}
	if (prepare(sb, spec, res)) {
		free(sb->net_mounts);
		free(sb->passwd);
		free(sb->group);
		free(sb);
		return NULL;
	}
	return sb;
}

static pid_t clone_child(unsigned long flags, int *pidfd)
{
	struct clone_args args = {.flags = flags | CLONE_PIDFD,
				  .pidfd = (uint64_t)(uintptr_t)pidfd,
				  .exit_signal = 0};
	long r = syscall(SYS_clone3, &args, sizeof(args));
	if (r >= 0 || errno != ENOSYS)
		return (pid_t)r;
	/* Kernels before 5.3 (or clone3 filtered): the classic call, fork-like. */
	*pidfd = -1;
	return (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
}

/*
 * Collects the sandbox's child: through its pidfd when there is one, and with
 * __WALL either way. The child is created with no exit signal, so the program
 * embedding the library gets no SIGCHLD for it and its waitpid(-1) (which, without
 * __WALL, passes over such children) can never reap it first.
 */
static int reap_child(struct ag3_sandbox *sb, int *status, struct rusage *ru)
{
	siginfo_t si = {0};
	int r;
	if (sb->pidfd >= 0) {
		do
			r = (int)syscall(SYS_waitid, P_PIDFD, sb->pidfd, &si, WEXITED | __WALL, ru);
		while (r < 0 && errno == EINTR);
		if (r == 0)
			*status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0)
							   : si.si_status & 0x7f;
	} else {
		do
			r = wait4(sb->pid, status, __WALL, ru);
		while (r < 0 && errno == EINTR);
	}
	sb->pid = -1;
	return r < 0 ? -errno : 0;
}

/* Ends the sandbox's child at once and collects it (no zombie is left). */
static void kill_child(struct ag3_sandbox *sb)
{
	if (sb->pid <= 0)
		return;
	kill(sb->pid, SIGKILL);
	int st;
	reap_child(sb, &st, NULL);
}

/*
 * The init binary (runtime/init-bin.c): $AG3NTUM_SANDBOX_INIT ("none": do without
 * it), else the one beside the running program (a build directory, or an install
 * with the CLI), else the installed one. 0 with *fd the binary (O_PATH) or -1 when
 * there is none; -errno when $AG3NTUM_SANDBOX_INIT names one that cannot be opened.
 * *named: $AG3NTUM_SANDBOX_INIT names one.
 */
static int open_init_exe(int *fd, char *path, size_t len, bool *named)
{
	*fd = -1;
	*named = false;
	const char *env = secure_getenv("AG3NTUM_SANDBOX_INIT");
	if (env && *env) {
		if (strcmp(env, "none") == 0)
			return 0;
		*named = true;
		snprintf(path, len, "%s", env);
		*fd = open(env, O_PATH | O_CLOEXEC);
		return *fd < 0 ? -errno : 0;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			int w = snprintf(path, len, "%s/ag3ntum-init", self);
			if (w > 0 && (size_t)w < len && (*fd = open(path, O_PATH | O_CLOEXEC)) >= 0)
				return 0;
		}
	}
	snprintf(path, len, "%s", AG3_INIT_PATH);
	*fd = open(path, O_PATH | O_CLOEXEC);
	return 0;
}

int ag3_sandbox_init_binary(char *path, size_t len, bool *named)
{
	int fd = -1;
	path[0] = 0;
	int r = open_init_exe(&fd, path, len, named);
	if (r < 0)
		return r;
	if (fd < 0)
		return -ENOENT;
	struct stat st;
	r = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EACCES;
	close(fd);
	return r;
}

/*
 * Fresh mode with the init binary: the first process is created vfork-style
 * (CLONE_VM | CLONE_VFORK on a stack of its own), so the caller's page tables
 * are not copied; it maps its own ids, joins the cgroup, builds the sandbox and
 * execs the binary (ag3_init_exec_child), and only then does clone return here.
 * What the child needs is made here, before, and freed here, after: the child
 * allocates nothing of the caller's heap that would outlive it.
 */
static pid_t clone_exec_child(struct ag3_child_ctx *ctx, unsigned long flags, int *pidfd)
{
	size_t argc = 0;
	while (ctx->cmd.argv[argc])
		argc++;
	ctx->envp = ag3_cmd_env(ctx->spec, &ctx->cmd);
	size_t envc = 0;
	while (ctx->envp && ctx->envp[envc])
		envc++;
	const size_t nfile = ctx->cmd.file != NULL;
	ctx->init_argc = argc;
	ctx->init_argv = calloc(nfile + argc + envc + 4, sizeof(char *));
	const size_t guard = 4096, stack_size = 1024 * 1024;
	char here;
	char *stack =
		AG3_VFORK_ON_CALLER_STACK
			? NULL
			: mmap(NULL, guard + stack_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
	pid_t pid = -1;
	int e = ENOMEM;
	if (ctx->init_argv && ctx->envp && stack != MAP_FAILED &&
	    (!stack || mprotect(stack, guard, PROT_NONE) == 0)) {
		ctx->init_argv[0] = (char *)"ag3ntum-init";
		ctx->init_argv[1] = ctx->init_fields;
		ctx->init_argv[2] = (char *)"--";
		if (nfile)
			ctx->init_argv[3] = ctx->cmd.file;
		memcpy(ctx->init_argv + 3 + nfile, ctx->cmd.argv, argc * sizeof(char *));
		memcpy(ctx->init_argv + 3 + nfile + argc, ctx->envp, envc * sizeof(char *));
		/* Every signal blocked across the clone (the child starts with them blocked
		 * and resets the caller's handlers before anything else: a handler of the
		 * caller's run by the child would write the caller's memory). */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		/* The child's credential changes reset the dumpable flag of the address
		 * space it shares with us (the kernel's commit_creds): ours, put back once
		 * the child has exec'd into an address space of its own. */
		int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
		pid = clone(ag3_init_exec_child,
			    stack ? stack + guard + stack_size : AG3_CALLER_STACK_TOP(&here),
			    (int)(flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD), ctx, pidfd);
		e = errno;
		if (dumpable >= 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != dumpable)
			prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (stack && stack != MAP_FAILED)
		munmap(stack, guard + stack_size);
	for (size_t i = 0; ctx->envp && ctx->envp[i]; i++)
		free(ctx->envp[i]);
	free(ctx->envp);
	free(ctx->init_argv);
	ctx->envp = ctx->init_argv = NULL;
	/* The child wrote fd numbers of its own table here: none of them is ours. */
	ctx->landlock_rs = -1;
	errno = e;
	return pid;
}

/*
 * Creates the sandbox's child in its new namespaces, writes its id maps, moves it
 * into the cgroup and lets it go. 0, or 1 with `res` a setup failure.
 */
static int start_child(struct ag3_sandbox *sb, struct ag3_result *res)
{
	const struct ag3_spec *spec = sb->ctx.spec;
	struct ag3_child_ctx *ctx = &sb->ctx;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ag3_result_setup_failed(res, errno, "supervisor", NULL,
					"supervisor: socketpair failed");
		return 1;
	}
	ctx->sock = sv[1];

	unsigned long flags = CLONE_NEWNS | CLONE_NEWPID;
	if (ctx->userns)
		flags |= CLONE_NEWUSER;
	if (spec->namespaces.net)
		flags |= CLONE_NEWNET;
	if (spec->namespaces.ipc)
		flags |= CLONE_NEWIPC;
	if (spec->namespaces.uts)
		flags |= CLONE_NEWUTS;
	/* The cgroup namespace is made by init after "go", once the supervisor has moved
	 * it into the sandbox's cgroup: its root is then that cgroup, not the caller's. */

	/* Fresh mode's init is the init binary, unless the ids need a map only the caller
	 * can write (root mode with a user namespace: the session's uid mapped to
	 * itself). A session's holder is forked (made once, it serves many commands). */
	char init_path[PATH_MAX] = "";
	if (!ctx->session && (!ctx->userns || !ctx->privileged)) {
		bool named;
		int r = open_init_exe(&ctx->init_exe, init_path, sizeof(init_path), &named);
		if (r < 0) {
			close(sv[0]);
			close(sv[1]);
			char text[PATH_MAX + 256];
			snprintf(text, sizeof(text),
				 "init: the init binary $AG3NTUM_SANDBOX_INIT names: %s: %s (%s)",
				 init_path, strerror(-r), ag3_errno_name(-r));
			ag3_result_setup_failed(res, -r, "init", init_path, text);
			return 1;
		}
	}
	pid_t pid;
	if (ctx->init_exe >= 0) {
		pid = clone_exec_child(ctx, flags, &sb->pidfd);
		int e = errno;
		close(ctx->init_exe);
		ctx->init_exe = -1;
		errno = e;
		if (pid > 0) {
			close(sv[1]);
			sb->pid = pid;
			sb->sock = sv[0];
			return 0; /* the child did its maps and cgroup, and needs no "go" */
		}
	} else {
		pid = clone_child(flags, &sb->pidfd);
	}
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		char text[256];
		snprintf(text, sizeof(text), "namespaces: clone with new namespaces: %s (%s)%s",
			 strerror(e), ag3_errno_name(e),
			 ctx->userns && errno_is_privilege(e)
				 ? "; are unprivileged user namespaces disabled?"
				 : "");
		ag3_result_setup_failed(res, e, "namespaces", NULL, text);
		return 1;
	}
	if (pid == 0) {
		close(sv[0]);
		ag3_init_main(ctx);
	}
	close(sv[1]);
	sb->pid = pid;
	sb->sock = sv[0];

	if (ctx->userns) {
		const char *why = "";
		int r = ag3_userns_maps_write(pid, ctx, &why);
		if (r < 0) {
			kill_child(sb);
			char text[256];
			snprintf(text, sizeof(text), "userns: writing %s of the sandbox: %s (%s)",
				 why, strerror(-r), ag3_errno_name(-r));
			ag3_result_setup_failed(res, -r, "userns", why, text);
			return 1;
		}
	}
	if (ctx->cgroup) {
		int r = ag3_cgroup_attach(ctx->cgroup, pid);
		if (r < 0) {
			kill_child(sb);
			char text[9000];
			snprintf(text, sizeof(text), "cgroup: moving the sandbox into %s: %s (%s)",
				 ctx->cgroup->path, strerror(-r), ag3_errno_name(-r));
			ag3_result_setup_failed(res, -r, "cgroup", ctx->cgroup->path, text);
			return 1;
		}
	}
	char go = 1;
	if (send(sb->sock, &go, 1, MSG_NOSIGNAL) != 1) {
		/* init died already; its status says how */
	}
	return 0;
}

/* ---- supervising one command ------------------------------------------------------------- */

/* One command being supervised: its init's socket and how to signal it. */
struct sup {
	int sock;
	pid_t pid; /* fresh mode: the sandbox's init */
	int pidfd; /* a session's command init (from MSG_PIDFD), or -1 */
	bool session;
	uint64_t start, timeout_ms, kill_grace_ms;
	int cancel_fd;
	struct ag3_streams *io;
	struct ag3_egress *net;          /* allowlist mode's relay, or NULL */
	struct pollfd *pfd;              /* 2 + streams' + the relay's */
	const struct ag3_run_opts *opts; /* fresh mode (on_built), or NULL */
	/* --as-pid-1: init became the command, so its socket closes when the command
	 * is exec'd; from then on init's pidfd says when it ends. -1: otherwise. */
	int exit_fd;
	/* what happened */
	bool timed_out, got_exit, started, have_setup_err, cancelled, got_root, sock_done;
	int wstatus;
	struct rusage rusage;
	struct ag3_msg setup_err;
};

static void sup_kill(struct sup *s, int sig)
{
	if (s->pid > 0)
		kill(s->pid, sig);
	else if (s->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, s->pidfd, sig, NULL, 0);
	else if (sig == SIGKILL)
		shutdown(s->sock, SHUT_RDWR); /* its init ends when its client is gone */
}

/* A setup failure of the supervisor's own, as init would report one. */
static void sup_setup_error(struct sup *s, int err, const char *stage, const char *text)
{
	s->setup_err = (struct ag3_msg){.type = MSG_SETUP_ERROR, .err = err};
	snprintf(s->setup_err.stage, sizeof(s->setup_err.stage), "%s", stage);
	snprintf(s->setup_err.text, sizeof(s->setup_err.text), "%s", text);
	s->have_setup_err = true;
}

/* The caller's hook on the built sandbox's root; a failure ends the sandbox. */
static void sup_on_built(struct sup *s, int root_fd)
{
	char why[sizeof(s->setup_err.text)] = "";
	int r = s->opts->on_built(s->opts->on_built_data, root_fd, why, sizeof(why));
	if (r >= 0)
		return;
	if (!why[0])
		snprintf(why, sizeof(why), "the caller's hook on the sandbox's root: %s",
			 strerror(-r));
	sup_setup_error(s, -r, "caller", why);
	sup_kill(s, SIGKILL);
}

/* Allowlist mode: the relay this supervisor runs for the command, and the pollfds
 * for it. 0, or 1 with `res` a setup failure. */
static int sup_net_init(struct sup *s, const struct ag3_spec_network *net, bool log,
			struct ag3_result *res)
{
	size_t n = 2 + AG3_STREAMS_MAX_POLL;
	if (net && net->mode == AG3_NET_ALLOWLIST) {
		if (!(s->net = ag3_egress_new(net, log ? STDERR_FILENO : -1))) {
			ag3_result_setup_failed(res, ENOMEM, "network", NULL,
						"network: no memory for the relay");
			return 1;
		}
		n += ag3_egress_max_poll(s->net);
	}
	if (!(s->pfd = calloc(n, sizeof(*s->pfd)))) {
		ag3_egress_finish(s->net, NULL);
		s->net = NULL;
		ag3_result_setup_failed(res, ENOMEM, "supervisor", NULL,
					"supervisor: no memory for the poll set");
		return 1;
	}
	return 0;
}

/* The sandbox is gone: so are its connections; the events go into the record. */
static void sup_net_finish(struct sup *s, struct ag3_result *res)
{
	ag3_egress_finish(s->net, res);
	s->net = NULL;
	free(s->pfd);
	s->pfd = NULL;
}

/* Runs until the command's init is gone: timeout, cancel, streams, messages. */
static void supervise(struct sup *s)
{
	uint64_t deadline = s->timeout_ms ? s->start + s->timeout_ms : 0;
	uint64_t kill_at = 0;
	for (;;) {
		int wait_ms = -1;
		uint64_t now = ag3_now_ms();
		if (kill_at) {
			if (now >= kill_at) {
				sup_kill(s, SIGKILL);
				kill_at = 0;
				wait_ms = -1;
			} else {
				wait_ms = (int)(kill_at - now);
			}
		} else if (deadline && !s->timed_out) {
			if (now >= deadline) {
				s->timed_out = true;
				/* init passes SIGTERM on to the whole tree, then SIGKILL after the grace. */
				sup_kill(s, SIGTERM);
				kill_at = now + s->kill_grace_ms;
				if (!s->kill_grace_ms) {
					sup_kill(s, SIGKILL);
					kill_at = 0;
				}
				continue;
			}
			wait_ms = (int)(deadline - now);
		}
		struct pollfd *pfd = s->pfd;
		pfd[0] = (struct pollfd){.fd = s->sock_done ? s->exit_fd : s->sock,
					 .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = s->cancelled ? -1 : s->cancel_fd, .events = POLLIN};
		size_t nio = ag3_streams_pollfds(s->io, pfd + 2);
		size_t nnet = s->net ? ag3_egress_pollfds(s->net, pfd + 2 + nio) : 0;
		size_t npfd = 2 + nio + nnet;
		if (s->net) {
			int net_ms = ag3_egress_wait_ms(s->net);
			if (net_ms >= 0 && (wait_ms < 0 || net_ms < wait_ms))
				wait_ms = net_ms;
		}
		int pr = poll(pfd, npfd, wait_ms);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			sup_kill(s, SIGKILL);
			break;
		}
		if (s->net)
			ag3_egress_step(s->net, pfd + 2 + nio, nnet);
		if (pr == 0)
			continue;
		ag3_streams_step(s->io);
		/* An fd closed under the supervisor (a caller's hook closing a number the
		 * runtime reused) would make poll return at once, for ever. */
		if (pfd[1].revents & POLLNVAL)
			s->cancel_fd = -1;
		if (pfd[0].revents & POLLNVAL) {
			if (!s->have_setup_err)
				sup_setup_error(
					s, EBADF, "supervisor",
					"supervisor: its socket to init was closed under it");
			sup_kill(s, SIGKILL);
			break;
		}
		if (pfd[1].revents & POLLIN) {
			s->cancelled = true;
			sup_kill(s, SIGTERM);
			if (!kill_at)
				kill_at = ag3_now_ms() + s->kill_grace_ms;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (s->sock_done)
			break; /* --as-pid-1: the command (init) ended */
		struct ag3_msg m;
		int mfd = -1;
		ssize_t n = ag3_msg_recv(s->sock, &m, &mfd, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0 && s->exit_fd >= 0 && s->started && !s->have_setup_err) {
			s->sock_done = true; /* the command was exec'd as init */
			continue;
		}
		if (n <= 0)
			break; /* init is gone */
		if (n != (ssize_t)sizeof(m)) {
			if (mfd >= 0)
				close(mfd);
			continue;
		}
		if (m.type == MSG_PTY && mfd >= 0) {
			if (s->started || ag3_streams_take_pty(s->io, mfd) < 0)
				sup_kill(s,
					 SIGKILL); /* not asked for, or twice: not init speaking */
			mfd = -1;
		} else if (m.type == MSG_PIDFD && mfd >= 0 && s->session && s->pidfd < 0) {
			s->pidfd = mfd;
			mfd = -1;
			if (kill_at || s->timed_out)
				sup_kill(s, SIGKILL);
		} else if (m.type == MSG_ROOT && mfd >= 0 && s->opts && s->opts->on_built &&
			   !s->got_root && !s->started) {
			s->got_root = true;
			sup_on_built(s, mfd);
			close(mfd);
			mfd = -1;
		} else if (m.type == MSG_NET_FD && mfd >= 0 && s->net && !s->started) {
			ag3_egress_take_fd(s->net, m.net_kind, m.net_port, mfd);
			mfd = -1;
		} else if (mfd >= 0) {
			close(mfd);
			mfd = -1;
		}
		if (m.type == MSG_SETUP_ERROR) {
			s->setup_err = m;
			s->setup_err.stage[sizeof(m.stage) - 1] = 0;
			s->setup_err.path[sizeof(m.path) - 1] = 0;
			s->setup_err.text[sizeof(m.text) - 1] = 0;
			s->have_setup_err = true;
		} else if (m.type == MSG_STARTED) {
			s->started = true;
			/* the root comes first when asked for: without it, not init speaking */
			if (s->opts && s->opts->on_built && !s->got_root && !s->have_setup_err) {
				sup_setup_error(s, EPROTO, "init",
						"init: the command started before the sandbox's "
						"root was passed");
				sup_kill(s, SIGKILL);
			}
		} else if (m.type == MSG_EXITED) {
			s->got_exit = true;
			s->wstatus = m.wstatus;
			s->rusage = m.rusage;
		}
	}
}

/*
 * The result from what supervise saw. `st` is the wait status of the init when
 * known (fresh mode), -1 otherwise.
 */
static void conclude(const struct sup *s, int st, uint64_t oom_kills, struct ag3_result *res)
{
	if (s->have_setup_err) {
		ag3_result_setup_failed(res, s->setup_err.err, s->setup_err.stage,
					s->setup_err.path, s->setup_err.text);
		res->setup_applied = s->setup_err.applied;
	} else if (s->timed_out) {
		res->status = AG3_STATUS_TIMEOUT;
		res->signal = s->got_exit && WIFSIGNALED(s->wstatus)          ? WTERMSIG(s->wstatus)
			      : s->exit_fd >= 0 && st >= 0 && WIFSIGNALED(st) ? WTERMSIG(st)
									      : SIGKILL;
	} else if (s->got_exit || (s->exit_fd >= 0 && s->started && st >= 0)) {
		/* --as-pid-1: init's wait status is the command's */
		fill_from_wstatus(res, s->got_exit ? s->wstatus : st);
		if (oom_kills && res->status == AG3_STATUS_SIGNALED && res->signal == SIGKILL)
			res->status = AG3_STATUS_OOM;
	} else if (!s->started && s->cancelled) {
		/* cancelled before it started: stopped, as a cancel always ends a command
		 * (the command never ran: duration and usage say so) */
		res->status = AG3_STATUS_SIGNALED;
		res->signal = SIGTERM;
	} else if (!s->started) {
		char text[128];
		if (st >= 0)
			snprintf(text, sizeof(text),
				 "init: the sandbox's init ended before the command "
				 "started (wait status %#x)",
				 st);
		else
			snprintf(text, sizeof(text),
				 "init: the command's init ended before the command started");
		ag3_result_setup_failed(res, EIO, "init", NULL, text);
	} else {
		/* init was killed (SIGKILL after a cancel, or from outside): so was the command. */
		res->status = AG3_STATUS_SIGNALED;
		res->signal = st >= 0 && WIFSIGNALED(st) ? WTERMSIG(st) : SIGKILL;
		/* the memory limit's OOM killer chose init (cgroup v1 can) */
		if (oom_kills && res->signal == SIGKILL)
			res->status = AG3_STATUS_OOM;
	}
}

/* The command's stdio: the caller's, captured, relayed, or a pty of its own. */
static int streams_for(struct ag3_streams *io, const struct ag3_spec *spec,
		       const struct ag3_run_opts *opts, struct ag3_cmd *cmd, struct ag3_result *res)
{
	struct ag3_run_opts copts = *opts;
	const char *io_why = NULL;
	int ior = ag3_streams_setup(io, spec, opts, &copts, &io_why);
	if (ior < 0) {
		ag3_result_setup_failed(res, -ior, "supervisor", NULL, io_why);
		return 1;
	}
	cmd->argv = (char **)opts->argv;
	cmd->file = (char *)opts->file;
	for (int i = 0; i < 3; i++)
		cmd->stdio[i] = copts.stdio[i];
	cmd->pty_mask = copts.pty_mask;
	cmd->term = copts.pty_mask ? (char *)opts->term : NULL;
	if (copts.pty_termios) {
		cmd->have_termios = true;
		cmd->termios = *copts.pty_termios;
	}
	if (copts.pty_winsize) {
		cmd->have_winsize = true;
		cmd->winsize = *copts.pty_winsize;
	}
	return 0;
}

int ag3_sandbox_run(const struct ag3_spec *spec, const struct ag3_run_opts *opts,
		    struct ag3_result *res)
{
	if (!opts || !opts->argv || !opts->argv[0] || !*(opts->file ? opts->file : opts->argv[0]))
		return -EINVAL;
	uint64_t start = ag3_now_ms();
	struct ag3_sandbox *sb = sandbox_prepared(spec, res);
	if (!sb)
		return 0;
	struct ag3_streams io;
	struct ag3_child_ctx *ctx = &sb->ctx;
	ctx->opts = opts;
	ctx->seccomp_own = (ctx->seccomp.n_insns > 0) + (ctx->seccomp.n_extra_insns > 0);
	if (add_caller_filters(&ctx->seccomp, opts, res) ||
	    streams_for(&io, spec, opts, &ctx->cmd, res)) {
		sandbox_free(sb);
		return 0;
	}
	struct sup s = {.pidfd = -1,
			.exit_fd = -1,
			.opts = opts,
			.start = start,
			.timeout_ms = spec->limits.timeout_ms,
			.kill_grace_ms = spec->limits.kill_grace_ms,
			.cancel_fd = opts->cancel_fd,
			.io = &io};
	if (sup_net_init(&s, &spec->network, opts->net_log, res)) {
		ag3_streams_clear(&io);
		sandbox_free(sb);
		return 0;
	}
	if (start_child(sb, res)) {
		sup_net_finish(&s, NULL);
		ag3_streams_clear(&io);
		sandbox_free(sb);
		return 0;
	}
	ag3_streams_child_started(&io); /* the sandbox holds the command's ends now */
	s.sock = sb->sock;
	s.pid = sb->pid;
	if (opts->as_pid_1) {
		/* init's end is seen through its pidfd (clone3's, Linux 5.3) */
		if (sb->pidfd < 0) {
			kill_child(sb);
			sup_net_finish(&s, NULL);
			ag3_streams_clear(&io);
			sandbox_free(sb);
			ag3_result_setup_failed(res, ENOSYS, "namespaces", NULL,
						"namespaces: the command as pid 1 needs a pidfd "
						"(Linux 5.3)");
			return 0;
		}
		s.exit_fd = sb->pidfd;
	}
	if (opts->on_started)
		opts->on_started(opts->on_started_data, sb->pid);
	supervise(&s);
	close(sb->sock);
	sb->sock = -1;
	sup_net_finish(&s, res);

	/* What the sandbox wrote is drained and passed on, bounded in time: the
	 * caller's reader may be stuck, the supervisor never is. */
	ag3_streams_finish(&io, AG3_FLUSH_MS, res);

	/* The init is our child: collected through its pidfd (never a wait on any
	 * child, which could take one of the embedding program's). */
	int st = 0;
	struct rusage ru = {0};
	reap_child(sb, &st, &ru);
	res->rusage = ru;
	res->peak_memory = (uint64_t)ru.ru_maxrss * 1024;
	res->duration_ms = ag3_now_ms() - start;

	uint64_t oom_kills = 0, peak = 0;
	if (ctx->cgroup) {
		ag3_cgroup_stats(ctx->cgroup, &oom_kills, &peak);
		if (peak)
			res->peak_memory = peak;
		res->oom_kills = oom_kills;
	}
	conclude(&s, st, oom_kills, res);
	/* What the command ran with; a setup failure says how far it got (a command
	 * that was not found had everything applied before its execve). */
	unsigned ap = res->status != AG3_STATUS_SETUP_FAILED ? AG3_APPLIED_ALL : res->setup_applied;
	res->enforcement.caps_dropped = !ctx->root_command && (ap & AG3_APPLIED_CAPS);
	res->enforcement.no_new_privs = ap & AG3_APPLIED_NNP;
	res->enforcement.seccomp = ctx->seccomp.n_insns > 0 && (ap & AG3_APPLIED_SECCOMP);
	res->enforcement.landlock_abi = ap & AG3_APPLIED_LANDLOCK ? ctx->landlock_abi : 0;
	sandbox_free(sb);
	return 0;
}

/* ---- sessions ------------------------------------------------------------------------------ */

int ag3_sandbox_open(const struct ag3_spec *spec, struct ag3_sandbox **ret, struct ag3_result *res)
{
	*ret = NULL;
	/* A session's commands come from its clients (serve's among them): none runs as
	 * root, whatever the spec says. */
	if (spec->security.root_command) {
		ag3_result_setup_failed(res, EPERM, "identity", NULL,
					"identity: a root command is refused in a session");
		return 0;
	}
	struct ag3_sandbox *sb = sandbox_prepared(spec, res);
	if (!sb)
		return 0;
	struct ag3_child_ctx *ctx = &sb->ctx;
	ctx->session = true;
	ctx->cmd.stdio[0] = ctx->cmd.stdio[1] = ctx->cmd.stdio[2] = -1;
	if (start_child(sb, res)) {
		sandbox_free(sb);
		return 0;
	}
	/* Built (MSG_READY), or why not. */
	struct sup s = {.sock = sb->sock, .pid = sb->pid, .pidfd = -1, .exit_fd = -1};
	for (;;) {
		struct ag3_msg m;
		int mfd = -1;
		ssize_t n = ag3_msg_recv(sb->sock, &m, &mfd, 0);
		if (mfd >= 0)
			close(mfd);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == (ssize_t)sizeof(m) && m.type == MSG_READY)
			break;
		if (n == (ssize_t)sizeof(m) && m.type == MSG_SETUP_ERROR) {
			s.setup_err = m;
			s.setup_err.stage[sizeof(m.stage) - 1] = 0;
			s.setup_err.path[sizeof(m.path) - 1] = 0;
			s.setup_err.text[sizeof(m.text) - 1] = 0;
			s.have_setup_err = true;
			continue;
		}
		if (n == (ssize_t)sizeof(m))
			continue;
		/* the holder is gone before it was ready */
		int st = 0;
		kill(sb->pid, SIGKILL);
		reap_child(sb, &st, NULL);
		conclude(&s, st, 0, res);
		sandbox_free(sb);
		return 0;
	}
	res->enforcement.caps_dropped = true;
	res->enforcement.no_new_privs = true;
	res->enforcement.seccomp = ctx->seccomp.n_insns > 0;
	res->enforcement.landlock_abi = ctx->landlock_abi;
	*ret = sb;
	return 0;
}

int ag3_sandbox_oom_fd(const struct ag3_sandbox *sb)
{
	return sb->ctx.cgroup ? ag3_cgroup_oom_fd(sb->ctx.cgroup) : -1;
}

int ag3_sandbox_holder_pidfd(const struct ag3_sandbox *sb)
{
	return sb->pidfd;
}

int ag3_sandbox_holder_sock(const struct ag3_sandbox *sb)
{
	return sb->sock;
}

int ag3_sandbox_attach(struct ag3_sandbox *sb, int conn)
{
	struct ag3_msg m = {.type = MSG_ATTACH};
	return ag3_msg_send_fd(sb->sock, &m, conn) < 0 ? -errno : 0;
}

void ag3_sandbox_stats(struct ag3_sandbox *sb, uint64_t *oom_kills, uint64_t *peak)
{
	*oom_kills = *peak = 0;
	if (sb->ctx.cgroup)
		ag3_cgroup_stats(sb->ctx.cgroup, oom_kills, peak);
}

int ag3_sandbox_holder_status(struct ag3_sandbox *sb, siginfo_t *info)
{
	memset(info, 0, sizeof(*info));
	if (sb->pid <= 0)
		return -ECHILD;
	int r = sb->pidfd >= 0 ? (int)syscall(SYS_waitid, P_PIDFD, sb->pidfd, info,
					      WEXITED | WNOHANG, NULL)
			       : waitid(P_PID, (id_t)sb->pid, info, WEXITED | WNOHANG);
	if (r < 0)
		return -errno;
	if (info->si_pid == 0)
		return 0; /* still running */
	sb->pid = -1;
	return 1;
}

void ag3_sandbox_close(struct ag3_sandbox *sb)
{
	if (!sb)
		return;
	kill_child(sb);
	sandbox_free(sb);
}

int ag3_session_command_run(int conn, const struct ag3_session_limits *lim,
			    const struct ag3_spec_network *net, int oom_fd,
			    const struct ag3_run_opts *opts, const struct ag3_cmd_extra *extra,
			    struct ag3_result *res)
{
	const uint64_t oom_before = ag3_cgroup_oom_count(oom_fd);
	if (!opts || !opts->argv || !opts->argv[0] || !*opts->argv[0])
		return -EINVAL;
	/* fresh mode's only (a session's request carries none of them) */
	if (opts->file || opts->as_pid_1 || opts->on_built)
		return -EINVAL;
	uint64_t start = ag3_now_ms();
	struct ag3_spec spec = {0}; /* what the streams read of it: the output cap */
	spec.limits.output_bytes = lim->output_bytes;
	struct ag3_streams io;
	struct ag3_cmd cmd = {0};
	if (streams_for(&io, &spec, opts, &cmd, res))
		return 0;
	if (extra) {
		cmd.env = extra->env;
		cmd.cwd = (char *)extra->cwd;
	}
	/* The caller's own fds where it passes them through: the command gets them. */
	for (int i = 0; i < 3; i++)
		if (!(cmd.pty_mask & (1u << i)) && cmd.stdio[i] < 0)
			cmd.stdio[i] = i;
	int r = ag3_cmdreq_send(conn, &cmd);
	if (r < 0) {
		ag3_streams_clear(&io);
		char text[256];
		snprintf(text, sizeof(text), "session: sending the command to the session: %s (%s)",
			 strerror(-r), ag3_errno_name(-r));
		ag3_result_setup_failed(res, -r, "session", NULL, text);
		return 0;
	}
	ag3_streams_child_started(&io);
	struct sup s = {.sock = conn,
			.pid = -1,
			.pidfd = -1,
			.exit_fd = -1,
			.session = true,
			.start = start,
			.timeout_ms = lim->timeout_ms,
			.kill_grace_ms = lim->kill_grace_ms,
			.cancel_fd = opts->cancel_fd,
			.io = &io};
	if (sup_net_init(&s, net, opts->net_log, res)) {
		/* the command init waits for us: our end closing ends it */
		shutdown(conn, SHUT_RDWR);
		ag3_streams_clear(&io);
		return 0;
	}
	supervise(&s);
	sup_net_finish(&s, res);
	/* The command's init is gone (its socket closed): so is its pid namespace. */
	ag3_streams_finish(&io, AG3_FLUSH_MS, res);
	if (s.pidfd >= 0)
		close(s.pidfd);
	res->rusage = s.rusage;
	res->peak_memory = (uint64_t)s.rusage.ru_maxrss * 1024;
	res->duration_ms = ag3_now_ms() - start;
	/* The session's memory limit killed something while this command ran: if it
	 * was this command (SIGKILL), its status is oom. The count is the session's. */
	uint64_t oom_kills = ag3_cgroup_oom_count(oom_fd);
	oom_kills = oom_kills > oom_before ? oom_kills - oom_before : 0;
	res->oom_kills = oom_kills;
	conclude(&s, -1, oom_kills, res);
	return 0;
}
