/* SPDX-License-Identifier: MIT */
#include "runtime/streams.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static int caller_fd(const struct ag3_run_opts *o, int i)
{
	return o->stdio[i] >= 0 ? o->stdio[i] : i;
}

int ag3_streams_setup(struct ag3_streams *s, const struct ag3_spec *spec,
		      const struct ag3_run_opts *opts, struct ag3_run_opts *copts,
		      const char **stage_text)
{
	memset(s, 0, sizeof(*s));
	s->opts = opts;
	for (int i = 0; i < 3; i++) {
		s->child_end[i] = -1;
		s->out[i].fd = -1;
	}
	s->pty_out.fd = s->master.fd = -1;
	s->master_fd = s->pty_keep = -1;
	ag3_capture_init(&s->cap[0], -1, 0);
	ag3_capture_init(&s->cap[1], -1, 0);
	s->pty_mask = opts->pty_mask & 7u;
	unsigned relay = opts->relay_mask & 7u & ~s->pty_mask;
	if (opts->capture) {
		s->pty_mask &= ~6u;
		relay &= ~6u;
	}
	int r = 0;
	for (int i = 0; i < 3; i++) {
		bool cap = opts->capture && i > 0;
		if (!cap && !(relay & (1u << i)))
			continue;
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			r = -errno;
			*stage_text = "supervisor: pipe failed";
			goto fail;
		}
		/* stdin: the command reads p[0]; stdout, stderr: it writes p[1]. */
		int mine = i == 0 ? p[1] : p[0];
		s->child_end[i] = i == 0 ? p[0] : p[1];
		copts->stdio[i] = s->child_end[i];
		if (cap) {
			fcntl(mine, F_SETFL, O_NONBLOCK);
			/* 0 ("unlimited") is the largest cap: the supervisor's memory is
			 * outside the sandbox's limit, so nothing it keeps is unbounded. */
			uint64_t bytes = spec->limits.output_bytes ? spec->limits.output_bytes
								   : AG3_OUTPUT_MAX;
			if (ag3_capture_init(&s->cap[i - 1], mine, bytes) < 0) {
				s->cap[i - 1].fd = -1;
				close(mine);
				r = -ENOMEM;
				*stage_text = "supervisor: no memory for the output buffers";
				goto fail;
			}
			continue;
		}
		int src = mine;
		bool src_own = true;
		if (i == 0) {
			/* The caller's socket is read with MSG_DONTWAIT; a pipe or terminal
			 * through a description of our own; a file needs no relay. */
			struct stat st;
			int fd = caller_fd(opts, 0);
			if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
				src = fd;
				src_own = false;
			} else if (fstat(fd, &st) == 0 &&
				   (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
				src = ag3_fd_reopen_read(fd);
				if (src < 0) { /* not ours to open again: read it shared */
					src = fd;
					src_own = false;
				}
			} else {
				src = -1;
			}
			if (src < 0) {
				close(p[0]);
				close(p[1]);
				s->child_end[0] = -1;
				copts->stdio[0] = opts->stdio[0];
				continue;
			}
			ag3_sink_own(&s->out[0], p[1]);
			s->sink_of[0] = &s->out[0];
		} else if (i == 2 && s->relayed[1] &&
			   ag3_same_file(caller_fd(opts, 1), caller_fd(opts, 2))) {
			s->sink_of[2] = s->sink_of[1]; /* one stream: one sink, one last byte */
		} else {
			ag3_sink_open(&s->out[i], caller_fd(opts, i));
			s->sink_of[i] = &s->out[i];
		}
		r = ag3_relay_init(&s->relay[i], src, src_own, !src_own, s->sink_of[i]);
		if (r < 0) {
			if (src_own)
				close(src);
			*stage_text = "supervisor: setting up the stream relay";
			goto fail;
		}
		s->relayed[i] = true;
	}
	/* A directory the command would get as its stdio (the caller's own fd, passed
	 * on) is a way out of the root: `cd /dev/stdin`, openat(0, ".."), as runc's
	 * leaked fds were (CVE-2024-21626); only landlock, where there is one, would
	 * still stop what it reaches there. */
	for (int i = 0; i < 3; i++) {
		struct stat st;
		int fd = copts->stdio[i] >= 0 ? copts->stdio[i] : i;
		if (!(s->pty_mask & (1u << i)) && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			r = -EISDIR;
			*stage_text = "stdio: a directory as the command's stdin, stdout or stderr "
				      "would be its way out of the sandbox's root: refused";
			goto fail;
		}
	}
	if (s->pty_mask) {
		ag3_sink_open(&s->pty_out, opts->pty_out);
		copts->pty_mask = s->pty_mask;
	}
	return 0;
fail:
	ag3_streams_clear(s);
	return r;
}

void ag3_streams_child_started(struct ag3_streams *s)
{
	for (int i = 0; i < 3; i++)
		if (s->child_end[i] >= 0) {
			close(s->child_end[i]);
			s->child_end[i] = -1;
		}
}

int ag3_streams_take_pty(struct ag3_streams *s, int master)
{
	if (!s->pty_mask || s->have_pty) {
		close(master);
		return -EPROTO;
	}
	s->have_pty = true;
	s->master_fd = master;
	ag3_sink_own(&s->master, master); /* non-blocking; s->master_fd is what owns it */
	s->master.own = false;
	/* A slave of the supervisor's own while the sandbox lives: a command that closes
	 * every fd of its terminal (a daemon, `exec >log 2>&1 </dev/null`) must not
	 * make the master read EIO, which would end the relay and hang the pty up. */
	s->pty_keep = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (ag3_relay_init(&s->pty_rd, master, false, false, &s->pty_out) < 0)
		return -ENOMEM;
	s->pty_rd_on = true;
	if (s->opts->pty_in < 0)
		return 0;
	int in = ag3_fd_reopen_read(s->opts->pty_in);
	bool own = in >= 0;
	if (!own) /* a terminal we may not open again (another user's): read it shared */
		in = s->opts->pty_in;
	if (ag3_relay_init(&s->pty_wr, in, own, !own, &s->master) == 0)
		s->pty_wr_on = true;
	else if (own)
		close(in);
	return 0;
}

size_t ag3_streams_pollfds(const struct ag3_streams *s, struct pollfd *p)
{
	size_t n = 0;
	for (int i = 0; i < 2; i++)
		if (s->cap[i].fd >= 0)
			p[n++] = (struct pollfd){.fd = s->cap[i].fd, .events = POLLIN};
	for (int i = 0; i < 3; i++)
		if (s->relayed[i])
			n += ag3_relay_pollfds(&s->relay[i], p + n);
	if (s->pty_rd_on)
		n += ag3_relay_pollfds(&s->pty_rd, p + n);
	if (s->pty_wr_on)
		n += ag3_relay_pollfds(&s->pty_wr, p + n);
	if (s->have_pty && s->opts->winch_fd >= 0)
		p[n++] = (struct pollfd){.fd = s->opts->winch_fd, .events = POLLIN};
	return n;
}

static void on_signal(struct ag3_streams *s)
{
	const struct ag3_run_opts *o = s->opts;
	struct signalfd_siginfo si;
	while (read(o->winch_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		struct winsize ws;
		if (si.ssi_signo == SIGWINCH && o->pty_out >= 0 &&
		    ioctl(o->pty_out, TIOCGWINSZ, &ws) == 0)
			ioctl(s->master.fd, TIOCSWINSZ,
			      &ws); /* the sandbox's pty: its own group hears */
		else if (si.ssi_signo == SIGCONT && o->pty_raw && o->pty_in >= 0)
			tcsetattr(o->pty_in, TCSANOW, o->pty_raw);
	}
}

void ag3_streams_step(struct ag3_streams *s)
{
	for (int i = 0; i < 2; i++)
		if (s->cap[i].fd >= 0)
			ag3_capture_read(&s->cap[i]);
	for (int i = 0; i < 3; i++)
		if (s->relayed[i])
			ag3_relay_step(&s->relay[i]);
	/* The caller's stdin ended and all of it went in: the command sees EOF. */
	if (s->relayed[0] && ag3_relay_done(&s->relay[0]) && s->out[0].fd >= 0)
		ag3_sink_close(&s->out[0]);
	if (s->pty_rd_on)
		ag3_relay_step(&s->pty_rd);
	if (s->pty_wr_on)
		ag3_relay_step(&s->pty_wr);
	if (s->have_pty && s->opts->winch_fd >= 0 && s->master.fd >= 0)
		on_signal(s);
}

static bool drained(const struct ag3_streams *s)
{
	bool done = s->cap[0].fd < 0 && s->cap[1].fd < 0;
	for (int i = 1; i < 3; i++)
		done = done && (!s->relayed[i] || ag3_relay_done(&s->relay[i]));
	return done && (!s->pty_rd_on || ag3_relay_done(&s->pty_rd));
}

/* Bytes moved so far by every output stream: the drain's measure of progress. */
static uint64_t moved(const struct ag3_streams *s)
{
	uint64_t m = s->cap[0].total + s->cap[1].total;
	for (int i = 1; i < 3; i++)
		if (s->relayed[i])
			m += s->relay[i].moved;
	return m + (s->pty_rd_on ? s->pty_rd.moved : 0);
}

void ag3_streams_finish(struct ag3_streams *s, uint64_t idle_ms, struct ag3_result *res)
{
	/* Nothing goes into the sandbox any more. */
	if (s->relayed[0]) {
		ag3_relay_clear(&s->relay[0]);
		s->relayed[0] = false;
	}
	if (s->pty_wr_on) {
		ag3_relay_clear(&s->pty_wr);
		s->pty_wr_on = false;
	}
	/* The sandbox is gone: the master reads EIO once its last slave is closed. */
	if (s->pty_keep >= 0) {
		close(s->pty_keep);
		s->pty_keep = -1;
	}
	/* Every writer is in the sandbox, which is gone or going: drain, giving up on
	 * a caller's reader that takes nothing for idle_ms. */
	uint64_t give_up = ag3_now_ms() + idle_ms, last = moved(s);
	while (!drained(s)) {
		uint64_t now = ag3_now_ms();
		if (now >= give_up)
			break;
		struct pollfd p[AG3_STREAMS_MAX_POLL];
		size_t n = ag3_streams_pollfds(s, p);
		uint64_t left = give_up - now;
		if (poll(p, n, left > 100 ? 100 : (int)left) < 0 && errno != EINTR)
			break;
		ag3_streams_step(s);
		if (moved(s) != last) {
			last = moved(s);
			give_up = ag3_now_ms() + idle_ms;
		}
	}
	if (s->opts->capture) {
		ag3_capture_finish(&s->cap[0], &res->out);
		ag3_capture_finish(&s->cap[1], &res->err);
	}
	/* What comes after the run starts a line of its own. */
	struct ag3_sink *err = s->sink_of[2]      ? s->sink_of[2]
			       : s->pty_mask & 4u ? &s->pty_out
						  : NULL;
	if (s->opts->end_line && err && err->fd >= 0 && err->last >= 0 && err->last != '\n') {
		ag3_sink_write_all(err, "\n", 1, idle_ms);
	}
	ag3_streams_clear(s);
}

void ag3_streams_clear(struct ag3_streams *s)
{
	ag3_streams_child_started(s);
	for (int i = 0; i < 2; i++) {
		if (s->cap[i].fd >= 0)
			close(s->cap[i].fd);
		s->cap[i].fd = -1;
		ag3_capture_clear(&s->cap[i]);
	}
	for (int i = 0; i < 3; i++) {
		if (s->relayed[i])
			ag3_relay_clear(&s->relay[i]);
		s->relayed[i] = false;
		ag3_sink_close(&s->out[i]);
		s->sink_of[i] = NULL;
	}
	if (s->pty_rd_on)
		ag3_relay_clear(&s->pty_rd);
	if (s->pty_wr_on)
		ag3_relay_clear(&s->pty_wr);
	s->pty_rd_on = s->pty_wr_on = false;
	ag3_sink_close(&s->pty_out);
	s->master.fd = -1;
	if (s->pty_keep >= 0)
		close(s->pty_keep);
	if (s->master_fd >= 0)
		close(s->master_fd);
	s->pty_keep = s->master_fd = -1;
}
