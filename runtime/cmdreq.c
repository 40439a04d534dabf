/* SPDX-License-Identifier: MIT */
#include "runtime/cmdreq.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime/internal.h"

struct wire_hdr {
	uint32_t magic, version;
	uint32_t pty_mask;
	uint32_t n_argv, n_env;
	uint32_t flags; /* WIRE_* */
	uint32_t blob_len;
	uint32_t reserved;
	struct termios termios;
	struct winsize winsize;
};

enum { WIRE_TERMIOS = 1, WIRE_WINSIZE = 2, WIRE_CWD = 4, WIRE_TERM = 8 };

static void free_strv(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void ag3_cmd_clear(struct ag3_cmd *cmd)
{
	free_strv(cmd->argv);
	free_strv(cmd->env);
	free(cmd->cwd);
	free(cmd->term);
	for (int i = 0; i < 3; i++)
		if (cmd->stdio[i] >= 0)
			close(cmd->stdio[i]);
	memset(cmd, 0, sizeof(*cmd));
	cmd->stdio[0] = cmd->stdio[1] = cmd->stdio[2] = -1;
}

static size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int ag3_cmdreq_pack(const struct ag3_cmd *cmd, void **ret, size_t *ret_len)
{
	size_t n_argv = strv_len(cmd->argv), n_env = strv_len(cmd->env);
	if (n_argv == 0 || !cmd->argv[0][0] || (cmd->pty_mask & ~7u))
		return -EINVAL;
	if (n_argv > AG3_CMDREQ_MAX_ARGS || n_env > AG3_CMDREQ_MAX_ENV)
		return -E2BIG;
	size_t blob = 0;
	for (size_t i = 0; i < n_argv; i++)
		blob += strlen(cmd->argv[i]) + 1;
	for (size_t i = 0; i < n_env; i++)
		blob += strlen(cmd->env[i]) + 1;
	if (cmd->cwd)
		blob += strlen(cmd->cwd) + 1;
	if (cmd->term)
		blob += strlen(cmd->term) + 1;
	if (blob > AG3_CMDREQ_MAX_BLOB)
		return -E2BIG;
	struct wire_hdr h = {.magic = AG3_CMDREQ_MAGIC,
			     .version = AG3_CMDREQ_VERSION,
			     .pty_mask = cmd->pty_mask,
			     .n_argv = (uint32_t)n_argv,
			     .n_env = (uint32_t)n_env,
			     .blob_len = (uint32_t)blob};
	h.flags = (cmd->have_termios ? WIRE_TERMIOS : 0) | (cmd->have_winsize ? WIRE_WINSIZE : 0) |
		  (cmd->cwd ? WIRE_CWD : 0) | (cmd->term ? WIRE_TERM : 0);
	if (cmd->have_termios)
		h.termios = cmd->termios;
	if (cmd->have_winsize)
		h.winsize = cmd->winsize;
	char *buf = malloc(sizeof(h) + blob);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, &h, sizeof(h));
	char *p = buf + sizeof(h);
	for (size_t i = 0; i < n_argv; i++)
		p = stpcpy(p, cmd->argv[i]) + 1;
	for (size_t i = 0; i < n_env; i++)
		p = stpcpy(p, cmd->env[i]) + 1;
	if (cmd->cwd)
		p = stpcpy(p, cmd->cwd) + 1;
	if (cmd->term)
		p = stpcpy(p, cmd->term) + 1;
	*ret = buf;
	*ret_len = sizeof(h) + blob;
	return 0;
}

__attribute__((format(printf, 4, 5))) static int refuse(char *why, size_t wlen, int err,
							const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, wlen, fmt, ap);
	va_end(ap);
	return -err;
}

/* NAME=VALUE with a name a shell could set. */
static bool valid_env(const char *s)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return false;
	for (const char *c = s; c < eq; c++) {
		bool alpha = (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || *c == '_';
		if (!alpha && !(c > s && *c >= '0' && *c <= '9'))
			return false;
	}
	return true;
}

/* Absolute, without "." or ".." components, empty ones or a trailing slash. */
static bool valid_cwd(const char *s)
{
	if (s[0] != '/' || strlen(s) >= 4096)
		return false;
	if (s[1] == 0)
		return true;
	for (const char *c = s; *c;) {
		const char *comp = c + 1, *end = strchr(comp, '/');
		size_t n = end ? (size_t)(end - comp) : strlen(comp);
		if (n == 0 || (n == 1 && comp[0] == '.') || (n == 2 && !strncmp(comp, "..", 2)))
			return false;
		c = comp + n;
	}
	return true;
}

int ag3_cmdreq_parse(const void *buf, size_t len, struct ag3_cmd *cmd, char *why, size_t wlen)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->stdio[0] = cmd->stdio[1] = cmd->stdio[2] = -1;
	struct wire_hdr h;
	if (len < sizeof(h))
		return refuse(why, wlen, EINVAL, "request: %s", "shorter than its header");
	memcpy(&h, buf, sizeof(h));
	if (h.magic != AG3_CMDREQ_MAGIC || h.version != AG3_CMDREQ_VERSION)
		return refuse(why, wlen, EINVAL, "request: %s",
			      "not a command request of this version");
	if (h.pty_mask & ~7u || h.flags & ~15u || h.reserved)
		return refuse(why, wlen, EINVAL, "request: %s", "unknown flags");
	static const char
		zero[sizeof(h.termios) > sizeof(h.winsize) ? sizeof(h.termios) : sizeof(h.winsize)];
	if ((!(h.flags & WIRE_TERMIOS) && memcmp(&h.termios, zero, sizeof(h.termios))) ||
	    (!(h.flags & WIRE_WINSIZE) && memcmp(&h.winsize, zero, sizeof(h.winsize))))
		return refuse(why, wlen, EINVAL, "request: %s",
			      "terminal settings it does not say it carries");
	if (h.n_argv == 0 || h.n_argv > AG3_CMDREQ_MAX_ARGS || h.n_env > AG3_CMDREQ_MAX_ENV)
		return refuse(why, wlen, E2BIG, "request: %s",
			      "no argv, or too many arguments or environment settings");
	if (h.blob_len > AG3_CMDREQ_MAX_BLOB || h.blob_len != len - sizeof(h))
		return refuse(why, wlen, EINVAL, "request: %s", "its length does not add up");
	const char *p = (const char *)buf + sizeof(h), *end = p + h.blob_len;
	const size_t n_cwd = h.flags & WIRE_CWD ? 1 : 0;
	size_t n_str = (size_t)h.n_argv + h.n_env + n_cwd + (h.flags & WIRE_TERM ? 1 : 0);
	char **argv = calloc(h.n_argv + 1, sizeof(char *));
	char **env = calloc(h.n_env + 1, sizeof(char *));
	char *cwd = NULL, *term = NULL;
	int r = 0;
	if (!argv || !env) {
		r = refuse(why, wlen, ENOMEM, "request: %s", "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n_str; i++) {
		const char *nul = memchr(p, 0, (size_t)(end - p));
		if (!nul) {
			r = refuse(why, wlen, EINVAL, "request: %s", "a string is not terminated");
			goto fail;
		}
		char *s = strdup(p);
		if (!s) {
			r = refuse(why, wlen, ENOMEM, "request: %s", "out of memory");
			goto fail;
		}
		if (i < h.n_argv)
			argv[i] = s;
		else if (i < (size_t)h.n_argv + h.n_env)
			env[i - h.n_argv] = s;
		else if (n_cwd && !cwd)
			cwd = s;
		else
			term = s;
		p = nul + 1;
	}
	if (p != end) {
		r = refuse(why, wlen, EINVAL, "request: %s", "bytes after its last string");
		goto fail;
	}
	if (!argv[0][0]) {
		r = refuse(why, wlen, EINVAL, "request: %s", "an empty command name");
		goto fail;
	}
	for (size_t i = 0; i < h.n_env; i++)
		if (!valid_env(env[i])) {
			r = refuse(why, wlen, EINVAL,
				   "request: the environment setting '%.64s' is not NAME=VALUE",
				   env[i]);
			goto fail;
		}
	if (cwd && !valid_cwd(cwd)) {
		r = refuse(why, wlen, EINVAL,
			   "request: the working directory '%.200s' is not an absolute, "
			   "normalized path",
			   cwd);
		goto fail;
	}
	if (term && !ag3_term_name_valid(term)) {
		r = refuse(why, wlen, EINVAL, "request: the terminal type '%.64s' is not a name",
			   term);
		goto fail;
	}
	cmd->argv = argv;
	cmd->term = term;
	cmd->env = h.n_env ? env : NULL;
	if (!h.n_env)
		free(env);
	cmd->cwd = cwd;
	cmd->pty_mask = h.pty_mask;
	cmd->have_termios = h.flags & WIRE_TERMIOS;
	cmd->have_winsize = h.flags & WIRE_WINSIZE;
	if (cmd->have_termios)
		cmd->termios = h.termios;
	if (cmd->have_winsize)
		cmd->winsize = h.winsize;
	return 0;
fail:
	free_strv(argv);
	free_strv(env);
	free(cwd);
	free(term);
	return r;
}

int ag3_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t n_fds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 3)];
	if (n_fds > 3) {
		errno = EINVAL;
		return -1;
	}
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (n_fds) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		if (!c) {
			errno = EINVAL;
			return -1;
		}
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
	}
	ssize_t w;
	do
		w = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -1;
	if ((size_t)w != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

int ag3_cmdreq_send(int sock, const struct ag3_cmd *cmd)
{
	void *buf = NULL;
	size_t len = 0;
	int r = ag3_cmdreq_pack(cmd, &buf, &len);
	if (r < 0)
		return r;
	int fds[3];
	size_t n = 0;
	for (int i = 0; i < 3; i++)
		if (!(cmd->pty_mask & (1u << i))) {
			if (cmd->stdio[i] < 0) {
				free(buf);
				return -EBADF;
			}
			fds[n++] = cmd->stdio[i];
		}
	r = ag3_send_fds(sock, buf, len, fds, n) < 0 ? -errno : 0;
	free(buf);
	return r;
}

/* Every fd of a message's SCM_RIGHTS, at most `max` (more: all are closed, -1). */
static ssize_t take_fds(struct msghdr *mh, int *fds, size_t max)
{
	size_t n = 0;
	bool over = (mh->msg_flags & MSG_CTRUNC) != 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int f;
			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < max)
				fds[n++] = f;
			else {
				close(f);
				over = true;
			}
		}
	}
	if (over) {
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
		return -1;
	}
	return (ssize_t)n;
}

int ag3_cmdreq_recv(int sock, struct ag3_cmd *cmd, char *why, size_t wlen)
{
	size_t cap = sizeof(struct wire_hdr) + AG3_CMDREQ_MAX_BLOB;
	char *buf = malloc(cap + 1);
	char cbuf[CMSG_SPACE(sizeof(int) * 3)];
	if (!buf)
		return refuse(why, wlen, ENOMEM, "request: %s", "out of memory");
	struct iovec iov = {.iov_base = buf, .iov_len = cap + 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	ssize_t n;
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		free(buf);
		return refuse(why, wlen, n < 0 ? errno : EPIPE, "request: %s",
			      "the client closed its connection before sending it");
	}
	int fds[3];
	ssize_t nf = take_fds(&mh, fds, 3);
	if ((size_t)n > cap || (mh.msg_flags & MSG_TRUNC)) {
		for (ssize_t i = 0; i < nf; i++)
			close(fds[i]);
		free(buf);
		return refuse(why, wlen, E2BIG, "request: %s", "larger than a request may be");
	}
	int r = ag3_cmdreq_parse(buf, (size_t)n, cmd, why, wlen);
	free(buf);
	size_t want = 0;
	if (r == 0)
		for (int i = 0; i < 3; i++)
			want += !(cmd->pty_mask & (1u << i));
	if (r == 0 && nf != (ssize_t)want)
		r = refuse(why, wlen, EINVAL, "request: %s",
			   "it does not carry one fd for each stdio stream without a pty");
	if (r < 0) {
		for (ssize_t i = 0; i < nf; i++)
			close(fds[i]);
		ag3_cmd_clear(cmd);
		return r;
	}
	size_t k = 0;
	for (int i = 0; i < 3; i++)
		if (!(cmd->pty_mask & (1u << i)))
			cmd->stdio[i] = fds[k++];
	return 0;
}

int ag3_msg_send_fd(int sock, const struct ag3_msg *m, int fd)
{
	return ag3_send_fds(sock, m, sizeof(*m), &fd, 1);
}

ssize_t ag3_msg_recv(int sock, struct ag3_msg *m, int *fd, int flags)
{
	return ag3_recv_fd(sock, m, sizeof(*m), fd, flags);
}

ssize_t ag3_recv_fd(int sock, void *buf, size_t len, int *fd, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	*fd = -1;
	if (n < 0)
		return n;
	int fds[4];
	ssize_t nf = take_fds(&mh, fds, 4);
	if (nf == 1)
		*fd = fds[0];
	else
		for (ssize_t i = 0; i < nf; i++)
			close(fds[i]);
	return n;
}
