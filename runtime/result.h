/* SPDX-License-Identifier: MIT */
/*
 * The result record: how one sandboxed run ended, and what was enforced.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "runtime/util/error.h"

enum ag3_status {
	AG3_STATUS_EXITED,
	AG3_STATUS_SIGNALED,
	AG3_STATUS_TIMEOUT,
	AG3_STATUS_OOM,
	AG3_STATUS_SETUP_FAILED,
	_AG3_STATUS_MAX,
	_AG3_STATUS_INVALID = -EINVAL,
};

#define AG3_MAX_DEGRADED 16

/* One captured stream: the first and the last bytes, at most the cap in all. */
struct ag3_output {
	bool captured;  /* false: passed through to the caller's fd          */
	uint64_t total; /* bytes the command wrote                             */
	bool truncated; /* total > the cap: `data` is head, marker, tail      */
	char *data;     /* what was kept (not NUL-terminated text: use `len`) */
	size_t len;
};

/* Allowlist mode: a name or connection the relay refused (README "Network"). */
struct ag3_net_event {
	const char *kind;   /* "dns" or "connect" (static)                          */
	char *name;         /* the name asked for, or the address dialed             */
	int port;           /* -1 for none (dns)                                     */
	const char *reason; /* static: not_allowed, port_not_allowed, private_address,
			       resolve_failed, connect_failed, limit, not_forwarded,
			       bad_request                                          */
};

/* Allowlist mode: what went where. */
struct ag3_net_dest {
	char *name;
	uint16_t port;
	uint64_t connections, bytes_out, bytes_in;
};

struct ag3_result {
	enum ag3_status status;
	int exit_code;                 /* the command's own (exited)                   */
	int signal;                    /* the killing signal (signaled, timeout)        */
	struct ag3_error *setup_error; /* setup_failed: stage, errno, path, message     */
	unsigned setup_applied;        /* setup_failed: what the command's process had in force
				   when its setup failed (AG3_APPLIED_*, runtime/msg.h) */
	uint64_t duration_ms;
	struct rusage rusage;       /* of the whole sandbox (RUSAGE_CHILDREN)        */
	uint64_t peak_memory;       /* bytes (max RSS of the largest process)       */
	uint64_t oom_kills;         /* processes the memory limit's OOM killer ended */
	struct ag3_output out, err; /* stdout, stderr when captured                  */
	struct {
		bool unbuilt;   /* nothing was planned (compile, session, --result failed):
				   mode, ids and namespaces are unknown (null, null, []) */
		bool root_mode; /* privileged: real setresuid, no user namespace needed */
		bool userns;
		unsigned uid, gid; /* the payload's ids inside the sandbox         */
		bool net, ipc, uts, cgroup_ns;
		bool caps_dropped;
		bool no_new_privs;
		bool seccomp;
		int landlock_abi; /* 0: not applied                               */
		char *degraded[AG3_MAX_DEGRADED];
		size_t n_degraded;
	} enforcement;
	struct {
		bool relayed; /* allowlist mode ran its relay: the record has "network" */
		struct ag3_net_event *events;
		size_t n_events;
		uint64_t events_dropped; /* beyond AG3_NET_EVENTS_MAX */
		struct ag3_net_dest *dests;
		size_t n_dests;
		uint64_t dests_dropped; /* connections to destinations beyond the list's 256 */
	} network;
};

void ag3_result_clear(struct ag3_result *r);

/* Makes `res` a setup failure: stage, errno, path (NULL or "": none), message
 * (NULL or "": strerror(err)). */
void ag3_result_setup_failed(struct ag3_result *res, int err, const char *stage, const char *path,
			     const char *text);

/* Records a downgrade ("landlock: kernel has no landlock"); copies the text. */
void ag3_result_add_degraded(struct ag3_result *r, const char *what);

const char *ag3_status_to_string(enum ag3_status s);

/*
 * The exit code the CLI uses: the command's own; 128+N for signal N; 124 on
 * timeout; 125 when the sandbox could not be set up; 126/127 when the command
 * could not be executed (not executable / not found).
 */
int ag3_result_exit_code(const struct ag3_result *r);

/* The record as one JSON object (see README.md, "The result record"). */
int ag3_result_to_json(const struct ag3_result *r, char **ret);
