/* SPDX-License-Identifier: MIT */
/* Non-blocking sinks and relays between the sandbox's streams and the caller's. */
#include "runtime/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RELAY_BUF (64 * 1024)

uint64_t ag3_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool ag3_same_file(int a, int b)
{
	struct stat x, y;
	return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

/* A description of our own for the file behind the caller's `fd`: opening the
 * /proc/self/fd link of a pipe or terminal makes a new open file description. */
static int reopen(int fd, int flags)
{
	char path[40];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int r = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

int ag3_fd_reopen_read(int fd)
{
	return reopen(fd, O_RDONLY);
}

/*
 * One read or write on a description the caller shares, that could not be opened
 * again (a terminal owned by another user, as under su or runuser): O_NONBLOCK is
 * set for this call alone and put back at once, so the supervisor never waits
 * and the caller's description keeps its flags.
 */
static ssize_t shared_io(int fd, void *buf, size_t n, bool wr)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -1;
	bool set = !(fl & O_NONBLOCK);
	if (set && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	ssize_t r = wr ? write(fd, buf, n) : read(fd, buf, n);
	int e = errno;
	if (set)
		fcntl(fd, F_SETFL, fl);
	errno = e;
	return r;
}

void ag3_sink_open(struct ag3_sink *s, int fd)
{
	*s = (struct ag3_sink){.fd = fd, .last = -1};
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		s->fd = -1;
		return;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	if (S_ISSOCK(st.st_mode)) {
		s->sock = true;
	} else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
		int o = reopen(fd, O_WRONLY);
		if (o >= 0) {
			s->fd = o;
			s->own = true;
		} else {
			s->careful = true;
		}
	}
}

void ag3_sink_own(struct ag3_sink *s, int fd)
{
	*s = (struct ag3_sink){.fd = fd, .own = true, .last = -1};
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void ag3_sink_close(struct ag3_sink *s)
{
	if (s->own && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->own = false;
}

ssize_t ag3_sink_write(struct ag3_sink *s, const void *p, size_t n)
{
	if (s->fd < 0)
		return -EBADF;
	if (!n)
		return 0;
	ssize_t w;
	if (s->sock) {
		w = send(s->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	} else if (s->careful) {
		w = shared_io(s->fd, (void *)p, n, true);
	} else {
		w = write(s->fd, p, n);
	}
	if (w < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	if (w > 0)
		s->last = ((const unsigned char *)p)[w - 1];
	return w;
}

int ag3_sink_write_all(struct ag3_sink *s, const void *p, size_t n, uint64_t idle_ms)
{
	const char *c = p;
	uint64_t give_up = ag3_now_ms() + idle_ms;
	while (n) {
		ssize_t w = ag3_sink_write(s, c, n);
		if (w < 0)
			return (int)w;
		c += w;
		n -= (size_t)w;
		if (!n)
			break;
		uint64_t now = ag3_now_ms();
		if (w > 0)
			give_up = now + idle_ms;
		if (now >= give_up)
			return -ETIMEDOUT;
		if (w == 0) {
			struct pollfd pf = {.fd = s->fd, .events = POLLOUT};
			uint64_t left = give_up - now;
			if (poll(&pf, 1, left > 100 ? 100 : (int)left) < 0 && errno != EINTR)
				return -errno;
		}
	}
	return 0;
}

int ag3_relay_init(struct ag3_relay *r, int src, bool src_own, bool shared, struct ag3_sink *dst)
{
	*r = (struct ag3_relay){.src = src, .src_own = src_own, .dst = dst};
	r->buf = malloc(RELAY_BUF);
	if (!r->buf)
		return -ENOMEM;
	r->cap = RELAY_BUF;
	struct stat st;
	if (shared && fstat(src, &st) == 0 && S_ISSOCK(st.st_mode)) {
		r->src_sock =
			true; /* the caller's socket: recv(MSG_DONTWAIT), its flags untouched */
		return 0;
	}
	if (shared) {
		r->src_shared = true; /* O_NONBLOCK for each read alone */
		return 0;
	}
	int fl = fcntl(src, F_GETFL);
	if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(src, F_SETFL, fl | O_NONBLOCK) < 0)) {
		free(r->buf);
		r->buf = NULL;
		return -errno;
	}
	return 0;
}

void ag3_relay_clear(struct ag3_relay *r)
{
	if (r->src_own && r->src >= 0)
		close(r->src);
	r->src = -1;
	free(r->buf);
	r->buf = NULL;
	r->len = r->off = 0;
}

size_t ag3_relay_pollfds(const struct ag3_relay *r, struct pollfd *p)
{
	size_t n = 0;
	if (!r->buf)
		return 0;
	if (r->src >= 0 && (r->dead || r->len < r->cap)) /* step makes the room at the end */
		p[n++] = (struct pollfd){.fd = r->src, .events = POLLIN};
	if (r->len && !r->dead && r->dst->fd >= 0)
		p[n++] = (struct pollfd){.fd = r->dst->fd, .events = POLLOUT};
	return n;
}

static void flush(struct ag3_relay *r)
{
	while (r->len && !r->dead) {
		ssize_t w = ag3_sink_write(r->dst, r->buf + r->off, r->len);
		if (w < 0) {
			r->dead = true; /* the caller closed its end: the rest is dropped */
			break;
		}
		if (w == 0)
			break;
		r->off += (size_t)w;
		r->len -= (size_t)w;
		r->moved += (uint64_t)w;
	}
	if (r->dead || !r->len) {
		r->moved += r->len;
		r->len = 0;
		r->off = 0;
	}
}

void ag3_relay_step(struct ag3_relay *r)
{
	if (!r->buf)
		return;
	flush(r);
	for (int rounds = 0; r->src >= 0 && rounds < 16; rounds++) {
		/* Room at the end, or the buffered bytes moved to the front: when poll
		 * says the source is readable and len < cap, a read is always tried
		 * (anything else spins). */
		if (r->off && r->off + r->len == r->cap) {
			memmove(r->buf, r->buf + r->off, r->len);
			r->off = 0;
		}
		size_t room = r->cap - r->off - r->len;
		if (!room)
			break;
		char *at = r->buf + r->off + r->len;
		ssize_t n = r->src_sock     ? recv(r->src, at, room, MSG_DONTWAIT)
			    : r->src_shared ? shared_io(r->src, at, room, false)
					    : read(r->src, at, room);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) { /* EOF; EIO: a pty whose every slave is closed */
			if (r->src_own)
				close(r->src);
			r->src = -1;
			break;
		}
		r->len += (size_t)n;
		flush(r);
		if (r->len)
			break; /* the sink is full: stop reading, the writer waits */
	}
}

bool ag3_relay_done(const struct ag3_relay *r)
{
	return !r->buf || (r->src < 0 && (r->len == 0 || r->dead));
}
