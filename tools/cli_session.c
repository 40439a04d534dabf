/* SPDX-License-Identifier: MIT */
/* `session open|close|serve`: a warm sandbox for many commands. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/ag3ntum-sandbox.h"
#include "agent/context.h"
#include "agent/session-client.h"
#include "agent/session-proto.h"
#include "agent/session-server.h"
#include "cli.h"
#include "cli_options.h"
#include "runtime/cmdreq.h"
#include "runtime/util/cleanup.h"
#include "runtime/util/fds.h"
#include "runtime/util/text.h"

const char cli_session_help[] =
	"Usage: " PROG " session open [OPTIONS] --socket PATH\n"
	"       " PROG " session close PATH\n"
	"\n"
	"A session is a sandbox built once (namespaces, the root and its mounts, the\n"
	"network, the cgroup) and kept by a small holder process, in which many commands\n"
	"run with `" PROG " exec --session PATH -- COMMAND`: each command gets everything\n"
	"fresh `exec` gives it (its own ids, every capability dropped, no_new_privs,\n"
	"landlock, seccomp, rlimits, timeout, stdio, result record) plus a pid namespace\n"
	"(and the ipc and network namespaces the profile has), a /proc, a /dev/pts and a\n"
	"/dev/shm of its own: it cannot see, signal, ptrace or outlive another command of\n"
	"the session, and what it leaves running ends when it ends. Files it writes to /workspace, "
	"/tmp and the other\n"
	"writable mounts stay for the next command, as on a normal machine.\n"
	"\n"
	"session open: builds the session from the same profile and session options as\n"
	"`exec` (below), listens on PATH (a new socket, mode 0600; an existing file is an\n"
	"error), prints PATH on stdout when the sandbox is ready, and returns, the session\n"
	"running in the background. If the sandbox cannot be built, nothing is left and\n"
	"the status is 125 with the reason on stderr. Only the uid that opened the session\n"
	"may use it (peer credentials).\n"
	"  --socket PATH      where the session listens (required)\n"
	"  --foreground       stay attached: serve until closed or signalled\n"
	"  --owner-pid PID    the process the session belongs to (an agent loop: its own\n"
	"                     pid; a shell: $$): when it ends, the session is closed. If\n"
	"                     it has already ended, nothing is built (status 125).\n"
	"  --json             print the session's enforcement record (JSON, one line)\n"
	"                     after PATH\n"
	"\n"
	"session close PATH: ends every command of the session, its holder, its cgroup\n"
	"and its socket, and returns when all of that is gone (status 0; 1 when the\n"
	"session could not be reached or did not confirm within 30 seconds).\n"
	"\n"
	"A session also ends when it gets SIGTERM, SIGINT or SIGHUP, or when its owner\n"
	"(--owner-pid) ends; without an owner it runs until closed or signalled. If its holder "
	"dies,\n"
	"every later command fails with status 125 and a reason (nothing ever runs\n"
	"unsandboxed); close the session and open a new one.\n"
	"\n"
	"Exit status of a usage error (an unknown option, a stray argument, no --socket):\n"
	"2, nothing opened or closed.\n"
	"\n"
	"%s"
	"\n"
	"Examples:\n"
	"  s=$(" PROG " session open --owner-pid $$ --workspace \"$PWD\" \\\n"
	"        --socket /run/user/$UID/s1.sock)\n"
	"  " PROG " exec --session \"$s\" -- make test\n"
	"  " PROG " session close \"$s\"\n";

/* Where the server's readiness goes: the pipe to `session open`'s first process,
 * or stdout (--foreground). */
struct ready_to {
	int fd;
	const char *path;
	bool json, foreground, ok;
};

/* Written to the pipe (background) or printed (foreground): the path line, or the
 * reason. One write each, so the waiting parent reads it whole. */
static void on_ready(void *data, const struct ag3_result *res)
{
	struct ready_to *r = data;
	r->ok = res->status != AG3_STATUS_SETUP_FAILED;
	_cleanup_free_ char *msg = NULL;
	if (!r->ok) {
		const struct ag3_error *e = res->setup_error;
		if (asprintf(&msg, "E%s", e && e->msg ? e->msg : "the sandbox could not be built") <
		    0)
			msg = NULL;
	} else {
		_cleanup_free_ char *json = NULL;
		if (r->json && ag3_result_to_json(res, &json) < 0)
			json = NULL;
		_cleanup_free_ char *j = json ? ag3_escape_json(json) : NULL;
		if (asprintf(&msg, "O%s\n%s%s", r->path, j ? j : "", j ? "\n" : "") < 0)
			msg = NULL;
	}
	if (!msg)
		return;
	if (r->foreground) {
		if (msg[0] == 'E')
			cli_error("session open: setup failed: %s", cli_esc(msg + 1));
		else if (fputs(msg + 1, stdout) >= 0)
			fflush(stdout); /* a reader that is gone changes nothing: it runs on */
		return;
	}
	(void)!write(r->fd, msg, strlen(msg));
	close(r->fd);
	r->fd = -1;
}

/*
 * The socket's directory must be out of the sandbox's reach: not a bind source
 * of the spec nor beneath one (a command could use the socket, or replace it and
 * receive the next client's argv, environment and stdio), and not a directory
 * others may write to without the sticky bit (they could replace it).
 */
int cli_socket_check_dir(const char *path, const struct ag3_spec *spec, char **ret_abs)
{
	_cleanup_free_ char *copy = strdup(path);
	if (!copy) {
		cli_error("out of memory");
		return -1;
	}
	char *slash = strrchr(copy, '/');
	const char *dir = !slash ? "." : slash == copy ? "/" : (*slash = 0, copy);
	_cleanup_free_ char *real = realpath(dir, NULL);
	struct stat st;
	if (!real || stat(real, &st) < 0) {
		cli_error("--socket %s: its directory %s: %s", path, dir, strerror(errno));
		return -1;
	}
	if ((st.st_uid != geteuid() && st.st_uid != 0) ||
	    ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
		cli_error("--socket %s: its directory %s is %s: another user could replace the "
			  "socket; use a directory of yours (e.g. $XDG_RUNTIME_DIR)",
			  path, real,
			  st.st_uid != geteuid() && st.st_uid != 0 ? "owned by another user"
								   : "writable by others");
		return -1;
	}
	for (size_t i = 0; spec && i < spec->n_mounts; i++) {
		const struct ag3_mount *m = &spec->mounts[i];
		if (m->op != AG3_MOUNT_BIND || !m->source)
			continue;
		_cleanup_free_ char *src = realpath(m->source, NULL);
		if (!src)
			continue; /* not there (optional): nothing of it is in the sandbox */
		size_t n = strlen(src);
		bool under = !strcmp(src, "/") ||
			     (!strncmp(real, src, n) && (real[n] == 0 || real[n] == '/'));
		if (under) {
			cli_error(
				"--socket %s: %s is in the sandbox's reach (bound from %s at %s): "
				"a command could use or replace the session's socket; put it "
				"elsewhere (e.g. $XDG_RUNTIME_DIR)",
				path, real, m->source, m->target);
			return -1;
		}
	}
	/* Absolute: the server leaves its caller's working directory. */
	const char *base = slash ? slash + 1 : path;
	if (!*base || asprintf(ret_abs, "%s%s%s", real, strcmp(real, "/") ? "/" : "", base) < 0) {
		cli_error("--socket %s: not a socket path", path);
		return -1;
	}
	return 0;
}

int cli_socket_listen(const char *path, int type, mode_t mode, dev_t *dev, ino_t *ino)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		cli_error("--socket %s: longer than a socket path may be (%zu bytes)", path,
			  sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		cli_error("socket: %s", strerror(errno));
		return -1;
	}
	mode_t old = umask(~mode & 0777);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (r < 0) {
		cli_error("--socket %s: %s%s", path, strerror(e),
			  e == EADDRINUSE ? " (a file is there: close that session, or remove it)"
					  : "");
		close(fd);
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) < 0 || listen(fd, 64) < 0) {
		cli_error("--socket %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return fd;
}

int cli_stop_signals(void)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* The background server's own stdio: /dev/null (a caller's $(...) must end). */
static void detach_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return;
	for (int i = 0; i < 3; i++)
		dup2(null, i);
	if (null > 2)
		close(null);
}

static int session_open(int argc, char **argv)
{
	_cleanup_(ag3_vars_freep) struct ag3_vars *vars = ag3_vars_new();
	if (!vars) {
		cli_error("out of memory");
		return 125;
	}
	struct cli_source src = {.vars = vars};
	const char *socket_path = NULL;
	bool foreground = false, json = false, owner_given = false;
	unsigned long long owner_pid = 0;
	const struct cli_opt opts[] = {
		{"socket", 0, CLI_OPT_STRING, &socket_path, .once = true},
		{"foreground", 0, CLI_OPT_FLAG, &foreground, .value = true},
		{"owner-pid", 0, CLI_OPT_U64, &owner_pid, .max = INT_MAX,
		 .invalid = "is not a process id", .given = &owner_given},
		{"json", 0, CLI_OPT_FLAG, &json, .value = true},
		{0},
	};
	const struct cli_command_options co = {
		.cmd = "session open", .help = cli_session_help, .source = &src, .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	if (cli_refuse_operands("session open", argc, argv, first) < 0)
		return CLI_EXIT_USAGE;
	if (!socket_path) {
		cli_error("session open: --socket PATH is required");
		return CLI_EXIT_USAGE;
	}
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	if (cli_source_spec(&src, &spec) < 0)
		return 125;
	/* The owner: its end is the session's (a pidfd: no pid reuse race). */
	int owner = -1;
	if (owner_given) {
		owner = owner_pid ? (int)syscall(SYS_pidfd_open, (pid_t)owner_pid, 0) : -1;
		if (owner < 0) {
			cli_error("session open: --owner-pid %llu: %s", owner_pid,
				  owner_pid ? strerror(errno) : "not a process id");
			return 125;
		}
	}
	_cleanup_free_ char *abs_path = NULL;
	if (cli_socket_check_dir(socket_path, spec, &abs_path) < 0)
		return 125;
	socket_path = abs_path;
	struct ag3_server_opts so = {.listen_fd = -1,
				     .path = socket_path,
				     .control_fd = -1,
				     .owner_pidfd = owner,
				     .owner_uid = geteuid(),
				     .ready = on_ready};
	so.listen_fd =
		cli_socket_listen(socket_path, SOCK_SEQPACKET, 0600, &so.path_dev, &so.path_ino);
	if (so.listen_fd < 0)
		return 125;
	struct ready_to rt = {
		.fd = -1, .path = socket_path, .json = json, .foreground = foreground};
	so.data = &rt;
	if (foreground) {
		so.stop_fd = cli_stop_signals();
		int r = ag3_server_run(spec, &so);
		return r ? 125 : 0;
	}
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		cli_error("pipe: %s", strerror(errno));
		unlink(socket_path);
		return 125;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("fork: %s", strerror(errno));
		unlink(socket_path);
		return 125;
	}
	if (pid == 0) {
		close(pfd[0]);
		/* none of its caller's fds is held open for the session's lifetime */
		const int keep[] = {pfd[1], so.listen_fd, owner};
		if (ag3_fds_close_except(keep, ELEMENTSOF(keep)) < 0)
			_exit(125);
		setsid();
		/* A session may run long: it keeps no directory of its caller busy. */
		if (chdir("/") < 0)
			_exit(125);
		rt.fd = pfd[1];
		so.stop_fd = cli_stop_signals();
		detach_stdio();
		_exit(ag3_server_run(spec, &so) ? 125 : 0);
	}
	close(pfd[1]);
	close(so.listen_fd);
	/* The server's answer: "O" path (and the record), or "E" the reason. */
	char buf[65536];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof(buf) - 1 && ((n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0 ||
					 (n < 0 && errno == EINTR)))
		if (n > 0)
			len += (size_t)n;
	buf[len] = 0;
	close(pfd[0]);
	if (len > 1 && buf[0] == 'O') {
		fputs(buf + 1, stdout);
		return 0;
	}
	cli_error("session open: setup failed: %s",
		  len > 1 ? cli_esc(buf + 1) : "the session's server ended before it was ready");
	return 125;
}

/*
 * `session serve --control-fd N --spec-fd M [--uid-mode MODE] [--api-uid UID]`:
 * internal (not in the help): the broker the library starts for
 * ag3_session_open (agent/api-session.c). The spec is JSON in the file open at
 * --spec-fd (a sealed memfd), loaded and checked exactly as `exec --spec` loads
 * and checks a file, with the uid policy of the embedder's context; the control
 * socket (--control-fd, SOCK_SEQPACKET) gets the hello (ready, or why not) and
 * then carries the commands' connections; its end ends the session.
 */
struct serve_ready {
	int fd;
	struct ag3_session_limits lim;
};

static void send_ready(int fd, const struct ag3_session_limits *lim, const struct ag3_result *res,
		       int err, const char *why)
{
	size_t len = 0;
	_cleanup_free_ void *h = ag3_hello_pack(lim, res, NULL, err, why, &len);
	if (h)
		(void)!send(fd, h, len, MSG_NOSIGNAL);
}

static void on_serve_ready(void *data, const struct ag3_result *res)
{
	struct serve_ready *r = data;
	if (res->status != AG3_STATUS_SETUP_FAILED) {
		send_ready(r->fd, &r->lim, res, 0, NULL);
		return;
	}
	const struct ag3_error *e = res->setup_error;
	send_ready(r->fd, &r->lim, NULL, e && e->err ? e->err : EIO,
		   e && e->msg ? e->msg : "the sandbox could not be built");
}

static int session_serve(int argc, char **argv)
{
	unsigned long long control = 0, spec_fd = 0, api_uid = AG3_API_UID_DEFAULT;
	bool control_given = false, spec_given = false;
	const char *uid_mode = NULL;
	const struct cli_opt opts[] = {
		{"control-fd", 0, CLI_OPT_U64, &control, .max = INT_MAX,
		 .invalid = "is not a file descriptor", .given = &control_given},
		{"spec-fd", 0, CLI_OPT_U64, &spec_fd, .max = INT_MAX,
		 .invalid = "is not a file descriptor", .given = &spec_given},
		{"uid-mode", 0, CLI_OPT_STRING, &uid_mode, .once = true},
		{"api-uid", 0, CLI_OPT_U64, &api_uid, .max = UINT32_MAX - 1,
		 .invalid = "is not a uid"},
		{0},
	};
	const struct cli_command_options co = {
		.cmd = "session serve", .help = cli_session_help, .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	int type = 0;
	socklen_t tl = sizeof(type);
	if (first != argc || !control_given || !spec_given || control <= 2 ||
	    getsockopt((int)control, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    type != SOCK_SEQPACKET) {
		cli_error("session serve: internal (the library's broker): --control-fd N (a "
			  "SOCK_SEQPACKET socket) and --spec-fd N are required");
		return CLI_EXIT_USAGE;
	}
	const int ctl = (int)control;
	fcntl(ctl, F_SETFD, FD_CLOEXEC); /* nothing started from here holds it */
	const struct ag3_session_limits none = {0};
	_cleanup_(ag3_context_freep) struct ag3_context *ctx = ag3_context_new();
	struct ag3_error *err = NULL;
	int r = ctx ? 0 : ag3_error_set(&err, ENOMEM, "out of memory");
	if (!r && uid_mode && ag3_context_set_uid_mode(ctx, uid_mode) < 0)
		r = ag3_error_set(&err, EINVAL, "--uid-mode %s: not a uid mode", uid_mode);
	if (!r && ag3_context_set_api_uid(ctx, (uid_t)api_uid) < 0)
		r = ag3_error_set(&err, EINVAL, "--api-uid %llu: not an API uid", api_uid);
	/* The spec through the same load and checks as `exec --spec FILE`. */
	_cleanup_(ag3_spec_freep) struct ag3_spec *spec = NULL;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%llu", spec_fd);
	if (!r)
		r = ag3_context_load_spec(ctx, path, &spec, &err);
	close((int)spec_fd);
	if (r < 0) {
		send_ready(ctl, &none, NULL, -r,
			   err && err->msg ? err->msg : "session: the spec was refused");
		ag3_error_free(err);
		return 125;
	}
	struct serve_ready rd = {.fd = ctl,
				 .lim = {.timeout_ms = spec->limits.timeout_ms,
					 .kill_grace_ms = spec->limits.kill_grace_ms,
					 .output_bytes = spec->limits.output_bytes}};
	struct ag3_server_opts so = {.listen_fd = -1,
				     .control_fd = ctl,
				     .owner_pidfd = -1,
				     .stop_fd = cli_stop_signals(),
				     .owner_uid = geteuid(),
				     .ready = on_serve_ready,
				     .data = &rd};
	return ag3_server_run(spec, &so) ? 125 : 0;
}

static int session_close(int argc, char **argv)
{
	const struct cli_opt opts[] = {{0}};
	const struct cli_command_options co = {
		.cmd = "session close", .help = cli_session_help, .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	if (first >= argc) {
		cli_error("session close: give the session's socket path");
		return CLI_EXIT_USAGE;
	}
	if (cli_refuse_operands("session close", argc, argv, first + 1) < 0)
		return CLI_EXIT_USAGE;
	char why[512];
	if (ag3_session_close_path(argv[first], 30000, why, sizeof(why)) < 0) {
		cli_error("session close: %s", cli_esc(why));
		return 1;
	}
	return 0;
}

int cli_session(int argc, char **argv)
{
	if (argc < 2) {
		cli_print_help(stderr, cli_session_help);
		return CLI_EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		cli_print_help(stdout, cli_session_help);
		return 0;
	}
	if (!strcmp(sub, "open"))
		return session_open(argc - 1, argv + 1);
	if (!strcmp(sub, "close"))
		return session_close(argc - 1, argv + 1);
	if (!strcmp(sub, "serve"))
		return session_serve(argc - 1, argv + 1);
	static const char *const subs[] = {"open", "close"};
	const char *near = cli_suggest(sub, strlen(sub), subs, ELEMENTSOF(subs));
	cli_error("session: unknown subcommand '%s' (open, close)%s%s%s", sub,
		  near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
	return CLI_EXIT_USAGE;
}
