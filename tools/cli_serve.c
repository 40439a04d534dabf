/* SPDX-License-Identifier: MIT */
/*
 * `serve`: the protocol of doc/serve-protocol.md ("ag3ntum.serve/1") on stdio or
 * a unix socket.
 *
 * One thread runs a poll() loop over every descriptor (the listening socket,
 * the clients, the commands' output pipes) and never blocks: requests are read
 * into a per-connection buffer, replies queued per connection and written as
 * the peer takes them. Whatever may take time (opening or closing a session,
 * compiling a profile, resolving a path, running a command) is a job on a
 * thread of its own; a finished job is handed back to the loop (a list under a
 * mutex, and an eventfd), and only the loop touches connections, sessions and
 * execs. So one client's slow open, flood or full socket never stalls another.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/ag3ntum-sandbox.h"
#include "agent/context.h"
#include "agent/session-server.h"
#include "cli.h"
#include "cli_options.h"
#include "config.h"
#include "runtime/relay.h"
#include "runtime/util/cleanup.h"
#include "runtime/util/text.h"
#include "serve.h"

#define MAX_CLIENTS 64
#define MAX_JOBS 8             /* a connection's open/close/check/resolve jobs at once */
#define QUEUE_PAUSE (1u << 20) /* a connection's queued replies that pause it */
#define QUEUE_PAUSE_FDS 16     /* ... or the descriptors they hold (resolve's fds)  */
#define CHUNK (64u << 10)      /* an output chunk's data */
#define READ_CHUNK (64u << 10) /* one read of a client's requests */
#define STOP_FLUSH_MS 5000     /* at the end: how long replies may still be flushed */
#define MAX_ALLOW_UIDS 64

const char cli_serve_help[] =
	"Usage: " PROG " serve [--socket PATH [--allow-uid UID]...]\n"
	"\n"
	"Serves the protocol of doc/serve-protocol.md (\"" SERVE_PROTOCOL "\"): newline-\n"
	"delimited JSON requests that open warm sessions, run commands in them with\n"
	"their output streamed, cancel them, close the sessions, and ask the policy\n"
	"engine (check: a tool call's can_use_tool decision) and the path resolver\n"
	"(resolve: a file tool's path, with the opened descriptor passed over the\n"
	"socket). It is how a program that is not C (the platform's Python agent loop,\n"
	"the ag3ntum_sandbox package) drives the sandbox.\n"
	"\n"
	"Without --socket it serves one client on stdio: requests on fd 0, replies on\n"
	"fd 1 (descriptors are passed when fd 1 is a unix socket, e.g. a socketpair());\n"
	"it ends when fd 0 reaches end of file. With --socket it listens on PATH (a new\n"
	"socket, mode 0600, 0666 with --allow-uid; an existing file is an error; the\n"
	"directory must be yours or root's and not writable by others) and serves up to\n"
	"64 clients at once, each checked by its peer credentials: its uid must be\n"
	"serve's own or one given with --allow-uid, and it must not run inside any\n"
	"sandbox (it must be in serve's pid namespace). A session belongs to the\n"
	"connection that opened it: it is closed, every command of it killed, when that\n"
	"connection ends.\n"
	"\n"
	"Limits, per connection: a request line of at most 4 MiB, 16 sessions, 64\n"
	"running commands, 1 MiB of stdin per command; while more than 1 MiB of replies\n"
	"(or 16 descriptors) waits for the client, its requests and its commands' output\n"
	"are not read.\n"
	"Malformed, oversized or out-of-order requests get an error reply and change\n"
	"nothing else.\n"
	"\n"
	"serve ends on SIGTERM, SIGINT or SIGHUP (and on stdio's end of file) after\n"
	"closing every session it opened; the socket is removed.\n"
	"\n"
	"Options:\n"
	"  --socket PATH      listen on a unix socket instead of serving stdio\n"
	"  --allow-uid UID    also accept connections from this uid (repeatable, at most\n"
	"                     64; with --socket)\n"
	"  -h, --help         this text\n"
	"\n"
	"Example (the Python package starts a stdio serve over a socketpair):\n"
	"  python3 -c 'from ag3ntum_sandbox import Server\n"
	"  with Server() as srv, srv.open_session(workspace=\"/srv/ws\") as s:\n"
	"      print(s.run(shell=\"ls\").stdout.decode())'\n"
	"A client keeps its end open until its last reply: serve ends the connection's\n"
	"commands and sessions when the client's side reaches end of file.\n"
	"\n"
	"Exit status: 0 after a normal end; 2 a usage error (an unknown option, a bad\n"
	"value, a stray argument); 125 when it could not start (the socket could not be\n"
	"created).\n";

static struct {
	struct conn *conns;
	unsigned n_conns;
	unsigned jobs; /* running */
	pthread_mutex_t lock;
	struct job *done; /* finished jobs, for the loop */
	int done_fd;      /* eventfd: done is not empty */
	int listen_fd;
	const char *path;
	dev_t path_dev, ns_dev;
	ino_t path_ino, ns_ino;
	uid_t allow[MAX_ALLOW_UIDS + 1];
	size_t n_allow;
	bool stopping;
	uint64_t stop_ms;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER, .done_fd = -1, .listen_fd = -1};

const char *serve_socket_path;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- replies --------------------------------------------------------------------------------- */

/* Queues a line (taken; NULL: out of memory, the client is told so if possible) with
 * its fds (taken). */
static void queue_line(struct conn *c, char *line, const int *fds, int nfds)
{
	static const char oom[] = "{\"id\":null,\"type\":\"error\",\"code\":\"INTERNAL\","
				  "\"message\":\"out of memory\"}";
	size_t n = line ? strlen(line) : sizeof(oom) - 1;
	struct outbuf *b = c->write_dead ? NULL : malloc(sizeof(*b) + n + 1);
	if (!b) {
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		free(line);
		return;
	}
	*b = (struct outbuf){.len = n + 1, .nfds = line ? nfds : 0};
	memcpy(b->data, line ? line : oom, n);
	b->data[n] = '\n';
	for (int i = 0; i < nfds; i++) {
		if (line)
			b->fds[i] = fds[i];
		else
			close(fds[i]);
	}
	free(line);
	if (c->qtail)
		c->qtail->next = b;
	else
		c->qhead = b;
	c->qtail = b;
	c->queued += b->len;
	c->queued_fds += (unsigned)b->nfds;
}

static void queue_error(struct conn *c, const cJSON *id, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void queue_error(struct conn *c, const cJSON *id, const char *code, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	queue_line(c, serve_error_line(id, code, msg), NULL, 0);
	free(msg);
}

static void outbuf_free(struct outbuf *b)
{
	for (int i = 0; i < b->nfds; i++)
		close(b->fds[i]);
	free(b);
}

/* Writes what the peer takes now; false when writing failed (the peer is gone). */
static bool flush_out(struct conn *c)
{
	while (c->qhead && !c->write_dead) {
		struct outbuf *b = c->qhead;
		ssize_t n;
		if (b->nfds && b->off == 0) {
			/* the descriptors ride with the line's first byte, sent alone with them */
			struct iovec iov = {.iov_base = b->data, .iov_len = b->len};
			union {
				char buf[CMSG_SPACE(sizeof(int) * 2)];
				struct cmsghdr align;
			} u = {0};
			struct msghdr mh = {.msg_iov = &iov,
					    .msg_iovlen = 1,
					    .msg_control = u.buf,
					    .msg_controllen =
						    CMSG_SPACE(sizeof(int) * (size_t)b->nfds)};
			struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
			if (!cm) {
				n = -1;
				errno = EINVAL;
			} else {
				cm->cmsg_level = SOL_SOCKET;
				cm->cmsg_type = SCM_RIGHTS;
				cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)b->nfds);
				memcpy(CMSG_DATA(cm), b->fds, sizeof(int) * (size_t)b->nfds);
				n = sendmsg(c->out_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
			}
			if (n > 0) {
				for (int i = 0; i < b->nfds; i++)
					close(b->fds[i]);
				c->queued_fds -= (unsigned)b->nfds;
				b->nfds = 0;
			}
		} else if (c->out_sock) {
			n = send(c->out_fd, b->data + b->off, b->len - b->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		} else {
			n = write(c->out_fd, b->data + b->off, b->len - b->off);
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0) {
			c->write_dead = true;
			break;
		}
		b->off += (size_t)n;
		c->queued -= (size_t)n;
		if (b->off == b->len) {
			c->qhead = b->next;
			if (!c->qhead)
				c->qtail = NULL;
			outbuf_free(b);
		}
	}
	if (c->write_dead) {
		while (c->qhead) {
			struct outbuf *b = c->qhead;
			c->qhead = b->next;
			outbuf_free(b);
		}
		c->qtail = NULL;
		c->queued = 0;
		c->queued_fds = 0;
		return false;
	}
	return true;
}

/* ---- jobs ------------------------------------------------------------------------------------ */

static void job_free(struct job *j)
{
	serve_req_clear(&j->req);
	free(j->reply);
	for (int i = 0; i < j->nfds; i++)
		close(j->fds[i]);
	free(j);
}

static void job_done(struct job *j)
{
	pthread_mutex_lock(&S.lock);
	j->next = S.done;
	S.done = j;
	pthread_mutex_unlock(&S.lock);
	uint64_t one = 1;
	(void)!write(S.done_fd, &one, sizeof(one));
}

static void *job_main(void *data)
{
	struct job *j = data;
	switch (j->kind) {
	case JOB_OPEN:
		serve_job_open(j);
		break;
	case JOB_EXEC:
		serve_job_exec(j);
		break;
	case JOB_CLOSE:
		ag3_session_close(j->s->s);
		j->s->s = NULL;
		break;
	case JOB_CHECK:
		serve_job_check(j);
		break;
	case JOB_RESOLVE:
		serve_job_resolve(j, j->c->fd_passing); /* set once, before any job */
		break;
	}
	job_done(j);
	return NULL;
}

/* Starts a job on a thread of its own (detached). false: it could not start. */
static bool job_start(struct job *j)
{
	pthread_attr_t a;
	pthread_t t;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 1u << 20);
	int r = pthread_create(&t, &a, job_main, j);
	pthread_attr_destroy(&a);
	if (r != 0)
		return false;
	S.jobs++;
	return true;
}

static struct job *job_new(enum job_kind kind, struct conn *c, struct serve_req *q)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->kind = kind;
	j->c = c;
	if (q) {
		j->req = *q;
		*q = (struct serve_req){0};
	}
	return j;
}

/* ---- sessions and execs ---------------------------------------------------------------------- */

static void sess_free(struct sess *s)
{
	struct conn *c = s->c;
	for (struct sess **p = &c->sessions; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	c->n_sessions--;
	ag3_spec_free(s->spec);
	serve_policy_free(s->profile, s->rules);
	free(s->username);
	free(s->session_id);
	cJSON_Delete(s->close_id);
	free(s);
}

/* Closes the session once nothing uses it (its execs and jobs are done). */
static void sess_maybe_close(struct sess *s)
{
	if (s->st != SESS_CLOSING || s->refs || s->close_asked)
		return;
	struct job *j = job_new(JOB_CLOSE, s->c, NULL);
	if (j) {
		j->s = s;
		s->close_asked = true;
		if (job_start(j))
			return;
		free(j);
		s->close_asked = false;
	}
	/* no thread: close it here (it takes a moment, but nothing may be left) */
	ag3_session_close(s->s);
	s->s = NULL;
	if (s->close_id && !s->c->dropped)
		queue_line(s->c, serve_reply_line(serve_reply_new(s->close_id, "closed")), NULL, 0);
	sess_free(s);
}

static void exec_cancel(struct exec *e)
{
	uint64_t one = 1;
	if (e->cancel_fd >= 0)
		(void)!write(e->cancel_fd, &one, sizeof(one));
}

static void sess_close(struct sess *s, const cJSON *id)
{
	s->st = SESS_CLOSING;
	if (id)
		s->close_id = cJSON_Duplicate(id, true);
	for (struct exec *e = s->c->execs; e; e = e->next)
		if (e->s == s)
			exec_cancel(e);
	sess_maybe_close(s);
}

static void exec_free(struct exec *e)
{
	struct conn *c = e->c;
	for (struct exec **p = &c->execs; *p; p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			break;
		}
	c->n_running--;
	close_fd(&e->rd[0]);
	close_fd(&e->rd[1]);
	close_fd(&e->wr[0]);
	close_fd(&e->wr[1]);
	close_fd(&e->cancel_fd);
	ag3_exec_result_free(e->res);
	cJSON_Delete(e->id);
	free(e->fail);
	struct sess *s = e->s;
	free(e);
	s->refs--;
	sess_maybe_close(s);
}

static void add_b64(cJSON *o, const char *key, const void *data, size_t len)
{
	char *b = serve_base64(data ? data : "", data ? len : 0);
	if (b)
		cJSON_AddStringToObject(o, key, b);
	free(b);
}

/* The result, once the job returned and both pipes are drained. */
static void exec_maybe_finish(struct exec *e)
{
	if (!e->done || e->rd[0] >= 0 || e->rd[1] >= 0)
		return;
	struct conn *c = e->c;
	const struct ag3_exec_result *r = e->res;
	cJSON *o = serve_reply_new(e->id, "result");
	if (o && r) {
		cJSON_AddStringToObject(o, "status", r->status_name);
		cJSON_AddNumberToObject(o, "exit_code", r->exit_code);
		cJSON_AddNumberToObject(o, "cli_exit_code", ag3_exec_result_exit_code(r));
		cJSON_AddNumberToObject(o, "signal", r->signal);
		cJSON_AddNumberToObject(o, "duration_ms", (double)r->duration_ms);
		cJSON *rec = r->json ? cJSON_Parse(r->json) : NULL;
		cJSON_AddItemToObject(o, "record", rec ? rec : cJSON_CreateNull());
		if (r->stdout_data || r->stderr_data) {
			add_b64(o, "stdout", r->stdout_data, r->stdout_len);
			add_b64(o, "stderr", r->stderr_data, r->stderr_len);
			cJSON_AddBoolToObject(o, "stdout_truncated", r->stdout_truncated);
			cJSON_AddBoolToObject(o, "stderr_truncated", r->stderr_truncated);
		}
	} else if (o) {
		/* not tried at all (the library refused it): a setup failure, nothing ran */
		const char *why = e->fail ? e->fail : "the command could not be started";
		cJSON_AddStringToObject(o, "status", "setup_failed");
		cJSON_AddNumberToObject(o, "exit_code", 0);
		cJSON_AddNumberToObject(o, "cli_exit_code", 125);
		cJSON_AddNumberToObject(o, "signal", 0);
		cJSON_AddNumberToObject(o, "duration_ms", 0);
		cJSON *rec = cJSON_AddObjectToObject(o, "record");
		cJSON_AddStringToObject(rec, "status", "setup_failed");
		cJSON_AddStringToObject(rec, "setup_error", why);
	}
	if (!c->dropped)
		queue_line(c, serve_reply_line(o), NULL, 0);
	else
		cJSON_Delete(o);
	exec_free(e);
}

/* Reads one chunk of a command's output: an `output` reply; EOF closes the pipe. */
static void exec_read(struct exec *e, int which)
{
	static char buf[CHUNK];
	ssize_t n = read(e->rd[which], buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close_fd(&e->rd[which]); /* the loop finishes the exec after this round */
		return;
	}
	if (e->c->dropped)
		return;
	cJSON *o = serve_reply_new(e->id, "output");
	if (o) {
		cJSON_AddStringToObject(o, "stream", which ? "stderr" : "stdout");
		add_b64(o, "data", buf, (size_t)n);
	}
	queue_line(e->c, serve_reply_line(o), NULL, 0);
}

/* ---- requests -------------------------------------------------------------------------------- */

static struct sess *find_session(struct conn *c, const char *name)
{
	for (struct sess *s = c->sessions; s; s = s->next)
		if (s->st == SESS_OPEN && !strcmp(s->name, name))
			return s;
	return NULL;
}

static void no_session(struct conn *c, const struct serve_req *q)
{
	queue_error(c, q->id, "NO_SUCH_SESSION", "no session '%.64s' on this connection",
		    q->session);
}

static void req_open(struct conn *c, struct serve_req *q)
{
	if (c->n_sessions >= SERVE_MAX_SESSIONS) {
		queue_error(c, q->id, "LIMIT",
			    "%d sessions are open (or opening) on this connection",
			    SERVE_MAX_SESSIONS);
		return;
	}
	struct sess *s = calloc(1, sizeof(*s));
	struct job *j = s ? job_new(JOB_OPEN, c, q) : NULL;
	if (!j) {
		free(s);
		queue_error(c, q->id, "INTERNAL", "out of memory");
		return;
	}
	s->c = c;
	s->st = SESS_OPENING;
	snprintf(s->name, sizeof(s->name), "s%u", ++c->next_handle);
	s->next = c->sessions;
	c->sessions = s;
	c->n_sessions++;
	j->s = s;
	c->n_jobs++;
	if (!job_start(j)) {
		c->n_jobs--;
		queue_error(c, j->req.id, "INTERNAL", "no thread for the open: %s",
			    strerror(errno));
		sess_free(s);
		job_free(j);
	}
}

static void req_exec(struct conn *c, struct serve_req *q)
{
	struct sess *s = find_session(c, q->session);
	if (!s) {
		no_session(c, q);
		return;
	}
	if (c->n_running >= SERVE_MAX_RUNNING) {
		queue_error(c, q->id, "LIMIT", "%d commands are running on this connection",
			    SERVE_MAX_RUNNING);
		return;
	}
	for (struct exec *e = c->execs; q->id && e; e = e->next)
		if (serve_id_equal(e->id, q->id)) {
			queue_error(c, q->id, "DUPLICATE_ID",
				    "an exec with this id is running on this connection");
			return;
		}
	struct exec *e = calloc(1, sizeof(*e));
	if (!e) {
		queue_error(c, q->id, "INTERNAL", "out of memory");
		return;
	}
	*e = (struct exec){.c = c, .s = s, .rd = {-1, -1}, .wr = {-1, -1}, .cancel_fd = -1};
	int p[2][2] = {{-1, -1}, {-1, -1}};
	bool ok = (e->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) >= 0 &&
		  (q->id ? (e->id = cJSON_Duplicate(q->id, true)) != NULL : true);
	for (int i = 0; ok && !q->capture && i < (q->merge ? 1 : 2); i++) {
		ok = pipe2(p[i], O_CLOEXEC) == 0;
		if (ok) {
			e->rd[i] = p[i][0];
			e->wr[i] = p[i][1];
			fcntl(e->rd[i], F_SETFL, O_NONBLOCK);
		}
	}
	struct job *j = ok ? job_new(JOB_EXEC, c, q) : NULL;
	e->next = c->execs;
	c->execs = e;
	c->n_running++;
	s->refs++;
	if (!j) {
		queue_error(c, q->id, "INTERNAL", "%s", ok ? "out of memory" : strerror(errno));
		exec_free(e);
		return;
	}
	j->e = e;
	j->s = s;
	cJSON *st = serve_reply_new(e->id, "started");
	if (st)
		cJSON_AddItemToObject(st, "exec",
				      e->id ? cJSON_Duplicate(e->id, true) : cJSON_CreateNull());
	queue_line(c, serve_reply_line(st), NULL, 0);
	if (!job_start(j)) {
		/* reported as a result: `started` went out already */
		e->fail = strdup("serve: no thread for the command");
		close_fd(&e->rd[0]);
		close_fd(&e->rd[1]);
		e->done = true;
		job_free(j);
		exec_maybe_finish(e);
	}
}

static void req_cancel(struct conn *c, struct serve_req *q)
{
	for (struct exec *e = c->execs; e; e = e->next)
		if (serve_id_equal(e->id, q->exec_id)) {
			exec_cancel(e);
			queue_line(c, serve_reply_line(serve_reply_new(q->id, "ok")), NULL, 0);
			return;
		}
	char *s = cJSON_PrintUnformatted(q->exec_id);
	queue_error(c, q->id, "NO_SUCH_EXEC", "no running exec %.80s on this connection",
		    s ? s : "?");
	free(s);
}

/* check and resolve: on the session's spec and rules, or compiled for this request. */
static void req_query(struct conn *c, struct serve_req *q)
{
	struct sess *s = NULL;
	if (q->session && !(s = find_session(c, q->session))) {
		no_session(c, q);
		return;
	}
	struct job *j = job_new(q->op == SERVE_OP_CHECK ? JOB_CHECK : JOB_RESOLVE, c, q);
	if (!j) {
		queue_error(c, q->id, "INTERNAL", "out of memory");
		return;
	}
	j->s = s;
	if (s)
		s->refs++;
	c->n_jobs++;
	if (!job_start(j)) {
		c->n_jobs--;
		if (s)
			s->refs--;
		queue_error(c, j->req.id, "INTERNAL", "no thread: %s", strerror(errno));
		job_free(j);
	}
}

static void handle_line(struct conn *c, const char *line, size_t len)
{
	struct serve_req q;
	const char *code = NULL;
	char *msg = NULL;
	if (serve_req_parse(line, len, &q, &code, &msg) < 0) {
		queue_line(c, serve_error_line(q.id, code, msg), NULL, 0);
		free(msg);
		serve_req_clear(&q);
		return;
	}
	switch (q.op) {
	case SERVE_OP_OPEN:
		req_open(c, &q);
		break;
	case SERVE_OP_EXEC:
		req_exec(c, &q);
		break;
	case SERVE_OP_CANCEL:
		req_cancel(c, &q);
		break;
	case SERVE_OP_CLOSE: {
		struct sess *s = find_session(c, q.session);
		if (s)
			sess_close(s, q.id);
		else
			no_session(c, &q);
		break;
	}
	case SERVE_OP_CHECK:
	case SERVE_OP_RESOLVE:
		req_query(c, &q);
		break;
	}
	serve_req_clear(&q);
}

/*
 * Whether the connection's requests (and its commands' output) wait for the client:
 * too many bytes, or too many descriptors, wait for it. A client that sends resolve
 * requests and never reads would otherwise make serve hold an fd per queued reply,
 * up to its RLIMIT_NOFILE, and every other client's open would fail with EMFILE.
 */
static bool paused(const struct conn *c)
{
	return c->queued > QUEUE_PAUSE || c->queued_fds >= QUEUE_PAUSE_FDS;
}

/* Handles the complete lines read, as long as the client is not paused. */
static void handle_lines(struct conn *c)
{
	size_t start = 0;
	while (!c->dropped && !paused(c) && c->n_jobs < MAX_JOBS) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		if (!nl)
			break;
		size_t len = (size_t)(nl - (c->in + start));
		if (len && c->in[start + len - 1] == '\r')
			len--;
		if (len)
			handle_line(c, c->in + start, len);
		start = (size_t)(nl - c->in) + 1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
}

static void conn_drop(struct conn *c);

static void conn_read(struct conn *c)
{
	if (c->in_cap - c->in_len < READ_CHUNK) {
		size_t cap = c->in_len + READ_CHUNK;
		char *n = realloc(c->in, cap);
		if (!n)
			return; /* read later, when memory is back */
		c->in = n;
		c->in_cap = cap;
	}
	ssize_t n = read(c->in_fd, c->in + c->in_len, READ_CHUNK); /* non-blocking */
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_drop(c);
		return;
	}
	size_t old = c->in_len;
	c->in_len += (size_t)n;
	if (c->discarding) {
		char *nl = memchr(c->in + old, '\n', c->in_len - old);
		if (!nl) {
			c->in_len = 0;
			return;
		}
		size_t rest = c->in_len - (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, rest);
		c->in_len = rest;
		c->discarding = false;
	}
	handle_lines(c);
	/* what is left holds no newline (or waits for a pause): a line too long? */
	if (c->in_len > SERVE_MAX_LINE && !memchr(c->in, '\n', c->in_len)) {
		c->in_len = 0;
		c->discarding = true;
		queue_error(c, NULL, SERVE_LINE_TOO_LONG,
			    "a request line is longer than %u bytes: it is discarded up to its "
			    "newline",
			    SERVE_MAX_LINE);
	}
	if (c->in_cap > 2 * READ_CHUNK && c->in_len < READ_CHUNK) {
		char *small = realloc(c->in, 2 * READ_CHUNK);
		if (small) {
			c->in = small;
			c->in_cap = 2 * READ_CHUNK;
		}
	}
}

/* The client is gone (or serve ends): its commands are cancelled, its sessions closed. */
static void conn_drop(struct conn *c)
{
	if (c->dropped)
		return;
	c->dropped = true;
	c->in_len = 0;
	for (struct exec *e = c->execs; e; e = e->next)
		exec_cancel(e);
	for (struct sess *s = c->sessions, *next; s; s = next) {
		next = s->next;
		if (s->st == SESS_OPEN)
			sess_close(s, NULL);
	}
	if (c->stdio)
		S.stopping = true;
}

/* Frees a dropped connection once nothing of it is left. true: freed. */
static bool conn_maybe_free(struct conn *c)
{
	if (!c->dropped || c->sessions || c->execs || c->n_jobs)
		return false;
	if (c->qhead && !c->write_dead && !(S.stopping && now_ms() - S.stop_ms > STOP_FLUSH_MS))
		return false;
	for (struct conn **p = &S.conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	S.n_conns--;
	c->write_dead = true;
	flush_out(c); /* frees the queue */
	if (c->in_fd != c->out_fd && !c->stdio)
		close(c->in_fd);
	if (!c->stdio)
		close(c->out_fd);
	free(c->in);
	free(c);
	return true;
}

static void send_hello(struct conn *c)
{
	cJSON *o = cJSON_CreateObject(), *l;
	if (o) {
		cJSON_AddStringToObject(o, "type", "hello");
		cJSON_AddStringToObject(o, "protocol", SERVE_PROTOCOL);
		cJSON_AddStringToObject(o, "version", AG3_VERSION);
		cJSON_AddBoolToObject(o, "fd_passing", c->fd_passing);
		l = cJSON_AddObjectToObject(o, "limits");
		cJSON_AddNumberToObject(l, "max_line", SERVE_MAX_LINE);
		cJSON_AddNumberToObject(l, "max_sessions", SERVE_MAX_SESSIONS);
		cJSON_AddNumberToObject(l, "max_running", SERVE_MAX_RUNNING);
		cJSON_AddNumberToObject(l, "max_stdin", SERVE_MAX_STDIN);
	}
	queue_line(c, serve_reply_line(o), NULL, 0);
}

static bool is_unix_socket(int fd)
{
	int dom = 0;
	socklen_t l = sizeof(dom);
	return getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) == 0 && dom == AF_UNIX;
}

static struct conn *conn_new(int in, int out, bool stdio)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->in_fd = in;
	c->out_fd = out;
	c->stdio = stdio;
	c->fd_passing = is_unix_socket(out);
	int type = 0;
	socklen_t l = sizeof(type);
	c->out_sock = getsockopt(out, SOL_SOCKET, SO_TYPE, &type, &l) == 0;
	c->next = S.conns;
	S.conns = c;
	S.n_conns++;
	send_hello(c);
	return c;
}

/* Tells a refused peer why, without waiting for it, and closes it. */
static void refuse(int fd, const char *code, const char *msg)
{
	char *line = serve_error_line(NULL, code, msg);
	if (line) {
		size_t n = strlen(line);
		line[n] = '\n'; /* the NUL: replaced, and not sent */
		(void)!send(fd, line, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		free(line);
	}
	close(fd);
}

/* Out of descriptors (or memory), accept fails and the listening socket stays
 * readable: it is left out of the poll set this long, not spun on. */
#define ACCEPT_BACKOFF_MS 100
static uint64_t accept_paused_until;

static void accept_one(void)
{
	int fd = accept4(S.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			accept_paused_until = ag3_now_ms() + ACCEPT_BACKOFF_MS;
		return;
	}
	struct ucred uc;
	socklen_t l = sizeof(uc);
	bool ok = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) == 0 && l == sizeof(uc);
	for (size_t i = 0; ok && i <= S.n_allow; i++) {
		if (uc.uid == S.allow[i])
			break;
		if (i == S.n_allow)
			ok = false;
	}
	if (!ok) {
		char msg[160];
		snprintf(msg, sizeof(msg),
			 "serve: uid %d may not use this socket (only uid %u and those given with "
			 "--allow-uid)",
			 l == sizeof(uc) ? (int)uc.uid : -1, (unsigned)S.allow[0]);
		refuse(fd, "FORBIDDEN", msg);
		return;
	}
	if (!ag3_peer_in_pidns(fd, uc.pid, S.ns_dev, S.ns_ino)) {
		if (errno == EMFILE || errno == ENFILE) {
			/* no descriptor for the peer's pidfd: not the client's fault */
			accept_paused_until = ag3_now_ms() + ACCEPT_BACKOFF_MS;
			refuse(fd, "LIMIT", "serve is out of file descriptors; try again later");
			return;
		}
		refuse(fd, "FORBIDDEN",
		       "serve: only processes outside every sandbox (in serve's pid namespace) "
		       "may connect");
		return;
	}
	if (S.n_conns >= MAX_CLIENTS || S.stopping) {
		refuse(fd, "LIMIT",
		       S.stopping ? "serve is ending" : "serve: too many clients; try again later");
		return;
	}
	if (!conn_new(fd, fd, false))
		refuse(fd, "INTERNAL", "out of memory");
}

/* The jobs that finished: their answers to their connections. */
static void jobs_finished(void)
{
	uint64_t v;
	(void)!read(S.done_fd, &v, sizeof(v));
	pthread_mutex_lock(&S.lock);
	struct job *list = S.done;
	S.done = NULL;
	pthread_mutex_unlock(&S.lock);
	while (list) {
		struct job *j = list;
		list = j->next;
		S.jobs--;
		struct conn *c = j->c;
		struct sess *s = j->s;
		switch (j->kind) {
		case JOB_OPEN:
			c->n_jobs--;
			if (j->failed) {
				if (!c->dropped)
					queue_line(c, TAKE_PTR(j->reply), NULL, 0);
				sess_free(s);
			} else {
				s->st = c->dropped ? SESS_CLOSING : SESS_OPEN;
				if (!c->dropped)
					queue_line(c, TAKE_PTR(j->reply), NULL, 0);
				sess_maybe_close(s);
			}
			break;
		case JOB_EXEC:
			j->e->done = true; /* the loop finishes it once its pipes are drained */
			break;
		case JOB_CLOSE:
			if (s->close_id && !c->dropped)
				queue_line(c,
					   serve_reply_line(serve_reply_new(s->close_id, "closed")),
					   NULL, 0);
			sess_free(s);
			break;
		case JOB_CHECK:
		case JOB_RESOLVE:
			c->n_jobs--;
			if (!c->dropped) {
				queue_line(c, TAKE_PTR(j->reply), j->fds, j->nfds);
				j->nfds = 0;
			}
			if (s) {
				s->refs--;
				sess_maybe_close(s);
			}
			break;
		}
		job_free(j);
	}
}

/* ---- the loop -------------------------------------------------------------------------------- */

enum slot_kind { SLOT_SIGNAL, SLOT_DONE, SLOT_LISTEN, SLOT_CONN_IN, SLOT_CONN_OUT, SLOT_PIPE };

struct slot {
	enum slot_kind kind;
	void *ptr;
	int which;
};

static void stop_all(void)
{
	S.stopping = true;
	if (!S.stop_ms)
		S.stop_ms = now_ms();
	for (struct conn *c = S.conns; c; c = c->next)
		conn_drop(c);
	if (S.listen_fd >= 0) {
		close_fd(&S.listen_fd);
		struct stat st;
		if (serve_socket_path && lstat(serve_socket_path, &st) == 0 &&
		    S.path_dev == st.st_dev && S.path_ino == st.st_ino)
			unlink(serve_socket_path);
	}
}

static int serve_loop(int sigfd)
{
	struct pollfd *pfd = NULL;
	struct slot *slot = NULL;
	size_t cap = 0;
	for (;;) {
		if (S.stopping)
			stop_all();
		for (struct conn *c = S.conns, *next; c; c = next) {
			next = c->next;
			if (!c->dropped && c->in_len && !paused(c))
				handle_lines(c);
			if (c->qhead)
				flush_out(c);
			conn_maybe_free(c);
		}
		if (S.stopping && !S.conns && !S.jobs)
			break;
		/* the descriptors to wait on */
		size_t want = 3;
		for (struct conn *c = S.conns; c; c = c->next) {
			want += 2;
			for (struct exec *e = c->execs; e; e = e->next)
				want += 2;
		}
		if (want > cap) {
			struct pollfd *np = realloc(pfd, want * sizeof(*pfd));
			if (np)
				pfd = np;
			struct slot *ns = realloc(slot, want * sizeof(*slot));
			if (ns)
				slot = ns;
			if (!np || !ns) {
				sleep(1); /* out of memory: try again */
				continue;
			}
			cap = want;
		}
		size_t n = 0;
#define ADD(fd_, ev_, kind_, ptr_, which_)                                                         \
	do {                                                                                       \
		pfd[n] = (struct pollfd){.fd = (fd_), .events = (ev_)};                            \
		slot[n++] = (struct slot){(kind_), (ptr_), (which_)};                              \
	} while (0)
		ADD(sigfd, POLLIN, SLOT_SIGNAL, NULL, 0);
		ADD(S.done_fd, POLLIN, SLOT_DONE, NULL, 0);
		bool accept_paused = accept_paused_until && ag3_now_ms() < accept_paused_until;
		if (S.listen_fd >= 0 && !accept_paused)
			ADD(S.listen_fd, POLLIN, SLOT_LISTEN, NULL, 0);
		for (struct conn *c = S.conns; c; c = c->next) {
			bool p = paused(c);
			if (!c->dropped && !p && c->n_jobs < MAX_JOBS)
				ADD(c->in_fd, POLLIN, SLOT_CONN_IN, c, 0);
			if (c->qhead && !c->write_dead)
				ADD(c->out_fd, POLLOUT, SLOT_CONN_OUT, c, 0);
			for (struct exec *e = c->execs; e; e = e->next)
				for (int i = 0; i < 2; i++)
					if (e->rd[i] >= 0 && (!p || c->dropped))
						ADD(e->rd[i], POLLIN, SLOT_PIPE, e, i);
		}
#undef ADD
		int r = poll(pfd, n, S.stopping ? 100 : accept_paused ? ACCEPT_BACKOFF_MS : -1);
		if (r < 0 && errno != EINTR)
			break;
		/* nothing is freed in this pass (the slots name connections and execs): the
		 * finished jobs and the execs to finish are taken after it */
		bool done = false;
		for (size_t i = 0; r > 0 && i < n; i++) {
			if (!pfd[i].revents)
				continue;
			struct slot *sl = &slot[i];
			switch (sl->kind) {
			case SLOT_SIGNAL: {
				struct signalfd_siginfo si;
				(void)!read(sigfd, &si, sizeof(si));
				S.stopping = true;
				break;
			}
			case SLOT_DONE:
				done = true;
				break;
			case SLOT_LISTEN:
				accept_one();
				break;
			case SLOT_CONN_IN:
				conn_read(sl->ptr);
				break;
			case SLOT_CONN_OUT:
				flush_out(sl->ptr);
				break;
			case SLOT_PIPE:
				exec_read(sl->ptr, sl->which);
				break;
			}
		}
		if (done)
			jobs_finished();
		for (struct conn *c = S.conns; c; c = c->next)
			for (struct exec *e = c->execs, *next; e; e = next) {
				next = e->next;
				exec_maybe_finish(e);
			}
	}
	free(pfd);
	free(slot);
	return 0;
}

static int parse_allow_uid(void *dst, const char *arg)
{
	(void)dst;
	unsigned long long v;
	if (cli_parse_u64(arg, 4294967294ULL, &v) < 0) {
		cli_error("--allow-uid: '%s' is not a uid", arg);
		return -1;
	}
	if (S.n_allow >= MAX_ALLOW_UIDS) {
		cli_error("--allow-uid: at most %d uids", MAX_ALLOW_UIDS);
		return -1;
	}
	S.allow[++S.n_allow] = (uid_t)v;
	return 0;
}

int cli_serve(int argc, char **argv)
{
	const char *path = NULL;
	const struct cli_opt opts[] = {
		{"socket", 0, CLI_OPT_STRING, &path, .once = true},
		{"allow-uid", 0, CLI_OPT_CALL, NULL, .call = parse_allow_uid},
		{0},
	};
	const struct cli_command_options co = {
		.cmd = "serve", .help = cli_serve_help, .opts = opts};
	int first, rc;
	if (!cli_parse_options(&co, argc, argv, &first, &rc))
		return rc;
	if (cli_refuse_operands("serve", argc, argv, first) < 0)
		return CLI_EXIT_USAGE;
	if (S.n_allow && !path) {
		cli_error("serve: --allow-uid is for --socket (stdio serves whoever started it)");
		return CLI_EXIT_USAGE;
	}
	/* the sessions' broker is this very binary */
	_cleanup_free_ char *self = realpath("/proc/self/exe", NULL);
	if (!self || setenv("AG3NTUM_SANDBOX_BIN", self, 1) < 0) {
		cli_error("serve: cannot name its own binary: %s", strerror(errno));
		return 125;
	}
	S.allow[0] = getuid();
	struct stat nst;
	if (stat("/proc/self/ns/pid", &nst) < 0) {
		cli_error("serve: /proc/self/ns/pid: %s", strerror(errno));
		return 125;
	}
	S.ns_dev = nst.st_dev;
	S.ns_ino = nst.st_ino;
	/* before any thread: every thread inherits the blocked mask */
	int sigfd = cli_stop_signals();
	S.done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sigfd < 0 || S.done_fd < 0) {
		cli_error("serve: %s", strerror(errno));
		return 125;
	}
	_cleanup_free_ char *abs = NULL;
	if (path) {
		if (cli_socket_check_dir(path, NULL, &abs) < 0)
			return 125;
		serve_socket_path = abs;
		S.listen_fd = cli_socket_listen(abs, SOCK_STREAM, S.n_allow ? 0666 : 0600,
						&S.path_dev, &S.path_ino);
		if (S.listen_fd < 0)
			return 125;
		fcntl(S.listen_fd, F_SETFL, O_NONBLOCK);
	} else {
		fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
		fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
		if (!conn_new(STDIN_FILENO, STDOUT_FILENO, true)) {
			cli_error("out of memory");
			return 125;
		}
	}
	serve_loop(sigfd);
	stop_all();
	return 0;
}
