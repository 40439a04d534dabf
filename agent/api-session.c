/* SPDX-License-Identifier: MIT */
/*
 * The embedding API's sessions (agent/ag3ntum-sandbox.h): a warm sandbox kept by
 * a broker process, and commands run in it from any thread.
 *
 * The broker is the CLI (`session serve --control-fd 3 --spec-fd 4`, the same
 * server as `session open`), started with posix_spawn: the calling process is
 * never forked (it may have threads, locks held, its own SIGCHLD handling). The
 * spec goes to it as JSON in a sealed memfd (fd 4); the control socket (fd 3, a
 * SOCK_SEQPACKET pair) carries its hello (ready, or why not), then one message
 * per command, each with the command's own connection as SCM_RIGHTS. A single
 * sendmsg per message on a SEQPACKET socket is atomic: threads share the control
 * socket with no lock. Nothing here is process-wide state.
 */
#include "agent/ag3ntum-sandbox.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/context.h"
#include "agent/session-client.h"
#include "agent/session-proto.h"
#include "config.h"
#include "runtime/cmdreq.h"
#include "runtime/relay.h"
#include "runtime/spec_json.h"

/* How long a session's sandbox may take to be built, and its broker to end. */
#define OPEN_WAIT_MS 120000
#define CLOSE_WAIT_MS 30000
/* set_stdin's bytes go through one pipe: at most this much (the default fs.pipe-max-size). */
#define STDIN_MAX (1u << 20)

_Static_assert((int)AG3_EXEC_EXITED == (int)AG3_STATUS_EXITED &&
		       (int)AG3_EXEC_SIGNALED == (int)AG3_STATUS_SIGNALED &&
		       (int)AG3_EXEC_TIMEOUT == (int)AG3_STATUS_TIMEOUT &&
		       (int)AG3_EXEC_OOM == (int)AG3_STATUS_OOM &&
		       (int)AG3_EXEC_SETUP_FAILED == (int)AG3_STATUS_SETUP_FAILED,
	       "the public status is the result record's");

struct ag3_session {
	pid_t pid;         /* the broker: our child */
	int pidfd;         /* its pidfd, or -1 (no pidfd_open) */
	int ctl;           /* our end of the control socket */
	char *enforcement; /* the hello's enforcement record, JSON (ag3_session_enforcement) */
};

struct ag3_command {
	char **argv; /* NULL-terminated */
	char **env;  /* "NAME=VALUE", NULL-terminated */
	size_t n_env;
	char *cwd;
	void *in_data;
	size_t in_len;
	bool have_in;
	int fds[3];
	bool capture;
	size_t cap;
	bool timeout_set;
	uint64_t timeout_ms;
	int cancel_fd;
};

/* ---- the broker ---------------------------------------------------------------------------- */

/* Waits for the broker's end (bounded when there is a pidfd; then killed), and collects it. */
static int reap_broker(struct ag3_session *s)
{
	int r = 0;
	if (s->pidfd >= 0) {
		uint64_t end = ag3_now_ms() + CLOSE_WAIT_MS;
		struct pollfd p = {.fd = s->pidfd, .events = POLLIN};
		for (;;) {
			uint64_t now = ag3_now_ms();
			int pr = now < end ? poll(&p, 1, (int)(end - now)) : 0;
			if (pr > 0 || (pr < 0 && errno != EINTR))
				break;
			if (pr == 0) {
				syscall(SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0);
				r = -ETIMEDOUT;
				break;
			}
		}
	}
	/* Our child, by its pid. ECHILD: SIGCHLD is ignored (the kernel collected it)
	 * or the program's own handler did: it has ended either way. */
	while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
	s->pid = -1;
	return r;
}

/* fd moved above `min` (keeping O_CLOEXEC), so that dup2 onto 3 and 4 cannot clobber it. */
static int fd_above(int fd, int min)
{
	if (fd > min)
		return fd;
	int n = fcntl(fd, F_DUPFD_CLOEXEC, min + 1);
	int e = errno;
	close(fd);
	errno = e;
	return n;
}

/* All of buf to a file that takes it without waiting (a memfd, a pipe with room). */
static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, (const char *)buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		off += (size_t)w;
	}
	return 0;
}

/* The spec as JSON (secrets included: the broker needs them) in a sealed memfd. */
static int spec_memfd(const struct ag3_spec *spec, struct ag3_error **err)
{
	char *json = NULL;
	int r = ag3_spec_to_json(spec, 0, &json, err);
	if (r < 0)
		return r;
	size_t len = strlen(json);
	int fd = memfd_create("ag3-session-spec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	r = fd < 0 ? -errno : 0;
	if (!r)
		r = write_all(fd, json, len);
	explicit_bzero(json, len);
	free(json);
	if (!r &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		r = -errno;
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return ag3_error_set(err, -r, "session: the spec for the broker: %s", strerror(-r));
	}
	return fd;
}

/* posix_spawn of the broker: fds 3 (control) and 4 (spec), nothing else of ours. */
static int spawn_broker(const struct ag3_uid_policy *pol, int ctl, int spec, pid_t *pid,
			const char **bin, struct ag3_error **err)
{
	const char *env_bin = secure_getenv("AG3NTUM_SANDBOX_BIN");
	*bin = env_bin && *env_bin ? env_bin : AG3_CLI_PATH;
	char api_uid[24];
	snprintf(api_uid, sizeof(api_uid), "%u", (unsigned)pol->api_uid);
	const char *mode = ag3_uid_mode_to_string(pol->mode);
	const char *argv[] = {*bin, "session",    "serve", "--control-fd", "3",     "--spec-fd",
			      "4",  "--uid-mode", mode,    "--api-uid",    api_uid, NULL};
	char *const envp[] = {NULL};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int r = posix_spawn_file_actions_init(&fa);
	if (r)
		return ag3_error_set(err, r, "session: posix_spawn: %s", strerror(r));
	r = posix_spawnattr_init(&at);
	if (r) {
		posix_spawn_file_actions_destroy(&fa);
		return ag3_error_set(err, r, "session: posix_spawn: %s", strerror(r));
	}
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	/* Its signals at their defaults and unblocked whatever ours are (SIGCHLD ignored
	 * here would make its children vanish), in a session of its own (the terminal's
	 * ^C is the program's; the control socket's end is the broker's). */
	r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
						  POSIX_SPAWN_SETSID);
	r = r ?: posix_spawnattr_setsigmask(&at, &none);
	r = r ?: posix_spawnattr_setsigdefault(&at, &all);
	r = r ?: posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDWR, 0);
	r = r ?: posix_spawn_file_actions_adddup2(&fa, 0, 1);
	r = r ?: posix_spawn_file_actions_adddup2(&fa, 0, 2);
	r = r ?: posix_spawn_file_actions_adddup2(&fa, ctl, 3);
	r = r ?: posix_spawn_file_actions_adddup2(&fa, spec, 4);
	r = r ?: posix_spawn_file_actions_addclosefrom_np(&fa, 5);
	r = r ?: posix_spawn(pid, *bin, &fa, &at, (char *const *)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (r)
		return ag3_error_set(err, r, "session: starting the broker %s: %s (set %s)", *bin,
				     strerror(r),
				     "AG3NTUM_SANDBOX_BIN to the ag3ntum-sandbox binary");
	return 0;
}

/* The "enforcement" object of a result record, as its own JSON text. 0 or -ENOMEM. */
static int enforcement_json(const struct ag3_result *res, char **ret)
{
	_cleanup_free_ char *rec = NULL;
	if (ag3_result_to_json(res, &rec) < 0)
		return -ENOMEM;
	cJSON *o = cJSON_Parse(rec);
	cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "enforcement");
	/* facts of each command's drop, not of the session: in each result record */
	cJSON_DeleteItemFromObjectCaseSensitive(e, "capabilities_dropped");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "no_new_privs");
	*ret = e ? cJSON_PrintUnformatted(e) : NULL;
	cJSON_Delete(o);
	return *ret ? 0 : -ENOMEM;
}

/* The broker's hello: ready (0), or why not (-errno, *err set). */
static int read_ready(struct ag3_session *s, const char *bin, struct ag3_error **err)
{
	size_t cap = sizeof(struct ag3_hello) + AG3_HELLO_MAX_TEXT;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return ag3_error_set(err, ENOMEM, "out of memory");
	uint64_t end = ag3_now_ms() + OPEN_WAIT_MS;
	struct pollfd p = {.fd = s->ctl, .events = POLLIN};
	ssize_t n = -1;
	for (;;) {
		uint64_t now = ag3_now_ms();
		if (now >= end) {
			errno = ETIMEDOUT;
			break;
		}
		int pr = poll(&p, 1, (int)(end - now));
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		n = recv(s->ctl, buf, cap, MSG_DONTWAIT);
		if (n >= 0 || (errno != EAGAIN && errno != EINTR))
			break;
	}
	if (n <= 0) {
		int e = n == 0 ? EPIPE : errno;
		return ag3_error_set(err, e, "session: the broker (%s) %s", bin,
				     n == 0 ? "ended before the sandbox was ready"
					    : "did not say the sandbox was ready");
	}
	struct ag3_session_limits lim;
	struct ag3_result res = {0};
	int r = ag3_hello_parse(buf, (size_t)n, &lim, &res, NULL);
	if (r == 0 && (r = enforcement_json(&res, &s->enforcement)) < 0)
		ag3_error_set(err, -r, "out of memory");
	else if (r == -EPROTO)
		ag3_error_set(err, EPROTO,
			      "session: the broker (%s) did not answer as a session "
			      "server does",
			      bin);
	else if (r < 0)
		ag3_error_set(err, -r, "%s",
			      res.setup_error && res.setup_error->msg ? res.setup_error->msg
								      : strerror(-r));
	ag3_result_clear(&res);
	return r;
}

int ag3_session_open_spec(const struct ag3_context *ctx, const struct ag3_spec *spec,
			  struct ag3_session **ret, struct ag3_error **err)
{
	if (!ret)
		return ag3_error_set(err, EINVAL, "session: no place for the session");
	*ret = NULL;
	if (!spec)
		return ag3_error_set(err, EINVAL, "session: no spec");
	const struct ag3_context dflt = {.uid_policy = AG3_UID_POLICY_DEFAULT};
	if (!ctx)
		ctx = &dflt;
	/* Checked here to say why early; the broker checks again before building. */
	int r = ag3_context_check_spec_ids(ctx, spec, NULL, err);
	if (r < 0)
		return r;
	int specfd = spec_memfd(spec, err);
	if (specfd < 0)
		return specfd;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		close(specfd);
		return ag3_error_set(err, -r, "session: socketpair: %s", strerror(-r));
	}
	specfd = fd_above(specfd, 4);
	sv[1] = fd_above(sv[1], 4);
	struct ag3_session *s = calloc(1, sizeof(*s));
	if (!s || specfd < 0 || sv[1] < 0) {
		r = ag3_error_set(err, s ? errno : ENOMEM, "session: %s",
				  s ? strerror(errno) : "out of memory");
		free(s);
		close(sv[0]);
		if (sv[1] >= 0)
			close(sv[1]);
		if (specfd >= 0)
			close(specfd);
		return r;
	}
	s->ctl = sv[0];
	s->pidfd = -1;
	const char *bin = NULL;
	r = spawn_broker(&ctx->uid_policy, sv[1], specfd, &s->pid, &bin, err);
	close(sv[1]);
	close(specfd);
	if (r < 0) {
		close(s->ctl);
		free(s);
		return r;
	}
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	r = read_ready(s, bin, err);
	if (r < 0) {
		close(s->ctl);
		reap_broker(s);
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int ag3_session_open(struct ag3_context *ctx, struct ag3_session **ret, struct ag3_error **err)
{
	if (!ctx || !ret) {
		if (ret)
			*ret = NULL;
		return ag3_error_set(err, EINVAL, "session: no context");
	}
	*ret = NULL;
	struct ag3_spec *spec = NULL;
	int r = ag3_context_compile(ctx, &spec, err);
	if (r < 0)
		return r;
	r = ag3_session_open_spec(ctx, spec, ret, err);
	ag3_spec_free(spec);
	return r;
}

const char *ag3_session_enforcement(const struct ag3_session *s)
{
	return s ? s->enforcement : NULL;
}

int ag3_session_close(struct ag3_session *s)
{
	if (!s)
		return 0;
	close(s->ctl); /* its end: the broker tears everything down and exits */
	int r = reap_broker(s);
	free(s->enforcement);
	free(s);
	return r;
}

/* ---- commands ------------------------------------------------------------------------------ */

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

struct ag3_command *ag3_command_new(void)
{
	struct ag3_command *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->fds[0] = c->fds[1] = c->fds[2] = -1;
	c->cancel_fd = -1;
	return c;
}

void ag3_command_free(struct ag3_command *c)
{
	if (!c)
		return;
	strv_free(c->argv);
	strv_free(c->env);
	free(c->cwd);
	free(c->in_data);
	free(c);
}

int ag3_command_set_argv(struct ag3_command *c, char *const *argv)
{
	if (!c || !argv || !argv[0] || !*argv[0])
		return -EINVAL;
	size_t n = 0;
	while (argv[n])
		if (++n > AG3_CMDREQ_MAX_ARGS)
			return -E2BIG;
	char **v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = strdup(argv[i]))) {
			strv_free(v);
			return -ENOMEM;
		}
	strv_free(c->argv);
	c->argv = v;
	return 0;
}

int ag3_command_set_shell(struct ag3_command *c, const char *script)
{
	if (!script)
		return -EINVAL;
	char sh[] = "/bin/sh", dash_c[] = "-c";
	return ag3_command_set_argv(c, (char *const[]){sh, dash_c, (char *)script, NULL});
}

int ag3_command_set_cwd(struct ag3_command *c, const char *dir)
{
	if (!c || !dir || !*dir)
		return -EINVAL;
	char *d = strdup(dir);
	if (!d)
		return -ENOMEM;
	free(c->cwd);
	c->cwd = d;
	return 0;
}

int ag3_command_add_env(struct ag3_command *c, const char *name, const char *value)
{
	if (!c || !name || !*name || strchr(name, '=') || !value)
		return -EINVAL;
	if (c->n_env >= AG3_CMDREQ_MAX_ENV)
		return -E2BIG;
	char **v = realloc(c->env, (c->n_env + 2) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->env = v;
	if (asprintf(&v[c->n_env], "%s=%s", name, value) < 0) {
		v[c->n_env] = NULL;
		return -ENOMEM;
	}
	v[++c->n_env] = NULL;
	return 0;
}

int ag3_command_set_stdin(struct ag3_command *c, const void *data, size_t len)
{
	if (!c || (len && !data))
		return -EINVAL;
	if (len > STDIN_MAX)
		return -E2BIG;
	void *d = malloc(len ? len : 1);
	if (!d)
		return -ENOMEM;
	if (len)
		memcpy(d, data, len);
	free(c->in_data);
	c->in_data = d;
	c->in_len = len;
	c->have_in = true;
	c->fds[0] = -1;
	return 0;
}

int ag3_command_set_fds(struct ag3_command *c, int in, int out, int err)
{
	if (!c || in < -1 || out < -1 || err < -1)
		return -EINVAL;
	c->fds[0] = in;
	c->fds[1] = out;
	c->fds[2] = err;
	if (in >= 0) {
		free(c->in_data);
		c->in_data = NULL;
		c->in_len = 0;
		c->have_in = false;
	}
	return 0;
}

int ag3_command_set_capture(struct ag3_command *c, size_t max_bytes)
{
	if (!c)
		return -EINVAL;
	c->capture = true;
	c->cap = max_bytes;
	return 0;
}

int ag3_command_set_timeout_ms(struct ag3_command *c, uint64_t ms)
{
	if (!c || ms > INT64_MAX)
		return -EINVAL;
	c->timeout_set = true;
	c->timeout_ms = ms;
	return 0;
}

int ag3_command_set_cancel_fd(struct ag3_command *c, int fd)
{
	if (!c || fd < -1)
		return -EINVAL;
	c->cancel_fd = fd;
	return 0;
}

/* ---- exec ---------------------------------------------------------------------------------- */

/* A pipe holding `len` bytes then EOF: its read end, or -errno (-E2BIG: no pipe that large). */
static int stdin_pipe(const void *data, size_t len)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	int r = 0;
	int size = fcntl(p[1], F_GETPIPE_SZ);
	if (size >= 0 && (size_t)size < len) {
		size = fcntl(p[1], F_SETPIPE_SZ, (int)len);
		if (size < 0 || (size_t)size < len)
			r = -E2BIG; /* fs.pipe-max-size, or the user's pipe pages */
	}
	/* It fits: the writes never block. */
	if (!r)
		r = write_all(p[1], data, len);
	close(p[1]);
	if (r < 0) {
		close(p[0]);
		return r;
	}
	return p[0];
}

static char *memdup0(const char *p, size_t len)
{
	char *d = malloc(len + 1);
	if (d) {
		if (len)
			memcpy(d, p, len);
		d[len] = 0;
	}
	return d;
}

/* The public result and what it does not show. */
struct exec_result {
	struct ag3_exec_result pub;
	int code; /* ag3_result_exit_code's */
};

static int public_result(struct ag3_result *res, struct ag3_exec_result **ret)
{
	struct exec_result *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->code = ag3_result_exit_code(res);
	struct ag3_exec_result *r = &x->pub;
	r->status = (enum ag3_exec_status)res->status;
	r->status_name = ag3_status_to_string(res->status);
	r->exit_code = res->status == AG3_STATUS_EXITED ? res->exit_code : 0;
	r->signal = res->status == AG3_STATUS_SIGNALED || res->status == AG3_STATUS_TIMEOUT
			    ? res->signal
			    : 0;
	r->duration_ms = res->duration_ms;
	char *json = NULL;
	int e = ag3_result_to_json(res, &json);
	r->json = json;
	bool ok = e >= 0;
	if (res->out.captured) {
		r->stdout_data = memdup0(res->out.data, res->out.len);
		r->stdout_len = res->out.len;
		r->stdout_total = res->out.total;
		r->stdout_truncated = res->out.truncated;
		ok = ok && r->stdout_data;
	}
	if (res->err.captured) {
		r->stderr_data = memdup0(res->err.data, res->err.len);
		r->stderr_len = res->err.len;
		r->stderr_total = res->err.total;
		r->stderr_truncated = res->err.truncated;
		ok = ok && r->stderr_data;
	}
	if (res->status == AG3_STATUS_SETUP_FAILED) {
		const struct ag3_error *se = res->setup_error;
		r->error = strdup(se && se->msg ? se->msg : "the sandbox could not be set up");
		ok = ok && r->error;
	}
	if (!ok) {
		ag3_exec_result_free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

int ag3_exec_result_exit_code(const struct ag3_exec_result *r)
{
	/* pub is the first member: r is an exec_result's */
	return r ? ((const struct exec_result *)r)->code : -EINVAL;
}

void ag3_exec_result_free(struct ag3_exec_result *r)
{
	if (!r)
		return;
	free((char *)r->stdout_data);
	free((char *)r->stderr_data);
	free((char *)r->error);
	free((char *)r->json);
	free(r);
}

/* The command's connection, handed to the broker: our end, or -errno. */
static int attach(struct ag3_session *s)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* One message: atomic on a SEQPACKET socket, whichever threads send at once. */
	struct ag3_close_req m = {.magic = AG3_ATTACH_MAGIC};
	int r = ag3_send_fds(s->ctl, &m, sizeof(m), &sv[1], 1) < 0 ? -errno : 0;
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		return r;
	}
	return sv[0];
}

int ag3_session_exec(struct ag3_session *s, const struct ag3_command *c,
		     struct ag3_exec_result **ret, struct ag3_error **err)
{
	if (ret)
		*ret = NULL;
	if (!s || !c || !ret)
		return ag3_error_set(err, EINVAL, "session exec: no session, command or result");
	if (!c->argv)
		return ag3_error_set(err, EINVAL, "session exec: the command has no argv");
	int own[3] = {-1, -1, -1}, null = -1;
	struct ag3_run_opts opts = {
		.argv = c->argv, .cancel_fd = c->cancel_fd, .capture = c->capture};
	int r = 0;
	if (c->have_in) {
		own[0] = stdin_pipe(c->in_data, c->in_len);
		if (own[0] < 0)
			return ag3_error_set(
				err, -own[0], "session exec: stdin (%zu bytes) through a pipe: %s",
				c->in_len,
				own[0] == -E2BIG ? "no pipe that large (fs.pipe-max-size)"
						 : strerror(-own[0]));
	}
	for (int i = 0; i < 3; i++) {
		opts.stdio[i] = own[i] >= 0 ? own[i] : c->fds[i];
		if (opts.stdio[i] >= 0 || (i > 0 && c->capture))
			continue;
		if (null < 0 && (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
			r = ag3_error_set(err, errno, "session exec: /dev/null: %s",
					  strerror(errno));
			goto out;
		}
		opts.stdio[i] = null;
	}
	struct ag3_result res = {0};
	int conn = attach(s);
	if (conn < 0) {
		/* The broker is gone: a command that did not run, and why. */
		res.status = AG3_STATUS_SETUP_FAILED;
		ag3_error_set_stage(&res.setup_error, -conn, "session", NULL,
				    "session: the session's broker is gone (%s): close it and "
				    "open a new one",
				    strerror(-conn));
	} else {
		struct ag3_cmd_extra extra = {.env = c->env, .cwd = c->cwd};
		r = ag3_session_client_run_cap(conn, c->timeout_set ? (int64_t)c->timeout_ms : -1,
					       c->capture ? c->cap : 0, &opts, &extra, &res, NULL);
	}
	if (r >= 0)
		r = public_result(&res, ret);
	ag3_result_clear(&res);
	if (r < 0)
		ag3_error_set(err, -r, "session exec: %s", strerror(-r));
out:
	if (own[0] >= 0)
		close(own[0]);
	if (null >= 0)
		close(null);
	return r;
}
