/* SPDX-License-Identifier: MIT */
#include "agent/session-client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/session-proto.h"
#include "runtime/spec_json.h"
#include "runtime/cmdreq.h"
#include "runtime/msg.h"
#include "runtime/relay.h"

int ag3_session_connect(const char *path, char *why, size_t wlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(why, wlen, "session %s: not a socket path (at most %zu bytes)",
			 path ? path : "(none)", sizeof(sa.sun_path) - 1);
		return -EINVAL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		snprintf(why, wlen, "session %s: socket: %s", path, strerror(e));
		return -e;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		snprintf(why, wlen, "session %s: %s%s", path, strerror(e),
			 e == ENOENT || e == ECONNREFUSED ? " (is the session open?)" : "");
		return -e;
	}
	/* Nothing (argv, environment, stdio) goes to a server of another uid: a stale
	 * path another user listens on now, or a squatted one. */
	struct ucred uc;
	socklen_t l = sizeof(uc);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0 || uc.uid != geteuid()) {
		snprintf(why, wlen,
			 "session %s: the process listening there runs as uid %d, not as you "
			 "(uid %u): nothing was sent to it",
			 path, l == sizeof(uc) ? (int)uc.uid : -1, (unsigned)geteuid());
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* The server's hello, waited for (bounded: a server that says nothing is broken). */
static int read_hello(int conn, struct ag3_session_limits *lim, int *oom_fd, struct ag3_result *res,
		      struct ag3_spec_network *net)
{
	size_t cap = sizeof(struct ag3_hello) + AG3_HELLO_MAX_TEXT + AG3_HELLO_MAX_NET;
	char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	struct pollfd p = {.fd = conn, .events = POLLIN};
	int pr;
	do
		pr = poll(&p, 1, 30000);
	while (pr < 0 && errno == EINTR);
	ssize_t n = pr > 0 ? ag3_recv_fd(conn, buf, cap, oom_fd, MSG_DONTWAIT) : -1;
	int r = n > 0 ? ag3_hello_parse(buf, (size_t)n, lim, res, net) : -EPROTO;
	free(buf);
	if (r == -EPROTO && res->status != AG3_STATUS_SETUP_FAILED) {
		res->status = AG3_STATUS_SETUP_FAILED;
		ag3_error_set_stage(&res->setup_error, EPROTO, "session", NULL, "%s",
				    n == 0 ? "session: the server closed the connection"
					   : "session: the server did not answer as a session "
					     "server does");
	}
	return r;
}

int ag3_session_client_run(int conn, int64_t timeout_ms, const struct ag3_run_opts *opts,
			   const struct ag3_cmd_extra *extra, struct ag3_result *res,
			   struct ag3_session_limits *ret_lim)
{
	return ag3_session_client_run_cap(conn, timeout_ms, 0, opts, extra, res, ret_lim);
}

int ag3_session_client_run_cap(int conn, int64_t timeout_ms, uint64_t output_bytes,
			       const struct ag3_run_opts *opts, const struct ag3_cmd_extra *extra,
			       struct ag3_result *res, struct ag3_session_limits *ret_lim)
{
	if (!opts || !opts->argv || !opts->argv[0] || !*opts->argv[0]) {
		close(conn);
		return -EINVAL;
	}
	uint64_t start = ag3_now_ms();
	struct ag3_session_limits lim = {0};
	int oom_fd = -1;
	struct ag3_spec_network net = {0};
	if (read_hello(conn, &lim, &oom_fd, res, &net) < 0) {
		if (oom_fd >= 0)
			close(oom_fd);
		close(conn);
		return 0;
	}
	if (timeout_ms >= 0)
		lim.timeout_ms = (uint64_t)timeout_ms;
	/* lowered, never raised (0 is the largest cap, AG3_OUTPUT_MAX) */
	if (output_bytes && output_bytes < (lim.output_bytes ? lim.output_bytes : AG3_OUTPUT_MAX))
		lim.output_bytes = output_bytes;
	if (ret_lim)
		*ret_lim = lim;
	/* the session's enforcement record, then the command's own outcome */
	const bool seccomp = res->enforcement.seccomp;
	const int landlock = res->enforcement.landlock_abi;
	int r = ag3_session_command_run(conn, &lim, &net, oom_fd, opts, extra, res);
	ag3_spec_network_clear(&net);
	if (oom_fd >= 0)
		close(oom_fd);
	close(conn);
	if (r < 0)
		return r;
	res->duration_ms = ag3_now_ms() - start;
	/* A setup failure says how far the command's process got (a command that was
	 * not found had everything applied before its execve). */
	unsigned ap = res->status != AG3_STATUS_SETUP_FAILED ? AG3_APPLIED_ALL : res->setup_applied;
	res->enforcement.caps_dropped = ap & AG3_APPLIED_CAPS;
	res->enforcement.no_new_privs = ap & AG3_APPLIED_NNP;
	res->enforcement.seccomp = seccomp && (ap & AG3_APPLIED_SECCOMP);
	res->enforcement.landlock_abi = ap & AG3_APPLIED_LANDLOCK ? landlock : 0;
	return 0;
}

int ag3_session_close_path(const char *path, uint64_t wait_ms, char *why, size_t wlen)
{
	int fd = ag3_session_connect(path, why, wlen);
	if (fd < 0)
		return fd;
	struct ag3_result res = {0};
	struct ag3_session_limits lim;
	int oom_fd = -1;
	int r = read_hello(fd, &lim, &oom_fd, &res, NULL);
	if (oom_fd >= 0)
		close(oom_fd);
	if (r < 0 && r != -EPIPE) {
		/* EPIPE: the holder is gone, the server still closes */
		snprintf(why, wlen, "%s",
			 res.setup_error && res.setup_error->msg ? res.setup_error->msg
								 : "session: no answer");
		ag3_result_clear(&res);
		close(fd);
		return r;
	}
	ag3_result_clear(&res);
	struct ag3_close_req req = {.magic = AG3_CLOSE_MAGIC};
	if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req)) {
		int e = errno;
		snprintf(why, wlen, "session %s: sending the close request: %s", path, strerror(e));
		close(fd);
		return -e;
	}
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t end = ag3_now_ms() + wait_ms;
	for (;;) {
		uint64_t now = ag3_now_ms();
		if (now >= end) {
			snprintf(why, wlen, "session %s: not closed after %llu ms", path,
				 (unsigned long long)wait_ms);
			close(fd);
			return -ETIMEDOUT;
		}
		int pr = poll(&p, 1, (int)(end - now));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		struct ag3_close_req done;
		ssize_t n = recv(fd, &done, sizeof(done), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		close(fd);
		if (n == (ssize_t)sizeof(done) && done.magic == AG3_CLOSE_MAGIC)
			return 0;
		snprintf(why, wlen, "session %s: the server ended without confirming the close",
			 path);
		return -EPROTO;
	}
}
