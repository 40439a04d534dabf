/* SPDX-License-Identifier: MIT */
/*
 * Moving bytes between the sandbox and the caller without ever blocking the
 * supervisor, and without changing anything the caller shares with others.
 *
 * A sink is a caller's fd the supervisor writes to. Setting O_NONBLOCK on the
 * caller's own file description would change it for every process sharing it
 * (the operator's shell, the agent loop), so a pipe, FIFO or terminal is opened
 * again through /proc/self/fd (a new description of the same pipe or tty, ours
 * alone, non-blocking); a socket is written with MSG_DONTWAIT; a regular file
 * as it is (its writes do not wait on a reader). Where the reopen fails (a
 * terminal owned by another user, under su or runuser), O_NONBLOCK is set on the
 * caller's description for one write at a time and put back right after.
 *
 * A relay copies one stream (the sandbox's pty or pipe -> a sink, or the
 * caller's terminal -> the pty) through a bounded buffer: when the sink does
 * not take more, the relay stops reading and the writer in the sandbox waits,
 * never the supervisor.
 */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Once the command has ended, the supervisor gives up writing to a caller's fd
 * that has taken no byte for this long. */
#define AG3_FLUSH_MS 5000

struct ag3_sink {
	int fd;       /* what is written to; -1: none */
	bool own;     /* fd is ours (a reopened description): closed by ag3_sink_close */
	bool sock;    /* a socket: send(MSG_DONTWAIT) */
	bool careful; /* the caller's description: O_NONBLOCK for each write alone */
	dev_t dev;    /* the file written, to tell when two sinks are one stream */
	ino_t ino;
	int last; /* the last byte written, -1 before any */
};

/* A sink for the caller's `fd` (0 or more). Never fails: at worst careful mode. */
void ag3_sink_open(struct ag3_sink *s, int fd);
/* A sink that owns `fd` (made non-blocking). */
void ag3_sink_own(struct ag3_sink *s, int fd);
void ag3_sink_close(struct ag3_sink *s);
/* Writes what it can now: bytes written, 0 when full (try after POLLOUT), -errno. */
ssize_t ag3_sink_write(struct ag3_sink *s, const void *p, size_t n);
/* Writes all of it, waiting for room, but never more than `idle_ms` without a
 * byte taken. 0 when all was written, -ETIMEDOUT, or the write's -errno. */
int ag3_sink_write_all(struct ag3_sink *s, const void *p, size_t n, uint64_t idle_ms);

/* A new, non-blocking description of the caller's `fd` for reading (a terminal
 * or pipe), or -errno. */
int ag3_fd_reopen_read(int fd);

uint64_t ag3_now_ms(void);
/* Whether two fds are the same file (device and inode): one stream, seen twice. */
bool ag3_same_file(int a, int b);

struct ag3_relay {
	int src;         /* read (non-blocking), -1 once at EOF */
	bool src_own;    /* close src at the end */
	bool src_sock;   /* src is the caller's socket: read with recv(MSG_DONTWAIT) */
	bool src_shared; /* src is the caller's description: O_NONBLOCK for each read alone */
	struct ag3_sink *dst;
	char *buf;
	size_t len, off; /* buffered bytes: buf[off .. off+len) */
	size_t cap;
	bool dead;      /* the sink failed: what comes is read and dropped */
	uint64_t moved; /* bytes read and written (or dropped) so far: progress */
};

/* src_own: close src at EOF. shared: src is a description the caller shares (a
 * socket is read with MSG_DONTWAIT, anything else with O_NONBLOCK set for each
 * read alone); otherwise src is ours and is made non-blocking. */
int ag3_relay_init(struct ag3_relay *r, int src, bool src_own, bool shared, struct ag3_sink *dst);
void ag3_relay_clear(struct ag3_relay *r);
/* Fills up to two pollfds (src, dst); returns how many it used. */
size_t ag3_relay_pollfds(const struct ag3_relay *r, struct pollfd *p);
/* After poll: moves what it can, never blocking. */
void ag3_relay_step(struct ag3_relay *r);
/* True when the source is at EOF and everything buffered was written (or dropped). */
bool ag3_relay_done(const struct ag3_relay *r);
