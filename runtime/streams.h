/* SPDX-License-Identifier: MIT */
/*
 * The command's stdio as the supervisor handles it: passed through (the
 * caller's fds, untouched), captured (runtime/capture.h), relayed through pipes
 * (relay_mask) or through a pty of the sandbox's own (pty_mask). See
 * struct ag3_run_opts for what each means, runtime/relay.h for how nothing the
 * supervisor does can block it.
 */
#pragma once

#include <poll.h>

#include "runtime/capture.h"
#include "runtime/relay.h"
#include "runtime/sandbox.h"

struct ag3_streams {
	const struct ag3_run_opts *opts;
	struct ag3_capture cap[2];
	int child_end[3];       /* the command's ends of the pipes (closed once it has them) */
	struct ag3_sink out[3]; /* the caller's fds 1 and 2 (out[0]: the pipe to stdin) */
	struct ag3_sink *sink_of[3];
	struct ag3_relay relay[3]; /* fd i's relay */
	bool relayed[3];
	/* The pty: the master's output to pty_out, the caller's terminal into the master. */
	unsigned pty_mask;
	struct ag3_sink pty_out, master;
	int master_fd, pty_keep; /* the pty's master; a slave the supervisor holds */
	struct ag3_relay pty_rd, pty_wr;
	bool have_pty, pty_rd_on, pty_wr_on;
};

/* Sets the streams up and fills copts->stdio with the command's ends. 0, or -errno
 * with `stage_text` saying what failed (everything set up so far is undone). */
int ag3_streams_setup(struct ag3_streams *s, const struct ag3_spec *spec,
		      const struct ag3_run_opts *opts, struct ag3_run_opts *copts,
		      const char **stage_text);
/* The sandbox exists and holds the command's ends: the supervisor's copies go. */
void ag3_streams_child_started(struct ag3_streams *s);
/* The pty's master, from init. Takes ownership. -EPROTO when no pty was asked for
 * or one was received already (the fd is closed). */
int ag3_streams_take_pty(struct ag3_streams *s, int master);
/* The pollfds of what can move now (at most AG3_STREAMS_MAX_POLL). */
#define AG3_STREAMS_MAX_POLL 12
size_t ag3_streams_pollfds(const struct ag3_streams *s, struct pollfd *p);
/* Moves what can move; reads winch_fd (window size, raw mode again after SIGCONT). */
void ag3_streams_step(struct ag3_streams *s);
/* The sandbox is gone: what it wrote is drained and passed on until a stream is
 * at its end or nothing has moved for `idle_ms`; what the caller still sends in
 * is dropped. Then the captures go into `res`, the newline of
 * end_line is written, and everything is closed. */
void ag3_streams_finish(struct ag3_streams *s, uint64_t idle_ms, struct ag3_result *res);
/* Undoes setup without a run. */
void ag3_streams_clear(struct ag3_streams *s);
