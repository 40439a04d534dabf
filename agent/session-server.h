/* SPDX-License-Identifier: MIT */
/*
 * A session's server: owns one warm sandbox (runtime/session.h) and hands it
 * the connections of its owner. Single-threaded: one poll loop over the
 * listening socket, the library's control socket, the pending connections, the
 * holder, the owner's pidfd and the stop signals. It ends, and tears everything
 * down (every process, the cgroup, the socket path), on a close request, a stop
 * signal, the owner's death or the control socket's end.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/result.h"
#include "runtime/spec.h"

struct ag3_server_opts {
	int listen_fd;    /* a listening SEQPACKET socket, or -1                        */
	const char *path; /* its path, unlinked at the end if it is still ours         */
	dev_t path_dev;   /* what bind made there (lstat right after bind)             */
	ino_t path_ino;
	int control_fd;  /* the library's socketpair end, or -1: its end = the owner's */
	int owner_pidfd; /* the opener: its death ends the session; -1: none          */
	int stop_fd;     /* a signalfd (SIGTERM, SIGINT, SIGHUP): ends the session; -1 */
	uid_t owner_uid; /* the only uid whose connections are served                 */
	/* Called once the sandbox is built (res: its enforcement record) or could not
	 * be (res: the setup failure); the server returns right after a failure. */
	void (*ready)(void *data, const struct ag3_result *res);
	void *data;
};

/* Builds the sandbox and serves until the session ends. 0 after a normal end;
 * 125 when the sandbox could not be built (ready() was told why). */
int ag3_server_run(const struct ag3_spec *spec, const struct ag3_server_opts *o);

/*
 * Whether the peer of the connected unix socket `fd` (pid from SO_PEERCRED) runs
 * in the pid namespace whose /proc/PID/ns/pid is (ns_dev, ns_ino): the server's
 * own, as every client of a session and of `serve --socket` must (a process of
 * any sandbox lives in a pid namespace below it). Any doubt: false.
 */
bool ag3_peer_in_pidns(int fd, pid_t pid, dev_t ns_dev, ino_t ns_ino);
