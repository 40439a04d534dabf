/* SPDX-License-Identifier: MIT */
#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Room for the truncation marker between the head and the tail ring. */
#define MARKER_MAX 96

/*
 * One allocation: the head, room for the marker, the tail ring, a NUL. Pages are
 * touched only as bytes arrive, and ag3_capture_finish makes the result in place,
 * so a stream costs at most its cap (never a second copy of it).
 */
int ag3_capture_init(struct ag3_capture *c, int fd, uint64_t limit)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->limit = limit;
	if (limit) {
		c->head_cap = (size_t)(limit - limit / 2);
		c->tail_cap = (size_t)(limit / 2);
		c->head = malloc(c->head_cap + MARKER_MAX + c->tail_cap + 1);
		if (!c->head)
			return -ENOMEM;
		c->tail = c->head + c->head_cap + MARKER_MAX;
	}
	return 0;
}

static void keep(struct ag3_capture *c, const char *p, size_t n)
{
	c->total += n;
	if (!c->limit) { /* unlimited: everything, in order */
		if (c->head_len + n > c->head_cap) {
			size_t cap = c->head_cap ? c->head_cap : 65536;
			while (cap < c->head_len + n)
				cap *= 2;
			char *h = realloc(c->head, cap);
			if (!h)
				return; /* out of memory: count, do not keep */
			c->head = h;
			c->head_cap = cap;
		}
		memcpy(c->head + c->head_len, p, n);
		c->head_len += n;
		return;
	}
	size_t h = c->head_cap - c->head_len;
	if (h > n)
		h = n;
	memcpy(c->head + c->head_len, p, h);
	c->head_len += h;
	p += h;
	n -= h;
	if (!c->tail_cap || !n)
		return;
	if (n >= c->tail_cap) { /* only the last tail_cap bytes matter */
		p += n - c->tail_cap;
		n = c->tail_cap;
	}
	while (n) {
		size_t room = c->tail_cap - c->tail_pos, k = n < room ? n : room;
		memcpy(c->tail + c->tail_pos, p, k);
		c->tail_pos = (c->tail_pos + k) % c->tail_cap;
		c->tail_len = c->tail_len + k > c->tail_cap ? c->tail_cap : c->tail_len + k;
		p += k;
		n -= k;
	}
}

int ag3_capture_read(struct ag3_capture *c)
{
	char buf[65536];
	for (int rounds = 0; c->fd >= 0 && rounds < 64; rounds++) {
		ssize_t n = read(c->fd, buf, sizeof(buf));
		if (n > 0) {
			keep(c, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		int r = n < 0 ? -errno : 1;
		close(c->fd);
		c->fd = -1;
		return r;
	}
	return c->fd < 0 ? 1 : 0;
}

static void reverse(char *p, size_t n)
{
	for (size_t i = 0, j = n; i + 1 < j; i++, j--) {
		char t = p[i];
		p[i] = p[j - 1];
		p[j - 1] = t;
	}
}

void ag3_capture_finish(struct ag3_capture *c, struct ag3_output *out)
{
	memset(out, 0, sizeof(*out));
	out->captured = true;
	out->total = c->total;
	out->truncated = c->limit && c->total > c->limit;
	if (!c->limit) { /* unlimited: the head holds everything, in order */
		char *d = realloc(c->head, c->head_len + 1);
		if (d) {
			d[c->head_len] = 0;
			out->data = d;
			out->len = c->head_len;
			c->head = NULL;
		}
		ag3_capture_clear(c);
		return;
	}
	char marker[MARKER_MAX] = "";
	if (out->truncated)
		snprintf(marker, sizeof(marker), "\n[... %llu bytes truncated ...]\n",
			 (unsigned long long)(c->total - c->head_len - c->tail_len));
	size_t ml = strlen(marker);
	/* The ring, oldest byte first, in place (rotated by three reversals). Bytes go
	 * to the tail only once the head is full, so it follows the marker's room. */
	size_t start = c->tail_len == c->tail_cap && c->tail_cap ? c->tail_pos : 0;
	reverse(c->tail, start);
	reverse(c->tail + start, c->tail_len - start);
	reverse(c->tail, c->tail_len);
	char *w = c->head + c->head_len;
	memcpy(w, marker, ml);
	w += ml;
	memmove(w, c->tail, c->tail_len);
	w += c->tail_len;
	*w = 0;
	out->data = c->head;
	out->len = (size_t)(w - c->head);
	c->head = NULL;
	ag3_capture_clear(c);
}

void ag3_capture_clear(struct ag3_capture *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->head); /* the tail ring is part of it */
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
