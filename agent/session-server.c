/* SPDX-License-Identifier: MIT */
#include "agent/session-server.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/session-proto.h"
#include "runtime/cmdreq.h"
#include "runtime/relay.h"
#include "runtime/session.h"
#include "runtime/util/cleanup.h"

#define MAX_PENDING 256 /* as many as commands may run at once (AG3_SESSION_MAX_COMMANDS) */
/* A connection that sends nothing for this long is dropped. */
#define PENDING_MS 10000

void *ag3_hello_pack(const struct ag3_session_limits *lim, const struct ag3_result *base,
		     const char *net_json, int err, const char *why, size_t *ret_len)
{
	size_t text = 0;
	const size_t net = !err && net_json ? strlen(net_json) + 1 : 0;
	if (net > AG3_HELLO_MAX_NET)
		return NULL;
	if (err)
		text = strnlen(why ? why : "", AG3_HELLO_MAX_TEXT - 1) + 1;
	else
		for (size_t i = 0; i < base->enforcement.n_degraded; i++)
			text += strnlen(base->enforcement.degraded[i], 8191) + 1;
	if (text > AG3_HELLO_MAX_TEXT)
		text = AG3_HELLO_MAX_TEXT;
	struct ag3_hello h = {.magic = AG3_HELLO_MAGIC,
			      .err = err,
			      .text_len = (uint32_t)text,
			      .net_len = (uint32_t)net};
	if (lim)
		h.lim = *lim;
	if (base) {
		h.root_mode = base->enforcement.root_mode;
		h.userns = base->enforcement.userns;
		h.net = base->enforcement.net;
		h.ipc = base->enforcement.ipc;
		h.uts = base->enforcement.uts;
		h.cgroup_ns = base->enforcement.cgroup_ns;
		h.seccomp = base->enforcement.seccomp;
		h.landlock_abi = base->enforcement.landlock_abi;
		h.uid = base->enforcement.uid;
		h.gid = base->enforcement.gid;
	}
	char *buf = calloc(1, sizeof(h) + text + net);
	if (!buf)
		return NULL;
	char *p = buf + sizeof(h), *end = p + text;
	if (err) {
		snprintf(p, text, "%s", why ? why : "");
	} else {
		for (size_t i = 0; base && i < base->enforcement.n_degraded && p < end; i++) {
			size_t n = strnlen(base->enforcement.degraded[i], 8191);
			if (n + 1 > (size_t)(end - p))
				break;
			memcpy(p, base->enforcement.degraded[i], n);
			p += n + 1;
			h.n_degraded++;
		}
	}
	if (net)
		memcpy(buf + sizeof(h) + text, net_json, net);
	memcpy(buf, &h, sizeof(h));
	*ret_len = sizeof(h) + text + net;
	return buf;
}

int ag3_hello_parse(const void *buf, size_t len, struct ag3_session_limits *lim,
		    struct ag3_result *res, struct ag3_spec_network *net)
{
	struct ag3_hello h;
	if (net)
		memset(net, 0, sizeof(*net));
	if (len < sizeof(h))
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	if (h.magic != AG3_HELLO_MAGIC || h.text_len > AG3_HELLO_MAX_TEXT ||
	    h.net_len > AG3_HELLO_MAX_NET || (size_t)h.text_len + h.net_len != len - sizeof(h))
		return -EPROTO;
	const char *p = (const char *)buf + sizeof(h), *end = p + h.text_len;
	if (h.text_len && end[-1] != 0)
		return -EPROTO;
	if (h.net_len && (end[h.net_len - 1] != 0 || h.err))
		return -EPROTO;
	if (net && h.net_len && ag3_spec_network_from_json(end, h.net_len - 1, net) < 0)
		return -EPROTO;
	if (h.err) {
		int e = h.err < 0 ? -h.err : h.err;
		res->status = AG3_STATUS_SETUP_FAILED;
		ag3_error_free(res->setup_error);
		res->setup_error = NULL;
		ag3_error_set_stage(&res->setup_error, e, "session", NULL, "%s",
				    h.text_len ? p : strerror(e));
		return -e;
	}
	*lim = h.lim;
	res->enforcement.root_mode = h.root_mode;
	res->enforcement.userns = h.userns;
	res->enforcement.net = h.net;
	res->enforcement.ipc = h.ipc;
	res->enforcement.uts = h.uts;
	res->enforcement.cgroup_ns = h.cgroup_ns;
	res->enforcement.uid = h.uid;
	res->enforcement.gid = h.gid;
	for (uint32_t i = 0; i < h.n_degraded && p < end; i++) {
		ag3_result_add_degraded(res, p);
		p += strlen(p) + 1;
	}
	/* What the command will get once it runs; the client clears them if it does not. */
	res->enforcement.seccomp = h.seccomp;
	res->enforcement.landlock_abi = h.landlock_abi;
	return 0;
}

struct pending {
	int fd;
	uint64_t since;
};

struct server {
	const struct ag3_server_opts *o;
	struct ag3_sandbox *sb;
	struct ag3_session_limits lim;
	struct ag3_result base;
	char *net_json; /* allowlist mode: the network section every hello carries */
	bool broken;
	char broken_why[256];
	struct pending pend[MAX_PENDING];
	size_t n_pend;
	int closer;       /* the connection that asked to close, answered at the end */
	dev_t own_ns_dev; /* the server's own pid namespace: its clients' */
	ino_t own_ns_ino;
};

/* The hello, with the session's oom count (read-only) when it has one. */
static void send_hello(struct server *s, int fd, int err, const char *why)
{
	size_t len = 0;
	void *h = ag3_hello_pack(&s->lim, &s->base, s->net_json, err, why, &len);
	int oom = err ? -1 : ag3_sandbox_oom_fd(s->sb);
	if (h)
		(void)!ag3_send_fds(fd, h, len, &oom, oom >= 0 ? 1 : 0);
	if (oom >= 0)
		close(oom);
	free(h);
}

/* A new connection: the hello first (the client waits for it), then its request. */
static void add_pending(struct server *s, int fd)
{
	if (s->n_pend == MAX_PENDING) {
		send_hello(s, fd, EAGAIN, "session: too many connections waiting; try again");
		close(fd);
		return;
	}
	/* A broken session says so, and still takes a close request. */
	send_hello(s, fd, s->broken ? EPIPE : 0, s->broken ? s->broken_why : NULL);
	s->pend[s->n_pend++] = (struct pending){.fd = fd, .since = ag3_now_ms()};
}

static void drop_pending(struct server *s, size_t i)
{
	s->pend[i] = s->pend[--s->n_pend];
}

static void holder_ended(struct server *s)
{
	if (s->broken)
		return;
	s->broken = true;
	siginfo_t si;
	int r = ag3_sandbox_holder_status(s->sb, &si);
	if (r == 1 && si.si_code == CLD_EXITED)
		snprintf(s->broken_why, sizeof(s->broken_why),
			 "session: the sandbox's holder process ended (exit status %d); nothing "
			 "runs unsandboxed: close this session and open a new one",
			 si.si_status);
	else if (r == 1)
		snprintf(s->broken_why, sizeof(s->broken_why),
			 "session: the sandbox's holder process was killed (signal %d); nothing "
			 "runs unsandboxed: close this session and open a new one",
			 si.si_status);
	else
		snprintf(s->broken_why, sizeof(s->broken_why),
			 "session: the sandbox's holder process is gone; nothing runs "
			 "unsandboxed: close this session and open a new one");
}

/* A pending connection said something: a command (handed to the holder), a close. */
static bool serve_pending(struct server *s, size_t i)
{
	int fd = s->pend[i].fd;
	uint32_t magic = 0;
	ssize_t n = recv(fd, &magic, sizeof(magic), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	drop_pending(s, i);
	if (n == (ssize_t)sizeof(magic) && magic == AG3_CMDREQ_MAGIC) {
		/* The holder ended since the hello: the client sees its end close. */
		if (!s->broken && ag3_sandbox_attach(s->sb, fd) < 0)
			holder_ended(s);
	} else if (n == (ssize_t)sizeof(magic) && magic == AG3_CLOSE_MAGIC) {
		/* Taken off the queue: a socket closed with unread data resets its peer. */
		struct ag3_close_req req;
		(void)!recv(fd, &req, sizeof(req), MSG_DONTWAIT);
		if (s->closer < 0) {
			s->closer = fd;
			return true;
		}
	}
	close(fd);
	return false;
}

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/*
 * Whether the peer runs in this server's own pid namespace, as every client of a
 * session must: a process of a sandbox (this session's commands, or any other
 * sandbox of the same user that can see the socket) lives in a pid namespace
 * below it, and has the owner's uid in rootless mode; it must never drive a
 * session (it could start commands nobody supervises, close it, hold its slots).
 * The peer is pinned by its pidfd (SO_PEERPIDFD) and checked alive after its
 * namespace was read, so a reused pid cannot answer for it. Any doubt: refused.
 */
bool ag3_peer_in_pidns(int fd, pid_t pid, dev_t ns_dev, ino_t ns_ino)
{
	int pidfd = -1;
	socklen_t l = sizeof(pidfd);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &l) < 0)
		pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1; /* before 6.5 */
	if (pidfd < 0 || pid <= 0)
		return false; /* 0: a pid our namespace cannot name */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	struct stat st;
	bool same = stat(path, &st) == 0 && st.st_dev == ns_dev && st.st_ino == ns_ino;
	/* still the process that connected: its pid was not reused meanwhile */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0)
		same = false;
	close(pidfd);
	return same;
}

static void accept_one(struct server *s)
{
	int fd = accept4(s->o->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct ucred uc;
	socklen_t l = sizeof(uc);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0 || uc.uid != s->o->owner_uid) {
		char why[160];
		snprintf(why, sizeof(why),
			 "session: only its owner (uid %u) may use this session; you are uid %d",
			 (unsigned)s->o->owner_uid, l == sizeof(uc) ? (int)uc.uid : -1);
		send_hello(s, fd, EPERM, why);
		close(fd);
		return;
	}
	if (!ag3_peer_in_pidns(fd, uc.pid, s->own_ns_dev, s->own_ns_ino)) {
		send_hello(s, fd, EPERM,
			   "session: only processes outside every sandbox (in the session server's "
			   "pid namespace) may use a session");
		close(fd);
		return;
	}
	add_pending(s, fd);
}

/* The library's control socket: each message carries one connection. false: its end. */
static bool control_one(struct server *s)
{
	struct ag3_close_req m; /* same shape: a magic and a reserved word */
	int fd = -1;
	ssize_t n = ag3_recv_fd(s->o->control_fd, &m, sizeof(m), &fd, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0)
		return false;
	if (fd >= 0 && n == (ssize_t)sizeof(m) && m.magic == AG3_ATTACH_MAGIC)
		add_pending(s, fd);
	else if (fd >= 0)
		close(fd);
	return true;
}

/* The socket path, if it is still the one bind made (not a file put there since). */
static void unlink_if_ours(const struct ag3_server_opts *o)
{
	struct stat st;
	if (o->path && lstat(o->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == o->path_dev && st.st_ino == o->path_ino)
		unlink(o->path);
}

int ag3_server_run(const struct ag3_spec *spec, const struct ag3_server_opts *o)
{
	struct server s = {.o = o, .closer = -1};
	s.lim.timeout_ms = spec->limits.timeout_ms;
	s.lim.kill_grace_ms = spec->limits.kill_grace_ms;
	s.lim.output_bytes = spec->limits.output_bytes;
	/* Allowlist mode: each command's client runs that command's relay, by the
	 * session's rules, which every hello carries. */
	if (spec->network.mode == AG3_NET_ALLOWLIST &&
	    (ag3_spec_network_to_json(&spec->network, &s.net_json) < 0 ||
	     strlen(s.net_json) >= AG3_HELLO_MAX_NET))
		ag3_result_setup_failed(&s.base, E2BIG, "network", NULL,
					"network: the allowlist is too large for a session (its "
					"rules take more than 64 KiB): list fewer names, or use "
					"wildcards");
	else
		ag3_sandbox_open(spec, &s.sb, &s.base);
	if (o->ready)
		o->ready(o->data, &s.base);
	if (!s.sb) {
		ag3_result_clear(&s.base);
		free(s.net_json);
		unlink_if_ours(o);
		return 125;
	}
	const int hsock = ag3_sandbox_holder_sock(s.sb);
	struct stat nst;
	if (stat("/proc/self/ns/pid", &nst) < 0) {
		/* without it, a sandboxed process could pass for a client: fail closed */
		ag3_sandbox_close(s.sb);
		ag3_result_clear(&s.base);
		free(s.net_json);
		unlink_if_ours(o);
		return 125;
	}
	s.own_ns_dev = nst.st_dev;
	s.own_ns_ino = nst.st_ino;
	for (;;) {
		enum { P_STOP, P_OWNER, P_CONTROL, P_LISTEN, P_HOLDER, P_FIRST };
		struct pollfd p[P_FIRST + MAX_PENDING] = {
			[P_STOP] = {.fd = o->stop_fd, .events = POLLIN},
			[P_OWNER] = {.fd = o->owner_pidfd, .events = POLLIN},
			[P_CONTROL] = {.fd = o->control_fd, .events = POLLIN},
			[P_LISTEN] = {.fd = o->listen_fd, .events = POLLIN},
			[P_HOLDER] = {.fd = s.broken ? -1 : hsock, .events = POLLIN},
		};
		uint64_t now = ag3_now_ms(), next = 0;
		for (size_t i = 0; i < s.n_pend; i++) {
			p[P_FIRST + i] = (struct pollfd){.fd = s.pend[i].fd, .events = POLLIN};
			uint64_t d = s.pend[i].since + PENDING_MS;
			if (!next || d < next)
				next = d;
		}
		int wait = next ? (next > now ? (int)(next - now) : 0) : -1;
		int r = poll(p, P_FIRST + s.n_pend, wait);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0) {
			now = ag3_now_ms();
			for (size_t i = s.n_pend; i-- > 0;)
				if (s.pend[i].since + PENDING_MS <= now) {
					close(s.pend[i].fd);
					drop_pending(&s, i);
				}
			continue;
		}
		if (p[P_STOP].revents || p[P_OWNER].revents)
			break;
		if (p[P_CONTROL].revents && !control_one(&s))
			break;
		if (p[P_HOLDER].revents) {
			char c;
			if (recv(hsock, &c, 1, MSG_DONTWAIT) == 0 ||
			    (p[P_HOLDER].revents & POLLHUP))
				holder_ended(&s);
		}
		bool closing = false;
		/* From the last: serve_pending reorders what is after i. */
		for (size_t i = s.n_pend; i-- > 0;)
			if (p[P_FIRST + i].revents && p[P_FIRST + i].fd == s.pend[i].fd)
				closing |= serve_pending(&s, i);
		if (closing)
			break;
		if (p[P_LISTEN].revents)
			accept_one(&s);
	}
	for (size_t i = 0; i < s.n_pend; i++)
		close(s.pend[i].fd);
	ag3_sandbox_close(s.sb);
	unlink_if_ours(o);
	if (s.closer >= 0) {
		struct ag3_close_req done = {.magic = AG3_CLOSE_MAGIC};
		(void)!send(s.closer, &done, sizeof(done), MSG_DONTWAIT | MSG_NOSIGNAL);
		close(s.closer);
	}
	ag3_result_clear(&s.base);
	free(s.net_json);
	return 0;
}
