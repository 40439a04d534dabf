/* SPDX-License-Identifier: MIT */
/*
 * Capturing one output stream with a byte cap: the first half of the cap and
 * the last half are kept, everything between is counted and dropped, so a
 * flood costs bounded memory and the caller still sees how it began and ended.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "runtime/result.h"

struct ag3_capture {
	int fd;         /* the read end (non-blocking), -1 once at EOF */
	uint64_t limit; /* 0 = unlimited */
	char *head;
	size_t head_len, head_cap;
	char *tail; /* a ring of limit / 2 bytes, inside the head's allocation */
	size_t tail_cap, tail_pos, tail_len;
	uint64_t total;
};

int ag3_capture_init(struct ag3_capture *c, int fd, uint64_t limit);
/* Reads what is available. 1 at EOF, 0 otherwise, -errno on error (treated as EOF). */
int ag3_capture_read(struct ag3_capture *c);
/* Moves what was kept into `out` (head, a marker if truncated, tail) and frees `c`. */
void ag3_capture_finish(struct ag3_capture *c, struct ag3_output *out);
void ag3_capture_clear(struct ag3_capture *c);
